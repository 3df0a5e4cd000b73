#include "audit/health.hpp"

#include "audit/backup.hpp"
#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/timeutil.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/statvfs.h>

namespace okxkit::audit {

namespace {

constexpr double kDayMs = 24 * 3600 * 1000.0;

// A number as people read it: integers without decimals and with thousands separators,
// others with up to 4 significant decimals.
std::string num(double v) {
    if (!std::isfinite(v)) {
        return v > 0 ? "inf" : (v < 0 ? "-inf" : "nan");
    }
    std::array<char, 64> buf{};
    if (std::fabs(v) >= 1e15 || (std::fabs(v) < 100 && std::fabs(v - std::round(v)) > 1e-9)) {
        std::snprintf(buf.data(), buf.size(), "%.4g", v);
        return buf.data();
    }
    std::snprintf(buf.data(), buf.size(), "%.0f", std::fabs(v));
    std::string digits = buf.data();
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return v < 0 ? "-" + out : out;
}

bool wanted(const HealthInput& in, const std::string& inst) {
    return in.insts.empty() || std::find(in.insts.begin(), in.insts.end(), inst) != in.insts.end();
}

Check make(std::string name, std::string subject, double value, std::string unit,
           std::optional<double> warn, std::optional<double> fail, bool higher_is_worse,
           std::string detail) {
    Check c{std::move(name), std::move(subject), Status::kPass, value, std::move(unit), warn, fail,
            higher_is_worse, std::move(detail)};
    c.status = grade(value, warn, fail, higher_is_worse);
    return c;
}

Check plain(std::string name, std::string subject, Status s, std::string detail) {
    Check c;
    c.name = std::move(name);
    c.subject = std::move(subject);
    c.status = s;
    c.detail = std::move(detail);
    return c;
}

struct SeriesKey {
    std::string inst;
    std::string bar;
    std::int64_t bar_ms = 0;
    std::int64_t last = 0;
};

std::vector<SeriesKey> stored_series(store::Store& st, const HealthInput& in) {
    std::vector<SeriesKey> out;
    auto q = st.prepare("SELECT inst, bar, max(ts) FROM candles GROUP BY inst, bar ORDER BY inst, "
                        "bar");
    while (q.step()) {
        SeriesKey k{q.column_text(0), q.column_text(1), 0, q.column_int(2)};
        if (!wanted(in, k.inst) || (!in.bar.empty() && k.bar != in.bar)) {
            continue;
        }
        const auto b = core::parse_bar(k.bar);
        k.bar_ms = b ? b->ms : 0;
        out.push_back(std::move(k));
    }
    return out;
}

void series_checks(store::Store& st, const HealthInput& in, const std::vector<SeriesKey>& all,
                   std::vector<Check>& out) {
    if (all.empty()) {
        out.push_back(plain("freshness", "", Status::kFail,
                            in.insts.empty() && in.bar.empty()
                                ? "no candles in the store (okx-stream --store FILE)"
                                : "no candles of those instruments and bar in the store"));
        return;
    }
    const std::int64_t from = in.now_ms - in.window_ms;
    auto ts = st.prepare("SELECT ts FROM candles WHERE inst = ? AND bar = ? AND ts >= ? ORDER BY "
                         "ts");
    for (const SeriesKey& k : all) {
        const std::string subject = k.inst + " " + k.bar;
        if (k.bar_ms <= 0) {
            out.push_back(plain("freshness", subject, Status::kWarn,
                                "a bar okxkit does not know: not checked"));
            continue;
        }
        const double bar_s = static_cast<double>(k.bar_ms) / 1000.0;
        const std::int64_t close = k.last + k.bar_ms;
        const double age =
            static_cast<double>(std::max<std::int64_t>(0, in.now_ms - close)) / 1000.0;
        out.push_back(make("freshness", subject, age, "s", in.t.stale_warn_bars * bar_s,
                           in.t.stale_fail_bars * bar_s, true,
                           "the last candle closed at " + core::format_iso_ms(close) +
                               " (thresholds: " + num(in.t.stale_warn_bars) + " and " +
                               num(in.t.stale_fail_bars) + " bars)"));
        ts.reset();
        ts.bind(1, std::string_view(k.inst));
        ts.bind(2, std::string_view(k.bar));
        ts.bind(3, from);
        std::int64_t missing = 0;
        std::int64_t holes = 0;
        std::int64_t prev = 0;
        std::int64_t worst_at = 0;
        std::int64_t worst = 0;
        bool first = true;
        while (ts.step()) {
            const std::int64_t t = ts.column_int(0);
            if (!first && t - prev > k.bar_ms) {
                const std::int64_t m = (t - prev) / k.bar_ms - 1;
                missing += m;
                ++holes;
                if (m > worst) {
                    worst = m;
                    worst_at = prev + k.bar_ms;
                }
            }
            prev = t;
            first = false;
        }
        out.push_back(make(
            "gaps", subject, static_cast<double>(missing), "bars", in.t.gaps_warn, in.t.gaps_fail,
            true,
            missing == 0 ? std::string("no hole in the window")
                         : num(static_cast<double>(holes)) + (holes == 1 ? " hole" : " holes") +
                               " in the window, the largest " + num(static_cast<double>(worst)) +
                               " bars from " + core::format_iso_ms(worst_at) +
                               " (audit gaps --inst " + k.inst + " --bar " + k.bar + ")"));
    }
}

void model_checks(store::Store& st, const HealthInput& in, const std::vector<SeriesKey>& all,
                  std::vector<Check>& out) {
    auto any = st.prepare("SELECT count(*) FROM models");
    any.step();
    if (any.column_int(0) == 0) {
        out.push_back(plain("model_age", "", Status::kWarn,
                            "no model trained in this store (train --all --store FILE), or "
                            "the models live in another store (--store)"));
        return;
    }
    auto champ = st.prepare("SELECT id, created_ms, metrics FROM models WHERE inst = ? AND bar = "
                            "? AND status = 'champion'");
    auto drift = st.prepare("SELECT ts, event, value, detail FROM health WHERE component = "
                            "'predict' AND event IN ('drift', 'drift_cleared') AND inst = ? AND "
                            "detail LIKE ? ORDER BY ts DESC, rowid DESC LIMIT 1");
    for (const SeriesKey& k : all) {
        const std::string subject = k.inst + " " + k.bar;
        champ.reset();
        champ.bind(1, std::string_view(k.inst));
        champ.bind(2, std::string_view(k.bar));
        if (!champ.step()) {
            out.push_back(plain("model_age", subject, Status::kWarn,
                                "no champion model (train --symbols " + k.inst + " --bar " + k.bar +
                                    "); predict passes its lines without predictions"));
            continue;
        }
        const std::int64_t id = champ.column_int(0);
        const std::int64_t created = champ.column_int(1);
        const std::string where = "model " + std::to_string(id);
        out.push_back(make("model_age", subject, static_cast<double>(in.now_ms - created) / kDayMs,
                           "d", in.t.model_age_warn_days, in.t.model_age_fail_days, true,
                           where + " trained at " + core::format_iso_ms(created) +
                               " (retrain: train --symbols " + k.inst + " --bar " + k.bar + ")"));
        const nlohmann::json m = nlohmann::json::parse(champ.column_text(2), nullptr, false);
        if (m.is_object() && m.contains("skill") && m["skill"].is_object() &&
            m["skill"].contains("auc_low") && m["skill"]["auc_low"].is_number()) {
            const double low = m["skill"]["auc_low"].get<double>();
            std::string detail = where + ": the lower bound of its out-of-sample AUC";
            if (m.contains("recent") && m["recent"].is_object() && m["recent"].contains("auc") &&
                m["recent"]["auc"].is_number()) {
                detail += "; AUC on the most recent rows " + num(m["recent"]["auc"].get<double>());
            }
            out.push_back(make("model_skill", subject, low, "AUC", in.t.skill_warn, in.t.skill_fail,
                               false, detail));
        } else {
            out.push_back(plain("model_skill", subject, Status::kWarn,
                                where + " has no measured skill (trained before the skill "
                                        "gate): retrain it"));
        }
        drift.reset();
        drift.bind(1, std::string_view(k.inst));
        drift.bind(2, "% of " + subject + ":%");
        if (!drift.step()) {
            out.push_back(plain("drift", subject, Status::kPass, "no drift alarm recorded"));
        } else if (drift.column_text(1) == "drift") {
            Check c = make("drift", subject, drift.column_double(2), "importance share",
                           std::nullopt, std::nullopt, true, drift.column_text(3));
            c.status = Status::kFail;
            c.detail = "raised at " + core::format_iso_ms(drift.column_int(0)) + ": " +
                       drift.column_text(3) + " (retrain: train --symbols " + k.inst + " --bar " +
                       k.bar + ")";
            out.push_back(std::move(c));
        } else {
            out.push_back(
                plain("drift", subject, Status::kPass,
                      "the last alarm cleared at " + core::format_iso_ms(drift.column_int(0))));
        }
    }
}

void strategy_checks(store::Store& st, const HealthInput& in, const std::vector<SeriesKey>& all,
                     std::vector<Check>& out) {
    std::set<std::string> insts;
    for (const SeriesKey& k : all) {
        insts.insert(k.inst);
    }
    auto any = st.prepare("SELECT count(*) FROM strategy_assignments WHERE run_id = ?");
    any.bind(1, std::string_view(in.run));
    any.step();
    if (any.column_int(0) == 0) {
        out.push_back(plain("strategy", "run " + in.run, Status::kWarn,
                            "no strategy assigned in run " + in.run +
                                " in this store: not checked per instrument (select-strategy "
                                "--run " +
                                in.run + " --store FILE, or --run NAME)"));
        return;
    }
    auto q = st.prepare("SELECT strategy, bar, ts FROM strategy_assignments WHERE run_id = ? AND "
                        "inst = ? ORDER BY ts DESC LIMIT 1");
    for (const std::string& inst : insts) {
        q.reset();
        q.bind(1, std::string_view(in.run));
        q.bind(2, std::string_view(inst));
        if (q.step()) {
            out.push_back(plain("strategy", inst, Status::kPass,
                                q.column_text(0) + " on " + q.column_text(1) + " since " +
                                    core::format_iso_ms(q.column_int(2)) + " (run " + in.run +
                                    ")"));
        } else {
            out.push_back(plain("strategy", inst, Status::kFail,
                                "no strategy assigned to it in run " + in.run +
                                    ", though others have one: select-strategy has nothing "
                                    "to trade it with (its candles and features reach it?)"));
        }
    }
}

const risk::Limits& limits_of(const HealthInput& in, const std::string& inst) {
    const auto it = in.per_inst.find(inst);
    return it == in.per_inst.end() ? in.limits : it->second;
}

// A value bounded by a risk limit: warns past limit_warn_share of it, fails past it.
Check against_limit(std::string name, std::string subject, double value, std::string unit,
                    double limit, std::string detail, const HealthInput& in) {
    if (!std::isfinite(limit)) {
        return make(std::move(name), std::move(subject), value, std::move(unit), std::nullopt,
                    std::nullopt, true, detail + "; no limit set");
    }
    return make(std::move(name), std::move(subject), value, std::move(unit),
                limit * in.t.limit_warn_share, limit, true, std::move(detail));
}

void portfolio_checks(store::Store& st, const HealthInput& in, std::vector<Check>& out) {
    const std::string subject = "run " + in.run;
    auto snap = st.prepare("SELECT ts, equity, gross_exposure, net_exposure, drawdown, halted FROM "
                           "pnl_snapshots WHERE run_id = ? ORDER BY ts DESC LIMIT 1");
    snap.bind(1, std::string_view(in.run));
    if (!snap.step()) {
        out.push_back(plain("exposure", subject, Status::kWarn,
                            "no portfolio of run " + in.run +
                                " in the store: nothing checked against the risk limits "
                                "(execute --run " +
                                in.run + " --store FILE, or --run NAME)"));
        return;
    }
    const std::int64_t ts = snap.column_int(0);
    const double equity = snap.column_double(1);
    const std::string at = " at " + core::format_iso_ms(ts);
    const double gross = equity > 0 ? snap.column_double(2) / equity : INFINITY;
    const double net = equity > 0 ? std::fabs(snap.column_double(3)) / equity : INFINITY;
    out.push_back(against_limit("exposure", subject + " gross", gross, "x equity",
                                in.limits.max_gross_exposure,
                                "positions' value " + num(snap.column_double(2)) + " on equity " +
                                    num(equity) + at + " (risk.max_gross_exposure)",
                                in));
    out.push_back(against_limit(
        "exposure", subject + " net", net, "x equity", in.limits.max_net_exposure,
        "long minus short " + num(snap.column_double(3)) + at + " (risk.max_net_exposure)", in));
    out.push_back(against_limit("drawdown", subject, snap.column_double(4), "of peak",
                                in.limits.max_drawdown,
                                "fall from the peak equity" + at + " (risk.max_drawdown)", in));
    const Halt h = halt_state(st, in.run, snap.column_int(5) != 0, in.now_ms, in.limits.resume);
    if (h.halted) {
        Check c = make("halted", subject, 1, "", std::nullopt, std::nullopt, true, "");
        c.status = Status::kFail;
        c.detail = "the kill switch holds the run";
        if (h.since) {
            c.detail +=
                " since " + core::format_iso_ms(*h.since) + " (" + h.code + ": " + h.detail + ")";
        }
        c.detail += "; nothing is traded until risk-guard --reset-halt --run " + in.run;
        out.push_back(std::move(c));
    } else {
        out.push_back(make("halted", subject, 0, "", std::nullopt, std::nullopt, true,
                           h.detail.empty() ? "not halted" + at : h.detail));
    }
    auto pos = st.prepare("SELECT inst, sz, mark_px FROM positions WHERE run_id = ? AND sz != 0 "
                          "ORDER BY inst");
    pos.bind(1, std::string_view(in.run));
    while (pos.step()) {
        const std::string inst = pos.column_text(0);
        const double value = std::fabs(pos.column_double(1) * pos.column_double(2));
        out.push_back(against_limit("position", inst + " (run " + in.run + ")", value, "quote",
                                    limits_of(in, inst).max_position_notional,
                                    num(pos.column_double(1)) + " at " + num(pos.column_double(2)) +
                                        " (risk.max_position_notional)",
                                    in));
    }
    auto ord = st.prepare("SELECT inst, count(*) FROM orders WHERE run_id = ? AND state IN "
                          "('live', 'partially_filled') GROUP BY inst ORDER BY inst");
    ord.bind(1, std::string_view(in.run));
    while (ord.step()) {
        const std::string inst = ord.column_text(0);
        out.push_back(against_limit("open_orders", inst + " (run " + in.run + ")",
                                    static_cast<double>(ord.column_int(1)), "orders",
                                    limits_of(in, inst).max_open_orders,
                                    "working orders (risk.max_open_orders)", in));
    }
}

void event_checks(store::Store& st, const HealthInput& in, std::vector<Check>& out) {
    const std::int64_t from = in.now_ms - in.window_ms;
    const std::string window = " since " + core::format_iso_ms(from);
    auto q = st.prepare("SELECT count(*) FROM health WHERE event = 'reconnect' AND ts >= ? AND ts "
                        "<= ?");
    q.bind(1, from);
    q.bind(2, in.now_ms);
    q.step();
    out.push_back(make("reconnects", "", static_cast<double>(q.column_int(0)), "events",
                       in.t.reconnects_warn, in.t.reconnects_fail, true,
                       "WebSocket reconnects" + window));
    auto e = st.prepare("SELECT count(*), max(ts) FROM health WHERE event = 'error' AND ts >= ? "
                        "AND ts <= ?");
    e.bind(1, from);
    e.bind(2, in.now_ms);
    e.step();
    const std::int64_t n = e.column_int(0);
    std::string detail = "error events" + window;
    if (n > 0) {
        auto last = st.prepare("SELECT ts, component, detail FROM health WHERE event = 'error' "
                               "AND ts >= ? AND ts <= ? ORDER BY ts DESC, rowid DESC LIMIT 1");
        last.bind(1, from);
        last.bind(2, in.now_ms);
        last.step();
        detail += "; the last at " + core::format_iso_ms(last.column_int(0)) + " from " +
                  last.column_text(1) + ": " + last.column_text(2);
    }
    out.push_back(make("errors", "", static_cast<double>(n), "events", in.t.errors_warn,
                       in.t.errors_fail, true, detail));
}

void store_checks(store::Store& st, const HealthInput& in, std::vector<Check>& out) {
    std::vector<std::string> problems;
    try {
        auto q = st.prepare("PRAGMA integrity_check");
        while (q.step()) {
            problems.push_back(q.column_text(0));
        }
    } catch (const std::exception& e) {
        problems = {e.what()};
    }
    if (problems.size() == 1 && problems[0] == "ok") {
        out.push_back(plain("integrity", "", Status::kPass, "PRAGMA integrity_check: ok"));
    } else {
        std::string d = "PRAGMA integrity_check: ";
        d += problems.empty() ? std::string("no answer") : problems[0];
        if (problems.size() > 1) {
            d += " (and " + std::to_string(problems.size() - 1) + " more)";
        }
        d += "; restore the newest backup (audit restore FILE --force)";
        out.push_back(plain("integrity", "", Status::kFail, d));
    }

    namespace fs = std::filesystem;
    const fs::path dir = fs::absolute(fs::path(in.store_path)).parent_path();
    struct statvfs v {};
    if (::statvfs(dir.c_str(), &v) != 0) {
        out.push_back(plain("disk", dir.string(), Status::kFail,
                            "cannot read the free space: " + core::errno_text(errno)));
    } else {
        const double mb =
            static_cast<double>(v.f_bavail) * static_cast<double>(v.f_frsize) / (1024.0 * 1024.0);
        out.push_back(make("disk", dir.string(), std::floor(mb), "MB", in.t.disk_warn_mb,
                           in.t.disk_fail_mb, false, "free space beside the store"));
    }

    if (in.backup_dir.empty()) {
        out.push_back(plain("backup", "", Status::kWarn,
                            "no backup folder set (audit.backup_dir in the config, or "
                            "--backup-dir): the age of the last backup is unknown"));
        return;
    }
    std::vector<std::string> copies;
    try {
        copies = list_backups(in.backup_dir);
    } catch (const std::exception& ex) {
        out.push_back(plain("backup", in.backup_dir, Status::kFail, ex.what()));
        return;
    }
    std::optional<std::int64_t> newest;
    std::string newest_path;
    for (const std::string& p : copies) {
        if (auto t = backup_time(p); t && (!newest || *t > *newest)) {
            newest = t;
            newest_path = p;
        }
    }
    if (!newest) {
        out.push_back(plain("backup", in.backup_dir, Status::kFail,
                            "no backup in the folder (audit backup " + in.backup_dir + ")"));
        return;
    }
    out.push_back(make("backup", in.backup_dir,
                       static_cast<double>(in.now_ms - *newest) / 3'600'000.0, "h",
                       in.t.backup_warn_hours, in.t.backup_fail_hours, true,
                       "the newest copy is " + fs::path(newest_path).filename().string()));
}

} // namespace

Halt halt_state(store::Store& st, const std::string& run, bool snapshot_halted, std::int64_t now_ms,
                risk::Resume resume) {
    auto q = st.prepare("SELECT action, ts, code, detail FROM risk_events WHERE run_id = ? AND "
                        "action IN ('halt', 'resume') ORDER BY rowid DESC LIMIT 1");
    q.bind(1, std::string_view(run));
    Halt h;
    if (!q.step()) {
        h.halted = snapshot_halted; // a store written before halts were recorded
        return h;
    }
    const std::int64_t ts = q.column_int(1);
    if (q.column_text(0) == "resume") {
        h.detail = "resumed at " + core::format_iso_ms(ts) + ": " + q.column_text(3);
        return h;
    }
    h.since = ts;
    h.code = q.column_text(2);
    h.detail = q.column_text(3);
    // A daily-loss halt lifts itself at the next UTC day, unless risk.resume is manual (as
    // risk-guard and execute decide it when they start).
    constexpr std::int64_t kDay = 86'400'000;
    const auto day = [&](std::int64_t t) { return t >= 0 ? t / kDay : (t - kDay + 1) / kDay; };
    if (h.code == "daily_loss" && resume == risk::Resume::kNextDay && day(now_ms) > day(ts)) {
        h.halted = false;
        h.detail = "the daily-loss halt of " + core::format_iso_ms(ts) +
                   " lifted at the next UTC day (risk.resume = next_day)";
        h.since.reset();
        return h;
    }
    h.halted = true;
    return h;
}

std::string_view status_name(Status s) {
    switch (s) {
    case Status::kPass:
        return "pass";
    case Status::kWarn:
        return "warn";
    case Status::kFail:
        return "fail";
    }
    return "fail";
}

Status grade(double value, std::optional<double> warn, std::optional<double> fail,
             bool higher_is_worse) {
    const auto past = [&](std::optional<double> t) {
        return t && (std::isnan(value) || (higher_is_worse ? value > *t : value < *t));
    };
    if (past(fail)) {
        return Status::kFail;
    }
    if (past(warn)) {
        return Status::kWarn;
    }
    return Status::kPass;
}

std::vector<Check> health_checks(store::Store& st, const HealthInput& in) {
    std::vector<Check> out;
    // A part that cannot read the store (a damaged file) is a failing check of its own, and
    // the other parts still run: the integrity check says what is wrong.
    const auto part = [&](const char* name, const auto& run) {
        try {
            run();
        } catch (const std::exception& e) {
            out.push_back(plain(name, "", Status::kFail, std::string("cannot check: ") + e.what()));
        }
    };
    std::vector<SeriesKey> series;
    part("freshness", [&] { series = stored_series(st, in); });
    part("freshness", [&] { series_checks(st, in, series, out); });
    part("model_age", [&] { model_checks(st, in, series, out); });
    part("strategy", [&] { strategy_checks(st, in, series, out); });
    part("exposure", [&] { portfolio_checks(st, in, out); });
    part("errors", [&] { event_checks(st, in, out); });
    part("integrity", [&] { store_checks(st, in, out); });
    return out;
}

std::string check_text(const Check& c) {
    std::string out = c.status == Status::kPass   ? "pass  "
                      : c.status == Status::kWarn ? "WARN  "
                                                  : "FAIL  ";
    out += c.name;
    if (!c.subject.empty()) {
        out += " ";
        out += c.subject;
    }
    out += ": ";
    if (c.value) {
        out += num(*c.value);
        if (!c.unit.empty()) {
            out += " " + c.unit;
        }
        const std::string dir = c.higher_is_worse ? " above " : " below ";
        const std::string unit = c.unit.empty() ? std::string() : " " + c.unit;
        if (c.warn || c.fail) {
            out += " (";
            if (c.warn) {
                out += "warn" + dir + num(*c.warn) + unit;
            }
            if (c.fail) {
                out += c.warn ? ", fail" : "fail";
                out += dir + num(*c.fail) + unit;
            }
            out += ")";
        }
        if (!c.detail.empty()) {
            out += "; ";
        }
    }
    out += c.detail;
    return out;
}

} // namespace okxkit::audit
