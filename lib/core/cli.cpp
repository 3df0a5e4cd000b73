// Command-line parsing over CLI11, typed option values, precedence, help text, completions, and
// the tool wrapper.
#include "core/cli.hpp"

#include "core/instrument.hpp"
#include "core/io.hpp"
#include "core/json_scan.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "core/timeutil.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <exception>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <new>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace okxkit::core {

namespace {

constexpr std::string_view kCommon = "Common options";

const OptionSpec kCommonOptions[] = {
    {"help", 'h', OptType::kFlag, "", "show this help and exit", {}, {}, {}, kCommon},
    {"version", 0, OptType::kFlag, "", "show the version and exit", {}, {}, {}, kCommon},
    {"config",
     0,
     OptType::kPath,
     "FILE",
     "config file (default: ${XDG_CONFIG_HOME:-~/.config}/okxkit/config.toml)",
     {},
     {},
     "OKXKIT_CONFIG",
     kCommon},
    {"verbose",
     'v',
     OptType::kFlag,
     "",
     "say more on stderr (twice for debug)",
     {},
     "log.verbosity",
     {},
     kCommon},
    {"quiet", 'q', OptType::kFlag, "", "print errors only", {}, {}, {}, kCommon},
    {"log-json",
     0,
     OptType::kFlag,
     "",
     "write diagnostics as JSON lines on stderr",
     {},
     "log.json",
     {},
     kCommon},
};

const OptionSpec kInputOptions[] = {
    {"strict",
     0,
     OptType::kFlag,
     "",
     "stop with exit 3 at the first malformed input line (default: report it and skip it)",
     {},
     "input.strict",
     {},
     kCommon},
    {"max-line",
     0,
     OptType::kInt,
     "BYTES",
     "longest input line accepted",
     "1048576",
     "input.max_line",
     {},
     kCommon,
     {},
     16},
};

const OptionSpec kOutputOptions[] = {
    {"unbuffered",
     0,
     OptType::kFlag,
     "",
     "flush stdout after every line",
     {},
     "output.unbuffered",
     {},
     kCommon},
};

const OptionSpec kStoreOptions[] = {
    {"store",
     0,
     OptType::kPath,
     "FILE",
     "SQLite store (default: ${XDG_DATA_HOME:-~/.local/share}/okxkit/store.db)",
     {},
     "store.path",
     "OKXKIT_STORE",
     kCommon},
};

const OptionSpec kRunOptions[] = {
    {"run", 0, OptType::kString, "NAME", "run id that keeps this run apart in the store", "default",
     "run", "OKXKIT_RUN", kCommon},
};

std::string dashed(const OptionSpec& o) {
    return "--" + std::string(o.name);
}

// The values of allowed ("a|b|c") one by one.
std::vector<std::string_view> split_allowed(std::string_view allowed) {
    std::vector<std::string_view> out;
    while (!allowed.empty()) {
        const std::size_t bar = allowed.find('|');
        out.push_back(allowed.substr(0, bar));
        if (bar == std::string_view::npos) {
            break;
        }
        allowed.remove_prefix(bar + 1);
    }
    return out;
}

std::string joined(const std::vector<std::string_view>& values, std::string_view sep) {
    std::string out;
    for (std::string_view v : values) {
        if (!out.empty()) {
            out += sep;
        }
        out += v;
    }
    return out;
}

// The values completions offer for o (allowed ones, or every bar), separated by spaces.
std::string offered(const OptionSpec& o) {
    if (!o.allowed.empty()) {
        return joined(split_allowed(o.allowed), " ");
    }
    if (o.type == OptType::kBar) {
        std::vector<std::string_view> bars;
        for (const Bar& b : all_bars()) {
            bars.push_back(b.name);
        }
        return joined(bars, " ");
    }
    return {};
}

// The bounds of a kInt option in words: "between 1 and 400", "at least 16".
std::string bounds_text(const OptionSpec& o) {
    if (o.max == kNoMax) {
        return "at least " + std::to_string(o.min);
    }
    if (o.min == kNoMin) {
        return "at most " + std::to_string(o.max);
    }
    return "between " + std::to_string(o.min) + " and " + std::to_string(o.max);
}

// What --help says an option accepts, beyond its help text.
std::string accepts(const OptionSpec& o) {
    std::string s;
    if (!o.allowed.empty()) {
        s += " [" + std::string(o.check != nullptr ? "e.g. " : "one of: ") +
             joined(split_allowed(o.allowed), ", ") + "]";
    }
    if (o.type == OptType::kInt && (o.min != kNoMin || o.max != kNoMax)) {
        s += " [" + bounds_text(o) + "]";
    }
    return s;
}

ConfigType config_type_of(OptType t) {
    switch (t) {
    case OptType::kFlag:
        return ConfigType::kBoolean;
    case OptType::kInt:
        return ConfigType::kInteger;
    case OptType::kNumber:
        return ConfigType::kNumber;
    case OptType::kStrings:
    case OptType::kInsts:
        return ConfigType::kStrings;
    case OptType::kString:
    case OptType::kPath:
    case OptType::kDuration:
    case OptType::kTime:
    case OptType::kBar:
        return ConfigType::kString;
    }
    return ConfigType::kString;
}

bool is_list(const OptionSpec& o) {
    return o.type == OptType::kStrings || o.type == OptType::kInsts;
}

// Splits a value of a list of names ("a,b c") into its names; file names are never split.
void split_names(std::string_view v, std::vector<std::string>& out) {
    std::size_t pos = 0;
    while (pos <= v.size()) {
        const std::size_t sep = v.find_first_of(", ", pos);
        const std::string_view one =
            v.substr(pos, sep == std::string_view::npos ? std::string_view::npos : sep - pos);
        if (!one.empty()) {
            out.emplace_back(one);
        }
        if (sep == std::string_view::npos) {
            break;
        }
        pos = sep + 1;
    }
}

// Checks the values of option o that came from origin and returns them normalised (an
// instrument list split and in OKX form, a bar in OKX's spelling). Throws UsageError
// "<origin>: --name: <what is wrong> (got "<value>")".
std::vector<std::string> checked(const OptionSpec& o, const std::vector<std::string>& values,
                                 const std::string& origin) {
    const auto fail = [&](const std::string& v, const std::string& what) {
        std::string msg = origin == "command line" ? std::string() : origin + ": ";
        msg += dashed(o) + " " + what + " (got \"" + clip(v, 80) + "\")";
        throw UsageError(msg);
    };
    std::vector<std::string> out;
    for (const std::string& v : values) {
        switch (o.type) {
        case OptType::kInt: {
            std::int64_t n = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc() || p != v.data() + v.size()) {
                fail(v, "wants an integer");
            }
            if (n < o.min || n > o.max) {
                fail(v, "must be " + bounds_text(o));
            }
            out.push_back(v);
            break;
        }
        case OptType::kNumber: {
            double d = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
            if (ec != std::errc() || p != v.data() + v.size()) {
                fail(v, "wants a number");
            }
            out.push_back(v);
            break;
        }
        case OptType::kFlag:
            if (v != "true" && v != "false" && v != "1" && v != "0") {
                fail(v, "wants true or false");
            }
            out.push_back(v);
            break;
        case OptType::kDuration: {
            auto ms = parse_duration_ms(v);
            if (!ms || *ms <= 0) {
                fail(v, "wants a duration such as 90s, 30m, 6h, 7d or 1h30m");
            }
            out.push_back(v);
            break;
        }
        case OptType::kTime:
            if (!parse_time_ms(v)) {
                fail(v, "wants a time: ms since the epoch, or ISO-8601 UTC such as 2021-04-02 or "
                        "2021-04-02T08:00:00Z");
            }
            out.push_back(v);
            break;
        case OptType::kBar: {
            auto b = parse_bar(v);
            if (!b) {
                fail(v, "wants an OKX bar: " + offered(o));
            }
            out.emplace_back(b->name);
            break;
        }
        case OptType::kInsts: {
            std::vector<std::string> names;
            split_names(v, names);
            for (const std::string& name : names) {
                auto inst = normalize_inst(name);
                if (!inst) {
                    fail(name, "wants instruments such as BTC-USDT or BTCUSDT");
                }
                if (std::find(out.begin(), out.end(), *inst) == out.end()) {
                    out.push_back(*inst);
                }
            }
            break;
        }
        case OptType::kStrings:
        case OptType::kString:
        case OptType::kPath: {
            std::vector<std::string> names;
            if (o.type == OptType::kStrings && (!o.allowed.empty() || o.check != nullptr)) {
                split_names(v, names); // names, not file names: "a,b" is two
            } else {
                names.push_back(v);
            }
            for (const std::string& name : names) {
                if (o.check != nullptr) {
                    if (auto err = o.check(name)) {
                        fail(name, *err);
                    }
                } else if (!o.allowed.empty()) {
                    const auto ok = split_allowed(o.allowed);
                    if (std::find(ok.begin(), ok.end(), name) == ok.end()) {
                        fail(name, "must be one of: " + joined(ok, ", "));
                    }
                }
                out.push_back(name);
            }
            break;
        }
        }
    }
    return out;
}

// Levenshtein distance of two short words.
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

// Refuses a long option the tool does not have, suggesting the nearest one it does.
void check_long_options(const ToolSpec& spec, int argc, const char* const* argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg(argv[i]);
        if (arg == "--") {
            return; // what follows is not an option
        }
        if (!arg.starts_with("--") || arg.size() == 2) {
            continue;
        }
        const std::string_view name = arg.substr(2, arg.find('=') - 2);
        const auto known = [&](std::string_view n) {
            return std::any_of(spec.options.begin(), spec.options.end(),
                               [&](const OptionSpec& o) { return o.name == n; });
        };
        if (known(name) || name == "complete-options") {
            continue;
        }
        const OptionSpec* best = nullptr;
        std::size_t best_d = std::max<std::size_t>(2, name.size() / 3) + 1;
        for (const OptionSpec& o : spec.options) {
            const std::size_t d = o.name.starts_with(name) && name.size() >= 3
                                      ? o.name.size() - name.size()
                                      : distance(name, o.name);
            if (d < best_d) {
                best_d = d;
                best = &o;
            }
        }
        std::string msg = "unknown option --" + std::string(name);
        if (best != nullptr) {
            msg += " (did you mean " + dashed(*best) + "?)";
        }
        throw UsageError(msg + " (try '" + std::string(spec.name) + " --help')");
    }
}

// The spec's own consistency: every config key an option names is declared by a module the
// tool links, and none is a key only the config file may set.
void check_spec(const ToolSpec& spec) {
    for (const OptionSpec& o : spec.options) {
        if (o.config_key.empty()) {
            continue;
        }
        const ConfigKey* found = nullptr;
        for (const ConfigKey& k : core_config_keys()) {
            found = k.key == o.config_key ? &k : found;
        }
        for (const ModuleKeys& m : spec.config_keys) {
            for (const ConfigKey& k : m.keys) {
                found = k.key == o.config_key ? &k : found;
            }
        }
        if (found == nullptr) {
            throw std::logic_error(dashed(o) + " names config key " + std::string(o.config_key) +
                                   ", which no module of " + std::string(spec.name) + " declares");
        }
        if (found->file_only) {
            throw std::logic_error(dashed(o) + " names config key " + std::string(o.config_key) +
                                   ", which only the config file may set");
        }
    }
}

} // namespace

std::span<const OptionSpec> common_options() {
    return kCommonOptions;
}
std::span<const OptionSpec> input_options() {
    return kInputOptions;
}
std::span<const OptionSpec> output_options() {
    return kOutputOptions;
}
std::span<const OptionSpec> store_options() {
    return kStoreOptions;
}
std::span<const OptionSpec> run_options() {
    return kRunOptions;
}

std::string help_text(const ToolSpec& spec) {
    std::string out;
    out += std::string(spec.name) + " - " + std::string(spec.summary) + "\n\n";
    out += "Usage: " + std::string(spec.usage) + "\n";
    auto section = [&](bool common) {
        std::vector<std::pair<std::string, std::string>> rows;
        std::size_t width = 0;
        for (const OptionSpec& o : spec.options) {
            if ((o.group == kCommon) != common) {
                continue;
            }
            std::string left = o.short_name != 0 ? std::string("-") + o.short_name + ", " : "    ";
            left += dashed(o);
            if (!o.value_name.empty()) {
                left += " " + std::string(o.value_name);
                if (is_list(o)) {
                    left += "...";
                }
            }
            std::string right(o.help);
            right += accepts(o);
            if (!o.default_value.empty()) {
                right += " [default: " + std::string(o.default_value) + "]";
            }
            if (!o.env.empty()) {
                right += " [env: " + std::string(o.env) + "]";
            }
            width = std::max(width, left.size());
            rows.emplace_back(std::move(left), std::move(right));
        }
        for (auto& [left, right] : rows) {
            out += "  ";
            out += left;
            out.append(width - left.size() + 2, ' ');
            out += right;
            out += '\n';
        }
    };
    out += "\nOptions:\n";
    section(false);
    out += "\n" + std::string(kCommon) + ":\n";
    section(true);
    if (!spec.epilog.empty()) {
        out += "\n" + std::string(spec.epilog);
        if (out.back() != '\n') {
            out += '\n';
        }
    }
    out += "\nExit status:\n"
           "  0        success\n"
           "  1        failure (I/O, store, a write that did not reach the output)\n"
           "  2        usage or configuration error\n"
           "  3        malformed input: the first bad line under --strict, or nothing usable\n";
    out += "  4        refused: " +
           (spec.refused.empty()
                ? "a risk limit or a halt (not used by " + std::string(spec.name) + ")"
                : std::string(spec.refused)) +
           "\n";
    out += "  5        unavailable after retries, worth trying later: " +
           (spec.unavailable.empty()
                ? "the exchange or a service (not used by " + std::string(spec.name) + ")"
                : std::string(spec.unavailable)) +
           "\n";
    out += "  130/143  interrupted by SIGINT/SIGTERM, after flushing and committing\n"
           "  141      broken pipe: the reader of stdout went away\n"
           "See " +
           std::string(spec.name) + "(1) and okxkit(7).\n";
    return out;
}

bool Options::has(std::string_view name) const {
    return values_.find(name) != values_.end();
}

bool Options::flag(std::string_view name) const {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.values.empty()) {
        return false;
    }
    const std::string& v = it->second.values.back();
    return v == "true" || v == "1";
}

std::string Options::str(std::string_view name) const {
    auto it = values_.find(name);
    return it == values_.end() || it->second.values.empty() ? std::string()
                                                            : it->second.values.back();
}

const std::vector<std::string>& Options::strs(std::string_view name) const {
    static const std::vector<std::string> empty;
    auto it = values_.find(name);
    return it == values_.end() ? empty : it->second.values;
}

std::int64_t Options::integer(std::string_view name) const {
    std::string v = str(name);
    std::int64_t n = 0;
    std::from_chars(v.data(), v.data() + v.size(), n);
    return n;
}

double Options::number(std::string_view name) const {
    std::string v = str(name);
    double d = 0;
    std::from_chars(v.data(), v.data() + v.size(), d);
    return d;
}

std::optional<std::int64_t> Options::duration_ms(std::string_view name) const {
    return has(name) ? parse_duration_ms(str(name)) : std::nullopt;
}

std::optional<std::int64_t> Options::time_ms(std::string_view name) const {
    return has(name) ? parse_time_ms(str(name)) : std::nullopt;
}

std::optional<Bar> Options::bar(std::string_view name) const {
    return has(name) ? parse_bar(str(name)) : std::nullopt;
}

std::string Options::origin(std::string_view name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::string() : it->second.origin;
}

int Options::verbosity() const {
    if (flag("quiet")) {
        return -1;
    }
    return static_cast<int>(integer("verbosity"));
}

void Options::set(std::string_view name, std::vector<std::string> values, std::string origin) {
    values_[std::string(name)] = Value{std::move(values), std::move(origin)};
}

std::string completion_lines(const ToolSpec& spec) {
    std::string out;
    for (const OptionSpec& o : spec.options) {
        out += dashed(o);
        out += '\t';
        if (o.short_name != 0) {
            out += '-';
            out += o.short_name;
        }
        out += '\t';
        out += o.value_name;
        out += '\t';
        out += o.help;
        out += '\t';
        std::string values = offered(o);
        if (values.empty() && spec.complete_values != nullptr) {
            for (const std::string& v : spec.complete_values(o.name)) {
                values += values.empty() ? "" : " ";
                values += v;
            }
        }
        out += values;
        out += '\n';
    }
    return out;
}

ParseResult parse_command_line(const ToolSpec& spec, int argc, const char* const* argv) {
    check_spec(spec);
    ParseResult result;
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--complete-options") {
            std::cout << completion_lines(spec) << std::flush;
            result.exit_now = 0;
            return result;
        }
    }
    check_long_options(spec, argc, argv);

    CLI::App app{std::string(spec.summary), std::string(spec.name)};
    app.set_help_flag();
    std::map<std::string, std::vector<std::string>> given;
    std::map<std::string, CLI::Option*> cli_opts;
    for (const OptionSpec& o : spec.options) {
        std::string names = dashed(o);
        if (o.short_name != 0) {
            names.insert(0, std::string{'-', o.short_name, ','});
        }
        if (o.name == spec.positional) {
            names.insert(0, std::string(o.value_name) + ",");
        }
        auto& store = given[std::string(o.name)];
        CLI::Option* opt = nullptr;
        if (o.type == OptType::kFlag) {
            opt = app.add_flag(names)->description(std::string(o.help));
        } else if (is_list(o)) {
            opt = app.add_option(names, store, std::string(o.help))->expected(1, -1);
        } else {
            opt = app.add_option(names, store, std::string(o.help))->expected(1);
            opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        }
        cli_opts[std::string(o.name)] = opt;
    }
    try {
        std::vector<std::string> args;
        for (int i = argc - 1; i >= 1; --i) {
            args.emplace_back(argv[i]);
        }
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        std::string msg = e.what();
        if (!msg.empty()) {
            msg[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(msg[0])));
        }
        throw UsageError(msg + " (try '" + std::string(spec.name) + " --help')");
    }

    if (cli_opts["help"]->count() > 0) {
        std::cout << help_text(spec) << std::flush;
        result.exit_now = 0;
        return result;
    }
    if (cli_opts["version"]->count() > 0) {
        std::cout << spec.name << " (okxkit) " << OKXKIT_VERSION << "\n" << std::flush;
        result.exit_now = 0;
        return result;
    }

    // The config file: --config, then OKXKIT_CONFIG (both must exist), then the XDG default.
    Config config;
    std::string config_path;
    bool config_required = true;
    if (cli_opts["config"]->count() > 0) {
        config_path = given["config"].back();
    } else if (const char* env = std::getenv("OKXKIT_CONFIG"); env != nullptr && *env != '\0') {
        config_path = env;
    } else {
        config_path = default_config_path();
        config_required = false;
    }
    std::error_code ec;
    if (std::filesystem::exists(config_path, ec)) {
        if (!std::filesystem::is_regular_file(config_path, ec)) {
            throw UsageError("config " + config_path +
                             ": not a file (check --config or OKXKIT_CONFIG)");
        }
        config = Config::load(config_path, spec.config_keys);
        result.warnings = config.warnings();
    } else if (config_required) {
        throw UsageError("config " + config_path +
                         ": no such file (check --config or OKXKIT_CONFIG)");
    }

    Options& opts = result.options;
    for (const OptionSpec& o : spec.options) {
        std::string name(o.name);
        CLI::Option* cli = cli_opts[name];
        if (cli->count() > 0) {
            std::vector<std::string> vals =
                o.type == OptType::kFlag ? std::vector<std::string>{"true"} : given[name];
            opts.set(name, checked(o, vals, "command line"), "command line");
            if (name == "verbose") {
                opts.set("verbosity", {std::to_string(cli->count())}, "command line");
            }
            continue;
        }
        if (!o.env.empty()) {
            if (const char* env = std::getenv(std::string(o.env).c_str());
                env != nullptr && *env != '\0') {
                std::string origin = "environment " + std::string(o.env);
                opts.set(name, checked(o, {env}, origin), origin);
                continue;
            }
        }
        if (!o.config_key.empty() && config.loaded()) {
            const ConfigType type =
                name == "verbose" ? ConfigType::kInteger : config_type_of(o.type);
            if (auto v = config.value(o.config_key, type)) {
                const std::string origin = config.path() + ":" + std::to_string(v->line);
                if (o.type == OptType::kPath) {
                    for (auto& s : v->values) {
                        s = expand_home(s);
                    }
                }
                if (name == "verbose") {
                    opts.set("verbosity", v->values, origin);
                    continue;
                }
                opts.set(
                    name,
                    checked(o, v->values, origin + ": key \"" + std::string(o.config_key) + "\""),
                    origin);
                continue;
            }
        }
        if (!o.default_value.empty()) {
            opts.set(name, checked(o, {std::string(o.default_value)}, "default"), "default");
        }
    }
    opts.set_config(std::move(config));
    return result;
}

namespace {

// A pipe between two tools holds 64 KiB by default: fifteen features lines. Where the
// kernel allows it, stdin and stdout pipes get 1 MiB, so that a stage waiting (risk-guard at a
// barrier, a slow consumer) does not stall the stages before it at once. Failing is harmless.
void widen_pipes() {
    for (const int fd : {STDIN_FILENO, STDOUT_FILENO}) {
        struct stat st {};
        if (::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
            (void)::fcntl(fd, F_SETPIPE_SZ, 1 << 20);
        }
    }
}

} // namespace

int run_tool(const ToolSpec& spec, int argc, const char* const* argv,
             const std::function<int(const Options&)>& body) {
    install_signal_policy();
    Log::init(spec.name, 0, false);
    try {
        errno = 0;
        ParseResult parsed = parse_command_line(spec, argc, argv);
        if (parsed.exit_now) {
            // --help, --version and --complete-options wrote to stdout: a failed write (a full
            // disk, a closed pipe) is a failure, not a silent success.
            if (!std::cout.flush()) {
                if (errno == EPIPE) {
                    die_by_sigpipe();
                }
                throw RuntimeError("cannot write output" +
                                   (errno != 0 ? ": " + errno_text(errno) : std::string()));
            }
            return *parsed.exit_now;
        }
        Log::init(spec.name, parsed.options.verbosity(), parsed.options.flag("log-json"));
        for (const auto& w : parsed.warnings) {
            Log::emit_at(Level::kWarning, w.file, w.line, w.msg);
        }
        widen_pipes();
        const int code = body(parsed.options);
        // An Output that could not write its last lines while being destroyed (a path that did
        // not flush) has said so on stderr: the run did not succeed.
        if (Output::broken_pipe()) {
            die_by_sigpipe();
        }
        if (Output::failed_writes() > 0 && code == 0) {
            return exit_status(Exit::kRuntime);
        }
        return code;
    } catch (const BrokenPipe&) {
        die_by_sigpipe();
    } catch (const Error& e) {
        Log::error(e.what());
        return exit_status(e.code());
    } catch (const std::bad_alloc&) {
        Log::error("out of memory");
        return exit_status(Exit::kRuntime);
    } catch (const std::exception& e) {
        Log::error(e.what());
        return exit_status(Exit::kRuntime);
    }
}

namespace {

std::string commands_help(std::string_view tool, std::string_view summary, std::string_view epilog,
                          const std::vector<Command>& commands) {
    std::string out(tool);
    out += " - ";
    out += summary;
    out += "\n\nUsage: ";
    out += tool;
    out += " COMMAND [OPTIONS]\n\nCommands:\n";
    std::size_t width = 0;
    for (const Command& c : commands) {
        width = std::max(width, c.name.size());
    }
    for (const Command& c : commands) {
        out += "  ";
        out += c.name;
        out.append(width - c.name.size() + 2, ' ');
        out += c.spec->summary;
        out += '\n';
    }
    out += "\nEach command has its own options: ";
    out += tool;
    out += " COMMAND --help.\n";
    if (!epilog.empty()) {
        out += '\n';
        out += epilog;
        if (out.back() != '\n') {
            out += '\n';
        }
    }
    return out;
}

} // namespace

int run_commands(std::string_view tool, std::string_view summary, std::string_view epilog,
                 const std::vector<Command>& commands, int argc, const char* const* argv) {
    const std::string_view first = argc > 1 ? std::string_view(argv[1]) : std::string_view();
    for (const Command& c : commands) {
        if (c.name == first) {
            return run_tool(*c.spec, argc - 1, argv + 1, c.body);
        }
    }
    install_signal_policy();
    Log::init(tool, 0, false);
    std::string out;
    if (first == "-h" || first == "--help") {
        out = commands_help(tool, summary, epilog, commands);
    } else if (first == "--version") {
        out = std::string(tool) + " (okxkit) " + OKXKIT_VERSION + "\n";
    } else if (first == "--complete-commands") {
        for (const Command& c : commands) {
            out += c.name;
            out += '\t';
            out += c.spec->summary;
            out += '\n';
        }
    } else {
        std::string names;
        for (const Command& c : commands) {
            names += names.empty() ? "" : ", ";
            names += c.name;
        }
        std::string msg = first.empty() ? std::string("a command is needed")
                                        : "unknown command " + excerpt(first, 40);
        msg += " (commands: " + names + "; try '" + std::string(tool) + " --help')";
        Log::error(msg);
        return exit_status(Exit::kUsage);
    }
    std::cout << out << std::flush;
    if (!std::cout) {
        if (errno == EPIPE) {
            die_by_sigpipe();
        }
        return exit_status(Exit::kRuntime);
    }
    return 0;
}

} // namespace okxkit::core
