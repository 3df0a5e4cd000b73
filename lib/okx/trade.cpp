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
constexpr std::string_view kFills = "/api/v5/trade/fills";
constexpr std::string_view kCancelAllAfter = "/api/v5/trade/cancel-all-after";

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

std::optional<OrderInfo> get_order(RestClient& rest, std::string_view inst_id,
                                   std::string_view cl_ord_id) {
    try {
        const nlohmann::json data = rest.get_private(
            kPlace, {{"instId", std::string(inst_id)}, {"clOrdId", std::string(cl_ord_id)}});
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
    Query q{{"instId", std::string(inst_id)}};
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

std::optional<std::vector<OrderUpdate>> parse_orders_push(std::string_view text) {
    if (text.substr(0, 7) != "{\"arg\":") {
        return std::nullopt;
    }
    const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (!doc.is_object()) {
        return std::nullopt;
    }
    const auto arg = doc.find("arg");
    if (arg == doc.end() || !arg->is_object() || arg->value("channel", "") != "orders") {
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

} // namespace okxkit::okx
