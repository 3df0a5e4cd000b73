// The select-strategy stage.
#include "strategy/selector.hpp"

#include "core/bar.hpp"
#include "core/filter.hpp"
#include "core/json_out.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/timeutil.hpp"
#include "features/engine.hpp"
#include "ml/registry.hpp"
#include "store/store.hpp"
#include "strategy/strategies.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <limits>
#include <memory>
#include <optional>

namespace okxkit::strategy {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Scores and components are written to six decimals: enough to explain a decision, and the
// same text whatever the last bits of a libm function.
double round6(double v) {
    return std::round(v * 1e6) / 1e6;
}

std::string f2(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

std::string pct(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%+.2f%%", 100 * v);
    return buf;
}

std::string duration_text(std::int64_t ms) {
    const std::int64_t h = ms / 3600000;
    if (h >= 48 && h % 24 == 0) {
        return std::to_string(h / 24) + "d";
    }
    if (ms % 3600000 == 0) {
        return std::to_string(h) + "h";
    }
    return std::to_string(ms / 60000) + "m";
}

struct Candidate {
    std::unique_ptr<Strategy> s;
    std::deque<double> pnl; // the last window bars' contributions
    double pnl_sum = 0;
    double prev_exposure = 0;
    // At the last evaluation.
    double fit = 0, pnl_score = 0.5, suitability = 0;
};

struct Symbol {
    std::string inst;
    std::vector<std::string> names;
    std::unique_ptr<features::FeatureSet> set; // the Series keeps a reference to it
    std::unique_ptr<features::Series> series;
    RegimeScorer regime;
    std::vector<Candidate> cands;
    bool pinned = false;
    int active = -1; // index into cands; -1 before the first assignment
    std::int64_t since = 0;
    std::int64_t next_eval = 0;
    std::int64_t last_ts = std::numeric_limits<std::int64_t>::min();
    double prev_close = kNaN;
    std::map<std::string, Leg, std::less<>> emitted; // the active strategy's legs out there
    std::uint64_t emitted_signal = 0;
    std::uint64_t emitted_legs = ~0ULL; // legs_seq() of the legs last compared
};

struct EvalRow {
    std::string inst;
    std::int64_t ts;
    std::string label;
    double score;
    std::string components, incumbent, decision, chosen, candidates, reasons;
};

struct AssignRow {
    std::string inst;
    std::int64_t ts;
    std::string strategy, kind, prev;
    double suitability;
    std::string file, params, reasons;
};

std::string json_strings(const std::vector<std::string>& v) {
    std::string o = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        o += i ? "," : "";
        core::append_json_string(o, v[i]);
    }
    return o + "]";
}

class Stage final : public core::FilterStage {
public:
    Stage(const SelectOptions& o, core::Output& out) : opts_(o), out_(out) {
        if (!o.store_path.empty()) {
            store_ = std::make_unique<store::Store>(o.store_path);
        }
        window_bars_ =
            static_cast<std::size_t>(std::max<std::int64_t>(1, o.pnl_window_ms / o.bar_ms));
    }

    Fast fast(core::Filter& f, std::string_view text) override {
        core::CandleFields c;
        if (core::read_candle_fast(text, c)) {
            candle(f, c, text);
            return Fast::kTaken;
        }
        // Features are the widest lines of a pipeline and only pass through here.
        core::FeaturesFields k;
        if (core::read_features_fast(text, k)) {
            f.pass(text);
            return Fast::kTaken;
        }
        return Fast::kGeneral;
    }

    void message(core::Filter& f, const core::Message& m) override {
        if (m.type == "candle") {
            candle(f, core::candle_fields(m.json), m.text);
            return;
        }
        f.pass(m.text);
        if (m.type == "prediction") {
            prediction(f, m.json);
        } else if (m.type == "gap" && m.json["bar"].get_ref<const std::string&>() == opts_.bar) {
            auto it = symbols_.find(m.json["inst"].get_ref<const std::string&>());
            if (it != symbols_.end()) {
                reset(*it->second);
            }
        }
    }

    int idle(core::Filter& /*f*/) override {
        flush_rows();
        return -1;
    }

    void finish(core::Filter& /*f*/) override { flush_rows(); }

    // Writes the evaluations and assignments still in memory to the store (after an interrupt
    // too: what was decided and written to stdout is also recorded).
    void flush_rows() { flush_rows_now(); }

    SelectStats& stats() { return stats_; }

private:
    void candle(core::Filter& f, const core::CandleFields& k, std::string_view text) {
        std::int64_t ms = 0;
        if (auto err = core::check_candle(k, &ms)) {
            f.reject(*err);
            return;
        }
        if (!k.confirm || k.bar != opts_.bar) {
            f.pass(text);
            return;
        }
        Symbol& s = symbol(k.inst);
        if (k.ts <= s.last_ts) {
            f.reject("candle of " + std::string(k.inst) + " " + std::string(k.bar) + " at ts " +
                     std::to_string(k.ts) +
                     " is not after the previous one of that instrument and bar: skipped");
            return;
        }
        f.pass(text);
        f.used();
        ++stats_.candles;
        if (s.last_ts != std::numeric_limits<std::int64_t>::min() &&
            k.ts != s.last_ts + opts_.bar_ms) {
            reset(s); // missing bars: the indicators warm up again on what follows
        }
        s.last_ts = k.ts;
        const std::span<const double> values =
            s.series->push(features::Ohlcv{k.ts, k.o, k.h, k.l, k.c, k.vol});
        const Regime& regime = s.regime.update(values);
        const BarInput bar{k.ts, k.o, k.h, k.l, k.c, k.vol, values};
        const double ret = std::isfinite(s.prev_close) ? std::log(k.c / s.prev_close) : 0;
        s.prev_close = k.c;
        for (Candidate& c : s.cands) {
            c.s->on_bar(bar, regime);
            mark(c, ret);
        }
        decide(s, k.ts, regime);
        if (opts_.explain) {
            explain_bar(s, k.ts);
        }
    }

    // Per candle, what each rules candidate saw: the conditions that held and the actions that
    // fired (an intent goes out for the assigned one only).
    void explain_bar(const Symbol& s, std::int64_t ts) {
        for (std::size_t i = 0; i < s.cands.size(); ++i) {
            const BarTrace t = s.cands[i].s->trace();
            if (!t.traced) {
                continue;
            }
            const bool active = static_cast<int>(i) == s.active;
            std::string text = s.inst + " " + opts_.bar + " " +
                               core::format_iso_ms(ts + opts_.bar_ms) + ": " +
                               s.cands[i].s->name() + (active ? " (assigned)" : "");
            auto words = [](const std::vector<std::string>& v) {
                std::string w;
                for (const std::string& x : v) {
                    w += (w.empty() ? "" : ", ") + x;
                }
                return w;
            };
            if (!t.warm) {
                text += " warming up";
            } else {
                text += t.holds.empty() ? " no condition holds" : " holds " + words(t.holds);
                text += t.fires.empty() ? "" : "; fires " + words(t.fires);
            }
            auto list = [](const std::vector<std::string>& v) {
                std::string j = "[";
                for (const std::string& x : v) {
                    j += j.size() > 1 ? "," : "";
                    core::append_json_string(j, x);
                }
                return j + "]";
            };
            std::string fields = R"("inst":)";
            core::append_json_string(fields, s.inst);
            fields += R"(,"bar":)";
            core::append_json_string(fields, opts_.bar);
            fields += R"(,"ts":)" + std::to_string(ts) + R"(,"strategy":)";
            core::append_json_string(fields, s.cands[i].s->name());
            fields += std::string(R"(,"assigned":)") + (active ? "true" : "false") + R"(,"warm":)" +
                      (t.warm ? "true" : "false") + R"(,"holds":)" + list(t.holds) +
                      R"(,"fires":)" + list(t.fires);
            core::Log::explain(text, fields);
        }
    }

    // The candidate's signal P&L for this bar: what its exposure before the bar earned, less
    // the fee on the change of exposure the bar caused.
    void mark(Candidate& c, double ret) {
        const double e = c.s->exposure();
        const double v = c.prev_exposure * ret - opts_.fee * std::abs(e - c.prev_exposure);
        c.prev_exposure = e;
        c.pnl.push_back(v);
        c.pnl_sum += v;
        if (c.pnl.size() > window_bars_) {
            c.pnl_sum -= c.pnl.front();
            c.pnl.pop_front();
        }
    }

    void prediction(core::Filter& /*f*/, const nlohmann::json& m) {
        if (m["bar"].get_ref<const std::string&>() != opts_.bar) {
            return;
        }
        auto it = symbols_.find(m["inst"].get_ref<const std::string&>());
        if (it == symbols_.end()) {
            return;
        }
        Symbol& s = *it->second;
        const bool champ = champion(m["model"].get<std::int64_t>(), s.inst);
        for (Candidate& c : s.cands) {
            c.s->on_prediction(m["ts"].get<std::int64_t>(), champ, m["p_up"].get<double>(),
                               m["confidence"].get<double>());
        }
        if (s.active >= 0 && s.cands[static_cast<std::size_t>(s.active)].s->config().kind == "ml") {
            emit_active(s, m["ts"].get<std::int64_t>());
        }
    }

    // Whether the registry marks the model as the champion of its series (looked up once per
    // model and run, so a replay decides as the live run did).
    bool champion(std::int64_t model, const std::string& inst) {
        auto it = champions_.find(model);
        if (it != champions_.end()) {
            return it->second;
        }
        bool champ = false;
        if (store_) {
            auto rec = ml::find_model(*store_, model);
            champ = rec && rec->status == "champion" && rec->inst == inst && rec->bar == opts_.bar;
            if (!champ) {
                core::Log::warning("model " + std::to_string(model) + " of the predictions for " +
                                   inst + " is not a champion in the store " + store_->path() +
                                   ": the ml strategy ignores its predictions");
            }
        }
        champions_.emplace(model, champ);
        return champ;
    }

    Symbol& symbol(std::string_view inst) {
        auto it = symbols_.find(inst);
        if (it != symbols_.end()) {
            return *it->second;
        }
        auto s = std::make_unique<Symbol>();
        s->inst = std::string(inst);
        s->regime = RegimeScorer(opts_.regime);
        auto pin = opts_.pinned.find(inst);
        s->pinned = pin != opts_.pinned.end();
        if (s->pinned) {
            s->cands.emplace_back().s = make_strategy(pin->second);
        } else {
            for (const StrategyConfig& c : opts_.candidates) {
                s->cands.emplace_back().s = make_strategy(c);
            }
        }
        // One indicator graph per instrument: the regime's and every candidate's, shared.
        std::vector<std::string> names = RegimeScorer::feature_names();
        for (const Candidate& c : s->cands) {
            for (std::string& n : c.s->feature_names()) {
                if (std::find(names.begin(), names.end(), n) == names.end()) {
                    names.push_back(std::move(n));
                }
            }
        }
        s->names = names;
        s->set = std::make_unique<features::FeatureSet>(features::FeatureSet::from_names(names));
        s->series = std::make_unique<features::Series>(*s->set);
        auto index = [&names](const std::string& n) {
            return static_cast<std::size_t>(std::find(names.begin(), names.end(), n) -
                                            names.begin());
        };
        s->regime.bind(index);
        for (Candidate& c : s->cands) {
            c.s->bind(index);
        }
        return *symbols_.emplace(std::string(inst), std::move(s)).first->second;
    }

    void reset(Symbol& s) {
        s.series->reset();
        s.regime.reset();
        s.prev_close = kNaN;
        for (Candidate& c : s.cands) {
            c.s->reset();
        }
    }

    void decide(Symbol& s, std::int64_t ts, const Regime& regime) {
        const std::int64_t close = ts + opts_.bar_ms;
        if (s.active < 0) {
            // AutoConfig: the first candle at which the regime and every candidate that reads
            // candles are warm.
            if (!regime.warm) {
                return;
            }
            for (const Candidate& c : s.cands) {
                if (!c.s->warm() && c.s->config().kind != "ml") {
                    return;
                }
            }
            evaluate(s, ts, regime);
            s.next_eval = (close / opts_.eval_every_ms + 1) * opts_.eval_every_ms;
        } else if (close >= s.next_eval) {
            if (regime.warm) {
                evaluate(s, ts, regime);
            }
            s.next_eval = (close / opts_.eval_every_ms + 1) * opts_.eval_every_ms;
        }
        if (s.active >= 0) {
            emit_active(s, ts);
        }
    }

    // One evaluation: AutoConfig's first assignment (by regime fit alone: no candidate has a
    // P&L to show yet), or the selector's keep-or-switch decision.
    void evaluate(Symbol& s, std::int64_t ts, const Regime& regime) {
        const bool first = s.active < 0;
        const double wsum = opts_.weight_regime + opts_.weight_pnl;
        const double wr = wsum > 0 ? opts_.weight_regime / wsum : 0.5;
        const double wp = wsum > 0 ? opts_.weight_pnl / wsum : 0.5;
        for (Candidate& c : s.cands) {
            c.fit = c.s->fit(regime);
            c.pnl_score = 0.5 + 0.5 * std::tanh(c.pnl_sum / opts_.pnl_scale);
            c.suitability = round6(first ? c.fit : wr * c.fit + wp * c.pnl_score);
        }
        // The best candidate that can decide (ties: the earlier one).
        int best = -1;
        for (std::size_t i = 0; i < s.cands.size(); ++i) {
            if (!s.cands[i].s->warm()) {
                continue;
            }
            if (best < 0 ||
                s.cands[i].suitability > s.cands[static_cast<std::size_t>(best)].suitability) {
                best = static_cast<int>(i);
            }
        }
        std::vector<std::string> reasons;
        std::string decision;
        const int incumbent = s.active;
        int chosen = incumbent;
        if (best < 0) {
            return; // nothing warm (ml alone, before any prediction of a champion)
        }
        ++stats_.evaluations;
        const Candidate& b = s.cands[static_cast<std::size_t>(best)];
        if (s.pinned) {
            decision = incumbent < 0 ? "assign" : "pinned";
            chosen = 0;
            reasons.push_back("pinned to " + b.s->name() + " in the config (" +
                              opts_.pin_origin.at(s.inst) + "): no automatic selection");
        } else if (first) {
            decision = "assign";
            chosen = best;
            reasons.push_back("first assignment (AutoConfig): " + b.s->name() +
                              " fits the regime " + std::string(regime.label) + " best, " +
                              f2(b.fit));
            reasons.push_back(b.s->fit_reason(regime));
        } else {
            const Candidate& inc = s.cands[static_cast<std::size_t>(incumbent)];
            const std::int64_t held = ts + opts_.bar_ms - s.since;
            if (best == incumbent) {
                decision = "keep";
                reasons.push_back(inc.s->name() + " is still the most suitable, " +
                                  f2(inc.suitability));
            } else if (b.suitability < inc.suitability + opts_.hysteresis) {
                decision = "keep";
                reasons.push_back("challenger " + b.s->name() + " " + f2(b.suitability) +
                                  " does not beat " + inc.s->name() + " " + f2(inc.suitability) +
                                  " by the hysteresis " + f2(opts_.hysteresis));
            } else if (held < opts_.min_hold_ms) {
                decision = "keep";
                reasons.push_back("challenger " + b.s->name() + " " + f2(b.suitability) +
                                  " beats " + inc.s->name() + " " + f2(inc.suitability) + ", but " +
                                  inc.s->name() + " has held for " + duration_text(held) +
                                  " of the minimum hold " + duration_text(opts_.min_hold_ms));
            } else {
                decision = "switch";
                chosen = best;
                reasons.push_back(b.s->name() + " " + f2(b.suitability) + " beats " +
                                  inc.s->name() + " " + f2(inc.suitability) +
                                  " by at least the hysteresis " + f2(opts_.hysteresis) +
                                  " after a hold of " + duration_text(held));
                reasons.push_back(b.s->fit_reason(regime));
                reasons.push_back("signal P&L over " + duration_text(opts_.pnl_window_ms) + ": " +
                                  b.s->name() + " " + pct(b.pnl_sum) + ", " + inc.s->name() + " " +
                                  pct(inc.pnl_sum));
            }
        }
        write_regime(s, ts, regime);
        if (chosen != incumbent) {
            assign(s, ts, chosen, reasons);
        }
        record(s, ts, regime, incumbent, decision, chosen, reasons);
        if (opts_.explain) {
            explain(s, ts, regime, decision, reasons);
        }
    }

    void assign(Symbol& s, std::int64_t ts, int chosen, const std::vector<std::string>& reasons) {
        const std::string prev =
            s.active >= 0 ? s.cands[static_cast<std::size_t>(s.active)].s->name() : "";
        ++stats_.assignments;
        const Candidate& c = s.cands[static_cast<std::size_t>(chosen)];
        const StrategyConfig& cfg = c.s->config();
        std::string& b = begin("assignment", ts, s.inst);
        b += R"(,"strategy":)";
        core::append_json_string(b, cfg.name);
        if (!cfg.file.empty()) {
            b += R"(,"template":)";
            core::append_json_string(b, cfg.file);
        }
        b += R"(,"suitability":)";
        core::append_double(b, std::clamp(c.suitability, 0.0, 1.0));
        b += R"(,"prev":)";
        if (prev.empty()) {
            b += "null";
        } else {
            core::append_json_string(b, prev);
        }
        b += R"(,"reasons":)";
        b += json_strings(reasons);
        b += '}';
        out_.end_line();
        pending_assign_.push_back(AssignRow{s.inst, ts, cfg.name, cfg.kind, prev, c.suitability,
                                            cfg.file, cfg.params_json(), json_strings(reasons)});
        // The assignment line first, then what it means for the outgoing strategy's legs.
        if (s.active >= 0) {
            retire(s, ts);
            ++stats_.switches;
        }
        s.active = chosen;
        s.since = ts + opts_.bar_ms;
        s.emitted.clear();
        s.emitted_legs = ~0ULL;
        // The newcomer's last signal is written only when it holds a view now (a grid always
        // does; a holding strategy when it holds): an old exit signal would be news of nothing.
        s.emitted_signal = cfg.kind == "grid" || c.s->exposure() > 0 ? 0 : c.s->signal_seq();
    }

    // The outgoing strategy's legs are cancelled; its exposure is kept or flattened.
    void retire(Symbol& s, std::int64_t ts) {
        const Strategy& old = *s.cands[static_cast<std::size_t>(s.active)].s;
        for (const auto& [id, leg] : s.emitted) {
            if (leg.target) {
                if (opts_.flatten_on_switch && leg.equity_frac > 0) {
                    Leg flat = leg;
                    flat.equity_frac = 0;
                    write_intent(s, ts, old.name(), flat, "target");
                }
                continue;
            }
            write_intent(s, ts, old.name(), leg, "cancel");
        }
    }

    // The active strategy's signal when it changed, and its legs as intents: placed when new or
    // changed, cancelled when gone. A target is written when it changes (at activation only
    // when it wants exposure, so a kept position is not flattened by a newcomer's "nothing").
    void emit_active(Symbol& s, std::int64_t ts) {
        const Strategy& st = *s.cands[static_cast<std::size_t>(s.active)].s;
        if (!st.warm()) {
            return;
        }
        if (st.signal_seq() != s.emitted_signal && !st.signal().reason.empty()) {
            s.emitted_signal = st.signal_seq();
            const SignalView& v = st.signal();
            std::string& b = begin("signal", ts, s.inst);
            b += R"(,"strategy":)";
            core::append_json_string(b, st.name());
            b += R"(,"side":")";
            b += v.side;
            b += R"(","strength":)";
            core::append_double(b, round6(v.strength));
            b += R"(,"confidence":)";
            core::append_double(b, round6(v.confidence));
            b += R"(,"reason":)";
            core::append_json_string(b, v.reason);
            b += '}';
            out_.end_line();
            ++stats_.signals;
        }
        if (st.legs_seq() == s.emitted_legs) {
            return; // the legs are what was written
        }
        s.emitted_legs = st.legs_seq();
        const std::vector<Leg>& legs = st.legs();
        for (auto it = s.emitted.begin(); it != s.emitted.end();) {
            const bool kept = std::any_of(legs.begin(), legs.end(),
                                          [&](const Leg& l) { return l.id == it->first; });
            if (!kept && !it->second.target) {
                write_intent(s, ts, st.name(), it->second, "cancel");
                it = s.emitted.erase(it);
            } else {
                ++it;
            }
        }
        for (const Leg& leg : legs) {
            auto it = s.emitted.find(leg.id);
            if (it != s.emitted.end() && it->second == leg) {
                continue;
            }
            if (leg.target && it == s.emitted.end() && leg.equity_frac == 0) {
                s.emitted[leg.id] = leg; // nothing wanted yet: nothing to say
                continue;
            }
            write_intent(s, ts, st.name(), leg, leg.target ? "target" : "place");
            s.emitted[leg.id] = leg;
        }
    }

    void write_intent(const Symbol& s, std::int64_t ts, const std::string& strategy, const Leg& leg,
                      std::string_view action) {
        std::string& b = begin("intent", ts, s.inst);
        b += R"(,"strategy":)";
        core::append_json_string(b, strategy);
        b += R"(,"leg":)";
        core::append_json_string(b, leg.id);
        b += R"(,"action":")";
        b += action;
        b += '"';
        if (action == "target") {
            b += R"(,"equity_frac":)";
            core::append_double(b, leg.equity_frac);
        } else {
            b += R"(,"side":")";
            b += leg.side;
            b += R"(","ord_type":")";
            b += leg.ord_type;
            b += R"(","px":)";
            core::append_double(b, leg.px);
            if (action == "place") {
                b += R"(,"equity_frac":)";
                core::append_double(b, leg.equity_frac);
            }
        }
        b += '}';
        out_.end_line();
        ++stats_.intents;
    }

    void write_regime(const Symbol& s, std::int64_t ts, const Regime& r) {
        std::string& b = begin("regime", ts, s.inst);
        b += R"(,"bar":)";
        core::append_json_string(b, opts_.bar);
        b += R"(,"score":)";
        core::append_double(b, round6(r.score));
        b += R"(,"label":")";
        b += r.label;
        b += R"(","components":)";
        b += components_json(r);
        b += '}';
        out_.end_line();
    }

    static std::string components_json(const Regime& r) {
        std::string o = "{";
        bool first = true;
        for (const auto& [name, v] : components(r)) {
            o += first ? "\"" : ",\"";
            first = false;
            o += name;
            o += "\":";
            core::append_double(o, round6(v));
        }
        return o + "}";
    }

    std::string& begin(std::string_view type, std::int64_t ts, const std::string& inst) {
        std::string& b = out_.buffer();
        b += R"({"type":")";
        b += type;
        b += R"(","v":1,"ts":)";
        core::append_int(b, ts);
        b += R"(,"inst":)";
        core::append_json_string(b, inst);
        return b;
    }

    void record(const Symbol& s, std::int64_t ts, const Regime& r, int incumbent,
                const std::string& decision, int chosen, const std::vector<std::string>& reasons) {
        std::string cands = "[";
        for (std::size_t i = 0; i < s.cands.size(); ++i) {
            const Candidate& c = s.cands[i];
            cands += i ? ",{" : "{";
            cands += R"("name":)";
            core::append_json_string(cands, c.s->name());
            cands += R"(,"kind":)";
            core::append_json_string(cands, c.s->config().kind);
            cands += R"(,"warm":)";
            cands += c.s->warm() ? "true" : "false";
            cands += R"(,"fit":)";
            core::append_double(cands, round6(c.fit));
            cands += R"(,"pnl":)";
            core::append_double(cands, round6(c.pnl_sum));
            cands += R"(,"pnl_score":)";
            core::append_double(cands, round6(c.pnl_score));
            cands += R"(,"suitability":)";
            core::append_double(cands, round6(c.suitability));
            cands += '}';
        }
        cands += ']';
        auto name = [&](int i) {
            return i < 0 ? std::string() : s.cands[static_cast<std::size_t>(i)].s->name();
        };
        pending_eval_.push_back(EvalRow{s.inst, ts, std::string(r.label), round6(r.score),
                                        components_json(r), name(incumbent), decision, name(chosen),
                                        cands, json_strings(reasons)});
        if (pending_eval_.size() >= 256) {
            flush_rows();
        }
    }

    void explain(const Symbol& s, std::int64_t ts, const Regime& r, const std::string& decision,
                 const std::vector<std::string>& reasons) {
        std::string t = s.inst + " " + opts_.bar + " " + core::format_iso_ms(ts + opts_.bar_ms) +
                        ": regime " + std::string(r.label) + " " + f2(r.score) + " (trend " +
                        f2(r.trend) + ", direction " + f2(r.direction) + ", volatility " +
                        f2(r.volatility) + ", range " + f2(r.range) + ")\n";
        for (std::size_t i = 0; i < s.cands.size(); ++i) {
            const Candidate& c = s.cands[i];
            char line[256];
            std::snprintf(line, sizeof line,
                          "  %-16s %s fit %.2f  signal P&L %s (score %.2f)  suitability %.2f%s\n",
                          c.s->name().c_str(), c.s->warm() ? "      " : "(cold)", c.fit,
                          pct(c.pnl_sum).c_str(), c.pnl_score, c.suitability,
                          static_cast<int>(i) == s.active ? "  <- assigned" : "");
            t += line;
        }
        t += "  decision: " + decision;
        for (const std::string& why : reasons) {
            t += "\n    " + why;
        }
        // Asked for with --explain, so written whatever the verbosity, as plain text (with
        // --log-json each evaluation is one JSON line of its own).
        core::Log::explain(t);
    }

    void flush_rows_now() {
        if (!store_ || (pending_eval_.empty() && pending_assign_.empty())) {
            pending_eval_.clear();
            pending_assign_.clear();
            return;
        }
        store_->begin();
        try {
            auto e = store_->prepare(
                "INSERT OR REPLACE INTO strategy_evaluations (run_id, inst, bar, ts, label, score, "
                "components, incumbent, decision, chosen, candidates, reasons) VALUES "
                "(?,?,?,?,?,?,?,?,?,?,?,?)");
            for (const EvalRow& r : pending_eval_) {
                e.bind(1, opts_.run_id).bind(2, r.inst).bind(3, opts_.bar).bind(4, r.ts);
                e.bind(5, r.label).bind(6, r.score).bind(7, r.components);
                if (r.incumbent.empty()) {
                    e.bind_null(8);
                } else {
                    e.bind(8, r.incumbent);
                }
                e.bind(9, r.decision).bind(10, r.chosen).bind(11, r.candidates).bind(12, r.reasons);
                e.exec();
            }
            auto a = store_->prepare(
                "INSERT OR REPLACE INTO strategy_assignments (run_id, inst, bar, ts, strategy, "
                "kind, prev, suitability, template, params, reasons) VALUES "
                "(?,?,?,?,?,?,?,?,?,?,?)");
            for (const AssignRow& r : pending_assign_) {
                a.bind(1, opts_.run_id).bind(2, r.inst).bind(3, opts_.bar).bind(4, r.ts);
                a.bind(5, r.strategy).bind(6, r.kind);
                if (r.prev.empty()) {
                    a.bind_null(7);
                } else {
                    a.bind(7, r.prev);
                }
                a.bind(8, r.suitability);
                if (r.file.empty()) {
                    a.bind_null(9);
                } else {
                    a.bind(9, r.file);
                }
                a.bind(10, r.params).bind(11, r.reasons);
                a.exec();
            }
            store_->commit();
        } catch (...) {
            store_->rollback();
            throw;
        }
        pending_eval_.clear();
        pending_assign_.clear();
    }

public:
    void flush_all() { flush_rows_now(); }

private:
    const SelectOptions& opts_;
    core::Output& out_;
    std::unique_ptr<store::Store> store_;
    std::size_t window_bars_ = 1;
    std::map<std::string, std::unique_ptr<Symbol>, std::less<>> symbols_;
    std::map<std::int64_t, bool> champions_;
    std::vector<EvalRow> pending_eval_;
    std::vector<AssignRow> pending_assign_;
    SelectStats stats_;
};

} // namespace

int select_strategy(const SelectOptions& options, core::LineReader& in, core::Output& out,
                    SelectStats* stats) {
    Stage stage(options, out);
    core::Filter filter(out, core::FilterOptions{options.strict, options.max_errors});
    int code = 0;
    try {
        code = filter.run(in, stage);
    } catch (...) {
        stage.flush_all();
        throw;
    }
    stage.flush_all();
    if (stats != nullptr) {
        *stats = stage.stats();
    }
    return code;
}

} // namespace okxkit::strategy
