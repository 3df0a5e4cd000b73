// Out-of-sample metrics of a probabilistic classifier, a bootstrap interval of its AUC, a
// trading policy's return, the expected return as a monotone function of p, and the
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

// A confidence interval of the AUC by circular block bootstrap.
struct AucInterval {
    double auc = 0;  // of the sample itself
    double low = 0;  // the (1 - level) / 2 quantile of the resampled AUCs
    double high = 0; // the (1 + level) / 2 quantile
    double level = 0.95;
    int resamples = 0;     // resamples drawn (those lacking a class are left out of the quantiles)
    std::size_t block = 0; // rows per block
};

// AUC of (y, p) with a `level` interval from `resamples` circular block-bootstrap resamples:
// each resample joins ceil(n / block) blocks of `block` consecutive rows (wrapping from the
// last row to the first) starting at uniformly drawn rows, cut to n rows, so the dependence
// between rows closer than `block` (overlapping label windows) is kept. Quantiles interpolate
// linearly between order statistics. The draws come from a SplitMix64 generator seeded with
// `seed`: the same data, block, resamples and seed give the same interval on every machine.
// All fields NaN when either class is absent. O(n log n + resamples * n).
AucInterval auc_interval(std::span<const float> y, std::span<const double> p, std::size_t block,
                         int resamples, std::uint64_t seed, double level = 0.95);

// The skill gate every promotion passes (see train(1)): the lower bound of the out-of-sample
// AUC interval above 0.5, and the out-of-sample policy return after fees not below 0, the
// return of holding no position.
struct Skill {
    double auc = 0;
    double auc_low = 0;
    double auc_high = 0;
    double level = 0.95;
    int resamples = 0;
    std::size_t block = 0;
    double policy_return = 0;
    bool passed = false;
    std::string reason; // why it failed, with the numbers ("" when it passed)
    // What predict scales the members' agreement by: 2 * (auc_low - 0.5) clipped to [0, 1]
    // when the gate was passed, else 0.
    [[nodiscard]] double score() const;
};
Skill skill_gate(const AucInterval& auc, double policy_return);

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

// The expected return over the horizon as a nondecreasing function of p_up: knots (p, ret)
// with p strictly increasing; between knots linear, outside them the end value.
struct ReturnCurve {
    std::vector<double> p;
    std::vector<double> ret;
    // The curve at x; 0 when it has no knot. O(log knots).
    [[nodiscard]] double at(double x) const;
};

// The curve of realised returns on predicted probabilities, out of sample: the rows sorted by
// p are cut into `bins` groups of equal count (fewer when there are fewer rows), each gives a
// knot (its mean p, its mean ret), groups with the same mean p are merged, and the knots' ret
// are made nondecreasing by pool-adjacent-violators weighted by row counts (isotonic
// regression), so a model whose p does not order the returns gets a flat curve at their mean.
// Empty rows give a curve without knots. O(n log n).
ReturnCurve fit_return_curve(std::span<const double> p, std::span<const double> ret, int bins);

// PSI bins of one feature: the upper edges of the expected sample's deciles (strictly
// increasing; repeated deciles merge bins), so value bin b holds edges[b-1] <= v < edges[b]
// (edges.size() + 1 value bins), then one bin for null (NaN). shares are the expected
// sample's shares of each bin, in that order (edges.size() + 2 of them). With `range`, the
// sample's minimum and the next float above its maximum are edges too: values below or
// above anything the sample held fall in bins of their own (expected share 0).
struct PsiBins {
    std::vector<float> edges;
    std::vector<double> shares;
    // The bin of v: its value bin, or edges.size() + 1 for NaN. O(log edges).
    [[nodiscard]] std::size_t bin(float v) const;
};
inline constexpr double kPsiFloor = 1e-4; // shares are floored here so an empty bin is finite

// The bins of an expected sample (all shares 0 when it is empty). O(n log n).
PsiBins psi_bins(std::span<const float> expected, bool range = false);

// PSI of an actual sample given as counts per bin (the layout of bins.shares) of n rows:
// sum over bins of (a - e) * ln(a / e), shares a and e floored at kPsiFloor. NaN when n is
// 0 or the expected sample was empty. O(bins).
double psi(const PsiBins& bins, std::span<const double> counts, double n);

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
