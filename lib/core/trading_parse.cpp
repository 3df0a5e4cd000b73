// Typed decision and execution messages: the parsers, after the schema module's checks.
#include "core/trading.hpp"

#include "core/trading_rules.hpp"

#include "core/error.hpp"
#include "core/json_out.hpp"
#include "core/json_scan.hpp"
#include "core/message.hpp"

#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <type_traits>

namespace okxkit::core {

using nlohmann::json;
using namespace trading_rules; // NOLINT(google-build-using-namespace): this module's own rules

// ---------------------------------------------------------------------------------------
// Parsing. The readers below run after validate_message, so a required field is present with
// its type and an optional one is absent, null or of its type.

std::string_view kind_of(const json& msg) {
    if (!msg.is_object()) {
        return {};
    }
    auto it = msg.find("type");
    if (it == msg.end() || !it->is_string()) {
        return {};
    }
    return it->get_ref<const std::string&>();
}

namespace {

// The field's value, or nullptr when it is absent or null.
const json* present(const json& msg, std::string_view name) {
    auto it = msg.find(name);
    return it == msg.end() || it->is_null() ? nullptr : &*it;
}

std::string text(const json& msg, std::string_view name) {
    return msg.at(name).get<std::string>();
}

std::optional<std::string> optional_text(const json& msg, std::string_view name) {
    const json* v = present(msg, name);
    return v == nullptr ? std::nullopt : std::optional(v->get<std::string>());
}

double number(const json& msg, std::string_view name) {
    return msg.at(name).get<double>();
}

std::optional<double> optional_number(const json& msg, std::string_view name) {
    const json* v = present(msg, name);
    return v == nullptr ? std::nullopt : std::optional(v->get<double>());
}

std::optional<bool> optional_boolean(const json& msg, std::string_view name) {
    const json* v = present(msg, name);
    return v == nullptr ? std::nullopt : std::optional(v->get<bool>());
}

template <class E> E enumerated(const json& msg, std::string_view name) {
    const auto& s = msg.at(name).get_ref<const std::string&>();
    if (auto v = from_text<E>(s)) {
        return *v;
    }
    // validate_message checked the value against kKinds; only a table out of step with the
    // enum gets here (the unit tests compare the two).
    throw std::logic_error("trading: \"" + s + "\" of field \"" + std::string(name) +
                           "\" has no enumerator");
}

template <class E> std::optional<E> optional_enumerated(const json& msg, std::string_view name) {
    if (present(msg, name) == nullptr) {
        return std::nullopt;
    }
    return enumerated<E>(msg, name);
}

// Reads a number member of a nested object (tp rung, sl, trail): present, a number, finite,
// then the rule's check. Returns the problem, naming the field by path.
std::optional<std::string> inner_number(const json& object, std::string_view member,
                                        const std::string& path,
                                        std::optional<std::string_view> (*rule)(double),
                                        double& out) {
    auto it = object.find(member);
    if (it == object.end()) {
        return "missing field \"" + path + "\"";
    }
    if (!it->is_number()) {
        return "field \"" + path + "\" must be a number";
    }
    out = it->get<double>();
    if (auto p = rule(out)) {
        return "field \"" + path + "\" " + std::string(*p);
    }
    return std::nullopt;
}

void set_error(std::string* error, std::string text) {
    if (error != nullptr) {
        *error = std::move(text);
    }
}

// Steps 1 to 3 of the parsers (see trading.hpp), then the common fields and body(msg, m),
// which reads the kind's fields and returns the problem of a nested field, if any.
template <class T, class Body>
std::optional<T> parse_kind(const json& msg, std::string_view kind, std::string* error, Body body,
                            bool validated = false) {
    if (auto err = validated ? std::nullopt : validate_message(msg)) {
        set_error(error, std::move(*err));
        return std::nullopt;
    }
    const std::string_view type = kind_of(msg);
    if (type != kind) {
        set_error(error,
                  "expected type \"" + std::string(kind) + "\", not \"" + std::string(type) + "\"");
        return std::nullopt;
    }
    const auto v = msg.at("v").get<std::int64_t>();
    if (v > kTradingVersion) {
        set_error(error, std::string(kind) + " version " + std::to_string(v) +
                             " is newer than this build understands (" +
                             std::to_string(kTradingVersion) + ")");
        return std::nullopt;
    }
    T m;
    m.ts = msg.at("ts").get<std::int64_t>();
    if (const json* inst = present(msg, "inst")) {
        m.inst = inst->get<std::string>();
    }
    m.run = optional_text(msg, "run");
    m.src = optional_text(msg, "src");
    if (const json* recv_ts = present(msg, "recv_ts")) {
        m.recv_ts = recv_ts->get<std::int64_t>();
    }
    if (std::optional<std::string> problem = body(msg, m)) {
        set_error(error, std::move(*problem));
        return std::nullopt;
    }
    return m;
}

using Problem = std::optional<std::string>;

template <class T, class Parse>
std::optional<T> parse_text(std::string_view line, std::string* error, Parse parse) {
    const json msg = parse_json(line);
    if (msg.is_discarded()) {
        set_error(error, "not valid JSON");
        return std::nullopt;
    }
    return parse(msg, error);
}

} // namespace

std::optional<Regime> parse_regime(const json& msg, std::string* error) {
    return parse_kind<Regime>(msg, "regime", error, [](const json& j, Regime& m) -> Problem {
        m.bar = text(j, "bar");
        m.score = number(j, "score");
        m.label = enumerated<RegimeLabel>(j, "label");
        const json& components = j.at("components");
        m.components.reserve(components.size());
        for (const auto& [name, value] : components.items()) {
            if (!value.is_number()) {
                return "field \"" + dotted("components", name) + "\" must be a number";
            }
            if (!std::isfinite(value.get<double>())) {
                return "field \"" + dotted("components", name) + "\" must be finite";
            }
            m.components.emplace_back(name, value.get<double>());
        }
        return std::nullopt;
    });
}

std::optional<Assignment> parse_assignment(const json& msg, std::string* error) {
    return parse_kind<Assignment>(
        msg, "assignment", error, [](const json& j, Assignment& m) -> Problem {
            m.strategy = text(j, "strategy");
            m.template_file = optional_text(j, "template");
            m.suitability = number(j, "suitability");
            m.prev = optional_text(j, "prev");
            const json& reasons = j.at("reasons");
            m.reasons.reserve(reasons.size());
            for (std::size_t i = 0; i < reasons.size(); ++i) {
                if (!reasons[i].is_string()) {
                    return "field \"" + indexed("reasons", i) + "\" must be a string";
                }
                m.reasons.push_back(reasons[i].get<std::string>());
            }
            return std::nullopt;
        });
}

std::optional<Signal> parse_signal(const json& msg, std::string* error) {
    return parse_kind<Signal>(msg, "signal", error, [](const json& j, Signal& m) -> Problem {
        m.strategy = text(j, "strategy");
        m.side = enumerated<SignalSide>(j, "side");
        m.strength = number(j, "strength");
        m.confidence = number(j, "confidence");
        m.reason = text(j, "reason");
        return std::nullopt;
    });
}

std::optional<Intent> parse_intent(const json& msg, std::string* error, bool validated) {
    return parse_kind<Intent>(
        msg, "intent", error,
        [](const json& j, Intent& m) -> Problem {
            m.strategy = text(j, "strategy");
            m.leg = text(j, "leg");
            m.action = enumerated<IntentAction>(j, "action");
            m.side = optional_enumerated<Side>(j, "side");
            m.ord_type = optional_enumerated<OrdType>(j, "ord_type");
            m.px = optional_number(j, "px");
            m.sz = optional_number(j, "sz");
            m.notional = optional_number(j, "notional");
            m.equity_frac = optional_number(j, "equity_frac");
            m.reduce_only = optional_boolean(j, "reduce_only");
            m.approved = optional_boolean(j, "approved");
            if (const json* tp = present(j, "tp")) {
                m.tp.reserve(tp->size());
                for (std::size_t i = 0; i < tp->size(); ++i) {
                    const json& rung = (*tp)[i];
                    if (!rung.is_object()) {
                        return "field \"" + indexed("tp", i) + "\" must be an object";
                    }
                    TakeProfit r;
                    if (auto p =
                            inner_number(rung, "px", indexed("tp", i, "px"), price_problem, r.px)) {
                        return p;
                    }
                    if (auto p = inner_number(rung, "frac", indexed("tp", i, "frac"), frac_problem,
                                              r.frac)) {
                        return p;
                    }
                    m.tp.push_back(r);
                }
            }
            if (const json* sl = present(j, "sl")) {
                StopLoss s;
                if (auto p = inner_number(*sl, "px", "sl.px", price_problem, s.px)) {
                    return p;
                }
                m.sl = s;
            }
            if (const json* trail = present(j, "trail")) {
                Trail t;
                if (auto p = inner_number(*trail, "offset_frac", "trail.offset_frac",
                                          offset_problem, t.offset_frac)) {
                    return p;
                }
                m.trail = t;
            }
            return std::nullopt;
        },
        validated);
}

std::optional<Risk> parse_risk(const json& msg, std::string* error) {
    return parse_kind<Risk>(msg, "risk", error, [](const json& j, Risk& m) -> Problem {
        m.action = enumerated<RiskAction>(j, "action");
        m.code = text(j, "code");
        m.limit = text(j, "limit");
        m.value = optional_number(j, "value");
        m.threshold = optional_number(j, "threshold");
        m.strategy = optional_text(j, "strategy");
        m.leg = optional_text(j, "leg");
        m.detail = text(j, "detail");
        return std::nullopt;
    });
}

std::optional<Sync> parse_sync(const json& msg, std::string* error) {
    return parse_kind<Sync>(msg, "sync", error, [](const json& j, Sync& m) -> Problem {
        m.id = j.at("id").get<std::int64_t>();
        return std::nullopt;
    });
}

std::optional<Order> parse_order(const json& msg, std::string* error) {
    return parse_kind<Order>(msg, "order", error, [](const json& j, Order& m) -> Problem {
        m.cl_ord_id = text(j, "cl_ord_id");
        m.ord_id = optional_text(j, "ord_id");
        m.strategy = text(j, "strategy");
        m.leg = text(j, "leg");
        m.side = enumerated<Side>(j, "side");
        m.ord_type = enumerated<OrdType>(j, "ord_type");
        m.px = optional_number(j, "px");
        m.sz = number(j, "sz");
        m.state = enumerated<OrderState>(j, "state");
        m.filled_sz = number(j, "filled_sz");
        m.avg_px = optional_number(j, "avg_px");
        m.reason = optional_text(j, "reason");
        m.mode = enumerated<Mode>(j, "mode");
        return std::nullopt;
    });
}

std::optional<Fill> parse_fill(const json& msg, std::string* error) {
    return parse_kind<Fill>(msg, "fill", error, [](const json& j, Fill& m) -> Problem {
        m.cl_ord_id = text(j, "cl_ord_id");
        m.ord_id = optional_text(j, "ord_id");
        m.trade_id = text(j, "trade_id");
        m.strategy = text(j, "strategy");
        m.leg = text(j, "leg");
        m.side = enumerated<Side>(j, "side");
        m.px = number(j, "px");
        m.sz = number(j, "sz");
        m.fee = number(j, "fee");
        m.fee_ccy = text(j, "fee_ccy");
        m.liquidity = enumerated<Liquidity>(j, "liquidity");
        m.mode = enumerated<Mode>(j, "mode");
        return std::nullopt;
    });
}

std::optional<Position> parse_position(const json& msg, std::string* error) {
    return parse_kind<Position>(msg, "position", error, [](const json& j, Position& m) -> Problem {
        m.sz = number(j, "sz");
        m.avg_px = number(j, "avg_px");
        m.mark_px = number(j, "mark_px");
        m.upl = number(j, "upl");
        m.rpl = number(j, "rpl");
        m.fees = number(j, "fees");
        return std::nullopt;
    });
}

std::optional<Portfolio> parse_portfolio(const json& msg, std::string* error) {
    return parse_kind<Portfolio>(msg, "portfolio", error,
                                 [](const json& j, Portfolio& m) -> Problem {
                                     m.cash = number(j, "cash");
                                     m.equity = number(j, "equity");
                                     m.gross_exposure = number(j, "gross_exposure");
                                     m.net_exposure = number(j, "net_exposure");
                                     m.drawdown = number(j, "drawdown");
                                     m.day_pnl = number(j, "day_pnl");
                                     m.halted = j.at("halted").get<bool>();
                                     return std::nullopt;
                                 });
}

std::optional<Regime> parse_regime_line(std::string_view line, std::string* error) {
    return parse_text<Regime>(line, error,
                              [](const json& j, std::string* e) { return parse_regime(j, e); });
}
std::optional<Assignment> parse_assignment_line(std::string_view line, std::string* error) {
    return parse_text<Assignment>(
        line, error, [](const json& j, std::string* e) { return parse_assignment(j, e); });
}
std::optional<Signal> parse_signal_line(std::string_view line, std::string* error) {
    return parse_text<Signal>(line, error,
                              [](const json& j, std::string* e) { return parse_signal(j, e); });
}
namespace {

// A cursor over one line for read_intent_fast: each step either consumes exactly what it
// expects or reports false, after which the line goes to the general path.
struct Cursor {
    std::string_view s;
    std::size_t i = 0;

    bool lit(std::string_view t) {
        if (s.substr(i, t.size()) != t) {
            return false;
        }
        i += t.size();
        return true;
    }
    bool number(double& v) {
        const char* p = s.data() + i;
        if (!read_json_double(p, s.data() + s.size(), v)) {
            return false;
        }
        i = static_cast<std::size_t>(p - s.data());
        return true;
    }
    bool text(std::string& out) {
        std::string_view v;
        if (!scan_plain_string(s, i, v)) {
            return false;
        }
        out.assign(v);
        return true;
    }
    bool boolean(bool& b) {
        if (lit("true")) {
            b = true;
            return true;
        }
        if (lit("false")) {
            b = false;
            return true;
        }
        return false;
    }
    // An optional number field ,"key":N in its place.
    bool opt_number(std::string_view key, std::optional<double>& out) {
        if (!lit(key)) {
            return true;
        }
        double v = 0;
        if (!number(v)) {
            return false;
        }
        out = v;
        return true;
    }
};

} // namespace

bool read_intent_fast(std::string_view line, Intent& out) {
    Cursor c{line};
    Intent m;
    std::string word;
    if (!c.lit(R"({"type":"intent","v":1,"ts":)")) {
        return false;
    }
    if (!read_json_integer(line, c.i, m.ts) || !c.lit(R"(,"inst":)") || !c.text(m.inst) ||
        !c.lit(R"(,"strategy":)") || !c.text(m.strategy) || !c.lit(R"(,"leg":)") ||
        !c.text(m.leg) || !c.lit(R"(,"action":)") || !c.text(word)) {
        return false;
    }
    if (word == "place") {
        m.action = IntentAction::kPlace;
    } else if (word == "cancel") {
        m.action = IntentAction::kCancel;
    } else if (word == "target") {
        m.action = IntentAction::kTarget;
    } else {
        return false;
    }
    m.side.reset();
    m.ord_type.reset();
    if (c.lit(R"(,"side":)")) {
        if (!c.text(word) || (word != "buy" && word != "sell")) {
            return false;
        }
        m.side = word == "buy" ? Side::kBuy : Side::kSell;
    }
    if (c.lit(R"(,"ord_type":)")) {
        if (!c.text(word)) {
            return false;
        }
        if (word == "market") {
            m.ord_type = OrdType::kMarket;
        } else if (word == "limit") {
            m.ord_type = OrdType::kLimit;
        } else if (word == "post_only") {
            m.ord_type = OrdType::kPostOnly;
        } else {
            return false;
        }
    }
    if (!c.opt_number(R"(,"px":)", m.px) || !c.opt_number(R"(,"sz":)", m.sz) ||
        !c.opt_number(R"(,"notional":)", m.notional) ||
        !c.opt_number(R"(,"equity_frac":)", m.equity_frac)) {
        return false;
    }
    bool b = false;
    if (c.lit(R"(,"reduce_only":)")) {
        if (!c.boolean(b)) {
            return false;
        }
        m.reduce_only = b;
    }
    if (c.lit(R"(,"approved":)")) {
        if (!c.boolean(b)) {
            return false;
        }
        m.approved = b;
    }
    if (c.lit(R"(,"tp":[)")) {
        if (!c.lit("]")) {
            for (;;) {
                TakeProfit r;
                if (!c.lit(R"({"px":)") || !c.number(r.px) || !c.lit(R"(,"frac":)") ||
                    !c.number(r.frac) || !c.lit("}") || price_problem(r.px) ||
                    frac_problem(r.frac)) {
                    return false;
                }
                m.tp.push_back(r);
                if (c.lit("]")) {
                    break;
                }
                if (!c.lit(",")) {
                    return false;
                }
            }
        }
    }
    if (c.lit(R"(,"sl":{"px":)")) {
        StopLoss sl;
        if (!c.number(sl.px) || !c.lit("}") || price_problem(sl.px)) {
            return false;
        }
        m.sl = sl;
    }
    if (c.lit(R"(,"trail":{"offset_frac":)")) {
        Trail t;
        if (!c.number(t.offset_frac) || !c.lit("}") || offset_problem(t.offset_frac)) {
            return false;
        }
        m.trail = t;
    }
    if (!c.lit("}") || c.i != line.size()) {
        return false;
    }
    // What validate_message requires by action.
    if (m.action == IntentAction::kPlace && (!m.side || !m.ord_type)) {
        return false;
    }
    if (m.action == IntentAction::kTarget &&
        !(m.equity_frac && *m.equity_frac >= 0 && *m.equity_frac <= 1)) {
        return false;
    }
    out = std::move(m);
    return true;
}

std::optional<Intent> parse_intent_line(std::string_view line, std::string* error) {
    return parse_text<Intent>(line, error,
                              [](const json& j, std::string* e) { return parse_intent(j, e); });
}
std::optional<Risk> parse_risk_line(std::string_view line, std::string* error) {
    return parse_text<Risk>(line, error,
                            [](const json& j, std::string* e) { return parse_risk(j, e); });
}
std::optional<Sync> parse_sync_line(std::string_view line, std::string* error) {
    return parse_text<Sync>(line, error,
                            [](const json& j, std::string* e) { return parse_sync(j, e); });
}
std::optional<Order> parse_order_line(std::string_view line, std::string* error) {
    return parse_text<Order>(line, error,
                             [](const json& j, std::string* e) { return parse_order(j, e); });
}
std::optional<Fill> parse_fill_line(std::string_view line, std::string* error) {
    return parse_text<Fill>(line, error,
                            [](const json& j, std::string* e) { return parse_fill(j, e); });
}
std::optional<Position> parse_position_line(std::string_view line, std::string* error) {
    return parse_text<Position>(line, error,
                                [](const json& j, std::string* e) { return parse_position(j, e); });
}
std::optional<Portfolio> parse_portfolio_line(std::string_view line, std::string* error) {
    return parse_text<Portfolio>(
        line, error, [](const json& j, std::string* e) { return parse_portfolio(j, e); });
}

} // namespace okxkit::core
