// The market regime of one instrument, scored from its confirmed candles' indicators.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::strategy {

struct RegimeConfig {
    double trend_threshold = 0.5;     // trend at or above: trend_up or trend_down
    double volatile_threshold = 0.85; // else volatility at or above: volatile; else range
    std::size_t vol_history = 500;    // ATR% values its rank is taken among
    std::size_t vol_min = 100;        // values needed before the rank counts (warm-up)
};

// Every component is in [0, 1].
struct Regime {
    bool warm = false;
    double adx = 0;         // ADX(14) / 50, capped at 1
    double efficiency = 0;  // Kaufman efficiency ratio over 20 bars
    double r2 = 0;          // R^2 of the least-squares line of log price over 50 bars
    double trend = 0;       // trend strength: the mean of the three above
    double direction = 0;   // 0.5 + 0.5 tanh(z / 2), z the 50-bar log slope in ATR units
    double volatility = 0;  // rank of ATR% (natr_14) among its own last vol_history values
    double choppiness = 0;  // (CHOP(14) - 38.2) / (61.8 - 38.2), clamped
    double persistence = 0; // Hurst estimate over 100 bars, clamped
    double range = 0;       // range-boundness: mean of choppiness, anti-persistence and
                            // 1 - trend
    std::string_view label; // trend_up, trend_down, range, volatile
    double score = 0;       // strength of the label: trend, volatility or range
};

// The components in message order, as (name, value) pairs.
std::vector<std::pair<std::string_view, double>> components(const Regime& r);

class RegimeScorer {
public:
    explicit RegimeScorer(RegimeConfig config = {});
    // The indicators (feature names of lib/features) the score is made of.
    static std::vector<std::string> feature_names();
    // index(name) gives the position of each of feature_names() in the value rows.
    void bind(const std::function<std::size_t(const std::string&)>& index);
    // One closed candle's indicator values (NaN while warming up). O(vol_history).
    const Regime& update(std::span<const double> values);
    [[nodiscard]] const Regime& last() const { return regime_; }
    void reset();
    // Bars the score needs before it is warm (the slowest indicator plus the ATR% history).
    static std::size_t warmup(const RegimeConfig& config);

private:
    RegimeConfig config_;
    std::size_t adx_ = 0, er_ = 0, r2_ = 0, slope_ = 0, natr_ = 0, chop_ = 0, hurst_ = 0;
    std::vector<float> natr_ring_;   // the last vol_history values of natr_14
    std::vector<float> natr_sorted_; // the same values in ascending order
    std::size_t natr_next_ = 0;      // where the next one goes once the ring is full
    Regime regime_;
};

} // namespace okxkit::strategy
