// The strategies: each turns closed candles (and, for ml, predictions) into a view of the
// market (a signal), the legs it wants on the book or the exposure it wants (declarative
// intents), and the exposure the selector marks its signal P&L with. None of them sees fills:
// each re-derives what it wants from prices alone.
#pragma once

#include "strategy/params.hpp"
#include "strategy/regime.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace okxkit::strategy {

// A closed candle with the values of the instrument's indicators (NaN while warming up).
struct BarInput {
    std::int64_t ts = 0;
    double o = 0, h = 0, l = 0, c = 0, v = 0;
    std::span<const double> f;
};

// One leg a strategy wants: an order on the book (place: side, ord_type, px, equity_frac of
// the size) or a view on exposure (target: equity_frac of the equity held).
struct Leg {
    std::string id;
    bool target = false;
    std::string side; // buy, sell ("" for a target)
    std::string ord_type;
    double px = 0;
    double equity_frac = 0;
    bool operator==(const Leg&) const = default;
};

// A strategy's view: side buy, sell or flat; strength -1..1; confidence 0..1; why.
struct SignalView {
    std::string side = "flat";
    double strength = 0;
    double confidence = 0;
    std::string reason;
};

// What a strategy drawn as rules saw on the last candle, for --explain: the conditions that
// held and the actions that fired (the one that took effect, or every placed leg).
struct BarTrace {
    bool traced = false; // false for the built-in kinds, which have no conditions
    bool warm = false;
    std::vector<std::string> holds;
    std::vector<std::string> fires;
};

using IndexFn = std::function<std::size_t(const std::string&)>;

class Strategy {
public:
    explicit Strategy(StrategyConfig config) : config_(std::move(config)) {}
    virtual ~Strategy() = default;
    Strategy(const Strategy&) = delete;
    Strategy& operator=(const Strategy&) = delete;

    [[nodiscard]] const StrategyConfig& config() const { return config_; }
    [[nodiscard]] const std::string& name() const { return config_.name; }
    // The indicators (feature names) it reads, and where they are in the value rows.
    [[nodiscard]] virtual std::vector<std::string> feature_names() const = 0;
    virtual void bind(const IndexFn& index) = 0;
    // A closed candle. Updates legs(), signal() and exposure().
    virtual void on_bar(const BarInput& bar, const Regime& regime) = 0;
    // A prediction of the candle at ts (ml only); champion: the registry marks its model so.
    virtual void on_prediction(std::int64_t ts, bool champion, double p_up, double confidence);
    // How well the regime suits the strategy, 0 to 1.
    [[nodiscard]] virtual double fit(const Regime& regime) const = 0;
    // Why, in words, for the assignment's reasons.
    [[nodiscard]] virtual std::string fit_reason(const Regime& regime) const = 0;
    // Its inputs are warm: it can decide.
    [[nodiscard]] bool warm() const { return warm_; }
    // The share of the strategy's capital it holds (0..1): what its signal P&L is marked with.
    [[nodiscard]] double exposure() const { return exposure_; }
    [[nodiscard]] const std::vector<Leg>& legs() const { return legs_; }
    // (its reason is written out when first asked for: most candidates' signals never are)
    [[nodiscard]] const SignalView& signal() const {
        if (reason_) {
            signal_.reason = reason_();
            reason_ = nullptr;
        }
        return signal_;
    }
    // Counts the changes of signal(): the selector writes a signal line when it moves.
    [[nodiscard]] std::uint64_t signal_seq() const { return signal_seq_; }
    // Counts the changes of legs(): the selector compares them with what it wrote only then.
    [[nodiscard]] std::uint64_t legs_seq() const { return legs_seq_; }
    // Forgets its state (after a gap in the candles).
    virtual void reset();
    // The last candle's conditions and actions (rules strategies only).
    [[nodiscard]] virtual BarTrace trace() const { return {}; }

protected:
    void set_signal(std::string side, double strength, double confidence, std::string reason);
    // The same with the reason's words made only if the signal is read.
    void set_signal(std::string side, double strength, double confidence,
                    std::function<std::string()> reason);
    // Wants `frac` of the equity held (one target leg "target").
    void set_target(double frac);

    StrategyConfig config_;
    bool warm_ = false;
    double exposure_ = 0;
    std::vector<Leg> legs_;
    mutable SignalView signal_;
    mutable std::function<std::string()> reason_; // the reason not yet written, if any
    std::uint64_t signal_seq_ = 0;
    std::uint64_t legs_seq_ = 0; // raised by every change of legs_
};

std::unique_ptr<Strategy> make_strategy(const StrategyConfig& config);
// The rules kind's strategy (strategy/rules.cpp); config.rules must hold its graph.
std::unique_ptr<Strategy> make_rules_strategy(const StrategyConfig& config);

// The grid's price levels from lower to upper inclusive: levels equally spaced in price
// (arithmetic) or in ratio (geometric). levels >= 2, 0 < lower < upper.
std::vector<double> grid_ladder(double lower, double upper, int levels, bool geometric);

// A feature name with a number parameter as lib/features spells it (2 -> "2", 2.5 -> "2.5").
std::string number_text(double v);

} // namespace okxkit::strategy
