// featurize: a stage of the filter loop (core/filter.hpp) that turns each closed candle into
// a features message, after one feature_schema per bar.
#include "features/featurize.hpp"

#include "core/filter.hpp"
#include "core/json_out.hpp"
#include "core/log.hpp"
#include "core/message.hpp"

#include <limits>
#include <set>
#include <string>
#include <vector>

namespace okxkit::features {

namespace {

using core::Log;

constexpr double kNoSentiment = std::numeric_limits<double>::quiet_NaN();

class Featurizer : public core::FilterStage {
public:
    Featurizer(const FeaturizeOptions& o, core::Output& out)
        : opts_(o), out_(out), engine_(o.set, o.gap_policy), hash_(o.set.hash()) {
        for (const std::string& n : o.set.names()) {
            names_json_ += names_json_.empty() ? "[" : ",";
            core::append_json_string(names_json_, n);
            std::string key;
            core::append_json_string(key, n);
            keys_.push_back(key + ":");
        }
        names_json_ += "]";
        sink_ = [this](const Emitted& e) { emit(e); };
    }

    Fast fast(core::Filter& f, std::string_view text) override {
        core::CandleFields k;
        if (!core::read_candle_fast(text, k)) {
            return Fast::kGeneral;
        }
        candle(f, k, text);
        return Fast::kTaken;
    }

    void message(core::Filter& f, const core::Message& m) override {
        if (m.type == "candle") {
            candle(f, core::candle_fields(m.json), m.text);
            return;
        }
        if (m.type == "news" && engine_.uses_news()) {
            news(f, m);
            return;
        }
        f.pass(m.text);
        if (m.type == "gap") {
            engine_.gap(m.json["inst"].get_ref<const std::string&>(),
                        m.json["bar"].get_ref<const std::string&>(), sink_);
        }
    }

    void finish(core::Filter& /*f*/) override { engine_.finish(sink_); }

    [[nodiscard]] const FeaturizeStats& stats() const { return stats_; }

private:
    void candle(core::Filter& f, const core::CandleFields& k, std::string_view text) {
        std::int64_t ms = 0;
        if (auto err = core::check_candle(k, &ms)) {
            f.reject(*err);
            return;
        }
        if (!k.confirm) {
            f.pass(text); // a bar still forming: passed on, not featurized
            return;
        }
        if (!engine_.is_new(k.inst, k.bar, k.ts)) {
            f.reject("candle of " + std::string(k.inst) + " " + std::string(k.bar) + " at ts " +
                     std::to_string(k.ts) +
                     " is not after the previous one of that instrument and bar: skipped");
            return;
        }
        // The candle line goes first; its features (and any released ones) follow it.
        f.pass(text);
        engine_.candle(k.inst, k.bar, ms, Ohlcv{k.ts, k.o, k.h, k.l, k.c, k.vol}, sink_);
        ++stats_.candles;
        f.used();
    }

    // A news item for the news features: checked beyond the message schema (the symbols are
    // instrument ids, the sentiment in [-1, 1]), written through, then given to the engine.
    void news(core::Filter& f, const core::Message& m) {
        const nlohmann::json& syms = m.json["symbols"];
        symbols_.clear();
        for (const nlohmann::json& s : syms) {
            if (!s.is_string()) {
                f.reject("news: \"symbols\" must hold instrument ids (strings)");
                return;
            }
            symbols_.push_back(s.get<std::string>());
        }
        double sentiment = kNoSentiment;
        if (auto it = m.json.find("sentiment"); it != m.json.end()) {
            sentiment = it->get<double>();
            if (!(sentiment >= -1 && sentiment <= 1)) {
                f.reject("news: \"sentiment\" must be from -1 to 1");
                return;
            }
        }
        f.pass(m.text);
        engine_.news(m.json["ts"].get<std::int64_t>(), symbols_, sentiment);
    }

    void emit(const Emitted& e) {
        std::string& b = out_.buffer();
        if (schema_sent_.find(e.bar) == schema_sent_.end()) {
            schema_sent_.emplace(e.bar);
            b += R"({"type":"feature_schema","v":1,"ts":)";
            core::append_int(b, e.ts);
            b += R"(,"schema":")";
            b += hash_;
            b += R"(","names":)";
            b += names_json_;
            b += R"(,"bar":)";
            core::append_json_string(b, e.bar);
            b += '}';
            out_.end_line();
        }
        b += R"({"type":"features","v":1,"ts":)";
        core::append_int(b, e.ts);
        b += R"(,"inst":")";
        b += e.inst; // instIds are [A-Z0-9-]: no escaping needed
        b += R"(","bar":")";
        b += e.bar;
        b += R"(","schema":")";
        b += hash_;
        b += opts_.object_format ? R"(","f":{)" : R"(","f":[)";
        const std::size_t n = e.values.size();
        if (opts_.object_format) {
            for (std::size_t i = 0; i < n; ++i) {
                if (i > 0) {
                    b += ',';
                }
                b += keys_[i];
                core::append_double(b, e.values[i]); // NaN (warming up) is written as null
            }
        } else {
            // Numbers straight into the buffer: one resize instead of an append per value.
            const std::size_t start = b.size();
            b.resize(start + n * (core::kMaxDoubleText + 1));
            char* p = b.data() + start;
            for (std::size_t i = 0; i < n; ++i) {
                if (i > 0) {
                    *p++ = ',';
                }
                p = core::write_double(p, e.values[i]);
            }
            b.resize(static_cast<std::size_t>(p - b.data()));
        }
        b += opts_.object_format ? "}}" : "]}";
        out_.end_line();
        ++stats_.features;
    }

    const FeaturizeOptions& opts_;
    core::Output& out_;
    Engine engine_;
    std::string hash_;
    std::string names_json_;
    std::vector<std::string> keys_;
    std::set<std::string, std::less<>> schema_sent_;
    Engine::Sink sink_;
    FeaturizeStats stats_;
    std::vector<std::string> symbols_; // of the news item being read
};

} // namespace

int featurize(const FeaturizeOptions& options, core::LineReader& in, core::Output& out,
              FeaturizeStats* stats) {
    Featurizer f(options, out);
    core::Filter filter(out, {options.strict, options.max_errors});
    const int code = filter.run(in, f);
    FeaturizeStats s = f.stats();
    s.lines = filter.stats().lines;
    s.bad = filter.stats().bad;
    Log::note("read " + std::to_string(s.lines) + " lines, " + std::to_string(s.candles) +
              " candles; wrote " + std::to_string(s.features) + " features messages of " +
              std::to_string(options.set.size()) + " features");
    if (stats != nullptr) {
        *stats = s;
    }
    return code;
}

void write_list(const FeatureSet& set, core::Output& out) {
    for (const FeatureInfo& fi : set.describe()) {
        std::string& b = out.buffer();
        b += fi.name;
        b += '\t';
        b += fi.group;
        b += '\t';
        b += fi.warmup_text;
        b += '\t';
        b += fi.definition;
        out.end_line();
    }
}

} // namespace okxkit::features
