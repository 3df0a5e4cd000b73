// The audit module's config keys.
#include "audit/config_keys.hpp"

#include <array>

namespace okxkit::audit {

namespace {

using T = core::ConfigType;

constexpr std::array<core::ConfigKey, 25> kKeys{{
    {"audit.backup_dir", T::kString,
     "the folder of audit backup's copies (like --dir); audit health checks its newest"},
    {"audit.backup_keep", T::kInteger, "how many copies audit backup keeps (like --keep)"},
    {"audit.notify_cmd", T::kString,
     "audit health runs it with the failing checks as JSON on its standard input"},
    {"audit.health", T::kTable, "audit health's window and thresholds"},
    {"audit.health.window", T::kString, "the window of the gap, reconnect and error checks"},
    {"audit.health.warnings_fail", T::kBoolean, "a warning fails the run (exit 1), as a failure"},
    {"audit.health.stale_warn_bars", T::kNumber, "warn when the last candle closed more bars ago"},
    {"audit.health.stale_fail_bars", T::kNumber, "fail when the last candle closed more bars ago"},
    {"audit.health.gaps_warn", T::kNumber, "warn above this many bars missing in the window"},
    {"audit.health.gaps_fail", T::kNumber, "fail above this many bars missing in the window"},
    {"audit.health.reconnects_warn", T::kNumber, "warn above this many reconnects in the window"},
    {"audit.health.reconnects_fail", T::kNumber, "fail above this many reconnects in the window"},
    {"audit.health.errors_warn", T::kNumber, "warn above this many error events in the window"},
    {"audit.health.errors_fail", T::kNumber, "fail above this many error events in the window"},
    {"audit.health.model_age_warn_days", T::kNumber, "warn when the champion model is older"},
    {"audit.health.model_age_fail_days", T::kNumber, "fail when the champion model is older"},
    {"audit.health.skill_warn", T::kNumber,
     "warn when the champion's lower AUC bound is below this"},
    {"audit.health.skill_fail", T::kNumber,
     "fail when the champion's lower AUC bound is below this"},
    {"audit.health.limit_warn_share", T::kNumber,
     "warn when exposure, drawdown, a position or open orders pass this share of its limit"},
    {"audit.health.disk_warn_mb", T::kNumber, "warn below this much free disk beside the store"},
    {"audit.health.disk_fail_mb", T::kNumber, "fail below this much free disk beside the store"},
    {"audit.health.backup_warn_hours", T::kNumber, "warn when the newest backup is older"},
    {"audit.health.backup_fail_hours", T::kNumber, "fail when the newest backup is older"},
    {"audit.listen", T::kString, "audit metrics --listen: HOST:PORT, or PORT on 127.0.0.1"},
    {"audit.notify_timeout", T::kInteger, "seconds the notify command may take"},
}};

} // namespace

std::span<const core::ConfigKey> config_keys() {
    return kKeys;
}

} // namespace okxkit::audit
