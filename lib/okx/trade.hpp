// OKX's spot trading endpoints (protocol §4) on the REST client: orders placed, canceled and
// queried, fills listed, as typed values. Prices and sizes go out as exact decimals already
// rounded to the instrument's rules (okx/decimal.hpp); nothing here rounds.
#pragma once

#include "core/trading.hpp"
#include "okx/decimal.hpp"
#include "okx/envelope.hpp"
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
    std::string algo_id, algo_cl_ord_id; // the algo order that spawned it, if one did
    std::int64_t c_time = 0, u_time = 0;
};

// GET /api/v5/trade/order by clOrdId (its latest order): nullopt when OKX has none (51603).
std::optional<OrderInfo> get_order(RestClient& rest, std::string_view inst_id,
                                   std::string_view cl_ord_id);

// GET /api/v5/trade/order by OKX's ordId: for an order with no clOrdId, such as the one an
// algo order spawns when it triggers. nullopt when OKX has none (51603).
std::optional<OrderInfo> get_order_by_id(RestClient& rest, std::string_view inst_id,
                                         std::string_view ord_id);

// GET /api/v5/trade/orders-history?instType=SPOT: the newest orders that ended (filled,
// canceled) in the last 7 days, 100 at most.
std::vector<OrderInfo> finished_orders(RestClient& rest);

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

// GET /api/v5/trade/fills (of inst_id, or of every spot instrument when it is empty; of one
// order when ord_id is given): newest first, the last 100 at most.
std::vector<FillInfo> recent_fills(RestClient& rest, std::string_view inst_id,
                                   std::string_view ord_id = {});

// Parsers of one item of those answers, for the tests and the private WebSocket's pushes
// (same fields). Throw OkxError naming the field when one is missing or malformed.
OrderInfo order_from_json(const nlohmann::json& item);
FillInfo fill_from_json(const nlohmann::json& item);

// ---- amend and batches (protocol §4.2) ----------------------------------------------------

// A change to a working order, named by clOrdId: a new price, a new size (the whole size,
// what has filled included: a size at or below the filled size ends the order), or both.
struct AmendOrder {
    std::string inst_id;
    std::string cl_ord_id;
    std::optional<Decimal> new_px;
    std::optional<Decimal> new_sz;
    std::string req_id; // optional, [A-Za-z0-9]{1,32}: echoed in the answer and the push
};

// {"instId":"BTC-USDT","clOrdId":"a1","reqId":"r1","newSz":"0.02","newPx":"31400"}
std::string amend_body(const AmendOrder& a);

// POST /api/v5/trade/amend-order. Success means OKX took the request: the orders channel
// (amendResult) or the order's details say whether the order changed. Throws
// core::UsageError when there is nothing to change or an id is invalid (nothing sent),
// OkxError for a refusal (51503: the order is done; 51000-range: a bad value).
void amend_order(RestClient& rest, const AmendOrder& a);

// The outcome of one item of a batch, in the batch's order: ids, and the error when that
// item failed (the others stand).
struct BatchResult {
    std::string ord_id;
    std::string cl_ord_id;
    std::optional<OkxError> error;
};

// POST /api/v5/trade/batch-orders: 1 to 20 orders in one request (UsageError otherwise, or for
// an invalid clOrdId: nothing sent). Each item succeeds or fails on its own. Throws OkxError
// when the whole request fails (rate limit, auth, a lost answer).
std::vector<BatchResult> place_orders(RestClient& rest, const std::vector<PlaceOrder>& orders);

// POST /api/v5/trade/cancel-batch-orders by clOrdId: 1 to 20 {instId, clOrdId}.
struct CancelItem {
    std::string inst_id;
    std::string cl_ord_id;
};
std::vector<BatchResult> cancel_orders(RestClient& rest, const std::vector<CancelItem>& items);

// ---- account (protocol §4.5) --------------------------------------------------------------

// The account's spot fee rates: fractions charged (0.001 = 0.1%); a rebate is negative.
// OKX writes a charge negative; here it is turned round.
struct TradeFee {
    std::string level; // "Lv1"...
    double maker = 0;
    double taker = 0;
};

// GET /api/v5/account/trade-fee?instType=SPOT[&instId=]: the fee rates that apply (to
// inst_id when given).
TradeFee trade_fee(RestClient& rest, std::string_view inst_id = {});
TradeFee trade_fee_from_json(const nlohmann::json& item);

// One position (margin and derivatives; a spot cash account has none).
struct PositionInfo {
    std::string inst_id, inst_type, mgn_mode, pos_side, ccy;
    double pos = 0; // signed in net mode
    std::optional<double> avg_px;
    double upl = 0;
    std::int64_t u_time = 0;
};

// GET /api/v5/account/positions[?instType=]: the open positions.
std::vector<PositionInfo> positions(RestClient& rest, std::string_view inst_type = {});
PositionInfo position_from_json(const nlohmann::json& item);

// ---- algo orders: take-profit and stop (protocol §4.4) ------------------------------------

// A spot take-profit/stop order, tdMode cash: "oco" (both legs, one cancels the other) or
// "conditional" (one leg). A leg's order price nullopt means market ("-1").
struct AlgoOrder {
    std::string inst_id;
    core::Side side = core::Side::kSell;
    std::string ord_type = "oco"; // oco | conditional
    Decimal sz;
    std::string algo_cl_ord_id; // [A-Za-z0-9]{1,32}
    std::optional<Decimal> tp_trigger_px;
    std::optional<Decimal> tp_ord_px;
    std::optional<Decimal> sl_trigger_px;
    std::optional<Decimal> sl_ord_px;
};

// The exact body: {"instId","tdMode":"cash","side","ordType","sz","algoClOrdId",
// "tpTriggerPx","tpOrdPx","slTriggerPx","slOrdPx"} (the legs present), triggers on the last
// price (OKX's default).
std::string algo_body(const AlgoOrder& a);

// POST /api/v5/trade/order-algo: returns OKX's algoId. Throws core::UsageError for an
// order OKX would refuse outright (no leg, an oco without both, a bad id: nothing sent),
// OkxError for a refusal (its sCode: 51008 not enough to hold, 51000-range...).
std::string place_algo(RestClient& rest, const AlgoOrder& a);

// POST /api/v5/trade/cancel-algos: up to 10 {instId, algoClOrdId}; one result per item.
std::vector<BatchResult> cancel_algos(RestClient& rest, const std::vector<CancelItem>& items);

// POST /api/v5/trade/amend-algos by algoClOrdId: new stop trigger (and order) price, new
// take-profit ones, new size; at least one. Throws as amend_order.
struct AmendAlgo {
    std::string inst_id;
    std::string algo_cl_ord_id;
    std::optional<Decimal> new_sz;
    std::optional<Decimal> new_tp_trigger_px;
    std::optional<Decimal> new_sl_trigger_px;
};
void amend_algo(RestClient& rest, const AmendAlgo& a);

struct AlgoInfo {
    std::string algo_id, algo_cl_ord_id, inst_id, ord_type;
    core::Side side = core::Side::kSell;
    std::string state; // live, effective, canceled, order_failed, partially_effective...
    double sz = 0;
    std::optional<double> tp_trigger_px, tp_ord_px, sl_trigger_px, sl_ord_px; // -1: market
    std::string actual_side; // "tp" or "sl" once triggered
    double actual_sz = 0;
    std::string ord_id;    // the order it spawned, once triggered
    std::string fail_code; // why it failed (order_failed): 51008...
    std::int64_t trigger_time = 0, c_time = 0, u_time = 0;
};

// GET /api/v5/trade/order-algo by algoClOrdId: nullopt when OKX has none (51603).
std::optional<AlgoInfo> get_algo(RestClient& rest, std::string_view algo_cl_ord_id);
// GET /api/v5/trade/orders-algo-pending?ordType=oco,conditional[&instId=]: the live ones.
std::vector<AlgoInfo> pending_algos(RestClient& rest, std::string_view inst_id = {});
// GET /api/v5/trade/orders-algo-history?ordType=oco,conditional&state=STATE[&instId=]: the
// newest (at most 100) that ended in state (effective, canceled, order_failed).
std::vector<AlgoInfo> algo_history(RestClient& rest, std::string_view state,
                                   std::string_view inst_id = {});
AlgoInfo algo_from_json(const nlohmann::json& item);

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

// One currency of the account, as the account channel (and GET /account/balance) has it.
struct BalanceDetail {
    std::string ccy;
    double cash_bal = 0;
    double avail_bal = 0;
    double frozen_bal = 0;
    std::int64_t u_time = 0;
};

// The account channel's push ({"arg":{"channel":"account"},"data":[{"uTime",...,"details":
// [{ccy, cashBal, availBal, frozenBal, uTime}]}]}): the details of its first row, u_time the
// row's own when a detail has none; nullopt when text is not a push of that channel. Throws
// OkxError naming the field when a detail is malformed.
std::optional<std::vector<BalanceDetail>> parse_account_push(std::string_view text);

} // namespace okxkit::okx
