// The ml module's config keys: train's defaults and predict's refusals.
#include "ml/config_keys.hpp"

#include <array>

namespace okxkit::ml {

namespace {

using T = core::ConfigType;

constexpr std::array<core::ConfigKey, 9> kKeys{{
    {"train.bar", T::kString, "candle bar train works on (like train --bar)"},
    {"train.horizon", T::kInteger, "label horizon in bars (like train --horizon)"},
    {"train.folds", T::kInteger, "walk-forward folds (like train --folds)"},
    {"train.members", T::kInteger, "boosters per ensemble (like train --members)"},
    {"train.rounds", T::kInteger, "most boosting rounds per booster (like train --rounds)"},
    {"train.threads", T::kInteger, "XGBoost threads (like train --threads)"},
    {"train.window", T::kString, "stored history to train on, e.g. 30d (like train --window)"},
    {"train.every", T::kString, "do not retrain a series within this duration (like --every)"},
    {"predict.max_age", T::kString, "refuse models older than this, e.g. 7d (like --max-age)"},
}};

} // namespace

std::span<const core::ConfigKey> config_keys() {
    return kKeys;
}

} // namespace okxkit::ml
