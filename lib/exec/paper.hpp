// The paper exchange: orders filled from market data by rules that make a backtest a
// pessimistic bound, never an optimistic one, and the spot account they move. It sees only
// what it is given (orders, cancels, candles): no network, no clock, so the same input gives
// the same fills, byte for byte.
//
// The rules, for an order decided at event time d (the ts of the candle whose close decided
// it):
//  - it fills only on candles with ts > d: never on the bar that produced the decision;
//  - it arrives at the open of the first such bar. A market order fills there at the open
//    moved against it by the slippage, as taker. A limit order the open already crosses (a
//    buy at or above the open) fills there as taker at the open plus slippage, capped at its
//    price; a post_only one is canceled instead, as OKX cancels a post-only order that would
//    take. Any other limit order rests on the book;
//  - a resting limit fills at its price, as maker, only when the bar trades through it by at
//    least one tick (penetration: a buy when low <= px - tick); with the touch model, when
//    the bar reaches it (low <= px), which is optimistic and reported as such;
//  - at most volume_share of a bar's volume is filled per instrument and bar, in order of
//    arrival; what is left stays working (partially_filled) for the next bars;
//  - fees: taker_fee on fills that took, maker_fee on fills of orders that rested; charged in
//    the quote currency (OKX charges a buy's fee in the base currency: the value is the same
//    at the fill price);
//  - a filled buy entry with a bracket gets child orders: take-profit limit sells (one per
//    rung, frac of the filled size), a stop and a trailing stop, which share what the entry
//    bought and cancel each other (one-cancels-the-others: a stop that fires cancels the
//    take-profits; when the bracket is sold out, every child left is canceled). A stop is
//    armed at once: it fires on the entry's own bar if that bar's low reaches it, since
//    nothing says the low came before the fill. A take-profit works only from the next bar;
//  - a stop fires when low <= its price and fills at that price, or at the open when the bar
//    opened below it, moved down by the slippage, as taker. In a bar that reaches both a stop
//    and a take-profit of one bracket, the stop is taken first;
//  - a trailing stop starts offset_frac below the entry's price and rises with the highest
//    high seen, after each bar (the bar's own high never raises the level that bar is
//    checked against);
//  - with breakeven_after_tp1, the first take-profit's fill raises the stop to the entry's
//    average price (stop to break-even);
//  - spot: a sell never exceeds what is held; an order the account cannot pay for (cash, or
//    base not already promised to another sell) is rejected on arrival, as OKX rejects it
//    (51008).
#pragma once

#include "core/trading.hpp"
#include "exec/order.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace okxkit::exec {

enum class FillModel { kPenetration, kTouch };
std::string_view to_text(FillModel m);
std::optional<FillModel> fill_model_from_text(std::string_view text);

struct PaperConfig {
    FillModel fill_model = FillModel::kPenetration;
    double maker_fee = 0.0008;  // OKX spot, regular users Lv1: 0.080%
    double taker_fee = 0.0010;  // and 0.100%
    double slippage = 0.0005;   // market orders and stops: this fraction of the price, against
    double volume_share = 0.10; // of a bar's volume, at most, filled per instrument
    double cash = 10'000;       // starting cash, in the quote currency
    std::string quote_ccy = "USDT";
};

// Take-profit rungs, a stop, a trailing stop: what protects a buy entry once it fills.
struct Bracket {
    std::vector<core::TakeProfit> tp;
    std::optional<double> sl_px;
    std::optional<double> trail_frac;
    bool breakeven_after_tp1 = false;
    [[nodiscard]] bool empty() const { return tp.empty() && !sl_px && !trail_frac; }
};

struct OrderRequest {
    std::string cl_ord_id; // unique among the exchange's orders
    std::string strategy;
    std::string leg;
    std::string inst;
    core::Side side = core::Side::kBuy;
    core::OrdType ord_type = core::OrdType::kMarket;
    std::optional<double> px; // limit and post_only
    double sz = 0;
    std::int64_t decided_ts = 0; // it fills only on candles after this one
    Bracket bracket;             // buy entries only
};

struct Candle {
    std::string inst;
    std::int64_t ts = 0;
    double o = 0, h = 0, l = 0, c = 0, vol = 0;
};

// The top of the book from a ticker line: best bid and ask, the sizes shown there, last trade.
struct Quote {
    double bid = 0, bid_sz = 0, ask = 0, ask_sz = 0, last = 0;
};

// What happened, in order: order updates and fills (ts, inst and mode set).
using Event = std::variant<core::Order, core::Fill>;

// A spot holding: size, average entry, realised P&L (before fees), fees paid, last mark.
struct Holding {
    double sz = 0;
    double avg_px = 0;
    double rpl = 0;
    double fees = 0;
    double mark = 0;
};

class PaperExchange {
public:
    explicit PaperExchange(PaperConfig config);

    // Accepts an order (state live), or rejects it at once when it is malformed (a size or
    // price not above 0, a limit without a price, a bracket on a sell, a duplicate
    // cl_ord_id). Either way an order event is appended to events.
    void submit(const OrderRequest& r, std::int64_t ts, std::vector<Event>& events);
    // Cancels a working order and its children; an unknown or finished one is reported as
    // such (false), nothing changes.
    bool cancel(std::string_view cl_ord_id, std::int64_t ts, std::vector<Event>& events);
    // Amends a working entry at ts (OKX's amend-order): new_sz is its whole size, what has
    // filled included, and a size at or below the filled size fills it (the rest is not
    // worked any more); new_px is a limit's new price. A new price costs the order its place
    // in the queue: it comes last among the instrument's orders and arrives again as if
    // decided at ts, at the open of the first bar after ts, by the rules above (it may take
    // there, or a post_only one be canceled), or, when part of it has filled already, rests
    // at once at the new price for the bars after ts. A size alone keeps the place. Returns
    // false, nothing changed, for an unknown or finished order, a bracket's child, a price for
    // a market order, neither value, or a value not above 0; else true, with one order event
    // appended (and the bracket's children canceled when the entry ends with nothing left to
    // protect). O(orders of the instrument) for a new price, O(1) otherwise.
    bool amend(std::string_view cl_ord_id, std::optional<double> new_px,
               std::optional<double> new_sz, std::int64_t ts, std::vector<Event>& events);
    // A candle of one instrument: fills by the rules above, then the mark.
    void on_candle(const Candle& k, std::vector<Event>& events);
    // A trade of one instrument (price px, size sz at ts): worked as a candle of that single
    // price and of sz volume (o = h = l = c = px), so the same rules hold trade by trade: a
    // resting limit fills only when a trade goes through it by a tick, at most volume_share of
    // each trade's size fills, a stop fires when a trade reaches it.
    void on_trade(const std::string& inst, std::int64_t ts, double px, double sz,
                  std::vector<Event>& events);
    // A ticker of one instrument (best bid and ask with their sizes, last trade price, at
    // ts): the buy orders are worked as a candle of the single price ask with ask_sz as its
    // volume, then the sell orders (stops and take-profits too, and those an entry's fill just
    // made) as one of the price bid with bid_sz; the mark is last. So a buy pays the ask and a
    // sell gets the bid, a resting limit fills only when the other side of the book has moved
    // through it by a tick, at most volume_share of the size shown fills, and a stop fires when
    // the bid reaches it. The caller passes only tickers with 0 < bid <= ask.
    void on_ticker(const std::string& inst, std::int64_t ts, const Quote& q,
                   std::vector<Event>& events);
    // The mark alone (an instrument whose fills come from its trades or tickers: its candles
    // only mark).
    void mark(const std::string& inst, double px);

    // The most of a fill of an entry that the caller allows (execute: risk::Guard::fill_room),
    // asked before every fill of an entry with the instrument, side, price and size about to
    // fill. When it allows less than the order has left, what it allows fills and the rest is
    // canceled ("risk limit at fill"): no fill breaks a limit, whatever the price did since
    // the order was approved.
    using FillCap =
        std::function<double(const std::string& inst, core::Side side, double px, double sz)>;
    void set_fill_cap(FillCap cap) { cap_ = std::move(cap); }

    // The tick size of an instrument: the one set, else the finest step seen in its prices
    // (10^-decimals of the candles' prices so far).
    void set_tick(const std::string& inst, double tick);
    [[nodiscard]] double tick(const std::string& inst) const;

    [[nodiscard]] double cash() const { return cash_; }
    [[nodiscard]] const std::map<std::string, Holding>& holdings() const { return holdings_; }
    // cash + sum of size x mark.
    [[nodiscard]] double equity() const;
    [[nodiscard]] const PaperConfig& config() const { return config_; }
    // The working orders of an instrument (not terminal), children included.
    [[nodiscard]] std::size_t open_orders(std::string_view inst) const;
    // The base size still to fill on the working entries of an instrument on one side
    // (children, which only sell what their entry bought, are not counted).
    [[nodiscard]] double open_base(std::string_view inst, core::Side side) const;
    // open_base of both sides and open_orders of an instrument, in one pass.
    struct Open {
        double buy_base = 0;
        double sell_base = 0;
        std::size_t orders = 0;
    };
    [[nodiscard]] Open open_summary(std::string_view inst) const;
    // An order's progress by client id, or nullptr.
    [[nodiscard]] const OrderProgress* progress(std::string_view cl_ord_id) const;
    // An order's request by client id, or nullptr.
    [[nodiscard]] const OrderRequest* request(std::string_view cl_ord_id) const;

private:
    enum class Role { kEntry, kTakeProfit, kStop, kTrail };
    struct Working {
        OrderRequest req;
        OrderProgress prog;
        Role role = Role::kEntry;
        std::string parent; // the entry of a child
        bool arrived = false;
        bool rested = false;
        bool fired = false;            // a stop that fired: now a market sell
        double trigger = 0;            // a stop's level
        double best = 0;               // a trailing stop's highest high
        std::int64_t armed_after = 0;  // a take-profit works on candles after this ts
        std::size_t rung = 0;          // a take-profit's rung
        double exits_filled = 0;       // an entry's: what its children sold
        std::vector<std::string> kids; // an entry's children
    };

    Working& add(Working&& w);
    Working* find(std::string_view id);
    const Working* find(std::string_view id) const;
    core::Order order_event(const Working& w, std::int64_t ts) const;
    void reject(Working& w, std::int64_t ts, const std::string& reason, std::vector<Event>& ev);
    // Fills up to sz of w at px; returns the size filled (0 when the budget or the holding
    // allows nothing).
    double fill(Working& w, double px, double sz, bool maker, std::int64_t ts, double& budget,
                std::vector<Event>& ev);
    void end_capped(Working& w, std::int64_t ts, std::vector<Event>& ev);
    void after_entry_fill(Working& entry, double sz, std::int64_t ts, std::vector<Event>& ev);
    void after_exit_fill(Working& child, std::int64_t ts, std::vector<Event>& ev);
    void close_bracket_if_done(Working& entry, std::int64_t ts, std::vector<Event>& ev);
    double bracket_open(const Working& entry) const;
    bool affordable(const Working& w, double ref_px) const;
    // Notes the digits of an instrument's prices; returns its tick.
    double note_prices(const std::string& inst, std::initializer_list<double> prices);

    PaperConfig config_;
    double cash_ = 0;
    std::map<std::string, Holding> holdings_;
    std::deque<Working> orders_; // in order of submission: the order of priority (a deque:
                                 // children are added while a candle is worked through)
    // By client order id; looked up at every event of an order (a hash: tens of thousands of
    // ids that share their first characters).
    struct IdHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::unordered_map<std::string, std::size_t, IdHash, std::equal_to<>> by_id_;
    // Per instrument, the orders still working (and some just ended, until its next candle).
    std::map<std::string, std::vector<std::size_t>, std::less<>> working_;
    // Per instrument, its price step: the tick set, else 10^-decimals of its prices so far.
    struct Steps {
        double set = 0;   // set_tick's, or 0
        int decimals = 0; // the most digits after the point seen in its prices
        double tick = 0;  // the one in force
    };
    std::map<std::string, Steps, std::less<>> steps_;
    std::uint64_t trades_ = 0;
    FillCap cap_;
    std::optional<core::Side> only_; // on_ticker: the side worked now (on_candle: both)
};

} // namespace okxkit::exec
