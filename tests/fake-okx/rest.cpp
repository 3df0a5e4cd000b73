// REST endpoints of the fake OKX server: §0 envelope, §1 instruments, §2.1 candles, §4 the
// private endpoints (served by Trading), §6 errors and rate limits.
#include "rest.hpp"

#include "book.hpp"
#include "state.hpp"
#include "trading.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

namespace okxkit::fake {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kCandlesMax = 300;     // §2.1: limit maximum on /market/candles
constexpr std::size_t kDefaultLimit = 100;   // §2.1: limit default on both endpoints
constexpr std::size_t kCandlesWindow = 1440; // §2.1: /market/candles keeps 1,440 bars

constexpr std::string_view kTime = "/api/v5/public/time";
constexpr std::string_view kInstruments = "/api/v5/public/instruments";
constexpr std::string_view kCandles = "/api/v5/market/candles";
constexpr std::string_view kHistoryCandles = "/api/v5/market/history-candles";
constexpr std::string_view kBooks = "/api/v5/market/books";
// The tests' hand on the market clock: POST {"now": MS} moves it forward (never back).
constexpr std::string_view kClock = "/fake/clock";
constexpr std::string_view kLedger = "/fake/ledger";
// Private (signed), served by Trading.
constexpr std::string_view kBalance = "/api/v5/account/balance";
constexpr std::string_view kPlace = "/api/v5/trade/order"; // POST; GET is the order's details
constexpr std::string_view kCancel = "/api/v5/trade/cancel-order";
constexpr std::string_view kPending = "/api/v5/trade/orders-pending";
constexpr std::string_view kHistory = "/api/v5/trade/orders-history";
constexpr std::string_view kFills = "/api/v5/trade/fills";
constexpr std::string_view kCancelAllAfter = "/api/v5/trade/cancel-all-after";
constexpr std::string_view kAmend = "/api/v5/trade/amend-order";
constexpr std::string_view kBatchPlace = "/api/v5/trade/batch-orders";
constexpr std::string_view kBatchCancel = "/api/v5/trade/cancel-batch-orders";
constexpr std::string_view kTradeFee = "/api/v5/account/trade-fee";
constexpr std::string_view kPositions = "/api/v5/account/positions";
constexpr std::string_view kAlgo = "/api/v5/trade/order-algo"; // POST places; GET one algo
constexpr std::string_view kCancelAlgos = "/api/v5/trade/cancel-algos";
constexpr std::string_view kAmendAlgos = "/api/v5/trade/amend-algos";
constexpr std::string_view kAlgosPending = "/api/v5/trade/orders-algo-pending";
constexpr std::string_view kAlgosHistory = "/api/v5/trade/orders-algo-history";
constexpr std::array kPrivate = {
    kBalance,     kPlace,      kCancel,       kPending,      kFills,     kCancelAllAfter,
    kAmend,       kBatchPlace, kBatchCancel,  kTradeFee,     kPositions, kAlgo,
    kCancelAlgos, kAmendAlgos, kAlgosPending, kAlgosHistory, kHistory};
// The private POSTs: they reach Trading, so --state journals them.
constexpr std::array kTradePosts = {kPlace,       kCancel, kCancelAllAfter, kAmend,     kBatchPlace,
                                    kBatchCancel, kAlgo,   kCancelAlgos,    kAmendAlgos};
// POST only; kPlace and kAlgo take GET too.
constexpr std::array kPostOnly = {kCancel,      kCancelAllAfter, kAmend,      kBatchPlace,
                                  kBatchCancel, kCancelAlgos,    kAmendAlgos, kClock};

Response ok(Json data) {
    return ok_response(std::move(data));
}

Response error(int status, std::string_view code, std::string_view msg) {
    return error_response(status, code, msg);
}

// §0, §6.2: the rate-limit body has no "data" key, and comes with HTTP 429.
Response too_many_requests() {
    Json body;
    body["msg"] = "Too Many Requests";
    body["code"] = "50011";
    return Response{429, body.dump(), "50011", {}};
}

std::optional<std::int64_t> parse_int(std::string_view s) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
        return std::nullopt;
    }
    return v;
}

// The query k=v&k=v with every byte of k and v but the unreserved ones (RFC 3986 §2.3)
// percent-encoded, in upper-case hex.
std::string encoded_query(const std::vector<std::pair<std::string, std::string>>& query) {
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    const auto append = [&](std::string_view s) {
        for (const char ch : s) {
            const auto c = static_cast<unsigned char>(ch);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.' || c == '~') {
                out += ch;
            } else {
                out += '%';
                out += kHex[c >> 4];
                out += kHex[c & 15];
            }
        }
    };
    for (const auto& [k, v] : query) {
        if (!out.empty()) {
            out += '&';
        }
        append(k);
        out += '=';
        append(v);
    }
    return out;
}

Json instrument_json(const Instrument& inst) {
    // The field set of the docs sample (rest_instruments_spot_docs.json), SPOT values.
    Json j;
    j["alias"] = "";
    j["auctionEndTime"] = "";
    j["baseCcy"] = inst.base;
    j["category"] = "1";
    j["ctMult"] = "";
    j["ctType"] = "";
    j["ctVal"] = "";
    j["ctValCcy"] = "";
    j["contTdSwTime"] = "";
    j["expTime"] = "";
    j["futureSettlement"] = false;
    j["instFamily"] = "";
    j["instId"] = inst.inst_id;
    j["instType"] = "SPOT";
    j["lever"] = "10";
    j["listTime"] = std::to_string(inst.list_time);
    j["lotSz"] = "0.00000001";
    j["maxIcebergSz"] = "9999999999.0000000000000000";
    j["maxLmtAmt"] = "1000000";
    j["maxLmtSz"] = "9999999999";
    j["maxMktAmt"] = "1000000";
    j["maxMktSz"] = "";
    j["maxStopSz"] = "";
    j["maxTriggerSz"] = "9999999999.0000000000000000";
    j["maxTwapSz"] = "9999999999.0000000000000000";
    j["minSz"] = "0.00001";
    j["optType"] = "";
    j["openType"] = "";
    j["quoteCcy"] = inst.quote;
    j["tradeQuoteCcyList"] = Json::array({inst.quote});
    j["settleCcy"] = "";
    j["state"] = "live";
    j["ruleType"] = "normal";
    j["stk"] = "";
    j["tickSz"] = inst.tick_sz;
    j["uly"] = "";
    j["instIdCode"] = inst.code;
    return j;
}

} // namespace

Response ok_response(nlohmann::ordered_json data) {
    Json body;
    body["code"] = "0";
    body["msg"] = "";
    body["data"] = std::move(data);
    return Response{200, body.dump(), "0", {}};
}

Response error_response(int status, std::string_view code, std::string_view msg) {
    Json body;
    body["code"] = code;
    body["msg"] = msg;
    body["data"] = Json::array();
    return Response{status, body.dump(), std::string(code), {}};
}

bool trade_post_path(std::string_view path) {
    return std::find(kTradePosts.begin(), kTradePosts.end(), path) != kTradePosts.end();
}

std::optional<std::string> Request::param(std::string_view name) const {
    for (const auto& [k, v] : query) {
        if (k == name) {
            return v;
        }
    }
    return std::nullopt;
}

std::string Request::query_text() const {
    std::string out;
    for (const auto& [k, v] : query) {
        if (!out.empty()) {
            out += '&';
        }
        out += k;
        out += '=';
        out += v;
    }
    return out;
}

std::int64_t Rest::now_ms() const {
    if (options_.now_ms) {
        return *options_.now_ms;
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Response Rest::handle(const Request& req) {
    ++count_;
    if (options_.fault_50011_every != 0 && count_ % options_.fault_50011_every == 0) {
        return too_many_requests();
    }
    if (options_.fault_500_every != 0 && count_ % options_.fault_500_every == 0) {
        return error(500, "50026", "System error");
    }
    const std::string_view path = req.path;
    const bool is_private = std::find(kPrivate.begin(), kPrivate.end(), path) != kPrivate.end();
    if (path != kTime && path != kInstruments && path != kCandles && path != kHistoryCandles &&
        path != kBooks && path != kClock && path != kLedger && !is_private) {
        return error(404, "50000", "Not Found: " + req.path);
    }
    const bool both = path == kPlace || path == kAlgo;
    const bool post = std::find(kPostOnly.begin(), kPostOnly.end(), path) != kPostOnly.end() ||
                      (both && req.method == "POST");
    if (req.method != (post ? "POST" : "GET")) {
        Response r = error(405, "50000", "Method Not Allowed: " + req.method + " " + req.path);
        r.headers.emplace_back("allow:", both ? "GET, POST" : post ? "POST" : "GET");
        return r;
    }
    if (path == kLedger) {
        trading_->advance(now_ms());
        return trading_->ledger();
    }
    if (path == kClock) {
        const Json body = Json::parse(req.body, nullptr, false);
        if (!body.is_object() || !body.contains("now") || !body["now"].is_number_integer() ||
            body["now"].get<std::int64_t>() < now_ms()) {
            return error(400, "50000",
                         "POST /fake/clock wants {\"now\": MS}, not before the clock");
        }
        set_now_ms(body["now"].get<std::int64_t>());
        trading_->advance(now_ms());
        Json item;
        item["ts"] = std::to_string(now_ms());
        return ok(Json::array({item}));
    }
    if (!admit(req)) {
        return too_many_requests();
    }
    if (is_private) {
        // The request path as signed: with "?query" as sent. libwebsockets hands the query
        // over decoded, so the two spellings a client may send are tried: unencoded where
        // OKX's parameters need no encoding ("ccy=BTC,ETH"), and every byte but the unreserved
        // ones percent-encoded (RFC 3986: "ordType=oco%2Cconditional", lib/okx's form).
        std::string signed_path = req.path;
        if (!req.query.empty()) {
            signed_path += '?';
            signed_path += req.query_text();
        }
        auto f =
            check_auth(options_.auth, req.method, signed_path, req.body, req.headers, now_ms());
        if (f && f->code == "50113" && !req.query.empty()) {
            const std::string encoded = req.path + '?' + encoded_query(req.query);
            if (encoded != signed_path) {
                f = check_auth(options_.auth, req.method, encoded, req.body, req.headers, now_ms());
            }
        }
        if (f) {
            return error(401, f->code, f->msg);
        }
    }
    if (path == kTime) {
        return time(req);
    }
    if (is_private) {
        trading_->advance(now_ms()); // the bars that closed since the last request first
        if (req.method == "POST") {
            if (journal_ != nullptr) {
                journal_->post("rest", req.path, req.body, now_ms());
            }
            Response r = trade_post(req);
            if (path == kPlace && options_.fault_lost_answer_every != 0 && r.code == "0" &&
                ++places_ % options_.fault_lost_answer_every == 0) {
                return error(500, "50026", "System error"); // the order stands
            }
            return r;
        }
        if (path == kBalance) {
            return trading_->balance(req, now_ms());
        }
        if (path == kPlace) {
            return trading_->order(req);
        }
        if (path == kPending) {
            return trading_->pending(req);
        }
        if (path == kHistory) {
            return trading_->history(req);
        }
        if (path == kTradeFee) {
            return trading_->trade_fee(req, now_ms());
        }
        if (path == kPositions) {
            return Trading::positions(req);
        }
        if (path == kAlgo) {
            return trading_->algo(req);
        }
        if (path == kAlgosPending) {
            return trading_->algos_pending(req);
        }
        if (path == kAlgosHistory) {
            return trading_->algos_history(req);
        }
        return trading_->fills(req);
    }
    if (path == kInstruments) {
        return instruments(req);
    }
    if (path == kBooks) {
        return books(req);
    }
    return candles(req, path == kHistoryCandles);
}

namespace {

// The instId of one order's body, or "".
std::string inst_of(const Json& item) {
    return item.is_object() && item.contains("instId") && item["instId"].is_string()
               ? item["instId"].get<std::string>()
               : std::string();
}

} // namespace

bool Rest::admit(const Request& req) {
    if (!options_.rate_limit) {
        return true;
    }
    // OKX counts each method of an endpoint on its own, and the order endpoints per
    // instrument too (place, query, cancel and amend: 60 per 2 s per instId; algo orders 20);
    // the WebSocket's order ops share the REST buckets (§6.1).
    const std::string_view path = req.path;
    const auto limit = okx_rate_limit(path);
    if (!limit) {
        return true;
    }
    std::string key = req.method;
    key += ' ';
    const bool post = req.method == "POST";
    if (post && (path == kBatchPlace || path == kBatchCancel || path == kCancelAlgos)) {
        const Json body = Json::parse(req.body, nullptr, false);
        if (path != kCancelAlgos && body.is_array() && body.size() == 1) {
            // A batch of one counts against the single-order bucket (§6.1).
            key += path == kBatchPlace ? kPlace : kCancel;
            key += ' ';
            key += inst_of(body[0]);
            return window_.admit(key, *okx_rate_limit(path == kBatchPlace ? kPlace : kCancel),
                                 req.t_ms);
        }
        key += path;
        key += ' ';
        // The batches count orders per instId (300 per 2 s); cancel-algos counts requests per
        // instId (20 per 2 s). All of a request's counts are admitted, or none.
        std::map<std::string, int> per_inst;
        if (body.is_array() && !body.empty()) {
            for (const Json& item : body) {
                int& n = per_inst[inst_of(item)];
                n = path == kCancelAlgos ? 1 : n + 1;
            }
        } else {
            per_inst[""] = 1; // malformed: it counts once
        }
        for (const auto& [inst, n] : per_inst) {
            if (!window_.room(key + inst, n, *limit, req.t_ms)) {
                return false;
            }
        }
        for (const auto& [inst, n] : per_inst) {
            window_.admit_n(key + inst, n, *limit, req.t_ms);
        }
        return true;
    }
    key += path;
    const bool per_inst = path == kPlace || path == kCancel || path == kAmend ||
                          (post && path == kAlgo) || path == kAmendAlgos;
    if (per_inst) {
        std::string inst = req.param("instId").value_or("");
        if (post) {
            const Json body = Json::parse(req.body, nullptr, false);
            if (body.is_object() && body.contains("instId") && body["instId"].is_string()) {
                inst = body["instId"].get<std::string>();
            }
        }
        key += ' ';
        key += inst;
    }
    return window_.admit(key, *limit, req.t_ms);
}

Response Rest::trade_op(bool place, const std::string& body, std::int64_t t_ms) {
    Request req;
    req.method = "POST";
    req.path = place ? kPlace : kCancel;
    req.body = body;
    req.t_ms = t_ms;
    if (!admit(req)) {
        return too_many_requests();
    }
    trading_->advance(now_ms());
    if (journal_ != nullptr) {
        journal_->post("ws", req.path, req.body, now_ms());
    }
    return trade_post(req);
}

Response Rest::trade_post(const Request& req) {
    const std::string_view path = req.path;
    const std::int64_t now = now_ms();
    if (path == kPlace) {
        return trading_->place(req, now);
    }
    if (path == kCancel) {
        return trading_->cancel(req, now);
    }
    if (path == kCancelAllAfter) {
        return trading_->cancel_all_after(req, now);
    }
    if (path == kAmend) {
        return trading_->amend(req, now);
    }
    if (path == kBatchPlace) {
        return trading_->batch_place(req, now);
    }
    if (path == kBatchCancel) {
        return trading_->batch_cancel(req, now);
    }
    if (path == kAlgo) {
        return trading_->place_algo(req, now);
    }
    if (path == kCancelAlgos) {
        return trading_->cancel_algos(req, now);
    }
    return trading_->amend_algos(req, now);
}

void Rest::set_now_ms(std::int64_t ms) {
    if (journal_ != nullptr && options_.now_ms != ms) {
        journal_->clock(ms);
    }
    options_.now_ms = ms;
}

void Rest::restore(const std::vector<StateEntry>& entries, StateFile* journal) {
    const std::optional<std::int64_t> given = options_.now_ms; // --now
    std::optional<std::int64_t> last;
    for (const StateEntry& e : entries) {
        // As the request was handled: the bars its clock had passed worked first.
        options_.now_ms = e.now_ms;
        last = e.now_ms;
        trading_->advance(e.now_ms);
        if (e.kind == StateEntry::Kind::kPost) {
            Request req;
            req.method = "POST";
            req.path = e.path;
            req.body = e.body;
            trade_post(req);
        }
    }
    options_.now_ms = given;
    if (last && now_ms() < *last) {
        options_.now_ms = *last; // never back, whatever --now says
    }
    // Their pushes went out (or not) when they happened.
    trading_->take_pushes();
    journal_ = journal;
    if (journal_ != nullptr && options_.now_ms && options_.now_ms != last) {
        journal_->clock(*options_.now_ms); // where this run starts, so that the next keeps it
    }
}

void Rest::advance_trading() {
    trading_->advance(now_ms());
}

std::vector<OrderPush> Rest::take_order_pushes() {
    return trading_->take_pushes();
}

std::string Rest::account_row() {
    const Response r = trading_->balance(Request{}, now_ms());
    const auto body = nlohmann::json::parse(r.body, nullptr, false);
    if (!body.is_object() || !body.contains("data") || !body["data"].is_array() ||
        body["data"].empty()) {
        return "{}";
    }
    return body["data"][0].dump();
}

Rest::Rest(const MarketData& data, RestOptions options)
    : data_(data), options_(std::move(options)),
      trading_(std::make_unique<Trading>(
          data, TradingOptions{options_.cash, options_.maker_fee, options_.taker_fee})) {}

Rest::~Rest() = default;

Response Rest::time(const Request& /*req*/) {
    Json item;
    item["ts"] = std::to_string(now_ms());
    return ok(Json::array({item}));
}

Response Rest::instruments(const Request& req) {
    const std::string type = req.param("instType").value_or("");
    if (type.empty()) {
        return error(400, "50014", "Parameter instType can not be empty");
    }
    if (type != "SPOT" && type != "MARGIN" && type != "SWAP" && type != "FUTURES" &&
        type != "OPTION") {
        return error(400, "51000", "Parameter instType error");
    }
    const std::string inst_id = req.param("instId").value_or("");
    Json list = Json::array();
    if (!inst_id.empty()) {
        const Instrument* inst = data_.instrument(inst_id);
        if (inst == nullptr) {
            return error(200, "51001", "Instrument ID does not exist");
        }
        if (type == "SPOT") {
            list.push_back(instrument_json(*inst));
        }
        return ok(std::move(list));
    }
    // Every instrument of --data is spot; other types list nothing.
    if (type == "SPOT") {
        for (const Instrument* inst : data_.instruments()) {
            list.push_back(instrument_json(*inst));
        }
    }
    return ok(std::move(list));
}

// §2: GET /market/books?instId&sz: the book the WebSocket serves at the clock, sz levels a
// side (default 1, at most 400).
Response Rest::books(const Request& req) {
    const std::string inst_id = req.param("instId").value_or("");
    if (inst_id.empty()) {
        return error(400, "50014", "Parameter instId can not be empty");
    }
    std::size_t sz = 1;
    if (auto text = req.param("sz"); text && !text->empty()) {
        auto n = parse_int(*text);
        if (!n || *n < 1) {
            return error(400, "51000", "Parameter sz error");
        }
        sz = std::min(static_cast<std::size_t>(*n), kBookDepth);
    }
    if (data_.instrument(inst_id) == nullptr) {
        return error(200, "51001", "Instrument ID does not exist");
    }
    const std::int64_t now = now_ms();
    const auto book = book_at(data_, inst_id, now);
    const std::string empty = "[]";
    std::string body = R"({"code":"0","msg":"","data":[{"asks":)";
    body += book ? book_levels_json(book->asks, sz) : empty;
    body += R"(,"bids":)";
    body += book ? book_levels_json(book->bids, sz) : empty;
    body += R"(,"ts":")" + std::to_string(now) + R"("}]})";
    return Response{200, std::move(body), "0", {}};
}

Response Rest::candles(const Request& req, bool history) {
    const std::string inst_id = req.param("instId").value_or("");
    if (inst_id.empty()) {
        return error(400, "50014", "Parameter instId can not be empty");
    }
    std::string bar_name = req.param("bar").value_or("");
    if (bar_name.empty()) {
        bar_name = "1m"; // OKX's default bar
    }
    const auto bar = find_okx_bar(bar_name);
    if (!bar || (bar->history_only && !history)) {
        return error(400, "51000", "Parameter bar error");
    }
    CandleQuery query;
    const std::size_t max_limit = history ? options_.history_limit : kCandlesMax;
    query.limit = std::min(kDefaultLimit, max_limit);
    if (auto text = req.param("limit"); text && !text->empty()) {
        auto n = parse_int(*text);
        if (!n || *n < 1) {
            return error(400, "51000", "Parameter limit error");
        }
        query.limit = std::min(static_cast<std::size_t>(*n), max_limit);
    }
    for (auto [name, slot] : {std::pair{"after", &query.after}, {"before", &query.before}}) {
        if (auto text = req.param(name); text && !text->empty()) {
            auto n = parse_int(*text);
            if (!n) {
                return error(400, "51000", std::string("Parameter ") + name + " error");
            }
            *slot = *n;
        }
    }
    if (data_.instrument(inst_id) == nullptr) {
        return error(200, "51001", "Instrument ID does not exist");
    }
    Json rows = Json::array();
    const Series* series = data_.series(inst_id, bar->name);
    if (series == nullptr) {
        return ok(std::move(rows));
    }
    query.now = now_ms();
    if (!history) {
        query.window = kCandlesWindow;
    }
    for (const Candle* c : select_candles(*series, query)) {
        rows.push_back(
            Json::array({std::to_string(c->ts), c->open, c->high, c->low, c->close, c->vol,
                         c->vol_quote, c->vol_quote,
                         options_.confirm_lag_ms > 0 &&
                                 bar_end(series->bar, c->ts) + options_.confirm_lag_ms > query.now
                             ? "0"
                             : confirm_flag(series->bar, c->ts, query.now)}));
    }
    return ok(std::move(rows));
}

} // namespace okxkit::fake
