// An ensemble of K XGBoost classifiers with early stopping, and its combined output: mean
// probability, the members' agreement, and the expected return and confidence that the
// model's out-of-sample record (its Calibration) allows.
#pragma once

#include "ml/metrics.hpp"
#include "ml/xgb.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace okxkit::ml {

struct TrainParams {
    int members = 5;     // K boosters
    int rounds = 300;    // most boosting rounds per member
    int early_stop = 20; // stop after this many rounds without a better validation logloss
    double eta = 0.05;   // learning rate
    int max_depth = 4;
    double subsample = 0.8; // member k uses subsample * (1 - 0.1 * (k mod 3))
    double colsample = 0.8; // member k uses colsample * (1 - 0.1 * ((k + 1) mod 3))
    double min_child_weight = 5;
    int threads = 1;        // XGBoost nthread
    std::uint64_t seed = 1; // member k uses seed + k
};

// What training measured out of sample, which bounds what the model may claim: skill in
// [0, 1] (2 * (lower bound of the AUC interval - 0.5) for a model that passed the skill gate,
// 0 for any other; see train(1)) and the expected return as a function of p_up.
struct Calibration {
    double skill = 0;
    ReturnCurve exp_ret; // no knots: exp_ret 0
};

// What the ensemble says about one row.
struct EnsembleOutput {
    double p_up = 0;       // mean of the members' probabilities that the label is 1
    double agreement = 0;  // 1 - 2 * (population standard deviation of the members' p), [0, 1]
    double exp_ret = 0;    // the calibration's return curve at p_up (log return, the horizon)
    double confidence = 0; // skill * agreement: 0 for a model without measured skill
};

// The XGBoost parameters of member k, as name/value pairs in the order they are set.
std::vector<std::pair<std::string, std::string>> member_params(const TrainParams& p, int k);

class Ensemble {
public:
    Ensemble() = default;
    Ensemble(Ensemble&&) noexcept = default;
    Ensemble& operator=(Ensemble&&) noexcept = default;

    // Trains params.members boosters (binary:logistic, hist) on the train rows, each stopped
    // early on the validation rows' logloss and cut to its best round. Matrices are row-major
    // with `cols` columns (NaN = missing); labels 0/1. The calibration starts empty (skill 0,
    // exp_ret 0) until set_calibration. Deterministic for the same data, params, seed and
    // threads. Cost: O(members * rounds * rows * cols).
    static Ensemble train(std::span<const float> x_train, std::span<const float> y_train,
                          std::span<const float> x_valid, std::span<const float> y_valid,
                          std::size_t cols, const TrainParams& params);

    // Loads members from XGBoost model files.
    static Ensemble load(const std::vector<std::string>& files, std::size_t cols,
                         Calibration calibration);

    // One row (cols floats) by one in-place prediction of the members merged into one booster
    // (their margins, one output group each; p = 1 / (1 + exp(-margin))): no DMatrix, no
    // allocation. O(members * trees * depth).
    EnsembleOutput predict(const float* row);
    // Many rows: p_up and agreement per row (in-place prediction, one call for all members).
    void predict(std::span<const float> x, std::vector<double>& p_up,
                 std::vector<double>* agreement = nullptr);

    void set_calibration(Calibration c) { calibration_ = std::move(c); }
    [[nodiscard]] const Calibration& calibration() const { return calibration_; }

    // Total gain per feature summed over members, normalised to sum 1 (all 0 when no split).
    [[nodiscard]] std::vector<double> importance() const;
    // Saves member k to paths[k] (XGBoost's JSON format).
    void save(const std::vector<std::string>& paths) const;

    [[nodiscard]] std::size_t size() const { return members_.size(); }
    [[nodiscard]] std::size_t cols() const { return cols_; }
    [[nodiscard]] const std::vector<int>& best_rounds() const { return best_rounds_; }
    [[nodiscard]] const Booster& member(std::size_t k) const { return members_[k]; }

private:
    std::vector<Booster> members_;
    std::vector<int> best_rounds_;
    std::size_t cols_ = 0;
    Calibration calibration_;
    // All members' trees in one booster, one output group per member, so that a row takes
    // one in-place prediction call instead of one per member (built on first use).
    void build_merged();
    std::unique_ptr<Booster> merged_;
    std::unique_ptr<InplacePredictor> inplace_;
};

// Agreement of the members' probabilities: 1 - 2 * population standard deviation, clipped
// to [0, 1]. 1 when all agree; 0 when half say 0 and half say 1.
double agreement_of(std::span<const double> member_p);

} // namespace okxkit::ml
