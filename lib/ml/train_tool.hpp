// train's command line: the tool's entry point, apart from the library code it drives.
#pragma once

#include "core/cli.hpp"

namespace okxkit::ml {

// The option table of train and its body (run by core::run_tool).
const core::ToolSpec& train_spec();
int train_main(const core::Options& options);

} // namespace okxkit::ml
