// Training data: feature matrices from stored candles or features NDJSON, forward-return
// labels, and purged walk-forward splits.
#pragma once

#include "features/engine.hpp"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace okxkit::store {
class Store;
}
namespace okxkit::core {
class LineReader;
}

namespace okxkit::ml {

// The feature rows of one series (instrument and bar) in time order.
struct Dataset {
    std::string inst;
    std::string bar;
    std::int64_t bar_ms = 0;
    std::string schema;             // FeatureSet::hash() of the columns
    std::vector<std::string> names; // column names
    std::vector<std::int64_t> ts;   // candle open time per row, strictly increasing
    std::vector<double> close;      // candle close per row
    std::vector<float> x;           // rows * cols, row-major, NaN = null

    [[nodiscard]] std::size_t rows() const { return ts.size(); }
    [[nodiscard]] std::size_t cols() const { return names.size(); }
    [[nodiscard]] const float* row(std::size_t i) const { return x.data() + i * cols(); }
};

// A stored candle as the dataset builder takes it.
struct CandleIn {
    std::int64_t ts = 0;
    double o = 0, h = 0, l = 0, c = 0, vol = 0;
};

// Candles of (inst, bar) from the store's candles table with from <= ts < to, in time order.
std::vector<CandleIn> load_candles(store::Store& store, const std::string& inst,
                                   const std::string& bar, std::int64_t from, std::int64_t to);

// Instruments that have candles of bar in the store, sorted.
std::vector<std::string> stored_insts(store::Store& store, const std::string& bar);

// Features of inst from its candles, computed by the same features::Engine that featurize
// runs (gap policy reset); `reference` holds BTC-USDT's candles of the same bar for the
// cross-asset features (empty when inst is BTC-USDT or none are stored). One row per candle.
Dataset build_dataset(const features::FeatureSet& set, const std::string& inst,
                      const std::string& bar, const std::vector<CandleIn>& candles,
                      const std::vector<CandleIn>& reference);

struct ReadOptions {
    bool strict = false;         // stop at the first bad line (core::InputError, exit 3)
    std::size_t max_errors = 20; // diagnostics shown before they are only counted
};

// Datasets from NDJSON as featurize writes it: feature_schema, then candles and their
// features messages (the close comes from the candle with the same inst, bar and ts). One
// dataset per (inst, bar) in order of first appearance; other kinds, and later versions of
// these, are not read. A bad line (not JSON, not a valid message, features without their
// schema or candle, out of order, a schema change within a series) gets one diagnostic
// "[FILE:]LINE: reason" and is skipped; with strict it throws core::InputError instead.
// SIGINT/SIGTERM while reading throw core::Error with the interrupt's exit code: a truncated
// input yields no datasets. O(lines).
std::vector<Dataset> read_feature_datasets(core::LineReader& in, const ReadOptions& options = {});

// A row is ready (used for training, and predicted on) when at most this share of its
// features is null: rows still warming up after the start or a gap are left out.
inline constexpr double kMaxNullFrac = 0.5;
bool row_ready(const float* row, std::size_t cols, double max_null_frac = kMaxNullFrac);

// Labelled rows: forward log return over `horizon` bars, ret[i] = ln(close[j] / close[i])
// where row j is the candle exactly horizon bars after row i (ts[j] = ts[i] + horizon*bar_ms).
// Rows without that candle (end of data, a gap) and rows still warming up (more than
// max_null_frac of their features null) are dropped. up[i] = 1 when ret[i] > threshold.
struct Labelled {
    Dataset data; // the kept rows
    std::vector<double> ret;
    std::vector<float> up;
    int horizon = 0;
    double threshold = 0;
};
Labelled make_labels(const Dataset& d, int horizon, double threshold,
                     double max_null_frac = kMaxNullFrac);

// Row index ranges [begin, end) of one walk-forward fold.
struct Fold {
    std::size_t train_begin = 0, train_end = 0;
    std::size_t valid_begin = 0, valid_end = 0;
    std::size_t test_begin = 0, test_end = 0;
};

struct SplitOptions {
    int folds = 3;           // consecutive test blocks at the end of the data
    double test_frac = 0.25; // share of rows in all test blocks together
    double valid_frac = 0.2; // share of each fold's pre-test rows used for early stopping
    int embargo = 0;         // bars; must be >= horizon
};

// The last row index e (exclusive) of a block that must end before row `start`, purged:
// every row i < e satisfies ts[i] + embargo * bar_ms < ts[start], so a row's label window
// (its next `horizon` <= embargo bars) ends before the first row of the following block.
std::size_t purged_end(const std::vector<std::int64_t>& ts, std::int64_t bar_ms, int embargo,
                       std::size_t start);

// Expanding-window walk-forward folds over rows with times ts: fold k tests on block k of the
// last test_frac of rows; before it (purged) its validation rows, before those (purged) its
// training rows from row 0. Throws core::UsageError when embargo < horizon. Returns no folds
// when there are too few rows for every fold to have min_rows rows in each block.
std::vector<Fold> walk_forward(const std::vector<std::int64_t>& ts, std::int64_t bar_ms,
                               int horizon, const SplitOptions& opt, std::size_t min_rows = 50);

} // namespace okxkit::ml
