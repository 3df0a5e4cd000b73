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
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::exec {

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
    double cash_ = 0;
    std::uint64_t fills_ = 0;
};

} // namespace okxkit::exec
