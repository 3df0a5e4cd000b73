// Regime scoring.
#include "strategy/regime.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

namespace okxkit::strategy {

namespace {

double clamp01(double v) {
    return std::isfinite(v) ? std::clamp(v, 0.0, 1.0) : 0.0;
}

} // namespace

std::vector<std::pair<std::string_view, double>> components(const Regime& r) {
    return {{"trend", r.trend},
            {"direction", r.direction},
            {"volatility", r.volatility},
            {"range", r.range},
            {"adx", r.adx},
            {"efficiency", r.efficiency},
            {"r2", r.r2},
            {"choppiness", r.choppiness},
            {"persistence", r.persistence}};
}

RegimeScorer::RegimeScorer(RegimeConfig config) : config_(config) {}

std::vector<std::string> RegimeScorer::feature_names() {
    return {"adx_14", "er_20", "lr_r2_50", "lr_slope_50", "natr_14", "chop_14", "hurst_100"};
}

void RegimeScorer::bind(const std::function<std::size_t(const std::string&)>& index) {
    adx_ = index("adx_14");
    er_ = index("er_20");
    r2_ = index("lr_r2_50");
    slope_ = index("lr_slope_50");
    natr_ = index("natr_14");
    chop_ = index("chop_14");
    hurst_ = index("hurst_100");
}

void RegimeScorer::reset() {
    natr_ring_.clear();
    natr_sorted_.clear();
    natr_next_ = 0;
    regime_ = Regime{};
}

std::size_t RegimeScorer::warmup(const RegimeConfig& config) {
    // hurst_100 is the slowest indicator (108 candles); natr_14 is warm from the 15th, and its
    // rank needs vol_min values.
    return std::max<std::size_t>(108, 14 + config.vol_min);
}

const Regime& RegimeScorer::update(std::span<const double> f) {
    const double natr = f[natr_];
    if (std::isfinite(natr)) {
        // The last vol_history values in a ring: the newest overwrites the oldest.
        // A sorted copy beside it, for the rank: the oldest value leaves it and the newest
        // enters it by shifting the values between their two places by one.
        const auto x = static_cast<float>(natr);
        auto& sorted = natr_sorted_;
        if (natr_ring_.size() < config_.vol_history) {
            natr_ring_.push_back(x);
            sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), x), x);
        } else {
            const float old = std::exchange(natr_ring_[natr_next_], x);
            const auto out = std::lower_bound(sorted.begin(), sorted.end(), old);
            const auto in = std::upper_bound(sorted.begin(), sorted.end(), x);
            if (out < in) { // old <= x: the values in between move down
                std::move(out + 1, in, out);
                *(in - 1) = x;
            } else { // old > x: they move up
                std::move_backward(in, out, out + 1);
                *in = x;
            }
        }
        natr_next_ = (natr_next_ + 1) % config_.vol_history;
    }
    Regime& r = regime_;
    const double needed[] = {f[adx_], f[er_], f[r2_], f[slope_], natr, f[chop_], f[hurst_]};
    r.warm = natr_ring_.size() >= config_.vol_min &&
             std::all_of(std::begin(needed), std::end(needed),
                         [](double v) { return std::isfinite(v); });
    if (!r.warm) {
        r.label = {};
        return r;
    }
    r.adx = clamp01(f[adx_] / 50);
    r.efficiency = clamp01(f[er_]);
    r.r2 = clamp01(f[r2_]);
    r.trend = (r.adx + r.efficiency + r.r2) / 3;
    // The 50-bar drift of log price measured in per-bar volatility (ATR as a fraction of the
    // close) over the square root of the window: a t-like statistic, squashed into [0, 1].
    const double per_bar = natr / 100;
    const double z = per_bar > 0 ? f[slope_] * 50 / (per_bar * std::sqrt(50.0)) : 0;
    r.direction = clamp01(0.5 + 0.5 * std::tanh(z / 2));
    // Rank of the current ATR% among its history: the share of values at or below it (in
    // single precision, which ranks ATR% values alike to 7 digits).
    const auto at_or_below =
        std::upper_bound(natr_sorted_.begin(), natr_sorted_.end(), static_cast<float>(natr)) -
        natr_sorted_.begin();
    r.volatility =
        clamp01(static_cast<double>(at_or_below) / static_cast<double>(natr_sorted_.size()));
    r.choppiness = clamp01((f[chop_] - 38.2) / (61.8 - 38.2));
    r.persistence = clamp01(f[hurst_]);
    // Hurst below 0.35 reads as mean-reverting (range-bound), above 0.65 as persistent. A
    // market without a trend is range-bound too, even when its swings are too smooth for the
    // choppiness index (a slow, clean oscillation): the lack of trend counts as a third part.
    const double anti = clamp01((0.65 - f[hurst_]) / 0.3);
    r.range = (r.choppiness + anti + (1 - r.trend)) / 3;
    if (r.trend >= config_.trend_threshold) {
        r.label = r.direction >= 0.5 ? "trend_up" : "trend_down";
        r.score = r.trend;
    } else if (r.volatility >= config_.volatile_threshold) {
        r.label = "volatile";
        r.score = r.volatility;
    } else {
        r.label = "range";
        r.score = r.range;
    }
    return r;
}

} // namespace okxkit::strategy
