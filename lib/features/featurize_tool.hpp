// featurize's command line: the tool's entry point, apart from the library code it drives.
#pragma once

#include "core/cli.hpp"

namespace okxkit::features {

// The option table of featurize and its body (run by core::run_tool).
const core::ToolSpec& featurize_spec();
int featurize_main(const core::Options& options);

} // namespace okxkit::features
