#include "audit/audit_tool.hpp"

#include "audit/backup.hpp"
#include "audit/config_keys.hpp"
#include "audit/gaps.hpp"
#include "audit/health.hpp"
#include "audit/metrics.hpp"
#include "audit/notify.hpp"
#include "audit/reconcile.hpp"
#include "audit/report.hpp"
#include "audit/serve.hpp"
#include "core/cli.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/timeutil.hpp"
#include "risk/config_keys.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace okxkit::audit {

namespace {

using core::OptType;

// Wall time: it names a backup and the copy of a store a restore replaces, and decides
// nothing about the data.
std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

const core::OptionSpec kFormat{"format",
                               0,
                               OptType::kString,
                               "FORMAT",
                               "text (one line for people) or json (one object)",
                               "text",
                               {},
                               {},
                               {},
                               "text|json"};

const core::OptionSpec kReportFormat{
    "format",
    0,
    OptType::kString,
    "FORMAT",
    "text (a table), json (one object), markdown, or html (one page with charts); auto: text on "
    "a terminal, else json",
    "auto",
    {},
    {},
    {},
    "auto|text|json|markdown|html"};

void add_common(core::ToolSpec& spec, const core::OptionSpec& format = kFormat) {
    spec.options.push_back(format);
    for (auto set : {core::store_options(), core::common_options()}) {
        spec.options.insert(spec.options.end(), set.begin(), set.end());
    }
    spec.config_keys = {{"audit", config_keys()}};
}

std::string thousands(std::int64_t v) {
    std::string digits = std::to_string(v < 0 ? -v : v);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return v < 0 ? "-" + out : out;
}

nlohmann::json tables_json(const CopyCheck& c) {
    nlohmann::json t = nlohmann::json::object();
    for (const TableRows& r : c.tables) {
        t[r.table] = r.rows;
    }
    return t;
}

void print(const std::string& text) {
    std::cout << text << '\n' << std::flush;
    if (!std::cout) {
        throw core::RuntimeError("cannot write output");
    }
}

// --- audit backup --------------------------------------------------------------------------

core::ToolSpec make_backup_spec() {
    core::ToolSpec spec{
        "audit backup",
        "a verified copy of the store, taken while the tools keep writing",
        "audit backup DIR [--keep N] [--store FILE] [--format text|json]",
        "Copies the store with SQLite's online backup API into DIR as\n"
        "okxkit-YYYYMMDDTHHMMSSZ.db, checks the copy (PRAGMA integrity_check), restores it\n"
        "into a scratch file and compares every table's rows, and only then gives it its name;\n"
        "then keeps the newest N copies of DIR. Prints the copy's path and what was checked.\n"
        "Example (cron, daily): 15 3 * * * audit backup ~/okxkit-backups --keep 14\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"dir",
         0,
         OptType::kPath,
         "DIR",
         "the folder of the copies (made if missing)",
         {},
         "audit.backup_dir"},
        {"keep",
         0,
         OptType::kInt,
         "N",
         "copies kept in DIR: the newest N",
         "7",
         "audit.backup_keep",
         {},
         {},
         {},
         1,
         100000},
    };
    spec.options.assign(std::begin(own), std::end(own));
    add_common(spec);
    spec.positional = "dir";
    return spec;
}

int backup_main(const core::Options& o) {
    if (!o.has("dir")) {
        throw core::UsageError("which folder? audit backup DIR (or audit.backup_dir in the "
                               "config)");
    }
    const std::string store_path = o.has("store") ? o.str("store") : store::default_store_path();
    const BackupReport r =
        backup(store_path, o.str("dir"), static_cast<int>(o.integer("keep")), wall_ms());
    if (o.str("format") == "json") {
        nlohmann::json j = {{"path", r.path},
                            {"store", store_path},
                            {"bytes", r.check.bytes},
                            {"schema_version", r.check.schema_version},
                            {"integrity", "ok"},
                            {"test_restore", "ok"},
                            {"tables", tables_json(r.check)},
                            {"removed", r.removed}};
        print(j.dump());
    } else {
        std::string line = r.path + ": " + thousands(r.check.bytes) + " bytes, schema " +
                           std::to_string(r.check.schema_version) + ", " +
                           std::to_string(r.check.tables.size()) + " tables, " +
                           thousands(r.check.total_rows()) + " rows; integrity ok, test restore ok";
        if (!r.removed.empty()) {
            line += "; removed " + std::to_string(r.removed.size()) + " older";
        }
        print(line);
    }
    for (const std::string& p : r.removed) {
        core::Log::note("removed " + p + " (--keep " + std::to_string(o.integer("keep")) + ")");
    }
    return 0;
}

// --- audit restore -------------------------------------------------------------------------

core::ToolSpec make_restore_spec() {
    core::ToolSpec spec{
        "audit restore",
        "the store replaced by a copy that audit backup made",
        "audit restore FILE [--store FILE] [--force] [--format text|json]",
        "Checks the copy (integrity, an okxkit store no newer than this build), then writes it\n"
        "into the store. An existing store is replaced only with --force, and is first copied\n"
        "beside itself as STORE.pre-restore-YYYYMMDDTHHMMSSZ.db. Stop the pipeline first: the\n"
        "tools must not write to a store while it is being replaced.\n"
        "Example: audit restore ~/okxkit-backups/okxkit-20261204T031500Z.db --force\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"from", 0, OptType::kPath, "FILE", "the copy to restore (made by audit backup)"},
        {"force", 0, OptType::kFlag, "", "replace an existing store (after copying it aside)"},
    };
    spec.options.assign(std::begin(own), std::end(own));
    add_common(spec);
    spec.positional = "from";
    return spec;
}

int restore_main(const core::Options& o) {
    if (!o.has("from")) {
        throw core::UsageError("which copy? audit restore FILE (see audit backup)");
    }
    const std::string store_path = o.has("store") ? o.str("store") : store::default_store_path();
    const RestoreReport r = restore(o.str("from"), store_path, o.flag("force"), wall_ms());
    if (o.str("format") == "json") {
        nlohmann::json j = {{"store", store_path},
                            {"from", o.str("from")},
                            {"schema_version", r.check.schema_version},
                            {"tables", tables_json(r.check)},
                            {"kept", r.kept.empty() ? nlohmann::json() : nlohmann::json(r.kept)}};
        print(j.dump());
    } else {
        std::string line = store_path + ": restored from " + o.str("from") + " (" +
                           std::to_string(r.check.tables.size()) + " tables, " +
                           thousands(r.check.total_rows()) + " rows)";
        if (!r.kept.empty()) {
            line += "; the store it replaced is " + r.kept;
        }
        print(line);
    }
    return 0;
}

// --- audit report --------------------------------------------------------------------------

core::ToolSpec make_report_spec() {
    core::ToolSpec spec{
        "audit report",
        "a run's performance: returns, risk, trades, attribution, switches",
        "audit report [--run NAME] [--from TIME] [--to TIME] [--store FILE]\n"
        "                    [--format auto|text|json|markdown|html]",
        "Reads what execute stored for the run (its portfolio snapshots and fills) and\n"
        "select-strategy's strategy switches, and reports the total return, CAGR, Sharpe and\n"
        "Sortino (annualised for the bar over 365-day years), the maximum drawdown and its\n"
        "duration, Calmar, exposure time, turnover, fees, trades (round trips: win rate, profit\n"
        "factor, expectancy), P&L by symbol and by strategy, monthly returns and the switches.\n"
        "A run filled under the optimistic touch model says so at the top and the bottom.\n"
        "--from and --to report a part of the run: its returns from the equity at the first\n"
        "snapshot inside; a position bought before the range leaves its sells out of the trades.\n"
        "Example: audit report --run backtest-2021-04 --format markdown > report.md\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"from", 0, OptType::kTime, "TIME", "only the run from this time (default: its start)"},
        {"to", 0, OptType::kTime, "TIME", "only the run up to this time (default: its end)"},
    };
    spec.options.assign(std::begin(own), std::end(own));
    add_common(spec, kReportFormat);
    for (const core::OptionSpec& o : core::run_options()) {
        spec.options.insert(spec.options.begin(), o);
    }
    return spec;
}

int report_main(const core::Options& o) {
    const std::string store_path = o.has("store") ? o.str("store") : store::default_store_path();
    store::Store::Options so;
    so.read_only = true;
    so.create = false;
    so.fill_hint = "a paper run: okx-stream ... | risk-guard | execute --store FILE";
    store::Store st(store_path, so);
    const std::int64_t from =
        o.has("from") ? *o.time_ms("from") : std::numeric_limits<std::int64_t>::min();
    const std::int64_t to =
        o.has("to") ? *o.time_ms("to") : std::numeric_limits<std::int64_t>::max();
    if (from > to) {
        throw core::UsageError("--from is after --to");
    }
    const RunData d = load_run(st, o.str("run"), from, to);
    const Performance p = analyse(d.curve, d.bar_ms, d.fills);
    std::string format = o.str("format");
    if (format == "auto") {
        format = ::isatty(STDOUT_FILENO) != 0 ? "text" : "json";
    }
    std::string out;
    if (format == "json") {
        out = render_json(d, p);
    } else if (format == "markdown") {
        out = render_markdown(d, p);
    } else if (format == "html") {
        out = render_html(d, p);
    } else {
        out = render_text(d, p);
    }
    if (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    print(out);
    if (d.optimistic()) {
        core::Log::warning("run " + d.run +
                           " filled under the touch model: its results are optimistic");
    }
    return 0;
}

// --- audit reconcile -----------------------------------------------------------------------

core::ToolSpec make_reconcile_spec() {
    core::ToolSpec spec{
        "audit reconcile",
        "a run's orders, fills and positions checked against each other",
        "audit reconcile [--run NAME] [--store FILE] [--format text|json]",
        "Recomputes the run's positions from its fills (size, average price, realised P&L,\n"
        "fees) and compares them with the stored ones; checks that every fill belongs to a\n"
        "stored order on its instrument and side, and that each order's filled size is the sum\n"
        "of its fills. Prints each check with pass or fail and the differences; exits 1 when a\n"
        "check fails.\n"
        "Example (cron, hourly): 0 * * * * audit reconcile --run live || mail -s okxkit me\n",
        {},
    };
    spec.options.clear();
    add_common(spec);
    for (const core::OptionSpec& o : core::run_options()) {
        spec.options.insert(spec.options.begin(), o);
    }
    return spec;
}

int reconcile_main(const core::Options& o) {
    const std::string store_path = o.has("store") ? o.str("store") : store::default_store_path();
    store::Store::Options so;
    so.read_only = true;
    so.create = false;
    store::Store st(store_path, so);
    const Reconciliation r = reconcile(st, o.str("run"));
    if (o.str("format") == "json") {
        nlohmann::json checks = nlohmann::json::array();
        for (const ReconcileCheck& c : r.checks) {
            checks.push_back({{"check", c.name},
                              {"status", c.pass ? "pass" : "fail"},
                              {"detail", c.detail},
                              {"differences", c.count},
                              {"shown", c.differences}});
        }
        print(nlohmann::json{{"run", r.run},
                             {"status", r.pass() ? "pass" : "fail"},
                             {"fills", r.fills},
                             {"orders", r.orders},
                             {"positions", r.positions},
                             {"checks", checks}}
                  .dump());
    } else {
        std::string out = "reconcile run " + r.run + ": " + (r.pass() ? "pass" : "FAIL");
        for (const ReconcileCheck& c : r.checks) {
            out += "\n  ";
            out += c.pass ? "pass  " : "FAIL  ";
            out += c.detail;
            if (!c.pass) {
                out += " (" + std::to_string(c.count) + " differences)";
            }
            for (const std::string& d : c.differences) {
                out += "\n        " + d;
            }
            if (c.count > static_cast<std::int64_t>(c.differences.size())) {
                out += "\n        ... " +
                       std::to_string(c.count - static_cast<std::int64_t>(c.differences.size())) +
                       " more";
            }
        }
        print(out);
    }
    return r.pass() ? 0 : 1;
}

// --- audit gaps ----------------------------------------------------------------------------

core::ToolSpec make_gaps_spec() {
    core::ToolSpec spec{
        "audit gaps",
        "the holes in the stored candles of each instrument and bar",
        "audit gaps [--inst INSTS] [--bar BAR] [--store FILE] [--format text|json]",
        "Walks the stored candles of each instrument and bar in time order: a candle more than\n"
        "one bar after the one before leaves the bars between missing. Prints each series with\n"
        "its candles, first and last, bars missing and its holes (the first 20 in text).\n"
        "Example: audit gaps --inst BTC-USDT --bar 1m\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"inst", 0, OptType::kInsts, "INSTS", "only these instruments (default: every one stored)"},
        {"bar", 0, OptType::kBar, "BAR", "only this bar (default: every one stored)"},
    };
    spec.options.assign(std::begin(own), std::end(own));
    add_common(spec);
    return spec;
}

int gaps_main(const core::Options& o) {
    const std::string store_path = o.has("store") ? o.str("store") : store::default_store_path();
    store::Store::Options so;
    so.read_only = true;
    so.create = false;
    so.fill_hint = "okx-stream --store FILE";
    store::Store st(store_path, so);
    const std::vector<std::string> insts =
        o.has("inst") ? o.strs("inst") : std::vector<std::string>{};
    const std::string bar = o.has("bar") ? std::string(o.bar("bar")->name) : std::string();
    const std::vector<Series> all = find_gaps(st, insts, bar);
    if (o.str("format") == "json") {
        nlohmann::json series = nlohmann::json::array();
        for (const Series& s : all) {
            nlohmann::json holes = nlohmann::json::array();
            for (const Hole& h : s.holes) {
                holes.push_back({{"from", h.from}, {"to", h.to}, {"missing", h.missing}});
            }
            series.push_back({{"inst", s.inst},
                              {"bar", s.bar},
                              {"candles", s.candles},
                              {"first", s.first},
                              {"last", s.last},
                              {"missing", s.missing},
                              {"holes", holes}});
        }
        print(nlohmann::json{{"series", series}}.dump());
        return 0;
    }
    if (all.empty()) {
        print("no stored candles" +
              std::string(insts.empty() && bar.empty() ? "" : " of those instruments and bar"));
        return 0;
    }
    std::string out;
    for (const Series& s : all) {
        out += s.inst + " " + s.bar + ": " + thousands(s.candles) + " candles, " +
               core::format_iso_ms(s.first) + " to " + core::format_iso_ms(s.last) + ", ";
        out += s.holes.empty() ? std::string("no gap")
                               : thousands(s.missing) + " bars missing in " +
                                     thousands(static_cast<std::int64_t>(s.holes.size())) +
                                     (s.holes.size() == 1 ? " hole" : " holes");
        out += '\n';
        for (std::size_t i = 0; i < s.holes.size() && i < 20; ++i) {
            const Hole& h = s.holes[i];
            out += "  " + core::format_iso_ms(h.from) + " to " + core::format_iso_ms(h.to) + ": " +
                   thousands(h.missing) + " missing\n";
        }
        if (s.holes.size() > 20) {
            out += "  ... " + std::to_string(s.holes.size() - 20) + " more (--format json)\n";
        }
    }
    out.pop_back();
    print(out);
    return 0;
}

// --- audit health --------------------------------------------------------------------------

core::ToolSpec make_health_spec() {
    core::ToolSpec spec{
        "audit health",
        "checks that pass, warn or fail: data, feed, models, strategies, risk, store, backups",
        "audit health [--inst INSTS] [--bar BAR] [--run NAME] [--window DURATION] [--now TIME]\n"
        "                    [--backup-dir DIR] [--warnings-fail] [--notify-cmd CMD] [--store "
        "FILE]\n"
        "                    [--format text|json]",
        "Checks, each with the value it measured and its thresholds ([audit.health] in the\n"
        "config): the age of each series' last candle, bars missing in the window, WebSocket\n"
        "reconnects and error events in the window, each champion model's age, skill and drift\n"
        "alarm, a strategy assigned to each instrument in the run, the run's exposure, drawdown,\n"
        "positions and open orders against the [risk] limits, the kill switch, PRAGMA\n"
        "integrity_check, free disk beside the store and the age of the newest backup.\n"
        "Exits 0 when nothing fails, 1 when a check fails (or warns, with --warnings-fail).\n"
        "With --notify-cmd, a failing run also pipes the failing checks as one JSON object into\n"
        "`sh -c CMD`; a notifier that fails is reported as a failing check of its own.\n"
        "Example (cron, hourly): 0 * * * * audit health --run live --notify-cmd 'mail -s okxkit "
        "me'\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"inst", 0, OptType::kInsts, "INSTS", "only these instruments (default: every one stored)"},
        {"bar", 0, OptType::kBar, "BAR", "only this bar (default: every one stored)"},
        {"window", 0, OptType::kDuration, "DURATION",
         "the window of the gap, reconnect and error checks", "24h", "audit.health.window"},
        {"now", 0, OptType::kTime, "TIME",
         "the time the checks are made at (default: the clock; for tests and replays)"},
        {"backup-dir",
         0,
         OptType::kPath,
         "DIR",
         "the folder of audit backup's copies",
         {},
         "audit.backup_dir"},
        {"warnings-fail",
         0,
         OptType::kFlag,
         "",
         "a warning fails the run too (exit 1)",
         {},
         "audit.health.warnings_fail"},
        {"notify-cmd",
         0,
         OptType::kString,
         "CMD",
         "on failure, run `sh -c CMD` with the failing checks as JSON on its standard input",
         {},
         "audit.notify_cmd"},
        {"notify-timeout",
         0,
         OptType::kInt,
         "SECONDS",
         "the notify command is killed and reported after this long",
         "60",
         "audit.notify_timeout",
         {},
         {},
         {},
         1,
         86400},
    };
    spec.options.assign(std::begin(own), std::end(own));
    for (const core::OptionSpec& o : core::run_options()) {
        spec.options.push_back(o);
    }
    add_common(spec);
    spec.config_keys = {{"audit", config_keys()}, {"risk", risk::config_keys()}};
    return spec;
}

Thresholds thresholds_from(const core::ConfigNode& root) {
    Thresholds t;
    const core::ConfigNode h = root.table("audit").table("health");
    const auto get = [&](std::string_view key, double& v) {
        if (auto x = h.number(key)) {
            if (!std::isfinite(*x)) {
                throw core::UsageError(h.where() + ": key \"" + std::string(key) +
                                       "\" must be a finite number");
            }
            v = *x;
        }
    };
    get("stale_warn_bars", t.stale_warn_bars);
    get("stale_fail_bars", t.stale_fail_bars);
    get("gaps_warn", t.gaps_warn);
    get("gaps_fail", t.gaps_fail);
    get("reconnects_warn", t.reconnects_warn);
    get("reconnects_fail", t.reconnects_fail);
    get("errors_warn", t.errors_warn);
    get("errors_fail", t.errors_fail);
    get("model_age_warn_days", t.model_age_warn_days);
    get("model_age_fail_days", t.model_age_fail_days);
    get("skill_warn", t.skill_warn);
    get("skill_fail", t.skill_fail);
    get("limit_warn_share", t.limit_warn_share);
    get("disk_warn_mb", t.disk_warn_mb);
    get("disk_fail_mb", t.disk_fail_mb);
    get("backup_warn_hours", t.backup_warn_hours);
    get("backup_fail_hours", t.backup_fail_hours);
    return t;
}

nlohmann::json check_json(const Check& c) {
    const auto opt = [](std::optional<double> v) {
        return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json();
    };
    return {{"check", c.name},
            {"subject", c.subject},
            {"status", status_name(c.status)},
            {"value", opt(c.value)},
            {"unit", c.unit},
            {"warn", opt(c.warn)},
            {"fail", opt(c.fail)},
            {"worse", c.higher_is_worse ? "above" : "below"},
            {"detail", c.detail}};
}

int health_main(const core::Options& o) {
    const std::string store_path = o.has("store") ? o.str("store") : store::default_store_path();
    store::Store::Options so;
    so.read_only = true;
    so.create = false;
    store::Store st(store_path, so);
    HealthInput in;
    in.now_ms = o.has("now") ? *o.time_ms("now") : wall_ms();
    in.window_ms = *o.duration_ms("window");
    if (o.has("inst")) {
        in.insts = o.strs("inst");
    }
    if (o.has("bar")) {
        in.bar = std::string(o.bar("bar")->name);
    }
    in.run = o.str("run");
    in.store_path = store_path;
    in.backup_dir = o.has("backup-dir") ? o.str("backup-dir") : std::string();
    const core::ConfigNode root = o.config().root();
    const risk::ConfiguredLimits limits = risk::limits_from(root);
    in.limits = limits.global;
    in.per_inst = limits.per_inst;
    in.t = thresholds_from(root);
    std::vector<Check> checks = health_checks(st, in);

    const bool warnings_fail = o.flag("warnings-fail");
    const auto failing = [&](const Check& c) {
        return c.status == Status::kFail || (warnings_fail && c.status == Status::kWarn);
    };
    const auto summary = [&](const std::vector<Check>& all) {
        std::array<int, 3> n{};
        for (const Check& c : all) {
            ++n[static_cast<std::size_t>(c.status)];
        }
        return n;
    };
    bool failed = std::any_of(checks.begin(), checks.end(), failing);
    if (failed && o.has("notify-cmd")) {
        nlohmann::json bad = nlohmann::json::array();
        for (const Check& c : checks) {
            if (failing(c)) {
                bad.push_back(check_json(c));
            }
        }
        const nlohmann::json doc = {{"tool", "audit health"},
                                    {"store", store_path},
                                    {"run", in.run},
                                    {"now", in.now_ms},
                                    {"now_iso", core::format_iso_ms(in.now_ms)},
                                    {"status", "fail"},
                                    {"failing", bad}};
        const NotifyResult r = notify(o.str("notify-cmd"), doc.dump() + "\n",
                                      static_cast<int>(o.integer("notify-timeout")));
        Check c;
        c.name = "notify";
        c.status = r.ok ? Status::kPass : Status::kFail;
        c.detail = r.ok ? "the notify command took the failing checks"
                        : "the notify command " + r.what + ": nobody was told of the failures";
        if (!r.ok) {
            core::Log::error("--notify-cmd " + r.what + ": the failing checks were not sent");
        }
        checks.push_back(std::move(c));
    }
    const std::array<int, 3> n = summary(checks);
    failed = std::any_of(checks.begin(), checks.end(), failing);
    if (o.str("format") == "json") {
        nlohmann::json all = nlohmann::json::array();
        for (const Check& c : checks) {
            all.push_back(check_json(c));
        }
        print(nlohmann::json{
            {"status", failed ? "fail" : (n[1] > 0 ? "warn" : "pass")},
            {"now", in.now_ms},
            {"store", store_path},
            {"run", in.run},
            {"pass", n[0]},
            {"warn", n[1]},
            {"fail", n[2]},
            {"checks",
             all}}.dump());
    } else {
        std::string out = "audit health at " + core::format_iso_ms(in.now_ms) + ": " +
                          (failed ? "FAIL" : (n[1] > 0 ? "pass with warnings" : "pass")) + " (" +
                          std::to_string(n[2]) + " fail, " + std::to_string(n[1]) + " warn, " +
                          std::to_string(n[0]) + " pass)";
        for (const Check& c : checks) {
            out += "\n  " + check_text(c);
        }
        print(out);
    }
    return failed ? 1 : 0;
}

// --- audit metrics -------------------------------------------------------------------------

core::ToolSpec make_metrics_spec() {
    core::ToolSpec spec{
        "audit metrics",
        "the store's state as Prometheus metrics, for node_exporter or a scrape",
        "audit metrics [--prometheus FILE | --listen [HOST:]PORT] [--now TIME] [--store FILE]",
        "Writes the metrics in Prometheus' text format: candle age and missing bars per\n"
        "instrument and bar; equity, P&L, drawdown, exposures, halted, open orders, fills per\n"
        "run; feed reconnects and error events; the age of each champion model. With\n"
        "--prometheus FILE, into FILE atomically (a temporary file renamed over it), for\n"
        "node_exporter's textfile collector; with --listen, served over HTTP at /metrics (on\n"
        "127.0.0.1 unless a host is given), each scrape reading the store afresh; else on\n"
        "standard output.\n"
        "Example (cron, every minute): * * * * * audit metrics --prometheus "
        "/var/lib/node_exporter/textfile_collector/okxkit.prom\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"prometheus", 0, OptType::kPath, "FILE",
         "write the metrics into FILE, atomically (default: standard output)"},
        {"now", 0, OptType::kTime, "TIME",
         "the time the ages are measured at (default: the clock; for tests and replays)"},
        {"listen",
         0,
         OptType::kString,
         "HOST:PORT",
         "serve the metrics over HTTP at /metrics until stopped (PORT alone: on 127.0.0.1)",
         {},
         "audit.listen"},
    };
    spec.options.assign(std::begin(own), std::end(own));
    for (auto set : {core::store_options(), core::common_options()}) {
        spec.options.insert(spec.options.end(), set.begin(), set.end());
    }
    spec.config_keys = {{"audit", config_keys()}};
    return spec;
}

int metrics_main(const core::Options& o) {
    const std::string store_path = o.has("store") ? o.str("store") : store::default_store_path();
    store::Store::Options so;
    so.read_only = true;
    so.create = false;
    if (o.has("listen")) {
        if (o.has("prometheus")) {
            throw core::UsageError("--listen serves the metrics and --prometheus writes them: "
                                   "choose one");
        }
        const ListenAddress addr = parse_listen(o.str("listen"));
        { store::Store check(store_path, so); } // fail now, not at the first scrape
        // Each scrape reads the store afresh: what the tools wrote since is in it.
        const auto page = [&] {
            store::Store st(store_path, so);
            return prometheus_text(st, o.has("now") ? *o.time_ms("now") : wall_ms());
        };
        return serve_metrics(addr, page, [](const std::string& where) {
            core::Log::explain("serving http://" + where +
                               "/metrics (stop with Ctrl-C or "
                               "SIGTERM)");
        });
    }
    store::Store st(store_path, so);
    const std::int64_t now = o.has("now") ? *o.time_ms("now") : wall_ms();
    const std::string text = prometheus_text(st, now);
    if (o.has("prometheus")) {
        write_atomically(o.str("prometheus"), text);
        return 0;
    }
    std::cout << text << std::flush;
    if (!std::cout) {
        throw core::RuntimeError("cannot write output");
    }
    return 0;
}

} // namespace

int audit_main(int argc, const char* const* argv) {
    static const core::ToolSpec backup_spec = make_backup_spec();
    static const core::ToolSpec restore_spec = make_restore_spec();
    static const core::ToolSpec report_spec = make_report_spec();
    static const core::ToolSpec reconcile_spec = make_reconcile_spec();
    static const core::ToolSpec gaps_spec = make_gaps_spec();
    static const core::ToolSpec metrics_spec = make_metrics_spec();
    static const core::ToolSpec health_spec = make_health_spec();
    const std::vector<core::Command> commands = {
        {"health", &health_spec, health_main},          {"report", &report_spec, report_main},
        {"backup", &backup_spec, backup_main},          {"restore", &restore_spec, restore_main},
        {"reconcile", &reconcile_spec, reconcile_main}, {"gaps", &gaps_spec, gaps_main},
        {"metrics", &metrics_spec, metrics_main},
    };
    return core::run_commands("audit", "health, analytics and backups of an okxkit store",
                              "See audit(1).", commands, argc, argv);
}

} // namespace okxkit::audit
