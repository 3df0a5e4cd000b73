// Internal to lib/features: the indicator nodes. Each is O(1) amortised per candle except
// the mean deviation of CCI, O(n) for its fixed window n (independent of the history).
#pragma once

#include "features/graph.hpp"

#include <algorithm>
#include <array>
#include <numbers>

namespace okxkit::features::nodes {

// Mean and population standard deviation of a source over n candles: out 0 mean, 1 std.
class Moments : public Node {
public:
    Moments(Src s, std::size_t n) : s_(s), w_(n) { warm[0] = warm[1] = s.warm + n - 1; }
    void update(const Tick& t) override {
        if (t.n < s_.warm) {
            return;
        }
        w_.push(*s_.p);
        if (w_.full()) {
            out[0] = w_.mean();
            out[1] = w_.stddev();
        }
    }
    [[nodiscard]] const WindowMoments& window() const { return w_; }

private:
    Src s_;
    WindowMoments w_;
};

// EMA (SMA-seeded) of a source.
class EmaNode : public Node {
public:
    EmaNode(Src s, std::size_t n) : s_(s), e_(n) { warm[0] = s.warm + n - 1; }
    void update(const Tick& t) override {
        if (t.n < s_.warm) {
            return;
        }
        e_.push(*s_.p);
        out[0] = e_.value();
    }

private:
    Src s_;
    Ema e_;
};

// Linearly weighted moving average (weights 1..n, newest heaviest).
class Wma : public Node {
public:
    Wma(Src s, std::size_t n) : s_(s), n_(n), ring_(n) { warm[0] = s.warm + n - 1; }
    void update(const Tick& t) override {
        if (t.n < s_.warm) {
            return;
        }
        double x = *s_.p;
        double old = 0;
        bool full = ring_.push(x, old);
        if (++since_ >= n_ || !full) {
            // Exact recomputation every n candles keeps rounding from accumulating.
            if (since_ >= n_) {
                since_ = 0;
            }
            sum_.clear();
            wsum_.clear();
            for (std::size_t k = 0; k < ring_.size(); ++k) {
                double y = ring_.from_oldest(k);
                sum_.add(y);
                wsum_.add(static_cast<double>(k + 1) * y);
            }
        } else {
            // Sliding by one: every weight drops by one, the new value gets weight n.
            wsum_.add(-sum_.value());
            wsum_.add(static_cast<double>(n_) * x);
            sum_.add(x);
            sum_.add(-old);
        }
        if (ring_.full()) {
            double nn = static_cast<double>(n_);
            out[0] = wsum_.value() / (nn * (nn + 1) / 2);
        }
    }

private:
    Src s_;
    std::size_t n_;
    Ring ring_;
    std::size_t since_ = 0;
    CompensatedSum sum_, wsum_;
};

// a*x + b*y + c*z of up to three sources (DEMA, TEMA, MACD, histogram, ...).
class Lin : public Node {
public:
    Lin(std::array<double, 3> k, std::array<Src, 3> s, int used) : k_(k), s_(s), used_(used) {
        warm[0] = 1;
        for (int i = 0; i < used; ++i) {
            warm[0] = std::max(warm[0], s[static_cast<std::size_t>(i)].warm);
        }
    }
    void update(const Tick& t) override {
        if (t.n < warm[0]) {
            return;
        }
        double v = 0;
        for (int i = 0; i < used_; ++i) {
            v += k_[static_cast<std::size_t>(i)] * *s_[static_cast<std::size_t>(i)].p;
        }
        out[0] = v;
    }

private:
    std::array<double, 3> k_;
    std::array<Src, 3> s_;
    int used_;
};

// k * x / y + b (x/0 counts as 0): distances, NATR, relative volume, PPO.
class Ratio : public Node {
public:
    Ratio(Src x, Src y, double k, double b) : x_(x), y_(y), k_(k), b_(b) {
        warm[0] = std::max(x.warm, y.warm);
    }
    void update(const Tick& t) override {
        if (t.n >= warm[0]) {
            out[0] = k_ * ratio(*x_.p, *y_.p) + b_;
        }
    }

private:
    Src x_, y_;
    double k_, b_;
};

// x_t / x_{t-1} - 1: the slope of a moving average.
class Slope : public Node {
public:
    explicit Slope(Src s) : s_(s) { warm[0] = s.warm + 1; }
    void update(const Tick& t) override {
        if (t.n < s_.warm) {
            return;
        }
        double x = *s_.p;
        if (t.n >= warm[0]) {
            out[0] = ratio(x, prev_) - 1;
        }
        prev_ = x;
    }

private:
    Src s_;
    double prev_ = 0;
};

// Changes of the close over n candles: 0 roc 100*(c/c_n - 1), 1 mom c - c_n, 2 ln(c/c_n).
class Change : public Node {
public:
    explicit Change(std::size_t n) : ring_(n + 1) { warm[0] = warm[1] = warm[2] = n + 1; }
    void update(const Tick& t) override {
        ring_.push(t.c);
        if (ring_.full()) {
            double old = ring_.from_oldest(0);
            out[0] = 100 * (t.c / old - 1);
            out[1] = t.c - old;
            out[2] = std::log(t.c / old);
        }
    }

private:
    Ring ring_;
};

// Source values that start at candle 2: 0 ln(c/prev_c), 1 true range, 2 (c - prev_c) * v,
// 3 c - prev_c, 4 |c - prev_c|.
class Diffs : public Node {
public:
    Diffs() { std::fill(std::begin(warm), std::end(warm), 2); }
    void update(const Tick& t) override {
        if (t.n >= 2) {
            double d = t.c - t.prev_c;
            out[0] = t.ret1;
            out[1] = t.tr;
            out[2] = d * t.v;
            out[3] = d;
            out[4] = std::fabs(d);
        }
    }
};

// Kaufman's adaptive moving average KAMA(n, fast, slow) of the close.
class Kama : public Node {
public:
    Kama(std::size_t n, double fast, double slow)
        : ring_(n + 1), noise_(n), fast_(2 / (fast + 1)), slow_(2 / (slow + 1)) {
        warm[0] = n + 1;
    }
    void update(const Tick& t) override {
        if (t.n >= 2) {
            noise_.push(std::fabs(t.c - t.prev_c));
        }
        ring_.push(t.c);
        if (!ring_.full()) {
            return;
        }
        if (t.n == warm[0]) {
            value_ = t.prev_c; // seeded with the close before the first value (TA-Lib)
        }
        double er = ratio(std::fabs(t.c - ring_.from_oldest(0)), noise_.sum());
        double sc = er * (fast_ - slow_) + slow_;
        value_ += sc * sc * (t.c - value_);
        out[0] = value_;
    }

private:
    Ring ring_;
    WindowSum noise_;
    double fast_, slow_;
    double value_ = 0;
};

// Wilder's RSI(n) of the close.
class Rsi : public Node {
public:
    explicit Rsi(std::size_t n) : gain_(n), loss_(n) { warm[0] = n + 1; }
    void update(const Tick& t) override {
        if (t.n < 2) {
            return;
        }
        double d = t.c - t.prev_c;
        gain_.push(d > 0 ? d : 0);
        loss_.push(d < 0 ? -d : 0);
        if (gain_.ready()) {
            out[0] = 100 * ratio(gain_.value(), gain_.value() + loss_.value());
        }
    }

private:
    WilderAverage gain_, loss_;
};

// Highest high and lowest low of n candles (or of a source): out 0 high, 1 low, 2 candles
// since the high, 3 candles since the low.
class Extremes : public Node {
public:
    explicit Extremes(std::size_t n) : hi_(n), lo_(n) {
        std::fill(std::begin(warm), std::end(warm), n);
    }
    Extremes(Src s, std::size_t n) : s_(s), hi_(n), lo_(n) {
        std::fill(std::begin(warm), std::end(warm), s.warm + n - 1);
    }
    void update(const Tick& t) override {
        if (s_.p != nullptr) {
            if (t.n < s_.warm) {
                return;
            }
            hi_.push(*s_.p);
            lo_.push(*s_.p);
        } else {
            hi_.push(t.h);
            lo_.push(t.l);
        }
        out[0] = hi_.value();
        out[1] = lo_.value();
        out[2] = static_cast<double>(hi_.age());
        out[3] = static_cast<double>(lo_.age());
    }

private:
    Src s_{};
    WindowExtreme<true> hi_;
    WindowExtreme<false> lo_;
};

// Position of a value in a range: 0 100*(x - lo)/(hi - lo) (stochastic %K, StochRSI),
// 1 -100*(hi - x)/(hi - lo) (Williams %R).
class RangePos : public Node {
public:
    RangePos(Src x, const Extremes* e) : x_(x), e_(e) {
        warm[0] = warm[1] = std::max(x.warm, e->warm[0]);
    }
    void update(const Tick& t) override {
        if (t.n < warm[0]) {
            return;
        }
        double hi = e_->out[0];
        double lo = e_->out[1];
        out[0] = 100 * ratio(*x_.p - lo, hi - lo);
        out[1] = -100 * ratio(hi - *x_.p, hi - lo);
    }

private:
    Src x_;
    const Extremes* e_;
};

// Commodity Channel Index(n) on the typical price, mean deviation from the SMA.
class Cci : public Node {
public:
    explicit Cci(std::size_t n) : w_(n) { warm[0] = n; }
    void update(const Tick& t) override {
        w_.push(t.tp);
        if (!w_.full()) {
            return;
        }
        double mean = w_.mean();
        double dev = 0;
        const Ring& r = w_.ring();
        for (std::size_t k = 0; k < r.size(); ++k) {
            dev += std::fabs(r.from_oldest(k) - mean);
        }
        dev /= static_cast<double>(r.size());
        out[0] = ratio(t.tp - mean, 0.015 * dev);
    }

private:
    WindowMoments w_;
};

// Money Flow Index(n).
class Mfi : public Node {
public:
    explicit Mfi(std::size_t n) : pos_(n), neg_(n) { warm[0] = n + 1; }
    void update(const Tick& t) override {
        if (t.n >= 2) {
            double flow = t.tp * t.v;
            pos_.push(t.tp > prev_tp_ ? flow : 0);
            neg_.push(t.tp < prev_tp_ ? flow : 0);
            if (pos_.full()) {
                out[0] = 100 * ratio(pos_.sum(), pos_.sum() + neg_.sum());
            }
        }
        prev_tp_ = t.tp;
    }

private:
    WindowSum pos_, neg_;
    double prev_tp_ = 0;
};

// Ultimate Oscillator(a, b, c).
class UltOsc : public Node {
public:
    UltOsc(std::size_t a, std::size_t b, std::size_t c)
        : bpa_(a), tra_(a), bpb_(b), trb_(b), bpc_(c), trc_(c) {
        warm[0] = std::max({a, b, c}) + 1;
    }
    void update(const Tick& t) override {
        if (t.n < 2) {
            return;
        }
        double lo = std::min(t.l, t.prev_c);
        double bp = t.c - lo;
        bpa_.push(bp);
        bpb_.push(bp);
        bpc_.push(bp);
        tra_.push(t.tr);
        trb_.push(t.tr);
        trc_.push(t.tr);
        if (t.n >= warm[0]) {
            double a = ratio(bpa_.sum(), tra_.sum());
            double b = ratio(bpb_.sum(), trb_.sum());
            double c = ratio(bpc_.sum(), trc_.sum());
            out[0] = 100 * (4 * a + 2 * b + c) / 7;
        }
    }

private:
    WindowSum bpa_, tra_, bpb_, trb_, bpc_, trc_;
};

// Average true range (Wilder) over n: out 0.
class Atr : public Node {
public:
    explicit Atr(std::size_t n) : avg_(n) { warm[0] = n + 1; }
    void update(const Tick& t) override {
        if (t.n < 2) {
            return;
        }
        avg_.push(t.tr);
        out[0] = avg_.value();
    }

private:
    WilderAverage avg_;
};

// Bands around a middle: out 0 upper, 1 lower, 2 width (upper-lower)/mid, 3 %B
// (c-lower)/(upper-lower), 4 mid. Bollinger: mid SMA, spread k std; Keltner: mid EMA,
// spread k ATR; Donchian: highest high and lowest low.
class Bands : public Node {
public:
    enum class Kind { kBollinger, kKeltner, kDonchian };
    Bands(Kind kind, Src mid, Src spread, Src hi, Src lo, double k)
        : kind_(kind), mid_(mid), spread_(spread), hi_(hi), lo_(lo), k_(k) {
        std::uint64_t w =
            kind == Kind::kDonchian ? std::max(hi.warm, lo.warm) : std::max(mid.warm, spread.warm);
        std::fill(std::begin(warm), std::end(warm), w);
    }
    void update(const Tick& t) override {
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
        out[0] = up;
        out[1] = dn;
        out[2] = ratio(up - dn, mid);
        out[3] = ratio(t.c - dn, up - dn);
        out[4] = mid;
    }

private:
    Kind kind_;
    Src mid_, spread_, hi_, lo_;
    double k_;
};

// sqrt(max(0, k x)): Parkinson and Garman-Klass from their window sums.
class ScaledSqrt : public Node {
public:
    ScaledSqrt(Src x, double k) : x_(x), k_(k) { warm[0] = x.warm; }
    void update(const Tick& t) override {
        if (t.n >= warm[0]) {
            double v = k_ * *x_.p;
            out[0] = v > 0 ? std::sqrt(v) : 0;
        }
    }

private:
    Src x_;
    double k_;
};

// (x - mean) / std over a Moments node (z-scores).
class ZScore : public Node {
public:
    ZScore(Src x, const Moments* m) : x_(x), m_(m) { warm[0] = std::max(x.warm, m->warm[0]); }
    void update(const Tick& t) override {
        if (t.n >= warm[0]) {
            out[0] = ratio(*x_.p - m_->out[0], m_->out[1]);
        }
    }

private:
    Src x_;
    const Moments* m_;
};

// Window sum of a per-candle term: 0 Parkinson, 1 Garman-Klass, 2 close location value
// times volume (CMF numerator), 3 volume. out 0 the sum.
class TermSum : public Node {
public:
    enum class Term { kParkinson, kGarmanKlass, kClvVolume, kVolume };
    TermSum(Term term, std::size_t n) : term_(term), w_(n) { warm[0] = n; }
    void update(const Tick& t) override {
        double x = 0;
        switch (term_) {
        case Term::kParkinson: {
            double hl = std::log(t.h / t.l);
            x = hl * hl;
            break;
        }
        case Term::kGarmanKlass: {
            double hl = std::log(t.h / t.l);
            double co = std::log(t.c / t.o);
            x = 0.5 * hl * hl - (2 * std::numbers::ln2 - 1) * co * co;
            break;
        }
        case Term::kClvVolume:
            x = ratio((t.c - t.l) - (t.h - t.c), t.h - t.l) * t.v;
            break;
        case Term::kVolume:
            x = t.v;
            break;
        }
        w_.push(x);
        out[0] = w_.sum();
    }

private:
    Term term_;
    WindowSum w_;
};

// Cumulative volume lines: out 0 OBV (starts at the first volume, as TA-Lib), 1 A/D line.
class VolumeLines : public Node {
public:
    void update(const Tick& t) override {
        if (t.n == 1) {
            obv_ = t.v;
        } else if (t.c > t.prev_c) {
            obv_ += t.v;
        } else if (t.c < t.prev_c) {
            obv_ -= t.v;
        }
        ad_ += ratio((t.c - t.l) - (t.h - t.c), t.h - t.l) * t.v;
        out[0] = obv_;
        out[1] = ad_;
    }

private:
    double obv_ = 0;
    double ad_ = 0;
};

// Session VWAP: sum(tp * v) / sum(v) since 00:00 UTC of the candle's open (tp while the
// session has no volume yet).
class Vwap : public Node {
public:
    void update(const Tick& t) override {
        std::int64_t day = t.ts >= 0 ? t.ts / kDayMs : (t.ts - kDayMs + 1) / kDayMs;
        if (day != day_) {
            day_ = day;
            pv_.clear();
            vol_.clear();
        }
        pv_.add(t.tp * t.v);
        vol_.add(t.v);
        out[0] = vol_.value() > 0 ? pv_.value() / vol_.value() : t.tp;
    }

private:
    static constexpr std::int64_t kDayMs = 86'400'000;
    std::int64_t day_ = INT64_MIN;
    CompensatedSum pv_, vol_;
};

// Wilder's directional movement system(n): out 0 +DI, 1 -DI, 2 DX, 3 ADX.
class Dmi : public Node {
public:
    explicit Dmi(std::size_t n) : plus_(n), minus_(n), tr_(n), adx_(n) {
        warm[0] = warm[1] = warm[2] = n + 1;
        warm[3] = 2 * n;
    }
    void update(const Tick& t) override {
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
                out[0] = pdi;
                out[1] = mdi;
                out[2] = dx;
                out[3] = adx_.value();
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
    explicit Aroon(std::size_t n) : n_(static_cast<double>(n)), hi_(n + 1), lo_(n + 1) {
        warm[0] = warm[1] = warm[2] = n + 1;
    }
    void update(const Tick& t) override {
        hi_.push(t.h);
        lo_.push(t.l);
        out[0] = 100 * (n_ - static_cast<double>(hi_.age())) / n_;
        out[1] = 100 * (n_ - static_cast<double>(lo_.age())) / n_;
        out[2] = out[0] - out[1];
    }

private:
    double n_;
    WindowExtreme<true> hi_;
    WindowExtreme<false> lo_;
};

// Choppiness index(n): 100 log10(sum TR / (highest high - lowest low)) / log10(n).
class Chop : public Node {
public:
    explicit Chop(std::size_t n) : n_(n), tr_(n), hi_(n), lo_(n) { warm[0] = n + 1; }
    void update(const Tick& t) override {
        hi_.push(t.h);
        lo_.push(t.l);
        if (t.n < 2) {
            return;
        }
        tr_.push(t.tr);
        if (tr_.full()) {
            double r = ratio(tr_.sum(), hi_.value() - lo_.value());
            out[0] = r > 0 ? 100 * std::log10(r) / std::log10(static_cast<double>(n_)) : 0;
        }
    }

private:
    std::size_t n_;
    WindowSum tr_;
    WindowExtreme<true> hi_;
    WindowExtreme<false> lo_;
};

// Kaufman's efficiency ratio(n): |c - c_n| / sum |c_i - c_{i-1}|.
class Er : public Node {
public:
    explicit Er(std::size_t n) : ring_(n + 1), noise_(n) { warm[0] = n + 1; }
    void update(const Tick& t) override {
        if (t.n >= 2) {
            noise_.push(std::fabs(t.c - t.prev_c));
        }
        ring_.push(t.c);
        if (ring_.full()) {
            out[0] = ratio(std::fabs(t.c - ring_.from_oldest(0)), noise_.sum());
        }
    }

private:
    Ring ring_;
    WindowSum noise_;
};

// Hurst exponent estimate over n candles: the OLS slope of ln sd_k on ln k, k = 1 2 4 8,
// where sd_k is the population std of the last n k-candle log returns.
class Hurst : public Node {
public:
    explicit Hurst(std::size_t n)
        : lnc_(9), w_{WindowMoments(n), WindowMoments(n), WindowMoments(n), WindowMoments(n)} {
        warm[0] = n + 8;
    }
    void update(const Tick& t) override {
        lnc_.push(t.lnc);
        static constexpr std::size_t kLags[] = {1, 2, 4, 8};
        for (std::size_t i = 0; i < 4; ++i) {
            if (lnc_.size() > kLags[i]) {
                w_[i].push(t.lnc - lnc_.ago(kLags[i]));
            }
        }
        if (t.n < warm[0]) {
            return;
        }
        double y[4];
        for (std::size_t i = 0; i < 4; ++i) {
            double sd = w_[i].stddev();
            if (sd <= 0) {
                out[0] = 0;
                return;
            }
            y[i] = std::log(sd);
        }
        // x = ln k; mean of x = 1.5 ln 2, sum (x - mean)^2 = 5 (ln 2)^2.
        const double l2 = std::numbers::ln2;
        double my = (y[0] + y[1] + y[2] + y[3]) / 4;
        double sxy = (-1.5 * l2) * (y[0] - my) + (-0.5 * l2) * (y[1] - my) +
                     (0.5 * l2) * (y[2] - my) + (1.5 * l2) * (y[3] - my);
        out[0] = sxy / (5 * l2 * l2);
    }

private:
    Ring lnc_;
    std::array<WindowMoments, 4> w_;
};

// Least-squares line of ln(close) on the candle index over n candles: out 0 slope per
// candle, 1 R^2. Sums of y and i*y slide in O(1) and are recomputed every n candles.
class LinReg : public Node {
public:
    explicit LinReg(std::size_t n) : n_(n), ring_(n) { warm[0] = warm[1] = n; }
    void update(const Tick& t) override {
        double y = t.lnc;
        double old = 0;
        bool full = ring_.push(y, old);
        if (++since_ >= n_ || !full) {
            if (since_ >= n_) {
                since_ = 0;
            }
            shift_ = y;
            sy_.clear();
            syy_.clear();
            siy_.clear();
            for (std::size_t k = 0; k < ring_.size(); ++k) {
                double d = ring_.from_oldest(k) - shift_;
                sy_.add(d);
                syy_.add(d * d);
                siy_.add(static_cast<double>(k) * d);
            }
        } else {
            double d = y - shift_;
            double e = old - shift_;
            // Indices drop by one; the oldest (index 0) leaves, the new one gets n-1.
            siy_.add(-(sy_.value() - e));
            siy_.add(static_cast<double>(n_ - 1) * d);
            sy_.add(d);
            sy_.add(-e);
            syy_.add(d * d);
            syy_.add(-e * e);
        }
        if (!ring_.full()) {
            return;
        }
        double n = static_cast<double>(n_);
        double si = n * (n - 1) / 2;
        double sii = (n - 1) * n * (2 * n - 1) / 6;
        double cov = siy_.value() / n - (si / n) * (sy_.value() / n);
        double vi = sii / n - (si / n) * (si / n);
        double vy = syy_.value() / n - (sy_.value() / n) * (sy_.value() / n);
        out[0] = ratio(cov, vi);
        out[1] = vy > 0 ? std::min(1.0, cov * cov / (vi * vy)) : 0;
    }

private:
    std::size_t n_;
    Ring ring_;
    std::size_t since_ = 0;
    double shift_ = 0;
    CompensatedSum sy_, syy_, siy_;
};

// Skewness and excess kurtosis of the last n one-candle log returns: out 0 skew, 1 kurt.
class Shape : public Node {
public:
    explicit Shape(std::size_t n) : n_(n), ring_(n) { warm[0] = warm[1] = n + 1; }
    void update(const Tick& t) override {
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
        double n = static_cast<double>(n_);
        double m1 = s_[0].value() / n;
        double r2 = s_[1].value() / n;
        double r3 = s_[2].value() / n;
        double r4 = s_[3].value() / n;
        double m2 = r2 - m1 * m1;
        double m3 = r3 - 3 * m1 * r2 + 2 * m1 * m1 * m1;
        double m4 = r4 - 4 * m1 * r3 + 6 * m1 * m1 * r2 - 3 * m1 * m1 * m1 * m1;
        out[0] = m2 > 0 ? m3 / (m2 * std::sqrt(m2)) : 0;
        out[1] = m2 > 0 ? m4 / (m2 * m2) - 3 : 0;
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
    std::array<CompensatedSum, 4> s_;
};

// Candle shape: 0 body (c-o)/(h-l), 1 upper wick, 2 lower wick (fractions of the range),
// 3 range (h-l)/c, 4 c/o - 1, 5 close position (c-l)/(h-l), 6 opening gap o/prev_c - 1.
class CandleShape : public Node {
public:
    CandleShape() { warm[6] = 2; }
    void update(const Tick& t) override {
        double range = t.h - t.l;
        out[0] = ratio(t.c - t.o, range);
        out[1] = ratio(t.h - std::max(t.o, t.c), range);
        out[2] = ratio(std::min(t.o, t.c) - t.l, range);
        out[3] = range / t.c;
        out[4] = t.c / t.o - 1;
        out[5] = ratio(t.c - t.l, range);
        if (t.n >= 2) {
            out[6] = t.o / t.prev_c - 1;
        }
    }
};

// Calendar of the candle's open time (UTC): 0 sin and 1 cos of the time of day, 2 sin and
// 3 cos of the day of the week (Monday = 0).
class Calendar : public Node {
public:
    void update(const Tick& t) override {
        constexpr std::int64_t kDay = 86'400'000;
        std::int64_t ms = ((t.ts % kDay) + kDay) % kDay;
        std::int64_t day = (t.ts - ms) / kDay;
        std::int64_t dow = ((day + 3) % 7 + 7) % 7; // 1970-01-01 was a Thursday
        double a = 2 * std::numbers::pi * static_cast<double>(ms) / static_cast<double>(kDay);
        double b = 2 * std::numbers::pi * static_cast<double>(dow) / 7;
        out[0] = std::sin(a);
        out[1] = std::cos(a);
        out[2] = std::sin(b);
        out[3] = std::cos(b);
    }
};

// Cross-asset: BTC-USDT's return over k candles and its realised volatility over n, at this
// candle's time: out 0. NaN when BTC-USDT's candle at this time is not available.
class RefValue : public Node {
public:
    RefValue(bool vol, std::size_t k) : vol_(vol), k_(k) {}
    void update(const Tick& t) override {
        out[0] = t.ref == nullptr ? kNaN : vol_ ? t.ref->rvol(k_) : t.ref->ret(k_);
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
    explicit Pair(std::size_t n) : n_(n), xs_(n), ys_(n) {}
    void update(const Tick& t) override {
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
            out[0] = out[1] = kNaN;
            return;
        }
        double n = static_cast<double>(n_);
        double mx = s_[0].value() / n;
        double my = s_[1].value() / n;
        double vx = s_[2].value() / n - mx * mx;
        double vy = s_[3].value() / n - my * my;
        double cov = s_[4].value() / n - mx * my;
        out[0] = vx > 0 && vy > 0 ? cov / std::sqrt(vx * vy) : 0;
        out[1] = ratio(cov, vy);
    }

private:
    void restart() {
        xs_.clear();
        ys_.clear();
        since_ = 0;
        for (auto& s : s_) {
            s.clear();
        }
        out[0] = out[1] = kNaN;
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
    std::array<CompensatedSum, 5> s_;
};

} // namespace okxkit::features::nodes
