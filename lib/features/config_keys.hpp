// The config keys the features module reads (see okxkit-config(5)).
#pragma once

#include "core/config.hpp"

#include <span>

namespace okxkit::features {

// Every key of the config file that features reads, with its type and meaning.
std::span<const core::ConfigKey> config_keys();

} // namespace okxkit::features
