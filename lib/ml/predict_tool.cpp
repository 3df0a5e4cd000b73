// The predict tool: its option table and the body that maps options to predict().
#include "ml/predict_tool.hpp"

#include "core/error.hpp"
#include "features/config_keys.hpp"
#include "ml/config_keys.hpp"
#include "ml/drift.hpp"
#include "ml/predict.hpp"
#include "ml/registry.hpp"
#include "store/store.hpp"

#include <memory>
#include <stdexcept>
#include <unistd.h>

namespace okxkit::ml {

namespace {

using core::OptType;

core::ToolSpec make_spec() {
    core::ToolSpec spec{
        "predict",
        "XGBoost ensemble predictions per confirmed candle for okxkit pipelines",
        "predict [--model ID|FILE] [--max-age DURATION] [--set FILE] [--store FILE] [OPTIONS]",
        "Reads NDJSON on stdin (candles, or featurize's output), writes every line through\n"
        "and, per confirmed candle of a series with a champion model, a prediction message.\n"
        "Example: okx-stream --replay BTC-USDT_5m.csv | predict --store store.db | tail -1\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"model", 0, OptType::kString, "ID|FILE",
         "use this model (registry id, or a model.json) for its instrument and bar instead of "
         "the champions"},
        {"max-age", 0, OptType::kDuration, "DURATION",
         "refuse (exit 4) a model whose data ends longer than DURATION before a candle", "7d",
         "predict.max_age"},
        {"drift-window", 0, OptType::kInt, "N",
         "rows per series compared with the model's training data for drift (0: off)", "288"},
        {"drop-features", 0, OptType::kFlag, "",
         "read featurize's features lines but do not write them on (nothing after predict uses "
         "them, and they are nearly all of a pipeline's bytes)"},
        {"set",
         0,
         OptType::kPath,
         "FILE",
         "feature set for candle input (as featurize --set; must match the model)",
         {},
         "featurize.set"},
    };
    spec.options.assign(std::begin(own), std::end(own));
    for (auto set : {core::store_options(), core::run_options(), core::input_options(),
                     core::output_options(), core::common_options()}) {
        spec.options.insert(spec.options.end(), set.begin(), set.end());
    }
    spec.config_keys = {{"features", features::config_keys()}, {"ml", config_keys()}};
    spec.refused = "a model trained on another feature schema, older than --max-age, or whose "
                   "files are not its registry row's";
    spec.complete_values = [](std::string_view option) {
        return option == "model" ? completion_model_ids() : std::vector<std::string>{};
    };
    return spec;
}

} // namespace

const core::ToolSpec& predict_spec() {
    static const core::ToolSpec spec = make_spec();
    return spec;
}

int predict_main(const core::Options& o) {
    PredictOptions p;
    p.store_path = o.has("store") ? o.str("store") : store::default_store_path();
    if (o.has("model")) {
        p.model = o.str("model");
    }
    p.max_age_ms = *o.duration_ms("max-age");
    // Below the shortest window train measures limits for, PSI over eleven bins is mostly noise.
    const std::int64_t window = o.integer("drift-window");
    const auto shortest = static_cast<std::int64_t>(kDriftWindows[0]);
    if (window != 0 && (window < shortest || window > 1000000)) {
        throw core::UsageError("--drift-window must be 0 (off) or a number of rows from " +
                               std::to_string(shortest) + " to 1000000");
    }
    p.drift_window = static_cast<std::size_t>(window);
    if (o.has("set")) {
        try {
            p.set = features::FeatureSet::from_toml_file(o.str("set"));
        } catch (const std::invalid_argument& e) {
            throw core::UsageError(std::string("--set: ") + e.what());
        }
    }
    p.drop_features = o.flag("drop-features");
    p.strict = o.flag("strict");
    // The run is recorded in the store predict reads its models from (none with --model FILE).
    const bool model_file =
        p.model && p.model->find_first_not_of("0123456789") != std::string::npos;
    std::unique_ptr<store::Store> st;
    std::unique_ptr<store::RunRecord> run;
    if (!model_file) {
        st = std::make_unique<store::Store>(p.store_path, existing_store());
        run = std::make_unique<store::RunRecord>(*st, o.str("run"), "predict",
                                                 p.model ? "model " + *p.model : "champions");
    }
    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    core::LineReader in(STDIN_FILENO, false, "-", static_cast<std::size_t>(o.integer("max-line")));
    PredictStats stats;
    int code = 0;
    try {
        code = predict(p, in, out, &stats);
    } catch (const core::Error& e) {
        if (run) {
            run->end(store::RunRecord::status_of(core::exit_status(e.code())),
                     static_cast<std::int64_t>(stats.predictions));
        }
        throw;
    }
    if (run) {
        run->end(store::RunRecord::status_of(code), static_cast<std::int64_t>(stats.predictions));
    }
    return code;
}

} // namespace okxkit::ml
