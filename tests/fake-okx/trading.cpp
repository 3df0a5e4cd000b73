#include "trading.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <tuple>
#include <utility>

namespace okxkit::fake {

namespace {

using Json = nlohmann::ordered_json;

constexpr double kLotSz = 0.00000001; // as public/instruments answers (instrument_json)
constexpr double kMinSz = 0.00001;
constexpr int kLotDecimals = 8;
constexpr std::uint64_t kIdBase = 600'000'000'000'000'000ULL; // 18-digit ids, as OKX's
constexpr std::size_t kBatchMax = 20;                         // §4.2: orders per batch
constexpr std::size_t kAlgoCancelMax = 10;                    // §4.4: algos per cancel-algos

// The shortest text of v rounded to 10 decimals ("2500.5", "0.0001"), never with an
// exponent, as OKX writes numbers: amounts computed in binary floating point without their
// last-digit noise.
std::string text(double v) {
    v = std::round(v * 1e10) / 1e10;
    if (v == 0) {
        return "0";
    }
    std::array<char, 64> buf{};
    auto [p, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed);
    return ec == std::errc() ? std::string(buf.data(), p) : std::string("0");
}

// A positive decimal as OKX takes it ("0.015"): the number and its count of decimals.
struct Decimal {
    double v = 0;
    int decimals = 0;
};
std::optional<Decimal> decimal(std::string_view s) {
    if (s.empty() || s.size() > 40) {
        return std::nullopt;
    }
    int decimals = 0;
    bool dot = false;
    for (char c : s) {
        if (c == '.') {
            if (dot) {
                return std::nullopt;
            }
            dot = true;
        } else if (c < '0' || c > '9') {
            return std::nullopt;
        } else if (dot) {
            ++decimals;
        }
    }
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || !(v > 0) || !std::isfinite(v)) {
        return std::nullopt;
    }
    return Decimal{v, decimals};
}

int decimals_of(std::string_view tick) {
    const std::size_t dot = tick.find('.');
    return dot == std::string_view::npos ? 0 : static_cast<int>(tick.size() - dot - 1);
}

bool id_ok(std::string_view id) {
    if (id.empty() || id.size() > 32) {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    });
}

std::string str(const Json& body, const char* key) {
    if (!body.contains(key) || !body[key].is_string()) {
        return {};
    }
    return body[key].get<std::string>();
}

// One item of a place or cancel answer.
Json order_item(const std::string& cl_ord_id, const std::string& ord_id, std::int64_t ts,
                const std::string& s_code, const std::string& s_msg) {
    Json item;
    item["clOrdId"] = cl_ord_id;
    item["ordId"] = ord_id;
    item["tag"] = "";
    item["ts"] = std::to_string(ts);
    item["sCode"] = s_code;
    item["sMsg"] = s_msg;
    return item;
}

// The answer of a request of one item: code "1" around a failed one, as OKX answers; the log
// shows the item's sCode.
Response one_answer(Json item, const std::string& s_code) {
    Json body;
    body["code"] = s_code == "0" ? "0" : "1";
    body["data"] = Json::array({std::move(item)});
    body["msg"] = s_code == "0" ? "" : "Operation failed.";
    return Response{200, body.dump(), s_code == "0" ? "0" : s_code, {}};
}

// The answer of a batch (§0): code "0" when every item succeeded, "1" when none did, "2" when
// some did; the log shows that code.
Response batch_answer(const std::vector<Json>& items, const std::vector<std::string>& codes) {
    const auto ok = static_cast<std::size_t>(std::count(codes.begin(), codes.end(), "0"));
    const std::string code = ok == codes.size() ? "0" : ok == 0 ? "1" : "2";
    Json body;
    body["code"] = code;
    body["data"] = Json(items);
    body["msg"] = code == "0"   ? ""
                  : code == "1" ? "Operation failed."
                                : "Bulk operation partially succeeded.";
    return Response{200, body.dump(), code, {}};
}

// The body of a batch: a JSON array of 1 to max objects, else the answer that refuses it
// (more than max: code, msg).
std::optional<Response> batch_refusal(const Json& body, std::size_t max, std::string_view code,
                                      std::string_view msg) {
    if (!body.is_array() ||
        !std::all_of(body.begin(), body.end(), [](const Json& j) { return j.is_object(); })) {
        return error_response(400, "50002", "Json data format error");
    }
    if (body.empty()) {
        return error_response(400, "51000", "Parameter data error");
    }
    if (body.size() > max) {
        return error_response(200, code, msg);
    }
    return std::nullopt;
}

double parse_double(const std::string& s) {
    double v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

} // namespace

Trading::Trading(const MarketData& data, TradingOptions options)
    : data_(data), options_(options), paper_([&] {
          exec::PaperConfig c;
          c.cash = options.cash;
          c.maker_fee = options.maker_fee;
          c.taker_fee = options.taker_fee;
          return c;
      }()) {
    for (const Instrument* inst : data_.instruments()) {
        paper_.set_tick(inst->inst_id, parse_double(inst->tick_sz));
    }
}

void Trading::advance(std::int64_t now_ms) {
    if (deadline_ && *deadline_ <= now_ms) {
        // What filled before the deadline filled; then the switch cancels the rest.
        work_bars(*deadline_);
        std::vector<exec::Event> events;
        for (auto& [id, r] : orders_) {
            if (r.state == "live" || r.state == "partially_filled") {
                paper_.cancel(r.ord_id, *deadline_, events);
                r.cancel_source = "20";
            }
        }
        apply(events);
        deadline_.reset();
    }
    work_bars(now_ms);
}

Response Trading::cancel_all_after(const Request& req, std::int64_t now_ms) {
    const Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
        return error_response(400, "50002", "Json data format error");
    }
    const std::string t = str(body, "timeOut");
    int seconds = -1;
    if (!t.empty() && t.size() <= 3 &&
        std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        seconds = std::stoi(t);
    }
    if (seconds != 0 && (seconds < 10 || seconds > 120)) {
        return error_response(400, "51000", "Parameter timeOut error");
    }
    if (seconds == 0) {
        deadline_.reset();
    } else {
        deadline_ = now_ms + seconds * 1000LL;
    }
    Json item;
    item["triggerTime"] = deadline_ ? std::to_string(*deadline_) : std::string("0");
    item["tag"] = "";
    item["ts"] = std::to_string(now_ms);
    return ok_response(Json::array({item}));
}

void Trading::work_bars(std::int64_t now_ms) {
    // The bars that closed since the last call, of every instrument, in time order.
    std::vector<std::tuple<std::int64_t, std::string, const Candle*, std::int64_t>> due;
    for (const Instrument* inst : data_.instruments()) {
        const std::vector<const Series*> all = data_.series_of(inst->inst_id);
        if (all.empty() || all.front()->bar.ms <= 0) {
            continue;
        }
        const Series& s = *all.front();
        const auto fed = fed_.find(inst->inst_id);
        for (const Candle& k : s.rows) {
            if (fed != fed_.end() && k.ts <= fed->second) {
                continue;
            }
            const std::int64_t close = bar_end(s.bar, k.ts);
            if (close > now_ms) {
                break;
            }
            due.emplace_back(k.ts, inst->inst_id, &k, close);
        }
    }
    std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) {
        return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
    });
    std::vector<exec::Event> events;
    for (const auto& [ts, inst, k, close] : due) {
        exec::Candle c{inst,
                       ts,
                       parse_double(k->open),
                       parse_double(k->high),
                       parse_double(k->low),
                       parse_double(k->close),
                       parse_double(k->vol)};
        events.clear();
        paper_.on_candle(c, events);
        apply(events);
        fed_[inst] = ts;
        close_[inst] = c.c;
        trigger_algos(c, close);
    }
}

void Trading::apply(const std::vector<exec::Event>& events) {
    // The paper exchange reports a fill, then the order's new state: the two make one row.
    // The index in fills_ of the fill the next order event follows, or kNone (not an optional:
    // GCC 12 misreads one here as maybe uninitialized).
    constexpr auto kNone = static_cast<std::size_t>(-1);
    std::size_t fill = kNone;
    for (const exec::Event& e : events) {
        if (const auto* o = std::get_if<core::Order>(&e)) {
            auto it = orders_.find(o->cl_ord_id); // the paper's id is the ordId
            if (it == orders_.end()) {
                continue;
            }
            Rec& r = it->second;
            r.state = o->state == core::OrderState::kRejected ? "canceled"
                                                              : std::string(to_text(o->state));
            r.acc_fill_sz = o->filled_sz;
            r.avg_px = o->avg_px.value_or(0);
            r.u_time = o->ts;
            const FillRec* f =
                fill != kNone && fills_[fill].ord_id == r.ord_id ? &fills_[fill] : nullptr;
            push_change(r, f);
            fill = kNone;
        } else if (const auto* f = std::get_if<core::Fill>(&e)) {
            auto it = orders_.find(f->cl_ord_id);
            if (it == orders_.end()) {
                continue;
            }
            Rec& r = it->second;
            const std::string id = std::to_string(kIdBase + ++next_id_);
            r.fee += f->fee;
            r.last_fill_px = f->px;
            r.last_fill_sz = f->sz;
            r.last_trade_id = id;
            r.fill_time = f->ts;
            fills_.push_back({r.inst, id, id, r.ord_id, r.cl_ord_id, r.side,
                              f->liquidity == core::Liquidity::kMaker ? "M" : "T", f->px, f->sz,
                              f->fee, f->ts});
            fill = fills_.size() - 1;
        }
    }
}

double Trading::frozen_quote() const {
    double f = 0;
    for (const auto& [id, r] : orders_) {
        if (r.side == "buy" && (r.state == "live" || r.state == "partially_filled")) {
            const double px = r.px_value > 0 ? r.px_value : last_close(r.inst);
            f += (r.base_sz - r.acc_fill_sz) * px * (1 + options_.taker_fee);
        }
    }
    for (const auto& [id, a] : algos_) {
        if (a.side == "buy" && a.state == "live") {
            f += algo_quote_hold(a);
        }
    }
    return f;
}

double Trading::frozen_base(const std::string& inst) const {
    double f = 0;
    for (const auto& [id, r] : orders_) {
        if (r.inst == inst && r.side == "sell" &&
            (r.state == "live" || r.state == "partially_filled")) {
            f += r.base_sz - r.acc_fill_sz;
        }
    }
    for (const auto& [id, a] : algos_) {
        if (a.inst == inst && a.side == "sell" && a.state == "live") {
            f += a.base_sz;
        }
    }
    return f;
}

double Trading::algo_quote_hold(const AlgoRec& a) const {
    // A buy algo holds its size at the dearer price its legs would order at (a market leg
    // at its trigger price), with the taker fee.
    double px = 0;
    for (const auto& [trigger, ord] :
         {std::pair{&a.tp_trigger_px, &a.tp_ord_px}, {&a.sl_trigger_px, &a.sl_ord_px}}) {
        if (!trigger->empty()) {
            px = std::max(px, parse_double(*ord == "-1" ? *trigger : *ord));
        }
    }
    return a.base_sz * px * (1 + options_.taker_fee);
}

double Trading::available_base(const std::string& inst) const {
    const auto h = paper_.holdings().find(inst);
    const double held = h == paper_.holdings().end() ? 0 : h->second.sz;
    return held - frozen_base(inst);
}

double Trading::last_close(const std::string& inst) const {
    const auto it = close_.find(inst);
    return it == close_.end() ? 0 : it->second;
}

Response Trading::place(const Request& req, std::int64_t now_ms) {
    const Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
        return error_response(400, "50002", "Json data format error");
    }
    Outcome o = place_one(body, now_ms);
    return one_answer(std::move(o.item), o.code);
}

Response Trading::batch_place(const Request& req, std::int64_t now_ms) {
    const Json body = Json::parse(req.body, nullptr, false);
    if (auto refused =
            batch_refusal(body, kBatchMax, "51111", "Maximum 20 orders can be placed in bulk")) {
        return *refused;
    }
    std::vector<Json> items;
    std::vector<std::string> codes;
    for (const Json& one : body) {
        Outcome o = place_one(one, now_ms);
        items.push_back(std::move(o.item));
        codes.push_back(o.code);
    }
    return batch_answer(items, codes);
}

Trading::Outcome Trading::place_one(const Json& body, std::int64_t now_ms) {
    const std::string cl = str(body, "clOrdId");
    const auto fail = [&](const std::string& code, const std::string& msg) {
        return Outcome{order_item(cl, "", now_ms, code, msg), code, msg};
    };
    const std::string inst_id = str(body, "instId");
    if (inst_id.empty()) {
        return fail("50014", "Parameter instId can not be empty");
    }
    const Instrument* inst = data_.instrument(inst_id);
    if (inst == nullptr) {
        return fail("51001", "Instrument ID does not exist");
    }
    if (str(body, "tdMode") != "cash") {
        return fail("51000", "Parameter tdMode error");
    }
    const std::string side = str(body, "side");
    if (side != "buy" && side != "sell") {
        return fail("51000", "Parameter side error");
    }
    const std::string type = str(body, "ordType");
    if (type != "market" && type != "limit" && type != "post_only") {
        return fail("51000", "Parameter ordType error");
    }
    if (body.contains("clOrdId") && !id_ok(cl)) {
        return fail("51000", "Parameter clOrdId error");
    }
    const auto sz = decimal(str(body, "sz"));
    if (!sz) {
        return fail("51000", "Parameter sz error");
    }
    std::optional<Decimal> px;
    if (type != "market") {
        px = decimal(str(body, "px"));
        if (!px) {
            return fail("51000", "Parameter px error");
        }
        if (px->decimals > decimals_of(inst->tick_sz)) {
            return fail("51000", "Parameter px error: not a multiple of tickSz " + inst->tick_sz);
        }
    }
    // Spot market orders: sz in tgtCcy (default quote_ccy for a buy, base_ccy for a sell).
    std::string tgt = str(body, "tgtCcy");
    if (type == "market" && tgt.empty()) {
        tgt = side == "buy" ? "quote_ccy" : "base_ccy";
    }
    if (type != "market" && !tgt.empty()) {
        return fail("51000", "Parameter tgtCcy error");
    }
    if (tgt != "" && tgt != "base_ccy" && tgt != "quote_ccy") {
        return fail("51000", "Parameter tgtCcy error");
    }
    const double ref_px = px ? px->v : last_close(inst_id);
    double base = sz->v;
    if (tgt == "quote_ccy") {
        if (!(ref_px > 0)) {
            return fail("51000", "Parameter sz error: no price yet to size a quote amount");
        }
        base = std::floor(sz->v / ref_px / kLotSz) * kLotSz;
    } else if (sz->decimals > kLotDecimals) {
        return fail("51121", "Order quantity must be a multiple of the lot size");
    }
    if (base < kMinSz) {
        return fail("51020", "Your order should meet or exceed the minimum order amount.");
    }
    for (const auto& [id, r] : orders_) {
        if (!cl.empty() && r.cl_ord_id == cl &&
            (r.state == "live" || r.state == "partially_filled")) {
            return fail("51016", "Duplicated clOrdId");
        }
    }
    if (side == "buy") {
        const double cost = base * ref_px * (1 + options_.taker_fee);
        if (cost > paper_.cash() - frozen_quote() + 1e-9) {
            return fail("51008",
                        "Order failed. Insufficient " + inst->quote + " balance in account.");
        }
    } else {
        if (base > available_base(inst_id) + 1e-12) {
            return fail("51008",
                        "Order failed. Insufficient " + inst->base + " balance in account.");
        }
    }
    Rec r;
    r.ord_id = std::to_string(kIdBase + ++next_id_);
    r.cl_ord_id = cl;
    r.inst = inst_id;
    r.side = side;
    r.ord_type = type;
    r.px = px ? str(body, "px") : std::string();
    r.px_value = px ? px->v : 0;
    r.sz = str(body, "sz");
    r.tgt_ccy = type == "market" ? tgt : std::string();
    r.base_sz = base;
    r.c_time = r.u_time = now_ms;
    exec::OrderRequest o;
    o.cl_ord_id = r.ord_id;
    o.inst = inst_id;
    o.side = side == "buy" ? core::Side::kBuy : core::Side::kSell;
    o.ord_type = type == "market"  ? core::OrdType::kMarket
                 : type == "limit" ? core::OrdType::kLimit
                                   : core::OrdType::kPostOnly;
    if (px) {
        o.px = px->v;
    }
    o.sz = base;
    o.decided_ts = now_ms; // it fills on the bars that open after now
    const std::string ord_id = r.ord_id;
    orders_.emplace(ord_id, std::move(r));
    std::vector<exec::Event> events;
    paper_.submit(o, now_ms, events);
    apply(events);
    return Outcome{order_item(cl, ord_id, now_ms, "0", "Order placed"), "0", "Order placed"};
}

Trading::Rec* Trading::find_order(const std::string& inst, const std::string& ord_id,
                                  const std::string& cl) {
    // ordId wins; a clOrdId means its latest order.
    for (auto it = orders_.rbegin(); it != orders_.rend(); ++it) { // NOLINT(modernize-loop-convert)
        Rec& o = it->second;
        if (o.inst == inst &&
            (ord_id.empty() ? (!cl.empty() && o.cl_ord_id == cl) : o.ord_id == ord_id)) {
            return &o;
        }
    }
    return nullptr;
}

Response Trading::cancel(const Request& req, std::int64_t now_ms) {
    const Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
        return error_response(400, "50002", "Json data format error");
    }
    Outcome o = cancel_one(body, now_ms);
    return one_answer(std::move(o.item), o.code);
}

Response Trading::batch_cancel(const Request& req, std::int64_t now_ms) {
    const Json body = Json::parse(req.body, nullptr, false);
    if (auto refused =
            batch_refusal(body, kBatchMax, "51406", "Canceled order count exceeds the limit 20")) {
        return *refused;
    }
    std::vector<Json> items;
    std::vector<std::string> codes;
    for (const Json& one : body) {
        Outcome o = cancel_one(one, now_ms);
        items.push_back(std::move(o.item));
        codes.push_back(o.code);
    }
    return batch_answer(items, codes);
}

Trading::Outcome Trading::cancel_one(const Json& body, std::int64_t now_ms) {
    const std::string inst_id = str(body, "instId");
    const std::string ord_id = str(body, "ordId");
    const std::string cl = str(body, "clOrdId");
    const auto answer = [&](const std::string& c, const std::string& o, const std::string& code,
                            const std::string& msg) {
        return Outcome{order_item(c, o, now_ms, code, msg), code, msg};
    };
    if (inst_id.empty()) {
        return answer(cl, ord_id, "50014", "Parameter instId can not be empty");
    }
    Rec* r = find_order(inst_id, ord_id, cl);
    if (r == nullptr) {
        return answer(cl, ord_id, "51400",
                      "Order cancellation failed as the order has been filled, canceled or does "
                      "not exist");
    }
    if (r->state == "canceled") {
        return answer(r->cl_ord_id, r->ord_id, "51401", "Order has been canceled");
    }
    if (r->state == "filled") {
        return answer(r->cl_ord_id, r->ord_id, "51402", "Order has been completed");
    }
    std::vector<exec::Event> events;
    paper_.cancel(r->ord_id, now_ms, events);
    r->cancel_source.assign(1, '1'); // "1": by the user (assign: GCC 12 misreads a literal here)
    apply(events);
    return answer(r->cl_ord_id, r->ord_id, "0", "");
}

namespace {

template <class R> Json order_json(const R& r) {
    Json j;
    j["instType"] = "SPOT";
    j["instId"] = r.inst;
    j["ordId"] = r.ord_id;
    j["clOrdId"] = r.cl_ord_id;
    j["tag"] = "";
    j["side"] = r.side;
    j["posSide"] = "net";
    j["tdMode"] = "cash";
    j["ordType"] = r.ord_type;
    j["px"] = r.px;
    j["sz"] = r.sz;
    j["tgtCcy"] = r.tgt_ccy;
    j["state"] = r.state;
    j["accFillSz"] = text(r.acc_fill_sz);
    j["avgPx"] = r.acc_fill_sz > 0 ? text(r.avg_px) : std::string();
    j["fillPx"] = r.last_fill_sz > 0 ? text(r.last_fill_px) : std::string();
    j["fillSz"] = r.last_fill_sz > 0 ? text(r.last_fill_sz) : std::string("0");
    j["fillTime"] = r.fill_time > 0 ? std::to_string(r.fill_time) : std::string();
    j["tradeId"] = r.last_trade_id;
    j["fee"] = text(-r.fee);
    j["feeCcy"] = "USDT";
    j["cancelSource"] = r.cancel_source;
    j["algoId"] = r.algo_id;
    j["algoClOrdId"] = r.algo_cl_ord_id;
    j["source"] = r.source;
    j["cTime"] = std::to_string(r.c_time);
    j["uTime"] = std::to_string(r.u_time);
    return j;
}

// The algo object of §4.4 (as order-algo, orders-algo-pending and -history list it).
template <class A> Json algo_json(const A& a) {
    Json j;
    j["instType"] = "SPOT";
    j["instId"] = a.inst;
    j["algoId"] = a.algo_id;
    j["algoClOrdId"] = a.algo_cl_ord_id;
    j["ordType"] = a.ord_type;
    j["side"] = a.side;
    j["sz"] = a.sz;
    j["tdMode"] = "cash";
    j["state"] = a.state;
    j["tpTriggerPx"] = a.tp_trigger_px;
    j["tpTriggerPxType"] = a.tp_trigger_px.empty() ? "" : "last";
    j["tpOrdPx"] = a.tp_ord_px;
    j["slTriggerPx"] = a.sl_trigger_px;
    j["slTriggerPxType"] = a.sl_trigger_px.empty() ? "" : "last";
    j["slOrdPx"] = a.sl_ord_px;
    j["actualSz"] = a.ord_id.empty() ? std::string() : a.sz;
    j["actualPx"] = a.actual_px;
    j["actualSide"] = a.actual_side;
    j["triggerTime"] = a.trigger_time > 0 ? std::to_string(a.trigger_time) : std::string();
    j["ordId"] = a.ord_id;
    j["ordIdList"] = a.ord_id.empty() ? Json::array() : Json::array({a.ord_id});
    j["failCode"] = a.fail_code;
    j["cTime"] = std::to_string(a.c_time);
    j["uTime"] = std::to_string(a.u_time);
    return j;
}

} // namespace

void Trading::push_change(const Rec& r, const FillRec* fill) {
    Json j = order_json(r);
    j["posSide"] = ""; // as the docs' spot push (ws_orders_push_spot_docs.json)
    // The fill fields describe this change only; fee is the order's, cumulative.
    j["fillPx"] = fill != nullptr ? text(fill->px) : std::string();
    j["fillSz"] = fill != nullptr ? text(fill->sz) : std::string("0");
    j["fillTime"] = fill != nullptr ? std::to_string(fill->ts) : std::string();
    j["tradeId"] = fill != nullptr ? fill->trade_id : std::string();
    j["fillFee"] = fill != nullptr ? text(-fill->fee) : std::string("0");
    j["fillFeeCcy"] = fill != nullptr ? "USDT" : "";
    j["execType"] = fill != nullptr ? fill->exec_type : std::string();
    // The row of an amend's change carries its outcome and reqId (§5.5); others "".
    const bool amended = !amending_.empty() && r.ord_id == amending_;
    j["amendResult"] = amended ? amend_result_ : std::string();
    j["reqId"] = amended ? amend_req_id_ : std::string();
    pushes_.push_back(OrderPush{r.inst, j.dump()});
}

std::vector<OrderPush> Trading::take_pushes() {
    std::vector<OrderPush> out;
    out.swap(pushes_);
    return out;
}

Response Trading::order(const Request& req) const {
    const std::string inst_id = req.param("instId").value_or("");
    const std::string ord_id = req.param("ordId").value_or("");
    const std::string cl = req.param("clOrdId").value_or("");
    if (inst_id.empty()) {
        return error_response(400, "50014", "Parameter instId can not be empty");
    }
    if (ord_id.empty() && cl.empty()) {
        return error_response(400, "50014", "Parameter ordId or clOrdId can not be empty");
    }
    for (auto it = orders_.rbegin(); it != orders_.rend(); ++it) { // NOLINT(modernize-loop-convert)
        const Rec& r = it->second;
        if (r.inst == inst_id && (ord_id.empty() ? r.cl_ord_id == cl : r.ord_id == ord_id)) {
            return ok_response(Json::array({order_json(r)}));
        }
    }
    return error_response(200, "51603", "Order does not exist");
}

Response Trading::pending(const Request& req) const {
    const std::string inst_id = req.param("instId").value_or("");
    Json list = Json::array();
    for (auto it = orders_.rbegin(); it != orders_.rend() && list.size() < 100; ++it) {
        const Rec& r = it->second;
        if ((r.state == "live" || r.state == "partially_filled") &&
            (inst_id.empty() || r.inst == inst_id)) {
            list.push_back(order_json(r));
        }
    }
    return ok_response(list);
}

Response Trading::history(const Request& req) const {
    const std::string inst_type = req.param("instType").value_or("");
    if (inst_type.empty()) {
        return error_response(400, "50014", "Parameter instType can not be empty");
    }
    const std::string inst_id = req.param("instId").value_or("");
    const std::string state = req.param("state").value_or("");
    Json list = Json::array();
    if (inst_type != "SPOT") {
        return ok_response(list);
    }
    for (auto it = orders_.rbegin(); it != orders_.rend() && list.size() < 100; ++it) {
        const Rec& r = it->second;
        if ((r.state == "filled" || r.state == "canceled") && (state.empty() || r.state == state) &&
            (inst_id.empty() || r.inst == inst_id)) {
            list.push_back(order_json(r));
        }
    }
    return ok_response(list);
}

Response Trading::fills(const Request& req) const {
    const std::string inst_id = req.param("instId").value_or("");
    const std::string ord_id = req.param("ordId").value_or("");
    Json list = Json::array();
    for (auto it = fills_.rbegin(); it != fills_.rend() && list.size() < 100; ++it) {
        if ((!inst_id.empty() && it->inst != inst_id) ||
            (!ord_id.empty() && it->ord_id != ord_id)) {
            continue;
        }
        Json j;
        j["instType"] = "SPOT";
        j["instId"] = it->inst;
        j["tradeId"] = it->trade_id;
        j["ordId"] = it->ord_id;
        j["clOrdId"] = it->cl_ord_id;
        j["billId"] = it->bill_id;
        j["tag"] = "";
        j["side"] = it->side;
        j["posSide"] = "net";
        j["fillPx"] = text(it->px);
        j["fillSz"] = text(it->sz);
        j["execType"] = it->exec_type;
        j["fee"] = text(-it->fee);
        j["feeCcy"] = "USDT";
        j["fillTime"] = std::to_string(it->ts);
        j["ts"] = std::to_string(it->ts);
        j["subType"] = it->side == "buy" ? "1" : "2";
        list.push_back(std::move(j));
    }
    return ok_response(list);
}

Response Trading::ledger() const {
    Json orders = Json::array();
    for (const auto& [id, r] : orders_) {
        Json j;
        j["ordId"] = r.ord_id;
        j["clOrdId"] = r.cl_ord_id;
        j["instId"] = r.inst;
        j["side"] = r.side;
        j["state"] = r.state;
        j["accFillSz"] = text(r.acc_fill_sz);
        j["cancelSource"] = r.cancel_source;
        j["algoId"] = r.algo_id;
        orders.push_back(std::move(j));
    }
    Json fills = Json::array();
    for (const FillRec& f : fills_) {
        Json j;
        j["tradeId"] = f.trade_id;
        j["ordId"] = f.ord_id;
        j["clOrdId"] = f.cl_ord_id;
        j["instId"] = f.inst;
        j["fillSz"] = text(f.sz);
        j["fillPx"] = text(f.px);
        fills.push_back(std::move(j));
    }
    Json body;
    body["orders"] = std::move(orders);
    body["fills"] = std::move(fills);
    if (!algos_.empty()) { // a ledger of plain orders reads as before algos were served
        Json algos = Json::array();
        for (const auto& [id, a] : algos_) {
            Json j;
            j["algoId"] = a.algo_id;
            j["algoClOrdId"] = a.algo_cl_ord_id;
            j["instId"] = a.inst;
            j["ordType"] = a.ord_type;
            j["state"] = a.state;
            j["actualSide"] = a.actual_side;
            j["ordId"] = a.ord_id;
            algos.push_back(std::move(j));
        }
        body["algos"] = std::move(algos);
    }
    Response r;
    r.status = 200;
    r.body = body.dump();
    return r;
}

Response Trading::balance(const Request& req, std::int64_t now_ms) const {
    std::vector<std::string> wanted;
    if (auto ccy = req.param("ccy")) {
        std::size_t from = 0;
        for (;;) {
            const std::size_t comma = ccy->find(',', from);
            wanted.push_back(
                ccy->substr(from, comma == std::string::npos ? std::string::npos : comma - from));
            if (comma == std::string::npos) {
                break;
            }
            from = comma + 1;
        }
    }
    const auto want = [&](const std::string& c) {
        return wanted.empty() || std::find(wanted.begin(), wanted.end(), c) != wanted.end();
    };
    const std::string u_time = std::to_string(now_ms);
    Json details = Json::array();
    const auto detail = [&](const std::string& ccy, double cash, double frozen) {
        Json d;
        d["availBal"] = text(cash - frozen);
        d["availEq"] = text(cash - frozen);
        d["cashBal"] = text(cash);
        d["ccy"] = ccy;
        d["eq"] = text(cash);
        d["frozenBal"] = text(frozen);
        d["ordFrozen"] = text(frozen);
        d["uTime"] = u_time;
        d["upl"] = "0";
        details.push_back(std::move(d));
    };
    if (want("USDT")) {
        detail("USDT", paper_.cash(), frozen_quote());
    }
    for (const auto& [inst, h] : paper_.holdings()) {
        const Instrument* i = data_.instrument(inst);
        const std::string ccy = i != nullptr ? i->base : inst;
        if (h.sz > 0 && want(ccy)) {
            detail(ccy, h.sz, frozen_base(inst));
        }
    }
    Json account;
    account["adjEq"] = "";
    account["details"] = std::move(details);
    account["imr"] = "";
    account["isoEq"] = "0";
    account["mgnRatio"] = "";
    account["totalEq"] = "";
    account["uTime"] = u_time;
    return ok_response(Json::array({account}));
}

Response Trading::amend(const Request& req, std::int64_t now_ms) {
    const Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
        return error_response(400, "50002", "Json data format error");
    }
    const std::string inst_id = str(body, "instId");
    const std::string req_id = str(body, "reqId");
    const auto answer = [&](const std::string& cl, const std::string& ord, const std::string& code,
                            const std::string& msg) {
        Json item;
        item["clOrdId"] = cl;
        item["ordId"] = ord;
        item["ts"] = std::to_string(now_ms);
        item["reqId"] = req_id;
        item["sCode"] = code;
        item["sMsg"] = msg;
        return one_answer(std::move(item), code);
    };
    const std::string ord_id = str(body, "ordId");
    const std::string cl = str(body, "clOrdId");
    const auto fail = [&](const std::string& code, const std::string& msg) {
        return answer(cl, ord_id, code, msg);
    };
    if (inst_id.empty()) {
        return fail("50014", "Parameter instId can not be empty");
    }
    if (body.contains("reqId") && !id_ok(req_id)) {
        return fail("51000", "Parameter reqId error");
    }
    if (body.contains("cxlOnFail") && !body["cxlOnFail"].is_boolean()) {
        return fail("51000", "Parameter cxlOnFail error");
    }
    const bool cxl_on_fail = body.contains("cxlOnFail") && body["cxlOnFail"].get<bool>();
    const std::string sz_text = str(body, "newSz");
    const std::string px_text = str(body, "newPx");
    if (sz_text.empty() && px_text.empty()) {
        return fail("51500", "Either order price or amount is required");
    }
    std::optional<Decimal> new_sz;
    if (!sz_text.empty()) {
        new_sz = decimal(sz_text);
        if (!new_sz) {
            return fail("51000", "Parameter newSz error");
        }
        if (new_sz->decimals > kLotDecimals) {
            return fail("51121", "Order quantity must be a multiple of the lot size");
        }
    }
    const Instrument* inst = data_.instrument(inst_id);
    if (inst == nullptr) {
        return fail("51001", "Instrument ID does not exist");
    }
    std::optional<Decimal> new_px;
    if (!px_text.empty()) {
        new_px = decimal(px_text);
        if (!new_px) {
            return fail("51000", "Parameter newPx error");
        }
        if (new_px->decimals > decimals_of(inst->tick_sz)) {
            return fail("51000",
                        "Parameter newPx error: not a multiple of tickSz " + inst->tick_sz);
        }
    }
    Rec* r = find_order(inst_id, ord_id, cl);
    if (r == nullptr || (r->state != "live" && r->state != "partially_filled")) {
        return answer(r != nullptr ? r->cl_ord_id : cl, r != nullptr ? r->ord_id : ord_id, "51503",
                      "Order modification failed as the order has been filled, canceled or does "
                      "not exist");
    }
    if (r->ord_type == "market") {
        return answer(r->cl_ord_id, r->ord_id, "51506",
                      "Order modification unavailable for the order type");
    }
    const std::string r_cl = r->cl_ord_id;
    const std::string r_ord = r->ord_id;
    // A buy whose price or size grows needs the USDT for the difference; a sell that grows,
    // the base currency.
    const double sz_v = new_sz ? new_sz->v : r->base_sz;
    const double px_v = new_px ? new_px->v : r->px_value;
    const double rest_old = r->base_sz - r->acc_fill_sz;
    const double rest_new = std::max(0.0, sz_v - r->acc_fill_sz);
    bool short_of = false;
    if (r->side == "buy") {
        const double hold_old = rest_old * r->px_value * (1 + options_.taker_fee);
        const double hold_new = rest_new * px_v * (1 + options_.taker_fee);
        short_of =
            hold_new > hold_old && hold_new > paper_.cash() - (frozen_quote() - hold_old) + 1e-9;
    } else {
        short_of = rest_new > rest_old && rest_new > available_base(inst_id) + rest_old + 1e-12;
    }
    std::vector<exec::Event> events;
    if (short_of) {
        if (cxl_on_fail) {
            // The amend failed, and the order goes with it (amendResult "1").
            paper_.cancel(r_ord, now_ms, events);
            r->cancel_source.assign(1, '0'); // "0": by the system
            amending_ = r_ord;
            amend_req_id_ = req_id;
            amend_result_.assign(1, '1');
            apply(events);
            amending_.clear();
        }
        return answer(r_cl, r_ord, "51008",
                      "Order failed. Insufficient " +
                          (r->side == "buy" ? inst->quote : inst->base) + " balance in account.");
    }
    if (!paper_.amend(r_ord, new_px ? std::optional<double>(new_px->v) : std::nullopt,
                      new_sz ? std::optional<double>(new_sz->v) : std::nullopt, now_ms, events)) {
        return answer(r_cl, r_ord, "51503",
                      "Order modification failed as the order has been filled, canceled or does "
                      "not exist");
    }
    if (new_px) {
        r->px = px_text;
        r->px_value = new_px->v;
    }
    if (new_sz) {
        r->sz = sz_text;
        r->base_sz = new_sz->v;
    }
    amending_ = r_ord;
    amend_req_id_ = req_id;
    amend_result_.assign(1, '0');
    apply(events);
    amending_.clear();
    return answer(r_cl, r_ord, "0", "");
}

Response Trading::trade_fee(const Request& req, std::int64_t now_ms) const {
    const std::string type = req.param("instType").value_or("");
    if (type.empty()) {
        return error_response(400, "50014", "Parameter instType can not be empty");
    }
    if (type != "SPOT") {
        return error_response(400, "51000", "Parameter instType error");
    }
    const std::string inst_id = req.param("instId").value_or("");
    if (!inst_id.empty() && data_.instrument(inst_id) == nullptr) {
        return error_response(200, "51001", "Instrument ID does not exist");
    }
    // OKX writes a charge negative (a rebate positive).
    Json j;
    j["category"] = "1";
    j["delivery"] = "";
    j["exercise"] = "";
    j["instType"] = "SPOT";
    j["level"] = "Lv1";
    j["maker"] = text(-options_.maker_fee);
    j["taker"] = text(-options_.taker_fee);
    j["makerU"] = "";
    j["takerU"] = "";
    j["makerUSDC"] = "";
    j["takerUSDC"] = "";
    j["ts"] = std::to_string(now_ms);
    return ok_response(Json::array({j}));
}

Response Trading::positions(const Request& /*req*/) {
    return ok_response(Json::array());
}

Trading::AlgoRec* Trading::find_algo(const std::string& algo_id,
                                     const std::string& algo_cl_ord_id) {
    return const_cast<AlgoRec*>(std::as_const(*this).find_algo(algo_id, algo_cl_ord_id));
}

const Trading::AlgoRec* Trading::find_algo(const std::string& algo_id,
                                           const std::string& algo_cl_ord_id) const {
    if (!algo_id.empty()) {
        const auto it = algos_.find(algo_id);
        return it == algos_.end() ? nullptr : &it->second;
    }
    // An algoClOrdId names its latest algo: the live one, when there is one (it is unique
    // among the live ones, so none came after it).
    for (auto it = algos_.rbegin(); it != algos_.rend(); ++it) { // NOLINT(modernize-loop-convert)
        if (!algo_cl_ord_id.empty() && it->second.algo_cl_ord_id == algo_cl_ord_id) {
            return &it->second;
        }
    }
    return nullptr;
}

namespace {

// A trigger price, or a limit order price: a positive decimal on the instrument's tick.
bool on_tick(std::string_view s, const Instrument& inst) {
    const auto d = decimal(s);
    return d && d->decimals <= decimals_of(inst.tick_sz);
}

// An order price of a leg: "-1" (market) or a price on the tick.
bool ord_px_ok(std::string_view s, const Instrument& inst) {
    return s == "-1" || on_tick(s, inst);
}

constexpr const char* kSpotTriggerMsg =
    "Unable to place order. Spot trading only supports using the last price as trigger price. "
    "Please select \"Last\" and try again.";

// The trigger price types spot takes: the last price (the default).
bool last_price_type(const Json& body, const char* key) {
    return !body.contains(key) || str(body, key).empty() || str(body, key) == "last";
}

} // namespace

Response Trading::place_algo(const Request& req, std::int64_t now_ms) {
    const Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
        return error_response(400, "50002", "Json data format error");
    }
    const std::string acl = str(body, "algoClOrdId");
    const auto answer = [&](const std::string& algo_id, const std::string& code,
                            const std::string& msg) {
        Json item;
        item["algoId"] = algo_id;
        item["algoClOrdId"] = acl;
        item["clOrdId"] = "";
        item["sCode"] = code;
        item["sMsg"] = msg;
        item["tag"] = "";
        return one_answer(std::move(item), code);
    };
    const auto fail = [&](const std::string& code, const std::string& msg) {
        return answer("", code, msg);
    };
    const std::string inst_id = str(body, "instId");
    if (inst_id.empty()) {
        return fail("50014", "Parameter instId can not be empty");
    }
    const Instrument* inst = data_.instrument(inst_id);
    if (inst == nullptr) {
        return fail("51001", "Instrument ID does not exist");
    }
    if (str(body, "tdMode") != "cash") {
        return fail("51000", "Parameter tdMode error");
    }
    const std::string side = str(body, "side");
    if (side != "buy" && side != "sell") {
        return fail("51000", "Parameter side error");
    }
    const std::string type = str(body, "ordType");
    if (type != "oco" && type != "conditional") {
        return fail("51000", "Parameter ordType error");
    }
    if (body.contains("algoClOrdId") && !id_ok(acl)) {
        return fail("51000", "Parameter algoClOrdId error");
    }
    const auto sz = decimal(str(body, "sz"));
    if (!sz) {
        return fail("51000", "Parameter sz error");
    }
    if (sz->decimals > kLotDecimals) {
        return fail("51121", "Order quantity must be a multiple of the lot size");
    }
    if (sz->v < kMinSz) {
        return fail("51020", "Your order should meet or exceed the minimum order amount.");
    }
    AlgoRec a;
    a.tp_trigger_px = str(body, "tpTriggerPx");
    a.tp_ord_px = str(body, "tpOrdPx");
    a.sl_trigger_px = str(body, "slTriggerPx");
    a.sl_ord_px = str(body, "slOrdPx");
    // Each leg: a trigger on the tick, an order price "-1" or on the tick, the last price.
    for (const auto& [trigger, ord, name, type_key] :
         {std::tuple{&a.tp_trigger_px, &a.tp_ord_px, "tp", "tpTriggerPxType"},
          std::tuple{&a.sl_trigger_px, &a.sl_ord_px, "sl", "slTriggerPxType"}}) {
        const std::string n = name;
        if (trigger->empty()) {
            if (!ord->empty()) {
                return fail("50014", "Parameter " + n + "TriggerPx can not be empty");
            }
            continue;
        }
        if (!on_tick(*trigger, *inst)) {
            return fail("51000", "Parameter " + n + "TriggerPx error");
        }
        if (ord->empty()) {
            return fail("50014", "Parameter " + n + "OrdPx can not be empty");
        }
        if (!ord_px_ok(*ord, *inst)) {
            return fail("51000", "Parameter " + n + "OrdPx error");
        }
        if (!last_price_type(body, type_key)) {
            return fail("51415", kSpotTriggerMsg);
        }
    }
    if (type == "oco" && a.tp_trigger_px.empty()) {
        return fail("50014", "Parameter tpTriggerPx can not be empty");
    }
    if (type == "oco" && a.sl_trigger_px.empty()) {
        return fail("50014", "Parameter slTriggerPx can not be empty");
    }
    if (type == "conditional" && a.tp_trigger_px.empty() && a.sl_trigger_px.empty()) {
        return fail("50015", "Either parameter tpTriggerPx or slTriggerPx is required");
    }
    if (type == "conditional" && !a.tp_trigger_px.empty() && !a.sl_trigger_px.empty()) {
        // A conditional with both legs: only the stop is applied, as OKX does in net mode.
        a.tp_trigger_px.clear();
        a.tp_ord_px.clear();
    }
    if (!acl.empty()) {
        for (const auto& [id, o] : algos_) {
            if (o.algo_cl_ord_id == acl && o.state == "live") {
                return fail("51065", "algoClOrdId already exists.");
            }
        }
    }
    a.algo_cl_ord_id = acl;
    a.inst = inst_id;
    a.ord_type = type;
    a.side = side;
    a.sz = str(body, "sz");
    a.base_sz = sz->v;
    if (side == "sell" ? a.base_sz > available_base(inst_id) + 1e-12
                       : algo_quote_hold(a) > paper_.cash() - frozen_quote() + 1e-9) {
        return fail("51008", "Order failed. Insufficient " +
                                 (side == "sell" ? inst->base : inst->quote) +
                                 " balance in account.");
    }
    a.algo_id = std::to_string(kIdBase + ++next_id_);
    a.c_time = a.u_time = a.armed_after = now_ms;
    const std::string algo_id = a.algo_id;
    algos_.emplace(algo_id, std::move(a));
    return answer(algo_id, "0", "");
}

Trading::Outcome Trading::cancel_algo_one(const Json& body, std::int64_t now_ms) {
    const std::string inst_id = str(body, "instId");
    const std::string algo_id = str(body, "algoId");
    const std::string acl = str(body, "algoClOrdId");
    const auto answer = [&](const std::string& id, const std::string& cl, const std::string& code,
                            const std::string& msg) {
        Json item;
        item["algoId"] = id;
        item["algoClOrdId"] = cl;
        item["sCode"] = code;
        item["sMsg"] = msg;
        return Outcome{std::move(item), code, msg};
    };
    if (inst_id.empty()) {
        return answer(algo_id, acl, "50014", "Parameter instId can not be empty");
    }
    if (algo_id.empty() && acl.empty()) {
        return answer(algo_id, acl, "50015", "Either parameter algoId or algoClOrdId is required");
    }
    AlgoRec* a = find_algo(algo_id, acl);
    if (a == nullptr || a->inst != inst_id || a->state != "live") {
        return answer(algo_id, acl, "51400",
                      "Order cancellation failed as the order has been filled, canceled or does "
                      "not exist");
    }
    a->state = "canceled";
    a->u_time = now_ms;
    return answer(a->algo_id, a->algo_cl_ord_id, "0", "");
}

Response Trading::cancel_algos(const Request& req, std::int64_t now_ms) {
    const Json body = Json::parse(req.body, nullptr, false);
    if (auto refused = batch_refusal(body, kAlgoCancelMax, "51406",
                                     "Canceled order count exceeds the limit 10")) {
        return *refused;
    }
    std::vector<Json> items;
    std::vector<std::string> codes;
    for (const Json& one : body) {
        Outcome o = cancel_algo_one(one, now_ms);
        items.push_back(std::move(o.item));
        codes.push_back(o.code);
    }
    return batch_answer(items, codes);
}

Response Trading::amend_algos(const Request& req, std::int64_t now_ms) {
    const Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
        return error_response(400, "50002", "Json data format error");
    }
    const std::string inst_id = str(body, "instId");
    const std::string algo_id = str(body, "algoId");
    const std::string acl = str(body, "algoClOrdId");
    const std::string req_id = str(body, "reqId");
    const auto answer = [&](const std::string& id, const std::string& cl, const std::string& code,
                            const std::string& msg) {
        Json item;
        item["algoId"] = id;
        item["algoClOrdId"] = cl;
        item["reqId"] = req_id;
        item["sCode"] = code;
        item["sMsg"] = msg;
        return one_answer(std::move(item), code);
    };
    const auto fail = [&](const std::string& code, const std::string& msg) {
        return answer(algo_id, acl, code, msg);
    };
    if (inst_id.empty()) {
        return fail("50014", "Parameter instId can not be empty");
    }
    if (algo_id.empty() && acl.empty()) {
        return fail("50015", "Either parameter algoId or algoClOrdId is required");
    }
    if (body.contains("reqId") && !id_ok(req_id)) {
        return fail("51000", "Parameter reqId error");
    }
    const Instrument* inst = data_.instrument(inst_id);
    if (inst == nullptr) {
        return fail("51001", "Instrument ID does not exist");
    }
    const std::string sz_text = str(body, "newSz");
    const std::string tp_t = str(body, "newTpTriggerPx");
    const std::string tp_o = str(body, "newTpOrdPx");
    const std::string sl_t = str(body, "newSlTriggerPx");
    const std::string sl_o = str(body, "newSlOrdPx");
    if (sz_text.empty() && tp_t.empty() && tp_o.empty() && sl_t.empty() && sl_o.empty()) {
        return fail("51500", "Either order price or amount is required");
    }
    std::optional<Decimal> sz;
    if (!sz_text.empty()) {
        sz = decimal(sz_text);
        if (!sz) {
            return fail("51000", "Parameter newSz error");
        }
        if (sz->decimals > kLotDecimals) {
            return fail("51121", "Order quantity must be a multiple of the lot size");
        }
        if (sz->v < kMinSz) {
            return fail("51020", "Your order should meet or exceed the minimum order amount.");
        }
    }
    for (const auto& [value, name, is_trigger] :
         {std::tuple{&tp_t, "newTpTriggerPx", true}, std::tuple{&tp_o, "newTpOrdPx", false},
          std::tuple{&sl_t, "newSlTriggerPx", true}, std::tuple{&sl_o, "newSlOrdPx", false}}) {
        if (!value->empty() && !(is_trigger ? on_tick(*value, *inst) : ord_px_ok(*value, *inst))) {
            return fail("51000", std::string("Parameter ") + name + " error");
        }
    }
    if (!last_price_type(body, "newTpTriggerPxType") ||
        !last_price_type(body, "newSlTriggerPxType")) {
        return fail("51415", kSpotTriggerMsg);
    }
    AlgoRec* a = find_algo(algo_id, acl);
    if (a == nullptr || a->inst != inst_id || a->state != "live") {
        return fail("51503",
                    "Order modification failed as the order has been filled, canceled or does not "
                    "exist");
    }
    // Only the legs the algo has can move (a conditional stop gains no take-profit).
    if (a->tp_trigger_px.empty() && (!tp_t.empty() || !tp_o.empty())) {
        return fail("51000",
                    tp_t.empty() ? "Parameter newTpOrdPx error" : "Parameter newTpTriggerPx error");
    }
    if (a->sl_trigger_px.empty() && (!sl_t.empty() || !sl_o.empty())) {
        return fail("51000",
                    sl_t.empty() ? "Parameter newSlOrdPx error" : "Parameter newSlTriggerPx error");
    }
    AlgoRec next = *a;
    if (sz) {
        next.sz = sz_text;
        next.base_sz = sz->v;
    }
    for (const auto& [value, field] :
         {std::pair{&tp_t, &next.tp_trigger_px}, std::pair{&tp_o, &next.tp_ord_px},
          std::pair{&sl_t, &next.sl_trigger_px}, std::pair{&sl_o, &next.sl_ord_px}}) {
        if (!value->empty()) {
            *field = *value;
        }
    }
    // What the amended algo holds, with its own current hold set free.
    const bool short_of =
        a->side == "sell"
            ? next.base_sz > available_base(inst_id) + a->base_sz + 1e-12
            : algo_quote_hold(next) > paper_.cash() - frozen_quote() + algo_quote_hold(*a) + 1e-9;
    if (short_of) {
        return fail("51008", "Order failed. Insufficient " +
                                 (a->side == "sell" ? inst->base : inst->quote) +
                                 " balance in account.");
    }
    next.u_time = now_ms;
    next.armed_after = now_ms; // the new levels hold for the bars after the amend
    *a = std::move(next);
    return answer(a->algo_id, a->algo_cl_ord_id, "0", "");
}

Response Trading::algo(const Request& req) const {
    const std::string algo_id = req.param("algoId").value_or("");
    const std::string acl = req.param("algoClOrdId").value_or("");
    if (algo_id.empty() && acl.empty()) {
        return error_response(400, "50015", "Either parameter algoId or algoClOrdId is required");
    }
    const AlgoRec* a = find_algo(algo_id, acl);
    if (a == nullptr) {
        return error_response(200, "51603", "Order does not exist");
    }
    return ok_response(Json::array({algo_json(*a)}));
}

namespace {

// The ordType list of an algo query ("oco,conditional"): nullopt when empty or when a type is
// not one of OKX's algo types.
std::optional<std::vector<std::string>> algo_types(const std::string& list) {
    static constexpr std::array<std::string_view, 7> kTypes = {
        "conditional", "oco", "trigger", "move_order_stop", "iceberg", "twap", "chase"};
    std::vector<std::string> out;
    std::size_t from = 0;
    for (;;) {
        const std::size_t comma = list.find(',', from);
        std::string t =
            list.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
        if (std::find(kTypes.begin(), kTypes.end(), t) == kTypes.end()) {
            return std::nullopt;
        }
        out.push_back(std::move(t));
        if (comma == std::string::npos) {
            return out;
        }
        from = comma + 1;
    }
}

} // namespace

Response Trading::algos_pending(const Request& req) const {
    const std::string types_text = req.param("ordType").value_or("");
    if (types_text.empty()) {
        return error_response(400, "50014", "Parameter ordType can not be empty");
    }
    const auto types = algo_types(types_text);
    if (!types) {
        return error_response(400, "51000", "Parameter ordType error");
    }
    const std::string inst_id = req.param("instId").value_or("");
    const std::string algo_id = req.param("algoId").value_or("");
    Json list = Json::array();
    for (auto it = algos_.rbegin(); it != algos_.rend() && list.size() < 100; ++it) {
        const AlgoRec& a = it->second;
        if (a.state == "live" && (inst_id.empty() || a.inst == inst_id) &&
            (algo_id.empty() || a.algo_id == algo_id) &&
            std::find(types->begin(), types->end(), a.ord_type) != types->end()) {
            list.push_back(algo_json(a));
        }
    }
    return ok_response(list);
}

Response Trading::algos_history(const Request& req) const {
    const std::string types_text = req.param("ordType").value_or("");
    if (types_text.empty()) {
        return error_response(400, "50014", "Parameter ordType can not be empty");
    }
    const auto types = algo_types(types_text);
    if (!types) {
        return error_response(400, "51000", "Parameter ordType error");
    }
    const std::string state = req.param("state").value_or("");
    const std::string algo_id = req.param("algoId").value_or("");
    if (state.empty() && algo_id.empty()) {
        return error_response(400, "50015", "Either parameter state or algoId is required");
    }
    if (!state.empty() && state != "effective" && state != "canceled" && state != "order_failed") {
        return error_response(400, "51000", "Parameter state error");
    }
    const std::string inst_id = req.param("instId").value_or("");
    Json list = Json::array();
    for (auto it = algos_.rbegin(); it != algos_.rend() && list.size() < 100; ++it) {
        const AlgoRec& a = it->second;
        if (a.state != "live" && (state.empty() || a.state == state) &&
            (algo_id.empty() || a.algo_id == algo_id) && (inst_id.empty() || a.inst == inst_id) &&
            std::find(types->begin(), types->end(), a.ord_type) != types->end()) {
            list.push_back(algo_json(a));
        }
    }
    return ok_response(list);
}

void Trading::trigger_algos(const exec::Candle& k, std::int64_t close_ms) {
    for (auto& [id, a] : algos_) {
        if (a.state != "live" || a.inst != k.inst || k.ts <= a.armed_after) {
            continue;
        }
        // A sell's stop is below: the low reaches it; its take-profit above: the high. A buy
        // mirrors it. Both in one bar: the stop, as the paper exchange takes it first.
        const bool sell = a.side == "sell";
        const bool sl = !a.sl_trigger_px.empty() && (sell ? k.l <= parse_double(a.sl_trigger_px)
                                                          : k.h >= parse_double(a.sl_trigger_px));
        const bool tp = !a.tp_trigger_px.empty() && (sell ? k.h >= parse_double(a.tp_trigger_px)
                                                          : k.l <= parse_double(a.tp_trigger_px));
        if (!sl && !tp) {
            continue;
        }
        const std::string& trigger = sl ? a.sl_trigger_px : a.tp_trigger_px;
        const std::string& ord_px = sl ? a.sl_ord_px : a.tp_ord_px;
        const bool market = ord_px == "-1";
        a.actual_side = sl ? "sl" : "tp";
        a.actual_px = market ? trigger : ord_px;
        a.trigger_time = a.u_time = close_ms;
        a.state = "effective"; // from here on its child holds, not the algo
        const double px = market ? parse_double(trigger) : parse_double(ord_px);
        if (sell ? a.base_sz > available_base(a.inst) + 1e-12
                 : a.base_sz * px * (1 + options_.taker_fee) >
                       paper_.cash() - frozen_quote() + 1e-9) {
            a.state = "order_failed";
            a.fail_code = "51008";
            continue;
        }
        Rec r;
        r.ord_id = std::to_string(kIdBase + ++next_id_);
        r.inst = a.inst;
        r.side = a.side;
        r.ord_type = market ? "market" : "limit";
        r.px = market ? std::string() : ord_px;
        r.px_value = market ? 0 : px;
        r.sz = a.sz;
        r.tgt_ccy = market ? "base_ccy" : "";
        r.base_sz = a.base_sz;
        r.algo_id = a.algo_id;
        r.algo_cl_ord_id = a.algo_cl_ord_id;
        r.source.assign(1, '7'); // §4.3: a TP/SL order (assign: GCC 12 misreads a literal)
        r.c_time = r.u_time = close_ms;
        a.ord_id = r.ord_id;
        exec::OrderRequest o;
        o.cl_ord_id = r.ord_id;
        o.inst = r.inst;
        o.side = sell ? core::Side::kSell : core::Side::kBuy;
        o.ord_type = market ? core::OrdType::kMarket : core::OrdType::kLimit;
        if (!market) {
            o.px = px;
        }
        o.sz = r.base_sz;
        o.decided_ts = k.ts; // decided at this bar: it works from the next one
        const std::string ord_id = r.ord_id;
        orders_.emplace(ord_id, std::move(r));
        std::vector<exec::Event> events;
        paper_.submit(o, close_ms, events);
        apply(events);
    }
}

} // namespace okxkit::fake
