// execute's command line and its stage: approved intents become orders on the paper exchange,
// candles fill them, and order, fill, position and portfolio lines go out.
#pragma once

#include "core/cli.hpp"
#include "core/io.hpp"
#include "exec/paper.hpp"
#include "risk/config_keys.hpp"

#include <cstdint>
#include <string>

namespace okxkit::exec {

struct ExecuteOptions {
    std::string bar = "5m"; // the candles that fill orders and mark positions
    PaperConfig paper;
    bool breakeven_after_tp1 = true;
    risk::ConfiguredLimits limits;
    std::string store_path; // empty: no store
    std::string run_id = "default";
    bool strict = false;
    std::size_t max_errors = 20;
};

struct ExecuteStats {
    std::uint64_t candles = 0;
    std::uint64_t intents = 0;
    std::uint64_t unapproved = 0; // intents passed on: not approved by risk-guard
    std::uint64_t orders = 0;
    std::uint64_t fills = 0;
    std::uint64_t refused = 0; // by the hard limits
    std::uint64_t syncs = 0;
    std::uint64_t reconciled = 0; // demo, live: differences between the journal and OKX
    double start_equity = 0;
    double end_equity = 0;
    double max_drawdown = 0;
};

// The filter loop over in: returns the loop's exit code. O(lines + orders per candle).
int execute(const ExecuteOptions& o, core::LineReader& in, core::Output& out,
            ExecuteStats* stats = nullptr);

// A client order id as OKX takes it (at most 32 letters and digits): "o" and 11 base-62 digits
// of a 64-bit hash of the run, strategy, instrument, event time and leg. The same intent in the
// same run always gets the same id, so a replay cannot place it twice.
std::string client_order_id(std::string_view run, std::string_view strategy, std::string_view inst,
                            std::int64_t ts, std::string_view leg);

const core::ToolSpec& execute_spec();
int execute_main(const core::Options& options);

} // namespace okxkit::exec
