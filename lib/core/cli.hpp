// Options as data: one table per tool feeds CLI11, --help, the config file and completions.
#pragma once

#include "core/config.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::core {

enum class OptType {
    kFlag,    // no value; true when given
    kString,  // one value
    kPath,    // one value; "~/" expanded when it comes from the config file
    kInt,     // one integer
    kNumber,  // one number
    kStrings, // one or more values
};

struct OptionSpec {
    std::string_view name; // long name without dashes, kebab-case
    char short_name;       // 0 when none
    OptType type;
    std::string_view value_name; // FILE, N, TIME ... (empty for flags)
    std::string_view help;
    std::string_view default_value = {}; // as text; empty = none
    std::string_view config_key = {};    // key in config_keys(), or empty
    std::string_view env = {};           // environment variable, or empty
    std::string_view group = {};         // help section; empty = the tool's own options
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
};

// Resolved option values: CLI > environment > config file > default.
class Options {
public:
    [[nodiscard]] bool has(std::string_view name) const;
    [[nodiscard]] bool flag(std::string_view name) const;
    [[nodiscard]] std::string str(std::string_view name) const; // "" when absent
    [[nodiscard]] const std::vector<std::string>& strs(std::string_view name) const;
    [[nodiscard]] std::int64_t integer(std::string_view name) const;
    [[nodiscard]] double number(std::string_view name) const;
    // Where the value came from: "command line", "environment", a config path:line, "default".
    [[nodiscard]] std::string origin(std::string_view name) const;
    // Verbosity from -v/-q: -1, 0, 1, 2.
    [[nodiscard]] int verbosity() const;

    void set(std::string_view name, std::vector<std::string> values, std::string origin);

private:
    struct Value {
        std::vector<std::string> values;
        std::string origin;
    };
    std::map<std::string, Value, std::less<>> values_;
};

// What parse_command_line decided: run the tool, or exit now (help, version, completions).
struct ParseResult {
    std::optional<int> exit_now;
    Options options;
    std::vector<Config::Warning> warnings; // from the config file, printed by run_tool
};

// Builds the CLI11 app from spec, parses argv, loads the config (--config, OKXKIT_CONFIG,
// or the XDG default when it exists) and resolves every option. Writes --help, --version
// and --complete-options to stdout. Throws UsageError on a bad command line or config,
// naming the option and what it accepts.
ParseResult parse_command_line(const ToolSpec& spec, int argc, const char* const* argv);

// The lines of --complete-options: "--long<TAB>-s<TAB>VALUE<TAB>help" per visible option.
std::string completion_lines(const ToolSpec& spec);

// A tool's whole life: signal policy, parsing, logging setup, then body(options), mapping
// every error to its exit code in this one place (BrokenPipe dies by SIGPIPE).
int run_tool(const ToolSpec& spec, int argc, const char* const* argv,
             const std::function<int(const Options&)>& body);

} // namespace okxkit::core
