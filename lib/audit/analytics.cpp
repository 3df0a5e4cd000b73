// Portfolio analytics of a run (see analytics.hpp for the definitions of every metric).
#include "audit/analytics.hpp"

#include "core/error.hpp"
#include "core/timeutil.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>

namespace okxkit::audit {

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr double kYearMs = 365.0 * 86'400'000.0;
// A position within this fraction of the size bought in its trade is float dust: flat.
constexpr double kFlatFraction = 1e-12;

std::optional<double> finite_or_none(double value) {
    if (std::isfinite(value)) {
        return value;
    }
    return std::nullopt;
}

[[noreturn]] void bad_point(std::size_t index, std::int64_t ts, std::string_view what) {
    std::string msg = "equity curve: point ";
    msg += std::to_string(index);
    msg += " (ts ";
    msg += std::to_string(ts);
    msg += "): ";
    msg += what;
    throw core::InputError(msg);
}

[[noreturn]] void bad_fill(const FillRow& fill, std::string_view what) {
    std::string msg = "fill of ";
    msg += fill.inst;
    msg += " at ts ";
    msg += std::to_string(fill.ts);
    msg += ": ";
    msg += what;
    throw core::InputError(msg);
}

void check_curve(std::span<const EquityPoint> curve, std::int64_t bar_ms) {
    if (bar_ms <= 0) {
        std::string msg = "bar size must be positive, got ";
        msg += std::to_string(bar_ms);
        msg += " ms";
        throw core::InputError(msg);
    }
    for (std::size_t i = 0; i < curve.size(); ++i) {
        const EquityPoint& p = curve[i];
        if (!std::isfinite(p.equity) || !std::isfinite(p.gross_exposure)) {
            bad_point(i, p.ts, "equity and gross exposure must be finite numbers");
        }
        if (i > 0 && p.ts <= curve[i - 1].ts) {
            bad_point(i, p.ts,
                      "ts is not after the previous point's (the curve must be in time "
                      "order, one point per bar)");
        }
    }
    if (!curve.empty() && curve.front().equity <= 0) {
        bad_point(0, curve.front().ts,
                  "the first equity must be positive (it is the base of "
                  "every return)");
    }
}

struct YearMonth {
    int year = 0;
    unsigned month = 0;
    bool operator==(const YearMonth&) const = default;
};

// The UTC calendar month of a day number (days since 1970-01-01): guess the year from the mean
// Gregorian year of 365.2425 days, correct the guess by at most a step either way, then find
// the month by its first day.
YearMonth month_of_day(std::int64_t days) {
    auto year = 1970 + static_cast<std::int64_t>(std::floor(static_cast<double>(days) / 365.2425));
    while (core::days_from_civil(year, 1, 1) > days) {
        --year;
    }
    while (core::days_from_civil(year + 1, 1, 1) <= days) {
        ++year;
    }
    unsigned month = 12;
    while (core::days_from_civil(year, month, 1) > days) {
        --month;
    }
    return {static_cast<int>(year), month};
}

std::int64_t day_of_ts(std::int64_t ts) {
    // Floor division: a ts before the epoch still belongs to the day that contains it.
    return ts / kDayMs - (ts % kDayMs < 0 ? 1 : 0);
}

void curve_level_metrics(std::span<const EquityPoint> curve, Performance& perf) {
    const double start = curve.front().equity;
    const double end = curve.back().equity;
    perf.start_equity = start;
    perf.end_equity = end;
    perf.total_return = finite_or_none(end / start - 1.0);
    perf.years = static_cast<double>(curve.back().ts - curve.front().ts) / kYearMs;
    if (perf.years > 0 && end > 0) {
        perf.cagr = finite_or_none(std::pow(end / start, 1.0 / perf.years) - 1.0);
    }

    std::int64_t exposed = 0;
    double equity_sum = 0;
    for (const EquityPoint& p : curve) {
        exposed += p.gross_exposure > 0 ? 1 : 0;
        equity_sum += p.equity;
    }
    perf.exposure_time = static_cast<double>(exposed) / static_cast<double>(curve.size());
    const double mean_equity = equity_sum / static_cast<double>(curve.size());
    if (mean_equity > 0) {
        perf.turnover = finite_or_none(perf.traded_notional / mean_equity);
    }
}

void return_metrics(std::span<const EquityPoint> curve, Performance& perf) {
    if (curve.size() < 2) {
        return;
    }
    perf.bar_returns = static_cast<std::int64_t>(curve.size() - 1);
    std::vector<double> returns;
    returns.reserve(curve.size() - 1);
    for (std::size_t i = 1; i < curve.size(); ++i) {
        const double prev = curve[i - 1].equity;
        if (prev <= 0) {
            return;
        }
        returns.push_back(curve[i].equity / prev - 1.0);
    }
    const auto n = static_cast<double>(returns.size());
    const double mean = std::accumulate(returns.begin(), returns.end(), 0.0) / n;
    perf.mean_return = finite_or_none(mean);
    const double annualise = std::sqrt(perf.periods_per_year);

    // Two passes: the deviations from the mean, not Σr² − n·mean², which cancels badly when
    // the returns are small and alike.
    double squared_dev = 0;
    double squared_down = 0;
    for (double r : returns) {
        squared_dev += (r - mean) * (r - mean);
        const double down = std::min(r, 0.0);
        squared_down += down * down;
    }
    if (returns.size() >= 2) {
        const double stdev = std::sqrt(squared_dev / (n - 1));
        perf.stdev_return = finite_or_none(stdev);
        if (stdev > 0) {
            perf.sharpe = finite_or_none(mean / stdev * annualise);
        }
    }
    const double downside = std::sqrt(squared_down / n);
    if (downside > 0) {
        perf.sortino = finite_or_none(mean / downside * annualise);
    }
}

void drawdown_metrics(std::span<const EquityPoint> curve, Performance& perf) {
    perf.drawdown.reserve(curve.size());
    double peak = curve.front().equity;
    std::int64_t peak_ts = curve.front().ts;
    bool under = false;
    for (const EquityPoint& p : curve) {
        if (p.equity >= peak) {
            if (under) {
                perf.max_drawdown_duration_ms =
                    std::max(perf.max_drawdown_duration_ms, p.ts - peak_ts);
                under = false;
            }
            // Equal to the peak counts as back at it: the time under water restarts here.
            peak = p.equity;
            peak_ts = p.ts;
            perf.drawdown.push_back(0.0);
            continue;
        }
        under = true;
        const double dd = (peak - p.equity) / peak;
        perf.drawdown.push_back(dd);
        perf.max_drawdown = std::max(perf.max_drawdown, dd);
    }
    if (under) {
        perf.max_drawdown_duration_ms =
            std::max(perf.max_drawdown_duration_ms, curve.back().ts - peak_ts);
    }
    if (perf.cagr && perf.max_drawdown > 0) {
        perf.calmar = finite_or_none(*perf.cagr / perf.max_drawdown);
    }
}

void monthly_returns(std::span<const EquityPoint> curve, Performance& perf) {
    double base = curve.front().equity;
    std::int64_t cached_day = day_of_ts(curve.front().ts);
    YearMonth current = month_of_day(cached_day);
    double last_in_month = curve.front().equity;
    auto close_month = [&] {
        std::optional<double> ret;
        if (base > 0) {
            ret = finite_or_none(last_in_month / base - 1.0);
        }
        perf.monthly.push_back({current.year, current.month, ret});
        base = last_in_month;
    };
    for (const EquityPoint& p : curve) {
        const std::int64_t day = day_of_ts(p.ts);
        if (day != cached_day) {
            cached_day = day;
            const YearMonth ym = month_of_day(day);
            if (!(ym == current)) {
                close_month();
                current = ym;
            }
        }
        last_in_month = p.equity;
    }
    close_month();
}

void trade_metrics(std::span<const FillRow> fills, Performance& perf) {
    // Stable: fills with the same ts keep the order they came in (a buy then its sell).
    std::vector<std::size_t> order(fills.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    const auto by_ts = [&](std::size_t a, std::size_t b) { return fills[a].ts < fills[b].ts; };
    if (!std::is_sorted(order.begin(), order.end(), by_ts)) { // as the store gives them: sorted
        std::stable_sort(order.begin(), order.end(), by_ts);
    }
    perf.round_trips.reserve(fills.size() / 2); // a trade has a buy and a sell at least

    struct Open {
        Trade trade;
        double position = 0;
    };
    std::map<std::string, Open, std::less<>> open; // by inst

    for (std::size_t index : order) {
        const FillRow& f = fills[index];
        if (!std::isfinite(f.px) || !std::isfinite(f.sz) || !std::isfinite(f.fee) || f.px <= 0 ||
            f.sz <= 0) {
            bad_fill(f, "px and sz must be positive finite numbers and fee a finite number");
        }
        const double notional = f.px * f.sz;
        ++perf.fills;
        perf.fees += f.fee;
        perf.traded_notional += notional;
        for (Attribution* a : {&perf.by_symbol[f.inst], &perf.by_strategy[f.strategy]}) {
            a->fees += f.fee;
            ++a->fills;
        }

        auto it = open.find(f.inst);
        if (f.side == Side::kBuy) {
            if (it == open.end()) {
                Open fresh;
                fresh.trade.inst = f.inst;
                fresh.trade.strategy = f.strategy;
                fresh.trade.open_ts = f.ts;
                it = open.emplace(f.inst, std::move(fresh)).first;
            }
            Open& o = it->second;
            o.position += f.sz;
            o.trade.bought_sz += f.sz;
            o.trade.buy_notional += notional;
            o.trade.fees += f.fee;
            ++o.trade.fills;
            continue;
        }

        if (it == open.end()) {
            bad_fill(f, "sells with no position held (spot is long only)");
        }
        Open& o = it->second;
        o.position -= f.sz;
        o.trade.sell_notional += notional;
        o.trade.fees += f.fee;
        ++o.trade.fills;
        const double tolerance = kFlatFraction * o.trade.bought_sz;
        if (o.position < -tolerance) {
            bad_fill(f, "sells more than the position held (spot is long only)");
        }
        if (std::abs(o.position) <= tolerance) {
            Trade& t = o.trade;
            t.close_ts = f.ts;
            t.pnl = t.sell_notional - t.buy_notional - t.fees;
            for (Attribution* a : {&perf.by_symbol[t.inst], &perf.by_strategy[t.strategy]}) {
                a->pnl += t.pnl;
                ++a->trades;
            }
            perf.round_trips.push_back(std::move(t));
            open.erase(it);
        }
    }
    perf.open_trades = static_cast<std::int64_t>(open.size());

    double pnl_sum = 0;
    for (const Trade& t : perf.round_trips) {
        pnl_sum += t.pnl;
        if (t.pnl > 0) {
            ++perf.wins;
            perf.gross_profit += t.pnl;
        } else if (t.pnl < 0) {
            ++perf.losses;
            perf.gross_loss -= t.pnl;
        }
    }
    perf.trades = static_cast<std::int64_t>(perf.round_trips.size());
    if (perf.trades > 0) {
        const auto trades = static_cast<double>(perf.trades);
        perf.win_rate = static_cast<double>(perf.wins) / trades;
        perf.expectancy = finite_or_none(pnl_sum / trades);
    }
    if (perf.wins > 0) {
        perf.avg_win = finite_or_none(perf.gross_profit / static_cast<double>(perf.wins));
    }
    if (perf.losses > 0) {
        perf.avg_loss = finite_or_none(-perf.gross_loss / static_cast<double>(perf.losses));
    }
    if (perf.gross_loss > 0) {
        perf.profit_factor = finite_or_none(perf.gross_profit / perf.gross_loss);
    }
}

} // namespace

Performance analyse(std::span<const EquityPoint> curve, std::int64_t bar_ms,
                    std::span<const FillRow> fills) {
    check_curve(curve, bar_ms);
    Performance perf;
    perf.points = static_cast<std::int64_t>(curve.size());
    perf.periods_per_year = kYearMs / static_cast<double>(bar_ms);
    // The fills first: turnover needs their notional.
    trade_metrics(fills, perf);
    if (curve.empty()) {
        return perf;
    }
    curve_level_metrics(curve, perf);
    return_metrics(curve, perf);
    drawdown_metrics(curve, perf);
    monthly_returns(curve, perf);
    return perf;
}

} // namespace okxkit::audit
