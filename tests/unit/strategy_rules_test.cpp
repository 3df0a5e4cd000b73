// lib/strategy's rules kind: its files, checked against plainly written batch evaluations of
// the same rules, and inside the selector.
#include "core/error.hpp"
#include "core/io.hpp"
#include "core/json_out.hpp"
#include "core/message.hpp"
#include "strategy/params.hpp"
#include "strategy/regime.hpp"
#include "strategy/rules.hpp"
#include "strategy/selector.hpp"
#include "strategy/strategies.hpp"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace okxkit;
using namespace okxkit::strategy;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::filesystem::path temp_dir() {
    auto d = std::filesystem::temp_directory_path() /
             ("okxkit-rules-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
              "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

std::string write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
    return p.string();
}

StrategyConfig load(const std::string& text) {
    return load_file(write(temp_dir() / "s.toml", text));
}

struct Noise {
    std::uint64_t s = 88172645463325252ULL;
    double next() { // uniform in [-1, 1)
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return static_cast<double>(s >> 11) / static_cast<double>(1ULL << 52) - 1;
    }
};

// An EMA as written plainly: the mean of the first n values, then alpha = 2 / (n + 1).
std::vector<double> ema(const std::vector<double>& x, int n) {
    std::vector<double> out(x.size(), kNaN);
    double sum = 0;
    const double alpha = 2.0 / (n + 1);
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (i + 1 < static_cast<std::size_t>(n)) {
            sum += x[i];
        } else if (i + 1 == static_cast<std::size_t>(n)) {
            out[i] = (sum + x[i]) / n;
        } else {
            out[i] = out[i - 1] + alpha * (x[i] - out[i - 1]);
        }
    }
    return out;
}

std::vector<double> walk(std::size_t n, std::uint64_t seed = 7) {
    Noise r;
    r.s ^= seed;
    std::vector<double> c;
    double p = 100;
    for (std::size_t i = 0; i < n; ++i) {
        p *= std::exp(0.004 * r.next());
        c.push_back(p);
    }
    return c;
}

// Feeds rows of feature values (in the order of the strategy's feature_names) with closes.
struct Driver {
    std::unique_ptr<Strategy> s;
    std::vector<std::string> names;
    Regime regime;
    explicit Driver(const StrategyConfig& c) : s(make_strategy(c)), names(s->feature_names()) {
        s->bind([&](const std::string& n) {
            for (std::size_t i = 0; i < names.size(); ++i) {
                if (names[i] == n) {
                    return i;
                }
            }
            ADD_FAILURE() << "unbound feature " << n;
            return std::size_t{0};
        });
    }
    void bar(std::size_t i, double o, double h, double l, double c, const std::vector<double>& f) {
        BarInput b;
        b.ts = 1617235200000 + static_cast<std::int64_t>(i) * 300000;
        b.o = o;
        b.h = h;
        b.l = l;
        b.c = c;
        b.v = 10;
        b.f = f;
        s->on_bar(b, regime);
    }
};

const char* kEmaCross = R"(kind = "rules"
name = "x"
[indicators]
fast = "ema_12"
slow = "ema_26"
[conditions]
golden = { op = "cross_above", a = "fast", b = "slow" }
death = { op = "cross_below", a = "fast", b = "slow" }
[actions]
enter = { when = "golden", do = "target", equity_frac = 0.25 }
exit = { when = "death", do = "close" }
)";

} // namespace

TEST(StrategyRules, EmaCrossHoldsWhatABatchEvaluationSays) {
    const std::vector<double> c = walk(3000);
    const std::vector<double> fast = ema(c, 12);
    const std::vector<double> slow = ema(c, 26);
    Driver d(load(kEmaCross));
    ASSERT_EQ(d.names, (std::vector<std::string>{"ema_12", "ema_26"}));
    double held = 0; // the batch evaluation: crosses between consecutive warm candles
    int changes = 0, crosses = 0;
    std::uint64_t seq = d.s->signal_seq();
    for (std::size_t i = 0; i < c.size(); ++i) {
        d.bar(i, c[i], c[i], c[i], c[i], {fast[i], slow[i]});
        if (i > 0 && std::isfinite(slow[i - 1])) {
            if (fast[i - 1] <= slow[i - 1] && fast[i] > slow[i]) {
                ++crosses;
                changes += held == 0 ? 1 : 0;
                held = 0.25;
            } else if (fast[i - 1] >= slow[i - 1] && fast[i] < slow[i]) {
                ++crosses;
                changes += held != 0 ? 1 : 0;
                held = 0;
            }
        }
        ASSERT_EQ(d.s->warm(), i >= 26) << i;
        ASSERT_EQ(d.s->legs().size(), 1U);
        ASSERT_TRUE(d.s->legs()[0].target);
        ASSERT_EQ(d.s->legs()[0].equity_frac, held) << "candle " << i;
        ASSERT_EQ(d.s->exposure(), held > 0 ? 1.0 : 0.0);
        if (d.s->signal_seq() != seq) {
            seq = d.s->signal_seq();
            EXPECT_EQ(d.s->signal().side, held > 0 ? "buy" : "sell");
            EXPECT_NE(d.s->signal().reason.find(held > 0 ? "enter: golden (ema_12 "
                                                         : "exit: death (ema_12 "),
                      std::string::npos)
                << d.s->signal().reason;
        }
    }
    EXPECT_GT(crosses, 40); // the walk crosses often enough to mean something
    EXPECT_EQ(d.s->signal_seq(), static_cast<std::uint64_t>(changes));
}

// Every op, evaluated per candle against its plain definition, through place actions whose
// legs are on the book exactly while their condition holds.
TEST(StrategyRules, EveryOpAgreesWithItsDefinition) {
    const char* file = R"(kind = "rules"
[indicators]
a = "sma_3"
b = "sma_7"
[conditions]
gt = { op = "gt", a = "a", b = "b" }
lt = { op = "lt", a = "close", b = 100 }
up = { op = "cross_above", a = "a", b = "b" }
down = { op = "cross_below", a = "close", b = "b" }
mid = { op = "between", a = "close", lo = "b", hi = 101 }
both = { op = "and", of = ["gt", "mid"] }
any = { op = "or", of = ["lt", "up", "down"] }
neither = { op = "not", a = "any" }
[actions]
p_gt = { when = "gt", do = "place", side = "buy", equity_frac = 0.1 }
p_lt = { when = "lt", do = "place", side = "buy", equity_frac = 0.1 }
p_up = { when = "up", do = "place", side = "buy", equity_frac = 0.1 }
p_down = { when = "down", do = "place", side = "sell", equity_frac = 0.1 }
p_mid = { when = "mid", do = "place", side = "sell", equity_frac = 0.1, offset = 0.01 }
p_both = { when = "both", do = "place", side = "buy", equity_frac = 0.1, offset = -0.01 }
p_any = { when = "any", do = "place", side = "buy", equity_frac = 0.1, ord_type = "post_only" }
p_neither = { when = "neither", do = "place", side = "sell", equity_frac = 0.1 }
)";
    Driver d(load(file));
    const std::vector<double> c = walk(2000, 3);
    // Plain moving averages; a and b read their own rows (sma_3 and sma_7 of the closes).
    auto sma = [&](std::size_t i, std::size_t n) {
        if (i + 1 < n) {
            return kNaN;
        }
        double s = 0;
        for (std::size_t k = i + 1 - n; k <= i; ++k) {
            s += c[k];
        }
        return s / static_cast<double>(n);
    };
    std::map<std::string, int> seen;
    for (std::size_t i = 0; i < c.size(); ++i) {
        const double a = sma(i, 3), b = sma(i, 7);
        d.bar(i, c[i], c[i] * 1.001, c[i] * 0.999, c[i], {a, b});
        const bool warm = i >= 7; // both finite now and on the candle before
        ASSERT_EQ(d.s->warm(), warm) << i;
        std::set<std::string> want;
        if (warm) {
            const double pa = sma(i - 1, 3), pb = sma(i - 1, 7);
            const bool gt = a > b, lt = c[i] < 100, up = pa <= pb && a > b;
            const bool down = c[i - 1] >= pb && c[i] < b;
            const bool mid = b <= c[i] && c[i] <= 101;
            const bool any = lt || up || down;
            for (auto [id, on] : {std::pair{"p_gt", gt},
                                  {"p_lt", lt},
                                  {"p_up", up},
                                  {"p_down", down},
                                  {"p_mid", mid},
                                  {"p_both", gt && mid},
                                  {"p_any", any},
                                  {"p_neither", !any}}) {
                if (on) {
                    want.insert(id);
                    ++seen[id];
                }
            }
        }
        std::set<std::string> got;
        for (const Leg& leg : d.s->legs()) {
            got.insert(leg.id);
            ASSERT_FALSE(leg.target);
            const double off = leg.id == "p_mid" ? 0.01 : leg.id == "p_both" ? -0.01 : 0;
            ASSERT_DOUBLE_EQ(leg.px, c[i] * (1 + off)) << leg.id;
            ASSERT_EQ(leg.ord_type, leg.id == "p_any" ? "post_only" : "limit");
        }
        if (warm) { // before, the legs are whatever they were (none)
            ASSERT_EQ(got, want) << "candle " << i;
        } else {
            ASSERT_TRUE(got.empty());
        }
    }
    for (const char* id :
         {"p_gt", "p_lt", "p_up", "p_down", "p_mid", "p_both", "p_any", "p_neither"}) {
        EXPECT_GT(seen[id], 0) << id << " never held: the walk does not test it";
    }
}

TEST(StrategyRules, NothingFiresWhileAnIndicatorIsMissing) {
    Driver d(load(kEmaCross));
    // Warm and crossing up, then a hole (NaN), then a cross up again across the hole: the
    // candle after the hole has no previous values, so it cannot cross.
    d.bar(0, 10, 10, 10, 10, {1, 2});
    d.bar(1, 10, 10, 10, 10, {3, 2});
    EXPECT_EQ(d.s->legs()[0].equity_frac, 0.25);
    d.bar(2, 10, 10, 10, 10, {1, 2});
    EXPECT_EQ(d.s->legs()[0].equity_frac, 0);
    d.bar(3, 10, 10, 10, 10, {kNaN, 2});
    EXPECT_FALSE(d.s->warm());
    d.bar(4, 10, 10, 10, 10, {3, 2});
    EXPECT_FALSE(d.s->warm());
    EXPECT_EQ(d.s->legs()[0].equity_frac, 0);
    d.bar(5, 10, 10, 10, 10, {1, 2});
    d.bar(6, 10, 10, 10, 10, {3, 2});
    EXPECT_EQ(d.s->legs()[0].equity_frac, 0.25);
    d.s->reset(); // a gap: forget, hold nothing, warm up again
    EXPECT_EQ(d.s->legs()[0].equity_frac, 0);
    d.bar(8, 10, 10, 10, 10, {3, 2});
    EXPECT_FALSE(d.s->warm());
}

TEST(StrategyRules, TheLaterActionOfOneCandleWins) {
    const std::string base = R"(kind = "rules"
[conditions]
above = { op = "gt", a = "close", b = 10 }
far = { op = "gt", a = "close", b = 20 }
[actions]
)";
    Driver d(load(base + "a = { when = \"above\", do = \"target\", equity_frac = 0.5 }\n"
                         "b = { when = \"far\", do = \"close\" }\n"));
    d.bar(0, 15, 15, 15, 15, {});
    EXPECT_EQ(d.s->legs()[0].equity_frac, 0.5);
    d.bar(1, 25, 25, 25, 25, {}); // both hold: b, written later, wins
    EXPECT_EQ(d.s->legs()[0].equity_frac, 0);
    EXPECT_EQ(d.s->signal().side, "sell");
    EXPECT_EQ(d.s->signal().strength, -1);
    Driver e(load(base + "b = { when = \"far\", do = \"close\" }\n"
                         "a = { when = \"above\", do = \"target\", equity_frac = 0.5 }\n"));
    e.bar(0, 25, 25, 25, 25, {});
    EXPECT_EQ(e.s->legs()[0].equity_frac, 0.5);
    EXPECT_EQ(e.s->exposure(), 1);
}

TEST(StrategyRules, PlacedOrdersCountAsFilledOnlyWhenTradedThrough) {
    Driver d(load(R"(kind = "rules"
[conditions]
cheap = { op = "lt", a = "close", b = 100 }
[actions]
bid = { when = "cheap", do = "place", side = "buy", equity_frac = 0.5, offset = -0.01 }
)"));
    d.bar(0, 99, 99, 99, 99, {}); // bid at 98.01
    ASSERT_EQ(d.s->legs().size(), 1U);
    EXPECT_EQ(d.s->signal().side, "buy");
    d.bar(1, 99, 99, 98.01, 99, {}); // touched, not traded through
    EXPECT_EQ(d.s->exposure(), 0);
    d.bar(2, 99, 99, 98.0, 99, {}); // below 98.01: filled
    EXPECT_EQ(d.s->exposure(), 1);
    d.bar(3, 101, 101, 101, 101, {});
    EXPECT_TRUE(d.s->legs().empty());
    EXPECT_EQ(d.s->signal().side, "flat");
}

TEST(StrategyRules, ProblemsNameLineAndDottedKey) {
    const auto dir = temp_dir();
    const std::string f = write(dir / "bad.toml", R"(kind = "rules"
fits = "sideways"
colour = 1
[indicators]
fast = "ema_012"
close = "sma_5"
rsi = "rsi_14"
[conditions]
c1 = { op = "gt", a = "rsi", b = "nope" }
c2 = { op = "and", of = ["c1", "rsi"] }
c3 = { op = "between", a = "rsi", lo = 30 }
c4 = { op = "gt", a = "rsi", b = 1, c = 2 }
c5 = { op = "cross_above", a = 3, b = "rsi" }
c6 = { op = "near", a = "rsi", b = 1 }
[actions]
x = { when = "zz", do = "target", equity_frac = 2 }
y = { when = "c1", do = "place", side = "long", equity_frac = 0 }
z = { when = "c1", do = "hold" }
)");
    const auto p = check_file(f, nullptr);
    std::vector<std::pair<long, std::string>> got;
    for (const Problem& q : p) {
        got.emplace_back(q.line, q.key);
    }
    const std::vector<std::pair<long, std::string>> want{
        {2, "fits"},
        {3, "colour"},
        {5, "indicators.fast"},
        {6, "indicators.close"},
        {9, "conditions.c1.b"},
        {10, "conditions.c2.of"},
        {11, "conditions.c3.hi"},
        {12, "conditions.c4.c"},
        {13, "conditions.c5.a"},
        {14, "conditions.c6.op"},
        {16, "actions.x.when"},
        {16, "actions.x.equity_frac"},
        {17, "actions.y.equity_frac"},
        {17, "actions.y.side"},
        {18, "actions.z.do"},
    };
    EXPECT_EQ(got, want);
    EXPECT_EQ(p[4].text(), f + ":9: key \"conditions.c1.b\": \"nope\" is not an indicator of "
                               "this file nor a price (open high low close volume)");

    auto one = [&](const std::string& text) {
        auto v = check_file(write(dir / "one.toml", text), nullptr);
        EXPECT_EQ(v.size(), 1U) << text;
        return v.empty() ? Problem{} : v.front();
    };
    Problem loop = one("kind = \"rules\"\n[conditions]\na = { op = \"not\", a = \"b\" }\n"
                       "b = { op = \"not\", a = \"a\" }\n"
                       "[actions]\nx = { when = \"a\", do = \"close\" }\n");
    EXPECT_EQ(loop.key, "conditions.a");
    EXPECT_NE(loop.message.find("loop"), std::string::npos);
    Problem mixed =
        one("kind = \"rules\"\n[conditions]\na = { op = \"gt\", a = \"close\", b = 1 }\n"
            "[actions]\nx = { when = \"a\", do = \"close\" }\n"
            "y = { when = \"a\", do = \"place\", side = \"buy\", equity_frac = 0.1 }\n");
    EXPECT_EQ(mixed.key, "actions.y");
    EXPECT_EQ(mixed.line, 6);
    EXPECT_EQ(
        one("kind = \"rules\"\n[conditions]\na = { op = \"gt\", a = \"close\", b = 1 }\n").key,
        "actions");
    EXPECT_EQ(one("kind = \"rules\"\n[indicators]\nn = \"news_count_1\"\n[conditions]\n"
                  "a = { op = \"gt\", a = \"n\", b = 1 }\n[actions]\nx = { when = \"a\", do = "
                  "\"close\" }\n")
                  .key,
              "indicators.n");
    Problem twice = one("kind = \"rules\"\n[indicators]\na = \"rsi_14\"\n[conditions]\n"
                        "a = { op = \"gt\", a = \"close\", b = 1 }\n[actions]\nx = { when = "
                        "\"a\", do = \"close\" }\n");
    EXPECT_EQ(twice.key, "conditions.a");
}

TEST(StrategyRules, TablesOrInlineTablesReadTheSame) {
    const StrategyConfig a = load(kEmaCross);
    const StrategyConfig b = load(R"(kind = "rules"
name = "x"

[indicators]
fast = "ema_12"
slow = "ema_26"

[conditions.golden]
op = "cross_above"
a = "fast"
b = "slow"

[conditions.death]
op = "cross_below"
a = "fast"
b = "slow"

[actions.enter]
when = "golden"
do = "target"
equity_frac = 0.25

[actions.exit]
when = "death"
do = "close"
)");
    EXPECT_EQ(a.params_json(), b.params_json());
    EXPECT_EQ(a.params_json(),
              R"({"fits":"any","indicators":{"fast":"ema_12","slow":"ema_26"},)"
              R"("conditions":{"golden":{"op":"cross_above","a":"fast","b":"slow"},)"
              R"("death":{"op":"cross_below","a":"fast","b":"slow"}},)"
              R"("actions":{"enter":{"when":"golden","do":"target","equity_frac":0.25},)"
              R"("exit":{"when":"death","do":"close"}}})");
}

TEST(StrategyRules, SchemaTypesEveryPort) {
    const auto schema = nlohmann::json::parse(schema_json());
    const nlohmann::json* rules = nullptr;
    for (const auto& k : schema["oneOf"]) {
        if (k["properties"]["kind"]["const"] == "rules") {
            rules = &k;
        }
    }
    ASSERT_NE(rules, nullptr);
    const auto& props = (*rules)["properties"];
    for (const char* key : {"kind", "name", "fits", "indicators", "conditions", "actions"}) {
        EXPECT_TRUE(props.contains(key)) << key;
    }
    EXPECT_EQ(props.size(), 6U);
    const auto& ops = props["conditions"]["additionalProperties"]["oneOf"];
    std::vector<std::string> names;
    for (const auto& op : ops) {
        names.push_back(op["properties"]["op"]["const"]);
        EXPECT_EQ(op["x-okxkit-port"], "bool");
    }
    EXPECT_EQ(names, (std::vector<std::string>{"gt", "lt", "cross_above", "cross_below", "between",
                                               "and", "or", "not"}));
    const auto& acts = props["actions"]["additionalProperties"]["oneOf"];
    ASSERT_EQ(acts.size(), 3U);
    for (const auto& a : acts) {
        EXPECT_EQ(a["x-okxkit-port"], "intent");
        EXPECT_EQ(a["properties"]["when"]["x-okxkit-port"], "bool");
    }
}

TEST(StrategyRules, TheSelectorRunsAFileTheSameWayTwice) {
    const std::string path =
        (std::filesystem::path(OKXKIT_SOURCE_DIR) / "share/okxkit/strategies/rules.toml").string();
    SelectOptions o;
    o.candidates = {load_file(path)};
    std::string input;
    const std::vector<double> c = walk(2500, 11);
    for (std::size_t i = 0; i < c.size(); ++i) {
        core::Candle k;
        k.ts = 1617235200000 + static_cast<std::int64_t>(i) * 300000;
        k.inst = "ETH-USDT";
        k.bar = "5m";
        k.o = i ? c[i - 1] : c[i];
        k.c = c[i];
        k.h = std::max(k.o, k.c) * 1.0004;
        k.l = std::min(k.o, k.c) * 0.9996;
        k.vol = 10;
        core::append_candle(input, k);
        input += '\n';
    }
    auto run = [&] {
        std::istringstream in(input);
        core::LineReader reader(in, "-", 1 << 20);
        std::ostringstream os;
        {
            core::Output out(os);
            EXPECT_EQ(select_strategy(o, reader, out), 0);
            out.flush();
        }
        return os.str();
    };
    const std::string first = run();
    EXPECT_EQ(first, run());
    std::istringstream lines(first);
    int signals = 0, intents = 0;
    for (std::string line; std::getline(lines, line);) {
        const auto j = nlohmann::json::parse(line);
        EXPECT_FALSE(core::validate_message(j).has_value()) << line;
        if (j["type"] == "signal") {
            ++signals;
            EXPECT_EQ(j["strategy"], "ema_cross");
            EXPECT_NE(j["reason"].get<std::string>().find("ema_12"), std::string::npos);
        }
        intents += j["type"] == "intent" ? 1 : 0;
    }
    EXPECT_GT(signals, 10);
    EXPECT_GT(intents, 10);
}
