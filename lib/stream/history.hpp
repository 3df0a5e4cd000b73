// History mode of okx-stream: confirmed candles fetched from OKX REST, merged in time order.
#pragma once

#include "core/io.hpp"
#include "okx/rest.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace okxkit::stream {

struct HistoryOptions {
    std::vector<std::string> insts;       // normalised instIds
    std::string bar = "1m";               // OKX bar name
    std::optional<std::int64_t> since;    // first bar time wanted (ms)
    std::optional<std::int64_t> backfill; // or: this long before the server's now (ms)
    std::optional<std::int64_t> until;    // stop before this time (default: the server's now)
    okx::RestOptions rest;
    std::string store_path; // empty: do not store
    std::string run_id = "default";
    std::string record_path; // empty: no tape
};

// The options a tape's header recorded (see okx::TapeWriter::header), for its replay.
// Throws core::UsageError when the header lacks them.
HistoryOptions history_options_from_tape(const nlohmann::json& header,
                                         const std::string& where = "tape header");

struct HistoryStats {
    std::uint64_t candles = 0;
    std::uint64_t gaps = 0;
    std::uint64_t requests = 0;
};

// Fetches the closed candles of every instrument with since <= ts < until from the REST API,
// and writes them to out oldest first, ties broken by instrument (as a replay would). A bar
// is closed when ts + bar <= the server's now; the one still forming is never written. Where
// OKX has no bars (an exchange outage), a gap message (cause "missing", ts = the first missing
// bar) comes before the next candle. Returns 0, or the interrupt exit code; what was written
// is flushed and what was stored committed. Throws OkxError when OKX stays unavailable
// (exit 5), UsageError for an empty range.
int history(const HistoryOptions& options, core::Output& out, HistoryStats* stats = nullptr);

} // namespace okxkit::stream
