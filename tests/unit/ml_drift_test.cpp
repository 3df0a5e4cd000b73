// lib/ml drift: the rolling window's PSI equals the batch psi() of the same rows at every
// step, and the alarm rises on a shifted input and not on the training distribution.
#include "ml/drift.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace okxkit::ml {
namespace {

constexpr std::size_t kCols = 6;

// Rows of kCols features: normal, a few nulls, column 3 taking few distinct values (merged
// deciles) and column 5 always null; `shift` is added to the first `shifted` columns.
std::vector<float> rows(std::size_t n, std::uint32_t seed, float shift = 0,
                        std::size_t shifted = 0) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> norm(0, 1);
    std::vector<float> x;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t c = 0; c < kCols; ++c) {
            float v = norm(rng);
            if (c == 3) {
                v = std::round(v);
            }
            if (c == 5 || (c == 1 && i % 13 == 0)) {
                v = NAN;
            }
            x.push_back(c < shifted ? v + shift : v);
        }
    }
    return x;
}

std::vector<float> column(const std::vector<float>& x, std::size_t c, std::size_t from,
                          std::size_t to) {
    std::vector<float> out;
    for (std::size_t i = from; i < to; ++i) {
        out.push_back(x[i * kCols + c]);
    }
    return out;
}

// PSI of `actual` against `expected` recomputed from scratch, with the bins drift uses
// (deciles and the range of `expected`).
double batch_psi(const std::vector<float>& expected, const std::vector<float>& actual) {
    const PsiBins b = psi_bins(expected, true);
    std::vector<double> counts(b.shares.size(), 0.0);
    for (float v : actual) {
        counts[b.bin(v)] += 1;
    }
    return psi(b, counts, static_cast<double>(actual.size()));
}

TEST(MlDrift, TheWindowsPsiIsTheBatchPsiOfItsRowsAtEveryStep) {
    const std::vector<float> train = rows(1000, 1);
    const std::vector<double> imp(kCols, 1.0 / kCols);
    DriftReference ref = drift_reference(train, kCols, imp);
    ASSERT_EQ(ref.bins.size(), kCols);
    EXPECT_EQ(ref.bins[0].edges.size(), 11U); // deciles, minimum, above the maximum
    EXPECT_LT(ref.bins[3].edges.size(), 11U); // merged deciles
    EXPECT_TRUE(ref.bins[5].edges.empty());   // only nulls
    // A stream that drifts halfway, through a window of 50 rows.
    std::vector<float> live = rows(150, 2);
    const std::vector<float> later = rows(150, 3, 1.5F, 3);
    live.insert(live.end(), later.begin(), later.end());
    constexpr std::size_t kWindow = 50;
    DriftWindow w(ref, kWindow);
    std::vector<double> got;
    for (std::size_t i = 0; i < 300; ++i) {
        w.push(live.data() + i * kCols);
        EXPECT_EQ(w.size(), std::min(i + 1, kWindow));
        w.psi(got);
        ASSERT_EQ(got.size(), kCols);
        const std::size_t from = i + 1 > kWindow ? i + 1 - kWindow : 0;
        for (std::size_t c = 0; c < kCols; ++c) {
            const double want = batch_psi(column(train, c, 0, 1000), column(live, c, from, i + 1));
            ASSERT_NEAR(got[c], want, 1e-12) << "row " << i << ", feature " << c;
        }
    }
    // At the end the shifted columns stand out (50 rows in 12 bins leave some noise in all).
    EXPECT_GT(got[0], 1.0);
    EXPECT_GT(got[0], 3 * got[4]);
}

// A feature counts as drifted past its own limit and past 0.25; the measure is the share of
// the gain those features carry.
TEST(MlDrift, TheStatusWeighsFeaturesPastTheirLimitsByImportance) {
    DriftReference ref;
    ref.bins.resize(5);
    ref.importance = {0.4, 0.3, 0.15, 0.05, 0.1};
    const std::vector<double> psi{0.1, 0.9, 0.3, 2.0, 1.0};
    const std::vector<double> limits{0.0, 0.5, 0.1, 1.5, 1.2};
    DriftStatus s = drift_status(ref, psi, limits);
    EXPECT_EQ(s.watched, 5U);
    EXPECT_EQ(s.drifted, 3U); // 0 is below 0.25, 4 below its limit
    EXPECT_DOUBLE_EQ(s.measure, 0.3 + 0.15 + 0.05);
    EXPECT_EQ(s.features, (std::vector<std::size_t>{1, 2, 3}));
    EXPECT_EQ(s.psi, (std::vector<double>{0.9, 0.3, 2.0}));
    EXPECT_EQ(s.limit, (std::vector<double>{0.5, 0.25, 1.5}));
    EXPECT_EQ(drift_text(s, {"a", "b", "c", "d", "e"}, 2),
              "3 of the 5 features the model splits on are past their training range, 50% of "
              "its gain (b PSI 0.90 > 0.50, c PSI 0.30 > 0.25, ...)");
    // Without limits, 0.25 alone.
    EXPECT_EQ(drift_status(ref, psi, {}).drifted, 4U);
}

// A feature's limit is the largest PSI of a window of its training rows against the others,
// recomputed here the slow way.
TEST(MlDrift, LimitsAreTheLargestPsiOfATrainingWindowAgainstTheRest) {
    const std::vector<float> train = rows(600, 9);
    const std::vector<double> imp(kCols, 1.0 / kCols);
    DriftReference ref = drift_reference(train, kCols, imp);
    // 600 rows: windows of 72, 144 and 288 rows fit twice; 576 does not.
    EXPECT_EQ(ref.windows, (std::vector<std::size_t>{72, 144, 288}));
    ASSERT_EQ(ref.limits.size(), 3U);
    for (std::size_t w = 0; w < 3; ++w) {
        const std::size_t n = ref.windows[w];
        for (std::size_t c = 0; c < kCols; ++c) {
            const PsiBins& b = ref.bins[c];
            double want = 0;
            for (std::size_t start = 0; start + n <= 600; start += kDriftEvery) {
                std::vector<double> in(b.shares.size(), 0.0);
                std::vector<double> out(b.shares.size(), 0.0);
                for (std::size_t i = 0; i < 600; ++i) {
                    const std::size_t k = b.bin(train[i * kCols + c]);
                    (i >= start && i < start + n ? in : out)[k] += 1;
                }
                PsiBins rest = b;
                for (std::size_t k = 0; k < out.size(); ++k) {
                    rest.shares[k] = out[k] / static_cast<double>(600 - n);
                }
                want = std::max(want, psi(rest, in, static_cast<double>(n)));
            }
            EXPECT_NEAR(ref.limits[w][c], want, 1e-12) << "window " << n << ", feature " << c;
        }
    }
    EXPECT_EQ(ref.limits_for(200).data(), ref.limits[1].data());
    EXPECT_EQ(ref.limits_for(288).data(), ref.limits[2].data());
    EXPECT_EQ(ref.limits_for(5000).data(), ref.limits[2].data());
    EXPECT_TRUE(ref.limits_for(50).empty());
}

TEST(MlDrift, TheAlarmRisesOnAShiftClearsWhenItEndsAndStaysQuietOtherwise) {
    const std::vector<float> train = rows(2000, 4);
    // The shifted columns carry 60% of the gain.
    const std::vector<double> imp{0.3, 0.3, 0.1, 0.1, 0.2, 0.0};
    DriftReference ref = drift_reference(train, kCols, imp);
    {
        // The training distribution, fresh rows: no event at all.
        DriftMonitor m(ref, 100);
        const std::vector<float> same = rows(1000, 5);
        for (std::size_t i = 0; i < 1000; ++i) {
            EXPECT_FALSE(m.push(same.data() + i * kCols)) << "row " << i;
        }
    }
    DriftMonitor m(ref, 100);
    std::vector<float> live = rows(200, 6);
    const std::vector<float> shifted = rows(300, 7, 2.0F, 2);
    const std::vector<float> back = rows(300, 8);
    live.insert(live.end(), shifted.begin(), shifted.end());
    live.insert(live.end(), back.begin(), back.end());
    std::vector<std::pair<std::size_t, bool>> events;
    for (std::size_t i = 0; i < 800; ++i) {
        if (auto s = m.push(live.data() + i * kCols)) {
            events.emplace_back(i, m.raised());
            // Column 5 carries no gain and is not watched.
            EXPECT_EQ(s->watched, 5U);
            if (m.raised()) {
                EXPECT_EQ(s->features, (std::vector<std::size_t>{0, 1})) << "row " << i;
            }
        }
    }
    ASSERT_EQ(events.size(), 2U);
    EXPECT_TRUE(events[0].second);
    EXPECT_FALSE(events[1].second);
    // Raised once enough shifted rows are in the window, cleared once enough are out; both
    // at a judgement (every kDriftEvery rows).
    EXPECT_GT(events[0].first, 200U);
    EXPECT_LT(events[0].first, 300U);
    EXPECT_GT(events[1].first, 500U);
    EXPECT_LT(events[1].first, 600U);
    EXPECT_EQ((events[0].first + 1) % kDriftEvery, 0U);
}

} // namespace
} // namespace okxkit::ml
