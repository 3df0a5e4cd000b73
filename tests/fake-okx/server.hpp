// The fake server's transport: one libwebsockets context on 127.0.0.1 serving HTTP/1.1 and
// the WebSocket endpoints on the same port.
#pragma once

#include "rest.hpp"
#include "ws.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <libwebsockets.h>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::fake {

struct ServerOptions {
    int port = 0;              // 0: the kernel picks a free port
    std::string port_file;     // written (tmp + rename) once listening; empty: none
    std::string log_file;      // one JSON line per request; empty: none
    std::int64_t delay_ms = 0; // --fault-delay-ms: wait before every answer
    int lws_log_level = 0;     // bits of LLL_*; 0: errors only
};

// The transport state of one WebSocket connection (defined in server.cpp).
struct WsLink;
class Server;

// The market clock's timer; standard layout, so lws_container_of finds it from its sul.
struct ClockTimer {
    lws_sorted_usec_list_t sul;
    Server* server;
};

// Serves Rest over HTTP and WsHub over WebSocket until SIGINT or SIGTERM
// (core::install_signal_policy must be in force). One thread; each answer waits delay_ms on
// a timer, so other connections are not held up. Keep-alive: every response has a
// Content-Length. The protocol callback dispatches on the callback reason.
class Server {
public:
    Server(Rest& rest, WsHub& hub, ServerOptions options);
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

    // The WebSocket transport, for the callback. ws_open returns nullptr for a path that is
    // not a WebSocket endpoint; ws_writeable returns -1 to end the connection.
    void ws_refuse(std::string_view path);
    WsLink* ws_open(lws* wsi, const std::string& path);
    void ws_receive(WsLink& link, std::string_view text);
    int ws_writeable(WsLink& link);
    void ws_timer(WsLink& link);
    void ws_closed(WsLink* link);
    void clock_tick();
    // Every 100 ms: while the market clock is the wall clock, works the bars it passed
    // (fills, the dead-man switch) and sends their orders pushes.
    void poll();

private:
    void log_request(const Request& req, const Response& resp);
    void log_ws(const WsLink& link, std::string_view event, std::string_view frame, int code);
    void log_op(const WsLink& link, const WsOpEvent& op);
    void log_trade(const WsLink& link, const WsTradeOp& op, std::int64_t t_ms,
                   std::int64_t mono_us);
    void send_order_pushes();
    void log_line(const std::string& text);
    void write_port_file(int port) const;
    void arm_timer(WsLink& link) const;
    void schedule_clock();
    void start_clock();

    Rest& rest_;
    WsHub& hub_;
    lws_context* context_ = nullptr;
    std::vector<WsLink*> links_;
    ClockTimer clock_timer_{};
    std::int64_t clock_start_ms_ = 0; // since start, when the first WebSocket connected
    std::int64_t clock_ticks_ = 0;
    bool clock_running_ = false;
    bool stopping_ = false;
    ServerOptions options_;
    std::chrono::steady_clock::time_point start_;
    std::FILE* log_ = nullptr;
};

} // namespace okxkit::fake
