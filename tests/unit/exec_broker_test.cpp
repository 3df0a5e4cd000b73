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

} // namespace
} // namespace okxkit::exec
