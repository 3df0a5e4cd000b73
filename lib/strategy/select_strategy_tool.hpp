// select-strategy's command line: the tool's entry point, apart from the library code it drives.
#pragma once

#include "core/cli.hpp"

namespace okxkit::strategy {

// The option table of select-strategy and its body (run by core::run_tool).
const core::ToolSpec& select_strategy_spec();
int select_strategy_main(const core::Options& options);

} // namespace okxkit::strategy
