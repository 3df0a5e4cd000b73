// Unit tests for lib/core/config (TOML loading, typed lookups) and lib/core/cli (option parsing).
#include "core/cli.hpp"
#include "core/config.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace okxkit::core {
namespace {

namespace fs = std::filesystem;

// Sets (or unsets) an environment variable for one scope, restoring the old value after.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            old_ = old;
        }
        if (value != nullptr) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_.c_str(), old_->c_str(), 1);
        } else {
            ::unsetenv(name_.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string name_;
    std::optional<std::string> old_;
};

// A fresh directory for config files, removed with the test.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "okxkit-core-config-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            ADD_FAILURE() << "mkdtemp failed";
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const fs::path& path() const { return path_; }

    std::string write(const std::string& name, const std::string& text) const {
        fs::path p = path_ / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }

private:
    fs::path path_;
};

// The message of the UsageError f throws ("" and a test failure when it throws none).
template <typename F> std::string usage_error_of(F&& f) {
    try {
        f();
    } catch (const UsageError& e) {
        EXPECT_EQ(e.code(), Exit::kUsage);
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "threw something other than UsageError: " << e.what();
        return "";
    }
    ADD_FAILURE() << "threw nothing";
    return "";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

double as_double(const std::string& text) {
    double d = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    EXPECT_TRUE(ec == std::errc() && p == text.data() + text.size()) << text;
    return d;
}

using Strings = std::vector<std::string>;

// ---------------------------------------------------------------------------------------
// Config

class CoreConfig : public ::testing::Test {
protected:
    TempDir dir_;
};

TEST_F(CoreConfig, LoadsEveryKnownKeyWithItsType) {
    const std::string path = dir_.write("config.toml", R"(# a comment
symbols = ["BTC-USDT", "ETH-USDT"]
bars = ["1m", "1H"]
run = "exp1"

[store]
path = "~/data/store.db"

[log]
json = true
verbosity = 1

[input]
strict = false
max_line = 4096

[output]
unbuffered = true

[replay]
speed = 2.5
source = "okx"
)");
    Config cfg = Config::load(path);
    EXPECT_TRUE(cfg.warnings().empty()); // no unknown keys
    EXPECT_TRUE(cfg.loaded());
    EXPECT_EQ(cfg.path(), path);
    EXPECT_EQ(cfg.get("symbols", "strings"), (Strings{"BTC-USDT", "ETH-USDT"}));
    EXPECT_EQ(cfg.get("bars", "strings"), (Strings{"1m", "1H"}));
    EXPECT_EQ(cfg.get("run", "string"), Strings{"exp1"});
    EXPECT_EQ(cfg.get("store.path", "string"), Strings{"~/data/store.db"}); // expanded later
    EXPECT_EQ(cfg.get("log.json", "boolean"), Strings{"true"});
    EXPECT_EQ(cfg.get("log.verbosity", "integer"), Strings{"1"});
    EXPECT_EQ(cfg.get("input.strict", "boolean"), Strings{"false"});
    EXPECT_EQ(cfg.get("input.max_line", "integer"), Strings{"4096"});
    EXPECT_EQ(cfg.get("output.unbuffered", "boolean"), Strings{"true"});
    EXPECT_EQ(cfg.get("replay.source", "string"), Strings{"okx"});
    auto speed = cfg.get("replay.speed", "number");
    ASSERT_TRUE(speed && speed->size() == 1);
    EXPECT_EQ(as_double(speed->front()), 2.5);
}

TEST_F(CoreConfig, NumbersReadBackExactly) {
    const std::string path = dir_.write("n.toml", "[replay]\nspeed = 0.1\n");
    auto speed = Config::load(path).get("replay.speed", "number");
    ASSERT_TRUE(speed);
    EXPECT_EQ(as_double(speed->front()), 0.1);
    // An integer is a number too.
    const std::string path2 = dir_.write("i.toml", "[replay]\nspeed = 60\n");
    EXPECT_EQ(Config::load(path2).get("replay.speed", "number"), Strings{"60"});
    const std::string path3 = dir_.write("neg.toml", "[log]\nverbosity = -1\n");
    EXPECT_EQ(Config::load(path3).get("log.verbosity", "integer"), Strings{"-1"});
}

TEST_F(CoreConfig, AbsentKeysAndEmptyConfig) {
    const std::string path = dir_.write("empty.toml", "");
    Config cfg = Config::load(path);
    EXPECT_TRUE(cfg.loaded());
    EXPECT_EQ(cfg.get("run", "string"), std::nullopt);
    EXPECT_EQ(cfg.get("store.path", "string"), std::nullopt);
    Config none;
    EXPECT_FALSE(none.loaded());
    EXPECT_EQ(none.get("run", "string"), std::nullopt);
    const std::string arr = dir_.write("arr.toml", "bars = []\n");
    EXPECT_EQ(Config::load(arr).get("bars", "strings"), Strings{});
}

TEST_F(CoreConfig, TypeMismatchNamesFileAndLine) {
    const std::string path = dir_.write("bad.toml", R"(run = "r"

[input]
strict = "yes"
max_line = "big"

[replay]
speed = "fast"
source = 7
)");
    Config cfg = Config::load(path);
    std::string err = usage_error_of([&] { (void)cfg.get("input.max_line", "integer"); });
    EXPECT_TRUE(contains(err, path + ":5")) << err;
    EXPECT_TRUE(contains(err, "input.max_line")) << err;
    err = usage_error_of([&] { (void)cfg.get("input.strict", "boolean"); });
    EXPECT_TRUE(contains(err, path + ":4")) << err;
    err = usage_error_of([&] { (void)cfg.get("replay.speed", "number"); });
    EXPECT_TRUE(contains(err, path + ":8")) << err;
    err = usage_error_of([&] { (void)cfg.get("replay.source", "string"); });
    EXPECT_TRUE(contains(err, path + ":9")) << err;
    err = usage_error_of([&] { (void)cfg.get("run", "strings"); });
    EXPECT_TRUE(contains(err, path + ":1")) << err;
}

TEST_F(CoreConfig, ArrayOfStringsMustHoldOnlyStrings) {
    const std::string path =
        dir_.write("bars.toml", "\n\nbars = [\"1m\", 5]\nsymbols = \"BTC-USDT\"\n");
    Config cfg = Config::load(path);
    std::string err = usage_error_of([&] { (void)cfg.get("bars", "strings"); });
    EXPECT_TRUE(contains(err, path + ":3")) << err;
    EXPECT_TRUE(contains(err, "bars")) << err;
    err = usage_error_of([&] { (void)cfg.get("symbols", "strings"); });
    EXPECT_TRUE(contains(err, path + ":4")) << err;
}

TEST_F(CoreConfig, SyntaxErrorNamesFileLineAndColumn) {
    const std::string path = dir_.write("syntax.toml", "run = \"r\"\n[log]\njson = tru\n");
    std::string err = usage_error_of([&] { Config::load(path); });
    // "<path>:3:<column>: <what>", the column a positive number.
    ASSERT_EQ(err.rfind(path + ":3:", 0), 0U) << err;
    EXPECT_TRUE(std::regex_search(err.substr(path.size()), std::regex("^:3:[1-9][0-9]*: "))) << err;
    const std::string path2 = dir_.write("unclosed.toml", "bars = [\"1m\",\n\n");
    err = usage_error_of([&] { Config::load(path2); });
    EXPECT_TRUE(contains(err, path2 + ":")) << err;
    const std::string path3 = dir_.write("dup.toml", "run = \"a\"\nrun = \"b\"\n");
    err = usage_error_of([&] { Config::load(path3); });
    EXPECT_TRUE(contains(err, path3 + ":2:")) << err;
}

TEST_F(CoreConfig, UnknownKeysWarnWithFileAndLine) {
    const std::string path = dir_.write("unknown.toml", R"(run = "r"
colour = "blue"
[log]
json = false
level = 3
[mystery]
x = 1
)");
    Config cfg = Config::load(path);
    std::map<std::string, std::uint64_t> lines; // message -> line
    for (const Config::Warning& w : cfg.warnings()) {
        EXPECT_EQ(w.file, path);
        lines[w.msg.substr(0, w.msg.find(" ("))] = w.line;
    }
    const std::map<std::string, std::uint64_t> want = {
        {"unknown key \"colour\"", 2},
        {"unknown key \"log.level\"", 5},
        {"unknown key \"mystery\"", 6},
    };
    EXPECT_EQ(lines, want);
    // Unknown keys are ignored, known ones still read.
    EXPECT_EQ(cfg.get("run", "string"), Strings{"r"});
}

TEST_F(CoreConfig, ShippedExampleLoadsCleanly) {
    const std::string path = std::string(OKXKIT_SOURCE_DIR) + "/share/okxkit/config.example.toml";
    Config cfg = Config::load(path);
    EXPECT_TRUE(cfg.warnings().empty());
    for (const ConfigKey& k : config_keys()) {
        EXPECT_NO_THROW((void)cfg.get(k.key, k.type)) << k.key;
    }
    EXPECT_EQ(cfg.get("bars", "strings"), Strings{"5m"});
}

TEST_F(CoreConfig, KnownKeysHaveKnownTypes) {
    const std::set<std::string_view> types = {"string", "integer", "number", "boolean", "strings"};
    std::set<std::string_view> keys;
    for (const ConfigKey& k : config_keys()) {
        EXPECT_TRUE(types.contains(k.type)) << k.key << ": " << k.type;
        EXPECT_TRUE(keys.insert(k.key).second) << "duplicate " << k.key;
        EXPECT_FALSE(k.help.empty()) << k.key;
    }
}

TEST_F(CoreConfig, ExpandHome) {
    ScopedEnv home("HOME", "/home/trader");
    EXPECT_EQ(expand_home("~/okx/store.db"), "/home/trader/okx/store.db");
    EXPECT_EQ(expand_home("~/"), "/home/trader/");
    EXPECT_EQ(expand_home("/abs/store.db"), "/abs/store.db");
    EXPECT_EQ(expand_home("rel/~/x"), "rel/~/x");
    EXPECT_EQ(expand_home("~other/x"), "~other/x");
    EXPECT_EQ(expand_home("~"), "~");
}

TEST_F(CoreConfig, DefaultConfigPathFollowsXdg) {
    ScopedEnv home("HOME", "/home/trader");
    {
        ScopedEnv xdg("XDG_CONFIG_HOME", "/xdg");
        EXPECT_EQ(default_config_path(), "/xdg/okxkit/config.toml");
    }
    {
        ScopedEnv xdg("XDG_CONFIG_HOME", "");
        EXPECT_EQ(default_config_path(), "/home/trader/.config/okxkit/config.toml");
    }
    ScopedEnv xdg("XDG_CONFIG_HOME", nullptr);
    EXPECT_EQ(default_config_path(), "/home/trader/.config/okxkit/config.toml");
}

// ---------------------------------------------------------------------------------------
// parse_command_line

class CoreCli : public ::testing::Test {
protected:
    void SetUp() override {
        spec_.name = "okx-test";
        spec_.summary = "a tool for the tests";
        spec_.usage = "okx-test [OPTIONS]";
        spec_.epilog = "See the tests.";
        for (auto set : {common_options(), input_options(), store_options()}) {
            spec_.options.insert(spec_.options.end(), set.begin(), set.end());
        }
        spec_.options.push_back(
            {"count", 'n', OptType::kInt, "N", "how many", "10", {}, "OKXTEST_COUNT"});
        spec_.options.push_back({"speed", 0, OptType::kNumber, "X", "replay pace", "1",
                                 "replay.speed", "OKXTEST_SPEED"});
        spec_.options.push_back({"source", 0, OptType::kString, "NAME", "source label",
                                 "default-src", "replay.source", "OKXTEST_SOURCE"});
        spec_.options.push_back(
            {"bars", 'b', OptType::kStrings, "BAR", "bars to stream", "1m", "bars"});
    }

    // Parses args after argv[0] = "okx-test".
    ParseResult parse(const Strings& args) const {
        std::vector<const char*> argv = {"okx-test"};
        for (const std::string& a : args) {
            argv.push_back(a.c_str());
        }
        argv.push_back(nullptr);
        return parse_command_line(spec_, static_cast<int>(argv.size() - 1), argv.data());
    }

    Options options(const Strings& args) const {
        ParseResult r = parse(args);
        EXPECT_FALSE(r.exit_now.has_value());
        return r.options;
    }

    ToolSpec spec_;
    TempDir dir_;
    // No config, store or tool variables from the machine running the tests.
    ScopedEnv home_{"HOME", dir_.path().c_str()};
    ScopedEnv xdg_{"XDG_CONFIG_HOME", (dir_.path() / "xdg").c_str()};
    ScopedEnv config_{"OKXKIT_CONFIG", nullptr};
    ScopedEnv store_{"OKXKIT_STORE", nullptr};
    ScopedEnv count_{"OKXTEST_COUNT", nullptr};
    ScopedEnv speed_{"OKXTEST_SPEED", nullptr};
    ScopedEnv source_{"OKXTEST_SOURCE", nullptr};
};

TEST_F(CoreCli, DefaultsWhenNothingIsGiven) {
    Options o = options({});
    EXPECT_EQ(o.integer("count"), 10);
    EXPECT_EQ(o.origin("count"), "default");
    EXPECT_EQ(o.number("speed"), 1.0);
    EXPECT_EQ(o.str("source"), "default-src");
    EXPECT_EQ(o.strs("bars"), Strings{"1m"});
    EXPECT_EQ(o.integer("max-line"), 1048576);
    EXPECT_FALSE(o.flag("strict"));
    EXPECT_FALSE(o.flag("log-json"));
    EXPECT_FALSE(o.has("store"));
    EXPECT_EQ(o.str("store"), "");
    EXPECT_EQ(o.verbosity(), 0);
}

TEST_F(CoreCli, PrecedenceCliOverEnvOverConfigOverDefault) {
    const std::string cfg = dir_.write("cfg.toml", "[replay]\nspeed = 2.5\nsource = \"cfg-src\"\n");

    // Default.
    EXPECT_EQ(options({}).number("speed"), 1.0);
    // Config beats default.
    Options o = options({"--config", cfg});
    EXPECT_EQ(o.number("speed"), 2.5);
    EXPECT_TRUE(contains(o.origin("speed"), cfg)) << o.origin("speed");
    EXPECT_EQ(o.str("source"), "cfg-src");
    {
        // Environment beats config.
        ScopedEnv speed("OKXTEST_SPEED", "3");
        o = options({"--config", cfg});
        EXPECT_EQ(o.number("speed"), 3.0);
        EXPECT_EQ(o.origin("speed"), "environment OKXTEST_SPEED");
        EXPECT_EQ(o.str("source"), "cfg-src"); // other keys still from the config
        // Command line beats environment.
        o = options({"--config", cfg, "--speed", "4"});
        EXPECT_EQ(o.number("speed"), 4.0);
        EXPECT_EQ(o.origin("speed"), "command line");
        o = options({"--speed=0.5", "--config", cfg});
        EXPECT_EQ(o.number("speed"), 0.5);
    }
    {
        // An empty variable counts as unset.
        ScopedEnv speed("OKXTEST_SPEED", "");
        EXPECT_EQ(options({"--config", cfg}).number("speed"), 2.5);
    }
    // Each option resolves on its own.
    ScopedEnv source("OKXTEST_SOURCE", "env-src");
    o = options({"--config", cfg, "-n", "3"});
    EXPECT_EQ(o.integer("count"), 3);
    EXPECT_EQ(o.number("speed"), 2.5);
    EXPECT_EQ(o.str("source"), "env-src");
    EXPECT_EQ(o.strs("bars"), Strings{"1m"});
}

TEST_F(CoreCli, ConfigFoundThroughEnvironmentAndXdg) {
    const std::string via_env = dir_.write("env.toml", "[replay]\nsource = \"from-env-file\"\n");
    const std::string via_flag = dir_.write("flag.toml", "[replay]\nsource = \"from-flag-file\"\n");
    // The XDG default, when it exists.
    dir_.write("xdg/okxkit/config.toml", "[replay]\nsource = \"from-xdg\"\n");
    EXPECT_EQ(options({}).str("source"), "from-xdg");
    ScopedEnv env("OKXKIT_CONFIG", via_env.c_str());
    EXPECT_EQ(options({}).str("source"), "from-env-file");
    EXPECT_EQ(options({"--config", via_flag}).str("source"), "from-flag-file");
}

TEST_F(CoreCli, ConfigWarningsAreHandedBack) {
    const std::string cfg = dir_.write("warn.toml", "[replay]\nspeed = 2\nspeeed = 3\n");
    ParseResult r = parse({"--config", cfg});
    ASSERT_FALSE(r.exit_now.has_value());
    ASSERT_EQ(r.warnings.size(), 1U);
    EXPECT_EQ(r.warnings[0].file, cfg);
    EXPECT_EQ(r.warnings[0].line, 3U);
    EXPECT_TRUE(contains(r.warnings[0].msg, "\"replay.speeed\"")) << r.warnings[0].msg;
    EXPECT_EQ(r.options.number("speed"), 2.0); // the known key still applies
    EXPECT_TRUE(parse({}).warnings.empty());
}

TEST_F(CoreCli, NamedConfigMustExist) {
    const std::string missing = (dir_.path() / "nope.toml").string();
    std::string err = usage_error_of([&] { parse({"--config", missing}); });
    EXPECT_TRUE(contains(err, missing)) << err;
    ScopedEnv env("OKXKIT_CONFIG", missing.c_str());
    err = usage_error_of([&] { parse({}); });
    EXPECT_TRUE(contains(err, missing)) << err;
}

TEST_F(CoreCli, ConfigErrorsAreUsageErrors) {
    const std::string bad_type = dir_.write("type.toml", "[replay]\n\nspeed = \"fast\"\n");
    std::string err = usage_error_of([&] { parse({"--config", bad_type}); });
    EXPECT_TRUE(contains(err, bad_type + ":3")) << err;
    const std::string bad_syntax = dir_.write("syntax.toml", "[replay\nspeed = 1\n");
    err = usage_error_of([&] { parse({"--config", bad_syntax}); });
    EXPECT_TRUE(contains(err, bad_syntax + ":1:")) << err;
}

TEST_F(CoreCli, ConfigValuesOfEveryType) {
    const std::string cfg = dir_.write("all.toml", R"(bars = ["5m", "1H"]
[store]
path = "~/db/store.db"
[log]
json = true
[input]
strict = true
max_line = 4096
)");
    Options o = options({"--config", cfg});
    EXPECT_EQ(o.strs("bars"), (Strings{"5m", "1H"}));
    EXPECT_EQ(o.str("store"), (dir_.path() / "db/store.db").string()); // "~/" expanded
    EXPECT_TRUE(o.flag("log-json"));
    EXPECT_TRUE(o.flag("strict"));
    EXPECT_EQ(o.integer("max-line"), 4096);
    // A list from the command line replaces the config's list.
    EXPECT_EQ(options({"--config", cfg, "-b", "1D", "1W"}).strs("bars"), (Strings{"1D", "1W"}));
}

TEST_F(CoreCli, VerboseAndQuiet) {
    EXPECT_EQ(options({}).verbosity(), 0);
    EXPECT_EQ(options({"-v"}).verbosity(), 1);
    EXPECT_EQ(options({"--verbose"}).verbosity(), 1);
    EXPECT_EQ(options({"-vv"}).verbosity(), 2);
    EXPECT_EQ(options({"-v", "-v"}).verbosity(), 2);
    EXPECT_EQ(options({"--verbose", "--verbose"}).verbosity(), 2);
    EXPECT_EQ(options({"-q"}).verbosity(), -1);
    EXPECT_EQ(options({"--quiet"}).verbosity(), -1);
    const std::string cfg = dir_.write("v.toml", "[log]\nverbosity = 1\n");
    EXPECT_EQ(options({"--config", cfg}).verbosity(), 1);
    EXPECT_EQ(options({"--config", cfg, "-vv"}).verbosity(), 2);
    EXPECT_EQ(options({"--config", cfg, "-q"}).verbosity(), -1);
}

TEST_F(CoreCli, ValuesAndRepeats) {
    Options o = options({"--count", "7", "-b", "1m", "5m", "--source", "x y"});
    EXPECT_EQ(o.integer("count"), 7);
    EXPECT_EQ(o.origin("count"), "command line");
    EXPECT_EQ(o.strs("bars"), (Strings{"1m", "5m"}));
    EXPECT_EQ(o.str("source"), "x y");
    EXPECT_EQ(options({"--count=8"}).integer("count"), 8);
    // A single-valued option given twice: the last one wins.
    EXPECT_EQ(options({"--count", "1", "--count", "2"}).integer("count"), 2);
    EXPECT_TRUE(options({"--strict"}).flag("strict"));
    EXPECT_EQ(options({"--store", "/tmp/s.db"}).str("store"), "/tmp/s.db");
}

TEST_F(CoreCli, BadCommandLinesAreUsageErrors) {
    std::string err = usage_error_of([&] { parse({"--bogus"}); });
    EXPECT_TRUE(contains(err, "--bogus")) << err;
    EXPECT_TRUE(contains(err, "okx-test --help")) << err;
    err = usage_error_of([&] { parse({"stray"}); });
    EXPECT_TRUE(contains(err, "stray")) << err;
    err = usage_error_of([&] { parse({"--count", "abc"}); });
    EXPECT_TRUE(contains(err, "--count") && contains(err, "abc")) << err;
    err = usage_error_of([&] { parse({"--count", "1.5"}); });
    EXPECT_TRUE(contains(err, "--count")) << err;
    err = usage_error_of([&] { parse({"--count", "99999999999999999999"}); });
    EXPECT_TRUE(contains(err, "--count")) << err;
    err = usage_error_of([&] { parse({"--count", ""}); });
    EXPECT_TRUE(contains(err, "--count")) << err;
    err = usage_error_of([&] { parse({"--count"}); });
    EXPECT_TRUE(contains(err, "count")) << err;
    err = usage_error_of([&] { parse({"--speed", "fast"}); });
    EXPECT_TRUE(contains(err, "--speed") && contains(err, "fast")) << err;
    err = usage_error_of([&] { parse({"--max-line", "1k"}); });
    EXPECT_TRUE(contains(err, "--max-line")) << err;
}

TEST_F(CoreCli, BadEnvironmentValuesAreUsageErrors) {
    ScopedEnv count("OKXTEST_COUNT", "ten");
    std::string err = usage_error_of([&] { parse({}); });
    EXPECT_TRUE(contains(err, "OKXTEST_COUNT") && contains(err, "ten")) << err;
    // The command line wins, so the bad variable does not matter then.
    EXPECT_EQ(options({"--count", "4"}).integer("count"), 4);
}

TEST_F(CoreCli, HelpVersionAndCompletionsExitNow) {
    for (const char* flag : {"--help", "-h"}) {
        testing::internal::CaptureStdout();
        ParseResult r = parse({flag});
        const std::string out = testing::internal::GetCapturedStdout();
        ASSERT_TRUE(r.exit_now.has_value()) << flag;
        EXPECT_EQ(*r.exit_now, 0);
        EXPECT_TRUE(contains(out, "Usage: okx-test [OPTIONS]")) << out;
        EXPECT_TRUE(contains(out, "-n, --count N")) << out;
        EXPECT_TRUE(contains(out, "[default: 10]")) << out;
        EXPECT_TRUE(contains(out, "[env: OKXTEST_COUNT]")) << out;
        EXPECT_TRUE(contains(out, "--config FILE")) << out;
        EXPECT_TRUE(contains(out, "See the tests.")) << out;
        EXPECT_TRUE(contains(out, "141")) << out; // exit codes are documented
    }

    testing::internal::CaptureStdout();
    ParseResult r = parse({"--version"});
    std::string out = testing::internal::GetCapturedStdout();
    ASSERT_TRUE(r.exit_now.has_value());
    EXPECT_EQ(*r.exit_now, 0);
    EXPECT_EQ(out, std::string("okx-test (okxkit) ") + OKXKIT_VERSION + "\n");

    // The completion scripts call this whatever else is on the line.
    testing::internal::CaptureStdout();
    r = parse({"--bogus", "--complete-options"});
    out = testing::internal::GetCapturedStdout();
    ASSERT_TRUE(r.exit_now.has_value());
    EXPECT_EQ(*r.exit_now, 0);
    EXPECT_EQ(out, completion_lines(spec_));
    EXPECT_TRUE(contains(out, "--count\t-n\tN\thow many\n")) << out;
    EXPECT_TRUE(contains(out, "--help\t-h\t\tshow this help and exit\n")) << out;
    EXPECT_TRUE(contains(out, "--speed\t\tX\treplay pace\n")) << out;
}

TEST_F(CoreCli, CompletionLinesListEveryOption) {
    const std::string out = completion_lines(spec_);
    std::size_t lines = 0;
    for (char c : out) {
        lines += c == '\n' ? 1 : 0;
    }
    EXPECT_EQ(lines, spec_.options.size());
    for (const OptionSpec& o : spec_.options) {
        EXPECT_TRUE(contains(out, "--" + std::string(o.name) + "\t")) << o.name;
    }
}

TEST_F(CoreCli, CommonOptionsAreThere) {
    std::set<std::string_view> names;
    for (const OptionSpec& o : common_options()) {
        names.insert(o.name);
    }
    for (const char* n : {"help", "version", "config", "verbose", "quiet", "log-json"}) {
        EXPECT_TRUE(names.contains(n)) << n;
    }
    // Every config key an option names is one the config file knows.
    std::set<std::string_view> keys;
    for (const ConfigKey& k : config_keys()) {
        keys.insert(k.key);
    }
    for (auto set :
         {common_options(), input_options(), output_options(), store_options(), run_options()}) {
        for (const OptionSpec& o : set) {
            if (!o.config_key.empty()) {
                EXPECT_TRUE(keys.contains(o.config_key)) << o.name << ": " << o.config_key;
            }
        }
    }
}

} // namespace
} // namespace okxkit::core
