// The select-strategy tool: its option table, and the bodies of its modes (the stage,
// --status, --validate, --schema, --compile).
#include "strategy/select_strategy_tool.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"
#include "core/json_out.hpp"
#include "core/json_scan.hpp"
#include "core/log.hpp"
#include "core/timeutil.hpp"
#include "features/engine.hpp"
#include "store/store.hpp"
#include "strategy/config_keys.hpp"
#include "strategy/selector.hpp"
#include "strategy/strategies.hpp"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace okxkit::strategy {

namespace {

using core::OptType;

// --strategies takes kinds (offered by the completions) and file names: candidate() judges.
std::optional<std::string> any_value(std::string_view /*value*/) {
    return std::nullopt;
}

core::ToolSpec make_spec() {
    core::ToolSpec spec{
        "select-strategy",
        "market regime, strategy selection, signals and intents for okxkit pipelines",
        "select-strategy [--strategies KIND|FILE...] [--bar BAR] [--eval-every DURATION]\n"
        "                       [--min-hold DURATION] [--explain] [--store FILE] [OPTIONS]\n"
        "       select-strategy --status [--format text|json] [--store FILE] [--run NAME]\n"
        "       select-strategy --validate FILE... [--format text|json]\n"
        "       select-strategy --schema | --compile FILE",
        "Reads NDJSON on stdin (candles; predictions for the ml strategy), writes every line\n"
        "through and, per confirmed candle, the regime at each evaluation, assignments, and the\n"
        "assigned strategy's signal and intent lines.\n"
        "Example: okx-stream --replay BTC-USDT_5m.csv | select-strategy --store s.db | grep "
        "intent\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"strategies",
         0,
         OptType::kStrings,
         "KIND|FILE...",
         "candidate strategies: kinds (grid, trend, mean_reversion, ml: built-in defaults) or "
         "strategy files (TOML; rules strategies only as files)",
         "trend,grid,mean_reversion,ml",
         "strategy.candidates",
         {},
         {},
         "grid|trend|mean_reversion|ml",
         core::kNoMin,
         core::kNoMax,
         &any_value},
        {"bar", 0, OptType::kBar, "BAR", "the candle bar decisions are made on", "5m",
         "strategy.bar"},
        {"eval-every", 0, OptType::kDuration, "DURATION",
         "re-evaluate the assignment every DURATION of event time", "6h", "strategy.eval_every"},
        {"min-hold", 0, OptType::kDuration, "DURATION",
         "least time a strategy stays assigned before a switch", "24h", "strategy.min_hold"},
        {"hysteresis", 0, OptType::kNumber, "X",
         "a challenger's suitability must beat the incumbent's by X (0 to 1) to switch", "0.1",
         "strategy.hysteresis"},
        {"pnl-window", 0, OptType::kDuration, "DURATION",
         "trailing window of each candidate's signal P&L", "3d", "strategy.pnl_window"},
        {"on-switch",
         0,
         OptType::kString,
         "keep|flatten",
         "on a switch, keep the old strategy's exposure or flatten it",
         "keep",
         "strategy.on_switch",
         {},
         {},
         "keep|flatten"},
        {"fee", 0, OptType::kNumber, "RATE",
         "fee per unit of position change in the signal P&L (0.001 = 0.1%)", "0.001", "fees.taker"},
        {"explain", 0, OptType::kFlag, "",
         "print the decision path of every evaluation on stderr, and per candle what a rules "
         "strategy's conditions and actions did"},
        {"status", 0, OptType::kFlag, "",
         "print per instrument the strategy, since when, suitability, regime and switches from "
         "the store, and exit"},
        {"evaluations",
         0,
         OptType::kInt,
         "N",
         "--status: count the switches of the last N evaluations",
         "20",
         "strategy.max_evaluations",
         {},
         {},
         {},
         1,
         100000},
        {"validate", 0, OptType::kStrings, "FILE...",
         "check strategy files (every problem with file, line and key) and exit: 0 valid, 2 not"},
        {"schema", 0, OptType::kFlag, "", "print the strategy files' JSON Schema and exit"},
        {"compile", 0, OptType::kPath, "FILE",
         "print the shell pipeline and crontab lines that run strategy FILE, and exit"},
        {"format",
         0,
         OptType::kString,
         "text|json",
         "output of --status and --validate",
         "text",
         {},
         {},
         {},
         "text|json"},
    };
    spec.options.assign(std::begin(own), std::end(own));
    for (auto set : {core::store_options(), core::run_options(), core::input_options(),
                     core::output_options(), core::common_options()}) {
        spec.options.insert(spec.options.end(), set.begin(), set.end());
    }
    spec.config_keys = {{"strategy", config_keys()}};
    return spec;
}

std::string origin_prefix(const core::Options& o, std::string_view name) {
    const std::string origin = o.origin(name);
    return origin.empty() || origin == "command line" || origin == "default" ? "" : origin + ": ";
}

// A candidate: a kind's defaults, or a strategy file.
StrategyConfig candidate(const std::string& arg) {
    if (find_kind(arg) != nullptr && !std::filesystem::exists(arg)) {
        if (arg == "rules") {
            throw core::UsageError("--strategies: rules has no built-in graph: give a rules "
                                   "strategy file (see the rules kind in select-strategy(1))");
        }
        return defaults(arg);
    }
    if (!std::filesystem::exists(arg)) {
        throw core::UsageError("--strategies: " + core::excerpt(arg, 200) +
                               " is neither a strategy kind (" + kind_list() + ") nor a file");
    }
    return load_file(arg);
}

double number_key(const core::Options& o, std::string_view key, double def, double lo, double hi) {
    auto node = o.config().root();
    const auto dot = key.find('.');
    auto v = node.table(key.substr(0, dot)).number(key.substr(dot + 1));
    if (!v) {
        return def;
    }
    if (!(*v >= lo && *v <= hi)) {
        throw core::UsageError(o.config().path() + ": key \"" + std::string(key) +
                               "\" must be from " + number_text(lo) + " to " + number_text(hi));
    }
    return *v;
}

SelectOptions select_options(const core::Options& o) {
    SelectOptions s;
    const core::Bar bar = *o.bar("bar");
    s.bar = std::string(bar.name);
    s.bar_ms = bar.ms;
    for (const std::string& c : o.strs("strategies")) {
        try {
            s.candidates.push_back(candidate(c));
        } catch (const core::UsageError& e) {
            throw core::UsageError(origin_prefix(o, "strategies") + e.what());
        }
    }
    for (std::size_t i = 0; i < s.candidates.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (s.candidates[i].name == s.candidates[j].name) {
                throw core::UsageError("--strategies: two candidates are named \"" +
                                       s.candidates[i].name +
                                       "\": give one of them another name (name = \"...\" in "
                                       "its file)");
            }
        }
    }
    s.eval_every_ms = *o.duration_ms("eval-every");
    s.min_hold_ms = *o.duration_ms("min-hold");
    s.pnl_window_ms = *o.duration_ms("pnl-window");
    if (s.eval_every_ms < s.bar_ms) {
        throw core::UsageError("--eval-every must be at least one bar (" + s.bar + ")");
    }
    s.hysteresis = o.number("hysteresis");
    if (!(s.hysteresis >= 0 && s.hysteresis <= 1)) {
        throw core::UsageError(origin_prefix(o, "hysteresis") + "--hysteresis must be from 0 to 1");
    }
    s.fee = o.number("fee");
    if (!(s.fee >= 0 && s.fee < 0.1)) {
        throw core::UsageError(origin_prefix(o, "fee") + "--fee must be from 0 to 0.1");
    }
    s.flatten_on_switch = o.str("on-switch") == "flatten";
    s.weight_regime = number_key(o, "strategy.weight_regime", 0.6, 0, 1);
    s.weight_pnl = number_key(o, "strategy.weight_pnl", 0.4, 0, 1);
    if (s.weight_regime + s.weight_pnl <= 0) {
        throw core::UsageError(o.config().path() +
                               ": strategy.weight_regime and strategy.weight_pnl are both 0");
    }
    s.pnl_scale = number_key(o, "strategy.pnl_scale", 0.02, 1e-6, 10);
    s.regime.trend_threshold = number_key(o, "strategy.trend_threshold", 0.5, 0, 1);
    s.regime.volatile_threshold = number_key(o, "strategy.volatile_threshold", 0.85, 0, 1);
    // Pins: [strategy.pin.BTC-USDT] kind = "grid" or file = "grid.toml".
    const core::ConfigNode pins = o.config().root().table("strategy").table("pin");
    for (const auto& [name, node] : pins.entries()) {
        auto inst = core::normalize_inst(name);
        if (!inst) {
            throw core::UsageError(node.where() + ": [strategy.pin] " + core::excerpt(name) +
                                   ": not an instrument (write BTC-USDT)");
        }
        auto kind = node.string("kind");
        auto file = node.string("file");
        if (kind.has_value() == file.has_value()) {
            throw core::UsageError(node.where() + ": [strategy.pin." + name +
                                   R"(] needs exactly one of kind = "..." and file = "...")");
        }
        if (kind && find_kind(*kind) == nullptr) {
            throw core::UsageError(node.where() + ": [strategy.pin." + name + "]: kind " +
                                   core::excerpt(*kind) + " is not " + kind_list());
        }
        if (kind && *kind == "rules") {
            throw core::UsageError(node.where() + ": [strategy.pin." + name +
                                   R"(]: a rules strategy comes from its file: file = "...")");
        }
        try {
            s.pinned[*inst] = kind ? defaults(*kind) : load_file(core::expand_home(*file));
        } catch (const core::UsageError& e) {
            throw core::UsageError(node.where() + ": [strategy.pin." + name + "]: " + e.what());
        }
        s.pin_origin[*inst] = node.where();
    }
    s.explain = o.flag("explain");
    s.store_path = o.has("store") ? o.str("store") : store::default_store_path();
    s.run_id = o.str("run");
    s.strict = o.flag("strict");
    return s;
}

int validate(const core::Options& o) {
    const auto& files = o.strs("validate");
    const bool json = o.str("format") == "json";
    std::vector<Problem> all;
    std::string text;
    for (const std::string& f : files) {
        StrategyConfig c;
        auto problems = check_file(f, &c);
        if (problems.empty() && !json) {
            const std::string ok = f + ": ok (kind " + c.kind + ", name " + c.name + ")\n";
            std::fwrite(ok.data(), 1, ok.size(), stdout);
        }
        for (const Problem& p : problems) {
            text += p.text() + "\n";
        }
        all.insert(all.end(), problems.begin(), problems.end());
    }
    if (json) {
        std::string out = R"({"valid":)";
        out += all.empty() ? "true" : "false";
        out += R"(,"files":)" + std::to_string(files.size()) + R"(,"errors":[)";
        for (std::size_t i = 0; i < all.size(); ++i) {
            out += i ? ",{" : "{";
            out += R"("file":)";
            core::append_json_string(out, all[i].file);
            out += R"(,"line":)" + std::to_string(all[i].line) + R"(,"key":)";
            core::append_json_string(out, all[i].key);
            out += R"(,"message":)";
            core::append_json_string(out, all[i].message);
            out += '}';
        }
        out += "]}\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
    } else {
        std::fflush(stdout);
        std::fwrite(text.data(), 1, text.size(), stderr);
    }
    return all.empty() ? 0 : 2;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string s;
    for (const auto& x : v) {
        s += s.empty() ? "" : sep;
        s += x;
    }
    return s;
}

} // namespace

std::string compile_pipeline(const StrategyConfig& c, const std::string& file, const core::Bar& bar,
                             const std::string& symbols, const std::string& store,
                             const std::string& run) {
    // Warm-up: the slowest of the regime score and the strategy's indicators, with room.
    auto strat = make_strategy(c);
    std::vector<std::string> names = RegimeScorer::feature_names();
    for (auto& n : strat->feature_names()) {
        names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::uint64_t bars = RegimeScorer::warmup(RegimeConfig{});
    for (const auto& info : features::FeatureSet::from_names(names).describe()) {
        bars = std::max(bars, info.warmup);
    }
    const std::int64_t hours =
        (static_cast<std::int64_t>(bars) * 3 / 2 * bar.ms + 3599999) / 3600000;
    const std::string common = " --store " + store;
    std::string p;
    p += "# okxkit pipeline for the " + c.kind + " strategy \"" + c.name + "\" of " + file + "\n";
    p += "# (select-strategy --compile; warm-up " + std::to_string(bars) + " bars of " +
         std::string(bar.name) + ", backfilled first)\n";
    p += "{ okx-stream --backfill " + std::to_string(hours) + "h --bar " + std::string(bar.name) +
         " --symbols " + symbols + common + " --run " + run +
         "; exec okx-stream --channels candle" + std::string(bar.name) + " --symbols " + symbols +
         common + " --run " + run + "; } \\\n";
    if (c.kind == "ml") {
        p += "  | predict" + common + " --run " + run + " \\\n";
    }
    p += "  | select-strategy --strategies " + file + " --bar " + std::string(bar.name) + common +
         " --run " + run + "\n";
    p += "# crontab lines (crontab -e):\n";
    if (c.kind == "ml") {
        p += "17 3 * * * train --symbols " + symbols + " --bar " + std::string(bar.name) + common +
             " --every 1d\n";
    }
    p += "*/15 * * * * select-strategy --status --format json" + common + " --run " + run +
         " > \"${XDG_STATE_HOME:-$HOME/.local/state}/okxkit-status.json\"\n";
    return p;
}

namespace {

int compile(const core::Options& o) {
    const std::string file = o.str("compile");
    const StrategyConfig c = load_file(file);
    const std::string symbols = join(
        o.config()
            .get("symbols", core::ConfigType::kStrings)
            .value_or(std::vector<std::string>{"BTC-USDT", "ETH-USDT", "ADA-USDT", "BNB-USDT",
                                               "DOT-USDT", "LINK-USDT", "LTC-USDT", "XRP-USDT"}),
        ",");
    const std::string store = o.has("store") ? o.str("store") : store::default_store_path();
    const std::string p = compile_pipeline(c, file, *o.bar("bar"), symbols, store, o.str("run"));
    std::fwrite(p.data(), 1, p.size(), stdout);
    return 0;
}

int status(const core::Options& o) {
    const std::string path = o.has("store") ? o.str("store") : store::default_store_path();
    store::Store::Options so;
    so.create = false;
    so.fill_hint = "okx-stream --replay FILE | select-strategy --store PATH";
    store::Store st(path, so);
    const std::string run = o.str("run");
    const auto n = o.integer("evaluations");
    auto q = st.prepare(
        "SELECT e.inst, e.bar, e.ts, e.label, e.score, e.chosen, e.candidates, "
        "(SELECT a.ts FROM strategy_assignments a WHERE a.run_id = e.run_id AND a.inst = e.inst "
        "AND a.bar = e.bar ORDER BY a.ts DESC LIMIT 1), "
        "(SELECT count(*) FROM (SELECT decision FROM strategy_evaluations x WHERE x.run_id = "
        "e.run_id AND x.inst = e.inst AND x.bar = e.bar ORDER BY x.ts DESC LIMIT ?2) WHERE "
        "decision = 'switch'), "
        "(SELECT count(*) FROM strategy_evaluations x WHERE x.run_id = e.run_id AND x.inst = "
        "e.inst AND x.bar = e.bar) "
        "FROM strategy_evaluations e WHERE e.run_id = ?1 AND e.ts = (SELECT max(ts) FROM "
        "strategy_evaluations y WHERE y.run_id = e.run_id AND y.inst = e.inst AND y.bar = e.bar) "
        "ORDER BY e.inst, e.bar");
    q.bind(1, run).bind(2, n);
    struct Row {
        std::string inst, bar, label, strategy;
        std::int64_t ts = 0, since = 0, switches = 0, evaluations = 0;
        double score = 0, suitability = 0;
    };
    std::vector<Row> rows;
    double sum = 0;
    std::int64_t last = 0;
    while (q.step()) {
        Row r;
        r.inst = q.column_text(0);
        r.bar = q.column_text(1);
        r.ts = q.column_int(2);
        r.label = q.column_text(3);
        r.score = q.column_double(4);
        r.strategy = q.column_text(5);
        for (const auto& c : nlohmann::json::parse(q.column_text(6))) {
            if (c["name"] == r.strategy) {
                r.suitability = c["suitability"].get<double>();
            }
        }
        // Times of decisions: the close of the candle they were made on.
        const std::int64_t bar_ms = core::parse_bar(r.bar) ? core::parse_bar(r.bar)->ms : 0;
        r.since = q.column_int(7) + bar_ms;
        r.ts += bar_ms;
        r.switches = q.column_int(8);
        r.evaluations = q.column_int(9);
        sum += r.score;
        last = std::max(last, r.ts);
        rows.push_back(std::move(r));
    }
    const double market = rows.empty() ? 0 : sum / static_cast<double>(rows.size());
    std::string out;
    if (o.str("format") == "json") {
        out = R"({"run":)";
        core::append_json_string(out, run);
        out += R"(,"store":)";
        core::append_json_string(out, path);
        out += R"(,"market_score":)";
        if (rows.empty()) {
            out += "null";
        } else {
            core::append_double(out, std::round(market * 1e6) / 1e6);
        }
        out += R"(,"last_evaluation":)";
        core::append_int(out, last);
        out += R"(,"window":)" + std::to_string(n) + R"(,"symbols":[)";
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Row& r = rows[i];
            out += i ? ",{" : "{";
            out += R"("inst":)";
            core::append_json_string(out, r.inst);
            out += R"(,"bar":)";
            core::append_json_string(out, r.bar);
            out += R"(,"strategy":)";
            core::append_json_string(out, r.strategy);
            out += R"(,"since":)";
            core::append_int(out, r.since);
            out += R"(,"suitability":)";
            core::append_double(out, r.suitability);
            out += R"(,"label":)";
            core::append_json_string(out, r.label);
            out += R"(,"score":)";
            core::append_double(out, r.score);
            out += R"(,"switches":)" + std::to_string(r.switches);
            out += R"(,"evaluations":)" + std::to_string(r.evaluations);
            out += R"(,"evaluated":)";
            core::append_int(out, r.ts);
            out += '}';
        }
        out += "]}\n";
    } else {
        if (rows.empty()) {
            out = "no evaluations of run " + run + " in the store " + path +
                  " (run select-strategy --store " + path + " --run " + run + " on candles)\n";
        } else {
            char buf[256];
            std::snprintf(buf, sizeof buf,
                          "run %s: %zu instrument%s, market-wide regime score %.2f (last "
                          "evaluation %s)\n",
                          run.c_str(), rows.size(), rows.size() == 1 ? "" : "s", market,
                          core::format_iso_ms(last).c_str());
            out += buf;
            std::snprintf(buf, sizeof buf, "%-12s %-4s %-16s %-20s %-11s %-10s %-5s %s\n", "INST",
                          "BAR", "STRATEGY", "SINCE", "SUITABILITY", "REGIME", "SCORE",
                          ("SWITCHES/" + std::to_string(n)).c_str());
            out += buf;
            for (const Row& r : rows) {
                std::snprintf(buf, sizeof buf, "%-12s %-4s %-16s %-20s %-11.2f %-10s %-5.2f %lld\n",
                              r.inst.c_str(), r.bar.c_str(), r.strategy.c_str(),
                              core::format_iso_ms(r.since).substr(0, 16).append("Z").c_str(),
                              r.suitability, r.label.c_str(), r.score,
                              static_cast<long long>(r.switches));
                out += buf;
            }
        }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
}

} // namespace

const core::ToolSpec& select_strategy_spec() {
    static const core::ToolSpec spec = make_spec();
    return spec;
}

int select_strategy_main(const core::Options& o) {
    if (o.flag("schema")) {
        const std::string s = schema_json() + "\n";
        std::fwrite(s.data(), 1, s.size(), stdout);
        return 0;
    }
    if (o.has("validate")) {
        return validate(o);
    }
    if (o.has("compile")) {
        return compile(o);
    }
    if (o.flag("status")) {
        return status(o);
    }
    SelectOptions s = select_options(o);
    store::Store st(s.store_path);
    store::RunRecord run(
        st, s.run_id, "select-strategy", "candidates " + [&] {
            std::vector<std::string> n;
            for (const auto& c : s.candidates) {
                n.push_back(c.name);
            }
            return join(n, ",");
        }());
    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    core::LineReader in(STDIN_FILENO, false, "-", static_cast<std::size_t>(o.integer("max-line")));
    SelectStats stats;
    int code = 0;
    try {
        code = select_strategy(s, in, out, &stats);
    } catch (const core::Error& e) {
        run.end(store::RunRecord::status_of(core::exit_status(e.code())),
                static_cast<std::int64_t>(stats.intents));
        throw;
    }
    run.end(store::RunRecord::status_of(code), static_cast<std::int64_t>(stats.intents));
    core::Log::summary(
        "select-strategy: " + std::to_string(stats.candles) + " candles, " +
        std::to_string(stats.evaluations) + " evaluations, " + std::to_string(stats.assignments) +
        " assignments (" + std::to_string(stats.switches) + " switches), " +
        std::to_string(stats.signals) + " signals, " + std::to_string(stats.intents) + " intents");
    return code;
}

} // namespace okxkit::strategy
