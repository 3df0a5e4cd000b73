// The strategy module's config keys.
#include "strategy/config_keys.hpp"

#include <array>

namespace okxkit::strategy {

namespace {

using T = core::ConfigType;

constexpr std::array<core::ConfigKey, 16> kKeys{{
    {"strategy.bar", T::kString, "the candle bar select-strategy decides on (like --bar)"},
    {"strategy.candidates", T::kStrings,
     "strategies the selector chooses among: kinds or strategy files (like --strategies)"},
    {"strategy.eval_every", T::kString, "how often the selector re-evaluates (like --eval-every)"},
    {"strategy.min_hold", T::kString, "least time a strategy holds before a switch (--min-hold)"},
    {"strategy.hysteresis", T::kNumber,
     "how much a challenger must beat the incumbent by (like --hysteresis)"},
    {"strategy.pnl_window", T::kString, "trailing window of the signal P&L (like --pnl-window)"},
    {"strategy.on_switch", T::kString,
     "keep or flatten the old exposure on a switch (--on-switch)"},
    {"strategy.weight_regime", T::kNumber, "weight of the regime fit in the suitability"},
    {"strategy.weight_pnl", T::kNumber, "weight of the signal-P&L score in the suitability"},
    {"strategy.pnl_scale", T::kNumber,
     "signal P&L (log return) that scores 0.5 + 0.5 tanh(1) in the suitability"},
    {"strategy.trend_threshold", T::kNumber, "trend strength from which the label is a trend"},
    {"strategy.volatile_threshold", T::kNumber, "volatility rank from which the label is volatile"},
    {"strategy.pin", T::kTable, "per-symbol pins: [strategy.pin.BTC-USDT] (no auto-selection)"},
    {"strategy.pin.*.kind", T::kString, "a pinned symbol's strategy kind (built-in defaults)"},
    {"strategy.pin.*.file", T::kString, "a pinned symbol's strategy file (instead of kind)"},
    {"strategy.max_evaluations", T::kInteger,
     "evaluations --status looks back over for switches (like --evaluations)"},
}};

} // namespace

std::span<const core::ConfigKey> config_keys() {
    return kKeys;
}

} // namespace okxkit::strategy
