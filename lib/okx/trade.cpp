#include "okx/trade.hpp"

#include "core/error.hpp"
#include "core/json_scan.hpp"
#include "okx/envelope.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace okxkit::okx {

namespace {

constexpr std::string_view kPlace = "/api/v5/trade/order";
constexpr std::string_view kCancel = "/api/v5/trade/cancel-order";
constexpr std::string_view kPending = "/api/v5/trade/orders-pending";
constexpr std::string_view kHistory = "/api/v5/trade/orders-history";
constexpr std::string_view kFills = "/api/v5/trade/fills";
constexpr std::string_view kCancelAllAfter = "/api/v5/trade/cancel-all-after";
constexpr std::string_view kAmend = "/api/v5/trade/amend-order";
constexpr std::string_view kBatch = "/api/v5/trade/batch-orders";
constexpr std::string_view kCancelBatch = "/api/v5/trade/cancel-batch-orders";
constexpr std::string_view kTradeFee = "/api/v5/account/trade-fee";
constexpr std::string_view kPositions = "/api/v5/account/positions";
constexpr std::string_view kAlgo = "/api/v5/trade/order-algo"; // POST; GET is the algo's details
constexpr std::string_view kCancelAlgos = "/api/v5/trade/cancel-algos";
constexpr std::string_view kAmendAlgos = "/api/v5/trade/amend-algos";
constexpr std::string_view kAlgoPending = "/api/v5/trade/orders-algo-pending";
constexpr std::string_view kAlgoHistory = "/api/v5/trade/orders-algo-history";

void append_field(std::string& out, std::string_view key, std::string_view value) {
    out += out.size() > 1 ? ",\"" : "\"";
    out += key;
    out += "\":\"";
    out += value; // ids, enums and decimals: no character that JSON escapes
    out += '"';
}

[[noreturn]] void bad(std::string_view what, std::string_view endpoint) {
    throw OkxError("", "answer with a missing or malformed " + std::string(what), 200,
                   std::string(endpoint));
}

std::string text_of(const nlohmann::json& item, const char* key, std::string_view endpoint) {
    const auto it = item.find(key);
    if (it == item.end() || !it->is_string()) {
        bad(key, endpoint);
    }
    return it->get<std::string>();
}

// A number OKX writes as a string; "" (nothing yet) is nullopt.
std::optional<double> number_of(const nlohmann::json& item, const char* key,
                                std::string_view endpoint) {
    const std::string s = text_of(item, key, endpoint);
    if (s.empty()) {
        return std::nullopt;
    }
    double v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) {
        bad(key, endpoint);
    }
    return v;
}

std::int64_t time_of(const nlohmann::json& item, const char* key, std::string_view endpoint) {
    const std::string s = text_of(item, key, endpoint);
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
        bad(key, endpoint);
    }
    return v;
}

core::Side side_of(const nlohmann::json& item, std::string_view endpoint) {
    const std::string s = text_of(item, "side", endpoint);
    if (s == "buy") {
        return core::Side::kBuy;
    }
    if (s == "sell") {
        return core::Side::kSell;
    }
    bad("side", endpoint);
}

} // namespace

bool valid_cl_ord_id(std::string_view id) {
    return !id.empty() && id.size() <= 32 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    });
}

std::string client_order_id(std::string_view run, std::uint64_t seq) {
    // FNV-1a of the run: stable across builds and machines.
    std::uint32_t h = 2166136261U;
    for (char c : run) {
        h = (h ^ static_cast<unsigned char>(c)) * 16777619U;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    static constexpr char kB36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string id = "k";
    for (int shift = 28; shift >= 0; shift -= 4) {
        id += kHex[(h >> shift) & 15U];
    }
    std::array<char, 16> digits{};
    std::size_t n = 0;
    do {
        digits[n++] = kB36[seq % 36];
        seq /= 36;
    } while (seq > 0);
    while (n > 0) {
        id += digits[--n];
    }
    return id;
}

std::string place_body(const PlaceOrder& o) {
    std::string b = "{";
    append_field(b, "instId", o.inst_id);
    append_field(b, "tdMode", "cash");
    append_field(b, "clOrdId", o.cl_ord_id);
    append_field(b, "side", to_text(o.side));
    append_field(b, "ordType", to_text(o.ord_type));
    if (o.px) {
        append_field(b, "px", o.px->to_string());
    }
    append_field(b, "sz", o.sz.to_string());
    if (o.ord_type == core::OrdType::kMarket) {
        append_field(b, "tgtCcy", "base_ccy");
    }
    b += '}';
    return b;
}

Placed place_order(RestClient& rest, const PlaceOrder& o) {
    if (!valid_cl_ord_id(o.cl_ord_id)) {
        throw core::UsageError("client order id \"" + core::excerpt(o.cl_ord_id, 40) +
                               "\" is not 1 to 32 letters and digits: OKX would refuse it");
    }
    if ((o.ord_type == core::OrdType::kMarket) == o.px.has_value()) {
        throw core::UsageError("a market order has no price, and a limit order needs one");
    }
    const nlohmann::json data = rest.post_private(kPlace, place_body(o));
    if (!data.is_array() || data.empty()) {
        bad("data", kPlace);
    }
    if (auto e = item_error(data[0], kPlace)) {
        throw *e;
    }
    return {text_of(data[0], "ordId", kPlace), text_of(data[0], "clOrdId", kPlace),
            time_of(data[0], "ts", kPlace)};
}

void cancel_order(RestClient& rest, std::string_view inst_id, std::string_view cl_ord_id) {
    std::string b = "{";
    append_field(b, "instId", inst_id);
    append_field(b, "clOrdId", cl_ord_id);
    b += '}';
    const nlohmann::json data = rest.post_private(kCancel, b);
    if (data.is_array() && !data.empty()) {
        if (auto e = item_error(data[0], kCancel)) {
            throw *e;
        }
    }
}

std::int64_t cancel_all_after(RestClient& rest, int timeout_s) {
    if (timeout_s != 0 && (timeout_s < 10 || timeout_s > 120)) {
        throw core::UsageError("the dead-man switch takes 10 to 120 s (or 0 to disarm it), not " +
                               std::to_string(timeout_s));
    }
    std::string b = "{";
    append_field(b, "timeOut", std::to_string(timeout_s));
    b += '}';
    const nlohmann::json data = rest.post_private(kCancelAllAfter, b);
    if (!data.is_array() || data.empty()) {
        bad("data", kCancelAllAfter);
    }
    const std::string t = text_of(data[0], "triggerTime", kCancelAllAfter);
    return t.empty() || t == "0" ? 0 : time_of(data[0], "triggerTime", kCancelAllAfter);
}

OrderInfo order_from_json(const nlohmann::json& item) {
    const std::string_view ep = kPlace;
    OrderInfo o;
    o.ord_id = text_of(item, "ordId", ep);
    o.cl_ord_id = text_of(item, "clOrdId", ep);
    o.inst_id = text_of(item, "instId", ep);
    o.side = side_of(item, ep);
    o.ord_type = text_of(item, "ordType", ep);
    const std::string state = text_of(item, "state", ep);
    if (state == "mmp_canceled") {
        o.state = core::OrderState::kCanceled;
    } else if (auto s = core::from_text<core::OrderState>(state)) {
        o.state = *s;
    } else {
        bad("state", ep);
    }
    o.px = number_of(item, "px", ep);
    o.sz = number_of(item, "sz", ep).value_or(0);
    o.acc_fill_sz = number_of(item, "accFillSz", ep).value_or(0);
    o.avg_px = number_of(item, "avgPx", ep);
    if (o.avg_px && *o.avg_px == 0 && o.acc_fill_sz == 0) {
        o.avg_px.reset(); // OKX writes "0" or "" before the first fill
    }
    o.fee = -number_of(item, "fee", ep).value_or(0);
    o.fee_ccy = text_of(item, "feeCcy", ep);
    if (const auto it = item.find("cancelSource"); it != item.end() && it->is_string()) {
        o.cancel_source = it->get<std::string>();
    }
    if (const auto it = item.find("algoId"); it != item.end() && it->is_string()) {
        o.algo_id = it->get<std::string>();
    }
    if (const auto it = item.find("algoClOrdId"); it != item.end() && it->is_string()) {
        o.algo_cl_ord_id = it->get<std::string>();
    }
    o.c_time = time_of(item, "cTime", ep);
    o.u_time = time_of(item, "uTime", ep);
    return o;
}

FillInfo fill_from_json(const nlohmann::json& item) {
    const std::string_view ep = kFills;
    FillInfo f;
    f.trade_id = text_of(item, "tradeId", ep);
    f.ord_id = text_of(item, "ordId", ep);
    f.cl_ord_id = text_of(item, "clOrdId", ep);
    f.inst_id = text_of(item, "instId", ep);
    f.side = side_of(item, ep);
    const auto px = number_of(item, "fillPx", ep);
    const auto sz = number_of(item, "fillSz", ep);
    if (!px || !sz) {
        bad("fillPx or fillSz", ep);
    }
    f.px = *px;
    f.sz = *sz;
    f.fee = -number_of(item, "fee", ep).value_or(0);
    f.fee_ccy = text_of(item, "feeCcy", ep);
    const std::string exec = text_of(item, "execType", ep);
    f.liquidity = exec == "M" ? core::Liquidity::kMaker : core::Liquidity::kTaker;
    f.ts = time_of(item, "ts", ep);
    return f;
}

namespace {

std::optional<OrderInfo> get_order_by(RestClient& rest, std::string_view inst_id, const char* key,
                                      std::string_view id) {
    try {
        const nlohmann::json data =
            rest.get_private(kPlace, {{"instId", std::string(inst_id)}, {key, std::string(id)}});
        if (!data.is_array() || data.empty()) {
            return std::nullopt;
        }
        return order_from_json(data[0]);
    } catch (const OkxError& e) {
        if (e.okx_code() == "51603") {
            return std::nullopt;
        }
        throw;
    }
}

} // namespace

std::optional<OrderInfo> get_order(RestClient& rest, std::string_view inst_id,
                                   std::string_view cl_ord_id) {
    return get_order_by(rest, inst_id, "clOrdId", cl_ord_id);
}

std::optional<OrderInfo> get_order_by_id(RestClient& rest, std::string_view inst_id,
                                         std::string_view ord_id) {
    return get_order_by(rest, inst_id, "ordId", ord_id);
}

std::vector<OrderInfo> finished_orders(RestClient& rest) {
    const nlohmann::json data = rest.get_private(kHistory, {{"instType", "SPOT"}});
    std::vector<OrderInfo> out;
    for (const auto& item : data) {
        out.push_back(order_from_json(item));
    }
    return out;
}

std::vector<OrderInfo> pending_orders(RestClient& rest, std::string_view inst_id) {
    Query q;
    if (!inst_id.empty()) {
        q.emplace_back("instId", std::string(inst_id));
    }
    const nlohmann::json data = rest.get_private(kPending, q);
    std::vector<OrderInfo> out;
    for (const auto& item : data) {
        out.push_back(order_from_json(item));
    }
    return out;
}

std::vector<FillInfo> recent_fills(RestClient& rest, std::string_view inst_id,
                                   std::string_view ord_id) {
    Query q;
    if (inst_id.empty()) {
        q.emplace_back("instType", "SPOT");
    } else {
        q.emplace_back("instId", std::string(inst_id));
    }
    if (!ord_id.empty()) {
        q.emplace_back("ordId", std::string(ord_id));
    }
    const nlohmann::json data = rest.get_private(kFills, q);
    std::vector<FillInfo> out;
    for (const auto& item : data) {
        out.push_back(fill_from_json(item));
    }
    return out;
}

// ---- amend and batches ----------------------------------------------------------------------

namespace {

void need_id(std::string_view id, std::string_view what) {
    if (!valid_cl_ord_id(id)) {
        throw core::UsageError(std::string(what) + " \"" + core::excerpt(id, 40) +
                               "\" is not 1 to 32 letters and digits: OKX would refuse it");
    }
}

// The items of a batch's answer, one result each, checked against what was sent.
std::vector<BatchResult> batch_results(const nlohmann::json& data, std::size_t sent,
                                       std::string_view endpoint, const char* id_key) {
    if (!data.is_array() || data.size() != sent) {
        bad("data (one item per order sent)", endpoint);
    }
    std::vector<BatchResult> out;
    out.reserve(sent);
    for (const nlohmann::json& item : data) {
        if (!item.is_object()) {
            bad("data item", endpoint);
        }
        BatchResult r;
        const auto str = [&item](const char* key) {
            const auto it = item.find(key);
            return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        r.ord_id = str(id_key);
        r.cl_ord_id = str(std::string_view(id_key) == "algoId" ? "algoClOrdId" : "clOrdId");
        r.error = item_error(item, endpoint);
        out.push_back(std::move(r));
    }
    return out;
}

std::string cancel_item_body(const CancelItem& c, const char* id_key) {
    std::string b = "{";
    append_field(b, "instId", c.inst_id);
    append_field(b, id_key, c.cl_ord_id);
    b += '}';
    return b;
}

} // namespace

std::string amend_body(const AmendOrder& a) {
    std::string b = "{";
    append_field(b, "instId", a.inst_id);
    append_field(b, "clOrdId", a.cl_ord_id);
    if (!a.req_id.empty()) {
        append_field(b, "reqId", a.req_id);
    }
    if (a.new_sz) {
        append_field(b, "newSz", a.new_sz->to_string());
    }
    if (a.new_px) {
        append_field(b, "newPx", a.new_px->to_string());
    }
    b += '}';
    return b;
}

void amend_order(RestClient& rest, const AmendOrder& a) {
    need_id(a.cl_ord_id, "client order id");
    if (!a.req_id.empty()) {
        need_id(a.req_id, "amend request id");
    }
    if (!a.new_px && !a.new_sz) {
        throw core::UsageError("an amend needs a new price or a new size");
    }
    const nlohmann::json data = rest.post_private(kAmend, amend_body(a));
    if (!data.is_array() || data.empty()) {
        bad("data", kAmend);
    }
    if (auto e = item_error(data[0], kAmend)) {
        throw *e;
    }
}

std::vector<BatchResult> place_orders(RestClient& rest, const std::vector<PlaceOrder>& orders) {
    if (orders.empty() || orders.size() > 20) {
        throw core::UsageError("a batch holds 1 to 20 orders, not " +
                               std::to_string(orders.size()));
    }
    std::string body = "[";
    for (const PlaceOrder& o : orders) {
        need_id(o.cl_ord_id, "client order id");
        if ((o.ord_type == core::OrdType::kMarket) == o.px.has_value()) {
            throw core::UsageError("a market order has no price, and a limit order needs one");
        }
        body += body.size() > 1 ? "," : "";
        body += place_body(o);
    }
    body += ']';
    return batch_results(rest.post_private(kBatch, body, true), orders.size(), kBatch, "ordId");
}

std::vector<BatchResult> cancel_orders(RestClient& rest, const std::vector<CancelItem>& items) {
    if (items.empty() || items.size() > 20) {
        throw core::UsageError("a batch cancel holds 1 to 20 orders, not " +
                               std::to_string(items.size()));
    }
    std::string body = "[";
    for (const CancelItem& c : items) {
        need_id(c.cl_ord_id, "client order id");
        body += body.size() > 1 ? "," : "";
        body += cancel_item_body(c, "clOrdId");
    }
    body += ']';
    return batch_results(rest.post_private(kCancelBatch, body, true), items.size(), kCancelBatch,
                         "ordId");
}

// ---- account ----------------------------------------------------------------------------------

TradeFee trade_fee_from_json(const nlohmann::json& item) {
    TradeFee f;
    f.level = text_of(item, "level", kTradeFee);
    const auto maker = number_of(item, "maker", kTradeFee);
    const auto taker = number_of(item, "taker", kTradeFee);
    if (!maker || !taker) {
        bad("maker or taker", kTradeFee);
    }
    f.maker = -*maker; // OKX: negative is charged
    f.taker = -*taker;
    return f;
}

TradeFee trade_fee(RestClient& rest, std::string_view inst_id) {
    Query q{{"instType", "SPOT"}};
    if (!inst_id.empty()) {
        q.emplace_back("instId", std::string(inst_id));
    }
    const nlohmann::json data = rest.get_private(kTradeFee, q);
    if (!data.is_array() || data.empty() || !data[0].is_object()) {
        bad("data", kTradeFee);
    }
    return trade_fee_from_json(data[0]);
}

PositionInfo position_from_json(const nlohmann::json& item) {
    const std::string_view ep = kPositions;
    PositionInfo p;
    p.inst_id = text_of(item, "instId", ep);
    p.inst_type = text_of(item, "instType", ep);
    p.mgn_mode = text_of(item, "mgnMode", ep);
    p.pos_side = text_of(item, "posSide", ep);
    if (const auto it = item.find("ccy"); it != item.end() && it->is_string()) {
        p.ccy = it->get<std::string>();
    }
    p.pos = number_of(item, "pos", ep).value_or(0);
    p.avg_px = number_of(item, "avgPx", ep);
    p.upl = number_of(item, "upl", ep).value_or(0);
    p.u_time = time_of(item, "uTime", ep);
    return p;
}

std::vector<PositionInfo> positions(RestClient& rest, std::string_view inst_type) {
    Query q;
    if (!inst_type.empty()) {
        q.emplace_back("instType", std::string(inst_type));
    }
    const nlohmann::json data = rest.get_private(kPositions, q);
    std::vector<PositionInfo> out;
    for (const auto& item : data) {
        out.push_back(position_from_json(item));
    }
    return out;
}

// ---- algo orders ------------------------------------------------------------------------------

std::string algo_body(const AlgoOrder& a) {
    std::string b = "{";
    append_field(b, "instId", a.inst_id);
    append_field(b, "tdMode", "cash");
    append_field(b, "side", to_text(a.side));
    append_field(b, "ordType", a.ord_type);
    append_field(b, "sz", a.sz.to_string());
    append_field(b, "algoClOrdId", a.algo_cl_ord_id);
    if (a.tp_trigger_px) {
        append_field(b, "tpTriggerPx", a.tp_trigger_px->to_string());
        append_field(b, "tpOrdPx", a.tp_ord_px ? a.tp_ord_px->to_string() : std::string("-1"));
    }
    if (a.sl_trigger_px) {
        append_field(b, "slTriggerPx", a.sl_trigger_px->to_string());
        append_field(b, "slOrdPx", a.sl_ord_px ? a.sl_ord_px->to_string() : std::string("-1"));
    }
    b += '}';
    return b;
}

std::string place_algo(RestClient& rest, const AlgoOrder& a) {
    need_id(a.algo_cl_ord_id, "algo client order id");
    if (a.ord_type == "oco"
            ? !(a.tp_trigger_px && a.sl_trigger_px)
            : a.ord_type != "conditional" || !(a.tp_trigger_px || a.sl_trigger_px)) {
        throw core::UsageError("an algo order is an oco with a take-profit and a stop, or a "
                               "conditional with one of them (ordType \"" +
                               core::excerpt(a.ord_type, 20) + "\")");
    }
    const nlohmann::json data = rest.post_private(kAlgo, algo_body(a));
    if (!data.is_array() || data.empty()) {
        bad("data", kAlgo);
    }
    if (auto e = item_error(data[0], kAlgo)) { // OKX may refuse one with code "0" (§4.4)
        throw *e;
    }
    return text_of(data[0], "algoId", kAlgo);
}

std::vector<BatchResult> cancel_algos(RestClient& rest, const std::vector<CancelItem>& items) {
    if (items.empty() || items.size() > 10) {
        throw core::UsageError("cancel-algos takes 1 to 10 algo orders, not " +
                               std::to_string(items.size()));
    }
    std::string body = "[";
    for (const CancelItem& c : items) {
        need_id(c.cl_ord_id, "algo client order id");
        body += body.size() > 1 ? "," : "";
        body += cancel_item_body(c, "algoClOrdId");
    }
    body += ']';
    return batch_results(rest.post_private(kCancelAlgos, body, true), items.size(), kCancelAlgos,
                         "algoId");
}

void amend_algo(RestClient& rest, const AmendAlgo& a) {
    need_id(a.algo_cl_ord_id, "algo client order id");
    if (!a.new_sz && !a.new_tp_trigger_px && !a.new_sl_trigger_px) {
        throw core::UsageError("an algo amend needs a new size or trigger price");
    }
    std::string b = "{";
    append_field(b, "instId", a.inst_id);
    append_field(b, "algoClOrdId", a.algo_cl_ord_id);
    if (a.new_sz) {
        append_field(b, "newSz", a.new_sz->to_string());
    }
    if (a.new_tp_trigger_px) {
        append_field(b, "newTpTriggerPx", a.new_tp_trigger_px->to_string());
    }
    if (a.new_sl_trigger_px) {
        append_field(b, "newSlTriggerPx", a.new_sl_trigger_px->to_string());
    }
    b += '}';
    const nlohmann::json data = rest.post_private(kAmendAlgos, b);
    if (!data.is_array() || data.empty()) {
        bad("data", kAmendAlgos);
    }
    if (auto e = item_error(data[0], kAmendAlgos)) {
        throw *e;
    }
}

AlgoInfo algo_from_json(const nlohmann::json& item) {
    const std::string_view ep = kAlgo;
    const auto opt_text = [&item](const char* key) {
        const auto it = item.find(key);
        return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const auto opt_number = [&](const char* key) -> std::optional<double> {
        return item.contains(key) ? number_of(item, key, ep) : std::nullopt;
    };
    AlgoInfo a;
    a.algo_id = text_of(item, "algoId", ep);
    a.algo_cl_ord_id = opt_text("algoClOrdId");
    a.inst_id = text_of(item, "instId", ep);
    a.ord_type = text_of(item, "ordType", ep);
    a.side = side_of(item, ep);
    a.state = text_of(item, "state", ep);
    a.sz = number_of(item, "sz", ep).value_or(0);
    a.tp_trigger_px = opt_number("tpTriggerPx");
    a.tp_ord_px = opt_number("tpOrdPx");
    a.sl_trigger_px = opt_number("slTriggerPx");
    a.sl_ord_px = opt_number("slOrdPx");
    a.actual_side = opt_text("actualSide");
    a.actual_sz = opt_number("actualSz").value_or(0);
    a.ord_id = opt_text("ordId");
    a.fail_code = opt_text("failCode");
    if (a.ord_id.empty()) {
        if (const auto it = item.find("ordIdList");
            it != item.end() && it->is_array() && !it->empty() && it->back().is_string()) {
            a.ord_id = it->back().get<std::string>();
        }
    }
    const std::string trig = opt_text("triggerTime");
    a.trigger_time = trig.empty() ? 0 : time_of(item, "triggerTime", ep);
    a.c_time = time_of(item, "cTime", ep);
    a.u_time = time_of(item, "uTime", ep);
    return a;
}

std::optional<AlgoInfo> get_algo(RestClient& rest, std::string_view algo_cl_ord_id) {
    try {
        const nlohmann::json data =
            rest.get_private(kAlgo, {{"algoClOrdId", std::string(algo_cl_ord_id)}});
        if (!data.is_array() || data.empty()) {
            return std::nullopt;
        }
        return algo_from_json(data[0]);
    } catch (const OkxError& e) {
        if (e.okx_code() == "51603") {
            return std::nullopt;
        }
        throw;
    }
}

std::vector<AlgoInfo> algo_history(RestClient& rest, std::string_view state,
                                   std::string_view inst_id) {
    Query q{{"ordType", "oco,conditional"}, {"state", std::string(state)}};
    if (!inst_id.empty()) {
        q.emplace_back("instId", std::string(inst_id));
    }
    const nlohmann::json data = rest.get_private(kAlgoHistory, q);
    std::vector<AlgoInfo> out;
    for (const auto& item : data) {
        out.push_back(algo_from_json(item));
    }
    return out;
}

std::vector<AlgoInfo> pending_algos(RestClient& rest, std::string_view inst_id) {
    Query q{{"ordType", "oco,conditional"}};
    if (!inst_id.empty()) {
        q.emplace_back("instId", std::string(inst_id));
    }
    const nlohmann::json data = rest.get_private(kAlgoPending, q);
    std::vector<AlgoInfo> out;
    for (const auto& item : data) {
        out.push_back(algo_from_json(item));
    }
    return out;
}

std::string order_op(std::string_view id, const PlaceOrder& o) {
    if (!valid_cl_ord_id(id)) {
        throw core::UsageError("a WebSocket op id must be 1 to 32 letters and digits, not \"" +
                               std::string(id) + "\"");
    }
    std::string s = R"({"id":")";
    s += id;
    s += R"(","op":"order","args":[)";
    s += place_body(o);
    s += "]}";
    return s;
}

std::optional<OpAnswer> parse_op_answer(std::string_view text) {
    if (text.empty() || text.front() != '{') {
        return std::nullopt;
    }
    const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (!doc.is_object()) {
        return std::nullopt;
    }
    const auto op = doc.find("op");
    const auto id = doc.find("id");
    if (op == doc.end() || !op->is_string() || id == doc.end() || !id->is_string() ||
        doc.contains("event")) {
        return std::nullopt;
    }
    const auto str = [](const nlohmann::json& obj, const char* key) {
        const auto it = obj.find(key);
        return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    OpAnswer a;
    a.id = id->get<std::string>();
    a.op = op->get<std::string>();
    a.code = str(doc, "code");
    a.msg = str(doc, "msg");
    const auto data = doc.find("data");
    if (data != doc.end() && data->is_array() && !data->empty() && (*data)[0].is_object()) {
        const nlohmann::json& item = (*data)[0];
        a.ord_id = str(item, "ordId");
        a.cl_ord_id = str(item, "clOrdId");
        a.s_code = str(item, "sCode");
        a.s_msg = str(item, "sMsg");
    }
    if (a.s_code.empty()) { // the whole op failed: its code says why
        a.s_code = a.code.empty() ? std::string("?") : a.code;
        a.s_msg = a.msg;
    }
    if (a.code != "0" && a.s_code == "0") {
        a.s_code = a.code; // never a success when the op says otherwise
        a.s_msg = a.msg;
    }
    return a;
}

namespace {

// Whether a push's "arg" names this channel; an arg of another shape (a channel that is not
// a string) is another push, not an error.
bool is_channel(const nlohmann::json& arg, std::string_view channel) {
    if (!arg.is_object()) {
        return false;
    }
    const auto c = arg.find("channel");
    return c != arg.end() && c->is_string() && c->get_ref<const std::string&>() == channel;
}

} // namespace

std::optional<std::vector<OrderUpdate>> parse_orders_push(std::string_view text) {
    if (text.substr(0, 7) != "{\"arg\":") {
        return std::nullopt;
    }
    const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (!doc.is_object()) {
        return std::nullopt;
    }
    const auto arg = doc.find("arg");
    if (arg == doc.end() || !is_channel(*arg, "orders")) {
        return std::nullopt;
    }
    constexpr std::string_view kEp = "the orders channel";
    const auto data = doc.find("data");
    if (data == doc.end() || !data->is_array()) {
        bad("data", kEp);
    }
    std::vector<OrderUpdate> out;
    for (const nlohmann::json& item : *data) {
        if (!item.is_object()) {
            bad("data row", kEp);
        }
        OrderUpdate u;
        u.order = order_from_json(item);
        const auto sz = number_of(item, "fillSz", kEp);
        const auto trade = item.find("tradeId");
        if (sz && *sz > 0 && trade != item.end() && trade->is_string() &&
            !trade->get<std::string>().empty()) {
            FillInfo f;
            f.trade_id = trade->get<std::string>();
            f.ord_id = u.order.ord_id;
            f.cl_ord_id = u.order.cl_ord_id;
            f.inst_id = u.order.inst_id;
            f.side = u.order.side;
            const auto px = number_of(item, "fillPx", kEp);
            if (!px) {
                bad("fillPx", kEp);
            }
            f.px = *px;
            f.sz = *sz;
            f.fee = -number_of(item, "fillFee", kEp).value_or(0);
            f.fee_ccy = text_of(item, "fillFeeCcy", kEp);
            f.liquidity = text_of(item, "execType", kEp) == "M" ? core::Liquidity::kMaker
                                                                : core::Liquidity::kTaker;
            f.ts = time_of(item, "fillTime", kEp);
            u.fill = std::move(f);
        }
        out.push_back(std::move(u));
    }
    return out;
}

std::optional<std::vector<BalanceDetail>> parse_account_push(std::string_view text) {
    if (text.substr(0, 7) != "{\"arg\":") {
        return std::nullopt;
    }
    const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (!doc.is_object()) {
        return std::nullopt;
    }
    const auto arg = doc.find("arg");
    if (arg == doc.end() || !is_channel(*arg, "account")) {
        return std::nullopt;
    }
    constexpr std::string_view kEp = "the account channel";
    const auto data = doc.find("data");
    if (data == doc.end() || !data->is_array()) {
        bad("data", kEp);
    }
    std::vector<BalanceDetail> out;
    if (data->empty()) {
        return out;
    }
    const nlohmann::json& row = (*data)[0];
    const auto details = row.find("details");
    if (!row.is_object() || details == row.end() || !details->is_array()) {
        bad("details", kEp);
    }
    std::int64_t row_time = 0;
    if (const auto t = row.find("uTime"); t != row.end() && t->is_string() && !t->empty()) {
        row_time = time_of(row, "uTime", kEp);
    }
    for (const nlohmann::json& d : *details) {
        if (!d.is_object()) {
            bad("details row", kEp);
        }
        BalanceDetail b;
        b.ccy = text_of(d, "ccy", kEp);
        b.cash_bal = number_of(d, "cashBal", kEp).value_or(0);
        b.avail_bal = number_of(d, "availBal", kEp).value_or(0);
        b.frozen_bal = number_of(d, "frozenBal", kEp).value_or(0);
        const auto t = d.find("uTime");
        b.u_time =
            t != d.end() && t->is_string() && !t->empty() ? time_of(d, "uTime", kEp) : row_time;
        out.push_back(std::move(b));
    }
    return out;
}

} // namespace okxkit::okx
