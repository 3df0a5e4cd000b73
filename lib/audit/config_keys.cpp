// The audit module's config keys.
#include "audit/config_keys.hpp"

#include <array>

namespace okxkit::audit {

namespace {

using T = core::ConfigType;

constexpr std::array<core::ConfigKey, 2> kKeys{{
    {"audit.backup_dir", T::kString, "the folder of audit backup's copies (like --dir)"},
    {"audit.backup_keep", T::kInteger, "how many copies audit backup keeps (like --keep)"},
}};

} // namespace

std::span<const core::ConfigKey> config_keys() {
    return kKeys;
}

} // namespace okxkit::audit
