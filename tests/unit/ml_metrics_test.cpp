// lib/ml metrics and PSI against hand-computed values; the bootstrap interval of the AUC,
// the skill gate's rule and the expected-return curve.
#include "ml/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace okxkit::ml {
namespace {

const std::vector<float> kY{1, 0, 1, 0};
const std::vector<double> kP{0.9, 0.2, 0.6, 0.7};

TEST(MlMetrics, LoglossAucAccuracyPrecisionByHand) {
    EXPECT_NEAR(logloss(kY, kP),
                -(std::log(0.9) + std::log(0.8) + std::log(0.6) + std::log(0.3)) / 4, 1e-15);
    // Pairs (positive, negative): 0.9>0.2, 0.9>0.7, 0.6>0.2, 0.6<0.7 -> 3 of 4.
    EXPECT_DOUBLE_EQ(auc(kY, kP), 0.75);
    // Predicted [1 0 1 1] against [1 0 1 0].
    EXPECT_DOUBLE_EQ(accuracy(kY, kP, 0.5), 0.75);
    EXPECT_DOUBLE_EQ(precision(kY, kP, 0.5), 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(precision(kY, kP, 0.65), 0.5);
    EXPECT_TRUE(std::isnan(precision(kY, kP, 0.95)));
}

TEST(MlMetrics, AucCountsTiesAsHalfAndNeedsBothClasses) {
    std::vector<float> y{1, 0, 1, 0};
    std::vector<double> same{0.5, 0.5, 0.5, 0.5};
    EXPECT_DOUBLE_EQ(auc(y, same), 0.5);
    // One tie between a positive and a negative: 0.8 > 0.3, 0.8 > 0.5, 0.5 = 0.5, 0.5 > 0.3.
    std::vector<double> p{0.8, 0.5, 0.5, 0.3};
    EXPECT_DOUBLE_EQ(auc(y, p), 3.5 / 4);
    std::vector<float> ones{1, 1};
    std::vector<double> two{0.1, 0.2};
    EXPECT_TRUE(std::isnan(auc(ones, two)));
}

TEST(MlMetrics, PolicyReturnTradesEveryHorizonRowsAfterFees) {
    std::vector<double> ret{0.01, -0.02, 0.03, 0.005, -0.01};
    std::vector<double> p{0.6, 0.9, 0.4, 0.7, 0.8};
    int trades = 0;
    // Rows 0, 2, 4: long at 0 (0.01 - 0.002) and 4 (-0.01 - 0.002), flat at 2.
    EXPECT_NEAR(policy_return(ret, p, 0.5, 2, 0.001, &trades), -0.004, 1e-15);
    EXPECT_EQ(trades, 2);
    // Horizon 1: rows 0 1 3 4 long.
    EXPECT_NEAR(policy_return(ret, p, 0.5, 1, 0.0, &trades), 0.01 - 0.02 + 0.005 - 0.01, 1e-15);
    EXPECT_EQ(trades, 4);
    std::vector<float> y{1, 0, 1, 1, 0};
    Metrics m = evaluate(y, ret, p, 0.5, 2, 0.001);
    EXPECT_EQ(m.rows, 5U);
    EXPECT_DOUBLE_EQ(m.base_rate, 0.6);
    EXPECT_NEAR(m.buy_hold, 0.01 + 0.03 - 0.01, 1e-15);
}

TEST(MlPsi, ZeroForTheSameSampleAndByHandForAShift) {
    std::vector<float> e{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    EXPECT_DOUBLE_EQ(psi(e, e), 0.0);
    // Deciles of e put each value in its own bin (shares 0.1). The actual sample puts 0.5 in
    // the first bin, 0.1 in the next five, none (floored at 1e-4) in the last four.
    std::vector<float> a{0, 0, 0, 0, 0, 1, 2, 3, 4, 5};
    const double want = (0.5 - 0.1) * std::log(0.5 / 0.1) + 4 * (1e-4 - 0.1) * std::log(1e-4 / 0.1);
    EXPECT_NEAR(psi(e, a), want, 1e-12);
    // Nulls have a bin of their own.
    std::vector<float> n{0, 1, 2, 3, 4, 5, 6, 7, 8, NAN};
    EXPECT_GT(psi(e, n), 0.0);
}

TEST(MlPsi, ColumnsOfARowMajorMatrix) {
    // Column 0 identical, column 1 shifted.
    std::vector<float> e;
    std::vector<float> a;
    for (int i = 0; i < 100; ++i) {
        e.push_back(static_cast<float>(i));
        e.push_back(static_cast<float>(i));
        a.push_back(static_cast<float>(i));
        a.push_back(static_cast<float>(i + 50));
    }
    auto v = psi_columns(e, a, 2);
    ASSERT_EQ(v.size(), 2U);
    EXPECT_DOUBLE_EQ(v[0], 0.0);
    EXPECT_GT(v[1], 0.25);
}

TEST(MlPsi, BinsAndCountsGiveTheSamePsiAsTheSamples) {
    std::mt19937 rng(7);
    std::normal_distribution<float> norm(0, 1);
    std::vector<float> e;
    std::vector<float> a;
    for (int i = 0; i < 500; ++i) {
        e.push_back(i % 17 == 0 ? NAN : norm(rng));
        a.push_back(i % 5 == 0 ? NAN : norm(rng) + 0.5F);
    }
    const PsiBins b = psi_bins(e);
    ASSERT_EQ(b.edges.size(), 9U);
    ASSERT_EQ(b.shares.size(), 11U);
    double sum = 0;
    for (double v : b.shares) {
        sum += v;
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
    EXPECT_NEAR(b.shares.back(), 30.0 / 500, 1e-12); // 0, 17, ..., 493 are null
    std::vector<double> counts(b.shares.size(), 0.0);
    for (float v : a) {
        counts[b.bin(v)] += 1;
    }
    EXPECT_DOUBLE_EQ(psi(b, counts, 500), psi(e, a));
    // Repeated values merge deciles: two distinct values, two value bins.
    std::vector<float> two{1, 1, 1, 1, 1, 2, 2, 2, 2, 2};
    EXPECT_EQ(psi_bins(two).edges, (std::vector<float>{1, 2}));
    EXPECT_TRUE(std::isnan(psi(psi_bins({}), counts, 500)));
}

// A perfect scorer's resamples are all perfect; a scorer of pure noise has an interval
// around 0.5 whose lower bound is below it.
TEST(MlAucInterval, PerfectAndRandomScorers) {
    std::mt19937 rng(1);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<float> y;
    std::vector<double> perfect;
    std::vector<double> noise;
    for (int i = 0; i < 2000; ++i) {
        y.push_back(u(rng) < 0.4 ? 1.0F : 0.0F);
        perfect.push_back(y.back() + 0.5 * u(rng));
        noise.push_back(u(rng));
    }
    AucInterval best = auc_interval(y, perfect, 24, 1000, 3);
    EXPECT_DOUBLE_EQ(best.auc, 1.0);
    EXPECT_DOUBLE_EQ(best.low, 1.0);
    EXPECT_DOUBLE_EQ(best.high, 1.0);
    AucInterval none = auc_interval(y, noise, 24, 1000, 3);
    EXPECT_DOUBLE_EQ(none.auc, auc(y, noise));
    EXPECT_LT(none.low, 0.5);
    EXPECT_GT(none.high, 0.5);
    EXPECT_LT(none.low, none.auc);
    EXPECT_GT(none.high, none.auc);
    // The width of a 95% interval of an AUC over 2000 independent rows: about 4 standard
    // errors of 0.013.
    EXPECT_GT(none.high - none.low, 0.03);
    EXPECT_LT(none.high - none.low, 0.08);
    EXPECT_EQ(none.resamples, 1000);
    EXPECT_EQ(none.block, 24U);
}

TEST(MlAucInterval, TheSameSeedGivesTheSameIntervalAnotherSeedAnother) {
    std::mt19937 rng(2);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<float> y;
    std::vector<double> p;
    for (int i = 0; i < 1000; ++i) {
        y.push_back(u(rng) < 0.5 ? 1.0F : 0.0F);
        p.push_back(0.3 * y.back() + u(rng));
    }
    AucInterval a = auc_interval(y, p, 10, 500, 42);
    AucInterval b = auc_interval(y, p, 10, 500, 42);
    AucInterval c = auc_interval(y, p, 10, 500, 43);
    EXPECT_EQ(a.low, b.low);
    EXPECT_EQ(a.high, b.high);
    EXPECT_NE(a.low, c.low);
    EXPECT_GT(a.low, 0.5); // a real if modest signal
}

// Rows whose labels come in runs (overlapping label windows) carry less information than
// their number says. Blocks as long as the runs see that and give a wider interval; single
// rows treat them as independent and are overconfident.
TEST(MlAucInterval, BlocksWidenTheIntervalOfDependentRows) {
    std::mt19937 rng(4);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<float> y;
    std::vector<double> p;
    for (int run = 0; run < 150; ++run) {
        const float label = u(rng) < 0.5 ? 1.0F : 0.0F;
        const double score = u(rng);
        for (int k = 0; k < 12; ++k) {
            y.push_back(label);
            p.push_back(score + 0.01 * u(rng));
        }
    }
    AucInterval rows = auc_interval(y, p, 1, 1000, 5);
    AucInterval blocks = auc_interval(y, p, 24, 1000, 5);
    EXPECT_GT(blocks.high - blocks.low, 2 * (rows.high - rows.low));
}

TEST(MlAucInterval, OneClassGivesNoInterval) {
    std::vector<float> y{1, 1, 1};
    std::vector<double> p{0.1, 0.2, 0.3};
    AucInterval ci = auc_interval(y, p, 2, 100, 1);
    EXPECT_TRUE(std::isnan(ci.auc));
    EXPECT_TRUE(std::isnan(ci.low));
    EXPECT_FALSE(skill_gate(ci, 0.1).passed);
}

TEST(MlSkillGate, PassesOnlyALowerBoundAbove05WithAPolicyReturnNotBelowZero) {
    AucInterval ci;
    ci.auc = 0.56;
    ci.low = 0.53;
    ci.high = 0.59;
    Skill ok = skill_gate(ci, 0.0);
    EXPECT_TRUE(ok.passed);
    EXPECT_EQ(ok.reason, "");
    EXPECT_NEAR(ok.score(), 0.06, 1e-12);
    ci.low = 0.5; // not above
    Skill weak = skill_gate(ci, 0.01);
    EXPECT_FALSE(weak.passed);
    EXPECT_EQ(weak.score(), 0.0);
    EXPECT_EQ(weak.reason,
              "out-of-sample AUC 0.5600, 95% interval 0.5000..0.5900: lower bound not above 0.5");
    ci.low = 0.51;
    Skill costly = skill_gate(ci, -0.0213);
    EXPECT_FALSE(costly.passed);
    EXPECT_EQ(costly.score(), 0.0);
    EXPECT_EQ(costly.reason, "policy return -0.0213 after fees is below holding nothing");
    ci.low = 0.47;
    EXPECT_EQ(skill_gate(ci, -0.0213).reason,
              "out-of-sample AUC 0.5600, 95% interval 0.4700..0.5900: lower bound not above 0.5; "
              "policy return -0.0213 after fees is below holding nothing");
    ci.low = 0.9;
    ci.high = 1.0;
    EXPECT_NEAR(skill_gate(ci, 1).score(), 0.8, 1e-12);
}

TEST(MlReturnCurve, PoolsAdjacentViolatorsAndInterpolates) {
    // Four groups of one row: ret 1, 3, 2, 4 at p 0.1..0.4; 3 > 2 pools into 2.5.
    std::vector<double> p{0.4, 0.1, 0.3, 0.2};
    std::vector<double> r{4, 1, 2, 3};
    ReturnCurve c = fit_return_curve(p, r, 4);
    EXPECT_EQ(c.p, (std::vector<double>{0.1, 0.2, 0.3, 0.4}));
    EXPECT_EQ(c.ret, (std::vector<double>{1, 2.5, 2.5, 4}));
    EXPECT_DOUBLE_EQ(c.at(0.0), 1);     // the end value outside the knots
    EXPECT_DOUBLE_EQ(c.at(0.15), 1.75); // linear between them
    EXPECT_DOUBLE_EQ(c.at(0.9), 4);
    // Two groups of two rows: the knots are their means.
    ReturnCurve two = fit_return_curve(p, r, 2);
    EXPECT_EQ(two.p, (std::vector<double>{0.15000000000000002, 0.35}));
    EXPECT_EQ(two.ret, (std::vector<double>{2, 3}));
    // Equal p merge into one knot.
    ReturnCurve same = fit_return_curve(std::vector<double>{0.5, 0.5, 0.5}, r, 3);
    EXPECT_EQ(same.p.size(), 1U);
    EXPECT_DOUBLE_EQ(same.at(0.1), (4.0 + 1 + 2) / 3);
    EXPECT_EQ(ReturnCurve{}.at(0.5), 0.0);
}

// A p that orders returns backwards earns no slope: the curve is flat at their mean. A p that
// orders them gets a rising curve with the sign of the returns.
TEST(MlReturnCurve, FlatWithoutSignalRisingWithIt) {
    std::mt19937 rng(9);
    std::normal_distribution<double> norm(0, 1);
    std::vector<double> p;
    std::vector<double> good;
    std::vector<double> backwards;
    for (int i = 0; i < 1000; ++i) {
        p.push_back(0.5 + 0.1 * norm(rng));
        good.push_back(0.05 * (p.back() - 0.5) + 0.001 * norm(rng));
        backwards.push_back(-good.back());
    }
    ReturnCurve flat = fit_return_curve(p, backwards, 10);
    double mean = 0;
    for (double v : backwards) {
        mean += v;
    }
    mean /= 1000;
    EXPECT_NEAR(flat.at(0.2), mean, 1e-15);
    EXPECT_NEAR(flat.at(0.8), mean, 1e-15);
    ReturnCurve rising = fit_return_curve(p, good, 10);
    EXPECT_EQ(rising.p.size(), 10U);
    EXPECT_LT(rising.at(0.3), -0.005);
    EXPECT_GT(rising.at(0.7), 0.005);
    for (std::size_t k = 1; k < rising.ret.size(); ++k) {
        EXPECT_LE(rising.ret[k - 1], rising.ret[k]);
    }
}

} // namespace
} // namespace okxkit::ml
