// Building blocks of the incremental indicators: ring buffers, drift-free window sums and
// moments, monotonic deques for window extremes, and SMA-seeded EMA / Wilder smoothing.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace okxkit::features {

// Window sums slide in O(1) and are recomputed exactly from the window every so often, so
// rounding never accumulates over more than that many updates: every n pushes, but at least
// 64 apart, so that short windows do not pay a loop (and its mispredicted exit) every few
// candles.
inline std::size_t recompute_period(std::size_t n) {
    return std::max<std::size_t>(n, 64);
}

// A bump allocator for the state of one indicator graph: the buffers of its nodes (and the
// nodes of a first build, before their places in update order are known) are laid out one
// after the other in creation order instead of hopping around the heap. Memory is released all
// at once by clear() or the destructor. While an Arena::Scope is alive, ArenaAllocator takes
// memory from that arena; otherwise from the heap.
class Arena {
public:
    Arena() = default;
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;
    void* alloc(std::size_t n, std::size_t align) {
        std::size_t at = (used_ + align - 1) & ~(align - 1);
        if (blocks_.empty() || at + n > kBlock) {
            blocks_.push_back(std::make_unique<std::byte[]>(std::max(n, kBlock)));
            at = 0;
        }
        used_ = at + n;
        return blocks_.back().get() + at;
    }
    void clear() {
        blocks_.clear();
        used_ = 0;
    }
    static Arena*& current() {
        thread_local Arena* arena = nullptr;
        return arena;
    }
    class Scope {
    public:
        explicit Scope(Arena* a) : prev_(current()) { current() = a; }
        ~Scope() { current() = prev_; }
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        Arena* prev_;
    };

private:
    static constexpr std::size_t kBlock = 1 << 16;
    std::vector<std::unique_ptr<std::byte[]>> blocks_;
    std::size_t used_ = 0;
};

// Allocates from the arena current at construction, or from the heap.
template <class T> struct ArenaAllocator {
    using value_type = T;
    ArenaAllocator() noexcept : arena(Arena::current()) {}
    template <class U> ArenaAllocator(const ArenaAllocator<U>& o) noexcept : arena(o.arena) {}
    T* allocate(std::size_t n) {
        if (arena != nullptr) {
            return static_cast<T*>(arena->alloc(n * sizeof(T), alignof(T)));
        }
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (arena == nullptr) {
            std::allocator<T>().deallocate(p, n);
        }
    }
    template <class U> bool operator==(const ArenaAllocator<U>& o) const noexcept {
        return arena == o.arena;
    }
    Arena* arena;
};

template <class T> using ArenaVector = std::vector<T, ArenaAllocator<T>>;

// The last `capacity` values pushed, newest first by index. O(1) per push, no allocation
// after construction.
class Ring {
public:
    explicit Ring(std::size_t capacity) : buf_(capacity == 0 ? 1 : capacity), cap_(buf_.size()) {}
    // Adds x; when full, the oldest value is dropped and returned through `evicted`.
    bool push(double x, double& evicted) {
        bool full = size_ == cap_;
        evicted = full ? buf_[head_] : 0.0;
        buf_[head_] = x;
        head_ = head_ + 1 == cap_ ? 0 : head_ + 1;
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
        std::size_t i = head_ + cap_ - 1 - k;
        return buf_[i >= cap_ ? i - cap_ : i];
    }
    // The k-th oldest value (0 = the oldest held); k < size().
    [[nodiscard]] double from_oldest(std::size_t k) const { return ago(size_ - 1 - k); }
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] std::size_t capacity() const { return cap_; }
    void clear() { head_ = size_ = 0; }
    [[nodiscard]] bool full() const { return size_ == cap_; }

private:
    ArenaVector<double> buf_;
    std::size_t cap_;      // buf_.size(), kept: read on every access
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
// cancel, and the sums are recomputed exactly from the window every recompute_period(n)
// pushes, so rounding never accumulates however long the history. The values live in
// the object's own ring, or in a shared ring of that input (a History) that already holds the
// value being pushed and at least n before it. O(1) amortised per push.
class WindowMoments {
public:
    explicit WindowMoments(std::size_t n, const Ring* shared = nullptr)
        : own_(shared != nullptr ? 1 : n + 1), shared_(shared), n_(n), period_(recompute_period(n)),
          inv_n_(1.0 / static_cast<double>(n)) {}
    void push(double x) {
        if (shared_ == nullptr) {
            own_.push(x);
        }
        const Ring& r = window_ring();
        const bool evict = count_ == n_;
        if (!evict) {
            ++count_;
        }
        if (++since_ >= period_ || count_ == 1) {
            recompute(r);
            return;
        }
        double d = x - shift_;
        s1_ += d;
        s2_ += d * d;
        if (evict) {
            double e = r.ago(n_) - shift_;
            s1_ -= e;
            s2_ -= e * e;
        }
    }
    [[nodiscard]] bool full() const { return count_ == n_; }
    [[nodiscard]] std::size_t size() const { return count_; }
    // The k-th newest value of the window (k < size()).
    [[nodiscard]] double ago(std::size_t k) const { return window_ring().ago(k); }
    // Mean of a full window.
    [[nodiscard]] double mean() const { return shift_ + s1_ * inv_n_; }
    // Population variance of a full window (divides by n), never negative.
    [[nodiscard]] double variance() const {
        double m = s1_ * inv_n_;
        double v = s2_ * inv_n_ - m * m;
        return v > 0 ? v : 0;
    }
    [[nodiscard]] double stddev() const { return std::sqrt(variance()); }

private:
    [[nodiscard]] const Ring& window_ring() const { return shared_ != nullptr ? *shared_ : own_; }
    void recompute(const Ring& r) {
        since_ = 0;
        shift_ = r.ago(0);
        s1_ = s2_ = 0;
        for (std::size_t k = count_; k-- > 0;) {
            double d = r.ago(k) - shift_;
            s1_ += d;
            s2_ += d * d;
        }
    }

    Ring own_;
    const Ring* shared_;
    std::size_t n_;
    std::size_t period_;
    double inv_n_;
    std::size_t count_ = 0;
    std::size_t since_ = 0;
    double shift_ = 0;
    double s1_ = 0, s2_ = 0;
};

// Plain window sum of the last n values (no shift: for values of one sign, such as true
// ranges or volumes), recomputed from the ring every recompute_period(n) pushes. O(1)
// amortised per push.
class WindowSum {
public:
    explicit WindowSum(std::size_t n) : ring_(n), period_(recompute_period(n)) {}
    void push(double x) {
        double old = 0;
        bool full = ring_.push(x, old);
        if (++since_ >= period_) {
            since_ = 0;
            s_ = 0;
            for (std::size_t k = 0; k < ring_.size(); ++k) {
                s_ += ring_.from_oldest(k);
            }
            return;
        }
        s_ += x;
        if (full) {
            s_ -= old;
        }
    }
    [[nodiscard]] bool full() const { return ring_.full(); }
    [[nodiscard]] std::size_t size() const { return ring_.size(); }
    [[nodiscard]] double sum() const { return s_; }
    [[nodiscard]] const Ring& ring() const { return ring_; }

private:
    Ring ring_;
    std::size_t period_;
    std::size_t since_ = 0;
    double s_ = 0;
};

// A plain running sum with the interface of CompensatedSum, for sums that are recomputed
// exactly every window anyway (rounding cannot accumulate past one window).
struct PlainSum {
    double sum = 0;
    void add(double x) { sum += x; }
    [[nodiscard]] double value() const { return sum; }
    void clear() { sum = 0; }
};

// Largest (or smallest) of the last n values and how many pushes ago it came, with ties
// going to the most recent value (as TA-Lib's Aroon does). Monotonic deque in a fixed
// ring of indices: O(1) amortised per push, no allocation after construction.
template <bool kMax> class WindowExtreme {
public:
    explicit WindowExtreme(std::size_t n) : n_(n), mask_(pow2(n + 1) - 1), slots_(mask_ + 1) {}
    void push(double x) {
        // Locals: the slots hold integers of the same type as the members, so the compiler
        // could not otherwise keep them in registers across the stores.
        Slot* s = slots_.data();
        const std::uint64_t count = ++count_;
        std::size_t front = front_;
        std::size_t size = size_;
        // Drop the front when it has left the window (without a branch: as likely as not).
        const bool gone = size > 0 && s[front].idx + n_ <= count;
        front = (front + gone) & mask_;
        size -= gone;
        while (size > 0 && (kMax ? s[(front + size - 1) & mask_].val <= x
                                 : s[(front + size - 1) & mask_].val >= x)) {
            --size;
        }
        s[(front + size) & mask_] = {count, x};
        front_ = front;
        size_ = size + 1;
    }
    [[nodiscard]] double value() const { return slots_[front_].val; }
    // Pushes since the extreme: 0 when it is the newest value.
    [[nodiscard]] std::uint64_t age() const { return count_ - slots_[front_].idx; }
    [[nodiscard]] bool full() const { return count_ >= n_; }

private:
    static std::size_t pow2(std::size_t n) {
        std::size_t p = 1;
        while (p < n) {
            p <<= 1;
        }
        return p;
    }
    struct Slot {
        std::uint64_t idx;
        double val;
    };
    std::uint64_t n_;
    std::size_t mask_;
    ArenaVector<Slot> slots_;
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
