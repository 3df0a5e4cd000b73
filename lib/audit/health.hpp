// audit health: what is wrong with the system now, as checks that pass, warn or fail, each
// with the value it measured and the thresholds it measured against.
#pragma once

#include "risk/risk.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace okxkit::store {
class Store;
}

namespace okxkit::audit {

enum class Status { kPass, kWarn, kFail };
std::string_view status_name(Status s); // "pass", "warn", "fail"

struct Check {
    std::string name;    // freshness, gaps, reconnects, errors, model_age, model_skill, drift,
                         // strategy, exposure, position, open_orders, drawdown, halted,
                         // integrity, disk, backup, notify
    std::string subject; // what it is about: "BTC-USDT 1m", "run paper", "" for the store
    Status status = Status::kPass;
    std::optional<double> value;
    std::string unit;           // "s", "bars", "events", "h", "d", "MB", "x equity", ""
    std::optional<double> warn; // thresholds; a value past one of them warns or fails
    std::optional<double> fail;
    bool higher_is_worse = true; // the direction the thresholds bound
    std::string detail;          // in words, with what to do when it is not a pass
};

// The thresholds, from [audit.health] in the config (see okxkit-config(5)).
struct Thresholds {
    double stale_warn_bars = 2; // the last candle closed more than this many bars ago
    double stale_fail_bars = 5;
    double gaps_warn = 0; // bars missing in the window
    double gaps_fail = 10;
    double reconnects_warn = 3; // WebSocket reconnects in the window
    double reconnects_fail = 20;
    double errors_warn = 0; // error events in the window
    double errors_fail = 10;
    double model_age_warn_days = 7; // since the champion model was trained
    double model_age_fail_days = 30;
    double skill_warn = 0.52; // the champion's lower AUC bound; below 0.5 is no skill
    double skill_fail = 0.5;
    double limit_warn_share = 0.8; // a value above this share of its risk limit warns
    double disk_warn_mb = 1024;    // free space beside the store
    double disk_fail_mb = 100;
    double backup_warn_hours = 26; // since the newest copy in audit.backup_dir
    double backup_fail_hours = 72;
};

struct HealthInput {
    std::int64_t now_ms = 0;
    std::int64_t window_ms = 86'400'000; // of the gap, reconnect and error checks
    std::vector<std::string> insts;      // empty: every instrument with candles
    std::string bar;                     // empty: every bar stored
    std::string run = "default";         // whose portfolio is checked against limits
    std::string store_path;              // for the free disk beside it
    std::string backup_dir;              // empty: not configured (the check warns)
    risk::Limits limits;
    std::map<std::string, risk::Limits, std::less<>> per_inst;
    Thresholds t;
};

// Every check, in a stable order: the series' checks (freshness, gaps, model, drift) by
// instrument and bar, the strategies by instrument, the run's portfolio, then the feed's
// events, the store's integrity, the disk and the backups.
std::vector<Check> health_checks(store::Store& st, const HealthInput& in);

// Whether a run is halted now: its last halt or resume event in the store decides (a
// daily-loss halt lifts at the next UTC day under Resume::kNextDay); with none, the flag of its
// last snapshot. since, code and detail describe the halt that holds it.
struct Halt {
    bool halted = false;
    std::optional<std::int64_t> since;
    std::string code;
    std::string detail;
};
Halt halt_state(store::Store& st, const std::string& run, bool snapshot_halted, std::int64_t now_ms,
                risk::Resume resume);

// The status of a value against thresholds (pass when no threshold is set).
Status grade(double value, std::optional<double> warn, std::optional<double> fail,
             bool higher_is_worse);

// One line of text for a check: "FAIL  freshness  BTC-USDT 1m: 3,600 s (warn above 120 s, fail
// above 300 s); the last candle closed at ...".
std::string check_text(const Check& c);

} // namespace okxkit::audit
