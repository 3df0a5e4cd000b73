// The select-strategy stage: per instrument, the regime score, AutoConfig, the periodic
// selector with hysteresis and a minimum hold, and the assigned strategy's signals and intents
// (see select-strategy(1)).
#pragma once

#include "core/io.hpp"
#include "strategy/params.hpp"
#include "strategy/regime.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace okxkit::strategy {

struct SelectOptions {
    std::string bar = "5m"; // the bar decisions are made on; other bars pass through
    std::int64_t bar_ms = 300000;
    std::vector<StrategyConfig> candidates; // in order: ties go to the earlier one
    // Pinned instruments: their strategy, and where the pin was written ("FILE:LINE").
    std::map<std::string, StrategyConfig, std::less<>> pinned;
    std::map<std::string, std::string, std::less<>> pin_origin;
    RegimeConfig regime;
    std::int64_t eval_every_ms = 6 * 3600000LL;
    std::int64_t min_hold_ms = 24 * 3600000LL;
    double hysteresis = 0.1;    // the challenger must beat the incumbent by this much
    double weight_regime = 0.6; // suitability = weights (normalised) of regime fit and
    double weight_pnl = 0.4;    // the signal-P&L score
    std::int64_t pnl_window_ms = 3 * 86400000LL;
    double pnl_scale = 0.02; // a trailing signal P&L of this log return scores 0.5+0.5 tanh 1
    double fee = 0.001;      // charged per unit of change of position in the signal P&L
    bool flatten_on_switch = false; // on a switch: flatten the old strategy's exposure, or keep
    bool explain = false;           // the decision path of every evaluation on stderr
    std::string store_path;         // evaluations and assignments; "" for none
    std::string run_id = "default";
    bool strict = false;
    std::size_t max_errors = 20;
};

struct SelectStats {
    std::uint64_t candles = 0;
    std::uint64_t evaluations = 0;
    std::uint64_t assignments = 0; // first assignments and switches
    std::uint64_t switches = 0;
    std::uint64_t signals = 0;
    std::uint64_t intents = 0;
};

// Reads NDJSON from in and writes every valid line through unchanged, in order, followed per
// confirmed candle of the bar by what it decides: regime (at every evaluation), assignment
// (first assignment and switches), signal and intent lines of the assigned strategy.
// Every evaluation and assignment also goes to the store (when store_path is set). Returns
// 0, 3 (strict stop, or nothing usable) or 130/143.
int select_strategy(const SelectOptions& options, core::LineReader& in, core::Output& out,
                    SelectStats* stats = nullptr);

} // namespace okxkit::strategy
