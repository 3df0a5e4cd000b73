// Options as data: one table per tool feeds CLI11, --help, the config file and completions.
#pragma once

#include "core/bar.hpp"
#include "core/config.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::core {

enum class OptType {
    kFlag,     // no value; true when given
    kString,   // one value
    kPath,     // one value; "~/" expanded when it comes from the config file
    kInt,      // one integer, within [min, max]
    kNumber,   // one number
    kStrings,  // one or more values (each may also be a comma-separated list)
    kDuration, // one duration, "90s", "6h", "7d", "1h30m", above 0: Options::duration_ms
    kTime,     // one time, ms since the epoch or ISO-8601 UTC: Options::time_ms
    kInsts,    // instruments as users write them ("BTCUSDT,eth-usdt"), normalised to OKX instIds
    kBar,      // an OKX bar (1m 5m 1H ...; "1h" is 1H), normalised to OKX's name
};

// A check of one value beyond its type (such as an OKX channel name): the problem as text, or
// nullopt when the value is fine.
using ValueCheck = std::optional<std::string> (*)(std::string_view value);

inline constexpr std::int64_t kNoMin = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t kNoMax = std::numeric_limits<std::int64_t>::max();

struct OptionSpec {
    std::string_view name; // long name without dashes, kebab-case
    char short_name;       // 0 when none
    OptType type;
    std::string_view value_name; // FILE, N, TIME ... (empty for flags)
    std::string_view help;
    std::string_view default_value = {}; // as text; empty = none
    std::string_view config_key = {};    // key a module declares (see ConfigKey), or empty
    std::string_view env = {};           // environment variable, or empty
    std::string_view group = {};         // help section; empty = the tool's own options
    // The values accepted, separated by '|' ("array|object"): checked in one place, shown in
    // --help and offered by the completions. With check set, check decides what is accepted
    // and these are only offered (e.g. the usual channel names).
    std::string_view allowed = {};
    std::int64_t min = kNoMin; // kInt: the smallest value accepted
    std::int64_t max = kNoMax; // kInt: the largest value accepted
    ValueCheck check = nullptr;
};

// Option sets shared by tools. Every tool: help, version, config, verbose, quiet, log-json.
std::span<const OptionSpec> common_options();
// Tools that read NDJSON or CSV: strict, max-line. Tools that write NDJSON: unbuffered.
std::span<const OptionSpec> input_options();
std::span<const OptionSpec> output_options();
// Tools that use the store: store. Tools that belong to a pipeline run: run.
std::span<const OptionSpec> store_options();
std::span<const OptionSpec> run_options();

struct ToolSpec {
    std::string_view name;
    std::string_view summary;        // one line, for --help and the man page NAME
    std::string_view usage;          // e.g. "okx-stream --replay FILE... [OPTIONS]"
    std::string_view epilog;         // text after the options in --help
    std::vector<OptionSpec> options; // common options included
    // The config keys of the modules the tool links (core's always count): those it judges in
    // the config file, and those its options may name.
    std::vector<ModuleKeys> config_keys = {};
    // What exit 4 and 5 mean for this tool, for --help; empty when it never uses them.
    std::string_view refused = {};
    std::string_view unavailable = {};
    // Values the completions offer that only the data knows (model ids in the store), for the
    // option named; nullptr, or an empty list, when there are none. Must not throw.
    std::vector<std::string> (*complete_values)(std::string_view option) = nullptr;
    // The option that a bare argument sets ("dir": `audit backup DIR` is `--dir DIR`), or
    // empty when the tool takes none.
    std::string_view positional = {};
};

// Resolved option values: CLI > environment > config file > default. Every value was checked
// against its option's type, bounds and allowed values when it was resolved, so the typed
// accessors below never fail on a value (they return nothing for an option that is absent).
class Options {
public:
    [[nodiscard]] bool has(std::string_view name) const;
    [[nodiscard]] bool flag(std::string_view name) const;
    [[nodiscard]] std::string str(std::string_view name) const; // "" when absent
    // The values (kInsts: the normalised instruments, each once, in order of first mention).
    [[nodiscard]] const std::vector<std::string>& strs(std::string_view name) const;
    [[nodiscard]] std::int64_t integer(std::string_view name) const;
    [[nodiscard]] double number(std::string_view name) const;
    [[nodiscard]] std::optional<std::int64_t> duration_ms(std::string_view name) const;
    [[nodiscard]] std::optional<std::int64_t> time_ms(std::string_view name) const;
    [[nodiscard]] std::optional<Bar> bar(std::string_view name) const;
    // Where the value came from: "command line", "environment X", "FILE:LINE", "default".
    [[nodiscard]] std::string origin(std::string_view name) const;
    // Verbosity from -v/-q: -1, 0, 1, 2.
    [[nodiscard]] int verbosity() const;
    // The config file as loaded (not loaded when there is none), for keys no option maps to:
    // tables, arrays of tables, and keys only the file may set.
    [[nodiscard]] const Config& config() const { return *config_; }

    void set(std::string_view name, std::vector<std::string> values, std::string origin);
    void set_config(Config config) { config_ = std::make_shared<const Config>(std::move(config)); }

private:
    struct Value {
        std::vector<std::string> values;
        std::string origin;
    };
    std::map<std::string, Value, std::less<>> values_;
    std::shared_ptr<const Config> config_ = std::make_shared<const Config>();
};

// What parse_command_line decided: run the tool, or exit now (help, version, completions).
struct ParseResult {
    std::optional<int> exit_now;
    Options options;
    std::vector<Config::Warning> warnings; // from the config file, printed by run_tool
};

// Builds the CLI11 app from spec, parses argv, loads the config (--config, OKXKIT_CONFIG,
// or the XDG default when it exists) and resolves every option, checking each value where it
// comes from. Writes --help, --version and --complete-options to stdout. Throws UsageError on
// a bad command line, environment value or config, naming the option, where the value came
// from (the config's file and line) and what it accepts; an unknown option gets "did you mean".
// Throws std::logic_error when the spec itself is wrong (an option naming a key the config
// file alone may set, or a key no module declares).
ParseResult parse_command_line(const ToolSpec& spec, int argc, const char* const* argv);

// The lines of --complete-options, one per option:
// "--long<TAB>-s<TAB>VALUE<TAB>help<TAB>values", values being the allowed values (or every bar
// for a kBar option) separated by spaces, empty when any value goes.
std::string completion_lines(const ToolSpec& spec);

// The --help text.
std::string help_text(const ToolSpec& spec);

// A tool's whole life: signal policy, parsing, logging setup, then body(options), mapping
// every error to its exit code in this one place (BrokenPipe dies by SIGPIPE).
int run_tool(const ToolSpec& spec, int argc, const char* const* argv,
             const std::function<int(const Options&)>& body);

// A command of a tool made of several ("audit backup"): its own option table (spec.name is
// "TOOL COMMAND") and body.
struct Command {
    std::string_view name;
    const ToolSpec* spec;
    std::function<int(const Options&)> body;
};

// Runs `TOOL COMMAND [OPTIONS]`: run_tool with the command's spec on the arguments after the
// command's name. `TOOL -h` and `TOOL --help` list the commands; no command or an unknown one
// is a usage error (exit 2) that names them;
// `TOOL --version` as usual; `TOOL --complete-commands` prints "name<TAB>summary" lines for
// the shell completions, which then ask `TOOL COMMAND --complete-options`.
int run_commands(std::string_view tool, std::string_view summary, std::string_view epilog,
                 const std::vector<Command>& commands, int argc, const char* const* argv);

} // namespace okxkit::core
