// The okx module's config keys: where OKX is and how hard to try.
#include "okx/config_keys.hpp"

#include <array>

namespace okxkit::okx {

namespace {

using T = core::ConfigType;

constexpr std::array<core::ConfigKey, 6> kKeys{{
    {"okx.rest_url", T::kString, "OKX REST base URL (like --rest-url)"},
    {"okx.ws_public_url", T::kString, "OKX public WebSocket URL (like --ws-public-url)"},
    {"okx.ws_business_url", T::kString, "OKX business WebSocket URL (like --ws-business-url)"},
    {"okx.ws_private_url", T::kString,
     "OKX private WebSocket URL, or off (like execute's --ws-private-url)"},
    {"okx.demo", T::kBoolean, "use OKX demo trading (like --demo)"},
    {"okx.retries", T::kInteger,
     "retries of a REST request after transient errors (like --retries)"},
}};

} // namespace

std::span<const core::ConfigKey> config_keys() {
    return kKeys;
}

} // namespace okxkit::okx
