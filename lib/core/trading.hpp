// Typed decision and execution messages of okxkit(7): regime to portfolio, written and parsed.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace okxkit::core {

// ---------------------------------------------------------------------------------------
// Enumerated strings. to_text gives the spelling of okxkit(7) ("?" for a value outside the
// enum, which no writer writes); from_text<E> reads it back (nullopt for any other text,
// case-sensitive). Both O(1) for these few values, no allocation.

enum class Side { kBuy, kSell };                      // buy sell
enum class SignalSide { kBuy, kSell, kFlat };         // buy sell flat
enum class OrdType { kMarket, kLimit, kPostOnly };    // market limit post_only
enum class IntentAction { kPlace, kCancel, kTarget }; // place cancel target
enum class RiskAction { kReject, kAdjust, kHalt, kResume };
enum class OrderState { kLive, kPartiallyFilled, kFilled, kCanceled, kRejected };
enum class Liquidity { kMaker, kTaker };
enum class Mode { kPaper, kDemo, kLive };
enum class RegimeLabel { kTrendUp, kTrendDown, kRange, kVolatile };

std::string_view to_text(Side v);
std::string_view to_text(SignalSide v);
std::string_view to_text(OrdType v);
std::string_view to_text(IntentAction v);
std::string_view to_text(RiskAction v);
std::string_view to_text(OrderState v);
std::string_view to_text(Liquidity v);
std::string_view to_text(Mode v);
std::string_view to_text(RegimeLabel v);

// Defined for the nine enums above only.
template <class E> std::optional<E> from_text(std::string_view text);

// ---------------------------------------------------------------------------------------
// The messages. Field names are those of okxkit(7); a std::optional that is empty is a field
// left out (or read as null, which okxkit(7) lets every optional field be), except where a
// comment says it is written as null.

// The fields common to every kind.
struct MessageCommon {
    std::int64_t ts = 0; // event time, ms
    // Instrument id. Always written on the kinds that require it (all but sync and portfolio,
    // where it is optional and written only when not empty; so there "" means absent).
    std::string inst;
    std::optional<std::string> run;
    std::optional<std::string> src;
    std::optional<std::int64_t> recv_ts;
    bool operator==(const MessageCommon&) const = default;
};

struct Regime : MessageCommon {
    std::string bar;
    double score = 0;
    RegimeLabel label = RegimeLabel::kRange;
    // The parts of the score, name and value, written in this order. Names must differ. A
    // parsed regime has them in the order the JSON object iterates, which for nlohmann::json
    // is sorted by name (byte order), whatever the order of the text.
    std::vector<std::pair<std::string, double>> components;
    bool operator==(const Regime&) const = default;
};

struct Assignment : MessageCommon {
    std::string strategy;
    std::optional<std::string> template_file; // JSON "template"
    double suitability = 0;
    std::optional<std::string> prev;  // required: written as null when empty
    std::vector<std::string> reasons; // required: written as [] when empty
    bool operator==(const Assignment&) const = default;
};

struct Signal : MessageCommon {
    std::string strategy;
    SignalSide side = SignalSide::kFlat;
    double strength = 0;
    double confidence = 0;
    std::string reason;
    bool operator==(const Signal&) const = default;
};

// One rung of an intent's take-profit ladder: {"px": price, "frac": fraction of the size}.
struct TakeProfit {
    double px = 0;   // > 0
    double frac = 0; // in (0, 1]
    bool operator==(const TakeProfit&) const = default;
};

// An intent's stop loss: {"px": price}.
struct StopLoss {
    double px = 0; // > 0
    bool operator==(const StopLoss&) const = default;
};

// An intent's trailing stop: {"offset_frac": distance as a fraction of the price}.
struct Trail {
    double offset_frac = 0; // > 0
    bool operator==(const Trail&) const = default;
};

struct Intent : MessageCommon {
    std::string strategy;
    std::string leg;
    IntentAction action = IntentAction::kPlace;
    // Required to place; a cancel may and a target need not say them.
    std::optional<Side> side = Side::kBuy;
    std::optional<OrdType> ord_type = OrdType::kMarket;
    std::optional<double> px;
    std::optional<double> sz;
    std::optional<double> notional;
    std::optional<double> equity_frac;
    std::optional<bool> reduce_only;
    std::optional<bool> approved;
    std::vector<TakeProfit> tp; // empty: no "tp" field (an empty or null "tp" reads as empty)
    std::optional<StopLoss> sl;
    std::optional<Trail> trail;
    bool operator==(const Intent&) const = default;
};

struct Risk : MessageCommon {
    RiskAction action = RiskAction::kReject;
    std::string code;
    std::string limit;
    std::optional<double> value;     // required: written as null when empty
    std::optional<double> threshold; // required: written as null when empty
    std::optional<std::string> strategy;
    std::optional<std::string> leg;
    std::string detail;
    bool operator==(const Risk&) const = default;
};

// A barrier; inst is optional (empty: not written).
struct Sync : MessageCommon {
    std::int64_t id = 0;
    bool operator==(const Sync&) const = default;
};

struct Order : MessageCommon {
    std::string cl_ord_id;
    std::optional<std::string> ord_id;
    std::string strategy;
    std::string leg;
    Side side = Side::kBuy;
    OrdType ord_type = OrdType::kMarket;
    std::optional<double> px;
    double sz = 0;
    OrderState state = OrderState::kLive;
    double filled_sz = 0;
    std::optional<double> avg_px;
    std::optional<std::string> reason;
    Mode mode = Mode::kPaper;
    bool operator==(const Order&) const = default;
};

struct Fill : MessageCommon {
    std::string cl_ord_id;
    std::optional<std::string> ord_id;
    std::string trade_id;
    std::string strategy;
    std::string leg;
    Side side = Side::kBuy;
    double px = 0;
    double sz = 0;
    double fee = 0; // positive when paid
    std::string fee_ccy;
    Liquidity liquidity = Liquidity::kTaker;
    Mode mode = Mode::kPaper;
    bool operator==(const Fill&) const = default;
};

struct Position : MessageCommon {
    double sz = 0;
    double avg_px = 0;
    double mark_px = 0;
    double upl = 0;
    double rpl = 0;
    double fees = 0;
    bool operator==(const Position&) const = default;
};

// The whole account; inst is optional (empty: not written).
struct Portfolio : MessageCommon {
    double cash = 0;
    double equity = 0;
    double gross_exposure = 0;
    double net_exposure = 0;
    double drawdown = 0;
    double day_pnl = 0;
    bool halted = false;
    bool operator==(const Portfolio&) const = default;
};

// The version of every kind above that this build reads and writes.
inline constexpr int kTradingVersion = 1;

// ---------------------------------------------------------------------------------------
// Writers. Each appends one message to out: compact JSON, no newline. Field order is fixed:
// type, v, ts, inst, then run, src, recv_ts when present, then the kind's fields in the order
// of okxkit(7), optional ones left out when absent ("or null" ones written as null). Numbers
// are written by append_double (shortest round trip), strings by append_json_string. Cost:
// O(size of the message), no allocation beyond the buffer's growth, except on failure.
//
// A writer never writes a line its parser would reject. It throws core::RuntimeError (exit 1),
// leaving out as it was, when a number is NaN or infinite, when a string is not valid UTF-8,
// when a tp rung, sl or trail breaks the rules its parser checks (see below), or when two
// regime components have the same name. Note: -0.0 is written "-0", which reads back as 0.

void append_message(std::string& out, const Regime& m);
void append_message(std::string& out, const Assignment& m);
void append_message(std::string& out, const Signal& m);
void append_message(std::string& out, const Intent& m);
void append_message(std::string& out, const Risk& m);
void append_message(std::string& out, const Sync& m);
void append_message(std::string& out, const Order& m);
void append_message(std::string& out, const Fill& m);
void append_message(std::string& out, const Position& m);
void append_message(std::string& out, const Portfolio& m);

// ---------------------------------------------------------------------------------------
// Parsers. parse_<kind>(msg) returns the typed message, or nullopt with the reason in
// *error (when error is not null). In this order, each parser:
//  1. runs validate_message(msg) and fails with its text when it fails;
//  2. fails when "type" is not its kind: 'expected type "intent", not "signal"';
//  3. fails when "v" is above kTradingVersion, so that no caller acts on a layout it does
//     not know: 'intent version 2 is newer than this build understands (1)' (validate_message
//     accepts a later version, and refuses one below 1);
//  4. checks the inside of the fields the schema only knows as "array" or "object":
//     - intent "tp": every entry an object with "px" and "frac", finite numbers, px > 0 and
//       0 < frac <= 1 ('field "tp[0]" must be an object', 'missing field "tp[0].frac"',
//       'field "tp[0].px" must be a number', '... must be finite', '... must be above 0',
//       'field "tp[0].frac" must be above 0 and at most 1'); entries are counted from 0;
//     - intent "sl": "px", a finite number > 0 ('missing field "sl.px"', ...);
//     - intent "trail": "offset_frac", a finite number > 0 ('missing field
//       "trail.offset_frac"', ...);
//     - regime "components": every value a finite number ('field "components.adx" must be a
//       number', '... must be finite');
//     - assignment "reasons": every entry a string ('field "reasons[1]" must be a string').
// Nothing else is checked: value ranges of the scalar fields (a score above 1, a negative
// size) are the business of the stages. Unknown fields are ignored, also inside tp, sl and
// trail. null in an optional field reads as absent. Cost: O(size of the message).

// The "type" of a message, or "" when msg is not an object with a string "type". O(log n).
// The view points into msg, so a temporary msg is refused.
std::string_view kind_of(const nlohmann::json& msg);
std::string_view kind_of(const nlohmann::json&& msg) = delete;

std::optional<Regime> parse_regime(const nlohmann::json& msg, std::string* error = nullptr);
std::optional<Assignment> parse_assignment(const nlohmann::json& msg, std::string* error = nullptr);
std::optional<Signal> parse_signal(const nlohmann::json& msg, std::string* error = nullptr);
// validated: msg already passed validate_message (a filter stage's message), so it is not
// checked twice.
std::optional<Intent> parse_intent(const nlohmann::json& msg, std::string* error = nullptr,
                                   bool validated = false);
std::optional<Risk> parse_risk(const nlohmann::json& msg, std::string* error = nullptr);
std::optional<Sync> parse_sync(const nlohmann::json& msg, std::string* error = nullptr);
std::optional<Order> parse_order(const nlohmann::json& msg, std::string* error = nullptr);
std::optional<Fill> parse_fill(const nlohmann::json& msg, std::string* error = nullptr);
std::optional<Position> parse_position(const nlohmann::json& msg, std::string* error = nullptr);
std::optional<Portfolio> parse_portfolio(const nlohmann::json& msg, std::string* error = nullptr);

// The hot path of an intent line, in exactly the layout append_message writes (type, v, ts,
// inst, then the intent's fields in their order, no run, src or recv_ts, strings of plain
// printable ASCII): reads it without a JSON tree into out. False for anything else, and the
// caller takes the general path (parse_json, validate_message, parse_intent), which judges
// the line; a line taken is one that path accepts, with the same intent (fuzz_json_reader
// checks this). O(length).
bool read_intent_fast(std::string_view line, Intent& out);

// The same from one line of text (a trailing newline is fine). Text that is not JSON fails
// with "not valid JSON" (numbers beyond the range of double, like 1e999, are not JSON here).
std::optional<Regime> parse_regime_line(std::string_view line, std::string* error = nullptr);
std::optional<Assignment> parse_assignment_line(std::string_view line,
                                                std::string* error = nullptr);
std::optional<Signal> parse_signal_line(std::string_view line, std::string* error = nullptr);
std::optional<Intent> parse_intent_line(std::string_view line, std::string* error = nullptr);
std::optional<Risk> parse_risk_line(std::string_view line, std::string* error = nullptr);
std::optional<Sync> parse_sync_line(std::string_view line, std::string* error = nullptr);
std::optional<Order> parse_order_line(std::string_view line, std::string* error = nullptr);
std::optional<Fill> parse_fill_line(std::string_view line, std::string* error = nullptr);
std::optional<Position> parse_position_line(std::string_view line, std::string* error = nullptr);
std::optional<Portfolio> parse_portfolio_line(std::string_view line, std::string* error = nullptr);

} // namespace okxkit::core
