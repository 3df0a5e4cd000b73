// The config keys the stream module reads (see okxkit-config(5)).
#pragma once

#include "core/config.hpp"

#include <span>

namespace okxkit::stream {

// Every key of the config file that stream reads, with its type and meaning.
std::span<const core::ConfigKey> config_keys();

} // namespace okxkit::stream
