// Replay of recorded market data: CSV and NDJSON candle files merged into one time-ordered stream.
#pragma once

#include "core/cli.hpp"
#include "core/io.hpp"

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace okxkit::stream {

struct ReplayOptions {
    std::vector<std::string> files;   // "-" is stdin
    std::string inst;                 // instrument of CSV inputs (overrides the file name)
    std::string bar;                  // bar of CSV inputs (overrides the file name)
    std::optional<std::int64_t> from; // keep ts >= from (ms)
    std::optional<std::int64_t> to;   // keep ts < to (ms)
    double speed = 0;                 // 0 = as fast as possible, else N x real time
    bool strict = false;              // stop at the first malformed line (exit 3)
    std::size_t max_line = core::kDefaultMaxLine;
    std::string store_path; // empty: do not store
    std::string run_id = "default";
    std::string source;                   // label stored with candles; empty: "replay:<file name>"
    std::size_t max_errors_per_file = 20; // diagnostics shown per file before a summary
    // Inputs already open, one per entry of files (which then only names them, for the format
    // and the CSV instrument and bar): tests and fuzz targets replay text without files.
    std::vector<std::istream*> streams;
};

struct ReplayStats {
    std::uint64_t emitted = 0;     // lines written to out
    std::uint64_t candles = 0;     // confirmed candles among them
    std::uint64_t bad = 0;         // malformed or rejected input lines
    std::uint64_t rows = 0;        // valid input rows read (before --from/--to and duplicates)
    std::uint64_t array_bytes = 0; // size of the JSON-array (freqtrade) files, read whole
    std::int64_t stored = 0;       // candles upserted into the store
};

// Reads every file, validates each row (see okx-stream(1): OHLC invariants, positive prices,
// non-negative volume, time strictly increasing per instrument and bar), and writes the
// valid ones to out in event-time order, ties broken by instrument, then bar, then file
// order. CSV rows become candle messages with confirm:true; NDJSON lines are written byte
// for byte. Bad rows get one diagnostic (file:line) and are skipped.
// Returns the exit code: 0, 3 (--strict stopped at a bad line), 130/143 (interrupted); in
// every case what was emitted is flushed and what was stored is committed.
// Throws UsageError (a CSV file without instrument or bar, --from >= --to) before any
// output, RuntimeError on I/O or store failures. Cost: O(log files) per row.
int replay(const ReplayOptions& options, core::Output& out, ReplayStats* stats = nullptr);

// Splits a file name like "BTC-USDT_1m.csv" or "path/BTCUSDT_1h.csv" into an instrument
// and an OKX bar ("BTC-USDT", "1m"; "BTC-USDT", "1H"). nullopt when it does not fit.
std::optional<std::pair<std::string, std::string>> inst_bar_from_filename(const std::string& path);

} // namespace okxkit::stream
