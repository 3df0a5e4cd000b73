// The config keys the okx module reads (see okxkit-config(5)).
#pragma once

#include "core/config.hpp"

#include <span>

namespace okxkit::okx {

// Every key of the config file that okx reads, with its type and meaning.
std::span<const core::ConfigKey> config_keys();

} // namespace okxkit::okx
