// The risk module's config keys, and the limits read from them.
#include "risk/config_keys.hpp"

#include "core/error.hpp"
#include "core/instrument.hpp"

#include <array>
#include <cmath>

namespace okxkit::risk {

namespace {

using T = core::ConfigType;

constexpr std::array<core::ConfigKey, 29> kKeys{{
    {"risk.max_position_notional", T::kNumber,
     "largest position per instrument, in the quote currency at the order's price"},
    {"risk.max_gross_exposure", T::kNumber, "sum of the positions' values, as a share of equity"},
    {"risk.max_net_exposure", T::kNumber, "long minus short value, as a share of equity"},
    {"risk.max_open_orders", T::kInteger, "working orders per instrument, children included"},
    {"risk.max_orders_per_minute", T::kInteger, "orders placed per minute of event time"},
    {"risk.max_daily_loss", T::kNumber,
     "loss of the UTC day (realised and unrealised) that trips the kill switch, as a share"},
    {"risk.max_drawdown", T::kNumber, "fall from the peak equity that trips the kill switch"},
    {"risk.min_notional", T::kNumber, "an order cut below this value is refused instead"},
    {"risk.flatten_on_halt", T::kBoolean, "the kill switch also sells every position"},
    {"risk.resume", T::kString, "after a daily-loss halt: next_day or manual (--reset-halt)"},
    {"risk.inst", T::kTable, "per-instrument limits: [risk.inst.BTC-USDT]"},
    {"risk.inst.*.max_position_notional", T::kNumber, "an instrument's own position limit"},
    {"risk.inst.*.max_open_orders", T::kInteger, "an instrument's own open-order limit"},
    {"risk.sizing", T::kString,
     "size of an entry that gives none: fixed_notional, equity_frac, atr_target or kelly"},
    {"risk.notional", T::kNumber, "fixed_notional: quote currency per entry"},
    {"risk.equity_frac", T::kNumber, "equity_frac: share of equity per entry"},
    {"risk.risk_frac", T::kNumber,
     "atr_target: share of equity lost if the price moves atr_mult ATRs"},
    {"risk.atr_mult", T::kNumber, "atr_target: the move, in ATRs (14-bar Wilder ATR)"},
    {"risk.kelly_cap", T::kNumber, "kelly: this fraction of the Kelly bet"},
    {"risk.payoff", T::kNumber, "kelly: the win/loss ratio assumed"},
    {"risk.max_frac", T::kNumber, "atr_target and kelly: never more than this share of equity"},
    {"risk.ladder", T::kTable, "the exits attached to every buy entry that brings none"},
    {"risk.ladder.enabled", T::kBoolean, "attach the ladder (false: entries go without exits)"},
    {"risk.ladder.tp", T::kTables, "take-profit rungs, in order: [[risk.ladder.tp]]"},
    {"risk.ladder.tp.at", T::kNumber, "a rung's distance above the entry (fraction, or ATRs)"},
    {"risk.ladder.tp.frac", T::kNumber, "a rung's share of the entry's size"},
    {"risk.ladder.sl", T::kNumber, "the stop's distance below the entry (0: no stop)"},
    {"risk.ladder.atr", T::kBoolean, "distances in ATRs instead of fractions of the price"},
    {"risk.ladder.trail", T::kNumber,
     "a trailing stop this share below the highest high (0: none)"},
}};

void read(const core::ConfigNode& t, Limits& l) {
    const auto share = [&](std::string_view key, double& v, double hi) {
        if (auto x = t.number(key)) {
            if (!(*x > 0 && *x <= hi)) {
                throw core::UsageError(t.where() + ": key \"" + std::string(key) +
                                       "\" must be above 0 and at most " +
                                       std::to_string(static_cast<int>(hi)));
            }
            v = *x;
        }
    };
    if (auto x = t.number("max_position_notional")) {
        if (!(*x > 0)) {
            throw core::UsageError(t.where() + ": key \"max_position_notional\" must be above 0");
        }
        l.max_position_notional = *x;
    }
    share("max_gross_exposure", l.max_gross_exposure, 100);
    share("max_net_exposure", l.max_net_exposure, 100);
    share("max_daily_loss", l.max_daily_loss, 1);
    share("max_drawdown", l.max_drawdown, 1);
    for (const char* key : {"max_open_orders", "max_orders_per_minute"}) {
        if (auto x = t.integer(key)) {
            if (*x < 1) {
                throw core::UsageError(t.where() + ": key \"" + std::string(key) +
                                       "\" must be 1 or more");
            }
            (std::string_view(key) == "max_open_orders" ? l.max_open_orders
                                                        : l.max_orders_per_minute) =
                static_cast<double>(*x);
        }
    }
    if (auto x = t.number("min_notional")) {
        if (!(*x >= 0)) {
            throw core::UsageError(t.where() + ": key \"min_notional\" must be 0 or more");
        }
        l.min_notional = *x;
    }
    if (auto x = t.boolean("flatten_on_halt")) {
        l.flatten_on_halt = *x;
    }
    if (auto x = t.string("resume")) {
        if (*x != "next_day" && *x != "manual") {
            throw core::UsageError(t.where() + ": key \"resume\" must be next_day or manual");
        }
        l.resume = *x == "manual" ? Resume::kManual : Resume::kNextDay;
    }
}

double positive(const core::ConfigNode& t, std::string_view key, double v, double hi) {
    if (auto x = t.number(key)) {
        if (!(*x > 0 && *x <= hi)) {
            throw core::UsageError(t.where() + ": key \"" + std::string(key) +
                                   "\" must be above 0 and at most " + std::to_string(hi));
        }
        return *x;
    }
    return v;
}

} // namespace

GuardConfig guard_config_from(const core::ConfigNode& root) {
    GuardConfig g;
    const core::ConfigNode risk = root.table("risk");
    if (!risk.exists()) {
        return g;
    }
    SizingConfig& s = g.sizing;
    if (auto x = risk.string("sizing")) {
        auto k = sizing_from_text(*x);
        if (!k) {
            throw core::UsageError(risk.where() + ": key \"sizing\" must be fixed_notional, "
                                                  "equity_frac, atr_target or kelly");
        }
        s.kind = *k;
    }
    s.notional = positive(risk, "notional", s.notional, 1e15);
    s.equity_frac = positive(risk, "equity_frac", s.equity_frac, 1);
    s.risk_frac = positive(risk, "risk_frac", s.risk_frac, 1);
    s.atr_mult = positive(risk, "atr_mult", s.atr_mult, 1000);
    s.kelly_cap = positive(risk, "kelly_cap", s.kelly_cap, 1);
    s.payoff = positive(risk, "payoff", s.payoff, 1000);
    s.max_frac = positive(risk, "max_frac", s.max_frac, 1);
    const core::ConfigNode l = risk.table("ladder");
    if (!l.exists()) {
        return g;
    }
    LadderConfig& c = g.ladder;
    if (auto b = l.boolean("enabled")) {
        g.ladder_enabled = *b;
    }
    if (auto b = l.boolean("atr")) {
        c.atr = *b;
    }
    if (auto b = l.boolean("breakeven_after_tp1")) {
        c.breakeven_after_tp1 = *b;
    }
    const auto rungs = l.tables("tp");
    if (!rungs.empty()) {
        c.tp.clear();
        for (const core::ConfigNode& r : rungs) {
            Rung rung;
            auto at = r.number("at");
            auto frac = r.number("frac");
            if (!at || !frac || !(*at > 0) || !(*frac > 0 && *frac <= 1)) {
                throw core::UsageError(r.where() + ": a rung needs \"at\" above 0 and \"frac\" "
                                                   "above 0 and at most 1");
            }
            rung.at = *at;
            rung.frac = *frac;
            c.tp.push_back(rung);
        }
    }
    if (auto x = l.number("sl")) {
        if (!(*x >= 0)) {
            throw core::UsageError(l.where() + ": key \"sl\" must be 0 (no stop) or above");
        }
        c.sl = *x > 0 ? std::optional<double>(*x) : std::nullopt;
    }
    if (auto x = l.number("trail")) {
        if (!(*x >= 0 && *x < 1)) {
            throw core::UsageError(l.where() + ": key \"trail\" must be from 0 (none) to below 1");
        }
        c.trail_frac = *x > 0 ? std::optional<double>(*x) : std::nullopt;
    }
    return g;
}

std::span<const core::ConfigKey> config_keys() {
    return kKeys;
}

ConfiguredLimits limits_from(const core::ConfigNode& root) {
    ConfiguredLimits c;
    const core::ConfigNode risk = root.table("risk");
    if (!risk.exists()) {
        return c;
    }
    read(risk, c.global);
    for (const auto& [name, node] : risk.table("inst").entries()) {
        auto inst = core::normalize_inst(name);
        if (!inst) {
            throw core::UsageError(node.where() + ": \"" + name + "\" is not an instrument");
        }
        Limits l = c.global;
        read(node, l);
        c.per_inst[*inst] = l;
    }
    return c;
}

} // namespace okxkit::risk
