// Command-line parsing over CLI11, option precedence, help text, and the tool wrapper.
#include "core/cli.hpp"

#include "core/log.hpp"
#include "core/signals.hpp"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <new>

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
     kCommon},
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

std::string type_for_config(OptType t) {
    switch (t) {
    case OptType::kFlag:
        return "boolean";
    case OptType::kInt:
        return "integer";
    case OptType::kNumber:
        return "number";
    case OptType::kStrings:
        return "strings";
    case OptType::kString:
    case OptType::kPath:
        return "string";
    }
    return "string";
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
                if (o.type == OptType::kStrings) {
                    left += "...";
                }
            }
            std::string right(o.help);
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
    out += "\nExit status: 0 ok, 1 failure, 2 usage or config error, 3 malformed input under\n"
           "--strict, 130/143 interrupted, 141 broken pipe. See " +
           std::string(spec.name) + "(1).\n";
    return out;
}

// Checks and normalises one value of option o; throws UsageError naming its origin.
void check_value(const OptionSpec& o, const std::string& v, const std::string& origin) {
    auto fail = [&](std::string_view what) {
        throw UsageError(origin + ": " + dashed(o) + " " + std::string(what) + ", got \"" + v +
                         "\"");
    };
    if (o.type == OptType::kInt) {
        std::int64_t n = 0;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc() || p != v.data() + v.size()) {
            fail("wants an integer");
        }
    } else if (o.type == OptType::kNumber) {
        double d = 0;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
        if (ec != std::errc() || p != v.data() + v.size()) {
            fail("wants a number");
        }
    } else if (o.type == OptType::kFlag) {
        if (v != "true" && v != "false" && v != "1" && v != "0") {
            fail("wants true or false");
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
        out += '\n';
    }
    return out;
}

ParseResult parse_command_line(const ToolSpec& spec, int argc, const char* const* argv) {
    ParseResult result;
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--complete-options") {
            std::cout << completion_lines(spec) << std::flush;
            result.exit_now = 0;
            return result;
        }
    }

    CLI::App app{std::string(spec.summary), std::string(spec.name)};
    app.set_help_flag();
    std::map<std::string, std::vector<std::string>> given;
    std::map<std::string, CLI::Option*> cli_opts;
    for (const OptionSpec& o : spec.options) {
        std::string names = dashed(o);
        if (o.short_name != 0) {
            names.insert(0, std::string{'-', o.short_name, ','});
        }
        auto& store = given[std::string(o.name)];
        CLI::Option* opt = nullptr;
        if (o.type == OptType::kFlag) {
            opt = app.add_flag(names)->description(std::string(o.help));
        } else if (o.type == OptType::kStrings) {
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
        config = Config::load(config_path);
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
            for (const std::string& v : vals) {
                check_value(o, v, "command line");
            }
            opts.set(name, std::move(vals), "command line");
            if (name == "verbose") {
                opts.set("verbosity", {std::to_string(cli->count())}, "command line");
            }
            continue;
        }
        if (!o.env.empty()) {
            if (const char* env = std::getenv(std::string(o.env).c_str());
                env != nullptr && *env != '\0') {
                std::string origin = "environment " + std::string(o.env);
                check_value(o, env, origin);
                opts.set(name, {env}, origin);
                continue;
            }
        }
        if (!o.config_key.empty() && config.loaded()) {
            std::string type = name == "verbose" ? "integer" : type_for_config(o.type);
            if (auto vals = config.get(o.config_key, type)) {
                std::string origin = config.path() + " (" + std::string(o.config_key) + ")";
                if (o.type == OptType::kPath) {
                    for (auto& v : *vals) {
                        v = expand_home(v);
                    }
                }
                if (name == "verbose") {
                    opts.set("verbosity", *vals, origin);
                    continue;
                }
                for (const std::string& v : *vals) {
                    check_value(o, v, origin);
                }
                opts.set(name, std::move(*vals), origin);
                continue;
            }
        }
        if (!o.default_value.empty()) {
            opts.set(name, {std::string(o.default_value)}, "default");
        }
    }
    return result;
}

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
        return body(parsed.options);
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

} // namespace okxkit::core
