// featurize's config keys: the feature set, the output format and the gap policy.
#include "features/config_keys.hpp"

#include <array>

namespace okxkit::features {

namespace {

using T = core::ConfigType;

constexpr std::array<core::ConfigKey, 3> kKeys{{
    {"featurize.set", T::kString, "feature set file of featurize (like --set)"},
    {"featurize.format", T::kString, "features as array or object (like featurize --format)"},
    {"featurize.gap_policy", T::kString, "reset, missing or ignore after gaps (like --gap-policy)"},
}};

} // namespace

std::span<const core::ConfigKey> config_keys() {
    return kKeys;
}

} // namespace okxkit::features
