// train: datasets, walk-forward ensembles, registry, champion/challenger, the tool's options.
#include "ml/train.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "core/timeutil.hpp"
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
    ModelFile mf = read_model_file(champ->dir);
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

} // namespace

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
        res.text = series + ": too little data: " + std::to_string(l.data.rows()) +
                   " labelled rows of " + std::to_string(data.rows()) + " candles (need " +
                   std::to_string(cfg.min_rows) + " and enough for " +
                   std::to_string(cfg.split.folds) +
                   " folds): fetch more history (okx-stream --backfill 30d --store ...) or "
                   "lower --min-rows / --folds";
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
        Rows tr{l, f.train_begin, f.train_end};
        Rows va{l, f.valid_begin, f.valid_end};
        Rows te{l, f.test_begin, f.test_end};
        Ensemble e = Ensemble::train(tr.x(), tr.y(), tr.ret(), va.x(), va.y(), cols, cfg.params);
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
    rec.metrics =
        json{{"oos", metrics_json(oos)}, {"recent", metrics_json(recent)}, {"folds", fold_json}}
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
    mf.mu_up = model.mu_up();
    mf.mu_down = model.mu_down();
    mf.data_end = rec.data_end;
    const std::int64_t id = register_model(store, rec, mf, model);
    res.model = id;

    auto [promote_it, reason] = judge(store, l, last, p_last, cfg, id);
    const std::string score = " (out-of-sample auc " + fixed(oos.auc) + ", logloss " +
                              fixed(oos.logloss) + ", policy return " + fixed(oos.policy_return) +
                              " over " + std::to_string(oos.rows) + " rows)";
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

} // namespace

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
    std::string s =
        "id\tinst\tbar\thorizon\tstatus\tdata_end\tcreated\tauc\tlogloss\tpolicy_return\n";
    for (const ModelRecord& r : models) {
        json m = json::parse(r.metrics, nullptr, false);
        auto get = [&](const char* k) {
            if (m.is_object() && m.contains("oos") && m["oos"].contains(k) &&
                m["oos"][k].is_number()) {
                return m["oos"][k].get<double>();
            }
            return std::nan("");
        };
        s += std::to_string(r.id) + "\t" + r.inst + "\t" + r.bar + "\t" +
             std::to_string(r.horizon) + "\t" + r.status + "\t" + core::format_iso_ms(r.data_end) +
             "\t" + core::format_iso_ms(r.created_ms) + "\t" + fixed(get("auc")) + "\t" +
             fixed(get("logloss")) + "\t" + fixed(get("policy_return")) + "\n";
    }
    return s;
}

// --- the tool ---------------------------------------------------------------------------

namespace {

using core::OptType;

core::ToolSpec make_spec() {
    core::ToolSpec spec{
        "train",
        "walk-forward-validated XGBoost ensembles for okxkit predict",
        "train --symbols INST... | --all [--bar BAR] [--horizon N] [--every DURATION] [OPTIONS]\n"
        "       train --features FILE [OPTIONS]\n"
        "       train --list | --show ID | --promote ID",
        "Trains on the candles in the store (features computed in-process, as featurize does)\n"
        "or on featurize's output, registers the model and promotes it to champion only when\n"
        "it beats the current one on the same recent out-of-sample rows.\n"
        "Example: train --symbols BTC-USDT --bar 5m --horizon 12 --store store.db\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"symbols",
         0,
         OptType::kStrings,
         "INST",
         "instruments to train, comma- or space-separated (with --all: default config symbols)",
         {},
         "symbols"},
        {"all", 0, OptType::kFlag, "",
         "train every configured symbol (config symbols; else every instrument in the store)"},
        {"features", 0, OptType::kPath, "FILE",
         "train on featurize NDJSON (candles and features; - is stdin) instead of the store"},
        {"bar", 0, OptType::kString, "BAR", "candle bar", "5m", "train.bar"},
        {"horizon", 0, OptType::kInt, "N", "label: forward log return over N bars", "12",
         "train.horizon"},
        {"threshold", 0, OptType::kNumber, "R",
         "label up = forward log return above R (default: twice the taker fee)"},
        {"fee", 0, OptType::kNumber, "RATE", "taker fee per side, for labels and policy return",
         "0.001", "fees.taker"},
        {"embargo", 0, OptType::kInt, "N",
         "bars purged between training, validation and test blocks (>= horizon; default: "
         "horizon)"},
        {"folds", 0, OptType::kInt, "N", "walk-forward folds", "3", "train.folds"},
        {"members", 0, OptType::kInt, "K", "boosters per ensemble", "5", "train.members"},
        {"rounds", 0, OptType::kInt, "N", "most boosting rounds per booster", "300",
         "train.rounds"},
        {"early-stop", 0, OptType::kInt, "N",
         "stop a booster after N rounds without a better validation logloss", "20"},
        {"threads", 0, OptType::kInt, "N", "XGBoost threads", "1", "train.threads"},
        {"seed", 0, OptType::kInt, "N", "random seed (member k uses N + k)", "1"},
        {"window", 0, OptType::kString, "DURATION", "most recent stored history to train on", "30d",
         "train.window"},
        {"min-rows", 0, OptType::kInt, "N", "labelled rows needed to train", "1000"},
        {"every",
         0,
         OptType::kString,
         "DURATION",
         "do not train a series trained less than DURATION ago (for cron)",
         {},
         "train.every"},
        {"now", 0, OptType::kString, "TIME", "the run's clock (default: the system clock)"},
        {"set", 0, OptType::kPath, "FILE", "feature set (as featurize --set)", {}, "featurize.set"},
        {"list", 0, OptType::kFlag, "", "print the model registry and exit"},
        {"show", 0, OptType::kInt, "ID", "print the model card of model ID and exit"},
        {"promote", 0, OptType::kInt, "ID", "make model ID the champion of its series and exit"},
    };
    spec.options.assign(std::begin(own), std::end(own));
    for (auto set : {core::store_options(), core::input_options(), core::common_options()}) {
        spec.options.insert(spec.options.end(), set.begin(), set.end());
    }
    return spec;
}

std::vector<std::string> split_insts(const std::vector<std::string>& args, const char* what) {
    std::vector<std::string> out;
    for (const std::string& arg : args) {
        std::size_t pos = 0;
        while (pos <= arg.size()) {
            std::size_t comma = arg.find_first_of(", ", pos);
            std::string one = arg.substr(pos, comma == std::string::npos ? comma : comma - pos);
            if (!one.empty()) {
                auto inst = core::normalize_inst(one);
                if (!inst) {
                    throw core::UsageError(std::string(what) + ": \"" + one +
                                           "\" is not an instrument (e.g. BTC-USDT, BTCUSDT)");
                }
                out.push_back(*inst);
            }
            if (comma == std::string::npos) {
                break;
            }
            pos = comma + 1;
        }
    }
    return out;
}

std::int64_t positive(const core::Options& o, const char* name, std::int64_t min = 1) {
    std::int64_t v = o.integer(name);
    if (v < min) {
        throw core::UsageError("--" + std::string(name) + " must be at least " +
                               std::to_string(min));
    }
    return v;
}

std::int64_t duration(const core::Options& o, const char* name) {
    auto ms = core::parse_duration_ms(o.str(name));
    if (!ms || *ms <= 0) {
        throw core::UsageError("--" + std::string(name) + ": \"" + o.str(name) +
                               "\" is not a duration (e.g. 90m, 24h, 30d)");
    }
    return *ms;
}

features::FeatureSet feature_set(const core::Options& o) {
    if (!o.has("set")) {
        return features::FeatureSet::default_set();
    }
    try {
        return features::FeatureSet::from_toml_file(o.str("set"));
    } catch (const std::invalid_argument& e) {
        throw core::UsageError(std::string("--set: ") + e.what());
    }
}

std::int64_t model_id(const core::Options& o, const char* name) {
    return positive(o, name);
}

} // namespace

const core::ToolSpec& train_spec() {
    static const core::ToolSpec spec = make_spec();
    return spec;
}

int train_main(const core::Options& o) {
    std::string store_path = o.has("store") ? o.str("store") : store::default_store_path();
    core::Output out(STDOUT_FILENO, 1 << 16);
    if (o.flag("list")) {
        store::Store st(store_path);
        out.buffer() += model_table(list_models(st));
        out.flush();
        return 0;
    }
    if (o.has("show")) {
        store::Store st(store_path);
        auto rec = find_model(st, model_id(o, "show"));
        if (!rec) {
            throw core::UsageError("no model " + o.str("show") + " in the store " + store_path +
                                   " (see train --list)");
        }
        out.buffer() += model_card(*rec);
        out.flush();
        return 0;
    }
    if (o.has("promote")) {
        store::Store st(store_path);
        const std::int64_t id = model_id(o, "promote");
        promote(st, id, "promoted by hand (train --promote)");
        auto rec = find_model(st, id);
        out.line(rec->inst + " " + rec->bar + ": model " + std::to_string(id) +
                 " promoted to champion by hand");
        out.flush();
        return 0;
    }

    TrainConfig cfg;
    auto bar = core::parse_bar(o.str("bar"));
    if (!bar) {
        throw core::UsageError("--bar: \"" + o.str("bar") + "\" is not an OKX bar (1m 5m 1H ...)");
    }
    cfg.bar = std::string(bar->name);
    cfg.horizon = static_cast<int>(positive(o, "horizon"));
    cfg.fee = o.number("fee");
    if (!(cfg.fee >= 0 && cfg.fee < 0.1)) {
        throw core::UsageError("--fee must be a rate in [0, 0.1), e.g. 0.001 for 0.1%");
    }
    cfg.threshold = o.has("threshold") ? o.number("threshold") : 2 * cfg.fee;
    cfg.split.embargo = o.has("embargo") ? static_cast<int>(o.integer("embargo")) : cfg.horizon;
    if (cfg.split.embargo < cfg.horizon) {
        throw core::UsageError("--embargo (" + std::to_string(cfg.split.embargo) +
                               ") must be at least --horizon (" + std::to_string(cfg.horizon) +
                               "), or training labels would overlap the validation rows");
    }
    cfg.split.folds = static_cast<int>(positive(o, "folds"));
    cfg.params.members = static_cast<int>(positive(o, "members"));
    cfg.params.rounds = static_cast<int>(positive(o, "rounds"));
    cfg.params.early_stop = static_cast<int>(positive(o, "early-stop"));
    cfg.params.threads = static_cast<int>(positive(o, "threads"));
    cfg.params.seed = static_cast<std::uint64_t>(positive(o, "seed", 0));
    cfg.window_ms = duration(o, "window");
    cfg.min_rows = static_cast<std::size_t>(positive(o, "min-rows", 100));
    cfg.every_ms = o.has("every") ? duration(o, "every") : 0;
    if (o.has("now")) {
        auto t = core::parse_time_ms(o.str("now"));
        if (!t) {
            throw core::UsageError("--now: \"" + o.str("now") +
                                   "\" is not a time (ms since the epoch or ISO-8601)");
        }
        cfg.now_ms = *t;
    } else {
        cfg.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    }

    // The config's symbols are the list --all trains; without --all, only symbols given on
    // the command line count, so a bare `train` never trains everything by surprise.
    std::vector<std::string> insts;
    if (o.has("symbols") && (o.flag("all") || o.origin("symbols") == "command line")) {
        insts = split_insts(o.strs("symbols"), "--symbols");
    }
    const bool from_features = o.has("features");
    if (!from_features && insts.empty() && !o.flag("all")) {
        throw core::UsageError("say what to train: --symbols INST..., --all or --features FILE");
    }
    store::Store st(store_path);
    std::vector<TrainResult> results;
    if (from_features) {
        auto in = core::LineReader::open(o.str("features"),
                                         static_cast<std::size_t>(o.integer("max-line")));
        auto sets = read_feature_datasets(*in);
        for (const Dataset& d : sets) {
            if (d.bar != cfg.bar ||
                (!insts.empty() && std::find(insts.begin(), insts.end(), d.inst) == insts.end())) {
                continue;
            }
            results.push_back(train_dataset(st, d, cfg));
        }
        if (results.empty()) {
            throw core::Error(core::Exit::kUnavailable,
                              "no features of bar " + cfg.bar + " in " + o.str("features") +
                                  ": pipe okx-stream ... | featurize into it");
        }
    } else {
        if (o.flag("all") && insts.empty()) {
            insts = stored_insts(st, cfg.bar);
        }
        if (insts.empty()) {
            throw core::Error(core::Exit::kUnavailable,
                              "no candles of bar " + cfg.bar + " in the store " + store_path +
                                  ": fetch them with okx-stream --backfill 30d --store " +
                                  store_path);
        }
        const features::FeatureSet set = feature_set(o);
        for (const std::string& inst : insts) {
            try {
                results.push_back(train_stored(st, set, inst, cfg));
            } catch (const core::UsageError&) {
                throw;
            } catch (const std::exception& e) {
                Log::error(inst + " " + cfg.bar + ": " + e.what());
                TrainResult r;
                r.inst = inst;
                r.kind = TrainResult::Kind::kKept;
                r.model = -1;
                results.push_back(r);
            }
        }
    }
    int code = 0;
    for (const TrainResult& r : results) {
        if (r.model < 0) {
            code = 1;
            continue;
        }
        if (r.kind == TrainResult::Kind::kNoData) {
            Log::error(r.text);
            if (code == 0) {
                code = 5;
            }
            continue;
        }
        out.line(r.text);
    }
    out.flush();
    return code;
}

} // namespace okxkit::ml
