// Unit tests for lib/okx/rate_limit: token bucket, published limits, pacing, backoff.
#include "okx/rate_limit.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace okxkit::okx {
namespace {

TEST(OkxTokenBucket, StartsFullThenWaits) {
    TokenBucket bucket(5, 1000); // one token per 200 ms
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(bucket.try_take(0), 0) << i;
    }
    EXPECT_EQ(bucket.try_take(0), 200);
    EXPECT_EQ(bucket.try_take(150), 50);
    EXPECT_EQ(bucket.try_take(199), 1);
    EXPECT_EQ(bucket.try_take(200), 0);
    EXPECT_EQ(bucket.try_take(200), 200);
}

TEST(OkxTokenBucket, RefillsContinuouslyUpToCapacity) {
    TokenBucket bucket(4, 2000); // one token per 500 ms
    for (int i = 0; i < 4; ++i) {
        ASSERT_EQ(bucket.try_take(1000), 0);
    }
    // Half a token after 250 ms: 250 ms to go.
    EXPECT_EQ(bucket.try_take(1250), 250);
    // A long idle spell refills to capacity, no further.
    int taken = 0;
    while (bucket.try_take(100000) == 0) {
        ++taken;
    }
    EXPECT_EQ(taken, 4);
}

TEST(OkxTokenBucket, WaitingTheAnsweredTimeIsEnough) {
    // 3 per 1000 ms is not a whole number of ms per token: the ceil must still suffice.
    TokenBucket bucket(3, 1000);
    std::int64_t now = 0;
    int taken = 0;
    while (now < 10000) {
        const std::int64_t wait = bucket.try_take(now);
        if (wait == 0) {
            ++taken;
            continue;
        }
        ASSERT_GT(wait, 0);
        now += wait;
        ASSERT_EQ(bucket.try_take(now), 0) << "at " << now;
        ++taken;
    }
    EXPECT_EQ(taken, 3 + 30);
}

TEST(OkxTokenBucket, ClockSteppingBackGivesNothing) {
    TokenBucket bucket(2, 1000);
    EXPECT_EQ(bucket.try_take(5000), 0);
    EXPECT_EQ(bucket.try_take(5000), 0);
    EXPECT_GT(bucket.try_take(1000), 0);
    EXPECT_EQ(bucket.try_take(5000), 500);
    EXPECT_EQ(bucket.try_take(5500), 0);
}

TEST(OkxPublishedLimit, TableOfSection61) {
    struct Case {
        const char* path;
        int requests;
        std::int64_t window_ms;
    };
    const Case cases[] = {
        {"/api/v5/market/candles", 40, 2000},
        {"/api/v5/market/history-candles", 20, 2000},
        {"/api/v5/market/ticker", 20, 2000},
        {"/api/v5/market/tickers", 20, 2000},
        {"/api/v5/market/books", 40, 2000},
        {"/api/v5/market/books-full", 10, 2000},
        {"/api/v5/market/trades", 100, 2000},
        {"/api/v5/market/history-trades", 20, 2000},
        {"/api/v5/public/instruments", 20, 2000},
        {"/api/v5/public/time", 10, 2000},
        {"/api/v5/trade/order", 60, 2000},
        {"/api/v5/trade/cancel-order", 60, 2000},
        {"/api/v5/trade/amend-order", 60, 2000},
        {"/api/v5/trade/batch-orders", 15, 2000},
        {"/api/v5/trade/orders-pending", 60, 2000},
        {"/api/v5/trade/orders-history", 40, 2000},
        {"/api/v5/trade/fills", 60, 2000},
        {"/api/v5/trade/fills-history", 10, 2000},
        {"/api/v5/trade/order-algo", 20, 2000},
        {"/api/v5/trade/mass-cancel", 5, 2000},
        {"/api/v5/trade/cancel-all-after", 1, 1000},
        {"/api/v5/account/balance", 10, 2000},
        {"/api/v5/account/positions", 10, 2000},
        {"/api/v5/account/config", 5, 2000},
        // The query is not part of the endpoint.
        {"/api/v5/market/candles?instId=BTC-USDT&bar=1m", 40, 2000},
        {"/api/v5/account/balance?ccy=BTC", 10, 2000},
        // Unknown paths, and near misses, get the conservative default.
        {"/api/v5/market/candles/extra", 10, 2000},
        {"/api/v5/asset/balances", 10, 2000},
        {"", 10, 2000},
    };
    for (const Case& c : cases) {
        const Limit limit = published_limit(c.path);
        EXPECT_EQ(limit.requests, c.requests) << c.path;
        EXPECT_EQ(limit.window_ms, c.window_ms) << c.path;
    }
}

// Simulates a greedy client that sends to path as fast as the limiter lets it for 10 s of
// fake time, and returns the send times.
std::vector<std::int64_t> simulate_greedy(RateLimiter& limiter, const std::string& path,
                                          std::int64_t step_ms = 0) {
    std::vector<std::int64_t> sent;
    std::int64_t now = 0;
    while (now < 10000) {
        const std::int64_t wait = limiter.acquire(path, now);
        if (wait == 0) {
            sent.push_back(now);
            now += step_ms;
        } else {
            EXPECT_GT(wait, 0);
            now += wait;
        }
    }
    return sent;
}

// The most sends inside any half-open window [t, t + window_ms).
std::size_t max_in_window(const std::vector<std::int64_t>& sent, std::int64_t window_ms) {
    std::size_t best = 0;
    std::size_t lo = 0;
    for (std::size_t hi = 0; hi < sent.size(); ++hi) {
        while (sent[hi] - sent[lo] >= window_ms) {
            ++lo;
        }
        best = std::max(best, hi - lo + 1);
    }
    return best;
}

TEST(OkxRateLimiter, GreedyClientStaysUnderEveryPublishedLimit) {
    const char* paths[] = {"/api/v5/market/candles",    "/api/v5/market/history-candles",
                           "/api/v5/market/tickers",    "/api/v5/market/books-full",
                           "/api/v5/market/trades",     "/api/v5/public/time",
                           "/api/v5/trade/order",       "/api/v5/trade/batch-orders",
                           "/api/v5/trade/mass-cancel", "/api/v5/trade/cancel-all-after",
                           "/api/v5/account/balance",   "/api/v5/unknown/endpoint"};
    for (const char* path : paths) {
        for (const std::int64_t step : {0, 1, 7}) {
            SCOPED_TRACE(std::string(path) + " step " + std::to_string(step));
            RateLimiter limiter;
            const Limit limit = published_limit(path);
            const auto sent = simulate_greedy(limiter, path, step);
            EXPECT_LE(max_in_window(sent, limit.window_ms),
                      static_cast<std::size_t>(limit.requests));
            const double allowed = static_cast<double>(limit.requests) * 10000.0 /
                                   static_cast<double>(limit.window_ms);
            EXPECT_GE(static_cast<double>(sent.size()), 0.7 * allowed) << sent.size();
        }
    }
}

TEST(OkxRateLimiter, FullFractionStillRespectsTheLimit) {
    for (const char* path : {"/api/v5/market/candles", "/api/v5/trade/cancel-all-after"}) {
        SCOPED_TRACE(path);
        RateLimiter limiter(1.0);
        const Limit limit = published_limit(path);
        const auto sent = simulate_greedy(limiter, path);
        EXPECT_LE(max_in_window(sent, limit.window_ms), static_cast<std::size_t>(limit.requests));
        EXPECT_GE(static_cast<double>(sent.size()),
                  0.9 * limit.requests * 10000.0 / static_cast<double>(limit.window_ms));
    }
}

TEST(OkxRateLimiter, QueryStringsShareABucketAndEndpointsDoNot) {
    RateLimiter limiter;
    int granted = 0;
    // Alternating queries on one endpoint draw from one bucket: the burst is limited.
    for (int i = 0; i < 100; ++i) {
        const std::string path = "/api/v5/market/books-full?instId=" + std::to_string(i) + "&sz=5";
        if (limiter.acquire(path, 0) == 0) {
            ++granted;
        }
    }
    EXPECT_GE(granted, 1);
    EXPECT_LE(granted, 10);
    EXPECT_GT(limiter.acquire("/api/v5/market/books-full", 0), 0);
    // Another endpoint still has its own tokens.
    EXPECT_EQ(limiter.acquire("/api/v5/market/candles", 0), 0);
}

TEST(OkxBackoff, DelaysStayInBoundsGrowAndCap) {
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
        Backoff backoff(500, 10000, seed);
        std::int64_t previous = 0;
        for (int attempt = 0; attempt < 12; ++attempt) {
            const std::int64_t d = std::min<std::int64_t>(10000, 500LL << attempt);
            const std::int64_t delay = backoff.delay_ms(attempt);
            EXPECT_GE(delay, d / 2) << "seed " << seed << " attempt " << attempt;
            EXPECT_LE(delay, d) << "seed " << seed << " attempt " << attempt;
            if (d < 10000) {
                // [d/2, d] then [d, 2d]: never shrinks while below the cap.
                EXPECT_GE(delay, previous) << "seed " << seed << " attempt " << attempt;
            }
            previous = delay;
        }
        EXPECT_LE(backoff.delay_ms(1000), 10000);
        EXPECT_GE(backoff.delay_ms(INT_MAX), 5000);
        EXPECT_LE(backoff.delay_ms(INT_MAX), 10000);
    }
}

TEST(OkxBackoff, DefaultsFollowSection63) {
    Backoff backoff;
    const std::int64_t first = backoff.delay_ms(0);
    EXPECT_GE(first, 250);
    EXPECT_LE(first, 500);
    EXPECT_LE(backoff.delay_ms(10), 10000);
    EXPECT_GE(backoff.delay_ms(10), 5000);
}

TEST(OkxBackoff, ReproducibleForASeedAndJittered) {
    Backoff a(500, 10000, 42);
    Backoff b(500, 10000, 42);
    Backoff c(500, 10000, 43);
    std::vector<std::int64_t> seq_a;
    std::vector<std::int64_t> seq_b;
    std::vector<std::int64_t> seq_c;
    for (int i = 0; i < 20; ++i) {
        seq_a.push_back(a.delay_ms(i % 5));
        seq_b.push_back(b.delay_ms(i % 5));
        seq_c.push_back(c.delay_ms(i % 5));
    }
    EXPECT_EQ(seq_a, seq_b);
    EXPECT_NE(seq_a, seq_c);
    std::set<std::int64_t> distinct;
    Backoff d(500, 10000, 7);
    for (int i = 0; i < 50; ++i) {
        distinct.insert(d.delay_ms(3));
    }
    EXPECT_GT(distinct.size(), 10U);
}

} // namespace
} // namespace okxkit::okx
