// lib/ml ensembles: byte-identical model files, no skill on shuffled labels, a planted
// signal found and ranked first, in-place prediction equal to DMatrix prediction, confidence
// bounded by the calibration's skill.
#include "ml/ensemble.hpp"
#include "ml/metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace okxkit::ml {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kCols = 20;
constexpr std::size_t kSignal = 7; // the column the planted target depends on

struct Data {
    std::vector<float> x;
    std::vector<float> y;
    std::vector<double> ret;
    [[nodiscard]] std::size_t rows() const { return y.size(); }
    [[nodiscard]] std::span<const float> xs(std::size_t a, std::size_t b) const {
        return {x.data() + a * kCols, (b - a) * kCols};
    }
};

// Rows of standard normal features; ret = 0.01 * x[kSignal] + noise (sd 0.003), y = ret > 0.
Data planted(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> norm(0, 1);
    Data d;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t c = 0; c < kCols; ++c) {
            d.x.push_back(norm(rng));
        }
        const double r = 0.01 * d.x[i * kCols + kSignal] + 0.003 * norm(rng);
        d.ret.push_back(r);
        d.y.push_back(r > 0 ? 1.0F : 0.0F);
    }
    return d;
}

TrainParams small_params() {
    TrainParams p;
    p.members = 3;
    p.rounds = 40;
    p.early_stop = 10;
    p.eta = 0.3;
    p.threads = 1;
    return p;
}

struct Split {
    std::size_t train = 1200, valid = 1500, test = 2000;
};

Ensemble fit(const Data& d, const TrainParams& p, Split s = {}) {
    return Ensemble::train(d.xs(0, s.train), std::span(d.y).subspan(0, s.train),
                           d.xs(s.train, s.valid),
                           std::span(d.y).subspan(s.train, s.valid - s.train), kCols, p);
}

double test_auc(Ensemble& e, const Data& d, Split s = {}) {
    std::vector<double> p;
    e.predict(d.xs(s.valid, s.test), p);
    return auc(std::span(d.y).subspan(s.valid, s.test - s.valid), p);
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(MlEnsemble, SameDataSeedAndThreadsGiveByteIdenticalModelFiles) {
    Data d = planted(2000, 1);
    TrainParams two = small_params();
    two.threads = 2; // several threads, still one result
    fs::path dir = fs::temp_directory_path() / ("okxkit_ml_det_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::vector<std::string> a{(dir / "a0.json").string(), (dir / "a1.json").string(),
                               (dir / "a2.json").string()};
    std::vector<std::string> b{(dir / "b0.json").string(), (dir / "b1.json").string(),
                               (dir / "b2.json").string()};
    fit(d, two).save(a);
    fit(d, two).save(b);
    for (std::size_t k = 0; k < a.size(); ++k) {
        std::string fa = slurp(a[k]);
        EXPECT_GT(fa.size(), 1000U);
        EXPECT_EQ(fa, slurp(b[k])) << "member " << k;
    }
    // Members differ from each other (seeds and subsamples vary).
    EXPECT_NE(slurp(a[0]), slurp(a[1]));
    // Another seed gives another model.
    TrainParams other = two;
    other.seed = 99;
    std::vector<std::string> c{(dir / "c0.json").string(), (dir / "c1.json").string(),
                               (dir / "c2.json").string()};
    fit(d, other).save(c);
    EXPECT_NE(slurp(a[0]), slurp(c[0]));
    fs::remove_all(dir);
}

TEST(MlEnsemble, PlantedSignalIsFoundAndRankedFirst) {
    Data d = planted(2000, 2);
    Ensemble e = fit(d, small_params());
    EXPECT_GT(test_auc(e, d), 0.95);
    auto imp = e.importance();
    ASSERT_EQ(imp.size(), kCols);
    auto top = std::max_element(imp.begin(), imp.end()) - imp.begin();
    EXPECT_EQ(static_cast<std::size_t>(top), kSignal);
    double sum = 0;
    for (double v : imp) {
        sum += v;
    }
    EXPECT_NEAR(sum, 1.0, 1e-9);
    for (std::size_t k = 0; k < e.size(); ++k) {
        EXPECT_LE(e.best_rounds()[k], 40);
    }
}

TEST(MlEnsemble, ShuffledLabelsGiveNoOutOfSampleSkill) {
    Data d = planted(4000, 3);
    std::mt19937 rng(4);
    std::shuffle(d.y.begin(), d.y.end(), rng);
    Split s{2000, 2500, 4000};
    Ensemble e = fit(d, small_params(), s);
    const double a = test_auc(e, d, s);
    EXPECT_GT(a, 0.45);
    EXPECT_LT(a, 0.55);
}

TEST(MlEnsemble, InPlaceRowPredictionEqualsBatchAndDMatrixPrediction) {
    Data d = planted(1600, 5);
    Ensemble e = fit(d, small_params());
    // A calibration as train sets it: confidence is skill times agreement, exp_ret the curve.
    const ReturnCurve curve{{0.2, 0.5, 0.8}, {-0.01, 0.0, 0.02}};
    e.set_calibration(Calibration{0.25, curve});
    std::vector<double> p;
    std::vector<double> agree;
    e.predict(d.xs(1500, 1600), p, &agree);
    DMatrix m(d.x.data() + 1500 * kCols, 100, kCols);
    std::vector<std::vector<float>> by_member;
    for (std::size_t k = 0; k < e.size(); ++k) {
        by_member.push_back(e.member(k).predict(m));
    }
    for (std::size_t i = 0; i < 100; ++i) {
        EnsembleOutput o = e.predict(d.x.data() + (1500 + i) * kCols);
        EXPECT_DOUBLE_EQ(o.p_up, p[i]);
        std::vector<double> mp;
        for (const auto& v : by_member) {
            mp.push_back(v[i]);
        }
        // The merged booster's margins through the logistic function equal each member's own
        // prediction up to float rounding.
        double mean = (mp[0] + mp[1] + mp[2]) / 3;
        EXPECT_NEAR(o.p_up, mean, 1e-6);
        EXPECT_NEAR(o.agreement, agreement_of(mp), 1e-5);
        EXPECT_NEAR(agree[i], o.agreement, 1e-12);
        EXPECT_DOUBLE_EQ(o.confidence, 0.25 * o.agreement);
        EXPECT_DOUBLE_EQ(o.exp_ret, curve.at(o.p_up));
    }
    // Missing values are fine: XGBoost sends them down the learned default branch.
    std::vector<float> row(kCols, NAN);
    EnsembleOutput o = e.predict(row.data());
    EXPECT_GE(o.p_up, 0.0);
    EXPECT_LE(o.p_up, 1.0);
}

TEST(MlEnsemble, OneMemberPredictsLikeItsBooster) {
    Data d = planted(1600, 6);
    TrainParams p = small_params();
    p.members = 1;
    Ensemble e = fit(d, p);
    DMatrix m(d.x.data() + 1500 * kCols, 100, kCols);
    auto want = e.member(0).predict(m);
    for (std::size_t i = 0; i < 100; ++i) {
        EnsembleOutput o = e.predict(d.x.data() + (1500 + i) * kCols);
        EXPECT_NEAR(o.p_up, want[i], 1e-6);
        EXPECT_DOUBLE_EQ(o.agreement, 1.0);
        // No calibration set: no skill, so no confidence, however much the members agree.
        EXPECT_DOUBLE_EQ(o.confidence, 0.0);
    }
}

TEST(MlEnsemble, AgreementFallsWhenMembersDisagree) {
    EXPECT_DOUBLE_EQ(agreement_of(std::vector<double>{0.7, 0.7, 0.7}), 1.0);
    EXPECT_DOUBLE_EQ(agreement_of(std::vector<double>{0.0, 1.0}), 0.0);
    EXPECT_NEAR(agreement_of(std::vector<double>{0.4, 0.6}), 0.8, 1e-15);
    EXPECT_GT(agreement_of(std::vector<double>{0.5, 0.55, 0.6}),
              agreement_of(std::vector<double>{0.3, 0.55, 0.8}));
}

} // namespace
} // namespace okxkit::ml
