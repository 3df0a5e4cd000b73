// OKX's per-endpoint limits and the sliding window that enforces them.
#include "rate_limit.hpp"

#include <array>
#include <utility>

namespace okxkit::fake {

namespace {

// §6.1, requests per 2 s. Public limits are per IP there; here the one client is the IP.
constexpr std::array<std::pair<std::string_view, int>, 16> kLimits{{
    {"/api/v5/market/candles", 40},
    {"/api/v5/market/history-candles", 20},
    {"/api/v5/market/ticker", 20},
    {"/api/v5/market/tickers", 20},
    {"/api/v5/market/books", 40},
    {"/api/v5/market/books-full", 10},
    {"/api/v5/market/trades", 100},
    {"/api/v5/market/history-trades", 20},
    {"/api/v5/public/instruments", 20},
    {"/api/v5/public/time", 10},
    {"/api/v5/account/balance", 10},
    {"/api/v5/trade/order", 60}, // per method and instId, as OKX counts it
    {"/api/v5/trade/cancel-order", 60},
    {"/api/v5/trade/orders-pending", 60},
    {"/api/v5/trade/fills", 60},
    {"/api/v5/trade/cancel-all-after", 2}, // 1 per s at OKX
}};

} // namespace

std::optional<int> okx_rate_limit(std::string_view path) {
    for (const auto& [p, limit] : kLimits) {
        if (p == path) {
            return limit;
        }
    }
    return std::nullopt;
}

bool SlidingWindow::admit(std::string_view key, int limit, std::int64_t t_ms) {
    auto it = arrivals_.find(key);
    if (it == arrivals_.end()) {
        it = arrivals_.emplace(std::string(key), std::deque<std::int64_t>{}).first;
    }
    auto& times = it->second;
    while (!times.empty() && times.front() <= t_ms - window_ms_) {
        times.pop_front();
    }
    if (static_cast<int>(times.size()) >= limit) {
        return false;
    }
    times.push_back(t_ms);
    return true;
}

} // namespace okxkit::fake
