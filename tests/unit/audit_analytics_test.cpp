// lib/audit analytics against hand-computed values and against a plain reference written here
// (brute-force loops, its own calendar), on hand-made, random-walk, flat, never-recovering and
// month-boundary curves; round trips, win/loss statistics and attribution on hand-made fills.
#include "audit/analytics.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace okxkit::audit {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kT0 = 1'704'067'200'000; // 2024-01-01T00:00:00Z
constexpr double kRel = 1e-9;

// |actual − expected| ≤ rel × max(|expected|, tiny), and actual present.
void expect_close(const std::optional<double>& actual, double expected, const char* what) {
    ASSERT_TRUE(actual.has_value()) << what << " is undefined, expected " << expected;
    const double scale = std::max(std::abs(expected), 1e-300);
    EXPECT_LE(std::abs(*actual - expected), kRel * scale)
        << what << ": got " << *actual << ", expected " << expected;
}

std::vector<EquityPoint> curve_of(const std::vector<double>& equity, std::int64_t t0,
                                  std::int64_t step_ms) {
    std::vector<EquityPoint> curve;
    for (std::size_t i = 0; i < equity.size(); ++i) {
        curve.push_back({t0 + static_cast<std::int64_t>(i) * step_ms, equity[i], 0.0});
    }
    return curve;
}

// ---------------------------------------------------------------------------------------------
// The reference: the definitions written out as directly as possible, in long double, with
// brute-force loops where analytics.cpp keeps running state. It shares no code with it.

struct Reference {
    std::optional<double> total_return;
    std::optional<double> cagr;
    std::optional<double> sharpe;
    std::optional<double> sortino;
    std::optional<double> calmar;
    double max_drawdown = 0;
    std::int64_t max_drawdown_duration_ms = 0;
    std::vector<double> drawdown;
    std::optional<double> exposure_time;
};

Reference reference(const std::vector<EquityPoint>& c, std::int64_t bar_ms) {
    Reference out;
    const std::size_t n_points = c.size();
    const long double year_ms = 365.0L * 24 * 60 * 60 * 1000;
    const long double start = c[0].equity;
    const long double end = c[n_points - 1].equity;
    out.total_return = static_cast<double>(end / start - 1);
    const long double years = static_cast<long double>(c[n_points - 1].ts - c[0].ts) / year_ms;
    if (years > 0 && end > 0) {
        out.cagr = static_cast<double>(std::pow(end / start, 1 / years) - 1);
    }

    std::vector<long double> r;
    for (std::size_t i = 1; i < n_points; ++i) {
        r.push_back(static_cast<long double>(c[i].equity) / c[i - 1].equity - 1);
    }
    const long double periods = year_ms / static_cast<long double>(bar_ms);
    if (!r.empty()) {
        long double sum = 0;
        for (long double x : r) {
            sum += x;
        }
        const long double mean = sum / r.size();
        if (r.size() >= 2) {
            long double ss = 0;
            for (long double x : r) {
                ss += (x - mean) * (x - mean);
            }
            const long double sd = std::sqrt(ss / (r.size() - 1));
            if (sd != 0) {
                out.sharpe = static_cast<double>(mean / sd * std::sqrt(periods));
            }
        }
        long double down = 0;
        for (long double x : r) {
            if (x < 0) {
                down += x * x;
            }
        }
        const long double dd = std::sqrt(down / r.size());
        if (dd != 0) {
            out.sortino = static_cast<double>(mean / dd * std::sqrt(periods));
        }
    }

    // Drawdown: the peak of every prefix found again from scratch, O(N²).
    for (std::size_t i = 0; i < n_points; ++i) {
        double peak = c[0].equity;
        for (std::size_t j = 0; j <= i; ++j) {
            peak = std::max(peak, c[j].equity);
        }
        const double dd = (peak - c[i].equity) / peak;
        out.drawdown.push_back(dd);
        out.max_drawdown = std::max(out.max_drawdown, dd);
    }
    // Duration: from every peak point j (at the running max, and the next point below it),
    // scan forward for the first point at least as high.
    for (std::size_t j = 0; j + 1 < n_points; ++j) {
        bool at_running_max = true;
        for (std::size_t k = 0; k < j; ++k) {
            if (c[k].equity > c[j].equity) {
                at_running_max = false;
            }
        }
        if (!at_running_max || c[j + 1].equity >= c[j].equity) {
            continue;
        }
        std::int64_t until = c[n_points - 1].ts;
        for (std::size_t k = j + 1; k < n_points; ++k) {
            if (c[k].equity >= c[j].equity) {
                until = c[k].ts;
                break;
            }
        }
        out.max_drawdown_duration_ms = std::max(out.max_drawdown_duration_ms, until - c[j].ts);
    }
    if (out.cagr && out.max_drawdown > 0) {
        out.calmar = *out.cagr / out.max_drawdown;
    }
    int exposed = 0;
    for (const EquityPoint& p : c) {
        if (p.gross_exposure > 0) {
            ++exposed;
        }
    }
    out.exposure_time = static_cast<double>(exposed) / static_cast<double>(n_points);
    return out;
}

// A calendar by counting: whole years from 1970, then whole months.
std::pair<int, unsigned> reference_month(std::int64_t ts) {
    std::int64_t days = ts / kDayMs;
    auto leap = [](int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; };
    int year = 1970;
    while (days >= (leap(year) ? 366 : 365)) {
        days -= leap(year) ? 366 : 365;
        ++year;
    }
    const int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned month = 1;
    while (days >= lengths[month - 1] + (month == 2 && leap(year) ? 1 : 0)) {
        days -= lengths[month - 1] + (month == 2 && leap(year) ? 1 : 0);
        ++month;
    }
    return {year, month};
}

struct RefMonth {
    int year;
    unsigned month;
    double ret;
};

std::vector<RefMonth> reference_monthly(const std::vector<EquityPoint>& c) {
    // The last equity of every month, in order; then each over the one before.
    std::vector<std::pair<std::pair<int, unsigned>, double>> last;
    for (const EquityPoint& p : c) {
        const auto ym = reference_month(p.ts);
        if (last.empty() || last.back().first != ym) {
            last.push_back({ym, p.equity});
        } else {
            last.back().second = p.equity;
        }
    }
    std::vector<RefMonth> out;
    for (std::size_t i = 0; i < last.size(); ++i) {
        const double base = i == 0 ? c[0].equity : last[i - 1].second;
        out.push_back({last[i].first.first, last[i].first.second, last[i].second / base - 1});
    }
    return out;
}

void expect_matches_reference(const std::vector<EquityPoint>& curve, std::int64_t bar_ms) {
    const Performance perf = analyse(curve, bar_ms, {});
    const Reference ref = reference(curve, bar_ms);
    expect_close(perf.total_return, *ref.total_return, "total_return");
    ASSERT_EQ(perf.cagr.has_value(), ref.cagr.has_value());
    if (ref.cagr) {
        expect_close(perf.cagr, *ref.cagr, "cagr");
    }
    ASSERT_EQ(perf.sharpe.has_value(), ref.sharpe.has_value());
    if (ref.sharpe) {
        expect_close(perf.sharpe, *ref.sharpe, "sharpe");
    }
    ASSERT_EQ(perf.sortino.has_value(), ref.sortino.has_value());
    if (ref.sortino) {
        expect_close(perf.sortino, *ref.sortino, "sortino");
    }
    ASSERT_EQ(perf.calmar.has_value(), ref.calmar.has_value());
    if (ref.calmar) {
        expect_close(perf.calmar, *ref.calmar, "calmar");
    }
    if (ref.max_drawdown == 0) {
        EXPECT_EQ(perf.max_drawdown, 0.0);
    } else {
        expect_close(perf.max_drawdown, ref.max_drawdown, "max_drawdown");
    }
    EXPECT_EQ(perf.max_drawdown_duration_ms, ref.max_drawdown_duration_ms);
    ASSERT_EQ(perf.drawdown.size(), ref.drawdown.size());
    for (std::size_t i = 0; i < ref.drawdown.size(); ++i) {
        EXPECT_NEAR(perf.drawdown[i], ref.drawdown[i], kRel * std::max(ref.drawdown[i], 1e-12))
            << "point " << i;
    }
    expect_close(perf.exposure_time, *ref.exposure_time, "exposure_time");
    const std::vector<RefMonth> months = reference_monthly(curve);
    ASSERT_EQ(perf.monthly.size(), months.size());
    for (std::size_t i = 0; i < months.size(); ++i) {
        EXPECT_EQ(perf.monthly[i].year, months[i].year) << "month " << i;
        EXPECT_EQ(perf.monthly[i].month, months[i].month) << "month " << i;
        expect_close(perf.monthly[i].ret, months[i].ret, "monthly return");
    }
}

// Geometric random walk: log-normal-ish steps from a fixed seed, exposure on about half the bars.
std::vector<EquityPoint> random_walk(std::uint64_t seed, std::size_t n, std::int64_t t0,
                                     std::int64_t bar_ms, double drift, double vol) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> step(drift, vol);
    std::bernoulli_distribution exposed(0.5);
    std::vector<EquityPoint> curve;
    double equity = 10'000;
    for (std::size_t i = 0; i < n; ++i) {
        curve.push_back(
            {t0 + static_cast<std::int64_t>(i) * bar_ms, equity, exposed(rng) ? equity : 0.0});
        equity *= 1 + step(rng);
    }
    return curve;
}

// ---------------------------------------------------------------------------------------------
// Curves

TEST(AuditAnalytics, HandMadeCurveByHand) {
    // 100, 120, 90, 130 on daily bars.
    std::vector<EquityPoint> curve = curve_of({100, 120, 90, 130}, kT0, kDayMs);
    curve[1].gross_exposure = 50;
    curve[2].gross_exposure = 40;
    const Performance perf = analyse(curve, kDayMs, {});

    EXPECT_EQ(perf.points, 4);
    EXPECT_EQ(perf.start_equity, 100.0);
    EXPECT_EQ(perf.end_equity, 130.0);
    expect_close(perf.total_return, 0.3, "total_return");
    EXPECT_DOUBLE_EQ(perf.years, 3.0 / 365.0);
    EXPECT_DOUBLE_EQ(perf.periods_per_year, 365.0);
    expect_close(perf.cagr, std::pow(1.3, 365.0 / 3.0) - 1, "cagr");

    // Returns 0.2, -0.25, 4/9.
    const double r1 = 0.2;
    const double r2 = -0.25;
    const double r3 = 4.0 / 9.0;
    const double mean = (r1 + r2 + r3) / 3;
    const double sd = std::sqrt(
        ((r1 - mean) * (r1 - mean) + (r2 - mean) * (r2 - mean) + (r3 - mean) * (r3 - mean)) / 2);
    EXPECT_EQ(perf.bar_returns, 3);
    expect_close(perf.mean_return, 0.13148148148148148, "mean_return");
    expect_close(perf.stdev_return, sd, "stdev_return");
    expect_close(perf.sharpe, mean / sd * std::sqrt(365.0), "sharpe");
    // Downside deviation sqrt(0.25² / 3).
    expect_close(perf.sortino, mean / std::sqrt(0.0625 / 3) * std::sqrt(365.0), "sortino");

    // Peak 120 on day 1, trough 90 on day 2, back above at 130 on day 3.
    EXPECT_DOUBLE_EQ(perf.max_drawdown, 0.25);
    EXPECT_EQ(perf.max_drawdown_duration_ms, 2 * kDayMs);
    EXPECT_EQ(perf.drawdown, (std::vector<double>{0, 0, 0.25, 0}));
    expect_close(perf.calmar, (std::pow(1.3, 365.0 / 3.0) - 1) / 0.25, "calmar");
    expect_close(perf.exposure_time, 0.5, "exposure_time");

    // All in January 2024: one month, 130 / 100 - 1.
    ASSERT_EQ(perf.monthly.size(), 1U);
    EXPECT_EQ(perf.monthly[0].year, 2024);
    EXPECT_EQ(perf.monthly[0].month, 1U);
    expect_close(perf.monthly[0].ret, 0.3, "monthly");

    expect_matches_reference(curve, kDayMs);
}

TEST(AuditAnalytics, LongestDrawdownIsNotTheDeepest) {
    // A deep short dip (0.2 over 2 bars), then a shallow long one (2 % over 4 bars).
    const std::vector<EquityPoint> curve = curve_of({100, 80, 100, 99, 98, 99, 101}, kT0, kHourMs);
    const Performance perf = analyse(curve, kHourMs, {});
    EXPECT_DOUBLE_EQ(perf.max_drawdown, 0.2);
    EXPECT_EQ(perf.max_drawdown_duration_ms, 4 * kHourMs);
    expect_matches_reference(curve, kHourMs);
}

TEST(AuditAnalytics, DrawdownStartsAtTheLastPointAtThePeak) {
    // 100, 100, 90, 100: under water from the second 100 to the third, 2 bars.
    const std::vector<EquityPoint> curve = curve_of({100, 100, 90, 100}, kT0, kHourMs);
    const Performance perf = analyse(curve, kHourMs, {});
    EXPECT_DOUBLE_EQ(perf.max_drawdown, 0.1);
    EXPECT_EQ(perf.max_drawdown_duration_ms, 2 * kHourMs);
    expect_matches_reference(curve, kHourMs);
}

TEST(AuditAnalytics, NeverRecoveringCurveRunsToTheLastPoint) {
    // Peak 110 at hour 1, trough 90 at hour 3, still below at the end (hour 5).
    const std::vector<EquityPoint> curve = curve_of({100, 110, 105, 90, 95, 100}, kT0, kHourMs);
    const Performance perf = analyse(curve, kHourMs, {});
    EXPECT_DOUBLE_EQ(perf.max_drawdown, 20.0 / 110.0);
    EXPECT_EQ(perf.max_drawdown_duration_ms, 4 * kHourMs);
    expect_close(perf.total_return, 0.0, "total_return");
    expect_close(perf.cagr, 0.0, "cagr");
    // CAGR 0 over a drawdown: Calmar 0, defined.
    expect_close(perf.calmar, 0.0, "calmar");
    expect_matches_reference(curve, kHourMs);
}

TEST(AuditAnalytics, FlatCurveHasNoRatios) {
    const std::vector<EquityPoint> curve = curve_of(std::vector<double>(50, 1000.0), kT0, 300'000);
    const Performance perf = analyse(curve, 300'000, {});
    expect_close(perf.total_return, 0.0, "total_return");
    expect_close(perf.stdev_return, 0.0, "stdev_return");
    EXPECT_FALSE(perf.sharpe.has_value());
    EXPECT_FALSE(perf.sortino.has_value());
    EXPECT_EQ(perf.max_drawdown, 0.0);
    EXPECT_EQ(perf.max_drawdown_duration_ms, 0);
    EXPECT_FALSE(perf.calmar.has_value());
    expect_close(perf.exposure_time, 0.0, "exposure_time");
    expect_matches_reference(curve, 300'000);
}

TEST(AuditAnalytics, RisingCurveHasNoSortinoAndNoDrawdown) {
    const std::vector<EquityPoint> curve = curve_of({100, 101, 103, 106, 110}, kT0, kDayMs);
    const Performance perf = analyse(curve, kDayMs, {});
    EXPECT_TRUE(perf.sharpe.has_value());
    EXPECT_FALSE(perf.sortino.has_value());
    EXPECT_EQ(perf.max_drawdown, 0.0);
    EXPECT_FALSE(perf.calmar.has_value());
    expect_matches_reference(curve, kDayMs);
}

TEST(AuditAnalytics, OnePointHasNoReturnsAndNoCagr) {
    const Performance perf = analyse(curve_of({100}, kT0, kDayMs), kDayMs, {});
    EXPECT_EQ(perf.points, 1);
    EXPECT_EQ(perf.bar_returns, 0);
    EXPECT_EQ(perf.years, 0.0);
    EXPECT_FALSE(perf.cagr.has_value());
    EXPECT_FALSE(perf.mean_return.has_value());
    EXPECT_FALSE(perf.sharpe.has_value());
    EXPECT_FALSE(perf.sortino.has_value());
    expect_close(perf.total_return, 0.0, "total_return");
    ASSERT_EQ(perf.monthly.size(), 1U);
    expect_close(perf.monthly[0].ret, 0.0, "monthly");
}

TEST(AuditAnalytics, EquityAtZeroLeavesReturnsAndCagrUndefined) {
    const Performance perf = analyse(curve_of({100, 50, 0}, kT0, kDayMs), kDayMs, {});
    EXPECT_FALSE(perf.cagr.has_value());
    EXPECT_FALSE(perf.calmar.has_value());
    expect_close(perf.total_return, -1.0, "total_return");
    EXPECT_DOUBLE_EQ(perf.max_drawdown, 1.0);
    // r = -0.5, -1: both returns exist (their bases are positive).
    expect_close(perf.mean_return, -0.75, "mean_return");

    const Performance after_zero = analyse(curve_of({100, 0, 50}, kT0, kDayMs), kDayMs, {});
    EXPECT_FALSE(after_zero.mean_return.has_value());
    EXPECT_FALSE(after_zero.sharpe.has_value());
    EXPECT_FALSE(after_zero.sortino.has_value());
    ASSERT_EQ(after_zero.monthly.size(), 1U);
    expect_close(after_zero.monthly[0].ret, -0.5, "monthly");
}

TEST(AuditAnalytics, RandomWalkMatchesReference) {
    const std::int64_t bar = 5 * kMinuteMs;
    const std::vector<EquityPoint> curve = random_walk(20240229, 4000, kT0, bar, 0.00002, 0.002);
    const Performance perf = analyse(curve, bar, {});
    // The walk is not degenerate: it has drawdowns, losing bars and a finite ratio.
    ASSERT_GT(perf.max_drawdown, 0.0);
    ASSERT_GT(perf.max_drawdown_duration_ms, 0);
    ASSERT_TRUE(perf.sortino.has_value());
    EXPECT_DOUBLE_EQ(perf.periods_per_year, 105'120.0);
    expect_matches_reference(curve, bar);
}

TEST(AuditAnalytics, RandomWalkAcrossMonthsMatchesReference) {
    // Hourly from 2023-11-20 for 3000 hours: into March 2024, over New Year and 29 Feb.
    const std::vector<EquityPoint> curve =
        random_walk(7, 3000, 1'700'438'400'000, kHourMs, -0.00001, 0.004);
    const Performance perf = analyse(curve, kHourMs, {});
    ASSERT_EQ(perf.monthly.size(), 5U);
    EXPECT_EQ(perf.monthly.front().year, 2023);
    EXPECT_EQ(perf.monthly.front().month, 11U);
    EXPECT_EQ(perf.monthly.back().year, 2024);
    EXPECT_EQ(perf.monthly.back().month, 3U);
    expect_matches_reference(curve, kHourMs);
}

TEST(AuditAnalytics, MonthBoundariesInALeapYear) {
    // 31 Jan 00:00 and 23:55, 1 Feb 00:00, 29 Feb 23:55, 1 Mar 00:00 (2024, UTC).
    const std::vector<EquityPoint> curve{
        {1'706'659'200'000, 100, 0}, {1'706'745'300'000, 110, 0},   {1'706'745'600'000, 99, 0},
        {1'709'250'900'000, 121, 0}, {1'709'251'200'000, 133.1, 0},
    };
    const Performance perf = analyse(curve, 5 * kMinuteMs, {});
    ASSERT_EQ(perf.monthly.size(), 3U);
    // January from the first point (100 -> 110); February 110 -> 121 (29 Feb is February);
    // March 121 -> 133.1.
    const unsigned months[] = {1, 2, 3};
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(perf.monthly[i].year, 2024);
        EXPECT_EQ(perf.monthly[i].month, months[i]);
        expect_close(perf.monthly[i].ret, 0.1, "monthly");
    }
    expect_matches_reference(curve, 5 * kMinuteMs);
}

TEST(AuditAnalytics, NewYearSplitsAtMidnightUtc) {
    // 2023-12-31T23:59:59.999Z and 2024-01-01T00:00:00Z, 1 ms apart; a gap month (no
    // February point) takes January's last point as its base.
    const std::vector<EquityPoint> curve{
        {1'703'980'800'000, 100, 0}, // 2023-12-31T00:00:00Z
        {1'704'067'199'999, 80, 0},
        {1'704'067'200'000, 90, 0},
        {1'709'251'200'000, 99, 0}, // 2024-03-01T00:00:00Z
    };
    const Performance perf = analyse(curve, 1, {});
    ASSERT_EQ(perf.monthly.size(), 3U);
    EXPECT_EQ(perf.monthly[0].year, 2023);
    EXPECT_EQ(perf.monthly[0].month, 12U);
    expect_close(perf.monthly[0].ret, -0.2, "december");
    EXPECT_EQ(perf.monthly[1].year, 2024);
    EXPECT_EQ(perf.monthly[1].month, 1U);
    expect_close(perf.monthly[1].ret, 90.0 / 80.0 - 1, "january");
    EXPECT_EQ(perf.monthly[2].month, 3U);
    expect_close(perf.monthly[2].ret, 0.1, "march");
    expect_matches_reference(curve, 1);
}

TEST(AuditAnalytics, EmptyCurveLeavesCurveMetricsUndefined) {
    const Performance perf = analyse({}, 300'000, {});
    EXPECT_EQ(perf.points, 0);
    EXPECT_FALSE(perf.start_equity.has_value());
    EXPECT_FALSE(perf.end_equity.has_value());
    EXPECT_FALSE(perf.total_return.has_value());
    EXPECT_FALSE(perf.sharpe.has_value());
    EXPECT_FALSE(perf.exposure_time.has_value());
    EXPECT_FALSE(perf.turnover.has_value());
    EXPECT_TRUE(perf.drawdown.empty());
    EXPECT_TRUE(perf.monthly.empty());
    EXPECT_EQ(perf.trades, 0);
    EXPECT_FALSE(perf.win_rate.has_value());
    EXPECT_FALSE(perf.expectancy.has_value());
}

TEST(AuditAnalytics, RejectsMalformedCurves) {
    EXPECT_THROW(analyse(curve_of({100, 101}, kT0, kDayMs), 0, {}), core::InputError);
    EXPECT_THROW(analyse(curve_of({100, 101}, kT0, 0), kDayMs, {}), core::InputError);
    EXPECT_THROW(analyse(curve_of({0, 101}, kT0, kDayMs), kDayMs, {}), core::InputError);
    EXPECT_THROW(analyse(curve_of({100, std::nan("")}, kT0, kDayMs), kDayMs, {}), core::InputError);
    std::vector<EquityPoint> backwards = curve_of({100, 101, 102}, kT0, kDayMs);
    backwards[2].ts = backwards[0].ts;
    EXPECT_THROW(analyse(backwards, kDayMs, {}), core::InputError);
}

// ---------------------------------------------------------------------------------------------
// Trades

FillRow fill(std::int64_t minute, const char* inst, const char* strategy, Side side, double px,
             double sz, double fee) {
    return {kT0 + minute * kMinuteMs, inst, strategy, side, px, sz, fee};
}

// Two instruments interleaved, two strategies, partial exits, float dust, one open trade:
//   A  BTC (trend):   buy 1 @ 100, buy 1 @ 110 (meanrev's order), sell 0.5 @ 120, sell 1.5 @ 115
//                     P&L 232.5 - 210 - (0.1 + 0.11 + 0.06 + 0.1725) = 22.0575
//   B  ETH (meanrev): buy 10 @ 10, sell 10 @ 9 (trend's order): 90 - 100 - (0.05 + 0.045)
//                     = -10.095, all of it meanrev's
//   C  ETH (trend):   buy 1 @ 8, sell 0.7, 0.2, 0.1 @ 9 (leaves 2.8e-17: flat)
//                     P&L 9 - 8 - (0.008 + 0.0063 + 0.0018 + 0.0009) = 0.983
//   D  BTC (meanrev): buy 0.3 @ 100, still open.
std::vector<FillRow> mixed_fills() {
    return {
        fill(1, "BTC-USDT", "trend", Side::kBuy, 100, 1.0, 0.1),
        fill(2, "ETH-USDT", "meanrev", Side::kBuy, 10, 10, 0.05),
        fill(3, "BTC-USDT", "meanrev", Side::kBuy, 110, 1.0, 0.11),
        fill(4, "BTC-USDT", "trend", Side::kSell, 120, 0.5, 0.06),
        fill(5, "ETH-USDT", "trend", Side::kSell, 9, 10, 0.045),
        fill(6, "BTC-USDT", "trend", Side::kSell, 115, 1.5, 0.1725),
        fill(7, "ETH-USDT", "trend", Side::kBuy, 8, 1.0, 0.008),
        fill(8, "ETH-USDT", "trend", Side::kSell, 9, 0.7, 0.0063),
        fill(9, "ETH-USDT", "trend", Side::kSell, 9, 0.2, 0.0018),
        fill(10, "ETH-USDT", "trend", Side::kSell, 9, 0.1, 0.0009),
        fill(11, "BTC-USDT", "meanrev", Side::kBuy, 100, 0.3, 0.03),
    };
}

void expect_attribution(const std::map<std::string, Attribution>& by, const std::string& key,
                        double pnl, double fees, std::int64_t fills, std::int64_t trades) {
    const auto it = by.find(key);
    ASSERT_NE(it, by.end()) << key;
    if (pnl == 0) {
        EXPECT_EQ(it->second.pnl, 0.0) << key;
    } else {
        expect_close(it->second.pnl, pnl, key.c_str());
    }
    expect_close(it->second.fees, fees, key.c_str());
    EXPECT_EQ(it->second.fills, fills) << key;
    EXPECT_EQ(it->second.trades, trades) << key;
}

TEST(AuditTrades, RoundTripsByHand) {
    const Performance perf = analyse({}, 300'000, mixed_fills());

    ASSERT_EQ(perf.trades, 3);
    EXPECT_EQ(perf.open_trades, 1);
    ASSERT_EQ(perf.round_trips.size(), 3U);
    // In the order they closed: B (minute 5), A (minute 6), C (minute 10).
    const Trade& b = perf.round_trips[0];
    const Trade& a = perf.round_trips[1];
    const Trade& c = perf.round_trips[2];
    EXPECT_EQ(b.inst, "ETH-USDT");
    EXPECT_EQ(b.strategy, "meanrev");
    expect_close(b.pnl, -10.095, "B pnl");
    EXPECT_EQ(b.fills, 2);
    EXPECT_EQ(a.inst, "BTC-USDT");
    EXPECT_EQ(a.strategy, "trend");
    EXPECT_EQ(a.open_ts, kT0 + 1 * kMinuteMs);
    EXPECT_EQ(a.close_ts, kT0 + 6 * kMinuteMs);
    expect_close(a.bought_sz, 2.0, "A bought");
    expect_close(a.buy_notional, 210, "A buys");
    expect_close(a.sell_notional, 232.5, "A sells");
    expect_close(a.fees, 0.4425, "A fees");
    expect_close(a.pnl, 22.0575, "A pnl");
    EXPECT_EQ(a.fills, 4);
    EXPECT_EQ(c.inst, "ETH-USDT");
    EXPECT_EQ(c.strategy, "trend");
    expect_close(c.pnl, 0.983, "C pnl");
    EXPECT_EQ(c.fills, 4);

    EXPECT_EQ(perf.wins, 2);
    EXPECT_EQ(perf.losses, 1);
    expect_close(perf.win_rate, 2.0 / 3.0, "win_rate");
    expect_close(perf.gross_profit, 23.0405, "gross_profit");
    expect_close(perf.gross_loss, 10.095, "gross_loss");
    expect_close(perf.profit_factor, 23.0405 / 10.095, "profit_factor");
    expect_close(perf.expectancy, (22.0575 - 10.095 + 0.983) / 3, "expectancy");
    expect_close(perf.avg_win, 23.0405 / 2, "avg_win");
    expect_close(perf.avg_loss, -10.095, "avg_loss");

    EXPECT_EQ(perf.fills, 11);
    expect_close(perf.fees, 0.5845, "fees");
    expect_close(perf.traded_notional, 679.5, "traded_notional");

    ASSERT_EQ(perf.by_symbol.size(), 2U);
    expect_attribution(perf.by_symbol, "BTC-USDT", 22.0575, 0.4725, 5, 1);
    expect_attribution(perf.by_symbol, "ETH-USDT", -10.095 + 0.983, 0.112, 6, 2);
    ASSERT_EQ(perf.by_strategy.size(), 2U);
    EXPECT_EQ(perf.by_strategy.begin()->first, "meanrev"); // sorted keys
    expect_attribution(perf.by_strategy, "trend", 22.0575 + 0.983, 0.3945, 8, 2);
    expect_attribution(perf.by_strategy, "meanrev", -10.095, 0.19, 3, 1);
}

TEST(AuditTrades, FillsAreTakenInTimeOrder) {
    std::vector<FillRow> reversed = mixed_fills();
    std::reverse(reversed.begin(), reversed.end());
    const Performance perf = analyse({}, 300'000, reversed);
    ASSERT_EQ(perf.trades, 3);
    EXPECT_EQ(perf.open_trades, 1);
    expect_close(perf.round_trips[1].pnl, 22.0575, "A pnl");
    expect_close(perf.profit_factor, 23.0405 / 10.095, "profit_factor");
}

TEST(AuditTrades, NoLossLeavesProfitFactorUndefined) {
    const std::vector<FillRow> fills{
        fill(1, "SOL-USDT", "trend", Side::kBuy, 20, 5, 0.1),
        fill(2, "SOL-USDT", "trend", Side::kSell, 22, 5, 0.11),
        // Break-even after fees: neither a win nor a loss.
        fill(3, "SOL-USDT", "trend", Side::kBuy, 20, 1, 0.5),
        fill(4, "SOL-USDT", "trend", Side::kSell, 21, 1, 0.5),
    };
    const Performance perf = analyse({}, 300'000, fills);
    ASSERT_EQ(perf.trades, 2);
    EXPECT_EQ(perf.wins, 1);
    EXPECT_EQ(perf.losses, 0);
    expect_close(perf.win_rate, 0.5, "win_rate");
    expect_close(perf.gross_profit, 9.79, "gross_profit");
    EXPECT_EQ(perf.gross_loss, 0.0);
    EXPECT_FALSE(perf.profit_factor.has_value());
    EXPECT_FALSE(perf.avg_loss.has_value());
    expect_close(perf.avg_win, 9.79, "avg_win");
    expect_close(perf.expectancy, 9.79 / 2, "expectancy");
}

TEST(AuditTrades, OnlyAnOpenTradeGivesNoTradeStatistics) {
    const std::vector<FillRow> fills{
        fill(1, "BTC-USDT", "trend", Side::kBuy, 100, 1, 0.1),
        fill(2, "BTC-USDT", "trend", Side::kSell, 110, 0.999999, 0.1),
    };
    const Performance perf = analyse({}, 300'000, fills);
    EXPECT_EQ(perf.trades, 0);
    EXPECT_EQ(perf.open_trades, 1);
    EXPECT_FALSE(perf.win_rate.has_value());
    EXPECT_FALSE(perf.expectancy.has_value());
    EXPECT_FALSE(perf.avg_win.has_value());
    // Fees still count, for the symbol and the strategy, with no realised P&L.
    expect_close(perf.fees, 0.2, "fees");
    expect_attribution(perf.by_symbol, "BTC-USDT", 0, 0.2, 2, 0);
    expect_attribution(perf.by_strategy, "trend", 0, 0.2, 2, 0);
}

TEST(AuditTrades, TurnoverIsNotionalOverMeanEquity) {
    // Mean equity (100 + 120 + 90 + 130) / 4 = 110.
    const Performance perf =
        analyse(curve_of({100, 120, 90, 130}, kT0, kDayMs), kDayMs, mixed_fills());
    expect_close(perf.turnover, 679.5 / 110, "turnover");
    EXPECT_EQ(perf.trades, 3);
    EXPECT_DOUBLE_EQ(perf.max_drawdown, 0.25);
}

TEST(AuditTrades, RejectsSellsBeyondThePosition) {
    using Fills = std::vector<FillRow>;
    EXPECT_THROW(analyse({}, 300'000, Fills{fill(1, "BTC-USDT", "trend", Side::kSell, 100, 1, 0)}),
                 core::InputError);
    EXPECT_THROW(analyse({}, 300'000,
                         Fills{fill(1, "BTC-USDT", "trend", Side::kBuy, 100, 1, 0),
                               fill(2, "BTC-USDT", "trend", Side::kSell, 100, 1.001, 0)}),
                 core::InputError);
    EXPECT_THROW(analyse({}, 300'000, Fills{fill(1, "BTC-USDT", "trend", Side::kBuy, 100, 0, 0)}),
                 core::InputError);
}

} // namespace
} // namespace okxkit::audit
