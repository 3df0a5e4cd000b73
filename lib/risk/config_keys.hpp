// The risk module's config keys ([risk] and its per-instrument tables), shared by risk-guard
// and execute, and the limits they describe.
#pragma once

#include "core/config.hpp"
#include "risk/risk.hpp"

#include <span>

namespace okxkit::risk {

std::span<const core::ConfigKey> config_keys();

// The limits of [risk] (global) and of [risk.inst.INST] (each key of an instrument's table
// overrides the global one for that instrument). Keys left out keep the defaults of Limits.
// Throws core::UsageError naming the file and key for a value out of range.
struct ConfiguredLimits {
    Limits global;
    std::map<std::string, Limits, std::less<>> per_inst;
};
ConfiguredLimits limits_from(const core::ConfigNode& root);

// How risk-guard sizes an entry and which exits it attaches: [risk] sizing keys and
// [risk.ladder]. Keys left out keep the defaults of SizingConfig and LadderConfig.
struct GuardConfig {
    SizingConfig sizing;
    LadderConfig ladder;
    bool ladder_enabled = true;
};
GuardConfig guard_config_from(const core::ConfigNode& root);

} // namespace okxkit::risk
