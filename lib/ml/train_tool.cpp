// The train tool: its option table and the body that maps options to training runs.
#include "ml/train_tool.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "core/timeutil.hpp"
#include "ml/train.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <unistd.h>

namespace okxkit::ml {

// --- the tool ---------------------------------------------------------------------------

namespace {

using core::Log;
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
        {"force", 0, OptType::kFlag, "",
         "with --promote: promote a model that failed the skill gate (its confidence stays 0)"},
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
        promote(st, id, hand_promotion(st, id, o.flag("force")));
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
