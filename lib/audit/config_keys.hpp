// The audit module's config keys ([audit]).
#pragma once

#include "core/config.hpp"

#include <span>

namespace okxkit::audit {

std::span<const core::ConfigKey> config_keys();

} // namespace okxkit::audit
