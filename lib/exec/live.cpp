// execute --mode demo|live: the stage that trades on OKX. See live.hpp for the order of things.
#include "exec/live.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/filter.hpp"
#include "core/json_out.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/signals.hpp"
#include "exec/broker.hpp"
#include "exec/order_log.hpp"
#include "exec/sync.hpp"
#include "okx/decimal.hpp"
#include "okx/envelope.hpp"
#include "okx/instruments.hpp"
#include "okx/trade.hpp"
#include "okx/ws.hpp"
#include "risk/risk.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace okxkit::exec {

namespace {

using core::Side;

std::string num(double v) {
    std::string s;
    core::append_double(s, v);
    return s;
}

constexpr std::string_view kCancelAllAfterPath = "/api/v5/trade/cancel-all-after";

// The order_exits spec of an order ("" when it has none): an entry's ladder, or what an exit
// order is.
std::string exits_text(const OrderRequest& r, const std::optional<ExitSpec>& exit) {
    nlohmann::json j = nlohmann::json::object();
    if (exit) {
        j["parent"] = exit->parent;
        j["kind"] = exit->kind;
        j["rung"] = exit->rung;
        if (exit->tp_px) {
            j["tp"] = *exit->tp_px;
        }
        if (exit->sl_px) {
            j["sl"] = *exit->sl_px;
        }
    } else if (r.side == Side::kBuy && (!r.bracket.tp.empty() || r.bracket.sl_px)) {
        j["tp"] = nlohmann::json::array();
        for (const core::TakeProfit& t : r.bracket.tp) {
            j["tp"].push_back({t.px, t.frac});
        }
        if (r.bracket.sl_px) {
            j["sl"] = *r.bracket.sl_px;
        }
        j["be"] = r.bracket.breakeven_after_tp1;
    } else {
        return {};
    }
    return j.dump();
}

// Reads a spec back: an entry's ladder into r.bracket, or the exit order's spec.
void read_exits(const nlohmann::json& j, OrderRequest& r, std::optional<ExitSpec>& exit) {
    if (!j.is_object()) {
        return;
    }
    const auto px = [&j](const char* key) -> std::optional<double> {
        const auto it = j.find(key);
        return it != j.end() && it->is_number() ? std::optional<double>(it->get<double>())
                                                : std::nullopt;
    };
    if (j.contains("parent")) {
        ExitSpec e;
        e.parent = j.value("parent", "");
        e.kind = j.value("kind", "");
        e.rung = j.value("rung", -1);
        e.tp_px = px("tp");
        e.sl_px = px("sl");
        exit = std::move(e);
        return;
    }
    if (const auto tp = j.find("tp"); tp != j.end() && tp->is_array()) {
        for (const auto& t : *tp) {
            if (t.is_array() && t.size() == 2 && t[0].is_number() && t[1].is_number()) {
                r.bracket.tp.push_back({t[0].get<double>(), t[1].get<double>()});
            }
        }
    }
    r.bracket.sl_px = px("sl");
    r.bracket.breakeven_after_tp1 = j.value("be", false);
}
constexpr std::int64_t kPollGapMs = 1000;

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

class LiveStage final : public core::FilterStage {
public:
    LiveStage(const ExecuteOptions& o, const LiveOptions& l, core::Output& out)
        : o_(o), l_(l), out_(out), rest_(l.rest), broker_(l.mode, o.paper.quote_ccy),
          guard_(o.limits.global, o.limits.per_inst), store_(o.store_path),
          order_log_(order_log_path(o.store_path, o.run_id)) {
        const auto bar = core::parse_bar(o.bar);
        bar_ms_ = bar ? bar->ms : 0;
        fifo_ = std::make_unique<SyncFifoWriter>(sync_fifo_path(o.store_path, o.run_id));
        mode_text_ = std::string(core::to_text(l.mode));
    }

    ~LiveStage() override { stop_ws(); }
    LiveStage(const LiveStage&) = delete;
    LiveStage& operator=(const LiveStage&) = delete;

    // Instruments, journal, OKX's view, the dead-man switch: everything before the first line.
    void start() {
        load_rules();
        // The account's own fee rates (its VIP level's), for the risk checks; the configured
        // ones when OKX will not say.
        taker_fee_ = o_.paper.taker_fee;
        try {
            const okx::TradeFee fee = okx::trade_fee(rest_);
            taker_fee_ = std::max(fee.taker, 0.0);
            fees_text_ =
                "; fees " + fee.level + " maker " + num(fee.maker) + ", taker " + num(fee.taker);
        } catch (const okx::OkxError& e) {
            core::Log::warning(std::string("OKX's fee rates could not be had (") + e.what() +
                               "): the configured taker fee " + num(o_.paper.taker_fee) +
                               " is used for the risk checks");
        }
        load_journal();
        reconcile(/*at_start=*/true); // and the exits of what the entries bought
        stats_.start_equity = broker_.equity();
        arm();
        start_ws();
    }

    Fast fast(core::Filter& /*f*/, std::string_view /*text*/) override { return Fast::kGeneral; }

    void message(core::Filter& f, const core::Message& m) override {
        drain();
        refresh_dead_man();
        if (m.type == "candle") {
            f.pass(m.text);
            candle(f, core::candle_fields(m.json));
        } else if (m.type == "intent") {
            intent(f, m);
        } else if (m.type == "sync") {
            f.pass(m.text);
            ++stats_.syncs;
            // risk-guard's FIFO when there is one (it reads that first), and the store.
            const std::int64_t id = m.json["id"].get<std::int64_t>();
            const AccountSnapshot a = account();
            fifo_->send(id, account_json(a));
            write_sync(store_, o_.run_id, id, f.line_no(), a);
        } else {
            f.pass(m.text);
        }
    }

    int idle(core::Filter& /*f*/) override {
        drain();
        catch_up(); // the input paused: what is due is asked now
        refresh_dead_man();
        // While the WebSocket may bring news of the orders, it is looked at every 50 ms, and
        // every second anyway (its keepalive and reconnects run when it is served).
        std::int64_t wait = -1;
        if (ws_ && !ws_dead_) {
            wait = !ops_.empty() || broker_.has_working() ? 50 : 1000;
        }
        if (l_.dead_man_s > 0) {
            const std::int64_t due = armed_at_ + l_.dead_man_s * 1000 / 3 - steady_ms();
            wait =
                wait < 0 ? std::max<std::int64_t>(due, 1) : std::clamp<std::int64_t>(due, 1, wait);
        }
        return static_cast<int>(wait);
    }

    void finish(core::Filter& /*f*/) override {
        // What the WebSocket brought, then REST for the rest (the pushes after it stopped).
        drain();
        stop_ws();
        drain();
        reconcile(false);
        order_log_.clear(); // every order sent is in the store now
        if (have_ts_) {
            close_step(cur_ts_);
        }
        stats_.end_equity = broker_.equity();
    }

    // The end of the input: the dead-man switch off, so OKX leaves the resting orders alone.
    // (Not after SIGINT or SIGTERM: the loop returns with the interrupt's code and this is
    // not called, so the switch stays armed.)
    void disarm() {
        if (l_.dead_man_s > 0 && armed_) {
            call_cancel_all_after(0);
            armed_ = false;
        }
    }

    std::string hint(std::string_view /*first_bad*/, std::string_view /*reason*/) override {
        return "execute reads candles and approved intents (okx-stream ... | select-strategy | "
               "risk-guard | execute)";
    }

    [[nodiscard]] const ExecuteStats& stats() const { return stats_; }
    [[nodiscard]] const Broker& broker() const { return broker_; }

private:
    // ---- start -------------------------------------------------------------------------

    // The orders an earlier process logged but did not get into the store (killed between
    // sending and writing the row) go in now, as sent and unanswered: the reconciliation
    // asks OKX about them like any other.
    void recover_order_log() {
        const std::vector<std::string> lines = order_log_.lines();
        std::size_t recovered = 0;
        store_.begin();
        for (const std::string& line : lines) {
            const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
            if (!j.is_object() || j.value("mode", "") != mode_text_) {
                continue;
            }
            const std::string cl = j.value("cl_ord_id", "");
            auto have = store_.prepare("SELECT 1 FROM orders WHERE run_id = ? AND cl_ord_id = ?");
            have.bind(1, std::string_view(o_.run_id)).bind(2, std::string_view(cl));
            if (cl.empty() || have.step()) {
                continue; // in the store already (or not an order line)
            }
            auto q = store_.prepare(
                "INSERT INTO orders (run_id, cl_ord_id, ts, inst, strategy, leg, side, "
                "ord_type, px, sz, state, filled_sz, avg_px, reason, mode, ord_id) VALUES "
                "(?,?,?,?,?,?,?,?,?,?,'live',0,NULL,NULL,?,NULL)");
            std::optional<double> px;
            if (j.contains("px") && j["px"].is_number()) {
                px = j["px"].get<double>();
            }
            q.bind(1, std::string_view(o_.run_id))
                .bind(2, std::string_view(cl))
                .bind(3, j.value("ts", std::int64_t{0}))
                .bind(4, j.value("inst", ""))
                .bind(5, j.value("strategy", ""))
                .bind(6, j.value("leg", ""))
                .bind(7, j.value("side", ""))
                .bind(8, j.value("ord_type", ""))
                .bind_opt(9, px)
                .bind(10, j.value("sz", 0.0))
                .bind(11, std::string_view(mode_text_));
            q.exec();
            if (const auto ex = j.find("exits"); ex != j.end() && ex->is_object()) {
                write_exits(cl, ex->dump());
            }
            ++recovered;
        }
        store_.commit();
        order_log_.clear();
        if (recovered > 0) {
            core::Log::warning(std::to_string(recovered) +
                               " order(s) of the order log were not in the store yet: added, and "
                               "asked of OKX");
        }
    }

    // The instruments' tickSz, lotSz and minSz, as OKX lists them now (at start and at every
    // reconciliation: OKX changes them now and then).
    void load_rules() {
        std::map<std::string, okx::InstrumentRules, std::less<>> rules;
        for (const core::InstrumentInfo& row : okx::fetch_instruments(rest_, "SPOT")) {
            if (auto r = okx::parse_rules(row)) {
                rules.emplace(row.inst, *r);
            }
        }
        rules_.swap(rules);
    }

    void load_journal() {
        recover_order_log();
        std::map<std::string, nlohmann::json, std::less<>> specs;
        {
            auto sq = store_.prepare("SELECT cl_ord_id, spec FROM order_exits WHERE run_id = ?");
            sq.bind(1, std::string_view(o_.run_id));
            while (sq.step()) {
                specs.emplace(sq.column_text(0), core::parse_json(sq.column_text(1)));
            }
        }
        auto q = store_.prepare(
            "SELECT cl_ord_id, ts, inst, strategy, leg, side, ord_type, px, sz, state, "
            "filled_sz, avg_px, reason, ord_id FROM orders WHERE run_id = ? AND mode = ? "
            "ORDER BY cl_ord_id");
        q.bind(1, std::string_view(o_.run_id)).bind(2, std::string_view(mode_text_));
        while (q.step()) {
            OrderRequest r;
            r.cl_ord_id = q.column_text(0);
            r.inst = q.column_text(2);
            r.strategy = q.column_text(3);
            r.leg = q.column_text(4);
            r.side = *core::from_text<Side>(q.column_text(5));
            r.ord_type = *core::from_text<core::OrdType>(q.column_text(6));
            if (!q.column_is_null(7)) {
                r.px = q.column_double(7);
            }
            r.sz = q.column_double(8);
            core::Order last;
            last.ts = q.column_int(1);
            last.inst = r.inst;
            last.cl_ord_id = r.cl_ord_id;
            last.strategy = r.strategy;
            last.leg = r.leg;
            last.side = r.side;
            last.ord_type = r.ord_type;
            last.px = r.px;
            last.sz = r.sz;
            last.state = *core::from_text<core::OrderState>(q.column_text(9));
            last.filled_sz = q.column_double(10);
            if (!q.column_is_null(11)) {
                last.avg_px = q.column_double(11);
            }
            if (!q.column_is_null(12)) {
                last.reason = q.column_text(12);
            }
            std::string ord_id = q.column_is_null(13) ? "" : q.column_text(13);
            if (!ord_id.empty()) {
                last.ord_id = ord_id;
            }
            last.mode = l_.mode;
            resume_ts_ = std::max(resume_ts_, last.ts);
            std::optional<ExitSpec> exit;
            if (auto sp = specs.find(r.cl_ord_id); sp != specs.end()) {
                read_exits(sp->second, r, exit);
            }
            broker_.adopt(r, last, std::move(ord_id));
            const bool is_exit = exit.has_value();
            if (exit) {
                broker_.set_exit(r.cl_ord_id, std::move(*exit));
            }
            if (!is_terminal(last.state) && !is_exit) { // an exit is no leg of the strategy
                legs_[leg_key(r.strategy, r.inst, r.leg)] = r.cl_ord_id;
            }
            ++adopted_;
        }
        auto fq = store_.prepare("SELECT trade_id, cl_ord_id, ts, inst, side, px, sz, fee, "
                                 "fee_ccy FROM fills WHERE run_id = ? AND mode = ? ORDER BY ts");
        fq.bind(1, std::string_view(o_.run_id)).bind(2, std::string_view(mode_text_));
        while (fq.step()) {
            core::Fill fl;
            fl.trade_id = fq.column_text(0);
            fl.cl_ord_id = fq.column_text(1);
            fl.ts = fq.column_int(2);
            fl.inst = fq.column_text(3);
            fl.side = *core::from_text<Side>(fq.column_text(4));
            fl.px = fq.column_double(5);
            fl.sz = fq.column_double(6);
            fl.fee = fq.column_double(7);
            fl.fee_ccy = fq.column_text(8);
            broker_.adopt_fill(fl);
        }
    }

    // The journal against OKX: every order not finished asked for, its fills fetched; at start
    // also the balance (the cash) and the open orders the journal does not know.
    // The poll or the reconciliation that came due at a step, if any.
    void catch_up() {
        if (reconcile_due_) {
            reconcile(false);
        } else if (poll_due_) {
            poll(cur_ts_);
        }
    }

    void reconcile(bool at_start) {
        // The orders first: a fill found now is in the balance already, so the cash is set
        // after the fills moved it.
        poll(cur_ts_, at_start ? 1 : l_.missing_grace, true);
        reconcile_due_ = false;
        reconciled_ts_ = cur_ts_;
        if (!at_start) {
            try {
                load_rules();
            } catch (const okx::OkxError& e) {
                core::Log::warning(std::string("OKX's instrument rules could not be refreshed (") +
                                   e.what() + "): the last ones are kept");
            }
        }
        {
            double cash = 0;
            if (!at_start && ws_healthy() && pushed_cash_ &&
                pushed_cash_fills_ == broker_.fills()) {
                // The account channel told the cash after the last fill handled: no request.
                cash = *pushed_cash_;
                ++cash_from_pushes_;
            } else {
                const nlohmann::json data =
                    rest_.get_private("/api/v5/account/balance", {{"ccy", o_.paper.quote_ccy}});
                if (data.is_array() && !data.empty() && data[0].contains("details")) {
                    for (const auto& d : data[0]["details"]) {
                        const auto ccy = d.is_object() ? d.find("ccy") : d.end();
                        if (ccy == d.end() || !ccy->is_string() || *ccy != o_.paper.quote_ccy) {
                            continue;
                        }
                        // A string of a number, as OKX writes it; anything else is refused.
                        const auto bal = d.find("cashBal");
                        const std::string t =
                            bal != d.end() && bal->is_string() ? bal->get<std::string>() : "";
                        char* end = nullptr;
                        const double v = std::strtod(t.c_str(), &end);
                        if (t.empty() || *end != '\0' || !std::isfinite(v)) {
                            throw core::RuntimeError("OKX's balance answer: cashBal of " +
                                                     o_.paper.quote_ccy + " is not a number");
                        }
                        cash = v;
                    }
                }
            }
            // OKX's cash is the truth; a difference from what the fills left is reported (a
            // deposit, a trade by hand, a fill the journal missed) and OKX's taken.
            const double mine = broker_.cash();
            if (!at_start && std::abs(cash - mine) > 0.01 + 1e-6 * std::abs(cash)) {
                const std::string detail = o_.paper.quote_ccy + " cash at OKX " + num(cash) +
                                           ", after the run's fills " + num(mine) +
                                           ": OKX's is taken";
                core::Log::warning(detail);
                reconcile_row("balance", o_.paper.quote_ccy, "", "", detail);
            }
            broker_.set_cash(cash);
        }
        {
            for (const okx::OrderInfo& p : pending_) {
                if (broker_.knows(p.cl_ord_id) ||
                    (p.cl_ord_id.empty() && broker_.knows(p.algo_cl_ord_id)) ||
                    !unknown_.insert(p.ord_id).second) {
                    continue; // the run's, or reported already
                }
                const std::string detail =
                    "an open order on the account that run " + o_.run_id +
                    "'s journal does not know: " + p.inst_id + " " +
                    std::string(core::to_text(p.side)) + " " + num(p.sz) + ", ordId " + p.ord_id +
                    (p.cl_ord_id.empty() ? "" : ", clOrdId " + p.cl_ord_id) + "; left as it is";
                core::Log::warning(detail);
                reconcile_row("unknown_order", p.inst_id, p.cl_ord_id, p.ord_id, detail);
            }
        }
    }

    void reconcile_row(std::string_view kind, std::string_view inst, std::string_view cl,
                       std::string_view ord_id, std::string_view detail) {
        store_
            .prepare("INSERT INTO reconcile_events (run_id, ts, mode, kind, inst, cl_ord_id, "
                     "ord_id, detail) VALUES (?,?,?,?,?,?,?,?)")
            .bind(1, std::string_view(o_.run_id))
            .bind(2, cur_ts_)
            .bind(3, std::string_view(mode_text_))
            .bind(4, kind)
            .bind(5, inst)
            .bind(6, cl)
            .bind(7, ord_id)
            .bind(8, detail)
            .exec();
        ++stats_.reconciled;
    }

    // ---- the private WebSocket ---------------------------------------------------------------

    [[nodiscard]] bool ws_healthy() const { return ws_ && !ws_dead_ && ws_->ready(ws_ep_); }

    // Logs in and subscribes to the orders channel; waits (at most ws_connect_wait_ms) until
    // it is ready. The connection is served from this thread, between lines and while the
    // input pauses (pump_ws), so an order goes out without a hand-over to another thread. A refused
    // login ends execute (the key, the passphrase or the clock is wrong: nothing else would work
    // either); a connection that is not up in time leaves REST to do the work until it is.
    void start_ws() {
        if (l_.ws_url.empty()) {
            return;
        }
        okx::WsOptions wo;
        wo.max_failures = 2; // before the first connection: then REST, with a warning
        wo.backoff_base_ms = 200;
        ws_ = std::make_unique<okx::WsClient>(wo);
        ws_ep_ = ws_->add_endpoint(
            l_.ws_url, {okx::WsArg{"orders", "", "SPOT"}, okx::WsArg{"account", "", ""}},
            l_.rest.credentials, rest_.clock_offset_ms());
        ws_->on_frame = [this](std::size_t /*ep*/, std::string_view frame, std::int64_t /*ts*/) {
            const std::lock_guard<std::mutex> lock(rx_mu_);
            rx_.emplace_back(frame);
        };
        ws_->on_event = [this](const okx::WsEvent& e) {
            if (e.kind == okx::WsEvent::Kind::kDisconnect) {
                const std::lock_guard<std::mutex> lock(rx_mu_);
                ws_gap_ = true; // pushes were missed: REST asks once it is back
            }
        };
        const std::int64_t deadline = steady_ms() + l_.ws_connect_wait_ms;
        try {
            ws_->open();
            while (!ws_->ready(ws_ep_) && steady_ms() < deadline && !core::interrupted()) {
                ws_->pump(/*wait=*/true);
            }
        } catch (const core::UsageError&) {
            stop_ws();
            throw; // the login refused: the key, passphrase or clock is wrong
        } catch (const std::exception& e) {
            stop_ws();
            core::Log::warning("the private WebSocket " + l_.ws_url + " cannot be used (" +
                               e.what() + "): orders go by REST");
            return;
        }
        if (!ws_->ready(ws_ep_)) {
            core::Log::warning("the private WebSocket " + l_.ws_url + " is not up after " +
                               std::to_string(l_.ws_connect_wait_ms / 1000) +
                               " s: orders go by REST until it is");
            return;
        }
        {
            const std::lock_guard<std::mutex> lock(rx_mu_);
            ws_gap_ = false;
        }
        // What changed between the reconciliation and the subscription.
        if (!broker_.working().empty()) {
            poll(cur_ts_);
        }
    }

    void stop_ws() {
        if (ws_ && !ws_dead_) {
            ws_->close();
            ws_dead_ = true;
        }
    }

    // Serves the WebSocket once, without waiting: frames received go to rx_, frames queued
    // are written. What ends it (an error OKX sent that retrying cannot fix) leaves REST.
    void pump_ws() {
        if (!ws_ || ws_dead_) {
            return;
        }
        try {
            ws_->pump();
        } catch (const std::exception& e) {
            core::Log::warning(std::string("the private WebSocket is gone (") + e.what() +
                               "): orders and their states go by REST from now on");
            stop_ws();
            poll_due_ = true;
        }
    }

    // Handles what the WebSocket brought since the last look: answers to order ops, pushes of
    // the orders channel; then the ops whose answer is overdue (or lost with a connection)
    // are asked for by REST, and after a disconnect the next step polls.
    void drain() {
        if (!ws_) {
            return;
        }
        pump_ws();
        std::deque<std::string> frames;
        bool gap = false;
        {
            const std::lock_guard<std::mutex> lock(rx_mu_);
            frames.swap(rx_);
            gap = std::exchange(ws_gap_, false);
        }
        std::map<std::string, std::int64_t> moved;
        for (const std::string& text : frames) {
            ws_frame(text, moved);
        }
        for (const auto& [tag, at] : ws_->take_written()) {
            if (auto it = tags_.find(tag); it != tags_.end()) {
                wire_us_.push_back(
                    std::chrono::duration_cast<std::chrono::microseconds>(at - it->second).count());
                tags_.erase(it);
            }
        }
        if (gap) {
            poll_due_ = true;
        }
        const std::int64_t now = steady_ms();
        for (auto it = ops_.begin(); it != ops_.end();) {
            if (!gap && now - it->second.sent_ms < l_.ws_answer_timeout_ms) {
                ++it;
                continue;
            }
            // No answer (the connection dropped, or OKX is slow): OKX's record decides, as
            // after a lost REST answer; an order it does not have stays unconfirmed until the
            // polls' grace runs out.
            const std::string cl = it->first;
            const PendingOp op = it->second;
            it = ops_.erase(it);
            std::optional<okx::OrderInfo> info;
            try {
                info = okx::get_order(rest_, op.inst, cl);
            } catch (const okx::OkxError& e) {
                core::Log::warning("order " + cl + ": no answer over the WebSocket, and OKX " +
                                   "could not be asked (" + e.what() + ")");
            }
            if (info) {
                const double known = filled_by_fills(cl);
                if (info->acc_fill_sz > known + 1e-12) {
                    fetch_fills(op.inst, info->ord_id, moved);
                }
                broker_.observe(*info, op.ts, events_);
            } else {
                core::Log::warning("order " + cl +
                                   ": no answer over the WebSocket and OKX has no such order "
                                   "yet; its state is asked for at the next polls");
                poll_due_ = true;
            }
        }
        write_events();
        for (const auto& [inst, fill_ts] : moved) {
            position_line(inst, std::max(cur_ts_, fill_ts));
        }
        protect_grown();
    }

    void ws_frame(const std::string& text, std::map<std::string, std::int64_t>& moved) {
        try {
            if (auto a = okx::parse_op_answer(text)) {
                auto it = ops_.find(a->id);
                if (a->op != "order" || it == ops_.end()) {
                    return; // answered already (a push came first), or not ours
                }
                const std::int64_t ts = it->second.ts;
                ops_.erase(it);
                if (a->ok()) {
                    broker_.accepted(a->id, a->ord_id, ts, events_);
                } else {
                    broker_.refused(a->id, a->s_code, a->s_msg, ts, events_);
                }
                return;
            }
            if (auto balances = okx::parse_account_push(text)) {
                // The account after a change: OKX's cash, as of the fills handled so far (its
                // push follows the orders push of the fill that moved it).
                ++ws_account_pushes_;
                for (const okx::BalanceDetail& d : *balances) {
                    if (d.ccy == o_.paper.quote_ccy) {
                        pushed_cash_ = d.cash_bal;
                        pushed_cash_fills_ = broker_.fills();
                    }
                }
                return;
            }
            auto updates = okx::parse_orders_push(text);
            if (!updates) {
                return; // acks, pongs: the client's business
            }
            ++ws_pushes_;
            for (okx::OrderUpdate& u : *updates) {
                if (u.order.cl_ord_id.empty() && broker_.knows(u.order.algo_cl_ord_id)) {
                    // The order an exit (algo order) spawned: the exit's from now on.
                    exit_triggered(u.order.algo_cl_ord_id, u.order.ord_id);
                    u.order.cl_ord_id = u.order.algo_cl_ord_id;
                    if (u.fill) {
                        u.fill->cl_ord_id = u.order.cl_ord_id;
                    }
                }
                const std::string& cl = u.order.cl_ord_id;
                if (!broker_.knows(cl)) {
                    continue; // not the run's: the reconciliation reports such orders
                }
                ops_.erase(cl); // OKX has it: its answer adds nothing
                if (u.fill) {
                    const std::uint64_t before = broker_.fills();
                    broker_.fill(*u.fill, events_);
                    if (broker_.fills() != before) {
                        moved[u.fill->inst_id] = std::max(moved[u.fill->inst_id], u.fill->ts);
                    }
                }
                broker_.observe(u.order, u.order.u_time > 0 ? u.order.u_time : cur_ts_, events_);
            }
        } catch (const okx::OkxError& e) {
            core::Log::warning(std::string("a malformed frame on the private WebSocket (") +
                               e.what() + "): ignored; the next poll asks OKX");
            poll_due_ = true;
        }
    }

    // ---- take-profit and stop: a buy entry's ladder as algo orders at OKX ---------------------

    // The algo orders of the exits not triggered yet: one request lists the live ones; one
    // that is not listed is asked for by its algoClOrdId (triggered, canceled or failed).
    void poll_exits(std::int64_t ts, int grace) {
        std::vector<std::string> waiting;
        for (const std::string& cl : broker_.working()) {
            const LiveOrder* o = broker_.find(cl);
            if (o->exit && o->ord_id.empty()) {
                waiting.push_back(cl);
            }
        }
        if (waiting.empty()) {
            return;
        }
        std::map<std::string, okx::AlgoInfo, std::less<>> live;
        for (okx::AlgoInfo& a : okx::pending_algos(rest_)) {
            std::string key = a.algo_cl_ord_id;
            live.emplace(std::move(key), std::move(a));
        }
        // Those that left the list triggered, most likely: one request lists the newest that
        // did, so that a poll costs the same however many triggered since the last.
        std::size_t gone = 0;
        for (const std::string& cl : waiting) {
            gone += live.count(cl) == 0 ? 1 : 0;
        }
        if (gone > 1) {
            for (okx::AlgoInfo& a : okx::algo_history(rest_, "effective")) {
                std::string key = a.algo_cl_ord_id;
                live.emplace(std::move(key), std::move(a));
            }
        }
        for (const std::string& cl : waiting) {
            std::optional<okx::AlgoInfo> a;
            if (auto it = live.find(cl); it != live.end()) {
                a = it->second;
            } else {
                a = okx::get_algo(rest_, cl);
            }
            if (!a) {
                const LiveOrder* o = broker_.find(cl);
                if (!broker_.missing(cl, ts, grace, events_) && reported_.insert(cl).second) {
                    const std::string d = "exit order " + cl + " (" + o->req.inst +
                                          ") is in the journal but OKX has no such algo order";
                    core::Log::warning(d);
                    reconcile_row("missing_order", o->req.inst, cl, o->algo_id, d);
                }
                continue;
            }
            algo_seen(*a, ts);
        }
    }

    // What OKX said of an exit's algo order; its first take-profit moves the others' stops
    // to the entry's price when the ladder says so.
    void algo_seen(const okx::AlgoInfo& a, std::int64_t ts) {
        broker_.algo_observe(a, ts, events_);
        if ((a.state == "effective" || a.state == "partially_effective") && a.actual_side == "tp") {
            breakeven_after(a.algo_cl_ord_id);
        }
    }

    // A push of the order an exit spawned: OKX's algo record says which leg triggered.
    void exit_triggered(const std::string& cl, const std::string& ord_id) {
        const LiveOrder* o = broker_.find(cl);
        if (o == nullptr || !o->exit || !o->ord_id.empty() || ord_id.empty()) {
            return;
        }
        try {
            if (auto a = okx::get_algo(rest_, cl)) {
                algo_seen(*a, cur_ts_);
            }
        } catch (const okx::OkxError& e) {
            core::Log::warning("exit order " + cl + " triggered; OKX could not be asked which " +
                               "leg (" + e.what() + ")");
        }
    }

    void breakeven_after(const std::string& tp1) {
        const LiveOrder* p = broker_.find(tp1);
        if (p == nullptr || !p->exit || p->exit->rung != 0) {
            return;
        }
        const LiveOrder* e = broker_.find(p->exit->parent);
        const auto rules = rules_.find(p->req.inst);
        if (e == nullptr || !e->req.bracket.breakeven_after_tp1 || !e->last.avg_px ||
            rules == rules_.end()) {
            return;
        }
        const okx::DecimalResult be = okx::order_price(*e->last.avg_px, Side::kSell, rules->second);
        if (!be) {
            return;
        }
        for (const std::string& cl : broker_.exits_of(p->exit->parent)) {
            const LiveOrder* x = broker_.find(cl);
            if (cl == tp1 || !x->exit->sl_px || is_terminal(x->last.state) || !x->ord_id.empty() ||
                *x->exit->sl_px >= be->to_double()) {
                continue; // no stop, done, triggered, or at the entry's price already
            }
            try {
                okx::amend_algo(rest_, {x->req.inst, cl, std::nullopt, std::nullopt, *be});
                ExitSpec moved = *x->exit;
                moved.sl_px = be->to_double();
                write_exits(cl, exits_text(x->req, moved));
                broker_.set_exit(cl, std::move(moved));
                core::Log::note("exit order " + cl + ": stop moved to the entry's price " +
                                be->to_string() + " after the first take-profit");
            } catch (const okx::OkxError& err) {
                core::Log::warning("exit order " + cl + ": the stop could not be moved to the " +
                                   "entry's price (" + err.what() + ")");
            }
        }
    }

    // The entries whose fills grew: their exits placed or grown.
    void protect_grown() {
        std::set<std::string> due(unprotected_.begin(), unprotected_.end());
        unprotected_.clear();
        for (std::string& cl : broker_.take_grown()) {
            due.insert(std::move(cl));
        }
        for (const std::string& cl : due) {
            protect(cl);
        }
        write_events();
    }

    // What a buy entry bought is protected at OKX by its ladder, cut in exit orders that
    // together sell no more than that (see ExitSpec): each one placed once its share reaches
    // OKX's minSz, and grown (amended) as the entry fills more. A share whose exit triggered
    // already cannot grow: the rest of it is reported, not protected.
    void protect(const std::string& entry_cl) {
        const LiveOrder* e = broker_.find(entry_cl);
        if (e == nullptr || e->exit || e->req.side != Side::kBuy ||
            (e->req.bracket.tp.empty() && !e->req.bracket.sl_px)) {
            return;
        }
        const auto rules = rules_.find(e->req.inst);
        if (rules == rules_.end()) {
            return;
        }
        const Bracket b = e->req.bracket;
        const OrderRequest entry = e->req;
        const double held = broker_.net_bought(entry_cl);
        const std::int64_t ts = std::max(cur_ts_, e->ts);
        struct Piece {
            std::string tag;
            ExitSpec spec;
            double want = 0;
        };
        std::vector<Piece> pieces;
        double fracs = 0;
        for (std::size_t i = 0; i < b.tp.size(); ++i) {
            pieces.push_back({"tp" + std::to_string(i + 1),
                              {entry_cl, b.sl_px ? "oco" : "conditional", static_cast<int>(i),
                               b.tp[i].px, b.sl_px},
                              b.tp[i].frac * held});
            fracs += b.tp[i].frac;
        }
        const bool all_rungs = fracs >= 1 - 1e-9;
        if (b.sl_px && !all_rungs) {
            pieces.push_back({"sl", {entry_cl, "conditional", -1, std::nullopt, b.sl_px}, 0});
        }
        // Each share rounded down to lotSz; the last one (the stop's, or the last rung when
        // the rungs take everything) takes what the others' rounding left.
        double given = 0;
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            Piece& pc = pieces[i];
            const bool last = i + 1 == pieces.size() && (all_rungs || pc.spec.rung < 0);
            const double want = last ? held - given : pc.want;
            const okx::DecimalResult sz = okx::order_size(want, rules->second);
            const std::string cl = entry_cl + pc.tag;
            const LiveOrder* have = broker_.find(cl);
            if (have != nullptr) {
                if (sz && sz->to_double() > have->req.sz + 1e-12 && !grow_exit(*have, *sz, ts)) {
                    unprotected_.insert(entry_cl);
                }
                given += have->req.sz; // as it stands now, grown or not
                continue;
            }
            if (!sz) {
                continue; // below minSz for now
            }
            if (place_exit(entry, pc.tag, pc.spec, *sz, ts, rules->second)) {
                given += sz->to_double();
            } else {
                unprotected_.insert(entry_cl);
            }
        }
        write_events();
    }

    // The risk checks of an exit order (lib/risk, as for every order sent): the order rate,
    // the open orders, and that spot holds what it sells. Empty when it may go; else why not.
    std::string exit_refusal(const std::string& inst, double sz, std::int64_t ts) {
        const risk::Decision d = guard_.check({inst, Side::kSell, sz, 0, taker_fee_}, view(), ts);
        // A cut by what floating point left of the holding (the exits sum to it exactly in
        // lots) is no cut.
        if (d.kind == risk::Decision::Kind::kApprove ||
            (d.kind == risk::Decision::Kind::kAdjust && d.sz >= sz * (1 - 1e-9))) {
            return {};
        }
        return "risk limit " + d.limit + " (" + d.code + "): " + d.detail;
    }

    // Places one exit order; false when it was not sent (a risk limit, a price OKX would
    // refuse), to be tried again later.
    bool place_exit(const OrderRequest& entry, const std::string& tag, const ExitSpec& spec,
                    const okx::Decimal& sz, std::int64_t ts, const okx::InstrumentRules& rules) {
        OrderRequest r;
        r.cl_ord_id = entry.cl_ord_id + tag;
        r.strategy = entry.strategy;
        r.leg = entry.leg + "-" + tag;
        r.inst = entry.inst;
        r.side = Side::kSell;
        r.ord_type = spec.tp_px ? core::OrdType::kLimit : core::OrdType::kMarket;
        r.sz = sz.to_double();
        r.decided_ts = ts;
        okx::AlgoOrder a;
        a.inst_id = r.inst;
        a.side = Side::kSell;
        a.ord_type = spec.kind;
        a.sz = sz;
        a.algo_cl_ord_id = r.cl_ord_id;
        ExitSpec exact = spec;
        if (spec.tp_px) {
            const okx::DecimalResult tp = okx::order_price(*spec.tp_px, Side::kSell, rules);
            if (!tp) {
                refuse_exit(r, ts, tp.error);
                return false;
            }
            a.tp_trigger_px = *tp;
            a.tp_ord_px = *tp; // a limit sell at the rung's price once it trades there
            r.px = tp->to_double();
            exact.tp_px = r.px;
        }
        if (spec.sl_px) {
            const okx::DecimalResult sl = okx::order_price(*spec.sl_px, Side::kSell, rules);
            if (!sl) {
                refuse_exit(r, ts, sl.error);
                return false;
            }
            a.sl_trigger_px = *sl; // a market sell once it trades there
            exact.sl_px = sl->to_double();
        }
        if (std::string why = exit_refusal(r.inst, r.sz, ts); !why.empty()) {
            refuse_exit(r, ts, why);
            return false;
        }
        // 1. The journal and the order log, before anything is sent (as for an entry).
        LiveOrder& jo = broker_.journal(r, ts);
        broker_.set_exit(r.cl_ord_id, exact);
        log_order(jo);
        guard_.placed(ts);
        ++stats_.orders;
        struct Row {
            LiveStage& self;
            LiveOrder& jo;
            ~Row() {
                try {
                    self.journal_row(jo);
                } catch (...) { // the order log has it: the next start adds it
                }
            }
        } row{*this, jo};
        // 2. The request; OKX's record decides after an error, as for an entry.
        try {
            broker_.algo_placed(r.cl_ord_id, okx::place_algo(rest_, a), ts, events_);
        } catch (const okx::OkxError& e) {
            std::optional<okx::AlgoInfo> info;
            try {
                info = okx::get_algo(rest_, r.cl_ord_id);
            } catch (const okx::OkxError&) {
            }
            if (info) {
                algo_seen(*info, ts);
            } else if (e.retry() == okx::Retry::kNo) {
                broker_.refused(r.cl_ord_id, e.okx_code(), e.okx_msg(), ts, events_);
                core::Log::warning(r.inst + ": exit order " + r.cl_ord_id + " refused by OKX (" +
                                   e.okx_code() + " " + e.okx_msg() + "): " + num(r.sz) +
                                   " of what entry " + entry.cl_ord_id +
                                   " bought is not protected");
            } else {
                core::Log::warning("exit order " + r.cl_ord_id + ": no answer from OKX (" +
                                   std::string(e.what()) + "); asked for at the next polls");
            }
        }
        return true;
    }

    // An exit order not sent: a rejected line and a warning, once per order and reason (it is
    // tried again at the next look, and sent once the limits allow it).
    void refuse_exit(const OrderRequest& r, std::int64_t ts, const std::string& why) {
        if (!warned_unprotected_.insert(r.cl_ord_id + '\x1f' + why).second) {
            return;
        }
        core::Log::warning(r.inst + ": exit order " + r.cl_ord_id + " not sent (" + why +
                           "): what its entry bought is not protected by it yet");
        rejected_line(r, ts, why);
    }

    // An exit order not triggered yet grows to sz (its entry filled more). True when it did,
    // or never can (done or triggered: reported once); false to try again later.
    bool grow_exit(const LiveOrder& x, const okx::Decimal& sz, std::int64_t ts) {
        const std::string cl = x.req.cl_ord_id;
        if (is_terminal(x.last.state) || !x.ord_id.empty()) {
            if (warned_unprotected_.insert(cl).second) {
                core::Log::warning(x.req.inst + ": exit order " + cl +
                                   " is done or triggered: what its entry bought since is not "
                                   "protected by it");
            }
            return true;
        }
        if (x.algo_id.empty()) {
            return false; // OKX has not answered for it yet
        }
        if (std::string why = exit_refusal(x.req.inst, sz.to_double() - x.req.sz, ts);
            !why.empty()) {
            if (warned_unprotected_.insert(cl + '\x1f' + why).second) {
                core::Log::warning(x.req.inst + ": exit order " + cl + " not grown to " +
                                   sz.to_string() + " (" + why + ")");
            }
            return false;
        }
        try {
            okx::amend_algo(rest_, {x.req.inst, cl, sz, std::nullopt, std::nullopt});
            broker_.exit_resized(cl, sz.to_double(), ts, events_);
            return true;
        } catch (const okx::OkxError& e) {
            core::Log::warning("exit order " + cl + ": could not grow to " + sz.to_string() + " (" +
                               e.what() + "); tried again when its entry fills more");
            return true;
        }
    }

    // ---- the dead-man switch -------------------------------------------------------------

    void arm() {
        if (l_.dead_man_s <= 0) {
            return;
        }
        call_cancel_all_after(l_.dead_man_s);
        armed_ = true;
        armed_at_ = steady_ms();
    }

    // OKX takes one cancel-all-after per second per account, whichever process sends it: the
    // time of the last call is kept in the store, and a call within 1.1 s of it waits (a
    // restart right after a crash or a clean exit).
    void call_cancel_all_after(int timeout_s) {
        constexpr std::int64_t kGapMs = 1100;
        const auto wall = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
        auto q = store_.prepare("SELECT at_ms FROM okx_pacing WHERE path = ?");
        q.bind(1, std::string_view(kCancelAllAfterPath));
        if (q.step()) {
            const std::int64_t wait = q.column_int(0) + kGapMs - wall();
            if (wait > 0 && wait <= kGapMs) {
                std::this_thread::sleep_for(std::chrono::milliseconds(wait));
            }
        }
        // Noted before the call: a process killed right after sending it still spaces the next.
        store_.prepare("INSERT OR REPLACE INTO okx_pacing (path, at_ms) VALUES (?, ?)")
            .bind(1, std::string_view(kCancelAllAfterPath))
            .bind(2, wall())
            .exec();
        okx::cancel_all_after(rest_, timeout_s);
    }

    // Re-arms at a third of the timeout (wall time: it says the process is alive, it decides
    // nothing about the market).
    void refresh_dead_man() {
        if (armed_ && steady_ms() - armed_at_ >= l_.dead_man_s * 1000 / 3) {
            arm();
        }
    }

    // ---- market data -----------------------------------------------------------------------

    void candle(core::Filter& f, const core::CandleFields& k) {
        std::int64_t ms = 0;
        if (auto err = core::check_candle(k, &ms)) {
            return; // passed through already; not a candle to act on
        }
        if (!k.confirm || k.bar != o_.bar) {
            return;
        }
        f.used();
        if (have_ts_ && k.ts > cur_ts_) {
            // The step of cur_ts_ is over: OKX is asked once per step, from the journal's
            // latest order on (a restart fed the same input again has reconciled the steps
            // before it already), and at most once a second of wall time: input that comes
            // faster than the market (a backlog) is caught up with when it pauses (idle) or
            // a second later. Every --reconcile-every of event time the poll is a whole
            // reconciliation: the balance and the open orders the journal does not know too.
            if (cur_ts_ >= resume_ts_) {
                // With the WebSocket up, its pushes tell the orders' news: no poll.
                poll_due_ = poll_due_ || !ws_healthy();
                reconcile_due_ =
                    reconcile_due_ || cur_ts_ - reconciled_ts_ >= l_.reconcile_every_ms;
                if (steady_ms() - polled_at_ >= kPollGapMs) {
                    catch_up();
                }
            }
            close_step(cur_ts_);
        }
        ++stats_.candles;
        cur_ts_ = have_ts_ ? std::max(cur_ts_, k.ts) : k.ts;
        have_ts_ = true;
        const std::string inst(k.inst);
        marks_[inst] = k.c;
        broker_.mark(inst, k.c);
    }

    // Asks OKX about every order not finished; fetches the fills of those that filled more.
    // One request lists the working orders (orders-pending); an order of the journal that is
    // not on it has finished (or never arrived) and is asked for by its client order id, once:
    // its answer makes it terminal in the journal. So a poll costs one request, plus one per
    // order that ended since the last, whatever the number of resting orders.
    void poll(std::int64_t ts, int grace = -1, bool list_always = false) {
        if (grace < 0) {
            grace = l_.missing_grace;
        }
        polled_at_ = steady_ms();
        poll_due_ = false;
        poll_exits(ts, grace); // the exits not triggered yet: OKX's algo orders
        const std::vector<std::string> working = broker_.working();
        pending_.clear();
        if (!working.empty() || list_always) {
            pending_ = okx::pending_orders(rest_);
        }
        std::map<std::string, const okx::OrderInfo*, std::less<>> listed;
        for (const okx::OrderInfo& p : pending_) {
            if (!p.cl_ord_id.empty()) {
                listed.emplace(p.cl_ord_id, &p);
            } else if (!p.algo_cl_ord_id.empty()) {
                listed.emplace(p.algo_cl_ord_id, &p); // an exit's triggered order
            }
        }
        std::map<std::string, std::int64_t> moved; // instrument -> its latest fill's time
        std::vector<okx::OrderInfo> seen;          // OKX's word on each, client id set
        // Orders that left the list ended, most likely: when several did, one request lists
        // the newest that ended (after a restart that found many, a handful of requests
        // instead of one per order).
        std::vector<okx::OrderInfo> ended;
        std::size_t left = 0;
        for (const std::string& cl : working) {
            const LiveOrder* o = broker_.find(cl);
            left += (!o->exit || !o->ord_id.empty()) && listed.count(cl) == 0 ? 1 : 0;
        }
        if (left > 1) {
            ended = okx::finished_orders(rest_);
            for (const okx::OrderInfo& e : ended) {
                const std::string& key = e.cl_ord_id.empty() ? e.algo_cl_ord_id : e.cl_ord_id;
                if (!key.empty()) {
                    listed.emplace(key, &e);
                }
            }
        }
        for (const std::string& cl : working) {
            const LiveOrder* o = broker_.find(cl);
            if (o->exit && o->ord_id.empty()) {
                continue; // not triggered: poll_exits asked
            }
            const std::string inst = o->req.inst;
            std::optional<okx::OrderInfo> info;
            if (auto it = listed.find(cl); it != listed.end()) {
                info = *it->second;
            } else if (o->exit) {
                info = okx::get_order_by_id(rest_, inst, o->ord_id);
            } else {
                info = okx::get_order(rest_, inst, cl);
            }
            if (!info) {
                if (!broker_.missing(cl, ts, grace, events_) && !reported_.count(cl)) {
                    reported_.insert(cl);
                    std::string d = "order ";
                    d += cl;
                    d += " (";
                    d += inst;
                    d += ") is in the journal but OKX has no such order now";
                    core::Log::warning(d);
                    reconcile_row("missing_order", inst, cl, o->ord_id, d);
                }
                continue;
            }
            info->cl_ord_id = cl; // an exit's order has no clOrdId of its own at OKX
            seen.push_back(std::move(*info));
        }
        // The fills of the orders that filled more: one request for the account's newest when
        // several did (so a poll costs the same however many filled), then one per order for
        // what that did not hold.
        std::size_t behind = 0;
        for (const okx::OrderInfo& i : seen) {
            behind += i.acc_fill_sz > filled_by_fills(i.cl_ord_id) + 1e-12 ? 1 : 0;
        }
        if (behind > 1) {
            take_fills(okx::recent_fills(rest_, ""), moved);
        }
        for (const okx::OrderInfo& i : seen) {
            if (i.acc_fill_sz > filled_by_fills(i.cl_ord_id) + 1e-12) {
                fetch_fills(i.inst_id, i.ord_id, moved);
            }
            broker_.observe(i, i.u_time > 0 ? i.u_time : ts, events_);
            if (i.acc_fill_sz > filled_by_fills(i.cl_ord_id) + 1e-12) {
                const std::string d = "order " + i.cl_ord_id + ": OKX reports " +
                                      num(i.acc_fill_sz) + " filled, its fills list " +
                                      num(filled_by_fills(i.cl_ord_id));
                core::Log::warning(d);
                reconcile_row("fills_behind", i.inst_id, i.cl_ord_id, i.ord_id, d);
            }
        }
        write_events();
        for (const auto& [inst, fill_ts] : moved) {
            position_line(inst, std::max(ts, fill_ts));
        }
        protect_grown();
    }

    double filled_by_fills(const std::string& cl) const { return broker_.filled_by_fills(cl); }

    void fetch_fills(const std::string& inst, const std::string& ord_id,
                     std::map<std::string, std::int64_t>& moved) {
        take_fills(okx::recent_fills(rest_, inst, ord_id), moved);
    }

    // OKX's fills (newest first, as it lists them) to the broker, oldest first: the run's
    // orders' (an exit's order by its ordId), each once.
    void take_fills(std::vector<okx::FillInfo> fills, std::map<std::string, std::int64_t>& moved) {
        std::reverse(fills.begin(), fills.end()); // oldest first
        for (okx::FillInfo& fi : fills) {
            if (fi.cl_ord_id.empty()) { // an exit's triggered order: linked by its ordId
                fi.cl_ord_id = broker_.exit_of_ord_id(fi.ord_id);
            }
            const std::uint64_t before = broker_.fills();
            broker_.fill(fi, events_);
            if (broker_.fills() != before) {
                moved[fi.inst_id] = std::max(moved[fi.inst_id], fi.ts);
            }
        }
    }

    // ---- intents -----------------------------------------------------------------------------

    static std::string leg_key(const std::string& strategy, const std::string& inst,
                               const std::string& leg) {
        std::string key = strategy;
        key += '\x1f';
        key += inst;
        key += '\x1f';
        key += leg;
        return key;
    }

    void intent(core::Filter& f, const core::Message& m) {
        intent_at_ = std::chrono::steady_clock::now();
        std::string error;
        auto in = core::parse_intent(m.json, &error, true);
        if (!in) {
            f.reject(error);
            return;
        }
        if (!in->approved.value_or(false)) {
            f.pass(m.text);
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
        f.pass(m.text);
        f.used();
        ++stats_.intents;
        const std::string key = leg_key(in->strategy, in->inst, in->leg);
        const std::string cl = client_order_id(o_.run_id, in->strategy, in->inst, in->ts, in->leg);
        if (broker_.knows(cl)) {
            return; // this intent's order is in the journal: sent once, never again
        }
        auto it = legs_.find(key);
        if (it != legs_.end()) {
            cancel(it->second, in->ts);
            if (in->action == core::IntentAction::kCancel) {
                legs_.erase(it);
            }
        }
        if (in->action == core::IntentAction::kPlace) {
            place(*in, key, cl);
        }
        write_events();
    }

    void cancel(const std::string& cl, std::int64_t ts) {
        const LiveOrder* o = broker_.find(cl);
        if (o == nullptr || is_terminal(o->last.state)) {
            return;
        }
        const std::string inst = o->req.inst;
        try {
            okx::cancel_order(rest_, inst, cl);
        } catch (const okx::OkxError& e) {
            // 51400..51402: already gone (filled, canceled): its state says which.
            core::Log::note("cancel of " + cl + ": OKX " + e.okx_code() + ": " + e.okx_msg());
        }
        if (auto info = okx::get_order(rest_, inst, cl)) {
            std::map<std::string, std::int64_t> moved;
            if (info->acc_fill_sz > filled_by_fills(cl) + 1e-12) {
                fetch_fills(inst, info->ord_id, moved);
            }
            broker_.observe(*info, ts, events_);
            write_events();
            for (const auto& [i, fill_ts] : moved) {
                position_line(i, std::max(ts, fill_ts));
            }
        }
        protect_grown();
    }

    void rejected_line(const OrderRequest& r, std::int64_t ts, std::string reason) {
        core::Order o;
        o.ts = ts;
        o.inst = r.inst;
        o.cl_ord_id = r.cl_ord_id;
        o.strategy = r.strategy;
        o.leg = r.leg;
        o.side = r.side;
        o.ord_type = r.ord_type;
        o.px = r.px;
        o.sz = r.sz;
        o.state = core::OrderState::kRejected;
        o.reason = std::move(reason);
        o.mode = l_.mode;
        events_.emplace_back(std::move(o));
    }

    void place(const core::Intent& in, const std::string& key, const std::string& cl) {
        OrderRequest r;
        r.cl_ord_id = cl;
        r.strategy = in.strategy;
        r.leg = in.leg;
        r.inst = in.inst;
        r.side = *in.side;
        r.ord_type = *in.ord_type;
        r.px = in.px;
        r.sz = *in.sz;
        r.decided_ts = in.ts;
        if (r.side == Side::kBuy) {
            r.bracket.tp = in.tp;
            if (in.sl) {
                r.bracket.sl_px = in.sl->px;
            }
            r.bracket.breakeven_after_tp1 = o_.breakeven_after_tp1 && !r.bracket.tp.empty();
        }
        if (in.trail && r.side == Side::kBuy) {
            if (l_.mode == core::Mode::kLive) {
                rejected_line(r, in.ts,
                              "a trailing stop is not sent to OKX by this build: live mode "
                              "refuses an entry it could not protect as asked (risk-guard: "
                              "[risk.ladder] trail = 0)");
                return;
            }
            if (warned_bracket_.insert(r.inst).second) {
                core::Log::warning(r.inst + ": the intent's trailing stop is not sent to OKX by "
                                            "this build (its take-profits and stop are); demo "
                                            "only: live mode refuses such entries");
            }
        }
        // Exact price and size by the instrument's rules.
        auto rules = rules_.find(r.inst);
        if (rules == rules_.end()) {
            rejected_line(r, in.ts, "OKX lists no spot instrument " + r.inst);
            return;
        }
        const okx::DecimalResult sz = okx::order_size(r.sz, rules->second);
        if (!sz) {
            rejected_line(r, in.ts, sz.error);
            return;
        }
        std::optional<okx::Decimal> px;
        if (r.ord_type != core::OrdType::kMarket) {
            if (!r.px) {
                rejected_line(r, in.ts, "a limit order needs a price");
                return;
            }
            const okx::DecimalResult p = okx::order_price(*r.px, r.side, rules->second);
            if (!p) {
                rejected_line(r, in.ts, p.error);
                return;
            }
            px = *p;
            r.px = px->to_double();
        }
        r.sz = sz->to_double();
        // The hard limits, again, with lib/risk: the same code risk-guard decided with.
        auto mk = marks_.find(r.inst);
        const double ref = r.px.value_or(mk == marks_.end() ? 0 : mk->second);
        risk::AccountView a = view();
        const risk::Decision d = guard_.check({r.inst, r.side, r.sz, ref, taker_fee_}, a, in.ts);
        if (d.kind != risk::Decision::Kind::kApprove) {
            // Live money: an order the limits would cut is refused, never resized here (the
            // size was rounded to OKX's lot already; risk-guard sizes).
            ++stats_.refused;
            rejected_line(r, in.ts, "risk limit " + d.limit + " (" + d.code + "): " + d.detail);
            return;
        }
        // 1. The journal, committed, before anything is sent.
        LiveOrder& jo = broker_.journal(r, in.ts);
        log_order(jo);
        legs_[key] = cl;
        guard_.placed(in.ts);
        ++stats_.orders;
        // 2. The request.
        okx::PlaceOrder p;
        p.inst_id = r.inst;
        p.side = r.side;
        p.ord_type = r.ord_type;
        p.px = px;
        p.sz = *sz;
        p.cl_ord_id = cl;
        if (ws_healthy()) {
            const std::uint64_t tag = next_tag_++;
            tags_.emplace(tag, intent_at_);
            if (ws_->send(ws_ep_, okx::order_op(cl, p), tag)) {
                ops_.emplace(cl, PendingOp{r.inst, in.ts, steady_ms()});
                ++ws_orders_;
                journal_row(jo); // the store's row, after the order went out
                return;          // its answer comes as a frame (drain)
            }
            tags_.erase(tag); // the connection went down just now: REST
        }
        struct Row { // the store's row once the request is out, whatever its answer
            LiveStage& self;
            LiveOrder& jo;
            ~Row() {
                try {
                    self.journal_row(jo);
                } catch (...) { // the order log has it: the next start adds it
                }
            }
        } row{*this, jo};
        try {
            const okx::Placed placed = okx::place_order(rest_, p);
            note_wire_time(cl);
            broker_.accepted(cl, placed.ord_id, in.ts, events_);
        } catch (const okx::OkxError& e) {
            note_wire_time(cl);
            // Whatever the error, OKX's own record decides: an order it has is adopted (its
            // answer was lost), one it refused is rejected with its code, one it never saw
            // stays unconfirmed until the next polls say so.
            std::optional<okx::OrderInfo> info;
            try {
                info = okx::get_order(rest_, r.inst, cl);
            } catch (const okx::OkxError&) {
            }
            if (info) {
                broker_.observe(*info, in.ts, events_);
            } else if (e.retry() == okx::Retry::kNo) {
                broker_.refused(cl, e.okx_code(), e.okx_msg(), in.ts, events_);
            } else {
                core::Log::warning("order " + cl + ": no answer from OKX (" +
                                   std::string(e.what()) +
                                   "); its state is asked for at the next candle");
            }
        }
    }

    // The time from the intent (its line parsed) to its order request going out.
    void note_wire_time(const std::string& cl) {
        const auto sent = rest_.last_sent_at();
        if (sent < intent_at_) {
            return; // nothing was sent for this intent
        }
        const std::int64_t us =
            std::chrono::duration_cast<std::chrono::microseconds>(sent - intent_at_).count();
        wire_us_.push_back(us);
        core::Log::debug("order " + cl + ": intent to wire " + std::to_string(us) + " us");
    }

    void journal_row(const LiveOrder& o) {
        store_.begin();
        write_order(o.last);
        const std::string spec = exits_text(o.req, o.exit);
        if (!spec.empty()) {
            write_exits(o.req.cl_ord_id, spec);
        }
        store_.commit();
    }

    void write_exits(const std::string& cl, const std::string& spec) {
        store_
            .prepare("INSERT OR REPLACE INTO order_exits (run_id, cl_ord_id, spec) VALUES "
                     "(?,?,?)")
            .bind(1, std::string_view(o_.run_id))
            .bind(2, std::string_view(cl))
            .bind(3, std::string_view(spec))
            .exec();
    }

    // The order in the order log, in one write, before it is sent: its line, with its ladder
    // or exit spec when it has one.
    void log_order(const LiveOrder& jo) {
        log_line_.clear();
        core::append_message(log_line_, jo.last);
        const std::string spec = exits_text(jo.req, jo.exit);
        if (!spec.empty() && !log_line_.empty() && log_line_.back() == '}') {
            log_line_.pop_back();
            log_line_ += ",\"exits\":";
            log_line_ += spec;
            log_line_ += '}';
        }
        order_log_.append(log_line_);
    }

    // ---- account, lines, store -----------------------------------------------------------

    risk::AccountView view() const {
        risk::AccountView a;
        a.equity = broker_.equity();
        std::set<std::string> insts = broker_.working_insts(); // and the holdings'
        for (const auto& [i, h] : broker_.holdings()) {
            insts.insert(i);
        }
        for (const std::string& i : insts) {
            const PaperExchange::Open open = broker_.open_summary(i);
            auto h = broker_.holdings().find(i);
            const double sz = h == broker_.holdings().end() ? 0 : h->second.sz;
            auto mk = marks_.find(i);
            const double mark = mk == marks_.end() ? 0 : mk->second;
            a.insts.emplace(i, risk::InstView{sz, mark, open.buy_base, open.sell_base,
                                              static_cast<double>(open.orders)});
        }
        return a;
    }

    AccountSnapshot account() const {
        AccountSnapshot s;
        s.ts = have_ts_ ? cur_ts_ : 0;
        s.cash = broker_.cash();
        s.equity = broker_.equity();
        s.halted = guard_.halted();
        s.halt_code = guard_.halt_code();
        const risk::AccountView a = view();
        for (const auto& [i, v] : a.insts) {
            s.insts.emplace(i, v);
        }
        for (const auto& [key, cl] : legs_) {
            const LiveOrder* o = broker_.find(cl);
            if (o == nullptr || is_terminal(o->last.state)) {
                continue;
            }
            s.legs.push_back(LegOrder{o->req.strategy, o->req.inst, o->req.leg, o->req.side,
                                      o->req.sz - o->last.filled_sz});
        }
        return s;
    }

    void close_step(std::int64_t ts) {
        const double equity = broker_.equity();
        if (auto e = guard_.mark(ts, equity)) {
            core::Risk r;
            r.ts = ts;
            r.action = e->halt ? core::RiskAction::kHalt : core::RiskAction::kResume;
            r.code = e->code;
            r.limit = e->limit;
            if (std::isfinite(e->value)) {
                r.value = e->value;
            }
            if (std::isfinite(e->threshold)) {
                r.threshold = e->threshold;
            }
            r.detail = e->detail;
            core::append_message(out_.buffer(), r);
            out_.end_line();
            store_
                .prepare("INSERT INTO risk_events (run_id, ts, inst, tool, action, code, "
                         "limit_key, value, threshold, strategy, leg, detail) VALUES "
                         "(?,?,NULL,'execute',?,?,?,?,?,NULL,NULL,?)")
                .bind(1, std::string_view(o_.run_id))
                .bind(2, ts)
                .bind(3, core::to_text(r.action))
                .bind(4, std::string_view(r.code))
                .bind(5, std::string_view(r.limit))
                .bind_opt(6, r.value)
                .bind_opt(7, r.threshold)
                .bind(8, std::string_view(r.detail))
                .exec();
            if (e->halt) {
                for (const auto& [key, cl] : legs_) {
                    cancel(cl, ts);
                }
                write_events();
            }
        }
        stats_.max_drawdown = std::max(stats_.max_drawdown, guard_.drawdown());
        core::Portfolio p;
        p.ts = ts;
        p.cash = broker_.cash();
        p.equity = equity;
        for (const auto& [inst, h] : broker_.holdings()) {
            p.gross_exposure += std::abs(h.sz * h.mark);
            p.net_exposure += h.sz * h.mark;
        }
        p.drawdown = guard_.drawdown();
        p.day_pnl = guard_.day_pnl();
        p.halted = guard_.halted();
        core::append_message(out_.buffer(), p);
        out_.end_line();
        store_
            .prepare("INSERT OR REPLACE INTO pnl_snapshots (run_id, ts, cash, equity, "
                     "gross_exposure, net_exposure, drawdown, day_pnl, halted, fill_model) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?)")
            .bind(1, std::string_view(o_.run_id))
            .bind(2, ts)
            .bind(3, p.cash)
            .bind(4, p.equity)
            .bind(5, p.gross_exposure)
            .bind(6, p.net_exposure)
            .bind(7, p.drawdown)
            .bind(8, p.day_pnl)
            .bind(9, std::int64_t{p.halted ? 1 : 0})
            .bind(10, std::string_view(mode_text_))
            .exec();
    }

    void position_line(const std::string& inst, std::int64_t ts) {
        auto it = broker_.holdings().find(inst);
        if (it == broker_.holdings().end()) {
            return;
        }
        const Holding& h = it->second;
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
        store_
            .prepare("INSERT OR REPLACE INTO positions (run_id, inst, ts, sz, avg_px, mark_px, "
                     "rpl, fees) VALUES (?,?,?,?,?,?,?,?)")
            .bind(1, std::string_view(o_.run_id))
            .bind(2, std::string_view(inst))
            .bind(3, ts)
            .bind(4, h.sz)
            .bind(5, h.avg_px)
            .bind(6, h.mark)
            .bind(7, h.rpl)
            .bind(8, h.fees)
            .exec();
    }

    // The events to the store (one transaction), then to stdout: the store is the record a
    // restart reads, so it goes first.
    void write_events() {
        if (events_.empty()) {
            return;
        }
        store_.begin();
        for (const Event& e : events_) {
            if (const auto* o = std::get_if<core::Order>(&e)) {
                write_order(*o);
            } else {
                write_fill(std::get<core::Fill>(e));
            }
        }
        store_.commit();
        for (const Event& e : events_) {
            if (const auto* o = std::get_if<core::Order>(&e)) {
                core::append_message(out_.buffer(), *o);
            } else {
                const auto& fl = std::get<core::Fill>(e);
                core::append_message(out_.buffer(), fl);
                ++stats_.fills;
            }
            out_.end_line();
        }
        out_.flush();
        events_.clear();
    }

    void write_order(const core::Order& o) {
        stmt(st_order_, "INSERT OR REPLACE INTO orders (run_id, cl_ord_id, ts, inst, strategy, "
                        "leg, side, ord_type, px, sz, state, filled_sz, avg_px, reason, mode, "
                        "ord_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
            .bind(1, std::string_view(o_.run_id))
            .bind(2, std::string_view(o.cl_ord_id))
            .bind(3, o.ts)
            .bind(4, std::string_view(o.inst))
            .bind(5, std::string_view(o.strategy))
            .bind(6, std::string_view(o.leg))
            .bind(7, core::to_text(o.side))
            .bind(8, core::to_text(o.ord_type))
            .bind_opt(9, o.px)
            .bind(10, o.sz)
            .bind(11, core::to_text(o.state))
            .bind(12, o.filled_sz)
            .bind_opt(13, o.avg_px)
            .bind_opt(14, o.reason)
            .bind(15, std::string_view(mode_text_))
            .bind_opt(16, o.ord_id)
            .exec();
    }

    void write_fill(const core::Fill& fl) {
        stmt(st_fill_, "INSERT OR IGNORE INTO fills (run_id, trade_id, cl_ord_id, ts, inst, "
                       "strategy, leg, side, px, sz, fee, fee_ccy, liquidity, mode) VALUES "
                       "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
            .bind(1, std::string_view(o_.run_id))
            .bind(2, std::string_view(fl.trade_id))
            .bind(3, std::string_view(fl.cl_ord_id))
            .bind(4, fl.ts)
            .bind(5, std::string_view(fl.inst))
            .bind(6, std::string_view(fl.strategy))
            .bind(7, std::string_view(fl.leg))
            .bind(8, core::to_text(fl.side))
            .bind(9, fl.px)
            .bind(10, fl.sz)
            .bind(11, fl.fee)
            .bind(12, std::string_view(fl.fee_ccy))
            .bind(13, core::to_text(fl.liquidity))
            .bind(14, std::string_view(mode_text_))
            .exec();
    }

    // A statement prepared once per run.
    store::Statement& stmt(std::optional<store::Statement>& st, std::string_view sql) {
        if (!st) {
            st.emplace(store_.prepare(sql));
        }
        return *st;
    }

public:
    // The intent-to-wire times: "; intent to wire p50 N us, p99 M us over K orders", or "";
    // with the WebSocket, how many orders went over it.
    [[nodiscard]] std::string wire_summary() {
        std::string ws;
        if (ws_) {
            ws = "; " + std::to_string(ws_orders_) + " orders over the WebSocket, " +
                 std::to_string(ws_pushes_) + " orders pushes, " +
                 std::to_string(ws_account_pushes_) + " account pushes (" +
                 std::to_string(cash_from_pushes_) + " reconciliations took their cash)";
        }
        if (wire_us_.empty()) {
            return ws;
        }
        std::sort(wire_us_.begin(), wire_us_.end());
        const auto at = [this](double q) {
            return wire_us_[static_cast<std::size_t>(q * static_cast<double>(wire_us_.size() - 1))];
        };
        return ws + "; intent to wire p50 " + std::to_string(at(0.5)) + " us, p99 " +
               std::to_string(at(0.99)) + " us over " + std::to_string(wire_us_.size()) + " orders";
    }

    // The start line: mode, endpoint, key (redacted), account, limits, journal.
    [[nodiscard]] std::string summary() const {
        const risk::Limits& g = o_.limits.global;
        std::string s =
            mode_text_ + " on " + l_.rest.base_url + ", " +
            (l_.rest.credentials ? l_.rest.credentials->redacted() : "no key") + ": cash " +
            num(std::round(broker_.cash() * 100) / 100) + " " + o_.paper.quote_ccy + ", equity " +
            num(std::round(broker_.equity() * 100) / 100) + "; limits: position " +
            (std::isfinite(g.max_position_notional) ? num(g.max_position_notional)
                                                    : std::string("none")) +
            ", gross " + num(g.max_gross_exposure) + ", daily loss " + num(g.max_daily_loss) +
            ", drawdown " + num(g.max_drawdown) + ", open orders " + num(g.max_open_orders) +
            ", orders/min " + num(g.max_orders_per_minute) + "; journal " +
            std::to_string(adopted_) + " orders (" + std::to_string(broker_.working().size()) +
            " working); dead-man switch " +
            (l_.dead_man_s > 0 ? std::to_string(l_.dead_man_s) + " s" : std::string("off")) +
            fees_text_ + "; orders by " +
            (ws_healthy() ? "the private WebSocket"
             : ws_        ? "REST until the private WebSocket is up"
                          : "REST");
        return s;
    }

private:
    const ExecuteOptions& o_;
    const LiveOptions& l_;
    core::Output& out_;
    okx::RestClient rest_;
    Broker broker_;
    risk::Guard guard_;
    store::Store store_;
    OrderLog order_log_; // each order before it is sent; its store row right after
    // After store_: finalised before it closes.
    std::optional<store::Statement> st_order_, st_fill_;
    std::string mode_text_;
    std::map<std::string, okx::InstrumentRules, std::less<>> rules_;
    double taker_fee_ = 0;  // the account's, from OKX (the configured one when it would not say)
    std::string fees_text_; // for the start line
    std::map<std::string, double, std::less<>> marks_;
    std::map<std::string, std::string> legs_; // strategy, inst, leg -> the leg's order
    std::set<std::string> reported_;
    std::vector<okx::OrderInfo> pending_; // the last poll's list of OKX's working orders
    std::set<std::string> warned_bracket_;
    std::set<std::string> warned_unprotected_;
    std::set<std::string> unprotected_; // entries whose exits are not all out: tried again
    std::vector<Event> events_;
    std::int64_t bar_ms_ = 0;
    bool have_ts_ = false;
    std::int64_t cur_ts_ = 0;
    std::int64_t resume_ts_ = 0; // the latest event time in the journal at start
    bool armed_ = false;
    std::int64_t armed_at_ = 0;
    std::int64_t polled_at_ = 0; // steady ms of the last poll
    bool poll_due_ = false;      // a step closed since the last poll
    bool reconcile_due_ = false; // --reconcile-every of event time passed since the last
    std::int64_t reconciled_ts_ = 0;
    std::set<std::string> unknown_; // ordIds of open orders reported as not the journal's
    std::chrono::steady_clock::time_point intent_at_; // the intent being handled arrived
    std::vector<std::int64_t> wire_us_;               // intent to wire, per order sent
    std::string log_line_;                            // the order log's line being written
    std::unique_ptr<SyncFifoWriter> fifo_;
    std::size_t adopted_ = 0;
    ExecuteStats stats_;
    // The private WebSocket, pumped from this thread's loop (message, idle): its callbacks
    // hand frames over through rx_ (a lock for good measure: one thread).
    std::unique_ptr<okx::WsClient> ws_;
    std::size_t ws_ep_ = 0;
    std::mutex rx_mu_;
    std::deque<std::string> rx_; // (rx_mu_) frames received, not handled yet
    bool ws_gap_ = false;        // (rx_mu_) a disconnect since the last look
    bool ws_dead_ = false;       // closed or failed: REST only from then on
    struct PendingOp {
        std::string inst;
        std::int64_t ts = 0;      // the intent's event time
        std::int64_t sent_ms = 0; // steady
    };
    std::map<std::string, PendingOp> ops_; // order ops awaiting their answer, by clOrdId
    std::map<std::uint64_t, std::chrono::steady_clock::time_point> tags_; // tag -> intent time
    std::uint64_t next_tag_ = 1;
    std::uint64_t ws_orders_ = 0; // orders placed over the WebSocket
    std::uint64_t ws_pushes_ = 0; // orders pushes handled
    std::uint64_t ws_account_pushes_ = 0;
    std::optional<double> pushed_cash_;   // the quote currency's cash, from the account channel
    std::uint64_t pushed_cash_fills_ = 0; // the fills handled when it came
    std::uint64_t cash_from_pushes_ = 0;  // reconciliations that took it (no REST request)
};

} // namespace

int execute_live(const ExecuteOptions& o, const LiveOptions& l, core::LineReader& in,
                 core::Output& out, ExecuteStats* stats) {
    LiveStage stage(o, l, out);
    stage.start();
    core::Log::explain(stage.summary());
    core::Filter filter(out, core::FilterOptions{o.strict, o.max_errors});
    const int code = filter.run(in, stage);
    if (!core::interrupted()) {
        stage.disarm();
    }
    if (stats != nullptr) {
        *stats = stage.stats();
    }
    const ExecuteStats& s = stage.stats();
    core::Log::summary(
        std::to_string(s.candles) + " candles, " + std::to_string(s.intents) + " intents, " +
        std::to_string(s.orders) + " orders sent, " + std::to_string(s.fills) + " fills; equity " +
        num(std::round(s.end_equity * 100) / 100) + "; " + std::to_string(s.reconciled) +
        " reconciliation differences" + stage.wire_summary());
    return code;
}

} // namespace okxkit::exec
