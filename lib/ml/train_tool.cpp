// The train tool: its option table and the body that maps options to training runs.
#include "ml/train_tool.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/signals.hpp"
#include "core/timeutil.hpp"
#include "features/config_keys.hpp"
#include "ml/config_keys.hpp"
#include "ml/dataset.hpp"
#include "ml/registry.hpp"
#include "ml/train.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <chrono>
#include <map>
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
         OptType::kInsts,
         "INST",
         "instruments to train, comma- or space-separated (with --all: default config symbols)",
         {},
         "symbols"},
        {"all", 0, OptType::kFlag, "",
         "train every configured symbol (config symbols; else every instrument in the store)"},
        {"features", 0, OptType::kPath, "FILE",
         "train on featurize NDJSON (candles and features; - is stdin) instead of the store"},
        {"bar", 0, OptType::kBar, "BAR", "candle bar", "5m", "train.bar"},
        {"horizon",
         0,
         OptType::kInt,
         "N",
         "label: forward log return over N bars",
         "12",
         "train.horizon",
         {},
         {},
         {},
         1,
         100000},
        {"threshold", 0, OptType::kNumber, "R",
         "label up = forward log return above R (default: twice the taker fee)"},
        {"fee", 0, OptType::kNumber, "RATE", "taker fee per side, for labels and policy return",
         "0.001", "fees.taker"},
        {"embargo",
         0,
         OptType::kInt,
         "N",
         "bars purged between training, validation and test blocks (>= horizon; default: "
         "horizon)",
         {},
         {},
         {},
         {},
         {},
         1,
         100000},
        {"folds",
         0,
         OptType::kInt,
         "N",
         "walk-forward folds",
         "3",
         "train.folds",
         {},
         {},
         {},
         1,
         100},
        {"members",
         0,
         OptType::kInt,
         "K",
         "boosters per ensemble",
         "5",
         "train.members",
         {},
         {},
         {},
         1,
         100},
        {"rounds",
         0,
         OptType::kInt,
         "N",
         "most boosting rounds per booster",
         "300",
         "train.rounds",
         {},
         {},
         {},
         1,
         100000},
        {"early-stop",
         0,
         OptType::kInt,
         "N",
         "stop a booster after N rounds without a better validation logloss",
         "20",
         {},
         {},
         {},
         {},
         1,
         100000},
        {"threads",
         0,
         OptType::kInt,
         "N",
         "XGBoost threads",
         "1",
         "train.threads",
         {},
         {},
         {},
         1,
         1024},
        {"seed",
         0,
         OptType::kInt,
         "N",
         "random seed (member k uses N + k)",
         "1",
         {},
         {},
         {},
         {},
         0},
        {"window", 0, OptType::kDuration, "DURATION", "most recent stored history to train on",
         "30d", "train.window"},
        {"min-rows",
         0,
         OptType::kInt,
         "N",
         "labelled rows needed to train",
         "1000",
         {},
         {},
         {},
         {},
         100},
        {"every",
         0,
         OptType::kDuration,
         "DURATION",
         "do not train a series trained less than DURATION ago (for cron)",
         {},
         "train.every"},
        {"now", 0, OptType::kTime, "TIME", "the run's clock (default: the system clock)"},
        {"set", 0, OptType::kPath, "FILE", "feature set (as featurize --set)", {}, "featurize.set"},
        {"list", 0, OptType::kFlag, "", "print the model registry and exit"},
        {"show",
         0,
         OptType::kInt,
         "ID",
         "print the model card of model ID and exit",
         {},
         {},
         {},
         {},
         {},
         1},
        {"promote",
         0,
         OptType::kInt,
         "ID",
         "make model ID the champion of its series and exit",
         {},
         {},
         {},
         {},
         {},
         1},
        {"force", 0, OptType::kFlag, "",
         "with --promote: promote a model that failed the skill gate (its confidence stays 0)"},
    };
    spec.options.assign(std::begin(own), std::end(own));
    for (auto set : {core::store_options(), core::run_options(), core::input_options(),
                     core::common_options()}) {
        spec.options.insert(spec.options.end(), set.begin(), set.end());
    }
    spec.config_keys = {{"features", features::config_keys()}, {"ml", config_keys()}};
    spec.refused = "--promote of a model that failed the skill gate, without --force";
    spec.complete_values = [](std::string_view option) {
        return option == "show" || option == "promote" ? completion_model_ids()
                                                       : std::vector<std::string>{};
    };
    return spec;
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

// A store that train only reads (--list, --show, --promote): it must exist already.
store::Store::Options existing_store() {
    store::Store::Options so;
    so.create = false;
    so.fill_hint = "okx-stream --backfill 30d --store PATH, then train --all --store PATH";
    return so;
}

// The training run: the series it trains, each judged and registered, one result each.
// Stops between series (and inside one, before registering it) at SIGINT/SIGTERM.
void train_all(const core::Options& o, store::Store& st, const TrainConfig& cfg,
               std::vector<std::string> insts, std::vector<TrainResult>& results) {
    if (o.has("features")) {
        auto in = core::LineReader::open(o.str("features"),
                                         static_cast<std::size_t>(o.integer("max-line")));
        ReadOptions ro;
        ro.strict = o.flag("strict");
        auto sets = read_feature_datasets(*in, ro);
        for (const Dataset& d : sets) {
            if (d.bar != cfg.bar ||
                (!insts.empty() && std::find(insts.begin(), insts.end(), d.inst) == insts.end())) {
                continue;
            }
            if (core::interrupted()) {
                break;
            }
            results.push_back(train_dataset(st, d, cfg));
        }
        if (results.empty() && !core::interrupted()) {
            throw core::RuntimeError("no features of bar " + cfg.bar + " in " + o.str("features") +
                                     ": pipe okx-stream ... | featurize into it");
        }
        return;
    }
    if (o.flag("all") && insts.empty()) {
        insts = stored_insts(st, cfg.bar);
    }
    if (insts.empty()) {
        throw core::RuntimeError("no candles of bar " + cfg.bar + " in the store " + st.path() +
                                 ": fetch them first, e.g. okx-stream --backfill 30d --bar " +
                                 cfg.bar + " --store " + st.path());
    }
    const features::FeatureSet set = feature_set(o);
    // A person at a terminal (or -v) sees how far a long run is; cron and pipes see nothing.
    core::Progress progress("train", core::Progress::Unit::kCount, "series", insts.size());
    std::uint64_t done = 0;
    for (const std::string& inst : insts) {
        if (core::interrupted()) {
            break;
        }
        progress.update(done++);
        try {
            results.push_back(train_stored(st, set, inst, cfg));
        } catch (const core::UsageError&) {
            throw;
        } catch (const core::Error& e) {
            if (e.code() == core::Exit::kInterrupted || e.code() == core::Exit::kTerminated) {
                throw;
            }
            Log::error(inst + " " + cfg.bar + ": " + e.what());
            results.push_back({TrainResult::Kind::kFailed, inst, cfg.bar, 0, e.what()});
        } catch (const std::exception& e) {
            Log::error(inst + " " + cfg.bar + ": " + e.what());
            results.push_back({TrainResult::Kind::kFailed, inst, cfg.bar, 0, e.what()});
        }
    }
}

} // namespace

const core::ToolSpec& train_spec() {
    static const core::ToolSpec spec = make_spec();
    return spec;
}

int train_main(const core::Options& o) {
    const std::string store_path = o.has("store") ? o.str("store") : store::default_store_path();
    core::Output out(STDOUT_FILENO, 1 << 16);
    if (o.flag("list")) {
        store::Store st(store_path, existing_store());
        out.buffer() += model_table(list_models(st));
        out.flush();
        return 0;
    }
    if (o.has("show")) {
        store::Store st(store_path, existing_store());
        auto rec = find_model(st, o.integer("show"));
        if (!rec) {
            throw core::UsageError("no model " + o.str("show") + " in the store " + store_path +
                                   " (see train --list)");
        }
        out.buffer() += model_card(*rec);
        out.flush();
        return 0;
    }
    if (o.has("promote")) {
        store::Store st(store_path, existing_store());
        const std::int64_t id = o.integer("promote");
        promote(st, id, hand_promotion(st, id, o.flag("force")));
        auto rec = find_model(st, id);
        out.line(rec->inst + " " + rec->bar + ": model " + std::to_string(id) +
                 " promoted to champion by hand");
        out.flush();
        return 0;
    }

    TrainConfig cfg;
    cfg.bar = std::string(o.bar("bar")->name);
    cfg.horizon = static_cast<int>(o.integer("horizon"));
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
    cfg.split.folds = static_cast<int>(o.integer("folds"));
    cfg.params.members = static_cast<int>(o.integer("members"));
    cfg.params.rounds = static_cast<int>(o.integer("rounds"));
    cfg.params.early_stop = static_cast<int>(o.integer("early-stop"));
    cfg.params.threads = static_cast<int>(o.integer("threads"));
    cfg.params.seed = static_cast<std::uint64_t>(o.integer("seed"));
    cfg.window_ms = *o.duration_ms("window");
    cfg.min_rows = static_cast<std::size_t>(o.integer("min-rows"));
    cfg.every_ms = o.duration_ms("every").value_or(0);
    cfg.now_ms = o.time_ms("now").value_or(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());

    // The config's symbols are the list --all trains; without --all, only symbols given on
    // the command line count, so a bare `train` never trains everything by surprise.
    std::vector<std::string> insts;
    if (o.has("symbols") && (o.flag("all") || o.origin("symbols") == "command line")) {
        insts = o.strs("symbols");
    }
    if (!o.has("features") && insts.empty() && !o.flag("all")) {
        throw core::UsageError("say what to train: --symbols INST..., --all or --features FILE");
    }
    store::Store st(store_path);
    store::RunRecord run(st, o.str("run"), "train",
                         o.has("features") ? "features " + o.str("features")
                                           : "bar " + cfg.bar + " window " + o.str("window"));
    std::vector<TrainResult> results;
    int code = 0;
    const auto started = std::chrono::steady_clock::now();
    try {
        train_all(o, st, cfg, std::move(insts), results);
    } catch (const core::Error& e) {
        if (e.code() != core::Exit::kInterrupted && e.code() != core::Exit::kTerminated) {
            run.end(store::RunRecord::status_of(core::exit_status(e.code())), 0);
            throw;
        }
        // Interrupted inside a series or a read: that series registered nothing.
        Log::warning(e.what());
        code = core::exit_status(e.code());
    }

    std::size_t trained = 0;
    std::size_t no_data = 0;
    std::size_t failed = 0;
    std::map<TrainResult::Kind, std::size_t> kinds;
    for (const TrainResult& r : results) {
        ++kinds[r.kind];
        switch (r.kind) {
        case TrainResult::Kind::kFailed:
            ++failed;
            break;
        case TrainResult::Kind::kNoData:
            ++no_data;
            Log::warning(r.text);
            break;
        case TrainResult::Kind::kPromoted:
        case TrainResult::Kind::kKept:
        case TrainResult::Kind::kRejected: // an honest outcome of a run that worked
            ++trained;
            out.line(r.text);
            break;
        case TrainResult::Kind::kSkipped:
            out.line(r.text);
            break;
        }
    }
    out.flush();
    Log::summary(
        std::to_string(results.size()) + " series in " +
        core::Progress::duration_text(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()) +
        ": " + std::to_string(kinds[TrainResult::Kind::kPromoted]) + " promoted, " +
        std::to_string(kinds[TrainResult::Kind::kKept]) + " kept, " +
        std::to_string(kinds[TrainResult::Kind::kRejected]) + " rejected, " +
        std::to_string(kinds[TrainResult::Kind::kSkipped]) + " skipped (--every), " +
        std::to_string(no_data) + " without enough data, " + std::to_string(failed) + " failed");
    if (code == 0 && core::interrupted()) {
        code = core::exit_status(core::interrupt_exit());
    }
    if (code != 0) {
        Log::warning("interrupted: " + std::to_string(trained) +
                     " model(s) registered before the signal; the series after them were not "
                     "trained");
    } else if (failed > 0) {
        code = 1;
    } else if (no_data > 0 && no_data == results.size()) {
        // Nothing could be trained: not a transient outage (exit 5 would have cron retry), but
        // a store that needs more history first; the warnings above say how much.
        Log::error("nothing trained: no series had enough data (see the warnings above)");
        code = 1;
    }
    run.end(store::RunRecord::status_of(code), static_cast<std::int64_t>(trained));
    return code;
}

} // namespace okxkit::ml
