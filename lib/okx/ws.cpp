// The OKX WebSocket client: libwebsockets context, connections, timers and the frame protocol.
#include "okx/ws.hpp"

#include "core/error.hpp"
#include "core/json_out.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "okx/envelope.hpp"
#include "okx/rate_limit.hpp"
#include "okx/signer.hpp"

#include <libwebsockets.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <deque>
#include <exception>
#include <mutex>

namespace okxkit::okx {

namespace {

constexpr lws_usec_t kTickUs = 100 * LWS_US_PER_MS;     // how often run() looks at the signals
constexpr std::size_t kMaxFrame = std::size_t{8} << 20; // a longer frame is dropped
constexpr const char* kProtocolName = "okxkit-ws";

std::string_view trim_detail(std::string_view s, std::size_t max = 200) {
    return s.substr(0, std::min(s.size(), max));
}

} // namespace

std::string_view event_name(WsEvent::Kind kind) {
    switch (kind) {
    case WsEvent::Kind::kConnect:
        return "connect";
    case WsEvent::Kind::kSubscribed:
        return "subscribed";
    case WsEvent::Kind::kDisconnect:
        return "disconnect";
    case WsEvent::Kind::kNotice:
        return "notice";
    case WsEvent::Kind::kError:
        return "error";
    }
    return "?";
}

std::int64_t WsClient::wall_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// --- the client --------------------------------------------------------------------------

namespace {

struct Conn;
struct Endpoint;

// A libwebsockets timer with a pointer back to its owner. Standard layout with the sul first,
// so the sul pointer handed to the callback converts back to the Timer.
struct Timer {
    lws_sorted_usec_list_t sul;
    void* owner;
};

Timer* timer_of(lws_sorted_usec_list_t* sul) {
    return reinterpret_cast<Timer*>(sul);
}

// A frame waiting to be written: LWS_PRE bytes of headroom, then the text; its tag (0: none).
struct Outgoing {
    std::string buf;
    std::uint64_t tag = 0;
};

struct Conn {
    enum class State { kConnecting, kOpen, kClosed };
    Endpoint* ep = nullptr;
    lws* wsi = nullptr;
    State state = State::kConnecting;
    std::uint64_t id = 0;
    std::deque<Outgoing> out;
    std::string rx; // the frame being assembled
    bool rx_too_long = false;
    std::size_t acks = 0;    // subscriptions acknowledged
    bool logged_in = false;  // OKX acknowledged the login (endpoints that log in)
    bool got_push = false;   // received market data: a healthy connection
    bool noticed = false;    // OKX announced it will close this connection (64008)
    bool retired = false;    // replaced by a newer connection: its frames are ignored
    std::string close_cause; // set when we close it ourselves: "stall", "reconnect"
    std::string close_detail;
    Timer ping{};
    Timer pong{};
    std::int64_t last_rx = 0;         // steady ms of the last frame received
    std::int64_t last_tx = 0;         // steady ms of the last frame sent
    bool pong_armed = false;          // a ping is out and waits for an answer
    bool destroyed = false;           // libwebsockets has let go of it
    std::vector<WsArg> resubscribing; // resubscribes whose subscribe ack is still due
    std::int64_t ops_since = 0;       // steady ms: start of the hour requests are counted in
    std::size_t ops = 0;              // subscribe/unsubscribe requests sent in that hour
};

struct Endpoint {
    std::size_t index = 0;
    std::string url;
    WsUrl parts;
    std::string host_header;
    std::vector<WsArg> args;
    std::vector<std::string> ops; // the subscribe messages
    Conn* active = nullptr;       // the connection whose frames are delivered
    Conn* next = nullptr;         // a connection on its way, promoted once usable
    int failures = 0;             // attempts in a row that never brought data
    bool ever_connected = false;
    bool connected_once_reported = false;
    std::string last_error;
    std::optional<Credentials> login; // log in on every connection, then subscribe
    std::int64_t clock_offset_ms = 0; // OKX's clock minus ours, for the login timestamp
    std::atomic<bool> ready{false};   // active, open, logged in, subscribed (see update_ready)
    Timer reconnect{};
    void* impl = nullptr; // the WsClient::Impl that owns it
};

} // namespace

struct WsClient::Impl {
    explicit Impl(WsOptions o)
        : options(o), backoff(o.backoff_base_ms, o.backoff_cap_ms, o.seed),
          connects(std::max(1.0, o.connects_per_second), 1000) {}

    WsOptions options;
    Backoff backoff;
    TokenBucket connects;
    std::vector<std::unique_ptr<Endpoint>> endpoints;
    std::vector<std::unique_ptr<Conn>> conns;
    lws_context* context = nullptr;
    Timer tick{};
    std::atomic<bool> stop{false};
    // Frames posted from other threads, moved to their connections by run()'s loop.
    struct Posted {
        std::size_t endpoint = 0;
        std::string text;
        std::uint64_t tag = 0;
    };
    std::mutex inbox_mu;
    std::deque<Posted> inbox;
    std::vector<std::pair<std::uint64_t, std::chrono::steady_clock::time_point>> written;
    bool shutting_down = false;
    std::exception_ptr error;
    std::uint64_t next_id = 1;
    Stats stats;
    WsClient* owner = nullptr;

    // Runs fn, turning an exception into the end of run() (nothing may unwind through C).
    template <typename F> void guard(F&& fn) {
        try {
            fn();
        } catch (...) {
            if (!error) {
                error = std::current_exception();
            }
            stop = true;
        }
    }

    void emit(WsEvent::Kind kind, const Endpoint& ep, std::string cause, std::string detail) {
        if (!owner->on_event) {
            return;
        }
        WsEvent ev;
        ev.kind = kind;
        ev.endpoint = ep.index;
        ev.recv_ts = wall_ms();
        ev.cause = std::move(cause);
        ev.detail = std::move(detail);
        owner->on_event(ev);
    }

    static std::int64_t steady_ms() {
        using namespace std::chrono;
        return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
    }

    void schedule_connect(Endpoint& ep) {
        const std::int64_t delay = ep.failures == 0 ? 0 : backoff.delay_ms(ep.failures - 1);
        if (delay > 0) {
            core::Log::note(ep.url + ": reconnecting in " + std::to_string(delay) + " ms");
        }
        lws_sul_schedule(context, 0, &ep.reconnect.sul, on_reconnect_timer, delay * LWS_US_PER_MS);
    }

    static void on_reconnect_timer(lws_sorted_usec_list_t* sul) {
        auto* ep = static_cast<Endpoint*>(timer_of(sul)->owner);
        Impl* self = impl_of(ep);
        self->guard([&] {
            // OKX refuses more than 3 new connections per second from one IP (§5.2).
            if (const std::int64_t wait = self->connects.try_take(steady_ms()); wait > 0) {
                lws_sul_schedule(self->context, 0, &ep->reconnect.sul, on_reconnect_timer,
                                 wait * LWS_US_PER_MS);
                return;
            }
            self->connect(*ep);
        });
    }

    static Impl* impl_of(Endpoint* ep) { return static_cast<Impl*>(ep->impl); }

    void connect(Endpoint& ep) {
        if (stop || ep.next != nullptr) {
            return;
        }
        auto owned = std::make_unique<Conn>();
        Conn* conn = owned.get();
        conn->ep = &ep;
        conn->id = next_id++;
        conn->ping.owner = conn;
        conn->pong.owner = conn;
        conns.push_back(std::move(owned));
        ep.next = conn;

        lws_client_connect_info info{};
        info.context = context;
        info.address = ep.parts.host.c_str();
        info.port = ep.parts.port;
        info.ssl_connection = ep.parts.tls ? LCCSCF_USE_SSL : 0;
        info.path = ep.parts.path.c_str();
        info.host = ep.host_header.c_str();
        info.origin = ep.parts.host.c_str();
        info.protocol = nullptr; // OKX speaks no subprotocol
        info.local_protocol_name = kProtocolName;
        info.opaque_user_data = conn;
        core::Log::debug(ep.url + ": connecting (connection " + std::to_string(conn->id) + ")");
        lws* wsi = lws_client_connect_via_info(&info);
        if (wsi == nullptr && conn->state != Conn::State::kClosed) {
            // Failed before any callback could say so.
            conn->destroyed = true;
            closed(*conn, "cannot start a connection", true);
        } else if (conn->state != Conn::State::kClosed) {
            conn->wsi = wsi;
        }
    }

    void established(Conn& conn, lws* wsi) {
        Endpoint& ep = *conn.ep;
        conn.wsi = wsi;
        conn.state = Conn::State::kOpen;
        if (ep.login) {
            queue(conn, login_op(*ep.login, ep.clock_offset_ms));
        } else {
            subscribe(conn);
        }
        conn.last_rx = conn.last_tx = steady_ms();
        conn.ops_since = conn.last_tx;
        conn.ops += ep.login ? 1 : 0;
        arm_ping(conn);
        core::Log::debug(ep.url + ": connected (connection " + std::to_string(conn.id) +
                         "), subscribing to " + std::to_string(ep.args.size()) + " channel(s)");
        // Without a live connection to overlap with, the new one takes over at once.
        if (ep.active == nullptr || ep.active->state == Conn::State::kClosed) {
            promote(conn);
        }
    }

    void subscribe(Conn& conn) {
        for (const std::string& op : conn.ep->ops) {
            queue(conn, op);
        }
        conn.ops += conn.ep->ops.size();
    }

    // The signed login (okx-v5-protocol.md §5.3): seconds since the epoch on OKX's clock,
    // signed over timestamp + "GET" + "/users/self/verify".
    static std::string login_op(const Credentials& c, std::int64_t offset_ms) {
        const std::string ts = std::to_string((wall_ms() + offset_ms) / 1000);
        std::string prehash = ts;
        prehash += "GET/users/self/verify";
        nlohmann::json arg = {{"apiKey", c.key},
                              {"passphrase", c.passphrase},
                              {"timestamp", ts},
                              {"sign", hmac_sha256_base64(c.secret, prehash)}};
        nlohmann::json op = {{"op", "login"}, {"args", nlohmann::json::array({arg})}};
        return op.dump();
    }

    // Whether ep can take posts now: its delivering connection is open and not closing, and
    // has logged in and subscribed as the endpoint asks.
    static void update_ready(Endpoint& ep) {
        const Conn* c = ep.active;
        const bool ok = c != nullptr && c->state == Conn::State::kOpen && !c->retired &&
                        c->close_cause.empty() && (!ep.login || c->logged_in) &&
                        c->acks >= ep.args.size();
        ep.ready.store(ok, std::memory_order_release);
    }

    // Makes conn the endpoint's delivering connection; retires the one it replaces.
    void promote(Conn& conn) {
        Endpoint& ep = *conn.ep;
        if (ep.next == &conn) {
            ep.next = nullptr;
        }
        Conn* old = ep.active;
        ep.active = &conn;
        if (old != nullptr && old != &conn) {
            old->retired = true;
            if (old->state != Conn::State::kClosed) {
                kill(*old, "notice", "replaced after a service-upgrade notice");
            }
            ++stats.disconnects;
            emit(WsEvent::Kind::kDisconnect, ep, "notice",
                 "replaced after a service-upgrade notice (64008)");
        }
        ++stats.connects;
        const bool again = ep.connected_once_reported;
        ep.connected_once_reported = true;
        ep.ever_connected = true;
        emit(WsEvent::Kind::kConnect, ep, again ? "reconnect" : "connect", ep.url);
        update_ready(ep);
        if (conn.acks >= ep.args.size() && !ep.args.empty()) {
            emit(WsEvent::Kind::kSubscribed, ep, "", std::to_string(ep.args.size()));
        }
    }

    void queue(Conn& conn, std::string_view text, std::uint64_t tag = 0) {
        std::string buf(LWS_PRE, '\0');
        buf.append(text);
        conn.out.push_back(Outgoing{std::move(buf), tag});
        if (conn.wsi != nullptr) {
            lws_callback_on_writable(conn.wsi);
        }
    }

    int writeable(Conn& conn, lws* wsi) {
        if (conn.out.empty()) {
            return 0;
        }
        std::string& buf = conn.out.front().buf;
        const std::size_t len = buf.size() - LWS_PRE;
        auto* data = reinterpret_cast<unsigned char*>(buf.data() + LWS_PRE);
        // The moment the frame is handed to the kernel (as libcurl's pre-request callback
        // marks a REST request's): what follows is the network's.
        const auto handed = std::chrono::steady_clock::now();
        if (lws_write(wsi, data, len, LWS_WRITE_TEXT) < static_cast<int>(len)) {
            conn.close_cause = "reconnect";
            conn.close_detail = "cannot write to the connection";
            return -1;
        }
        if (const std::uint64_t tag = conn.out.front().tag; tag != 0) {
            const std::lock_guard<std::mutex> lock(inbox_mu);
            written.emplace_back(tag, handed);
        }
        conn.out.pop_front();
        conn.last_tx = steady_ms();
        if (!conn.out.empty()) {
            lws_callback_on_writable(wsi);
        }
        return 0;
    }

    // Schedules the keepalive check for when ping_after_ms will have passed without a frame
    // received or sent.
    void arm_ping(Conn& conn) {
        const std::int64_t due = std::min(conn.last_rx, conn.last_tx) + options.ping_after_ms;
        const std::int64_t wait = std::max<std::int64_t>(1, due - steady_ms());
        lws_sul_schedule(context, 0, &conn.ping.sul, on_ping_timer, wait * LWS_US_PER_MS);
    }

    static Impl* impl_of(Conn* conn) { return impl_of(conn->ep); }

    // Keepalive (okx-v5-protocol.md §5.2): after ping_after_ms without a frame received, send
    // the text "ping" and expect an answer within pong_timeout_ms. Also after ping_after_ms
    // without a frame sent, since a server may count only what the client sends as activity.
    static void on_ping_timer(lws_sorted_usec_list_t* sul) {
        auto* conn = static_cast<Conn*>(timer_of(sul)->owner);
        Impl* self = impl_of(conn);
        self->guard([&] {
            if (conn->state != Conn::State::kOpen) {
                return;
            }
            const std::int64_t now = steady_ms();
            const std::int64_t after = self->options.ping_after_ms;
            if (!conn->pong_armed &&
                (now - conn->last_rx >= after || now - conn->last_tx >= after)) {
                ++self->stats.pings;
                core::Log::debug(conn->ep->url + ": ping (" + std::to_string(now - conn->last_rx) +
                                 " ms since the last frame received)");
                self->queue(*conn, "ping");
                conn->last_tx = now;
                conn->pong_armed = true;
                lws_sul_schedule(self->context, 0, &conn->pong.sul, on_pong_timer,
                                 self->options.pong_timeout_ms * LWS_US_PER_MS);
            }
            self->arm_ping(*conn);
        });
    }

    static void on_pong_timer(lws_sorted_usec_list_t* sul) {
        auto* conn = static_cast<Conn*>(timer_of(sul)->owner);
        Impl* self = impl_of(conn);
        self->guard([&] {
            if (conn->state != Conn::State::kOpen) {
                return;
            }
            core::Log::warning(conn->ep->url + ": no pong within " +
                               std::to_string(self->options.pong_timeout_ms) +
                               " ms of a ping: reconnecting");
            self->kill(*conn, "stall",
                       "no pong within " + std::to_string(self->options.pong_timeout_ms) + " ms");
        });
    }

    // Closes conn from outside its callbacks; CLIENT_CLOSED follows.
    void kill(Conn& conn, std::string cause, std::string detail) {
        if (conn.close_cause.empty()) {
            conn.close_cause = std::move(cause);
            conn.close_detail = std::move(detail);
        }
        update_ready(*conn.ep);
        lws_sul_cancel(&conn.ping.sul);
        lws_sul_cancel(&conn.pong.sul);
        if (conn.wsi != nullptr && conn.state != Conn::State::kClosed) {
            lws_set_timeout(conn.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        }
    }

    void receive(Conn& conn, lws* wsi, const char* data, std::size_t len) {
        if (lws_frame_is_binary(wsi) != 0) {
            conn.rx_too_long = true; // OKX sends text; a binary frame is dropped whole
        }
        if (!conn.rx_too_long) {
            if (conn.rx.size() + len > kMaxFrame) {
                conn.rx_too_long = true;
            } else {
                conn.rx.append(data, len);
            }
        }
        if (lws_is_final_fragment(wsi) == 0 || lws_remaining_packet_payload(wsi) != 0) {
            return;
        }
        const std::int64_t recv_ts = wall_ms();
        if (conn.rx_too_long) {
            core::Log::warning(conn.ep->url + ": dropped a frame that is binary or longer than " +
                               std::to_string(kMaxFrame) + " bytes");
            conn.rx.clear();
            conn.rx_too_long = false;
            return;
        }
        // Cleared even when the frame's handling throws: the next frame starts afresh.
        struct Clear {
            std::string& rx;
            ~Clear() { rx.clear(); }
        } clear{conn.rx};
        frame(conn, conn.rx, recv_ts);
    }

    void frame(Conn& conn, std::string_view text, std::int64_t recv_ts) {
        Endpoint& ep = *conn.ep;
        // Any frame shows the connection is alive, as a pong would.
        conn.last_rx = steady_ms();
        if (conn.pong_armed) {
            conn.pong_armed = false;
            lws_sul_cancel(&conn.pong.sul);
        }
        if (conn.retired || stop) {
            return;
        }
        const FrameKind kind = classify_frame(text);
        const bool deliver = ep.active == &conn;
        if (deliver) {
            ++stats.frames;
            if (owner->on_frame) {
                owner->on_frame(ep.index, text, recv_ts);
            }
        }
        switch (kind) {
        case FrameKind::kPush:
            if (!conn.got_push) {
                conn.got_push = true;
                ep.failures = 0;
            }
            break;
        case FrameKind::kEvent:
            if (auto ev = parse_event_frame(text)) {
                control(conn, *ev);
            }
            break;
        case FrameKind::kPong:
        case FrameKind::kMalformed:
            break; // the consumer of on_frame reports malformed frames
        }
    }

    void control(Conn& conn, const WsEventFrame& ev) {
        Endpoint& ep = *conn.ep;
        if (ev.event == "subscribe") {
            const auto resub = std::find_if(
                conn.resubscribing.begin(), conn.resubscribing.end(),
                [&](const WsArg& a) { return a.channel == ev.channel && a.inst_id == ev.inst_id; });
            if (resub != conn.resubscribing.end()) {
                conn.resubscribing.erase(resub);
                return;
            }
            ++conn.acks;
            update_ready(ep);
            if (conn.acks == ep.args.size()) {
                core::Log::debug(ep.url + ": " + std::to_string(conn.acks) +
                                 " subscription(s) acknowledged");
                if (ep.active == &conn) {
                    emit(WsEvent::Kind::kSubscribed, ep, "", std::to_string(conn.acks));
                } else if (ep.next == &conn) {
                    // The replacement receives everything now: it takes over (§5.3, 64008).
                    promote(conn);
                }
            }
        } else if (ev.event == "login") {
            if (ev.code.empty() || ev.code == "0") {
                conn.logged_in = true;
                core::Log::debug(ep.url + ": logged in (connection " + std::to_string(conn.id) +
                                 ")");
                subscribe(conn);
                update_ready(ep);
            }
        } else if (ev.event == "error" && ep.login && !conn.logged_in) {
            // Before the login's ack, an error is the login's: a key, passphrase or clock that
            // retrying would not fix.
            const std::string what = ev.code + " " + std::string(trim_detail(ev.msg));
            const bool clock = ev.code == "60004" || ev.code == "60006";
            throw core::UsageError(
                "okx " + ep.url + " refused the login: " + what +
                (clock ? " (this machine's clock is off: set it by NTP)"
                       : " (check the API key, secret and passphrase, and that a demo key is "
                         "used with --mode demo and a live key with --mode live)"));
        } else if (ev.event == "error") {
            const std::string what = ev.code + " " + std::string(trim_detail(ev.msg));
            if (ws_error_action(ev.code) == WsErrorAction::kFatal) {
                throw core::UsageError(
                    "okx " + ep.url + " refused: " + what +
                    " (check --channels and --symbols, and that candle channels go to the "
                    "business URL and the others to the public URL)");
            }
            core::Log::warning(ep.url + ": okx error " + what + ": reconnecting");
            emit(WsEvent::Kind::kError, ep, "reconnect", what);
            kill(conn, "reconnect", "okx error " + what);
        } else if (ev.event == "notice") {
            if (ev.code == "64008") {
                if (conn.noticed) {
                    return;
                }
                conn.noticed = true;
                core::Log::note(ep.url + ": service upgrade notice (64008): switching to a new "
                                         "connection");
                emit(WsEvent::Kind::kNotice, ep, "notice", std::string(trim_detail(ev.msg)));
                if (ep.active == &conn && ep.next == nullptr) {
                    lws_sul_schedule(context, 0, &ep.reconnect.sul, on_reconnect_timer, 0);
                }
            } else {
                core::Log::note(ep.url + ": okx notice " + ev.code + " " +
                                std::string(trim_detail(ev.msg)));
            }
        } else if (ev.event == "channel-conn-count-error") {
            core::Log::warning(ep.url + ": okx " + ev.event + " " + ev.code + " " +
                               std::string(trim_detail(ev.msg)));
        }
        // unsubscribe, channel-conn-count, login: nothing to do for public market data
    }

    // The connection is gone (closed, failed or refused). error: it never opened.
    void closed(Conn& conn, std::string reason, bool error) {
        if (conn.state == Conn::State::kClosed) {
            return;
        }
        conn.state = Conn::State::kClosed;
        conn.wsi = nullptr;
        lws_sul_cancel(&conn.ping.sul);
        lws_sul_cancel(&conn.pong.sul);
        if (shutting_down) {
            return;
        }
        Endpoint& ep = *conn.ep;
        if (!conn.close_detail.empty()) {
            reason = conn.close_detail;
        }
        if (conn.retired) {
            return; // its end was reported when it was replaced
        }
        if (!conn.got_push) {
            ++ep.failures;
        }
        if (&conn == ep.next) {
            ep.next = nullptr;
            ep.last_error = reason;
            core::Log::warning(ep.url + ": cannot connect: " + reason);
            if (!ep.ever_connected && ep.failures > options.max_failures) {
                throw OkxError("",
                               "cannot connect after " + std::to_string(ep.failures) +
                                   " attempts: " + reason,
                               0, ep.url);
            }
            if (ep.active == nullptr) {
                schedule_connect(ep);
            }
            return;
        }
        if (&conn != ep.active) {
            return;
        }
        ep.active = nullptr;
        update_ready(ep);
        ++stats.disconnects;
        std::string cause = conn.close_cause;
        if (cause.empty()) {
            cause = conn.noticed ? "notice" : "reconnect";
        }
        if (cause == "reconnect" || error) {
            core::Log::warning(ep.url + ": connection lost: " + reason + ": reconnecting");
        }
        emit(WsEvent::Kind::kDisconnect, ep, cause, reason);
        if (ep.next == nullptr) {
            schedule_connect(ep);
        }
    }

    static int callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in,
                        std::size_t len) {
        lws_context* ctx = lws_get_context(wsi);
        auto* self = ctx != nullptr ? static_cast<Impl*>(lws_context_user(ctx)) : nullptr;
        auto* conn = static_cast<Conn*>(lws_get_opaque_user_data(wsi));
        if (self == nullptr || conn == nullptr) {
            return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
        }
        int rc = 0;
        self->guard([&] {
            switch (reason) {
            case LWS_CALLBACK_CLIENT_ESTABLISHED:
                self->established(*conn, wsi);
                break;
            case LWS_CALLBACK_CLIENT_RECEIVE:
                self->receive(*conn, wsi, static_cast<const char*>(in), len);
                break;
            case LWS_CALLBACK_CLIENT_WRITEABLE:
                rc = self->writeable(*conn, wsi);
                break;
            case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
                std::string detail = "closed by the server";
                if (len >= 2 && in != nullptr) {
                    const auto* b = static_cast<const unsigned char*>(in);
                    detail += " with code " + std::to_string((b[0] << 8) | b[1]);
                    if (len > 2) {
                        detail += " ";
                        detail.append(trim_detail(
                            std::string_view(reinterpret_cast<const char*>(b + 2), len - 2)));
                    }
                }
                if (conn->close_detail.empty()) {
                    conn->close_detail = detail;
                }
                break;
            }
            case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
                std::string why = in != nullptr && len > 0
                                      ? std::string(static_cast<const char*>(in), len)
                                  : in != nullptr ? std::string(static_cast<const char*>(in))
                                                  : std::string("connection failed");
                self->closed(*conn, why, true);
                break;
            }
            case LWS_CALLBACK_CLIENT_CLOSED:
                self->closed(*conn, "closed without a close frame", false);
                break;
            case LWS_CALLBACK_WSI_DESTROY:
                self->closed(*conn, "closed", false);
                conn->destroyed = true;
                lws_set_opaque_user_data(wsi, nullptr);
                break;
            default:
                break;
            }
        });
        return rc;
    }

    static void on_tick(lws_sorted_usec_list_t* sul) {
        auto* self = static_cast<Impl*>(timer_of(sul)->owner);
        lws_sul_schedule(self->context, 0, &self->tick.sul, on_tick, kTickUs);
    }

    // Moves the frames other threads posted to their connections; a frame whose endpoint lost
    // its connection meanwhile is dropped (post's caller times out waiting for its answer).
    void take_inbox() {
        std::deque<Posted> batch;
        {
            const std::lock_guard<std::mutex> lock(inbox_mu);
            batch.swap(inbox);
        }
        for (Posted& p : batch) {
            Endpoint& ep = *endpoints.at(p.endpoint);
            Conn* c = ep.active;
            if (c != nullptr && c->state == Conn::State::kOpen && c->close_cause.empty()) {
                queue(*c, p.text, p.tag);
            }
        }
    }

    // Frees connections libwebsockets is done with.
    void reap() {
        std::erase_if(conns, [](const std::unique_ptr<Conn>& c) {
            return c->destroyed && c->state == Conn::State::kClosed;
        });
        stats.held = conns.size();
    }
};

namespace {

void lws_to_log(int level, const char* line) {
    std::string_view text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    core::Log::debug("libwebsockets " + std::string(level == LLL_ERR ? "error" : "warning") + ": " +
                     std::string(text));
}

} // namespace

WsClient::WsClient(WsOptions options) : impl_(std::make_unique<Impl>(options)) {
    impl_->owner = this;
    if (options.ping_after_ms < 1 || options.pong_timeout_ms < 1) {
        throw core::UsageError("the ping and pong intervals must be positive");
    }
}

WsClient::~WsClient() {
    close();
}

std::size_t WsClient::add_endpoint(const std::string& url, std::vector<WsArg> args,
                                   std::optional<Credentials> login, std::int64_t clock_offset_ms) {
    auto ep = std::make_unique<Endpoint>();
    ep->index = impl_->endpoints.size();
    ep->url = url;
    ep->parts = parse_ws_url(url);
    const bool default_port = ep->parts.port == (ep->parts.tls ? 443 : 80);
    const bool v6 = ep->parts.host.find(':') != std::string::npos;
    ep->host_header = ep->parts.host;
    if (v6) {
        ep->host_header.insert(ep->host_header.begin(), '[');
        ep->host_header += ']';
    }
    if (!default_port) {
        ep->host_header += ':';
        ep->host_header += std::to_string(ep->parts.port);
    }
    ep->args = std::move(args);
    ep->ops = subscribe_ops("subscribe", ep->args);
    ep->login = std::move(login);
    ep->clock_offset_ms = clock_offset_ms;
    ep->reconnect.owner = ep.get();
    ep->impl = impl_.get();
    impl_->endpoints.push_back(std::move(ep));
    return impl_->endpoints.size() - 1;
}

const std::string& WsClient::url(std::size_t endpoint) const {
    return impl_->endpoints.at(endpoint)->url;
}

const WsClient::Stats& WsClient::stats() const {
    return impl_->stats;
}

void WsClient::stop() {
    impl_->stop = true;
    if (impl_->context != nullptr) {
        lws_cancel_service(impl_->context);
    }
}

bool WsClient::ready(std::size_t endpoint) const {
    return impl_->endpoints.at(endpoint)->ready.load(std::memory_order_acquire);
}

bool WsClient::post(std::size_t endpoint, std::string text, std::uint64_t tag) {
    Impl& s = *impl_;
    if (!ready(endpoint)) {
        return false;
    }
    {
        const std::lock_guard<std::mutex> lock(s.inbox_mu);
        s.inbox.push_back(Impl::Posted{endpoint, std::move(text), tag});
    }
    lws_cancel_service(s.context); // wakes run()'s loop, which queues it
    return true;
}

std::vector<std::pair<std::uint64_t, std::chrono::steady_clock::time_point>>
WsClient::take_written() {
    const std::lock_guard<std::mutex> lock(impl_->inbox_mu);
    return std::exchange(impl_->written, {});
}

void WsClient::resubscribe(std::size_t endpoint, const WsArg& arg) {
    Impl& s = *impl_;
    Endpoint& ep = *s.endpoints.at(endpoint);
    Conn* conn = ep.active;
    if (conn == nullptr || conn->state != Conn::State::kOpen || conn->retired ||
        !conn->close_cause.empty()) {
        return;
    }
    const std::int64_t now = Impl::steady_ms();
    if (now - conn->ops_since >= 3'600'000) {
        conn->ops_since = now;
        conn->ops = 0;
    }
    if (conn->ops + 2 > kMaxOpsPerHour) {
        core::Log::warning(ep.url + ": " + std::to_string(conn->ops) +
                           " subscribe requests within the hour (OKX allows 480): reconnecting "
                           "instead of resubscribing " +
                           arg.channel + " " + arg.inst_id);
        s.kill(*conn, "reconnect",
               "resubscribe limit: " + std::to_string(conn->ops) + " requests within the hour");
        return;
    }
    const std::vector<WsArg> one{arg};
    s.queue(*conn, subscribe_ops("unsubscribe", one).front());
    s.queue(*conn, subscribe_ops("subscribe", one).front());
    conn->ops += 2;
    conn->resubscribing.push_back(arg);
    ++s.stats.resubscribes;
    core::Log::debug(ep.url + ": resubscribing " + arg.channel + " " + arg.inst_id);
}

void WsClient::open() {
    Impl& s = *impl_;
    if (s.context != nullptr) {
        throw core::RuntimeError("WsClient is running already");
    }
    lws_set_log_level(core::Log::enabled(core::Level::kDebug) ? (LLL_ERR | LLL_WARN) : 0,
                      lws_to_log);

    static constexpr lws_protocols kProtocols[] = {
        {kProtocolName, &Impl::callback, 0, std::size_t{64} * 1024, 0, nullptr, 0},
        {nullptr, nullptr, 0, 0, 0, nullptr, 0},
    };
    lws_context_creation_info info{};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = kProtocols;
    info.user = &s;
    info.gid = -1;
    info.uid = -1;
    const auto secs = static_cast<unsigned>(
        std::max<std::int64_t>(1, (s.options.connect_timeout_ms + 999) / 1000));
    info.timeout_secs = secs;
    info.connect_timeout_secs = secs;
    bool tls = false;
    for (const auto& ep : s.endpoints) {
        tls = tls || ep->parts.tls;
    }
    if (tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    }
    s.context = lws_create_context(&info);
    if (s.context == nullptr) {
        throw core::RuntimeError("cannot start libwebsockets (out of memory or no TLS support)");
    }
    s.shutting_down = false;
    s.tick.owner = &s;
    lws_sul_schedule(s.context, 0, &s.tick.sul, Impl::on_tick, kTickUs);
    for (const auto& ep : s.endpoints) {
        s.guard([&] { s.schedule_connect(*ep); });
    }
}

bool WsClient::pump(bool wait) {
    Impl& s = *impl_;
    if (s.context == nullptr || s.stop) {
        return false;
    }
    // lws_service waits for the next event (at most the 100 ms tick) with 0, not at all with
    // a negative timeout (libwebsockets' unix service loop).
    if (lws_service(s.context, wait ? 0 : -1) < 0) {
        s.stop = true;
    }
    s.guard([&] { s.take_inbox(); });
    s.reap();
    if (s.error) {
        std::exception_ptr e = std::exchange(s.error, nullptr);
        s.stop = true;
        std::rethrow_exception(e);
    }
    return !s.stop;
}

bool WsClient::send(std::size_t endpoint, std::string_view text, std::uint64_t tag) {
    Impl& s = *impl_;
    if (s.context == nullptr || !ready(endpoint)) {
        return false;
    }
    Conn* c = s.endpoints.at(endpoint)->active;
    s.queue(*c, text, tag);
    // Written by the WRITEABLE callback of the next service pass or two (the first may only
    // see the socket's POLLOUT armed).
    for (int i = 0; i < 3 && !c->out.empty() && c->state == Conn::State::kOpen && !s.stop; ++i) {
        if (lws_service(s.context, -1) < 0) {
            s.stop = true;
        }
    }
    return true;
}

void WsClient::close() {
    Impl& s = *impl_;
    if (s.context == nullptr) {
        return;
    }
    s.shutting_down = true;
    lws_sul_cancel(&s.tick.sul);
    for (const auto& ep : s.endpoints) {
        lws_sul_cancel(&ep->reconnect.sul);
        ep->ready.store(false, std::memory_order_release);
    }
    for (const auto& c : s.conns) {
        lws_sul_cancel(&c->ping.sul);
        lws_sul_cancel(&c->pong.sul);
    }
    lws_context_destroy(s.context);
    s.context = nullptr;
    core::Log::debug("websocket: " + std::to_string(s.stats.frames) + " frames, " +
                     std::to_string(s.stats.connects) + " connects, " +
                     std::to_string(s.stats.disconnects) + " disconnects, " +
                     std::to_string(s.stats.pings) + " pings, " + std::to_string(s.conns.size()) +
                     " connection records held");
}

void WsClient::run() {
    Impl& s = *impl_;
    open();
    struct Close {
        WsClient& c;
        ~Close() { c.close(); }
    } close_at_end{*this};
    while (!s.stop && !core::interrupted()) {
        if (on_idle) {
            s.guard([&] { on_idle(wall_ms()); });
            if (s.stop) {
                break;
            }
        }
        if (lws_service(s.context, 0) < 0) {
            break;
        }
        s.guard([&] { s.take_inbox(); });
        s.reap();
    }
    if (s.error) {
        std::rethrow_exception(s.error);
    }
}

} // namespace okxkit::okx
