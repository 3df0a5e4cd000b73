// okx-builder's backtest button: a strategy file run in paper mode on the bundled samples by the
// README's backtest pipeline, as child processes, its audit report cached by what went in.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::builder {

// The bytes of a child's stderr that are kept: the end, where the error is.
constexpr std::size_t kStderrTail = std::size_t{16} * 1024;

// An answer of the API: HTTP status and JSON body (without the final newline).
struct Answer {
    int status = 200;
    std::string body;
};

// The lower-case hex SHA-256 of bytes (OpenSSL). O(n).
std::string sha256_hex(std::string_view bytes);

// A backtest's id: the hex SHA-256 of the okxkit version, the strategy file's bytes and each
// sample's file name and bytes, in the order given, every part preceded by its length so that
// no two different inputs make the same stream. Throws core::RuntimeError when a sample cannot
// be read. Cost: one pass over the samples (8 files, 3.7 MB: about 10 ms).
std::string backtest_id(std::string_view version, std::string_view strategy,
                        const std::vector<std::filesystem::path>& samples);

// Whether s can be a backtest id: 64 lower-case hex digits.
bool is_backtest_id(std::string_view s);

// The environment of a child ("NAME=VALUE" each) from env (a null-terminated array, as
// environ): PATH, HOME, LANG, LC_*, TZ, TMPDIR and XDG_* only, so that no OKX_* key, no
// OKXKIT_CONFIG, OKXKIT_STORE or OKXKIT_RUN and nothing else reaches it; XDG_CONFIG_HOME is
// config_home (a folder holding an empty okxkit/config.toml).
std::vector<std::string> child_environment(const char* const* env, const std::string& config_home);

// How a stage of a run ended.
struct StageEnd {
    int status = 0;   // the exit status, or 128 + the signal that killed it
    std::string tail; // the end of what it wrote on stderr (at most kStderrTail bytes)
    std::uint64_t stderr_bytes = 0;
};

// The backtests of one folder: DIR/.okx-builder/backtests/ID/ holds each run's strategy.toml
// (the bytes run), config/okxkit/config.toml (empty), store.db, command.json, stderr.log and,
// written last by a rename, report.json: a folder counts as done only once report.json is there.
// One backtest runs at a time; a request that finds one running gets 409.
class Backtests {
public:
    // cache: the folder of the runs (made when needed); tools: the folder of okx-stream,
    // select-strategy, risk-guard, execute and audit; samples: the folder of *_5m.csv; timeout:
    // how long a run may take before its children are killed.
    Backtests(std::filesystem::path cache, std::filesystem::path tools,
              std::filesystem::path samples, std::chrono::seconds timeout);

    // The backtest of a valid strategy file of this kind ("ml" is refused with 422: it needs a
    // models store), from the cache when its id has a report, else run: 200 with
    // {"id","cached","version","command":[[argv]...],"report":{audit report}}; 409 when another
    // backtest is running; 500 with {"error"} saying which stage failed and the end of its
    // stderr, or that the run took too long. Never throws.
    Answer run(const std::filesystem::path& file, std::string_view kind);

    // The saved answer of id ("cached":true): 400 when id is not 64 hex digits, 404 when there is
    // no finished run of it. Never throws.
    [[nodiscard]] Answer saved(std::string_view id) const;

private:
    [[nodiscard]] std::optional<std::string> saved_body(const std::string& id) const;
    Answer run_locked(const std::string& id, const std::string& strategy,
                      const std::vector<std::filesystem::path>& samples);

    std::filesystem::path cache_;
    std::filesystem::path tools_;
    std::filesystem::path samples_;
    std::chrono::seconds timeout_;
    std::mutex running_;
};

// Runs the stages (argv each, argv[0] an absolute path run as is: no shell, no PATH lookup)
// as one pipeline: stdin of the first /dev/null, stdout of each into the next, stdout of the
// last to out_fd (/dev/null when -1), each stderr into a pipe of its own of which the last
// kStderrTail bytes are kept. The children get env, a process group of their own, SIGKILL when
// the thread that started them dies, and are killed when deadline passes or a stop was asked
// for (core::interrupted()); *stopped then says why ("" when not). Waits for every child: the
// cost is the children's, plus a wake-up every 200 ms to look at the deadline.
std::vector<StageEnd> run_pipeline(const std::vector<std::vector<std::string>>& stages,
                                   const std::vector<std::string>& env, int out_fd,
                                   std::chrono::steady_clock::time_point deadline,
                                   std::string* stopped);

} // namespace okxkit::builder
