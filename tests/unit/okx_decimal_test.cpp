// Unit tests for lib/okx/decimal: OKX decimal strings, exact tick/lot rounding, minSz checks.
#include "okx/decimal.hpp"

#include "core/instrument.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace okxkit::okx {
namespace {

// ---------------------------------------------------------------------------------------------
// An independent reference, written plainly: a non-negative decimal n × 10^-scale held in an
// unsigned 128-bit integer, read from text digit by digit, rounded by one integer division. It
// shares no code with lib/okx/decimal.cpp; the 15-digit value of a double comes from printf.

using U128 = unsigned __int128;

struct Ref {
    U128 n = 0;
    int scale = 0;
};

U128 pow10(int k) {
    U128 p = 1;
    for (int i = 0; i < k; ++i) {
        p *= 10;
    }
    return p;
}

// Reads "123", "0.001", "1.23456789012345e-05" (no sign).
Ref ref_parse(const std::string& text) {
    Ref r;
    std::size_t i = 0;
    bool after_point = false;
    for (; i < text.size() && text[i] != 'e' && text[i] != 'E'; ++i) {
        if (text[i] == '.') {
            after_point = true;
            continue;
        }
        r.n = r.n * 10 + static_cast<unsigned>(text[i] - '0');
        if (after_point) {
            ++r.scale;
        }
    }
    if (i < text.size()) {
        r.scale -= std::atoi(text.c_str() + i + 1);
    }
    if (r.scale < 0) {
        r.n *= pow10(-r.scale);
        r.scale = 0;
    }
    return r;
}

std::string u128_text(U128 v) {
    std::string s;
    do {
        s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
        v /= 10;
    } while (v != 0);
    return s;
}

// Plain text without trailing fractional zeros: what Decimal::to_string should print.
std::string ref_text(const Ref& r) {
    std::string digits = u128_text(r.n);
    const auto scale = static_cast<std::size_t>(r.scale);
    if (scale == 0) {
        return digits;
    }
    if (digits.size() <= scale) {
        digits = std::string(scale + 1 - digits.size(), '0') + digits;
    }
    std::string out = digits.substr(0, digits.size() - scale);
    out += '.';
    out += digits.substr(digits.size() - scale);
    while (out.back() == '0') {
        out.pop_back();
    }
    if (out.back() == '.') {
        out.pop_back();
    }
    return out;
}

// a and b at their common scale.
void align(const Ref& a, const Ref& b, U128& x, U128& y, int& scale) {
    scale = std::max(a.scale, b.scale);
    x = a.n * pow10(scale - a.scale);
    y = b.n * pow10(scale - b.scale);
}

int ref_compare(const Ref& a, const Ref& b) {
    U128 x = 0;
    U128 y = 0;
    int scale = 0;
    align(a, b, x, y, scale);
    return x < y ? -1 : (x > y ? 1 : 0);
}

Ref ref_sub(const Ref& a, const Ref& b) { // a >= b
    U128 x = 0;
    U128 y = 0;
    int scale = 0;
    align(a, b, x, y, scale);
    return {x - y, scale};
}

bool ref_is_multiple(const Ref& v, const Ref& step) {
    U128 x = 0;
    U128 y = 0;
    int scale = 0;
    align(v, step, x, y, scale);
    return x % y == 0;
}

// The 15-significant-digit decimal of v > 0, via printf rather than std::to_chars.
Ref ref_of_double(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.14e", v);
    return ref_parse(buf);
}

// v rounded to a multiple of step; nearest breaks ties upward (v >= 0, so away from zero).
Ref ref_round(const Ref& v, const Ref& step, Rounding mode) {
    U128 x = 0;
    U128 s = 0;
    int scale = 0;
    align(v, step, x, s, scale);
    U128 q = x / s;
    const U128 r = x % s;
    if (mode == Rounding::kUp && r != 0) {
        ++q;
    }
    if (mode == Rounding::kNearest && 2 * r >= s) {
        ++q;
    }
    return {q * s, scale};
}

// ---------------------------------------------------------------------------------------------

Decimal dec(const std::string& text) {
    std::string error;
    auto d = Decimal::parse(text, &error);
    EXPECT_TRUE(d.has_value()) << text << ": " << error;
    return d.value_or(Decimal{});
}

std::string rounded(double v, const std::string& step, Rounding mode) {
    auto r = round_to_step(v, dec(step), mode);
    EXPECT_TRUE(r) << v << " step " << step << ": " << r.error;
    return r ? r->to_string() : "<error>";
}

std::string rounded(const std::string& v, const std::string& step, Rounding mode) {
    auto r = round_to_step(dec(v), dec(step), mode);
    EXPECT_TRUE(r) << v << " step " << step << ": " << r.error;
    return r ? r->to_string() : "<error>";
}

InstrumentRules rules(const std::string& inst, const std::string& tick, const std::string& lot,
                      const std::string& min) {
    auto r = parse_rules(inst, tick, lot, min);
    EXPECT_TRUE(r) << r.error;
    return r ? *r : InstrumentRules{};
}

// s in double quotes, as the messages show text.
std::string quoted(const char* s) {
    std::string out = "\"";
    out += s;
    out += '"';
    return out;
}

double ulps_away(double v, int ulps) {
    const double toward = ulps < 0 ? -INFINITY : INFINITY;
    for (int i = 0; i < std::abs(ulps); ++i) {
        v = std::nextafter(v, toward);
    }
    return v;
}

const char* const kTicks[] = {"1", "0.1", "0.5", "0.001", "0.0001", "0.00000001", "5", "0.25"};
const char* const kLots[] = {"0.000001", "0.00000001", "1", "10"};

// ---------------------------------------------------------------------------------------------

TEST(OkxDecimal, OkxStringsRoundTrip) {
    for (const char* s : {"0", "1", "10", "100", "0.1", "0.5", "0.001", "0.0001", "0.00001",
                          "0.000001", "0.00000001", "29093.7", "64040.2", "0.0000102", "-2.5",
                          "123456789012345678.123456789012345678",
                          "-999999999999999999.999999999999999999", "0.000000000000000001"}) {
        const Decimal d = dec(s);
        EXPECT_EQ(d.to_string(), s);
        std::string out = "px=";
        d.append_to(out);
        EXPECT_EQ(out, std::string("px=") + s);
        EXPECT_EQ(Decimal::parse(d.to_string()), d) << s;
    }
    EXPECT_EQ(dec("-999999999999999999.999999999999999999").to_string().size(), Decimal::kMaxText);
    EXPECT_EQ(dec("0.1").scale(), 1);
    EXPECT_EQ(dec("0.00000001").scale(), 8);
    EXPECT_EQ(dec("100").scale(), 0);
    EXPECT_EQ(dec("-2.5").sign(), -1);
    EXPECT_TRUE(dec("0").is_zero());
    EXPECT_EQ(Decimal{}.to_string(), "0");
}

TEST(OkxDecimal, OtherSpellingsBecomeCanonical) {
    const std::pair<const char*, const char*> cases[] = {
        {"1e-8", "0.00000001"},
        {"1E-8", "0.00000001"},
        {"1e+2", "100"},
        {"2.5e3", "2500"},
        {"29093.70", "29093.7"},
        {"0.100", "0.1"},
        {"10.000", "10"},
        {"-0", "0"},
        {"-0.000", "0"},
        {"007", "7"},
        {"0e999999999999", "0"},
        {"0.10000000000000000000000", "0.1"},
        {"1000000000000000000000000000000000000000e-30", "1000000000"},
        {"0.0000000000000000000000000000001e31", "1"},
        {"123.456e-15", "0.000000000000123456"},
    };
    for (const auto& [in, out] : cases) {
        EXPECT_EQ(dec(in).to_string(), out) << in;
        EXPECT_EQ(dec(in), dec(out)) << in;
    }
}

TEST(OkxDecimal, RejectsWhatIsNotAnExchangeDecimal) {
    for (const char* s :
         {"",   " 1",  "1 ",  "+1",    ".5",  "5.",  "nan", "NaN",   "inf",   "-inf", "0x10",
          "1e", "1e+", "--1", "1.2.3", "1,5", "abc", "-",   "1e1.5", "1_000", "١",    "0.1\n"}) {
        std::string error;
        EXPECT_FALSE(Decimal::parse(s, &error)) << '"' << s << '"';
        EXPECT_FALSE(error.empty()) << s;
        if (*s != '\0') {
            EXPECT_EQ(error.rfind(quoted(s) + " is not a decimal number", 0), 0U) << error;
        }
    }
    std::string error;
    EXPECT_FALSE(Decimal::parse("", &error));
    EXPECT_EQ(error, "empty text is not a decimal number");
    // More than 18 decimals, and 10^18 or more, are out of range.
    for (const char* s : {"0.0000000000000000001", "1e-19", "0.1234567890123456789",
                          "1.000000000000000000000000000000000001"}) {
        EXPECT_FALSE(Decimal::parse(s, &error)) << s;
        EXPECT_EQ(error, quoted(s) + " has more than 18 decimals");
    }
    for (const char* s : {"1e18", "1000000000000000000", "-1000000000000000000",
                          "12345678901234567890123456789012345678901", "1e99999999999"}) {
        EXPECT_FALSE(Decimal::parse(s, &error)) << s;
        EXPECT_NE(error.find("is too large for an exchange decimal"), std::string::npos) << error;
    }
    // A long text is cut short in the message.
    EXPECT_FALSE(Decimal::parse(std::string(100, 'x'), &error));
    std::string cut = "\"";
    cut.append(40, 'x');
    cut += "...\" is not";
    EXPECT_EQ(error.rfind(cut, 0), 0U) << error;
    // The error pointer may be null.
    EXPECT_FALSE(Decimal::parse("abc"));
}

TEST(OkxDecimal, ComparesValuesNotSpellings) {
    EXPECT_EQ(dec("0.1"), dec("0.10"));
    EXPECT_EQ(dec("1e-8"), dec("0.00000001"));
    EXPECT_LT(dec("0.1"), dec("0.11"));
    EXPECT_LT(dec("0.099999999999999999"), dec("0.1"));
    EXPECT_LT(dec("-1"), dec("0"));
    EXPECT_LT(dec("-2.5"), dec("-2.4"));
    EXPECT_GT(dec("0.000000000000000001"), dec("0"));
    EXPECT_GT(dec("999999999999999999"), dec("999999999999999998.999999999999999999"));
    EXPECT_NE(dec("29093.7"), dec("29093.6"));
}

TEST(OkxDecimal, FromDoubleTakesFifteenDigits) {
    const auto text = [](double v) {
        auto d = Decimal::from_double(v);
        EXPECT_TRUE(d) << v;
        return d ? d->to_string() : "<error>";
    };
    EXPECT_EQ(text(0.1 + 0.2), "0.3");
    EXPECT_EQ(text(0.7 + 0.1), "0.8");
    EXPECT_EQ(text(29093.7), "29093.7");
    EXPECT_EQ(text(1e-8), "0.00000001");
    EXPECT_EQ(text(1.0 / 3), "0.333333333333333");
    EXPECT_EQ(text(-2.5), "-2.5");
    EXPECT_EQ(text(-0.0), "0");
    EXPECT_EQ(text(123456789012345678.0), "123456789012346000");
    // 3.33333333333333e-6 has 20 decimals: rounded to 18.
    EXPECT_EQ(text(1e-5 / 3), "0.000003333333333333");
    // 1.00000000000005e-5 ends in a 5 at the 19th decimal: a tie, away from zero.
    EXPECT_EQ(text(1.00000000000005e-5), "0.000010000000000001");
    EXPECT_EQ(text(-1.00000000000005e-5), "-0.000010000000000001");
    EXPECT_EQ(text(1e-300), "0");
    std::string error;
    EXPECT_FALSE(Decimal::from_double(NAN, &error));
    EXPECT_EQ(error, "nan is not a finite number");
    EXPECT_FALSE(Decimal::from_double(-INFINITY, &error));
    EXPECT_EQ(error, "-inf is not a finite number");
    EXPECT_FALSE(Decimal::from_double(1e18, &error));
    EXPECT_EQ(error, "1e+18 is too large for an exchange decimal (it must be below 10^18)");
    // Just below 10^18 as a double is 10^18 at 15 digits.
    EXPECT_FALSE(Decimal::from_double(std::nextafter(1e18, 0.0)));
    EXPECT_EQ(text(9.99999999999999e17), "999999999999999000");
}

TEST(OkxDecimal, ToDoubleIsTheNearestDouble) {
    for (const char* s : {"0.1", "0.3", "29093.7", "0.00000001", "123456789012345678.123", "-2.5",
                          "0", "0.000000000000000001"}) {
        EXPECT_EQ(dec(s).to_double(), std::strtod(s, nullptr)) << s;
    }
}

// The cases that break floor(x / tick) * tick in doubles.
TEST(OkxDecimal, KnownDriftCasesRoundExactly) {
    const auto naive_floor = [](double x, double tick) { return std::floor(x / tick) * tick; };
    // The trap, as doubles compute it.
    EXPECT_NE(naive_floor(0.1 + 0.2, 0.1), 0.3);   // 0.30000000000000004
    EXPECT_NE(naive_floor(29093.6, 0.1), 29093.6); // 29093.6 / 0.1 = 290935.99999999994
    EXPECT_NE(naive_floor(29093.67, 0.01), 29093.67);
    EXPECT_NE(naive_floor(4.35, 0.01), 4.35);
    EXPECT_NE(std::ceil((0.1 + 0.2) / 0.1) * 0.1, 0.3);

    for (Rounding mode : {Rounding::kDown, Rounding::kUp, Rounding::kNearest}) {
        // 0.1 + 0.2 = 0.30000000000000004, which is 0.3 at 15 digits: already on the tick, so
        // up gives 0.3 too (not 0.4, which ceil in doubles gives).
        EXPECT_EQ(rounded(0.1 + 0.2, "0.1", mode), "0.3");
        // 29093.7 / 0.1 happens to be exactly 290937 in doubles; 29093.6 is not so lucky.
        EXPECT_EQ(rounded(29093.7, "0.1", mode), "29093.7");
        EXPECT_EQ(rounded(29093.6, "0.1", mode), "29093.6");
        EXPECT_EQ(rounded(29093.67, "0.01", mode), "29093.67");
        EXPECT_EQ(rounded(29093.7, "0.5", mode), mode == Rounding::kUp ? "29094" : "29093.5");
        EXPECT_EQ(rounded(0.7 + 0.1, "0.1", mode), "0.8"); // 0.7999999999999999
        EXPECT_EQ(rounded(1.1 * 3, "0.1", mode), "3.3");   // 3.3000000000000003
        EXPECT_EQ(rounded(0.57 * 100, "1", mode), "57");   // 56.99999999999999
        EXPECT_EQ(rounded(1.15 * 100, "1", mode), "115");  // 114.99999999999999
        EXPECT_EQ(rounded(4.35, "0.01", mode), "4.35");
        EXPECT_EQ(rounded(0.1 * 3, "0.1", mode), "0.3");
        EXPECT_EQ(rounded(64040.2 * 0.3, "0.01", mode), "19212.06"); // 19212.059999999998
        EXPECT_EQ(rounded(29093.7 * 1.1, "0.01", mode), "32003.07"); // 32003.070000000003
        EXPECT_EQ(rounded(0.3 * 3, "0.1", mode), "0.9");             // 0.8999999999999999
        EXPECT_EQ(rounded(0.1 * 0.7, "0.01", mode), "0.07");         // 0.06999999999999999
        EXPECT_EQ(rounded(0.00012 * 7, "0.00000001", mode), "0.00084");
        double sum = 0;
        for (int i = 0; i < 10; ++i) {
            sum += 0.1;
        }
        EXPECT_EQ(rounded(sum, "0.1", mode), "1"); // 0.9999999999999999
        double lots = 0;
        for (int i = 0; i < 10; ++i) {
            lots += 0.000001;
        }
        EXPECT_EQ(rounded(lots, "0.000001", mode), "0.00001");
    }
    EXPECT_NE(0.1 + 0.2, 0.3);
    EXPECT_NE(0.7 + 0.1, 0.8);
}

// The 15-digit rule removes the error of one conversion or a few operations, not of a long
// accumulation: a hundred sums of 0.000001 are 9.999999999999982e-05, which is
// 0.0000999999999999998 at 15 digits, genuinely below 0.0001. Sizes should be computed as k × lot,
// or rounded sooner.
TEST(OkxDecimal, LongAccumulationsKeepTheirError) {
    double lots = 0;
    for (int i = 0; i < 100; ++i) {
        lots += 0.000001;
    }
    EXPECT_EQ(rounded(lots, "0.000001", Rounding::kDown), "0.000099");
    EXPECT_EQ(rounded(lots, "0.000001", Rounding::kNearest), "0.0001");
    EXPECT_EQ(rounded(100 * 0.000001, "0.000001", Rounding::kDown), "0.0001");
}

TEST(OkxDecimal, StepsNeedNotBePowersOfTen) {
    EXPECT_EQ(rounded(100.2, "0.5", Rounding::kDown), "100");
    EXPECT_EQ(rounded(100.2, "0.5", Rounding::kUp), "100.5");
    EXPECT_EQ(rounded(100.2, "0.5", Rounding::kNearest), "100");
    EXPECT_EQ(rounded(100.3, "0.5", Rounding::kNearest), "100.5");
    EXPECT_EQ(rounded(12, "5", Rounding::kDown), "10");
    EXPECT_EQ(rounded(12, "5", Rounding::kUp), "15");
    EXPECT_EQ(rounded(12.5, "5", Rounding::kNearest), "15"); // tie: away from zero
    EXPECT_EQ(rounded(0.3, "0.25", Rounding::kDown), "0.25");
    EXPECT_EQ(rounded(0.3, "0.25", Rounding::kUp), "0.5");
    EXPECT_EQ(rounded(7.4, "2.5", Rounding::kNearest), "7.5");
    EXPECT_EQ(rounded(1234.5678, "0.0025", Rounding::kDown), "1234.5675");
    EXPECT_EQ(rounded(1234.5678, "0.0025", Rounding::kUp), "1234.57");
    EXPECT_EQ(rounded("1000", "0.3", Rounding::kDown), "999.9");
    EXPECT_EQ(rounded("1000", "0.3", Rounding::kUp), "1000.2");
}

TEST(OkxDecimal, NearestBreaksTiesAwayFromZero) {
    EXPECT_EQ(rounded(100.05, "0.1", Rounding::kNearest), "100.1");
    EXPECT_EQ(rounded(100.25, "0.5", Rounding::kNearest), "100.5");
    EXPECT_EQ(rounded(0.5, "1", Rounding::kNearest), "1");
    EXPECT_EQ(rounded(1.5, "1", Rounding::kNearest), "2");
    EXPECT_EQ(rounded(2.5, "1", Rounding::kNearest), "3");
    EXPECT_EQ(rounded(-2.5, "1", Rounding::kNearest), "-3");
    EXPECT_EQ(rounded("-0.15", "0.1", Rounding::kNearest), "-0.2");
    EXPECT_EQ(rounded("0.15", "0.1", Rounding::kNearest), "0.2");
}

TEST(OkxDecimal, NegativesRoundTowardTheInfinities) {
    EXPECT_EQ(rounded("-0.15", "0.1", Rounding::kDown), "-0.2");
    EXPECT_EQ(rounded("-0.15", "0.1", Rounding::kUp), "-0.1");
    EXPECT_EQ(rounded(-29093.67, "0.1", Rounding::kDown), "-29093.7");
    EXPECT_EQ(rounded(-29093.67, "0.1", Rounding::kUp), "-29093.6");
    EXPECT_EQ(rounded(-(0.1 + 0.2), "0.1", Rounding::kDown), "-0.3");
    EXPECT_EQ(rounded("-0.05", "0.1", Rounding::kUp), "0");
}

TEST(OkxDecimal, TinyHugeAndBadSteps) {
    // 1e-300 is far below any step: down and nearest give 0, up one step.
    EXPECT_EQ(rounded(1e-300, "0.00000001", Rounding::kDown), "0");
    EXPECT_EQ(rounded(1e-300, "0.00000001", Rounding::kNearest), "0");
    EXPECT_EQ(rounded(1e-300, "0.00000001", Rounding::kUp), "0.00000001");
    EXPECT_EQ(rounded(-1e-300, "0.00000001", Rounding::kDown), "-0.00000001");
    EXPECT_EQ(rounded(-1e-300, "0.00000001", Rounding::kUp), "0");
    EXPECT_EQ(rounded(-1e-300, "0.00000001", Rounding::kNearest), "0");
    EXPECT_EQ(rounded(4e-324, "1", Rounding::kUp), "1");
    EXPECT_EQ(rounded(0.0, "0.1", Rounding::kUp), "0");
    // A small value with more than 18 decimals rounds in one step: 0.0000999999999999999 is
    // below 0.0001, so down gives 0 (rounding to 18 decimals first would give 0.0001).
    EXPECT_EQ(rounded(9.99999999999999e-5, "0.0001", Rounding::kDown), "0");
    EXPECT_EQ(rounded(9.99999999999999e-5, "0.0001", Rounding::kUp), "0.0001");
    EXPECT_EQ(rounded(9.99999999999999e-19, "0.000000000000000001", Rounding::kDown), "0");
    EXPECT_EQ(rounded(9.99999999999999e-19, "0.000000000000000001", Rounding::kNearest),
              "0.000000000000000001");
    // Sizes of 1e10 on a 1e-8 lot need 1e18 units.
    EXPECT_EQ(rounded(1e10 + 0.123456789, "0.00000001", Rounding::kDown), "10000000000.1235");
    EXPECT_EQ(rounded("9999999999.123456789", "0.00000001", Rounding::kDown),
              "9999999999.12345678");
    EXPECT_EQ(rounded(999999999999999.9, "1", Rounding::kUp), "1000000000000000");
    EXPECT_EQ(rounded("999999999999999999.5", "1", Rounding::kDown), "999999999999999999");

    auto r = round_to_step(dec("999999999999999999.5"), dec("1"), Rounding::kUp);
    EXPECT_FALSE(r);
    EXPECT_EQ(r.error, "999999999999999999.5 rounded to step 1 is too large for an exchange "
                       "decimal (it must be below 10^18)");
    r = round_to_step(dec("999999999999999995"), dec("10"), Rounding::kNearest); // a tie, up
    EXPECT_FALSE(r);
    EXPECT_EQ(rounded("999999999999999994", "10", Rounding::kNearest), "999999999999999990");
    r = round_to_step(1.0, dec("0"), Rounding::kDown);
    EXPECT_FALSE(r);
    EXPECT_EQ(r.error, "step 0 is not positive: a tick or lot size must be above 0");
    r = round_to_step(dec("1"), dec("-0.1"), Rounding::kDown);
    EXPECT_EQ(r.error, "step -0.1 is not positive: a tick or lot size must be above 0");
    r = round_to_step(NAN, dec("0.1"), Rounding::kDown);
    EXPECT_EQ(r.error, "nan is not a finite number");
    r = round_to_step(2e18, dec("0.1"), Rounding::kDown);
    EXPECT_EQ(r.error, "2e+18 is too large for an exchange decimal (it must be below 10^18)");
}

TEST(OkxDecimal, IsMultipleOf) {
    EXPECT_TRUE(is_multiple_of(dec("29093.7"), dec("0.1")));
    EXPECT_FALSE(is_multiple_of(dec("29093.75"), dec("0.1")));
    EXPECT_TRUE(is_multiple_of(dec("29093.5"), dec("0.5")));
    EXPECT_FALSE(is_multiple_of(dec("29093.7"), dec("0.5")));
    EXPECT_TRUE(is_multiple_of(dec("0"), dec("0.1")));
    EXPECT_TRUE(is_multiple_of(dec("-0.3"), dec("0.1")));
    EXPECT_TRUE(is_multiple_of(dec("20"), dec("10")));
    EXPECT_FALSE(is_multiple_of(dec("25"), dec("10")));
    EXPECT_TRUE(
        is_multiple_of(dec("999999999999999999.999999999999999999"), dec("0.000000000000000001")));
    EXPECT_FALSE(is_multiple_of(dec("1"), dec("0")));
    EXPECT_FALSE(is_multiple_of(dec("1"), dec("-1")));
}

// The bound of the 15-digit rule: the 15-digit neighbours of a decimal d are at least 10^-15 × d
// away (d = 1 and 0.999999999999999; 9.99999999999999 and 9.99999999999998 are closer still in
// relative terms, 1e-15 of d), so a double within 5e-16 × |d| of d is read as d. One ULP of
// noise on top of the conversion's half ULP is at most 1.5 × 2^-52 = 3.3e-16 of the value, so it
// is always removed; two to four ULPs are removed where the ULP is small for the value's digits.
bool within_bound(double exact_nearest, int ulps) {
    const double v = std::fabs(exact_nearest);
    const double away = ulps_away(v, std::abs(ulps) + 1);
    const double widest_ulp = std::max(std::nextafter(v, INFINITY) - v, away - ulps_away(away, -1));
    return (std::abs(ulps) + 0.5) * widest_ulp <= 4.9e-16 * v;
}

// k × step built as text, turned into a double and nudged by up to four ULPs: within the bound
// above, every mode gives exactly k × step back; so does k × step computed in doubles.
TEST(OkxDecimal, PropertyMultiplesComeBackExactly) {
    std::mt19937_64 rng(20240611);
    std::uniform_int_distribution<int> ulps(-4, 4);
    std::uniform_int_distribution<int> width(1, 14);
    std::vector<std::string> steps(std::begin(kTicks), std::end(kTicks));
    steps.insert(steps.end(), std::begin(kLots), std::end(kLots));
    int checked_far = 0; // cases nudged by 2 to 4 ULPs
    for (const std::string& step_text : steps) {
        const Ref step = ref_parse(step_text);
        const Decimal step_dec = dec(step_text);
        const int step_digits = static_cast<int>(u128_text(step.n).size());
        for (int i = 0; i < 4000; ++i) {
            // k with up to 15 - digits(step) digits, so k × step has at most 15.
            const int w = std::min(width(rng), 15 - step_digits);
            std::uniform_int_distribution<std::uint64_t> pick(
                1, static_cast<std::uint64_t>(pow10(w)) - 1);
            const std::uint64_t k = pick(rng);
            const std::string text = ref_text({step.n * k, step.scale});
            const double nearest = std::strtod(text.c_str(), nullptr);
            const int n = ulps(rng);
            ASSERT_TRUE(within_bound(nearest, 1)) << text; // one ULP is always within
            if (within_bound(nearest, n)) {
                checked_far += std::abs(n) >= 2 ? 1 : 0;
                const double v = ulps_away(nearest, n);
                for (Rounding mode : {Rounding::kDown, Rounding::kUp, Rounding::kNearest}) {
                    auto r = round_to_step(v, step_dec, mode);
                    ASSERT_TRUE(r) << text << ": " << r.error;
                    ASSERT_EQ(r->to_string(), text)
                        << "step " << step_text << " k " << k << " ulps " << n;
                }
            }
            // Through a product in doubles, as a strategy computes it: at most 2^-52 of error.
            const double product = static_cast<double>(k) * std::strtod(step_text.c_str(), nullptr);
            for (Rounding mode : {Rounding::kDown, Rounding::kUp, Rounding::kNearest}) {
                ASSERT_EQ(rounded(product, step_text, mode), text) << k << " x " << step_text;
            }
            // And as text.
            ASSERT_TRUE(is_multiple_of(dec(text), step_dec)) << text;
            ASSERT_EQ(rounded(text, step_text, Rounding::kUp), text);
        }
    }
    EXPECT_GT(checked_far, 10000); // the bound leaves most multi-ULP cases in
}

// Beyond the bound the noise is in the 15th digit, and the rule takes it as value:
// 87177023 is 87177022.99999994 four ULPs down, 87177022.9999999 at 15 digits.
TEST(OkxDecimal, NoiseInTheFifteenthDigitIsTakenAsValue) {
    const double v = ulps_away(87177023.0, -4);
    EXPECT_FALSE(within_bound(87177023.0, -4));
    EXPECT_EQ(rounded(v, "1", Rounding::kDown), "87177022");
    EXPECT_EQ(rounded(v, "1", Rounding::kNearest), "87177023");
    EXPECT_EQ(rounded(ulps_away(87177023.0, -1), "1", Rounding::kDown), "87177023");
}

// With the full 15 significant digits the 15-digit neighbours are as close as 5e-16 of the value
// either side, which one ULP (at most 2.2e-16 of it) plus the half-ULP of conversion never
// crosses.
TEST(OkxDecimal, PropertyFifteenDigitMultiplesSurviveOneUlp) {
    std::mt19937_64 rng(7);
    for (const char* step_text : {"1", "0.1", "0.001", "0.00000001"}) {
        const Ref step = ref_parse(step_text);
        std::uniform_int_distribution<std::uint64_t> pick(100000000000000ULL, 999999999999999ULL);
        for (int i = 0; i < 20000; ++i) {
            const std::uint64_t k = pick(rng); // 15 digits, step is one digit
            const std::string text = ref_text({step.n * k, step.scale});
            for (int u : {-1, 0, 1}) {
                const double v = ulps_away(std::strtod(text.c_str(), nullptr), u);
                ASSERT_EQ(rounded(v, step_text, Rounding::kDown), text) << u;
                ASSERT_EQ(rounded(v, step_text, Rounding::kUp), text) << u;
            }
        }
    }
}

// Random doubles (full binary noise, magnitudes from 1e-9 to 1e9) against the reference: the
// result is a multiple of the step (by integer arithmetic on its text), down <= value <= up,
// up - down is 0 or one step, nearest is within half a step, the text re-parses to the same
// Decimal and has no exponent.
TEST(OkxDecimal, PropertyRandomValuesMatchTheReference) {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> mantissa(1.0, 10.0);
    std::uniform_int_distribution<int> exponent(-9, 8);
    std::vector<std::string> steps(std::begin(kTicks), std::end(kTicks));
    steps.insert(steps.end(), std::begin(kLots), std::end(kLots));
    for (const std::string& step_text : steps) {
        const Ref step = ref_parse(step_text);
        const Decimal step_dec = dec(step_text);
        for (int i = 0; i < 20000; ++i) {
            const double v = mantissa(rng) * std::pow(10.0, exponent(rng));
            const Ref value = ref_of_double(v);
            std::string text[3];
            Ref got[3];
            for (int m = 0; m < 3; ++m) {
                const auto mode = static_cast<Rounding>(m);
                auto r = round_to_step(v, step_dec, mode);
                ASSERT_TRUE(r) << v << ": " << r.error;
                text[m] = r->to_string();
                ASSERT_EQ(text[m], ref_text(ref_round(value, step, mode)))
                    << "v " << v << " step " << step_text << " mode " << m;
                ASSERT_EQ(text[m].find_first_of("eE+"), std::string::npos) << text[m];
                ASSERT_EQ(Decimal::parse(text[m]), *r) << text[m];
                got[m] = ref_parse(text[m]);
                ASSERT_TRUE(ref_is_multiple(got[m], step)) << text[m] << " step " << step_text;
            }
            const Ref& down = got[0];
            const Ref& up = got[1];
            const Ref& nearest = got[2];
            ASSERT_LE(ref_compare(down, value), 0) << v;
            ASSERT_GE(ref_compare(up, value), 0) << v;
            const Ref gap = ref_sub(up, down);
            ASSERT_TRUE(gap.n == 0 || ref_compare(gap, step) == 0) << v << " " << step_text;
            ASSERT_TRUE(ref_compare(nearest, down) == 0 || ref_compare(nearest, up) == 0);
            // Within half a step: 2 × |nearest - value| <= step.
            const Ref off = ref_compare(nearest, value) >= 0 ? ref_sub(nearest, value)
                                                             : ref_sub(value, nearest);
            ASSERT_LE(ref_compare({off.n * 2, off.scale}, step), 0) << v << " " << step_text;
        }
    }
}

TEST(OkxDecimal, PropertyPricesArePassiveAndSizesNeverRoundUp) {
    std::mt19937_64 rng(99);
    std::uniform_real_distribution<double> mantissa(1.0, 10.0);
    std::uniform_int_distribution<int> exponent(-3, 6);
    for (const char* tick : kTicks) {
        for (const char* lot : kLots) {
            const InstrumentRules r = rules("TEST-USDT", tick, lot, "0");
            const Ref tick_ref = ref_parse(tick);
            const Ref lot_ref = ref_parse(lot);
            for (int i = 0; i < 1000; ++i) {
                const double v = mantissa(rng) * std::pow(10.0, exponent(rng));
                const Ref value = ref_of_double(v);
                const auto buy = order_price(v, Side::kBuy, r);
                const auto sell = order_price(v, Side::kSell, r);
                const auto buy_aggr = order_price(v, Side::kBuy, r, PriceRounding::kAggressive);
                const auto sell_aggr = order_price(v, Side::kSell, r, PriceRounding::kAggressive);
                const auto near = order_price(v, Side::kBuy, r, PriceRounding::kNearest);
                ASSERT_TRUE(sell && buy_aggr) << v;
                // Never a worse price than asked: a buy at or below, a sell at or above (the
                // 15-digit value: 0.7 + 0.1 is a buy at 0.8, not at 0.7999999999999999).
                ASSERT_GE(ref_compare(ref_parse(sell->to_string()), value), 0) << v;
                ASSERT_GE(ref_compare(ref_parse(buy_aggr->to_string()), value), 0) << v;
                ASSERT_EQ(*sell, *buy_aggr);
                const auto near_sell = order_price(v, Side::kSell, r, PriceRounding::kNearest);
                ASSERT_EQ(near.value, near_sell.value);
                if (near) {
                    ASSERT_EQ(near->to_string(),
                              ref_text(ref_round(value, tick_ref, Rounding::kNearest)));
                } else {
                    // Only a price below half a tick rounds to 0.
                    ASSERT_LT(ref_compare({value.n * 2, value.scale}, tick_ref), 0) << v;
                }
                if (buy) {
                    ASSERT_LE(ref_compare(ref_parse(buy->to_string()), value), 0) << v;
                    ASSERT_EQ(*buy, *sell_aggr);
                    ASSERT_EQ(buy->to_string(),
                              ref_text(ref_round(value, tick_ref, Rounding::kDown)));
                } else {
                    // Only a buy below one tick rounds to 0.
                    ASSERT_LT(ref_compare(value, tick_ref), 0) << v << ": " << buy.error;
                    ASSERT_FALSE(sell_aggr);
                }
                const auto size = order_size(v, r);
                if (size) {
                    ASSERT_LE(ref_compare(ref_parse(size->to_string()), value), 0) << v;
                    ASSERT_EQ(size->to_string(),
                              ref_text(ref_round(value, lot_ref, Rounding::kDown)));
                    ASSERT_TRUE(check_size(*size, r).empty());
                } else {
                    ASSERT_LT(ref_compare(value, lot_ref), 0) << v << ": " << size.error;
                }
            }
        }
    }
}

TEST(OkxDecimal, ParsesInstrumentRules) {
    auto r = parse_rules("BTC-USDT", "0.1", "0.00000001", "0.00001");
    ASSERT_TRUE(r) << r.error;
    EXPECT_EQ(r->inst_id, "BTC-USDT");
    EXPECT_EQ(r->tick_sz.to_string(), "0.1");
    EXPECT_EQ(r->lot_sz.to_string(), "0.00000001");
    EXPECT_EQ(r->min_sz.to_string(), "0.00001");
    EXPECT_TRUE(parse_rules("BTC-USDT-SWAP", "0.1", "1", "0.01"));
    EXPECT_TRUE(parse_rules("X-USDT", "5", "10", "0"));
    EXPECT_TRUE(parse_rules("X-USDT", "1e-8", "1e-6", "1e-6"));

    r = parse_rules("BTC-USDT", "0", "0.00000001", "0.00001");
    EXPECT_FALSE(r);
    EXPECT_EQ(r.error, "tickSz \"0\" of BTC-USDT is not positive: refresh the instrument list");
    r = parse_rules("BTC-USDT", "0.1", "-0.00000001", "0.00001");
    EXPECT_EQ(r.error,
              "lotSz \"-0.00000001\" of BTC-USDT is not positive: refresh the instrument list");
    r = parse_rules("BTC-USDT", "0.1", "0.00000001", "-1");
    EXPECT_EQ(r.error, "minSz \"-1\" of BTC-USDT is not zero or more: refresh the instrument list");
    r = parse_rules("BTC-USDT", "0.1", "", "0.00001");
    EXPECT_EQ(r.error, "lotSz of BTC-USDT: empty text is not a decimal number: refresh the "
                       "instrument list");
    r = parse_rules("BTC-USDT", "abc", "0.00000001", "0.00001");
    EXPECT_FALSE(r);
    EXPECT_EQ(r.error.rfind("tickSz of BTC-USDT: \"abc\" is not a decimal number", 0), 0U)
        << r.error;

    core::InstrumentInfo row;
    row.inst = "ETH-USDT";
    row.tick_sz = "0.01";
    row.lot_sz = "0.000001";
    row.min_sz = "0.001";
    r = parse_rules(row);
    ASSERT_TRUE(r) << r.error;
    EXPECT_EQ(r->inst_id, "ETH-USDT");
    EXPECT_EQ(r->tick_sz, dec("0.01"));
}

TEST(OkxDecimal, MinSizeAtJustBelowAndJustAbove) {
    const InstrumentRules btc = rules("BTC-USDT", "0.1", "0.00000001", "0.00001");
    // At the minimum.
    auto s = order_size(0.00001, btc);
    ASSERT_TRUE(s) << s.error;
    EXPECT_EQ(s->to_string(), "0.00001");
    EXPECT_TRUE(check_size(dec("0.00001"), btc).empty());
    // One lot below.
    s = order_size(0.00000999, btc);
    EXPECT_FALSE(s);
    EXPECT_EQ(s.error, "size 0.00000999 is below minSz 0.00001 of BTC-USDT: raise it to at "
                       "least 0.00001 or skip the order");
    EXPECT_EQ(check_size(dec("0.00000999"), btc), s.error);
    // Below only after rounding down to the lot.
    s = order_size(0.0000099999, btc);
    EXPECT_EQ(s.error, "size 0.0000099999 (0.00000999 at lotSz 0.00000001) is below minSz "
                       "0.00001 of BTC-USDT: raise it to at least 0.00001 or skip the order");
    // One lot above, and a hair above that rounds down onto the minimum.
    s = order_size(0.00001001, btc);
    ASSERT_TRUE(s) << s.error;
    EXPECT_EQ(s->to_string(), "0.00001001");
    s = order_size(0.000010009, btc);
    ASSERT_TRUE(s) << s.error;
    EXPECT_EQ(s->to_string(), "0.00001");
    // Computed sizes that land on the minimum through binary noise.
    s = order_size(0.000001 * 10, btc); // 9.999999999999999e-06
    ASSERT_TRUE(s) << s.error;
    EXPECT_EQ(s->to_string(), "0.00001");
    // Contracts: whole lots, minimum one.
    const InstrumentRules swap = rules("BTC-USDT-SWAP", "0.1", "1", "1");
    EXPECT_EQ(order_size(1.0, swap)->to_string(), "1");
    EXPECT_EQ(order_size(2.9999, swap)->to_string(), "2");
    EXPECT_EQ(order_size(0.9999, swap).error,
              "size 0.9999 for BTC-USDT-SWAP rounds down to 0 at lotSz 1: raise it to at least 1 "
              "or skip the order");
}

TEST(OkxDecimal, OrderSizeErrors) {
    const InstrumentRules btc = rules("BTC-USDT", "0.1", "0.00000001", "0");
    EXPECT_EQ(order_size(NAN, btc).error,
              "size nan for BTC-USDT is not a finite number: check how it was computed");
    EXPECT_EQ(order_size(INFINITY, btc).error,
              "size inf for BTC-USDT is not a finite number: check how it was computed");
    EXPECT_EQ(order_size(0.0, btc).error,
              "size 0 for BTC-USDT is not positive: an order needs a size above 0");
    EXPECT_EQ(order_size(-1.5, btc).error,
              "size -1.5 for BTC-USDT is not positive: an order needs a size above 0");
    EXPECT_EQ(order_size(0.000000005, btc).error,
              "size 0.000000005 for BTC-USDT rounds down to 0 at lotSz 0.00000001: raise it to "
              "at least 0.00000001 or skip the order");
    EXPECT_EQ(order_size(1e19, btc).error,
              "size 1e+19 for BTC-USDT is too large for an exchange decimal (it must be below "
              "10^18)");
    EXPECT_EQ(order_size(1e-300, btc).error,
              "size 1e-300 for BTC-USDT rounds down to 0 at lotSz 0.00000001: raise it to at "
              "least 0.00000001 or skip the order");
    EXPECT_EQ(check_size(dec("0.000000015"), btc),
              "size 0.000000015 is not a multiple of lotSz 0.00000001 of BTC-USDT: round it down "
              "to a multiple of lotSz");
    EXPECT_EQ(check_size(dec("0"), btc),
              "size 0 for BTC-USDT is not positive: an order needs a size above 0");
    EXPECT_EQ(order_size(1e10 + 0.5, btc)->to_string(), "10000000000.5");
}

TEST(OkxDecimal, OrderPriceRulesAndErrors) {
    const InstrumentRules btc = rules("BTC-USDT", "0.1", "0.00000001", "0.00001");
    EXPECT_EQ(order_price(29093.67, Side::kBuy, btc)->to_string(), "29093.6");
    EXPECT_EQ(order_price(29093.67, Side::kSell, btc)->to_string(), "29093.7");
    EXPECT_EQ(order_price(29093.67, Side::kBuy, btc, PriceRounding::kAggressive)->to_string(),
              "29093.7");
    EXPECT_EQ(order_price(29093.67, Side::kSell, btc, PriceRounding::kAggressive)->to_string(),
              "29093.6");
    EXPECT_EQ(order_price(29093.67, Side::kBuy, btc, PriceRounding::kNearest)->to_string(),
              "29093.7");
    EXPECT_EQ(order_price(29093.62, Side::kSell, btc, PriceRounding::kNearest)->to_string(),
              "29093.6");
    EXPECT_EQ(order_price(0.1 + 0.2, Side::kSell, btc)->to_string(), "0.3");
    EXPECT_EQ(order_price(0.1 + 0.2, Side::kBuy, btc)->to_string(), "0.3");
    EXPECT_EQ(check_price(dec("29093.7"), btc), "");
    EXPECT_EQ(check_price(dec("29093.75"), btc),
              "price 29093.75 is not a multiple of tickSz 0.1 of BTC-USDT: round it to a "
              "multiple of tickSz");
    EXPECT_EQ(check_price(dec("-1"), btc),
              "price -1 for BTC-USDT is not positive: an order needs a price above 0");

    EXPECT_EQ(order_price(0.04, Side::kBuy, btc).error,
              "price 0.04 for BTC-USDT rounds down to 0 at tickSz 0.1: an order needs a price of "
              "at least 0.1");
    EXPECT_EQ(order_price(0.04, Side::kSell, btc)->to_string(), "0.1");
    EXPECT_EQ(order_price(0.04, Side::kBuy, btc, PriceRounding::kNearest).error,
              "price 0.04 for BTC-USDT rounds to nearest to 0 at tickSz 0.1: an order needs a "
              "price of at least 0.1");
    EXPECT_EQ(order_price(0.0, Side::kSell, btc).error,
              "price 0 for BTC-USDT is not positive: an order needs a price above 0");
    EXPECT_EQ(order_price(-5, Side::kBuy, btc).error,
              "price -5 for BTC-USDT is not positive: an order needs a price above 0");
    EXPECT_EQ(order_price(NAN, Side::kBuy, btc).error,
              "price nan for BTC-USDT is not a finite number: check how it was computed");
    EXPECT_EQ(order_price(-INFINITY, Side::kBuy, btc).error,
              "price -inf for BTC-USDT is not a finite number: check how it was computed");
    EXPECT_EQ(order_price(1e300, Side::kBuy, btc).error,
              "price 1e+300 for BTC-USDT is too large for an exchange decimal (it must be below "
              "10^18)");
}

TEST(OkxDecimal, WriteNeedsAtMostMaxText) {
    for (const char* s : {"-999999999999999999.999999999999999999", "0.000000000000000001",
                          "-0.000000000000000001", "999999999999999999", "0"}) {
        char buf[Decimal::kMaxText + 1];
        char* end = dec(s).write(buf);
        ASSERT_LE(static_cast<std::size_t>(end - buf), Decimal::kMaxText);
        EXPECT_EQ(std::string(buf, end), s);
    }
}

} // namespace
} // namespace okxkit::okx
