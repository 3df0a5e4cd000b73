// Metrics: logloss, AUC and its bootstrap interval, accuracy, precision, policy return, the
// return curve, PSI.
#include "ml/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace okxkit::ml {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

double logloss(std::span<const float> y, std::span<const double> p) {
    if (y.empty()) {
        return kNaN;
    }
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double q = std::clamp(p[i], 1e-15, 1 - 1e-15);
        s -= y[i] > 0.5F ? std::log(q) : std::log(1 - q);
    }
    return s / static_cast<double>(y.size());
}

double auc(std::span<const float> y, std::span<const double> p) {
    const std::size_t n = y.size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
    double pos = 0;
    double rank_sum = 0; // sum of the mid-ranks of the positives
    std::size_t i = 0;
    while (i < n) {
        std::size_t j = i;
        while (j < n && p[order[j]] == p[order[i]]) {
            ++j;
        }
        const double mid = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
        for (std::size_t k = i; k < j; ++k) {
            if (y[order[k]] > 0.5F) {
                pos += 1;
                rank_sum += mid;
            }
        }
        i = j;
    }
    const double neg = static_cast<double>(n) - pos;
    if (pos == 0 || neg == 0) {
        return kNaN;
    }
    return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg);
}

namespace {

// SplitMix64 (Steele, Lea and Flood 2014): a small generator whose output is fixed by its
// definition, unlike the distributions of <random>, which differ between standard libraries.
class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n): the bias of the modulo is below n / 2^64, far below any effect here.
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

private:
    std::uint64_t state_;
};

// The q-quantile of sorted values, interpolating linearly between order statistics (Hyndman
// and Fan's type 7, R's default).
double quantile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) {
        return kNaN;
    }
    const double h = q * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

} // namespace

AucInterval auc_interval(std::span<const float> y, std::span<const double> p, std::size_t block,
                         int resamples, std::uint64_t seed, double level) {
    AucInterval ci;
    ci.level = level;
    ci.resamples = resamples;
    ci.block = std::max<std::size_t>(block, 1);
    ci.auc = auc(y, p);
    ci.low = kNaN;
    ci.high = kNaN;
    const std::size_t n = y.size();
    if (std::isnan(ci.auc) || n == 0) {
        return ci;
    }
    // Rows in order of p, with the start of each run of equal p: a resample's AUC is then one
    // pass over the runs with the rows' draw counts as weights (no sort per resample).
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
    std::vector<std::size_t> run_end(n);
    for (std::size_t i = n; i-- > 0;) {
        run_end[i] = i + 1 < n && p[order[i + 1]] == p[order[i]] ? run_end[i + 1] : i + 1;
    }
    SplitMix64 rng(seed);
    std::vector<std::uint32_t> drawn(n);
    std::vector<double> aucs;
    aucs.reserve(static_cast<std::size_t>(std::max(resamples, 0)));
    for (int r = 0; r < resamples; ++r) {
        std::fill(drawn.begin(), drawn.end(), 0U);
        std::size_t taken = 0;
        while (taken < n) {
            const std::size_t start = rng.below(n);
            for (std::size_t j = 0; j < ci.block && taken < n; ++j, ++taken) {
                ++drawn[(start + j) % n];
            }
        }
        // Mann-Whitney with weights: each positive counts the negatives below it, and half
        // of those tied with it.
        double u = 0;
        double neg_below = 0;
        double pos = 0;
        for (std::size_t i = 0; i < n; i = run_end[i]) {
            double run_pos = 0;
            double run_neg = 0;
            for (std::size_t k = i; k < run_end[i]; ++k) {
                const double w = drawn[order[k]];
                (y[order[k]] > 0.5F ? run_pos : run_neg) += w;
            }
            u += run_pos * (neg_below + 0.5 * run_neg);
            neg_below += run_neg;
            pos += run_pos;
        }
        if (pos > 0 && neg_below > 0) {
            aucs.push_back(u / (pos * neg_below));
        }
    }
    std::sort(aucs.begin(), aucs.end());
    ci.low = quantile(aucs, (1 - level) / 2);
    ci.high = quantile(aucs, (1 + level) / 2);
    return ci;
}

double Skill::score() const {
    return passed ? std::clamp(2 * (auc_low - 0.5), 0.0, 1.0) : 0.0;
}

Skill skill_gate(const AucInterval& ci, double policy_return) {
    Skill s;
    s.auc = ci.auc;
    s.auc_low = ci.low;
    s.auc_high = ci.high;
    s.level = ci.level;
    s.resamples = ci.resamples;
    s.block = ci.block;
    s.policy_return = policy_return;
    auto fixed = [](double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.4f", v);
        return std::string(buf);
    };
    const bool auc_ok = ci.low > 0.5; // false for NaN
    const bool ret_ok = policy_return >= 0;
    if (!auc_ok) {
        char level[16];
        std::snprintf(level, sizeof level, "%.0f%%", 100 * ci.level);
        s.reason = std::isnan(ci.auc)
                       ? "no out-of-sample AUC (one class only)"
                       : "out-of-sample AUC " + fixed(ci.auc) + ", " + level + " interval " +
                             fixed(ci.low) + ".." + fixed(ci.high) + ": lower bound not above 0.5";
    }
    if (!ret_ok) {
        s.reason += (s.reason.empty() ? "" : "; ") + std::string("policy return ") +
                    fixed(policy_return) + " after fees is below holding nothing";
    }
    s.passed = auc_ok && ret_ok;
    return s;
}

double ReturnCurve::at(double x) const {
    if (p.empty()) {
        return 0;
    }
    if (x <= p.front()) {
        return ret.front();
    }
    if (x >= p.back()) {
        return ret.back();
    }
    const auto hi = static_cast<std::size_t>(std::upper_bound(p.begin(), p.end(), x) - p.begin());
    const std::size_t lo = hi - 1;
    const double t = (x - p[lo]) / (p[hi] - p[lo]);
    return ret[lo] + t * (ret[hi] - ret[lo]);
}

ReturnCurve fit_return_curve(std::span<const double> p, std::span<const double> ret, int bins) {
    ReturnCurve c;
    const std::size_t n = p.size();
    if (n == 0 || bins < 1) {
        return c;
    }
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
    const std::size_t groups = std::min(n, static_cast<std::size_t>(bins));
    // Knots as (sum of p, sum of ret, rows): groups of equal count, equal mean p merged.
    struct Knot {
        double sp, sr, w;
    };
    std::vector<Knot> knots;
    for (std::size_t g = 0; g < groups; ++g) {
        Knot k{0, 0, 0};
        for (std::size_t i = g * n / groups; i < (g + 1) * n / groups; ++i) {
            k.sp += p[order[i]];
            k.sr += ret[order[i]];
            k.w += 1;
        }
        if (!knots.empty() && knots.back().sp / knots.back().w >= k.sp / k.w) {
            knots.back().sp += k.sp;
            knots.back().sr += k.sr;
            knots.back().w += k.w;
        } else {
            knots.push_back(k);
        }
    }
    // Pool adjacent violators: blocks of knots with one level, kept nondecreasing.
    struct Block {
        double sr, w;
        std::size_t count;
    };
    std::vector<Block> blocks;
    for (const Knot& k : knots) {
        blocks.push_back({k.sr, k.w, 1});
        while (blocks.size() > 1 && blocks[blocks.size() - 2].sr / blocks[blocks.size() - 2].w >
                                        blocks.back().sr / blocks.back().w) {
            Block b = blocks.back();
            blocks.pop_back();
            blocks.back().sr += b.sr;
            blocks.back().w += b.w;
            blocks.back().count += b.count;
        }
    }
    std::size_t k = 0;
    for (const Block& b : blocks) {
        for (std::size_t j = 0; j < b.count; ++j, ++k) {
            c.p.push_back(knots[k].sp / knots[k].w);
            c.ret.push_back(b.sr / b.w);
        }
    }
    return c;
}

double accuracy(std::span<const float> y, std::span<const double> p, double threshold) {
    if (y.empty()) {
        return kNaN;
    }
    std::size_t ok = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        ok += ((p[i] > threshold) == (y[i] > 0.5F)) ? 1 : 0;
    }
    return static_cast<double>(ok) / static_cast<double>(y.size());
}

double precision(std::span<const float> y, std::span<const double> p, double threshold) {
    std::size_t called = 0;
    std::size_t right = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        if (p[i] > threshold) {
            ++called;
            right += y[i] > 0.5F ? 1 : 0;
        }
    }
    return called == 0 ? kNaN : static_cast<double>(right) / static_cast<double>(called);
}

double policy_return(std::span<const double> ret, std::span<const double> p, double threshold,
                     int horizon, double fee, int* trades) {
    double total = 0;
    int n = 0;
    const auto step = static_cast<std::size_t>(std::max(horizon, 1));
    for (std::size_t i = 0; i < ret.size(); i += step) {
        if (p[i] > threshold) {
            total += ret[i] - 2 * fee;
            ++n;
        }
    }
    if (trades != nullptr) {
        *trades = n;
    }
    return total;
}

Metrics evaluate(std::span<const float> y, std::span<const double> ret, std::span<const double> p,
                 double threshold, int horizon, double fee) {
    Metrics m;
    m.rows = y.size();
    m.logloss = logloss(y, p);
    m.auc = auc(y, p);
    m.accuracy = accuracy(y, p, threshold);
    m.precision = precision(y, p, threshold);
    double pos = 0;
    for (float v : y) {
        pos += v > 0.5F ? 1 : 0;
    }
    m.base_rate = y.empty() ? kNaN : pos / static_cast<double>(y.size());
    m.policy_return = policy_return(ret, p, threshold, horizon, fee, &m.trades);
    const auto step = static_cast<std::size_t>(std::max(horizon, 1));
    for (std::size_t i = 0; i < ret.size(); i += step) {
        m.buy_hold += ret[i];
    }
    return m;
}

std::size_t PsiBins::bin(float v) const {
    if (std::isnan(v)) {
        return edges.size() + 1;
    }
    return static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), v) -
                                    edges.begin());
}

PsiBins psi_bins(std::span<const float> expected, bool range) {
    PsiBins b;
    std::vector<float> e;
    e.reserve(expected.size());
    for (float v : expected) {
        if (!std::isnan(v)) {
            e.push_back(v);
        }
    }
    std::sort(e.begin(), e.end());
    if (range && !e.empty()) {
        b.edges.push_back(e.front());
    }
    for (int q = 1; q < 10 && !e.empty(); ++q) {
        float edge = e[(e.size() * static_cast<std::size_t>(q)) / 10];
        if (b.edges.empty() || edge > b.edges.back()) {
            b.edges.push_back(edge);
        }
    }
    if (range && !e.empty()) {
        const float above = std::nextafter(e.back(), std::numeric_limits<float>::infinity());
        if (above > b.edges.back()) {
            b.edges.push_back(above);
        }
    }
    b.shares.assign(b.edges.size() + 2, 0.0);
    for (float v : expected) {
        b.shares[b.bin(v)] += 1;
    }
    if (!expected.empty()) {
        for (double& s : b.shares) {
            s /= static_cast<double>(expected.size());
        }
    }
    return b;
}

double psi(const PsiBins& bins, std::span<const double> counts, double n) {
    double total = 0;
    for (double s : bins.shares) {
        total += s;
    }
    if (n <= 0 || total <= 0) {
        return kNaN;
    }
    double s = 0;
    for (std::size_t b = 0; b < bins.shares.size(); ++b) {
        const double pe = std::max(bins.shares[b], kPsiFloor);
        const double pa = std::max(counts[b] / n, kPsiFloor);
        s += (pa - pe) * std::log(pa / pe);
    }
    return s;
}

double psi(std::span<const float> expected, std::span<const float> actual) {
    const PsiBins bins = psi_bins(expected);
    std::vector<double> counts(bins.shares.size(), 0.0);
    for (float v : actual) {
        counts[bins.bin(v)] += 1;
    }
    return psi(bins, counts, static_cast<double>(actual.size()));
}

std::vector<double> psi_columns(std::span<const float> expected, std::span<const float> actual,
                                std::size_t cols) {
    std::vector<double> out(cols);
    const std::size_t ne = cols == 0 ? 0 : expected.size() / cols;
    const std::size_t na = cols == 0 ? 0 : actual.size() / cols;
    std::vector<float> a(ne);
    std::vector<float> b(na);
    for (std::size_t c = 0; c < cols; ++c) {
        for (std::size_t i = 0; i < ne; ++i) {
            a[i] = expected[i * cols + c];
        }
        for (std::size_t i = 0; i < na; ++i) {
            b[i] = actual[i * cols + c];
        }
        out[c] = psi(a, b);
    }
    return out;
}

} // namespace okxkit::ml
