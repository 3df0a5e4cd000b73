// Unit tests for lib/core/message: validate_message per kind, check_ohlcv, append_candle.
#include "core/message.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace okxkit::core {
namespace {

using nlohmann::json;

constexpr std::int64_t kTs = 1617235200000;

std::optional<std::string> check(const char* text) {
    return validate_message(json::parse(text));
}

// The error text of an invalid message ("" when it is valid, so EXPECT_* messages read well).
std::string problem(const json& msg) {
    return validate_message(msg).value_or("");
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A field name in double quotes, as the error texts cite it.
std::string quoted(std::string_view name) {
    std::string out;
    out += '"';
    out += name;
    out += '"';
    return out;
}

// A value of type t that validates (the first allowed value for enumerated strings).
json sample(const FieldSpec& f) {
    switch (f.type) {
    case FieldType::kString:
        return f.allowed.empty() ? json("x")
                                 : json(std::string(f.allowed.substr(0, f.allowed.find('|'))));
    case FieldType::kInt:
        return 5;
    case FieldType::kNumber:
        return 1.5;
    case FieldType::kBool:
        return true;
    case FieldType::kArray:
        return json::array();
    case FieldType::kObject:
        return json::object();
    case FieldType::kAny:
        return 1;
    }
    return nullptr;
}

// Values of any type other than t.
std::vector<json> wrong_values(FieldType t) {
    switch (t) {
    case FieldType::kString:
        return {5, 1.5, true, json::array(), json::object()};
    case FieldType::kInt:
        return {1.5, "5", true, json::array()};
    case FieldType::kNumber:
        return {"1.5", true, json::array(), json::object()};
    case FieldType::kBool:
        return {1, "true", json::array()};
    case FieldType::kArray:
        return {json::object(), "[]", 1};
    case FieldType::kObject:
        return {json::array(), "{}", 1};
    case FieldType::kAny:
        return {};
    }
    return {};
}

// The smallest valid message of a kind: the envelope and every required field.
json minimal(const KindSpec& kind) {
    json msg = {{"type", std::string(kind.type)}, {"v", kind.version}, {"ts", kTs}};
    if (kind.has_inst) {
        msg["inst"] = "BTC-USDT";
    }
    for (const FieldSpec& f : kind.fields) {
        if (f.required) {
            msg[std::string(f.name)] = sample(f);
        }
    }
    if (kind.type == "intent") {
        // What an intent needs by its action (check_intent): a place has a side and an order
        // type, a target its equity_frac. These fit every action.
        msg["side"] = "buy";
        msg["ord_type"] = "market";
        msg["equity_frac"] = 0.1;
    }
    return msg;
}

// ---------------------------------------------------------------------------------------
// The kinds table

TEST(CoreMessage, KindsAreUniqueAndFindable) {
    std::set<std::string_view> seen;
    ASSERT_FALSE(all_kinds().empty());
    for (const KindSpec& k : all_kinds()) {
        EXPECT_TRUE(seen.insert(k.type).second) << "duplicate kind " << k.type;
        EXPECT_EQ(find_kind(k.type), &k);
        EXPECT_GE(k.version, 1);
        std::set<std::string_view> fields;
        for (const FieldSpec& f : k.fields) {
            EXPECT_TRUE(fields.insert(f.name).second) << k.type << "." << f.name;
        }
    }
    EXPECT_EQ(find_kind("weather"), nullptr);
    EXPECT_EQ(find_kind(""), nullptr);
    EXPECT_EQ(find_kind("Candle"), nullptr);
    // The kinds of MESSAGES.md that tools exchange.
    for (const char* k : {"candle",         "ticker",   "trade",      "book",   "gap",
                          "feature_schema", "features", "prediction", "regime", "assignment",
                          "signal",         "intent",   "risk",       "sync",   "order",
                          "fill",           "position", "portfolio",  "health", "news"}) {
        EXPECT_NE(find_kind(k), nullptr) << k;
    }
    // Run-wide kinds carry no inst.
    EXPECT_FALSE(find_kind("feature_schema")->has_inst);
    EXPECT_FALSE(find_kind("portfolio")->has_inst);
    EXPECT_FALSE(find_kind("sync")->has_inst);
    EXPECT_TRUE(find_kind("candle")->has_inst);
}

// ---------------------------------------------------------------------------------------
// validate_message, by hand-written examples

TEST(CoreMessage, ValidExamples) {
    EXPECT_EQ(check(R"({"type":"candle","v":1,"ts":1617235200000,"inst":"BTC-USDT","bar":"1m",)"
                    R"("o":58000.5,"h":58100,"l":57900.25,"c":58050,"vol":12.5,"confirm":true})"),
              std::nullopt);
    EXPECT_EQ(check(R"({"type":"trade","v":1,"ts":1,"inst":"ETH-USDT","px":3000.1,"sz":0.5,)"
                    R"("side":"sell","trade_id":"123"})"),
              std::nullopt);
    EXPECT_EQ(check(R"({"type":"signal","v":1,"ts":1,"inst":"ETH-USDT","strategy":"s",)"
                    R"("side":"flat","strength":0,"confidence":0.5,"reason":"none"})"),
              std::nullopt);
    EXPECT_EQ(check(R"({"type":"feature_schema","v":1,"ts":1,"schema":"ab12",)"
                    R"("names":["rsi_14"],"bar":"5m"})"),
              std::nullopt);
    EXPECT_EQ(check(R"({"type":"portfolio","v":1,"ts":1,"cash":1000,"equity":1000,)"
                    R"("gross_exposure":0,"net_exposure":0,"drawdown":0,"day_pnl":0,)"
                    R"("halted":false})"),
              std::nullopt);
    EXPECT_EQ(check(R"({"type":"sync","v":1,"ts":1,"id":7})"), std::nullopt);
    EXPECT_EQ(check(R"({"type":"gap","v":1,"ts":1,"inst":"BTC-USDT","bar":"1m","from":1,)"
                    R"("to":2,"cause":"reconnect","run":"r","src":"okx-stream","recv_ts":3})"),
              std::nullopt);
}

TEST(CoreMessage, EnvelopeProblemsAreNamed) {
    EXPECT_EQ(check(R"([1,2])"), "not a JSON object");
    EXPECT_EQ(check(R"("candle")"), "not a JSON object");
    EXPECT_EQ(check(R"({"v":1,"ts":1})"), R"(missing field "type")");
    EXPECT_EQ(check(R"({"type":"sync","ts":1,"id":1})"), R"(missing field "v")");
    EXPECT_EQ(check(R"({"type":"sync","v":1,"id":1})"), R"(missing field "ts")");
    EXPECT_EQ(check(R"({"type":"candle","v":1,"ts":1,"bar":"1m","o":1,"h":1,"l":1,"c":1,)"
                    R"("vol":1,"confirm":true})"),
              R"(missing field "inst")");
    EXPECT_TRUE(contains(problem(json::parse(R"({"type":5,"v":1,"ts":1})")), R"("type")"));
    EXPECT_TRUE(
        contains(problem(json::parse(R"({"type":"sync","v":"1","ts":1,"id":1})")), R"("v")"));
    EXPECT_TRUE(
        contains(problem(json::parse(R"({"type":"sync","v":1,"ts":"1","id":1})")), R"("ts")"));
    EXPECT_TRUE(
        contains(problem(json::parse(R"({"type":"sync","v":1,"ts":1.5,"id":1})")), R"("ts")"));
    EXPECT_TRUE(
        contains(problem(json::parse(R"({"type":"sync","v":1.0,"ts":1,"id":1})")), R"("v")"));
    EXPECT_TRUE(
        contains(problem(json::parse(R"({"type":"sync","v":1,"ts":null,"id":1})")), R"("ts")"));
    EXPECT_TRUE(
        contains(problem(json::parse(R"({"type":"trade","v":1,"ts":1,"inst":7,"px":1,"sz":1,)"
                                     R"("side":"buy","trade_id":"t"})")),
                 R"("inst")"));
}

TEST(CoreMessage, EnumeratedValuesAreChecked) {
    const char* trade = R"({"type":"trade","v":1,"ts":1,"inst":"BTC-USDT","px":1,"sz":1,)"
                        R"("trade_id":"t","side":)";
    EXPECT_EQ(check((std::string(trade) + R"("buy"})").c_str()), std::nullopt);
    EXPECT_EQ(check((std::string(trade) + R"("sell"})").c_str()), std::nullopt);
    // "flat" is a signal side, not a trade side; case matters.
    for (const char* bad : {R"("flat")", R"("BUY")", R"("")", R"("buy ")", "1"}) {
        std::string err = problem(json::parse(std::string(trade) + bad + "}"));
        EXPECT_TRUE(contains(err, R"("side")")) << bad << ": " << err;
    }
    std::string err = problem(json::parse(std::string(trade) + R"("hold"})"));
    EXPECT_TRUE(contains(err, "buy") && contains(err, "sell")) << err; // says what is allowed
    EXPECT_TRUE(contains(
        problem(json::parse(R"({"type":"gap","v":1,"ts":1,"inst":"X-Y","bar":"1m","from":1,)"
                            R"("to":2,"cause":"cosmic rays"})")),
        R"("cause")"));
    EXPECT_TRUE(contains(problem(json::parse(R"({"type":"health","v":1,"ts":1,"component":"ws",)"
                                             R"("event":"panic"})")),
                         R"("event")"));
}

TEST(CoreMessage, FieldTypesAreChecked) {
    json candle = json::parse(
        R"({"type":"candle","v":1,"ts":1,"inst":"BTC-USDT","bar":"1m","o":1,"h":2,"l":0.5,)"
        R"("c":1.5,"vol":0,"confirm":false})");
    ASSERT_EQ(validate_message(candle), std::nullopt);
    // Integers are numbers.
    EXPECT_EQ(validate_message(candle), std::nullopt);
    json bad = candle;
    bad["o"] = "58000.5"; // exchange decimal strings are not pipe numbers
    EXPECT_TRUE(contains(problem(bad), R"("o")")) << problem(bad);
    bad = candle;
    bad["confirm"] = 1;
    EXPECT_TRUE(contains(problem(bad), R"("confirm")")) << problem(bad);
    bad = candle;
    bad["bar"] = 1;
    EXPECT_TRUE(contains(problem(bad), R"("bar")")) << problem(bad);
    bad = candle;
    bad["vol_quote"] = "12"; // optional, but of the right type when present
    EXPECT_TRUE(contains(problem(bad), R"("vol_quote")")) << problem(bad);
    bad = candle;
    bad["recv_ts"] = 1.5; // optional on every message
    EXPECT_TRUE(contains(problem(bad), R"("recv_ts")")) << problem(bad);
    bad = candle;
    bad["run"] = 3;
    EXPECT_TRUE(contains(problem(bad), R"("run")")) << problem(bad);
    bad = candle;
    bad["h"] = std::numeric_limits<double>::infinity(); // only a built json can hold this
    EXPECT_TRUE(contains(problem(bad), R"("h")")) << problem(bad);
    bad = candle;
    bad["l"] = std::nan("");
    EXPECT_TRUE(contains(problem(bad), R"("l")")) << problem(bad);
}

TEST(CoreMessage, UnknownKindsAndFieldsPass) {
    // Unknown kinds need only the envelope; they pass through untouched.
    EXPECT_EQ(check(R"({"type":"weather","v":1,"ts":1})"), std::nullopt);
    EXPECT_EQ(check(R"({"type":"weather","v":3,"ts":1,"inst":5,"temp":"warm"})"), std::nullopt);
    EXPECT_EQ(check(R"({"type":"weather","v":1})"), R"(missing field "ts")");
    // Unknown fields of a known kind are fine, whatever their type.
    EXPECT_EQ(check(R"({"type":"sync","v":1,"ts":1,"id":1,"extra":{"a":[1,null]},"x":null})"),
              std::nullopt);
}

TEST(CoreMessage, NullableFields) {
    const char* risk = R"({"type":"risk","v":1,"ts":1,"inst":"BTC-USDT","action":"reject",)"
                       R"("code":"max_pos","limit":"max_position","detail":"too big",)";
    // value and threshold are required but may be null ("not available").
    EXPECT_EQ(check((std::string(risk) + R"("value":null,"threshold":null})").c_str()),
              std::nullopt);
    EXPECT_EQ(check((std::string(risk) + R"("value":1.5,"threshold":1})").c_str()), std::nullopt);
    EXPECT_TRUE(contains(problem(json::parse(std::string(risk) + R"("threshold":1})")),
                         R"(missing field "value")"));
    EXPECT_TRUE(contains(problem(json::parse(std::string(risk) + R"("value":"1","threshold":1})")),
                         R"("value")"));
    // assignment.prev is a name or null.
    const char* assignment = R"({"type":"assignment","v":1,"ts":1,"inst":"BTC-USDT",)"
                             R"("strategy":"trend","suitability":0.8,"reasons":["adx"],"prev":)";
    EXPECT_EQ(check((std::string(assignment) + "null}").c_str()), std::nullopt);
    EXPECT_EQ(check((std::string(assignment) + R"("range"})").c_str()), std::nullopt);
    EXPECT_TRUE(contains(problem(json::parse(std::string(assignment) + "1}")), R"("prev")"));
    // A required number that is not nullable: null is an error.
    json candle = json::parse(
        R"({"type":"candle","v":1,"ts":1,"inst":"BTC-USDT","bar":"1m","o":1,"h":2,"l":0.5,)"
        R"("c":1.5,"vol":0,"confirm":false})");
    candle["c"] = nullptr;
    EXPECT_TRUE(contains(problem(candle), R"("c")")) << problem(candle);
    // Optional fields may be null ("known to be not available").
    candle["c"] = 1.5;
    candle["vol_quote"] = nullptr;
    EXPECT_EQ(validate_message(candle), std::nullopt);
}

TEST(CoreMessage, AnyTypedFieldTakesAnything) {
    for (const char* value : {"1", "1.5", R"("slow")", "true", "[1]", R"({"ms":3})", "null"}) {
        EXPECT_EQ(check((std::string(R"({"type":"health","v":1,"ts":1,"component":"ws",)"
                                     R"("event":"latency","value":)") +
                         value + "}")
                            .c_str()),
                  std::nullopt)
            << value;
    }
}

// ---------------------------------------------------------------------------------------
// validate_message, generated from the kinds table

TEST(CoreMessage, EveryKindMinimalMessageIsValid) {
    for (const KindSpec& k : all_kinds()) {
        json msg = minimal(k);
        EXPECT_EQ(validate_message(msg), std::nullopt) << msg.dump();
        if (!k.has_inst) {
            msg["inst"] = "BTC-USDT"; // allowed, but not required
            EXPECT_EQ(validate_message(msg), std::nullopt) << msg.dump();
        }
    }
}

TEST(CoreMessage, EveryKindMissingRequiredFieldIsNamed) {
    for (const KindSpec& k : all_kinds()) {
        std::vector<std::string> required = {"type", "v", "ts"};
        if (k.has_inst) {
            required.emplace_back("inst");
        }
        for (const FieldSpec& f : k.fields) {
            if (f.required) {
                required.emplace_back(f.name);
            }
        }
        for (const std::string& name : required) {
            json msg = minimal(k);
            msg.erase(name);
            EXPECT_EQ(problem(msg), "missing field \"" + name + "\"") << msg.dump();
        }
    }
}

TEST(CoreMessage, EveryKindWrongTypeIsNamed) {
    for (const KindSpec& k : all_kinds()) {
        for (const FieldSpec& f : k.fields) {
            for (const json& wrong : wrong_values(f.type)) {
                json msg = minimal(k);
                msg[std::string(f.name)] = wrong;
                EXPECT_TRUE(contains(problem(msg), quoted(f.name)))
                    << msg.dump() << " -> " << problem(msg);
            }
            // An optional field, present with its type, is fine.
            json msg = minimal(k);
            msg[std::string(f.name)] = sample(f);
            EXPECT_EQ(validate_message(msg), std::nullopt) << msg.dump();
            // null: fine where the field is optional or nullable, an error otherwise.
            msg[std::string(f.name)] = nullptr;
            // An intent to place (as minimal() makes it) needs its side and ord_type: see
            // AnIntentNeedsWhatItsActionNeeds.
            const bool by_action = k.type == "intent" && (f.name == "side" || f.name == "ord_type");
            if (by_action) {
                EXPECT_TRUE(contains(problem(msg), quoted(f.name))) << msg.dump();
            } else if (f.required && !f.nullable && f.type != FieldType::kAny) {
                EXPECT_TRUE(contains(problem(msg), quoted(f.name))) << msg.dump();
            } else {
                EXPECT_EQ(validate_message(msg), std::nullopt) << msg.dump();
            }
        }
    }
}

TEST(CoreMessage, EveryEnumeratedFieldAcceptsEachValueAndNothingElse) {
    int enums = 0;
    for (const KindSpec& k : all_kinds()) {
        for (const FieldSpec& f : k.fields) {
            if (f.allowed.empty()) {
                continue;
            }
            ++enums;
            std::string_view rest = f.allowed;
            while (!rest.empty()) {
                std::size_t bar = rest.find('|');
                std::string value(rest.substr(0, bar));
                json msg = minimal(k);
                msg[std::string(f.name)] = value;
                EXPECT_EQ(validate_message(msg), std::nullopt) << msg.dump();
                rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
            }
            json msg = minimal(k);
            msg[std::string(f.name)] = "not-a-" + std::string(f.name);
            EXPECT_TRUE(contains(problem(msg), quoted(f.name))) << msg.dump();
            msg[std::string(f.name)] = std::string(f.allowed); // "buy|sell" is not one value
            EXPECT_TRUE(contains(problem(msg), quoted(f.name))) << msg.dump();
        }
    }
    EXPECT_GE(enums, 10);
}

TEST(CoreMessage, AnIntentNeedsWhatItsActionNeeds) {
    const json base = json::parse(R"({"type":"intent","v":1,"ts":1,"inst":"BTC-USDT",)"
                                  R"("strategy":"grid","leg":"buy1"})");
    json place = base;
    place["action"] = "place";
    place["ord_type"] = "limit";
    EXPECT_EQ(problem(place), R"(an intent to place needs field "side")");
    place["side"] = "buy";
    place.erase("ord_type");
    EXPECT_EQ(problem(place), R"(an intent to place needs field "ord_type")");
    place["ord_type"] = "limit";
    EXPECT_EQ(validate_message(place), std::nullopt);
    place["side"] = nullptr; // not available is not given
    EXPECT_EQ(problem(place), R"(an intent to place needs field "side")");
    place["side"] = "buy";
    // A cancel names its leg; nothing else is needed.
    json cancel = base;
    cancel["action"] = "cancel";
    EXPECT_EQ(validate_message(cancel), std::nullopt);
    // A target: the share of equity wanted, 0 to 1, and no side.
    json target = base;
    target["action"] = "target";
    EXPECT_EQ(problem(target), R"(an intent with action target needs field "equity_frac")");
    for (double bad : {-0.1, 1.5}) {
        target["equity_frac"] = bad;
        EXPECT_EQ(problem(target),
                  R"(an intent with action target needs "equity_frac" from 0 to 1)");
    }
    for (double good : {0.0, 0.25, 1.0}) {
        target["equity_frac"] = good;
        EXPECT_EQ(validate_message(target), std::nullopt) << good;
    }
}

// ---------------------------------------------------------------------------------------
// check_ohlcv

TEST(CoreMessage, CheckOhlcvAcceptsValidBars) {
    EXPECT_EQ(check_ohlcv(100, 110, 90, 105, 3.5), std::nullopt);
    EXPECT_EQ(check_ohlcv(100, 100, 100, 100, 0), std::nullopt); // flat bar, no volume
    EXPECT_EQ(check_ohlcv(105, 110, 90, 100, 1), std::nullopt);  // down bar
    EXPECT_EQ(check_ohlcv(90, 110, 90, 110, 1), std::nullopt);   // open at low, close at high
    EXPECT_EQ(check_ohlcv(1e-8, 2e-8, 1e-8, 2e-8, 1e12), std::nullopt);
}

TEST(CoreMessage, CheckOhlcvRejectsBrokenBars) {
    const double nan = std::nan("");
    const double inf = std::numeric_limits<double>::infinity();
    struct Case {
        double o, h, l, c, vol;
    };
    for (const Case& k : std::vector<Case>{
             {nan, 110, 90, 105, 1},
             {100, nan, 90, 105, 1},
             {100, 110, nan, 105, 1},
             {100, 110, 90, nan, 1},
             {100, 110, 90, 105, nan},
             {100, inf, 90, 105, 1},
             {100, 110, 90, 105, inf},
             {-100, 110, 90, 105, 1},
             {0, 110, 90, 105, 1},
             {100, 110, 0, 105, 1},
             {100, 110, -1, 105, 1},
             {100, 110, 90, 105, -0.1},
             {100, 90, 110, 105, 1}, // high below low
             {120, 110, 90, 105, 1}, // high below open
             {100, 110, 90, 115, 1}, // high below close
             {85, 110, 90, 105, 1},  // low above open
             {100, 110, 90, 89, 1},  // low above close
         }) {
        EXPECT_NE(check_ohlcv(k.o, k.h, k.l, k.c, k.vol), std::nullopt)
            << k.o << " " << k.h << " " << k.l << " " << k.c << " " << k.vol;
    }
}

// ---------------------------------------------------------------------------------------
// append_candle

TEST(CoreMessage, AppendCandleExactLine) {
    Candle k;
    k.ts = kTs;
    k.inst = "BTC-USDT";
    k.bar = "1m";
    k.o = 58000.5;
    k.h = 58100;
    k.l = 57900.25;
    k.c = 58050.1;
    k.vol = 12.5;
    std::string out;
    append_candle(out, k);
    EXPECT_EQ(out, R"({"type":"candle","v":1,"ts":1617235200000,"inst":"BTC-USDT","bar":"1m",)"
                   R"("o":58000.5,"h":58100,"l":57900.25,"c":58050.1,"vol":12.5,"confirm":true})");
    k.vol_quote = 725000.75;
    k.confirm = false;
    out.clear();
    append_candle(out, k);
    EXPECT_EQ(out, R"({"type":"candle","v":1,"ts":1617235200000,"inst":"BTC-USDT","bar":"1m",)"
                   R"("o":58000.5,"h":58100,"l":57900.25,"c":58050.1,"vol":12.5,)"
                   R"("vol_quote":725000.75,"confirm":false})");
}

TEST(CoreMessage, AppendCandleRoundTripsThroughJson) {
    std::mt19937_64 rng(8);
    std::uniform_real_distribution<double> price(1e-6, 1e6);
    std::uniform_real_distribution<double> unit(0, 1);
    for (int i = 0; i < 5000; ++i) {
        Candle k;
        k.ts = static_cast<std::int64_t>(rng() % 4'000'000'000'000ULL);
        k.inst = i % 2 == 0 ? "BTC-USDT" : "ETH-USD-250627";
        k.bar = i % 3 == 0 ? "1Dutc" : "5m";
        k.o = price(rng);
        k.c = price(rng);
        k.h = std::max(k.o, k.c) * (1 + unit(rng));
        k.l = std::min(k.o, k.c) * unit(rng) + 1e-9;
        k.vol = unit(rng) * 1e4;
        if (i % 2 == 1) {
            k.vol_quote = unit(rng) * 1e9;
        }
        k.confirm = i % 5 != 0;
        ASSERT_EQ(check_ohlcv(k.o, k.h, k.l, k.c, k.vol), std::nullopt);

        std::string line = "prefix";
        append_candle(line, k);
        ASSERT_EQ(line.substr(0, 6), "prefix"); // appends, never clears
        line.erase(0, 6);
        ASSERT_EQ(line.find('\n'), std::string::npos);

        const auto msg = nlohmann::ordered_json::parse(line);
        ASSERT_EQ(validate_message(json::parse(line)), std::nullopt) << line;
        EXPECT_EQ(msg["type"], "candle");
        EXPECT_EQ(msg["v"], 1);
        EXPECT_EQ(msg["ts"].get<std::int64_t>(), k.ts);
        EXPECT_EQ(msg["inst"], std::string(k.inst));
        EXPECT_EQ(msg["bar"], std::string(k.bar));
        // Shortest round-trip numbers read back bit for bit.
        EXPECT_EQ(msg["o"].get<double>(), k.o) << line;
        EXPECT_EQ(msg["h"].get<double>(), k.h) << line;
        EXPECT_EQ(msg["l"].get<double>(), k.l) << line;
        EXPECT_EQ(msg["c"].get<double>(), k.c) << line;
        EXPECT_EQ(msg["vol"].get<double>(), k.vol) << line;
        EXPECT_EQ(msg.contains("vol_quote"), k.vol_quote.has_value());
        if (k.vol_quote) {
            EXPECT_EQ(msg["vol_quote"].get<double>(), *k.vol_quote) << line;
        }
        EXPECT_EQ(msg["confirm"].get<bool>(), k.confirm);
        // The fixed field order.
        std::vector<std::string> keys;
        for (const auto& [key, value] : msg.items()) {
            keys.push_back(key);
        }
        std::vector<std::string> want = {"type", "v", "ts", "inst", "bar",
                                         "o",    "h", "l",  "c",    "vol"};
        if (k.vol_quote) {
            want.emplace_back("vol_quote");
        }
        want.emplace_back("confirm");
        ASSERT_EQ(keys, want) << line;

        // Identical input, identical bytes.
        std::string again;
        append_candle(again, k);
        ASSERT_EQ(again, line);
    }
}

TEST(CoreMessage, AppendCandleFromTextIsTheSameBytes) {
    // The decimal texts a candle was parsed from only save formatting: same output either way.
    std::mt19937_64 rng(9);
    auto decimal = [&] {
        std::string s = std::to_string(rng() % 2000000);
        switch (rng() % 5) {
        case 0:
            return s;
        case 1:
            return s + "." + std::to_string(rng() % 100); // maybe "x.0", "x.5"
        case 2:
            return "0.0" + std::string(rng() % 9, '0') + std::to_string(1 + rng() % 999);
        case 3:
            return s + "." + std::to_string(rng()).substr(0, 12); // beyond 15 digits at times
        default:
            return s + "0.10"; // trailing zero
        }
    };
    for (int i = 0; i < 20000; ++i) {
        std::array<std::string, 5> texts;
        for (auto& t : texts) {
            t = decimal();
        }
        Candle plain;
        plain.ts = kTs + std::int64_t{i} * 60000;
        plain.inst = "BTC-USDT";
        plain.bar = "1m";
        plain.o = std::strtod(texts[0].c_str(), nullptr);
        plain.h = std::strtod(texts[1].c_str(), nullptr);
        plain.l = std::strtod(texts[2].c_str(), nullptr);
        plain.c = std::strtod(texts[3].c_str(), nullptr);
        plain.vol = std::strtod(texts[4].c_str(), nullptr);
        Candle with_text = plain;
        for (std::size_t j = 0; j < texts.size(); ++j) {
            with_text.text[j] = texts[j];
        }
        std::string a;
        std::string b;
        append_candle(a, plain);
        append_candle(b, with_text);
        ASSERT_EQ(b, a) << texts[0] << " " << texts[1] << " " << texts[2] << " " << texts[3] << " "
                        << texts[4];
    }
}

TEST(CoreMessage, AppendCandleNonFiniteVolumeQuoteIsNull) {
    Candle k;
    k.ts = 1;
    k.inst = "BTC-USDT";
    k.bar = "1m";
    k.o = k.h = k.l = k.c = 1;
    k.vol_quote = std::nan("");
    std::string out;
    append_candle(out, k);
    const json msg = json::parse(out);
    EXPECT_TRUE(msg["vol_quote"].is_null());
    EXPECT_EQ(validate_message(msg), std::nullopt);
}

} // namespace
} // namespace okxkit::core
