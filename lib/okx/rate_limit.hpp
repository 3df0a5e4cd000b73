// Client-side pacing: a token bucket per OKX endpoint, and exponential backoff with jitter.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>

namespace okxkit::okx {

// A token bucket: `capacity` requests per `window_ms`, refilled continuously. Times are
// caller-supplied milliseconds (a steady clock), so tests need no sleeping.
class TokenBucket {
public:
    TokenBucket(double capacity, std::int64_t window_ms);
    // Takes one token at time now_ms when available and returns 0; otherwise takes nothing
    // and returns how many ms to wait until one will be. O(1).
    std::int64_t try_take(std::int64_t now_ms);

private:
    double capacity_;
    double per_ms_;
    double tokens_;
    std::int64_t last_ms_ = -1;
};

// Published OKX REST limit for a request path ("/api/v5/market/candles" → 40 per 2000 ms),
// okx-v5-protocol.md §6.1. Unknown paths get a conservative 10 per 2000 ms.
struct Limit {
    int requests;
    std::int64_t window_ms;
};
Limit published_limit(std::string_view path);

// One bucket per endpoint path, sized at `fraction` of the published limit (default 80%, as
// a well-behaved client should leave headroom).
class RateLimiter {
public:
    explicit RateLimiter(double fraction = 0.8) : fraction_(fraction) {}
    // ms to wait before a request to path may go at now_ms (0: go now, token taken).
    std::int64_t acquire(std::string_view path, std::int64_t now_ms);

private:
    double fraction_;
    std::map<std::string, TokenBucket, std::less<>> buckets_;
};

// Backoff delays for retries: base * 2^attempt, capped, with "full jitter" in [d/2, d].
// Seeded, so a test or a replay sees the same delays.
class Backoff {
public:
    Backoff(std::int64_t base_ms = 500, std::int64_t cap_ms = 10000, std::uint64_t seed = 1);
    // Delay before retry number attempt (0-based).
    std::int64_t delay_ms(int attempt);

private:
    std::int64_t base_ms_;
    std::int64_t cap_ms_;
    std::mt19937_64 rng_;
};

} // namespace okxkit::okx
