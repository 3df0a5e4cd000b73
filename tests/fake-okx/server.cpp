// HTTP/1.1 and WebSocket over libwebsockets 4.1: requests in, Rest answers out; WebSocket
// frames in, WsHub's queues out; one JSON log line per request and WebSocket event.
#include "server.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <libwebsockets.h>
#include <memory>
#include <nlohmann/json.hpp>

namespace okxkit::fake {

// One WebSocket connection as the transport sees it.
struct WsLink {
    lws* wsi = nullptr;
    std::string path;
    std::unique_ptr<WsConn> conn;
    std::string rx;                 // the message being received, across fragments
    std::int64_t last_recv_ms = 0;  // since the server started
    std::int64_t notice_at_ms = -1; // when the 64008 notice went out; -1: none
    bool end_logged = false;        // drop or close already logged
};

namespace {

constexpr std::size_t kMaxWsMessage = std::size_t{64} * 1024; // §5.2: larger is refused
constexpr std::int64_t kNoticeGraceMs = 1000; // the notice's close comes this much later

constexpr std::size_t kChunk = std::size_t{16} * 1024;     // body bytes per writeable callback
constexpr std::size_t kMaxBody = std::size_t{1024} * 1024; // request bodies beyond this are cut
constexpr std::size_t kMaxArgs = 64;                       // query parameters read per request
constexpr lws_usec_t kTickUs = 100 * LWS_US_PER_MS;

// One HTTP transaction on a connection: the request, then its answer on the wire.
struct Session {
    Request req;
    Response resp;
    std::string wire; // LWS_PRE bytes of headroom, then the body
    std::size_t sent = 0;
    bool answered = false;
    bool headers_sent = false;
};

// libwebsockets' per-connection memory is zeroed C memory: it holds only pointers, to the
// HTTP transaction or, after an upgrade, to the WebSocket connection.
struct PerSession {
    Session* session;
    WsLink* ws;
};

// Wakes lws_service often enough that a stop signal is seen within kTickUs.
struct Tick {
    lws_sorted_usec_list_t sul;
    lws_context* context;
};

void on_tick(lws_sorted_usec_list_t* sul) {
    auto* tick = lws_container_of(sul, Tick, sul);
    static_cast<Server*>(lws_context_user(tick->context))->poll();
    lws_sul_schedule(tick->context, 0, &tick->sul, on_tick, kTickUs);
}

Server* server_of(lws* wsi) {
    return static_cast<Server*>(lws_context_user(lws_get_context(wsi)));
}

// The path of a WebSocket upgrade request, without its query.
std::string upgrade_path(lws* wsi) {
    const int total = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);
    if (total <= 0) {
        return {};
    }
    std::string buf(static_cast<std::size_t>(total) + 1, '\0');
    const int n = lws_hdr_copy(wsi, buf.data(), static_cast<int>(buf.size()), WSI_TOKEN_GET_URI);
    buf.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
    return buf;
}

std::string method_name(int method) {
    switch (method) {
    case LWSHUMETH_GET:
        return "GET";
    case LWSHUMETH_POST:
        return "POST";
    case LWSHUMETH_OPTIONS:
        return "OPTIONS";
    case LWSHUMETH_PUT:
        return "PUT";
    case LWSHUMETH_PATCH:
        return "PATCH";
    case LWSHUMETH_DELETE:
        return "DELETE";
    case LWSHUMETH_CONNECT:
        return "CONNECT";
    case LWSHUMETH_HEAD:
        return "HEAD";
    default:
        return "?";
    }
}

// The decoded query parameters lws split at '&', as key/value pairs.
std::vector<std::pair<std::string, std::string>> query_of(lws* wsi) {
    std::vector<std::pair<std::string, std::string>> out;
    const int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
    if (total <= 0) {
        return out;
    }
    std::string buf(static_cast<std::size_t>(total) + 1, '\0');
    for (int idx = 0; static_cast<std::size_t>(idx) < kMaxArgs; ++idx) {
        const int n = lws_hdr_copy_fragment(wsi, buf.data(), static_cast<int>(buf.size()),
                                            WSI_TOKEN_HTTP_URI_ARGS, idx);
        if (n < 0) {
            break;
        }
        std::string_view arg(buf.data(), static_cast<std::size_t>(n));
        const auto eq = arg.find('=');
        if (eq == std::string_view::npos) {
            out.emplace_back(std::string(arg), std::string());
        } else {
            out.emplace_back(std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1)));
        }
    }
    return out;
}

// The headers of the private endpoints (lws keeps unknown headers as they came; OKX's are
// matched without regard to case, as HTTP wants).
Headers auth_headers_of(lws* wsi) {
    Headers out;
    for (const char* name : {"ok-access-key", "ok-access-sign", "ok-access-timestamp",
                             "ok-access-passphrase", "x-simulated-trading"}) {
        std::string wanted(name);
        wanted += ':';
        std::string upper = wanted;
        for (char& c : upper) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        for (const std::string& form : {wanted, upper}) {
            const int n = lws_hdr_custom_length(wsi, form.c_str(), static_cast<int>(form.size()));
            if (n <= 0) {
                continue;
            }
            std::string value(static_cast<std::size_t>(n) + 1, '\0');
            const int got = lws_hdr_custom_copy(wsi, value.data(), static_cast<int>(value.size()),
                                                form.c_str(), static_cast<int>(form.size()));
            value.resize(got < 0 ? 0 : static_cast<std::size_t>(got));
            out.emplace_back(name, std::move(value));
            break;
        }
    }
    return out;
}

// Methods whose request may carry a body: wait for it before answering.
bool wants_body(lws* wsi, const std::string& method) {
    if (method != "POST" && method != "PUT" && method != "PATCH") {
        return false;
    }
    char len[32] = {};
    if (lws_hdr_copy(wsi, len, sizeof len, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
        return false;
    }
    return std::strtoll(len, nullptr, 10) > 0;
}

// Decides the answer, then sends it after --fault-delay-ms (on the wsi timer, so the loop
// keeps serving other connections meanwhile).
void answer(lws* wsi, Session& s) {
    Server* server = server_of(wsi);
    s.resp = server->answer(s.req);
    s.wire.assign(LWS_PRE, '\0');
    s.wire += s.resp.body;
    s.answered = true;
    if (server->delay_ms() > 0) {
        lws_set_timer_usecs(wsi, server->delay_ms() * LWS_US_PER_MS);
    } else {
        lws_callback_on_writable(wsi);
    }
}

void drop_session(PerSession* pss) {
    if (pss != nullptr) {
        delete pss->session;
        pss->session = nullptr;
    }
}

// Writes the headers, then the body in chunks, one lws_write per writeable callback; ends
// the transaction so the connection can carry the next request (keep-alive).
int write_some(lws* wsi, PerSession* pss) {
    Session* s = pss == nullptr ? nullptr : pss->session;
    if (s == nullptr || !s->answered) {
        return 0;
    }
    const std::size_t body_size = s->wire.size() - LWS_PRE;
    if (!s->headers_sent) {
        unsigned char buf[LWS_PRE + 1024];
        unsigned char* start = buf + LWS_PRE;
        unsigned char* p = start;
        unsigned char* end = buf + sizeof buf - 1;
        if (lws_add_http_common_headers(wsi, static_cast<unsigned>(s->resp.status),
                                        "application/json", body_size, &p, end) != 0) {
            return -1;
        }
        for (const auto& [name, value] : s->resp.headers) {
            if (lws_add_http_header_by_name(wsi,
                                            reinterpret_cast<const unsigned char*>(name.c_str()),
                                            reinterpret_cast<const unsigned char*>(value.data()),
                                            static_cast<int>(value.size()), &p, end) != 0) {
                return -1;
            }
        }
        if (lws_finalize_write_http_header(wsi, start, &p, end) != 0) {
            return -1;
        }
        s->headers_sent = true;
        // A HEAD answer announces the body's length but carries none (RFC 9110 §9.3.2).
        if (body_size > 0 && s->req.method != "HEAD") {
            lws_callback_on_writable(wsi);
            return 0;
        }
    } else {
        const std::size_t n = std::min(kChunk, body_size - s->sent);
        const bool last = s->sent + n == body_size;
        // The LWS_PRE bytes before the chunk are headroom or bytes already sent.
        auto* from = reinterpret_cast<unsigned char*>(s->wire.data() + LWS_PRE + s->sent);
        if (lws_write(wsi, from, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
            static_cast<int>(n)) {
            return -1;
        }
        s->sent += n;
        if (!last) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    drop_session(pss);
    return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
}

int callback(lws* wsi, enum lws_callback_reasons reason, void* user, void* in, std::size_t len) {
    auto* pss = static_cast<PerSession*>(user);
    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        drop_session(pss);
        pss->session = new Session;
        Session& s = *pss->session;
        s.req.t_ms = server_of(wsi)->since_start_ms();
        s.req.mono_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
        char* uri = nullptr;
        int uri_len = 0;
        s.req.method = method_name(lws_http_get_uri_and_method(wsi, &uri, &uri_len));
        s.req.path = in != nullptr ? std::string(static_cast<const char*>(in))
                                   : std::string(uri, static_cast<std::size_t>(uri_len));
        s.req.query = query_of(wsi);
        s.req.headers = auth_headers_of(wsi);
        if (!wants_body(wsi, s.req.method)) {
            answer(wsi, s);
        }
        return 0;
    }
    case LWS_CALLBACK_HTTP_BODY:
        if (pss != nullptr && pss->session != nullptr) {
            std::string& body = pss->session->req.body;
            body.append(static_cast<const char*>(in), std::min(len, kMaxBody - body.size()));
        }
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (pss != nullptr && pss->session != nullptr && !pss->session->answered) {
            answer(wsi, *pss->session);
        }
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        // Only the OKX WebSocket paths upgrade; anything else is refused with HTTP 404.
        const std::string path = upgrade_path(wsi);
        if (!ws_endpoint(path)) {
            server_of(wsi)->ws_refuse(path);
            lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, nullptr);
            return -1;
        }
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED:
        pss->ws = server_of(wsi)->ws_open(wsi, upgrade_path(wsi));
        return pss->ws == nullptr ? -1 : 0;
    case LWS_CALLBACK_RECEIVE:
        if (pss != nullptr && pss->ws != nullptr) {
            WsLink& link = *pss->ws;
            link.rx.append(static_cast<const char*>(in), len);
            if (link.rx.size() > kMaxWsMessage) {
                lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, nullptr, 0);
                return -1;
            }
            if (lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0) {
                std::string text;
                text.swap(link.rx);
                server_of(wsi)->ws_receive(link, text);
            }
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return pss != nullptr && pss->ws != nullptr ? server_of(wsi)->ws_writeable(*pss->ws) : 0;
    case LWS_CALLBACK_CLOSED:
        if (pss != nullptr && pss->ws != nullptr) {
            server_of(wsi)->ws_closed(pss->ws);
            pss->ws = nullptr;
        }
        return 0;
    case LWS_CALLBACK_TIMER:
        if (pss != nullptr && pss->ws != nullptr) {
            server_of(wsi)->ws_timer(*pss->ws);
        } else {
            lws_callback_on_writable(wsi);
        }
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return write_some(wsi, pss);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        drop_session(pss);
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

// protocols[0] gets plain HTTP and, once added, WebSocket upgrades without a subprotocol.
const lws_protocols kProtocols[] = {
    {"fake-okx-http", callback, sizeof(PerSession), 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

void on_clock(lws_sorted_usec_list_t* sul) {
    lws_container_of(sul, ClockTimer, sul)->server->clock_tick();
}

void lws_log(int level, const char* line) {
    std::string_view text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    const std::string msg = "lws: " + std::string(text);
    core::Log::emit(level == LLL_ERR ? core::Level::kWarning : core::Level::kNote, msg);
}

} // namespace

Server::Server(Rest& rest, WsHub& hub, ServerOptions options)
    : rest_(rest), hub_(hub), options_(std::move(options)),
      start_(std::chrono::steady_clock::now()) {
    if (!options_.log_file.empty()) {
        log_ = std::fopen(options_.log_file.c_str(), "a");
        if (log_ == nullptr) {
            throw core::RuntimeError("--log " + options_.log_file + ": " + core::errno_text(errno));
        }
    }
}

Server::~Server() {
    if (log_ != nullptr) {
        std::fclose(log_);
    }
}

std::int64_t Server::since_start_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start_)
        .count();
}

Response Server::answer(const Request& req) {
    Response resp = rest_.handle(req);
    log_request(req, resp);
    send_order_pushes();
    return resp;
}

// The order changes of the last request, op or clock step, to the private connections.
void Server::send_order_pushes() {
    std::vector<WsConn*> conns;
    conns.reserve(links_.size());
    for (WsLink* link : links_) {
        conns.push_back(link->conn.get());
    }
    hub_.order_pushes(conns);
    for (WsLink* link : links_) {
        if (!link->conn->out.empty()) {
            lws_callback_on_writable(link->wsi);
        }
    }
}

void Server::poll() {
    if (rest_.wall_clock()) {
        rest_.advance_trading();
        send_order_pushes();
    }
}

void Server::log_request(const Request& req, const Response& resp) {
    if (log_ == nullptr) {
        return;
    }
    nlohmann::ordered_json line;
    line["t_ms"] = req.t_ms;
    line["method"] = req.method;
    line["path"] = req.path;
    line["query"] = req.query_text();
    line["status"] = resp.status;
    line["code"] = resp.code;
    line["mono_us"] = req.mono_us;
    log_line(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Server::log_ws(const WsLink& link, std::string_view event, std::string_view frame, int code) {
    if (log_ == nullptr) {
        return;
    }
    nlohmann::ordered_json line;
    line["t_ms"] = since_start_ms();
    line["ws"] = link.path;
    line["event"] = event;
    line["connId"] = link.conn ? link.conn->conn_id : std::string();
    if (event == "recv" || event == "notice") {
        line["frame"] = frame;
    }
    if (event == "close") {
        line["code"] = code;
        line["by"] = frame;
    }
    log_line(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Server::log_op(const WsLink& link, const WsOpEvent& op) {
    if (log_ == nullptr) {
        return;
    }
    nlohmann::ordered_json line;
    line["t_ms"] = since_start_ms();
    line["ws"] = link.path;
    line["event"] = op.op;
    line["connId"] = link.conn->conn_id;
    line["channel"] = op.channel;
    line["instId"] = op.inst_id;
    line["n"] = op.n;
    log_line(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// A WebSocket trading op, in the format of a request's line: method "WS", path the op.
void Server::log_trade(const WsLink& link, const WsTradeOp& op, std::int64_t t_ms,
                       std::int64_t mono_us) {
    if (log_ == nullptr) {
        return;
    }
    nlohmann::ordered_json line;
    line["t_ms"] = t_ms;
    line["method"] = "WS";
    line["path"] = op.op;
    line["query"] = "id=" + op.id + "&connId=" + link.conn->conn_id;
    line["status"] = op.status;
    line["code"] = op.code;
    line["mono_us"] = mono_us;
    log_line(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Server::log_line(const std::string& text) {
    std::fputs(text.c_str(), log_);
    std::fputc('\n', log_);
    std::fflush(log_);
}

void Server::ws_refuse(std::string_view path) {
    WsLink link;
    link.path = path;
    log_ws(link, "refuse", "", 0);
}

WsLink* Server::ws_open(lws* wsi, const std::string& path) {
    const auto endpoint = ws_endpoint(path);
    if (!endpoint) {
        return nullptr;
    }
    const bool first = !hub_.started();
    auto link = std::make_unique<WsLink>();
    link->wsi = wsi;
    link->path = path;
    link->conn = hub_.open(*endpoint);
    link->last_recv_ms = since_start_ms();
    log_ws(*link, "connect", "", 0);
    arm_timer(*link);
    links_.push_back(link.get());
    if (first && *endpoint != WsEndpoint::kPrivate && hub_.options().start_subs == 0) {
        start_clock();
    }
    return link.release();
}

void Server::ws_receive(WsLink& link, std::string_view text) {
    link.last_recv_ms = since_start_ms();
    const std::int64_t mono_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count();
    log_ws(link, "recv", WsHub::loggable(text), 0);
    hub_.receive(*link.conn, text, link.last_recv_ms);
    for (const WsOpEvent& op : link.conn->ops) {
        log_op(link, op);
    }
    link.conn->ops.clear();
    for (const WsTradeOp& op : link.conn->trades) {
        log_trade(link, op, link.last_recv_ms, mono_us);
    }
    link.conn->trades.clear();
    send_order_pushes();
    if (!clock_running_ && hub_.options().start_subs > 0) {
        std::uint64_t live = 0;
        for (const WsLink* l : links_) {
            if (l->conn->endpoint != WsEndpoint::kPrivate) {
                live += l->conn->subs.size();
            }
        }
        if (live >= hub_.options().start_subs) {
            start_clock();
        }
    }
    arm_timer(link);
    if (!link.conn->out.empty()) {
        lws_callback_on_writable(link.wsi);
    }
}

// One queued item per call: a text frame, or the end of the connection.
int Server::ws_writeable(WsLink& link) {
    auto& out = link.conn->out;
    if (out.empty()) {
        return 0;
    }
    WsOut item = std::move(out.front());
    out.pop_front();
    switch (item.kind) {
    case WsOut::Kind::kDrop:
        // No close frame: lws closes the socket without one for a plain -1.
        log_ws(link, "drop", "", 0);
        link.end_logged = true;
        return -1;
    case WsOut::Kind::kClose:
        log_ws(link, "close", "server", item.code);
        link.end_logged = true;
        lws_close_reason(link.wsi, static_cast<lws_close_status>(item.code),
                         reinterpret_cast<unsigned char*>(item.text.data()), item.text.size());
        return -1;
    case WsOut::Kind::kText:
        break;
    }
    std::string wire(LWS_PRE, '\0');
    wire += item.text;
    auto* from = reinterpret_cast<unsigned char*>(wire.data() + LWS_PRE);
    if (lws_write(link.wsi, from, item.text.size(), LWS_WRITE_TEXT) <
        static_cast<int>(item.text.size())) {
        return -1;
    }
    if (item.notice) {
        log_ws(link, "notice", item.text, 0);
        link.notice_at_ms = since_start_ms();
        arm_timer(link);
    }
    if (!out.empty()) {
        lws_callback_on_writable(link.wsi);
    }
    return 0;
}

// The wsi timer serves two deadlines: the idle close and the close after a notice.
void Server::arm_timer(WsLink& link) const {
    std::int64_t due = link.last_recv_ms + hub_.options().idle_ms;
    if (link.notice_at_ms >= 0) {
        due = std::min(due, link.notice_at_ms + kNoticeGraceMs);
    }
    const std::int64_t wait = std::max<std::int64_t>(1, due - since_start_ms());
    lws_set_timer_usecs(link.wsi, wait * LWS_US_PER_MS);
}

void Server::ws_timer(WsLink& link) {
    const std::int64_t now = since_start_ms();
    if (link.notice_at_ms >= 0 && now >= link.notice_at_ms + kNoticeGraceMs) {
        WsHub::notice_close(*link.conn);
    }
    if (now >= link.last_recv_ms + hub_.options().idle_ms) {
        WsHub::idle_close(*link.conn);
    }
    if (!link.conn->out.empty()) {
        lws_callback_on_writable(link.wsi);
    } else if (!link.conn->ended) {
        arm_timer(link);
    }
}

void Server::ws_closed(WsLink* link) {
    if (!link->end_logged && !stopping_) {
        log_ws(*link, "close", "client", 0);
    }
    std::erase(links_, link);
    delete link;
}

void Server::start_clock() {
    if (clock_running_ || hub_.options().interval_ms <= 0) {
        return;
    }
    clock_running_ = true;
    clock_start_ms_ = since_start_ms();
    schedule_clock();
}

void Server::schedule_clock() {
    const std::int64_t interval = hub_.options().interval_ms;
    const std::int64_t due = clock_start_ms_ + (clock_ticks_ + 1) * interval;
    const std::int64_t wait = std::max<std::int64_t>(0, due - since_start_ms());
    clock_timer_.server = this;
    lws_sul_schedule(context_, 0, &clock_timer_.sul, on_clock, wait * LWS_US_PER_MS);
}

void Server::clock_tick() {
    ++clock_ticks_;
    std::vector<WsConn*> conns;
    conns.reserve(links_.size());
    for (WsLink* link : links_) {
        conns.push_back(link->conn.get());
    }
    hub_.tick(conns);
    rest_.advance_trading(); // the fills of the bars the step passed, pushed now
    send_order_pushes();     // also wakes every connection that has something queued
    schedule_clock();
}

void Server::write_port_file(int port) const {
    if (options_.port_file.empty()) {
        return;
    }
    const std::string tmp = options_.port_file + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr) {
        throw core::RuntimeError("--port-file " + tmp + ": " + core::errno_text(errno));
    }
    const bool written = std::fprintf(f, "%d\n", port) > 0;
    if (std::fclose(f) != 0 || !written) {
        throw core::RuntimeError("--port-file " + tmp + ": cannot write");
    }
    if (std::rename(tmp.c_str(), options_.port_file.c_str()) != 0) {
        throw core::RuntimeError("--port-file " + options_.port_file + ": " +
                                 core::errno_text(errno));
    }
}

int Server::run() {
    lws_set_log_level(LLL_ERR | options_.lws_log_level, lws_log);

    lws_context_creation_info info{};
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
    info.user = this;
    lws_context* context = lws_create_context(&info);
    if (context == nullptr) {
        throw core::RuntimeError("cannot create the libwebsockets context");
    }
    context_ = context;
    struct ContextGuard {
        lws_context* c;
        ~ContextGuard() { lws_context_destroy(c); }
    } guard{context};

    lws_context_creation_info vinfo{};
    vinfo.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    vinfo.vhost_name = "fake-okx";
    vinfo.iface = "127.0.0.1";
    vinfo.port = options_.port;
    vinfo.protocols = kProtocols;
    vinfo.keepalive_timeout = 30;
    vinfo.server_string = "fake-okx";
    lws_vhost* vhost = lws_create_vhost(context, &vinfo);
    if (vhost == nullptr) {
        throw core::RuntimeError("cannot listen on 127.0.0.1:" + std::to_string(options_.port) +
                                 " (is the port in use?)");
    }
    const int port = lws_get_vhost_listen_port(vhost);
    write_port_file(port);
    core::Log::note("listening on http://127.0.0.1:" + std::to_string(port));

    Tick tick{};
    tick.context = context;
    lws_sul_schedule(context, 0, &tick.sul, on_tick, kTickUs);
    while (!core::interrupted()) {
        if (lws_service(context, 0) < 0) {
            break;
        }
    }
    lws_sul_cancel(&tick.sul);
    lws_sul_cancel(&clock_timer_.sul);
    stopping_ = true;
    core::Log::note("stopping on signal " + std::to_string(core::pending_signal()));
    return 0;
}

} // namespace okxkit::fake
