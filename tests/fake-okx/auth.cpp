#include "auth.hpp"

#include "core/timeutil.hpp"
#include "okx/signer.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace okxkit::fake {

namespace {

// "2020-12-08T09:08:57.715Z": the only form OK-ACCESS-TIMESTAMP takes.
bool timestamp_form(std::string_view t) {
    static constexpr std::string_view kPattern = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (t.size() != kPattern.size()) {
        return false;
    }
    for (std::size_t i = 0; i < t.size(); ++i) {
        const bool ok = kPattern[i] == 'd' ? std::isdigit(static_cast<unsigned char>(t[i])) != 0
                                           : t[i] == kPattern[i];
        if (!ok) {
            return false;
        }
    }
    return true;
}

// Compares without stopping at the first difference, as a verifier of secrets should.
bool same(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    unsigned char d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        d |= static_cast<unsigned char>(a[i] ^ b[i]);
    }
    return d == 0;
}

} // namespace

std::string header(const Headers& headers, std::string_view name) {
    for (const auto& [k, v] : headers) {
        if (k == name) {
            return v;
        }
    }
    return {};
}

std::optional<AuthFailure> check_auth(const AuthConfig& config, std::string_view method,
                                      std::string_view path_and_query, std::string_view body,
                                      const Headers& headers, std::int64_t now_ms) {
    const std::string key = header(headers, "ok-access-key");
    const std::string passphrase = header(headers, "ok-access-passphrase");
    const std::string sign = header(headers, "ok-access-sign");
    const std::string ts = header(headers, "ok-access-timestamp");
    if (key.empty()) {
        return AuthFailure{"50103", "Request header OK-ACCESS-KEY cannot be empty."};
    }
    if (passphrase.empty()) {
        return AuthFailure{"50104", "Request header OK-ACCESS-PASSPHRASE cannot be empty."};
    }
    if (sign.empty()) {
        return AuthFailure{"50106", "Request header OK-ACCESS-SIGN cannot be empty."};
    }
    if (ts.empty()) {
        return AuthFailure{"50107", "Request header OK-ACCESS-TIMESTAMP cannot be empty."};
    }
    const auto t = timestamp_form(ts) ? core::parse_time_ms(ts) : std::nullopt;
    if (!t) {
        return AuthFailure{"50112", "Invalid OK-ACCESS-TIMESTAMP"};
    }
    if (std::llabs(*t - now_ms) > config.window_ms) {
        return AuthFailure{"50102", "Timestamp request expired"};
    }
    if (!same(key, config.key)) {
        return AuthFailure{"50111", "Invalid OK-ACCESS-KEY"};
    }
    const bool simulated = header(headers, "x-simulated-trading") == "1";
    if (simulated != config.demo) {
        return AuthFailure{"50101", config.demo
                                        ? "APIKey does not match current environment "
                                          "(a demo trading key: send x-simulated-trading: 1)"
                                        : "APIKey does not match current environment "
                                          "(a live key: no x-simulated-trading)"};
    }
    if (!same(passphrase, config.passphrase)) {
        return AuthFailure{"50105", "Request header OK-ACCESS-PASSPHRASE incorrect."};
    }
    const std::string want = okx::sign_request(config.secret, ts, method, path_and_query, body);
    if (!same(sign, want)) {
        return AuthFailure{"50113", "Invalid Sign"};
    }
    return std::nullopt;
}

std::optional<AuthFailure> check_ws_login(const AuthConfig& config, std::string_view key,
                                          std::string_view passphrase, std::string_view timestamp,
                                          std::string_view sign, std::int64_t now_ms) {
    constexpr std::size_t kMaxDigits = 12; // seconds: 12 digits reach the year 33658
    const bool digits = !timestamp.empty() && timestamp.size() <= kMaxDigits &&
                        std::all_of(timestamp.begin(), timestamp.end(), [](char c) {
                            return std::isdigit(static_cast<unsigned char>(c)) != 0;
                        });
    if (!digits) {
        return AuthFailure{"60004", "Invalid timestamp"};
    }
    const std::int64_t ts_ms = std::stoll(std::string(timestamp)) * 1000;
    if (std::llabs(ts_ms - now_ms) > config.window_ms) {
        return AuthFailure{"60006", "Timestamp request expired"};
    }
    if (!same(key, config.key)) {
        return AuthFailure{"60005", "Invalid apiKey"};
    }
    if (!same(passphrase, config.passphrase)) {
        return AuthFailure{"60024", "Wrong passphrase"};
    }
    std::string prehash(timestamp);
    prehash += "GET/users/self/verify";
    if (!same(sign, okx::hmac_sha256_base64(config.secret, prehash))) {
        return AuthFailure{"60007", "Invalid sign"};
    }
    return std::nullopt;
}

} // namespace okxkit::fake
