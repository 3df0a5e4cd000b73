// Batch reference implementations of every feature family, for the features tests: the
// textbook formula evaluated over the whole window at every candle (O(N * window)), written
// without any of lib/features' code, plus the sample data loader.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace okxkit::features::ref {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using Vec = std::vector<double>;

struct Data {
    std::vector<std::int64_t> ts;
    Vec o, h, l, c, v;
    [[nodiscard]] std::size_t size() const { return c.size(); }
    // Candles [from, to).
    [[nodiscard]] Data slice(std::size_t from, std::size_t to) const {
        Data d;
        for (std::size_t i = from; i < to && i < size(); ++i) {
            d.ts.push_back(ts[i]);
            d.o.push_back(o[i]);
            d.h.push_back(h[i]);
            d.l.push_back(l[i]);
            d.c.push_back(c[i]);
            d.v.push_back(v[i]);
        }
        return d;
    }
};

// Reads a candle CSV (ts_ms,open,high,low,close,volume with a header).
inline Data load_csv(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("cannot open " + path);
    }
    Data d;
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        std::stringstream ss(line);
        std::string f[6];
        for (auto& x : f) {
            std::getline(ss, x, ',');
        }
        d.ts.push_back(std::stoll(f[0]));
        d.o.push_back(std::stod(f[1]));
        d.h.push_back(std::stod(f[2]));
        d.l.push_back(std::stod(f[3]));
        d.c.push_back(std::stod(f[4]));
        d.v.push_back(std::stod(f[5]));
    }
    return d;
}

// The longest stretch of adjacent candles (no missing bar).
inline Data longest_run(const Data& d, std::int64_t bar_ms) {
    std::size_t best = 0, best_len = 0, start = 0;
    for (std::size_t i = 1; i <= d.size(); ++i) {
        if (i == d.size() || d.ts[i] != d.ts[i - 1] + bar_ms) {
            if (i - start > best_len) {
                best = start;
                best_len = i - start;
            }
            start = i;
        }
    }
    return d.slice(best, best + best_len);
}

inline double div0(double x, double y) {
    return y == 0 ? 0.0 : x / y;
}

// --- windows -----------------------------------------------------------------------------

inline double mean_of(const Vec& x, std::size_t end, std::size_t n) { // x[end-n+1 .. end]
    double s = 0;
    for (std::size_t j = end + 1 - n; j <= end; ++j) {
        s += x[j];
    }
    return s / static_cast<double>(n);
}

inline double pstd_of(const Vec& x, std::size_t end, std::size_t n) {
    double m = mean_of(x, end, n);
    double s = 0;
    for (std::size_t j = end + 1 - n; j <= end; ++j) {
        s += (x[j] - m) * (x[j] - m);
    }
    return std::sqrt(s / static_cast<double>(n));
}

// Valid from index `first` of x on (NaN before).
inline Vec sma(const Vec& x, std::size_t n, std::size_t first = 0) {
    Vec out(x.size(), kNaN);
    for (std::size_t i = first + n - 1; i < x.size(); ++i) {
        out[i] = mean_of(x, i, n);
    }
    return out;
}

inline Vec ema(const Vec& x, std::size_t n, std::size_t first = 0) {
    Vec out(x.size(), kNaN);
    if (x.size() < first + n) {
        return out;
    }
    double a = 2.0 / (static_cast<double>(n) + 1);
    double e = mean_of(x, first + n - 1, n);
    out[first + n - 1] = e;
    for (std::size_t i = first + n; i < x.size(); ++i) {
        e = a * x[i] + (1 - a) * e;
        out[i] = e;
    }
    return out;
}

inline Vec wma(const Vec& x, std::size_t n, std::size_t first = 0) {
    Vec out(x.size(), kNaN);
    double denom = static_cast<double>(n) * (static_cast<double>(n) + 1) / 2;
    for (std::size_t i = first + n - 1; i < x.size(); ++i) {
        double s = 0;
        for (std::size_t k = 0; k < n; ++k) { // weight n for the newest
            s += static_cast<double>(n - k) * x[i - k];
        }
        out[i] = s / denom;
    }
    return out;
}

inline std::size_t first_valid(const Vec& x) {
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!std::isnan(x[i])) {
            return i;
        }
    }
    return x.size();
}

inline Vec true_range(const Data& d) {
    Vec tr(d.size(), kNaN);
    for (std::size_t i = 1; i < d.size(); ++i) {
        tr[i] = std::max(
            {d.h[i] - d.l[i], std::fabs(d.h[i] - d.c[i - 1]), std::fabs(d.l[i] - d.c[i - 1])});
    }
    return tr;
}

inline Vec log_returns(const Data& d) {
    Vec r(d.size(), kNaN);
    for (std::size_t i = 1; i < d.size(); ++i) {
        r[i] = std::log(d.c[i] / d.c[i - 1]);
    }
    return r;
}

// Wilder average: mean of the first n values (from index first), then (a (n-1) + x) / n.
inline Vec wilder(const Vec& x, std::size_t n, std::size_t first) {
    Vec out(x.size(), kNaN);
    if (x.size() < first + n) {
        return out;
    }
    double a = mean_of(x, first + n - 1, n);
    out[first + n - 1] = a;
    for (std::size_t i = first + n; i < x.size(); ++i) {
        a = (a * (static_cast<double>(n) - 1) + x[i]) / static_cast<double>(n);
        out[i] = a;
    }
    return out;
}

// --- families ------------------------------------------------------------------------------

inline Vec dema(const Vec& c, std::size_t n) {
    Vec e1 = ema(c, n);
    Vec e2 = ema(e1, n, n - 1);
    Vec out(c.size(), kNaN);
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (!std::isnan(e2[i])) {
            out[i] = 2 * e1[i] - e2[i];
        }
    }
    return out;
}

inline Vec tema(const Vec& c, std::size_t n) {
    Vec e1 = ema(c, n);
    Vec e2 = ema(e1, n, n - 1);
    Vec e3 = ema(e2, n, 2 * n - 2);
    Vec out(c.size(), kNaN);
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (!std::isnan(e3[i])) {
            out[i] = 3 * e1[i] - 3 * e2[i] + e3[i];
        }
    }
    return out;
}

inline Vec kama(const Vec& c, std::size_t n, double fast, double slow) {
    Vec out(c.size(), kNaN);
    double fs = 2 / (fast + 1);
    double ss = 2 / (slow + 1);
    double k = 0;
    for (std::size_t i = n; i < c.size(); ++i) {
        if (i == n) {
            k = c[i - 1];
        }
        double noise = 0;
        for (std::size_t j = i - n + 1; j <= i; ++j) {
            noise += std::fabs(c[j] - c[j - 1]);
        }
        double er = div0(std::fabs(c[i] - c[i - n]), noise);
        double sc = std::pow(er * (fs - ss) + ss, 2);
        k = k + sc * (c[i] - k);
        out[i] = k;
    }
    return out;
}

inline Vec hma(const Vec& c, std::size_t n) {
    Vec a = wma(c, n / 2);
    Vec b = wma(c, n);
    Vec raw(c.size(), kNaN);
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (!std::isnan(b[i])) {
            raw[i] = 2 * a[i] - b[i];
        }
    }
    return wma(raw, static_cast<std::size_t>(std::sqrt(static_cast<double>(n))), n - 1);
}

inline Vec rsi(const Data& d, std::size_t n) {
    Vec gain(d.size(), kNaN), loss(d.size(), kNaN);
    for (std::size_t i = 1; i < d.size(); ++i) {
        double ch = d.c[i] - d.c[i - 1];
        gain[i] = std::max(ch, 0.0);
        loss[i] = std::max(-ch, 0.0);
    }
    Vec g = wilder(gain, n, 1);
    Vec l = wilder(loss, n, 1);
    Vec out(d.size(), kNaN);
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (!std::isnan(g[i])) {
            out[i] = 100 * div0(g[i], g[i] + l[i]);
        }
    }
    return out;
}

inline double highest(const Vec& x, std::size_t end, std::size_t n) {
    double m = x[end];
    for (std::size_t j = end + 1 - n; j <= end; ++j) {
        m = std::max(m, x[j]);
    }
    return m;
}
inline double lowest(const Vec& x, std::size_t end, std::size_t n) {
    double m = x[end];
    for (std::size_t j = end + 1 - n; j <= end; ++j) {
        m = std::min(m, x[j]);
    }
    return m;
}

// %K of x against the highs hi and lows lo over n, valid from index first + n - 1.
inline Vec stoch_of(const Vec& x, const Vec& hi, const Vec& lo, std::size_t n, std::size_t first) {
    Vec out(x.size(), kNaN);
    for (std::size_t i = first + n - 1; i < x.size(); ++i) {
        double hh = highest(hi, i, n);
        double ll = lowest(lo, i, n);
        out[i] = 100 * div0(x[i] - ll, hh - ll);
    }
    return out;
}

inline Vec willr(const Data& d, std::size_t n) {
    Vec out(d.size(), kNaN);
    for (std::size_t i = n - 1; i < d.size(); ++i) {
        double hh = highest(d.h, i, n);
        double ll = lowest(d.l, i, n);
        out[i] = -100 * div0(hh - d.c[i], hh - ll);
    }
    return out;
}

inline Vec cci(const Data& d, std::size_t n) {
    Vec tp(d.size());
    for (std::size_t i = 0; i < d.size(); ++i) {
        tp[i] = (d.h[i] + d.l[i] + d.c[i]) / 3;
    }
    Vec out(d.size(), kNaN);
    for (std::size_t i = n - 1; i < d.size(); ++i) {
        double m = mean_of(tp, i, n);
        double md = 0;
        for (std::size_t j = i + 1 - n; j <= i; ++j) {
            md += std::fabs(tp[j] - m);
        }
        md /= static_cast<double>(n);
        out[i] = div0(tp[i] - m, 0.015 * md);
    }
    return out;
}

inline Vec mfi(const Data& d, std::size_t n) {
    Vec out(d.size(), kNaN);
    auto tp = [&](std::size_t i) { return (d.h[i] + d.l[i] + d.c[i]) / 3; };
    for (std::size_t i = n; i < d.size(); ++i) {
        double pos = 0, neg = 0;
        for (std::size_t j = i + 1 - n; j <= i; ++j) {
            if (tp(j) > tp(j - 1)) {
                pos += tp(j) * d.v[j];
            } else if (tp(j) < tp(j - 1)) {
                neg += tp(j) * d.v[j];
            }
        }
        out[i] = 100 * div0(pos, pos + neg);
    }
    return out;
}

inline Vec ultosc(const Data& d, std::size_t a, std::size_t b, std::size_t c) {
    Vec out(d.size(), kNaN);
    auto avg = [&](std::size_t i, std::size_t n) {
        double bp = 0, tr = 0;
        for (std::size_t j = i + 1 - n; j <= i; ++j) {
            double lo = std::min(d.l[j], d.c[j - 1]);
            double hi = std::max(d.h[j], d.c[j - 1]);
            bp += d.c[j] - lo;
            tr += hi - lo;
        }
        return div0(bp, tr);
    };
    std::size_t m = std::max({a, b, c});
    for (std::size_t i = m; i < d.size(); ++i) {
        out[i] = 100 * (4 * avg(i, a) + 2 * avg(i, b) + avg(i, c)) / 7;
    }
    return out;
}

inline Vec atr(const Data& d, std::size_t n) {
    return wilder(true_range(d), n, 1);
}

// Wilder's DMI: returns {+DI, -DI, ADX}.
inline std::vector<Vec> dmi(const Data& d, std::size_t n) {
    std::size_t N = d.size();
    Vec pdm(N, 0), mdm(N, 0);
    Vec tr = true_range(d);
    for (std::size_t i = 1; i < N; ++i) {
        double up = d.h[i] - d.h[i - 1];
        double dn = d.l[i - 1] - d.l[i];
        pdm[i] = (up > dn && up > 0) ? up : 0;
        mdm[i] = (dn > up && dn > 0) ? dn : 0;
    }
    Vec pdi(N, kNaN), mdi(N, kNaN), dx(N, kNaN), adx(N, kNaN);
    double sp = 0, sm = 0, st = 0;
    for (std::size_t i = 1; i < N; ++i) {
        if (i <= n) {
            sp += pdm[i];
            sm += mdm[i];
            st += tr[i];
            if (i < n) {
                continue;
            }
        } else {
            sp = sp - sp / static_cast<double>(n) + pdm[i];
            sm = sm - sm / static_cast<double>(n) + mdm[i];
            st = st - st / static_cast<double>(n) + tr[i];
        }
        pdi[i] = 100 * div0(sp, st);
        mdi[i] = 100 * div0(sm, st);
        dx[i] = 100 * div0(std::fabs(pdi[i] - mdi[i]), pdi[i] + mdi[i]);
    }
    adx = wilder(dx, n, n);
    return {pdi, mdi, adx};
}

// Aroon up and down over n+1 candles, the latest extreme on ties.
inline std::vector<Vec> aroon(const Data& d, std::size_t n) {
    Vec up(d.size(), kNaN), dn(d.size(), kNaN);
    for (std::size_t i = n; i < d.size(); ++i) {
        std::size_t hi = i - n, lo = i - n;
        for (std::size_t j = i - n; j <= i; ++j) {
            if (d.h[j] >= d.h[hi]) {
                hi = j;
            }
            if (d.l[j] <= d.l[lo]) {
                lo = j;
            }
        }
        up[i] =
            100 * (static_cast<double>(n) - static_cast<double>(i - hi)) / static_cast<double>(n);
        dn[i] =
            100 * (static_cast<double>(n) - static_cast<double>(i - lo)) / static_cast<double>(n);
    }
    return {up, dn};
}

inline Vec chop(const Data& d, std::size_t n) {
    Vec tr = true_range(d);
    Vec out(d.size(), kNaN);
    for (std::size_t i = n; i < d.size(); ++i) {
        double s = 0;
        for (std::size_t j = i + 1 - n; j <= i; ++j) {
            s += tr[j];
        }
        double r = div0(s, highest(d.h, i, n) - lowest(d.l, i, n));
        out[i] = r > 0 ? 100 * std::log10(r) / std::log10(static_cast<double>(n)) : 0;
    }
    return out;
}

inline Vec er(const Vec& c, std::size_t n) {
    Vec out(c.size(), kNaN);
    for (std::size_t i = n; i < c.size(); ++i) {
        double noise = 0;
        for (std::size_t j = i + 1 - n; j <= i; ++j) {
            noise += std::fabs(c[j] - c[j - 1]);
        }
        out[i] = div0(std::fabs(c[i] - c[i - n]), noise);
    }
    return out;
}

inline Vec hurst(const Vec& c, std::size_t n) {
    Vec out(c.size(), kNaN);
    const std::size_t lags[] = {1, 2, 4, 8};
    for (std::size_t i = n + 7; i < c.size(); ++i) {
        double xs[4], ys[4];
        bool zero = false;
        for (int k = 0; k < 4; ++k) {
            Vec r;
            for (std::size_t j = i + 1 - n; j <= i; ++j) {
                r.push_back(std::log(c[j]) - std::log(c[j - lags[k]]));
            }
            double sd = pstd_of(r, r.size() - 1, n);
            zero = zero || sd <= 0;
            xs[k] = std::log(static_cast<double>(lags[k]));
            ys[k] = zero ? 0 : std::log(sd);
        }
        if (zero) {
            out[i] = 0;
            continue;
        }
        double mx = (xs[0] + xs[1] + xs[2] + xs[3]) / 4, my = (ys[0] + ys[1] + ys[2] + ys[3]) / 4;
        double sxy = 0, sxx = 0;
        for (int k = 0; k < 4; ++k) {
            sxy += (xs[k] - mx) * (ys[k] - my);
            sxx += (xs[k] - mx) * (xs[k] - mx);
        }
        out[i] = sxy / sxx;
    }
    return out;
}

// Least squares of ln close on 0..n-1: {slope, r2}.
inline std::vector<Vec> linreg(const Vec& c, std::size_t n) {
    Vec slope(c.size(), kNaN), r2(c.size(), kNaN);
    for (std::size_t i = n - 1; i < c.size(); ++i) {
        double mx = (static_cast<double>(n) - 1) / 2, my = 0;
        for (std::size_t k = 0; k < n; ++k) {
            my += std::log(c[i + 1 - n + k]);
        }
        my /= static_cast<double>(n);
        double sxy = 0, sxx = 0, syy = 0;
        for (std::size_t k = 0; k < n; ++k) {
            double dx = static_cast<double>(k) - mx;
            double dy = std::log(c[i + 1 - n + k]) - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        slope[i] = sxy / sxx;
        r2[i] = syy > 0 ? std::min(1.0, sxy * sxy / (sxx * syy)) : 0;
    }
    return {slope, r2};
}

// Population skewness and excess kurtosis of the last n one-candle log returns.
inline std::vector<Vec> shape(const Data& d, std::size_t n) {
    Vec r = log_returns(d);
    Vec sk(d.size(), kNaN), ku(d.size(), kNaN);
    for (std::size_t i = n; i < d.size(); ++i) {
        double m = mean_of(r, i, n);
        double m2 = 0, m3 = 0, m4 = 0;
        for (std::size_t j = i + 1 - n; j <= i; ++j) {
            double e = r[j] - m;
            m2 += e * e;
            m3 += e * e * e;
            m4 += e * e * e * e;
        }
        m2 /= static_cast<double>(n);
        m3 /= static_cast<double>(n);
        m4 /= static_cast<double>(n);
        sk[i] = m2 > 0 ? m3 / std::pow(m2, 1.5) : 0;
        ku[i] = m2 > 0 ? m4 / (m2 * m2) - 3 : 0;
    }
    return {sk, ku};
}

inline Vec pearson(const Vec& x, const Vec& y, std::size_t end, std::size_t n, bool beta) {
    double mx = mean_of(x, end, n), my = mean_of(y, end, n);
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t j = end + 1 - n; j <= end; ++j) {
        sxy += (x[j] - mx) * (y[j] - my);
        sxx += (x[j] - mx) * (x[j] - mx);
        syy += (y[j] - my) * (y[j] - my);
    }
    if (beta) {
        return {div0(sxy, syy)};
    }
    return {sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0};
}

} // namespace okxkit::features::ref
