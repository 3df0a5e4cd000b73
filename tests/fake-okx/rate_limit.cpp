// OKX's per-endpoint limits and the sliding window that enforces them.
#include "rate_limit.hpp"

#include <array>
#include <utility>

namespace okxkit::fake {

namespace {

// §6.1, requests per 2 s. Public limits are per IP there; here the one client is the IP.
constexpr std::array<std::pair<std::string_view, int>, 27> kLimits{{
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
    {"/api/v5/account/positions", 10},
    {"/api/v5/account/trade-fee", 5}, // not in §6.1: 5, as account/config
    {"/api/v5/trade/order", 60},      // per method and instId, as OKX counts it
    {"/api/v5/trade/cancel-order", 60},
    {"/api/v5/trade/amend-order", 60},
    {"/api/v5/trade/batch-orders", 300}, // orders, not requests, per instId
    {"/api/v5/trade/cancel-batch-orders", 300},
    {"/api/v5/trade/orders-pending", 60},
    {"/api/v5/trade/orders-history", 40},
    {"/api/v5/trade/fills", 60},
    {"/api/v5/trade/cancel-all-after", 2}, // 1 per s at OKX
    {"/api/v5/trade/order-algo", 20},      // POST per instId, GET per UID
    {"/api/v5/trade/cancel-algos", 20},
    {"/api/v5/trade/amend-algos", 20},
    {"/api/v5/trade/orders-algo-pending", 20},
    {"/api/v5/trade/orders-algo-history", 20},
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

std::deque<std::int64_t>& SlidingWindow::arrivals(std::string_view key, std::int64_t t_ms) {
    auto it = arrivals_.find(key);
    if (it == arrivals_.end()) {
        it = arrivals_.emplace(std::string(key), std::deque<std::int64_t>{}).first;
    }
    auto& times = it->second;
    while (!times.empty() && times.front() <= t_ms - window_ms_) {
        times.pop_front();
    }
    return times;
}

bool SlidingWindow::admit(std::string_view key, int limit, std::int64_t t_ms) {
    return admit_n(key, 1, limit, t_ms);
}

bool SlidingWindow::admit_n(std::string_view key, int n, int limit, std::int64_t t_ms) {
    auto& times = arrivals(key, t_ms);
    if (static_cast<int>(times.size()) + n > limit) {
        return false;
    }
    times.insert(times.end(), static_cast<std::size_t>(n), t_ms);
    return true;
}

bool SlidingWindow::room(std::string_view key, int n, int limit, std::int64_t t_ms) {
    return static_cast<int>(arrivals(key, t_ms).size()) + n <= limit;
}

} // namespace okxkit::fake
