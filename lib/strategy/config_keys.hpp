// The strategy module's config keys (select-strategy's options and the per-symbol pins).
#pragma once

#include "core/config.hpp"

#include <span>

namespace okxkit::strategy {

std::span<const core::ConfigKey> config_keys();

} // namespace okxkit::strategy
