// The paper exchange.
#include "exec/paper.hpp"

#include "core/shortest.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace okxkit::exec {

namespace {

using core::OrderState;
using core::OrdType;
using core::Side;

constexpr double kDust = 1e-12; // sizes below this share of a holding are nothing

std::string quote_of(const std::string& inst) {
    const auto dash = inst.find('-');
    if (dash == std::string::npos) {
        return inst;
    }
    const auto end = inst.find('-', dash + 1);
    return inst.substr(dash + 1, end == std::string::npos ? std::string::npos : end - dash - 1);
}

// "P17": a prefix and a number, built in a buffer (GCC 12 warns falsely on std::string
// concatenations of this shape).
std::string numbered(char prefix, std::uint64_t n) {
    char buf[24];
    buf[0] = prefix;
    const auto [end, ec] = std::to_chars(buf + 1, buf + sizeof buf, n);
    return {buf, end};
}

} // namespace

std::string_view to_text(FillModel m) {
    return m == FillModel::kTouch ? "touch" : "penetration";
}

std::optional<FillModel> fill_model_from_text(std::string_view text) {
    if (text == "penetration") {
        return FillModel::kPenetration;
    }
    if (text == "touch") {
        return FillModel::kTouch;
    }
    return std::nullopt;
}

PaperExchange::PaperExchange(PaperConfig config)
    : config_(std::move(config)), cash_(config_.cash) {}

PaperExchange::Working* PaperExchange::find(std::string_view id) {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &orders_[it->second];
}

const PaperExchange::Working* PaperExchange::find(std::string_view id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &orders_[it->second];
}

const OrderProgress* PaperExchange::progress(std::string_view cl_ord_id) const {
    const Working* w = find(cl_ord_id);
    return w == nullptr ? nullptr : &w->prog;
}

const OrderRequest* PaperExchange::request(std::string_view cl_ord_id) const {
    const Working* w = find(cl_ord_id);
    return w == nullptr ? nullptr : &w->req;
}

std::size_t PaperExchange::open_orders(std::string_view inst) const {
    auto it = working_.find(inst);
    if (it == working_.end()) {
        return 0;
    }
    return static_cast<std::size_t>(
        std::count_if(it->second.begin(), it->second.end(),
                      [&](std::size_t i) { return !is_terminal(orders_[i].prog.state); }));
}

double PaperExchange::open_base(std::string_view inst, core::Side side) const {
    auto it = working_.find(inst);
    double sum = 0;
    if (it != working_.end()) {
        for (std::size_t i : it->second) {
            const Working& w = orders_[i];
            if (w.role == Role::kEntry && w.req.side == side && !is_terminal(w.prog.state)) {
                sum += w.prog.remaining();
            }
        }
    }
    return sum;
}

PaperExchange::Open PaperExchange::open_summary(std::string_view inst) const {
    Open o;
    auto it = working_.find(inst);
    if (it == working_.end()) {
        return o;
    }
    for (std::size_t i : it->second) {
        const Working& w = orders_[i];
        if (is_terminal(w.prog.state)) {
            continue;
        }
        ++o.orders;
        if (w.role == Role::kEntry) {
            (w.req.side == Side::kBuy ? o.buy_base : o.sell_base) += w.prog.remaining();
        }
    }
    return o;
}

double PaperExchange::equity() const {
    double e = cash_;
    for (const auto& [inst, h] : holdings_) {
        e += h.sz * h.mark;
    }
    return e;
}

void PaperExchange::set_tick(const std::string& inst, double tick) {
    Steps& st = steps_[inst];
    st.set = tick;
    st.tick = tick;
}

double PaperExchange::tick(const std::string& inst) const {
    auto it = steps_.find(inst);
    return it == steps_.end() ? 0 : it->second.tick;
}

namespace {

// The digits after the point of v's shortest text (1.19172 has 5), or `seen` when v's text
// needs no more than seen of them: the common case, checked without the shortest text. When
// n = round(v * 10^seen) gives back v as n / 10^seen (both exact and the quotient correctly
// rounded), the decimal n * 10^-seen reads as v, so the shortest text has at most seen digits
// after the point.
int decimals_at_least(double v, int seen) {
    static constexpr std::array<double, 16> kPow10 = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    if (seen >= 0 && seen < static_cast<int>(kPow10.size())) {
        const double p = kPow10[static_cast<std::size_t>(seen)];
        const double n = std::nearbyint(v * p);
        if (std::abs(n) < 9007199254740992.0 && n / p == v) {
            return seen;
        }
    }
    const core::ShortestDecimal d = core::shortest_decimal(v);
    const int decimals = d.digits == 0 ? 0 : std::max(0, -d.exponent);
    return std::max(seen, decimals);
}

} // namespace

double PaperExchange::note_prices(const std::string& inst, std::initializer_list<double> prices) {
    Steps& st = steps_[inst];
    int decimals = st.decimals;
    for (double v : prices) {
        decimals = decimals_at_least(v, decimals);
    }
    if (decimals != st.decimals || (st.set == 0 && st.tick == 0)) {
        st.decimals = decimals;
        if (st.set == 0) {
            st.tick = std::pow(10.0, -decimals);
        }
    }
    return st.tick;
}

core::Order PaperExchange::order_event(const Working& w, std::int64_t ts) const {
    core::Order o;
    o.ts = ts;
    o.inst = w.req.inst;
    o.cl_ord_id = w.req.cl_ord_id;
    o.strategy = w.req.strategy;
    o.leg = w.req.leg;
    o.side = w.req.side;
    o.ord_type = w.req.ord_type;
    if (w.role == Role::kStop || w.role == Role::kTrail) {
        o.px = w.trigger; // a stop's level: it sells at market once reached
    } else if (w.req.ord_type != OrdType::kMarket) {
        o.px = w.req.px;
    }
    o.sz = w.prog.sz;
    o.state = w.prog.state;
    o.filled_sz = w.prog.filled_sz;
    if (w.prog.filled_sz > 0) {
        o.avg_px = w.prog.avg_px;
    }
    o.mode = core::Mode::kPaper;
    return o;
}

void PaperExchange::reject(Working& w, std::int64_t ts, const std::string& reason,
                           std::vector<Event>& ev) {
    apply_reject(w.prog);
    core::Order o = order_event(w, ts);
    o.reason = reason;
    ev.emplace_back(std::move(o));
}

void PaperExchange::submit(const OrderRequest& r, std::int64_t ts, std::vector<Event>& ev) {
    std::string problem;
    if (!(r.sz > 0) || !std::isfinite(r.sz)) {
        problem = "size must be above 0";
    } else if (r.ord_type != OrdType::kMarket && !(r.px && *r.px > 0 && std::isfinite(*r.px))) {
        problem = "a limit order needs a price above 0";
    } else if (!r.bracket.empty() && r.side != Side::kBuy) {
        problem = "take-profit and stop brackets protect buy entries only (spot)";
    } else if (find(r.cl_ord_id) != nullptr) {
        problem = "duplicate cl_ord_id";
    }
    Working w;
    w.req = r;
    w.prog.sz = r.sz;
    if (!problem.empty()) {
        // Not kept: a refused order holds nothing and, for a duplicate, must not shadow the
        // order that has the id.
        core::Order o = order_event(w, ts);
        o.state = OrderState::kRejected;
        o.reason = problem;
        ev.emplace_back(std::move(o));
        return;
    }
    ev.emplace_back(order_event(add(std::move(w)), ts));
}

bool PaperExchange::cancel(std::string_view cl_ord_id, std::int64_t ts, std::vector<Event>& ev) {
    Working* w = find(cl_ord_id);
    if (w == nullptr || !apply_cancel(w->prog)) {
        return false;
    }
    ev.emplace_back(order_event(*w, ts));
    if (w->role == Role::kEntry) {
        close_bracket_if_done(*w, ts, ev);
    }
    return true;
}

bool PaperExchange::amend(std::string_view cl_ord_id, std::optional<double> new_px,
                          std::optional<double> new_sz, std::int64_t ts, std::vector<Event>& ev) {
    Working* w = find(cl_ord_id);
    const auto positive = [](std::optional<double> v) {
        return !v || (*v > 0 && std::isfinite(*v));
    };
    if (w == nullptr || is_terminal(w->prog.state) || w->role != Role::kEntry ||
        (!new_px && !new_sz) || !positive(new_px) || !positive(new_sz) ||
        (new_px && w->req.ord_type == OrdType::kMarket)) {
        return false;
    }
    if (new_sz) {
        if (w->prog.filled_sz > 0 && *new_sz <= w->prog.filled_sz) {
            // What filled stays filled: the order ends there (OKX: state filled).
            w->prog.sz = w->prog.filled_sz;
            w->prog.state = OrderState::kFilled;
        } else {
            resize(w->prog, *new_sz);
        }
    }
    if (new_px && !is_terminal(w->prog.state) && *new_px != w->req.px) {
        w->req.px = *new_px;
        w->req.decided_ts = ts;
        if (w->prog.filled_sz == 0) {
            w->arrived = false;
            w->rested = false;
        }
        // Last in the queue: the order of the instrument's list is the order of priority.
        const std::size_t i = by_id_.find(cl_ord_id)->second;
        std::vector<std::size_t>& list = working_[w->req.inst];
        std::erase(list, i);
        list.push_back(i);
    } else if (new_px) {
        w->req.px = *new_px;
    }
    ev.emplace_back(order_event(*w, ts));
    if (is_terminal(w->prog.state)) {
        close_bracket_if_done(*w, ts, ev);
    }
    return true;
}

PaperExchange::Working& PaperExchange::add(Working&& w) {
    const std::size_t i = orders_.size();
    by_id_.emplace(w.req.cl_ord_id, i);
    working_[w.req.inst].push_back(i);
    orders_.push_back(std::move(w));
    return orders_.back();
}

bool PaperExchange::affordable(const Working& w, double ref_px) const {
    if (w.req.side == Side::kBuy) {
        double promised = 0;
        for (const auto& [inst, list] : working_) {
            for (std::size_t i : list) {
                const Working& o = orders_[i];
                if (&o != &w && o.role == Role::kEntry && o.arrived && o.req.side == Side::kBuy &&
                    !is_terminal(o.prog.state)) {
                    const double px = o.req.px.value_or(
                        holdings_.count(o.req.inst) != 0 ? holdings_.at(o.req.inst).mark : 0);
                    promised += o.prog.remaining() * px * (1 + config_.taker_fee);
                }
            }
        }
        return w.prog.remaining() * ref_px * (1 + config_.taker_fee) <= cash_ - promised;
    }
    double promised = 0;
    for (std::size_t i : working_.at(w.req.inst)) {
        const Working& o = orders_[i];
        if (&o != &w && o.role == Role::kEntry && o.arrived && o.req.side == Side::kSell &&
            !is_terminal(o.prog.state)) {
            promised += o.prog.remaining();
        }
    }
    auto it = holdings_.find(w.req.inst);
    const double held = it == holdings_.end() ? 0 : it->second.sz;
    return w.prog.remaining() <= held - promised + kDust * held;
}

double PaperExchange::bracket_open(const Working& entry) const {
    return std::max(0.0, entry.prog.filled_sz - entry.exits_filled);
}

double PaperExchange::fill(Working& w, double px, double sz, bool maker, std::int64_t ts,
                           double& budget, std::vector<Event>& ev) {
    Holding& h = holdings_[w.req.inst];
    const double rate = maker ? config_.maker_fee : config_.taker_fee;
    sz = std::min({sz, w.prog.remaining(), budget});
    if (w.req.side == Side::kBuy) {
        sz = std::min(sz, cash_ / (px * (1 + rate))); // never more than the cash pays for
    } else {
        sz = std::min(sz, h.sz); // spot: never more than is held
    }
    bool capped = false;
    if (cap_ && w.role == Role::kEntry) {
        const double allowed = std::max(0.0, cap_(w.req.inst, w.req.side, px, sz));
        if (allowed < sz) {
            sz = allowed;
            capped = true;
        }
    }
    if (!(sz > kDust * std::max(1.0, w.prog.sz))) {
        if (capped) {
            end_capped(w, ts, ev);
        }
        return 0;
    }
    budget -= sz;
    const double value = px * sz;
    const double fee = rate * value;
    if (w.req.side == Side::kBuy) {
        cash_ -= value + fee;
        h.avg_px = (h.avg_px * h.sz + value) / (h.sz + sz);
        h.sz += sz;
    } else {
        cash_ += value - fee;
        h.rpl += (px - h.avg_px) * sz;
        h.sz -= sz;
        if (h.sz <= kDust * sz) {
            h.sz = 0;
            h.avg_px = 0;
        }
    }
    h.fees += fee;
    apply_fill(w.prog, px, std::min(sz, w.prog.remaining()));

    core::Fill f;
    f.ts = ts;
    f.inst = w.req.inst;
    f.cl_ord_id = w.req.cl_ord_id;
    f.trade_id = numbered('P', ++trades_);
    f.strategy = w.req.strategy;
    f.leg = w.req.leg;
    f.side = w.req.side;
    f.px = px;
    f.sz = sz;
    f.fee = fee;
    f.fee_ccy = quote_of(w.req.inst);
    f.liquidity = maker ? core::Liquidity::kMaker : core::Liquidity::kTaker;
    f.mode = core::Mode::kPaper;
    ev.emplace_back(std::move(f));
    ev.emplace_back(order_event(w, ts));
    if (w.role == Role::kEntry) {
        if (w.req.side == Side::kBuy && !w.req.bracket.empty()) {
            after_entry_fill(w, sz, ts, ev);
        }
        if (capped) {
            end_capped(*find(w.req.cl_ord_id), ts, ev);
        }
    } else {
        after_exit_fill(w, ts, ev);
    }
    return sz;
}

void PaperExchange::end_capped(Working& w, std::int64_t ts, std::vector<Event>& ev) {
    if (!apply_cancel(w.prog)) {
        return;
    }
    core::Order o = order_event(w, ts);
    o.reason = "risk limit at fill: the rest canceled";
    ev.emplace_back(std::move(o));
    close_bracket_if_done(w, ts, ev);
}

void PaperExchange::after_entry_fill(Working& entry, double sz, std::int64_t ts,
                                     std::vector<Event>& ev) {
    const Bracket& b = entry.req.bracket;
    const std::string id = entry.req.cl_ord_id;
    // A child's id is the entry's and a tag (OKX takes letters and digits only); its leg is the
    // entry's with "-" and the tag.
    const auto child = [&](const std::string& tag, Role role) -> Working* {
        std::string cid = id;
        cid += tag;
        if (Working* existing = find(cid)) {
            return is_terminal(existing->prog.state) ? nullptr : existing;
        }
        Working w;
        w.req.cl_ord_id = cid;
        w.req.strategy = entry.req.strategy;
        w.req.leg = entry.req.leg;
        w.req.leg += '-';
        w.req.leg += tag;
        w.req.inst = entry.req.inst;
        w.req.side = Side::kSell;
        w.req.ord_type = role == Role::kTakeProfit ? OrdType::kLimit : OrdType::kMarket;
        w.req.decided_ts = ts;
        w.role = role;
        w.parent = id;
        w.arrived = true;
        w.rested = role == Role::kTakeProfit;
        w.armed_after = ts;
        entry.kids.push_back(cid);
        return &add(std::move(w));
    };
    // A reference into the deque stays valid across push_back; entry is re-found after.
    for (std::size_t r = 0; r < b.tp.size(); ++r) {
        std::string tag = "tp";
        tag += std::to_string(r + 1);
        Working* tp = child(tag, Role::kTakeProfit);
        if (tp == nullptr) {
            continue;
        }
        tp->rung = r;
        tp->req.px = b.tp[r].px;
        if (tp->prog.sz == 0) {
            tp->prog.sz = b.tp[r].frac * sz;
        } else {
            grow(tp->prog, b.tp[r].frac * sz);
        }
        ev.emplace_back(order_event(*tp, ts));
    }
    Working& e = *find(id);
    const double open = bracket_open(e);
    if (b.sl_px) {
        if (Working* sl = child("sl", Role::kStop)) {
            sl->trigger = *b.sl_px;
            resize(sl->prog, sl->prog.filled_sz + open);
            ev.emplace_back(order_event(*sl, ts));
        }
    }
    if (b.trail_frac) {
        if (Working* tr = child("trail", Role::kTrail)) {
            const double entry_px = find(id)->prog.avg_px;
            tr->best = std::max(tr->best, entry_px);
            tr->trigger = std::max(tr->trigger, tr->best * (1 - *b.trail_frac));
            resize(tr->prog, tr->prog.filled_sz + open);
            ev.emplace_back(order_event(*tr, ts));
        }
    }
}

void PaperExchange::after_exit_fill(Working& child, std::int64_t ts, std::vector<Event>& ev) {
    Working* entry = find(child.parent);
    if (entry == nullptr) {
        return;
    }
    // What the children sold in all: recounted, so no fill is counted twice.
    double sold = 0;
    for (const std::string& k : entry->kids) {
        sold += find(k)->prog.filled_sz;
    }
    entry->exits_filled = sold;
    if (child.role == Role::kTakeProfit && child.rung == 0 &&
        entry->req.bracket.breakeven_after_tp1) {
        for (const std::string& k : entry->kids) {
            Working& s = *find(k);
            if (s.role == Role::kStop && !is_terminal(s.prog.state) && !s.fired) {
                s.trigger = std::max(s.trigger, entry->prog.avg_px);
            }
        }
    }
    // The stops follow what is left of the position (when nothing is left, they are canceled
    // below instead).
    const double open = bracket_open(*entry);
    for (const std::string& k :
         open <= kDust * entry->prog.filled_sz ? std::vector<std::string>{} : entry->kids) {
        Working& s = *find(k);
        if ((s.role == Role::kStop || s.role == Role::kTrail) && &s != &child &&
            !is_terminal(s.prog.state)) {
            resize(s.prog, s.prog.filled_sz + open);
            ev.emplace_back(order_event(s, ts));
        }
    }
    close_bracket_if_done(*entry, ts, ev);
}

void PaperExchange::close_bracket_if_done(Working& entry, std::int64_t ts, std::vector<Event>& ev) {
    const bool entry_done = is_terminal(entry.prog.state);
    if (!entry_done || bracket_open(entry) > kDust * std::max(1.0, entry.prog.filled_sz)) {
        return;
    }
    for (const std::string& k : entry.kids) {
        Working& c = *find(k);
        if (apply_cancel(c.prog)) {
            ev.emplace_back(order_event(c, ts));
        }
    }
}

void PaperExchange::on_candle(const Candle& k, std::vector<Event>& ev) {
    const double t = note_prices(k.inst, {k.o, k.h, k.l, k.c});
    const bool touch = config_.fill_model == FillModel::kTouch;
    const double slip = config_.slippage;
    double budget = config_.volume_share * k.vol;
    // The instrument's working orders, by index: children are added to it as entries fill.
    std::vector<std::size_t>& list = working_[k.inst];
    const auto mine = [&](const Working& w) {
        return !is_terminal(w.prog.state) && (!only_ || w.req.side == *only_);
    };

    // 1. At the open: arrivals, market orders, stops that fired on an earlier bar.
    // NOLINTNEXTLINE(modernize-loop-convert): children join the list during the loop
    for (std::size_t j = 0; j < list.size(); ++j) {
        Working& w = orders_[list[j]];
        if (!mine(w) || k.ts <= w.req.decided_ts) {
            continue;
        }
        const bool buy = w.req.side == Side::kBuy;
        const double market_px = buy ? k.o * (1 + slip) : k.o * (1 - slip);
        if (w.role == Role::kEntry && !w.arrived) {
            w.arrived = true;
            const double ref =
                w.req.ord_type == OrdType::kMarket ? market_px : std::max(*w.req.px, 0.0);
            if (!affordable(w, buy ? ref : k.o)) {
                reject(w, k.ts,
                       buy ? "insufficient cash (OKX 51008)"
                           : "insufficient balance to sell (OKX 51008)",
                       ev);
                continue;
            }
            if (w.req.ord_type == OrdType::kMarket) {
                fill(w, market_px, w.prog.remaining(), false, k.ts, budget, ev);
                continue;
            }
            const double px = *w.req.px;
            const bool crosses = buy ? k.o <= px : k.o >= px;
            if (crosses && w.req.ord_type == OrdType::kPostOnly) {
                apply_cancel(w.prog);
                core::Order o = order_event(w, k.ts);
                o.reason = "post_only order would have taken liquidity at arrival";
                ev.emplace_back(std::move(o));
                continue;
            }
            if (crosses) {
                const double p = buy ? std::min(px, market_px) : std::max(px, market_px);
                fill(w, p, w.prog.remaining(), false, k.ts, budget, ev);
            }
            w.rested = true; // what is left waits on the book at its price
            continue;
        }
        if ((w.role == Role::kEntry && w.req.ord_type == OrdType::kMarket) || w.fired) {
            fill(w, market_px, w.prog.remaining(), false, k.ts, budget, ev);
        }
    }

    // 2. Stops, before any take-profit: the stop is assumed to come first.
    const auto stops = [&] {
        // NOLINTNEXTLINE(modernize-loop-convert): children join the list during the loop
        for (std::size_t j = 0; j < list.size(); ++j) {
            Working& w = orders_[list[j]];
            if (!mine(w) || w.fired || (w.role != Role::kStop && w.role != Role::kTrail) ||
                !(k.l <= w.trigger)) {
                continue;
            }
            w.fired = true;
            Working& entry = *find(w.parent);
            // One-cancels-the-others: the take-profits go, and so does what the entry had
            // not bought yet.
            for (const std::string& id : entry.kids) {
                Working& c = *find(id);
                if (&c != &w && apply_cancel(c.prog)) {
                    ev.emplace_back(order_event(c, k.ts));
                }
            }
            if (apply_cancel(entry.prog)) {
                ev.emplace_back(order_event(entry, k.ts));
            }
            const double px = std::min(k.o, w.trigger) * (1 - slip);
            fill(w, px, bracket_open(entry), false, k.ts, budget, ev);
        }
    };
    stops();

    // 3. Resting limits, traded through (or touched).
    bool entries_filled = false;
    // NOLINTNEXTLINE(modernize-loop-convert): children join the list during the loop
    for (std::size_t j = 0; j < list.size(); ++j) {
        Working& w = orders_[list[j]];
        if (!mine(w) || !w.rested || k.ts <= w.req.decided_ts ||
            (w.role == Role::kTakeProfit && k.ts <= w.armed_after)) {
            continue;
        }
        const double px = *w.req.px;
        const bool buy = w.req.side == Side::kBuy;
        const bool through =
            buy ? (touch ? k.l <= px : k.l <= px - t) : (touch ? k.h >= px : k.h >= px + t);
        if (!through) {
            continue;
        }
        const bool bracketed = w.role == Role::kEntry && !w.req.bracket.empty();
        if (fill(w, px, w.prog.remaining(), true, k.ts, budget, ev) > 0 && bracketed) {
            entries_filled = true;
        }
    }
    // A stop born in this bar fires on its low too: nothing says the low came first.
    if (entries_filled) {
        stops();
    }

    // 4. Trailing stops rise with the high, after the bar.
    for (std::size_t i : list) {
        Working& w = orders_[i];
        if (mine(w) && w.role == Role::kTrail && !w.fired) {
            const Working& entry = *find(w.parent);
            w.best = std::max(w.best, k.h);
            const double level = w.best * (1 - *entry.req.bracket.trail_frac);
            if (level > w.trigger) {
                w.trigger = level;
            }
        }
    }
    holdings_[k.inst].mark = k.c;
    std::erase_if(list, [this](std::size_t i) { return is_terminal(orders_[i].prog.state); });
}

void PaperExchange::on_trade(const std::string& inst, std::int64_t ts, double px, double sz,
                             std::vector<Event>& events) {
    on_candle(Candle{inst, ts, px, px, px, px, sz}, events);
}

void PaperExchange::on_ticker(const std::string& inst, std::int64_t ts, const Quote& q,
                              std::vector<Event>& events) {
    // Buys first: a stop an entry's fill makes is then checked against this ticker's bid.
    only_ = Side::kBuy;
    on_candle(Candle{inst, ts, q.ask, q.ask, q.ask, q.ask, q.ask_sz}, events);
    only_ = Side::kSell;
    on_candle(Candle{inst, ts, q.bid, q.bid, q.bid, q.bid, q.bid_sz}, events);
    only_.reset();
    mark(inst, q.last);
}

void PaperExchange::mark(const std::string& inst, double px) {
    note_prices(inst, {px});
    holdings_[inst].mark = px;
}

} // namespace okxkit::exec
