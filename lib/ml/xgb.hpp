// XGBoost through its C API: RAII handles for matrices and boosters, errors as exceptions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace okxkit::ml {

// Throws core::RuntimeError "xgboost: WHAT: <XGBGetLastError()>" when rc != 0.
void xgb_check(int rc, std::string_view what);

// A dense training matrix (row-major floats, NaN = missing) with optional labels.
class DMatrix {
public:
    // Copies rows*cols floats from data. Throws RuntimeError on failure.
    DMatrix(const float* data, std::size_t rows, std::size_t cols);
    ~DMatrix();
    DMatrix(const DMatrix&) = delete;
    DMatrix& operator=(const DMatrix&) = delete;
    DMatrix(DMatrix&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    DMatrix& operator=(DMatrix&& other) noexcept;

    void set_labels(std::span<const float> labels);
    [[nodiscard]] void* handle() const { return h_; }

private:
    void* h_ = nullptr;
};

// One gradient-boosted model. Not copyable; cheap to move.
class Booster {
public:
    // An empty booster (to load a model into).
    Booster();
    // A booster to train, with the matrices it caches (training and evaluation).
    explicit Booster(std::span<const DMatrix* const> cache);
    ~Booster();
    Booster(const Booster&) = delete;
    Booster& operator=(const Booster&) = delete;
    Booster(Booster&& other) noexcept;
    Booster& operator=(Booster&& other) noexcept;

    void set_param(std::string_view name, std::string_view value);
    // One boosting round on train (iteration numbers start at 0).
    void update(int iteration, const DMatrix& train);
    // The first metric of the evaluation on `eval` after `iteration` (e.g. logloss).
    double eval(int iteration, const DMatrix& eval, std::string_view name);
    // A new booster holding trees of rounds [0, rounds).
    [[nodiscard]] Booster slice(int rounds) const;
    [[nodiscard]] int rounds() const;
    [[nodiscard]] std::size_t num_features() const;

    // XGBoost's own format; ".json" gives JSON, ".ubj" UBJSON.
    void save(const std::string& path) const;
    void load(const std::string& path);
    // Loads a model from XGBoost's JSON text.
    void load_json(std::string_view text);
    // The model in XGBoost's JSON format (what save writes to a .json file).
    [[nodiscard]] std::string to_json() const;

    // Total gain per feature index (f0, f1, ...), zero for features never split on.
    [[nodiscard]] std::vector<double> total_gain(std::size_t num_features) const;

    // Predictions for rows x (row-major, NaN = missing) through a DMatrix (training-time use).
    [[nodiscard]] std::vector<float> predict(const DMatrix& m) const;

    [[nodiscard]] void* handle() const { return h_; }

private:
    void* h_ = nullptr;
};

// In-place prediction of dense rows without a DMatrix per call (XGBoosterPredictFromDense):
// keeps the proxy DMatrix and the JSON texts, so a call does no allocation beyond XGBoost's.
class InplacePredictor {
public:
    InplacePredictor();
    ~InplacePredictor();
    InplacePredictor(const InplacePredictor&) = delete;
    InplacePredictor& operator=(const InplacePredictor&) = delete;

    // Output of booster b for `rows` rows at x (row-major, cols each): transformed
    // predictions, or raw margins when `margin` is true (then rows * output groups values).
    // The returned span is valid until the next call on b. Thread-unsafe, like the booster.
    std::span<const float> predict(const Booster& b, const float* x, std::size_t rows,
                                   std::size_t cols, bool margin = false);

private:
    void* proxy_ = nullptr;
    std::string iface_;
    std::string config_;
    std::string margin_config_;
};

} // namespace okxkit::ml
