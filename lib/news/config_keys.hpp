// The news module's config keys ([news]).
#pragma once

#include "core/config.hpp"

#include <span>

namespace okxkit::news {

std::span<const core::ConfigKey> config_keys();

} // namespace okxkit::news
