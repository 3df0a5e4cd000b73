// Sizing, ladders, limits and the kill switch.
#include "risk/risk.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace okxkit::risk {

namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kDayMs = 86'400'000;

std::int64_t utc_day(std::int64_t ts) {
    return ts >= 0 ? ts / kDayMs : -((-ts + kDayMs - 1) / kDayMs);
}

double finite_or_zero(double v) {
    return std::isfinite(v) ? v : 0;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

} // namespace

std::string_view to_text(Sizing s) {
    switch (s) {
    case Sizing::kFixedNotional:
        return "fixed_notional";
    case Sizing::kEquityFrac:
        return "equity_frac";
    case Sizing::kAtrTarget:
        return "atr_target";
    case Sizing::kKelly:
        return "kelly";
    }
    return "equity_frac";
}

std::optional<Sizing> sizing_from_text(std::string_view text) {
    for (Sizing s :
         {Sizing::kFixedNotional, Sizing::kEquityFrac, Sizing::kAtrTarget, Sizing::kKelly}) {
        if (to_text(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

double entry_notional(const SizingConfig& c, const SizingInput& in) {
    const double equity = std::max(0.0, finite_or_zero(in.equity));
    double n = 0;
    switch (c.kind) {
    case Sizing::kFixedNotional:
        n = c.notional;
        break;
    case Sizing::kEquityFrac:
        n = equity * in.equity_frac.value_or(c.equity_frac);
        break;
    case Sizing::kAtrTarget:
        if (std::isfinite(in.atr) && in.atr > 0 && in.px > 0) {
            // A move of atr_mult ATRs, as a share of the price, loses risk_frac of equity.
            const double move = c.atr_mult * in.atr / in.px;
            n = std::min(equity * c.risk_frac / move, equity * c.max_frac);
        }
        break;
    case Sizing::kKelly: {
        const double p = (1 + std::clamp(finite_or_zero(in.confidence), 0.0, 1.0)) / 2;
        const double kelly = p - (1 - p) / c.payoff;
        n = equity * std::clamp(c.kelly_cap * kelly, 0.0, c.max_frac);
        break;
    }
    }
    return std::max(0.0, finite_or_zero(n));
}

Ladder make_ladder(const LadderConfig& c, double px, double atr) {
    Ladder l;
    l.breakeven_after_tp1 = c.breakeven_after_tp1;
    if (!(px > 0)) {
        return l;
    }
    const bool usable = !c.atr || (std::isfinite(atr) && atr > 0);
    const auto distance = [&](double at) { return c.atr ? at * atr : at * px; };
    double left = 1;
    if (usable) {
        for (const Rung& r : c.tp) {
            const double at = px + distance(r.at);
            const double frac = std::min(r.frac, left);
            if (!(at > px) || !(frac > 0)) {
                continue;
            }
            l.tp.push_back(core::TakeProfit{at, frac});
            left -= frac;
        }
        if (c.sl) {
            const double at = px - distance(*c.sl);
            if (at > 0 && at < px) {
                l.sl = core::StopLoss{at};
            }
        }
    }
    if (c.trail_frac && *c.trail_frac > 0 && *c.trail_frac < 1) {
        l.trail = core::Trail{*c.trail_frac};
    }
    return l;
}

void Atr::push(double h, double l, double c) {
    double tr = h - l;
    if (std::isfinite(prev_close_)) {
        tr = std::max({tr, std::abs(h - prev_close_), std::abs(l - prev_close_)});
    }
    prev_close_ = c;
    if (count_ < n_) {
        sum_ += tr;
        if (++count_ == n_) {
            avg_ = sum_ / static_cast<double>(n_);
        }
        return;
    }
    avg_ = (avg_ * (static_cast<double>(n_) - 1) + tr) / static_cast<double>(n_);
}

Guard::Guard(Limits global, std::map<std::string, Limits, std::less<>> per_inst)
    : global_(global), per_inst_(std::move(per_inst)) {}

const Limits& Guard::limits(std::string_view inst) const {
    auto it = per_inst_.find(inst);
    return it == per_inst_.end() ? global_ : it->second;
}

Decision Guard::check(const OrderCheck& o, const AccountView& a, std::int64_t ts) const {
    const Limits& lim = limits(o.inst);
    Decision d;
    d.sz = o.sz;
    const auto refuse = [&](std::string code, std::string limit, double value, double threshold,
                            std::string detail) {
        d.kind = Decision::Kind::kReject;
        d.sz = 0;
        d.code = std::move(code);
        d.limit = std::move(limit);
        d.value = value;
        d.threshold = threshold;
        d.detail = std::move(detail);
        return d;
    };
    const InstView none;
    auto it = a.insts.find(o.inst);
    const InstView& v = it == a.insts.end() ? none : it->second;

    // The rate: orders in the minute up to ts, this one included.
    const auto from = std::upper_bound(recent_.begin(), recent_.end(), ts - kMinuteMs);
    const auto in_minute = static_cast<double>(std::distance(from, recent_.end())) + 1;
    if (in_minute > global_.max_orders_per_minute) {
        return refuse("order_rate", "risk.max_orders_per_minute", in_minute,
                      global_.max_orders_per_minute,
                      "more than " + number(global_.max_orders_per_minute) +
                          " orders in one minute of event time");
    }
    if (v.open_orders + 1 > lim.max_open_orders) {
        return refuse("open_orders", "risk.max_open_orders", v.open_orders + 1, lim.max_open_orders,
                      o.inst + " would have more than " + number(lim.max_open_orders) +
                          " open orders");
    }
    if (o.side == core::Side::kSell) {
        const double free = std::max(0.0, v.position - v.open_sell_base);
        if (free <= 0) {
            return refuse("not_held", "spot", o.sz, free,
                          "nothing of " + o.inst +
                              " is held that another sell does not "
                              "already cover (spot cannot go short)");
        }
        if (o.sz > free) {
            d.kind = Decision::Kind::kAdjust;
            d.sz = free;
            d.code = "not_held";
            d.limit = "spot";
            d.value = o.sz;
            d.threshold = free;
            d.detail = "sell cut to what is held and not promised to another sell";
        }
        return d;
    }
    if (!(o.px > 0) || !std::isfinite(o.px)) {
        return refuse("no_price", "risk.price", o.px, 0,
                      "a buy needs a price above 0 to be measured against the limits");
    }
    if (halted_) {
        return refuse("halted", "risk.kill_switch", 1, 0,
                      "the kill switch is on (" + halt_code_ +
                          "): no new entries until it resumes or risk-guard --reset-halt");
    }
    const Room r = room(o, a);
    const double sz = std::min(o.sz, r.fits);
    if (r.code == nullptr || sz >= o.sz) {
        return d;
    }
    if (sz * o.px < lim.min_notional) {
        std::string detail = "no room left for ";
        detail += o.inst;
        detail += " under ";
        detail += r.limit;
        return refuse(r.code, r.limit, r.value, r.threshold, detail);
    }
    d.kind = Decision::Kind::kAdjust;
    d.sz = sz;
    d.code = r.code;
    d.limit = r.limit;
    d.value = r.value;
    d.threshold = r.threshold;
    d.detail = "size cut from " + number(o.sz) + " to " + number(sz) + " to stay under " + r.limit;
    return d;
}

Guard::Room Guard::room(const OrderCheck& o, const AccountView& a) const {
    const Limits& lim = limits(o.inst);
    Room best;
    if (o.side == core::Side::kSell || !(o.px > 0)) {
        return best; // a sell only lowers every exposure
    }
    // As if every open buy filled at this price, and with equity less the fee this order pays
    // (x fits when gross + x px <= L (equity - fee x px)).
    const double px = o.px;
    double pos = 0;
    double gross = 0;
    double net = 0;
    for (const auto& [inst, iv] : a.insts) {
        const double p = inst == o.inst ? px : iv.mark;
        const double n = (iv.position + iv.open_buy_base) * p;
        if (inst == o.inst) {
            pos = n;
        }
        gross += std::abs(n);
        net += n;
    }
    const double equity = std::max(0.0, a.equity);
    const double f = std::max(0.0, o.fee_rate);
    const auto consider = [&](double fits, const char* code, const char* limit, double value,
                              double threshold) {
        fits = std::max(0.0, fits);
        if (fits < best.fits) {
            best = Room{fits, code, limit, value, threshold};
        }
    };
    const double after = o.sz * px;
    consider((lim.max_position_notional - pos) / px, "position_limit", "risk.max_position_notional",
             pos + after, lim.max_position_notional);
    consider((lim.max_gross_exposure * equity - gross) / (px * (1 + lim.max_gross_exposure * f)),
             "gross_exposure", "risk.max_gross_exposure",
             equity > 0 ? (gross + after) / equity : kNoLimit, lim.max_gross_exposure);
    consider((lim.max_net_exposure * equity - net) / (px * (1 + lim.max_net_exposure * f)),
             "net_exposure", "risk.max_net_exposure",
             equity > 0 ? (net + after) / equity : kNoLimit, lim.max_net_exposure);
    return best;
}

double Guard::fill_room(const OrderCheck& o, const AccountView& a) const {
    if (o.side == core::Side::kSell) {
        auto it = a.insts.find(o.inst);
        return it == a.insts.end() ? 0 : std::max(0.0, it->second.position);
    }
    return room(o, a).fits;
}

void Guard::placed(std::int64_t ts) {
    recent_.push_back(ts);
    while (!recent_.empty() && recent_.front() <= ts - kMinuteMs) {
        recent_.pop_front();
    }
}

double Guard::drawdown() const {
    return peak_ > 0 ? std::max(0.0, (peak_ - last_equity_) / peak_) : 0;
}

std::optional<SwitchEvent> Guard::mark(std::int64_t ts, double equity) {
    last_equity_ = equity;
    std::optional<SwitchEvent> resumed;
    const std::int64_t day = utc_day(ts);
    if (day != day_) {
        day_ = day;
        day_start_ = equity;
        if (halted_ && halt_code_ == "daily_loss" && global_.resume == Resume::kNextDay) {
            halted_ = false;
            halt_code_.clear();
            resumed = SwitchEvent{false, "next_day", "risk.resume",
                                  0,     0,          "a new UTC day: entries allowed again"};
        }
    }
    peak_ = std::max(peak_, equity);
    if (halted_) {
        return resumed;
    }
    const double day_loss = day_start_ > 0 ? (day_start_ - equity) / day_start_ : 0;
    if (day_loss >= global_.max_daily_loss) {
        halted_ = true;
        halt_code_ = "daily_loss";
        return SwitchEvent{true,
                           "daily_loss",
                           "risk.max_daily_loss",
                           day_loss,
                           global_.max_daily_loss,
                           "the day's loss reached " + number(100 * day_loss) + "% of " +
                               number(day_start_)};
    }
    const double dd = drawdown();
    if (dd >= global_.max_drawdown) {
        halted_ = true;
        halt_code_ = "drawdown";
        return SwitchEvent{true,
                           "drawdown",
                           "risk.max_drawdown",
                           dd,
                           global_.max_drawdown,
                           "equity fell " + number(100 * dd) + "% from its peak of " +
                               number(peak_)};
    }
    return resumed;
}

void Guard::set_halt(bool halted, std::string code) {
    halted_ = halted;
    halt_code_ = halted ? std::move(code) : std::string();
}

std::optional<SwitchEvent> Guard::reset(std::int64_t /*ts*/) {
    if (!halted_) {
        return std::nullopt;
    }
    halted_ = false;
    halt_code_.clear();
    peak_ = last_equity_;
    return SwitchEvent{false, "reset", "risk.kill_switch", 0, 0, "reset by hand"};
}

} // namespace okxkit::risk
