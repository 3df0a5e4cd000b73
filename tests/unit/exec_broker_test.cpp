// The order state machine of execute --mode demo|live, driven by OKX answers written here: no
// network. What a user trusts money to: an order is never placed twice, a fill never counted
// twice nor made up, an unanswered order is given up only after the grace polls, and a state
// OKX ended never moves again.
#include "exec/broker.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

namespace okxkit::exec {
namespace {

using core::OrderState;
using core::Side;

OrderRequest request(std::string id, Side side = Side::kBuy, double sz = 0.01) {
    OrderRequest r;
    r.cl_ord_id = std::move(id);
    r.strategy = "s";
    r.leg = "b";
    r.inst = "BTC-USDT";
    r.side = side;
    r.ord_type = core::OrdType::kLimit;
    r.px = 100;
    r.sz = sz;
    return r;
}

okx::OrderInfo info(const std::string& cl, OrderState state, double filled,
                    std::optional<double> avg = std::nullopt) {
    okx::OrderInfo i;
    i.ord_id = "9" + cl;
    i.cl_ord_id = cl;
    i.inst_id = "BTC-USDT";
    i.state = state;
    i.sz = 0.01;
    i.acc_fill_sz = filled;
    i.avg_px = avg;
    return i;
}

okx::FillInfo fill(const std::string& cl, const std::string& trade, double px, double sz,
                   Side side = Side::kBuy) {
    okx::FillInfo f;
    f.trade_id = trade;
    f.ord_id = "9" + cl;
    f.cl_ord_id = cl;
    f.inst_id = "BTC-USDT";
    f.side = side;
    f.px = px;
    f.sz = sz;
    f.fee = px * sz * 0.001;
    f.fee_ccy = "USDT";
    f.ts = 1000;
    return f;
}

const core::Order& order_at(const std::vector<Event>& ev, std::size_t i) {
    return std::get<core::Order>(ev.at(i));
}

TEST(Broker, AJournaledOrderIsNeverJournaledTwice) {
    Broker b(core::Mode::kDemo);
    b.journal(request("a"), 1);
    EXPECT_TRUE(b.knows("a"));
    EXPECT_THROW(b.journal(request("a"), 2), std::logic_error);
}

TEST(Broker, AcceptedThenFilledFromOkxAnswers) {
    Broker b(core::Mode::kDemo);
    b.set_cash(1000);
    b.journal(request("a"), 1);
    std::vector<Event> ev;
    b.accepted("a", "9a", 1, ev);
    ASSERT_EQ(ev.size(), 1U);
    EXPECT_EQ(order_at(ev, 0).state, OrderState::kLive);
    EXPECT_EQ(order_at(ev, 0).ord_id, "9a");
    EXPECT_EQ(order_at(ev, 0).mode, core::Mode::kDemo);
    ev.clear();
    EXPECT_TRUE(b.fill(fill("a", "t1", 100, 0.004), ev));
    b.observe(info("a", OrderState::kPartiallyFilled, 0.004, 100), 2, ev);
    ASSERT_EQ(ev.size(), 2U);
    EXPECT_EQ(std::get<core::Fill>(ev[0]).trade_id, "t1");
    EXPECT_EQ(order_at(ev, 1).state, OrderState::kPartiallyFilled);
    EXPECT_DOUBLE_EQ(order_at(ev, 1).filled_sz, 0.004);
    EXPECT_DOUBLE_EQ(b.holdings().at("BTC-USDT").sz, 0.004);
    EXPECT_DOUBLE_EQ(b.cash(), 1000 - 0.4 - 0.0004);
    EXPECT_DOUBLE_EQ(b.filled_by_fills("a"), 0.004);
    EXPECT_EQ(b.working(), std::vector<std::string>{"a"});
}

TEST(Broker, AFillIsCountedOncePerTradeIdAndOnlyForTheJournalsOrders) {
    Broker b(core::Mode::kLive);
    b.journal(request("a"), 1);
    std::vector<Event> ev;
    EXPECT_TRUE(b.fill(fill("a", "t1", 100, 0.004), ev));
    EXPECT_TRUE(b.fill(fill("a", "t1", 100, 0.004), ev));      // the same fill polled again
    EXPECT_FALSE(b.fill(fill("other", "t2", 100, 0.004), ev)); // not the run's
    EXPECT_EQ(ev.size(), 1U);
    EXPECT_EQ(b.fills(), 1U);
    EXPECT_DOUBLE_EQ(b.holdings().at("BTC-USDT").sz, 0.004);
    // A fill in the store at start is counted in the holding, never written again.
    Broker c(core::Mode::kLive);
    c.adopt(request("a"), core::Order{}, "9a");
    core::Fill stored;
    stored.trade_id = "t1";
    stored.cl_ord_id = "a";
    stored.inst = "BTC-USDT";
    stored.px = 100;
    stored.sz = 0.004;
    c.adopt_fill(stored);
    ev.clear();
    EXPECT_TRUE(c.fill(fill("a", "t1", 100, 0.004), ev));
    EXPECT_TRUE(ev.empty());
    EXPECT_DOUBLE_EQ(c.holdings().at("BTC-USDT").sz, 0.004);
}

// Over the WebSocket the orders channel can tell of an order before the answer to its op
// does, and an older update can arrive after a newer one.
TEST(Broker, PushesBeforeTheAnswerOrOutOfOrderNeverRepeatOrUndoAState) {
    Broker b(core::Mode::kDemo);
    b.set_cash(1000);
    b.journal(request("a"), 1);
    std::vector<Event> ev;
    b.observe(info("a", OrderState::kLive, 0), 1, ev); // the push of the new order
    b.accepted("a", "9a", 1, ev);                      // then the op's answer
    ASSERT_EQ(ev.size(), 1U);
    EXPECT_EQ(order_at(ev, 0).ord_id, "9a");
    ev.clear();
    b.fill(fill("a", "t1", 100, 0.004), ev);
    b.observe(info("a", OrderState::kPartiallyFilled, 0.004, 100), 2, ev);
    b.observe(info("a", OrderState::kLive, 0), 3, ev); // late: the first push again
    ASSERT_EQ(ev.size(), 2U);
    EXPECT_EQ(order_at(ev, 1).state, OrderState::kPartiallyFilled);
    b.fill(fill("a", "t2", 100, 0.006), ev);
    b.observe(info("a", OrderState::kFilled, 0.01, 100), 4, ev);
    b.accepted("a", "9a", 4, ev); // an answer that lagged behind everything
    ASSERT_EQ(ev.size(), 4U);
    EXPECT_EQ(order_at(ev, 3).state, OrderState::kFilled);
    EXPECT_TRUE(b.working().empty());
}

// What the risk checks see of the working orders: what each has left, per instrument and
// side, kept as states change rather than counted over every order of the run.
TEST(Broker, TheOpenSummaryFollowsEveryChangeOfState) {
    Broker b(core::Mode::kDemo);
    std::vector<Event> ev;
    b.journal(request("a", Side::kBuy, 0.01), 1);
    b.journal(request("b", Side::kBuy, 0.02), 1);
    b.journal(request("c", Side::kSell, 0.03), 1);
    OrderRequest eth = request("d", Side::kBuy, 1);
    eth.inst = "ETH-USDT";
    b.journal(eth, 1);
    auto s = b.open_summary("BTC-USDT");
    EXPECT_EQ(s.orders, 3U);
    EXPECT_DOUBLE_EQ(s.buy_base, 0.03);
    EXPECT_DOUBLE_EQ(s.sell_base, 0.03);
    EXPECT_EQ(b.working_insts(), (std::set<std::string>{"BTC-USDT", "ETH-USDT"}));
    b.observe(info("a", OrderState::kPartiallyFilled, 0.004, 100), 2, ev);
    b.refused("c", "51008", "Insufficient balance", 2, ev);
    s = b.open_summary("BTC-USDT");
    EXPECT_EQ(s.orders, 2U);
    EXPECT_DOUBLE_EQ(s.buy_base, 0.006 + 0.02);
    EXPECT_DOUBLE_EQ(s.sell_base, 0);
    b.observe(info("a", OrderState::kFilled, 0.01, 100), 3, ev);
    b.observe(info("b", OrderState::kCanceled, 0), 3, ev);
    s = b.open_summary("BTC-USDT");
    EXPECT_EQ(s.orders, 0U);
    EXPECT_EQ(s.buy_base, 0.0); // exactly: no rounding left over
    EXPECT_EQ(b.working(), std::vector<std::string>{"d"});
    EXPECT_TRUE(b.has_working());
    // Adopted from the store at start: counted as the journal has it.
    Broker c(core::Mode::kDemo);
    core::Order last;
    last.state = OrderState::kPartiallyFilled;
    last.filled_sz = 0.005;
    c.adopt(request("a", Side::kSell, 0.01), last, "9a");
    EXPECT_DOUBLE_EQ(c.open_summary("BTC-USDT").sell_base, 0.005);
}

TEST(Broker, AnUnansweredOrderIsRejectedOnlyAfterTheGracePolls) {
    Broker b(core::Mode::kDemo);
    b.journal(request("a"), 1);
    std::vector<Event> ev;
    EXPECT_TRUE(b.missing("a", 5, 2, ev));
    EXPECT_TRUE(ev.empty()); // its answer may still be on the way
    EXPECT_TRUE(b.missing("a", 6, 2, ev));
    ASSERT_EQ(ev.size(), 1U);
    EXPECT_EQ(order_at(ev, 0).state, OrderState::kRejected);
    EXPECT_NE(order_at(ev, 0).reason->find("never reached OKX"), std::string::npos);
    EXPECT_TRUE(b.working().empty());
    // A confirmed order OKX no longer has is not invented away: the caller reports it.
    b.journal(request("c"), 1);
    b.accepted("c", "9c", 1, ev);
    EXPECT_FALSE(b.missing("c", 7, 1, ev));
    EXPECT_EQ(b.find("c")->last.state, OrderState::kLive);
}

TEST(Broker, ARefusalCarriesOkxsCodeAndAFinishedOrderNeverMovesAgain) {
    Broker b(core::Mode::kDemo);
    b.journal(request("a"), 1);
    std::vector<Event> ev;
    b.refused("a", "51008", "Order failed. Insufficient USDT balance in account.", 1, ev);
    ASSERT_EQ(ev.size(), 1U);
    EXPECT_EQ(order_at(ev, 0).reason,
              "OKX 51008: Order failed. Insufficient USDT balance in account.");
    ev.clear();
    b.journal(request("f"), 1);
    b.observe(info("f", OrderState::kFilled, 0.01, 100), 2, ev);
    b.observe(info("f", OrderState::kCanceled, 0.01, 100), 3, ev); // never out of filled
    ASSERT_EQ(ev.size(), 1U);
    EXPECT_EQ(b.find("f")->last.state, OrderState::kFilled);
}

TEST(Broker, ACancelByTheDeadManSwitchSaysSo) {
    Broker b(core::Mode::kDemo);
    b.journal(request("a"), 1);
    std::vector<Event> ev;
    okx::OrderInfo i = info("a", OrderState::kCanceled, 0);
    i.cancel_source = "20";
    b.observe(i, 9, ev);
    ASSERT_EQ(ev.size(), 1U);
    EXPECT_NE(order_at(ev, 0).reason->find("cancel-all-after"), std::string::npos);
    EXPECT_EQ(order_at(ev, 0).ts, 9);
}

TEST(Broker, HoldingsFromFillsWithTheFeeInTheBaseCurrency) {
    Broker b(core::Mode::kDemo);
    b.set_cash(1000);
    b.journal(request("a"), 1);
    b.journal(request("s", Side::kSell, 0.005), 2);
    std::vector<Event> ev;
    okx::FillInfo f = fill("a", "t1", 100, 0.01);
    f.fee = 0.00001; // OKX takes a buy's fee in BTC
    f.fee_ccy = "BTC";
    b.fill(f, ev);
    EXPECT_DOUBLE_EQ(b.holdings().at("BTC-USDT").sz, 0.00999);
    EXPECT_DOUBLE_EQ(b.cash(), 999);
    b.fill(fill("s", "t2", 110, 0.005, Side::kSell), ev);
    const Holding& h = b.holdings().at("BTC-USDT");
    EXPECT_NEAR(h.sz, 0.00499, 1e-12);
    EXPECT_NEAR(h.rpl, 0.05, 1e-12);
    EXPECT_NEAR(b.cash(), 999 + 0.55 - 0.00055, 1e-12);
    const PaperExchange::Open open = b.open_summary("BTC-USDT");
    EXPECT_EQ(open.orders, 2U); // no order line said filled yet: both still working
}

// ---- exit orders: a buy entry's ladder held at OKX as algo orders ----------------------------

okx::AlgoInfo algo(const std::string& cl, const std::string& state, double sz = 0.005) {
    okx::AlgoInfo a;
    a.algo_id = "7" + cl;
    a.algo_cl_ord_id = cl;
    a.inst_id = "BTC-USDT";
    a.ord_type = "oco";
    a.side = Side::kSell;
    a.state = state;
    a.sz = sz;
    return a;
}

LiveOrder& exit_order(Broker& b, const std::string& entry, const std::string& tag, int rung) {
    OrderRequest r = request(entry + tag, Side::kSell, 0.005);
    r.leg = "b-" + tag;
    LiveOrder& o = b.journal(r, 5);
    b.set_exit(r.cl_ord_id, ExitSpec{entry, "oco", rung, 110, 95});
    return o;
}

TEST(Broker, AnEntrysFillsSayWhatItsExitsMaySellNetOfTheBaseFee) {
    Broker b(core::Mode::kDemo);
    OrderRequest e = request("e");
    e.bracket.tp = {{110, 0.5}, {120, 0.5}};
    e.bracket.sl_px = 95;
    b.journal(e, 1);
    b.journal(request("plain"), 1);
    std::vector<Event> ev;
    EXPECT_TRUE(b.take_grown().empty());
    okx::FillInfo f = fill("e", "t1", 100, 0.006);
    f.fee = 0.000006;
    f.fee_ccy = "BTC";
    b.fill(f, ev);
    b.fill(fill("e", "t2", 100, 0.004), ev);    // fee in USDT: the base is whole
    b.fill(fill("e", "t2", 100, 0.004), ev);    // the same trade again: not counted
    b.fill(fill("plain", "t3", 100, 0.01), ev); // no ladder: no exits due
    EXPECT_DOUBLE_EQ(b.net_bought("e"), 0.009994);
    EXPECT_EQ(b.take_grown(), std::vector<std::string>{"e"});
    EXPECT_TRUE(b.take_grown().empty()); // taken
}

TEST(Broker, AnExitIsLiveAtOkxThenTriggersAndItsOrdersFillsAreItsOwn) {
    Broker b(core::Mode::kDemo);
    b.journal(request("e"), 1);
    exit_order(b, "e", "tp1", 0);
    exit_order(b, "e", "tp2", 1);
    b.journal(request("e2"), 1); // another entry whose id starts alike is not e's
    EXPECT_EQ(b.exits_of("e"), (std::vector<std::string>{"etp1", "etp2"}));
    std::vector<Event> ev;
    b.algo_placed("etp1", "7etp1", 6, ev);
    b.algo_placed("etp1", "7etp1", 7, ev); // the same answer again: no line
    ASSERT_EQ(ev.size(), 1U);
    EXPECT_EQ(order_at(ev, 0).state, OrderState::kLive);
    EXPECT_FALSE(order_at(ev, 0).ord_id.has_value()); // no order at OKX until it triggers
    // Still live at OKX: nothing new. Then it triggers (take-profit): the order it spawned is
    // linked, and its states and fills are the exit's.
    b.algo_observe(algo("etp1", "live"), 8, ev);
    EXPECT_EQ(ev.size(), 1U);
    okx::AlgoInfo t = algo("etp1", "effective");
    t.actual_side = "tp";
    t.ord_id = "555";
    b.algo_observe(t, 9, ev);
    ASSERT_EQ(ev.size(), 2U);
    EXPECT_EQ(order_at(ev, 1).reason, "take-profit triggered at OKX");
    EXPECT_EQ(order_at(ev, 1).ord_id, "555");
    EXPECT_EQ(order_at(ev, 1).state, OrderState::kLive);
    EXPECT_EQ(b.exit_of_ord_id("555"), "etp1");
    EXPECT_EQ(b.exit_of_ord_id("556"), "");
    b.algo_observe(t, 10, ev); // told again: nothing
    EXPECT_EQ(ev.size(), 2U);
    okx::OrderInfo child = info("etp1", OrderState::kFilled, 0.005, 110);
    child.ord_id = "555";
    b.observe(child, 11, ev);
    okx::FillInfo f = fill("etp1", "t9", 110, 0.005, Side::kSell);
    f.ord_id = "555";
    EXPECT_TRUE(b.fill(f, ev));
    EXPECT_EQ(order_at(ev, 2).state, OrderState::kFilled);
    EXPECT_EQ(std::get<core::Fill>(ev.at(3)).leg, "b-tp1");
    EXPECT_FALSE(b.has_working() && b.find("etp1")->last.state != OrderState::kFilled);
}

TEST(Broker, AnExitCanceledFailedOrResizedAtOkxSaysSo) {
    Broker b(core::Mode::kDemo);
    b.journal(request("e"), 1);
    exit_order(b, "e", "tp1", 0);
    exit_order(b, "e", "tp2", 1);
    exit_order(b, "e", "sl", -1);
    std::vector<Event> ev;
    b.algo_observe(algo("etp1", "live", 0.007), 6, ev); // amended at OKX: the new size
    ASSERT_EQ(ev.size(), 1U);
    EXPECT_DOUBLE_EQ(order_at(ev, 0).sz, 0.007);
    EXPECT_DOUBLE_EQ(b.open_summary("BTC-USDT").sell_base, 0.017);
    b.algo_observe(algo("etp2", "canceled"), 7, ev);
    EXPECT_EQ(order_at(ev, 1).state, OrderState::kCanceled);
    EXPECT_EQ(order_at(ev, 1).reason, "canceled at OKX");
    okx::AlgoInfo failed = algo("esl", "order_failed");
    failed.fail_code = "51008";
    b.algo_observe(failed, 8, ev);
    EXPECT_EQ(order_at(ev, 2).state, OrderState::kRejected);
    EXPECT_EQ(order_at(ev, 2).reason, "OKX's algo order failed (51008)");
    b.algo_observe(algo("esl", "live"), 9, ev);        // a finished exit never moves again
    b.algo_observe(algo("nobody", "canceled"), 9, ev); // not the journal's
    EXPECT_EQ(ev.size(), 3U);
    b.exit_resized("etp1", 0.009, 10, ev);
    EXPECT_DOUBLE_EQ(order_at(ev, 3).sz, 0.009);
    EXPECT_DOUBLE_EQ(b.open_summary("BTC-USDT").sell_base, 0.009);
}

} // namespace
} // namespace okxkit::exec
