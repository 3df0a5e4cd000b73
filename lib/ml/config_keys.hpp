// The config keys the ml module reads (see okxkit-config(5)).
#pragma once

#include "core/config.hpp"

#include <span>

namespace okxkit::ml {

// Every key of the config file that ml reads, with its type and meaning.
std::span<const core::ConfigKey> config_keys();

} // namespace okxkit::ml
