// XGBoost C API wrappers: handle ownership, error text from XGBGetLastError.
#include "ml/xgb.hpp"

#include "core/error.hpp"

#include <xgboost/c_api.h>

#include <charconv>
#include <cstdio>
#include <limits>
#include <string>

namespace okxkit::ml {

void xgb_check(int rc, std::string_view what) {
    if (rc != 0) {
        const char* err = XGBGetLastError();
        std::string text = err != nullptr ? err : "unknown error";
        // XGBoost's messages start with a source location line; keep the last line only.
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
            text.pop_back();
        }
        auto nl = text.rfind('\n');
        if (nl != std::string::npos) {
            text = text.substr(nl + 1);
        }
        throw core::RuntimeError("xgboost: " + std::string(what) + ": " + text);
    }
}

// --- DMatrix ------------------------------------------------------------------------------

DMatrix::DMatrix(const float* data, std::size_t rows, std::size_t cols) {
    DMatrixHandle h = nullptr;
    xgb_check(XGDMatrixCreateFromMat(data, rows, cols, std::numeric_limits<float>::quiet_NaN(), &h),
              "cannot create a matrix");
    h_ = h;
}

DMatrix::~DMatrix() {
    if (h_ != nullptr) {
        XGDMatrixFree(h_);
    }
}

DMatrix& DMatrix::operator=(DMatrix&& other) noexcept {
    if (this != &other) {
        if (h_ != nullptr) {
            XGDMatrixFree(h_);
        }
        h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
}

void DMatrix::set_labels(std::span<const float> labels) {
    xgb_check(XGDMatrixSetFloatInfo(h_, "label", labels.data(), labels.size()),
              "cannot set labels");
}

// --- Booster ------------------------------------------------------------------------------

Booster::Booster() {
    BoosterHandle h = nullptr;
    xgb_check(XGBoosterCreate(nullptr, 0, &h), "cannot create a booster");
    h_ = h;
}

Booster::Booster(std::span<const DMatrix* const> cache) {
    std::vector<DMatrixHandle> handles;
    handles.reserve(cache.size());
    for (const DMatrix* m : cache) {
        handles.push_back(m->handle());
    }
    BoosterHandle h = nullptr;
    xgb_check(XGBoosterCreate(handles.data(), handles.size(), &h), "cannot create a booster");
    h_ = h;
}

Booster::~Booster() {
    if (h_ != nullptr) {
        XGBoosterFree(h_);
    }
}

Booster::Booster(Booster&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}

Booster& Booster::operator=(Booster&& other) noexcept {
    if (this != &other) {
        if (h_ != nullptr) {
            XGBoosterFree(h_);
        }
        h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
}

void Booster::set_param(std::string_view name, std::string_view value) {
    std::string n(name);
    std::string v(value);
    xgb_check(XGBoosterSetParam(h_, n.c_str(), v.c_str()), "cannot set parameter " + n);
}

void Booster::update(int iteration, const DMatrix& train) {
    xgb_check(XGBoosterUpdateOneIter(h_, iteration, train.handle()), "boosting round failed");
}

double Booster::eval(int iteration, const DMatrix& eval, std::string_view name) {
    DMatrixHandle m[1] = {eval.handle()};
    std::string n(name);
    const char* names[1] = {n.c_str()};
    const char* out = nullptr;
    xgb_check(XGBoosterEvalOneIter(h_, iteration, m, names, 1, &out), "evaluation failed");
    // "[12]\tvalid-logloss:0.6812": the number after the first ':'.
    std::string_view s(out);
    auto colon = s.find(':');
    if (colon == std::string_view::npos) {
        throw core::RuntimeError("xgboost: unexpected evaluation text \"" + std::string(s) + "\"");
    }
    s.remove_prefix(colon + 1);
    auto tab = s.find('\t');
    if (tab != std::string_view::npos) {
        s = s.substr(0, tab);
    }
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc()) {
        throw core::RuntimeError("xgboost: unexpected evaluation text \"" + std::string(out) +
                                 "\"");
    }
    return v;
}

Booster Booster::slice(int rounds) const {
    BoosterHandle out = nullptr;
    xgb_check(XGBoosterSlice(h_, 0, rounds, 1, &out), "cannot slice the booster");
    Booster b;
    XGBoosterFree(b.h_);
    b.h_ = out;
    return b;
}

int Booster::rounds() const {
    int n = 0;
    xgb_check(XGBoosterBoostedRounds(h_, &n), "cannot count rounds");
    return n;
}

std::size_t Booster::num_features() const {
    bst_ulong n = 0;
    xgb_check(XGBoosterGetNumFeature(h_, &n), "cannot count features");
    return n;
}

void Booster::save(const std::string& path) const {
    xgb_check(XGBoosterSaveModel(h_, path.c_str()), "cannot save model " + path);
}

void Booster::load(const std::string& path) {
    xgb_check(XGBoosterLoadModel(h_, path.c_str()), "cannot load model " + path);
}

void Booster::load_json(std::string_view text) {
    xgb_check(XGBoosterLoadModelFromBuffer(h_, text.data(), text.size()),
              "cannot load a model from memory");
}

std::string Booster::to_json() const {
    bst_ulong len = 0;
    const char* data = nullptr;
    xgb_check(XGBoosterSaveModelToBuffer(h_, R"({"format":"json"})", &len, &data),
              "cannot serialise the model");
    return {data, static_cast<std::size_t>(len)};
}

std::vector<double> Booster::total_gain(std::size_t num_features) const {
    std::vector<double> gain(num_features, 0.0);
    bst_ulong n = 0;
    const char** names = nullptr;
    bst_ulong dim = 0;
    const bst_ulong* shape = nullptr;
    const float* scores = nullptr;
    xgb_check(XGBoosterFeatureScore(h_, R"({"importance_type":"total_gain"})", &n, &names, &dim,
                                    &shape, &scores),
              "cannot compute feature importance");
    for (bst_ulong i = 0; i < n; ++i) {
        std::string_view name(names[i]);
        if (name.size() < 2 || name[0] != 'f') {
            continue;
        }
        std::size_t idx = 0;
        auto [p, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), idx);
        if (ec == std::errc() && idx < num_features) {
            gain[idx] += scores[i];
        }
    }
    return gain;
}

std::vector<float> Booster::predict(const DMatrix& m) const {
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* out = nullptr;
    xgb_check(XGBoosterPredictFromDMatrix(h_, m.handle(),
                                          R"({"type":0,"training":false,"iteration_begin":0,)"
                                          R"("iteration_end":0,"strict_shape":false})",
                                          &shape, &dim, &out),
              "prediction failed");
    std::size_t n = 1;
    for (bst_ulong i = 0; i < dim; ++i) {
        n *= shape[i];
    }
    return {out, out + n};
}

// --- InplacePredictor ----------------------------------------------------------------------

InplacePredictor::InplacePredictor() {
    DMatrixHandle h = nullptr;
    xgb_check(XGProxyDMatrixCreate(&h), "cannot create a proxy matrix");
    proxy_ = h;
    // cache_id 0: XGBoost 1.7 wants it for in-place prediction (no cache).
    config_ = R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,)"
              R"("strict_shape":false,"cache_id":0,"missing":NaN})";
    margin_config_ = R"({"type":1,"training":false,"iteration_begin":0,"iteration_end":0,)"
                     R"("strict_shape":false,"cache_id":0,"missing":NaN})";
    iface_.reserve(128);
}

InplacePredictor::~InplacePredictor() {
    if (proxy_ != nullptr) {
        XGDMatrixFree(proxy_);
    }
}

std::span<const float> InplacePredictor::predict(const Booster& b, const float* x, std::size_t rows,
                                                 std::size_t cols, bool margin) {
    // The __array_interface__ of x: {"data":[address,true],"shape":[r,c],"typestr":"<f4",...}.
    char buf[160];
    int n = std::snprintf(
        buf, sizeof buf, R"({"data":[%llu,true],"shape":[%zu,%zu],"typestr":"<f4","version":3})",
        static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(x)), rows, cols);
    iface_.assign(buf, static_cast<std::size_t>(n));
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* out = nullptr;
    xgb_check(XGBoosterPredictFromDense(b.handle(), iface_.c_str(),
                                        margin ? margin_config_.c_str() : config_.c_str(), proxy_,
                                        &shape, &dim, &out),
              "in-place prediction failed");
    std::size_t total = 1;
    for (bst_ulong i = 0; i < dim; ++i) {
        total *= shape[i];
    }
    return {out, total};
}

} // namespace okxkit::ml
