// risk-guard's decisions apart from any pipe or store (exec::Decider), and the ATR it sizes and
// places its ladders with, against a plainly written batch reference.
#include "exec/risk_guard_tool.hpp"
#include "exec/sync.hpp"
#include "risk/risk.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <random>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace okxkit::exec {
namespace {

using core::IntentAction;
using core::Side;

// Wilder's ATR over n, written out for the whole series: true ranges (the first bar's is its
// high - low), the first ATR the mean of the first n, then atr = (atr (n - 1) + tr) / n.
std::vector<double> batch_atr(const std::vector<double>& h, const std::vector<double>& l,
                              const std::vector<double>& c, std::size_t n) {
    std::vector<double> tr(h.size());
    for (std::size_t i = 0; i < h.size(); ++i) {
        tr[i] = h[i] - l[i];
        if (i > 0) {
            tr[i] = std::max({tr[i], std::abs(h[i] - c[i - 1]), std::abs(l[i] - c[i - 1])});
        }
    }
    std::vector<double> out(h.size(), std::nan(""));
    double atr = 0;
    for (std::size_t i = 0; i < h.size(); ++i) {
        if (i + 1 < n) {
            continue;
        }
        if (i + 1 == n) {
            double sum = 0;
            for (std::size_t k = 0; k < n; ++k) {
                sum += tr[k];
            }
            atr = sum / static_cast<double>(n);
        } else {
            atr = (atr * static_cast<double>(n - 1) + tr[i]) / static_cast<double>(n);
        }
        out[i] = atr;
    }
    return out;
}

TEST(RiskAtr, MatchesTheBatchReference) {
    std::mt19937_64 rng(5);
    std::normal_distribution<double> step(0, 0.01);
    std::uniform_real_distribution<double> wick(0, 0.006);
    std::vector<double> h, l, c;
    double px = 100;
    for (int i = 0; i < 2000; ++i) {
        const double open = px;
        px *= std::exp(step(rng));
        h.push_back(std::max(open, px) * (1 + wick(rng)));
        l.push_back(std::min(open, px) * (1 - wick(rng)));
        c.push_back(px);
    }
    for (std::size_t n : {1U, 2U, 14U, 50U}) {
        const std::vector<double> want = batch_atr(h, l, c, n);
        risk::Atr atr(n);
        for (std::size_t i = 0; i < h.size(); ++i) {
            atr.push(h[i], l[i], c[i]);
            if (std::isnan(want[i])) {
                EXPECT_TRUE(std::isnan(atr.value())) << "n " << n << " bar " << i;
            } else {
                EXPECT_NEAR(atr.value(), want[i], 1e-12 * want[i]) << "n " << n << " bar " << i;
            }
        }
    }
}

core::Intent place(const std::string& leg, Side side, double sz, std::optional<double> px = {}) {
    // (Strings built with +=: GCC 12 warns falsely on some assignments at -O3.)
    core::Intent in;
    in.ts = 1'000'000;
    in.inst += "BTC-USDT";
    in.strategy += 's';
    in.leg += leg;
    in.action = IntentAction::kPlace;
    in.side = side;
    in.ord_type = px ? core::OrdType::kLimit : core::OrdType::kMarket;
    in.px = px;
    in.sz = sz;
    return in;
}

core::Intent target(const std::string& leg, double frac) {
    core::Intent in = place(leg, Side::kBuy, 0);
    in.action = IntentAction::kTarget;
    in.side.reset();
    in.ord_type.reset();
    in.sz.reset();
    in.equity_frac = frac;
    return in;
}

AccountSnapshot account(double cash, double held, double mark) {
    AccountSnapshot a;
    a.cash = cash;
    a.equity = cash + held * mark;
    a.insts["BTC-USDT"] = risk::InstView{held, mark, 0, 0, 0};
    return a;
}

TEST(RiskGuardDecider, AReplacementIsMeasuredWithoutTheOrderItReplaces) {
    risk::ConfiguredLimits limits;
    limits.global.max_open_orders = 2;
    Decider d(risk::GuardConfig{}, limits, 0.001);
    d.account(account(10'000, 0, 100));
    d.candle("BTC-USDT", 101, 99, 100);
    EXPECT_TRUE(d.decide(place("b1", Side::kBuy, 1, 99)).approved);
    EXPECT_TRUE(d.decide(place("b1", Side::kBuy, 2, 98)).approved); // replaces b1
    EXPECT_EQ(d.view().insts.at("BTC-USDT").open_orders, 1);
    EXPECT_DOUBLE_EQ(d.view().insts.at("BTC-USDT").open_buy_base, 2);
    EXPECT_TRUE(d.decide(place("b2", Side::kBuy, 1, 97)).approved);
    const Decider::Outcome third = d.decide(place("b3", Side::kBuy, 1, 96));
    ASSERT_FALSE(third.approved);
    ASSERT_EQ(third.risks.size(), 1U);
    EXPECT_EQ(third.risks[0].code, "open_orders");
    // A cancel frees a place; a cancel of nothing is still approved (execute ignores it).
    EXPECT_TRUE(d.decide([] {
                     core::Intent c = place("b2", Side::kBuy, 0);
                     c.action = IntentAction::kCancel;
                     return c;
                 }())
                    .approved);
    EXPECT_TRUE(d.decide(place("b3", Side::kBuy, 1, 96)).approved);
}

TEST(RiskGuardDecider, ARefusedReplacementLeavesTheOldOrderCounted) {
    risk::ConfiguredLimits limits;
    limits.global.max_position_notional = 500;
    Decider d(risk::GuardConfig{}, limits, 0);
    d.account(account(10'000, 0, 100));
    d.candle("BTC-USDT", 101, 99, 100);
    EXPECT_TRUE(d.decide(place("b1", Side::kBuy, 4, 100)).approved);
    // 4 more than fits now that b1 is replaced: cut to 5 (500 at 100), not refused.
    const Decider::Outcome cut = d.decide(place("b1", Side::kBuy, 9, 100));
    ASSERT_TRUE(cut.approved);
    EXPECT_DOUBLE_EQ(*cut.approved->sz, 5);
    ASSERT_EQ(cut.risks.size(), 1U);
    EXPECT_EQ(cut.risks[0].action, core::RiskAction::kAdjust);
    // No room left for another leg; the refusal keeps b1's 5 working.
    EXPECT_FALSE(d.decide(place("b2", Side::kBuy, 1, 100)).approved);
    EXPECT_DOUBLE_EQ(d.view().insts.at("BTC-USDT").open_buy_base, 5);
}

TEST(RiskGuardDecider, ATargetOrdersTheDifferenceFromThePositionAndCancelsOnceMet) {
    Decider d(risk::GuardConfig{}, risk::ConfiguredLimits{}, 0.001);
    d.account(account(800, 2, 100)); // equity 1000, 200 of it in BTC
    d.candle("BTC-USDT", 101, 99, 100);
    const Decider::Outcome buy = d.decide(target("t", 0.5));
    ASSERT_TRUE(buy.approved);
    EXPECT_EQ(buy.approved->action, IntentAction::kPlace);
    EXPECT_EQ(*buy.approved->side, Side::kBuy);
    EXPECT_EQ(*buy.approved->ord_type, core::OrdType::kMarket);
    EXPECT_NEAR(*buy.approved->sz, 3, 1e-12);
    EXPECT_FALSE(buy.approved->tp.empty()); // the default ladder
    EXPECT_TRUE(buy.approved->sl);
    // Back to what is held: the working buy of the leg is no longer wanted.
    const Decider::Outcome met = d.decide(target("t", 0.2));
    ASSERT_TRUE(met.approved);
    EXPECT_EQ(met.approved->action, IntentAction::kCancel);
    EXPECT_EQ(d.view().insts.at("BTC-USDT").open_orders, 0);
    // Below the position: a reduce-only market sell, without exits.
    const Decider::Outcome sell = d.decide(target("t", 0.1));
    ASSERT_TRUE(sell.approved);
    EXPECT_EQ(*sell.approved->side, Side::kSell);
    EXPECT_TRUE(sell.approved->reduce_only.value_or(false));
    EXPECT_NEAR(*sell.approved->sz, 1, 1e-12);
    EXPECT_TRUE(sell.approved->tp.empty());
}

TEST(RiskGuardDecider, TheAccountIsAskedForOnlyWhenMarketDataCouldHaveChangedIt) {
    Decider d(risk::GuardConfig{}, risk::ConfiguredLimits{}, 0.001);
    AccountSnapshot a = account(10'000, 0, 100);
    a.insts["ETH-USDT"] = risk::InstView{1, 2000, 0, 0, 0};
    d.account(a);
    // BTC holds nothing and has no order: its candle changes nothing, within the bar.
    EXPECT_FALSE(d.needs_account({"BTC-USDT"}, false));
    // ETH is held: its candle may fill or move the equity; so may a bar's close.
    EXPECT_TRUE(d.needs_account({"ETH-USDT"}, false));
    EXPECT_TRUE(d.needs_account({"BTC-USDT"}, true));
    // Once BTC has a working order, its candle may fill it.
    d.candle("BTC-USDT", 101, 99, 100);
    ASSERT_TRUE(d.decide(place("b1", Side::kBuy, 1, 99)).approved);
    EXPECT_TRUE(d.needs_account({"BTC-USDT"}, false));
}

// The barrier's FIFO: the account of the barrier asked for arrives (older ones are dropped),
// nothing is waited for past the time given, the FIFO goes with its reader, and execute's end
// says when there is no FIFO to write to, so that it commits the row instead.
TEST(SyncFifo, CarriesTheAccountOfTheBarrierAskedFor) {
    char tmpl[] = "/tmp/okxkit-fifo-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::filesystem::path dir = tmpl;
    const std::string store = (dir / "s.db").string();
    const std::string path = sync_fifo_path(store, "bt");
    EXPECT_EQ(path, sync_fifo_path((dir / "." / "s.db").string(), "bt")); // one store, one FIFO
    EXPECT_NE(path, sync_fifo_path(store, "other"));
    {
        std::ofstream(path) << "left by a crash\n"; // replaced, not read
        SyncFifoReader r(path);
        ASSERT_TRUE(r.ok());
        struct stat st {};
        ASSERT_EQ(::stat(path.c_str(), &st), 0);
        EXPECT_TRUE(S_ISFIFO(st.st_mode));
        EXPECT_FALSE(r.wait(1, 0)); // nothing yet
        SyncFifoWriter w(path);
        EXPECT_TRUE(w.send(1, R"({"cash":1})"));
        EXPECT_TRUE(w.send(2, R"({"cash":2})"));
        EXPECT_EQ(r.wait(2, 1000).value_or("none"), R"({"cash":2})");
        EXPECT_FALSE(r.wait(3, 0));
        // Longer than the pipe holds: written while the reader reads.
        std::thread big([&w] { EXPECT_TRUE(w.send(3, std::string(1'000'000, 'x'))); });
        std::size_t got = 0;
        for (int i = 0; i < 100'000 && got == 0; ++i) {
            got = r.wait(3, 10).value_or("").size();
        }
        big.join();
        EXPECT_EQ(got, 1'000'000U);
    }
    EXPECT_FALSE(std::filesystem::exists(path)); // gone with its reader
    SyncFifoWriter none(path);
    EXPECT_FALSE(none.send(4, "{}"));
    std::ofstream(path) << "a file\n";
    SyncFifoWriter file(path);
    EXPECT_FALSE(file.send(5, "{}")); // never written into
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "a file\n");
    std::filesystem::remove_all(dir);
}

} // namespace
} // namespace okxkit::exec
