// lib/ml metrics and PSI against hand-computed values.
#include "ml/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
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

} // namespace
} // namespace okxkit::ml
