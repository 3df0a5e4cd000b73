// Internal to lib/features: the indicator nodes of averages, changes and oscillators (the
// others are in nodes_more.hpp). Each is O(1) amortised per candle except the mean deviation
// of CCI, O(n) for its fixed window n (independent of the history).
#pragma once

#include "features/graph.hpp"

#include <algorithm>
#include <array>
#include <numbers>

namespace okxkit::features::nodes {

// The recent values of one input every candle has (close, ln close), shared by the windowed
// nodes that read it instead of each keeping a ring of its own. A consumer asks for the depth
// it needs (need(n): the newest value and n before it) when it is built.
class History : public Node {
public:
    explicit History(const double* src) : src_(src), ring_(2) {}
    void need(std::size_t n) {
        if (n + 1 > ring_.capacity()) {
            ring_ = Ring(n + 1);
        }
    }
    void update(const CurrentCandle&) override { ring_.push(*src_); }
    [[nodiscard]] const Ring& ring() const { return ring_; }

private:
    const double* src_;
    Ring ring_;
};

// Mean and population standard deviation of a source over n candles: out 0 mean, 1 std
// (once a user asked for it with want_std()), 2 and 3 distance and slope of the mean
// (want_dist_slope(2)), 4 z-score (x - mean) / std of the newest value (want_z()).
class Moments : public Node {
public:
    static constexpr int kOutputs = 5;
    Moments(Src s, std::size_t n, const History* h = nullptr)
        : s_(s), w_(n, h != nullptr ? &h->ring() : nullptr) {
        std::fill(std::begin(warm), std::end(warm), s.warm + n - 1);
    }
    void want_std() { std_ = true; }
    void want_z() { std_ = z_ = true; }
    void update(const CurrentCandle& t) override {
        if (t.n < s_.warm) {
            return;
        }
        double x = *s_.p;
        w_.push(x);
        if (w_.full()) {
            // Everything read from the window before the first output is written.
            const double m = w_.mean();
            const double sd = std_ ? w_.stddev() : 0;
            o(0) = m;
            if (std_) {
                o(1) = sd;
                if (z_) {
                    o(4) = ratio(x - m, sd);
                }
            }
            dist_slope(t, m, 2);
        }
    }

private:
    Src s_;
    WindowMoments w_;
    bool std_ = false;
    bool z_ = false;
};

// EMA (SMA-seeded) of a source.
class EmaNode : public Node {
public:
    static constexpr int kOutputs = 3;
    EmaNode(Src s, std::size_t n) : s_(s), e_(n) { warm[0] = s.warm + n - 1; }
    void update(const CurrentCandle& t) override {
        if (t.n < s_.warm) {
            return;
        }
        e_.push(*s_.p);
        const double v = e_.value();
        const bool ready = e_.ready();
        o(0) = v;
        if (ready) {
            dist_slope(t, v, 1);
        }
    }

private:
    Src s_;
    Ema e_;
};

// Linearly weighted moving average (weights 1..n, newest heaviest).
class Wma : public Node {
public:
    static constexpr int kOutputs = 3;
    Wma(Src s, std::size_t n, const History* h = nullptr)
        : s_(s), n_(n), period_(recompute_period(n)),
          inv_weights_(2 / (static_cast<double>(n) * (static_cast<double>(n) + 1))),
          own_(h != nullptr ? 1 : n + 1), r_(h != nullptr ? &h->ring() : &own_) {
        warm[0] = s.warm + n - 1;
    }
    void update(const CurrentCandle& t) override {
        if (t.n < s_.warm) {
            return;
        }
        double x = *s_.p;
        if (r_ == &own_) {
            own_.push(x);
        }
        const bool evict = count_ == n_;
        if (!evict) {
            ++count_;
        }
        if (++since_ >= period_ || !evict) {
            // Exact recomputation now and then keeps rounding from accumulating.
            if (since_ >= period_) {
                since_ = 0;
            }
            sum_ = wsum_ = 0;
            for (std::size_t k = count_; k-- > 0;) {
                double y = r_->ago(k);
                sum_ += y;
                wsum_ += static_cast<double>(count_ - k) * y;
            }
        } else {
            // Sliding by one: every weight drops by one, the new value gets weight n.
            wsum_ += static_cast<double>(n_) * x - sum_;
            sum_ += x - r_->ago(n_);
        }
        if (count_ == n_) {
            const double w = wsum_ * inv_weights_;
            o(0) = w;
            dist_slope(t, w, 1);
        }
    }

private:
    Src s_;
    std::size_t n_;
    std::size_t period_;
    double inv_weights_; // 1 / (1 + 2 + ... + n)
    Ring own_;
    const Ring* r_;
    std::size_t count_ = 0;
    std::size_t since_ = 0;
    double sum_ = 0, wsum_ = 0;
};

// a*x + b*y + c*z of up to three sources (DEMA, TEMA, MACD, histogram, ...).
class Lin : public Node {
public:
    static constexpr int kOutputs = 3;
    Lin(std::array<double, 3> k, std::array<Src, 3> s, int used) : k_(k), s_(s), used_(used) {
        warm[0] = 1;
        for (int i = 0; i < used; ++i) {
            warm[0] = std::max(warm[0], s[static_cast<std::size_t>(i)].warm);
        }
    }
    void update(const CurrentCandle& t) override {
        if (t.n < warm[0]) {
            return;
        }
        double v = 0;
        for (int i = 0; i < used_; ++i) {
            v += k_[static_cast<std::size_t>(i)] * *s_[static_cast<std::size_t>(i)].p;
        }
        o(0) = v;
        dist_slope(t, v, 1);
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
    void update(const CurrentCandle& t) override {
        if (t.n >= warm[0]) {
            o(0) = k_ * ratio(*x_.p, *y_.p) + b_;
        }
    }

private:
    Src x_, y_;
    double k_, b_;
};

// Changes of the close over n candles: 0 roc 100*(c/c_n - 1), 1 mom c - c_n, 2 ln(c/c_n)
// (as ln c - ln c_n, from the logarithm every candle has anyway).
class Change : public Node {
public:
    static constexpr int kOutputs = 3;
    Change(std::size_t n, History* c, History* lnc) : n_(n), c_(c), lnc_(lnc) {
        c->need(n);
        lnc->need(n);
        warm[0] = warm[1] = warm[2] = n + 1;
    }
    void update(const CurrentCandle& t) override {
        if (t.n > n_) {
            double old = c_->ring().ago(n_);
            o(0) = 100 * (t.c / old - 1);
            o(1) = t.c - old;
            o(2) = t.lnc - lnc_->ring().ago(n_);
        }
    }

private:
    std::size_t n_;
    const History* c_;
    const History* lnc_;
};

// Source values that start at candle 2: 0 ln(c/prev_c), 1 true range, 2 (c - prev_c) * v,
// 3 c - prev_c, 4 |c - prev_c|.
class Diffs : public Node {
public:
    static constexpr int kOutputs = 5;
    Diffs() { std::fill(std::begin(warm), std::end(warm), 2); }
    void update(const CurrentCandle& t) override {
        if (t.n >= 2) {
            double d = t.c - t.prev_c;
            o(0) = t.ret1;
            o(1) = t.tr;
            o(2) = d * t.v;
            o(3) = d;
            o(4) = std::fabs(d);
        }
    }
};

// Kaufman's adaptive moving average KAMA(n, fast, slow) of the close.
class Kama : public Node {
public:
    static constexpr int kOutputs = 3;
    // er: the efficiency ratio over n (an Er node's output), which sets the smoothing.
    Kama(std::size_t n, double fast, double slow, Src er)
        : n_(n), er_(er), fast_(2 / (fast + 1)), slow_(2 / (slow + 1)) {
        warm[0] = n + 1;
    }
    void update(const CurrentCandle& t) override {
        if (t.n <= n_) {
            return;
        }
        if (t.n == warm[0]) {
            value_ = t.prev_c; // seeded with the close before the first value (TA-Lib)
        }
        const double er = *er_.p;
        const double sc = er * (fast_ - slow_) + slow_;
        value_ += sc * sc * (t.c - value_);
        const double v = value_;
        o(0) = v;
        dist_slope(t, v, 1);
    }

private:
    std::size_t n_;
    Src er_;
    double fast_, slow_;
    double value_ = 0;
};

// Wilder's RSI(n) of the close.
class Rsi : public Node {
public:
    explicit Rsi(std::size_t n) : gain_(n), loss_(n) { warm[0] = n + 1; }
    void update(const CurrentCandle& t) override {
        if (t.n < 2) {
            return;
        }
        double d = t.c - t.prev_c;
        gain_.push(d > 0 ? d : 0);
        loss_.push(d < 0 ? -d : 0);
        if (gain_.ready()) {
            o(0) = 100 * ratio(gain_.value(), gain_.value() + loss_.value());
        }
    }

private:
    WilderAverage gain_, loss_;
};

// Highest high and lowest low of n candles (or of a source): out 0 high, 1 low, 2 candles
// since the high, 3 candles since the low.
class Extremes : public Node {
public:
    static constexpr int kOutputs = 4;
    explicit Extremes(std::size_t n) : hi_(n), lo_(n) {
        std::fill(std::begin(warm), std::end(warm), n);
    }
    Extremes(Src s, std::size_t n) : s_(s), hi_(n), lo_(n) {
        std::fill(std::begin(warm), std::end(warm), s.warm + n - 1);
    }
    void update(const CurrentCandle& t) override {
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
        const double hi = hi_.value();
        const double lo = lo_.value();
        const auto hi_age = static_cast<double>(hi_.age());
        const auto lo_age = static_cast<double>(lo_.age());
        o(0) = hi;
        o(1) = lo;
        o(2) = hi_age;
        o(3) = lo_age;
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
    static constexpr int kOutputs = 2;
    RangePos(Src x, const Extremes* e) : x_(x), e_(e) {
        warm[0] = warm[1] = std::max(x.warm, e->warm[0]);
    }
    void update(const CurrentCandle& t) override {
        if (t.n < warm[0]) {
            return;
        }
        const double hi = e_->o(0);
        const double lo = e_->o(1);
        const double x = *x_.p;
        const double k = 100 * ratio(x - lo, hi - lo);
        const double r = -100 * ratio(hi - x, hi - lo);
        o(0) = k;
        o(1) = r;
    }

private:
    Src x_;
    const Extremes* e_;
};

// Commodity Channel Index(n) on the typical price, mean deviation from the SMA.
class Cci : public Node {
public:
    explicit Cci(std::size_t n) : w_(n), n_(n), twice_(2 * n) { warm[0] = n; }
    void update(const CurrentCandle& t) override {
        w_.push(t.tp);
        // Each value is kept twice, n apart, so the window is always twice_[at_, at_ + n).
        twice_[pos_] = twice_[pos_ + n_] = t.tp;
        pos_ = pos_ + 1 == n_ ? 0 : pos_ + 1;
        if (!w_.full()) {
            return;
        }
        const double mean = w_.mean();
        // Mean deviation: four partial sums over the window, oldest first (a shorter chain of
        // dependent additions than one running sum, and no less accurate).
        const double* x = twice_.data() + pos_;
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        std::size_t i = 0;
        for (; i + 4 <= n_; i += 4) {
            a0 += std::fabs(x[i] - mean);
            a1 += std::fabs(x[i + 1] - mean);
            a2 += std::fabs(x[i + 2] - mean);
            a3 += std::fabs(x[i + 3] - mean);
        }
        for (; i < n_; ++i) {
            a0 += std::fabs(x[i] - mean);
        }
        const double dev = ((a0 + a1) + (a2 + a3)) / static_cast<double>(n_);
        o(0) = ratio(t.tp - mean, 0.015 * dev);
    }

private:
    WindowMoments w_;
    std::size_t n_;
    ArenaVector<double> twice_;
    std::size_t pos_ = 0; // oldest value of the window (once full), next slot to write
};

// Money Flow Index(n).
class Mfi : public Node {
public:
    explicit Mfi(std::size_t n) : pos_(n), neg_(n) { warm[0] = n + 1; }
    void update(const CurrentCandle& t) override {
        if (t.n >= 2) {
            double flow = t.tp * t.v;
            pos_.push(t.tp > prev_tp_ ? flow : 0);
            neg_.push(t.tp < prev_tp_ ? flow : 0);
            if (pos_.full()) {
                o(0) = 100 * ratio(pos_.sum(), pos_.sum() + neg_.sum());
            }
        }
        prev_tp_ = t.tp;
    }

private:
    WindowSum pos_, neg_;
    double prev_tp_ = 0;
};

// Sum of the true ranges of the last n candles (from the second candle on): out 0, valid from
// candle n + 1. Shared by the Ultimate Oscillator and the choppiness index.
class TrueRangeSum : public Node {
public:
    explicit TrueRangeSum(std::size_t n) : w_(n) { warm[0] = n + 1; }
    void update(const CurrentCandle& t) override {
        if (t.n >= 2) {
            w_.push(t.tr);
            o(0) = w_.sum();
        }
    }

private:
    WindowSum w_;
};

// Ultimate Oscillator(a, b, c); tra, trb, trc: the true-range sums over a, b and c.
class UltOsc : public Node {
public:
    UltOsc(std::size_t a, std::size_t b, std::size_t c, Src tra, Src trb, Src trc)
        : bpa_(a), bpb_(b), bpc_(c), tra_(tra), trb_(trb), trc_(trc) {
        warm[0] = std::max({a, b, c}) + 1;
    }
    void update(const CurrentCandle& t) override {
        if (t.n < 2) {
            return;
        }
        double lo = std::min(t.l, t.prev_c);
        double bp = t.c - lo;
        bpa_.push(bp);
        bpb_.push(bp);
        bpc_.push(bp);
        if (t.n >= warm[0]) {
            double a = ratio(bpa_.sum(), *tra_.p);
            double b = ratio(bpb_.sum(), *trb_.p);
            double c = ratio(bpc_.sum(), *trc_.p);
            o(0) = 100 * (4 * a + 2 * b + c) / 7;
        }
    }

private:
    WindowSum bpa_, bpb_, bpc_;
    Src tra_, trb_, trc_;
};

} // namespace okxkit::features::nodes
