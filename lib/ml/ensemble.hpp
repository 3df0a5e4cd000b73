// An ensemble of K XGBoost classifiers with early stopping, and its combined output:
// mean probability, expected return and a confidence that falls when members disagree.
#pragma once

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

// What the ensemble says about one row.
struct EnsembleOutput {
    double p_up = 0;       // mean of the members' probabilities that the label is 1
    double exp_ret = 0;    // p_up * mu_up + (1 - p_up) * mu_down (log return over the horizon)
    double confidence = 0; // 1 - 2 * (population standard deviation of the members' p), in [0, 1]
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
    // with `cols` columns (NaN = missing); labels 0/1. mu_up and mu_down are the mean forward
    // returns of the training rows labelled 1 and 0 (ret_train). Deterministic for the same
    // data, params, seed and threads. Cost: O(members * rounds * rows * cols).
    static Ensemble train(std::span<const float> x_train, std::span<const float> y_train,
                          std::span<const double> ret_train, std::span<const float> x_valid,
                          std::span<const float> y_valid, std::size_t cols,
                          const TrainParams& params);

    // Loads members from XGBoost model files.
    static Ensemble load(const std::vector<std::string>& files, std::size_t cols, double mu_up,
                         double mu_down);

    // One row (cols floats) by one in-place prediction of the members merged into one booster
    // (their margins, one output group each; p = 1 / (1 + exp(-margin))): no DMatrix, no
    // allocation. O(members * trees * depth).
    EnsembleOutput predict(const float* row);
    // Many rows: p_up and confidence per row (in-place prediction, one call per member).
    void predict(std::span<const float> x, std::vector<double>& p_up,
                 std::vector<double>* confidence = nullptr);
    [[nodiscard]] double expected_return(double p_up) const {
        return p_up * mu_up_ + (1 - p_up) * mu_down_;
    }

    // Total gain per feature summed over members, normalised to sum 1 (all 0 when no split).
    [[nodiscard]] std::vector<double> importance() const;
    // Saves member k to paths[k] (XGBoost's JSON format).
    void save(const std::vector<std::string>& paths) const;

    [[nodiscard]] std::size_t size() const { return members_.size(); }
    [[nodiscard]] std::size_t cols() const { return cols_; }
    [[nodiscard]] double mu_up() const { return mu_up_; }
    [[nodiscard]] double mu_down() const { return mu_down_; }
    [[nodiscard]] const std::vector<int>& best_rounds() const { return best_rounds_; }
    [[nodiscard]] const Booster& member(std::size_t k) const { return members_[k]; }

private:
    std::vector<Booster> members_;
    std::vector<int> best_rounds_;
    std::size_t cols_ = 0;
    double mu_up_ = 0;
    double mu_down_ = 0;
    // All members' trees in one booster, one output group per member, so that a row takes
    // one in-place prediction call instead of one per member (built on first use).
    void build_merged();
    std::unique_ptr<Booster> merged_;
    std::unique_ptr<InplacePredictor> inplace_;
};

// Confidence from the members' probabilities: 1 - 2 * population standard deviation,
// clipped to [0, 1]. 1 when all agree; 0 when half say 0 and half say 1.
double confidence_of(std::span<const double> member_p);

} // namespace okxkit::ml
