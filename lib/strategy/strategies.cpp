// The strategy kinds (rules is in rules.cpp).
#include "strategy/strategies.hpp"

#include "core/json_out.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace okxkit::strategy {

namespace {

// Numbers in reasons, as printf's %.Nf and %g would write them (std::to_chars promises the
// same text, and is several times faster: reasons are built on every change of a candidate's
// signal, emitted or not).
std::string fixed(double v, int digits) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, digits);
    return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

// Six significant digits, trailing zeros dropped (%g).
std::string general(double v) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 6);
    return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

// Prices in reasons: six significant digits.
std::string px(double v) {
    return general(v);
}

bool finite(double v) {
    return std::isfinite(v);
}

double clamp1(double v) {
    return std::clamp(v, -1.0, 1.0);
}

// grid: a ladder of limit orders between the bounds of a range.
class Grid final : public Strategy {
public:
    explicit Grid(StrategyConfig c) : Strategy(std::move(c)) {
        high_low_ = config_.str("range") == "high_low";
        geometric_ = config_.str("spacing") == "geometric";
        levels_ = config_.integer("levels");
        margin_ = config_.number("stop_margin");
        recenter_after_ = config_.integer("recenter_after");
        level_frac_ = config_.number("level_frac");
        ord_type_ = config_.str("ord_type");
    }

    std::vector<std::string> feature_names() const override {
        std::vector<std::string> n{atr_name()};
        if (high_low_) {
            const std::string lb = std::to_string(config_.integer("lookback"));
            n.push_back("dc_upper_" + lb);
            n.push_back("dc_lower_" + lb);
        }
        return n;
    }

    void bind(const IndexFn& index) override {
        atr_ = index(atr_name());
        if (high_low_) {
            const std::string lb = std::to_string(config_.integer("lookback"));
            upper_i_ = index("dc_upper_" + lb);
            lower_i_ = index("dc_lower_" + lb);
        }
    }

    void on_bar(const BarInput& b, const Regime& regime) override {
        const double atr = b.f[atr_];
        warm_ = finite(atr) && (!high_low_ || (finite(b.f[upper_i_]) && finite(b.f[lower_i_])));
        if (!warm_) {
            return;
        }
        if (!active_) {
            ++stopped_bars_;
            const int after = recenter_after_;
            if (!started_ || (after > 0 && stopped_bars_ >= after)) {
                derive(b, atr);
            }
        }
        if (active_) {
            const double margin = margin_;
            if (b.c > upper_ * (1 + margin) || b.c < lower_ * (1 - margin)) {
                active_ = false;
                stopped_bars_ = 0;
                legs_.clear();
                ++legs_seq_;
                exposure_ = 0;
                bucket_ = -1;
                set_signal("flat", 0, fit(regime),
                           "close " + px(b.c) + " left the range [" + px(lower_) + ", " +
                               px(upper_) + "] by more than " + general(100 * margin) +
                               "%: grid stopped");
                return;
            }
            ladder(b, regime);
        }
    }

    double fit(const Regime& r) const override { return r.range * (1 - 0.5 * r.volatility); }

    std::string fit_reason(const Regime& r) const override {
        return "grid fits ranges with calm volatility: range " + fixed(r.range, 2) +
               ", volatility " + fixed(r.volatility, 2);
    }

    void reset() override {
        Strategy::reset();
        active_ = started_ = false;
        stopped_bars_ = 0;
        bucket_ = -1;
        built_ = -1;
    }

private:
    std::string atr_name() const { return "atr_" + std::to_string(config_.integer("atr_period")); }

    void derive(const BarInput& b, double atr) {
        if (high_low_) {
            lower_ = b.f[lower_i_];
            upper_ = b.f[upper_i_];
        } else {
            const double half = config_.number("atr_mult") * atr;
            lower_ = std::max(b.c - half, b.c * 0.01);
            upper_ = b.c + half;
        }
        if (!(lower_ > 0 && upper_ > lower_)) {
            return; // a flat window: no range to trade yet
        }
        started_ = true;
        active_ = true;
        stopped_bars_ = 0;
    }

    // Legs from the price: a buy at every level below the close, a sell at every level above.
    void ladder(const BarInput& b, const Regime& regime) {
        if (lower_ != ladder_lower_ || upper_ != ladder_upper_) {
            levels_px_ = grid_ladder(lower_, upper_, levels_, geometric_);
            ladder_lower_ = lower_;
            ladder_upper_ = upper_;
            built_ = -1;
            // Each level's buy and sell leg, made once per ladder and copied from here.
            level_legs_.resize(levels_px_.size());
            for (std::size_t i = 0; i < levels_px_.size(); ++i) {
                for (int k = 0; k < 2; ++k) {
                    Leg& leg = level_legs_[i][static_cast<std::size_t>(k)];
                    leg.side = k == 0 ? "buy" : "sell";
                    leg.id = leg.side + std::to_string(i + 1);
                    leg.ord_type = ord_type_;
                    leg.px = levels_px_[i];
                    leg.equity_frac = level_frac_;
                }
            }
        }
        // Which levels are below, at or above the close: the legs change only with that.
        int above = 0;
        int at = -1;
        for (int i = 0; i < levels_; ++i) {
            const double p = levels_px_[static_cast<std::size_t>(i)];
            above += p > b.c ? 1 : 0;
            at = p == b.c ? i : at;
        }
        const int key = above * 1024 + at + 1;
        if (key != built_) {
            built_ = key;
            legs_.clear();
            for (int i = 0; i < levels_; ++i) {
                const double p = levels_px_[static_cast<std::size_t>(i)];
                if (p == b.c) {
                    continue;
                }
                legs_.push_back(level_legs_[static_cast<std::size_t>(i)][p < b.c ? 0 : 1]);
            }
            ++legs_seq_;
        }
        // The inventory a grid holds: one level's worth per buy level the price fell through.
        exposure_ = static_cast<double>(above) / levels_;
        if (above != bucket_) {
            bucket_ = above;
            const double pos = (b.c - lower_) / (upper_ - lower_);
            const double strength = clamp1((0.5 - pos) * 2);
            const std::string side = strength > 0 ? "buy" : strength < 0 ? "sell" : "flat";
            set_signal(side, strength, fit(regime),
                       [c = b.c, above, levels = levels_, lower = lower_, upper = upper_] {
                           return "close " + px(c) + " has " + std::to_string(above) + " of " +
                                  std::to_string(levels) + " levels above it in the range [" +
                                  px(lower) + ", " + px(upper) + "]";
                       });
        }
    }

    bool high_low_ = true;
    bool geometric_ = false;
    int levels_ = 10;
    std::size_t atr_ = 0, upper_i_ = 0, lower_i_ = 0;
    bool active_ = false;
    bool started_ = false;
    int stopped_bars_ = 0;
    int bucket_ = -1;
    double lower_ = 0, upper_ = 0;
    double margin_ = 0, level_frac_ = 0;
    int recenter_after_ = 0;
    std::string ord_type_;
    std::vector<double> levels_px_;              // the ladder of [ladder_lower_, ladder_upper_]
    std::vector<std::array<Leg, 2>> level_legs_; // each level's buy and sell leg
    double ladder_lower_ = 0, ladder_upper_ = 0;
    int built_ = -1; // which legs_ holds: levels above the close, and the level at it
};

// Strategies that hold the instrument or nothing, with a trailing or fixed stop.
class Holding : public Strategy {
public:
    using Strategy::Strategy;

    void reset() override {
        Strategy::reset();
        long_ = false;
        best_ = entry_ = stop_atr_ = 0;
        held_ = 0;
    }

protected:
    void enter(const BarInput& b, double atr, double strength, double confidence,
               std::string reason) {
        long_ = true;
        entry_ = best_ = b.c;
        stop_atr_ = atr;
        held_ = 0;
        exposure_ = 1;
        set_target(config_.number("equity_frac"));
        set_signal("buy", strength, confidence, std::move(reason));
    }

    void leave(double strength, double confidence, std::string reason) {
        long_ = false;
        exposure_ = 0;
        set_target(0);
        set_signal("sell", strength, confidence, std::move(reason));
    }

    bool long_ = false;
    double entry_ = 0, best_ = 0, stop_atr_ = 0;
    int held_ = 0;
};

// trend: moving-average crossover or channel breakout, long only, ATR trailing stop.
class Trend final : public Holding {
public:
    explicit Trend(StrategyConfig c) : Holding(std::move(c)) {
        breakout_ = config_.str("mode") == "breakout";
        atr_stop_ = config_.number("atr_stop");
    }

    std::vector<std::string> feature_names() const override {
        if (breakout_) {
            return {atr_name(), "dc_upper_" + std::to_string(config_.integer("channel")),
                    "dc_lower_" + std::to_string(config_.integer("exit_channel"))};
        }
        return {atr_name(), ma(config_.integer("fast")), ma(config_.integer("slow"))};
    }

    void bind(const IndexFn& index) override {
        const auto n = feature_names();
        atr_ = index(n[0]);
        a_ = index(n[1]);
        b_ = index(n[2]);
        set_target(0);
    }

    void on_bar(const BarInput& b, const Regime& regime) override {
        const double atr = b.f[atr_];
        const double x = b.f[a_];
        const double y = b.f[b_];
        warm_ = finite(atr) && finite(x) && finite(y) && has_prev_;
        if (warm_) {
            decide(b, atr, x, y, regime);
        }
        prev_a_ = x;
        prev_b_ = y;
        has_prev_ = finite(x) && finite(y);
    }

    // Rising trends: the trend strength above a floor of 0.2 (weaker "trends" are noise),
    // reaching 1 at 0.7, times the direction (1 up, 0 down: spot is long only).
    double fit(const Regime& r) const override {
        return std::clamp((r.trend - 0.2) / 0.5, 0.0, 1.0) * r.direction;
    }

    std::string fit_reason(const Regime& r) const override {
        return "trend (long only) fits rising trends: trend " + fixed(r.trend, 2) + ", direction " +
               fixed(r.direction, 2);
    }

    void reset() override {
        Holding::reset();
        has_prev_ = false;
        armed_ = true;
        set_target(0);
    }

private:
    std::string atr_name() const { return "atr_" + std::to_string(config_.integer("atr_period")); }
    std::string ma(int n) const { return config_.str("ma") + "_" + std::to_string(n); }

    void decide(const BarInput& b, double atr, double x, double y, const Regime& regime) {
        const double conf = fit(regime);
        const double strength = std::max(0.05, regime.trend);
        if (long_) {
            best_ = std::max(best_, b.c);
            const double stop = best_ - atr_stop_ * atr;
            if (b.c < stop) {
                // Stopped out: wait for the averages to cross again, or for the trend to
                // resume with a close above the best close before the stop.
                armed_ = false;
                resume_above_ = best_;
                leave(-strength, conf,
                      "close " + px(b.c) + " fell below the trailing stop " + px(stop) + " (" +
                          general(config_.number("atr_stop")) + " ATR under the best close " +
                          px(best_) + ")");
            } else if (breakout_ && b.c < prev_b_) {
                leave(-strength, conf,
                      "close " + px(b.c) + " broke below the " +
                          std::to_string(config_.integer("exit_channel")) + "-bar low " +
                          px(prev_b_));
            } else if (!breakout_ && x < y) {
                leave(-strength, conf,
                      config_.str("ma") + "_" + std::to_string(config_.integer("fast")) +
                          " crossed below " + config_.str("ma") + "_" +
                          std::to_string(config_.integer("slow")));
            }
            return;
        }
        if (breakout_ && b.c > prev_a_) {
            enter(b, atr, strength, conf,
                  "close " + px(b.c) + " broke above the " +
                      std::to_string(config_.integer("channel")) + "-bar high " + px(prev_a_));
        } else if (!breakout_ && x <= y) {
            armed_ = true; // below: the next cross above is an entry
        } else if (!breakout_ && !armed_ && b.c > resume_above_) {
            enter(b, atr, strength, conf,
                  "the trend resumes after a stop: close " + px(b.c) + " above the best close " +
                      px(resume_above_) + " before it");
        } else if (!breakout_ && armed_) {
            // Above the slow average: a fresh cross, or (at warm-up) a trend already under way.
            enter(b, atr, strength, conf,
                  config_.str("ma") + "_" + std::to_string(config_.integer("fast")) +
                      (prev_a_ <= prev_b_ ? " crossed above " : " is above ") + config_.str("ma") +
                      "_" + std::to_string(config_.integer("slow")));
        }
    }

    bool breakout_ = false;
    std::size_t atr_ = 0, a_ = 0, b_ = 0;
    double prev_a_ = 0, prev_b_ = 0;
    bool has_prev_ = false;
    bool armed_ = true;       // ma_cross may enter (false after a stop, until the next cross)
    double resume_above_ = 0; // after a stop: a close above this enters again
    double atr_stop_ = 0;
};

// mean_reversion: buys a close below the lower Bollinger band with a low RSI; exits at the
// middle band, a high RSI, a stop, or after max_hold bars.
class MeanReversion final : public Holding {
public:
    explicit MeanReversion(StrategyConfig c) : Holding(std::move(c)) {
        rsi_low_ = config_.number("rsi_low");
        rsi_high_ = config_.number("rsi_high");
        atr_stop_ = config_.number("atr_stop");
        max_hold_ = config_.integer("max_hold");
    }

    std::vector<std::string> feature_names() const override {
        const std::string bb = std::to_string(config_.integer("bb_period")) + "_" +
                               number_text(config_.number("bb_k"));
        return {"atr_" + std::to_string(config_.integer("atr_period")), "bb_lower_" + bb,
                "bb_mid_" + bb, "rsi_" + std::to_string(config_.integer("rsi_period"))};
    }

    void bind(const IndexFn& index) override {
        const auto n = feature_names();
        atr_ = index(n[0]);
        lower_ = index(n[1]);
        mid_ = index(n[2]);
        rsi_ = index(n[3]);
        set_target(0);
    }

    void on_bar(const BarInput& b, const Regime& regime) override {
        const double atr = b.f[atr_], lo = b.f[lower_], mid = b.f[mid_], rsi = b.f[rsi_];
        warm_ = finite(atr) && finite(lo) && finite(mid) && finite(rsi);
        if (!warm_) {
            return;
        }
        const double conf = fit(regime);
        if (long_) {
            ++held_;
            const double stop = entry_ - atr_stop_ * stop_atr_;
            const double strength = -std::max(0.05, regime.range);
            if (b.c >= mid) {
                leave(strength, conf, "close " + px(b.c) + " reached the middle band " + px(mid));
            } else if (rsi > rsi_high_) {
                leave(strength, conf, "RSI " + fixed(rsi, 1) + " rose above " + general(rsi_high_));
            } else if (b.c < stop) {
                leave(strength, conf, "close " + px(b.c) + " fell below the stop " + px(stop));
            } else if (held_ >= max_hold_) {
                leave(strength, conf,
                      "held " + std::to_string(held_) + " bars, the most max_hold allows");
            }
            return;
        }
        if (b.c < lo && rsi < rsi_low_) {
            enter(b, atr, std::max(0.05, regime.range), conf,
                  "close " + px(b.c) + " below the lower band " + px(lo) + " with RSI " +
                      fixed(rsi, 1));
        }
    }

    double fit(const Regime& r) const override { return r.range * (0.5 + 0.5 * r.volatility); }

    std::string fit_reason(const Regime& r) const override {
        return "mean reversion fits ranges with wide swings: range " + fixed(r.range, 2) +
               ", volatility " + fixed(r.volatility, 2);
    }

private:
    std::size_t atr_ = 0, lower_ = 0, mid_ = 0, rsi_ = 0;
    double rsi_low_ = 0, rsi_high_ = 0, atr_stop_ = 0;
    int max_hold_ = 0;
};

// ml: follows the registry's champion models.
class Ml final : public Holding {
public:
    using Holding::Holding;

    std::vector<std::string> feature_names() const override { return {}; }
    void bind(const IndexFn& /*index*/) override { set_target(0); }
    void on_bar(const BarInput& /*bar*/, const Regime& /*regime*/) override {}

    void on_prediction(std::int64_t /*ts*/, bool champion, double p_up,
                       double confidence) override {
        if (!champion || !finite(p_up) || !finite(confidence)) {
            return;
        }
        warm_ = true;
        confidences_.push_back(confidence);
        sum_ += confidence;
        if (confidences_.size() > static_cast<std::size_t>(config_.integer("fit_window"))) {
            sum_ -= confidences_.front();
            confidences_.erase(confidences_.begin());
        }
        const double strength = clamp1(2 * p_up - 1);
        if (!long_ && p_up >= config_.number("min_p_up") &&
            confidence >= config_.number("min_confidence")) {
            BarInput none;
            enter(none, 0, strength, confidence,
                  "champion model: p_up " + fixed(p_up, 3) + " with confidence " +
                      fixed(confidence, 3));
        } else if (long_ && p_up < config_.number("exit_p_up")) {
            leave(strength, confidence,
                  "champion model: p_up " + fixed(p_up, 3) + " fell below " +
                      general(config_.number("exit_p_up")));
        }
    }

    // What the champions have shown of their out-of-sample skill: their mean confidence.
    double fit(const Regime& /*regime*/) const override {
        return confidences_.empty() ? 0 : sum_ / static_cast<double>(confidences_.size());
    }

    std::string fit_reason(const Regime& r) const override {
        if (confidences_.empty()) {
            return "ml has seen no prediction of a champion model";
        }
        return "ml fits as far as the champions' confidence goes: mean " + fixed(fit(r), 2) +
               " over " + std::to_string(confidences_.size()) + " predictions";
    }

    void reset() override {} // predictions do not depend on this series' warm-up

private:
    std::vector<double> confidences_;
    double sum_ = 0;
};

} // namespace

void Strategy::on_prediction(std::int64_t /*ts*/, bool /*champion*/, double /*p_up*/,
                             double /*confidence*/) {}

void Strategy::reset() {
    warm_ = false;
    exposure_ = 0;
    legs_.clear();
    ++legs_seq_;
}

void Strategy::set_signal(std::string side, double strength, double confidence,
                          std::string reason) {
    signal_.side = std::move(side);
    signal_.strength = clamp1(strength);
    signal_.confidence = std::clamp(confidence, 0.0, 1.0);
    signal_.reason = std::move(reason);
    reason_ = nullptr;
    ++signal_seq_;
}

void Strategy::set_signal(std::string side, double strength, double confidence,
                          std::function<std::string()> reason) {
    set_signal(std::move(side), strength, confidence, std::string());
    reason_ = std::move(reason);
}

void Strategy::set_target(double frac) {
    ++legs_seq_;
    legs_.clear();
    Leg leg;
    leg.id = "target";
    leg.target = true;
    leg.equity_frac = frac;
    legs_.push_back(std::move(leg));
}

std::unique_ptr<Strategy> make_strategy(const StrategyConfig& c) {
    if (c.kind == "grid") {
        return std::make_unique<Grid>(c);
    }
    if (c.kind == "trend") {
        return std::make_unique<Trend>(c);
    }
    if (c.kind == "mean_reversion") {
        return std::make_unique<MeanReversion>(c);
    }
    if (c.kind == "ml") {
        return std::make_unique<Ml>(c);
    }
    if (c.kind == "rules") {
        return make_rules_strategy(c);
    }
    throw std::logic_error("no strategy kind " + c.kind);
}

std::vector<double> grid_ladder(double lower, double upper, int levels, bool geometric) {
    std::vector<double> out(static_cast<std::size_t>(levels));
    const double n = levels - 1;
    for (int i = 0; i < levels; ++i) {
        const double t = i / n;
        out[static_cast<std::size_t>(i)] =
            i == 0 ? lower
            : i == levels - 1
                ? upper
                : (geometric ? lower * std::pow(upper / lower, t) : lower + (upper - lower) * t);
    }
    return out;
}

std::string number_text(double v) {
    std::string s;
    core::append_double(s, v);
    return s;
}

} // namespace okxkit::strategy
