// The order state machine of execute --mode demo|live: see broker.hpp.
#include "exec/broker.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace okxkit::exec {

Broker::Broker(core::Mode mode, std::string quote_ccy)
    : mode_(mode), quote_(std::move(quote_ccy)) {}

LiveOrder& Broker::journal(const OrderRequest& r, std::int64_t ts) {
    auto [it, fresh] = orders_.try_emplace(r.cl_ord_id);
    if (!fresh) {
        throw std::logic_error("order " + r.cl_ord_id + " is already in the journal");
    }
    LiveOrder& o = it->second;
    o.req = r;
    o.ts = ts;
    o.last = line(o);
    track(o);
    return o;
}

void Broker::adopt(const OrderRequest& r, const core::Order& last, std::string ord_id) {
    LiveOrder& o = orders_[r.cl_ord_id];
    o.req = r;
    o.ord_id = std::move(ord_id);
    o.confirmed = !o.ord_id.empty();
    o.ts = last.ts;
    o.last = last;
    track(o);
}

void Broker::track(LiveOrder& o) {
    if (o.counted) { // its share of the instrument's open orders as it was
        auto it = open_.find(o.req.inst);
        PaperExchange::Open& a = it->second;
        (o.req.side == core::Side::kBuy ? a.buy_base : a.sell_base) -= o.counted_left;
        if (--a.orders == 0) {
            open_.erase(it); // exact zeros again, whatever rounding the sums gathered
        }
        o.counted = false;
    }
    if (is_terminal(o.last.state)) {
        working_.erase(o.req.cl_ord_id);
        return;
    }
    working_.insert(o.req.cl_ord_id);
    o.counted_left = o.req.sz - o.last.filled_sz;
    PaperExchange::Open& a = open_[o.req.inst];
    (o.req.side == core::Side::kBuy ? a.buy_base : a.sell_base) += o.counted_left;
    ++a.orders;
    o.counted = true;
}

void Broker::adopt_fill(const core::Fill& f) {
    if (!trade_ids_.insert(f.trade_id).second) {
        return;
    }
    fill_sz_[f.cl_ord_id] += f.sz;
    counted_fill(f.cl_ord_id, f.side, f.sz, f.fee, f.fee_ccy);
    book(f.inst, f.side, f.px, f.sz, f.fee, f.fee_ccy);
}

void Broker::counted_fill(const std::string& cl, core::Side side, double sz, double fee,
                          const std::string& fee_ccy) {
    const bool fee_in_base = !fee_ccy.empty() && fee_ccy != quote_;
    net_sz_[cl] += sz - (fee_in_base ? fee : 0);
    auto it = orders_.find(cl);
    if (side == core::Side::kBuy && it != orders_.end() && !it->second.req.bracket.empty()) {
        grown_.insert(cl);
    }
}

void Broker::set_exit(std::string_view cl_ord_id, ExitSpec spec) {
    auto it = orders_.find(cl_ord_id);
    if (it == orders_.end()) {
        return;
    }
    it->second.exit = std::move(spec);
    if (!it->second.ord_id.empty()) { // adopted with the order it spawned
        exit_by_ord_id_[it->second.ord_id] = it->first;
    }
}

void Broker::algo_placed(std::string_view cl_ord_id, std::string algo_id, std::int64_t ts,
                         std::vector<Event>& events) {
    auto it = orders_.find(cl_ord_id);
    if (it == orders_.end() || (it->second.confirmed && it->second.algo_id == algo_id)) {
        return;
    }
    LiveOrder& o = it->second;
    o.algo_id = std::move(algo_id);
    o.algo_state = "live";
    o.confirmed = true;
    o.ts = std::max(ts, o.ts);
    emit(o, events);
}

void Broker::algo_observe(const okx::AlgoInfo& a, std::int64_t ts, std::vector<Event>& events) {
    auto it = orders_.find(a.algo_cl_ord_id);
    if (it == orders_.end() || !it->second.exit) {
        return;
    }
    LiveOrder& o = it->second;
    o.confirmed = true;
    o.unseen = 0;
    if (!a.algo_id.empty()) {
        o.algo_id = a.algo_id;
    }
    bool changed = false;
    const bool terminal = is_terminal(o.last.state);
    if (a.state == "live" || a.state == "pause") {
        if (!terminal && a.sz > 0 && std::abs(a.sz - o.req.sz) > 1e-12 * std::max(1.0, a.sz)) {
            o.req.sz = a.sz;
            o.last.sz = a.sz;
            changed = true;
        }
    } else if (a.state == "effective" || a.state == "partially_effective") {
        if (o.algo_state != "effective" && o.algo_state != "partially_effective" && !terminal) {
            o.last.reason =
                a.actual_side == "sl" ? "stop triggered at OKX" : "take-profit triggered at OKX";
            changed = true;
        }
        if (!a.ord_id.empty() && o.ord_id != a.ord_id) {
            o.ord_id = a.ord_id;
            o.last.ord_id = o.ord_id;
            exit_by_ord_id_[o.ord_id] = it->first;
            changed = true;
        }
    } else if (a.state == "canceled" || a.state == "order_failed" ||
               a.state == "partially_failed") {
        if (!terminal) {
            const bool failed = a.state != "canceled";
            o.last.state = o.last.filled_sz > 0 || !failed ? core::OrderState::kCanceled
                                                           : core::OrderState::kRejected;
            o.last.reason = failed ? "OKX's algo order failed" +
                                         (a.fail_code.empty() ? "" : " (" + a.fail_code + ")")
                                   : std::string("canceled at OKX");
            changed = true;
        }
    }
    o.algo_state = a.state;
    if (changed) {
        o.ts = std::max(ts, o.ts);
        emit(o, events);
    }
}

std::string Broker::exit_of_ord_id(std::string_view ord_id) const {
    auto it = exit_by_ord_id_.find(ord_id);
    return it == exit_by_ord_id_.end() ? std::string() : it->second;
}

std::vector<std::string> Broker::exits_of(std::string_view entry) const {
    std::vector<std::string> out;
    for (auto it = orders_.lower_bound(entry); it != orders_.end(); ++it) {
        if (it->first.compare(0, entry.size(), entry) != 0) {
            break; // an exit's id is its entry's and a tag: they sort together
        }
        if (it->second.exit && it->second.exit->parent == entry) {
            out.push_back(it->first);
        }
    }
    return out;
}

double Broker::net_bought(std::string_view cl_ord_id) const {
    auto it = net_sz_.find(cl_ord_id);
    return it == net_sz_.end() ? 0 : it->second;
}

std::vector<std::string> Broker::take_grown() {
    std::vector<std::string> out(grown_.begin(), grown_.end());
    grown_.clear();
    return out;
}

void Broker::exit_resized(std::string_view cl_ord_id, double sz, std::int64_t ts,
                          std::vector<Event>& events) {
    auto it = orders_.find(cl_ord_id);
    if (it == orders_.end() || is_terminal(it->second.last.state)) {
        return;
    }
    LiveOrder& o = it->second;
    o.req.sz = sz;
    o.last.sz = sz;
    o.ts = std::max(ts, o.ts);
    emit(o, events);
}

double Broker::filled_by_fills(std::string_view cl_ord_id) const {
    auto it = fill_sz_.find(cl_ord_id);
    return it == fill_sz_.end() ? 0 : it->second;
}

bool Broker::knows(std::string_view cl_ord_id) const {
    return orders_.find(cl_ord_id) != orders_.end();
}

const LiveOrder* Broker::find(std::string_view cl_ord_id) const {
    auto it = orders_.find(cl_ord_id);
    return it == orders_.end() ? nullptr : &it->second;
}

std::vector<std::string> Broker::working() const {
    return {working_.begin(), working_.end()};
}

core::Order Broker::line(const LiveOrder& o) const {
    core::Order l;
    l.ts = o.ts;
    l.inst = o.req.inst;
    l.cl_ord_id = o.req.cl_ord_id;
    if (!o.ord_id.empty()) {
        l.ord_id = o.ord_id;
    }
    l.strategy = o.req.strategy;
    l.leg = o.req.leg;
    l.side = o.req.side;
    l.ord_type = o.req.ord_type;
    l.px = o.req.px;
    l.sz = o.req.sz;
    l.state = core::OrderState::kLive;
    l.mode = mode_;
    return l;
}

void Broker::emit(LiveOrder& o, std::vector<Event>& events) {
    track(o);
    o.last.ts = o.ts;
    events.emplace_back(o.last);
}

void Broker::accepted(std::string_view cl_ord_id, std::string ord_id, std::int64_t ts,
                      std::vector<Event>& events) {
    auto it = orders_.find(cl_ord_id);
    if (it == orders_.end()) {
        return;
    }
    LiveOrder& o = it->second;
    if (o.confirmed && o.ord_id == ord_id) {
        return; // known already (a push of the order came before the answer to its request)
    }
    o.ord_id = std::move(ord_id);
    o.last.ord_id = o.ord_id;
    o.confirmed = true;
    o.ts = ts;
    emit(o, events);
}

void Broker::refused(std::string_view cl_ord_id, std::string_view code, std::string_view msg,
                     std::int64_t ts, std::vector<Event>& events) {
    auto it = orders_.find(cl_ord_id);
    if (it == orders_.end() || is_terminal(it->second.last.state)) {
        return;
    }
    LiveOrder& o = it->second;
    o.ts = ts;
    o.last.state = core::OrderState::kRejected;
    std::string reason = "OKX ";
    reason += code;
    reason += ": ";
    reason += msg;
    o.last.reason = std::move(reason);
    emit(o, events);
}

void Broker::observe(const okx::OrderInfo& info, std::int64_t ts, std::vector<Event>& events) {
    auto it = orders_.find(info.cl_ord_id);
    if (it == orders_.end()) {
        return;
    }
    LiveOrder& o = it->second;
    o.confirmed = true;
    o.unseen = 0;
    bool changed = false;
    if (o.ord_id != info.ord_id && !info.ord_id.empty()) {
        o.ord_id = info.ord_id;
        o.last.ord_id = o.ord_id;
        if (o.exit) {
            exit_by_ord_id_[o.ord_id] = it->first;
        }
        changed = true;
    }
    // A terminal state stays: OKX never moves an order out of one. Nor does a partly filled
    // order become live again (an older update arriving late, as pushes can).
    const bool back =
        info.state == core::OrderState::kLive && o.last.state == core::OrderState::kPartiallyFilled;
    if (!is_terminal(o.last.state) && info.state != o.last.state && !back) {
        o.last.state = info.state;
        if (info.state == core::OrderState::kCanceled && !info.cancel_source.empty()) {
            o.last.reason =
                info.cancel_source == "20"
                    ? std::string("canceled by OKX's cancel-all-after (dead-man switch)")
                    : "canceled (OKX cancelSource " + info.cancel_source + ")";
        }
        changed = true;
    }
    if (info.acc_fill_sz > o.last.filled_sz) {
        o.last.filled_sz = info.acc_fill_sz;
        changed = true;
    }
    if (info.avg_px && (!o.last.avg_px || *o.last.avg_px != *info.avg_px)) {
        o.last.avg_px = info.avg_px;
        changed = true;
    }
    if (changed) {
        o.ts = std::max(ts, o.ts);
        emit(o, events);
    }
}

bool Broker::missing(std::string_view cl_ord_id, std::int64_t ts, int grace,
                     std::vector<Event>& events) {
    auto it = orders_.find(cl_ord_id);
    if (it == orders_.end()) {
        return false;
    }
    LiveOrder& o = it->second;
    if (o.confirmed) {
        return false;
    }
    if (++o.unseen < grace || is_terminal(o.last.state)) {
        return true;
    }
    o.ts = std::max(ts, o.ts);
    o.last.state = core::OrderState::kRejected;
    o.last.reason = "never reached OKX (no order with this clOrdId there)";
    emit(o, events);
    return true;
}

bool Broker::fill(const okx::FillInfo& f, std::vector<Event>& events) {
    auto it = orders_.find(f.cl_ord_id);
    if (it == orders_.end()) {
        return false;
    }
    if (!trade_ids_.insert(f.trade_id).second) {
        return true; // already counted
    }
    const LiveOrder& o = it->second;
    core::Fill l;
    l.ts = f.ts;
    l.inst = o.req.inst;
    l.cl_ord_id = o.req.cl_ord_id;
    if (!f.ord_id.empty()) {
        l.ord_id = f.ord_id;
    }
    l.trade_id = f.trade_id;
    l.strategy = o.req.strategy;
    l.leg = o.req.leg;
    l.side = f.side;
    l.px = f.px;
    l.sz = f.sz;
    l.fee = f.fee;
    l.fee_ccy = f.fee_ccy;
    l.liquidity = f.liquidity;
    l.mode = mode_;
    fill_sz_[l.cl_ord_id] += l.sz;
    counted_fill(l.cl_ord_id, l.side, l.sz, l.fee, l.fee_ccy);
    book(l.inst, l.side, l.px, l.sz, l.fee, l.fee_ccy);
    ++fills_;
    events.emplace_back(std::move(l));
    return true;
}

void Broker::book(const std::string& inst, core::Side side, double px, double sz, double fee,
                  const std::string& fee_ccy) {
    Holding& h = holdings_[inst];
    const bool fee_in_base = !fee_ccy.empty() && fee_ccy != quote_;
    if (side == core::Side::kBuy) {
        const double total = h.sz + sz;
        h.avg_px = total > 0 ? (h.avg_px * h.sz + px * sz) / total : 0;
        h.sz = total;
        cash_ -= px * sz;
    } else {
        h.rpl += (px - h.avg_px) * sz;
        h.sz -= sz;
        cash_ += px * sz;
        if (std::abs(h.sz) < 1e-12) {
            h.sz = 0;
        }
    }
    if (fee_in_base) {
        h.sz -= fee; // OKX takes a buy's fee in the base currency
        h.fees += fee * px;
    } else {
        cash_ -= fee;
        h.fees += fee;
    }
    if (h.mark == 0) {
        h.mark = px;
    }
}

void Broker::mark(const std::string& inst, double px) {
    auto it = holdings_.find(inst);
    if (it != holdings_.end()) {
        it->second.mark = px;
    }
}

double Broker::equity() const {
    double e = cash_;
    for (const auto& [inst, h] : holdings_) {
        e += h.sz * h.mark;
    }
    return e;
}

std::set<std::string> Broker::working_insts() const {
    std::set<std::string> insts;
    for (const auto& [inst, open] : open_) {
        insts.insert(inst);
    }
    return insts;
}

PaperExchange::Open Broker::open_summary(std::string_view inst) const {
    auto it = open_.find(inst);
    return it == open_.end() ? PaperExchange::Open{} : it->second;
}

} // namespace okxkit::exec
