// Portfolio analytics of a run: returns, risk-adjusted ratios, drawdowns and trade statistics
// from the equity curve and the fills that execute stored. Pure functions: no store, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace okxkit::audit {

// One mark of the account at a bar close (execute's `portfolio` line, a `pnl_snapshots` row).
struct EquityPoint {
    std::int64_t ts = 0;       // bar close, ms since the Unix epoch (UTC)
    double equity = 0;         // cash + holdings at mark, USDT
    double gross_exposure = 0; // Σ |position × mark|, USDT; > 0 means the account holds something
};

enum class Side { kBuy, kSell };

// One fill (a `fills` row). Spot, long only: a sell never exceeds what is held.
struct FillRow {
    std::int64_t ts = 0;
    std::string inst;     // "BTC-USDT"
    std::string strategy; // the strategy that placed the order
    Side side = Side::kBuy;
    double px = 0;  // price, quote per base
    double sz = 0;  // size, base currency, > 0
    double fee = 0; // cost in the quote currency (USDT), positive
};

// A closed round trip: the fills of one instrument from flat to flat.
struct Trade {
    std::string inst;
    std::string strategy;      // the strategy of the opening fill
    std::int64_t open_ts = 0;  // ts of the opening buy
    std::int64_t close_ts = 0; // ts of the sell that made the position flat
    double bought_sz = 0;      // Σ sz of the buys
    double buy_notional = 0;   // Σ px × sz of the buys
    double sell_notional = 0;  // Σ px × sz of the sells
    double fees = 0;           // Σ fee of all the trade's fills
    double pnl = 0;            // sell_notional − buy_notional − fees
    std::int64_t fills = 0;    // number of fills in the trade
};

// The realised result of one instrument or one strategy. A closed trade counts for the
// strategy of its opening fill; a fill's fee counts for the fill's own strategy.
struct Attribution {
    double pnl = 0;          // Σ P&L of the closed trades, USDT
    double fees = 0;         // Σ fee of the fills, in closed trades or not, USDT
    std::int64_t fills = 0;  // number of fills
    std::int64_t trades = 0; // number of closed trades
};

// The return of one UTC calendar month that has points in the curve: equity at the month's last
// point over equity at the last point of the previous month present in the curve (for the
// first month, the curve's first point), minus 1. Undefined when that base equity is ≤ 0.
struct MonthlyReturn {
    int year = 0;
    unsigned month = 0; // 1..12
    std::optional<double> ret;
};

// Everything `audit report` shows about a run. A metric that can be undefined is an optional:
// it is nullopt where its formula divides by zero, takes a root of a non-positive number, or
// does not give a finite number; no field ever holds inf or NaN.
struct Performance {
    // --- The equity curve: N points E_0..E_{N−1} at ts_0..ts_{N−1}.
    std::int64_t points = 0;
    // E_0 and E_{N−1}; undefined for an empty curve.
    std::optional<double> start_equity;
    std::optional<double> end_equity;
    // E_{N−1} / E_0 − 1.
    std::optional<double> total_return;
    // (ts_{N−1} − ts_0) / (365 × 86,400,000 ms): crypto trades every day of the year. 0 below
    // two points.
    double years = 0;
    // Compound annual growth: (E_{N−1} / E_0)^(1 / years) − 1. Undefined when years is 0 or
    // E_{N−1} ≤ 0.
    std::optional<double> cagr;

    // --- Per-bar simple returns r_i = E_i / E_{i−1} − 1 over consecutive points, i = 1..N−1,
    // annualised by periods_per_year = 365 × 86,400,000 / bar_ms. Risk-free rate 0. Every
    // return metric is undefined when some E_{i−1} ≤ 0 (a return on nothing has no meaning).
    double periods_per_year = 0;
    // n = N − 1, the number of returns.
    std::int64_t bar_returns = 0;
    // mean(r) = Σ r_i / n; needs n ≥ 1.
    std::optional<double> mean_return;
    // The sample standard deviation stdev(r) = sqrt(Σ (r_i − mean)² / (n − 1)); needs n ≥ 2.
    std::optional<double> stdev_return;
    // mean(r) / stdev(r) × sqrt(periods_per_year); undefined when stdev is undefined or 0.
    std::optional<double> sharpe;
    // mean(r) / dd × sqrt(periods_per_year) with the downside deviation (target 0)
    // dd = sqrt(Σ min(r_i, 0)² / n) over all n returns; undefined when dd is 0 or n is 0.
    std::optional<double> sortino;

    // --- Drawdowns below the running peak P_i = max(E_0..E_i).
    // Per point, (P_i − E_i) / P_i, ≥ 0: the series for a chart.
    std::vector<double> drawdown;
    // The largest value of the series; 0 when equity never falls below its peak.
    double max_drawdown = 0;
    // The longest time under water: from a peak (the last point at the running peak before
    // equity falls below it) to the first later point with E ≥ that peak, or to the last point
    // when equity never gets back there. 0 when there is no drawdown.
    std::int64_t max_drawdown_duration_ms = 0;
    // cagr / max_drawdown; undefined when cagr is undefined or max_drawdown is 0.
    std::optional<double> calmar;

    // Fraction of the N points with gross_exposure > 0 (time in the market).
    std::optional<double> exposure_time;

    // --- Fills (all of them, in closed trades or not).
    std::int64_t fills = 0;
    // Σ fee, USDT.
    double fees = 0;
    // Σ px × sz, USDT.
    double traded_notional = 0;
    // traded_notional / mean(E_0..E_{N−1}); undefined for an empty curve or mean(E) ≤ 0.
    std::optional<double> turnover;

    // --- Round trips, per instrument: a trade opens at a buy while the position is flat and
    // closes at the sell that makes it flat again. Flat means |position| ≤ 1e-12 × the size
    // bought so far in the trade (so exactly 0, or float dust left by partial exits).
    // The closed trades, in the order they closed.
    std::vector<Trade> round_trips;
    // Closed trades; the statistics below are over these only.
    std::int64_t trades = 0;
    // Trades still open after the last fill.
    std::int64_t open_trades = 0;
    // Closed trades with P&L > 0, and with P&L < 0 (a P&L of exactly 0 is neither).
    std::int64_t wins = 0;
    std::int64_t losses = 0;
    // wins / trades.
    std::optional<double> win_rate;
    // Σ P&L of the winning trades, and Σ |P&L| of the losing ones (both ≥ 0).
    double gross_profit = 0;
    double gross_loss = 0;
    // gross_profit / gross_loss; undefined when no trade lost.
    std::optional<double> profit_factor;
    // The mean P&L of a closed trade, USDT.
    std::optional<double> expectancy;
    // The mean P&L of the winning trades (> 0), and of the losing trades (< 0, a signed mean:
    // −gross_loss / losses).
    std::optional<double> avg_win;
    std::optional<double> avg_loss;

    // Realised P&L, fees, fills and closed trades by instrument and by strategy.
    std::map<std::string, Attribution> by_symbol;
    std::map<std::string, Attribution> by_strategy;

    // One per UTC calendar month present in the curve, in time order.
    std::vector<MonthlyReturn> monthly;
};

// Computes the performance of a run from its equity curve (one point per bar close, ts
// strictly increasing), its bar size in ms and its fills (any order: they are taken in ts order,
// equal ts in the given order). The curve may be empty (every curve metric is then undefined,
// the trade statistics still hold).
// Throws core::InputError when bar_ms ≤ 0, the ts are not strictly increasing, a value is not
// finite, the first equity is ≤ 0 (the base of every ratio), a fill has px or sz ≤ 0, or a
// sell exceeds the position held (beyond the flat tolerance).
// Cost: O(N) over the curve (O(1) date arithmetic per point) plus O(F log F) over the fills.
Performance analyse(std::span<const EquityPoint> curve, std::int64_t bar_ms,
                    std::span<const FillRow> fills);

} // namespace okxkit::audit
