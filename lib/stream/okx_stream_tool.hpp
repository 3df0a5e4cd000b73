// okx-stream's command line: the tool's entry point, apart from the library code it drives.
#pragma once

#include "core/cli.hpp"

namespace okxkit::stream {

// The option table of okx-stream and its body (run by core::run_tool).
const core::ToolSpec& okx_stream_spec();
int okx_stream_main(const core::Options& options);

} // namespace okxkit::stream
