// The OKX REST response envelope {code, msg, data} and the mapping of OKX codes to errors.
#pragma once

#include "core/error.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace okxkit::okx {

// What a client should do about an OKX error code (okx-v5-protocol.md §6.2, §6.3).
enum class Retry {
    kNo,         // business rejection, parameter or auth error: retrying cannot help
    kBackoff,    // transient: 50001 50005 50011 50013 50026, HTTP 429/5xx, network errors
    kReconcile,  // outcome unknown (50004, 51149): query the order before any resend
    kResyncTime, // 50102: resync the clock offset from /public/time, then retry once
};

Retry retry_for(std::string_view code, long http_status);

// An error answered by OKX (or the transport). code is OKX's code ("50011"), or "" for a
// transport failure; http_status 0 when no response arrived. Exit code 5 (service
// unavailable) for retryable errors, 1 otherwise. The message never contains credentials.
class OkxError : public core::Error {
public:
    OkxError(std::string code, std::string msg, long http_status, std::string endpoint);
    [[nodiscard]] const std::string& okx_code() const { return code_; }
    [[nodiscard]] const std::string& okx_msg() const { return msg_; }
    [[nodiscard]] long http_status() const { return http_status_; }
    [[nodiscard]] Retry retry() const { return retry_for(code_, http_status_); }

private:
    std::string code_;
    std::string msg_;
    long http_status_;
};

// Parses a REST body and returns its "data" array. Throws OkxError when the body is not a
// JSON object, when code != "0", or when data is missing where it must be; the error names
// endpoint, code and msg. Per-item sCode/sMsg are left for the caller (see item_error).
// With keep_items, an order operation's "1" (all failed) or "2" (some failed) that carries
// its items returns them too, for a batch whose items each have their own outcome.
nlohmann::json parse_envelope(std::string_view body, long http_status, std::string_view endpoint,
                              bool keep_items = false);

// For endpoints whose items carry sCode/sMsg: the error of one item, or nullopt when "0".
std::optional<OkxError> item_error(const nlohmann::json& item, std::string_view endpoint);

} // namespace okxkit::okx
