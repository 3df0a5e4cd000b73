// Diagnostics on stderr: "tool: level: message", or JSON lines with --log-json.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace okxkit::core {

enum class Level { kError, kWarning, kNote, kDebug };

// Process-wide diagnostics. Errors always print; warnings unless quiet; notes with
// verbosity >= 1; debug with >= 2. Each diagnostic is one write(2) to stderr, so lines of
// concurrent tools never interleave. Text is printed as given: never pass a secret.
class Log {
public:
    // verbosity: -1 quiet, 0 default, 1 -v, 2 -vv.
    static void init(std::string_view tool, int verbosity, bool json);
    static void emit(Level level, std::string_view msg);
    // A diagnostic about input: "tool: error: FILE:LINE: msg" (file empty: "line N: msg").
    static void emit_at(Level level, std::string_view file, std::uint64_t line,
                        std::string_view msg);
    static void error(std::string_view msg) { emit(Level::kError, msg); }
    // Output a person asked for on stderr (select-strategy --explain): "tool: msg", shown at
    // any verbosity but -q; with --log-json one JSON line at level "explain".
    static void explain(std::string_view msg);
    // The same with members for --log-json's line: fields is JSON object members without
    // braces ("inst":"BTC-USDT","holds":["golden"]), written after "msg".
    static void explain(std::string_view msg, std::string_view fields);
    static void warning(std::string_view msg) { emit(Level::kWarning, msg); }
    static void note(std::string_view msg) { emit(Level::kNote, msg); }
    static void debug(std::string_view msg) { emit(Level::kDebug, msg); }
    static bool enabled(Level level);
    [[nodiscard]] static std::string_view tool();
    // How a long run ended, in one line ("replayed 8555 candles in 1.2 s"): a note, which a
    // person at a terminal sees without -v (stderr a TTY, not -q); pipes and cron only with -v.
    static void summary(std::string_view msg);
    // Whether progress is shown in place (stderr is a terminal, not -q, not --log-json).
    [[nodiscard]] static bool live_progress();
    [[nodiscard]] static int verbosity();
    // The progress line on a terminal (core::Progress): drawn with a carriage return and no
    // newline, cleared before any diagnostic is written and drawn again after it. "" clears.
    static void status_line(std::string_view text);
};

} // namespace okxkit::core
