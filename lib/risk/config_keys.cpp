// The risk module's config keys, and the limits read from them.
#include "risk/config_keys.hpp"

#include "core/error.hpp"
#include "core/instrument.hpp"

#include <array>
#include <cmath>

namespace okxkit::risk {

namespace {

using T = core::ConfigType;

constexpr std::array<core::ConfigKey, 13> kKeys{{
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

} // namespace

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
