// The fake server's transport: one libwebsockets context on 127.0.0.1 serving HTTP/1.1.
#pragma once

#include "rest.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace okxkit::fake {

struct ServerOptions {
    int port = 0;              // 0: the kernel picks a free port
    std::string port_file;     // written (tmp + rename) once listening; empty: none
    std::string log_file;      // one JSON line per request; empty: none
    std::int64_t delay_ms = 0; // --fault-delay-ms: wait before every answer
    int lws_log_level = 0;     // bits of LLL_*; 0: errors only
};

// Serves Rest over HTTP until SIGINT or SIGTERM (core::install_signal_policy must be in
// force). One thread; each answer waits delay_ms on a timer, so other connections are not
// held up. Keep-alive: every response has a Content-Length. WebSocket paths will join the
// same context and port: the protocol callback dispatches on the callback reason.
class Server {
public:
    Server(Rest& rest, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds, writes the port file, serves until a stop signal. Throws core::RuntimeError
    // when the port cannot be bound or the files cannot be written. Returns 0.
    int run();

    // For the libwebsockets callback: the transport calls these.
    Response answer(const Request& req);
    [[nodiscard]] std::int64_t since_start_ms() const;
    [[nodiscard]] std::int64_t delay_ms() const { return options_.delay_ms; }

private:
    void log_request(const Request& req, const Response& resp);
    void write_port_file(int port) const;

    Rest& rest_;
    ServerOptions options_;
    std::chrono::steady_clock::time_point start_;
    std::FILE* log_ = nullptr;
};

} // namespace okxkit::fake
