// The execute tool: its option table, and the stage that runs the paper exchange.
#include "exec/execute_tool.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/filter.hpp"
#include "core/json_out.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "exec/config_keys.hpp"
#include "exec/live.hpp"
#include "exec/sync.hpp"
#include "okx/config_keys.hpp"
#include "okx/credentials.hpp"
#include "okx/rest.hpp"
#include "okx/ws_frames.hpp"
#include "risk/risk.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unistd.h>
#include <unordered_map>
#include <utility>
#include <vector>

namespace okxkit::exec {

namespace {

using core::OptType;
using core::Side;

constexpr std::size_t kRowsPerCommit = 4096;
// When the input pauses, the rows kept in memory go to the store if the last write is at least
// this old (wall time: when rows are written, never what they hold).
constexpr std::int64_t kIdleWriteMs = 100;

std::string text_of(double v) {
    std::string s;
    core::append_double(s, v);
    return s;
}

// A barrier's row for sync_points: the id, the input line it was on, the event time, the
// account as JSON.
struct SyncRow {
    std::int64_t id = 0;
    std::int64_t line = 0;
    std::int64_t ts = 0;
    std::string account;
};

// The latest state of each order that changed since the rows were last written, by client
// id. The orders are kept from one batch to the next, so a batch reuses their strings.
class LatestOrders {
public:
    void put(const core::Order& o) {
        auto [it, fresh] = index_.try_emplace(o.cl_ord_id, used_);
        if (!fresh) {
            slots_[it->second] = o;
            return;
        }
        if (used_ == slots_.size()) {
            slots_.push_back(o);
        } else {
            slots_[used_] = o;
        }
        ++used_;
    }
    [[nodiscard]] bool contains(const std::string& cl_ord_id) const {
        return index_.count(cl_ord_id) != 0;
    }
    [[nodiscard]] bool empty() const { return used_ == 0; }
    // In client id order: the store's index on it is then written page after page.
    template <class F> void each(F&& f) {
        sorted_.clear();
        for (std::size_t i = 0; i < used_; ++i) {
            sorted_.push_back(&slots_[i]);
        }
        std::sort(sorted_.begin(), sorted_.end(), [](const core::Order* a, const core::Order* b) {
            return a->cl_ord_id < b->cl_ord_id;
        });
        for (const core::Order* o : sorted_) {
            f(*o);
        }
    }
    void clear() {
        index_.clear();
        used_ = 0;
    }

private:
    std::vector<core::Order> slots_; // [0, used_) in use
    std::size_t used_ = 0;
    std::unordered_map<std::string, std::size_t> index_;
    std::vector<const core::Order*> sorted_;
};

class Stage final : public core::FilterStage {
public:
    Stage(const ExecuteOptions& o, core::Output& out)
        : o_(o), out_(out), x_(o.paper), guard_(o.limits.global, o.limits.per_inst) {
        if (!o.store_path.empty()) {
            store_ = std::make_unique<store::Store>(o.store_path);
            fifo_ = std::make_unique<SyncFifoWriter>(sync_fifo_path(o.store_path, o.run_id));
        }
        x_.set_fill_cap([this](const std::string& inst, Side side, double px, double sz) {
            risk::AccountView& a = view();
            a.equity = x_.cash();
            auto v = a.insts.begin();
            for (const auto& [i, h] : x_.holdings()) {
                const double m = i == inst ? px : h.mark;
                (v++)->second = risk::InstView{h.sz, m, 0, 0, 0};
                a.equity += h.sz * m;
            }
            return guard_.fill_room({inst, side, sz, px, o_.paper.taker_fee}, a);
        });
        stats_.start_equity = o.paper.cash;
        const auto bar = core::parse_bar(o.bar);
        bar_ms_ = bar ? bar->ms : 0;
    }

    Fast fast(core::Filter& f, std::string_view text) override {
        core::CandleFields c;
        if (core::read_candle_fast(text, c)) {
            candle(f, c, text);
            return Fast::kTaken;
        }
        // An approved intent as risk-guard writes it.
        if (text.size() > 14 && text[9] == 'i' && core::read_intent_fast(text, intent_)) {
            intent(f, intent_, text);
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
        } else if (m.type == "trade") {
            f.pass(m.text);
            trade(f, m);
        } else if (m.type == "ticker") {
            f.pass(m.text);
            ticker(f, m);
        } else if (m.type == "sync") {
            f.pass(m.text);
            sync(f, m.json["id"].get<std::int64_t>());
        } else {
            f.pass(m.text);
        }
    }

    // The input paused: the rows go to the store when the last write is kIdleWriteMs old, else
    // the loop asks again when it will be (a pipeline with barriers pauses after every one:
    // a commit each time would cost more than all the rest of execute's work).
    int idle(core::Filter& /*f*/) override {
        if (!has_rows()) {
            return -1;
        }
        const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - written_at_)
                               .count();
        if (since >= kIdleWriteMs) {
            flush_rows();
            return -1;
        }
        return static_cast<int>(kIdleWriteMs - since);
    }

    void finish(core::Filter& /*f*/) override {
        if (have_ts_) {
            close_step(cur_ts_);
        }
        flush_rows();
        stats_.end_equity = x_.equity();
    }

    std::string hint(std::string_view /*first_bad*/, std::string_view /*reason*/) override {
        return "execute reads candles and approved intents (okx-stream ... | select-strategy | "
               "risk-guard | execute)";
    }

    // Writes the rows kept in memory in one transaction: no transaction stays open between
    // lines, so the store's write lock is free while execute waits for input (risk-guard
    // needs it, and execute answers a barrier with a commit of its own row only).
    void flush_rows() {
        if (!store_ || !has_rows()) {
            return;
        }
        store_->begin();
        // An order whose latest state goes in this batch too needs no journal row of its own:
        // that row is replaced in the same transaction.
        for (const auto& [r, ts] : pending_journal_) {
            if (!pending_orders_.contains(r.cl_ord_id)) {
                write_journal(r, ts);
            }
        }
        pending_orders_.each([this](const core::Order& o) { write_order(o); });
        for (const core::Fill& fl : pending_fills_) {
            write_fill(fl);
        }
        for (const core::Portfolio& p : pending_pnl_) {
            write_pnl(p);
        }
        for (const core::Risk& r : pending_risk_) {
            write_risk(r);
        }
        for (const SyncRow& r : pending_syncs_) {
            write_sync(r);
        }
        for (const auto& [inst, p] : pending_positions_) {
            stmt(st_positions_, "INSERT OR REPLACE INTO positions (run_id, inst, ts, sz, "
                                "avg_px, mark_px, rpl, fees) VALUES (?,?,?,?,?,?,?,?)")
                .bind_ref(1, o_.run_id)
                .bind_ref(2, inst)
                .bind(3, p.first)
                .bind(4, p.second.sz)
                .bind(5, p.second.avg_px)
                .bind(6, p.second.mark)
                .bind(7, p.second.rpl)
                .bind(8, p.second.fees)
                .exec();
        }
        store_->commit();
        pending_journal_.clear();
        pending_orders_.clear();
        pending_fills_.clear();
        pending_pnl_.clear();
        pending_risk_.clear();
        pending_syncs_.clear();
        pending_positions_.clear();
        rows_ = 0;
        written_at_ = std::chrono::steady_clock::now();
    }

    [[nodiscard]] const ExecuteStats& stats() const { return stats_; }
    [[nodiscard]] const PaperExchange& exchange() const { return x_; }
    [[nodiscard]] const std::map<std::string, std::uint64_t>& fills_by_inst() const {
        return fills_by_inst_;
    }

private:
    void candle(core::Filter& f, const core::CandleFields& k, std::string_view text) {
        std::int64_t ms = 0;
        if (auto err = core::check_candle(k, &ms)) {
            f.reject(*err);
            return;
        }
        // The first candle of a later bar closes the step of the one before. (A late candle,
        // older than the step, still fills and marks its instrument.)
        if (have_ts_ && k.ts > cur_ts_ && k.confirm && k.bar == o_.bar) {
            close_step(cur_ts_);
        }
        f.pass(text);
        if (!k.confirm || k.bar != o_.bar) {
            return;
        }
        f.used();
        ++stats_.candles;
        cur_ts_ = have_ts_ ? std::max(cur_ts_, k.ts) : k.ts;
        have_ts_ = true;
        const std::string inst(k.inst);
        const std::uint64_t before = stats_.fills;
        events_.clear();
        if (traded_.count(inst) > 0 || ticked_.count(inst) > 0) {
            x_.mark(inst, k.c); // its trades or tickers fill its orders: the candle only marks
        } else {
            x_.on_candle(Candle{inst, k.ts, k.o, k.h, k.l, k.c, k.vol}, events_);
        }
        write_events(k.ts);
        auto it = x_.holdings().find(inst);
        if (it != x_.holdings().end() && (it->second.sz > 0 || stats_.fills != before)) {
            write_position(inst, it->second, k.ts);
        }
    }

    // A trade line: from the first one of an instrument on, its trades fill its orders, one
    // by one, and its candles only mark it (the same market activity is not filled twice).
    void trade(core::Filter& f, const core::Message& m) {
        const std::string inst = m.json["inst"].get<std::string>();
        const double px = m.json["px"].get<double>();
        const double sz = m.json["sz"].get<double>();
        if (!(px > 0) || !(sz >= 0)) {
            return; // not a trade a fill could come from (the line went through as it was)
        }
        f.used();
        traded_.insert(inst);
        const std::int64_t ts = m.json["ts"].get<std::int64_t>();
        const std::uint64_t before = stats_.fills;
        events_.clear();
        x_.on_trade(inst, ts, px, sz, events_);
        write_events(ts);
        if (stats_.fills != before) {
            write_position(inst, x_.holdings().at(inst), ts);
        }
    }

    // A ticker line: from the first usable one of an instrument on (unless its trades fill
    // it: they say what traded, a ticker only what was offered), its orders fill from its
    // tickers, buys at the ask and sells at the bid, and its candles only mark it.
    void ticker(core::Filter& f, const core::Message& m) {
        const std::string inst = m.json["inst"].get<std::string>();
        if (traded_.count(inst) > 0) {
            return;
        }
        Quote q;
        q.bid = m.json["bid"].get<double>();
        q.bid_sz = m.json["bid_sz"].get<double>();
        q.ask = m.json["ask"].get<double>();
        q.ask_sz = m.json["ask_sz"].get<double>();
        q.last = m.json["last"].get<double>();
        if (!(q.bid > 0) || !(q.ask >= q.bid) || !(q.last > 0) || !(q.bid_sz >= 0) ||
            !(q.ask_sz >= 0)) {
            return; // a crossed or empty book is no price to fill at (the line went through)
        }
        f.used();
        ticked_.insert(inst);
        const std::int64_t ts = m.json["ts"].get<std::int64_t>();
        const std::uint64_t before = stats_.fills;
        events_.clear();
        x_.on_ticker(inst, ts, q, events_);
        write_events(ts);
        if (stats_.fills != before) {
            write_position(inst, x_.holdings().at(inst), ts);
        }
    }

    // The end of the bar at ts (the next bar's first candle arrived, or the input ended): the
    // kill switch looks at the equity, and the portfolio line goes out.
    void close_step(std::int64_t ts) {
        const double equity = x_.equity();
        if (auto e = guard_.mark(ts, equity)) {
            risk_line(ts, "", e->halt ? "halt" : "resume", e->code, e->limit, e->value,
                      e->threshold, "", "", e->detail);
            if (e->halt) {
                kill(ts);
            }
        }
        stats_.max_drawdown = std::max(stats_.max_drawdown, guard_.drawdown());
        core::Portfolio p;
        p.ts = ts;
        p.cash = x_.cash();
        p.equity = equity;
        for (const auto& [inst, h] : x_.holdings()) {
            p.gross_exposure += std::abs(h.sz * h.mark);
            p.net_exposure += h.sz * h.mark;
        }
        p.drawdown = guard_.drawdown();
        p.day_pnl = guard_.day_pnl();
        p.halted = guard_.halted();
        core::append_message(out_.buffer(), p);
        out_.end_line();
        if (store_) {
            pending_pnl_.push_back(p);
            for (const auto& [inst, h] : x_.holdings()) {
                pending_positions_[inst] = {ts, h}; // the latest, written with the next rows
            }
            row_written();
        }
    }

    void write_pnl(const core::Portfolio& p) {
        stmt(st_pnl_, "INSERT OR REPLACE INTO pnl_snapshots (run_id, ts, cash, equity, "
                      "gross_exposure, net_exposure, drawdown, day_pnl, halted, fill_model) "
                      "VALUES (?,?,?,?,?,?,?,?,?,?)")
            .bind_ref(1, o_.run_id)
            .bind(2, p.ts)
            .bind(3, p.cash)
            .bind(4, p.equity)
            .bind(5, p.gross_exposure)
            .bind(6, p.net_exposure)
            .bind(7, p.drawdown)
            .bind(8, p.day_pnl)
            .bind(9, std::int64_t{p.halted ? 1 : 0})
            .bind_ref(10, to_text(o_.paper.fill_model))
            .exec();
    }

    // The kill switch: every working order canceled; with flatten_on_halt, every position sold
    // at the next bar's open.
    void kill(std::int64_t ts) {
        events_.clear();
        for (const auto& [key, id] : legs_) {
            x_.cancel(id, ts, events_);
        }
        if (o_.limits.global.flatten_on_halt) {
            for (const auto& [inst, h] : x_.holdings()) {
                if (h.sz > 0) {
                    OrderRequest r;
                    r.strategy = "risk";
                    r.leg = "flatten";
                    r.inst = inst;
                    r.side = Side::kSell;
                    r.ord_type = core::OrdType::kMarket;
                    r.sz = h.sz;
                    r.decided_ts = ts;
                    r.cl_ord_id = client_order_id(o_.run_id, r.strategy, inst, ts, r.leg);
                    journal(r, ts);
                    x_.submit(r, ts, events_);
                }
            }
        }
        write_events(ts);
    }

    void intent(core::Filter& f, const core::Message& m) {
        std::string error;
        auto in = core::parse_intent(m.json, &error, true);
        if (!in) {
            f.reject(error);
            return;
        }
        intent(f, *in, m.text);
    }

    void intent(core::Filter& f, const core::Intent& parsed, std::string_view text) {
        const core::Intent* in = &parsed;
        if (!in->approved.value_or(false)) {
            f.pass(text); // for risk-guard to approve, not for execute to act on
            ++stats_.unapproved;
            return;
        }
        if (in->action == core::IntentAction::kTarget) {
            f.reject("an approved intent with action target: risk-guard turns a target into an "
                     "order, execute takes place and cancel");
            return;
        }
        if (in->action == core::IntentAction::kPlace && !(in->sz && *in->sz > 0)) {
            f.reject("an approved intent to place needs its final \"sz\" above 0");
            return;
        }
        f.pass(text);
        f.used();
        ++stats_.intents;
        std::string key = in->strategy;
        key += '\x1f';
        key += in->inst;
        key += '\x1f';
        key += in->leg;
        events_.clear();
        auto it = legs_.find(key);
        if (it != legs_.end()) {
            x_.cancel(it->second, in->ts, events_); // a place replaces the leg's order
            if (in->action == core::IntentAction::kCancel) {
                legs_.erase(it);
            }
        }
        if (in->action == core::IntentAction::kPlace) {
            place(*in, key);
        }
        write_events(in->ts);
    }

    void place(const core::Intent& in, const std::string& key) {
        OrderRequest r;
        r.cl_ord_id = client_order_id(o_.run_id, in.strategy, in.inst, in.ts, in.leg);
        r.strategy = in.strategy;
        r.leg = in.leg;
        r.inst = in.inst;
        r.side = *in.side;
        r.ord_type = *in.ord_type;
        r.px = in.px;
        r.sz = *in.sz;
        // Decided at the close of the intent's bar: market data before it (its candle, or a
        // trade inside it) never fills the order.
        r.decided_ts = in.ts + bar_ms_ - 1;
        if (r.side == Side::kBuy) {
            r.bracket.tp = in.tp;
            if (in.sl) {
                r.bracket.sl_px = in.sl->px;
            }
            if (in.trail) {
                r.bracket.trail_frac = in.trail->offset_frac;
            }
            r.bracket.breakeven_after_tp1 = o_.breakeven_after_tp1 && !r.bracket.tp.empty();
        }
        // The hard limits, again, with lib/risk: the same code risk-guard decided with.
        const auto h = x_.holdings().find(r.inst);
        const double mark = h == x_.holdings().end() ? 0 : h->second.mark;
        const double px = r.px.value_or(mark);
        risk::AccountView& a = view();
        a.equity = x_.equity();
        auto v = a.insts.begin();
        for (const auto& [i, hold] : x_.holdings()) {
            const PaperExchange::Open open = x_.open_summary(i);
            (v++)->second = risk::InstView{hold.sz, hold.mark, open.buy_base, open.sell_base,
                                           static_cast<double>(open.orders)};
        }
        const risk::Decision d =
            guard_.check({r.inst, r.side, r.sz, px, o_.paper.taker_fee}, a, in.ts);
        if (d.kind != risk::Decision::Kind::kApprove) {
            risk_line(in.ts, r.inst, d.refused() ? "reject" : "adjust", d.code, d.limit, d.value,
                      d.threshold, r.strategy, r.leg, d.detail);
            if (d.refused()) {
                ++stats_.refused;
                core::Order o;
                o.ts = in.ts;
                o.inst = r.inst;
                o.cl_ord_id = r.cl_ord_id;
                o.strategy = r.strategy;
                o.leg = r.leg;
                o.side = r.side;
                o.ord_type = r.ord_type;
                o.px = r.px;
                o.sz = r.sz;
                o.state = core::OrderState::kRejected;
                o.reason = "risk limit " + d.limit + " (" + d.code + "): " + d.detail;
                events_.emplace_back(std::move(o));
                return;
            }
            r.sz = d.sz;
        }
        journal(r, in.ts);
        x_.submit(r, in.ts, events_);
        guard_.placed(in.ts);
        legs_[key] = r.cl_ord_id;
        ++stats_.orders;
    }

    // The client order id goes to the store before the order reaches the exchange.
    // (In paper mode the order "reaches the exchange" in memory, and the journal row goes to
    // the store with the next rows.)
    void journal(const OrderRequest& r, std::int64_t ts) {
        if (!store_) {
            return;
        }
        pending_journal_.emplace_back(r, ts);
        row_written();
    }

    void write_journal(const OrderRequest& r, std::int64_t ts) {
        stmt(st_journal_,
             "INSERT OR IGNORE INTO orders (run_id, cl_ord_id, ts, inst, strategy, leg, "
             "side, ord_type, px, sz, state, filled_sz, mode) VALUES "
             "(?,?,?,?,?,?,?,?,?,?,'live',0,'paper')")
            .bind_ref(1, o_.run_id)
            .bind_ref(2, r.cl_ord_id)
            .bind(3, ts)
            .bind_ref(4, r.inst)
            .bind_ref(5, r.strategy)
            .bind_ref(6, r.leg)
            .bind_ref(7, core::to_text(r.side))
            .bind_ref(8, core::to_text(r.ord_type))
            .bind_opt(9, r.px)
            .bind(10, r.sz)
            .exec();
    }

    void sync(core::Filter& f, std::int64_t id) {
        ++stats_.syncs;
        if (!store_) {
            return;
        }
        const AccountSnapshot a = account();
        SyncRow row{id, static_cast<std::int64_t>(f.line_no()), a.ts, account_json(a)};
        // risk-guard's FIFO when there is one: the row then waits for the next batch.
        if (fifo_->send(id, row.account)) {
            pending_syncs_.push_back(std::move(row));
            row_written();
            return;
        }
        // Else the account travels in the row itself, committed at once (one row: the other
        // rows wait for their batch): the writer of the barrier is waiting for it.
        store_->begin();
        write_sync(row);
        store_->commit();
    }

    void write_sync(const SyncRow& r) {
        stmt(st_sync_, "INSERT OR REPLACE INTO sync_points (run_id, id, line, ts, account) "
                       "VALUES (?,?,?,?,?)")
            .bind_ref(1, std::string_view(o_.run_id))
            .bind(2, r.id)
            .bind(3, r.line)
            .bind(4, r.ts)
            .bind_ref(5, std::string_view(r.account))
            .exec();
    }

    // The account as it stands: what risk-guard decides against at a barrier.
    [[nodiscard]] AccountSnapshot account() const {
        AccountSnapshot a;
        a.ts = have_ts_ ? cur_ts_ : 0;
        a.cash = x_.cash();
        a.equity = x_.equity();
        a.halted = guard_.halted();
        a.halt_code = guard_.halt_code();
        for (const auto& [inst, h] : x_.holdings()) {
            const PaperExchange::Open open = x_.open_summary(inst);
            a.insts.emplace_hint(a.insts.end(), inst,
                                 risk::InstView{h.sz, h.mark, open.buy_base, open.sell_base,
                                                static_cast<double>(open.orders)});
        }
        for (const auto& [key, id] : legs_) {
            const OrderProgress* p = x_.progress(id);
            const OrderRequest* r = x_.request(id);
            if (p == nullptr || r == nullptr || is_terminal(p->state)) {
                continue;
            }
            a.legs.push_back(LegOrder{r->strategy, r->inst, r->leg, r->side, p->remaining()});
        }
        return a;
    }

    void write_events(std::int64_t /*ts*/) {
        for (const Event& e : events_) {
            if (const auto* o = std::get_if<core::Order>(&e)) {
                core::append_message(out_.buffer(), *o);
                out_.end_line();
                store_order(*o);
            } else {
                const auto& fl = std::get<core::Fill>(e);
                core::append_message(out_.buffer(), fl);
                out_.end_line();
                ++stats_.fills;
                ++fills_by_inst_[fl.inst];
                store_fill(fl);
            }
        }
        events_.clear();
    }

    void write_position(const std::string& inst, const Holding& h, std::int64_t ts) {
        core::Position p;
        p.ts = ts;
        p.inst = inst;
        p.sz = h.sz;
        p.avg_px = h.avg_px;
        p.mark_px = h.mark;
        p.upl = (h.mark - h.avg_px) * h.sz;
        p.rpl = h.rpl;
        p.fees = h.fees;
        core::append_message(out_.buffer(), p);
        out_.end_line();
    }

    void risk_line(std::int64_t ts, const std::string& inst, const char* action,
                   const std::string& code, const std::string& limit, double value,
                   double threshold, const std::string& strategy, const std::string& leg,
                   const std::string& detail) {
        core::Risk r;
        r.ts = ts;
        r.inst = inst;
        r.action = *core::from_text<core::RiskAction>(action);
        r.code = code;
        r.limit = limit;
        if (std::isfinite(value)) {
            r.value = value;
        }
        if (std::isfinite(threshold)) {
            r.threshold = threshold;
        }
        if (!strategy.empty()) {
            r.strategy = strategy;
            r.leg = leg;
        }
        r.detail = detail;
        core::append_message(out_.buffer(), r);
        out_.end_line();
        if (store_) {
            pending_risk_.push_back(r);
            row_written();
        }
    }

    void write_risk(const core::Risk& r) {
        stmt(st_risk_, "INSERT INTO risk_events (run_id, ts, inst, tool, action, code, "
                       "limit_key, value, threshold, strategy, leg, detail) VALUES "
                       "(?,?,?,'execute',?,?,?,?,?,?,?,?)")
            .bind_ref(1, o_.run_id)
            .bind(2, r.ts)
            .bind_opt(3, r.inst.empty() ? std::optional<std::string>() : r.inst)
            .bind_ref(4, core::to_text(r.action))
            .bind_ref(5, r.code)
            .bind_ref(6, r.limit)
            .bind_opt(7, r.value)
            .bind_opt(8, r.threshold)
            .bind_opt(9, r.strategy)
            .bind_opt(10, r.leg)
            .bind_ref(11, r.detail)
            .exec();
    }

    // An order's latest state waits in memory until the rows are written (an order changes
    // state several times in a bar; the store keeps the latest).
    void store_order(const core::Order& o) {
        if (store_) {
            pending_orders_.put(o);
        }
    }

    void write_order(const core::Order& o) {
        stmt(st_orders_,
             "INSERT OR REPLACE INTO orders (run_id, cl_ord_id, ts, inst, strategy, leg, "
             "side, ord_type, px, sz, state, filled_sz, avg_px, reason, mode) VALUES "
             "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,'paper')")
            .bind_ref(1, o_.run_id)
            .bind_ref(2, o.cl_ord_id)
            .bind(3, o.ts)
            .bind_ref(4, o.inst)
            .bind_ref(5, o.strategy)
            .bind_ref(6, o.leg)
            .bind_ref(7, core::to_text(o.side))
            .bind_ref(8, core::to_text(o.ord_type))
            .bind_opt(9, o.px)
            .bind(10, o.sz)
            .bind_ref(11, core::to_text(o.state))
            .bind(12, o.filled_sz)
            .bind_opt(13, o.avg_px)
            .bind_opt(14, o.reason)
            .exec();
    }

    void store_fill(const core::Fill& fl) {
        if (!store_) {
            return;
        }
        pending_fills_.push_back(fl);
        row_written();
    }

    void write_fill(const core::Fill& fl) {
        stmt(st_fills_, "INSERT OR REPLACE INTO fills (run_id, trade_id, cl_ord_id, ts, inst, "
                        "strategy, leg, side, px, sz, fee, fee_ccy, liquidity, mode) VALUES "
                        "(?,?,?,?,?,?,?,?,?,?,?,?,?,'paper')")
            .bind_ref(1, o_.run_id)
            .bind_ref(2, fl.trade_id)
            .bind_ref(3, fl.cl_ord_id)
            .bind(4, fl.ts)
            .bind_ref(5, fl.inst)
            .bind_ref(6, fl.strategy)
            .bind_ref(7, fl.leg)
            .bind_ref(8, core::to_text(fl.side))
            .bind(9, fl.px)
            .bind(10, fl.sz)
            .bind(11, fl.fee)
            .bind_ref(12, fl.fee_ccy)
            .bind_ref(13, core::to_text(fl.liquidity))
            .exec();
    }

    [[nodiscard]] bool has_rows() const {
        return rows_ > 0 || !pending_orders_.empty() || !pending_positions_.empty();
    }

    void row_written() {
        if (++rows_ >= kRowsPerCommit) {
            flush_rows();
        }
    }

    // The account view lib/risk decides with, kept from one check to the next: its instruments
    // are the exchange's holdings (which are never removed, so the same number means the same
    // keys), and the caller overwrites every value, in the holdings' order.
    risk::AccountView& view() {
        auto& insts = view_.insts;
        if (insts.size() != x_.holdings().size()) {
            insts.clear();
            for (const auto& [i, h] : x_.holdings()) {
                insts.emplace_hint(insts.end(), i, risk::InstView{});
            }
        }
        return view_;
    }

    // A statement prepared once per run (SQLite compiles its SQL only the first time).
    store::Statement& stmt(std::optional<store::Statement>& s, std::string_view sql) {
        if (!s) {
            s.emplace(store_->prepare(sql));
        }
        return *s;
    }

    const ExecuteOptions& o_;
    core::Output& out_;
    PaperExchange x_;
    risk::Guard guard_;
    std::unique_ptr<store::Store> store_;
    // After store_: finalised before the store closes.
    std::optional<store::Statement> st_pnl_, st_positions_, st_journal_, st_sync_, st_risk_,
        st_orders_, st_fills_;
    LatestOrders pending_orders_;
    std::map<std::string, std::pair<std::int64_t, Holding>> pending_positions_;
    std::vector<Event> events_;
    risk::AccountView view_;                  // see view()
    core::Intent intent_;                     // the fast path's, reused
    std::map<std::string, std::string> legs_; // strategy, inst, leg -> the leg's order
    std::map<std::string, std::uint64_t> fills_by_inst_;
    std::set<std::string> traded_; // instruments filled by their trades
    std::set<std::string> ticked_; // instruments filled by their tickers (and no trades)
    std::int64_t bar_ms_ = 0;
    bool have_ts_ = false;
    std::int64_t cur_ts_ = 0;
    // Rows for the store, kept until flush_rows writes them (rows_ counts them).
    std::vector<std::pair<OrderRequest, std::int64_t>> pending_journal_;
    std::vector<core::Fill> pending_fills_;
    std::vector<core::Portfolio> pending_pnl_;
    std::vector<core::Risk> pending_risk_;
    std::vector<SyncRow> pending_syncs_;
    std::unique_ptr<SyncFifoWriter> fifo_;
    std::size_t rows_ = 0;
    std::chrono::steady_clock::time_point written_at_ = std::chrono::steady_clock::now();
    ExecuteStats stats_;
};

} // namespace

std::string client_order_id(std::string_view run, std::string_view strategy, std::string_view inst,
                            std::int64_t ts, std::string_view leg) {
    // FNV-1a, 64 bits, over the parts with a separator no part holds.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    const auto mix = [&h](std::string_view s) {
        for (const char c : s) {
            h ^= static_cast<unsigned char>(c);
            h *= 0x100000001b3ULL;
        }
        h ^= 0x1f;
        h *= 0x100000001b3ULL;
    };
    mix(run);
    mix(strategy);
    mix(inst);
    mix(std::to_string(ts));
    mix(leg);
    // "o" and the hash in 11 base-62 digits: 12 characters, so that the id and a child's (the
    // id and "tp1", "sl") fit in a string without an allocation.
    static constexpr char kDigits[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string id(12, 'o');
    for (std::size_t i = 11; i >= 1; --i) {
        id[i] = kDigits[h % 62];
        h /= 62;
    }
    return id;
}

int execute(const ExecuteOptions& o, core::LineReader& in, core::Output& out, ExecuteStats* stats) {
    Stage stage(o, out);
    core::Filter filter(out, core::FilterOptions{o.strict, o.max_errors});
    int code = 0;
    try {
        code = filter.run(in, stage);
    } catch (...) {
        stage.flush_rows();
        throw;
    }
    stage.flush_rows();
    if (stats != nullptr) {
        *stats = stage.stats();
    }
    // The summary: per instrument, then the account.
    const PaperExchange& x = stage.exchange();
    for (const auto& [inst, h] : x.holdings()) {
        auto n = stage.fills_by_inst().find(inst);
        const std::uint64_t fills = n == stage.fills_by_inst().end() ? 0 : n->second;
        if (fills == 0 && h.sz == 0) {
            continue;
        }
        core::Log::summary(inst + ": " + std::to_string(fills) + " fills, held " + text_of(h.sz) +
                           ", realised " + text_of(std::round(h.rpl * 100) / 100) + ", fees " +
                           text_of(std::round(h.fees * 100) / 100));
    }
    const ExecuteStats& s = stage.stats();
    const double ret = s.start_equity > 0 ? (s.end_equity / s.start_equity - 1) : 0;
    core::Log::summary(std::to_string(s.candles) + " candles, " + std::to_string(s.intents) +
                       " intents, " + std::to_string(s.orders) + " orders, " +
                       std::to_string(s.fills) + " fills; equity " +
                       text_of(std::round(s.end_equity * 100) / 100) + " (" +
                       text_of(std::round(ret * 10000) / 100) + "%), max drawdown " +
                       text_of(std::round(s.max_drawdown * 10000) / 100) + "%, fill model " +
                       std::string(to_text(o.paper.fill_model)) +
                       (o.paper.fill_model == FillModel::kTouch ? " (optimistic)" : ""));
    if (s.unapproved > 0) {
        core::Log::note(std::to_string(s.unapproved) +
                        " intents without \"approved\": true were passed on, not acted on: "
                        "put risk-guard before execute");
    }
    return code;
}

} // namespace okxkit::exec

namespace okxkit::exec {

namespace {

core::ToolSpec make_spec() {
    core::ToolSpec spec{
        "execute",
        "orders, fills, positions and P&L for okxkit pipelines (paper, OKX demo or live)",
        "execute [--mode paper|demo|live] [--fill-model penetration|touch] [--cash N]\n"
        "               [--bar BAR] [--store FILE] [--run NAME] [OPTIONS]",
        "Reads NDJSON on stdin (candles, and intents approved by risk-guard), writes every line\n"
        "through and, as the candles fill the orders, order, fill, position and portfolio\n"
        "lines. An order decided on a bar fills only on later bars; limits fill only when the\n"
        "market trades through them.\n"
        "Example: execute --store s.db < approved.ndjson | grep '\"type\":\"fill\"'\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"mode",
         0,
         OptType::kString,
         "MODE",
         "paper: simulated fills from the market data; demo: OKX demo trading; live: real "
         "orders (needs live = true in the config file)",
         "paper",
         "execute.mode",
         {},
         {},
         "paper|demo|live"},
        {"fill-model",
         0,
         OptType::kString,
         "MODEL",
         "when a resting limit fills: penetration (traded through by a tick) or touch "
         "(reached: optimistic)",
         "penetration",
         "execute.fill_model",
         {},
         {},
         "penetration|touch"},
        {"cash", 0, OptType::kNumber, "N", "paper: starting cash in the quote currency", "10000",
         "execute.cash"},
        {"bar", 0, OptType::kBar, "BAR", "the candles that fill orders and mark positions", "5m",
         "execute.bar"},
        {"maker-fee", 0, OptType::kNumber, "RATE", "fee of fills of orders that rested", "0.0008",
         "fees.maker"},
        {"taker-fee", 0, OptType::kNumber, "RATE", "fee of fills that took liquidity", "0.001",
         "fees.taker"},
        {"slippage", 0, OptType::kNumber, "RATE",
         "paper: market orders and stops fill this share worse than the price", "0.0005",
         "execute.slippage"},
        {"volume-share", 0, OptType::kNumber, "RATE",
         "paper: at most this share of a bar's volume fills per instrument", "0.1",
         "execute.volume_share"},
        {"rest-url", 0, OptType::kString, "URL", "demo, live: OKX REST base URL",
         "https://www.okx.com", "okx.rest_url", "OKX_REST_URL"},
        {"ws-private-url", 0, OptType::kString, "URL",
         "demo, live: OKX private WebSocket, which places the orders and pushes their news "
         "(auto: OKX's for the mode, or --rest-url's host; off: REST only)",
         "auto", "okx.ws_private_url", "OKX_WS_PRIVATE_URL"},
        {"secrets",
         0,
         OptType::kPath,
         "FILE",
         "demo, live: API key file (mode 0600; else OKX_API_KEY, OKX_API_SECRET, "
         "OKX_API_PASSPHRASE)",
         {},
         "execute.secrets"},
        {"reconcile-every", 0, OptType::kDuration, "DURATION",
         "demo, live: compare the account with OKX's (balance, open orders) this often, in "
         "event time",
         "5m", "execute.reconcile_every"},
        {"dead-man",
         0,
         OptType::kInt,
         "SECONDS",
         "demo, live: OKX cancels the resting orders if execute is silent this long "
         "(cancel-all-after, 10 to 120; 0: off)",
         "60",
         "execute.dead_man",
         {},
         {},
         {},
         0,
         120},
    };
    spec.options.assign(std::begin(own), std::end(own));
    for (auto set : {core::store_options(), core::run_options(), core::input_options(),
                     core::output_options(), core::common_options()}) {
        spec.options.insert(spec.options.end(), set.begin(), set.end());
    }
    spec.config_keys = {
        {"execute", config_keys()}, {"risk", risk::config_keys()}, {"okx", okx::config_keys()}};
    return spec;
}

double rate(const core::Options& o, std::string_view name, double lo, double hi) {
    const double v = o.number(name);
    if (!(v >= lo && v <= hi)) {
        throw core::UsageError("--" + std::string(name) + " must be from " + text_of(lo) + " to " +
                               text_of(hi));
    }
    return v;
}

// --ws-private-url: "off" for none; "auto" for OKX's own (wspap for demo) when the REST URL
// is OKX's, else the REST URL's host and port with ws:// for http:// (wss:// for https://).
std::string private_ws_url(const std::string& opt, const std::string& rest, core::Mode mode) {
    if (opt == "off") {
        return "";
    }
    if (opt != "auto") {
        okx::parse_ws_url(opt); // UsageError naming it when it is not a WebSocket URL
        return opt;
    }
    if (rest == okx::kProductionRestUrl) {
        return std::string(mode == core::Mode::kDemo ? okx::kDemoWsPrivateUrl
                                                     : okx::kProductionWsPrivateUrl);
    }
    std::string url = rest;
    if (url.starts_with("https://")) {
        url.replace(0, 5, "wss");
    } else if (url.starts_with("http://")) {
        url.replace(0, 4, "ws");
    } else {
        throw core::UsageError("--rest-url " + rest + " is not an http:// or https:// URL");
    }
    while (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    return url + "/ws/v5/private";
}

} // namespace

const core::ToolSpec& execute_spec() {
    static const core::ToolSpec spec = make_spec();
    return spec;
}

// The gates of --mode demo and live: credentials, and for live the config file's consent and
// limits. Returns the options of the live stage.
LiveOptions live_options(const core::Options& o, const std::string& mode,
                         const risk::ConfiguredLimits& limits) {
    LiveOptions l;
    l.mode = mode == "live" ? core::Mode::kLive : core::Mode::kDemo;
    l.rest.base_url = o.str("rest-url");
    l.rest.demo = l.mode == core::Mode::kDemo;
    l.ws_url = private_ws_url(o.str("ws-private-url"), l.rest.base_url, l.mode);
    const core::ConfigNode root = o.config().root();
    if (l.mode == core::Mode::kLive) {
        if (root.table("execute").boolean("live") != std::optional<bool>(true)) {
            throw core::Error(core::Exit::kRefused,
                              "--mode live sends real orders with real money, and needs "
                              "consent that only the config file can give: add\n"
                              "  [execute]\n  live = true\n"
                              "to the config file (okxkit-config(5)); try --mode demo first");
        }
        if (!std::isfinite(limits.global.max_position_notional)) {
            throw core::Error(core::Exit::kRefused,
                              "--mode live needs configured limits: set [risk] "
                              "max_position_notional (and review the other [risk] limits, "
                              "okxkit-config(5)) in the config file");
        }
    }
    const std::string secrets = o.has("secrets") ? o.str("secrets") : okx::default_secrets_path();
    l.rest.credentials = okx::load_credentials(secrets);
    if (!l.rest.credentials) {
        throw core::UsageError("--mode " + mode +
                               " needs an OKX API key: set OKX_API_KEY, OKX_API_SECRET and "
                               "OKX_API_PASSPHRASE, or write api_key, api_secret and "
                               "api_passphrase to " +
                               secrets + " (chmod 600)");
    }
    const std::int64_t dm = o.integer("dead-man");
    if (dm != 0 && (dm < 10 || dm > 120)) {
        throw core::UsageError("--dead-man must be 0 (off) or from 10 to 120 seconds, as OKX's "
                               "cancel-all-after takes it");
    }
    l.dead_man_s = static_cast<int>(dm);
    l.reconcile_every_ms = *o.duration_ms("reconcile-every");
    return l;
}

int execute_main(const core::Options& o) {
    const std::string mode = o.str("mode");
    ExecuteOptions e;
    e.bar = std::string(o.bar("bar")->name);
    e.paper.fill_model = *fill_model_from_text(o.str("fill-model"));
    e.paper.cash = o.number("cash");
    if (!(e.paper.cash > 0)) {
        throw core::UsageError("--cash must be above 0");
    }
    e.paper.maker_fee = rate(o, "maker-fee", -0.01, 0.1);
    e.paper.taker_fee = rate(o, "taker-fee", 0, 0.1);
    e.paper.slippage = rate(o, "slippage", 0, 0.5);
    e.paper.volume_share = rate(o, "volume-share", 0.000001, 1);
    const core::ConfigNode root = o.config().root();
    if (auto b = root.table("execute").boolean("breakeven_after_tp1")) {
        e.breakeven_after_tp1 = *b;
    }
    e.limits = risk::limits_from(root);
    e.store_path = o.has("store") ? o.str("store") : store::default_store_path();
    e.run_id = o.str("run");
    e.strict = o.flag("strict");
    std::unique_ptr<store::Store> st = std::make_unique<store::Store>(e.store_path);
    if (auto h = open_halt(*st, e.run_id); h && holds_at_start(*h, e.limits.global.resume)) {
        throw core::Error(core::Exit::kRefused,
                          halted_message("execute", e.store_path, e.run_id, *h));
    }
    std::optional<LiveOptions> live;
    if (mode != "paper") {
        live = live_options(o, mode, e.limits);
    }
    store::RunRecord run(*st, e.run_id, "execute",
                         live ? mode + " on " + live->rest.base_url
                              : "paper, fill model " + std::string(to_text(e.paper.fill_model)));
    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    core::LineReader in(STDIN_FILENO, false, "-", static_cast<std::size_t>(o.integer("max-line")));
    ExecuteStats stats;
    int code = 0;
    try {
        code = live ? execute_live(e, *live, in, out, &stats) : execute(e, in, out, &stats);
    } catch (const core::Error& err) {
        run.end(store::RunRecord::status_of(core::exit_status(err.code())),
                static_cast<std::int64_t>(stats.fills));
        throw;
    }
    run.end(store::RunRecord::status_of(code), static_cast<std::int64_t>(stats.fills));
    return code;
}

} // namespace okxkit::exec
