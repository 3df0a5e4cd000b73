// OKX's spot trading endpoints (protocol §4) on the REST client: orders placed, canceled and
// queried, fills listed, as typed values. Prices and sizes go out as exact decimals already
// rounded to the instrument's rules (okx/decimal.hpp); nothing here rounds.
#pragma once

#include "core/trading.hpp"
#include "okx/decimal.hpp"
#include "okx/rest.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::okx {

// An order to place: spot, tdMode cash. A market order's sz is in the base currency (the body
// says tgtCcy base_ccy, since OKX's default for a market buy is the quote currency).
struct PlaceOrder {
    std::string inst_id;
    core::Side side = core::Side::kBuy;
    core::OrdType ord_type = core::OrdType::kLimit;
    std::optional<Decimal> px; // limit and post_only
    Decimal sz;
    std::string cl_ord_id; // [A-Za-z0-9]{1,32}: see valid_cl_ord_id
};

// The exact body place_order signs and sends, keys in a fixed order:
// {"instId":"BTC-USDT","tdMode":"cash","clOrdId":"a1","side":"buy","ordType":"limit",
// "px":"31496","sz":"0.01"} (market: no px, "tgtCcy":"base_ccy" after sz).
std::string place_body(const PlaceOrder& o);

// A client order id OKX accepts: 1 to 32 characters of [A-Za-z0-9].
bool valid_cl_ord_id(std::string_view id);

// The client order id of the seq-th order of a run: "k" + 8 hex digits of a hash of run +
// seq in base 36, so one run's ids never collide with another's and the same run and
// sequence give the same id after a restart. At most 22 characters.
std::string client_order_id(std::string_view run, std::uint64_t seq);

struct Placed {
    std::string ord_id;
    std::string cl_ord_id;
    std::int64_t ts = 0; // OKX's time of acceptance, ms
};

// POST /api/v5/trade/order. Throws core::UsageError for an invalid clOrdId (nothing sent),
// OkxError for a rejection (its code: 51008, 51016, 51000...) or an answer that never came
// (then only get_order by clOrdId tells whether the order exists).
Placed place_order(RestClient& rest, const PlaceOrder& o);

// POST /api/v5/trade/cancel-order by clOrdId. Throws OkxError (51400 not found, 51401
// canceled, 51402 filled...). Success means the request was accepted: the order's state says
// when it is canceled.
void cancel_order(RestClient& rest, std::string_view inst_id, std::string_view cl_ord_id);

// POST /api/v5/trade/cancel-all-after: arms OKX's dead-man switch, so that every working order
// is canceled unless it is called again within timeout_s seconds (10 to 120), or disarms it
// (0). Returns the time it fires (ms; 0 when disarmed). Throws core::UsageError for another
// timeout (nothing sent), OkxError when OKX refuses.
std::int64_t cancel_all_after(RestClient& rest, int timeout_s);

struct OrderInfo {
    std::string ord_id, cl_ord_id, inst_id;
    core::Side side = core::Side::kBuy;
    std::string ord_type; // as OKX spells it: market, limit, post_only...
    core::OrderState state = core::OrderState::kLive;
    std::optional<double> px;
    double sz = 0;
    double acc_fill_sz = 0;
    std::optional<double> avg_px; // none before the first fill
    double fee = 0;               // paid, positive (OKX writes it negative)
    std::string fee_ccy;
    std::string cancel_source; // OKX's cancelSource: "1" the user, "20" cancel-all-after...
    std::int64_t c_time = 0, u_time = 0;
};

// GET /api/v5/trade/order by clOrdId (its latest order): nullopt when OKX has none (51603).
std::optional<OrderInfo> get_order(RestClient& rest, std::string_view inst_id,
                                   std::string_view cl_ord_id);

// GET /api/v5/trade/orders-pending (of inst_id, or all when empty): the working orders.
std::vector<OrderInfo> pending_orders(RestClient& rest, std::string_view inst_id = {});

struct FillInfo {
    std::string trade_id, ord_id, cl_ord_id, inst_id;
    core::Side side = core::Side::kBuy;
    double px = 0, sz = 0;
    double fee = 0; // paid, positive
    std::string fee_ccy;
    core::Liquidity liquidity = core::Liquidity::kTaker;
    std::int64_t ts = 0;
};

// GET /api/v5/trade/fills (of inst_id; of one order when ord_id is given): newest first.
std::vector<FillInfo> recent_fills(RestClient& rest, std::string_view inst_id,
                                   std::string_view ord_id = {});

// Parsers of one item of those answers, for the tests and the private WebSocket's pushes
// (same fields). Throw OkxError naming the field when one is missing or malformed.
OrderInfo order_from_json(const nlohmann::json& item);
FillInfo fill_from_json(const nlohmann::json& item);

// ---- the private WebSocket (okx-v5-protocol.md §5.5) --------------------------------------

// The op that places o over the WebSocket: {"id":"<id>","op":"order","args":[<place_body>]}.
// id: 1 to 32 alphanumerics (OKX's rule for op ids), the caller's to match the answer.
std::string order_op(std::string_view id, const PlaceOrder& o);

// OKX's answer to an op: {"id","op","code","msg","data":[{"ordId","clOrdId","sCode","sMsg"}]}.
// code "0" and sCode "0": done; code "1": the item failed (sCode, sMsg); another code
// (60013 invalid args, 50011...) with no item: the op failed (s_code and s_msg are then code
// and msg).
struct OpAnswer {
    std::string id, op, code, msg;
    std::string ord_id, cl_ord_id, s_code, s_msg;
    [[nodiscard]] bool ok() const { return s_code == "0"; }
};

// Parses a frame as an op answer; nullopt when it is not one (a push, an event, "pong").
std::optional<OpAnswer> parse_op_answer(std::string_view text);

// One row of an orders push: the order as it stands after the change, and the fill the change
// made, when it made one (fillSz above 0 with a tradeId; fee and time of that fill alone).
struct OrderUpdate {
    OrderInfo order;
    std::optional<FillInfo> fill;
};

// Parses {"arg":{"channel":"orders",...},"data":[...]}: nullopt when text is not a push of
// the orders channel; throws OkxError naming the field when a row is malformed.
std::optional<std::vector<OrderUpdate>> parse_orders_push(std::string_view text);

} // namespace okxkit::okx
