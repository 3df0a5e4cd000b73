// predict: model lookup (champion or --model), feature input (messages or in-process),
// refusals (schema, age), prediction messages, the tool's options.
#include "ml/predict.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/json_out.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/signals.hpp"
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
#include <set>
#include <unistd.h>

namespace okxkit::ml {

namespace {

using core::Level;
using core::Log;

struct StrictStop {};

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
    std::string id;
    std::string where;                   // "model 3" or the file
    std::unique_ptr<DriftMonitor> drift; // the rolling drift check (none with --drift-window 0)
};

// Parses the "f" array of a features line into floats (null = NaN) without a JSON tree.
// Returns false when the line is not in the expected shape.
bool parse_f(std::string_view line, std::vector<float>& out) {
    auto p = line.find("\"f\":[");
    if (p == std::string_view::npos) {
        return false;
    }
    out.clear();
    const char* s = line.data() + p + 5;
    const char* end = line.data() + line.size();
    while (s < end && *s != ']') {
        while (s < end && (*s == ' ' || *s == ',')) {
            ++s;
        }
        if (s < end && *s == ']') {
            break;
        }
        if (end - s >= 4 && std::string_view(s, 4) == "null") {
            out.push_back(std::numeric_limits<float>::quiet_NaN());
            s += 4;
            continue;
        }
        double v = 0;
        auto [q, ec] = std::from_chars(s, end, v);
        if (ec != std::errc()) {
            return false;
        }
        out.push_back(static_cast<float>(v));
        s = q;
    }
    return s < end;
}

class Predictor {
public:
    Predictor(const PredictOptions& o, core::Output& out)
        : opts_(o), out_(out), set_hash_(o.set.hash()) {
        sink_ = [this](const features::Emitted& e) { emitted(e); };
        if (o.model) {
            fixed_ = load_fixed(*o.model);
        }
    }

    void line(std::string_view text, std::uint64_t no) {
        ++stats_.lines;
        if (fast_features(text, no)) {
            return;
        }
        nlohmann::json msg = nlohmann::json::parse(text, nullptr, false);
        if (msg.is_discarded()) {
            bad(no, "not valid JSON");
            return;
        }
        if (auto err = core::validate_message(msg)) {
            bad(no, *err);
            return;
        }
        const auto& type = msg["type"].get_ref<const std::string&>();
        pass(text);
        if (type == "feature_schema") {
            const auto& bar = msg["bar"].get_ref<const std::string&>();
            message_bars_.insert(bar);
        } else if (type == "features") {
            const auto& inst = msg["inst"].get_ref<const std::string&>();
            const auto& bar = msg["bar"].get_ref<const std::string&>();
            message_bars_.insert(bar);
            Loaded* m = model_for(inst, bar);
            if (m == nullptr) {
                return;
            }
            features_message(*m, inst, bar, msg["schema"].get_ref<const std::string&>(),
                             msg["ts"].get<std::int64_t>(), text, no);
        } else if (type == "candle") {
            if (!msg["confirm"].get<bool>()) {
                return;
            }
            const auto& bar = msg["bar"].get_ref<const std::string&>();
            if (message_bars_.count(bar) != 0) {
                return; // features of this bar come as messages
            }
            const auto& inst = msg["inst"].get_ref<const std::string&>();
            auto b = core::parse_bar(bar);
            if (!b || b->name != bar) {
                bad(no, "bar \"" + bar + "\" is not an OKX bar name");
                return;
            }
            const double o = msg["o"].get<double>();
            const double h = msg["h"].get<double>();
            const double l = msg["l"].get<double>();
            const double c = msg["c"].get<double>();
            const double v = msg["vol"].get<double>();
            if (auto err = core::check_ohlcv(o, h, l, c, v)) {
                bad(no, *err);
                return;
            }
            const std::int64_t ts = msg["ts"].get<std::int64_t>();
            if (!engine().is_new(inst, bar, ts)) {
                bad(no, "candle of " + inst + " " + bar + " at ts " + std::to_string(ts) +
                            " is not after the previous one of that instrument and bar: skipped");
                return;
            }
            engine().candle(inst, bar, b->ms, features::Ohlcv{ts, o, h, l, c, v}, sink_);
        } else if (type == "gap") {
            engine().gap(msg["inst"].get<std::string>(), msg["bar"].get<std::string>(), sink_);
        }
    }

    void finish() {
        if (engine_) {
            engine_->finish(sink_);
        }
    }
    PredictStats& stats() { return stats_; }

private:
    // A features message of a series with model m: schema check, values, prediction.
    void features_message(Loaded& m, std::string_view inst, std::string_view bar,
                          std::string_view schema, std::int64_t ts, std::string_view text,
                          std::uint64_t no) {
        if (schema != m.file.schema) {
            refuse(m.where + " of " + std::string(inst) + " " + std::string(bar) +
                   " was trained on feature schema " + m.file.schema + " (" +
                   std::to_string(m.file.names.size()) +
                   " features) but the input's features have schema " + std::string(schema) +
                   ": run featurize with the model's feature set (its names are in " +
                   "model.json; see train --show), or train a model on this feature set");
        }
        if (!parse_f(text, row_) || row_.size() != m.file.names.size()) {
            bad(no, "\"f\" is not an array of " + std::to_string(m.file.names.size()) +
                        " numbers or nulls");
            return;
        }
        predict_row(m, inst, bar, ts);
    }

    // The common features line, as featurize writes it, without a JSON tree:
    // {"type":"features","v":1,"ts":N,"inst":"X","bar":"B","schema":"H","f":[...]}. Returns
    // false for anything else (the general path then validates it).
    bool fast_features(std::string_view text, std::uint64_t no) {
        constexpr std::string_view kHead = R"({"type":"features","v":1,"ts":)";
        if (text.substr(0, kHead.size()) != kHead || text.back() != '}') {
            return false;
        }
        std::size_t i = kHead.size();
        std::int64_t ts = 0;
        auto [p, ec] = std::from_chars(text.data() + i, text.data() + text.size(), ts);
        if (ec != std::errc()) {
            return false;
        }
        i = static_cast<std::size_t>(p - text.data());
        auto field = [&](std::string_view key, std::string_view& out) {
            if (text.substr(i, key.size()) != key) {
                return false;
            }
            i += key.size();
            auto end = text.find('"', i);
            if (end == std::string_view::npos) {
                return false;
            }
            out = text.substr(i, end - i);
            if (out.find('\\') != std::string_view::npos) {
                return false;
            }
            i = end + 1;
            return true;
        };
        std::string_view inst;
        std::string_view bar;
        std::string_view schema;
        if (!field(R"(,"inst":")", inst) || !field(R"(,"bar":")", bar) ||
            !field(R"(,"schema":")", schema) || text.substr(i, 6) != R"(,"f":[)") {
            return false;
        }
        pass(text);
        if (message_bars_.find(bar) == message_bars_.end()) {
            message_bars_.emplace(bar);
        }
        Loaded* m = model_for(inst, bar);
        if (m != nullptr) {
            features_message(*m, inst, bar, schema, ts, text, no);
        }
        return true;
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

    void bad(std::uint64_t no, const std::string& msg) {
        ++stats_.bad;
        if (stats_.bad <= opts_.max_errors) {
            Log::emit_at(Level::kError, "", no, msg);
        }
        if (opts_.strict) {
            throw StrictStop{};
        }
    }

    void pass(std::string_view text) {
        out_.buffer().append(text);
        out_.end_line();
    }

    store::Store& store() {
        if (!store_) {
            store_ = std::make_unique<store::Store>(opts_.store_path);
        }
        return *store_;
    }

    std::unique_ptr<Loaded> load_dir(const std::string& dir, const std::string& where) {
        auto m = std::make_unique<Loaded>();
        m->file = read_model_file(dir);
        std::filesystem::path p(dir);
        std::string folder = std::filesystem::is_directory(p) ? dir : p.parent_path().string();
        m->ensemble = load_ensemble(m->file, folder);
        m->id = std::to_string(m->file.id);
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
        return load_dir(rec->dir, "model " + arg);
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
            m = load_dir(rec->dir, "model " + std::to_string(rec->id));
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
        b += R"(","model":")";
        b += m.id;
        b += R"(","horizon":)";
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
        b += R"(,"detail":)";
        core::append_json_string(b, m.where + " of " + series +
                                        (raised ? ": input drifted: " : ": drift cleared: ") +
                                        text);
        b += '}';
        out_.end_line();
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
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<Loaded> fixed_;
    std::map<std::string, std::unique_ptr<Loaded>, std::less<>> champions_;
    std::set<std::string, std::less<>> message_bars_;
    std::vector<float> row_;
    std::string key_;
    PredictStats stats_;
};

} // namespace

int predict(const PredictOptions& options, core::LineReader& in, core::Output& out,
            PredictStats* stats) {
    in.on_idle([&out] { out.flush(); });
    int code = 0;
    std::unique_ptr<Predictor> p;
    try {
        p = std::make_unique<Predictor>(options, out);
        std::string_view line;
        for (;;) {
            auto st = in.next(line);
            if (st == core::LineReader::Status::kEof) {
                break;
            }
            if (st == core::LineReader::Status::kInterrupted) {
                code = core::exit_status(core::interrupt_exit());
                break;
            }
            if (st == core::LineReader::Status::kTooLong) {
                ++p->stats().bad;
                Log::emit_at(Level::kError, "", in.line_no(),
                             "line longer than " + std::to_string(in.max_line()) +
                                 " bytes (see --max-line)");
                if (options.strict) {
                    throw StrictStop{};
                }
                continue;
            }
            p->line(line, in.line_no());
            if (core::interrupted()) {
                code = core::exit_status(core::interrupt_exit());
                break;
            }
        }
        if (code == 0) {
            p->finish();
        }
    } catch (const StrictStop&) {
        code = core::exit_status(core::Exit::kBadInput);
        Log::error("stopped at the first malformed line (--strict); everything before it was "
                   "written");
    } catch (const core::Error&) {
        out.flush();
        throw;
    }
    out.flush();
    if (p) {
        const PredictStats& s = p->stats();
        Log::note("read " + std::to_string(s.lines) + " lines; wrote " +
                  std::to_string(s.predictions) + " predictions");
        if (stats != nullptr) {
            *stats = s;
        }
    }
    return code;
}

} // namespace okxkit::ml
