// The predict tool: the champion ensemble (or a chosen model) per instrument and bar turns
// each confirmed candle's features into a prediction message (see predict(1)).
#pragma once

#include "core/io.hpp"
#include "features/engine.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace okxkit::ml {

struct PredictOptions {
    std::string store_path;           // where champions are looked up (and model ids)
    std::optional<std::string> model; // --model ID or FILE: that model only, for its series
    features::FeatureSet set = features::FeatureSet::default_set(); // for candle input
    std::int64_t max_age_ms = 7LL * 86400000; // refuse a model older than this (event time)
    std::size_t drift_window = 288;           // rows per series in the drift check; 0 turns it off
    bool drop_features = false; // features lines are read, not written on (--drop-features)
    bool strict = false;
    std::size_t max_errors = 20;
};

// The fields of a features line as featurize writes it:
// {"type":"features","v":1,"ts":N,"inst":"X","bar":"B","schema":"H","f":[...]}.
struct FeaturesLine {
    std::int64_t ts = 0;
    std::string_view inst, bar, schema;
};

// predict's hot path: reads such a line without a JSON tree, the values of f into row (null =
// NaN), in exactly the JSON grammar (json_scan.hpp). False for anything else, and the general
// path (validate_message) judges the line; a line it takes is one the general path accepts with
// the same fields (fuzz/fuzz_features_fast checks this). O(length).
bool read_features_fast(std::string_view s, FeaturesLine& out, std::vector<float>& row);

struct PredictStats {
    std::uint64_t lines = 0;
    std::uint64_t predictions = 0;
    std::uint64_t bad = 0;
};

// Reads NDJSON from in and writes every valid line through unchanged, in order. Per
// confirmed candle of a series with a model it adds one prediction message: from a features
// message when the input has them (a feature_schema line of that bar was seen; featurize's
// output), else from features computed in-process by the same engine featurize runs.
// Refuses (throws core::Error with exit 4, after flushing what was written) a model whose
// feature schema differs from the input's, and a model whose data ends more than max_age
// before the candle being predicted. With a drift window, each series' predicted rows are
// compared with the model's training rows (see drift.hpp), and a health message follows the
// prediction at which the drift alarm is raised or cleared. Returns 0, 3 (strict stop) or
// 130/143.
int predict(const PredictOptions& options, core::LineReader& in, core::Output& out,
            PredictStats* stats = nullptr);

// How predict opens its store: it must exist already (predict never creates one), and the
// error names the commands that fill it.
store::Store::Options existing_store();

} // namespace okxkit::ml
