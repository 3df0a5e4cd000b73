// The risk-guard tool: its option table, its decisions and the stage that asks execute for the
// account at a barrier before it decides.
#include "exec/risk_guard_tool.hpp"

#include "core/error.hpp"
#include "core/filter.hpp"
#include "core/json_out.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/timeutil.hpp"
#include "exec/config_keys.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <sched.h>
#include <thread>
#include <unistd.h>

namespace okxkit::exec {

namespace {

using core::IntentAction;
using core::OptType;
using core::Side;

std::string text_of(double v) {
    std::string s;
    core::append_double(s, v);
    return s;
}

std::string leg_key(std::string_view strategy, std::string_view inst, std::string_view leg) {
    std::string k(strategy);
    k += '\x1f';
    k += inst;
    k += '\x1f';
    k += leg;
    return k;
}

std::string conf_key(std::string_view strategy, std::string_view inst) {
    std::string k(strategy);
    k += '\x1f';
    k += inst;
    return k;
}

} // namespace

// ---------------------------------------------------------------------------------------
// Decider

Decider::Decider(risk::GuardConfig config, risk::ConfiguredLimits limits, double taker_fee)
    : config_(std::move(config)), guard_(limits.global, std::move(limits.per_inst)),
      taker_fee_(taker_fee) {}

void Decider::candle(const std::string& inst, double h, double l, double c) {
    auto it = market_.find(inst);
    if (it == market_.end()) {
        it = market_.emplace(inst, Market{}).first;
    }
    it->second.close = c;
    it->second.atr.push(h, l, c);
    auto v = acct_.insts.find(inst);
    if (v != acct_.insts.end()) {
        v->second.mark = c;
    }
}

void Decider::signal(const std::string& strategy, const std::string& inst, double confidence) {
    confidence_[conf_key(strategy, inst)] = confidence;
}

void Decider::account(AccountSnapshot a) {
    acct_.equity = a.equity;
    acct_.insts = std::move(a.insts);
    legs_.clear();
    for (LegOrder& l : a.legs) {
        std::string key = leg_key(l.strategy, l.inst, l.leg);
        legs_.emplace(std::move(key), std::move(l));
    }
    halted_ = a.halted;
    halt_code_ = a.halt_code;
    guard_.set_halt(halted_, halt_code_);
}

bool Decider::needs_account(const std::vector<std::string>& moved, bool new_step) const {
    // A daily-loss halt that lifts on the next day can change with time alone; a halt that
    // only a reset lifts (which takes a restart) cannot.
    const bool lifts =
        halted_ && halt_code_ == "daily_loss" && guard_.limits("").resume == risk::Resume::kNextDay;
    const auto exposed = [](const risk::InstView& v) {
        return v.position != 0 || v.open_orders != 0;
    };
    if (new_step) {
        // The close of a bar: the kill switch looks at the equity, which moves with any position.
        if (lifts || std::any_of(acct_.insts.begin(), acct_.insts.end(),
                                 [](const auto& kv) { return kv.second.position != 0; })) {
            return true;
        }
    }
    return std::any_of(moved.begin(), moved.end(), [&](const std::string& inst) {
        auto it = acct_.insts.find(inst);
        return it != acct_.insts.end() && exposed(it->second);
    });
}

double Decider::price_of(const core::Intent& in) const {
    if (in.px && *in.px > 0) {
        return *in.px;
    }
    auto m = market_.find(in.inst);
    if (m != market_.end() && m->second.close > 0) {
        return m->second.close;
    }
    auto v = acct_.insts.find(in.inst);
    return v == acct_.insts.end() ? 0 : v->second.mark;
}

std::optional<LegOrder> Decider::take_leg(const std::string& strategy, const std::string& inst,
                                          const std::string& leg) {
    auto it = legs_.find(leg_key(strategy, inst, leg));
    if (it == legs_.end()) {
        return std::nullopt;
    }
    LegOrder l = std::move(it->second);
    legs_.erase(it);
    risk::InstView& v = acct_.insts[inst];
    (l.side == Side::kBuy ? v.open_buy_base : v.open_sell_base) -= l.left;
    v.open_buy_base = std::max(0.0, v.open_buy_base);
    v.open_sell_base = std::max(0.0, v.open_sell_base);
    v.open_orders = std::max(0.0, v.open_orders - 1);
    return l;
}

void Decider::add_leg(LegOrder l) {
    risk::InstView& v = acct_.insts[l.inst];
    if (v.mark == 0) {
        auto m = market_.find(l.inst);
        v.mark = m == market_.end() ? 0 : m->second.close;
    }
    (l.side == Side::kBuy ? v.open_buy_base : v.open_sell_base) += l.left;
    v.open_orders += 1;
    std::string key = leg_key(l.strategy, l.inst, l.leg);
    legs_[std::move(key)] = std::move(l);
}

core::Risk Decider::refusal(const core::Intent& in, std::string code, std::string limit,
                            double value, double threshold, std::string detail) const {
    core::Risk r;
    r.ts = in.ts;
    r.inst = in.inst;
    r.action = core::RiskAction::kReject;
    r.code = std::move(code);
    r.limit = std::move(limit);
    if (std::isfinite(value)) {
        r.value = value;
    }
    if (std::isfinite(threshold)) {
        r.threshold = threshold;
    }
    r.strategy = in.strategy;
    r.leg = in.leg;
    r.detail = std::move(detail);
    return r;
}

core::Risk Decider::risk_line(const core::Intent& in, const risk::Decision& d) const {
    core::Risk r = refusal(in, d.code, d.limit, d.value, d.threshold, d.detail);
    r.action = d.refused() ? core::RiskAction::kReject : core::RiskAction::kAdjust;
    return r;
}

Decider::Outcome Decider::decide(const core::Intent& in) {
    Outcome out;
    switch (in.action) {
    case IntentAction::kCancel: {
        core::Intent a = in;
        a.approved = true;
        take_leg(in.strategy, in.inst, in.leg);
        out.approved = std::move(a);
        return out;
    }
    case IntentAction::kPlace:
        return place(in);
    case IntentAction::kTarget:
        break;
    }
    // A target: an order for the difference between the share of equity wanted and the
    // position held, valued at the price.
    const double px = price_of(in);
    if (!(px > 0)) {
        out.risks.push_back(
            refusal(in, "no_price", "risk.price", px, 0,
                    "no price of " + in.inst + " yet to value the target at (no candle seen)"));
        return out;
    }
    const risk::InstView none;
    auto v = acct_.insts.find(in.inst);
    const risk::InstView& iv = v == acct_.insts.end() ? none : v->second;
    const double wanted = std::max(0.0, acct_.equity) * in.equity_frac.value_or(0);
    const double diff = wanted - iv.position * px;
    const double min_notional = guard_.limits(in.inst).min_notional;
    if (std::abs(diff) < std::max(min_notional, 1e-9)) {
        // On target: a working order of the leg is no longer wanted.
        const bool working = legs_.count(leg_key(in.strategy, in.inst, in.leg)) > 0;
        if (working) {
            core::Intent c;
            static_cast<core::MessageCommon&>(c) = in;
            c.strategy = in.strategy;
            c.leg = in.leg;
            c.action = IntentAction::kCancel;
            c.side.reset();
            c.ord_type.reset();
            c.approved = true;
            take_leg(in.strategy, in.inst, in.leg);
            out.approved = std::move(c);
        }
        return out;
    }
    core::Intent p = in;
    p.action = IntentAction::kPlace;
    p.side = diff > 0 ? Side::kBuy : Side::kSell;
    p.ord_type = in.ord_type.value_or(core::OrdType::kMarket);
    if (*p.ord_type == core::OrdType::kMarket) {
        p.px.reset();
    }
    p.sz = std::abs(diff) / px;
    p.equity_frac.reset();
    p.notional.reset();
    p.reduce_only = diff < 0 ? std::optional<bool>(true) : std::nullopt;
    return place(std::move(p));
}

Decider::Outcome Decider::place(core::Intent in) {
    Outcome out;
    const double px = price_of(in);
    const Side side = *in.side;
    // The leg's own working order goes when this one replaces it: measure without it (and
    // put it back when this one is refused: the old order then stays).
    std::optional<LegOrder> replaced = take_leg(in.strategy, in.inst, in.leg);
    const auto refuse = [&](core::Risk r) {
        if (replaced) {
            add_leg(std::move(*replaced));
        }
        out.risks.push_back(std::move(r));
        return out;
    };
    const risk::InstView none;
    auto v = acct_.insts.find(in.inst);
    const risk::InstView& iv = v == acct_.insts.end() ? none : v->second;
    double sz = 0;
    if (in.sz) {
        sz = *in.sz;
    } else if (in.notional) {
        sz = px > 0 ? *in.notional / px : 0;
    } else if (in.equity_frac) {
        sz = px > 0 ? std::max(0.0, acct_.equity) * *in.equity_frac / px : 0;
    } else if (side == Side::kBuy) {
        risk::SizingInput si;
        si.equity = acct_.equity;
        si.px = px;
        auto m = market_.find(in.inst);
        si.atr =
            m == market_.end() ? std::numeric_limits<double>::quiet_NaN() : m->second.atr.value();
        auto c = confidence_.find(conf_key(in.strategy, in.inst));
        si.confidence = c == confidence_.end() ? 0 : c->second;
        sz = px > 0 ? risk::entry_notional(config_.sizing, si) / px : 0;
    } else {
        sz = std::max(0.0, iv.position - iv.open_sell_base); // sell what is held
    }
    if (!(sz > 0) || !std::isfinite(sz)) {
        return refuse(refusal(in, "no_size", "risk.sizing", sz, 0,
                              side == Side::kBuy && !(px > 0)
                                  ? "no price of " + in.inst + " yet to size the order at"
                                  : "the order's size comes to nothing"));
    }
    const risk::Decision d =
        guard_.check(risk::OrderCheck{in.inst, side, sz, px, taker_fee_}, acct_, in.ts);
    if (d.refused()) {
        return refuse(risk_line(in, d));
    }
    if (d.kind == risk::Decision::Kind::kAdjust) {
        out.risks.push_back(risk_line(in, d));
        sz = d.sz;
    }
    const double min_notional = guard_.limits(in.inst).min_notional;
    if (px > 0 && sz * px < min_notional) {
        std::string detail = "an order of ";
        detail += text_of(sz * px);
        detail += " is below the smallest worth placing";
        return refuse(
            refusal(in, "min_notional", "risk.min_notional", sz * px, min_notional, detail));
    }
    in.sz = sz;
    in.notional.reset();
    in.equity_frac.reset();
    in.approved = true;
    if (side == Side::kBuy && !in.reduce_only.value_or(false) && config_.ladder_enabled &&
        in.tp.empty() && !in.sl && !in.trail) {
        auto m = market_.find(in.inst);
        const double atr =
            m == market_.end() ? std::numeric_limits<double>::quiet_NaN() : m->second.atr.value();
        const risk::Ladder l = risk::make_ladder(config_.ladder, px, atr);
        in.tp = l.tp;
        in.sl = l.sl;
        in.trail = l.trail;
    }
    guard_.placed(in.ts);
    risk::InstView& placed = acct_.insts[in.inst];
    if (placed.mark == 0) {
        placed.mark = px; // no candle of it yet: value its open orders at their price
    }
    add_leg(LegOrder{in.strategy, in.inst, in.leg, side, sz});
    out.approved = std::move(in);
    return out;
}

// ---------------------------------------------------------------------------------------
// The stage

namespace {

class Stage final : public core::FilterStage {
public:
    Stage(const RiskGuardOptions& o, core::Output& out)
        : o_(o), out_(out), d_(o.config, o.limits, o.taker_fee) {
        if (!o.store_path.empty()) {
            store_ = std::make_unique<store::Store>(o.store_path);
            if (o.sync) {
                clear_syncs(*store_, o.run_id);
                fifo_ = std::make_unique<SyncFifoReader>(sync_fifo_path(o.store_path, o.run_id));
            }
        }
        if (!o.sync) {
            AccountSnapshot a;
            a.cash = o.cash;
            a.equity = o.cash;
            d_.account(std::move(a));
        }
    }

    Fast fast(core::Filter& f, std::string_view text) override {
        core::CandleFields c;
        if (core::read_candle_fast(text, c)) {
            candle(f, c, text);
            return Fast::kTaken;
        }
        // An intent as select-strategy writes it.
        if (text.size() > 14 && text[9] == 'i' && core::read_intent_fast(text, intent_)) {
            decide(f, intent_);
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
        } else if (m.type == "intent") {
            intent(f, m);
        } else if (m.type == "signal") {
            std::string error;
            auto s = core::parse_signal(m.json, &error);
            if (!s) {
                f.reject(error);
                return;
            }
            f.pass(m.text);
            d_.signal(s->strategy, s->inst, s->confidence);
        } else {
            f.pass(m.text);
            if (m.type == "ticker" || m.type == "trade") {
                moved(m.json["inst"].get<std::string>(), seen_ts_); // execute may fill on them
            }
        }
    }

    int idle(core::Filter& /*f*/) override {
        commit();
        return -1;
    }
    void finish(core::Filter& /*f*/) override { commit(); }

    std::string hint(std::string_view /*first_bad*/, std::string_view /*reason*/) override {
        return "risk-guard reads candles, signals and intents (okx-stream ... | select-strategy | "
               "risk-guard | execute)";
    }

    void commit() {
        if (store_) {
            write_rows();
        }
    }

    [[nodiscard]] const RiskGuardStats& stats() const { return stats_; }

private:
    void candle(core::Filter& f, const core::CandleFields& k, std::string_view text) {
        std::int64_t ms = 0;
        if (auto err = core::check_candle(k, &ms)) {
            f.reject(*err);
            return;
        }
        f.pass(text);
        if (!k.confirm || k.bar != o_.bar) {
            return;
        }
        f.used();
        std::string inst(k.inst);
        d_.candle(inst, k.h, k.l, k.c);
        moved(std::move(inst), k.ts);
    }

    // Market data of inst at ts went by: execute may fill or mark on it.
    void moved(std::string inst, std::int64_t ts) {
        seen_ts_ = std::max(seen_ts_, ts);
        if (std::find(moved_.begin(), moved_.end(), inst) == moved_.end()) {
            moved_.push_back(std::move(inst));
        }
    }

    void intent(core::Filter& f, const core::Message& m) {
        std::string error;
        auto in = core::parse_intent(m.json, &error, true);
        if (!in) {
            f.reject(error);
            return;
        }
        decide(f, *in);
    }

    // An intent read (either path): decided against the account, the result written.
    void decide(core::Filter& f, core::Intent& in) {
        f.used();
        ++stats_.intents;
        if (in.approved.value_or(false) && !warned_approved_) {
            warned_approved_ = true;
            core::Log::warning("intents arrive already approved (is risk-guard in the pipeline "
                               "twice?): risk-guard decides them again");
        }
        in.approved.reset();
        barrier(in.ts);
        const Decider::Outcome r = d_.decide(in);
        for (const core::Risk& k : r.risks) {
            (k.action == core::RiskAction::kReject ? stats_.rejected : stats_.adjusted) += 1;
            core::append_message(out_.buffer(), k);
            out_.end_line();
            store_risk(k);
        }
        if (r.approved) {
            ++stats_.approved;
            core::append_message(out_.buffer(), *r.approved);
            out_.end_line();
        }
    }

    // Before deciding: when market data went by since the last barrier on which execute may
    // have filled or marked something, ask execute for the account. It may not have when the
    // instruments it moved hold nothing and have no working order, and no bar closed on a
    // position held (the kill switch looks at the equity then): the account is as it was.
    void barrier(std::int64_t ts) {
        if (!o_.sync || (have_account_ && moved_.empty())) {
            return;
        }
        const bool need = !have_account_ || d_.needs_account(moved_, seen_ts_ > barrier_ts_);
        moved_.clear();
        if (!need) {
            ++stats_.skipped_barriers;
            return;
        }
        barrier_ts_ = seen_ts_;
        ++stats_.barriers;
        const std::int64_t id = ++sync_id_;
        core::Sync s;
        s.ts = ts;
        s.id = id;
        core::append_message(out_.buffer(), s);
        out_.end_line();
        out_.flush();
        d_.account(wait_for(id));
        have_account_ = true;
    }

    AccountSnapshot wait_for(std::int64_t id) {
        if (!select_) {
            select_.emplace(
                store_->prepare("SELECT account FROM sync_points WHERE run_id = ? AND id = ?"));
        }
        const auto start = std::chrono::steady_clock::now();
        const auto limit = start + std::chrono::milliseconds(o_.sync_timeout_ms);
        std::chrono::microseconds nap(20);
        const bool fifo = fifo_ && fifo_->ok();
        for (int attempt = 0;; ++attempt) {
            // The FIFO first (execute writes the account there when it found it), the store
            // row after each millisecond without it.
            if (fifo) {
                if (auto text = fifo_->wait(id, 1)) {
                    return account_from_json(*text);
                }
            }
            select_->bind(1, std::string_view(o_.run_id)).bind(2, id);
            if (select_->step() && !select_->column_is_null(0)) {
                std::string text = select_->column_text(0);
                select_->reset();
                return account_from_json(text);
            }
            select_->reset();
            if (std::chrono::steady_clock::now() >= limit) {
                throw core::Error(
                    core::Exit::kUnavailable,
                    "execute did not reach sync " + std::to_string(id) + " within " +
                        std::to_string(o_.sync_timeout_ms / 1000) +
                        " s: risk-guard decides against the account execute holds, so put "
                        "execute right after it with the same --store and --run (or use --sync "
                        "none to decide without execute, against --cash)");
            }
            if (fifo) {
                continue; // the FIFO's wait was the pause
            }
            if (attempt < 50) {
                sched_yield(); // execute usually answers within microseconds
            } else {
                std::this_thread::sleep_for(nap);
                nap = std::min(nap * 2, std::chrono::microseconds(2000));
            }
        }
    }

    // Risk rows wait in memory and go to the store in one short transaction with nothing
    // written to the pipe meanwhile: holding the write lock while a full pipe blocks us would
    // deadlock with execute, which needs the lock to answer a barrier.
    void store_risk(const core::Risk& k) {
        if (!store_) {
            return;
        }
        pending_.push_back(k);
        if (pending_.size() >= 1024) {
            commit();
        }
    }

    void write_rows() {
        if (pending_.empty()) {
            return;
        }
        store_->begin();
        if (!insert_risk_) {
            insert_risk_.emplace(store_->prepare(
                "INSERT INTO risk_events (run_id, ts, inst, tool, action, code, limit_key, value, "
                "threshold, strategy, leg, detail) VALUES (?,?,?,'risk-guard',?,?,?,?,?,?,?,?)"));
        }
        for (const core::Risk& k : pending_) {
            insert_risk_->bind(1, std::string_view(o_.run_id))
                .bind(2, k.ts)
                .bind(3, std::string_view(k.inst))
                .bind(4, core::to_text(k.action))
                .bind(5, std::string_view(k.code))
                .bind(6, std::string_view(k.limit))
                .bind_opt(7, k.value)
                .bind_opt(8, k.threshold)
                .bind_opt(9, k.strategy)
                .bind_opt(10, k.leg)
                .bind(11, std::string_view(k.detail))
                .exec();
        }
        store_->commit();
        pending_.clear();
    }

    const RiskGuardOptions& o_;
    core::Output& out_;
    Decider d_;
    std::unique_ptr<store::Store> store_;
    std::optional<store::Statement> select_, insert_risk_; // after store_: finalised first
    std::unique_ptr<SyncFifoReader> fifo_;
    std::vector<std::string> moved_; // instruments with market data since the last barrier
    std::int64_t seen_ts_ = std::numeric_limits<std::int64_t>::min();
    std::int64_t barrier_ts_ = std::numeric_limits<std::int64_t>::min();
    bool have_account_ = false;
    bool warned_approved_ = false;
    std::vector<core::Risk> pending_;
    core::Intent intent_; // the fast path's, reused
    std::int64_t sync_id_ = 0;
    RiskGuardStats stats_;
};

} // namespace

int risk_guard(const RiskGuardOptions& o, core::LineReader& in, core::Output& out,
               RiskGuardStats* stats) {
    if (o.sync && o.store_path.empty()) {
        throw core::UsageError("risk-guard needs the store that execute writes to sync with it "
                               "(--store), or --sync none");
    }
    Stage stage(o, out);
    core::Filter filter(out, core::FilterOptions{o.strict, o.max_errors});
    int code = 0;
    try {
        code = filter.run(in, stage);
    } catch (...) {
        stage.commit();
        throw;
    }
    stage.commit();
    const RiskGuardStats& s = stage.stats();
    if (stats != nullptr) {
        *stats = s;
    }
    core::Log::summary(std::to_string(s.intents) + " intents: " + std::to_string(s.approved) +
                       " approved (" + std::to_string(s.adjusted) + " adjusted), " +
                       std::to_string(s.rejected) + " rejected; " + std::to_string(s.barriers) +
                       " barriers");
    return code;
}

// ---------------------------------------------------------------------------------------
// The command line

namespace {

core::ToolSpec make_spec() {
    core::ToolSpec spec{
        "risk-guard",
        "sizing, take-profit and stop ladders, risk limits and the kill switch for okxkit "
        "pipelines",
        "risk-guard [--store FILE] [--run NAME] [--sync store|none] [--sizing KIND] [OPTIONS]\n"
        "       risk-guard --reset-halt [--store FILE] [--run NAME]",
        "Reads NDJSON on stdin (candles, signals, intents), writes every line through, and for\n"
        "each intent an approved intent (final size, exits attached) or a risk line saying why\n"
        "not. Before it decides, it asks execute (next in the pipeline, same store and run) for\n"
        "the true account with a sync barrier. Limits and sizing live in [risk] of the config.\n"
        "Example: select-strategy < s.ndjson | risk-guard --store s.db | execute --store s.db\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"sync",
         0,
         OptType::kString,
         "HOW",
         "store: decide against execute's account, asked with a barrier through the store; "
         "none: against --cash and what it approved itself (no execute downstream)",
         "store",
         "risk_guard.sync",
         {},
         {},
         "store|none"},
        {"sync-timeout", 0, OptType::kDuration, "TIME",
         "give up (exit 5) when execute has not reached a barrier after this long", "60s",
         "risk_guard.sync_timeout"},
        {"sizing",
         0,
         OptType::kString,
         "KIND",
         "size of an entry that gives none: fixed_notional, equity_frac, atr_target or kelly",
         "equity_frac",
         "risk.sizing",
         {},
         {},
         "fixed_notional|equity_frac|atr_target|kelly"},
        {"reset-halt",
         0,
         OptType::kFlag,
         {},
         "lift the run's kill switch after a halt (pipelines refuse to start while it is on), "
         "then exit"},
        {"cash", 0, OptType::kNumber, "N", "with --sync none: the account's cash at the start",
         "10000", "execute.cash"},
        {"bar", 0, OptType::kBar, "BAR", "the candles that price orders and give the ATR", "5m",
         "execute.bar"},
        {"taker-fee", 0, OptType::kNumber, "RATE",
         "fee rate an order may pay, counted against the exposure limits", "0.001", "fees.taker"},
    };
    spec.options.assign(std::begin(own), std::end(own));
    for (auto set : {core::store_options(), core::run_options(), core::input_options(),
                     core::output_options(), core::common_options()}) {
        spec.options.insert(spec.options.end(), set.begin(), set.end());
    }
    spec.config_keys = {{"risk", risk::config_keys()},
                        {"risk_guard", risk_guard_config_keys()},
                        {"execute", config_keys()}};
    return spec;
}

} // namespace

const core::ToolSpec& risk_guard_spec() {
    static const core::ToolSpec spec = make_spec();
    return spec;
}

int risk_guard_main(const core::Options& o) {
    RiskGuardOptions r;
    const core::ConfigNode root = o.config().root();
    r.limits = risk::limits_from(root);
    r.config = risk::guard_config_from(root);
    r.config.sizing.kind = *risk::sizing_from_text(o.str("sizing"));
    r.store_path = o.has("store") ? o.str("store") : store::default_store_path();
    r.run_id = o.str("run");
    if (o.flag("reset-halt")) {
        store::Store st(r.store_path);
        if (auto h = reset_halt(st, r.run_id)) {
            core::Log::summary("run \"" + r.run_id + "\": the kill switch (" + h->code + " at " +
                               core::format_iso_ms(h->ts) +
                               ") is reset; entries are allowed again");
        } else {
            core::Log::summary("run \"" + r.run_id + "\" is not halted: nothing to reset");
        }
        return 0;
    }
    r.sync = o.str("sync") == "store";
    r.sync_timeout_ms = o.duration_ms("sync-timeout").value_or(60'000);
    r.cash = o.number("cash");
    if (!(r.cash > 0)) {
        throw core::UsageError("--cash must be above 0");
    }
    r.bar = std::string(o.bar("bar")->name);
    r.taker_fee = o.number("taker-fee");
    if (!(r.taker_fee >= 0 && r.taker_fee <= 0.1)) {
        throw core::UsageError("--taker-fee must be from 0 to 0.1");
    }
    r.strict = o.flag("strict");
    std::unique_ptr<store::Store> st = std::make_unique<store::Store>(r.store_path);
    if (auto h = open_halt(*st, r.run_id); h && holds_at_start(*h, r.limits.global.resume)) {
        throw core::Error(core::Exit::kRefused,
                          halted_message("risk-guard", r.store_path, r.run_id, *h));
    }
    store::RunRecord run(*st, r.run_id, "risk-guard",
                         r.sync ? "sync with execute" : "no sync: against --cash");
    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    core::LineReader in(STDIN_FILENO, false, "-", static_cast<std::size_t>(o.integer("max-line")));
    RiskGuardStats stats;
    int code = 0;
    try {
        code = risk_guard(r, in, out, &stats);
    } catch (const core::Error& err) {
        run.end(store::RunRecord::status_of(core::exit_status(err.code())),
                static_cast<std::int64_t>(stats.approved));
        throw;
    }
    run.end(store::RunRecord::status_of(code), static_cast<std::int64_t>(stats.approved));
    return code;
}

} // namespace okxkit::exec
