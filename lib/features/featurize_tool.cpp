// The featurize tool: its option table and the body that maps options to featurize().
#include "features/featurize_tool.hpp"

#include "core/error.hpp"
#include "features/config_keys.hpp"
#include "features/featurize.hpp"

#include <stdexcept>
#include <unistd.h>

namespace okxkit::features {

namespace {

using core::OptType;

core::ToolSpec make_spec() {
    core::ToolSpec spec{
        "featurize",
        "technical-indicator features per candle for okxkit pipelines",
        "featurize [--set FILE] [--format array|object] [--gap-policy reset|missing|ignore]\n"
        "                 [OPTIONS]\n"
        "       featurize --list [--set FILE]",
        "Reads NDJSON messages on stdin (candles from okx-stream), writes every line through\n"
        "and, per confirmed candle, a features message (after one feature_schema per bar).\n"
        "Example: okx-stream --replay BTC-USDT_5m.csv | featurize | tail -1\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"set",
         0,
         OptType::kPath,
         "FILE",
         "feature set (TOML: default, groups, features, exclude) instead of the default set",
         {},
         "featurize.set"},
        {"list", 0, OptType::kFlag, "",
         "print the features of the set (name, group, warm-up, definition) and exit"},
        {"format",
         0,
         OptType::kString,
         "FORMAT",
         "f as an array (for tools) or an object keyed by name (for people)",
         "array",
         "featurize.format",
         {},
         {},
         "array|object"},
        {"gap-policy",
         0,
         OptType::kString,
         "POLICY",
         "after a gap message or missing bars: reset (warm up again), missing (reset only where "
         "bars are really missing, trusting backfilled candles) or ignore",
         "reset",
         "featurize.gap_policy",
         {},
         {},
         "reset|missing|ignore"},
    };
    spec.options.assign(std::begin(own), std::end(own));
    for (auto set : {core::input_options(), core::output_options(), core::common_options()}) {
        spec.options.insert(spec.options.end(), set.begin(), set.end());
    }
    spec.config_keys = {{"features", config_keys()}};
    return spec;
}

} // namespace

const core::ToolSpec& featurize_spec() {
    static const core::ToolSpec spec = make_spec();
    return spec;
}

int featurize_main(const core::Options& o) {
    FeaturizeOptions f;
    if (o.has("set")) {
        try {
            f.set = FeatureSet::from_toml_file(o.str("set"));
        } catch (const std::invalid_argument& e) {
            // A path from the config file is reported with where it was written.
            const std::string origin = o.origin("set");
            std::string msg = origin.empty() || origin == "command line" ? "" : origin + ": ";
            msg += "--set: ";
            msg += e.what();
            throw core::UsageError(msg);
        }
    }
    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    if (o.flag("list")) {
        write_list(f.set, out);
        out.flush();
        return 0;
    }
    f.object_format = o.str("format") == "object";
    const std::string gap = o.str("gap-policy");
    f.gap_policy = gap == "reset"     ? GapPolicy::kReset
                   : gap == "missing" ? GapPolicy::kMissing
                                      : GapPolicy::kIgnore;
    f.strict = o.flag("strict");
    core::LineReader in(STDIN_FILENO, false, "-", static_cast<std::size_t>(o.integer("max-line")));
    return featurize(f, in, out);
}

} // namespace okxkit::features
