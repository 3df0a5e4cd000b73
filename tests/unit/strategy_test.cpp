// lib/strategy: strategy files, the grid's ladder, the regime score and the selector's
// decisions on series built for the purpose.
#include "core/error.hpp"
#include "core/io.hpp"
#include "core/json_out.hpp"
#include "core/message.hpp"
#include "store/store.hpp"
#include "strategy/params.hpp"
#include "strategy/regime.hpp"
#include "strategy/selector.hpp"
#include "strategy/strategies.hpp"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace okxkit;
using namespace okxkit::strategy;

namespace {

std::filesystem::path temp_dir() {
    auto d =
        std::filesystem::temp_directory_path() /
        ("okxkit-strategy-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

std::string write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
    return p.string();
}

// A deterministic noise source (no std distribution: their output differs between libraries).
struct Noise {
    std::uint64_t s = 88172645463325252ULL;
    double next() { // uniform in [-1, 1)
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return static_cast<double>(s >> 11) / static_cast<double>(1ULL << 52) - 1;
    }
};

// 5-minute candles of one instrument from closes: open = previous close, high and low a
// little outside.
std::string candles(const std::vector<double>& closes, const std::string& inst = "BTC-USDT") {
    std::string out;
    const std::int64_t t0 = 1617235200000;
    double prev = closes.front();
    for (std::size_t i = 0; i < closes.size(); ++i) {
        core::Candle k;
        k.ts = t0 + static_cast<std::int64_t>(i) * 300000;
        k.inst = inst;
        k.bar = "5m";
        k.o = prev;
        k.c = closes[i];
        k.h = std::max(k.o, k.c) * 1.0004;
        k.l = std::min(k.o, k.c) * 0.9996;
        k.vol = 10;
        core::append_candle(out, k);
        out += '\n';
        prev = closes[i];
    }
    return out;
}

struct Decisions {
    std::vector<nlohmann::json> lines;
    std::string text;
    std::vector<nlohmann::json> of(const std::string& type) const {
        std::vector<nlohmann::json> v;
        for (const auto& j : lines) {
            if (j["type"] == type) {
                v.push_back(j);
            }
        }
        return v;
    }
};

Decisions run(const SelectOptions& o, const std::string& input) {
    std::istringstream in(input);
    core::LineReader reader(in, "-", 1 << 20);
    std::ostringstream os;
    {
        core::Output out(os);
        EXPECT_EQ(select_strategy(o, reader, out), 0);
        out.flush();
    }
    Decisions r;
    r.text = os.str();
    std::istringstream lines(r.text);
    for (std::string line; std::getline(lines, line);) {
        r.lines.push_back(nlohmann::json::parse(line));
        EXPECT_FALSE(core::validate_message(r.lines.back()).has_value()) << line;
    }
    return r;
}

// Three days of a steady rise, then five days going sideways in waves.
std::vector<double> trend_then_range() {
    std::vector<double> c;
    Noise n;
    double p = 100;
    for (int i = 0; i < 3 * 288; ++i) {
        p *= std::exp(0.0006 + 0.0008 * n.next());
        c.push_back(p);
    }
    const double mid = p;
    for (int i = 0; i < 5 * 288; ++i) {
        c.push_back(mid * (1 + 0.012 * std::sin(2 * M_PI * i / 36.0) + 0.0015 * n.next()));
    }
    return c;
}

// Ten days of alternating stretches (4.5 h each) of a rise and of noisy waves.
std::vector<double> alternating() {
    Noise n;
    std::vector<double> c;
    double p = 100;
    for (int i = 0; i < 10 * 288; ++i) {
        const bool trending = (i / 54) % 2 == 0;
        if (trending) {
            p *= std::exp(0.0012 + 0.0006 * n.next());
            c.push_back(p);
        } else {
            c.push_back(p * (1 + 0.004 * std::sin(2 * M_PI * i / 18.0) + 0.004 * n.next()));
        }
    }
    return c;
}

SelectOptions two_candidates() {
    SelectOptions o;
    o.candidates = {defaults("trend"), defaults("grid")};
    return o;
}

} // namespace

TEST(StrategyGrid, LadderArithmeticAndGeometric) {
    const std::vector<double> a = grid_ladder(100, 200, 5, false);
    EXPECT_EQ(a, (std::vector<double>{100, 125, 150, 175, 200}));
    const std::vector<double> g = grid_ladder(100, 1600, 5, true);
    ASSERT_EQ(g.size(), 5U);
    const double want[] = {100, 200, 400, 800, 1600};
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_NEAR(g[i], want[i], 1e-9) << i;
    }
    // The bounds are exact, whatever the rounding in between.
    const std::vector<double> odd = grid_ladder(0.1, 0.3, 7, true);
    EXPECT_EQ(odd.front(), 0.1);
    EXPECT_EQ(odd.back(), 0.3);
    for (std::size_t i = 1; i < odd.size(); ++i) {
        EXPECT_GT(odd[i], odd[i - 1]);
        EXPECT_NEAR(odd[i] / odd[i - 1], std::pow(3.0, 1.0 / 6), 1e-12);
    }
}

TEST(StrategyFiles, TemplatesAreValidAndHoldTheDefaults) {
    for (const KindSchema& k : kinds()) {
        std::string file(k.kind);
        file += ".toml";
        const std::string path =
            (std::filesystem::path(OKXKIT_SOURCE_DIR) / "share/okxkit/strategies" / file).string();
        StrategyConfig c;
        const auto problems = check_file(path, &c);
        ASSERT_TRUE(problems.empty()) << problems.front().text();
        if (k.kind == "rules") {
            EXPECT_TRUE(c.rules); // a graph only a file gives: no defaults to compare with
            continue;
        }
        const StrategyConfig d = defaults(k.kind);
        EXPECT_EQ(c.kind, d.kind);
        EXPECT_EQ(c.name, d.name);
        EXPECT_EQ(c.params_json(), d.params_json()) << path;
    }
}

TEST(StrategyFiles, EveryShippedFileIsValid) {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(
             std::filesystem::path(OKXKIT_SOURCE_DIR) / "share/okxkit/strategies")) {
        if (e.path().extension() == ".toml") {
            const auto problems = check_file(e.path().string(), nullptr);
            EXPECT_TRUE(problems.empty()) << problems.front().text();
            ++n;
        }
    }
    EXPECT_GE(n, static_cast<int>(kinds().size()));
}

TEST(StrategyFiles, EveryProblemNamesFileLineAndKey) {
    const auto d = temp_dir();
    const std::string f = write(d / "bad.toml", "# a grid\n"
                                                "kind = \"grid\"\n"
                                                "levels = 1\n"
                                                "spacing = \"log\"\n"
                                                "level_frac = \"two\"\n"
                                                "colour = 3\n");
    const auto p = check_file(f, nullptr);
    ASSERT_EQ(p.size(), 4U);
    EXPECT_EQ(p[0].line, 3);
    EXPECT_EQ(p[0].key, "levels");
    EXPECT_NE(p[0].message.find("out of range: from 2 to 200"), std::string::npos) << p[0].message;
    EXPECT_EQ(p[1].line, 4);
    EXPECT_EQ(p[1].key, "spacing");
    EXPECT_NE(p[1].message.find("arithmetic geometric"), std::string::npos);
    EXPECT_EQ(p[2].line, 5);
    EXPECT_EQ(p[2].key, "level_frac");
    EXPECT_EQ(p[2].message, "must be a number");
    EXPECT_EQ(p[3].line, 6);
    EXPECT_EQ(p[3].key, "colour");
    EXPECT_EQ(p[0].text(), f + ":3: key \"levels\": 1 is out of range: from 2 to 200");

    // A kind that does not exist, a missing kind, a syntax error, a rule between two keys.
    auto one = [&](const std::string& text) {
        auto v = check_file(write(d / "one.toml", text), nullptr);
        EXPECT_EQ(v.size(), 1U) << text;
        return v.empty() ? Problem{} : v.front();
    };
    Problem k = one("name = \"x\"\nkind = \"scalper\"\n");
    EXPECT_EQ(k.line, 2);
    EXPECT_EQ(k.key, "kind");
    EXPECT_EQ(one("levels = 3\n").key, "kind");
    Problem s = one("kind = \"grid\"\nlevels = [\n");
    EXPECT_EQ(s.line, 2);
    EXPECT_EQ(s.key, "");
    Problem r = one("kind = \"trend\"\nslow = 30\nfast = 40\n");
    EXPECT_EQ(r.line, 3);
    EXPECT_EQ(r.key, "fast");
    EXPECT_THROW(load_file((d / "missing.toml").string()), core::UsageError);
}

TEST(StrategyFiles, SchemaIsJsonAndCoversEveryKey) {
    const auto schema = nlohmann::json::parse(schema_json());
    ASSERT_EQ(schema["oneOf"].size(), kinds().size());
    for (std::size_t i = 0; i < kinds().size(); ++i) {
        const auto& props = schema["oneOf"][i]["properties"];
        EXPECT_EQ(props["kind"]["const"], std::string(kinds()[i].kind));
        for (const ParamSpec& p : kinds()[i].params) {
            EXPECT_TRUE(props.contains(std::string(p.key))) << p.key;
        }
        // rules: fits, indicators, conditions, actions (strategy_rules_test.cpp)
        EXPECT_EQ(props.size(), kinds()[i].params.size() + (kinds()[i].kind == "rules" ? 6 : 2));
    }
}

TEST(StrategyRegime, TrendAndRangeAreTold) {
    // A steady rise reads as trend_up, waves around a level as range, a fall as trend_down.
    auto label_at_end = [](const std::vector<double>& closes) {
        SelectOptions o;
        o.candidates = {defaults("grid")};
        o.eval_every_ms = 300000;
        Decisions r = run(o, candles(closes));
        auto regimes = r.of("regime");
        EXPECT_FALSE(regimes.empty());
        return regimes.empty() ? std::string() : regimes.back()["label"].get<std::string>();
    };
    Noise n;
    std::vector<double> up, down, flat;
    double p = 100, q = 100;
    for (int i = 0; i < 600; ++i) {
        p *= std::exp(0.001 + 0.0005 * n.next());
        q *= std::exp(-0.001 + 0.0005 * n.next());
        up.push_back(p);
        down.push_back(q);
        flat.push_back(100 * (1 + 0.01 * std::sin(2 * M_PI * i / 30.0) + 0.001 * n.next()));
    }
    EXPECT_EQ(label_at_end(up), "trend_up");
    EXPECT_EQ(label_at_end(down), "trend_down");
    EXPECT_EQ(label_at_end(flat), "range");
}

TEST(StrategySelector, NoDecisionBeforeWarmAndComponentsInRange) {
    SelectOptions o = two_candidates();
    const auto closes = trend_then_range();
    Decisions r = run(o, candles(closes));
    const auto regimes = r.of("regime");
    ASSERT_FALSE(regimes.empty());
    // The grid's 288-bar range is the slowest input: nothing is decided before its candle.
    const std::int64_t warm_ts = 1617235200000 + 287LL * 300000;
    for (const auto& j : r.lines) {
        if (j["type"] != "candle") {
            EXPECT_GE(j["ts"].get<std::int64_t>(), warm_ts) << j.dump();
        }
    }
    for (const auto& g : regimes) {
        EXPECT_GE(g["score"].get<double>(), 0);
        EXPECT_LE(g["score"].get<double>(), 1);
        for (const auto& [k, v] : g["components"].items()) {
            EXPECT_GE(v.get<double>(), 0) << k;
            EXPECT_LE(v.get<double>(), 1) << k;
        }
    }
}

TEST(StrategySelector, TrendThenRangeSwitchesTrendToGridExactlyOnce) {
    const auto d = temp_dir();
    SelectOptions o = two_candidates();
    o.store_path = (d / "s.db").string();
    const auto closes = trend_then_range();
    Decisions r = run(o, candles(closes));
    const auto a = r.of("assignment");
    ASSERT_EQ(a.size(), 2U) << r.text.substr(0, 0);
    EXPECT_EQ(a[0]["strategy"], "trend");
    EXPECT_TRUE(a[0]["prev"].is_null());
    EXPECT_EQ(a[1]["strategy"], "grid");
    EXPECT_EQ(a[1]["prev"], "trend");
    // The switch comes in the range phase, after the minimum hold, at an evaluation time.
    const std::int64_t range_from = 1617235200000 + 3LL * 288 * 300000;
    const std::int64_t at = a[1]["ts"].get<std::int64_t>() + 300000;
    EXPECT_GE(at, range_from);
    EXPECT_GE(at - (a[0]["ts"].get<std::int64_t>() + 300000), o.min_hold_ms);
    EXPECT_EQ(at % o.eval_every_ms, 0);
    // On the switch the trend's target is kept (on_switch keep) and the grid's legs follow.
    bool grid_leg = false;
    for (const auto& i : r.of("intent")) {
        if (i["strategy"] == "grid") {
            grid_leg = true;
            EXPECT_GE(i["ts"].get<std::int64_t>(), a[1]["ts"].get<std::int64_t>());
        }
    }
    EXPECT_TRUE(grid_leg);

    // Every evaluation is in the store, and the switch's reasons say why.
    store::Store st(o.store_path);
    auto q = st.prepare("SELECT count(*), sum(decision = 'switch'), sum(decision = 'assign') "
                        "FROM strategy_evaluations");
    ASSERT_TRUE(q.step());
    EXPECT_GT(q.column_int(0), 20);
    EXPECT_EQ(q.column_int(1), 1);
    EXPECT_EQ(q.column_int(2), 1);
    auto s = st.prepare("SELECT reasons, prev FROM strategy_assignments WHERE strategy = 'grid'");
    ASSERT_TRUE(s.step());
    EXPECT_NE(s.column_text(0).find("hysteresis"), std::string::npos);
    EXPECT_EQ(s.column_text(1), "trend");
}

TEST(StrategySelector, HysteresisAndMinHoldStopFlapping) {
    // Short alternating stretches of trend and range: a selector without hysteresis or minimum
    // hold switches again and again; the defaults hold each choice for at least a day and
    // switch only for a clear margin.
    const std::string input = candles(alternating());
    SelectOptions loose = two_candidates();
    loose.hysteresis = 0;
    loose.min_hold_ms = 0;
    loose.eval_every_ms = 3600000;
    const auto flapping = run(loose, input).of("assignment");
    SelectOptions o = two_candidates();
    const auto d = temp_dir();
    o.store_path = (d / "s.db").string();
    const auto a = run(o, input).of("assignment");
    EXPECT_GT(flapping.size(), 2 * a.size()) << flapping.size() << " vs " << a.size();
    for (std::size_t i = 1; i < a.size(); ++i) {
        EXPECT_GE(a[i]["ts"].get<std::int64_t>() - a[i - 1]["ts"].get<std::int64_t>(),
                  o.min_hold_ms);
    }
    store::Store st(o.store_path);
    auto q = st.prepare("SELECT incumbent, chosen, candidates FROM strategy_evaluations WHERE "
                        "decision = 'switch'");
    while (q.step()) {
        double from = -1, to = -1;
        for (const auto& cand : nlohmann::json::parse(q.column_text(2))) {
            if (cand["name"] == q.column_text(0)) {
                from = cand["suitability"].get<double>();
            }
            if (cand["name"] == q.column_text(1)) {
                to = cand["suitability"].get<double>();
            }
        }
        EXPECT_GE(to - from, o.hysteresis - 1e-9);
    }
}

TEST(StrategySelector, PinnedSymbolsAreNeverReassigned) {
    SelectOptions o = two_candidates();
    o.pinned["BTC-USDT"] = defaults("grid");
    o.pin_origin["BTC-USDT"] = "config.toml:7";
    const auto closes = trend_then_range();
    Decisions r = run(o, candles(closes) + candles(closes, "ETH-USDT"));
    std::vector<std::string> btc, eth;
    for (const auto& a : r.of("assignment")) {
        (a["inst"] == "BTC-USDT" ? btc : eth).push_back(a["strategy"].get<std::string>());
    }
    EXPECT_EQ(btc, (std::vector<std::string>{"grid"}));
    EXPECT_EQ(eth, (std::vector<std::string>{"trend", "grid"}));
    const auto first = r.of("assignment").front();
    EXPECT_NE(first["reasons"][0].get<std::string>().find("config.toml:7"), std::string::npos);
}

TEST(StrategySelector, SameInputSameBytesAndFeaturesLinesChangeNothing) {
    SelectOptions o = two_candidates();
    o.candidates.push_back(defaults("mean_reversion"));
    const std::string input = candles(trend_then_range());
    const Decisions a = run(o, input);
    const Decisions b = run(o, input);
    EXPECT_EQ(a.text, b.text);
    // A features line after every candle (as featurize writes them) passes through and
    // changes no decision.
    std::string with;
    std::istringstream lines(input);
    std::string decisions_a;
    for (std::string line; std::getline(lines, line);) {
        with += line + "\n";
        auto j = nlohmann::json::parse(line);
        with += R"({"type":"features","v":1,"ts":)" + std::to_string(j["ts"].get<std::int64_t>()) +
                R"(,"inst":"BTC-USDT","bar":"5m","schema":"0123456789abcdef","f":[1,null]})"
                "\n";
    }
    const Decisions c = run(o, with);
    auto decisions = [](const Decisions& r) {
        std::string s;
        for (const auto& j : r.lines) {
            if (j["type"] != "candle" && j["type"] != "features") {
                s += j.dump() + "\n";
            }
        }
        return s;
    };
    EXPECT_EQ(decisions(a), decisions(c));
    EXPECT_EQ(c.of("features").size(), a.of("candle").size());
}

TEST(StrategySelector, ASwitchCancelsTheOldLegsAndKeepsOrFlattensItsExposure) {
    // Sideways first, then a steady rise: grid, then trend. The grid's resting legs are all
    // cancelled at the switch.
    Noise n;
    std::vector<double> c;
    for (int i = 0; i < 3 * 288; ++i) {
        c.push_back(100 * (1 + 0.012 * std::sin(2 * M_PI * i / 36.0) + 0.0015 * n.next()));
    }
    double p = c.back();
    for (int i = 0; i < 4 * 288; ++i) {
        p *= std::exp(0.0006 + 0.0008 * n.next());
        c.push_back(p);
    }
    SelectOptions o;
    // A wide stop margin: the grid still rests its legs when the trend takes over.
    StrategyConfig grid = defaults("grid");
    grid.num["stop_margin"] = 0.5;
    o.candidates = {grid, defaults("trend")};
    const Decisions r = run(o, candles(c));
    const auto a = r.of("assignment");
    ASSERT_GE(a.size(), 2U);
    EXPECT_EQ(a[0]["strategy"], "grid");
    EXPECT_EQ(a[1]["strategy"], "trend");
    const std::int64_t at = a[1]["ts"].get<std::int64_t>();
    // The grid legs out there just before the switch: placed and not cancelled since.
    std::map<std::string, bool> open;
    std::set<std::string> cancelled_at_switch;
    for (const auto& i : r.of("intent")) {
        if (i["strategy"] != "grid") {
            continue;
        }
        const std::string leg = i["leg"].get<std::string>();
        if (i["ts"].get<std::int64_t>() == at && i["action"] == "cancel") {
            cancelled_at_switch.insert(leg);
        }
        if (i["ts"].get<std::int64_t>() < at) {
            open[leg] = i["action"] == "place";
        }
        EXPECT_LE(i["ts"].get<std::int64_t>(), at) << "a grid intent after the switch";
    }
    std::set<std::string> were_open;
    for (const auto& [leg, placed] : open) {
        if (placed) {
            were_open.insert(leg);
        }
    }
    EXPECT_FALSE(were_open.empty());
    EXPECT_EQ(cancelled_at_switch, were_open);

    // Switches away from trend with on_switch flatten: when the trend holds exposure at the
    // switch it is told to want none; with keep (the default) it is not. Alternating stretches
    // of trend and range and a selector without hysteresis switch often, some of the time while
    // the trend holds.
    const std::string input = candles(alternating());
    for (const bool flatten : {false, true}) {
        SelectOptions t = two_candidates();
        t.hysteresis = 0;
        t.min_hold_ms = 0;
        t.eval_every_ms = 3600000;
        t.flatten_on_switch = flatten;
        const Decisions d = run(t, input);
        double held = 0; // the trend's last target
        int holding_switches = 0;
        std::int64_t switch_ts = -1;
        for (const auto& j : d.lines) {
            if (j["type"] == "assignment" && j["prev"] == "trend") {
                switch_ts = j["ts"].get<std::int64_t>();
                holding_switches += held > 0 ? 1 : 0;
                if (held > 0 && !flatten) {
                    held = 0; // kept: the position stays, but the trend no longer speaks
                }
            } else if (j["type"] == "intent" && j["strategy"] == "trend" &&
                       j["action"] == "target") {
                const bool at_switch = j["ts"].get<std::int64_t>() == switch_ts;
                if (at_switch) {
                    EXPECT_TRUE(flatten) << "a target written at a switch under keep";
                    EXPECT_EQ(j["equity_frac"].get<double>(), 0);
                    EXPECT_GT(held, 0);
                }
                held = j["equity_frac"].get<double>();
            }
        }
        EXPECT_GT(holding_switches, 0) << "no switch found the trend holding";
    }
}
