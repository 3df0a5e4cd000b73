// train: datasets, walk-forward ensembles, the skill gate, registry, champion/challenger.
#include "ml/train.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "core/timeutil.hpp"
#include "ml/drift.hpp"
#include "ml/metrics.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>
#include <stdexcept>
#include <unistd.h>

namespace okxkit::ml {

namespace {

using core::Log;
using nlohmann::json;

std::string fixed(double v, int digits = 4) {
    if (std::isnan(v)) {
        return "n/a";
    }
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

json number_or_null(double v) {
    return std::isfinite(v) ? json(v) : json(nullptr);
}

json metrics_json(const Metrics& m) {
    return {{"rows", m.rows},
            {"logloss", number_or_null(m.logloss)},
            {"auc", number_or_null(m.auc)},
            {"accuracy", number_or_null(m.accuracy)},
            {"precision", number_or_null(m.precision)},
            {"base_rate", number_or_null(m.base_rate)},
            {"policy_return", number_or_null(m.policy_return)},
            {"trades", m.trades},
            {"buy_hold", number_or_null(m.buy_hold)}};
}

// A slice [a, b) of rows of a labelled set.
struct Rows {
    const Labelled& l;
    std::size_t a, b;
    [[nodiscard]] std::span<const float> x() const {
        return {l.data.x.data() + a * l.data.cols(), (b - a) * l.data.cols()};
    }
    [[nodiscard]] std::span<const float> y() const { return std::span(l.up).subspan(a, b - a); }
    [[nodiscard]] std::span<const double> ret() const { return std::span(l.ret).subspan(a, b - a); }
};

std::string range_text(std::int64_t from, std::int64_t to) {
    return core::format_iso_ms(from) + ".." + core::format_iso_ms(to);
}

// Champion/challenger on the rows of the challenger's last test block that the champion
// never saw (after its validation block and label window). Returns (promote?, reason).
std::pair<bool, std::string> judge(store::Store& store, const Labelled& l, const Fold& last,
                                   const std::vector<double>& p_new, const TrainConfig& cfg,
                                   std::int64_t new_id) {
    auto champ = find_champion(store, l.data.inst, l.data.bar);
    if (!champ) {
        return {true, "no champion for " + l.data.inst + " " + l.data.bar + " yet"};
    }
    const std::string who = "champion " + std::to_string(champ->id);
    // A champion that never passed the gate (trained before it, or promoted with --force)
    // yields to one that did.
    json cm = json::parse(champ->metrics, nullptr, false);
    if (!cm.is_object() || !cm.contains("skill") || !cm["skill"].value("passed", false)) {
        const bool old = !cm.is_object() || !cm.contains("skill");
        return {true, who +
                          (old ? " predates the skill gate"
                               : " failed the skill gate (" +
                                     cm["skill"].value("reason", std::string()) + ")") +
                          " and this model passed it"};
    }
    if (champ->schema != l.data.schema) {
        return {false, who + " uses feature schema " + champ->schema + ", this model " +
                           l.data.schema +
                           ": not comparable; promote by hand with train --promote " +
                           std::to_string(new_id)};
    }
    const std::int64_t seen_until =
        champ->valid_to + static_cast<std::int64_t>(champ->horizon) * l.data.bar_ms;
    std::size_t from = last.test_begin;
    while (from < last.test_end && l.data.ts[from] <= seen_until) {
        ++from;
    }
    const std::size_t n = last.test_end - from;
    if (n < cfg.min_compare) {
        return {false, "only " + std::to_string(n) + " out-of-sample rows after " + who +
                           "'s data: too few to compare (need " + std::to_string(cfg.min_compare) +
                           "); kept as candidate"};
    }
    ModelFile mf;
    try {
        mf = open_model(*champ, store.path());
    } catch (const core::Error& e) {
        throw core::RuntimeError(std::string(e.what()) + " (or promote another model of " +
                                 champ->inst + " " + champ->bar + " with train --promote ID)");
    }
    Ensemble old = load_ensemble(mf, champ->dir);
    Rows rows{l, from, last.test_end};
    std::vector<double> p_old;
    old.predict(rows.x(), p_old);
    std::span<const double> p_cur(p_new.data() + (from - last.test_begin), n);
    const double ll_old = logloss(rows.y(), p_old);
    const double ll_new = logloss(rows.y(), p_cur);
    const std::string window = "the same " + std::to_string(n) + " out-of-sample rows (" +
                               range_text(l.data.ts[from], l.data.ts[last.test_end - 1]) + ")";
    if (ll_new < ll_old) {
        return {true, "beats " + who + " on " + window + ": logloss " + fixed(ll_new) + " < " +
                          fixed(ll_old)};
    }
    return {false, who + " is as good or better on " + window + ": logloss " + fixed(ll_old) +
                       " <= " + fixed(ll_new)};
}

// At SIGINT/SIGTERM: leaves the series unregistered, with the signal's exit code.
void stop_if_interrupted(const std::string& series) {
    if (core::interrupted()) {
        throw core::Error(core::interrupt_exit(),
                          "interrupted while training " + series + ": it was not registered");
    }
}

} // namespace

std::size_t rows_needed(const TrainConfig& cfg, std::int64_t bar_ms) {
    const auto works = [&](std::size_t n) {
        std::vector<std::int64_t> ts(n);
        for (std::size_t i = 0; i < n; ++i) {
            ts[i] = static_cast<std::int64_t>(i) * bar_ms;
        }
        return !walk_forward(ts, bar_ms, cfg.horizon, cfg.split).empty();
    };
    std::size_t hi = std::max<std::size_t>(cfg.min_rows, 64);
    while (!works(hi) && hi < (std::size_t{1} << 26)) {
        hi *= 2;
    }
    std::size_t lo = 1; // works(lo) is false for a handful of rows
    while (hi - lo > 1) {
        const std::size_t mid = lo + (hi - lo) / 2;
        (works(mid) ? hi : lo) = mid;
    }
    return std::max(hi, cfg.min_rows);
}

TrainResult train_dataset(store::Store& store, const Dataset& data, const TrainConfig& cfg) {
    TrainResult res;
    res.inst = data.inst;
    res.bar = data.bar;
    const std::string series = data.inst + " " + data.bar;
    Labelled l = make_labels(data, cfg.horizon, cfg.threshold);
    std::vector<Fold> folds;
    if (l.data.rows() >= cfg.min_rows) {
        folds = walk_forward(l.data.ts, l.data.bar_ms, cfg.horizon, cfg.split);
    }
    if (folds.empty()) {
        res.kind = TrainResult::Kind::kNoData;
        res.text = series + ": not trained: too little data: " + std::to_string(l.data.rows()) +
                   " labelled rows (of " + std::to_string(data.rows()) + " candles), but " +
                   std::to_string(cfg.split.folds) +
                   (cfg.split.folds == 1 ? " fold needs at least " : " folds need at least ") +
                   std::to_string(rows_needed(cfg, l.data.bar_ms)) +
                   ": fetch more history (okx-stream --backfill 30d --store ...) or lower "
                   "--min-rows / --folds";
        return res;
    }
    const std::size_t cols = l.data.cols();
    // One ensemble per fold; out-of-sample predictions of every test block are pooled.
    std::vector<double> p_oos;
    std::vector<float> y_oos;
    std::vector<double> ret_oos;
    json fold_json = json::array();
    Ensemble model;
    std::vector<double> p_last;
    for (const Fold& f : folds) {
        stop_if_interrupted(series);
        Rows tr{l, f.train_begin, f.train_end};
        Rows va{l, f.valid_begin, f.valid_end};
        Rows te{l, f.test_begin, f.test_end};
        Ensemble e = Ensemble::train(tr.x(), tr.y(), va.x(), va.y(), cols, cfg.params);
        std::vector<double> p;
        e.predict(te.x(), p);
        Metrics m = evaluate(te.y(), te.ret(), p, 0.5, cfg.horizon, cfg.fee);
        json fj = metrics_json(m);
        fj["test"] = range_text(l.data.ts[f.test_begin], l.data.ts[f.test_end - 1]);
        fj["best_rounds"] = e.best_rounds();
        fold_json.push_back(fj);
        p_oos.insert(p_oos.end(), p.begin(), p.end());
        y_oos.insert(y_oos.end(), te.y().begin(), te.y().end());
        ret_oos.insert(ret_oos.end(), te.ret().begin(), te.ret().end());
        model = std::move(e);
        p_last = std::move(p);
    }
    const Fold& last = folds.back();
    Rows te{l, last.test_begin, last.test_end};
    Metrics oos = evaluate(y_oos, ret_oos, p_oos, 0.5, cfg.horizon, cfg.fee);
    Metrics recent = evaluate(te.y(), te.ret(), p_last, 0.5, cfg.horizon, cfg.fee);
    // The skill gate, on the pooled out-of-sample rows: blocks of twice the horizon keep the
    // dependence of rows whose label windows overlap; the seed follows --seed.
    const AucInterval ci =
        auc_interval(y_oos, p_oos, 2 * static_cast<std::size_t>(cfg.horizon), cfg.resamples,
                     cfg.params.seed * 0x9E3779B97F4A7C15ULL + 0xA0C, cfg.level);
    const Skill skill = skill_gate(ci, oos.policy_return);
    // The expected return given p_up, out of sample. Without skill, p_up says nothing about
    // the return: the curve is flat at the mean return of those rows.
    ReturnCurve curve;
    if (skill.passed) {
        curve = fit_return_curve(p_oos, ret_oos, cfg.curve_bins);
    } else {
        const auto n = static_cast<double>(ret_oos.size());
        curve.p = {std::accumulate(p_oos.begin(), p_oos.end(), 0.0) / n};
        curve.ret = {std::accumulate(ret_oos.begin(), ret_oos.end(), 0.0) / n};
    }

    ModelRecord rec;
    rec.inst = data.inst;
    rec.bar = data.bar;
    rec.horizon = cfg.horizon;
    rec.threshold = cfg.threshold;
    rec.schema = data.schema;
    rec.features = static_cast<int>(cols);
    rec.train_from = l.data.ts[last.train_begin];
    rec.train_to = l.data.ts[last.train_end - 1];
    rec.valid_from = l.data.ts[last.valid_begin];
    rec.valid_to = l.data.ts[last.valid_end - 1];
    rec.test_from = l.data.ts[last.test_begin];
    rec.test_to = l.data.ts[last.test_end - 1];
    rec.data_end = data.ts.back();
    rec.created_ms = cfg.now_ms;
    const TrainParams& p = cfg.params;
    rec.params = json{{"members", p.members},
                      {"rounds", p.rounds},
                      {"early_stop", p.early_stop},
                      {"eta", p.eta},
                      {"max_depth", p.max_depth},
                      {"subsample", p.subsample},
                      {"colsample", p.colsample},
                      {"min_child_weight", p.min_child_weight},
                      {"threads", p.threads},
                      {"seed", p.seed},
                      {"folds", cfg.split.folds},
                      {"embargo", cfg.split.embargo},
                      {"test_frac", cfg.split.test_frac},
                      {"valid_frac", cfg.split.valid_frac},
                      {"fee", cfg.fee},
                      {"best_rounds", model.best_rounds()}}
                     .dump();
    rec.metrics = json{{"oos", metrics_json(oos)},
                       {"recent", metrics_json(recent)},
                       {"folds", fold_json},
                       {"skill", skill_json(skill)},
                       {"exp_ret", {{"p", curve.p}, {"ret", curve.ret}}}}
                      .dump();
    json imp = json::object();
    auto gain = model.importance();
    for (std::size_t c = 0; c < cols; ++c) {
        imp[l.data.names[c]] = gain[c];
    }
    rec.importance = imp.dump();
    // Drift: the last fold's training rows against its (most recent) test block.
    Rows tr{l, last.train_begin, last.train_end};
    auto drift = psi_columns(tr.x(), te.x(), cols);
    json dj = json::object();
    for (std::size_t c = 0; c < cols; ++c) {
        dj[l.data.names[c]] = number_or_null(drift[c]);
    }
    rec.drift = dj.dump();

    ModelFile mf;
    mf.inst = data.inst;
    mf.bar = data.bar;
    mf.horizon = cfg.horizon;
    mf.threshold = cfg.threshold;
    mf.schema = data.schema;
    mf.names = l.data.names;
    mf.data_end = rec.data_end;
    mf.skill = skill;
    mf.exp_ret = curve;
    mf.drift = drift_reference(tr.x(), cols, gain);
    if (!skill.passed) {
        rec.status = "rejected";
        rec.reason = skill.reason;
    }
    const std::string interval =
        fixed(ci.level * 100, 0) + "% interval " + fixed(ci.low) + ".." + fixed(ci.high) + ", ";
    stop_if_interrupted(series);
    const std::int64_t id = register_model(store, rec, mf, model);
    res.model = id;
    if (!skill.passed) {
        // The reason already gives the numbers that failed; the others follow.
        const bool auc_said = skill.reason.find("AUC") != std::string::npos;
        const bool ret_said = skill.reason.find("policy return") != std::string::npos;
        res.kind = TrainResult::Kind::kRejected;
        res.text = series + ": model " + std::to_string(id) + " rejected: " + skill.reason + " (" +
                   (auc_said ? "" : "out-of-sample auc " + fixed(oos.auc) + ", " + interval) +
                   "logloss " + fixed(oos.logloss) +
                   (ret_said ? "" : ", policy return " + fixed(oos.policy_return)) + " over " +
                   std::to_string(oos.rows) + " rows); predict will not use it";
        return res;
    }

    auto [promote_it, reason] = judge(store, l, last, p_last, cfg, id);
    const std::string score = " (out-of-sample auc " + fixed(oos.auc) + ", " + interval +
                              "logloss " + fixed(oos.logloss) + ", policy return " +
                              fixed(oos.policy_return) + " over " + std::to_string(oos.rows) +
                              " rows)";
    if (promote_it) {
        promote(store, id, reason);
        res.kind = TrainResult::Kind::kPromoted;
        res.text =
            series + ": model " + std::to_string(id) + " promoted to champion: " + reason + score;
    } else {
        set_reason(store, id, reason);
        res.kind = TrainResult::Kind::kKept;
        res.text =
            series + ": model " + std::to_string(id) + " kept as candidate: " + reason + score;
    }
    return res;
}

TrainResult train_stored(store::Store& store, const features::FeatureSet& set,
                         const std::string& inst, const TrainConfig& cfg) {
    TrainResult res;
    res.inst = inst;
    res.bar = cfg.bar;
    const std::string series = inst + " " + cfg.bar;
    if (cfg.every_ms > 0) {
        auto last = last_trained(store, inst, cfg.bar, cfg.horizon);
        if (last && cfg.now_ms - *last < cfg.every_ms) {
            res.kind = TrainResult::Kind::kSkipped;
            res.text = series + ": skipped: last trained at " + core::format_iso_ms(*last) +
                       ", less than --every ago";
            return res;
        }
    }
    auto end = store.prepare("SELECT max(ts) FROM candles WHERE inst = ?1 AND bar = ?2");
    end.bind(1, inst).bind(2, cfg.bar);
    if (!end.step() || end.column_is_null(0)) {
        res.kind = TrainResult::Kind::kNoData;
        res.text = series + ": no candles in the store " + store.path() +
                   ": fetch them with okx-stream --backfill 30d --symbols " + inst + " --bar " +
                   cfg.bar + " --store " + store.path();
        return res;
    }
    const std::int64_t last_ts = end.column_int(0);
    const std::int64_t from = last_ts - cfg.window_ms;
    auto candles = load_candles(store, inst, cfg.bar, from + 1, last_ts + 1);
    std::vector<CandleIn> reference;
    if (inst != features::kReferenceInst) {
        reference = load_candles(store, std::string(features::kReferenceInst), cfg.bar, from + 1,
                                 last_ts + 1);
    }
    Log::note(series + ": " + std::to_string(candles.size()) + " candles from " +
              core::format_iso_ms(candles.front().ts) + " to " + core::format_iso_ms(last_ts));
    Dataset d = build_dataset(set, inst, cfg.bar, candles, reference);
    return train_dataset(store, d, cfg);
}

// --- model card and table ----------------------------------------------------------------

namespace {

std::vector<std::pair<std::string, double>> top(const std::string& text, std::size_t n) {
    std::vector<std::pair<std::string, double>> v;
    json j = json::parse(text, nullptr, false);
    if (!j.is_object()) {
        return v;
    }
    for (const auto& [k, val] : j.items()) {
        if (val.is_number()) {
            v.emplace_back(k, val.get<double>());
        }
    }
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    if (v.size() > n) {
        v.resize(n);
    }
    return v;
}

std::string metric_line(const json& m) {
    auto get = [&](const char* k) {
        return m.contains(k) && m[k].is_number() ? m[k].get<double>() : std::nan("");
    };
    return std::to_string(m.value("rows", 0)) + " rows: logloss " + fixed(get("logloss")) +
           ", auc " + fixed(get("auc")) + ", accuracy " + fixed(get("accuracy")) + ", precision " +
           fixed(get("precision")) + " (base rate " + fixed(get("base_rate")) +
           "), policy return " + fixed(get("policy_return")) + " in " +
           std::to_string(m.value("trades", 0)) + " trades after fees (buy and hold " +
           fixed(get("buy_hold")) + ")";
}

std::string skill_line(const json& m) {
    if (!m.contains("skill")) {
        return "skill gate: none (trained before the gate; predict gives its predictions "
               "confidence 0)";
    }
    try {
        const Skill k = skill_from_json(m["skill"]);
        return std::string("skill gate: ") + (k.passed ? "passed" : "failed") +
               ": out-of-sample auc " + fixed(k.auc) + ", " + fixed(k.level * 100, 0) +
               "% interval " + fixed(k.auc_low) + ".." + fixed(k.auc_high) + " (" +
               std::to_string(k.resamples) + " block-bootstrap resamples, blocks of " +
               std::to_string(k.block) + " rows), policy return " + fixed(k.policy_return) +
               " after fees; skill " + fixed(k.score());
    } catch (const json::exception&) {
        return "skill gate: unreadable record";
    }
}

// The skill record in a model's metrics, if any.
std::optional<Skill> recorded_skill(const ModelRecord& r) {
    json m = json::parse(r.metrics, nullptr, false);
    if (!m.is_object() || !m.contains("skill")) {
        return std::nullopt;
    }
    try {
        return skill_from_json(m["skill"]);
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

} // namespace

std::string hand_promotion(store::Store& store, std::int64_t id, bool force) {
    auto rec = find_model(store, id);
    if (!rec) {
        throw core::UsageError("no model " + std::to_string(id) + " in the store " + store.path() +
                               " (see train --list)");
    }
    auto skill = recorded_skill(*rec);
    if (skill && skill->passed) {
        return "promoted by hand (train --promote)";
    }
    const std::string why = skill ? "failed the skill gate (" + skill->reason + ")"
                                  : "predates the skill gate (no out-of-sample skill on record)";
    if (!force) {
        throw core::Error(core::Exit::kRefused,
                          "model " + std::to_string(id) + " " + why + ": train --promote " +
                              std::to_string(id) +
                              " --force to promote it anyway (its predictions will carry "
                              "confidence 0)");
    }
    return "promoted by hand with --force; it " + why;
}

std::string model_card(const ModelRecord& r) {
    std::string s;
    s += "model " + std::to_string(r.id) + ": " + r.inst + " " + r.bar + ", horizon " +
         std::to_string(r.horizon) + " bars, up means a log return above " + fixed(r.threshold, 5) +
         "\n";
    s += "status: " + r.status + (r.reason.empty() ? "" : " (" + r.reason + ")") + "\n";
    s += "feature schema: " + r.schema + " (" + std::to_string(r.features) + " features)\n";
    s += "train: " + range_text(r.train_from, r.train_to) + "\n";
    s += "validation: " + range_text(r.valid_from, r.valid_to) + "\n";
    s += "test: " + range_text(r.test_from, r.test_to) + "\n";
    s += "data end: " + core::format_iso_ms(r.data_end) +
         "; created: " + core::format_iso_ms(r.created_ms) + "\n";
    s += "params: " + r.params + "\n";
    json m = json::parse(r.metrics, nullptr, false);
    if (m.is_object()) {
        if (m.contains("oos")) {
            s += "out-of-sample, all folds: " + metric_line(m["oos"]) + "\n";
        }
        if (m.contains("recent")) {
            s += "out-of-sample, recent window: " + metric_line(m["recent"]) + "\n";
        }
        s += skill_line(m) + "\n";
    }
    s += "importance (share of total gain):\n";
    for (const auto& [name, v] : top(r.importance, 10)) {
        s += "  " + name + " " + fixed(v) + "\n";
    }
    auto drift = top(r.drift, 1000000);
    std::size_t moderate = 0;
    std::size_t major = 0;
    for (const auto& d : drift) {
        moderate += d.second >= 0.1 && d.second <= 0.25 ? 1 : 0;
        major += d.second > 0.25 ? 1 : 0;
    }
    s += "drift (PSI, training rows vs the recent window): " + std::to_string(major) +
         " features > 0.25, " + std::to_string(moderate) + " in 0.1-0.25, of " +
         std::to_string(drift.size()) + "\n";
    for (std::size_t i = 0; i < drift.size() && i < 10; ++i) {
        s += "  " + drift[i].first + " " + fixed(drift[i].second) + "\n";
    }
    s += "files: " + r.dir + "\n";
    return s;
}

std::string model_table(const std::vector<ModelRecord>& models) {
    std::string s = "id\tinst\tbar\thorizon\tstatus\tdata_end\tcreated\tauc\tlogloss\tpolicy_"
                    "return\tauc_low\tauc_high\n";
    for (const ModelRecord& r : models) {
        json m = json::parse(r.metrics, nullptr, false);
        auto get = [&](const char* k, const char* part = "oos") {
            if (m.is_object() && m.contains(part) && m[part].contains(k) &&
                m[part][k].is_number()) {
                return m[part][k].get<double>();
            }
            return std::nan("");
        };
        s += std::to_string(r.id) + "\t" + r.inst + "\t" + r.bar + "\t" +
             std::to_string(r.horizon) + "\t" + r.status + "\t" + core::format_iso_ms(r.data_end) +
             "\t" + core::format_iso_ms(r.created_ms) + "\t" + fixed(get("auc")) + "\t" +
             fixed(get("logloss")) + "\t" + fixed(get("policy_return")) + "\t" +
             fixed(get("auc_low", "skill")) + "\t" + fixed(get("auc_high", "skill")) + "\n";
    }
    return s;
}

} // namespace okxkit::ml
