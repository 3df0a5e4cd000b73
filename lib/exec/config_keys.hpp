// The exec module's config keys ([execute]).
#pragma once

#include "core/config.hpp"

#include <span>

namespace okxkit::exec {

std::span<const core::ConfigKey> config_keys();
// risk-guard's own keys ([risk_guard]); its limits and sizing are the risk module's ([risk]).
std::span<const core::ConfigKey> risk_guard_config_keys();

} // namespace okxkit::exec
