// The exec module's config keys ([execute]).
#pragma once

#include "core/config.hpp"

#include <span>

namespace okxkit::exec {

std::span<const core::ConfigKey> config_keys();

} // namespace okxkit::exec
