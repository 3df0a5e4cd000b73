// predict: model lookup (champion or --model), feature input (messages or in-process),
// refusals (schema, age), prediction messages, the tool's options.
#include "ml/predict.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/filter.hpp"
#include "core/json_out.hpp"
#include "core/json_scan.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/timeutil.hpp"
#include "ml/dataset.hpp"
#include "ml/drift.hpp"
#include "ml/registry.hpp"
#include "store/store.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <unistd.h>

namespace okxkit::ml {

namespace {

using core::Log;

constexpr double kFloatMax = std::numeric_limits<float>::max();

// "7d", "7d5m", "36h" ... as parse_duration_ms reads them (seconds dropped).
std::string duration_text(std::int64_t ms) {
    std::string s;
    const std::int64_t units[] = {86400000, 3600000, 60000};
    const char* names[] = {"d", "h", "m"};
    for (int i = 0; i < 3; ++i) {
        if (ms >= units[i]) {
            s += std::to_string(ms / units[i]) + names[i];
            ms %= units[i];
        }
    }
    return s.empty() ? "0m" : s;
}

struct Loaded {
    ModelFile file;
    Ensemble ensemble;
    std::string where;                   // "model 3" or the file
    std::unique_ptr<DriftMonitor> drift; // the rolling drift check (none with --drift-window 0)
};

// The values of a validated features message's "f" into row (null = NaN); false when one is
// neither a number nor null, or is beyond the range of a float (the models' type).
bool read_f(const nlohmann::json& f, std::vector<float>& row) {
    row.clear();
    for (const auto& v : f) {
        if (v.is_null()) {
            row.push_back(std::numeric_limits<float>::quiet_NaN());
        } else if (v.is_number() && std::fabs(v.get<double>()) <= kFloatMax) {
            row.push_back(static_cast<float>(v.get<double>()));
        } else {
            return false;
        }
    }
    return true;
}

} // namespace

bool read_features_fast(std::string_view s, FeaturesLine& out, std::vector<float>& row) {
    core::FeaturesFields k;
    if (!core::read_features_fast(s, k, &row)) {
        return false;
    }
    out.ts = k.ts;
    out.inst = k.inst;
    out.bar = k.bar;
    out.schema = k.schema;
    return true;
}

store::Store::Options existing_store() {
    store::Store::Options so;
    so.create = false;
    so.fill_hint = "okx-stream --replay FILE --store PATH, then train --all --store PATH";
    return so;
}

namespace {

class Predictor : public core::FilterStage {
public:
    Predictor(const PredictOptions& o, core::Output& out)
        : opts_(o), out_(out), set_hash_(o.set.hash()) {
        sink_ = [this](const features::Emitted& e) { emitted(e); };
        choose_ = [this](const core::FeaturesFields& h) -> std::vector<float>* {
            if (fixed_) {
                return fixed_->file.inst == h.inst && fixed_->file.bar == h.bar ? &row_ : nullptr;
            }
            key_.assign(h.inst);
            key_ += ' ';
            key_ += h.bar;
            auto it = champions_.find(key_);
            return it != champions_.end() && it->second == nullptr ? nullptr : &row_;
        };
        if (o.model) {
            fixed_ = load_fixed(*o.model);
        }
    }

    Fast fast(core::Filter& f, std::string_view text) override {
        // The values are read only for a series that has a model, or whose model is not looked
        // up yet; the others' are checked only.
        core::FeaturesFields h;
        if (core::read_features_fast(text, h, choose_)) {
            features(f, FeaturesLine{h.ts, h.inst, h.bar, h.schema}, text);
            return Fast::kTaken;
        }
        core::CandleFields c;
        if (core::read_candle_fast(text, c)) {
            candle(f, c, text);
            return Fast::kTaken;
        }
        return Fast::kGeneral;
    }

    void message(core::Filter& f, const core::Message& m) override {
        if (m.type == "features") {
            FeaturesLine k;
            k.ts = m.json["ts"].get<std::int64_t>();
            k.inst = m.json["inst"].get_ref<const std::string&>();
            k.bar = m.json["bar"].get_ref<const std::string&>();
            k.schema = m.json["schema"].get_ref<const std::string&>();
            if (!read_f(m.json["f"], row_)) {
                f.reject("\"f\" holds a value that is neither null nor a number a float can "
                         "hold (at most 3.4e38 in magnitude)");
                return;
            }
            features(f, k, m.text);
            return;
        }
        if (m.type == "candle") {
            candle(f, core::candle_fields(m.json), m.text);
            return;
        }
        f.pass(m.text);
        if (m.type == "feature_schema") {
            message_bars_.insert(m.json["bar"].get<std::string>());
        } else if (m.type == "gap" && engine_) {
            engine_->gap(m.json["inst"].get_ref<const std::string&>(),
                         m.json["bar"].get_ref<const std::string&>(), sink_);
        }
    }

    void finish(core::Filter& f) override {
        if (engine_) {
            engine_->finish(sink_);
        }
        // Candles count as used input only for bars whose features never came as messages:
        // featurize writes a bar's first candle before its features, and a stream of features
        // lines that were all rejected has nothing usable in it.
        for (const auto& [bar, n] : in_process_) {
            if (n > 0 && message_bars_.count(bar) == 0) {
                f.used();
                break;
            }
        }
    }

    std::string hint(std::string_view first_bad, std::string_view reason) override {
        if (reason == R"(field "f" must be an array)" ||
            first_bad.find(R"("type":"features")") != std::string_view::npos) {
            return "predict needs featurize's array format (featurize --format array, the "
                   "default), not --format object";
        }
        return {};
    }
    PredictStats& stats() { return stats_; }

private:
    // A features message: the series' model (if any) predicts its values.
    void features(core::Filter& f, const FeaturesLine& k, std::string_view text) {
        if (message_bars_.find(k.bar) == message_bars_.end()) {
            message_bars_.emplace(k.bar);
        }
        Loaded* m = model_for(k.inst, k.bar);
        f.used();
        if (m == nullptr) {
            keep(f, text);
            return;
        }
        if (k.schema != m->file.schema) {
            refuse(m->where + " of " + std::string(k.inst) + " " + std::string(k.bar) +
                   " was trained on feature schema " + m->file.schema + " (" +
                   std::to_string(m->file.names.size()) +
                   " features) but the input's features have schema " + std::string(k.schema) +
                   ": run featurize with the model's feature set (its names are in " +
                   "model.json; see train --show), or train a model on this feature set");
        }
        if (row_.size() != m->file.names.size()) {
            f.reject("\"f\" holds " + std::to_string(row_.size()) + " values, but schema " +
                     std::string(k.schema) + " names " + std::to_string(m->file.names.size()));
            return;
        }
        keep(f, text);
        predict_row(*m, k.inst, k.bar, k.ts);
    }

    // A features line goes on unless --drop-features: nothing after predict reads them, and
    // they are nearly all of a pipeline's bytes.
    void keep(core::Filter& f, std::string_view text) const {
        if (!opts_.drop_features) {
            f.pass(text);
        }
    }

    // A candle: checked as featurize checks it; featurized in-process (and predicted) unless
    // the input brings its features as messages.
    void candle(core::Filter& f, const core::CandleFields& k, std::string_view text) {
        std::int64_t ms = 0;
        if (auto err = core::check_candle(k, &ms)) {
            f.reject(*err);
            return;
        }
        if (!k.confirm || message_bars_.count(k.bar) != 0) {
            f.pass(text); // forming, or its features come as messages
            return;
        }
        if (!engine().is_new(k.inst, k.bar, k.ts)) {
            f.reject("candle of " + std::string(k.inst) + " " + std::string(k.bar) + " at ts " +
                     std::to_string(k.ts) +
                     " is not after the previous one of that instrument and bar: skipped");
            return;
        }
        f.pass(text);
        ++in_process_[std::string(k.bar)];
        engine().candle(k.inst, k.bar, ms, features::Ohlcv{k.ts, k.o, k.h, k.l, k.c, k.vol}, sink_);
    }

    features::Engine& engine() {
        if (!engine_) {
            engine_ = std::make_unique<features::Engine>(opts_.set, features::GapPolicy::kReset);
        }
        return *engine_;
    }

    [[noreturn]] void refuse(const std::string& msg) {
        throw core::Error(core::Exit::kRefused, msg);
    }

    store::Store& store() {
        if (!store_) {
            store_ = std::make_unique<store::Store>(opts_.store_path, existing_store());
        }
        return *store_;
    }

    // A model of the registry: its files must be the row's (open_model), or exit 4.
    std::unique_ptr<Loaded> load_record(const ModelRecord& rec) {
        return load_dir(rec.dir, "model " + std::to_string(rec.id),
                        open_model(rec, opts_.store_path));
    }

    std::unique_ptr<Loaded> load_dir(const std::string& dir, const std::string& where,
                                     std::optional<ModelFile> opened = std::nullopt) {
        auto m = std::make_unique<Loaded>();
        m->file = opened ? std::move(*opened) : read_model_file(dir);
        std::filesystem::path p(dir);
        std::string folder = std::filesystem::is_directory(p) ? dir : p.parent_path().string();
        m->ensemble = load_ensemble(m->file, folder);
        m->where = where;
        const std::string series = m->file.inst + " " + m->file.bar;
        if (!m->file.skill) {
            Log::warning(where + " of " + series +
                         " predates the skill gate (its model.json has no out-of-sample skill): "
                         "its predictions carry confidence 0 and exp_ret from training-row "
                         "means; retrain it (train --symbols " +
                         m->file.inst + " --bar " + m->file.bar + ")");
        } else if (!m->file.skill->passed) {
            Log::warning(where + " of " + series + " failed the skill gate at training (" +
                         m->file.skill->reason + "): its predictions carry confidence 0");
        }
        if (opts_.drift_window > 0 && m->file.drift) {
            m->drift = std::make_unique<DriftMonitor>(*m->file.drift, opts_.drift_window);
        }
        return m;
    }

    std::unique_ptr<Loaded> load_fixed(const std::string& arg) {
        const bool digits =
            !arg.empty() && arg.find_first_not_of("0123456789") == std::string::npos;
        if (!digits) {
            return load_dir(arg, "model file " + arg);
        }
        auto rec = find_model(store(), std::stoll(arg));
        if (!rec) {
            throw core::UsageError("--model: no model " + arg + " in the store " +
                                   opts_.store_path + " (see train --list)");
        }
        return load_record(*rec);
    }

    Loaded* model_for(std::string_view inst, std::string_view bar) {
        if (fixed_) {
            return fixed_->file.inst == inst && fixed_->file.bar == bar ? fixed_.get() : nullptr;
        }
        key_.assign(inst);
        key_ += ' ';
        key_ += bar;
        auto it = champions_.find(key_);
        if (it != champions_.end()) {
            return it->second.get();
        }
        const std::string key = key_;
        const std::string i(inst);
        const std::string b(bar);
        std::unique_ptr<Loaded> m;
        auto rec = find_champion(store(), i, b);
        if (rec) {
            m = load_record(*rec);
        } else {
            Log::warning("no champion model for " + i + " " + b + " in the store " +
                         opts_.store_path + ": its lines pass through without predictions " +
                         "(train one with train --symbols " + i + " --bar " + b + ")");
        }
        return champions_.emplace(key, std::move(m)).first->second.get();
    }

    void emitted(const features::Emitted& e) {
        Loaded* m = model_for(e.inst, e.bar);
        if (m == nullptr) {
            return;
        }
        if (m->file.schema != set_hash_) {
            refuse(m->where + " of " + std::string(e.inst) + " " + std::string(e.bar) +
                   " was trained on feature schema " + m->file.schema + " (" +
                   std::to_string(m->file.names.size()) +
                   " features) but predict computes schema " + set_hash_ + " (" +
                   std::to_string(opts_.set.size()) +
                   " features): give predict the model's feature set with --set, or retrain "
                   "the model on this one");
        }
        row_.resize(e.values.size());
        for (std::size_t i = 0; i < e.values.size(); ++i) {
            row_[i] = static_cast<float>(e.values[i]);
        }
        predict_row(*m, e.inst, e.bar, e.ts);
    }

    void predict_row(Loaded& m, std::string_view inst, std::string_view bar, std::int64_t ts) {
        const std::int64_t age = ts - m.file.data_end;
        if (age > opts_.max_age_ms) {
            refuse(m.where + " of " + std::string(inst) + " " + std::string(bar) +
                   " was trained on data up to " + core::format_iso_ms(m.file.data_end) + ", " +
                   duration_text(age) + " before this candle (" + core::format_iso_ms(ts) +
                   "), older than --max-age " + duration_text(opts_.max_age_ms) +
                   ": retrain it (train --symbols " + std::string(inst) + " --bar " +
                   std::string(bar) + ") or raise --max-age");
        }
        if (!row_ready(row_.data(), row_.size())) {
            return; // still warming up: training left such rows out too
        }
        EnsembleOutput o = m.ensemble.predict(row_.data());
        std::string& b = out_.buffer();
        b += R"({"type":"prediction","v":1,"ts":)";
        core::append_int(b, ts);
        b += R"(,"inst":")";
        b += inst;
        b += R"(","bar":")";
        b += bar;
        b += R"(","model":)";
        core::append_int(b, m.file.id);
        b += R"(,"horizon":)";
        core::append_int(b, m.file.horizon);
        b += R"(,"p_up":)";
        core::append_double(b, o.p_up);
        b += R"(,"exp_ret":)";
        core::append_double(b, o.exp_ret);
        b += R"(,"confidence":)";
        core::append_double(b, o.confidence);
        b += '}';
        out_.end_line();
        ++stats_.predictions;
        if (m.drift) {
            if (auto s = m.drift->push(row_.data())) {
                drift_event(m, inst, bar, ts, *s);
            }
        }
    }

    // The drift alarm of m's series was raised or cleared at candle ts: a health message in
    // the stream, and a warning (raised) or a note (cleared) on stderr.
    void drift_event(const Loaded& m, std::string_view inst, std::string_view bar, std::int64_t ts,
                     const DriftStatus& s) {
        const bool raised = m.drift->raised();
        const std::string series = std::string(inst) + " " + std::string(bar);
        const std::string text = drift_text(s, m.file.names);
        std::string& b = out_.buffer();
        b += R"({"type":"health","v":1,"ts":)";
        core::append_int(b, ts);
        b += R"(,"inst":)";
        core::append_json_string(b, inst);
        b += R"(,"component":"predict","event":"drift","value":)";
        core::append_double(b, s.measure);
        const std::string detail =
            m.where + " of " + series + (raised ? ": input drifted: " : ": drift cleared: ") + text;
        b += R"(,"detail":)";
        core::append_json_string(b, detail);
        b += '}';
        out_.end_line();
        // Also in the store the model came from, for audit health (a raised alarm fails its
        // drift check until one cleared follows).
        if (store_) {
            store::add_health(*store_,
                              {ts, "predict", "predict", raised ? "drift" : "drift_cleared",
                               std::string(inst), s.measure, detail});
        }
        const std::string at = series + " at " + core::format_iso_ms(ts) + ": ";
        if (raised) {
            Log::warning(at + "the input has drifted from the data " + m.where +
                         " was trained on: " + text + ": its predictions may not hold; " +
                         "retrain it (train --symbols " + std::string(inst) + " --bar " +
                         std::string(bar) + ")");
        } else {
            Log::note(at + "the input is back near the data " + m.where +
                      " was trained on: " + text);
        }
    }

    const PredictOptions& opts_;
    core::Output& out_;
    std::string set_hash_;
    std::unique_ptr<features::Engine> engine_;
    features::Engine::Sink sink_;
    std::function<std::vector<float>*(const core::FeaturesFields&)> choose_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<Loaded> fixed_;
    std::map<std::string, std::unique_ptr<Loaded>, std::less<>> champions_;
    std::set<std::string, std::less<>> message_bars_;
    std::map<std::string, std::uint64_t> in_process_; // candles featurized here, per bar
    std::vector<float> row_;
    std::string key_;
    PredictStats stats_;
};

} // namespace

int predict(const PredictOptions& options, core::LineReader& in, core::Output& out,
            PredictStats* stats) {
    core::Filter filter(out, {options.strict, options.max_errors});
    Predictor p(options, out);
    const auto report = [&] {
        PredictStats s = p.stats();
        s.lines = filter.stats().lines;
        s.bad = filter.stats().bad;
        Log::note("read " + std::to_string(s.lines) + " lines; wrote " +
                  std::to_string(s.predictions) + " predictions");
        if (stats != nullptr) {
            *stats = s;
        }
    };
    int code = 0;
    try {
        code = filter.run(in, p);
    } catch (const core::Error&) {
        report(); // what was written before a refusal still counts
        throw;
    }
    report();
    return code;
}

} // namespace okxkit::ml
