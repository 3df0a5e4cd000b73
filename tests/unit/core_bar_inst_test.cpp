// Unit tests for lib/core/bar (OKX bar names) and lib/core/instrument (instId normalisation).
#include "core/bar.hpp"
#include "core/instrument.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace okxkit::core {
namespace {

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kHour = 60 * kMin;
constexpr std::int64_t kDay = 24 * kHour;

// ---------------------------------------------------------------------------------------
// Bars

TEST(CoreBar, AllBarsInDocumentedOrderWithTheirLengths) {
    const std::vector<std::pair<std::string_view, std::int64_t>> expected = {
        {"1m", kMin},         {"3m", 3 * kMin},       {"5m", 5 * kMin},  {"15m", 15 * kMin},
        {"30m", 30 * kMin},   {"1H", kHour},          {"2H", 2 * kHour}, {"4H", 4 * kHour},
        {"6H", 6 * kHour},    {"12H", 12 * kHour},    {"1D", kDay},      {"1W", 7 * kDay},
        {"6Hutc", 6 * kHour}, {"12Hutc", 12 * kHour}, {"1Dutc", kDay},   {"1Wutc", 7 * kDay},
    };
    auto bars = all_bars();
    ASSERT_EQ(bars.size(), expected.size());
    for (std::size_t i = 0; i < bars.size(); ++i) {
        EXPECT_EQ(bars[i].name, expected[i].first) << i;
        EXPECT_EQ(bars[i].ms, expected[i].second) << bars[i].name;
    }
}

TEST(CoreBar, ExchangeAnchoredBarsAreShortestFirst) {
    auto bars = all_bars();
    for (std::size_t i = 1; i < bars.size(); ++i) {
        if (bars[i].name.ends_with("utc") == bars[i - 1].name.ends_with("utc")) {
            EXPECT_LT(bars[i - 1].ms, bars[i].ms) << bars[i - 1].name << " " << bars[i].name;
        }
    }
}

TEST(CoreBar, EveryOkxNameParsesToItself) {
    for (const Bar& b : all_bars()) {
        auto parsed = parse_bar(b.name);
        ASSERT_TRUE(parsed.has_value()) << b.name;
        EXPECT_EQ(parsed->name, b.name);
        EXPECT_EQ(parsed->ms, b.ms);
    }
}

TEST(CoreBar, LowerCaseAliasesMapToOkxMeaning) {
    const std::vector<std::pair<std::string_view, std::string_view>> aliases = {
        {"1h", "1H"},      {"2h", "2H"},    {"4h", "4H"},    {"6h", "6Hutc"},
        {"12h", "12Hutc"}, {"1d", "1Dutc"}, {"1w", "1Wutc"},
    };
    for (const auto& [alias, okx] : aliases) {
        auto parsed = parse_bar(alias);
        ASSERT_TRUE(parsed.has_value()) << alias;
        EXPECT_EQ(parsed->name, okx) << alias;
        EXPECT_EQ(parsed->ms, parse_bar(okx)->ms) << alias;
    }
}

TEST(CoreBar, OkxNamesAreCaseSensitive) {
    // "1m" is a minute; "1M" (a month) has no fixed length and is refused.
    EXPECT_EQ(parse_bar("1m")->ms, kMin);
    EXPECT_EQ(parse_bar("1M"), std::nullopt);
    // Upper-case OKX names keep their exchange (UTC+8) anchoring.
    EXPECT_EQ(parse_bar("6H")->name, "6H");
    EXPECT_EQ(parse_bar("1D")->name, "1D");
    EXPECT_EQ(parse_bar("1W")->name, "1W");
}

TEST(CoreBar, RejectsUnknownNames) {
    for (const char* bad : {"", "1", "m", "2m", "1y", "3h", "1 H", " 1H", "1H ", "1Hutc", "1dutc",
                            "1DUTC", "1Min", "1min", "60s", "1h\n", "1MUTC"}) {
        EXPECT_EQ(parse_bar(bad), std::nullopt) << '"' << bad << '"';
    }
}

TEST(CoreBar, ParsedNameDoesNotReferToTheInput) {
    // The name is the OKX spelling from the table, valid after the input string is gone.
    std::string input = "1d";
    auto alias = parse_bar(input);
    std::string exact_input = "15m";
    auto exact = parse_bar(exact_input);
    input.assign(64, 'x');
    exact_input.assign(64, 'y');
    ASSERT_TRUE(alias && exact);
    EXPECT_EQ(alias->name, "1Dutc");
    EXPECT_EQ(exact->name, "15m");
}

// ---------------------------------------------------------------------------------------
// Instruments

TEST(CoreInstrument, NormalizesDocumentedSpellings) {
    for (const char* in :
         {"BTCUSDT", "btcusdt", "btc-usdt", "BTC/USDT", "btc_usdt", "Btc-Usdt", "BTC-USDT"}) {
        EXPECT_EQ(normalize_inst(in), "BTC-USDT") << in;
    }
    EXPECT_EQ(normalize_inst("BTC-USDT-SWAP"), "BTC-USDT-SWAP");
    EXPECT_EQ(normalize_inst("btc-usdt-swap"), "BTC-USDT-SWAP");
    EXPECT_EQ(normalize_inst("btc/usdt_swap"), "BTC-USDT-SWAP");
    EXPECT_EQ(normalize_inst("BTC-USD-250627"), "BTC-USD-250627");
}

TEST(CoreInstrument, SplitsBeforeKnownQuote) {
    EXPECT_EQ(normalize_inst("ETHBTC"), "ETH-BTC");
    EXPECT_EQ(normalize_inst("BTCUSDC"), "BTC-USDC");
    EXPECT_EQ(normalize_inst("BTCUSD"), "BTC-USD");
    EXPECT_EQ(normalize_inst("ETHEUR"), "ETH-EUR");
    EXPECT_EQ(normalize_inst("SOLETH"), "SOL-ETH");
    EXPECT_EQ(normalize_inst("1000PEPEUSDT"), "1000PEPE-USDT");
    // The longest quote wins: FDUSD, not USD; USDT, not ... T.
    EXPECT_EQ(normalize_inst("BTCFDUSD"), "BTC-FDUSD");
    EXPECT_EQ(normalize_inst("solusdt"), "SOL-USDT");
}

TEST(CoreInstrument, RejectsWhatCannotBeAnInstrument) {
    for (const char* bad : {"", "-", "/", "BTC-", "-USDT", "BTC--USDT", "BTC/-USDT", "BTC USDT",
                            "BTC.USDT", "BTC:USDT", "BTCXYZ", "USDT", "usdt", "BTC-USDT\n",
                            " BTCUSDT", "BTC\tUSDT", "\u00c4BTCUSDT", "BTC-USDT*"}) {
        EXPECT_EQ(normalize_inst(bad), std::nullopt) << '"' << bad << '"';
    }
}

TEST(CoreInstrument, IsInstIdOnlyForNormalisedIds) {
    EXPECT_TRUE(is_inst_id("BTC-USDT"));
    EXPECT_TRUE(is_inst_id("BTC-USDT-SWAP"));
    EXPECT_TRUE(is_inst_id("BTC-USD-250627"));
    EXPECT_FALSE(is_inst_id("btc-usdt"));
    EXPECT_FALSE(is_inst_id("BTCUSDT"));
    EXPECT_FALSE(is_inst_id("BTC/USDT"));
    EXPECT_FALSE(is_inst_id("BTC_USDT"));
    EXPECT_FALSE(is_inst_id(""));
    EXPECT_FALSE(is_inst_id("BTC-"));
}

TEST(CoreInstrument, NormalisationIsIdempotent) {
    for (const char* in : {"BTCUSDT", "eth/btc", "btc_usdt_swap", "BTC-USD-250627", "1000pepeusdt",
                           "xrpusdc", "ltc-eur"}) {
        auto once = normalize_inst(in);
        ASSERT_TRUE(once.has_value()) << in;
        EXPECT_TRUE(is_inst_id(*once)) << *once;
        EXPECT_EQ(normalize_inst(*once), once) << in;
    }
}

} // namespace
} // namespace okxkit::core
