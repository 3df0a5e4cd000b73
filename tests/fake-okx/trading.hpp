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
    Response fills(const Request& req) const;                 // GET /api/v5/trade/fills
    Response balance(const Request& req, std::int64_t now_ms) const; // GET /api/v5/account/balance
    // POST /api/v5/trade/cancel-all-after {timeOut}: "0" disarms; 10 to 120 s arms (or
    // re-arms) the dead-man switch: when the market clock reaches the deadline, every working
    // order is canceled (cancelSource "20").
    Response cancel_all_after(const Request& req, std::int64_t now_ms);
    // GET /fake/ledger (not OKX's): every order ever placed and every fill, oldest first, as
    // {"orders":[{ordId, clOrdId, instId, side, state, accFillSz, cancelSource}],
    //  "fills":[{tradeId, ordId, clOrdId, instId, fillSz, fillPx}]}: what a test checks a
    // client's own record against (no duplicate clOrdId, no fill missing).
    Response ledger() const;

    // The order changes since the last call, oldest first: one row per change of an order
    // (placed, each fill, canceled), as the orders channel pushes it (§5.5). A fill's row
    // carries fillPx, fillSz, fillTime, tradeId (the one /trade/fills and /fake/ledger show),
    // fillFee, fillFeeCcy and execType; another row has fillSz "0" and tradeId "".
    std::vector<OrderPush> take_pushes();

private:
    struct Rec {
        std::string ord_id, cl_ord_id, inst, side, ord_type, px, sz, tgt_ccy;
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

    void apply(const std::vector<exec::Event>& events);
    void push_change(const Rec& r, const FillRec* fill);
    void work_bars(std::int64_t now_ms);
    [[nodiscard]] double frozen_quote() const;
    [[nodiscard]] double frozen_base(const std::string& inst) const;
    [[nodiscard]] double last_close(const std::string& inst) const;

    const MarketData& data_;
    TradingOptions options_;
    exec::PaperExchange paper_;
    std::map<std::string, std::int64_t> fed_; // per instrument: the last bar worked
    std::map<std::string, double> close_;     // per instrument: the last close worked
    std::map<std::string, Rec> orders_;       // by ordId (ordIds grow: newest last)
    std::vector<FillRec> fills_;
    std::uint64_t next_id_ = 0;
    std::optional<std::int64_t> deadline_; // cancel-all-after, when armed
    std::vector<OrderPush> pushes_;        // order changes not taken yet
};

} // namespace okxkit::fake
