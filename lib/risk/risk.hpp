// Risk: how much to buy (sizing), how to get out (take-profit and stop ladders), and what is
// never allowed (limits, and the kill switch their loss limits trip). Shared by risk-guard,
// which decides on intents, and execute, which checks every order again before it reaches an
// exchange. Pure: event time from the messages, the account as the caller sees it; no store,
// no clock, no network.
#pragma once

#include "core/trading.hpp"

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::risk {

constexpr double kNoLimit = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------------------------------
// Sizing: the quote-currency notional of an entry.

enum class Sizing { kFixedNotional, kEquityFrac, kAtrTarget, kKelly };
std::string_view to_text(Sizing s);
std::optional<Sizing> sizing_from_text(std::string_view text);

struct SizingConfig {
    Sizing kind = Sizing::kEquityFrac;
    double notional = 100;    // fixed_notional: quote currency per entry
    double equity_frac = 0.1; // equity_frac: share of equity per entry (an intent's own
                              // equity_frac, when it gives one, wins)
    double risk_frac = 0.01;  // atr_target: share of equity lost if the price moves
    double atr_mult = 2;      // atr_mult ATRs against the position
    double kelly_cap = 0.25;  // kelly: this fraction of the Kelly bet ("quarter Kelly")
    double payoff = 1;        // kelly: the win/loss ratio assumed
    double max_frac = 0.25;   // atr_target and kelly: never more than this share of equity
};

struct SizingInput {
    double equity = 0;
    double px = 0;                                         // the price the entry expects
    double atr = std::numeric_limits<double>::quiet_NaN(); // atr_target needs it
    double confidence = 0;                                 // kelly: the signal's, 0..1
    std::optional<double> equity_frac;                     // the intent's own, if any
};

// The notional (>= 0, quote currency) of an entry. kelly reads confidence c as a win
// probability p = (1 + c) / 2 (no confidence: a coin flip, no bet), takes the Kelly fraction
// p - (1 - p) / payoff, scales it by kelly_cap and caps it at max_frac. atr_target sizes so
// that a move of atr_mult ATRs costs risk_frac of equity, capped at max_frac; without a
// finite ATR it sizes nothing. O(1).
double entry_notional(const SizingConfig& c, const SizingInput& in);

// ---------------------------------------------------------------------------------------
// Ladders: take-profit rungs and a stop, attached to an entry.

struct Rung {
    double at = 0;   // distance from the entry: a fraction of the price, or ATRs (atr = true)
    double frac = 0; // share of the entry's size, 0..1
};

struct LadderConfig {
    std::vector<Rung> tp = {{0.015, 0.5}, {0.03, 0.5}};
    std::optional<double> sl = 0.01;  // the stop's distance, like a rung's
    bool atr = false;                 // distances in ATRs instead of fractions of the price
    bool breakeven_after_tp1 = true;  // the stop moves to the entry once TP1 fills
    std::optional<double> trail_frac; // a trailing stop this far below the highest high
};

struct Ladder {
    std::vector<core::TakeProfit> tp;
    std::optional<core::StopLoss> sl;
    std::optional<core::Trail> trail;
    bool breakeven_after_tp1 = false;
};

// The ladder of a buy entry at px (atr: the ATR, needed when c.atr). Rungs that would sit at
// or below the entry, or a stop at or above it, or at 0 or below, are left out (an ATR that is
// not finite leaves out everything measured in it). The fractions are used as given, their sum
// capped at 1 by trimming the last rungs. O(rungs).
Ladder make_ladder(const LadderConfig& c, double px, double atr);

// ---------------------------------------------------------------------------------------
// Limits and the kill switch.

enum class Resume { kManual, kNextDay };

struct Limits {
    double max_position_notional = kNoLimit; // per instrument, quote currency, at the price
    double max_gross_exposure = 1.0;         // sum of |position notional| / equity
    double max_net_exposure = 1.0;           // |sum of signed position notional| / equity
    double max_open_orders = 20;             // per instrument
    double max_orders_per_minute = 120;      // all instruments, in event time
    double max_daily_loss = 0.05;            // share of the UTC day's first equity
    double max_drawdown = 0.20;              // share of the peak equity
    double min_notional = 1;                 // an order adjusted below this is refused instead
    bool flatten_on_halt = false;            // the kill switch also sells what is held
    Resume resume = Resume::kNextDay;        // after a daily-loss halt; a drawdown halt always
                                             // waits for a reset
};

// One instrument as the deciding tool sees it: the position and the open orders.
struct InstView {
    double position = 0;       // base currency held (spot: >= 0)
    double mark = 0;           // its price
    double open_buy_base = 0;  // base still to buy on open buy orders
    double open_sell_base = 0; // base still to sell on open sell orders (entries)
    double open_orders = 0;    // working orders, children included
};

struct AccountView {
    double equity = 0;
    std::map<std::string, InstView, std::less<>> insts;
};

// An order to check: buy or sell sz (base) of inst at px (the limit price, or the expected
// fill price of a market order).
struct OrderCheck {
    std::string inst;
    core::Side side = core::Side::kBuy;
    double sz = 0;
    double px = 0;
    double fee_rate = 0; // the fee it may pay, as a share of its value (exposure is measured
                         // against the equity after it)
};

// The answer: approve (sz as asked), adjust (sz smaller, within the limits) or reject, with a
// stable code, the limit's name, the value that broke it and its threshold.
struct Decision {
    enum class Kind { kApprove, kAdjust, kReject } kind = Kind::kApprove;
    double sz = 0;
    std::string code;  // position_limit gross_exposure net_exposure open_orders order_rate
                       // halted min_notional not_held
    std::string limit; // the config key: risk.max_position_notional, ...
    double value = 0;
    double threshold = 0;
    std::string detail;
    [[nodiscard]] bool refused() const { return kind == Kind::kReject; }
};

// A trip or a resume of the kill switch.
struct SwitchEvent {
    bool halt = true; // false: resumed
    std::string code; // daily_loss drawdown; resumed: next_day reset
    std::string limit;
    double value = 0;
    double threshold = 0;
    std::string detail;
};

// The average true range (Wilder's smoothing over n bars, seeded with the mean of the first n
// true ranges; the first bar's true range is its high - low), fed one bar at a time. NaN until
// n true ranges were seen. O(1) per bar.
class Atr {
public:
    explicit Atr(std::size_t n = 14) : n_(n) {}
    void push(double h, double l, double c);
    [[nodiscard]] double value() const {
        return count_ >= n_ ? avg_ : std::numeric_limits<double>::quiet_NaN();
    }

private:
    std::size_t n_;
    std::size_t count_ = 0;
    double sum_ = 0;
    double avg_ = 0;
    double prev_close_ = std::numeric_limits<double>::quiet_NaN();
};

class Guard {
public:
    Guard(Limits global, std::map<std::string, Limits, std::less<>> per_inst = {});

    // The limits of one instrument (its own, else the global ones).
    [[nodiscard]] const Limits& limits(std::string_view inst) const;

    // Checks an order against the limits, the kill switch and the order rate, as if every open
    // order filled: a buy that would take the position past max_position_notional, or the
    // portfolio past its exposure limits, is cut to what fits (adjust) or refused when less
    // than min_notional fits; a sell never exceeds what is held and not already promised to
    // another sell (spot). While halted, only sells are allowed. ts: the order's event time.
    // O(instruments).
    [[nodiscard]] Decision check(const OrderCheck& o, const AccountView& a, std::int64_t ts) const;
    // At fill time: the most of o's size that may fill now without taking the position or the
    // exposures past their limits (a sell: what is held). execute checks every fill with it,
    // so no fill breaks a limit even when the price moved since the order was approved.
    [[nodiscard]] double fill_room(const OrderCheck& o, const AccountView& a) const;
    // Counts an order that was placed, for the rate limit. Amortised O(1).
    void placed(std::int64_t ts);

    // The equity at event time ts: tracks the UTC day's first equity and the peak, trips the
    // kill switch on a daily loss or drawdown at or beyond its limit, resumes after a daily-loss
    // halt on the next UTC day when so configured. Returns what happened, if anything. O(1).
    std::optional<SwitchEvent> mark(std::int64_t ts, double equity);
    // The manual reset (risk-guard --reset-halt): resumes, and the peak restarts at the last
    // equity seen, so the drawdown that tripped does not trip again at once.
    std::optional<SwitchEvent> reset(std::int64_t ts);

    // The kill switch as the account's owner (execute) reports it at a barrier: risk-guard
    // decides with execute's switch, not a second one of its own.
    void set_halt(bool halted, std::string code);

    [[nodiscard]] bool halted() const { return halted_; }
    [[nodiscard]] const std::string& halt_code() const { return halt_code_; }
    [[nodiscard]] double peak() const { return peak_; }
    [[nodiscard]] double day_start() const { return day_start_; }
    [[nodiscard]] double drawdown() const;
    [[nodiscard]] double day_pnl() const { return last_equity_ - day_start_; }

private:
    struct Room {
        double fits = kNoLimit;     // base size that fits under every limit
        const char* code = nullptr; // the binding limit, if any
        const char* limit = nullptr;
        double value = 0;
        double threshold = 0;
    };
    [[nodiscard]] Room room(const OrderCheck& o, const AccountView& a) const;

    Limits global_;
    std::map<std::string, Limits, std::less<>> per_inst_;
    std::deque<std::int64_t> recent_; // event times of the orders of the last minute
    bool halted_ = false;
    std::string halt_code_;
    std::int64_t day_ = std::numeric_limits<std::int64_t>::min();
    double day_start_ = 0;
    double peak_ = 0;
    double last_equity_ = 0;
};

} // namespace okxkit::risk
