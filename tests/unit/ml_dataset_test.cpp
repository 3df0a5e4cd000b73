// lib/ml datasets: labels, purge and embargo at their exact boundaries, walk-forward folds,
// and parity between in-process features (train) and featurize's messages (predict).
#include "core/error.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "features/featurize.hpp"
#include "ml/dataset.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace okxkit::ml {
namespace {

constexpr std::int64_t kBar = 300000; // 5m

Dataset series(std::vector<std::int64_t> bars, std::vector<double> closes, std::size_t cols = 2) {
    Dataset d;
    d.inst = "BTC-USDT";
    d.bar = "5m";
    d.bar_ms = kBar;
    for (std::size_t c = 0; c < cols; ++c) {
        std::string name = "f";
        name += std::to_string(c);
        d.names.push_back(name);
    }
    for (std::size_t i = 0; i < bars.size(); ++i) {
        d.ts.push_back(bars[i] * kBar);
        d.close.push_back(closes[i]);
        for (std::size_t c = 0; c < cols; ++c) {
            d.x.push_back(static_cast<float>(i * 10 + c));
        }
    }
    return d;
}

TEST(MlLabels, ForwardLogReturnOverTheHorizonSkipsGapsAndTheEnd) {
    // Bars 0 1 2 3 then a gap (4 missing) then 5 6.
    Dataset d = series({0, 1, 2, 3, 5, 6}, {100, 101, 102, 103, 105, 106});
    Labelled l = make_labels(d, 2, 0.015);
    // Row 0 -> bar 2, row 1 -> bar 3, row 2 -> bar 4 (missing), row 3 -> bar 5, row 5 -> 7 (end).
    ASSERT_EQ(l.data.rows(), 3U);
    EXPECT_EQ(l.data.ts[0], 0);
    EXPECT_EQ(l.data.ts[1], 1 * kBar);
    EXPECT_EQ(l.data.ts[2], 3 * kBar);
    EXPECT_DOUBLE_EQ(l.ret[0], std::log(102.0 / 100.0));
    EXPECT_DOUBLE_EQ(l.ret[1], std::log(103.0 / 101.0));
    EXPECT_DOUBLE_EQ(l.ret[2], std::log(105.0 / 103.0));
    // ln(1.02) = 0.0198 > 0.015; ln(103/101) = 0.0196 > 0.015; ln(105/103) = 0.0192.
    EXPECT_EQ(l.up[0], 1.0F);
    Labelled strict = make_labels(d, 2, 0.0197);
    EXPECT_EQ(strict.up[0], 1.0F);
    EXPECT_EQ(strict.up[1], 0.0F);
    EXPECT_EQ(strict.up[2], 0.0F);
    // Features of the kept rows are copied with them.
    EXPECT_EQ(l.data.row(2)[0], 30.0F);
    EXPECT_EQ(l.data.row(2)[1], 31.0F);
}

TEST(MlLabels, RowsStillWarmingUpAreDropped) {
    Dataset d = series({0, 1, 2, 3}, {1, 1, 1, 1}, 4);
    d.x[0] = d.x[1] = d.x[2] = NAN; // row 0: 3 of 4 null
    d.x[4] = NAN;                   // row 1: 1 of 4 null
    Labelled l = make_labels(d, 1, 0, 0.5);
    ASSERT_EQ(l.data.rows(), 2U);
    EXPECT_EQ(l.data.ts[0], kBar);
}

TEST(MlSplit, PurgedEndKeepsOnlyRowsWhoseLabelWindowEndsBeforeTheBlock) {
    std::vector<std::int64_t> ts;
    for (std::int64_t b = 0; b < 100; ++b) {
        ts.push_back(b * kBar);
    }
    // Horizon 3 = embargo 3, block starts at bar 50: row 46 (label window 47..49) is the last
    // kept; row 47 needs bar 50's close, so it is purged.
    EXPECT_EQ(purged_end(ts, kBar, 3, 50), 47U);
    EXPECT_EQ(purged_end(ts, kBar, 0, 50), 50U);
    EXPECT_EQ(purged_end(ts, kBar, 1, 50), 49U);
    EXPECT_EQ(purged_end(ts, kBar, 3, 2), 0U);
    // With a hole before the block, purging counts bars, not rows: bars 48 and 49 missing.
    std::vector<std::int64_t> holed;
    for (std::int64_t b = 0; b < 100; ++b) {
        if (b != 48 && b != 49) {
            holed.push_back(b * kBar);
        }
    }
    // Block starts at row 48 = bar 50: bar 47 + 3 = 50 is not before 50, bar 46 + 3 = 49 is.
    EXPECT_EQ(holed[48], 50 * kBar);
    EXPECT_EQ(purged_end(holed, kBar, 3, 48), 47U);
    // An embargo of 5: bar 44 + 5 = 49 < 50.
    EXPECT_EQ(purged_end(holed, kBar, 5, 48), 45U);
}

TEST(MlSplit, WalkForwardFoldsArePurgedAndExpanding) {
    std::vector<std::int64_t> ts;
    for (std::int64_t b = 0; b < 2000; ++b) {
        if (b % 97 != 5) { // scattered missing bars
            ts.push_back(b * kBar);
        }
    }
    SplitOptions o;
    o.folds = 3;
    o.test_frac = 0.3;
    o.valid_frac = 0.2;
    o.embargo = 12;
    auto folds = walk_forward(ts, kBar, 12, o, 50);
    ASSERT_EQ(folds.size(), 3U);
    const std::int64_t gap = 12 * kBar;
    for (std::size_t k = 0; k < folds.size(); ++k) {
        const Fold& f = folds[k];
        EXPECT_EQ(f.train_begin, 0U);
        EXPECT_LT(f.train_end, f.valid_begin);
        EXPECT_LT(f.valid_end, f.test_begin);
        // Every training row's label window ends before the first validation row, and the
        // first purged row's would not: the purge is exact, not just safe.
        EXPECT_LT(ts[f.train_end - 1] + gap, ts[f.valid_begin]);
        EXPECT_GE(ts[f.train_end] + gap, ts[f.valid_begin]);
        EXPECT_LT(ts[f.valid_end - 1] + gap, ts[f.test_begin]);
        EXPECT_GE(ts[f.valid_end] + gap, ts[f.test_begin]);
        if (k > 0) {
            EXPECT_EQ(f.test_begin, folds[k - 1].test_end);
            EXPECT_GT(f.train_end, folds[k - 1].train_end);
        }
    }
    EXPECT_EQ(folds.back().test_end, ts.size());
}

TEST(MlSplit, EmbargoShorterThanTheHorizonIsRefused) {
    std::vector<std::int64_t> ts{0, kBar, 2 * kBar};
    SplitOptions o;
    o.embargo = 2;
    EXPECT_THROW(walk_forward(ts, kBar, 3, o), core::UsageError);
}

TEST(MlSplit, TooFewRowsGiveNoFolds) {
    std::vector<std::int64_t> ts;
    for (std::int64_t b = 0; b < 400; ++b) {
        ts.push_back(b * kBar);
    }
    SplitOptions o;
    o.embargo = 12;
    EXPECT_TRUE(walk_forward(ts, kBar, 12, o, 50).empty());
    o.folds = 1;
    EXPECT_FALSE(walk_forward(ts, kBar, 12, o, 50).empty());
}

// The first n candles of a sample file, as the dataset builder takes them.
std::vector<CandleIn> sample(const std::string& inst, std::size_t n) {
    std::ifstream in(std::string(OKXKIT_SOURCE_DIR) + "/share/okxkit/samples/" + inst + "_5m.csv");
    std::string line;
    std::getline(in, line);
    std::vector<CandleIn> out;
    while (out.size() < n && std::getline(in, line)) {
        CandleIn k;
        std::sscanf(line.c_str(), "%ld,%lf,%lf,%lf,%lf,%lf", &k.ts, &k.o, &k.h, &k.l, &k.c, &k.vol);
        out.push_back(k);
    }
    return out;
}

TEST(MlDataset, InProcessFeaturesEqualFeaturizeOutput) {
    auto btc = sample("BTC-USDT", 400);
    auto eth = sample("ETH-USDT", 400);
    auto set = features::FeatureSet::default_set();
    Dataset direct = build_dataset(set, "ETH-USDT", "5m", eth, btc);
    ASSERT_EQ(direct.rows(), 400U);
    ASSERT_GE(direct.cols(), 215U);

    // The same candles through featurize, merged by time as okx-stream writes them.
    std::ostringstream nd;
    nd.precision(17);
    for (std::size_t i = 0; i < 400; ++i) {
        for (const auto* s : {&eth, &btc}) {
            const CandleIn& k = (*s)[i];
            nd << R"({"type":"candle","v":1,"ts":)" << k.ts << R"(,"inst":")"
               << (s == &eth ? "ETH-USDT" : "BTC-USDT") << R"(","bar":"5m","o":)" << k.o
               << R"(,"h":)" << k.h << R"(,"l":)" << k.l << R"(,"c":)" << k.c << R"(,"vol":)"
               << k.vol << R"(,"confirm":true})" << '\n';
        }
    }
    core::Log::init("test", -1, false);
    std::istringstream in(nd.str());
    std::ostringstream featurized;
    {
        core::LineReader reader(in, "-", 1 << 20);
        core::Output out(featurized);
        features::FeaturizeOptions fo;
        ASSERT_EQ(features::featurize(fo, reader, out), 0);
    }
    std::istringstream fin(featurized.str());
    core::LineReader reader(fin, "-", 1 << 20);
    auto sets = read_feature_datasets(reader);
    ASSERT_EQ(sets.size(), 2U);
    const Dataset& via = sets[0].inst == "ETH-USDT" ? sets[0] : sets[1];
    ASSERT_EQ(via.rows(), direct.rows());
    EXPECT_EQ(via.schema, direct.schema);
    EXPECT_EQ(via.names, direct.names);
    EXPECT_EQ(via.ts, direct.ts);
    EXPECT_EQ(via.close, direct.close);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < direct.x.size(); ++i) {
        const float a = direct.x[i];
        const float b = via.x[i];
        if (!(std::isnan(a) && std::isnan(b)) && a != b) {
            ++differ;
        }
    }
    EXPECT_EQ(differ, 0U);
}

} // namespace
} // namespace okxkit::ml
