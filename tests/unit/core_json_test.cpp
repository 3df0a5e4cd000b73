// Unit tests for lib/core/json_out: integers, shortest round-trip doubles, escaped strings.
#include "core/json_out.hpp"
#include "core/json_scan.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace okxkit::core {
namespace {

std::string int_text(std::int64_t v) {
    std::string out;
    append_int(out, v);
    return out;
}

std::string double_text(double v) {
    std::string out;
    append_double(out, v);
    return out;
}

std::string string_text(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

// Fewest significant digits that read back as v: the reference for "shortest".
int shortest_digits(double v) {
    char buf[64];
    for (int p = 1; p <= 17; ++p) {
        std::snprintf(buf, sizeof buf, "%.*e", p - 1, v);
        if (std::strtod(buf, nullptr) == v) {
            return p;
        }
    }
    return 17;
}

// Significant digits written in a decimal or exponent form ("-1.25e+21" has 3).
int significant_digits(const std::string& text) {
    std::string digits;
    for (char c : text) {
        if (c == 'e' || c == 'E') {
            break;
        }
        if (c >= '0' && c <= '9') {
            digits += c;
        }
    }
    std::size_t first = digits.find_first_not_of('0');
    if (first == std::string::npos) {
        return 1;
    }
    std::size_t last = digits.find_last_not_of('0');
    return static_cast<int>(last - first + 1);
}

// ---------------------------------------------------------------------------------------
// append_int

TEST(CoreJson, AppendIntWritesDecimal) {
    EXPECT_EQ(int_text(0), "0");
    EXPECT_EQ(int_text(7), "7");
    EXPECT_EQ(int_text(-1), "-1");
    EXPECT_EQ(int_text(1617235200000), "1617235200000");
    EXPECT_EQ(int_text(std::numeric_limits<std::int64_t>::max()), "9223372036854775807");
    EXPECT_EQ(int_text(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
}

TEST(CoreJson, AppendIntAppendsToWhatIsThere) {
    std::string out = R"({"ts":)";
    append_int(out, 42);
    out += ',';
    append_int(out, -3);
    EXPECT_EQ(out, R"({"ts":42,-3)");
}

TEST(CoreJson, AppendIntMatchesToStringOnRandomValues) {
    std::mt19937_64 rng(1);
    for (int i = 0; i < 10000; ++i) {
        auto v = static_cast<std::int64_t>(rng());
        ASSERT_EQ(int_text(v), std::to_string(v));
    }
}

// ---------------------------------------------------------------------------------------
// append_double

// The register-at-once digit writer behind append_double, against to_chars. Its lanes are
// independent (four 4-digit groups), so every group value in every position at once covers
// them all; random values check that the groups land in their places.
TEST(CoreJson, SixteenDigitsForEveryGroupValue) {
    auto check = [](std::uint64_t x) {
        char got[16];
        char want[32];
        core::detail::sixteen_digits(got, x);
        std::memset(want, '0', 16);
        auto [end, ec] = std::to_chars(want + 16, want + 32, x);
        return std::string(got, 16) == std::string(end - 16, 16);
    };
    for (std::uint64_t g = 0; g < 10000; ++g) {
        const std::uint64_t x = g * 1000100010001ULL; // g in each of the four groups
        ASSERT_TRUE(check(x)) << x;
    }
    std::mt19937_64 rng(16);
    for (int i = 0; i < 1000000; ++i) {
        const std::uint64_t x = rng() % 10000000000000000ULL;
        ASSERT_TRUE(check(x)) << x;
        ASSERT_TRUE(check(x % 100000000)) << x % 100000000;
    }
    ASSERT_TRUE(check(9999999999999999ULL));
    ASSERT_TRUE(check(0));
}

TEST(CoreJson, AppendDoubleExamples) {
    EXPECT_EQ(double_text(0.0), "0");
    EXPECT_EQ(double_text(1.0), "1");
    EXPECT_EQ(double_text(100.0), "100");
    EXPECT_EQ(double_text(0.1), "0.1");
    EXPECT_EQ(double_text(-2.5), "-2.5");
    EXPECT_EQ(double_text(58000.5), "58000.5");
    EXPECT_EQ(double_text(0.1 + 0.2), "0.30000000000000004");
    // Plain decimals from 1e-7 to below 1e16: a volume reads 300000, not 3e+05.
    EXPECT_EQ(double_text(300000.0), "300000");
    EXPECT_EQ(double_text(-300000.0), "-300000");
    EXPECT_EQ(double_text(1e-7), "0.0000001");
    EXPECT_EQ(double_text(1.5e-7), "0.00000015");
    EXPECT_EQ(double_text(1e15), "1000000000000000");
    EXPECT_EQ(double_text(9999999999999998.0), "9999999999999998");
    // Scientific outside that range.
    EXPECT_EQ(double_text(1e16), "1e+16");
    EXPECT_EQ(double_text(5e-8), "5e-08");
    EXPECT_EQ(double_text(-1e-300), "-1e-300");
    EXPECT_EQ(double_text(1.5e300), "1.5e+300");
}

TEST(CoreJson, AppendDoubleNonFiniteIsNull) {
    EXPECT_EQ(double_text(std::numeric_limits<double>::quiet_NaN()), "null");
    EXPECT_EQ(double_text(-std::numeric_limits<double>::quiet_NaN()), "null");
    EXPECT_EQ(double_text(std::numeric_limits<double>::infinity()), "null");
    EXPECT_EQ(double_text(-std::numeric_limits<double>::infinity()), "null");
    std::string out = "[1,";
    append_double(out, std::nan(""));
    out += ']';
    EXPECT_EQ(nlohmann::json::parse(out), nlohmann::json::parse("[1,null]"));
}

// Checks one double: exact round trip, valid JSON, and shortest for its notation.
void expect_shortest_round_trip(double v) {
    const std::string text = double_text(v);
    ASSERT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
    const auto parsed = nlohmann::json::parse(text);
    ASSERT_TRUE(parsed.is_number()) << text;
    ASSERT_EQ(parsed.get<double>(), v) << text;
    const double mag = std::fabs(v);
    if (mag == 0 || (mag >= 1e-7 && mag < 1e16)) {
        ASSERT_EQ(text.find_first_of("eE"), std::string::npos) << text;
        ASSERT_EQ(significant_digits(text), shortest_digits(v)) << text;
    } else {
        // Never longer than the shortest scientific form.
        char sci[64];
        int n = std::snprintf(sci, sizeof sci, "%.*e", shortest_digits(v) - 1, v);
        ASSERT_LE(text.size(), static_cast<std::size_t>(n)) << text << " vs " << sci;
    }
}

TEST(CoreJson, AppendDoubleExtremesRoundTrip) {
    for (double v : {std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
                     std::numeric_limits<double>::min(), std::numeric_limits<double>::denorm_min(),
                     -std::numeric_limits<double>::denorm_min(), 1e300, 1e21, 1e22, 123456789.0,
                     9007199254740993.0, 2.2250738585072009e-308, 1e-7, 1e16,
                     std::nextafter(1e16, 0.0), std::nextafter(1e-7, 0.0), -0.0}) {
        expect_shortest_round_trip(v);
    }
}

TEST(CoreJson, AppendDoubleRandomBitPatterns) {
    std::mt19937_64 rng(2024);
    int tested = 0;
    while (tested < 20000) {
        const auto v = std::bit_cast<double>(rng());
        if (!std::isfinite(v)) {
            continue;
        }
        ++tested;
        expect_shortest_round_trip(v);
    }
}

TEST(CoreJson, AppendDoubleRandomMagnitudes) {
    // Log-uniform from 2^-60 to 2^70: across both ends of the plain-decimal range.
    std::mt19937_64 rng(77);
    std::uniform_real_distribution<double> mantissa(1.0, 2.0);
    for (int i = 0; i < 50000; ++i) {
        double v = std::ldexp(mantissa(rng), static_cast<int>(rng() % 131) - 60);
        expect_shortest_round_trip(i % 2 == 0 ? v : -v);
    }
}

TEST(CoreJson, AppendDoubleRandomPricesRoundTrip) {
    // Prices as the exchange quotes them: few decimals, where shortness matters most.
    std::mt19937_64 rng(5);
    for (int i = 0; i < 20000; ++i) {
        const double v = static_cast<double>(rng() % 100000000) / 100.0;
        const std::string text = double_text(v);
        ASSERT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
        ASSERT_LE(text.size(), 9U) << text;
    }
}

// ---------------------------------------------------------------------------------------
// append_double_from_text

std::string from_text(const std::string& text) {
    std::string out;
    append_double_from_text(out, text, std::strtod(text.c_str(), nullptr));
    return out;
}

TEST(CoreJson, FromTextCopiesCanonicalDecimals) {
    for (const char* t : {"58000.5", "0.1", "300000", "0", "7", "0.0000001", "0.00012",
                          "123456789012345", "12345.6789012345", "0.999999999999999"}) {
        EXPECT_EQ(from_text(t), t);
        EXPECT_EQ(from_text(t), double_text(std::strtod(t, nullptr))) << t;
    }
}

TEST(CoreJson, FromTextFormatsEverythingElse) {
    // Same bytes as append_double, whatever the spelling of the input.
    for (const char* t :
         {"58000.50", "058000.5", "5.8e4", "5.8E4", "+1", "-1", "-0.5", ".5", "1.", "00", "0.0",
          "0.00000001", "0.00000009", "1234567890123456", "0.30000000000000004", "1e16",
          "12345678901234567890", "1e-300", "0.1000000000000000055511151231257827"}) {
        EXPECT_EQ(from_text(t), double_text(std::strtod(t, nullptr))) << t;
    }
    // The text is only trusted when it is canonical: here it does not match v at all.
    std::string out;
    append_double_from_text(out, "1.50", 2.5);
    EXPECT_EQ(out, "2.5");
}

TEST(CoreJson, FromTextRandomDecimalsMatchAppendDouble) {
    std::mt19937_64 rng(31);
    auto digits = [&](std::size_t n) {
        std::string s;
        for (std::size_t i = 0; i < n; ++i) {
            s += static_cast<char>('0' + rng() % 10);
        }
        return s;
    };
    for (int i = 0; i < 200000; ++i) {
        std::string text;
        switch (rng() % 4) {
        case 0: // exchange-like prices and sizes
            text = std::to_string(rng() % 1000000) + "." + digits(rng() % 9);
            break;
        case 1: // long: around the 15-digit limit
            text = digits(1 + rng() % 17) + "." + digits(rng() % 10);
            break;
        case 2: // tiny: around the 1e-7 boundary
            text = "0." + std::string(rng() % 10, '0') + digits(1 + rng() % 12);
            break;
        default: // integers, with trailing zeros
            text = digits(1 + rng() % 18) + std::string(rng() % 3, '0');
        }
        if (text.back() == '.') {
            text.pop_back();
        }
        ASSERT_EQ(from_text(text), double_text(std::strtod(text.c_str(), nullptr))) << text;
    }
}

// ---------------------------------------------------------------------------------------
// append_json_string

TEST(CoreJson, AppendJsonStringEscapes) {
    EXPECT_EQ(string_text(""), R"("")");
    EXPECT_EQ(string_text("BTC-USDT"), R"("BTC-USDT")");
    EXPECT_EQ(string_text("a\"b"), R"("a\"b")");
    EXPECT_EQ(string_text("a\\b"), R"("a\\b")");
    EXPECT_EQ(string_text("a\nb\rc\td"), R"("a\nb\rc\td")");
    EXPECT_EQ(string_text(std::string_view("\0", 1)), R"("\u0000")");
    EXPECT_EQ(string_text("\x01\x1f\x7f"), R"("\u0001\u001f\u007f")");
    EXPECT_EQ(string_text("/"), R"("/")");
}

TEST(CoreJson, AppendJsonStringCopiesUtf8) {
    const std::string text = "\xe2\x82\xac 5 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x9a\x80";
    EXPECT_EQ(string_text(text), "\"" + text + "\"");
    EXPECT_EQ(nlohmann::json::parse(string_text(text)).get<std::string>(), text);
}

TEST(CoreJson, AppendJsonStringEveryAsciiByteReadsBack) {
    std::string all;
    for (int c = 0; c < 0x80; ++c) {
        all += static_cast<char>(c);
        const std::string one(1, static_cast<char>(c));
        const std::string text = string_text(one);
        ASSERT_EQ(nlohmann::json::parse(text).get<std::string>(), one) << c;
        // No raw control character ever reaches the output line.
        for (char ch : text) {
            ASSERT_FALSE(static_cast<unsigned char>(ch) < 0x20) << c;
        }
    }
    EXPECT_EQ(nlohmann::json::parse(string_text(all)).get<std::string>(), all);
}

TEST(CoreJson, AppendJsonStringAppendsToWhatIsThere) {
    std::string out = R"({"msg":)";
    append_json_string(out, "x\"y");
    out += '}';
    EXPECT_EQ(nlohmann::json::parse(out)["msg"], "x\"y");
}

// append_double's own digit generation (Ryu) against std::to_chars, the definition of its
// output: random bit patterns over every exponent, random values in the plain range, decimals
// as prices and feature values look, and the edges of the range.
TEST(CoreJson, AppendDoubleIsExactlyWhatToCharsWrites) {
    auto reference = [](double v) {
        char buf[400];
        const double mag = std::fabs(v);
        auto [p, ec] = mag == 0 || (mag >= 1e-7 && mag < 1e16)
                           ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                           : std::to_chars(buf, buf + sizeof buf, v);
        return std::string(buf, p);
    };
    std::mt19937_64 rng(20260424);
    std::uniform_real_distribution<double> exp10(-7, 16);
    std::uniform_int_distribution<int> digits(1, 17);
    std::size_t checked = 0;
    auto check = [&](double v) {
        if (!std::isfinite(v)) {
            return;
        }
        ASSERT_EQ(double_text(v), reference(v)) << std::hexfloat << v;
        ++checked;
    };
    for (int i = 0; i < 1000000; ++i) {
        check(std::bit_cast<double>(rng())); // any bit pattern
        check(std::pow(10.0, exp10(rng)) * (rng() % 2 != 0 ? 1 : -1));
        // A short decimal read from text, as prices are.
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.*e", digits(rng) - 1, std::pow(10.0, exp10(rng)));
        check(std::strtod(buf, nullptr));
    }
    for (double v :
         {1e-7, 1e16, 9.999999999999998e15, 1.0000000000000002e-7, 0.1, 0.2, 0.3, 1.0, 2.0, 5e-324,
          2.2250738585072014e-308, 1.7976931348623157e308, 9007199254740993.0, 123456789012345678.0,
          0.30000000000000004, 100.0, 1e15, 1e-6}) {
        check(v);
        check(-v);
        check(std::nextafter(v, 0.0));
        check(std::nextafter(v, 2 * v + 1));
    }
    for (int e = -1074; e <= 1023; ++e) {
        check(std::ldexp(1.0, e)); // powers of two: the asymmetric-interval case
    }
    EXPECT_GT(checked, 3000000U);
}

} // namespace
} // namespace okxkit::core

namespace okxkit::core {
namespace {

// RFC 3629's rules, and the replacement nlohmann's serializer makes (one U+FFFD per maximal
// invalid subpart), which a live frame and its tape must share.
TEST(CoreUtf8, ValidAndInvalidSequences) {
    for (const char* ok : {"", "plain", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x9a\x80",
                           "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf"}) {
        EXPECT_TRUE(valid_utf8(ok)) << ok;
    }
    for (const char* bad : {"\x99", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                            "\xf5\x80\x80\x80", "\xc3", "a\xe2\x82", "\xff"}) {
        EXPECT_FALSE(valid_utf8(bad)) << bad;
    }
}

TEST(CoreUtf8, ReplacementMatchesNlohmann) {
    std::mt19937 rng(11);
    const std::string pieces[] = {"a",    "\xc3", "\xa9", "\xe2", "\x82", "\xac", "\xf0",
                                  "\x9f", "\xed", "\xa0", "\xff", "\xc0", "\"",   "\\"};
    for (int n = 0; n < 2000; ++n) {
        std::string s;
        for (int k = 0; k < 8; ++k) {
            s += pieces[rng() % std::size(pieces)];
        }
        const std::string mine = replace_invalid_utf8(s);
        EXPECT_TRUE(valid_utf8(mine));
        EXPECT_EQ(nlohmann::json(mine).dump(),
                  nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
            << s;
    }
    EXPECT_EQ(replace_invalid_utf8("9\x99"
                                   "8"),
              "9\xef\xbf\xbd"
              "8");
}

} // namespace
} // namespace okxkit::core
