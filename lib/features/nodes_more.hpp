// Internal to lib/features: the indicator nodes of volatility, volume, trend strength,
// statistics, candle shape, time and cross-asset values. Each is O(1) amortised per candle.
#pragma once

#include "features/nodes.hpp"

#include <algorithm>
#include <array>
#include <numbers>

namespace okxkit::features::nodes {

// Average true range (Wilder) over n: out 0.
class Atr : public Node {
public:
    explicit Atr(std::size_t n) : avg_(n) { warm[0] = n + 1; }
    void update(const CurrentCandle& t) override {
        if (t.n < 2) {
            return;
        }
        avg_.push(t.tr);
        o(0) = avg_.value();
    }

private:
    WilderAverage avg_;
};

// Bands around a middle: out 0 upper, 1 lower, 2 width (upper-lower)/mid, 3 %B
// (c-lower)/(upper-lower), 4 mid. Bollinger: mid SMA, spread k std; Keltner: mid EMA,
// spread k ATR; Donchian: highest high and lowest low.
class Bands : public Node {
public:
    static constexpr int kOutputs = 5;
    enum class Kind { kBollinger, kKeltner, kDonchian };
    Bands(Kind kind, Src mid, Src spread, Src hi, Src lo, double k)
        : kind_(kind), mid_(mid), spread_(spread), hi_(hi), lo_(lo), k_(k) {
        std::uint64_t w =
            kind == Kind::kDonchian ? std::max(hi.warm, lo.warm) : std::max(mid.warm, spread.warm);
        std::fill(std::begin(warm), std::end(warm), w);
    }
    void update(const CurrentCandle& t) override {
        if (t.n < warm[0]) {
            return;
        }
        double up = 0;
        double dn = 0;
        double mid = 0;
        if (kind_ == Kind::kDonchian) {
            up = *hi_.p;
            dn = *lo_.p;
            mid = (up + dn) / 2;
        } else {
            mid = *mid_.p;
            up = mid + k_ * *spread_.p;
            dn = mid - k_ * *spread_.p;
        }
        const double width = ratio(up - dn, mid);
        const double pct = ratio(t.c - dn, up - dn);
        o(0) = up;
        o(1) = dn;
        o(2) = width;
        o(3) = pct;
        o(4) = mid;
    }

private:
    Kind kind_;
    Src mid_, spread_, hi_, lo_;
    double k_;
};

// Window sum of a per-candle term: Parkinson ln(h/l)^2, Garman-Klass 0.5 ln(h/l)^2 -
// (2 ln 2 - 1) ln(c/o)^2, close location value times volume (CMF numerator), volume.
// out 0 the sum.
class TermSum : public Node {
public:
    enum class Term { kParkinson, kGarmanKlass, kClvVolume, kVolume };
    static constexpr int kOutputs = 2;
    TermSum(Term term, std::size_t n) : term_(term), w_(n) { warm[0] = warm[1] = n; }
    // Also out 1 = sqrt(max(0, k * sum)) (Parkinson, Garman-Klass).
    void want_sqrt(double k) {
        root_ = true;
        k_ = k;
    }
    void update(const CurrentCandle& t) override {
        double x = 0;
        switch (term_) {
        case Term::kParkinson:
            x = t.lnhl * t.lnhl;
            break;
        case Term::kGarmanKlass:
            x = 0.5 * t.lnhl * t.lnhl - (2 * std::numbers::ln2 - 1) * t.lnco * t.lnco;
            break;
        case Term::kClvVolume:
            x = ratio((t.c - t.l) - (t.h - t.c), t.h - t.l) * t.v;
            break;
        case Term::kVolume:
            x = t.v;
            break;
        }
        w_.push(x);
        o(0) = w_.sum();
        if (root_) {
            double v = k_ * o(0);
            o(1) = v > 0 ? std::sqrt(v) : 0;
        }
    }

private:
    Term term_;
    WindowSum w_;
    bool root_ = false;
    double k_ = 0;
};

// Cumulative volume lines: out 0 OBV (starts at the first volume, as TA-Lib), 1 A/D line.
class VolumeLines : public Node {
public:
    static constexpr int kOutputs = 2;
    void update(const CurrentCandle& t) override {
        if (t.n == 1) {
            obv_ = t.v;
        } else if (t.c > t.prev_c) {
            obv_ += t.v;
        } else if (t.c < t.prev_c) {
            obv_ -= t.v;
        }
        ad_ += ratio((t.c - t.l) - (t.h - t.c), t.h - t.l) * t.v;
        o(0) = obv_;
        o(1) = ad_;
    }

private:
    double obv_ = 0;
    double ad_ = 0;
};

// Session VWAP: sum(tp * v) / sum(v) since 00:00 UTC of the candle's open (tp while the
// session has no volume yet).
class Vwap : public Node {
public:
    void update(const CurrentCandle& t) override {
        std::int64_t day = t.ts >= 0 ? t.ts / kDayMs : (t.ts - kDayMs + 1) / kDayMs;
        if (day != day_) {
            day_ = day;
            pv_.clear();
            vol_.clear();
        }
        pv_.add(t.tp * t.v);
        vol_.add(t.v);
        o(0) = vol_.value() > 0 ? pv_.value() / vol_.value() : t.tp;
    }

private:
    static constexpr std::int64_t kDayMs = 86'400'000;
    std::int64_t day_ = INT64_MIN;
    CompensatedSum pv_, vol_;
};

// Wilder's directional movement system(n): out 0 +DI, 1 -DI, 2 DX, 3 ADX.
class Dmi : public Node {
public:
    static constexpr int kOutputs = 4;
    explicit Dmi(std::size_t n) : plus_(n), minus_(n), tr_(n), adx_(n) {
        warm[0] = warm[1] = warm[2] = n + 1;
        warm[3] = 2 * n;
    }
    void update(const CurrentCandle& t) override {
        if (t.n >= 2) {
            double up = t.h - prev_h_;
            double down = prev_l_ - t.l;
            plus_.push(up > down && up > 0 ? up : 0);
            minus_.push(down > up && down > 0 ? down : 0);
            tr_.push(t.tr);
            if (tr_.ready()) {
                double pdi = 100 * ratio(plus_.value(), tr_.value());
                double mdi = 100 * ratio(minus_.value(), tr_.value());
                double dx = 100 * ratio(std::fabs(pdi - mdi), pdi + mdi);
                adx_.push(dx);
                o(0) = pdi;
                o(1) = mdi;
                o(2) = dx;
                o(3) = adx_.value();
            }
        }
        prev_h_ = t.h;
        prev_l_ = t.l;
    }

private:
    WilderSum plus_, minus_, tr_;
    WilderAverage adx_;
    double prev_h_ = 0, prev_l_ = 0;
};

// Aroon(n) over n+1 candles: out 0 up, 1 down, 2 oscillator.
class Aroon : public Node {
public:
    static constexpr int kOutputs = 3;
    explicit Aroon(std::size_t n) : n_(static_cast<double>(n)), hi_(n + 1), lo_(n + 1) {
        warm[0] = warm[1] = warm[2] = n + 1;
    }
    void update(const CurrentCandle& t) override {
        hi_.push(t.h);
        lo_.push(t.l);
        const double up = 100 * (n_ - static_cast<double>(hi_.age())) / n_;
        const double down = 100 * (n_ - static_cast<double>(lo_.age())) / n_;
        o(0) = up;
        o(1) = down;
        o(2) = up - down;
    }

private:
    double n_;
    WindowExtreme<true> hi_;
    WindowExtreme<false> lo_;
};

// Choppiness index(n): 100 log10(sum TR / (highest high - lowest low)) / log10(n).
class Chop : public Node {
public:
    // tr: the sum of the true ranges over n (a TrueRangeSum's output).
    Chop(std::size_t n, const Extremes* e, Src tr)
        : k_(100 / std::log(static_cast<double>(n))), e_(e), tr_(tr) {
        warm[0] = n + 1;
    }
    void update(const CurrentCandle& t) override {
        if (t.n >= warm[0]) {
            double r = ratio(*tr_.p, e_->o(0) - e_->o(1));
            // 100 log10(r) / log10(n) = 100 ln(r) / ln(n)
            o(0) = r > 0 ? k_ * std::log(r) : 0;
        }
    }

private:
    double k_; // 100 / ln n
    const Extremes* e_;
    Src tr_;
};

// Kaufman's efficiency ratio(n): |c - c_n| / sum |c_i - c_{i-1}|.
class Er : public Node {
public:
    Er(std::size_t n, History* c) : n_(n), c_(c), noise_(n) {
        c->need(n);
        warm[0] = n + 1;
    }
    void update(const CurrentCandle& t) override {
        if (t.n >= 2) {
            noise_.push(std::fabs(t.c - t.prev_c));
        }
        if (t.n > n_) {
            o(0) = ratio(std::fabs(t.c - c_->ring().ago(n_)), noise_.sum());
        }
    }

private:
    std::size_t n_;
    const History* c_;
    WindowSum noise_;
};

// Hurst exponent estimate over n candles: the OLS slope of ln sd_k on ln k, k = 1 2 4 8,
// where sd_k is the population std of the last n k-candle log returns.
class Hurst : public Node {
public:
    Hurst(std::size_t n, History* lnc)
        : n_(n), inv_n_(1.0 / static_cast<double>(n)), lnc_(lnc->ring()) {
        lnc->need(n + 8);
        warm[0] = n + 8;
    }
    void update(const CurrentCandle& t) override {
        static constexpr std::size_t kLags[] = {1, 2, 4, 8};
        const std::uint64_t count = t.n;
        if (count >= n_ + 8 && ++since_ >= n_) {
            // Exact recomputation every n candles: rounding never accumulates.
            since_ = 0;
            for (std::size_t i = 0; i < 4; ++i) {
                s1_[i] = s2_[i] = 0;
                for (std::size_t j = 0; j < n_; ++j) {
                    double r = lnc_.ago(j) - lnc_.ago(j + kLags[i]);
                    s1_[i] += r;
                    s2_[i] += r * r;
                }
            }
        } else {
            for (std::size_t i = 0; i < 4; ++i) {
                const std::size_t k = kLags[i];
                if (count > k) {
                    double r = t.lnc - lnc_.ago(k);
                    s1_[i] += r;
                    s2_[i] += r * r;
                }
                if (count > n_ + k) {
                    double r = lnc_.ago(n_) - lnc_.ago(n_ + k);
                    s1_[i] -= r;
                    s2_[i] -= r * r;
                }
            }
        }
        if (count < warm[0]) {
            return;
        }
        const double inv = inv_n_;
        double v[4];
        for (std::size_t i = 0; i < 4; ++i) {
            double m = s1_[i] * inv;
            v[i] = s2_[i] * inv - m * m;
            if (v[i] <= 0) {
                o(0) = 0;
                return;
            }
        }
        // The slope over x = ln 1, ln 2, ln 4, ln 8 of y = ln sd = ln(var) / 2, with the
        // weights (x - mean x) / sum (x - mean x)^2 = (-1.5, -0.5, 0.5, 1.5) / (5 ln 2):
        // (1.5 (y8 - y1) + 0.5 (y4 - y2)) / (5 ln 2) = ln((v8/v1)^3 (v4/v2)) / (20 ln 2).
        double a = v[3] / v[0];
        o(0) = std::log(a * a * a * (v[2] / v[1])) / (20 * std::numbers::ln2);
    }

private:
    std::size_t n_;
    double inv_n_;
    const Ring& lnc_;
    std::size_t since_ = 0;
    double s1_[4] = {0, 0, 0, 0};
    double s2_[4] = {0, 0, 0, 0};
};

// Least-squares line of ln(close) on the candle index over n candles: out 0 slope per
// candle, 1 R^2. Sums of y and i*y slide in O(1) and are recomputed every n candles.
class LinReg : public Node {
public:
    static constexpr int kOutputs = 2;
    LinReg(std::size_t n, History* lnc) : n_(n), r_(&lnc->ring()) {
        lnc->need(n);
        warm[0] = warm[1] = n;
        // Mean and variance of the indices 0..n-1, the same every candle.
        const auto nd = static_cast<double>(n);
        double si = nd * (nd - 1) / 2;
        double sii = (nd - 1) * nd * (2 * nd - 1) / 6;
        si_n_ = si / nd;
        vi_ = sii / nd - si_n_ * si_n_;
    }
    void update(const CurrentCandle& t) override {
        double y = t.lnc;
        const bool evict = count_ == n_;
        if (!evict) {
            ++count_;
        }
        if (++since_ >= n_ || !evict) {
            if (since_ >= n_) {
                since_ = 0;
            }
            shift_ = y;
            sy_ = syy_ = siy_ = 0;
            for (std::size_t k = count_; k-- > 0;) {
                double d = r_->ago(k) - shift_;
                sy_ += d;
                syy_ += d * d;
                siy_ += static_cast<double>(count_ - 1 - k) * d;
            }
        } else {
            double d = y - shift_;
            double e = r_->ago(n_) - shift_;
            // Indices drop by one; the oldest (index 0) leaves, the new one gets n-1.
            siy_ += static_cast<double>(n_ - 1) * d - (sy_ - e);
            sy_ += d - e;
            syy_ += d * d - e * e;
        }
        if (count_ < n_) {
            return;
        }
        const auto n = static_cast<double>(n_);
        double cov = siy_ / n - si_n_ * (sy_ / n);
        double vy = syy_ / n - (sy_ / n) * (sy_ / n);
        const double vi = vi_;
        o(0) = ratio(cov, vi);
        o(1) = vy > 0 ? std::min(1.0, cov * cov / (vi * vy)) : 0;
    }

private:
    std::size_t n_;
    const Ring* r_;
    double si_n_ = 0; // mean index
    double vi_ = 0;   // variance of the indices
    std::size_t count_ = 0;
    std::size_t since_ = 0;
    double shift_ = 0;
    double sy_ = 0, syy_ = 0, siy_ = 0;
};

// Skewness and excess kurtosis of the last n one-candle log returns: out 0 skew, 1 kurt.
class Shape : public Node {
public:
    static constexpr int kOutputs = 2;
    explicit Shape(std::size_t n) : n_(n), ring_(n) { warm[0] = warm[1] = n + 1; }
    void update(const CurrentCandle& t) override {
        if (t.n < 2) {
            return;
        }
        double x = t.ret1;
        double old = 0;
        bool full = ring_.push(x, old);
        if (++since_ >= n_ || !full) {
            if (since_ >= n_) {
                since_ = 0;
            }
            for (auto& s : s_) {
                s.clear();
            }
            for (std::size_t k = 0; k < ring_.size(); ++k) {
                add(ring_.from_oldest(k), 1);
            }
        } else {
            add(x, 1);
            add(old, -1);
        }
        if (!ring_.full()) {
            return;
        }
        const auto n = static_cast<double>(n_);
        double m1 = s_[0].value() / n;
        double r2 = s_[1].value() / n;
        double r3 = s_[2].value() / n;
        double r4 = s_[3].value() / n;
        double m2 = r2 - m1 * m1;
        double m3 = r3 - 3 * m1 * r2 + 2 * m1 * m1 * m1;
        double m4 = r4 - 4 * m1 * r3 + 6 * m1 * m1 * r2 - 3 * m1 * m1 * m1 * m1;
        o(0) = m2 > 0 ? m3 / (m2 * std::sqrt(m2)) : 0;
        o(1) = m2 > 0 ? m4 / (m2 * m2) - 3 : 0;
    }

private:
    void add(double x, double sign) {
        double x2 = x * x;
        s_[0].add(sign * x);
        s_[1].add(sign * x2);
        s_[2].add(sign * x2 * x);
        s_[3].add(sign * x2 * x2);
    }
    std::size_t n_;
    Ring ring_;
    std::size_t since_ = 0;
    std::array<PlainSum, 4> s_;
};

// Candle shape: 0 body (c-o)/(h-l), 1 upper wick, 2 lower wick (fractions of the range),
// 3 range (h-l)/c, 4 c/o - 1, 5 close position (c-l)/(h-l), 6 opening gap o/prev_c - 1.
class CandleShape : public Node {
public:
    static constexpr int kOutputs = 7;
    CandleShape() { warm[6] = 2; }
    void update(const CurrentCandle& t) override {
        // The candle in locals: an output written may be any double to the compiler.
        const double op = t.o;
        const double h = t.h;
        const double l = t.l;
        const double c = t.c;
        const double range = h - l;
        const double body = ratio(c - op, range);
        const double upper = ratio(h - std::max(op, c), range);
        const double lower = ratio(std::min(op, c) - l, range);
        const double rel_range = range / c;
        const double ret = c / op - 1;
        const double pos = ratio(c - l, range);
        const bool second = t.n >= 2;
        const double gap = second ? op / t.prev_c - 1 : 0;
        o(0) = body;
        o(1) = upper;
        o(2) = lower;
        o(3) = rel_range;
        o(4) = ret;
        o(5) = pos;
        if (second) {
            o(6) = gap;
        }
    }
};

// Calendar of the candle's open time (UTC): 0 sin and 1 cos of the time of day, 2 sin and
// 3 cos of the day of the week (Monday = 0).
class Calendar : public Node {
public:
    static constexpr int kOutputs = 4;
    void update(const CurrentCandle& t) override {
        std::int64_t ms = ((t.ts % kDay) + kDay) % kDay;
        std::int64_t day = (t.ts - ms) / kDay;
        if (ms % kMinute == 0) { // candles open on whole minutes: the table has the same values
            const auto& [s, c] = minutes()[static_cast<std::size_t>(ms / kMinute)];
            o(0) = s;
            o(1) = c;
        } else {
            o(0) = std::sin(angle(ms));
            o(1) = std::cos(angle(ms));
        }
        if (day != day_) { // the weekday changes once a day
            day_ = day;
            std::int64_t dow = ((day + 3) % 7 + 7) % 7; // 1970-01-01 was a Thursday
            double b = 2 * std::numbers::pi * static_cast<double>(dow) / 7;
            o(2) = std::sin(b);
            o(3) = std::cos(b);
        }
    }

private:
    static constexpr std::int64_t kDay = 86'400'000;
    static constexpr std::int64_t kMinute = 60'000;
    static double angle(std::int64_t ms) {
        return 2 * std::numbers::pi * static_cast<double>(ms) / static_cast<double>(kDay);
    }
    // sin and cos of the time of day at every whole minute.
    static const std::array<std::pair<double, double>, 1440>& minutes() {
        static const auto table = [] {
            std::array<std::pair<double, double>, 1440> t{};
            for (std::size_t m = 0; m < t.size(); ++m) {
                double a = angle(static_cast<std::int64_t>(m) * kMinute);
                t[m] = {std::sin(a), std::cos(a)};
            }
            return t;
        }();
        return table;
    }
    std::int64_t day_ = INT64_MIN;
};

// Cross-asset: BTC-USDT's return over k candles and its realised volatility over n, at this
// candle's time: out 0. NaN when BTC-USDT's candle at this time is not available.
class RefValue : public Node {
public:
    RefValue(bool vol, std::size_t k) : vol_(vol), k_(k) {}
    void update(const CurrentCandle& t) override {
        o(0) = t.ref == nullptr ? kNaN : vol_ ? t.ref->rvol(k_) : t.ref->ret(k_);
    }

private:
    bool vol_;
    std::size_t k_;
};

// Correlation and beta of this instrument's one-candle log returns against BTC-USDT's over
// the last n candles where both exist (the window restarts when a pair is missing):
// out 0 correlation, 1 beta. NaN until n pairs.
class Pair : public Node {
public:
    static constexpr int kOutputs = 2;
    explicit Pair(std::size_t n) : n_(n), xs_(n), ys_(n) {}
    void update(const CurrentCandle& t) override {
        double y = t.ref == nullptr ? kNaN : t.ref->ret(1);
        if (t.n < 2 || std::isnan(y)) {
            restart();
            return;
        }
        double x = t.ret1;
        double ox = 0;
        double oy = 0;
        bool full = xs_.push(x, ox);
        ys_.push(y, oy);
        if (++since_ >= n_ || !full) {
            if (since_ >= n_) {
                since_ = 0;
            }
            for (auto& s : s_) {
                s.clear();
            }
            for (std::size_t k = 0; k < xs_.size(); ++k) {
                add(xs_.from_oldest(k), ys_.from_oldest(k), 1);
            }
        } else {
            add(x, y, 1);
            add(ox, oy, -1);
        }
        if (!xs_.full()) {
            o(0) = o(1) = kNaN;
            return;
        }
        const auto n = static_cast<double>(n_);
        double mx = s_[0].value() / n;
        double my = s_[1].value() / n;
        double vx = s_[2].value() / n - mx * mx;
        double vy = s_[3].value() / n - my * my;
        double cov = s_[4].value() / n - mx * my;
        o(0) = vx > 0 && vy > 0 ? cov / std::sqrt(vx * vy) : 0;
        o(1) = ratio(cov, vy);
    }

private:
    void restart() {
        xs_.clear();
        ys_.clear();
        since_ = 0;
        for (auto& s : s_) {
            s.clear();
        }
        o(0) = o(1) = kNaN;
    }
    void add(double x, double y, double sign) {
        s_[0].add(sign * x);
        s_[1].add(sign * y);
        s_[2].add(sign * x * x);
        s_[3].add(sign * y * y);
        s_[4].add(sign * x * y);
    }
    std::size_t n_;
    Ring xs_, ys_;
    std::size_t since_ = 0;
    std::array<PlainSum, 5> s_;
};

// News: the value of news query k at this candle's close, computed by the engine's NewsBook
// from the items public by then: out 0. NaN when the candle comes without news values.
class NewsValue : public Node {
public:
    explicit NewsValue(std::size_t k) : k_(k) {}
    void update(const CurrentCandle& t) override { o(0) = t.news == nullptr ? kNaN : t.news[k_]; }

private:
    std::size_t k_;
};

} // namespace okxkit::features::nodes
