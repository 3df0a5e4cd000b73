// select-strategy's command line: the tool's entry point, apart from the library code it drives.
#pragma once

#include "core/bar.hpp"
#include "core/cli.hpp"
#include "strategy/params.hpp"

#include <string>

namespace okxkit::strategy {

// The option table of select-strategy and its body (run by core::run_tool).
const core::ToolSpec& select_strategy_spec();
int select_strategy_main(const core::Options& options);

// What --compile prints for the strategy c of file: the shell pipeline that runs it on bar
// for symbols ("BTC-USDT,ETH-USDT"), backfilled over its warm-up first, and the crontab lines.
std::string compile_pipeline(const StrategyConfig& c, const std::string& file, const core::Bar& bar,
                             const std::string& symbols, const std::string& store,
                             const std::string& run);

} // namespace okxkit::strategy
