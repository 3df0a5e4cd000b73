// WebSocket protocol of the fake OKX server: §5.3 messages, §5.4 candle/tickers/trades pushes.
#include "ws.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace okxkit::fake {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kHkMs = std::int64_t{8} * 3'600'000;
constexpr std::size_t kGarbageFields = 5; // a malformed push keeps this many fields per row

constexpr std::string_view kCandlePrefix = "candle";
constexpr std::string_view kNotice =
    "The connection will soon be closed for a service upgrade. Please reconnect.";

std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// An event frame: {"id"?, "event", ...fields, "connId"}.
Json event_frame(const std::string& id, std::string_view event) {
    Json j;
    if (!id.empty()) {
        j["id"] = id;
    }
    j["event"] = event;
    return j;
}

std::string error_frame(const WsConn& conn, const std::string& id, std::string_view code,
                        const std::string& msg) {
    Json j = event_frame(id, "error");
    j["code"] = code;
    j["msg"] = msg;
    j["connId"] = conn.conn_id;
    return dump(j);
}

Json push_arg(const WsSub& sub) {
    Json arg;
    arg["channel"] = sub.channel;
    arg["instId"] = sub.inst_id;
    return arg;
}

// The push text with every data row cut to its first kGarbageFields fields.
std::string truncated_rows(const std::string& text) {
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.contains("data") || !j["data"].is_array()) {
        return text.substr(0, text.size() / 2);
    }
    for (Json& row : j["data"]) {
        if (row.is_array() && row.size() > kGarbageFields) {
            row.erase(row.begin() + static_cast<std::ptrdiff_t>(kGarbageFields), row.end());
        } else if (row.is_object()) {
            Json cut = Json::object();
            for (auto it = row.begin(); it != row.end() && cut.size() < kGarbageFields; ++it) {
                cut[it.key()] = it.value();
            }
            row = std::move(cut);
        }
    }
    return dump(j);
}

// The arg's validated subscription, or nullopt when the channel is not served on endpoint
// or the instrument does not exist (60018).
std::optional<WsSub> parse_sub(const MarketData& data, WsEndpoint endpoint,
                               const std::string& channel, const std::string& inst_id,
                               const std::string& inst_type) {
    WsSub sub{channel, inst_id, inst_type, std::nullopt};
    if (endpoint == WsEndpoint::kPrivate) {
        if (channel == "account" && inst_id.empty() && inst_type.empty()) {
            return sub; // the whole account (a ccy would narrow it; not served)
        }
        // orders (§5.5): its instType is required, an instId narrows it.
        static constexpr std::array<std::string_view, 6> kTypes{"SPOT",    "MARGIN", "SWAP",
                                                                "FUTURES", "OPTION", "ANY"};
        if (channel != "orders" ||
            std::find(kTypes.begin(), kTypes.end(), inst_type) == kTypes.end()) {
            return std::nullopt;
        }
        if (!inst_id.empty() && data.instrument(inst_id) == nullptr) {
            return std::nullopt;
        }
        return sub;
    }
    sub.inst_type.clear();
    if (endpoint == WsEndpoint::kBusiness) {
        if (std::string_view(channel).substr(0, kCandlePrefix.size()) != kCandlePrefix) {
            return std::nullopt;
        }
        sub.bar = find_okx_bar(std::string_view(channel).substr(kCandlePrefix.size()));
        if (!sub.bar) {
            return std::nullopt;
        }
    } else if (channel != "tickers" && channel != "trades" && channel != "books") {
        return std::nullopt;
    }
    if (data.instrument(inst_id) == nullptr) {
        return std::nullopt;
    }
    return sub;
}

std::string string_field(const Json& obj, const char* key) {
    const auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// OKX's op id: 1 to 32 letters and digits (§5.3).
bool op_id_ok(const std::string& id) {
    return !id.empty() && id.size() <= 32 && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0;
    });
}

} // namespace

std::optional<WsEndpoint> ws_endpoint(std::string_view path) {
    if (path == "/ws/v5/public") {
        return WsEndpoint::kPublic;
    }
    if (path == "/ws/v5/business") {
        return WsEndpoint::kBusiness;
    }
    if (path == "/ws/v5/private") {
        return WsEndpoint::kPrivate;
    }
    return std::nullopt;
}

WsHub::WsHub(const MarketData& data, Rest& rest, WsOptions options)
    : data_(data), rest_(rest), options_(options) {}

std::unique_ptr<WsConn> WsHub::open(WsEndpoint endpoint) {
    // The market clock is market data's: a private connection does not start it.
    if (!started_ && endpoint != WsEndpoint::kPrivate) {
        started_ = true;
        clock_ = rest_.now_ms();
        rest_.set_now_ms(clock_);
    }
    auto conn = std::make_unique<WsConn>();
    conn->endpoint = endpoint;
    // Distinct, stable ids: a multiplicative hash of the connection's number.
    const auto mixed = static_cast<std::uint32_t>((++connections_) * 2654435761U);
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(mixed));
    conn->conn_id = hex;
    return conn;
}

void WsHub::receive(WsConn& conn, std::string_view text, std::int64_t t_ms) {
    if (conn.ended || conn.stalled) {
        return;
    }
    if (text == "ping") {
        if (!options_.no_pong) {
            conn.out.push_back(WsOut{WsOut::Kind::kText, "pong", 0, false});
        }
        return;
    }
    const std::string invalid = "Invalid request: " + std::string(text);
    const Json req = Json::parse(text, nullptr, false);
    std::string id;
    if (!req.is_discarded() && req.is_object() && req.contains("id") && req["id"].is_string()) {
        id = req["id"].get<std::string>();
    }
    if (conn.endpoint == WsEndpoint::kPrivate && !req.is_discarded() && req.is_object() &&
        req.contains("op") && req["op"].is_string()) {
        const std::string op = req["op"].get<std::string>();
        if (op == "login" || op == "order" || op == "cancel-order" ||
            ((op == "subscribe" || op == "unsubscribe") && !conn.logged_in)) {
            receive_private(conn, id, op, req, t_ms);
            return;
        }
    }
    const bool valid =
        !req.is_discarded() && req.is_object() && req.contains("op") && req["op"].is_string() &&
        req.contains("args") && req["args"].is_array() && !req["args"].empty() &&
        std::all_of(req["args"].begin(), req["args"].end(), [](const Json& a) {
            return a.is_object() && a.contains("channel") && a["channel"].is_string();
        });
    const std::string op = valid ? req["op"].get<std::string>() : std::string();
    if (!valid || (op != "subscribe" && op != "unsubscribe")) {
        conn.out.push_back(
            WsOut{WsOut::Kind::kText, error_frame(conn, id, "60012", invalid), 0, false});
        return;
    }
    for (const Json& arg : req["args"]) {
        const std::string channel = arg["channel"].get<std::string>();
        const std::string inst_id = string_field(arg, "instId");
        const std::string inst_type = string_field(arg, "instType");
        auto sub = parse_sub(data_, conn.endpoint, channel, inst_id, inst_type);
        if (sub && channel == "account" && arg.contains("ccy")) {
            sub.reset(); // the account of one currency: not served
        }
        if (!sub) {
            std::string msg = "Wrong URL or channel:";
            msg += channel;
            if (conn.endpoint == WsEndpoint::kPrivate) {
                msg += ",instType:";
                msg += inst_type;
            }
            msg += ",instId:";
            msg += inst_id;
            msg += " doesn't exist. Please use the correct URL, channel and parameters "
                   "referring to API document.";
            conn.out.push_back(
                WsOut{WsOut::Kind::kText, error_frame(conn, id, "60018", msg), 0, false});
            continue;
        }
        Json ack = event_frame(id, op);
        ack["arg"] = arg;
        ack["connId"] = conn.conn_id;
        conn.out.push_back(WsOut{WsOut::Kind::kText, dump(ack), 0, false});
        std::string key = op;
        key += ' ';
        key += channel;
        key += ' ';
        key += inst_id;
        const std::uint64_t n = ++op_counts_[key];
        conn.ops.push_back(WsOpEvent{op, channel, inst_id, n});
        auto same = [&](const WsSub& s) {
            return s.channel == sub->channel && s.inst_id == sub->inst_id &&
                   s.inst_type == sub->inst_type;
        };
        if (op == "unsubscribe") {
            std::erase_if(conn.subs, same);
        } else if (std::none_of(conn.subs.begin(), conn.subs.end(), same)) {
            conn.subs.push_back(*sub);
            subscribe(conn, id, conn.subs.back());
        }
    }
}

// login, and the ops that need one, on /ws/v5/private (§5.3, §5.5).
void WsHub::receive_private(WsConn& conn, const std::string& id, const std::string& op,
                            const Json& req, std::int64_t t_ms) {
    if (op == "login") {
        login(conn, id, req);
    } else if (op == "order" || op == "cancel-order") {
        trade(conn, op, req, t_ms);
    } else {
        conn.out.push_back(
            WsOut{WsOut::Kind::kText, error_frame(conn, id, "60011", "Please log in"), 0, false});
    }
}

void WsHub::login(WsConn& conn, const std::string& id, const Json& req) {
    if (conn.logged_in) {
        conn.out.push_back(WsOut{WsOut::Kind::kText,
                                 error_frame(conn, id, "60031", "Repeated login is not allowed"), 0,
                                 false});
        return;
    }
    const bool one_arg = req.contains("args") && req["args"].is_array() &&
                         req["args"].size() == 1 && req["args"][0].is_object();
    std::optional<AuthFailure> failure;
    if (!one_arg) {
        failure = AuthFailure{"60009", "Login failed."};
    } else {
        const Json& arg = req["args"][0];
        failure = check_ws_login(rest_.auth(), string_field(arg, "apiKey"),
                                 string_field(arg, "passphrase"), string_field(arg, "timestamp"),
                                 string_field(arg, "sign"), rest_.now_ms());
    }
    if (failure) {
        // A failed login is fatal: the error, then close 4001 (§5.2).
        conn.out.push_back(WsOut{WsOut::Kind::kText,
                                 error_frame(conn, id, failure->code, failure->msg), 0, false});
        conn.out.push_back(WsOut{WsOut::Kind::kClose, "Login failed.", 4001, false});
        conn.ended = true;
        return;
    }
    conn.logged_in = true;
    Json ack = event_frame(id, "login");
    ack["code"] = "0";
    ack["msg"] = "";
    ack["connId"] = conn.conn_id;
    conn.out.push_back(WsOut{WsOut::Kind::kText, dump(ack), 0, false});
}

// An order op, answered as OKX answers it (§5.5 "WS trading ops"): through Rest::trade_op,
// the REST endpoint's own code, so the checks, codes and rate limit are the same.
void WsHub::trade(WsConn& conn, const std::string& op, const Json& req, std::int64_t t_ms) {
    const std::string id =
        req.contains("id") && req["id"].is_string() ? req["id"].get<std::string>() : std::string();
    const std::string now_us = std::to_string(rest_.now_ms() * 1000);
    const auto answer = [&](Json data, const std::string& code, const std::string& msg) {
        Json j;
        j["id"] = id;
        j["op"] = op;
        j["data"] = std::move(data);
        j["code"] = code;
        j["msg"] = msg;
        j["inTime"] = now_us;
        j["outTime"] = now_us;
        conn.out.push_back(WsOut{WsOut::Kind::kText, dump(j), 0, false});
    };
    if (!conn.logged_in) {
        conn.trades.push_back(WsTradeOp{op, id, 200, "60011"});
        answer(Json::array(), "60011", "Please log in");
        return;
    }
    const bool one_arg = req.contains("args") && req["args"].is_array() &&
                         req["args"].size() == 1 && req["args"][0].is_object();
    if (!op_id_ok(id) || !one_arg) {
        conn.trades.push_back(WsTradeOp{op, id, 200, "60013"});
        answer(Json::array(), "60013", "Invalid args");
        return;
    }
    const Json& arg = req["args"][0];
    const Response r = rest_.trade_op(op == "order", dump(arg), t_ms);
    conn.trades.push_back(WsTradeOp{op, id, r.status, r.code});
    if (op == "order" && r.code == "0" && options_.drop_order_every != 0 &&
        ++ws_places_ % options_.drop_order_every == 0) {
        // Placed, and the answer never comes: the connection drops mid-order.
        conn.out.push_back(WsOut{WsOut::Kind::kDrop, "", 0, false});
        conn.ended = true;
        return;
    }
    const Json body = Json::parse(r.body, nullptr, false);
    const std::string msg = body.is_object() ? string_field(body, "msg") : std::string();
    if (body.is_object() && body.contains("data") && body["data"].is_array() &&
        !body["data"].empty()) {
        answer(body["data"], string_field(body, "code"), msg);
        return;
    }
    // An answer of the whole request (the rate limit's 50011): the item carries its code.
    Json item;
    item["clOrdId"] = string_field(arg, "clOrdId");
    item["ordId"] = string_field(arg, "ordId");
    item["tag"] = "";
    item["ts"] = std::to_string(rest_.now_ms());
    item["sCode"] = r.code;
    item["sMsg"] = msg;
    answer(Json::array({item}), "1", msg);
}

void WsHub::order_pushes(const std::vector<WsConn*>& conns) {
    const std::vector<OrderPush> changes = rest_.take_order_pushes();
    for (const OrderPush& change : changes) {
        for (WsConn* conn : conns) {
            if (conn->endpoint != WsEndpoint::kPrivate || !conn->logged_in) {
                continue;
            }
            for (std::size_t i = 0; i < conn->subs.size(); ++i) {
                const WsSub& sub = conn->subs[i];
                if (sub.channel != "orders" ||
                    (sub.inst_type != "SPOT" && sub.inst_type != "ANY") ||
                    (!sub.inst_id.empty() && sub.inst_id != change.inst_id)) {
                    continue;
                }
                Json arg;
                arg["channel"] = "orders";
                arg["instType"] = sub.inst_type;
                if (!sub.inst_id.empty()) {
                    arg["instId"] = sub.inst_id;
                }
                arg["uid"] = kFakeUid;
                std::string text = R"({"arg":)";
                text += dump(arg);
                text += R"(,"data":[)";
                text += change.row;
                text += "]}";
                push(*conn, text);
            }
        }
    }
    if (changes.empty()) {
        return;
    }
    for (WsConn* conn : conns) {
        if (conn->endpoint == WsEndpoint::kPrivate && conn->logged_in &&
            std::any_of(conn->subs.begin(), conn->subs.end(),
                        [](const WsSub& s) { return s.channel == "account"; })) {
            push_account(*conn, "event_update");
        }
    }
}

std::string WsHub::loggable(std::string_view text) {
    if (text.find("login") == std::string_view::npos) {
        return std::string(text);
    }
    Json j = Json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("args") || !j["args"].is_array()) {
        return std::string(text);
    }
    for (Json& arg : j["args"]) {
        if (!arg.is_object()) {
            continue;
        }
        for (const char* key : {"apiKey", "passphrase", "sign"}) {
            if (arg.contains(key)) {
                arg[key] = "***";
            }
        }
    }
    return dump(j);
}

// The first push after a subscribe: the forming candle, the current ticker, or the book's
// snapshot.
void WsHub::subscribe(WsConn& conn, const std::string& /*id*/, WsSub& sub) {
    if (sub.bar) {
        const Series* series = data_.series(sub.inst_id, sub.bar->name);
        if (series != nullptr) {
            if (const Candle* c = forming_candle(*series, clock_); c != nullptr) {
                push_candle(conn, sub, *c, false);
            }
        }
    } else if (sub.channel == "tickers") {
        if (auto data = ticker_data(sub.inst_id)) {
            push(conn, "{\"arg\":" + dump(push_arg(sub)) + ",\"data\":[" + *data + "]}");
        }
    } else if (sub.channel == "books") {
        push_book(conn, sub, clock_);
    } else if (sub.channel == "account") {
        push_account(conn, "snapshot");
    }
}

// The account channel: the balance row as it stands, after a subscribe (snapshot) and after
// every change of the orders (event_update), following their orders pushes.
void WsHub::push_account(WsConn& conn, std::string_view event_type) {
    std::string text = R"({"arg":{"channel":"account","uid":")";
    text += kFakeUid;
    text += R"("},"eventType":")";
    text += event_type;
    text += R"(","data":[)";
    text += rest_.account_row();
    text += "]}";
    push(conn, text);
}

void WsHub::tick(const std::vector<WsConn*>& conns) {
    const std::int64_t prev = clock_;
    clock_ += kWsStepMs;
    rest_.set_now_ms(clock_);
    tick_tickers_.clear();
    tick_trades_.clear();
    for (WsConn* conn : conns) {
        if (conn->ended) {
            continue;
        }
        if (conn->notice_pending) {
            notice_close(*conn);
            continue;
        }
        // By index: a push may not change the subscriptions, but keep clear of iterators.
        for (std::size_t i = 0; i < conn->subs.size(); ++i) {
            push_tick(*conn, conn->subs[i], prev);
        }
    }
}

void WsHub::idle_close(WsConn& conn) {
    if (conn.ended) {
        return;
    }
    conn.out.push_back(WsOut{WsOut::Kind::kClose, "No data received in 30s", 4004, false});
    conn.ended = true;
}

void WsHub::notice_close(WsConn& conn) {
    if (conn.ended || !conn.notice_pending) {
        return;
    }
    conn.out.push_back(WsOut{WsOut::Kind::kClose, "service upgrade", 1001, false});
    conn.ended = true;
}

// The pushes of one subscription for the clock step (prev, clock_].
void WsHub::push_tick(WsConn& conn, WsSub& sub, std::int64_t prev) {
    if (sub.channel == "orders" || sub.channel == "account") {
        return; // pushed on order changes (order_pushes), not on the clock
    }
    if (sub.channel == "books") {
        push_book(conn, sub, prev);
        return;
    }
    if (sub.bar) {
        const Series* series = data_.series(sub.inst_id, sub.bar->name);
        if (series == nullptr) {
            return;
        }
        // Bars that closed in this step, oldest first; a bar missing from the CSV is an
        // outage and is not pushed. A bar ends at most 92 days after it opens.
        const std::int64_t oldest = sub.bar->ms > 0 ? prev - sub.bar->ms : prev - 93 * kDayMs;
        auto it = std::upper_bound(series->rows.begin(), series->rows.end(), oldest,
                                   [](std::int64_t t, const Candle& c) { return t < c.ts; });
        for (; it != series->rows.end() && it->ts <= clock_; ++it) {
            const std::int64_t end = bar_end(series->bar, it->ts);
            if (end > prev && end <= clock_) {
                push_candle(conn, sub, *it, true);
            }
        }
        // Then the bar that opened in this step, still forming.
        if (const Candle* c = forming_candle(*series, clock_); c != nullptr && c->ts > prev) {
            push_candle(conn, sub, *c, false);
        }
        return;
    }
    const bool tickers = sub.channel == "tickers";
    const auto data = tickers ? ticker_data(sub.inst_id) : trade_data(sub.inst_id);
    if (data) {
        push(conn, "{\"arg\":" + dump(push_arg(sub)) + ",\"data\":[" + *data + "]}");
    }
}

void WsHub::push_candle(WsConn& conn, const WsSub& sub, const Candle& c, bool confirmed) {
    if (conn.ended || conn.notice_pending) {
        return;
    }
    if (confirmed) {
        ++conn.confirmed;
        if (options_.skip_every != 0 && conn.confirmed % options_.skip_every == 0) {
            return;
        }
    }
    Json j;
    j["arg"] = push_arg(sub);
    j["data"] =
        Json::array({Json::array({std::to_string(c.ts), c.open, c.high, c.low, c.close, c.vol,
                                  c.vol_quote, c.vol_quote, confirmed ? "1" : "0"})});
    push(conn, dump(j));
}

const std::optional<FakeBook>& WsHub::book(const std::string& inst_id, std::int64_t clock) {
    auto& cache = books_[inst_id];
    if (auto it = cache.find(clock); it != cache.end()) {
        return it->second;
    }
    // Keep one earlier clock: the oldest goes, never the latest.
    while (cache.size() >= 2) {
        cache.erase(cache.begin());
    }
    return cache.emplace(clock, book_at(data_, inst_id, clock)).first->second;
}

// The books push of sub at the clock: the snapshot when none went out on this connection
// yet (prevSeqId -1), else the update from the book at prev, with the books faults.
void WsHub::push_book(WsConn& conn, WsSub& sub, std::int64_t prev) {
    if (conn.ended || conn.notice_pending || conn.stalled) {
        return;
    }
    // The entry of clock_ outlives the lookup of the earlier prev (see book()).
    const std::optional<FakeBook>& now = book(sub.inst_id, clock_);
    if (!now) {
        return; // no bar yet: no book
    }
    std::int32_t checksum = options_.checksum_zero ? 0 : fake_book_checksum(*now);
    std::string text = R"({"arg":)";
    text += dump(push_arg(sub));
    std::int64_t prev_seq = -1;
    if (!sub.snapshot_sent) {
        sub.snapshot_sent = true;
        text += R"(,"action":"snapshot","data":[{"asks":)";
        text += book_levels_json(now->asks);
        text += R"(,"bids":)";
        text += book_levels_json(now->bids);
    } else {
        static const FakeBook no_book;
        const std::optional<FakeBook>& before = book(sub.inst_id, prev);
        const std::uint64_t n = ++conn.book_updates;
        auto every = [n](std::uint64_t k) { return k != 0 && n % k == 0; };
        if (every(options_.seq_gap_every)) {
            return; // lost: the next update's prevSeqId names a seqId never sent
        }
        if (every(options_.bad_checksum_every)) {
            checksum ^= 0x5A5A5A5A;
            checksum = checksum == 0 ? 1 : checksum;
        }
        std::vector<BookLevel> bids;
        std::vector<BookLevel> asks;
        book_diff(before ? *before : no_book, *now, bids, asks);
        prev_seq = book_seq_id(sub.inst_id, prev);
        text += R"(,"action":"update","data":[{"asks":)";
        text += book_levels_json(asks);
        text += R"(,"bids":)";
        text += book_levels_json(bids);
    }
    text += R"(,"ts":")";
    text += std::to_string(now->ts);
    text += R"(","checksum":)";
    text += std::to_string(checksum);
    text += R"(,"prevSeqId":)";
    text += std::to_string(prev_seq);
    text += R"(,"seqId":)";
    text += std::to_string(now->seq_id);
    text += "}]}";
    push(conn, text);
}

// Queues one data message with the faults that count pushes.
void WsHub::push(WsConn& conn, const std::string& text) {
    if (conn.ended || conn.notice_pending || conn.stalled) {
        return;
    }
    const std::uint64_t n = ++conn.pushes;
    auto every = [n](std::uint64_t k) { return k != 0 && n % k == 0; };
    if (every(options_.malformed_every)) {
        // Alternately half a JSON object, and the push with 5-field data rows.
        const bool half = conn.garbage++ % 2 == 0;
        std::string garbage = half ? text.substr(0, text.size() / 2) : truncated_rows(text);
        conn.out.push_back(WsOut{WsOut::Kind::kText, std::move(garbage), 0, false});
    }
    conn.out.push_back(WsOut{WsOut::Kind::kText, text, 0, false});
    if (every(options_.dup_every)) {
        conn.out.push_back(WsOut{WsOut::Kind::kText, text, 0, false});
    }
    if (every(options_.stall_every)) {
        conn.stalled = true;
    } else if (every(options_.drop_every)) {
        conn.out.push_back(WsOut{WsOut::Kind::kDrop, "", 0, false});
        conn.ended = true;
    } else if (every(options_.notice_every)) {
        Json j;
        j["event"] = "notice";
        j["code"] = "64008";
        j["msg"] = kNotice;
        j["connId"] = conn.conn_id;
        conn.out.push_back(WsOut{WsOut::Kind::kText, dump(j), 0, true});
        conn.notice_pending = true;
    }
}

// The finest bar of inst_id that is forming at the clock, and its series; nullptr when the
// data has a gap there or has ended.
const Candle* WsHub::current_bar(const std::string& inst_id, const Series** series) const {
    for (const Series* s : data_.series_of(inst_id)) {
        if (const Candle* c = forming_candle(*s, clock_); c != nullptr) {
            *series = s;
            return c;
        }
    }
    return nullptr;
}

// A tickers data object derived from the current bar and the 24 h before the clock.
std::optional<std::string> WsHub::ticker_data(const std::string& inst_id) {
    if (auto it = tick_tickers_.find(inst_id); it != tick_tickers_.end()) {
        return it->second;
    }
    std::optional<std::string>& cached = tick_tickers_[inst_id];
    const Series* series = nullptr;
    const Candle* bar = current_bar(inst_id, &series);
    const Instrument* inst = data_.instrument(inst_id);
    if (bar == nullptr || inst == nullptr) {
        return cached;
    }
    const auto& rows = series->rows;
    auto first = std::upper_bound(rows.begin(), rows.end(), clock_ - kDayMs,
                                  [](std::int64_t t, const Candle& c) { return t < c.ts; });
    auto last = std::upper_bound(first, rows.end(), clock_,
                                 [](std::int64_t t, const Candle& c) { return t < c.ts; });
    if (first == last) { // a bar longer than a day: its own values
        first = rows.begin() + (bar - rows.data());
        last = first + 1;
    }
    std::string high = first->high;
    std::string low = first->low;
    std::string vol = "0";
    std::string vol_ccy = "0";
    for (auto it = first; it != last; ++it) {
        if (decimal_cmp(it->high, high) > 0) {
            high = it->high;
        }
        if (decimal_cmp(it->low, low) < 0) {
            low = it->low;
        }
        vol = decimal_add(vol, it->vol);
        vol_ccy = decimal_add(vol_ccy, it->vol_quote);
    }
    // The open of the first bar of the current day, on the UTC and on the UTC+8 clock.
    auto start_of_day = [&](std::int64_t offset) {
        const std::int64_t day = floor_div(clock_ + offset, kDayMs) * kDayMs - offset;
        auto it = std::lower_bound(first, last, day,
                                   [](const Candle& c, std::int64_t t) { return c.ts < t; });
        return it == last ? bar->open : it->open;
    };
    Json j;
    j["instType"] = "SPOT";
    j["instId"] = inst_id;
    j["last"] = bar->close;
    j["lastSz"] = "0.1";
    j["askPx"] = decimal_add(bar->close, inst->tick_sz);
    j["askSz"] = "1";
    j["bidPx"] = decimal_sub(bar->close, inst->tick_sz);
    j["bidSz"] = "1";
    j["open24h"] = first->open;
    j["high24h"] = high;
    j["low24h"] = low;
    j["volCcy24h"] = vol_ccy;
    j["vol24h"] = vol;
    j["sodUtc0"] = start_of_day(0);
    j["sodUtc8"] = start_of_day(kHkMs);
    j["ts"] = std::to_string(clock_);
    cached = dump(j);
    return cached;
}

// One trade per clock step at the current bar's close; ids count up per instrument, and
// the side alternates buy, sell.
std::optional<std::string> WsHub::trade_data(const std::string& inst_id) {
    if (auto it = tick_trades_.find(inst_id); it != tick_trades_.end()) {
        return it->second;
    }
    std::optional<std::string>& cached = tick_trades_[inst_id];
    const Series* series = nullptr;
    const Candle* bar = current_bar(inst_id, &series);
    if (bar == nullptr) {
        return cached;
    }
    const std::uint64_t trade_id = ++trade_ids_[inst_id];
    Json j;
    j["instId"] = inst_id;
    j["tradeId"] = std::to_string(trade_id);
    j["px"] = bar->close;
    j["sz"] = "0.01";
    j["side"] = trade_id % 2 == 1 ? "buy" : "sell";
    j["ts"] = std::to_string(clock_);
    j["count"] = "1";
    cached = dump(j);
    return cached;
}

} // namespace okxkit::fake
