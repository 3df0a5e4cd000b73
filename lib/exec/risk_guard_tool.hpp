// risk-guard's command line, its decisions and its stage: intents in, approved intents (final
// size, exits attached) and risk lines out, decided against the account execute holds.
#pragma once

#include "core/cli.hpp"
#include "core/io.hpp"
#include "core/trading.hpp"
#include "exec/sync.hpp"
#include "risk/config_keys.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace okxkit::exec {

// The decisions, apart from any pipe or store: the account comes from a barrier (account()),
// prices and ATRs from the candles, confidences from the signals. Within one run of intents
// (no market data in between), the intents it approved are counted into the account as the
// open orders they become (a replace takes the leg's old order out first; a cancel takes it
// out), which is exactly what execute will hold when it reaches the next intent: orders fill
// only on later market data.
class Decider {
public:
    Decider(risk::GuardConfig config, risk::ConfiguredLimits limits, double taker_fee);

    void candle(const std::string& inst, double h, double l, double c);
    void signal(const std::string& strategy, const std::string& inst, double confidence);
    void account(AccountSnapshot a);
    [[nodiscard]] const risk::AccountView& view() const { return acct_; }
    // Whether the account may have changed since it was taken, after market data of the
    // instruments moved (and, with new_step, the close of a bar): an instrument that holds
    // nothing and has no working order cannot fill or move the equity; a bar's close moves
    // the kill switch only with a position held or a halt that lifts on the next day.
    [[nodiscard]] bool needs_account(const std::vector<std::string>& moved, bool new_step) const;

    struct Outcome {
        std::optional<core::Intent> approved; // to write, with approved: true
        std::vector<core::Risk> risks;        // adjustments and rejections, in order
    };
    // Decides one intent (ts: its event time). O(instruments + legs of the instrument).
    Outcome decide(const core::Intent& in);

private:
    struct Market {
        double close = 0;
        risk::Atr atr{14};
    };
    double price_of(const core::Intent& in) const;
    std::optional<LegOrder> take_leg(const std::string& strategy, const std::string& inst,
                                     const std::string& leg);
    void add_leg(LegOrder l);
    core::Risk risk_line(const core::Intent& in, const risk::Decision& d) const;
    core::Risk refusal(const core::Intent& in, std::string code, std::string limit, double value,
                       double threshold, std::string detail) const;
    Outcome place(core::Intent in);

    risk::GuardConfig config_;
    risk::Guard guard_;
    double taker_fee_;
    std::map<std::string, Market, std::less<>> market_;
    std::map<std::string, double, std::less<>> confidence_; // strategy \x1f inst
    risk::AccountView acct_;                                // equity and instruments, as decided
    std::map<std::string, LegOrder, std::less<>>
        legs_; // working entries: strategy \x1f inst \x1f leg
    bool halted_ = false;
    std::string halt_code_;
};

struct RiskGuardOptions {
    risk::GuardConfig config;
    risk::ConfiguredLimits limits;
    double taker_fee = 0.001;
    std::string bar = "5m";
    std::string store_path; // empty: no store
    std::string run_id = "default";
    bool sync = true;     // decide against execute's account at barriers (needs the store)
    double cash = 10'000; // without sync: the account assumed at the start
    std::int64_t sync_timeout_ms = 60'000;
    bool strict = false;
    std::size_t max_errors = 20;
};

struct RiskGuardStats {
    std::uint64_t intents = 0;
    std::uint64_t approved = 0;
    std::uint64_t adjusted = 0;
    std::uint64_t rejected = 0;
    std::uint64_t barriers = 0;
    std::uint64_t skipped_barriers = 0; // not needed: nothing could have changed
};

// The filter loop over in: returns the loop's exit code.
int risk_guard(const RiskGuardOptions& o, core::LineReader& in, core::Output& out,
               RiskGuardStats* stats = nullptr);

const core::ToolSpec& risk_guard_spec();
int risk_guard_main(const core::Options& options);

} // namespace okxkit::exec
