// Parsing the OKX REST envelope and classifying OKX error codes (okx-v5-protocol.md §0, §6.2).
#include "okx/envelope.hpp"

#include "core/json_scan.hpp"
#include "core/message.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace okxkit::okx {
namespace {

// "okx GET /api/v5/market/candles: 50011 Too Many Requests (HTTP 429)".
std::string error_text(const std::string& code, const std::string& msg, long http_status,
                       const std::string& endpoint) {
    std::string text = "okx";
    if (!endpoint.empty()) {
        text += ' ';
        text += endpoint;
    }
    text += ": ";
    // Both come from the wire: a code longer than OKX's (5 digits) is quoted as an excerpt,
    // a message clipped.
    const bool plain_code = code.size() <= 16 && std::all_of(code.begin(), code.end(), [](char c) {
                                return c >= '0' && c <= '9';
                            });
    text += plain_code ? code : core::excerpt(code, 16);
    if (!code.empty() && !msg.empty()) {
        text += ' ';
    }
    text += core::clip(msg, 300);
    if (code.empty() && msg.empty()) {
        text += "request failed";
    }
    text += http_status == 0 ? " (no response)" : " (HTTP " + std::to_string(http_status) + ")";
    return text;
}

core::Exit exit_for(const std::string& code, long http_status) {
    return retry_for(code, http_status) == Retry::kBackoff ? core::Exit::kUnavailable
                                                           : core::Exit::kRuntime;
}

// sCode as text; OKX sends a string, but tolerate a number.
std::optional<std::string> item_code(const nlohmann::json& item) {
    if (!item.is_object()) {
        return std::nullopt;
    }
    const auto it = item.find("sCode");
    if (it == item.end()) {
        return std::nullopt;
    }
    if (it->is_string()) {
        return it->get<std::string>();
    }
    if (it->is_number_integer()) {
        return it->dump();
    }
    return std::nullopt;
}

std::string string_field(const nlohmann::json& object, const char* name) {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

Retry retry_for(std::string_view code, long http_status) {
    // Checked before the HTTP status: 51149 arrives as HTTP 500, and an order whose outcome
    // is unknown must be looked up, not resent blindly (§6.3 item 3).
    if (code == "50004" || code == "51149") {
        return Retry::kReconcile;
    }
    if (code == "50102") {
        return Retry::kResyncTime;
    }
    static constexpr std::array<std::string_view, 5> kTransient = {"50001", "50005", "50011",
                                                                   "50013", "50026"};
    for (const std::string_view transient : kTransient) {
        if (code == transient) {
            return Retry::kBackoff;
        }
    }
    if (http_status == 429 || http_status >= 500) {
        return Retry::kBackoff;
    }
    // No code and no response: the request never got an answer (connect, TLS, timeout).
    if (code.empty() && http_status == 0) {
        return Retry::kBackoff;
    }
    return Retry::kNo;
}

// endpoint is by value as declared in the header; it only feeds the message.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
OkxError::OkxError(std::string code, std::string msg, long http_status, std::string endpoint)
    : core::Error(exit_for(code, http_status), error_text(code, msg, http_status, endpoint)),
      code_(std::move(code)), msg_(std::move(msg)), http_status_(http_status) {}

nlohmann::json parse_envelope(std::string_view body, long http_status, std::string_view endpoint,
                              bool keep_items) {
    const std::string where(endpoint);
    nlohmann::json doc = core::parse_json(body);
    if (doc.is_discarded()) {
        throw OkxError("", "response is not JSON", http_status, where);
    }
    if (!doc.is_object()) {
        throw OkxError("", "response is not a JSON object", http_status, where);
    }
    const auto code_it = doc.find("code");
    if (code_it == doc.end() || !code_it->is_string()) {
        throw OkxError("", "response has no string \"code\"", http_status, where);
    }
    const auto code = code_it->get<std::string>();
    const auto data_it = doc.find("data");
    const bool has_data = data_it != doc.end() && data_it->is_array();
    if (code != "0") {
        // Order operations answer "1" (all failed) or "2" (some failed) with an empty msg;
        // the reason is in the items' sCode/sMsg (§0, result rules), so report the first one.
        if (has_data && (code == "1" || code == "2")) {
            if (keep_items && !data_it->empty() &&
                std::all_of(data_it->begin(), data_it->end(), [](const nlohmann::json& item) {
                    return item_code(item).has_value();
                })) {
                return std::move(*data_it);
            }
            for (const auto& item : *data_it) {
                const auto item_c = item_code(item);
                if (item_c && *item_c != "0") {
                    throw OkxError(*item_c, string_field(item, "sMsg"), http_status, where);
                }
            }
        }
        throw OkxError(code, string_field(doc, "msg"), http_status, where);
    }
    if (!has_data) {
        throw OkxError("", "response with code 0 has no \"data\" array", http_status, where);
    }
    return std::move(*data_it);
}

std::optional<OkxError> item_error(const nlohmann::json& item, std::string_view endpoint) {
    const auto code = item_code(item);
    if (!code || *code == "0") {
        return std::nullopt;
    }
    // Items only exist in an answer that parse_envelope accepted, i.e. HTTP 200 from OKX.
    return OkxError(*code, string_field(item, "sMsg"), 200, std::string(endpoint));
}

} // namespace okxkit::okx
