// The featurize tool: NDJSON candles in, the same lines plus feature_schema and features
// messages out (see featurize(1)).
#pragma once

#include "core/io.hpp"
#include "features/engine.hpp"

#include <cstdint>

namespace okxkit::features {

struct FeaturizeOptions {
    FeatureSet set = FeatureSet::default_set();
    GapPolicy gap_policy = GapPolicy::kReset;
    bool object_format = false;  // "f" as {name: value} instead of an array
    bool strict = false;         // stop with exit 3 at the first malformed line
    std::size_t max_errors = 20; // diagnostics shown before a summary
};

struct FeaturizeStats {
    std::uint64_t lines = 0;    // input lines
    std::uint64_t candles = 0;  // confirmed candles featurized
    std::uint64_t features = 0; // features messages written
    std::uint64_t bad = 0;      // malformed or rejected lines (skipped)
};

// Reads NDJSON lines from in and writes every valid line through unchanged, in input order,
// followed by what it causes: a feature_schema message before the first features message of
// each bar, and one features message per confirmed candle (possibly after a later line, when
// it waits for BTC-USDT's candle of its time; see Engine). Bad lines (not JSON, not a valid
// message, a candle that breaks the OHLCV checks or is not after the previous one of its
// instrument and bar) get one diagnostic "line N: reason" and are skipped.
// Returns the exit code: 0, 3 (strict stop), 130/143 (interrupted); output is flushed in every
// case. Throws BrokenPipe and RuntimeError from the output. Cost: O(1) per candle plus the
// formatting of the features.
int featurize(const FeaturizeOptions& options, core::LineReader& in, core::Output& out,
              FeaturizeStats* stats = nullptr);

// Writes the --list table: "name<TAB>group<TAB>warm-up<TAB>definition", one line per feature.
void write_list(const FeatureSet& set, core::Output& out);

} // namespace okxkit::features
