// OKX v5 request signing: HMAC-SHA256 over timestamp + method + path + body, base64-encoded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace okxkit::okx {

// The OK-ACCESS-TIMESTAMP form of a time: ISO-8601 UTC with exactly three millisecond
// digits, e.g. "2020-12-08T09:08:57.715Z".
std::string access_timestamp(std::int64_t ms);

// Standard base64 (with padding) of bytes.
std::string base64(std::string_view bytes);

// base64(HMAC-SHA256(secret, prehash)); the secret's bytes are the key as they are.
std::string hmac_sha256_base64(std::string_view secret, std::string_view prehash);

// The OK-ACCESS-SIGN value for a REST request: prehash = timestamp + METHOD + request_path
// (from "/api/v5/", with "?query" exactly as sent) + body ("" for GET). O(size of the request).
std::string sign_request(std::string_view secret, std::string_view timestamp,
                         std::string_view method, std::string_view request_path,
                         std::string_view body);

} // namespace okxkit::okx
