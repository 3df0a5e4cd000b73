// Ensemble training (early stopping on the validation fold) and combined prediction.
#include "ml/ensemble.hpp"

#include "core/error.hpp"
#include "core/signals.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace okxkit::ml {

namespace {

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

} // namespace

std::vector<std::pair<std::string, std::string>> member_params(const TrainParams& p, int k) {
    const double sub = p.subsample * (1 - 0.1 * (k % 3));
    const double col = p.colsample * (1 - 0.1 * ((k + 1) % 3));
    return {
        {"objective", "binary:logistic"},
        {"eval_metric", "logloss"},
        {"tree_method", "hist"},
        {"nthread", std::to_string(p.threads)},
        {"seed", std::to_string(p.seed + static_cast<std::uint64_t>(k))},
        {"eta", num(p.eta)},
        {"max_depth", std::to_string(p.max_depth)},
        {"subsample", num(sub)},
        {"colsample_bytree", num(col)},
        {"min_child_weight", num(p.min_child_weight)},
        {"verbosity", "0"},
    };
}

double agreement_of(std::span<const double> member_p) {
    if (member_p.empty()) {
        return 0;
    }
    double mean = 0;
    for (double v : member_p) {
        mean += v;
    }
    mean /= static_cast<double>(member_p.size());
    double var = 0;
    for (double v : member_p) {
        var += (v - mean) * (v - mean);
    }
    var /= static_cast<double>(member_p.size());
    return std::clamp(1 - 2 * std::sqrt(var), 0.0, 1.0);
}

Ensemble Ensemble::train(std::span<const float> x_train, std::span<const float> y_train,
                         std::span<const float> x_valid, std::span<const float> y_valid,
                         std::size_t cols, const TrainParams& params) {
    if (cols == 0 || y_train.empty() || y_valid.empty()) {
        throw core::RuntimeError("cannot train on an empty matrix");
    }
    Ensemble e;
    e.cols_ = cols;

    DMatrix dtrain(x_train.data(), y_train.size(), cols);
    dtrain.set_labels(y_train);
    DMatrix dvalid(x_valid.data(), y_valid.size(), cols);
    dvalid.set_labels(y_valid);
    const DMatrix* cache[] = {&dtrain, &dvalid};
    for (int k = 0; k < params.members; ++k) {
        Booster b(cache);
        for (const auto& [name, value] : member_params(params, k)) {
            b.set_param(name, value);
        }
        double best = std::numeric_limits<double>::infinity();
        int best_it = 0;
        for (int it = 0; it < params.rounds; ++it) {
            if (core::interrupted()) {
                throw core::Error(core::interrupt_exit(), "interrupted while boosting");
            }
            b.update(it, dtrain);
            const double loss = b.eval(it, dvalid, "valid");
            if (loss < best) {
                best = loss;
                best_it = it;
            } else if (it - best_it >= params.early_stop) {
                break;
            }
        }
        e.best_rounds_.push_back(best_it + 1);
        e.members_.push_back(b.rounds() == best_it + 1 ? std::move(b) : b.slice(best_it + 1));
    }
    return e;
}

Ensemble Ensemble::load(const std::vector<std::string>& files, std::size_t cols,
                        Calibration calibration) {
    Ensemble e;
    e.cols_ = cols;
    e.calibration_ = std::move(calibration);
    for (const std::string& f : files) {
        Booster b;
        b.load(f);
        if (b.num_features() != cols) {
            throw core::RuntimeError("model file " + f + " takes " +
                                     std::to_string(b.num_features()) + " features, not " +
                                     std::to_string(cols));
        }
        e.best_rounds_.push_back(b.rounds());
        e.members_.push_back(std::move(b));
    }
    return e;
}

void Ensemble::build_merged() {
    // XGBoost's JSON model: the members' trees under one multi-class gbtree, tree_info naming
    // each tree's member as its output group, base_score 0 (a binary:logistic member's base
    // margin is logit(0.5) = 0), so the margin of group k is member k's margin.
    nlohmann::json merged;
    nlohmann::json trees = nlohmann::json::array();
    nlohmann::json info = nlohmann::json::array();
    for (std::size_t k = 0; k < members_.size(); ++k) {
        nlohmann::json m = nlohmann::json::parse(members_[k].to_json());
        if (k == 0) {
            merged = m;
        }
        const std::string base =
            m["learner"]["learner_model_param"]["base_score"].get<std::string>();
        if (std::stod(base) != 0.5) {
            throw core::RuntimeError("member " + std::to_string(k) + " has base_score " + base +
                                     ", not 0.5: cannot merge");
        }
        for (auto& t : m["learner"]["gradient_booster"]["model"]["trees"]) {
            t["id"] = trees.size();
            trees.push_back(std::move(t));
            info.push_back(k);
        }
    }
    merged_ = std::make_unique<Booster>();
    inplace_ = std::make_unique<InplacePredictor>();
    if (members_.size() == 1) {
        // One member is its own merged model (its margin output is already the member's).
        merged_->load_json(members_[0].to_json());
        merged_->set_param("nthread", "1");
        return;
    }
    const std::string groups = std::to_string(members_.size());
    auto& learner = merged["learner"];
    learner["learner_model_param"]["base_score"] = "0";
    learner["learner_model_param"]["num_class"] = groups;
    learner["objective"] = {{"name", "multi:softprob"},
                            {"softmax_multiclass_param", {{"num_class", groups}}}};
    auto& model = learner["gradient_booster"]["model"];
    model["gbtree_model_param"]["num_trees"] = std::to_string(trees.size());
    model["trees"] = std::move(trees);
    model["tree_info"] = std::move(info);
    merged_->load_json(merged.dump());
    merged_->set_param("nthread", "1");
}

EnsembleOutput Ensemble::predict(const float* row) {
    if (!merged_) {
        build_merged();
    }
    auto margins = inplace_->predict(*merged_, row, 1, cols_, true);
    double sum = 0;
    double sum2 = 0;
    for (float m : margins) {
        const double p = 1 / (1 + std::exp(-static_cast<double>(m)));
        sum += p;
        sum2 += p * p;
    }
    const auto k = static_cast<double>(margins.size());
    EnsembleOutput out;
    out.p_up = sum / k;
    const double var = std::max(sum2 / k - out.p_up * out.p_up, 0.0);
    out.agreement = std::clamp(1 - 2 * std::sqrt(var), 0.0, 1.0);
    out.confidence = calibration_.skill * out.agreement;
    out.exp_ret = calibration_.exp_ret.at(out.p_up);
    return out;
}

void Ensemble::predict(std::span<const float> x, std::vector<double>& p_up,
                       std::vector<double>* agreement) {
    if (!merged_) {
        build_merged();
    }
    const std::size_t rows = cols_ == 0 ? 0 : x.size() / cols_;
    const std::size_t k = members_.size();
    p_up.resize(rows);
    if (agreement != nullptr) {
        agreement->resize(rows);
    }
    if (rows == 0) {
        return;
    }
    auto margins = inplace_->predict(*merged_, x.data(), rows, cols_, true);
    const auto kd = static_cast<double>(k);
    for (std::size_t i = 0; i < rows; ++i) {
        double sum = 0;
        double sum2 = 0;
        for (std::size_t j = 0; j < k; ++j) {
            const double p = 1 / (1 + std::exp(-static_cast<double>(margins[i * k + j])));
            sum += p;
            sum2 += p * p;
        }
        p_up[i] = sum / kd;
        if (agreement != nullptr) {
            const double var = std::max(sum2 / kd - p_up[i] * p_up[i], 0.0);
            (*agreement)[i] = std::clamp(1 - 2 * std::sqrt(var), 0.0, 1.0);
        }
    }
}

std::vector<double> Ensemble::importance() const {
    std::vector<double> total(cols_, 0.0);
    for (const Booster& b : members_) {
        auto g = b.total_gain(cols_);
        for (std::size_t i = 0; i < cols_; ++i) {
            total[i] += g[i];
        }
    }
    double s = 0;
    for (double v : total) {
        s += v;
    }
    if (s > 0) {
        for (double& v : total) {
            v /= s;
        }
    }
    return total;
}

void Ensemble::save(const std::vector<std::string>& paths) const {
    for (std::size_t k = 0; k < members_.size(); ++k) {
        members_[k].save(paths[k]);
    }
}

} // namespace okxkit::ml
