#include "audit/serve.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"

#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace okxkit::audit {

namespace {

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

void send_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return; // the client went away
        }
        done += static_cast<std::size_t>(n);
    }
}

std::string response(int code, std::string_view reason, std::string_view type,
                     const std::string& body, bool head) {
    std::string r = "HTTP/1.1 ";
    r += std::to_string(code);
    r += ' ';
    r += reason;
    r += "\r\nContent-Type: ";
    r += type;
    r += "\r\nContent-Length: ";
    r += std::to_string(body.size());
    r += "\r\nConnection: close\r\n";
    if (code == 405) {
        r += "Allow: GET, HEAD\r\n";
    }
    r += "\r\n";
    if (!head) {
        r += body;
    }
    return r;
}

// Reads the request head (up to the blank line, at most 8 KB, for at most 5 s).
std::string read_head(int fd) {
    std::string head;
    std::array<char, 2048> buf{};
    int waited_ms = 0;
    while (head.find("\r\n\r\n") == std::string::npos && head.find("\n\n") == std::string::npos &&
           head.size() < 8192) {
        pollfd p{fd, POLLIN, 0};
        const int r = ::poll(&p, 1, 250);
        if (r < 0 && errno == EINTR) {
            if (core::interrupted()) {
                return {};
            }
            continue;
        }
        if (r == 0) {
            waited_ms += 250;
            if (waited_ms >= 5000 || core::interrupted()) {
                return {};
            }
            continue;
        }
        const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n <= 0) {
            break;
        }
        head.append(buf.data(), static_cast<std::size_t>(n));
    }
    return head;
}

void answer(int fd, const std::function<std::string()>& page) {
    const std::string head = read_head(fd);
    const std::size_t eol = head.find_first_of("\r\n");
    const std::string line = head.substr(0, eol);
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) {
        if (!line.empty()) {
            send_all(fd, response(400, "Bad Request", "text/plain; charset=utf-8",
                                  "not an HTTP request\n", false));
        }
        return;
    }
    const std::string method = line.substr(0, sp1);
    std::string path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (const std::size_t q = path.find('?'); q != std::string::npos) {
        path.resize(q);
    }
    const bool is_head = method == "HEAD";
    if (method != "GET" && !is_head) {
        send_all(fd, response(405, "Method Not Allowed", "text/plain; charset=utf-8",
                              "only GET and HEAD\n", false));
        return;
    }
    if (path == "/metrics") {
        std::string body;
        try {
            body = page();
        } catch (const std::exception& e) {
            core::Log::error(std::string("GET /metrics: ") + e.what());
            send_all(fd, response(500, "Internal Server Error", "text/plain; charset=utf-8",
                                  std::string(e.what()) + "\n", is_head));
            return;
        }
        send_all(fd,
                 response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, is_head));
    } else if (path == "/") {
        send_all(fd, response(200, "OK", "text/html; charset=utf-8",
                              "<!doctype html><title>okxkit audit metrics</title>"
                              "<p><a href=\"/metrics\">/metrics</a></p>\n",
                              is_head));
    } else {
        send_all(fd, response(404, "Not Found", "text/plain; charset=utf-8",
                              "no such page: the metrics are at /metrics\n", is_head));
    }
}

} // namespace

ListenAddress parse_listen(const std::string& text) {
    ListenAddress a;
    std::string port = text;
    if (!text.empty() && text[0] == '[') {
        const std::size_t close = text.find("]:");
        if (close == std::string::npos) {
            throw core::UsageError("--listen " + text + ": write [HOST]:PORT");
        }
        a.host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else if (const std::size_t colon = text.rfind(':'); colon != std::string::npos) {
        a.host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (a.host.empty()) {
        throw core::UsageError("--listen " + text + ": no host before the port (" +
                               "127.0.0.1:PORT, or PORT alone for loopback)");
    }
    int p = -1;
    if (!port.empty() && port.size() <= 5 &&
        port.find_first_not_of("0123456789") == std::string::npos) {
        p = std::stoi(port);
    }
    if (p < 0 || p > 65535) {
        throw core::UsageError("--listen " + text + ": the port must be a number from 0 to 65535");
    }
    a.port = p;
    return a;
}

int serve_metrics(const ListenAddress& addr, const std::function<std::string()>& page,
                  const std::function<void(const std::string&)>& on_ready) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(addr.port);
    if (const int rc = ::getaddrinfo(addr.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
        throw core::RuntimeError("--listen " + addr.host + ": " + ::gai_strerror(rc));
    }
    int fd = -1;
    std::string why;
    for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
        fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            why = core::errno_text(errno);
            continue;
        }
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 16) != 0) {
            why = core::errno_text(errno);
            ::close(fd);
            fd = -1;
        }
    }
    ::freeaddrinfo(res);
    if (fd < 0) {
        throw core::RuntimeError("cannot listen on " + addr.host + ":" + port + ": " + why);
    }
    const Fd server(fd);
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
    std::array<char, INET6_ADDRSTRLEN> host{};
    int bound_port = 0;
    std::string shown;
    if (bound.ss_family == AF_INET6) {
        const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&bound);
        ::inet_ntop(AF_INET6, &s6->sin6_addr, host.data(), host.size());
        bound_port = ntohs(s6->sin6_port);
        std::array<char, INET6_ADDRSTRLEN + 16> text{};
        std::snprintf(text.data(), text.size(), "[%s]:%d", host.data(), bound_port);
        shown = text.data();
    } else {
        const auto* s4 = reinterpret_cast<const sockaddr_in*>(&bound);
        ::inet_ntop(AF_INET, &s4->sin_addr, host.data(), host.size());
        bound_port = ntohs(s4->sin_port);
        std::array<char, INET6_ADDRSTRLEN + 16> text{};
        std::snprintf(text.data(), text.size(), "%s:%d", host.data(), bound_port);
        shown = text.data();
    }

    // SIGINT and SIGTERM set a flag, and interrupt the poll below.
    core::install_signal_policy();
    on_ready(shown);
    while (!core::interrupted()) {
        pollfd p{fd, POLLIN, 0};
        const int r =
            ::poll(&p, 1, 500); // a signal between the check and the poll waits at most this
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw core::RuntimeError("poll: " + core::errno_text(errno));
        }
        const int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) {
            continue;
        }
        const Fd client(c);
        answer(c, page);
    }
    core::Log::note("stopped by a signal");
    return 0;
}

} // namespace okxkit::audit
