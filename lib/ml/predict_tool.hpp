// predict's command line: the tool's entry point, apart from the library code it drives.
#pragma once

#include "core/cli.hpp"

namespace okxkit::ml {

// The option table of predict and its body (run by core::run_tool).
const core::ToolSpec& predict_spec();
int predict_main(const core::Options& options);

} // namespace okxkit::ml
