// Unit tests for lib/core/trading: typed decision and execution messages, written and parsed.
#include "core/trading.hpp"

#include "core/error.hpp"
#include "core/message.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace okxkit::core {
namespace {

using nlohmann::json;
using Rng = std::mt19937_64;

constexpr std::int64_t kTs = 1617235200000;

// ---------------------------------------------------------------------------------------
// Each kind's name and parsers, so that one test body can run over all ten.

template <class T> struct Traits;

#define OKXKIT_TRADING_TRAITS(Type, name)                                                          \
    template <> struct Traits<Type> {                                                              \
        static constexpr std::string_view kKind = #name;                                           \
        static std::optional<Type> parse(const json& msg, std::string* error) {                    \
            return parse_##name(msg, error);                                                       \
        }                                                                                          \
        static std::optional<Type> parse_line(std::string_view line, std::string* error) {         \
            return parse_##name##_line(line, error);                                               \
        }                                                                                          \
    };
OKXKIT_TRADING_TRAITS(Regime, regime)
OKXKIT_TRADING_TRAITS(Assignment, assignment)
OKXKIT_TRADING_TRAITS(Signal, signal)
OKXKIT_TRADING_TRAITS(Intent, intent)
OKXKIT_TRADING_TRAITS(Risk, risk)
OKXKIT_TRADING_TRAITS(Sync, sync)
OKXKIT_TRADING_TRAITS(Order, order)
OKXKIT_TRADING_TRAITS(Fill, fill)
OKXKIT_TRADING_TRAITS(Position, position)
OKXKIT_TRADING_TRAITS(Portfolio, portfolio)
#undef OKXKIT_TRADING_TRAITS

template <class T> std::string write(const T& m) {
    std::string out;
    append_message(out, m);
    return out;
}

// Parses with the kind's parser and fails the test, with the error, when it fails.
template <class T> T must_parse(std::string_view line) {
    std::string error;
    std::optional<T> m = Traits<T>::parse_line(line, &error);
    EXPECT_TRUE(m.has_value()) << line << " -> " << error;
    return m.value_or(T{});
}

// The keys of a line in the order written.
std::vector<std::string> keys_of(const std::string& line) {
    std::vector<std::string> keys;
    const auto msg = nlohmann::ordered_json::parse(line); // items() does not keep it alive
    for (const auto& [key, value] : msg.items()) {
        keys.push_back(key);
    }
    return keys;
}

// The order writers follow: the envelope, the common optional fields, then the kind's fields
// as kKinds lists them (the order of okxkit(7); tests/cli/docs.bats checks the two agree).
std::vector<std::string> canonical_keys(std::string_view kind) {
    std::vector<std::string> keys = {"type", "v", "ts", "inst", "run", "src", "recv_ts"};
    for (const FieldSpec& f : find_kind(kind)->fields) {
        keys.emplace_back(f.name);
    }
    return keys;
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------------------
// Enums

// Checks that the enum E spells exactly the values kKinds allows for kind.field, in order.
template <class E> void expect_enum_matches_schema(std::string_view kind, std::string_view field) {
    const KindSpec* spec = find_kind(kind);
    ASSERT_NE(spec, nullptr) << kind;
    const auto f = std::find_if(spec->fields.begin(), spec->fields.end(),
                                [&](const FieldSpec& s) { return s.name == field; });
    ASSERT_NE(f, spec->fields.end()) << kind << "." << field;
    std::string_view rest = f->allowed;
    int i = 0;
    while (!rest.empty()) {
        const std::size_t bar = rest.find('|');
        const std::string_view value = rest.substr(0, bar);
        const std::optional<E> e = from_text<E>(value);
        ASSERT_TRUE(e.has_value()) << kind << "." << field << " " << value;
        EXPECT_EQ(static_cast<int>(*e), i) << value;
        EXPECT_EQ(to_text(*e), value);
        rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
        ++i;
    }
    // No enumerator beyond the schema's values.
    EXPECT_EQ(to_text(static_cast<E>(i)), "?") << kind << "." << field;
}

TEST(CoreTrading, EnumsSpellTheSchemasValues) {
    expect_enum_matches_schema<RegimeLabel>("regime", "label");
    expect_enum_matches_schema<SignalSide>("signal", "side");
    expect_enum_matches_schema<IntentAction>("intent", "action");
    expect_enum_matches_schema<Side>("intent", "side");
    expect_enum_matches_schema<OrdType>("intent", "ord_type");
    expect_enum_matches_schema<RiskAction>("risk", "action");
    expect_enum_matches_schema<Side>("order", "side");
    expect_enum_matches_schema<OrdType>("order", "ord_type");
    expect_enum_matches_schema<OrderState>("order", "state");
    expect_enum_matches_schema<Mode>("order", "mode");
    expect_enum_matches_schema<Side>("fill", "side");
    expect_enum_matches_schema<Liquidity>("fill", "liquidity");
    expect_enum_matches_schema<Mode>("fill", "mode");
    // Every enumerated field of these kinds is one of the above.
    std::set<std::string> covered = {
        "regime.label", "signal.side",    "intent.action",  "intent.side", "intent.ord_type",
        "risk.action",  "order.side",     "order.ord_type", "order.state", "order.mode",
        "fill.side",    "fill.liquidity", "fill.mode"};
    for (std::string_view kind : {"regime", "assignment", "signal", "intent", "risk", "sync",
                                  "order", "fill", "position", "portfolio"}) {
        for (const FieldSpec& f : find_kind(kind)->fields) {
            if (!f.allowed.empty()) {
                EXPECT_TRUE(covered.count(std::string(kind) + "." + std::string(f.name)))
                    << kind << "." << f.name;
            }
        }
        EXPECT_EQ(find_kind(kind)->version, kTradingVersion) << kind;
    }
    // Exact spelling only.
    EXPECT_EQ(from_text<Side>("Buy"), std::nullopt);
    EXPECT_EQ(from_text<Side>("buy "), std::nullopt);
    EXPECT_EQ(from_text<Side>(""), std::nullopt);
    EXPECT_EQ(from_text<Side>("flat"), std::nullopt);
    EXPECT_EQ(from_text<SignalSide>("flat"), SignalSide::kFlat);
    EXPECT_EQ(from_text<OrdType>("post_only"), OrdType::kPostOnly);
    EXPECT_EQ(from_text<OrdType>("post-only"), std::nullopt);
}

// ---------------------------------------------------------------------------------------
// The examples of okxkit(7), copied from man/okxkit.7.scd (the first test checks that they
// are still there, word for word).

const std::vector<std::string>& man_examples() {
    static const std::vector<std::string> kLines = {
        R"({"type":"regime","v":1,"ts":1617235200000,"inst":"BTC-USDT","bar":"5m","score":0.72,"label":"trend_up","components":{"adx":0.8,"vol":0.4}})",
        R"({"type":"assignment","v":1,"ts":1617235200000,"inst":"BTC-USDT","strategy":"trend","suitability":0.7,"prev":null,"reasons":["adx above 25"]})",
        R"({"type":"signal","v":1,"ts":1617235200000,"inst":"BTC-USDT","strategy":"trend","side":"buy","strength":0.6,"confidence":0.61,"reason":"close above the 20-bar high"})",
        R"({"type":"intent","v":1,"ts":1617235200000,"inst":"BTC-USDT","strategy":"trend","leg":"entry","action":"place","side":"buy","ord_type":"market","equity_frac":0.1})",
        R"({"type":"intent","v":1,"ts":1617235200000,"inst":"BTC-USDT","strategy":"trend","leg":"target","action":"target","equity_frac":0.25})",
        R"({"type":"sync","v":1,"ts":1617235200000,"id":1})",
        R"({"type":"risk","v":1,"ts":1617235200000,"inst":"BTC-USDT","action":"adjust","code":"max_notional","limit":"position notional","value":1200,"threshold":1005,"strategy":"trend","leg":"entry","detail":"size cut to the position limit"})",
        R"({"type":"intent","v":1,"ts":1617235200000,"inst":"BTC-USDT","strategy":"trend","leg":"entry","action":"place","side":"buy","ord_type":"market","equity_frac":0.1,"approved":true,"sz":0.017,"tp":[{"px":60250,"frac":1}],"sl":{"px":58300}})",
        R"({"type":"order","v":1,"ts":1617235200000,"inst":"BTC-USDT","cl_ord_id":"t1entry1617235200","strategy":"trend","leg":"entry","side":"buy","ord_type":"market","sz":0.017,"state":"filled","filled_sz":0.017,"avg_px":59061.14,"mode":"paper"})",
        R"({"type":"fill","v":1,"ts":1617235200000,"inst":"BTC-USDT","cl_ord_id":"t1entry1617235200","trade_id":"paper-1","strategy":"trend","leg":"entry","side":"buy","px":59061.14,"sz":0.017,"fee":1.004,"fee_ccy":"USDT","liquidity":"taker","mode":"paper"})",
        R"({"type":"position","v":1,"ts":1617235200000,"inst":"BTC-USDT","sz":0.017,"avg_px":59061.14,"mark_px":59061.14,"upl":0,"rpl":0,"fees":1.004})",
        R"({"type":"portfolio","v":1,"ts":1617235200000,"cash":8994.956,"equity":9998.996,"gross_exposure":1004.04,"net_exposure":1004.04,"drawdown":0.0001,"day_pnl":-1.004,"halted":false})",
    };
    return kLines;
}

// The approved intent of the examples lists approved and sz after equity_frac; okxkit(7)'s
// table, and so the writer, puts sz first and approved after reduce_only.
constexpr std::string_view kApprovedIntentCanonical =
    R"({"type":"intent","v":1,"ts":1617235200000,"inst":"BTC-USDT","strategy":"trend","leg":"entry","action":"place","side":"buy","ord_type":"market","sz":0.017,"equity_frac":0.1,"approved":true,"tp":[{"px":60250,"frac":1}],"sl":{"px":58300}})";

TEST(CoreTrading, ManExamplesAreCopiedWordForWord) {
    std::ifstream in(std::string(OKXKIT_SOURCE_DIR) + "/man/okxkit.7.scd");
    ASSERT_TRUE(in) << "cannot open man/okxkit.7.scd";
    std::set<std::string> man_lines;
    for (std::string line; std::getline(in, line);) {
        man_lines.insert(line);
    }
    for (const std::string& line : man_examples()) {
        EXPECT_TRUE(man_lines.count(line)) << "not in okxkit(7): " << line;
    }
    // And no example of these kinds is left out.
    int ours = 0;
    for (const std::string& line : man_lines) {
        if (line.rfind(R"({"type":")", 0) != 0) {
            continue;
        }
        const json msg = json::parse(line);
        const std::string_view kind = kind_of(msg);
        for (std::string_view k : {"regime", "assignment", "signal", "intent", "risk", "sync",
                                   "order", "fill", "position", "portfolio"}) {
            ours += kind == k ? 1 : 0;
        }
    }
    EXPECT_EQ(ours, static_cast<int>(man_examples().size()));
}

// Parses an example with its kind's parser, writes it back; returns the written line.
std::string reparse_example(const std::string& line) {
    const json msg = json::parse(line);
    const std::string_view kind = kind_of(msg);
    std::string error;
    std::string out;
    auto check = [&](auto m) {
        EXPECT_TRUE(m.has_value()) << line << " -> " << error;
        if (m) {
            append_message(out, *m);
        }
    };
    if (kind == "regime") {
        check(parse_regime_line(line, &error));
    } else if (kind == "assignment") {
        check(parse_assignment_line(line, &error));
    } else if (kind == "signal") {
        check(parse_signal_line(line, &error));
    } else if (kind == "intent") {
        check(parse_intent_line(line, &error));
    } else if (kind == "risk") {
        check(parse_risk_line(line, &error));
    } else if (kind == "sync") {
        check(parse_sync_line(line, &error));
    } else if (kind == "order") {
        check(parse_order_line(line, &error));
    } else if (kind == "fill") {
        check(parse_fill_line(line, &error));
    } else if (kind == "position") {
        check(parse_position_line(line, &error));
    } else if (kind == "portfolio") {
        check(parse_portfolio_line(line, &error));
    } else {
        ADD_FAILURE() << "unexpected kind " << kind;
    }
    return out;
}

TEST(CoreTrading, ManExamplesParseAndWriteBackTheSameBytes) {
    for (const std::string& line : man_examples()) {
        const std::string again = reparse_example(line);
        if (contains(line, R"("approved":true)")) {
            // Written in the canonical order: the same message, not the same bytes.
            EXPECT_EQ(again, kApprovedIntentCanonical);
            EXPECT_EQ(must_parse<Intent>(again), must_parse<Intent>(line));
            EXPECT_EQ(json::parse(again), json::parse(line)); // same fields, same values
        } else {
            EXPECT_EQ(again, line);
        }
    }
}

TEST(CoreTrading, ManExamplesReadAsTheyShould) {
    const auto& ex = man_examples();
    const Regime regime = must_parse<Regime>(ex[0]);
    EXPECT_EQ(regime.ts, kTs);
    EXPECT_EQ(regime.inst, "BTC-USDT");
    EXPECT_EQ(regime.run, std::nullopt);
    EXPECT_EQ(regime.label, RegimeLabel::kTrendUp);
    EXPECT_EQ(regime.components,
              (std::vector<std::pair<std::string, double>>{{"adx", 0.8}, {"vol", 0.4}}));
    const Assignment assignment = must_parse<Assignment>(ex[1]);
    EXPECT_EQ(assignment.prev, std::nullopt);
    EXPECT_EQ(assignment.template_file, std::nullopt);
    EXPECT_EQ(assignment.reasons, std::vector<std::string>{"adx above 25"});
    EXPECT_EQ(must_parse<Signal>(ex[2]).side, SignalSide::kBuy);
    const Intent entry = must_parse<Intent>(ex[3]);
    EXPECT_EQ(entry.equity_frac, 0.1);
    EXPECT_EQ(entry.sz, std::nullopt);
    EXPECT_EQ(entry.approved, std::nullopt);
    EXPECT_TRUE(entry.tp.empty());
    const Intent target = must_parse<Intent>(ex[4]);
    EXPECT_EQ(target.action, IntentAction::kTarget);
    EXPECT_EQ(target.equity_frac, 0.25);
    EXPECT_EQ(target.side, std::nullopt);
    EXPECT_EQ(target.ord_type, std::nullopt);
    const Sync sync = must_parse<Sync>(ex[5]);
    EXPECT_EQ(sync.id, 1);
    EXPECT_EQ(sync.inst, "");
    const Risk risk = must_parse<Risk>(ex[6]);
    EXPECT_EQ(risk.action, RiskAction::kAdjust);
    EXPECT_EQ(risk.value, 1200);
    EXPECT_EQ(risk.threshold, 1005);
    EXPECT_EQ(risk.strategy, "trend");
    const Intent approved = must_parse<Intent>(ex[7]);
    EXPECT_EQ(approved.approved, true);
    EXPECT_EQ(approved.sz, 0.017);
    EXPECT_EQ(approved.tp, (std::vector<TakeProfit>{{60250, 1}}));
    EXPECT_EQ(approved.sl, StopLoss{58300});
    EXPECT_EQ(approved.trail, std::nullopt);
    const Order order = must_parse<Order>(ex[8]);
    EXPECT_EQ(order.state, OrderState::kFilled);
    EXPECT_EQ(order.mode, Mode::kPaper);
    EXPECT_EQ(order.avg_px, 59061.14);
    EXPECT_EQ(order.px, std::nullopt);
    EXPECT_EQ(must_parse<Fill>(ex[9]).liquidity, Liquidity::kTaker);
    EXPECT_EQ(must_parse<Position>(ex[10]).fees, 1.004);
    const Portfolio portfolio = must_parse<Portfolio>(ex[11]);
    EXPECT_EQ(portfolio.day_pnl, -1.004);
    EXPECT_FALSE(portfolio.halted);
}

// ---------------------------------------------------------------------------------------
// Exact lines and field order

TEST(CoreTrading, WritersUseTheFixedFieldOrder) {
    Intent intent;
    intent.ts = kTs;
    intent.inst = "BTC-USDT";
    intent.run = "bt-1";
    intent.src = "risk-guard";
    intent.recv_ts = kTs + 5;
    intent.strategy = "trend";
    intent.leg = "entry";
    intent.action = IntentAction::kPlace;
    intent.side = Side::kSell;
    intent.ord_type = OrdType::kPostOnly;
    intent.px = 59000.5;
    intent.sz = 0.25;
    intent.notional = 14750.125;
    intent.equity_frac = 0.05;
    intent.reduce_only = false;
    intent.approved = true;
    intent.tp = {{58000, 0.5}, {57000, 1}};
    intent.sl = StopLoss{60000};
    intent.trail = Trail{0.01};
    EXPECT_EQ(write(intent),
              R"({"type":"intent","v":1,"ts":1617235200000,"inst":"BTC-USDT","run":"bt-1",)"
              R"("src":"risk-guard","recv_ts":1617235200005,"strategy":"trend","leg":"entry",)"
              R"("action":"place","side":"sell","ord_type":"post_only","px":59000.5,"sz":0.25,)"
              R"("notional":14750.125,"equity_frac":0.05,"reduce_only":false,"approved":true,)"
              R"("tp":[{"px":58000,"frac":0.5},{"px":57000,"frac":1}],"sl":{"px":60000},)"
              R"("trail":{"offset_frac":0.01}})");

    // "or null" fields are written as null; optional ones are left out.
    Risk risk;
    risk.ts = 1;
    risk.inst = "ETH-USDT";
    risk.action = RiskAction::kHalt;
    risk.code = "drawdown";
    risk.limit = "max drawdown";
    risk.detail = "halted";
    EXPECT_EQ(write(risk), R"({"type":"risk","v":1,"ts":1,"inst":"ETH-USDT","action":"halt",)"
                           R"("code":"drawdown","limit":"max drawdown","value":null,)"
                           R"("threshold":null,"detail":"halted"})");
    Assignment assignment;
    assignment.ts = 2;
    assignment.inst = "BTC-USDT";
    assignment.strategy = "range";
    assignment.template_file = "range.toml";
    assignment.suitability = 0.5;
    EXPECT_EQ(write(assignment),
              R"({"type":"assignment","v":1,"ts":2,"inst":"BTC-USDT","strategy":"range",)"
              R"("template":"range.toml","suitability":0.5,"prev":null,"reasons":[]})");
    assignment.prev = "trend";
    assignment.reasons = {"adx below 20", "\"quoted\""};
    EXPECT_EQ(write(assignment),
              R"({"type":"assignment","v":1,"ts":2,"inst":"BTC-USDT","strategy":"range",)"
              R"("template":"range.toml","suitability":0.5,"prev":"trend",)"
              R"("reasons":["adx below 20","\"quoted\""]})");

    // inst is optional on sync and portfolio: written only when set. Required elsewhere, so
    // written even when empty.
    Sync sync;
    sync.ts = 3;
    sync.id = -4;
    EXPECT_EQ(write(sync), R"({"type":"sync","v":1,"ts":3,"id":-4})");
    sync.inst = "BTC-USDT";
    EXPECT_EQ(write(sync), R"({"type":"sync","v":1,"ts":3,"inst":"BTC-USDT","id":-4})");
    Position position;
    EXPECT_EQ(write(position), R"({"type":"position","v":1,"ts":0,"inst":"","sz":0,"avg_px":0,)"
                               R"("mark_px":0,"upl":0,"rpl":0,"fees":0})");
    EXPECT_EQ(validate_message(json::parse(write(position))), std::nullopt);

    // Appends, never clears.
    std::string out = "prefix ";
    append_message(out, sync);
    EXPECT_EQ(out, R"(prefix {"type":"sync","v":1,"ts":3,"inst":"BTC-USDT","id":-4})");
}

// ---------------------------------------------------------------------------------------
// Random messages: write, validate, parse back

// Finite doubles of every magnitude, never -0.0 (which reads back as 0, see NegativeZero).
double any_number(Rng& rng, bool positive = false) {
    static const double kEdges[] = {0,
                                    1,
                                    0.1,
                                    1e-7,
                                    9.999999999999999e-8,
                                    1e16,
                                    9999999999999998,
                                    5e-324,
                                    2.2250738585072014e-308,
                                    std::numeric_limits<double>::max(),
                                    9007199254740993.0,
                                    18446744073709551616.0,
                                    12345678901234567890.0,
                                    59061.14,
                                    0.017};
    double v = 0;
    switch (rng() % 6) {
    case 0:
        v = kEdges[rng() % std::size(kEdges)];
        break;
    case 1:
        do {
            v = std::bit_cast<double>(rng());
        } while (!std::isfinite(v));
        break;
    case 2:
        v = static_cast<double>(rng() % 100000000) / 100; // a price with cents
        break;
    default: {
        // Uniform in the exponent: tiny to huge.
        const int exp10 = static_cast<int>(rng() % 630) - 322;
        const double mantissa = 1 + static_cast<double>(rng() % 1000000) / 111111;
        v = mantissa * std::pow(10.0, exp10);
        if (!std::isfinite(v)) {
            v = std::numeric_limits<double>::max();
        }
    }
    }
    v = std::fabs(v);
    if (!positive && rng() % 2 == 0) {
        v = -v;
    }
    if (positive && v == 0) {
        v = 5e-324;
    }
    return v == 0 ? 0.0 : v; // -0.0 == 0, so this drops the sign of zero
}

// In (0, 1].
double any_fraction(Rng& rng) {
    if (rng() % 4 == 0) {
        return 1;
    }
    double v = any_number(rng, true);
    return v > 1 ? 1 / v : v; // 1 / DBL_MAX is subnormal, still above 0
}

std::int64_t any_int(Rng& rng) {
    static const std::int64_t kEdges[] = {std::numeric_limits<std::int64_t>::min(),
                                          std::numeric_limits<std::int64_t>::max(),
                                          0,
                                          -1,
                                          1,
                                          kTs};
    return rng() % 3 == 0 ? kEdges[rng() % std::size(kEdges)] : static_cast<std::int64_t>(rng());
}

// Valid UTF-8 with what needs escaping: quotes, backslash, control characters (NUL too),
// DEL, and 2-, 3- and 4-byte sequences up to U+10FFFF.
std::string any_text(Rng& rng, bool nonempty = false) {
    static const std::string kPieces[] = {"a",
                                          "Z",
                                          "0",
                                          " ",
                                          "-",
                                          "_",
                                          "\"",
                                          "\\",
                                          "/",
                                          "\n",
                                          "\r",
                                          "\t",
                                          std::string(1, '\0'),
                                          "\x01",
                                          "\x1f",
                                          "\x7f",
                                          "\xc3\xa9",         // é
                                          "\xe2\x82\xac",     // €
                                          "\xe2\x80\xa8",     // U+2028
                                          "\xed\x9f\xbf",     // U+D7FF, below the surrogates
                                          "\xf0\x9f\x98\x80", // U+1F600
                                          "\xf4\x8f\xbf\xbf", // U+10FFFF
                                          "BTC-USDT",
                                          "trend"};
    std::string s;
    const std::size_t n = rng() % 8 + (nonempty ? 1 : 0);
    for (std::size_t i = 0; i < n; ++i) {
        s += kPieces[rng() % std::size(kPieces)];
    }
    return s;
}

bool coin(Rng& rng) {
    return rng() % 2 == 0;
}

template <class T> std::optional<T> maybe(Rng& rng, T v) {
    return coin(rng) ? std::optional<T>(std::move(v)) : std::nullopt;
}

template <class E> E any_enum(Rng& rng, int count) {
    return static_cast<E>(rng() % static_cast<std::uint64_t>(count));
}

void fill_common(Rng& rng, MessageCommon& m, bool inst_required) {
    m.ts = any_int(rng);
    // Where inst is optional, "" stands for absent, so a present one is never empty.
    m.inst = inst_required ? any_text(rng) : (coin(rng) ? any_text(rng, true) : "");
    m.run = maybe(rng, any_text(rng));
    m.src = maybe(rng, any_text(rng));
    m.recv_ts = maybe(rng, any_int(rng));
}

void fill(Rng& rng, Regime& m) {
    fill_common(rng, m, true);
    m.bar = any_text(rng);
    m.score = any_number(rng);
    m.label = any_enum<RegimeLabel>(rng, 4);
    // Distinct names, sorted as a parsed regime has them (nlohmann::json's objects are maps).
    std::map<std::string, double> components;
    const std::size_t n = rng() % 5;
    for (std::size_t i = 0; i < n; ++i) {
        components[any_text(rng)] = any_number(rng);
    }
    m.components.assign(components.begin(), components.end());
}

void fill(Rng& rng, Assignment& m) {
    fill_common(rng, m, true);
    m.strategy = any_text(rng);
    m.template_file = maybe(rng, any_text(rng));
    m.suitability = any_number(rng);
    m.prev = maybe(rng, any_text(rng));
    m.reasons.resize(rng() % 4);
    for (std::string& r : m.reasons) {
        r = any_text(rng);
    }
}

void fill(Rng& rng, Signal& m) {
    fill_common(rng, m, true);
    m.strategy = any_text(rng);
    m.side = any_enum<SignalSide>(rng, 3);
    m.strength = any_number(rng);
    m.confidence = any_number(rng);
    m.reason = any_text(rng);
}

void fill(Rng& rng, Intent& m) {
    fill_common(rng, m, true);
    m.strategy = any_text(rng);
    m.leg = any_text(rng);
    m.action = any_enum<IntentAction>(rng, 2);
    m.side = any_enum<Side>(rng, 2);
    m.ord_type = any_enum<OrdType>(rng, 3);
    m.px = maybe(rng, any_number(rng));
    m.sz = maybe(rng, any_number(rng));
    m.notional = maybe(rng, any_number(rng));
    m.equity_frac = maybe(rng, any_number(rng));
    m.reduce_only = maybe(rng, coin(rng));
    m.approved = maybe(rng, coin(rng));
    m.tp.resize(rng() % 2 == 0 ? 0 : rng() % 4);
    for (TakeProfit& r : m.tp) {
        r = {any_number(rng, true), any_fraction(rng)};
    }
    m.sl = maybe(rng, StopLoss{any_number(rng, true)});
    m.trail = maybe(rng, Trail{any_number(rng, true)});
}

void fill(Rng& rng, Risk& m) {
    fill_common(rng, m, true);
    m.action = any_enum<RiskAction>(rng, 4);
    m.code = any_text(rng);
    m.limit = any_text(rng);
    m.value = maybe(rng, any_number(rng));
    m.threshold = maybe(rng, any_number(rng));
    m.strategy = maybe(rng, any_text(rng));
    m.leg = maybe(rng, any_text(rng));
    m.detail = any_text(rng);
}

void fill(Rng& rng, Sync& m) {
    fill_common(rng, m, false);
    m.id = any_int(rng);
}

void fill(Rng& rng, Order& m) {
    fill_common(rng, m, true);
    m.cl_ord_id = any_text(rng);
    m.ord_id = maybe(rng, any_text(rng));
    m.strategy = any_text(rng);
    m.leg = any_text(rng);
    m.side = any_enum<Side>(rng, 2);
    m.ord_type = any_enum<OrdType>(rng, 3);
    m.px = maybe(rng, any_number(rng));
    m.sz = any_number(rng);
    m.state = any_enum<OrderState>(rng, 5);
    m.filled_sz = any_number(rng);
    m.avg_px = maybe(rng, any_number(rng));
    m.reason = maybe(rng, any_text(rng));
    m.mode = any_enum<Mode>(rng, 3);
}

void fill(Rng& rng, Fill& m) {
    fill_common(rng, m, true);
    m.cl_ord_id = any_text(rng);
    m.ord_id = maybe(rng, any_text(rng));
    m.trade_id = any_text(rng);
    m.strategy = any_text(rng);
    m.leg = any_text(rng);
    m.side = any_enum<Side>(rng, 2);
    m.px = any_number(rng);
    m.sz = any_number(rng);
    m.fee = any_number(rng);
    m.fee_ccy = any_text(rng);
    m.liquidity = any_enum<Liquidity>(rng, 2);
    m.mode = any_enum<Mode>(rng, 3);
}

void fill(Rng& rng, Position& m) {
    fill_common(rng, m, true);
    m.sz = any_number(rng);
    m.avg_px = any_number(rng);
    m.mark_px = any_number(rng);
    m.upl = any_number(rng);
    m.rpl = any_number(rng);
    m.fees = any_number(rng);
}

void fill(Rng& rng, Portfolio& m) {
    fill_common(rng, m, false);
    m.cash = any_number(rng);
    m.equity = any_number(rng);
    m.gross_exposure = any_number(rng);
    m.net_exposure = any_number(rng);
    m.drawdown = any_number(rng);
    m.day_pnl = any_number(rng);
    m.halted = coin(rng);
}

// Random messages of kind T: the line validates, its keys follow the canonical order, it
// parses back (from text and from json) into an equal struct, and writing that gives the same
// bytes. Doubles compare with ==, which with no -0.0 and no NaN about is bitwise equality; the
// equal bytes say so again, as the shortest round-trip text of two doubles differs when their
// bits do.
template <class T> void round_trip(std::uint64_t seed, int count) {
    Rng rng(seed);
    const std::vector<std::string> order = canonical_keys(Traits<T>::kKind);
    for (int i = 0; i < count; ++i) {
        T m;
        fill(rng, m);
        std::string line = write(m);
        ASSERT_EQ(line.find('\n'), std::string::npos);
        const json msg = json::parse(line);
        ASSERT_EQ(validate_message(msg), std::nullopt) << line;

        const std::vector<std::string> keys = keys_of(line);
        std::size_t at = 0;
        for (const std::string& key : keys) {
            const auto it =
                std::find(order.begin() + static_cast<std::ptrdiff_t>(at), order.end(), key);
            ASSERT_NE(it, order.end()) << "key " << key << " out of order: " << line;
            at = static_cast<std::size_t>(it - order.begin()) + 1;
        }

        std::string error;
        const std::optional<T> back = Traits<T>::parse_line(line, &error);
        ASSERT_TRUE(back.has_value()) << line << " -> " << error;
        ASSERT_EQ(write(*back), line);
        ASSERT_TRUE(*back == m) << line;
        const std::optional<T> from_json = Traits<T>::parse(msg, &error);
        ASSERT_TRUE(from_json.has_value()) << error;
        ASSERT_TRUE(*from_json == m) << line;
    }
}

TEST(CoreTrading, RandomRegimesRoundTrip) {
    round_trip<Regime>(101, 3000);
}
TEST(CoreTrading, RandomAssignmentsRoundTrip) {
    round_trip<Assignment>(102, 3000);
}
TEST(CoreTrading, RandomSignalsRoundTrip) {
    round_trip<Signal>(103, 3000);
}
TEST(CoreTrading, RandomIntentsRoundTrip) {
    round_trip<Intent>(104, 3000);
}
TEST(CoreTrading, RandomRisksRoundTrip) {
    round_trip<Risk>(105, 3000);
}
TEST(CoreTrading, RandomSyncsRoundTrip) {
    round_trip<Sync>(106, 3000);
}
TEST(CoreTrading, RandomOrdersRoundTrip) {
    round_trip<Order>(107, 3000);
}
TEST(CoreTrading, RandomFillsRoundTrip) {
    round_trip<Fill>(108, 3000);
}
TEST(CoreTrading, RandomPositionsRoundTrip) {
    round_trip<Position>(109, 3000);
}
TEST(CoreTrading, RandomPortfoliosRoundTrip) {
    round_trip<Portfolio>(110, 3000);
}

TEST(CoreTrading, EveryFieldIsWrittenWhenSet) {
    // A message with every optional field set has exactly the canonical keys.
    Rng rng(7);
    Intent intent;
    fill(rng, intent);
    intent.run = "r";
    intent.src = "s";
    intent.recv_ts = 1;
    intent.px = intent.sz = intent.notional = intent.equity_frac = 1.5;
    intent.reduce_only = intent.approved = true;
    intent.tp = {{1, 1}};
    intent.sl = StopLoss{1};
    intent.trail = Trail{0.5};
    EXPECT_EQ(keys_of(write(intent)), canonical_keys("intent"));
    Order order;
    fill(rng, order);
    order.run = order.src = order.ord_id = order.reason = "x";
    order.recv_ts = 2;
    order.px = order.avg_px = 2.5;
    EXPECT_EQ(keys_of(write(order)), canonical_keys("order"));
    Fill f;
    fill(rng, f);
    f.run = f.src = f.ord_id = "x";
    f.recv_ts = 3;
    EXPECT_EQ(keys_of(write(f)), canonical_keys("fill"));
    Risk risk;
    risk.run = risk.src = risk.strategy = risk.leg = "x";
    risk.recv_ts = 4;
    EXPECT_EQ(keys_of(write(risk)), canonical_keys("risk"));
    Assignment assignment;
    assignment.run = assignment.src = assignment.template_file = "x";
    assignment.recv_ts = 5;
    EXPECT_EQ(keys_of(write(assignment)), canonical_keys("assignment"));
    Sync sync;
    sync.inst = "BTC-USDT";
    sync.run = sync.src = "x";
    sync.recv_ts = 6;
    EXPECT_EQ(keys_of(write(sync)), canonical_keys("sync"));
    Portfolio portfolio;
    portfolio.inst = "BTC-USDT";
    portfolio.run = portfolio.src = "x";
    portfolio.recv_ts = 7;
    EXPECT_EQ(keys_of(write(portfolio)), canonical_keys("portfolio"));
    for (auto* kind : {"regime", "signal", "position"}) {
        MessageCommon common{kTs, "BTC-USDT", "x", "y", 8};
        std::vector<std::string> keys;
        if (std::string_view(kind) == "regime") {
            Regime m;
            static_cast<MessageCommon&>(m) = common;
            keys = keys_of(write(m));
        } else if (std::string_view(kind) == "signal") {
            Signal m;
            static_cast<MessageCommon&>(m) = common;
            keys = keys_of(write(m));
        } else {
            Position m;
            static_cast<MessageCommon&>(m) = common;
            keys = keys_of(write(m));
        }
        EXPECT_EQ(keys, canonical_keys(kind));
    }
}

// ---------------------------------------------------------------------------------------
// Parsers reject what validate_message rejects, with its words

// A message of kind T with every field, optional ones too, as json.
template <class T> json full_message(std::uint64_t seed) {
    Rng rng(seed);
    for (;;) {
        T m;
        fill(rng, m);
        json msg = json::parse(write(m));
        bool every = msg.size() == canonical_keys(Traits<T>::kKind).size();
        if constexpr (std::is_same_v<T, Intent>) {
            every = every && !m.tp.empty();
        }
        if constexpr (std::is_same_v<T, Regime>) {
            every = every && !m.components.empty();
        }
        if constexpr (std::is_same_v<T, Assignment>) {
            every = every && !m.reasons.empty();
        }
        if (every) {
            return msg;
        }
    }
}

// The values a field is set to: every JSON type, edge numbers, strings in and out of the
// enumerated sets, non-finite numbers (only a built json can hold them).
std::vector<json> mutant_values(std::string_view field) {
    std::vector<json> values = {nullptr,
                                true,
                                false,
                                0,
                                -7,
                                2,
                                1.5,
                                -2.5e300,
                                std::numeric_limits<std::uint64_t>::max(),
                                std::numeric_limits<std::int64_t>::min(),
                                "",
                                "x",
                                "Buy",
                                "1.5",
                                json::array(),
                                json::array({1}),
                                json::array({"a"}),
                                json::array({json::object()}),
                                json::object(),
                                json::object({{"a", 1}}),
                                json::object({{"a", "x"}}),
                                json::object({{"px", 1}, {"frac", 1}, {"offset_frac", 1}}),
                                std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity(),
                                std::nan("")};
    if (field == "type") {
        for (const KindSpec& k : all_kinds()) {
            values.emplace_back(std::string(k.type));
        }
    }
    // Every allowed value of every enumerated field, so each is tried in each place.
    for (const KindSpec& kind : all_kinds()) {
        for (const FieldSpec& f : kind.fields) {
            std::string_view rest = f.allowed;
            while (!rest.empty()) {
                const std::size_t bar = rest.find('|');
                values.emplace_back(std::string(rest.substr(0, bar)));
                rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
            }
        }
    }
    return values;
}

bool has_non_finite(const json& v) {
    if (v.is_number_float()) {
        return !std::isfinite(v.get<double>());
    }
    if (v.is_structured()) {
        return std::any_of(v.begin(), v.end(), has_non_finite);
    }
    return false;
}

struct MutationCounts {
    int rejected_by_schema = 0;
    int rejected_by_type_check = 0;
    int accepted = 0;
};

// Runs the parser of T on msg and holds it to validate_message: it fails exactly when that
// fails, with the same text; where it passes, the parser fails only for the reasons of its
// own (kind, version, inner shape of the field that was changed), and what it accepts writes
// back to a line that validates and parses to the same struct. The text parser agrees.
template <class T>
void expect_agrees_with_schema(const json& msg, std::string_view changed, MutationCounts& n) {
    const std::optional<std::string> schema = validate_message(msg);
    std::string error;
    const std::optional<T> m = Traits<T>::parse(msg, &error);
    if (schema) {
        ++n.rejected_by_schema;
        EXPECT_FALSE(m.has_value()) << msg.dump();
        EXPECT_EQ(error, *schema) << msg.dump();
    } else if (!m) {
        ++n.rejected_by_type_check;
        static const std::set<std::string_view> kInner = {"tp", "sl", "trail", "components",
                                                          "reasons"};
        if (changed == "type") {
            EXPECT_TRUE(contains(error, "expected type \"" + std::string(Traits<T>::kKind)))
                << msg.dump() << " -> " << error;
        } else if (changed == "v") {
            EXPECT_TRUE(contains(error, std::string(Traits<T>::kKind) + " version "))
                << msg.dump() << " -> " << error;
        } else {
            EXPECT_TRUE(kInner.count(changed)) << msg.dump() << " -> " << error;
            EXPECT_TRUE(error.rfind("field \"" + std::string(changed), 0) == 0 ||
                        error.rfind("missing field \"" + std::string(changed), 0) == 0)
                << msg.dump() << " -> " << error;
        }
    } else {
        ++n.accepted;
        const std::string line = write(*m);
        EXPECT_EQ(validate_message(json::parse(line)), std::nullopt) << line;
        const std::optional<T> again = Traits<T>::parse_line(line, &error);
        EXPECT_TRUE(again.has_value() && *again == *m) << msg.dump() << " -> " << line;
    }
    // The same from text, where text can hold the message (no NaN or infinity).
    if (!has_non_finite(msg)) {
        std::string line_error;
        const std::optional<T> from_line = Traits<T>::parse_line(msg.dump(), &line_error);
        EXPECT_EQ(from_line.has_value(), m.has_value()) << msg.dump();
        if (from_line && m) {
            EXPECT_TRUE(*from_line == *m) << msg.dump();
        } else {
            EXPECT_EQ(line_error, error) << msg.dump();
        }
    }
}

template <class T> MutationCounts mutate_all(const std::vector<json>& bases) {
    MutationCounts n;
    for (const json& base : bases) {
        expect_agrees_with_schema<T>(base, "", n);
        std::vector<std::string> fields = canonical_keys(Traits<T>::kKind);
        for (const std::string& field : fields) {
            json dropped = base;
            dropped.erase(field);
            expect_agrees_with_schema<T>(dropped, field, n);
            for (const json& value : mutant_values(field)) {
                json changed = base;
                changed[field] = value;
                expect_agrees_with_schema<T>(changed, field, n);
            }
        }
        // Not an object at all.
        for (const json& other : {json::array({base}), json("x"), json(1), json(nullptr)}) {
            expect_agrees_with_schema<T>(other, "", n);
        }
    }
    return n;
}

// Bases: the man examples of the kind and messages with every field, random and fixed.
template <class T> std::vector<json> bases() {
    std::vector<json> out;
    for (const std::string& line : man_examples()) {
        json msg = json::parse(line);
        if (kind_of(msg) == Traits<T>::kKind) {
            out.push_back(msg);
        }
    }
    EXPECT_FALSE(out.empty());
    out.push_back(full_message<T>(11));
    out.push_back(full_message<T>(12));
    return out;
}

template <class T> void expect_mutations_agree() {
    const MutationCounts n = mutate_all<T>(bases<T>());
    // The mutations reach all three outcomes.
    EXPECT_GT(n.rejected_by_schema, 100) << Traits<T>::kKind;
    EXPECT_GT(n.rejected_by_type_check, 5) << Traits<T>::kKind; // type and v, at least
    EXPECT_GT(n.accepted, 10) << Traits<T>::kKind;
}

TEST(CoreTrading, RegimeParserRejectsWhatTheSchemaRejects) {
    expect_mutations_agree<Regime>();
}
TEST(CoreTrading, AssignmentParserRejectsWhatTheSchemaRejects) {
    expect_mutations_agree<Assignment>();
}
TEST(CoreTrading, SignalParserRejectsWhatTheSchemaRejects) {
    expect_mutations_agree<Signal>();
}
TEST(CoreTrading, IntentParserRejectsWhatTheSchemaRejects) {
    expect_mutations_agree<Intent>();
}
TEST(CoreTrading, RiskParserRejectsWhatTheSchemaRejects) {
    expect_mutations_agree<Risk>();
}
TEST(CoreTrading, SyncParserRejectsWhatTheSchemaRejects) {
    expect_mutations_agree<Sync>();
}
TEST(CoreTrading, OrderParserRejectsWhatTheSchemaRejects) {
    expect_mutations_agree<Order>();
}
TEST(CoreTrading, FillParserRejectsWhatTheSchemaRejects) {
    expect_mutations_agree<Fill>();
}
TEST(CoreTrading, PositionParserRejectsWhatTheSchemaRejects) {
    expect_mutations_agree<Position>();
}
TEST(CoreTrading, PortfolioParserRejectsWhatTheSchemaRejects) {
    expect_mutations_agree<Portfolio>();
}

TEST(CoreTrading, SchemaErrorsAreWordForWord) {
    // A few of the mutations above, spelled out.
    const std::string intent = man_examples()[3];
    std::string error;
    json msg = json::parse(intent);
    msg.erase("leg");
    EXPECT_EQ(parse_intent(msg, &error), std::nullopt);
    EXPECT_EQ(error, R"(missing field "leg")");
    msg = json::parse(intent);
    msg.erase("inst");
    EXPECT_EQ(parse_intent(msg, &error), std::nullopt);
    EXPECT_EQ(error, R"(missing field "inst")");
    msg = json::parse(intent);
    msg["ts"] = "1617235200000";
    EXPECT_EQ(parse_intent(msg, &error), std::nullopt);
    EXPECT_EQ(error, R"(field "ts" must be an integer)");
    msg = json::parse(intent);
    msg["v"] = 1.0;
    EXPECT_EQ(parse_intent(msg, &error), std::nullopt);
    EXPECT_EQ(error, R"(field "v" must be an integer)");
    msg = json::parse(intent);
    msg["side"] = "flat";
    EXPECT_EQ(parse_intent(msg, &error), std::nullopt);
    EXPECT_EQ(error, R"(field "side" must be one of buy,sell)");
    msg = json::parse(intent);
    msg["px"] = std::numeric_limits<double>::infinity();
    EXPECT_EQ(parse_intent(msg, &error), std::nullopt);
    EXPECT_EQ(error, R"(field "px" must be finite)");
    msg = json::parse(intent);
    msg["tp"] = json::object();
    EXPECT_EQ(parse_intent(msg, &error), std::nullopt);
    EXPECT_EQ(error, R"(field "tp" must be an array)");
    EXPECT_EQ(parse_intent(json::array(), &error), std::nullopt);
    EXPECT_EQ(error, "not a JSON object");
    // error may be left out.
    EXPECT_EQ(parse_intent(json::array()), std::nullopt);
    EXPECT_TRUE(parse_intent(json::parse(intent)).has_value());
}

TEST(CoreTrading, NonFiniteNumbersAreRefused) {
    // In a built json: validate_message's words, for every number field of every kind.
    std::string error;
    for (const double bad : {std::nan(""), std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity()}) {
        json position = json::parse(man_examples()[10]);
        for (const char* field : {"sz", "avg_px", "mark_px", "upl", "rpl", "fees"}) {
            json msg = position;
            msg[field] = bad;
            EXPECT_EQ(parse_position(msg, &error), std::nullopt);
            EXPECT_EQ(error, "field \"" + std::string(field) + "\" must be finite");
        }
        json risk = json::parse(man_examples()[6]);
        risk["value"] = bad; // nullable, but not NaN
        EXPECT_EQ(parse_risk(risk, &error), std::nullopt);
        EXPECT_EQ(error, R"(field "value" must be finite)");
    }
    // In text: 1e999 is beyond double, which nlohmann::json refuses to parse.
    std::string line = man_examples()[10];
    line.replace(line.find("\"upl\":0"), 7, "\"upl\":1e999");
    EXPECT_EQ(parse_position_line(line, &error), std::nullopt);
    EXPECT_EQ(error, "not valid JSON");
    line = man_examples()[11];
    line.replace(line.find("\"cash\":8994.956"), 15, "\"cash\":-1e999");
    EXPECT_EQ(parse_portfolio_line(line, &error), std::nullopt);
    EXPECT_EQ(error, "not valid JSON");
    // NaN and Infinity are not JSON words.
    line = man_examples()[10];
    line.replace(line.find("\"upl\":0"), 7, "\"upl\":NaN");
    EXPECT_EQ(parse_position_line(line, &error), std::nullopt);
    EXPECT_EQ(error, "not valid JSON");
}

TEST(CoreTrading, NewerVersionIsRefused) {
    for (const std::string& line : man_examples()) {
        json msg = json::parse(line);
        const std::string kind(kind_of(msg));
        msg["v"] = 2;
        ASSERT_EQ(validate_message(msg), std::nullopt) << msg.dump(); // the schema lets it by
        const std::string newer = kind + " version 2 is newer than this build understands (1)";
        std::string got = "(parsed)";
        std::string text = msg.dump();
        if (kind == "regime") {
            EXPECT_EQ(parse_regime_line(text, &got), std::nullopt);
        } else if (kind == "assignment") {
            EXPECT_EQ(parse_assignment_line(text, &got), std::nullopt);
        } else if (kind == "signal") {
            EXPECT_EQ(parse_signal_line(text, &got), std::nullopt);
        } else if (kind == "intent") {
            EXPECT_EQ(parse_intent_line(text, &got), std::nullopt);
        } else if (kind == "risk") {
            EXPECT_EQ(parse_risk_line(text, &got), std::nullopt);
        } else if (kind == "sync") {
            EXPECT_EQ(parse_sync_line(text, &got), std::nullopt);
        } else if (kind == "order") {
            EXPECT_EQ(parse_order_line(text, &got), std::nullopt);
        } else if (kind == "fill") {
            EXPECT_EQ(parse_fill_line(text, &got), std::nullopt);
        } else if (kind == "position") {
            EXPECT_EQ(parse_position_line(text, &got), std::nullopt);
        } else if (kind == "portfolio") {
            EXPECT_EQ(parse_portfolio_line(text, &got), std::nullopt);
        }
        EXPECT_EQ(got, newer);
    }
    std::string error;
    json sync = json::parse(man_examples()[5]);
    sync["v"] = std::numeric_limits<std::int64_t>::max();
    EXPECT_EQ(parse_sync(sync, &error), std::nullopt);
    EXPECT_EQ(error, "sync version 9223372036854775807 is newer than this build understands (1)");
    // There is no version 0 or below: the schema refuses it.
    sync["v"] = 0;
    EXPECT_EQ(parse_sync(sync, &error), std::nullopt);
    EXPECT_EQ(error, "field \"v\" must be 1 or more");
    sync["v"] = -1;
    EXPECT_EQ(parse_sync(sync, &error), std::nullopt);
    EXPECT_EQ(error, "field \"v\" must be 1 or more");
    sync["v"] = 1;
    EXPECT_TRUE(parse_sync(sync, &error).has_value());
}

TEST(CoreTrading, WrongKindIsRefused) {
    std::string error;
    EXPECT_EQ(parse_intent_line(man_examples()[2], &error), std::nullopt);
    EXPECT_EQ(error, R"(expected type "intent", not "signal")");
    EXPECT_EQ(parse_order_line(man_examples()[9], &error), std::nullopt);
    EXPECT_EQ(error, R"(expected type "order", not "fill")");
    // An unknown kind passes validate_message, not a typed parser.
    EXPECT_EQ(parse_sync_line(R"({"type":"weather","v":1,"ts":1,"id":1})", &error), std::nullopt);
    EXPECT_EQ(error, R"(expected type "sync", not "weather")");
    // A broken message of another kind: validate_message's words come first.
    EXPECT_EQ(parse_sync_line(R"({"type":"signal","v":1,"ts":1})", &error), std::nullopt);
    EXPECT_EQ(error, R"(missing field "inst")");
}

TEST(CoreTrading, TextThatIsNotAMessage) {
    std::string error;
    for (const char* text : {"", "{", "not json", R"({"type":"sync","v":1,"ts":1,"id":1)",
                             R"({"type":"sync","v":1,"ts":1,"id":1} x)", "\xff"}) {
        error.clear();
        EXPECT_EQ(parse_sync_line(text, &error), std::nullopt) << text;
        EXPECT_EQ(error, "not valid JSON") << text;
    }
    EXPECT_EQ(parse_sync_line("[]", &error), std::nullopt);
    EXPECT_EQ(error, "not a JSON object");
    // A trailing newline and spaces are fine.
    const std::optional<Sync> s =
        parse_sync_line(" {\"type\":\"sync\",\"v\":1,\"ts\":1,\"id\":9}\n");
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->id, 9);
}

// ---------------------------------------------------------------------------------------
// The inner shape of tp, sl, trail, components and reasons

// Sets field of a valid message to value (JSON text), checks the schema passes it, and returns
// the parse error ("" when it parses).
template <class T> std::string inner_error(const json& base, const char* field, json value) {
    json msg = base;
    msg[field] = std::move(value);
    EXPECT_EQ(validate_message(msg), std::nullopt) << msg.dump();
    std::string error;
    return Traits<T>::parse(msg, &error) ? "" : error;
}

TEST(CoreTrading, IntentTakeProfitSlAndTrailAreChecked) {
    const json base = json::parse(man_examples()[7]);
    auto tp = [&](const char* text) { return inner_error<Intent>(base, "tp", json::parse(text)); };
    EXPECT_EQ(tp("[1]"), R"(field "tp[0]" must be an object)");
    EXPECT_EQ(tp("[null]"), R"(field "tp[0]" must be an object)");
    EXPECT_EQ(tp(R"([[60000,1]])"), R"(field "tp[0]" must be an object)");
    EXPECT_EQ(tp(R"([{"px":60000}])"), R"(missing field "tp[0].frac")");
    EXPECT_EQ(tp(R"([{"frac":1}])"), R"(missing field "tp[0].px")");
    EXPECT_EQ(tp(R"([{}])"), R"(missing field "tp[0].px")");
    EXPECT_EQ(tp(R"([{"px":"60000","frac":1}])"), R"(field "tp[0].px" must be a number)");
    EXPECT_EQ(tp(R"([{"px":null,"frac":1}])"), R"(field "tp[0].px" must be a number)");
    EXPECT_EQ(tp(R"([{"px":60000,"frac":true}])"), R"(field "tp[0].frac" must be a number)");
    EXPECT_EQ(tp(R"([{"px":0,"frac":1}])"), R"(field "tp[0].px" must be above 0)");
    EXPECT_EQ(tp(R"([{"px":-60000,"frac":1}])"), R"(field "tp[0].px" must be above 0)");
    EXPECT_EQ(tp(R"([{"px":60000,"frac":0}])"),
              R"(field "tp[0].frac" must be above 0 and at most 1)");
    EXPECT_EQ(tp(R"([{"px":60000,"frac":-0.5}])"),
              R"(field "tp[0].frac" must be above 0 and at most 1)");
    EXPECT_EQ(tp(R"([{"px":60000,"frac":1.0000000000000002}])"),
              R"(field "tp[0].frac" must be above 0 and at most 1)");
    EXPECT_EQ(tp(R"([{"px":60000,"frac":0.5},{"px":61000}])"), R"(missing field "tp[1].frac")");
    // Fine: the edges, an empty ladder, null, extra members.
    EXPECT_EQ(tp(R"([{"px":5e-324,"frac":5e-324},{"px":1e308,"frac":1}])"), "");
    EXPECT_EQ(tp("[]"), "");
    EXPECT_EQ(tp("null"), "");
    EXPECT_EQ(tp(R"([{"px":60000,"frac":1,"note":"all"}])"), "");
    json inf_rung = json::parse(R"([{"px":60000,"frac":1}])");
    inf_rung[0]["px"] = std::numeric_limits<double>::infinity();
    EXPECT_EQ(inner_error<Intent>(base, "tp", inf_rung), R"(field "tp[0].px" must be finite)");
    inf_rung[0]["px"] = 60000;
    inf_rung[0]["frac"] = std::nan("");
    EXPECT_EQ(inner_error<Intent>(base, "tp", inf_rung), R"(field "tp[0].frac" must be finite)");

    auto sl = [&](const char* text) { return inner_error<Intent>(base, "sl", json::parse(text)); };
    EXPECT_EQ(sl("{}"), R"(missing field "sl.px")");
    EXPECT_EQ(sl(R"({"price":58300})"), R"(missing field "sl.px")");
    EXPECT_EQ(sl(R"({"px":"58300"})"), R"(field "sl.px" must be a number)");
    EXPECT_EQ(sl(R"({"px":0})"), R"(field "sl.px" must be above 0)");
    EXPECT_EQ(sl(R"({"px":58300,"kind":"hard"})"), "");
    EXPECT_EQ(sl("null"), "");

    auto trail = [&](const char* text) {
        return inner_error<Intent>(base, "trail", json::parse(text));
    };
    EXPECT_EQ(trail("{}"), R"(missing field "trail.offset_frac")");
    EXPECT_EQ(trail(R"({"offset_frac":[0.01]})"), R"(field "trail.offset_frac" must be a number)");
    EXPECT_EQ(trail(R"({"offset_frac":0})"), R"(field "trail.offset_frac" must be above 0)");
    EXPECT_EQ(trail(R"({"offset_frac":-0.01})"), R"(field "trail.offset_frac" must be above 0)");
    EXPECT_EQ(trail(R"({"offset_frac":0.01})"), "");

    // What is read.
    json msg = base;
    msg["tp"] = json::parse(R"([{"px":60250,"frac":0.5,"x":1},{"px":61000,"frac":1}])");
    msg["trail"] = json::parse(R"({"offset_frac":0.015})");
    const std::optional<Intent> intent = parse_intent(msg);
    ASSERT_TRUE(intent.has_value());
    EXPECT_EQ(intent->tp, (std::vector<TakeProfit>{{60250, 0.5}, {61000, 1}}));
    EXPECT_EQ(intent->trail, Trail{0.015});
}

TEST(CoreTrading, RegimeComponentsAndAssignmentReasonsAreChecked) {
    const json regime = json::parse(man_examples()[0]);
    auto components = [&](json value) {
        return inner_error<Regime>(regime, "components", std::move(value));
    };
    EXPECT_EQ(components(json::parse(R"({"adx":"0.8"})")),
              R"(field "components.adx" must be a number)");
    EXPECT_EQ(components(json::parse(R"({"adx":0.8,"vol":null})")),
              R"(field "components.vol" must be a number)");
    EXPECT_EQ(components(json::parse(R"({"adx":[0.8]})")),
              R"(field "components.adx" must be a number)");
    EXPECT_EQ(components(json::parse(R"({"adx":{"v":0.8}})")),
              R"(field "components.adx" must be a number)");
    EXPECT_EQ(components(json{{"adx", std::numeric_limits<double>::infinity()}}),
              R"(field "components.adx" must be finite)");
    EXPECT_EQ(components(json::object()), "");
    EXPECT_EQ(components(json::parse(R"({"a":-1e300,"b":0,"c":7})")), "");

    // Components come out sorted by name: nlohmann::json keeps an object's keys sorted.
    const std::optional<Regime> r = parse_regime_line(
        R"({"type":"regime","v":1,"ts":1,"inst":"BTC-USDT","bar":"5m","score":0.5,)"
        R"("label":"range","components":{"vol":0.4,"adx":0.8,"Zeta":1}})");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->components, (std::vector<std::pair<std::string, double>>{
                                 {"Zeta", 1}, {"adx", 0.8}, {"vol", 0.4}}));
    EXPECT_TRUE(contains(write(*r), R"("components":{"Zeta":1,"adx":0.8,"vol":0.4})"));

    const json assignment = json::parse(man_examples()[1]);
    auto reasons = [&](const char* text) {
        return inner_error<Assignment>(assignment, "reasons", json::parse(text));
    };
    EXPECT_EQ(reasons("[1]"), R"(field "reasons[0]" must be a string)");
    EXPECT_EQ(reasons(R"(["adx above 25",null])"), R"(field "reasons[1]" must be a string)");
    EXPECT_EQ(reasons(R"(["a",["b"]])"), R"(field "reasons[1]" must be a string)");
    EXPECT_EQ(reasons("[]"), "");
    EXPECT_EQ(reasons(R"(["a","","\u0000"])"), "");
}

// ---------------------------------------------------------------------------------------
// null, absent, unknown

TEST(CoreTrading, NullOptionalFieldsReadAsAbsent) {
    json msg = json::parse(man_examples()[7]);
    const Intent plain = *parse_intent(msg);
    for (const char* field : {"px", "notional", "reduce_only", "trail", "run", "src", "recv_ts"}) {
        msg[field] = nullptr;
    }
    std::string error;
    const std::optional<Intent> with_nulls = parse_intent(msg, &error);
    ASSERT_TRUE(with_nulls.has_value()) << error;
    EXPECT_EQ(*with_nulls, plain);
    EXPECT_EQ(write(*with_nulls), kApprovedIntentCanonical);
    // The "or null" fields: null is a value, written back as null.
    json risk = json::parse(man_examples()[6]);
    risk["value"] = nullptr;
    risk["threshold"] = nullptr;
    const std::optional<Risk> r = parse_risk(risk, &error);
    ASSERT_TRUE(r.has_value()) << error;
    EXPECT_EQ(r->value, std::nullopt);
    EXPECT_EQ(r->threshold, std::nullopt);
    EXPECT_TRUE(contains(write(*r), R"("value":null,"threshold":null,)"));
    json assignment = json::parse(man_examples()[1]);
    assignment["prev"] = "range";
    EXPECT_EQ(parse_assignment(assignment)->prev, "range");
    // null inst where inst is optional.
    json portfolio = json::parse(man_examples()[11]);
    portfolio["inst"] = nullptr;
    EXPECT_EQ(write(*parse_portfolio(portfolio)), man_examples()[11]);
}

TEST(CoreTrading, UnknownFieldsAreIgnored) {
    for (const std::string& line : man_examples()) {
        json msg = json::parse(line);
        msg["zz_later"] = json::parse(R"({"a":[1,null,"x"]})");
        msg["aa_note"] = "from a newer stage";
        std::string text = msg.dump();
        EXPECT_EQ(json::parse(reparse_example(text)), json::parse(line)) << text;
    }
}

template <class J>
concept KindOfTakes = requires(J&& msg) {
    kind_of(std::forward<J>(msg));
};

TEST(CoreTrading, KindOf) {
    auto kind = [](const char* text) { // a std::string, as the json is gone after the call
        const json msg = json::parse(text);
        return std::string(kind_of(msg));
    };
    EXPECT_EQ(kind(man_examples()[8].c_str()), "order");
    EXPECT_EQ(kind(R"({"type":"weather"})"), "weather");
    EXPECT_EQ(kind(R"({"type":1})"), "");
    EXPECT_EQ(kind(R"({"v":1})"), "");
    EXPECT_EQ(kind(R"(["type","order"])"), "");
    EXPECT_EQ(kind("null"), "");
    // kind_of(json::parse(...)) does not compile: the view would outlive the message.
    static_assert(KindOfTakes<json&> && KindOfTakes<const json&>);
    static_assert(!KindOfTakes<json> && !KindOfTakes<const json>);
}

TEST(CoreTrading, NegativeZeroReadsBackAsZero) {
    // append_double writes -0.0 as "-0"; nlohmann::json reads "-0" as the integer 0, so the
    // sign of zero is the one thing a round trip loses (the value compares equal).
    Position p = must_parse<Position>(man_examples()[10]);
    p.upl = -0.0;
    const std::string line = write(p);
    EXPECT_TRUE(contains(line, R"("upl":-0,)")) << line;
    const Position back = must_parse<Position>(line);
    EXPECT_EQ(back, p);
    EXPECT_FALSE(std::signbit(back.upl));
}

// ---------------------------------------------------------------------------------------
// Writers refuse what parsers would reject, and leave the buffer as it was

template <class T> std::string write_error(const T& m) {
    std::string out = "kept";
    try {
        append_message(out, m);
    } catch (const RuntimeError& e) {
        EXPECT_EQ(out, "kept");
        return e.what();
    }
    ADD_FAILURE() << "written: " << out;
    return "";
}

TEST(CoreTrading, WritersRefuseNonFiniteNumbers) {
    const double nan = std::nan("");
    const double inf = std::numeric_limits<double>::infinity();
    Position position = must_parse<Position>(man_examples()[10]);
    position.fees = nan;
    EXPECT_EQ(write_error(position), R"(cannot write position: field "fees" is not finite)");
    Portfolio portfolio = must_parse<Portfolio>(man_examples()[11]);
    portfolio.cash = -inf;
    EXPECT_EQ(write_error(portfolio), R"(cannot write portfolio: field "cash" is not finite)");
    Intent intent = must_parse<Intent>(man_examples()[7]);
    intent.px = inf; // optional, present
    EXPECT_EQ(write_error(intent), R"(cannot write intent: field "px" is not finite)");
    Risk risk = must_parse<Risk>(man_examples()[6]);
    risk.threshold = nan; // nullable: std::nullopt is how to say null, NaN is an error
    EXPECT_EQ(write_error(risk), R"(cannot write risk: field "threshold" is not finite)");
    Order order = must_parse<Order>(man_examples()[8]);
    order.avg_px = nan;
    EXPECT_EQ(write_error(order), R"(cannot write order: field "avg_px" is not finite)");
    Fill fill = must_parse<Fill>(man_examples()[9]);
    fill.fee = nan;
    EXPECT_EQ(write_error(fill), R"(cannot write fill: field "fee" is not finite)");
    Signal signal = must_parse<Signal>(man_examples()[2]);
    signal.strength = inf;
    EXPECT_EQ(write_error(signal), R"(cannot write signal: field "strength" is not finite)");
    Assignment assignment = must_parse<Assignment>(man_examples()[1]);
    assignment.suitability = nan;
    EXPECT_EQ(write_error(assignment),
              R"(cannot write assignment: field "suitability" is not finite)");
    Regime regime = must_parse<Regime>(man_examples()[0]);
    regime.components[1].second = nan;
    EXPECT_EQ(write_error(regime), R"(cannot write regime: field "components.vol" is not finite)");
}

TEST(CoreTrading, WritersRefuseWhatTheParsersCheckInside) {
    Intent intent = must_parse<Intent>(man_examples()[7]);
    intent.tp = {{60000, 0.5}, {61000, 0}};
    EXPECT_EQ(write_error(intent),
              R"(cannot write intent: field "tp[1].frac" must be above 0 and at most 1)");
    intent.tp = {{60000, 1.5}};
    EXPECT_EQ(write_error(intent),
              R"(cannot write intent: field "tp[0].frac" must be above 0 and at most 1)");
    intent.tp = {{-1, 1}};
    EXPECT_EQ(write_error(intent), R"(cannot write intent: field "tp[0].px" must be above 0)");
    intent.tp = {{std::nan(""), 1}};
    EXPECT_EQ(write_error(intent), R"(cannot write intent: field "tp[0].px" must be finite)");
    intent.tp.clear();
    intent.sl = StopLoss{0};
    EXPECT_EQ(write_error(intent), R"(cannot write intent: field "sl.px" must be above 0)");
    intent.sl.reset();
    intent.trail = Trail{-0.01};
    EXPECT_EQ(write_error(intent),
              R"(cannot write intent: field "trail.offset_frac" must be above 0)");
    intent.trail = Trail{0.01};
    EXPECT_NO_THROW(write(intent));

    Regime regime = must_parse<Regime>(man_examples()[0]);
    regime.components.emplace_back("adx", 0.1);
    EXPECT_EQ(write_error(regime), R"(cannot write regime: field "components.adx" appears twice)");

    Order order = must_parse<Order>(man_examples()[8]);
    order.side = static_cast<Side>(7); // what a stray cast could leave
    EXPECT_EQ(write_error(order), R"(cannot write order: field "side" is not one of its values)");
}

TEST(CoreTrading, WritersRefuseInvalidUtf8) {
    // nlohmann::json would not read such a line back.
    for (const char* bad : {"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                            "\xf5\x80\x80\x80", "\xe2\x82", "ok\x80", "\xc3"}) {
        Signal signal = must_parse<Signal>(man_examples()[2]);
        signal.reason = bad;
        EXPECT_EQ(write_error(signal), R"(cannot write signal: field "reason" is not valid UTF-8)")
            << bad;
        signal.reason = "ok";
        signal.run = bad;
        EXPECT_EQ(write_error(signal), R"(cannot write signal: field "run" is not valid UTF-8)");
        Assignment assignment = must_parse<Assignment>(man_examples()[1]);
        assignment.reasons.emplace_back(bad);
        EXPECT_EQ(write_error(assignment),
                  R"(cannot write assignment: field "reasons[1]" is not valid UTF-8)");
        Regime regime = must_parse<Regime>(man_examples()[0]);
        regime.components.emplace_back(bad, 1);
        EXPECT_EQ(write_error(regime),
                  R"(cannot write regime: field "components" has a name that is not valid UTF-8)");
        // And JSON agrees that the text is not valid.
        std::string literal = "\"";
        literal += bad;
        literal += '"';
        EXPECT_TRUE(json::parse(literal, nullptr, false).is_discarded()) << bad;
    }
    // The edges of valid UTF-8 go through.
    Signal signal = must_parse<Signal>(man_examples()[2]);
    signal.reason = "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80"
                    "\xf4\x8f\xbf\xbf";
    EXPECT_EQ(must_parse<Signal>(write(signal)), signal);
}

// execute's hot path reads what the writer wrote, every optional field present or not, into
// the same intent as the general path; anything outside that layout is left to the general
// path (false), never read differently.
TEST(CoreTrading, IntentFastPathReadsTheWritersLayoutAndLeavesTheRest) {
    Intent in;
    in.ts = 1617235200000;
    in.inst = "BTC-USDT";
    in.strategy = "grid";
    in.leg = "buy1";
    in.px = 59000.5;
    in.sz = 0.0123456789;
    in.approved = true;
    in.tp = {{60000, 0.5}, {61000.25, 0.5}};
    in.sl = StopLoss{58000};
    for (int i = 0; i < 256; ++i) { // every subset of the optional fields
        Intent m = in;
        m.side = (i & 1) != 0 ? std::optional<Side>(Side::kSell) : Side::kBuy;
        m.ord_type = (i & 2) != 0 ? OrdType::kPostOnly : OrdType::kLimit;
        if ((i & 4) != 0) {
            m.px.reset();
        }
        if ((i & 8) != 0) {
            m.notional = 590.5;
        }
        if ((i & 16) != 0) {
            m.reduce_only = (i & 1) != 0;
        }
        if ((i & 32) != 0) {
            m.tp.clear();
        }
        if ((i & 64) != 0) {
            m.sl.reset();
        }
        if ((i & 128) != 0) {
            m.trail = Trail{0.015};
            m.action = IntentAction::kCancel;
            m.side.reset();
            m.ord_type.reset();
        }
        std::string line;
        append_message(line, m);
        Intent fast;
        ASSERT_TRUE(read_intent_fast(line, fast)) << line;
        EXPECT_EQ(fast, m) << line;
        EXPECT_EQ(fast, *parse_intent_line(line)) << line;
    }
    const std::string base =
        R"({"type":"intent","v":1,"ts":1,"inst":"BTC-USDT","strategy":"s","leg":"l","action":"place","side":"buy","ord_type":"market","sz":1})";
    Intent fast;
    ASSERT_TRUE(read_intent_fast(base, fast));
    for (
        const char* other : {
            R"({"type":"intent","v":1,"ts":1,"inst":"BTC-USDT","strategy":"s","leg":"l","action":"place","side":"buy","ord_type":"market","sz":null})",
            R"({"type":"intent","v":1,"ts":1,"inst":"BTC-USDT","run":"r","strategy":"s","leg":"l","action":"place","side":"buy","ord_type":"market","sz":1})",
            R"({"type":"intent","v":1,"ts":1,"inst":"BTC-USDT","strategy":"s","leg":"l","action":"place","side":"buy","ord_type":"market","sz":1} )",
            R"({"type":"intent","v":1,"ts":1,"inst":"BTC-USDT","strategy":"s","leg":"l","action":"place","ord_type":"market","sz":1})",
            R"({"type":"intent","v":1,"ts":1,"inst":"BTC-USDT","strategy":"s","leg":"l","action":"target"})",
            R"({"type":"intent","v":1,"ts":1,"inst":"BTC-USDT","strategy":"s","leg":"l","action":"place","side":"buy","ord_type":"market","sz":1,"tp":[{"px":0,"frac":0.5}]})",
            R"({"type":"intent","v":1,"ts":1,"inst":"BTC-USDT","strategy":"s","leg":"l","action":"place","side":"buy","ord_type":"market","sz":1e999})",
            R"({"type":"intent","v":2,"ts":1,"inst":"BTC-USDT","strategy":"s","leg":"l","action":"place","side":"buy","ord_type":"market","sz":1})",
            R"({"type":"intent","v":1,"ts":1,"inst":"BTC-USDT","strategy":"s\u0041","leg":"l","action":"place","side":"buy","ord_type":"market","sz":1})",
        }) {
        EXPECT_FALSE(read_intent_fast(other, fast)) << other;
    }
}

} // namespace
} // namespace okxkit::core
