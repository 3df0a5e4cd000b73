// Unit tests for lib/core/config (TOML loading, typed lookups) and lib/core/cli (option parsing).
#include "core/cli.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "features/config_keys.hpp"
#include "ml/config_keys.hpp"
#include "okx/config_keys.hpp"
#include "stream/config_keys.hpp"

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

// The keys of every module, as a tool linking all of them would hand them to the loader.
std::vector<ModuleKeys> all_modules() {
    return {{"okx", okx::config_keys()},
            {"stream", stream::config_keys()},
            {"features", features::config_keys()},
            {"ml", ml::config_keys()}};
}

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
    Config cfg = Config::load(path, all_modules());
    EXPECT_TRUE(cfg.warnings().empty()); // no unknown keys
    EXPECT_TRUE(cfg.loaded());
    EXPECT_EQ(cfg.path(), path);
    EXPECT_EQ(cfg.get("symbols", ConfigType::kStrings), (Strings{"BTC-USDT", "ETH-USDT"}));
    EXPECT_EQ(cfg.get("bars", ConfigType::kStrings), (Strings{"1m", "1H"}));
    EXPECT_EQ(cfg.get("run", ConfigType::kString), Strings{"exp1"});
    EXPECT_EQ(cfg.get("store.path", ConfigType::kString),
              Strings{"~/data/store.db"}); // expanded later
    EXPECT_EQ(cfg.get("log.json", ConfigType::kBoolean), Strings{"true"});
    EXPECT_EQ(cfg.get("log.verbosity", ConfigType::kInteger), Strings{"1"});
    EXPECT_EQ(cfg.get("input.strict", ConfigType::kBoolean), Strings{"false"});
    EXPECT_EQ(cfg.get("input.max_line", ConfigType::kInteger), Strings{"4096"});
    EXPECT_EQ(cfg.get("output.unbuffered", ConfigType::kBoolean), Strings{"true"});
    EXPECT_EQ(cfg.get("replay.source", ConfigType::kString), Strings{"okx"});
    auto speed = cfg.get("replay.speed", ConfigType::kNumber);
    ASSERT_TRUE(speed && speed->size() == 1);
    EXPECT_EQ(as_double(speed->front()), 2.5);
}

TEST_F(CoreConfig, NumbersReadBackExactly) {
    const std::string path = dir_.write("n.toml", "[replay]\nspeed = 0.1\n");
    auto speed = Config::load(path).get("replay.speed", ConfigType::kNumber);
    ASSERT_TRUE(speed);
    EXPECT_EQ(as_double(speed->front()), 0.1);
    // An integer is a number too.
    const std::string path2 = dir_.write("i.toml", "[replay]\nspeed = 60\n");
    EXPECT_EQ(Config::load(path2).get("replay.speed", ConfigType::kNumber), Strings{"60"});
    const std::string path3 = dir_.write("neg.toml", "[log]\nverbosity = -1\n");
    EXPECT_EQ(Config::load(path3).get("log.verbosity", ConfigType::kInteger), Strings{"-1"});
}

TEST_F(CoreConfig, AbsentKeysAndEmptyConfig) {
    const std::string path = dir_.write("empty.toml", "");
    Config cfg = Config::load(path);
    EXPECT_TRUE(cfg.loaded());
    EXPECT_EQ(cfg.get("run", ConfigType::kString), std::nullopt);
    EXPECT_EQ(cfg.get("store.path", ConfigType::kString), std::nullopt);
    Config none;
    EXPECT_FALSE(none.loaded());
    EXPECT_EQ(none.get("run", ConfigType::kString), std::nullopt);
    const std::string arr = dir_.write("arr.toml", "bars = []\n");
    EXPECT_EQ(Config::load(arr).get("bars", ConfigType::kStrings), Strings{});
}

TEST_F(CoreConfig, TypeMismatchNamesFileAndLine) {
    // A known key of the wrong type stops the load, naming file, line and key.
    const std::pair<const char*, const char*> cases[] = {
        {"run = \"r\"\n\n[input]\nstrict = \"yes\"\n",
         ":4: key \"input.strict\" must be true or false"},
        {"[input]\nmax_line = \"big\"\n", ":2: key \"input.max_line\" must be an integer"},
        {"\n[replay]\nspeed = \"fast\"\n", ":3: key \"replay.speed\" must be a number"},
        {"[replay]\nsource = 7\n", ":2: key \"replay.source\" must be a string"},
        {"run = [\"a\"]\n", ":1: key \"run\" must be a string"},
        {"store = 1\n", ":1: key \"store\" must be a table"},
    };
    int n = 0;
    for (const auto& [text, want] : cases) {
        const std::string path = dir_.write("bad" + std::to_string(n++) + ".toml", text);
        const std::string err = usage_error_of([&] { Config::load(path, all_modules()); });
        EXPECT_TRUE(contains(err, path + want)) << err;
    }
    // value() checks the type it is asked for, too.
    const std::string path = dir_.write("ok.toml", "run = \"r\"\n");
    const std::string err =
        usage_error_of([&] { (void)Config::load(path).get("run", ConfigType::kStrings); });
    EXPECT_TRUE(contains(err, path + ":1")) << err;
}

TEST_F(CoreConfig, ArrayOfStringsMustHoldOnlyStrings) {
    const std::string path = dir_.write("bars.toml", "\n\nbars = [\"1m\", 5]\n");
    std::string err = usage_error_of([&] { Config::load(path, all_modules()); });
    EXPECT_TRUE(contains(err, path + ":3")) << err;
    EXPECT_TRUE(contains(err, "bars")) << err;
    const std::string path2 = dir_.write("symbols.toml", "symbols = \"BTC-USDT\"\n");
    err = usage_error_of([&] { Config::load(path2); });
    EXPECT_TRUE(contains(err, path2 + ":1")) << err;
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
    Config cfg = Config::load(path, all_modules());
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
    EXPECT_EQ(cfg.get("run", ConfigType::kString), Strings{"r"});
}

TEST_F(CoreConfig, AQuotedKeyIsShownEscapedAndShort) {
    // TOML's quoted keys may hold tabs, escapes and any length: a warning shows an excerpt.
    std::string key(500, 'k');
    key += "\t\\u001b[31m"; // a tab, and an escape TOML turns into ESC
    const std::string path = dir_.write("quoted.toml", "\"" + key + "\" = 1\n");
    Config cfg = Config::load(path, all_modules());
    ASSERT_EQ(cfg.warnings().size(), 1U);
    const std::string& msg = cfg.warnings()[0].msg;
    EXPECT_LT(msg.size(), 200U) << msg;
    EXPECT_TRUE(contains(msg, "unknown key \"kkkk")) << msg;
    for (char c : msg) {
        EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "raw byte " << int(c) << " in " << msg;
    }
}

TEST_F(CoreConfig, ShippedExampleLoadsCleanly) {
    const std::string path = std::string(OKXKIT_SOURCE_DIR) + "/share/okxkit/config.example.toml";
    Config cfg = Config::load(path, all_modules());
    EXPECT_TRUE(cfg.warnings().empty());
    EXPECT_EQ(cfg.get("bars", ConfigType::kStrings), Strings{"5m"});
}

TEST_F(CoreConfig, EveryKeyHasOneOwnerWhoseSectionItIsIn) {
    std::set<std::string_view> keys;
    std::vector<ModuleKeys> modules = all_modules();
    modules.push_back({"core", core_config_keys()});
    for (const ModuleKeys& m : modules) {
        for (const ConfigKey& k : m.keys) {
            EXPECT_TRUE(keys.insert(k.key).second) << "duplicate " << k.key;
            EXPECT_FALSE(k.help.empty()) << k.key;
            const std::string_view top = k.key.substr(0, k.key.find('.'));
            bool owned = false;
            for (const ConfigSection& s : config_sections()) {
                owned = owned || (s.name == top && s.module == m.module);
            }
            EXPECT_TRUE(owned) << k.key << " is not under a name of module " << m.module;
        }
    }
}

TEST_F(CoreConfig, KeysOfModulesNotLinkedAreNotJudged) {
    const std::string path = dir_.write("other.toml", "[train]\nfolds = \"x\"\ntypo = 1\n"
                                                      "[risk]\nwhatever = 1\n[nope]\na = 1\n");
    // A tool without the ml module neither warns about train's keys nor checks their types;
    // an unknown top-level name is reported by every tool.
    Config cfg = Config::load(path, {{"stream", stream::config_keys()}});
    ASSERT_EQ(cfg.warnings().size(), 1U);
    EXPECT_TRUE(contains(cfg.warnings()[0].msg, "\"nope\"")) << cfg.warnings()[0].msg;
    // With ml linked, its keys are judged.
    const std::string err = usage_error_of([&] { Config::load(path, all_modules()); });
    EXPECT_TRUE(contains(err, path + ":2: key \"train.folds\" must be an integer")) << err;
}

// Tables, per-name tables and arrays of tables, as the decision stages declare them.
constexpr ConfigKey kTestKeys[] = {
    {"risk.max_gross", ConfigType::kNumber, "gross exposure limit"},
    {"risk.symbols", ConfigType::kTable, "per-symbol limits"},
    {"risk.symbols.*.max_notional", ConfigType::kNumber, "position limit of one symbol"},
    {"risk.symbols.*.enabled", ConfigType::kBoolean, "trade this symbol"},
    {"risk.limits", ConfigType::kTables, "a list of limits"},
    {"risk.limits.name", ConfigType::kString, "its name"},
    {"risk.limits.value", ConfigType::kNumber, "its threshold"},
    {"risk.live", ConfigType::kBoolean, "trade with real money", true},
};

TEST_F(CoreConfig, TablesPerNameTablesAndArraysOfTablesAreTyped) {
    const std::string path = dir_.write("risk.toml", R"([risk]
max_gross = 5000
live = true

[risk.symbols.BTC-USDT]
max_notional = 1000.5
enabled = true

[risk.symbols."ETH-USDT"]
max_notional = 200

[[risk.limits]]
name = "daily loss"
value = 0.03

[[risk.limits]]
name = "drawdown"
value = 0.1
)");
    Config cfg = Config::load(path, {{"risk", kTestKeys}});
    EXPECT_TRUE(cfg.warnings().empty());
    const ConfigNode risk = cfg.root().table("risk");
    ASSERT_TRUE(risk.exists());
    EXPECT_EQ(risk.number("max_gross"), 5000.0);
    EXPECT_EQ(risk.boolean("live"), true);
    const auto symbols = risk.table("symbols").entries();
    ASSERT_EQ(symbols.size(), 2U);
    EXPECT_EQ(symbols[0].first, "BTC-USDT");
    EXPECT_EQ(symbols[0].second.number("max_notional"), 1000.5);
    EXPECT_EQ(symbols[0].second.boolean("enabled"), true);
    EXPECT_EQ(symbols[1].first, "ETH-USDT");
    EXPECT_EQ(symbols[1].second.boolean("enabled"), std::nullopt);
    EXPECT_EQ(symbols[1].second.key(), "risk.symbols.ETH-USDT");
    EXPECT_EQ(symbols[1].second.where(), path + ":9");
    const auto limits = risk.tables("limits");
    ASSERT_EQ(limits.size(), 2U);
    EXPECT_EQ(limits[1].string("name"), "drawdown");
    EXPECT_EQ(limits[1].number("value"), 0.1);
    EXPECT_EQ(limits[1].key(), "risk.limits[1]");
    // Absent is nothing; the wrong type names file, line and the full key.
    EXPECT_FALSE(risk.table("nothing").exists());
    EXPECT_TRUE(risk.tables("nothing").empty());
    EXPECT_EQ(risk.string("nothing"), std::nullopt);
    std::string err = usage_error_of([&] { (void)limits[0].integer("name"); });
    EXPECT_TRUE(contains(err, path + ":13: key \"risk.limits[0].name\" must be an integer")) << err;
    err = usage_error_of([&] { (void)risk.tables("symbols"); });
    EXPECT_TRUE(contains(err, "must be an array of tables")) << err;
}

TEST_F(CoreConfig, TableContentsAreJudgedOnLoad) {
    const std::string unknown = dir_.write("u.toml", "[risk.symbols.BTC-USDT]\nmax_notonal = 1\n"
                                                     "[[risk.limits]]\nnme = \"x\"\n");
    Config cfg = Config::load(unknown, {{"risk", kTestKeys}});
    ASSERT_EQ(cfg.warnings().size(), 2U);
    EXPECT_TRUE(contains(cfg.warnings()[0].msg, "\"risk.symbols.BTC-USDT.max_notonal\""));
    EXPECT_EQ(cfg.warnings()[0].line, 2U);
    EXPECT_TRUE(contains(cfg.warnings()[1].msg, "\"risk.limits[0].nme\""));
    EXPECT_EQ(cfg.warnings()[1].line, 4U);
    const std::string bad = dir_.write("b.toml", "[risk.symbols.BTC-USDT]\n\nenabled = \"yes\"\n");
    const std::string err = usage_error_of([&] { Config::load(bad, {{"risk", kTestKeys}}); });
    EXPECT_TRUE(contains(err, bad + ":3: key \"risk.symbols.BTC-USDT.enabled\" must be true or "
                                    "false"))
        << err;
    const std::string flat = dir_.write("f.toml", "[risk]\nlimits = 3\n");
    EXPECT_TRUE(contains(usage_error_of([&] {
                             Config::load(flat, {{"risk", kTestKeys}});
                         }),
                         "must be an array of tables"));
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
        spec_.config_keys = {{"stream", stream::config_keys()}};
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
    EXPECT_TRUE(contains(out, "--count\t-n\tN\thow many\t\n")) << out;
    EXPECT_TRUE(contains(out, "--help\t-h\t\tshow this help and exit\t\n")) << out;
    EXPECT_TRUE(contains(out, "--speed\t\tX\treplay pace\t\n")) << out;
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
    // Every config key a shared option names is one of core's.
    std::set<std::string_view> keys;
    for (const ConfigKey& k : core_config_keys()) {
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

// --- typed options -------------------------------------------------------------------------

class CoreTypedOptions : public CoreCli {
protected:
    void SetUp() override {
        CoreCli::SetUp();
        spec_.config_keys.push_back({"test", kTyped});
        for (const OptionSpec& o : kOptions) {
            spec_.options.push_back(o);
        }
    }
    static constexpr ConfigKey kTyped[] = {
        {"featurize.format", ConfigType::kString, "format"},
        {"train.window", ConfigType::kString, "window"},
        {"train.bar", ConfigType::kString, "bar"},
        {"train.horizon", ConfigType::kInteger, "horizon"},
    };
    static constexpr OptionSpec kOptions[] = {
        {"format",
         0,
         OptType::kString,
         "FORMAT",
         "output format",
         "array",
         "featurize.format",
         {},
         {},
         "array|object"},
        {"window", 0, OptType::kDuration, "DURATION", "history", "30d", "train.window"},
        {"now", 0, OptType::kTime, "TIME", "the clock"},
        {"symbols", 0, OptType::kInsts, "INST", "instruments", {}, "symbols"},
        {"bar", 0, OptType::kBar, "BAR", "bar", "5m", "train.bar"},
        {"horizon", 0, OptType::kInt, "N", "bars ahead", "12", "train.horizon", {}, {}, {}, 1, 100},
        {"channels", 0, OptType::kStrings, "CHANNEL", "channels", {}, {}, {}, {}, "red|green"},
    };
};

TEST_F(CoreTypedOptions, ValuesAreParsedAndNormalisedOnce) {
    Options o =
        options({"--window", "1h30m", "--now", "2021-04-02", "--symbols", "btcusdt,ETH/USDT",
                 "BTC-USDT", "--bar", "1h", "--horizon", "100", "--channels", "red,green", "red"});
    EXPECT_EQ(o.duration_ms("window"), 5400000);
    EXPECT_EQ(o.time_ms("now"), 1617321600000);
    EXPECT_EQ(o.strs("symbols"), (Strings{"BTC-USDT", "ETH-USDT"})); // split, normalised, once
    EXPECT_EQ(o.str("bar"), "1H");
    EXPECT_EQ(o.bar("bar")->ms, 3600000);
    EXPECT_EQ(o.integer("horizon"), 100);
    EXPECT_EQ(o.strs("channels"), (Strings{"red", "green", "red"}));
    EXPECT_EQ(o.duration_ms("nothing"), std::nullopt);
    EXPECT_EQ(options({}).time_ms("now"), std::nullopt);
    EXPECT_EQ(options({}).duration_ms("window"), 30LL * 86400000);
}

TEST_F(CoreTypedOptions, BadValuesAreRefusedSayingWhatIsAccepted) {
    const std::pair<Strings, std::string> cases[] = {
        {{"--format", "yaml"}, "--format must be one of: array, object (got \"yaml\")"},
        {{"--window", "30"}, "--window wants a duration"},
        {{"--window", "0s"}, "--window wants a duration"},
        {{"--now", "yesterday"}, "--now wants a time"},
        {{"--symbols", "BTC-USDT,$$$"}, "--symbols wants instruments such as BTC-USDT"},
        {{"--bar", "7m"}, "--bar wants an OKX bar: 1m 3m 5m"},
        {{"--horizon", "0"}, "--horizon must be between 1 and 100 (got \"0\")"},
        {{"--horizon", "101"}, "--horizon must be between 1 and 100"},
        {{"--channels", "red,blue"}, "--channels must be one of: red, green (got \"blue\")"},
        {{"--max-line", "8"}, "--max-line must be at least 16"},
    };
    for (const auto& [args, want] : cases) {
        const std::string err = usage_error_of([&] { parse(args); });
        EXPECT_TRUE(contains(err, want)) << err << " / want: " << want;
    }
}

TEST_F(CoreTypedOptions, AConfigValueIsCheckedWithItsFileAndLine) {
    const std::string cfg =
        dir_.write("c.toml", "[featurize]\nformat = \"yaml\"\n[train]\n\nhorizon = 0\n");
    const std::string err = usage_error_of([&] { parse({"--config", cfg}); });
    EXPECT_TRUE(contains(err, cfg + ":2: key \"featurize.format\": --format must be one of: "
                                    "array, object (got \"yaml\")"))
        << err;
    const std::string cfg2 = dir_.write("d.toml", "[train]\n\nhorizon = 0\n");
    const std::string err2 = usage_error_of([&] { parse({"--config", cfg2}); });
    EXPECT_TRUE(contains(err2, cfg2 + ":3: key \"train.horizon\": --horizon must be between"))
        << err2;
    // The command line wins over a bad config value, which is then not read at all.
    EXPECT_EQ(options({"--config", cfg2, "--horizon", "3"}).integer("horizon"), 3);
}

TEST_F(CoreTypedOptions, HelpShowsAllowedValuesBoundsAndEveryExitCode) {
    spec_.refused = "a stale model";
    spec_.unavailable = "OKX did not answer";
    const std::string help = help_text(spec_);
    EXPECT_TRUE(contains(help, "[one of: array, object]")) << help;
    EXPECT_TRUE(contains(help, "[between 1 and 100]")) << help;
    EXPECT_TRUE(contains(help, "[at least 16]")) << help;
    for (const char* code : {"  0 ", "  1 ", "  2 ", "  3 ", "  4 ", "  5 ", "130/143", "141"}) {
        EXPECT_TRUE(contains(help, code)) << code << "\n" << help;
    }
    EXPECT_TRUE(contains(help, "refused: a stale model")) << help;
}

TEST_F(CoreTypedOptions, CompletionsOfferTheAllowedValues) {
    const std::string out = completion_lines(spec_);
    EXPECT_TRUE(contains(out, "--format\t\tFORMAT\toutput format\tarray object\n")) << out;
    EXPECT_TRUE(contains(out, "--channels\t\tCHANNEL\tchannels\tred green\n")) << out;
    EXPECT_TRUE(contains(out, "--bar\t\tBAR\tbar\t1m 3m 5m 15m 30m 1H")) << out;
}

TEST_F(CoreTypedOptions, AnUnknownOptionGetsTheNearestName) {
    std::string err = usage_error_of([&] { parse({"--symbol", "BTC-USDT"}); });
    EXPECT_TRUE(contains(err, "unknown option --symbol (did you mean --symbols?)")) << err;
    err = usage_error_of([&] { parse({"--windw=3d"}); });
    EXPECT_TRUE(contains(err, "did you mean --window?")) << err;
    err = usage_error_of([&] { parse({"--zzzzzzzzzz"}); });
    EXPECT_TRUE(contains(err, "unknown option --zzzzzzzzzz")) << err;
    EXPECT_FALSE(contains(err, "did you mean")) << err;
}

// A key only the config file may set: no option can name it, and tools read it from the file.
constexpr ConfigKey kLiveKeys[] = {
    {"risk.live", ConfigType::kBoolean, "trade with real money", true},
};

TEST_F(CoreCli, AFileOnlyKeyIsReadFromTheFileAndNoOptionCanSetIt) {
    spec_.config_keys.push_back({"risk", kLiveKeys});
    const std::string cfg = dir_.write("live.toml", "[risk]\nlive = true\n");
    Options o = options({"--config", cfg});
    EXPECT_EQ(o.config().root().table("risk").boolean("live"), true);
    EXPECT_EQ(options({}).config().root().table("risk").boolean("live"), std::nullopt);
    // A tool that maps an option onto it is refused, before anything runs.
    ToolSpec bad = spec_;
    bad.options.push_back({"live", 0, OptType::kFlag, "", "go live", {}, "risk.live"});
    std::vector<const char*> argv = {"okx-test", nullptr};
    EXPECT_THROW(parse_command_line(bad, 1, argv.data()), std::logic_error);
}

} // namespace
} // namespace okxkit::core
