// audit metrics --listen: a small HTTP server of one page, /metrics, for Prometheus to scrape.
#pragma once

#include <functional>
#include <string>

namespace okxkit::audit {

struct ListenAddress {
    std::string host = "127.0.0.1";
    int port = 0; // 0: any free port (the one taken is reported)
};

// "PORT" (on 127.0.0.1), "HOST:PORT", "[HOST]:PORT" (IPv6). Throws core::UsageError.
ListenAddress parse_listen(const std::string& text);

// Binds addr, calls on_ready with the address it listens on ("127.0.0.1:9108"), then answers
// one connection at a time until SIGINT or SIGTERM: GET or HEAD of /metrics gets
// page() as Prometheus' text format 0.0.4 (a page() that throws gets a 500 with its message);
// / a pointer to /metrics; anything else 404 or 405. A client has 5 s to send its request.
// Returns 0 when stopped by a signal. Throws core::RuntimeError when it cannot listen.
int serve_metrics(const ListenAddress& addr, const std::function<std::string()>& page,
                  const std::function<void(const std::string&)>& on_ready);

} // namespace okxkit::audit
