#include "trading.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <tuple>

namespace okxkit::fake {

namespace {

using Json = nlohmann::ordered_json;

constexpr double kLotSz = 0.00000001; // as public/instruments answers (instrument_json)
constexpr double kMinSz = 0.00001;
constexpr int kLotDecimals = 8;
constexpr std::uint64_t kIdBase = 600'000'000'000'000'000ULL; // 18-digit ids, as OKX's

// The shortest text of v rounded to 10 decimals ("2500.5", "0.0001"): amounts computed in
// binary floating point without their last-digit noise.
std::string text(double v) {
    v = std::round(v * 1e10) / 1e10;
    if (v == 0) {
        return "0";
    }
    std::array<char, 64> buf{};
    auto [p, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
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

// One item of a place or cancel answer; code "1" around a failed one, as OKX answers.
Response item_answer(const std::string& cl_ord_id, const std::string& ord_id, std::int64_t ts,
                     const std::string& s_code, const std::string& s_msg) {
    Json item;
    item["clOrdId"] = cl_ord_id;
    item["ordId"] = ord_id;
    item["tag"] = "";
    item["ts"] = std::to_string(ts);
    item["sCode"] = s_code;
    item["sMsg"] = s_msg;
    Json body;
    body["code"] = s_code == "0" ? "0" : "1";
    body["data"] = Json::array({item});
    body["msg"] = s_code == "0" ? "" : "Operation failed.";
    return Response{200, body.dump(), s_code == "0" ? "0" : s_code, {}};
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
    std::vector<std::tuple<std::int64_t, std::string, const Candle*>> due;
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
            if (bar_end(s.bar, k.ts) > now_ms) {
                break;
            }
            due.emplace_back(k.ts, inst->inst_id, &k);
        }
    }
    std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) {
        return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
    });
    std::vector<exec::Event> events;
    for (const auto& [ts, inst, k] : due) {
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
    return f;
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
    const std::string cl = str(body, "clOrdId");
    const auto fail = [&](const std::string& code, const std::string& msg) {
        return item_answer(cl, "", now_ms, code, msg);
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
        const auto h = paper_.holdings().find(inst_id);
        const double held = h == paper_.holdings().end() ? 0 : h->second.sz;
        if (base > held - frozen_base(inst_id) + 1e-12) {
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
    return item_answer(cl, ord_id, now_ms, "0", "Order placed");
}

Response Trading::cancel(const Request& req, std::int64_t now_ms) {
    const Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
        return error_response(400, "50002", "Json data format error");
    }
    const std::string inst_id = str(body, "instId");
    const std::string ord_id = str(body, "ordId");
    const std::string cl = str(body, "clOrdId");
    if (inst_id.empty()) {
        return item_answer(cl, ord_id, now_ms, "50014", "Parameter instId can not be empty");
    }
    Rec* r = nullptr;
    // ordId wins; a clOrdId means its latest order.
    for (auto it = orders_.rbegin(); it != orders_.rend(); ++it) { // NOLINT(modernize-loop-convert)
        Rec& o = it->second;
        if (o.inst == inst_id &&
            (ord_id.empty() ? (!cl.empty() && o.cl_ord_id == cl) : o.ord_id == ord_id)) {
            r = &o;
            break;
        }
    }
    if (r == nullptr) {
        return item_answer(cl, ord_id, now_ms, "51400",
                           "Order cancellation failed as the order has been filled, canceled "
                           "or does not exist");
    }
    if (r->state == "canceled") {
        return item_answer(r->cl_ord_id, r->ord_id, now_ms, "51401", "Order has been canceled");
    }
    if (r->state == "filled") {
        return item_answer(r->cl_ord_id, r->ord_id, now_ms, "51402", "Order has been completed");
    }
    std::vector<exec::Event> events;
    paper_.cancel(r->ord_id, now_ms, events);
    r->cancel_source.assign(1, '1'); // "1": by the user (assign: GCC 12 misreads a literal here)
    apply(events);
    return item_answer(r->cl_ord_id, r->ord_id, now_ms, "0", "");
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
    j["cTime"] = std::to_string(r.c_time);
    j["uTime"] = std::to_string(r.u_time);
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

} // namespace okxkit::fake
