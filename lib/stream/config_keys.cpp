// okx-stream's config keys: bars and replay settings.
#include "stream/config_keys.hpp"

#include <array>

namespace okxkit::stream {

namespace {

using T = core::ConfigType;

constexpr std::array<core::ConfigKey, 3> kKeys{{
    {"bars", T::kStrings, "candle bars to stream (default: 1m)"},
    {"replay.speed", T::kNumber, "replay pace as a multiple of real time; 0 = as fast as possible"},
    {"replay.source", T::kString, "source label stored with replayed candles"},
}};

} // namespace

std::span<const core::ConfigKey> config_keys() {
    return kKeys;
}

} // namespace okxkit::stream
