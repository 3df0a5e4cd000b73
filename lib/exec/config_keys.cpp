// The exec module's config keys.
#include "exec/config_keys.hpp"

#include <array>

namespace okxkit::exec {

namespace {

using T = core::ConfigType;

constexpr std::array<core::ConfigKey, 11> kKeys{{
    {"execute.mode", T::kString, "paper (the default), demo or live (like --mode)"},
    {"execute.bar", T::kString, "the candles that fill orders and mark positions (like --bar)"},
    {"execute.fill_model", T::kString, "penetration or touch (like --fill-model)"},
    {"execute.cash", T::kNumber, "paper: starting cash in the quote currency (like --cash)"},
    {"execute.slippage", T::kNumber, "paper: market orders and stops pay this share (--slippage)"},
    {"execute.volume_share", T::kNumber,
     "paper: most of a bar's volume filled per instrument (like --volume-share)"},
    {"execute.breakeven_after_tp1", T::kBoolean,
     "move a bracket's stop to the entry price once its first take-profit fills"},
    {"execute.live", T::kBoolean,
     "true lets --mode live send real orders (only this file can set it)", true},
    {"execute.secrets", T::kString,
     "demo, live: the 0600 TOML file of api_key, api_secret, api_passphrase (like --secrets)"},
    {"execute.reconcile_every", T::kString,
     "demo, live: how often, in event time, the account is compared with OKX's, e.g. \"5m\" "
     "(like --reconcile-every)"},
    {"execute.dead_man", T::kInteger,
     "demo, live: OKX cancel-all-after timeout in s, 10 to 120; 0 off (like --dead-man)"},
}};

constexpr std::array<core::ConfigKey, 2> kGuardKeys{{
    {"risk_guard.sync", T::kString, "store (decide against execute's account) or none (--sync)"},
    {"risk_guard.sync_timeout", T::kString,
     "how long to wait for execute at a barrier, e.g. \"60s\" (like --sync-timeout)"},
}};

} // namespace

std::span<const core::ConfigKey> config_keys() {
    return kKeys;
}

std::span<const core::ConfigKey> risk_guard_config_keys() {
    return kGuardKeys;
}

} // namespace okxkit::exec
