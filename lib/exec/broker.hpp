// The orders of a run on OKX (demo or live) as the journal and OKX's answers make them: the
// order state machine of execute --mode demo|live. It never touches the network or the clock:
// execute's live stage asks OKX and hands the answers here; the tests hand it answers of
// their own. OKX is the authority on an order's state and its fills; the broker never invents
// a fill (a fill line comes only from one of OKX's fills, once per tradeId) and never forgets
// an order (every order it knows was journaled in the store before it was sent).
#pragma once

#include "core/trading.hpp"
#include "exec/paper.hpp"
#include "okx/trade.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::exec {

// An exit order: one piece of a buy entry's take-profit and stop ladder, held at OKX as an
// algo order, so that it stands when execute does not. Spot holds what a sell order may sell,
// so the ladder is cut in pieces that together sell what the entry bought, never more: one
// "oco" per take-profit rung (its share leaves at the rung's price or at the stop, whichever
// comes first) and, for the share no rung takes, a "conditional" stop. Without a stop, each
// rung is a "conditional" take-profit.
struct ExitSpec {
    std::string parent; // the entry's client order id
    std::string kind;   // "oco" or "conditional"
    int rung = -1;      // the take-profit rung (0: TP1), -1: the stop of the share left
    std::optional<double> tp_px, sl_px;
};

// One order of the journal and what OKX said of it.
struct LiveOrder {
    OrderRequest req;
    std::string ord_id;     // OKX's, once it answered (empty before)
    bool confirmed = false; // OKX acknowledged it (accepted, or knows it when asked)
    std::int64_t ts = 0;    // event time of its latest state
    int unseen = 0;         // times OKX was asked and had no such order (unconfirmed only)
    core::Order last;       // the latest order line written
    bool counted = false;   // in the broker's open summary, with counted_left (base)
    double counted_left = 0;
    std::optional<ExitSpec> exit; // an exit order (an algo order at OKX)
    std::string algo_id;          // OKX's algoId of an exit order, once it answered
    std::string algo_state;       // live, effective, canceled, order_failed...
};

class Broker {
public:
    explicit Broker(core::Mode mode, std::string quote_ccy = "USDT");

    // A new order, journaled, about to be sent: returns it (state live, unconfirmed). Throws
    // std::logic_error for a client order id the broker already knows (never place twice).
    LiveOrder& journal(const OrderRequest& r, std::int64_t ts);
    // An order of the journal found in the store at start (its latest state as written).
    void adopt(const OrderRequest& r, const core::Order& last, std::string ord_id);
    // A fill already in the store at start: counted in the holdings, never written again.
    void adopt_fill(const core::Fill& f);
    // Marks an order of the journal as an exit order (journal or adopt it first).
    void set_exit(std::string_view cl_ord_id, ExitSpec spec);

    [[nodiscard]] bool knows(std::string_view cl_ord_id) const;
    [[nodiscard]] const LiveOrder* find(std::string_view cl_ord_id) const;
    // The orders not yet terminal, in client id order (what a poll asks OKX about).
    [[nodiscard]] std::vector<std::string> working() const;
    [[nodiscard]] bool has_working() const { return !working_.empty(); }
    // The instruments of the orders not yet terminal.
    [[nodiscard]] std::set<std::string> working_insts() const;

    // OKX accepted the order (ordId, at ts): an order line in state live.
    void accepted(std::string_view cl_ord_id, std::string ord_id, std::int64_t ts,
                  std::vector<Event>& events);
    // OKX refused it (code and message, e.g. 51008 "Insufficient USDT balance"): an order line
    // in state rejected, reason "OKX 51008: ...".
    void refused(std::string_view cl_ord_id, std::string_view code, std::string_view msg,
                 std::int64_t ts, std::vector<Event>& events);
    // What OKX says of the order now: a line when its state, filled size or average price
    // changed. The state is OKX's; the filled size never goes back.
    void observe(const okx::OrderInfo& info, std::int64_t ts, std::vector<Event>& events);
    // OKX has no order of that client id. An unconfirmed order seen missing `grace` times is
    // rejected ("never reached OKX"): an order whose answer was lost may still be on its way
    // the first time. A confirmed order OKX no longer has is left as it is and false returned
    // (the caller reports it).
    bool missing(std::string_view cl_ord_id, std::int64_t ts, int grace,
                 std::vector<Event>& events);
    // One of OKX's fills: a fill line, once per tradeId, and the holding moves. A fill of an
    // order the journal does not know is not the run's: false, nothing changes.
    bool fill(const okx::FillInfo& f, std::vector<Event>& events);

    // ---- exit orders (algo orders at OKX) ----
    // OKX accepted the exit order (its algoId): a line in state live.
    void algo_placed(std::string_view cl_ord_id, std::string algo_id, std::int64_t ts,
                     std::vector<Event>& events);
    // What OKX says of an exit order now (found by algoClOrdId): a line when it triggered
    // (with the order it spawned, whose states and fills are then the exit's), was canceled
    // or failed, or its size changed.
    void algo_observe(const okx::AlgoInfo& a, std::int64_t ts, std::vector<Event>& events);
    // The exit order whose triggered order is ord_id ("" when none): its fills and states
    // carry no clOrdId at OKX, only this link.
    [[nodiscard]] std::string exit_of_ord_id(std::string_view ord_id) const;
    // The exit orders of an entry, in client id order.
    [[nodiscard]] std::vector<std::string> exits_of(std::string_view entry) const;
    // The base an order's fills bought, net of the fees OKX took in the base currency: what a
    // buy entry's exits may sell.
    [[nodiscard]] double net_bought(std::string_view cl_ord_id) const;
    // The buy entries with a ladder whose fills grew since the last call (their exits are
    // due), in client id order.
    std::vector<std::string> take_grown();
    // The exit order's size is now sz (OKX took an amend): a line.
    void exit_resized(std::string_view cl_ord_id, double sz, std::int64_t ts,
                      std::vector<Event>& events);

    // The holdings the run's fills make (sz, average entry, realised P&L, fees, mark).
    [[nodiscard]] const std::map<std::string, Holding>& holdings() const { return holdings_; }
    void mark(const std::string& inst, double px);
    // Cash: set from OKX's balance, then moved by the fills.
    void set_cash(double cash) { cash_ = cash; }
    [[nodiscard]] double cash() const { return cash_; }
    [[nodiscard]] double equity() const;
    // The base size still to fill on working orders of an instrument, by side, and their count.
    [[nodiscard]] PaperExchange::Open open_summary(std::string_view inst) const;
    [[nodiscard]] std::uint64_t fills() const { return fills_; }
    // The size of the fills of an order counted so far (adopted and new).
    [[nodiscard]] double filled_by_fills(std::string_view cl_ord_id) const;

private:
    core::Order line(const LiveOrder& o) const;
    // Keeps working_ up to date with the order's state: every change of state passes here.
    void track(LiveOrder& o);
    void emit(LiveOrder& o, std::vector<Event>& events);
    void book(const std::string& inst, core::Side side, double px, double sz, double fee,
              const std::string& fee_ccy);
    // An order's fill counted: its net base, and its entry marked grown when it has a ladder.
    void counted_fill(const std::string& cl, core::Side side, double sz, double fee,
                      const std::string& fee_ccy);

    core::Mode mode_;
    std::string quote_;
    std::map<std::string, LiveOrder, std::less<>> orders_;
    std::set<std::string, std::less<>> working_; // client ids of the orders not terminal
    // Per instrument, what its working orders have left to fill (kept by track): O(1) for
    // the risk checks of each order, however many rest.
    std::map<std::string, PaperExchange::Open, std::less<>> open_;
    std::set<std::string, std::less<>> trade_ids_;
    std::map<std::string, Holding> holdings_;
    std::map<std::string, double, std::less<>> fill_sz_; // by client order id
    std::map<std::string, double, std::less<>> net_sz_;  // by client order id: net of base fees
    std::map<std::string, std::string, std::less<>> exit_by_ord_id_; // triggered order -> exit
    std::set<std::string> grown_; // buy entries with a ladder whose fills grew
    double cash_ = 0;
    std::uint64_t fills_ = 0;
};

} // namespace okxkit::exec
