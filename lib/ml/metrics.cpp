// Metrics: logloss, AUC, accuracy, precision, policy return, PSI.
#include "ml/metrics.hpp"

#include <algorithm>
#include <cmath>
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

double psi(std::span<const float> expected, std::span<const float> actual) {
    std::vector<float> e;
    e.reserve(expected.size());
    for (float v : expected) {
        if (!std::isnan(v)) {
            e.push_back(v);
        }
    }
    std::sort(e.begin(), e.end());
    // Upper edges of the deciles; repeated edges merge bins.
    std::vector<float> edges;
    for (int q = 1; q < 10 && !e.empty(); ++q) {
        float edge = e[(e.size() * static_cast<std::size_t>(q)) / 10];
        if (edges.empty() || edge > edges.back()) {
            edges.push_back(edge);
        }
    }
    const std::size_t bins = edges.size() + 2; // value bins, then the null bin
    auto count = [&](std::span<const float> xs) {
        std::vector<double> c(bins, 0.0);
        for (float v : xs) {
            if (std::isnan(v)) {
                c[bins - 1] += 1;
            } else {
                // Bin b holds edges[b-1] <= v < edges[b].
                auto b = static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), v) -
                                                  edges.begin());
                c[b] += 1;
            }
        }
        return c;
    };
    std::vector<double> ce = count(expected);
    std::vector<double> ca = count(actual);
    const auto ne = static_cast<double>(expected.size());
    const auto na = static_cast<double>(actual.size());
    if (ne == 0 || na == 0) {
        return kNaN;
    }
    double s = 0;
    for (std::size_t b = 0; b < bins; ++b) {
        const double pe = std::max(ce[b] / ne, 1e-4);
        const double pa = std::max(ca[b] / na, 1e-4);
        s += (pa - pe) * std::log(pa / pe);
    }
    return s;
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
