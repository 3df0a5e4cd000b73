// featurize: the line loop (fast candle parsing, pass-through, diagnostics), the output
// messages, and the tool's option table.
#include "features/featurize.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"
#include "core/json_out.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/signals.hpp"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <unistd.h>

namespace okxkit::features {

namespace {

using core::Level;
using core::Log;

struct StrictStop {};

// What a candle line holds, as the engine needs it.
struct CandleIn {
    std::string_view inst;
    std::string_view bar;
    std::int64_t ts = 0;
    double o = 0, h = 0, l = 0, c = 0, vol = 0;
    bool confirm = false;
};

// Fast path for the common line: a compact, flat candle object as okx-stream writes it.
// Returns false whenever the line is anything else or anything is unusual (escapes, nested
// values, a missing or mistyped field); the caller then takes the general path, which finds
// the exact problem.
class FastCandle {
public:
    static bool parse(std::string_view s, CandleIn& k) {
        FastCandle p{s};
        return p.run(k);
    }

private:
    explicit FastCandle(std::string_view s) : s_(s) {}

    void ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r')) {
            ++i_;
        }
    }
    bool str(std::string_view& out) {
        if (i_ >= s_.size() || s_[i_] != '"') {
            return false;
        }
        std::size_t start = ++i_;
        while (i_ < s_.size() && s_[i_] != '"') {
            if (s_[i_] == '\\' || static_cast<unsigned char>(s_[i_]) < 0x20) {
                return false;
            }
            ++i_;
        }
        if (i_ >= s_.size()) {
            return false;
        }
        out = s_.substr(start, i_ - start);
        ++i_;
        return true;
    }
    // A JSON number; `integer` tells whether it has no fraction or exponent.
    bool number(double& out, bool& integer, std::string_view& text) {
        std::size_t start = i_;
        while (i_ < s_.size() &&
               ((s_[i_] >= '0' && s_[i_] <= '9') || s_[i_] == '-' || s_[i_] == '+' ||
                s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) {
            ++i_;
        }
        text = s_.substr(start, i_ - start);
        if (text.empty() || text[0] == '+' ||
            (text.size() > 1 && text[0] == '0' && text[1] != '.' && text[1] != 'e' &&
             text[1] != 'E')) {
            return false;
        }
        integer = text.find_first_of(".eE") == std::string_view::npos;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
        return ec == std::errc() && end == text.data() + text.size() && std::isfinite(out);
    }
    bool literal(std::string_view word) {
        if (s_.substr(i_, word.size()) == word) {
            i_ += word.size();
            return true;
        }
        return false;
    }

    bool run(CandleIn& k) {
        ws();
        if (i_ >= s_.size() || s_[i_++] != '{') {
            return false;
        }
        unsigned seen = 0; // type v ts inst bar o h l c vol confirm
        for (;;) {
            ws();
            std::string_view key;
            if (!str(key)) {
                return false;
            }
            ws();
            if (i_ >= s_.size() || s_[i_++] != ':') {
                return false;
            }
            ws();
            if (i_ >= s_.size()) {
                return false;
            }
            char c = s_[i_];
            if (c == '"') {
                std::string_view v;
                if (!str(v)) {
                    return false;
                }
                if (key == "type") {
                    if (v != "candle") {
                        return false;
                    }
                    seen |= 1U;
                } else if (key == "inst") {
                    k.inst = v;
                    seen |= 8U;
                } else if (key == "bar") {
                    k.bar = v;
                    seen |= 16U;
                } else if (key != "run" && key != "src") {
                    return false; // a string where a number belongs, or an unknown field
                }
            } else if (c == 't' || c == 'f') {
                bool b = c == 't';
                if (!literal(b ? "true" : "false") || key != "confirm") {
                    return false;
                }
                k.confirm = b;
                seen |= 1024U;
            } else if (c == 'n') {
                if (!literal("null") || key != "vol_quote") {
                    return false;
                }
            } else {
                double v = 0;
                bool integer = false;
                std::string_view text;
                if (!number(v, integer, text)) {
                    return false;
                }
                if (key == "v" || key == "ts" || key == "recv_ts") {
                    std::int64_t n = 0;
                    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
                    if (!integer || ec != std::errc() || end != text.data() + text.size()) {
                        return false;
                    }
                    if (key == "v") {
                        seen |= 2U;
                    } else if (key == "ts") {
                        k.ts = n;
                        seen |= 4U;
                    }
                } else if (key == "o") {
                    k.o = v;
                    seen |= 32U;
                } else if (key == "h") {
                    k.h = v;
                    seen |= 64U;
                } else if (key == "l") {
                    k.l = v;
                    seen |= 128U;
                } else if (key == "c") {
                    k.c = v;
                    seen |= 256U;
                } else if (key == "vol") {
                    k.vol = v;
                    seen |= 512U;
                } else if (key != "vol_quote") {
                    return false;
                }
            }
            ws();
            if (i_ >= s_.size()) {
                return false;
            }
            if (s_[i_] == ',') {
                ++i_;
                continue;
            }
            if (s_[i_] != '}') {
                return false;
            }
            ++i_;
            ws();
            return i_ == s_.size() && seen == 2047U;
        }
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

// Quotes a piece of bad input for a diagnostic: at most 40 bytes, non-printables as \xNN.
std::string shown(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    std::size_t n = 0;
    for (char ch : s) {
        if (++n > 40) {
            out += "...";
            break;
        }
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

class Featurizer {
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

    void line(std::string_view text, std::uint64_t no) {
        ++stats_.lines;
        CandleIn k;
        if (FastCandle::parse(text, k)) {
            candle(k, text, no);
            return;
        }
        nlohmann::json msg = nlohmann::json::parse(text, nullptr, false);
        if (msg.is_discarded()) {
            bad(no, "not valid JSON: " + shown(text));
            return;
        }
        if (auto err = core::validate_message(msg)) {
            bad(no, *err);
            return;
        }
        const auto& type = msg["type"].get_ref<const std::string&>();
        if (type == "candle") {
            k.inst = msg["inst"].get_ref<const std::string&>();
            k.bar = msg["bar"].get_ref<const std::string&>();
            k.ts = msg["ts"].get<std::int64_t>();
            k.o = msg["o"].get<double>();
            k.h = msg["h"].get<double>();
            k.l = msg["l"].get<double>();
            k.c = msg["c"].get<double>();
            k.vol = msg["vol"].get<double>();
            k.confirm = msg["confirm"].get<bool>();
            candle(k, text, no);
            return;
        }
        if (type == "gap") {
            const auto& inst = msg["inst"].get_ref<const std::string&>();
            const auto& bar = msg["bar"].get_ref<const std::string&>();
            pass(text);
            engine_.gap(inst, bar, sink_);
            return;
        }
        pass(text);
    }

    void finish() { engine_.finish(sink_); }
    FeaturizeStats& stats() { return stats_; }

    void summary() const {
        if (errors_ > opts_.max_errors) {
            Log::emit_at(Level::kError, "", 0,
                         std::to_string(errors_ - opts_.max_errors) +
                             " more malformed lines not shown (" + std::to_string(errors_) +
                             " in all)");
        }
    }

private:
    void bad(std::uint64_t no, const std::string& msg) {
        ++stats_.bad;
        ++errors_;
        if (errors_ <= opts_.max_errors) {
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

    std::int64_t bar_ms(std::string_view bar) {
        for (const auto& [name, ms] : bars_) {
            if (name == bar) {
                return ms;
            }
        }
        auto b = core::parse_bar(bar);
        if (!b || b->name != bar) {
            return 0;
        }
        bars_.emplace_back(std::string(bar), b->ms);
        return b->ms;
    }

    void candle(const CandleIn& k, std::string_view text, std::uint64_t no) {
        if (!core::is_inst_id(k.inst)) {
            bad(no, "inst " + shown(k.inst) + " is not an OKX instrument id (e.g. BTC-USDT)");
            return;
        }
        std::int64_t ms = bar_ms(k.bar);
        if (ms == 0) {
            bad(no, "bar " + shown(k.bar) + " is not an OKX bar name");
            return;
        }
        if (!k.confirm) {
            pass(text); // a bar still forming: passed on, not featurized
            return;
        }
        if (auto err = core::check_ohlcv(k.o, k.h, k.l, k.c, k.vol)) {
            bad(no, *err);
            return;
        }
        if (!engine_.is_new(k.inst, k.bar, k.ts)) {
            bad(no, "candle of " + std::string(k.inst) + " " + std::string(k.bar) + " at ts " +
                        std::to_string(k.ts) +
                        " is not after the previous one of that instrument and bar: skipped");
            return;
        }
        // The candle line goes first; its features (and any released ones) follow it.
        pass(text);
        engine_.candle(k.inst, k.bar, ms, Ohlcv{k.ts, k.o, k.h, k.l, k.c, k.vol}, sink_);
        ++stats_.candles;
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
    std::vector<std::pair<std::string, std::int64_t>> bars_;
    Engine::Sink sink_;
    FeaturizeStats stats_;
    std::size_t errors_ = 0;
};

} // namespace

int featurize(const FeaturizeOptions& options, core::LineReader& in, core::Output& out,
              FeaturizeStats* stats) {
    Featurizer f(options, out);
    in.on_idle([&out] { out.flush(); });
    int code = 0;
    try {
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
                ++f.stats().lines;
                ++f.stats().bad;
                Log::emit_at(Level::kError, "", in.line_no(),
                             "line longer than " + std::to_string(in.max_line()) +
                                 " bytes (see --max-line)");
                if (options.strict) {
                    throw StrictStop{};
                }
                continue;
            }
            f.line(line, in.line_no());
            if (core::interrupted()) {
                code = core::exit_status(core::interrupt_exit());
                break;
            }
        }
        if (code == 0) {
            f.finish();
        }
    } catch (const StrictStop&) {
        code = core::exit_status(core::Exit::kBadInput);
        Log::error("stopped at the first malformed line (--strict); everything before it was "
                   "written");
    }
    f.summary();
    out.flush();
    const FeaturizeStats& s = f.stats();
    if (s.bad > 0 && code == 0) {
        Log::warning("skipped " + std::to_string(s.bad) + " malformed line" +
                     (s.bad == 1 ? "" : "s"));
    }
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
