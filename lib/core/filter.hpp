// The NDJSON filter loop every pipeline stage runs (featurize, predict, and the decision and
// execution stages): numbered lines, validation, pass-through, diagnostics, --strict, signals.
#pragma once

#include "core/io.hpp"
#include "core/message.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

namespace okxkit::core {

struct FilterOptions {
    bool strict = false;         // stop at the first bad line with exit 3
    std::size_t max_errors = 20; // bad-line diagnostics shown before they are only counted
};

struct FilterStats {
    std::uint64_t lines = 0;  // input lines read
    std::uint64_t bad = 0;    // reported and skipped (not JSON, invalid, rejected by the stage)
    std::uint64_t passed = 0; // input lines written through unchanged
    std::uint64_t newer = 0;  // known kinds of a later version, passed on untouched
    std::uint64_t used = 0;   // lines the stage acted on (Filter::used): featurized, predicted
};

// A valid message of a kind and version this build knows, as the general path hands it over.
struct Message {
    std::string_view text;      // the line, byte for byte as read (without its newline)
    const nlohmann::json& json; // parsed and validated by validate_message
    std::string_view type;
    const KindSpec& kind;
};

class Filter;

// What one stage does with the lines of its input.
class FilterStage {
public:
    FilterStage() = default;
    virtual ~FilterStage() = default;
    FilterStage(const FilterStage&) = delete;
    FilterStage& operator=(const FilterStage&) = delete;

    enum class Fast {
        kTaken,   // the stage read, checked and handled the line itself
        kGeneral, // the general path should judge it (anything unusual goes there)
    };
    // The fast path, tried first on every line: a stage reads its hot kind without a JSON tree.
    // It may only take a line that is a valid message of a version it understands (exact JSON
    // grammar: see json_scan.hpp), and must act on it as message() would; on anything else it
    // returns kGeneral without having written or changed anything.
    virtual Fast fast(Filter& filter, std::string_view line);
    // A valid message of a known kind and version, in input order. The stage writes it through
    // (Filter::pass) and acts on it, or rejects it (Filter::reject) before writing anything.
    // Unknown kinds and later versions never reach the stage: the loop passes them on.
    virtual void message(Filter& filter, const Message& msg) = 0;
    // End of input (not after an interrupt or a --strict stop): write what is still pending.
    virtual void finish(Filter& filter);
    // What to tell a user whose input had nothing the stage could use (see Filter::run), from
    // the first rejected line and its reason; "" when the stage has nothing to add to the
    // loop's own hint (a candle CSV given where NDJSON messages are read).
    virtual std::string hint(std::string_view first_bad, std::string_view reason);
    // The next read would wait for input (a live stream is quiet): a stage that keeps rows for
    // the store writes them now, or returns in how many milliseconds it wants to be asked again
    // if no input comes by then (a stage that writes at most so often: in a pipeline with
    // barriers the input pauses thousands of times a second). Negative: not again until input
    // came. The loop flushes its output right after.
    virtual int idle(Filter& filter);
};

// The loop. A line goes through, in order:
//   1. the length cap (LineReader: longer than --max-line: bad);
//   2. a UTF-8 byte order mark: at the start of the input it is dropped with a note; anywhere
//      else the line is bad;
//   3. the stage's fast path;
//   4. JSON parsing (nlohmann: strict grammar and UTF-8) and validate_message;
//   5. a kind this build does not know: written through untouched; a known kind whose "v" is
//      higher than it understands: written through untouched, never acted on, with one warning
//      per kind; else the stage's message().
// A bad line gets one diagnostic, "tool: error: [FILE:]LINE: reason" (at most max_errors of
// them, then a count), and is skipped: nothing of it is written. With strict the loop stops
// there with exit 3. Either way everything accepted before is written and flushed.
// An input that had bad lines and nothing the stage could use (no line counted by used()) does
// not end as a success: the loop says so with a count and a hint and returns exit 3.
// SIGINT/SIGTERM end the loop after the line in hand (exit 130/143). Output is flushed when the
// next read would wait for input, and at the end; a failed write (a full disk, /dev/full)
// throws RuntimeError (exit 1) and a reader that went away BrokenPipe (141), never silently.
class Filter {
public:
    // input_name: the input's file name for diagnostics, "" for standard input ("line N:").
    Filter(Output& out, FilterOptions options, std::string input_name = {});

    // Runs the loop over in to its end; returns 0, 3 (strict stop, or bad lines and nothing
    // usable) or 130/143 (interrupted).
    // Errors of the stage (core::Error such as a refusal, exit 4) propagate after the output
    // was flushed.
    int run(LineReader& in, FilterStage& stage);

    // Writes text and a newline: the current line (or any of the stage's own lines) through.
    void pass(std::string_view text);
    // The current line is bad: diagnostic, counted, skipped; with strict the loop stops (the
    // stage returns normally from this call only without strict). Call before writing anything
    // of the line.
    void reject(const std::string& reason);
    // The stage acted on the current line (featurized it, predicted from it): the input held
    // something usable.
    void used() { ++stats_.used; }

    [[nodiscard]] Output& out() { return out_; }
    [[nodiscard]] std::uint64_t line_no() const { return line_no_; }
    [[nodiscard]] const FilterStats& stats() const { return stats_; }
    [[nodiscard]] const FilterOptions& options() const { return options_; }

private:
    void line(std::string_view text, FilterStage& stage);
    void bad(const std::string& reason);
    void summary() const;
    [[nodiscard]] bool nothing_usable(FilterStage& stage) const;

    Output& out_;
    FilterOptions options_;
    std::string input_name_;
    std::uint64_t line_no_ = 0;
    std::uint64_t current_passed_ = 0; // stats_.passed when the current line began
    std::string_view current_;         // the current line's text (empty when too long)
    std::string first_bad_;            // the first bad line, clipped, and its reason
    std::string first_reason_;
    std::uint64_t first_bad_no_ = 0;
    FilterStats stats_;
    std::set<std::string, std::less<>> newer_warned_;
};

} // namespace okxkit::core
