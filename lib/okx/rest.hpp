// The OKX REST client on libcurl: keep-alive, timeouts, pacing, retries with backoff.
#pragma once

#include "okx/credentials.hpp"
#include "okx/rate_limit.hpp"
#include "okx/tape.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace okxkit::okx {

inline constexpr std::string_view kProductionRestUrl = "https://www.okx.com";

struct RestOptions {
    std::string base_url{kProductionRestUrl}; // scheme://host[:port], no trailing slash
    bool demo = false;                        // sends x-simulated-trading: 1
    long connect_timeout_ms = 5000;
    long timeout_ms = 15000;
    int max_retries = 5;    // retries after the first attempt, for retryable errors only
    std::uint64_t seed = 1; // backoff jitter
    // Replay: answers come from this tape instead of the network (no pacing, no sleeping).
    std::shared_ptr<TapeReader> tape;
    // Recording: every answer received is written here.
    std::shared_ptr<TapeWriter> record;
    // The API key of the private endpoints (get_private); never printed, logged or taped.
    std::optional<Credentials> credentials;
};

using Query = std::vector<std::pair<std::string, std::string>>;

// A public-endpoint client. One connection, reused (HTTP keep-alive). Each request waits for
// its endpoint's token bucket (80% of OKX's published limit), then retries transient errors
// (see okx::retry_for) with exponential backoff and jitter. Not thread-safe.
class RestClient {
public:
    explicit RestClient(RestOptions options);
    ~RestClient();
    RestClient(const RestClient&) = delete;
    RestClient& operator=(const RestClient&) = delete;

    // GETs path ("/api/v5/market/candles") with query (sent in the given order, URL-encoded)
    // and returns the envelope's data array. Throws OkxError: immediately for errors that
    // retrying cannot fix, after max_retries for transient ones (exit code 5), and
    // core::Error with the interrupt exit code when SIGINT/SIGTERM arrives while waiting.
    nlohmann::json get(std::string_view path, const Query& query);

    // GETs a private endpoint ("/api/v5/account/balance"), signed with the credentials of the
    // options (protocol §3) at the clock corrected by the offset from /public/time: learned
    // before the first private request and again, with one more try, when OKX answers 50102
    // (timestamp expired). Retries and errors as get(); never taped (a replay has no account).
    // Throws core::UsageError when the options hold no credentials.
    nlohmann::json get_private(std::string_view path, const Query& query);

    // POSTs body (the exact JSON text signed and sent) to a private endpoint
    // ("/api/v5/trade/order"), signed as get_private. Not idempotent, so retried only when OKX
    // refused it unprocessed (50011, HTTP 429); after a timeout, a 5xx or a lost answer the
    // error is thrown (Retry::kBackoff or kReconcile) and only the order's state tells whether
    // it was done. An order operation's item error comes back as an OkxError with its sCode.
    // With keep_items, a batch's answer of "1" or "2" returns its items (each with its sCode)
    // instead of throwing the first failure.
    nlohmann::json post_private(std::string_view path, const std::string& body,
                                bool keep_items = false);

    // The server's clock minus this machine's, in ms, as last measured (0 before).
    [[nodiscard]] std::int64_t clock_offset_ms() const { return clock_offset_ms_; }

    // Called with every response received (request path with query, HTTP status, body),
    // e.g. to record a tape. Optional.
    std::function<void(std::string_view request, long status, std::string_view body)> on_response;

    // When the last request was about to be written to its connection (steady clock): the
    // moment it went on the wire, but for the kernel.
    [[nodiscard]] std::chrono::steady_clock::time_point last_sent_at() const;

    // Requests sent so far (including retries).
    [[nodiscard]] std::uint64_t requests() const { return requests_; }
    // True when answers come from a tape (no request is sent, no time passes).
    [[nodiscard]] bool replaying() const { return options_.tape != nullptr; }

    struct Impl; // public for libcurl's callbacks in rest.cpp

private:
    Impl* impl_;
    RestOptions options_;
    RateLimiter limiter_;
    Backoff backoff_;
    std::uint64_t requests_ = 0;
    std::int64_t clock_offset_ms_ = 0;
    bool clock_synced_ = false;

    // Measures clock_offset_ms_ from GET /api/v5/public/time (the server's time against the
    // middle of the round trip).
    void sync_clock();
    // One request (GET with extra headers), paced and retried as get() does.
    nlohmann::json send(std::string_view path, const std::string& request,
                        const std::function<std::vector<std::string>()>& headers, bool tape,
                        const std::string* post_body = nullptr, bool keep_items = false);
};

// "a=1&b=x%2Fy": the query as sent on the wire (RFC 3986 unreserved characters kept).
std::string encode_query(const Query& query);

} // namespace okxkit::okx
