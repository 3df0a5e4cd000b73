// The fake server's spot trading (protocol §4): one account in USDT, orders placed, canceled
// and queried as OKX answers them, filled by lib/exec's paper exchange (the same matching code
// as execute's paper mode) from the candles of --data as the market clock passes their bars.
#pragma once

#include "exec/paper.hpp"
#include "market.hpp"
#include "rest.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace okxkit::fake {

struct TradingOptions {
    double cash = 10'000; // USDT at the start
    double maker_fee = 0.0008;
    double taker_fee = 0.0010;
};

class Trading {
public:
    Trading(const MarketData& data, TradingOptions options);

    // Works every bar of every instrument that closed at or before now_ms and was not worked
    // yet (finest bar of each, in time order): orders fill by the paper exchange's rules.
    void advance(std::int64_t now_ms);

    Response place(const Request& req, std::int64_t now_ms);  // POST /api/v5/trade/order
    Response cancel(const Request& req, std::int64_t now_ms); // POST /api/v5/trade/cancel-order
    Response order(const Request& req) const;                 // GET /api/v5/trade/order
    Response pending(const Request& req) const;               // GET /api/v5/trade/orders-pending
    // GET /api/v5/trade/orders-history?instType=SPOT[&instId=&state=]: the orders that ended
    // (filled, canceled), newest first, 100 at most; instType is required (50014).
    Response history(const Request& req) const;
    Response fills(const Request& req) const;                        // GET /api/v5/trade/fills
    Response balance(const Request& req, std::int64_t now_ms) const; // GET /api/v5/account/balance
    // POST /api/v5/trade/amend-order {instId, ordId | clOrdId, newSz, newPx, reqId, cxlOnFail}
    // (§4.2): a working limit order's new size (the whole size, filled part included; at or
    // below the filled size it ends filled) or new price (it loses its place in the queue and
    // arrives again, as the paper exchange's amend has it). The change is one orders row with
    // amendResult "0" and the reqId.
    Response amend(const Request& req, std::int64_t now_ms);
    // POST /api/v5/trade/batch-orders and cancel-batch-orders: 1 to 20 items, each placed or
    // canceled exactly as the single endpoint does, answered in order; code "0" when every
    // item succeeded, "1" when none did, "2" when some did.
    Response batch_place(const Request& req, std::int64_t now_ms);
    Response batch_cancel(const Request& req, std::int64_t now_ms);
    // GET /api/v5/account/trade-fee?instType=SPOT[&instId=]: the fees of options, negative.
    Response trade_fee(const Request& req, std::int64_t now_ms) const;
    // GET /api/v5/account/positions: a spot cash account has none.
    static Response positions(const Request& req);
    // Algo orders (§4.4), spot oco and conditional: POST /api/v5/trade/order-algo,
    // cancel-algos and amend-algos; GET order-algo, orders-algo-pending and
    // orders-algo-history. A live algo holds its size as a working order of its side would;
    // it triggers on the bars worked after it was placed (advance), and its child order is an
    // ordinary order from then on.
    Response place_algo(const Request& req, std::int64_t now_ms);
    Response cancel_algos(const Request& req, std::int64_t now_ms);
    Response amend_algos(const Request& req, std::int64_t now_ms);
    Response algo(const Request& req) const;
    Response algos_pending(const Request& req) const;
    Response algos_history(const Request& req) const;
    // POST /api/v5/trade/cancel-all-after {timeOut}: "0" disarms; 10 to 120 s arms (or
    // re-arms) the dead-man switch: when the market clock reaches the deadline, every working
    // order is canceled (cancelSource "20").
    Response cancel_all_after(const Request& req, std::int64_t now_ms);
    // GET /fake/ledger (not OKX's): every order ever placed and every fill, oldest first, as
    // {"orders":[{ordId, clOrdId, instId, side, state, accFillSz, cancelSource, algoId}],
    //  "fills":[{tradeId, ordId, clOrdId, instId, fillSz, fillPx}]}: what a test checks a
    // client's own record against (no duplicate clOrdId, no fill missing). Once an algo order
    // was placed, also "algos":[{algoId, algoClOrdId, instId, ordType, state, actualSide,
    // ordId}], oldest first.
    Response ledger() const;

    // The order changes since the last call, oldest first: one row per change of an order
    // (placed, each fill, canceled), as the orders channel pushes it (§5.5). A fill's row
    // carries fillPx, fillSz, fillTime, tradeId (the one /trade/fills and /fake/ledger show),
    // fillFee, fillFeeCcy and execType; another row has fillSz "0" and tradeId "". The row of
    // an amend's change has amendResult "0" (or "1": canceled as cxlOnFail asked) and its
    // reqId; every other row has both "".
    std::vector<OrderPush> take_pushes();

private:
    struct Rec {
        std::string ord_id, cl_ord_id, inst, side, ord_type, px, sz, tgt_ccy;
        std::string algo_id, algo_cl_ord_id, source; // an algo's child: its algo, source "7"
        double base_sz = 0; // the size in the base currency, as the paper exchange has it
        double px_value = 0;
        std::string state = "live";
        std::string cancel_source; // "1" by the user, "20" by cancel-all-after
        double acc_fill_sz = 0;
        double avg_px = 0;
        double fee = 0; // paid, positive
        double last_fill_px = 0, last_fill_sz = 0;
        std::string last_trade_id;
        std::int64_t c_time = 0, u_time = 0, fill_time = 0;
    };
    struct FillRec {
        std::string inst, trade_id, bill_id, ord_id, cl_ord_id, side, exec_type;
        double px = 0, sz = 0, fee = 0;
        std::int64_t ts = 0;
    };

    // An algo order (oco or conditional). Prices as sent ("" for a leg it has not; an order
    // price "-1" is a market order).
    struct AlgoRec {
        std::string algo_id, algo_cl_ord_id, inst, ord_type, side, sz;
        double base_sz = 0;
        std::string tp_trigger_px, tp_ord_px, sl_trigger_px, sl_ord_px;
        std::string state = "live"; // effective, canceled, order_failed
        std::string actual_side, actual_px, ord_id, fail_code;
        std::int64_t c_time = 0, u_time = 0, trigger_time = 0;
        std::int64_t armed_after = 0; // it triggers on bars that open after this (placed, amended)
    };
    // One item of a batch: its answer and its code ("0" when it succeeded).
    struct Outcome {
        nlohmann::ordered_json item;
        std::string code;
        std::string msg;
    };

    Outcome place_one(const nlohmann::ordered_json& body, std::int64_t now_ms);
    Outcome cancel_one(const nlohmann::ordered_json& body, std::int64_t now_ms);
    Outcome cancel_algo_one(const nlohmann::ordered_json& body, std::int64_t now_ms);
    Rec* find_order(const std::string& inst, const std::string& ord_id, const std::string& cl);
    AlgoRec* find_algo(const std::string& algo_id, const std::string& algo_cl_ord_id);
    [[nodiscard]] const AlgoRec* find_algo(const std::string& algo_id,
                                           const std::string& algo_cl_ord_id) const;
    void apply(const std::vector<exec::Event>& events);
    void push_change(const Rec& r, const FillRec* fill);
    void work_bars(std::int64_t now_ms);
    // The live algos of inst that the bar k (closing at close_ms) triggers: each becomes
    // effective and places its child, decided at k, so that it works from the next bar.
    void trigger_algos(const exec::Candle& k, std::int64_t close_ms);
    [[nodiscard]] double frozen_quote() const;
    [[nodiscard]] double frozen_base(const std::string& inst) const;
    [[nodiscard]] double algo_quote_hold(const AlgoRec& a) const;
    [[nodiscard]] double available_base(const std::string& inst) const;
    [[nodiscard]] double last_close(const std::string& inst) const;

    const MarketData& data_;
    TradingOptions options_;
    exec::PaperExchange paper_;
    std::map<std::string, std::int64_t> fed_; // per instrument: the last bar worked
    std::map<std::string, double> close_;     // per instrument: the last close worked
    std::map<std::string, Rec> orders_;       // by ordId (ordIds grow: newest last)
    std::vector<FillRec> fills_;
    std::uint64_t next_id_ = 0;
    std::map<std::string, AlgoRec> algos_; // by algoId (ids grow: newest last)
    std::optional<std::int64_t> deadline_; // cancel-all-after, when armed
    std::vector<OrderPush> pushes_;        // order changes not taken yet
    // The order an amend is changing and its reqId: the row of that change carries them.
    std::string amending_, amend_req_id_, amend_result_;
};

} // namespace okxkit::fake
