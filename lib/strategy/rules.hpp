// The rules strategy kind: a small graph written in the strategy file. Indicators (features of
// lib/features) and prices are series; conditions compare series or combine conditions; actions
// turn a condition into a target, a close or a limit order on the book. No expressions, no code.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::strategy {

// What a condition reads: a number, a price of the candle, an indicator or another condition.
struct Operand {
    enum class Kind { kNumber, kPrice, kIndicator, kCondition };
    Kind kind = Kind::kNumber;
    double number = 0;     // kNumber
    std::size_t index = 0; // kPrice: 0 open .. 4 volume; kIndicator, kCondition: position in Rules
    std::string text;      // as the file writes it (an id, a price name or the number)
};

enum class RuleOp { kGt, kLt, kCrossAbove, kCrossBelow, kBetween, kAnd, kOr, kNot };

struct RuleCondition {
    std::string id;
    RuleOp op = RuleOp::kGt;
    // gt, lt, cross_*: a, b; between: a, lo, hi; and, or: the conditions; not: the condition.
    std::vector<Operand> args;
};

enum class RuleAct { kTarget, kClose, kPlace };

struct RuleAction {
    std::string id;
    std::size_t when = 0; // the condition, by position in Rules::conditions
    RuleAct act = RuleAct::kTarget;
    double equity_frac = 0; // target: the share held; place: the order's size
    std::string side;       // place: buy or sell
    std::string ord_type;   // place: limit or post_only
    double offset = 0;      // place: price = close * (1 + offset)
};

struct RuleIndicator {
    std::string id;
    std::string feature; // a feature name of lib/features ("ema_12")
};

// A checked rules graph. Conditions are stored so that each comes after those it reads.
struct Rules {
    std::string fits = "any"; // the regime it suits: trend_up, trend_down, range, volatile, any
    std::vector<RuleIndicator> indicators;
    std::vector<RuleCondition> conditions;
    std::vector<RuleAction> actions; // file order: the later of two that fire on a bar wins
    // Whether the actions place orders (place) rather than state a target (target, close).
    [[nodiscard]] bool places() const;
    // The graph as one compact JSON object (for the store's parameters).
    [[nodiscard]] std::string json() const;
};

std::string_view op_name(RuleOp op);
std::string_view act_name(RuleAct act);

// The price series a condition may read, by Operand::index.
inline constexpr std::string_view kPriceNames[] = {"open", "high", "low", "close", "volume"};

// The rules kind's part of the strategy files' JSON Schema: the properties of a rules file
// (fits, indicators, conditions, actions), as the members of a JSON object, without braces.
std::string rules_schema_properties();

} // namespace okxkit::strategy
