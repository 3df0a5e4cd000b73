// lib/ml train_dataset and the registry: model files that load back to the same predictions,
// the skill gate (random walks rejected, their predictions claiming nothing), champion and
// challenger on the same unseen rows, promotion by hand, model files from before the gate,
// --every bookkeeping.
#include "core/error.hpp"
#include "core/log.hpp"
#include "ml/registry.hpp"
#include "ml/train.hpp"
#include "store/store.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

namespace okxkit::ml {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kBar = 300000;
constexpr int kHorizon = 3;

// A 5m series of `rows` candles: a geometric random walk (log returns normal, sd 0.002 per
// bar). With `signal`, feature f0 is the forward log return over the horizon (scaled, plus
// noise of sd `noise`): a planted signal; otherwise every feature is noise and nothing can be
// predicted.
Dataset series(std::size_t rows, bool signal, std::uint32_t seed, double noise = 0.3) {
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
            const double v = f == 0 && signal ? 300 * fwd + noise * norm(rng) : norm(rng);
            d.x.push_back(static_cast<float>(v));
        }
    }
    return d;
}

TrainConfig config() {
    TrainConfig c;
    c.horizon = kHorizon;
    c.threshold = 0;
    // A round trip costs about a tenth of the horizon's return sd (0.0035), as 0.2% does
    // against the 1% of a 12-bar move of ETH-USDT on 5m bars.
    c.fee = 0.0002;
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
    EXPECT_EQ(rec->dir, (dir_ / "store.db.models" / "1").string());
    EXPECT_EQ(rec->sha256.size(), 64U);
    EXPECT_EQ(rec->sha256, files_sha256(rec->dir, read_model_file(rec->dir).members));
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
    // exp_ret comes from the realised out-of-sample returns: it has the sign of the signal.
    EXPECT_GT(up.exp_ret, 0.001);
    EXPECT_LT(down.exp_ret, -0.001);
    // The gate was passed with a lower bound well above 0.5, so agreeing members give a
    // confidence near the skill.
    ASSERT_TRUE(mf.skill);
    EXPECT_TRUE(mf.skill->passed);
    EXPECT_GT(mf.skill->auc_low, 0.8);
    EXPECT_LE(mf.skill->auc_low, mf.skill->auc);
    EXPECT_GE(mf.skill->auc_high, mf.skill->auc);
    EXPECT_GT(up.confidence, 0.5);
    EXPECT_LE(up.confidence, mf.skill->score());
    // The drift reference holds the training rows' bins of every feature.
    ASSERT_TRUE(mf.drift);
    EXPECT_EQ(mf.drift->bins.size(), d.names.size());
    EXPECT_EQ(mf.drift->bins[0].edges.size(), 11U);
    auto last = last_trained(*store_, "ETH-USDT", "5m", kHorizon);
    ASSERT_TRUE(last);
    EXPECT_EQ(*last, 1);
}

TEST_F(MlTrain, AModelOpensOnlyWithItsOwnFilesWhereverTheStoreMoves) {
    TrainResult r = train_dataset(*store_, series(3000, true, 1), config());
    ASSERT_EQ(r.kind, TrainResult::Kind::kPromoted) << r.text;
    auto rec = find_model(*store_, 1);
    ASSERT_TRUE(rec);
    EXPECT_EQ(open_model(*rec, "s").members.size(), 2U);
    // The row names the folder relative to the store: a store moved with its models finds them.
    store_.reset();
    fs::create_directories(dir_ / "moved");
    fs::rename(dir_ / "store.db", dir_ / "moved" / "store.db");
    fs::rename(dir_ / "store.db.models", dir_ / "moved" / "store.db.models");
    store_ = std::make_unique<store::Store>((dir_ / "moved" / "store.db").string());
    rec = find_model(*store_, 1);
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->dir, (dir_ / "moved" / "store.db.models" / "1").string());
    EXPECT_NO_THROW(open_model(*rec, "s"));
    // A row from before the hash ('') is checked by what model.json says it is.
    ModelRecord old = *rec;
    old.sha256.clear();
    EXPECT_NO_THROW(open_model(old, "s"));
    old.id = 2;
    try {
        open_model(old, "s");
        FAIL() << "a model.json of model 1 opened as model 2";
    } catch (const core::Error& e) {
        EXPECT_EQ(e.code(), core::Exit::kRefused);
        EXPECT_NE(std::string(e.what()).find("model.json describes model 1 of ETH-USDT 5m"),
                  std::string::npos)
            << e.what();
    }
    // A missing member file is refused the same way, naming the file.
    fs::remove(fs::path(rec->dir) / "member-1.json");
    try {
        open_model(*rec, "s");
        FAIL() << "a model without its member file opened";
    } catch (const core::Error& e) {
        EXPECT_EQ(e.code(), core::Exit::kRefused);
        EXPECT_NE(std::string(e.what()).find("member-1.json"), std::string::npos) << e.what();
    }
}

TEST_F(MlTrain, ABetterChallengerReplacesTheChampionAnEqualOneDoesNot) {
    // Champion: a weaker signal (f0 with more noise). Challenger: a strong one, later data.
    TrainConfig c = config();
    TrainResult weak = train_dataset(*store_, series(3000, true, 2, 1.0), c);
    ASSERT_EQ(weak.kind, TrainResult::Kind::kPromoted) << weak.text;
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

// The acceptance test of the skill gate: trained on random walks, no model is promoted, each
// is registered as rejected with the numbers that failed, and predictions made with such a
// model anyway claim nothing: confidence 0 and the same exp_ret, near 0, whatever p_up says.
TEST_F(MlTrain, RandomWalksAreRejectedAndTheirPredictionsClaimNothing) {
    TrainConfig c = config();
    for (std::uint32_t seed : {11U, 12U, 13U, 14U, 15U}) {
        Dataset d = series(3000, false, seed);
        TrainResult r = train_dataset(*store_, d, c);
        ASSERT_EQ(r.kind, TrainResult::Kind::kRejected) << "seed " << seed << ": " << r.text;
        EXPECT_NE(r.text.find("model " + std::to_string(r.model) + " rejected: "),
                  std::string::npos)
            << r.text;
        EXPECT_NE(r.text.find("predict will not use it"), std::string::npos) << r.text;
        auto rec = find_model(*store_, r.model);
        ASSERT_TRUE(rec);
        EXPECT_EQ(rec->status, "rejected");
        EXPECT_FALSE(rec->reason.empty());
        EXPECT_TRUE(rec->reason.find("lower bound not above 0.5") != std::string::npos ||
                    rec->reason.find("is below holding nothing") != std::string::npos)
            << rec->reason;
        ModelFile mf = read_model_file(rec->dir);
        ASSERT_TRUE(mf.skill);
        EXPECT_FALSE(mf.skill->passed);
        EXPECT_EQ(mf.skill->score(), 0.0);
        Ensemble e = load_ensemble(mf, rec->dir);
        // Every row of the data through the model: p_up moves, confidence and exp_ret do not.
        double p_min = 1;
        double p_max = 0;
        double sd = 0; // of the horizon's log return, for the scale of "near 0"
        for (std::size_t i = 0; i + kHorizon < d.rows(); ++i) {
            const double fwd = std::log(d.close[i + kHorizon] / d.close[i]);
            sd += fwd * fwd;
            EnsembleOutput o = e.predict(d.row(i));
            p_min = std::min(p_min, o.p_up);
            p_max = std::max(p_max, o.p_up);
            ASSERT_EQ(o.confidence, 0.0) << "row " << i;
            ASSERT_EQ(o.exp_ret, e.predict(d.row(0)).exp_ret) << "row " << i;
        }
        sd = std::sqrt(sd / static_cast<double>(d.rows() - kHorizon));
        EXPECT_GT(p_max - p_min, 0.05) << "the members do move with the noise";
        EXPECT_LT(std::abs(e.predict(d.row(0)).exp_ret), 0.25 * sd);
    }
    EXPECT_FALSE(find_champion(*store_, "ETH-USDT", "5m"));
}

// The gate comes before the comparison: a challenger without skill is not promoted even over
// a champion that never passed the gate, while one with skill replaces such a champion.
TEST_F(MlTrain, TheGateComesFirstAndAChampionWithoutSkillYieldsToOneWithIt) {
    TrainConfig c = config();
    TrainResult noise = train_dataset(*store_, series(3000, false, 21), c);
    ASSERT_EQ(noise.kind, TrainResult::Kind::kRejected) << noise.text;
    promote(*store_, noise.model, hand_promotion(*store_, noise.model, true));
    ASSERT_EQ(find_champion(*store_, "ETH-USDT", "5m")->id, noise.model);
    TrainResult again = train_dataset(*store_, series(3000, false, 22), c);
    EXPECT_EQ(again.kind, TrainResult::Kind::kRejected) << again.text;
    EXPECT_EQ(find_champion(*store_, "ETH-USDT", "5m")->id, noise.model);
    TrainResult good = train_dataset(*store_, series(3000, true, 23), c);
    ASSERT_EQ(good.kind, TrainResult::Kind::kPromoted) << good.text;
    EXPECT_NE(good.text.find("champion " + std::to_string(noise.model) +
                             " failed the skill gate (out-of-sample AUC"),
              std::string::npos)
        << good.text;
    EXPECT_EQ(find_model(*store_, noise.model)->status, "retired");
}

// train --promote: a rejected model is refused (exit 4) with what to do; --force promotes it
// and records why; a model that passed the gate needs no force.
TEST_F(MlTrain, PromotingARejectedModelByHandNeedsForce) {
    TrainConfig c = config();
    TrainResult noise = train_dataset(*store_, series(3000, false, 31), c);
    ASSERT_EQ(noise.kind, TrainResult::Kind::kRejected) << noise.text;
    const std::string id = std::to_string(noise.model);
    try {
        (void)hand_promotion(*store_, noise.model, false);
        FAIL() << "a rejected model was promoted without --force";
    } catch (const core::Error& e) {
        EXPECT_EQ(e.code(), core::Exit::kRefused);
        const std::string msg = e.what();
        EXPECT_NE(msg.find("model " + id + " failed the skill gate (out-of-sample AUC "),
                  std::string::npos)
            << msg;
        EXPECT_NE(msg.find("train --promote " + id + " --force to promote it anyway"),
                  std::string::npos)
            << msg;
    }
    const std::string why = hand_promotion(*store_, noise.model, true);
    EXPECT_NE(why.find("--force"), std::string::npos) << why;
    TrainResult good = train_dataset(*store_, series(3000, true, 32), c);
    ASSERT_EQ(good.kind, TrainResult::Kind::kPromoted) << good.text;
    EXPECT_EQ(hand_promotion(*store_, good.model, false), "promoted by hand (train --promote)");
    EXPECT_THROW((void)hand_promotion(*store_, 99, true), core::UsageError);
}

// A model.json written before the gate (class means, no skill, no drift reference) still
// loads: skill 0, so confidence 0, and exp_ret by the old formula.
TEST_F(MlTrain, AModelFileFromBeforeTheGateLoadsWithoutConfidence) {
    TrainResult r = train_dataset(*store_, series(3000, true, 41), config());
    ASSERT_EQ(r.kind, TrainResult::Kind::kPromoted) << r.text;
    const fs::path file = dir_ / "store.db.models" / std::to_string(r.model) / "model.json";
    nlohmann::json j;
    std::ifstream(file) >> j;
    j.erase("skill");
    j.erase("exp_ret");
    j.erase("drift");
    j["mu_up"] = 0.004;
    j["mu_down"] = -0.003;
    std::ofstream(file) << j.dump(1);
    ModelFile mf = read_model_file(file.string());
    EXPECT_FALSE(mf.skill);
    EXPECT_FALSE(mf.drift);
    Ensemble e = load_ensemble(mf, file.parent_path().string());
    EnsembleOutput o = e.predict(std::vector<float>{3, 0, 0, 0, 0}.data());
    EXPECT_GT(o.agreement, 0.5);
    EXPECT_EQ(o.confidence, 0.0);
    EXPECT_NEAR(o.exp_ret, o.p_up * 0.004 + (1 - o.p_up) * -0.003, 1e-15);
}

// --list and --show say rejected and give the interval.
TEST_F(MlTrain, TheListAndTheCardShowTheStatusAndTheInterval) {
    TrainResult r = train_dataset(*store_, series(3000, false, 51), config());
    ASSERT_EQ(r.kind, TrainResult::Kind::kRejected) << r.text;
    auto rec = find_model(*store_, r.model);
    const std::string table = model_table({*rec});
    EXPECT_EQ(table.substr(0, table.find('\n')),
              "id\tinst\tbar\thorizon\tstatus\tdata_end\tcreated\tauc\tlogloss\tpolicy_"
              "return\tauc_low\tauc_high");
    EXPECT_NE(table.find("\trejected\t"), std::string::npos) << table;
    const std::string card = model_card(*rec);
    EXPECT_NE(card.find("status: rejected (" + rec->reason + ")"), std::string::npos) << card;
    EXPECT_NE(card.find("skill gate: failed: out-of-sample auc "), std::string::npos) << card;
    EXPECT_NE(card.find("1000 block-bootstrap resamples, blocks of 6 rows"), std::string::npos)
        << card;
}

} // namespace
} // namespace okxkit::ml
