// lib/ml train_dataset and the registry: model files that load back to the same predictions,
// champion/challenger on the same unseen rows, --every bookkeeping.
#include "core/log.hpp"
#include "ml/registry.hpp"
#include "ml/train.hpp"
#include "store/store.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

namespace okxkit::ml {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kBar = 300000;
constexpr int kHorizon = 3;

// A 5m series of `rows` candles from bar `start` on. With `signal`, feature f0 is the forward
// log return over the horizon (scaled, plus noise): a planted signal; otherwise every feature
// is noise.
Dataset series(std::size_t rows, bool signal, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> norm(0, 1);
    Dataset d;
    d.inst = "ETH-USDT";
    d.bar = "5m";
    d.bar_ms = kBar;
    d.schema = "0123456789abcdef";
    d.names = {"f0", "f1", "f2", "f3", "f4"};
    double c = 100;
    for (std::size_t i = 0; i < rows; ++i) {
        d.ts.push_back(static_cast<std::int64_t>(i) * kBar);
        d.close.push_back(c);
        c *= std::exp(0.002 * norm(rng));
    }
    for (std::size_t i = 0; i < rows; ++i) {
        const double fwd = i + kHorizon < rows ? std::log(d.close[i + kHorizon] / d.close[i]) : 0;
        for (std::size_t f = 0; f < 5; ++f) {
            const double v = f == 0 && signal ? 300 * fwd + 0.3 * norm(rng) : norm(rng);
            d.x.push_back(static_cast<float>(v));
        }
    }
    return d;
}

TrainConfig config() {
    TrainConfig c;
    c.horizon = kHorizon;
    c.threshold = 0;
    c.split.folds = 1;
    c.split.embargo = kHorizon;
    c.params.members = 2;
    c.params.rounds = 30;
    c.params.eta = 0.3;
    c.min_rows = 500;
    c.now_ms = 1;
    return c;
}

class MlTrain : public ::testing::Test {
protected:
    void SetUp() override {
        core::Log::init("test", -1, false);
        dir_ = fs::temp_directory_path() /
               ("okxkit_ml_train_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        store_ = std::make_unique<store::Store>((dir_ / "store.db").string());
    }
    void TearDown() override {
        store_.reset();
        fs::remove_all(dir_);
    }
    fs::path dir_;
    std::unique_ptr<store::Store> store_;
};

TEST_F(MlTrain, TheFirstModelIsChampionAndItsFilesLoadBackToTheSamePredictions) {
    Dataset d = series(3000, true, 1);
    TrainResult r = train_dataset(*store_, d, config());
    ASSERT_EQ(r.kind, TrainResult::Kind::kPromoted) << r.text;
    EXPECT_EQ(r.model, 1);
    EXPECT_NE(r.text.find("no champion for ETH-USDT 5m yet"), std::string::npos) << r.text;
    auto rec = find_champion(*store_, "ETH-USDT", "5m");
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->id, 1);
    EXPECT_EQ(rec->dir, (dir_ / "models" / "1").string());
    EXPECT_EQ(rec->data_end, d.ts.back());
    // The label windows of training rows end before validation starts, and so on.
    EXPECT_LT(rec->train_to + kHorizon * kBar, rec->valid_from);
    EXPECT_LT(rec->valid_to + kHorizon * kBar, rec->test_from);
    EXPECT_NE(rec->metrics.find("\"auc\""), std::string::npos);
    ModelFile mf = read_model_file(rec->dir);
    EXPECT_EQ(mf.names, d.names);
    EXPECT_EQ(mf.horizon, kHorizon);
    Ensemble e = load_ensemble(mf, rec->dir);
    ASSERT_EQ(e.size(), 2U);
    // The planted feature carries nearly all the gain.
    auto imp = e.importance();
    EXPECT_GT(imp[0], 0.5);
    // A strong signal: the model separates the classes out of sample.
    EnsembleOutput up = e.predict(std::vector<float>{3, 0, 0, 0, 0}.data());
    EnsembleOutput down = e.predict(std::vector<float>{-3, 0, 0, 0, 0}.data());
    EXPECT_GT(up.p_up, 0.8);
    EXPECT_LT(down.p_up, 0.2);
    EXPECT_GT(up.exp_ret, down.exp_ret);
    auto last = last_trained(*store_, "ETH-USDT", "5m", kHorizon);
    ASSERT_TRUE(last);
    EXPECT_EQ(*last, 1);
}

TEST_F(MlTrain, ABetterChallengerReplacesTheChampionAnEqualOneDoesNot) {
    // Champion: trained on noise. Challenger: the planted signal, later data.
    TrainConfig c = config();
    ASSERT_EQ(train_dataset(*store_, series(2000, false, 2), c).kind, TrainResult::Kind::kPromoted);
    Dataset signal = series(4000, true, 3);
    TrainResult b = train_dataset(*store_, signal, c);
    EXPECT_EQ(b.kind, TrainResult::Kind::kPromoted) << b.text;
    EXPECT_NE(b.text.find("beats champion 1 on the same "), std::string::npos) << b.text;
    EXPECT_EQ(find_model(*store_, 1)->status, "retired");
    EXPECT_EQ(find_champion(*store_, "ETH-USDT", "5m")->id, 2);
    // The same data and seed again: no better, so it stays a candidate and says why.
    TrainResult again = train_dataset(*store_, signal, c);
    EXPECT_EQ(again.kind, TrainResult::Kind::kKept) << again.text;
    EXPECT_NE(again.text.find("champion 2 is as good or better on the same "), std::string::npos)
        << again.text;
    EXPECT_EQ(find_model(*store_, 3)->status, "candidate");
    EXPECT_NE(find_model(*store_, 3)->reason.find("as good or better"), std::string::npos);
}

TEST_F(MlTrain, AChampionOfAnotherSchemaIsNotComparedAndTooLittleDataIsSaid) {
    TrainConfig c = config();
    Dataset a = series(3000, true, 4);
    ASSERT_EQ(train_dataset(*store_, a, c).kind, TrainResult::Kind::kPromoted);
    a.schema = "fedcba9876543210";
    TrainResult r = train_dataset(*store_, a, c);
    EXPECT_EQ(r.kind, TrainResult::Kind::kKept);
    EXPECT_NE(r.text.find("not comparable; promote by hand with train --promote 2"),
              std::string::npos)
        << r.text;
    TrainResult small = train_dataset(*store_, series(300, true, 5), c);
    EXPECT_EQ(small.kind, TrainResult::Kind::kNoData);
    EXPECT_NE(small.text.find("too little data"), std::string::npos);
    EXPECT_EQ(list_models(*store_).size(), 2U);
}

} // namespace
} // namespace okxkit::ml
