// The fake server's check of OKX's private-request headers (protocol §3): the same order of
// checks and the same codes as OKX, with a real HMAC-SHA256 verification of OK-ACCESS-SIGN.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace okxkit::fake {

struct AuthConfig {
    std::string key;
    std::string secret;
    std::string passphrase;
    bool demo = true;                // the key belongs to demo trading (x-simulated-trading: 1)
    std::int64_t window_ms = 30'000; // a timestamp further than this from the clock expires
};

struct AuthFailure {
    std::string code; // "50103" ...
    std::string msg;
};

using Headers = std::vector<std::pair<std::string, std::string>>; // names lowercase

// The value of header name (lowercase) in headers, or "" when absent.
std::string header(const Headers& headers, std::string_view name);

// Checks a private request: method, the request path with its query as sent ("/api/v5/...?a=b"),
// the body as sent, its headers, against the clock now_ms. nullopt when it is authentic.
// Order: empty KEY 50103, PASSPHRASE 50104, SIGN 50106, TIMESTAMP 50107; a timestamp not in
// the form 2020-12-08T09:08:57.715Z 50112; further than window_ms from now 50102; an unknown
// key 50111; the wrong environment (x-simulated-trading against demo) 50101; a wrong
// passphrase 50105; a signature that is not base64(HMAC-SHA256(secret, timestamp + method +
// path + body)) 50113.
std::optional<AuthFailure> check_auth(const AuthConfig& config, std::string_view method,
                                      std::string_view path_and_query, std::string_view body,
                                      const Headers& headers, std::int64_t now_ms);

// Checks a WebSocket login's arg (§5.3): timestamp in seconds since the epoch, sign =
// base64(HMAC-SHA256(secret, timestamp + "GET" + "/users/self/verify")), against the clock
// now_ms (the same clock and window as check_auth). nullopt when it is authentic. Order: a
// timestamp that is not an integer 60004; further than window_ms from now 60006; an unknown
// key 60005; a wrong passphrase 60024; a wrong sign 60007.
std::optional<AuthFailure> check_ws_login(const AuthConfig& config, std::string_view key,
                                          std::string_view passphrase, std::string_view timestamp,
                                          std::string_view sign, std::int64_t now_ms);

} // namespace okxkit::fake
