// ws-probe: a small WebSocket client for fake-okx's tests (see README.md here).
//
//   ws-probe [--login [--login-ts S | --login-ts-offset S] [--login-sign SIGN]]
//            [--send TEXT]... [--gap-ms N] [--frames N] [--seconds S] ws://127.0.0.1:PORT/PATH
//
// With --login, the first frame is OKX's login (§5.3) with the key, secret and passphrase of
// OKX_API_KEY, OKX_API_SECRET and OKX_API_PASSPHRASE, timestamped --login-ts (seconds, sent
// as given) or the wall clock plus --login-ts-offset seconds, signed (or --login-sign as
// given); the other frames wait until the login's ack arrives (for good when it fails).
//
// Connects without a subprotocol, sends each --send TEXT (or, without --send, each line of
// stdin as it arrives) as one text frame, --gap-ms apart, and prints each received text
// frame as "MS FRAME" on one line, MS being the ms since the connection opened. Also prints
// "MS #open", "MS #close CODE REASON" when the server sends a close frame, "MS #closed" when
// the connection ends and "#error WHAT" when it cannot connect. Exits after --frames N
// frames, after --seconds S (default 10), or when the connection ends: 0, or 1 when it
// could not connect, or 2 on a usage error.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <libwebsockets.h>
#include <poll.h>
#include <string>
#include <string_view>
#include <unistd.h>

#include "okx/signer.hpp"

namespace {

constexpr lws_usec_t kWakeUs = 5 * LWS_US_PER_MS;

struct Probe {
    std::deque<std::string> to_send;
    bool read_stdin = true;
    std::string stdin_buf;
    std::int64_t gap_ms = 0;
    std::int64_t next_send_ms = 0;
    long long frames_wanted = -1;
    long long frames = 0;
    double seconds = 10;
    std::string rx;
    std::string login_frame; // sent first; "" without --login
    bool login_sent = false;
    bool login_done = true; // the login's ack arrived (true without --login)
    lws* wsi = nullptr;
    bool open = false;
    bool done = false;
    int rc = 0;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point opened = start;
};

Probe g_probe; // the libwebsockets callback reaches it through the context user pointer

std::int64_t ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 t)
        .count();
}

void print_line(std::string_view text) {
    std::printf("%lld %.*s\n", static_cast<long long>(ms_since(g_probe.opened)),
                static_cast<int>(text.size()), text.data());
    std::fflush(stdout);
}

void want_write() {
    const Probe& p = g_probe;
    const bool login_due = !p.login_frame.empty() && !p.login_sent;
    if (p.open && (login_due || (p.login_done && !p.to_send.empty()))) {
        lws_callback_on_writable(p.wsi);
    }
}

int write_text(lws* wsi, const std::string& text) {
    std::string wire(LWS_PRE, '\0');
    wire += text;
    const std::size_t n = text.size();
    return lws_write(wsi, reinterpret_cast<unsigned char*>(wire.data() + LWS_PRE), n,
                     LWS_WRITE_TEXT) < static_cast<int>(n)
               ? -1
               : 0;
}

// The login op of §5.3; "" (and a message on stderr) when the environment lacks the key.
std::string login_op(const std::string& ts_arg, long long ts_offset, const std::string& sign_arg) {
    const char* key = std::getenv("OKX_API_KEY");
    const char* secret = std::getenv("OKX_API_SECRET");
    const char* pass = std::getenv("OKX_API_PASSPHRASE");
    if (key == nullptr || secret == nullptr || pass == nullptr) {
        std::fprintf(stderr, "ws-probe: --login wants OKX_API_KEY, OKX_API_SECRET and "
                             "OKX_API_PASSPHRASE in the environment\n");
        return {};
    }
    std::string ts = ts_arg;
    if (ts.empty()) {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        ts = std::to_string(static_cast<long long>(now) + ts_offset);
    }
    const std::string sign =
        sign_arg.empty() ? okxkit::okx::hmac_sha256_base64(secret, ts + "GET/users/self/verify")
                         : sign_arg;
    return std::string(R"({"op":"login","args":[{"apiKey":")") + key + R"(","passphrase":")" +
           pass + R"(","timestamp":")" + ts + R"(","sign":")" + sign + R"("}]})";
}

int callback(lws* wsi, enum lws_callback_reasons reason, void* user, void* in, std::size_t len) {
    Probe& p = g_probe;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        p.open = true;
        p.opened = std::chrono::steady_clock::now();
        print_line("#open");
        want_write();
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        p.rx.append(static_cast<const char*>(in), len);
        if (lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0) {
            print_line(p.rx);
            if (!p.login_done && p.rx.find(R"("event":"login")") != std::string::npos) {
                p.login_done = true;
                want_write();
            }
            p.rx.clear();
            ++p.frames;
            if (p.frames_wanted >= 0 && p.frames >= p.frames_wanted) {
                p.done = true;
            }
        }
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (!p.login_frame.empty() && !p.login_sent) {
            p.login_sent = true;
            return write_text(wsi, p.login_frame);
        }
        if (!p.login_done || p.to_send.empty() || ms_since(p.start) < p.next_send_ms) {
            return 0;
        }
        const std::string text = std::move(p.to_send.front());
        p.to_send.pop_front();
        if (write_text(wsi, text) != 0) {
            return -1;
        }
        p.next_send_ms = ms_since(p.start) + p.gap_ms;
        if (p.gap_ms == 0) {
            want_write();
        }
        return 0;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        const auto* b = static_cast<const unsigned char*>(in);
        const int code = len >= 2 ? (b[0] << 8) | b[1] : 0;
        const std::string text =
            len > 2 ? std::string(reinterpret_cast<const char*>(b) + 2, len - 2) : std::string();
        print_line("#close " + std::to_string(code) + " " + text);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        std::printf("#error %s\n", in != nullptr ? static_cast<const char*>(in) : "(none)");
        std::fflush(stdout);
        p.rc = 1;
        p.done = true;
        p.wsi = nullptr;
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!p.done) { // not when the probe itself is ending the connection
            print_line("#closed");
        }
        p.done = true;
        p.wsi = nullptr;
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const lws_protocols kProtocols[] = {
    {"ws-probe", callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

struct Wake {
    lws_sorted_usec_list_t sul;
    lws_context* context;
};

void on_wake(lws_sorted_usec_list_t* sul) {
    auto* wake = lws_container_of(sul, Wake, sul);
    lws_sul_schedule(wake->context, 0, &wake->sul, on_wake, kWakeUs);
}

// Reads what stdin has without blocking; queues each complete non-empty line.
void poll_stdin() {
    pollfd fd{STDIN_FILENO, POLLIN, 0};
    while (g_probe.read_stdin && poll(&fd, 1, 0) > 0) {
        char buf[4096];
        const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n <= 0) {
            g_probe.read_stdin = false;
            break;
        }
        g_probe.stdin_buf.append(buf, static_cast<std::size_t>(n));
        std::size_t nl = 0;
        while ((nl = g_probe.stdin_buf.find('\n')) != std::string::npos) {
            std::string line = g_probe.stdin_buf.substr(0, nl);
            g_probe.stdin_buf.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') {
                line.pop_back();
            }
            if (!line.empty()) {
                g_probe.to_send.push_back(std::move(line));
            }
        }
    }
}

int usage(const char* what) {
    std::fprintf(stderr,
                 "ws-probe: %s\nusage: ws-probe [--login [--login-ts S | --login-ts-offset S] "
                 "[--login-sign SIGN]] [--send TEXT]... [--gap-ms N] [--frames N] "
                 "[--seconds S] ws://HOST:PORT/PATH\n",
                 what);
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    Probe& p = g_probe;
    std::string url;
    bool login = false;
    std::string login_ts;
    long long login_ts_offset = 0;
    std::string login_sign;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--send" && has_value) {
            p.to_send.emplace_back(argv[++i]);
            p.read_stdin = false;
        } else if (arg == "--login") {
            login = true;
        } else if (arg == "--login-ts" && has_value) {
            login_ts = argv[++i];
        } else if (arg == "--login-ts-offset" && has_value) {
            login_ts_offset = std::atoll(argv[++i]);
        } else if (arg == "--login-sign" && has_value) {
            login_sign = argv[++i];
        } else if (arg == "--gap-ms" && has_value) {
            p.gap_ms = std::atoll(argv[++i]);
        } else if (arg == "--frames" && has_value) {
            p.frames_wanted = std::atoll(argv[++i]);
        } else if (arg == "--seconds" && has_value) {
            p.seconds = std::atof(argv[++i]);
        } else if (arg == "-h" || arg == "--help") {
            usage("a WebSocket client for fake-okx's tests");
            return 0;
        } else if (!arg.empty() && arg[0] != '-' && url.empty()) {
            url = arg;
        } else {
            return usage(("unknown or incomplete option: " + std::string(arg)).c_str());
        }
    }
    if (login) {
        p.login_frame = login_op(login_ts, login_ts_offset, login_sign);
        if (p.login_frame.empty()) {
            return 2;
        }
        p.login_done = false;
    }
    // ws://HOST:PORT/PATH
    constexpr std::string_view kScheme = "ws://";
    if (url.compare(0, kScheme.size(), kScheme) != 0) {
        return usage("want a ws:// URL");
    }
    const std::string rest = url.substr(kScheme.size());
    const auto slash = rest.find('/');
    const std::string hostport = rest.substr(0, slash);
    const std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
    const auto colon = hostport.rfind(':');
    const std::string host = hostport.substr(0, colon);
    const int port = colon == std::string::npos ? 80 : std::atoi(hostport.c_str() + colon + 1);

    lws_set_log_level(LLL_ERR, nullptr);
    lws_context_creation_info info{};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = kProtocols;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    lws_context* context = lws_create_context(&info);
    if (context == nullptr) {
        std::fprintf(stderr, "ws-probe: cannot create the libwebsockets context\n");
        return 1;
    }
    lws_client_connect_info ci{};
    ci.context = context;
    ci.address = host.c_str();
    ci.port = port;
    ci.path = path.c_str();
    ci.host = host.c_str();
    ci.origin = host.c_str();
    ci.protocol = nullptr; // OKX clients send no subprotocol
    ci.pwsi = &p.wsi;
    if (lws_client_connect_via_info(&ci) == nullptr && p.wsi == nullptr && !p.done) {
        std::printf("#error cannot start the connection\n");
        lws_context_destroy(context);
        return 1;
    }
    Wake wake{};
    wake.context = context;
    lws_sul_schedule(context, 0, &wake.sul, on_wake, kWakeUs);
    while (!p.done && static_cast<double>(ms_since(p.start)) < p.seconds * 1000) {
        if (lws_service(context, 0) < 0) {
            break;
        }
        poll_stdin();
        want_write();
    }
    lws_sul_cancel(&wake.sul);
    p.done = true; // the probe ends the connection: no "#closed" for that
    lws_context_destroy(context);
    return p.rc;
}
