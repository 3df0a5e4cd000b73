// The order state machine and the paper exchange: each fill rule that keeps a backtest a
// pessimistic bound, the brackets, and the accounting over a long run on real data,
// recomputed independently from the fills.
#include "exec/order.hpp"
#include "exec/paper.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace okxkit::exec {
namespace {

using core::Fill;
using core::Liquidity;
using core::OrderState;
using core::OrdType;
using core::Side;

constexpr std::int64_t kBar = 300'000;
constexpr std::int64_t kT0 = 1'700'000'000'000 - 1'700'000'000'000 % kBar;

std::int64_t bar(int n) {
    return kT0 + n * kBar;
}

Candle candle(int n, double o, double h, double l, double c, double vol = 1e9,
              const std::string& inst = "BTC-USDT") {
    return Candle{inst, bar(n), o, h, l, c, vol};
}

OrderRequest request(const std::string& id, Side side, OrdType type, std::optional<double> px,
                     double sz, int decided_bar, const std::string& inst = "BTC-USDT") {
    OrderRequest r;
    r.cl_ord_id = id;
    r.strategy = "test";
    r.leg = id;
    r.inst = inst;
    r.side = side;
    r.ord_type = type;
    r.px = px;
    r.sz = sz;
    r.decided_ts = bar(decided_bar);
    return r;
}

std::vector<Fill> fills_of(const std::vector<Event>& ev) {
    std::vector<Fill> out;
    for (const Event& e : ev) {
        if (const auto* f = std::get_if<Fill>(&e)) {
            out.push_back(*f);
        }
    }
    return out;
}

// The last state an order event reported for id.
std::optional<core::Order> last_order(const std::vector<Event>& ev, const std::string& id) {
    std::optional<core::Order> last;
    for (const Event& e : ev) {
        if (const auto* o = std::get_if<core::Order>(&e); o != nullptr && o->cl_ord_id == id) {
            last = *o;
        }
    }
    return last;
}

PaperConfig config(FillModel model = FillModel::kPenetration) {
    PaperConfig c;
    c.fill_model = model;
    c.cash = 1'000'000;
    return c;
}

TEST(OrderMachine, MovesAsOkxDoesAndRefusesTheRest) {
    OrderProgress o{2.0};
    apply_fill(o, 100, 0.5);
    EXPECT_EQ(o.state, OrderState::kPartiallyFilled);
    apply_fill(o, 110, 1.5);
    EXPECT_EQ(o.state, OrderState::kFilled);
    EXPECT_DOUBLE_EQ(o.avg_px, (100 * 0.5 + 110 * 1.5) / 2);
    EXPECT_FALSE(apply_cancel(o)); // 51400: already filled
    EXPECT_THROW(apply_fill(o, 100, 0.1), std::logic_error);
    EXPECT_THROW(apply_reject(o), std::logic_error);

    OrderProgress p{1.0};
    EXPECT_THROW(apply_fill(p, 100, 1.5), std::logic_error); // more than remains
    EXPECT_THROW(apply_fill(p, 0, 0.5), std::logic_error);
    EXPECT_THROW(apply_fill(p, 100, -1), std::logic_error);
    apply_fill(p, 100, 0.25);
    EXPECT_THROW(apply_reject(p), std::logic_error); // something filled: cancel, not reject
    EXPECT_TRUE(apply_cancel(p));
    EXPECT_EQ(p.state, OrderState::kCanceled);
    EXPECT_THROW(grow(p, 1), std::logic_error);

    OrderProgress q{1.0};
    apply_reject(q);
    EXPECT_EQ(q.state, OrderState::kRejected);
    EXPECT_FALSE(apply_cancel(q));

    OrderProgress s{3.0};
    apply_fill(s, 10, 1);
    resize(s, 1); // what it protects is gone: filled
    EXPECT_EQ(s.state, OrderState::kFilled);
}

TEST(PaperExchange, NeverFillsOnTheBarThatDecided) {
    PaperExchange x(config());
    std::vector<Event> ev;
    x.submit(request("m1", Side::kBuy, OrdType::kMarket, {}, 1, 0), bar(0), ev);
    x.submit(request("l1", Side::kBuy, OrdType::kLimit, 100.0, 1, 0), bar(0), ev);
    // The deciding bar itself, which would trade through the limit: nothing fills.
    x.on_candle(candle(0, 101, 102, 90, 101), ev);
    EXPECT_TRUE(fills_of(ev).empty());
    x.on_candle(candle(1, 105, 106, 104, 105), ev);
    auto f = fills_of(ev);
    ASSERT_EQ(f.size(), 1U); // the market order, at the next open plus slippage
    EXPECT_EQ(f[0].cl_ord_id, "m1");
    EXPECT_DOUBLE_EQ(f[0].px, 105 * (1 + x.config().slippage));
    EXPECT_EQ(f[0].liquidity, Liquidity::kTaker);
    EXPECT_DOUBLE_EQ(f[0].fee, f[0].px * 1 * x.config().taker_fee);
    EXPECT_EQ(f[0].fee_ccy, "USDT");
}

TEST(PaperExchange, ALimitTouchedButNotTradedThroughDoesNotFillUnderPenetration) {
    for (FillModel model : {FillModel::kPenetration, FillModel::kTouch}) {
        PaperExchange x(config(model));
        x.set_tick("BTC-USDT", 0.1);
        std::vector<Event> ev;
        x.submit(request("b", Side::kBuy, OrdType::kLimit, 100.0, 1, 0), bar(0), ev);
        x.submit(request("s", Side::kSell, OrdType::kLimit, 200.0, 1, 0), bar(0), ev);
        x.on_candle(candle(1, 150, 200, 100, 150), ev); // touches both
        const auto touched = fills_of(ev);
        if (model == FillModel::kTouch) {
            ASSERT_EQ(touched.size(), 1U); // the buy; nothing is held to sell (spot)
            EXPECT_EQ(touched[0].cl_ord_id, "b");
            EXPECT_EQ(touched[0].liquidity, Liquidity::kMaker);
            EXPECT_DOUBLE_EQ(touched[0].px, 100);
            continue;
        }
        EXPECT_TRUE(touched.empty());
        x.on_candle(candle(2, 150, 170, 100.05, 150), ev); // less than a tick through
        EXPECT_TRUE(fills_of(ev).empty());
        x.on_candle(candle(3, 150, 170, 99.9, 150), ev); // one tick through
        const auto through = fills_of(ev);
        ASSERT_EQ(through.size(), 1U);
        EXPECT_DOUBLE_EQ(through[0].px, 100); // at its price, never better
        EXPECT_EQ(through[0].liquidity, Liquidity::kMaker);
        EXPECT_DOUBLE_EQ(through[0].fee, 100 * x.config().maker_fee);
    }
}

TEST(PaperExchange, TheTickIsTheFinestPriceStepSeenWhenNoneIsSet) {
    PaperExchange x(config());
    std::vector<Event> ev;
    x.on_candle(candle(0, 1.1917, 1.19413, 1.19, 1.2), ev);
    EXPECT_DOUBLE_EQ(x.tick("BTC-USDT"), 1e-5);
    x.set_tick("BTC-USDT", 0.1);
    EXPECT_DOUBLE_EQ(x.tick("BTC-USDT"), 0.1);
}

// The digits after the point of a price's shortest text, written plainly: std::to_chars in
// scientific form gives the shortest digits and the exponent.
int reference_decimals(double v) {
    std::array<char, 64> buf{};
    auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific);
    const std::string text(buf.data(), r.ptr);
    const std::size_t e = text.find('e');
    const std::string mantissa = text.substr(0, e);
    const int exponent = std::stoi(text.substr(e + 1));
    const std::size_t point = mantissa.find('.');
    const int fraction = point == std::string::npos ? 0 : static_cast<int>(e - point - 1);
    return std::max(0, fraction - exponent);
}

TEST(PaperExchange, TheTickFollowsEveryPriceSeenAsItsShortestTextDoes) {
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<int> digits(0, 9);
    std::uniform_real_distribution<double> any(1e-6, 1e6);
    PaperExchange x(config());
    std::vector<Event> ev;
    std::map<std::string, int> most;
    for (int n = 0; n < 4000; ++n) {
        // 100 instruments of 40 prices each: each one's tick starts from nothing.
        std::string inst = "X";
        inst += std::to_string(n / 40);
        inst += "-USDT";
        // Mostly prices with few decimals, as exchanges quote them; now and then any double
        // (17 significant digits), or a sum with a binary rounding error (0.1 + 0.2).
        double px = 0;
        switch (n % 16) {
        case 0:
            px = any(rng);
            break;
        case 1:
            px = 0.1 * digits(rng) + 0.2;
            break;
        default:
            px = std::round(any(rng) * std::pow(10.0, digits(rng) % 6)) /
                 std::pow(10.0, digits(rng) % 6);
        }
        if (!(px > 0)) {
            continue;
        }
        x.on_candle(Candle{inst, bar(n), px, px, px, px, 1}, ev);
        most[inst] = std::max(most[inst], reference_decimals(px));
        ASSERT_DOUBLE_EQ(x.tick(inst), std::pow(10.0, -most[inst])) << inst << " after " << px;
    }
}

TEST(PaperExchange, AMarketableLimitTakesAtArrivalAndAPostOnlyOneIsCanceled) {
    PaperExchange x(config());
    std::vector<Event> ev;
    x.submit(request("lim", Side::kBuy, OrdType::kLimit, 110.0, 1, 0), bar(0), ev);
    x.submit(request("po", Side::kBuy, OrdType::kPostOnly, 110.0, 1, 0), bar(0), ev);
    x.on_candle(candle(1, 100, 101, 99, 100), ev);
    const auto f = fills_of(ev);
    ASSERT_EQ(f.size(), 1U);
    EXPECT_EQ(f[0].cl_ord_id, "lim");
    EXPECT_EQ(f[0].liquidity, Liquidity::kTaker);
    EXPECT_DOUBLE_EQ(f[0].px, 100 * (1 + x.config().slippage));
    const auto po = last_order(ev, "po");
    ASSERT_TRUE(po);
    EXPECT_EQ(po->state, OrderState::kCanceled);
    EXPECT_TRUE(po->reason && po->reason->find("post_only") != std::string::npos);
}

TEST(PaperExchange, FillsAreCappedByTheBarsVolume) {
    PaperConfig c = config();
    c.volume_share = 0.1;
    PaperExchange x(c);
    std::vector<Event> ev;
    x.submit(request("m", Side::kBuy, OrdType::kMarket, {}, 25, 0), bar(0), ev);
    x.on_candle(candle(1, 100, 101, 99, 100, 100), ev); // 10 of 100 may fill
    EXPECT_EQ(last_order(ev, "m")->state, OrderState::kPartiallyFilled);
    EXPECT_DOUBLE_EQ(last_order(ev, "m")->filled_sz, 10);
    x.on_candle(candle(2, 102, 103, 101, 102, 100), ev);
    x.on_candle(candle(3, 104, 105, 103, 104, 100), ev);
    const auto f = fills_of(ev);
    ASSERT_EQ(f.size(), 3U);
    EXPECT_DOUBLE_EQ(f[2].sz, 5);
    EXPECT_DOUBLE_EQ(f[1].px, 102 * (1 + c.slippage)); // each part at its own bar's open
    EXPECT_EQ(last_order(ev, "m")->state, OrderState::kFilled);
}

TEST(PaperExchange, WhatTheAccountCannotPayForIsRejected) {
    PaperConfig c = config();
    c.cash = 1000;
    PaperExchange x(c);
    std::vector<Event> ev;
    x.submit(request("big", Side::kBuy, OrdType::kMarket, {}, 20, 0), bar(0), ev);
    x.submit(request("sell", Side::kSell, OrdType::kMarket, {}, 1, 0), bar(0), ev);
    x.submit(request("bad", Side::kBuy, OrdType::kLimit, {}, 1, 0), bar(0), ev);
    EXPECT_EQ(last_order(ev, "bad")->state, OrderState::kRejected);
    x.on_candle(candle(1, 100, 101, 99, 100), ev);
    EXPECT_EQ(last_order(ev, "big")->state, OrderState::kRejected);
    EXPECT_EQ(last_order(ev, "sell")->state, OrderState::kRejected); // nothing held (spot)
    EXPECT_TRUE(fills_of(ev).empty());
    EXPECT_DOUBLE_EQ(x.cash(), 1000);
}

// Entry at 100 (a limit, so no slippage), TP1 +1.5% for half, TP2 +3% for the rest, SL -1%.
OrderRequest ladder_entry(bool breakeven) {
    OrderRequest r = request("e", Side::kBuy, OrdType::kLimit, 100.0, 2, 0);
    r.bracket.tp = {{101.5, 0.5}, {103, 0.5}};
    r.bracket.sl_px = 99;
    r.bracket.breakeven_after_tp1 = breakeven;
    return r;
}

TEST(PaperExchange, LadderTakesProfitOneThenMovesTheStopToBreakEvenThenStopsOut) {
    PaperExchange x(config());
    x.set_tick("BTC-USDT", 0.01);
    std::vector<Event> ev;
    x.submit(ladder_entry(true), bar(0), ev);
    x.on_candle(candle(1, 100.5, 100.6, 99.5, 100.2), ev); // entry fills at 100 (maker)
    ASSERT_EQ(fills_of(ev).size(), 1U);
    EXPECT_EQ(last_order(ev, "esl")->state, OrderState::kLive);
    EXPECT_DOUBLE_EQ(*last_order(ev, "esl")->px, 99);
    EXPECT_DOUBLE_EQ(last_order(ev, "etp1")->sz, 1);
    x.on_candle(candle(2, 100.2, 102, 100.1, 101.8), ev); // TP1 through: half out at 101.5
    auto f = fills_of(ev);
    ASSERT_EQ(f.size(), 2U);
    EXPECT_EQ(f[1].cl_ord_id, "etp1");
    EXPECT_DOUBLE_EQ(f[1].px, 101.5);
    EXPECT_DOUBLE_EQ(f[1].sz, 1);
    EXPECT_EQ(f[1].liquidity, Liquidity::kMaker);
    const auto sl = last_order(ev, "esl");
    EXPECT_DOUBLE_EQ(*sl->px, 100);                       // stop at break-even
    EXPECT_DOUBLE_EQ(sl->sz, 1);                          // for what is left
    x.on_candle(candle(3, 101, 101.2, 99.95, 100.5), ev); // back to the entry: stopped flat
    f = fills_of(ev);
    ASSERT_EQ(f.size(), 3U);
    EXPECT_EQ(f[2].cl_ord_id, "esl");
    EXPECT_DOUBLE_EQ(f[2].px, 100 * (1 - x.config().slippage));
    EXPECT_EQ(f[2].liquidity, Liquidity::kTaker);
    EXPECT_EQ(last_order(ev, "etp2")->state, OrderState::kCanceled); // one cancels the other
    EXPECT_DOUBLE_EQ(x.holdings().at("BTC-USDT").sz, 0);
    EXPECT_EQ(x.open_orders("BTC-USDT"), 0U);
}

TEST(PaperExchange, LadderReachesTakeProfitTwo) {
    PaperExchange x(config());
    x.set_tick("BTC-USDT", 0.01);
    std::vector<Event> ev;
    x.submit(ladder_entry(false), bar(0), ev);
    x.on_candle(candle(1, 100.5, 100.6, 99.5, 100.2), ev);
    x.on_candle(candle(2, 100.2, 102, 100.1, 101.8), ev);
    x.on_candle(candle(3, 101.8, 103.5, 101, 103.2), ev);
    const auto f = fills_of(ev);
    ASSERT_EQ(f.size(), 3U);
    EXPECT_EQ(f[2].cl_ord_id, "etp2");
    EXPECT_DOUBLE_EQ(f[2].px, 103);
    EXPECT_EQ(last_order(ev, "esl")->state, OrderState::kCanceled);
    EXPECT_DOUBLE_EQ(x.holdings().at("BTC-USDT").sz, 0);
    // Realised: half at +1.5, half at +3, before fees.
    EXPECT_NEAR(x.holdings().at("BTC-USDT").rpl, 1.5 + 3, 1e-9);
}

TEST(PaperExchange, OnABarThatReachesBothTheStopComesFirst) {
    PaperExchange x(config());
    x.set_tick("BTC-USDT", 0.01);
    std::vector<Event> ev;
    x.submit(ladder_entry(false), bar(0), ev);
    x.on_candle(candle(1, 100.5, 100.6, 99.5, 100.2), ev);
    x.on_candle(candle(2, 100.2, 104, 98, 101), ev); // TP1, TP2 and the stop all reached
    const auto f = fills_of(ev);
    ASSERT_EQ(f.size(), 2U);
    EXPECT_EQ(f[1].cl_ord_id, "esl");
    EXPECT_DOUBLE_EQ(f[1].sz, 2);
    EXPECT_DOUBLE_EQ(f[1].px, 99 * (1 - x.config().slippage));
    EXPECT_EQ(last_order(ev, "etp1")->state, OrderState::kCanceled);
    EXPECT_EQ(last_order(ev, "etp2")->state, OrderState::kCanceled);
}

TEST(PaperExchange, AStopFiresOnTheEntrysOwnBarAndAtTheOpenAfterAGap) {
    PaperExchange x(config());
    x.set_tick("BTC-USDT", 0.01);
    std::vector<Event> ev;
    x.submit(ladder_entry(false), bar(0), ev);
    // The entry fills at 100 and the same bar goes down to 98.5: stopped on that bar.
    x.on_candle(candle(1, 100.5, 100.6, 98.5, 99.2), ev);
    auto f = fills_of(ev);
    ASSERT_EQ(f.size(), 2U);
    EXPECT_EQ(f[1].cl_ord_id, "esl");

    PaperExchange y(config());
    y.set_tick("BTC-USDT", 0.01);
    std::vector<Event> ev2;
    y.submit(ladder_entry(false), bar(0), ev2);
    y.on_candle(candle(1, 100.5, 100.6, 99.5, 100.2), ev2);
    y.on_candle(candle(2, 97, 97.5, 96, 97), ev2); // opens below the stop
    f = fills_of(ev2);
    ASSERT_EQ(f.size(), 2U);
    EXPECT_DOUBLE_EQ(f[1].px, 97 * (1 - y.config().slippage)); // the open, not the stop
}

TEST(PaperExchange, TrailingStopRisesWithTheHighAfterEachBar) {
    PaperExchange x(config());
    std::vector<Event> ev;
    OrderRequest r = request("t", Side::kBuy, OrdType::kMarket, {}, 1, 0);
    r.bracket.trail_frac = 0.05;
    x.submit(r, bar(0), ev);
    x.on_candle(candle(1, 100, 100, 100, 100), ev);
    const double entry = fills_of(ev)[0].px;
    EXPECT_NEAR(*last_order(ev, "ttrail")->px, entry * 0.95, 1e-9);
    // A new high of 120: the level rises to 114 only after the bar, so this bar's low of
    // 104 does not fire it.
    x.on_candle(candle(2, 105, 120, 104, 118), ev);
    EXPECT_EQ(fills_of(ev).size(), 1U);
    x.on_candle(candle(3, 118, 119, 113, 115), ev); // below 114: out
    const auto f = fills_of(ev);
    ASSERT_EQ(f.size(), 2U);
    EXPECT_EQ(f[1].cl_ord_id, "ttrail");
    EXPECT_DOUBLE_EQ(f[1].px, 114 * (1 - x.config().slippage));
}

TEST(PaperExchange, CancelEndsAWorkingOrderAndNothingElse) {
    PaperExchange x(config());
    std::vector<Event> ev;
    x.submit(request("l", Side::kBuy, OrdType::kLimit, 90.0, 1, 0), bar(0), ev);
    EXPECT_TRUE(x.cancel("l", bar(0), ev));
    EXPECT_FALSE(x.cancel("l", bar(0), ev));
    EXPECT_FALSE(x.cancel("nope", bar(0), ev));
    x.on_candle(candle(1, 100, 100, 80, 90), ev);
    EXPECT_TRUE(fills_of(ev).empty());
    x.submit(request("l", Side::kBuy, OrdType::kLimit, 90.0, 1, 1), bar(1), ev);
    EXPECT_EQ(last_order(ev, "l")->state, OrderState::kRejected); // the id is taken
}

TEST(PaperExchange, AmendMovesAPriceToTheBackOfTheQueueAndASizeKeepsItsPlace) {
    PaperConfig c = config();
    c.volume_share = 0.1;
    PaperExchange x(c);
    std::vector<Event> ev;
    // Three resting buys at 95, queued a, b, c: a bar's volume fills them in that order.
    x.submit(request("a", Side::kBuy, OrdType::kLimit, 95.0, 1, 0), bar(0), ev);
    x.submit(request("b", Side::kBuy, OrdType::kLimit, 95.0, 1, 0), bar(0), ev);
    x.submit(request("c", Side::kBuy, OrdType::kLimit, 95.0, 1, 0), bar(0), ev);
    x.on_candle(candle(1, 100, 101, 99, 100, 10), ev); // they arrive and rest
    ev.clear();
    // a: a new price puts it last, and it arrives again after bar 1; b: a new size keeps its
    // place; c: the same price again keeps its place.
    ASSERT_TRUE(x.amend("a", 96.0, {}, bar(1), ev));
    ASSERT_TRUE(x.amend("b", {}, 2.0, bar(1), ev));
    ASSERT_TRUE(x.amend("c", 95.0, {}, bar(1), ev));
    ASSERT_EQ(ev.size(), 3U);
    EXPECT_DOUBLE_EQ(*last_order(ev, "a")->px, 96);
    EXPECT_DOUBLE_EQ(last_order(ev, "b")->sz, 2);
    EXPECT_EQ(last_order(ev, "b")->state, OrderState::kLive);
    EXPECT_TRUE(fills_of(ev).empty());
    ev.clear();
    x.on_candle(candle(2, 97, 97, 90, 94, 25), ev); // 2.5 may fill: b 2, c 0.5, a nothing
    auto f = fills_of(ev);
    ASSERT_EQ(f.size(), 2U);
    EXPECT_EQ(f[0].cl_ord_id, "b");
    EXPECT_DOUBLE_EQ(f[0].sz, 2);
    EXPECT_EQ(f[1].cl_ord_id, "c");
    EXPECT_DOUBLE_EQ(f[1].sz, 0.5);
    EXPECT_EQ(last_order(ev, "b")->state, OrderState::kFilled);
    ev.clear();
    x.on_candle(candle(3, 97, 97, 90, 94, 100), ev); // c's last 0.5, then a at its new price
    f = fills_of(ev);
    ASSERT_EQ(f.size(), 2U);
    EXPECT_EQ(f[0].cl_ord_id, "c");
    EXPECT_DOUBLE_EQ(f[0].sz, 0.5);
    EXPECT_EQ(f[1].cl_ord_id, "a");
    EXPECT_DOUBLE_EQ(f[1].px, 96);
    EXPECT_EQ(f[1].liquidity, Liquidity::kMaker);
}

TEST(PaperExchange, AmendedPriceArrivesAgainAndMayTakeAtTheNextOpen) {
    PaperExchange x(config());
    std::vector<Event> ev;
    x.submit(request("l", Side::kBuy, OrdType::kLimit, 90.0, 1, 0), bar(0), ev);
    x.on_candle(candle(1, 100, 101, 99, 100), ev); // rests at 90
    // A price above the market, decided at bar 1: at the open of bar 2 it takes, as taker,
    // like a new order would.
    ASSERT_TRUE(x.amend("l", 105.0, {}, bar(1), ev));
    EXPECT_TRUE(fills_of(ev).empty());
    x.on_candle(candle(2, 100, 101, 99, 100), ev);
    const auto f = fills_of(ev);
    ASSERT_EQ(f.size(), 1U);
    EXPECT_EQ(f[0].liquidity, Liquidity::kTaker);
    EXPECT_DOUBLE_EQ(f[0].px, 100 * (1 + x.config().slippage));
    EXPECT_EQ(last_order(ev, "l")->state, OrderState::kFilled);
}

TEST(PaperExchange, AmendToASizeAtOrBelowWhatFilledEndsTheOrderFilled) {
    PaperConfig c = config();
    c.volume_share = 0.1;
    PaperExchange x(c);
    std::vector<Event> ev;
    x.submit(request("l", Side::kBuy, OrdType::kLimit, 95.0, 3, 0), bar(0), ev);
    x.on_candle(candle(1, 100, 101, 90, 100, 10), ev); // 1 of 3 fills
    ASSERT_DOUBLE_EQ(last_order(ev, "l")->filled_sz, 1);
    const double cash = x.cash();
    ev.clear();
    ASSERT_TRUE(x.amend("l", {}, 0.5, bar(1), ev));
    ASSERT_EQ(ev.size(), 1U);
    const auto o = last_order(ev, "l");
    EXPECT_EQ(o->state, OrderState::kFilled);
    EXPECT_DOUBLE_EQ(o->filled_sz, 1); // what filled stays filled
    EXPECT_DOUBLE_EQ(o->sz, 1);
    EXPECT_DOUBLE_EQ(x.cash(), cash);
    EXPECT_DOUBLE_EQ(x.holdings().at("BTC-USDT").sz, 1);
    x.on_candle(candle(2, 100, 101, 80, 100, 10), ev);
    EXPECT_TRUE(fills_of(ev).empty()); // nothing more is worked
    EXPECT_EQ(x.open_orders("BTC-USDT"), 0U);
}

TEST(PaperExchange, AmendRefusesWhatCannotBeAmendedAndChangesNothing) {
    PaperExchange x(config());
    std::vector<Event> ev;
    OrderRequest e = request("e", Side::kBuy, OrdType::kLimit, 100.0, 1, 0);
    e.bracket.sl_px = 95;
    x.submit(e, bar(0), ev);
    x.submit(request("m", Side::kBuy, OrdType::kMarket, {}, 1, 0), bar(0), ev);
    x.submit(request("l", Side::kBuy, OrdType::kLimit, 90.0, 1, 0), bar(0), ev);
    ev.clear();
    EXPECT_FALSE(x.amend("nope", 91.0, {}, bar(0), ev));
    EXPECT_FALSE(x.amend("l", {}, {}, bar(0), ev));
    EXPECT_FALSE(x.amend("l", 0.0, {}, bar(0), ev));
    EXPECT_FALSE(x.amend("l", {}, -1.0, bar(0), ev));
    EXPECT_FALSE(x.amend("m", 101.0, {}, bar(0), ev)); // a market order has no price
    EXPECT_TRUE(ev.empty());
    EXPECT_DOUBLE_EQ(*x.request("l")->px, 90);
    x.on_candle(candle(1, 100, 101, 99, 100), ev);     // e and m fill; e's stop is born
    EXPECT_FALSE(x.amend("m", {}, 2.0, bar(1), ev));   // finished
    EXPECT_FALSE(x.amend("esl", {}, 0.5, bar(1), ev)); // a bracket's child follows its entry
    ASSERT_TRUE(x.cancel("l", bar(1), ev));
    EXPECT_FALSE(x.amend("l", 95.0, {}, bar(1), ev));
}

// Real 5-minute candles of BTC-USDT (the bundled sample), random orders of every kind,
// thousands of fills; then the account is recomputed from the fill events alone.
std::vector<Candle> sample_candles() {
    std::ifstream in(std::string(OKXKIT_SOURCE_DIR) + "/share/okxkit/samples/BTC-USDT_5m.csv");
    std::string line;
    std::getline(in, line);
    std::vector<Candle> out;
    while (std::getline(in, line)) {
        std::istringstream s(line);
        Candle k;
        k.inst = "BTC-USDT";
        char comma = 0;
        s >> k.ts >> comma >> k.o >> comma >> k.h >> comma >> k.l >> comma >> k.c >> comma >> k.vol;
        out.push_back(k);
    }
    return out;
}

TEST(PaperExchange, AccountingAddsUpOverThousandsOfFillsOnRealData) {
    const std::vector<Candle> candles = sample_candles();
    ASSERT_GT(candles.size(), 8000U);
    PaperConfig c = config();
    c.cash = 100'000;
    c.volume_share = 0.02;
    PaperExchange x(c);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<Event> ev;
    int n = 0;
    std::vector<std::string> ids;
    // Independent books, from the fills only.
    double cash = c.cash;
    double pos = 0;
    double avg = 0;
    double rpl = 0;
    std::size_t seen = 0;
    std::size_t fills = 0;
    for (const Candle& k : candles) {
        x.on_candle(k, ev);
        for (; seen < ev.size(); ++seen) {
            const auto* f = std::get_if<Fill>(&ev[seen]);
            if (f == nullptr) {
                continue;
            }
            ++fills;
            ASSERT_GT(f->sz, 0);
            const double value = f->px * f->sz;
            ASSERT_NEAR(f->fee,
                        value * (f->liquidity == Liquidity::kMaker ? c.maker_fee : c.taker_fee),
                        1e-9 * value);
            if (f->side == Side::kBuy) {
                cash -= value + f->fee;
                avg = (avg * pos + value) / (pos + f->sz);
                pos += f->sz;
            } else {
                cash += value - f->fee;
                rpl += (f->px - avg) * f->sz;
                pos -= f->sz;
            }
            ASSERT_GE(pos, -1e-9) << "sold what was not held";
            ASSERT_GE(cash, -1e-6) << "spent what was not there";
        }
        const Holding& h = x.holdings().at("BTC-USDT");
        ASSERT_NEAR(x.cash(), cash, 1e-6 * c.cash);
        ASSERT_NEAR(h.sz, pos, 1e-9);
        ASSERT_NEAR(h.rpl, rpl, 1e-6 * c.cash);
        ASSERT_DOUBLE_EQ(x.equity(), x.cash() + h.sz * k.c);
        // New orders, decided on this bar.
        const double r = u(rng);
        std::string id = "o";
        id += std::to_string(++n);
        OrderRequest req;
        if (r < 0.25) {
            req = request(id, Side::kBuy, OrdType::kMarket, {}, 0.05 + u(rng) * 0.2, 0);
        } else if (r < 0.5) {
            req = request(id, Side::kBuy, u(rng) < 0.5 ? OrdType::kLimit : OrdType::kPostOnly,
                          k.c * (1 - 0.004 * u(rng)), 0.05 + u(rng) * 0.2, 0);
            if (u(rng) < 0.5) {
                req.bracket.tp = {{k.c * 1.004, 0.5}, {k.c * 1.01, 0.5}};
                req.bracket.sl_px = k.c * 0.993;
                req.bracket.breakeven_after_tp1 = u(rng) < 0.5;
            } else if (u(rng) < 0.5) {
                req.bracket.trail_frac = 0.006;
            }
        } else if (r < 0.7) {
            const double held = x.holdings().count("BTC-USDT") ? x.holdings().at("BTC-USDT").sz : 0;
            req = request(id, Side::kSell, u(rng) < 0.5 ? OrdType::kMarket : OrdType::kLimit,
                          k.c * (1 + 0.004 * u(rng)), held * u(rng) + 0.01, 0);
        } else if (r < 0.8 && !ids.empty()) {
            x.cancel(ids[static_cast<std::size_t>(u(rng) * static_cast<double>(ids.size()))], k.ts,
                     ev);
            continue;
        } else {
            continue;
        }
        req.decided_ts = k.ts;
        x.submit(req, k.ts, ev);
        ids.push_back(id);
    }
    EXPECT_GT(fills, 2000U);
}

} // namespace
} // namespace okxkit::exec
