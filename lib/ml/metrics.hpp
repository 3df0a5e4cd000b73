// Out-of-sample metrics of a probabilistic classifier, a trading policy's return, and the
// population stability index (PSI) of features.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace okxkit::ml {

// Mean binary cross-entropy of probabilities p against labels y (0/1); p is clipped to
// [1e-15, 1 - 1e-15]. NaN when empty. O(n).
double logloss(std::span<const float> y, std::span<const double> p);

// Area under the ROC curve: the probability that a random positive scores above a random
// negative, ties counting one half (Mann-Whitney U with mid-ranks). NaN when either class
// is absent. O(n log n).
double auc(std::span<const float> y, std::span<const double> p);

// Share of rows where (p > threshold) equals y. NaN when empty.
double accuracy(std::span<const float> y, std::span<const double> p, double threshold);

// Of the rows with p > threshold, the share with y = 1. NaN when no row has p > threshold.
double precision(std::span<const float> y, std::span<const double> p, double threshold);

// The out-of-sample return of a plain sign-following policy, after fees: walking the rows in
// time order, every `horizon`-th row (0, h, 2h, ...; non-overlapping holding periods) opens a
// long position for `horizon` bars when p > threshold and stays flat otherwise; each trade
// earns its forward log return ret minus the round trip cost 2 * fee. Returns the sum (a log
// return) and sets trades when given.
double policy_return(std::span<const double> ret, std::span<const double> p, double threshold,
                     int horizon, double fee, int* trades = nullptr);

struct Metrics {
    std::size_t rows = 0;
    double logloss = 0;
    double auc = 0;
    double accuracy = 0;
    double precision = 0;
    double base_rate = 0;     // share of y = 1
    double policy_return = 0; // see policy_return()
    int trades = 0;
    double buy_hold = 0; // sum of ret over the same non-overlapping periods, no fees
};

Metrics evaluate(std::span<const float> y, std::span<const double> ret, std::span<const double> p,
                 double threshold, int horizon, double fee);

// PSI of one feature between an expected (training) and an actual (recent) sample:
// bins are the expected sample's deciles (at most 10 bins, fewer when values repeat), plus
// one bin for null (NaN) values; PSI = sum over bins of (a - e) * ln(a / e), with the
// shares a and e floored at 1e-4 so an empty bin stays finite. 0 = same distribution;
// < 0.1 is commonly read as stable, 0.1-0.25 as a moderate shift, > 0.25 as a major one.
// O((n + m) log n).
double psi(std::span<const float> expected, std::span<const float> actual);

// PSI of every column of two row-major matrices with `cols` columns.
std::vector<double> psi_columns(std::span<const float> expected, std::span<const float> actual,
                                std::size_t cols);

} // namespace okxkit::ml
