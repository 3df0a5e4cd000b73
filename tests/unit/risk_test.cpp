// lib/risk: sizing, ladders, limits, the kill switch; and, with the paper exchange, the
// property that no fill ever breaks a limit over randomised intents on real prices.
#include "exec/paper.hpp"
#include "risk/risk.hpp"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace okxkit::risk {
namespace {

using core::Side;

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kT0 = 1'700'006'400'000; // 2023-11-15 00:00 UTC

TEST(Sizing, EachKindGivesTheNotionalItPromises) {
    SizingConfig c;
    SizingInput in;
    in.equity = 10'000;
    in.px = 100;
    in.atr = 2;
    c.kind = Sizing::kFixedNotional;
    c.notional = 250;
    EXPECT_DOUBLE_EQ(entry_notional(c, in), 250);
    c.kind = Sizing::kEquityFrac;
    c.equity_frac = 0.1;
    EXPECT_DOUBLE_EQ(entry_notional(c, in), 1000);
    in.equity_frac = 0.05; // the intent's own wins
    EXPECT_DOUBLE_EQ(entry_notional(c, in), 500);
    // ATR target: a move of 2 ATR (4% of the price) loses 1% of equity: 2,500.
    c.kind = Sizing::kAtrTarget;
    c.risk_frac = 0.01;
    c.atr_mult = 2;
    c.max_frac = 1;
    EXPECT_NEAR(entry_notional(c, in), 2500, 1e-9);
    c.max_frac = 0.2; // capped
    EXPECT_NEAR(entry_notional(c, in), 2000, 1e-9);
    in.atr = std::nan("");
    EXPECT_DOUBLE_EQ(entry_notional(c, in), 0); // no ATR, no size
    // Kelly: confidence 0.5 reads as p = 0.75; at payoff 1 Kelly is 0.5, a quarter of it 0.125.
    c.kind = Sizing::kKelly;
    c.kelly_cap = 0.25;
    c.payoff = 1;
    c.max_frac = 1;
    in.confidence = 0.5;
    EXPECT_NEAR(entry_notional(c, in), 1250, 1e-9);
    in.confidence = 0; // a coin flip: no bet
    EXPECT_DOUBLE_EQ(entry_notional(c, in), 0);
    c.max_frac = 0.05;
    in.confidence = 1;
    EXPECT_NEAR(entry_notional(c, in), 500, 1e-9);
}

TEST(Ladder, PercentAndAtrRungsWithAStopBelow) {
    LadderConfig c; // TP1 +1.5% for half, TP2 +3% for the rest, SL -1%
    Ladder l = make_ladder(c, 200, std::nan(""));
    ASSERT_EQ(l.tp.size(), 2U);
    EXPECT_DOUBLE_EQ(l.tp[0].px, 203);
    EXPECT_DOUBLE_EQ(l.tp[0].frac, 0.5);
    EXPECT_DOUBLE_EQ(l.tp[1].px, 206);
    ASSERT_TRUE(l.sl);
    EXPECT_DOUBLE_EQ(l.sl->px, 198);
    EXPECT_TRUE(l.breakeven_after_tp1);

    c.atr = true;
    c.tp = {{1, 0.6}, {2, 0.6}}; // more than the whole: the last rung is trimmed
    c.sl = 1.5;
    l = make_ladder(c, 200, 4);
    ASSERT_EQ(l.tp.size(), 2U);
    EXPECT_DOUBLE_EQ(l.tp[0].px, 204);
    EXPECT_DOUBLE_EQ(l.tp[1].px, 208);
    EXPECT_NEAR(l.tp[1].frac, 0.4, 1e-12);
    EXPECT_DOUBLE_EQ(l.sl->px, 194);
    l = make_ladder(c, 200, std::nan("")); // no ATR: nothing measured in it
    EXPECT_TRUE(l.tp.empty());
    EXPECT_FALSE(l.sl);

    c.atr = false;
    c.tp = {{-0.01, 0.5}, {0.02, 0.5}}; // a rung below the entry is left out
    c.sl = 1.5;                         // a stop at or below 0 too
    c.trail_frac = 0.02;
    l = make_ladder(c, 200, 0);
    ASSERT_EQ(l.tp.size(), 1U);
    EXPECT_DOUBLE_EQ(l.tp[0].px, 204);
    EXPECT_FALSE(l.sl);
    ASSERT_TRUE(l.trail);
    EXPECT_DOUBLE_EQ(l.trail->offset_frac, 0.02);
}

AccountView account(double equity, std::map<std::string, InstView, std::less<>> insts) {
    AccountView a;
    a.equity = equity;
    a.insts = std::move(insts);
    return a;
}

TEST(Limits, PositionAndExposureCutOrRefuseABuy) {
    Limits lim;
    lim.max_position_notional = 3000;
    lim.max_gross_exposure = 0.5;
    lim.max_net_exposure = 0.5;
    Guard g(lim);
    // 10 held at 100 plus 5 on an open buy: 1,500 of 3,000 used.
    AccountView a = account(10'000, {{"ETH-USDT", {10, 100, 5, 0, 1}}});
    Decision d = g.check({"ETH-USDT", Side::kBuy, 10, 100}, a, kT0);
    EXPECT_EQ(d.kind, Decision::Kind::kApprove);
    d = g.check({"ETH-USDT", Side::kBuy, 20, 100}, a, kT0);
    EXPECT_EQ(d.kind, Decision::Kind::kAdjust);
    EXPECT_EQ(d.code, "position_limit");
    EXPECT_EQ(d.limit, "risk.max_position_notional");
    EXPECT_DOUBLE_EQ(d.sz, 15);
    EXPECT_DOUBLE_EQ(d.value, 3500);
    EXPECT_DOUBLE_EQ(d.threshold, 3000);
    // Gross exposure: 4,000 of BTC already, 1,500 of ETH: 5,500 of 5,000 allowed.
    a.insts["BTC-USDT"] = {0.1, 40'000, 0, 0, 0};
    d = g.check({"ETH-USDT", Side::kBuy, 1, 100}, a, kT0);
    EXPECT_TRUE(d.refused());
    EXPECT_EQ(d.code, "gross_exposure");
    EXPECT_FALSE(d.detail.empty());
    // Another instrument has its own, looser limits.
    Limits loose = lim;
    loose.max_gross_exposure = 10;
    loose.max_net_exposure = 10;
    Guard g2(lim, {{"ETH-USDT", loose}});
    EXPECT_EQ(g2.check({"ETH-USDT", Side::kBuy, 1, 100}, a, kT0).kind, Decision::Kind::kApprove);
    EXPECT_TRUE(g2.check({"XRP-USDT", Side::kBuy, 1, 1}, a, kT0).refused());
}

TEST(Limits, SellsStayWithinWhatIsHeldAndOrdersWithinCountAndRate) {
    Limits lim;
    lim.max_open_orders = 2;
    lim.max_orders_per_minute = 3;
    Guard g(lim);
    AccountView a = account(10'000, {{"ETH-USDT", {2, 100, 0, 1.5, 1}}});
    Decision d = g.check({"ETH-USDT", Side::kSell, 1, 100}, a, kT0);
    EXPECT_EQ(d.kind, Decision::Kind::kAdjust);
    EXPECT_DOUBLE_EQ(d.sz, 0.5);
    a.insts["ETH-USDT"].open_sell_base = 2;
    EXPECT_EQ(g.check({"ETH-USDT", Side::kSell, 1, 100}, a, kT0).code, "not_held");
    a.insts["ETH-USDT"] = {2, 100, 0, 0, 2};
    EXPECT_EQ(g.check({"ETH-USDT", Side::kBuy, 1, 100}, a, kT0).code, "open_orders");
    a.insts["ETH-USDT"].open_orders = 0;
    g.placed(kT0);
    g.placed(kT0 + 10'000);
    g.placed(kT0 + 20'000);
    EXPECT_EQ(g.check({"ETH-USDT", Side::kBuy, 1, 100}, a, kT0 + 59'000).code, "order_rate");
    // A minute after the first, one order has left the window.
    EXPECT_EQ(g.check({"ETH-USDT", Side::kBuy, 1, 100}, a, kT0 + 60'000).kind,
              Decision::Kind::kApprove);
    EXPECT_EQ(g.check({"ETH-USDT", Side::kBuy, 1, 0}, a, kT0 + 60'000).code, "no_price");
}

TEST(KillSwitch, DailyLossTripsAtItsThresholdHaltsAndResumesTheNextDay) {
    Limits lim;
    lim.max_daily_loss = 0.05;
    lim.max_drawdown = 0.5;
    Guard g(lim);
    AccountView a = account(9'500, {});
    EXPECT_FALSE(g.mark(kT0, 10'000));
    EXPECT_FALSE(g.mark(kT0 + 3'600'000, 9'501));     // 4.99%: not yet
    const auto trip = g.mark(kT0 + 7'200'000, 9'500); // exactly 5%
    ASSERT_TRUE(trip);
    EXPECT_TRUE(trip->halt);
    EXPECT_EQ(trip->code, "daily_loss");
    EXPECT_DOUBLE_EQ(trip->threshold, 0.05);
    EXPECT_TRUE(g.halted());
    const Decision d = g.check({"BTC-USDT", Side::kBuy, 0.001, 40'000}, a, kT0 + 7'200'000);
    EXPECT_EQ(d.code, "halted");
    a.insts["BTC-USDT"] = {0.01, 40'000, 0, 0, 0};
    EXPECT_FALSE(g.check({"BTC-USDT", Side::kSell, 0.01, 40'000}, a, kT0).refused()); // exits go
    EXPECT_FALSE(g.mark(kT0 + kDay - 1, 9'000)); // still that day: still halted, no new trip
    EXPECT_TRUE(g.halted());
    const auto resumed = g.mark(kT0 + kDay, 9'000);
    ASSERT_TRUE(resumed);
    EXPECT_FALSE(resumed->halt);
    EXPECT_EQ(resumed->code, "next_day");
    EXPECT_FALSE(g.halted());
    EXPECT_DOUBLE_EQ(g.day_start(), 9'000);
}

TEST(KillSwitch, ManualResumeWaitsForTheResetAndADrawdownAlwaysDoes) {
    Limits lim;
    lim.max_daily_loss = 0.05;
    lim.max_drawdown = 0.10;
    lim.resume = Resume::kManual;
    Guard g(lim);
    g.mark(kT0, 10'000);
    ASSERT_TRUE(g.mark(kT0 + 1, 9'400));
    EXPECT_FALSE(g.mark(kT0 + kDay, 9'400)); // a new day does not resume a manual halt
    EXPECT_TRUE(g.halted());
    ASSERT_TRUE(g.reset(kT0 + kDay));
    EXPECT_FALSE(g.halted());

    Limits lim2;
    lim2.max_daily_loss = 0.5;
    lim2.max_drawdown = 0.10;
    Guard d(lim2);
    d.mark(kT0, 10'000);
    d.mark(kT0 + kDay, 10'500); // the peak
    d.mark(kT0 + 2 * kDay, 9'800);
    const auto trip = d.mark(kT0 + 3 * kDay, 9'450); // 10% below 10,500
    ASSERT_TRUE(trip);
    EXPECT_EQ(trip->code, "drawdown");
    EXPECT_FALSE(d.mark(kT0 + 4 * kDay, 9'450)); // next day: still halted
    EXPECT_TRUE(d.halted());
    ASSERT_TRUE(d.reset(kT0 + 4 * kDay));
    EXPECT_DOUBLE_EQ(d.peak(), 9'450); // the drawdown is measured afresh
    EXPECT_FALSE(d.mark(kT0 + 4 * kDay + 1, 9'450));
}

// The bundled 5-minute candles of three instruments, merged in time order.
std::vector<exec::Candle> samples() {
    std::vector<exec::Candle> all;
    for (const char* inst : {"BTC-USDT", "ETH-USDT", "ADA-USDT"}) {
        std::ifstream in(std::string(OKXKIT_SOURCE_DIR) + "/share/okxkit/samples/" + inst +
                         "_5m.csv");
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) {
            std::istringstream s(line);
            exec::Candle k;
            k.inst = inst;
            char comma = 0;
            s >> k.ts >> comma >> k.o >> comma >> k.h >> comma >> k.l >> comma >> k.c >> comma >>
                k.vol;
            all.push_back(k);
        }
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const exec::Candle& a, const exec::Candle& b) { return a.ts < b.ts; });
    return all;
}

// Randomised intents through the guard into the paper exchange, which asks the guard again
// at every fill: over thousands of fills on real prices, no fill takes a position past its
// notional limit or the portfolio past its exposure limits, no entry fills while the kill
// switch is on, and nothing is sold that was not held.
// With tickers, every instrument fills from four tickers inside each bar (prices between the
// bar's low and high, a random spread and random sizes shown), and its candles only mark it,
// as execute works an instrument whose stream has tickers.
void no_fill_ever_breaks_a_limit(bool tickers) {
    const std::vector<exec::Candle> candles = samples();
    ASSERT_GT(candles.size(), 20'000U);
    Limits lim;
    lim.max_position_notional = 3'000;
    lim.max_gross_exposure = 0.6;
    lim.max_net_exposure = 0.6;
    lim.max_open_orders = 6;
    lim.max_orders_per_minute = 20;
    lim.max_daily_loss = 0.02;
    lim.max_drawdown = 0.08;
    Guard guard(lim);
    exec::PaperConfig pc;
    pc.cash = 10'000;
    pc.volume_share = 0.05;
    exec::PaperExchange x(pc);

    // The independent books, from the fills alone.
    double cash = pc.cash;
    std::map<std::string, double> pos;
    std::map<std::string, double> mark;
    const auto view = [&](double equity) {
        AccountView a;
        a.equity = equity;
        for (const auto& [inst, h] : x.holdings()) {
            a.insts[inst] =
                InstView{h.sz, h.mark, x.open_base(inst, Side::kBuy),
                         x.open_base(inst, Side::kSell), static_cast<double>(x.open_orders(inst))};
        }
        return a;
    };
    // At fill time the exchange's own account, as it stands after every earlier fill.
    x.set_fill_cap([&](const std::string& inst, Side side, double px, double sz) {
        AccountView a;
        a.equity = x.cash();
        for (const auto& [i, h] : x.holdings()) {
            const double m = i == inst ? px : h.mark;
            a.insts[i] = InstView{h.sz, m, 0, 0, 0};
            a.equity += h.sz * m;
        }
        if (!a.insts.count(inst)) {
            a.insts[inst] = InstView{0, px, 0, 0, 0};
        }
        return guard.fill_room({inst, side, sz, px, pc.taker_fee}, a);
    });

    std::mt19937_64 rng(2026);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<exec::Event> ev;
    std::vector<std::string> working;
    std::size_t seen = 0;
    std::size_t fills = 0;
    std::size_t adjusted = 0;
    std::size_t refused = 0;
    std::size_t halts = 0;
    int n = 0;
    double last = 0;
    const auto each_fill = [&](const exec::Candle& k) {
        for (; seen < ev.size(); ++seen) {
            const auto* f = std::get_if<core::Fill>(&ev[seen]);
            if (f == nullptr) {
                continue;
            }
            ++fills;
            const double value = f->px * f->sz;
            if (f->side == Side::kBuy) {
                ASSERT_FALSE(guard.halted() && f->leg.find("-") == std::string::npos)
                    << "an entry filled while halted";
                cash -= value + f->fee;
                pos[f->inst] += f->sz;
                // At this fill, at its price.
                double gross = 0;
                double equity = cash;
                for (const auto& [i, p] : pos) {
                    const double m = i == f->inst ? f->px : mark[i];
                    gross += p * m;
                    equity += p * m;
                }
                ASSERT_LE(pos[f->inst] * f->px, lim.max_position_notional * (1 + 1e-9));
                ASSERT_LE(gross, lim.max_gross_exposure * equity * (1 + 1e-9));
            } else {
                cash += value - f->fee;
                pos[f->inst] -= f->sz;
                ASSERT_GE(pos[f->inst], -1e-9) << "sold what was not held";
            }
            ASSERT_GE(cash, -1e-6);
        }
        (void)k;
    };
    for (const exec::Candle& k : candles) {
        if (!tickers) {
            x.on_candle(k, ev);
            each_fill(k);
            last = k.c;
        } else {
            x.mark(k.inst, k.c);
            for (int j = 1; j <= 4; ++j) {
                exec::Quote q;
                q.bid = k.l + (k.h - k.l) * u(rng);
                q.ask = q.bid * (1 + 0.001 * u(rng));
                q.bid_sz = k.vol * 0.05 * u(rng);
                q.ask_sz = k.vol * 0.05 * u(rng);
                q.last = u(rng) < 0.5 ? q.bid : q.ask;
                x.on_ticker(k.inst, k.ts + 60'000 * j, q, ev);
                each_fill(k);
                last = q.last;
                mark[k.inst] = last;
            }
        }
        if (::testing::Test::HasFatalFailure()) {
            return;
        }
        mark[k.inst] = last;
        const double equity = x.equity();
        if (auto e = guard.mark(k.ts, equity); e && e->halt) {
            ++halts;
            // The kill switch: every working order is canceled.
            for (const std::string& id : working) {
                x.cancel(id, k.ts, ev);
            }
            working.clear();
        }
        if (u(rng) < 0.5) {
            continue;
        }
        exec::OrderRequest r;
        r.cl_ord_id = "o" + std::to_string(++n);
        r.strategy = "prop";
        r.leg = r.cl_ord_id;
        r.inst = k.inst;
        r.decided_ts = k.ts;
        r.side = u(rng) < 0.7 ? Side::kBuy : Side::kSell;
        r.ord_type = u(rng) < 0.5 ? core::OrdType::kMarket : core::OrdType::kLimit;
        const double px =
            r.side == Side::kBuy ? k.c * (1 - 0.003 * u(rng)) : k.c * (1 + 0.003 * u(rng));
        if (r.ord_type != core::OrdType::kMarket) {
            r.px = px;
        }
        r.sz = (100 + 4'000 * u(rng)) / k.c; // up to beyond the position limit
        if (r.side == Side::kBuy && u(rng) < 0.5) {
            const Ladder l = make_ladder(LadderConfig{}, px, 0);
            r.bracket.tp = l.tp;
            r.bracket.sl_px = l.sl->px;
            r.bracket.breakeven_after_tp1 = true;
        }
        const Decision d =
            guard.check({k.inst, r.side, r.sz, px, pc.taker_fee}, view(equity), k.ts);
        if (d.refused()) {
            ++refused;
            continue;
        }
        adjusted += d.kind == Decision::Kind::kAdjust ? 1 : 0;
        r.sz = d.sz;
        x.submit(r, k.ts, ev);
        guard.placed(k.ts);
        working.push_back(r.cl_ord_id);
    }
    // (Tickers cost the spread on every round trip: the drawdown limit, which holds until a
    // reset, halts that run sooner, after fewer fills.)
    EXPECT_GT(fills, tickers ? 500U : 1'000U) << halts << " halts, " << refused << " refused";
    EXPECT_GT(adjusted, 100U);
    EXPECT_GT(refused, 100U);
    EXPECT_GE(halts, 1U);
}

TEST(RiskProperty, NoFillEverBreaksALimit) {
    no_fill_ever_breaks_a_limit(false);
}

TEST(RiskProperty, NoFillFromTickersEverBreaksALimit) {
    no_fill_ever_breaks_a_limit(true);
}

} // namespace
} // namespace okxkit::risk
