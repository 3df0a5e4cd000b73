// Building blocks of the incremental indicators: ring buffers, drift-free window sums and
// moments, monotonic deques for window extremes, and SMA-seeded EMA / Wilder smoothing.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace okxkit::features {

// The last `capacity` values pushed, newest first by index. O(1) per push, no allocation
// after construction.
class Ring {
public:
    explicit Ring(std::size_t capacity) : buf_(capacity == 0 ? 1 : capacity) {}
    // Adds x; when full, the oldest value is dropped and returned through `evicted`.
    bool push(double x, double& evicted) {
        bool full = size_ == buf_.size();
        evicted = full ? buf_[head_] : 0.0;
        buf_[head_] = x;
        head_ = head_ + 1 == buf_.size() ? 0 : head_ + 1;
        if (!full) {
            ++size_;
        }
        return full;
    }
    void push(double x) {
        double ignored = 0;
        push(x, ignored);
    }
    // The k-th newest value (0 = the last pushed); k < size().
    [[nodiscard]] double ago(std::size_t k) const {
        std::size_t i = head_ + buf_.size() - 1 - k;
        return buf_[i >= buf_.size() ? i - buf_.size() : i];
    }
    // The k-th oldest value (0 = the oldest held); k < size().
    [[nodiscard]] double from_oldest(std::size_t k) const { return ago(size_ - 1 - k); }
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] std::size_t capacity() const { return buf_.size(); }
    void clear() { head_ = size_ = 0; }
    [[nodiscard]] bool full() const { return size_ == buf_.size(); }

private:
    std::vector<double> buf_;
    std::size_t head_ = 0; // next slot to write
    std::size_t size_ = 0;
};

// Neumaier-compensated accumulator: sum of many terms of either sign with an error that does
// not grow with the number of terms (Neumaier 1974).
struct CompensatedSum {
    double sum = 0;
    double comp = 0;
    void add(double x) {
        double t = sum + x;
        comp += std::fabs(sum) >= std::fabs(x) ? (sum - t) + x : (x - t) + sum;
        sum = t;
    }
    [[nodiscard]] double value() const { return sum + comp; }
    void clear() { sum = comp = 0; }
};

// Sum, mean and population variance of the last n values. Values are kept relative to a
// shift (the newest value at the last recomputation) so that squares of prices do not
// cancel, and the sums are recomputed exactly from the ring every n pushes, so rounding
// never accumulates over a long history. O(1) amortised per push.
class WindowMoments {
public:
    explicit WindowMoments(std::size_t n) : ring_(n), n_(n) {}
    void push(double x) {
        double old = 0;
        bool full = ring_.push(x, old);
        if (++since_ >= n_ || ring_.size() == 1) {
            recompute();
            return;
        }
        double d = x - shift_;
        s1_.add(d);
        s2_.add(d * d);
        if (full) {
            double e = old - shift_;
            s1_.add(-e);
            s2_.add(-e * e);
        }
    }
    [[nodiscard]] bool full() const { return ring_.full(); }
    [[nodiscard]] std::size_t size() const { return ring_.size(); }
    [[nodiscard]] const Ring& ring() const { return ring_; }
    [[nodiscard]] double sum() const {
        return s1_.value() + shift_ * static_cast<double>(ring_.size());
    }
    [[nodiscard]] double mean() const {
        return shift_ + s1_.value() / static_cast<double>(ring_.size());
    }
    // Population variance (divides by n), never negative.
    [[nodiscard]] double variance() const {
        double m = s1_.value() / static_cast<double>(ring_.size());
        double v = s2_.value() / static_cast<double>(ring_.size()) - m * m;
        return v > 0 ? v : 0;
    }
    [[nodiscard]] double stddev() const { return std::sqrt(variance()); }

private:
    void recompute() {
        since_ = 0;
        shift_ = ring_.ago(0);
        s1_.clear();
        s2_.clear();
        for (std::size_t k = 0; k < ring_.size(); ++k) {
            double d = ring_.from_oldest(k) - shift_;
            s1_.add(d);
            s2_.add(d * d);
        }
    }

    Ring ring_;
    std::size_t n_;
    std::size_t since_ = 0;
    double shift_ = 0;
    CompensatedSum s1_, s2_;
};

// Plain window sum of the last n values (no shift: for values of one sign, such as true
// ranges or volumes), recomputed from the ring every n pushes. O(1) amortised per push.
class WindowSum {
public:
    explicit WindowSum(std::size_t n) : ring_(n), n_(n) {}
    void push(double x) {
        double old = 0;
        bool full = ring_.push(x, old);
        if (++since_ >= n_) {
            since_ = 0;
            s_.clear();
            for (std::size_t k = 0; k < ring_.size(); ++k) {
                s_.add(ring_.from_oldest(k));
            }
            return;
        }
        s_.add(x);
        if (full) {
            s_.add(-old);
        }
    }
    [[nodiscard]] bool full() const { return ring_.full(); }
    [[nodiscard]] std::size_t size() const { return ring_.size(); }
    [[nodiscard]] double sum() const { return s_.value(); }
    [[nodiscard]] const Ring& ring() const { return ring_; }

private:
    Ring ring_;
    std::size_t n_;
    std::size_t since_ = 0;
    CompensatedSum s_;
};

// Largest (or smallest) of the last n values and how many pushes ago it came, with ties
// going to the most recent value (as TA-Lib's Aroon does). Monotonic deque in a fixed
// ring of indices: O(1) amortised per push, no allocation after construction.
template <bool kMax> class WindowExtreme {
public:
    explicit WindowExtreme(std::size_t n) : n_(n), idx_(n + 1), val_(n + 1) {}
    void push(double x) {
        ++count_;
        // Drop the front when it left the window.
        if (size_ > 0 && idx_[front_] + n_ <= count_) {
            front_ = next(front_);
            --size_;
        }
        while (size_ > 0 && (kMax ? val_[back()] <= x : val_[back()] >= x)) {
            --size_;
        }
        std::size_t slot = (front_ + size_) % idx_.size();
        idx_[slot] = count_;
        val_[slot] = x;
        ++size_;
    }
    [[nodiscard]] double value() const { return val_[front_]; }
    // Pushes since the extreme: 0 when it is the newest value.
    [[nodiscard]] std::uint64_t age() const { return count_ - idx_[front_]; }
    [[nodiscard]] bool full() const { return count_ >= n_; }

private:
    [[nodiscard]] std::size_t next(std::size_t i) const { return i + 1 == idx_.size() ? 0 : i + 1; }
    [[nodiscard]] std::size_t back() const { return (front_ + size_ - 1) % idx_.size(); }

    std::uint64_t n_;
    std::vector<std::uint64_t> idx_;
    std::vector<double> val_;
    std::size_t front_ = 0;
    std::size_t size_ = 0;
    std::uint64_t count_ = 0;
};

// Exponential moving average with alpha = 2/(n+1), seeded with the simple average of the
// first n values (TA-Lib's convention). ready() from the n-th value on. O(1) per push.
class Ema {
public:
    explicit Ema(std::size_t n) : n_(n), alpha_(2.0 / (static_cast<double>(n) + 1.0)) {}
    Ema(std::size_t n, double alpha) : n_(n), alpha_(alpha) {}
    void push(double x) {
        if (count_ < n_) {
            seed_.add(x);
            if (++count_ == n_) {
                value_ = seed_.value() / static_cast<double>(n_);
            }
            return;
        }
        value_ += alpha_ * (x - value_);
    }
    [[nodiscard]] bool ready() const { return count_ >= n_; }
    [[nodiscard]] double value() const { return value_; }

private:
    std::size_t n_;
    double alpha_;
    std::size_t count_ = 0;
    CompensatedSum seed_;
    double value_ = 0;
};

// Wilder's smoothing as an average: the first value is the mean of the first n inputs, then
// avg = (avg * (n - 1) + x) / n. ready() from the n-th value on. O(1) per push.
class WilderAverage {
public:
    explicit WilderAverage(std::size_t n) : n_(n) {}
    void push(double x) {
        if (count_ < n_) {
            seed_.add(x);
            if (++count_ == n_) {
                value_ = seed_.value() / static_cast<double>(n_);
            }
            return;
        }
        value_ = (value_ * (static_cast<double>(n_) - 1.0) + x) / static_cast<double>(n_);
    }
    [[nodiscard]] bool ready() const { return count_ >= n_; }
    [[nodiscard]] double value() const { return value_; }

private:
    std::size_t n_;
    std::size_t count_ = 0;
    CompensatedSum seed_;
    double value_ = 0;
};

// Wilder's smoothing as a running total (used for +DM, -DM and TR of the DMI): the first
// value is the sum of the first n inputs, then s = s - s / n + x. O(1) per push.
class WilderSum {
public:
    explicit WilderSum(std::size_t n) : n_(n) {}
    void push(double x) {
        if (count_ < n_) {
            seed_.add(x);
            if (++count_ == n_) {
                value_ = seed_.value();
            }
            return;
        }
        value_ = value_ - value_ / static_cast<double>(n_) + x;
    }
    [[nodiscard]] bool ready() const { return count_ >= n_; }
    [[nodiscard]] double value() const { return value_; }

private:
    std::size_t n_;
    std::size_t count_ = 0;
    CompensatedSum seed_;
    double value_ = 0;
};

// x / y, or 0 when y is 0: the convention of every ratio in the feature set (TA-Lib's too).
inline double ratio(double x, double y) {
    return y != 0 ? x / y : 0.0;
}

} // namespace okxkit::features
