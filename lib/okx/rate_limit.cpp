// Token buckets per OKX endpoint, the published REST limits, and jittered exponential backoff.
#include "okx/rate_limit.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace okxkit::okx {
namespace {

constexpr std::int64_t kTwoSeconds = 2000;

struct PathLimit {
    std::string_view path;
    Limit limit;
};

// okx-v5-protocol.md §6.1. The batch endpoints allow 300 *orders* per 2 s and a batch holds up
// to 20 orders (§4.2), so counting requests, 15 per 2 s is what is safe for full batches.
constexpr std::array<PathLimit, 34> kLimits = {{
    {"/api/v5/market/candles", {40, kTwoSeconds}},
    {"/api/v5/market/history-candles", {20, kTwoSeconds}},
    {"/api/v5/market/ticker", {20, kTwoSeconds}},
    {"/api/v5/market/tickers", {20, kTwoSeconds}},
    {"/api/v5/market/books", {40, kTwoSeconds}},
    {"/api/v5/market/books-full", {10, kTwoSeconds}},
    {"/api/v5/market/trades", {100, kTwoSeconds}},
    {"/api/v5/market/history-trades", {20, kTwoSeconds}},
    {"/api/v5/public/instruments", {20, kTwoSeconds}},
    {"/api/v5/public/time", {10, kTwoSeconds}},
    {"/api/v5/trade/order", {60, kTwoSeconds}},
    {"/api/v5/trade/cancel-order", {60, kTwoSeconds}},
    {"/api/v5/trade/amend-order", {60, kTwoSeconds}},
    {"/api/v5/trade/batch-orders", {15, kTwoSeconds}},
    {"/api/v5/trade/cancel-batch-orders", {15, kTwoSeconds}},
    {"/api/v5/trade/amend-batch-orders", {15, kTwoSeconds}},
    {"/api/v5/trade/orders-pending", {60, kTwoSeconds}},
    {"/api/v5/trade/orders-history", {40, kTwoSeconds}},
    {"/api/v5/trade/orders-history-archive", {20, kTwoSeconds}},
    {"/api/v5/trade/fills", {60, kTwoSeconds}},
    {"/api/v5/trade/fills-history", {10, kTwoSeconds}},
    {"/api/v5/trade/close-position", {20, kTwoSeconds}},
    {"/api/v5/trade/order-algo", {20, kTwoSeconds}},
    {"/api/v5/trade/cancel-algos", {20, kTwoSeconds}},
    {"/api/v5/trade/amend-algos", {20, kTwoSeconds}},
    {"/api/v5/trade/orders-algo-pending", {20, kTwoSeconds}},
    {"/api/v5/trade/orders-algo-history", {20, kTwoSeconds}},
    {"/api/v5/trade/mass-cancel", {5, kTwoSeconds}},
    {"/api/v5/trade/cancel-all-after", {1, 1000}},
    {"/api/v5/account/balance", {10, kTwoSeconds}},
    {"/api/v5/account/positions", {10, kTwoSeconds}},
    {"/api/v5/account/trade-fee", {5, kTwoSeconds}},
    {"/api/v5/account/config", {5, kTwoSeconds}},
    {"/api/v5/account/set-position-mode", {5, kTwoSeconds}},
}};

constexpr Limit kUnknownLimit = {10, kTwoSeconds};

std::string_view without_query(std::string_view path) {
    return path.substr(0, path.find('?'));
}

// Tolerance for the floating refill: a token that is due must not come out 1 ms late because
// k * (capacity / window) fell a hair short of an integer.
constexpr double kEpsilon = 1e-9;

} // namespace

TokenBucket::TokenBucket(double capacity, std::int64_t window_ms)
    : capacity_(std::max(1.0, capacity)),
      per_ms_(capacity_ / static_cast<double>(std::max<std::int64_t>(1, window_ms))),
      tokens_(capacity_) {}

std::int64_t TokenBucket::try_take(std::int64_t now_ms) {
    if (last_ms_ >= 0 && now_ms > last_ms_) {
        tokens_ = std::min(capacity_, tokens_ + static_cast<double>(now_ms - last_ms_) * per_ms_);
    }
    // A clock that steps back refills nothing and does not move the reference point back.
    last_ms_ = std::max(last_ms_, now_ms);
    if (tokens_ >= 1.0 - kEpsilon) {
        tokens_ = std::max(0.0, tokens_ - 1.0);
        return 0;
    }
    const auto wait = static_cast<std::int64_t>(std::ceil((1.0 - tokens_ - kEpsilon) / per_ms_));
    return std::max<std::int64_t>(1, wait);
}

Limit published_limit(std::string_view path) {
    const std::string_view bare = without_query(path);
    for (const PathLimit& entry : kLimits) {
        if (entry.path == bare) {
            return entry.limit;
        }
    }
    return kUnknownLimit;
}

std::int64_t RateLimiter::acquire(std::string_view path, std::int64_t now_ms) {
    const std::string_view bare = without_query(path);
    auto it = buckets_.find(bare);
    if (it == buckets_.end()) {
        const Limit limit = published_limit(bare);
        const double rate = std::max(1.0, std::floor(limit.requests * fraction_));
        // A bucket as deep as the whole per-window rate could spend its burst and then its
        // refill inside one window: up to 2x the rate. So the burst is only the headroom left
        // under the published limit (at least 1); any window then holds at most
        // burst + rate - 1 <= limit requests, and the sustained rate is still `rate`.
        const double burst = std::max(1.0, limit.requests - rate);
        // Rounded up: a shorter window would refill faster than `rate`.
        const auto burst_window = static_cast<std::int64_t>(
            std::ceil(burst * static_cast<double>(limit.window_ms) / rate));
        it = buckets_.emplace(std::string(bare), TokenBucket(burst, burst_window)).first;
    }
    return it->second.try_take(now_ms);
}

Backoff::Backoff(std::int64_t base_ms, std::int64_t cap_ms, std::uint64_t seed)
    : base_ms_(std::max<std::int64_t>(1, base_ms)), cap_ms_(std::max(base_ms_, cap_ms)),
      rng_(seed) {}

std::int64_t Backoff::delay_ms(int attempt) {
    std::int64_t d = base_ms_;
    for (int i = 0; i < attempt && d < cap_ms_; ++i) {
        d *= 2; // stops at the cap long before int64 could overflow
    }
    d = std::min(d, cap_ms_);
    // Jitter spreads out the retries of many clients that failed at the same moment.
    std::uniform_int_distribution<std::int64_t> jitter(d / 2, d);
    return jitter(rng_);
}

} // namespace okxkit::okx
