// Per-endpoint request limits of OKX (§6.1), enforced over a sliding window.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace okxkit::fake {

// OKX's published limit for a REST path, in requests per 2 s, or nullopt when the fake
// server does not limit that path.
std::optional<int> okx_rate_limit(std::string_view path);

// Counts accepted requests per key over the last window_ms milliseconds.
class SlidingWindow {
public:
    explicit SlidingWindow(std::int64_t window_ms = 2000) : window_ms_(window_ms) {}

    // Admits a request that arrived at t_ms (monotonic, non-decreasing) when fewer than
    // limit requests of key were admitted in (t_ms - window, t_ms]; a refused request is
    // not counted. Returns whether it was admitted. Amortised O(1).
    bool admit(std::string_view key, int limit, std::int64_t t_ms);
    // Admits n arrivals at once (a batch of n orders counts n), when at most limit - n were
    // admitted in the window; otherwise none is counted. Returns whether they were admitted.
    bool admit_n(std::string_view key, int n, int limit, std::int64_t t_ms);
    // Whether admit_n(key, n, limit, t_ms) would admit them, counting nothing: a request that
    // counts against several keys is admitted only when each has room.
    bool room(std::string_view key, int n, int limit, std::int64_t t_ms);

private:
    std::deque<std::int64_t>& arrivals(std::string_view key, std::int64_t t_ms);

    std::int64_t window_ms_;
    std::map<std::string, std::deque<std::int64_t>, std::less<>> arrivals_;
};

} // namespace okxkit::fake
