// Unit tests for lib/core/timeutil: durations, ISO-8601 times, formatting, civil days.
#include "core/timeutil.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace okxkit::core {
namespace {

constexpr std::int64_t kSec = 1000;
constexpr std::int64_t kMin = 60 * kSec;
constexpr std::int64_t kHour = 60 * kMin;
constexpr std::int64_t kDay = 24 * kHour;

// The reference: glibc's timegm, in milliseconds.
std::int64_t timegm_ms(int y, int mo, int d, int hh = 0, int mi = 0, int ss = 0) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = hh;
    tm.tm_min = mi;
    tm.tm_sec = ss;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

bool leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int month_days(int y, int m) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// The reference formatter: gmtime_r and strftime, milliseconds appended by hand.
std::string gmtime_iso(std::int64_t ms) {
    std::int64_t secs = ms / 1000;
    std::int64_t frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        --secs;
    }
    auto t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d",
                  static_cast<long long>(tm.tm_year) + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                  tm.tm_min, tm.tm_sec);
    std::string out = buf;
    if (frac != 0) {
        std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(frac));
        out += buf;
    }
    return out + "Z";
}

std::string fmt(const char* pattern, int a, int b, int c, int d = 0, int e = 0, int f = 0,
                int g = 0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, pattern, a, b, c, d, e, f, g);
    return buf;
}

// ---------------------------------------------------------------------------------------
// days_from_civil

TEST(CoreTime, DaysFromCivilMatchesTimegmForEveryMonthFrom1601To2400) {
    for (int y = 1601; y <= 2400; ++y) {
        for (int m = 1; m <= 12; ++m) {
            for (int d : {1, 15, month_days(y, m)}) {
                ASSERT_EQ(days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)),
                          timegm_ms(y, m, d) / kDay)
                    << y << "-" << m << "-" << d;
            }
        }
    }
}

TEST(CoreTime, DaysFromCivilIsConsecutiveAcrossLeapDays) {
    EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
    EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
    // 2000 is a leap year (divisible by 400), 1900 and 2100 are not, 2024 is.
    EXPECT_EQ(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28), 2);
    EXPECT_EQ(days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28), 2);
    EXPECT_EQ(days_from_civil(2100, 3, 1) - days_from_civil(2100, 2, 28), 1);
    EXPECT_EQ(days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28), 1);
    EXPECT_EQ(days_from_civil(2001, 1, 1) - days_from_civil(2000, 1, 1), 366);
    EXPECT_EQ(days_from_civil(2025, 1, 1) - days_from_civil(2024, 1, 1), 366);
    EXPECT_EQ(days_from_civil(2024, 1, 1) - days_from_civil(2023, 1, 1), 365);
}

// ---------------------------------------------------------------------------------------
// parse_time_ms

TEST(CoreTime, ParseTimeIntegerIsEpochMilliseconds) {
    EXPECT_EQ(parse_time_ms("0"), 0);
    EXPECT_EQ(parse_time_ms("1617235200000"), timegm_ms(2021, 4, 1));
    EXPECT_EQ(parse_time_ms("1617235200123"), timegm_ms(2021, 4, 1) + 123);
    EXPECT_EQ(parse_time_ms("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(parse_time_ms("9223372036854775808"), std::nullopt); // overflows int64
}

TEST(CoreTime, ParseTimeDocumentedExamples) {
    const std::int64_t day = timegm_ms(2021, 4, 2);
    EXPECT_EQ(parse_time_ms("2021-04-02"), day);
    EXPECT_EQ(parse_time_ms("2021-04-02T00:00"), day);
    EXPECT_EQ(parse_time_ms("2021-04-02T00:00:00Z"), day);
    EXPECT_EQ(parse_time_ms("2021-04-02 00:00:00.250Z"), day + 250);
    EXPECT_EQ(parse_time_ms("2021-04-02T08:00:00+08:00"), day);
}

TEST(CoreTime, ParseTimeEveryDayFrom1970To2100MatchesTimegm) {
    std::mt19937 rng(20240229);
    for (int y = 1970; y <= 2100; ++y) {
        for (int m = 1; m <= 12; ++m) {
            for (int d = 1; d <= month_days(y, m); ++d) {
                const int hh = static_cast<int>(rng() % 24);
                const int mi = static_cast<int>(rng() % 60);
                const int ss = static_cast<int>(rng() % 60);
                const int ms = static_cast<int>(rng() % 1000);
                const std::int64_t midnight = timegm_ms(y, m, d);
                const std::int64_t at = timegm_ms(y, m, d, hh, mi, ss) + ms;
                ASSERT_EQ(parse_time_ms(fmt("%04d-%02d-%02d", y, m, d)), midnight)
                    << y << "-" << m << "-" << d;
                const std::string t =
                    fmt("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d, hh, mi, ss, ms);
                ASSERT_EQ(parse_time_ms(t), at) << t;
                const std::string sp = fmt("%04d-%02d-%02d %02d:%02d:%02d", y, m, d, hh, mi, ss);
                ASSERT_EQ(parse_time_ms(sp), at - ms) << sp;
                const std::string hm = fmt("%04d-%02d-%02dT%02d:%02d", y, m, d, hh, mi);
                ASSERT_EQ(parse_time_ms(hm), timegm_ms(y, m, d, hh, mi)) << hm;
            }
        }
    }
}

TEST(CoreTime, ParseTimeLeapDays) {
    EXPECT_EQ(parse_time_ms("2000-02-29"), timegm_ms(2000, 2, 29));
    EXPECT_EQ(parse_time_ms("2024-02-29T12:00:00Z"), timegm_ms(2024, 2, 29, 12));
    EXPECT_EQ(parse_time_ms("1972-02-29"), timegm_ms(1972, 2, 29));
    EXPECT_EQ(*parse_time_ms("2024-03-01") - *parse_time_ms("2024-02-28"), 2 * kDay);
    EXPECT_EQ(parse_time_ms("2023-02-29"), std::nullopt);
    EXPECT_EQ(parse_time_ms("2100-02-29"), std::nullopt);
    EXPECT_EQ(parse_time_ms("1900-02-29"), std::nullopt);
}

TEST(CoreTime, ParseTimeEpochAndBefore) {
    EXPECT_EQ(parse_time_ms("1970-01-01"), 0);
    EXPECT_EQ(parse_time_ms("1970-01-01T00:00:00.001Z"), 1);
    EXPECT_EQ(parse_time_ms("1969-12-31T23:59:59.999Z"), -1);
    EXPECT_EQ(parse_time_ms("1969-07-20T20:17:40Z"), timegm_ms(1969, 7, 20, 20, 17, 40));
}

TEST(CoreTime, ParseTimeZoneOffsetsMatchTimegm) {
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        const int y = 1970 + static_cast<int>(rng() % 130);
        const int m = 1 + static_cast<int>(rng() % 12);
        const int d = 1 + static_cast<int>(rng() % static_cast<unsigned>(month_days(y, m)));
        const int hh = static_cast<int>(rng() % 24);
        const int mi = static_cast<int>(rng() % 60);
        const int oh = static_cast<int>(rng() % 15);
        const int om = static_cast<int>(rng() % 4) * 15;
        const bool minus = rng() % 2 == 0;
        const std::int64_t local = timegm_ms(y, m, d, hh, mi);
        const std::int64_t offset = (oh * 60 + om) * kMin;
        const std::int64_t utc = minus ? local + offset : local - offset;
        const char sign = minus ? '-' : '+';
        char colon[64];
        std::snprintf(colon, sizeof colon, "%04d-%02d-%02dT%02d:%02d:00%c%02d:%02d", y, m, d, hh,
                      mi, sign, oh, om);
        char plain[64];
        std::snprintf(plain, sizeof plain, "%04d-%02d-%02dT%02d:%02d:00%c%02d%02d", y, m, d, hh, mi,
                      sign, oh, om);
        ASSERT_EQ(parse_time_ms(colon), utc) << colon;
        ASSERT_EQ(parse_time_ms(plain), utc) << plain;
    }
    // An offset moves the instant across midnight and across the year.
    EXPECT_EQ(parse_time_ms("2021-01-01T05:00:00+08:00"), timegm_ms(2020, 12, 31, 21));
    EXPECT_EQ(parse_time_ms("2020-12-31T20:00:00-05:00"), timegm_ms(2021, 1, 1, 1));
    EXPECT_EQ(parse_time_ms("2021-04-02T00:00:00+00:00"), parse_time_ms("2021-04-02T00:00:00Z"));
}

TEST(CoreTime, ParseTimeLowerCaseSeparatorAndZone) {
    EXPECT_EQ(parse_time_ms("2021-04-02t10:20:30z"), timegm_ms(2021, 4, 2, 10, 20, 30));
}

TEST(CoreTime, ParseTimeFractionsAreMilliseconds) {
    const std::int64_t base = timegm_ms(2021, 4, 2, 1, 2, 3);
    EXPECT_EQ(parse_time_ms("2021-04-02T01:02:03.5Z"), base + 500);
    EXPECT_EQ(parse_time_ms("2021-04-02T01:02:03.25Z"), base + 250);
    EXPECT_EQ(parse_time_ms("2021-04-02T01:02:03.007Z"), base + 7);
    EXPECT_EQ(parse_time_ms("2021-04-02T01:02:03.999"), base + 999);
    // Sub-millisecond digits are dropped, never rounded into the next millisecond.
    EXPECT_EQ(parse_time_ms("2021-04-02T01:02:03.123999Z"), base + 123);
    EXPECT_EQ(parse_time_ms("2021-04-02T01:02:03.9999999Z"), base + 999);
}

TEST(CoreTime, ParseTimeRejectsWhatIsNotATime) {
    for (const char* bad : {
             "",
             " ",
             "yesterday",
             "1.5",
             "-",
             "2021-04",
             "2021-4-2",
             "2021/04/02",
             "21-04-02",
             " 2021-04-02",
             "2021-04-02 ",
             "2021-00-10",
             "2021-13-01",
             "2021-04-00",
             "2021-04-31",
             "2021-06-31",
             "2021-01-32",
             "2021-04-02T",
             "2021-04-02T1:00",
             "2021-04-02T10",
             "2021-04-02T24:00",
             "2021-04-02T23:60",
             "2021-04-02T23:59:61Z",
             "2021-04-02T00:00:00.Z",
             "2021-04-02T00:00.5Z",
             "2021-04-02T00:00:00ZZ",
             "2021-04-02T00:00:00 Z",
             "2021-04-02T00:00:00+8",
             "2021-04-02T00:00:00+08:0",
             "2021-04-02T00:00:00+24:00",
             "2021-04-02T00:00:00+08:60",
             "2021-04-02T00:00:00+08:00x",
             "2021-04-02T00:00:00UTC",
             "2021-04-02X00:00:00",
         }) {
        EXPECT_EQ(parse_time_ms(bad), std::nullopt) << '"' << bad << '"';
    }
}

// ---------------------------------------------------------------------------------------
// format_iso_ms

TEST(CoreTime, FormatIsoExamples) {
    EXPECT_EQ(format_iso_ms(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_iso_ms(1), "1970-01-01T00:00:00.001Z");
    EXPECT_EQ(format_iso_ms(10), "1970-01-01T00:00:00.010Z");
    EXPECT_EQ(format_iso_ms(999), "1970-01-01T00:00:00.999Z");
    EXPECT_EQ(format_iso_ms(1000), "1970-01-01T00:00:01Z");
    EXPECT_EQ(format_iso_ms(-1), "1969-12-31T23:59:59.999Z");
    EXPECT_EQ(format_iso_ms(timegm_ms(2021, 4, 2)), "2021-04-02T00:00:00Z");
    EXPECT_EQ(format_iso_ms(timegm_ms(2000, 2, 29, 23, 59, 59) + 250), "2000-02-29T23:59:59.250Z");
    EXPECT_EQ(format_iso_ms(timegm_ms(2024, 2, 29, 12, 0, 1)), "2024-02-29T12:00:01Z");
}

TEST(CoreTime, FormatIsoMatchesGmtimeOnRandomInstants) {
    std::mt19937_64 rng(42);
    // From 1900 to 2200, with and without milliseconds.
    const std::int64_t lo = timegm_ms(1900, 1, 1);
    const std::int64_t hi = timegm_ms(2200, 1, 1);
    std::uniform_int_distribution<std::int64_t> dist(lo, hi);
    for (int i = 0; i < 20000; ++i) {
        std::int64_t ms = dist(rng);
        if (i % 3 == 0) {
            ms -= ms % 1000 + (ms % 1000 < 0 ? 1000 : 0); // a whole second
        }
        ASSERT_EQ(format_iso_ms(ms), gmtime_iso(ms)) << ms;
    }
    // Every day boundary, and one millisecond either side, from 1960 to 2110.
    for (std::int64_t day = days_from_civil(1960, 1, 1); day <= days_from_civil(2110, 1, 1);
         ++day) {
        for (std::int64_t ms : {day * kDay - 1, day * kDay, day * kDay + 1}) {
            ASSERT_EQ(format_iso_ms(ms), gmtime_iso(ms)) << ms;
        }
    }
}

TEST(CoreTime, FormatThenParseRoundTrips) {
    std::mt19937_64 rng(99);
    std::uniform_int_distribution<std::int64_t> dist(timegm_ms(1970, 1, 1),
                                                     timegm_ms(9999, 12, 31, 23, 59, 59) + 999);
    for (int i = 0; i < 20000; ++i) {
        const std::int64_t ms = dist(rng);
        const std::string text = format_iso_ms(ms);
        ASSERT_EQ(parse_time_ms(text), ms) << text;
    }
}

TEST(CoreTime, FormatIsoCoversTheWholeInt64Range) {
    // Event times come from input lines, so any int64 may reach the formatter; the reference
    // values are those of gmtime_r (and of java.time.Instant.ofEpochMilli).
    const std::int64_t lo = std::numeric_limits<std::int64_t>::min();
    const std::int64_t hi = std::numeric_limits<std::int64_t>::max();
    EXPECT_EQ(format_iso_ms(hi), gmtime_iso(hi));
    EXPECT_EQ(format_iso_ms(hi), "292278994-08-17T07:12:55.807Z");
    EXPECT_EQ(format_iso_ms(lo), gmtime_iso(lo));
    EXPECT_EQ(format_iso_ms(lo), "-292275055-05-16T16:47:04.192Z");
    EXPECT_EQ(format_iso_ms(lo + 1), gmtime_iso(lo + 1));
    EXPECT_EQ(format_iso_ms(lo + kDay), gmtime_iso(lo + kDay));
}

// ---------------------------------------------------------------------------------------
// parse_duration_ms

TEST(CoreTime, ParseDurationDocumentedExamples) {
    EXPECT_EQ(parse_duration_ms("90s"), 90 * kSec);
    EXPECT_EQ(parse_duration_ms("6h"), 6 * kHour);
    EXPECT_EQ(parse_duration_ms("26h"), 26 * kHour);
    EXPECT_EQ(parse_duration_ms("7d"), 7 * kDay);
    EXPECT_EQ(parse_duration_ms("1h30m"), kHour + 30 * kMin);
}

TEST(CoreTime, ParseDurationEveryUnit) {
    EXPECT_EQ(parse_duration_ms("250ms"), 250);
    EXPECT_EQ(parse_duration_ms("1s"), kSec);
    EXPECT_EQ(parse_duration_ms("1m"), kMin); // minutes, not months
    EXPECT_EQ(parse_duration_ms("1h"), kHour);
    EXPECT_EQ(parse_duration_ms("1d"), kDay);
    EXPECT_EQ(parse_duration_ms("1w"), 7 * kDay);
    EXPECT_EQ(parse_duration_ms("0s"), 0);
    EXPECT_EQ(parse_duration_ms("1w2d3h4m5s6ms"),
              7 * kDay + 2 * kDay + 3 * kHour + 4 * kMin + 5 * kSec + 6);
    EXPECT_EQ(parse_duration_ms("1m1ms"), kMin + 1);
    EXPECT_EQ(parse_duration_ms("007m"), 7 * kMin);
}

TEST(CoreTime, ParseDurationRandomCombinationsSumTheirParts) {
    struct Unit {
        const char* name;
        std::int64_t ms;
    };
    const Unit units[] = {{"ms", 1},    {"s", kSec}, {"m", kMin},
                          {"h", kHour}, {"d", kDay}, {"w", 7 * kDay}};
    std::mt19937 rng(3);
    for (int i = 0; i < 5000; ++i) {
        std::string text;
        std::int64_t expected = 0;
        const int groups = 1 + static_cast<int>(rng() % 4);
        for (int g = 0; g < groups; ++g) {
            const Unit& u = units[rng() % 6];
            const std::int64_t n = rng() % 100000;
            text += std::to_string(n) + u.name;
            expected += n * u.ms;
        }
        ASSERT_EQ(parse_duration_ms(text), expected) << text;
    }
}

TEST(CoreTime, ParseDurationRejectsBareIntegersAndJunk) {
    for (const char* bad :
         {"",    "90",  "0",  "s",  "ms", "h5", "1h30", "1.5h", "-5m",    "+5m",    " 5m",
          "5m ", "5 m", "1M", "1H", "1y", "1x", "5min", "5sec", "1h-30m", "1h,30m", "1hh"}) {
        EXPECT_EQ(parse_duration_ms(bad), std::nullopt) << '"' << bad << '"';
    }
}

TEST(CoreTime, ParseDurationRejectsOverflow) {
    EXPECT_EQ(parse_duration_ms("9223372036854775807ms"), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(parse_duration_ms("9223372036854775808ms"), std::nullopt);
    EXPECT_EQ(parse_duration_ms("106751991168d"), std::nullopt);
    EXPECT_EQ(parse_duration_ms("106751991167d"), 106751991167 * kDay);
    EXPECT_EQ(parse_duration_ms("15250284453w"), std::nullopt);
    EXPECT_EQ(parse_duration_ms("5000000000000000000ms5000000000000000000ms"), std::nullopt);
    EXPECT_EQ(parse_duration_ms("99999999999999999999999s"), std::nullopt);
}

} // namespace
} // namespace okxkit::core
