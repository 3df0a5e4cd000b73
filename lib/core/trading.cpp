// Typed decision and execution messages: enum spellings, writers and parsers.
#include "core/trading.hpp"

#include "core/trading_rules.hpp"

#include "core/error.hpp"
#include "core/json_out.hpp"
#include "core/message.hpp"

#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <type_traits>

namespace okxkit::core {

using nlohmann::json;

// ---------------------------------------------------------------------------------------
// Enum spellings, indexed by the enumerator's value (okxkit(7) and kKinds in message.cpp;
// the unit tests check that the two agree).

namespace {

constexpr std::array<std::string_view, 2> kSideText{"buy", "sell"};
constexpr std::array<std::string_view, 3> kSignalSideText{"buy", "sell", "flat"};
constexpr std::array<std::string_view, 3> kOrdTypeText{"market", "limit", "post_only"};
constexpr std::array<std::string_view, 3> kIntentActionText{"place", "cancel", "target"};
constexpr std::array<std::string_view, 4> kRiskActionText{"reject", "adjust", "halt", "resume"};
constexpr std::array<std::string_view, 5> kOrderStateText{"live", "partially_filled", "filled",
                                                          "canceled", "rejected"};
constexpr std::array<std::string_view, 2> kLiquidityText{"maker", "taker"};
constexpr std::array<std::string_view, 3> kModeText{"paper", "demo", "live"};
constexpr std::array<std::string_view, 4> kRegimeLabelText{"trend_up", "trend_down", "range",
                                                           "volatile"};

template <class E> constexpr const auto& spellings() {
    if constexpr (std::is_same_v<E, Side>) {
        return kSideText;
    } else if constexpr (std::is_same_v<E, SignalSide>) {
        return kSignalSideText;
    } else if constexpr (std::is_same_v<E, OrdType>) {
        return kOrdTypeText;
    } else if constexpr (std::is_same_v<E, IntentAction>) {
        return kIntentActionText;
    } else if constexpr (std::is_same_v<E, RiskAction>) {
        return kRiskActionText;
    } else if constexpr (std::is_same_v<E, OrderState>) {
        return kOrderStateText;
    } else if constexpr (std::is_same_v<E, Liquidity>) {
        return kLiquidityText;
    } else if constexpr (std::is_same_v<E, Mode>) {
        return kModeText;
    } else {
        static_assert(std::is_same_v<E, RegimeLabel>);
        return kRegimeLabelText;
    }
}

template <class E> std::string_view spelling(E v) {
    const auto& texts = spellings<E>();
    const auto i = static_cast<std::size_t>(v);
    return i < texts.size() ? texts[i] : std::string_view("?");
}

} // namespace

std::string_view to_text(Side v) {
    return spelling(v);
}
std::string_view to_text(SignalSide v) {
    return spelling(v);
}
std::string_view to_text(OrdType v) {
    return spelling(v);
}
std::string_view to_text(IntentAction v) {
    return spelling(v);
}
std::string_view to_text(RiskAction v) {
    return spelling(v);
}
std::string_view to_text(OrderState v) {
    return spelling(v);
}
std::string_view to_text(Liquidity v) {
    return spelling(v);
}
std::string_view to_text(Mode v) {
    return spelling(v);
}
std::string_view to_text(RegimeLabel v) {
    return spelling(v);
}

template <class E> std::optional<E> from_text(std::string_view text) {
    const auto& texts = spellings<E>();
    for (std::size_t i = 0; i < texts.size(); ++i) {
        if (texts[i] == text) {
            return static_cast<E>(i);
        }
    }
    return std::nullopt;
}

template std::optional<Side> from_text<Side>(std::string_view);
template std::optional<SignalSide> from_text<SignalSide>(std::string_view);
template std::optional<OrdType> from_text<OrdType>(std::string_view);
template std::optional<IntentAction> from_text<IntentAction>(std::string_view);
template std::optional<RiskAction> from_text<RiskAction>(std::string_view);
template std::optional<OrderState> from_text<OrderState>(std::string_view);
template std::optional<Liquidity> from_text<Liquidity>(std::string_view);
template std::optional<Mode> from_text<Mode>(std::string_view);
template std::optional<RegimeLabel> from_text<RegimeLabel>(std::string_view);

// ---------------------------------------------------------------------------------------
// Rules shared by writers and parsers, so that a writer never writes what a parser rejects.

namespace trading_rules {

// What is wrong with a price inside tp or sl, or nullopt.
std::optional<std::string_view> price_problem(double px) {
    if (!std::isfinite(px)) {
        return "must be finite";
    }
    if (!(px > 0)) {
        return "must be above 0";
    }
    return std::nullopt;
}

// What is wrong with a tp rung's fraction of the size, or nullopt.
std::optional<std::string_view> frac_problem(double frac) {
    if (!std::isfinite(frac)) {
        return "must be finite";
    }
    if (!(frac > 0 && frac <= 1)) {
        return "must be above 0 and at most 1";
    }
    return std::nullopt;
}

// What is wrong with a trailing stop's distance, or nullopt.
std::optional<std::string_view> offset_problem(double offset) {
    if (!std::isfinite(offset)) {
        return "must be finite";
    }
    if (!(offset > 0)) {
        return "must be above 0";
    }
    return std::nullopt;
}

// "tp[3].px"
std::string indexed(std::string_view array, std::size_t i, std::string_view member) {
    std::string name(array);
    name += '[';
    name += std::to_string(i);
    name += ']';
    if (!member.empty()) {
        name += '.';
        name += member;
    }
    return name;
}

// "components.adx"
std::string dotted(std::string_view object, std::string_view member) {
    std::string name(object);
    name += '.';
    name += member;
    return name;
}

} // namespace trading_rules

using namespace trading_rules; // NOLINT(google-build-using-namespace): this module's own rules

namespace {

// Well-formed UTF-8 (Unicode 15, table 3-7): no overlong forms, surrogates or code points
// above U+10FFFF, which is what nlohmann::json accepts in a string.
bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t extra = 0;
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
        } else if (c == 0xE0) {
            extra = 2;
            lo = 0xA0;
        } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
            extra = 2;
        } else if (c == 0xED) {
            extra = 2;
            hi = 0x9F;
        } else if (c == 0xF0) {
            extra = 3;
            lo = 0x90;
        } else if (c >= 0xF1 && c <= 0xF3) {
            extra = 3;
        } else if (c == 0xF4) {
            extra = 3;
            hi = 0x8F;
        } else {
            return false;
        }
        if (n - i <= extra) {
            return false;
        }
        const auto second = static_cast<unsigned char>(s[i + 1]);
        if (second < lo || second > hi) {
            return false;
        }
        for (std::size_t k = 2; k <= extra; ++k) {
            const auto next = static_cast<unsigned char>(s[i + k]);
            if (next < 0x80 || next > 0xBF) {
                return false;
            }
        }
        i += extra + 1;
    }
    return true;
}

// ---------------------------------------------------------------------------------------
// Writing

// Appends one message field by field; on a value it must not write, it restores the buffer
// and throws, so a caller never finds half a message in out.
class Writer {
public:
    Writer(std::string& out, std::string_view kind, const MessageCommon& m, bool inst_required)
        : out_(out), start_(out.size()), kind_(kind) {
        out_ += R"({"type":")";
        out_ += kind;
        out_ += R"(","v":)";
        append_int(out_, kTradingVersion);
        out_ += R"(,"ts":)";
        append_int(out_, m.ts);
        if (inst_required || !m.inst.empty()) {
            text("inst", m.inst);
        }
        if (m.run) {
            text("run", *m.run);
        }
        if (m.src) {
            text("src", *m.src);
        }
        if (m.recv_ts) {
            integer("recv_ts", *m.recv_ts);
        }
    }

    void text(std::string_view name, std::string_view v) {
        if (!valid_utf8(v)) {
            fail(name, "is not valid UTF-8");
        }
        key(name);
        append_json_string(out_, v);
    }
    void text_if(std::string_view name, const std::optional<std::string>& v) {
        if (v) {
            text(name, *v);
        }
    }
    void text_or_null(std::string_view name, const std::optional<std::string>& v) {
        if (v) {
            text(name, *v);
        } else {
            key(name);
            out_ += "null";
        }
    }
    void number(std::string_view name, double v) {
        if (!std::isfinite(v)) {
            fail(name, "is not finite");
        }
        key(name);
        append_double(out_, v);
    }
    void number_if(std::string_view name, std::optional<double> v) {
        if (v) {
            number(name, *v);
        }
    }
    void number_or_null(std::string_view name, std::optional<double> v) {
        if (v) {
            number(name, *v);
        } else {
            key(name);
            out_ += "null";
        }
    }
    void integer(std::string_view name, std::int64_t v) {
        key(name);
        append_int(out_, v);
    }
    void boolean(std::string_view name, bool v) {
        key(name);
        out_ += v ? "true" : "false";
    }
    void boolean_if(std::string_view name, std::optional<bool> v) {
        if (v) {
            boolean(name, *v);
        }
    }
    template <class E> void enumerated_if(std::string_view name, std::optional<E> v) {
        if (v) {
            enumerated(name, *v);
        }
    }
    template <class E> void enumerated(std::string_view name, E v) {
        const std::string_view t = to_text(v);
        if (t == "?") {
            fail(name, "is not one of its values");
        }
        key(name);
        out_ += '"';
        out_ += t;
        out_ += '"';
    }

    // Pieces for the nested fields: '"name":' with the comma before it, or raw text.
    void key(std::string_view name) {
        out_ += ",\"";
        out_ += name;
        out_ += "\":";
    }
    void raw(std::string_view s) { out_ += s; }
    void raw_number(double v) { append_double(out_, v); }
    void raw_text(std::string_view s) { append_json_string(out_, s); }

    void close() { out_ += '}'; }

    [[noreturn]] void fail(std::string_view field, std::string_view problem) {
        out_.resize(start_);
        std::string what = "cannot write ";
        what += kind_;
        what += ": field \"";
        what += field;
        what += "\" ";
        what += problem;
        throw RuntimeError(what);
    }

private:
    std::string& out_;
    std::size_t start_;
    std::string_view kind_;
};

} // namespace

void append_message(std::string& out, const Regime& m) {
    Writer w(out, "regime", m, true);
    w.text("bar", m.bar);
    w.number("score", m.score);
    w.enumerated("label", m.label);
    // Checked before the object is opened (fail() restores the buffer either way).
    for (std::size_t i = 0; i < m.components.size(); ++i) {
        const auto& [name, value] = m.components[i];
        if (!valid_utf8(name)) {
            w.fail("components", "has a name that is not valid UTF-8");
        }
        if (!std::isfinite(value)) {
            w.fail(dotted("components", name), "is not finite");
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (m.components[j].first == name) {
                w.fail(dotted("components", name), "appears twice");
            }
        }
    }
    w.key("components");
    w.raw("{");
    for (std::size_t i = 0; i < m.components.size(); ++i) {
        if (i > 0) {
            w.raw(",");
        }
        w.raw_text(m.components[i].first);
        w.raw(":");
        w.raw_number(m.components[i].second);
    }
    w.raw("}");
    w.close();
}

void append_message(std::string& out, const Assignment& m) {
    Writer w(out, "assignment", m, true);
    w.text("strategy", m.strategy);
    w.text_if("template", m.template_file);
    w.number("suitability", m.suitability);
    w.text_or_null("prev", m.prev);
    for (std::size_t i = 0; i < m.reasons.size(); ++i) {
        if (!valid_utf8(m.reasons[i])) {
            w.fail(indexed("reasons", i), "is not valid UTF-8");
        }
    }
    w.key("reasons");
    w.raw("[");
    for (std::size_t i = 0; i < m.reasons.size(); ++i) {
        if (i > 0) {
            w.raw(",");
        }
        w.raw_text(m.reasons[i]);
    }
    w.raw("]");
    w.close();
}

void append_message(std::string& out, const Signal& m) {
    Writer w(out, "signal", m, true);
    w.text("strategy", m.strategy);
    w.enumerated("side", m.side);
    w.number("strength", m.strength);
    w.number("confidence", m.confidence);
    w.text("reason", m.reason);
    w.close();
}

void append_message(std::string& out, const Intent& m) {
    Writer w(out, "intent", m, true);
    w.text("strategy", m.strategy);
    w.text("leg", m.leg);
    w.enumerated("action", m.action);
    // What validate_message requires by action (okxkit(7), intent).
    if (m.action == IntentAction::kPlace && !m.side) {
        w.fail("side", "is required to place");
    }
    if (m.action == IntentAction::kPlace && !m.ord_type) {
        w.fail("ord_type", "is required to place");
    }
    if (m.action == IntentAction::kTarget &&
        !(m.equity_frac && *m.equity_frac >= 0 && *m.equity_frac <= 1)) {
        w.fail("equity_frac", "is required from 0 to 1 with action target");
    }
    w.enumerated_if("side", m.side);
    w.enumerated_if("ord_type", m.ord_type);
    w.number_if("px", m.px);
    w.number_if("sz", m.sz);
    w.number_if("notional", m.notional);
    w.number_if("equity_frac", m.equity_frac);
    w.boolean_if("reduce_only", m.reduce_only);
    w.boolean_if("approved", m.approved);
    if (!m.tp.empty()) {
        for (std::size_t i = 0; i < m.tp.size(); ++i) {
            if (auto p = price_problem(m.tp[i].px)) {
                w.fail(indexed("tp", i, "px"), *p);
            }
            if (auto p = frac_problem(m.tp[i].frac)) {
                w.fail(indexed("tp", i, "frac"), *p);
            }
        }
        w.key("tp");
        w.raw("[");
        for (std::size_t i = 0; i < m.tp.size(); ++i) {
            w.raw(i == 0 ? R"({"px":)" : R"(,{"px":)");
            w.raw_number(m.tp[i].px);
            w.raw(R"(,"frac":)");
            w.raw_number(m.tp[i].frac);
            w.raw("}");
        }
        w.raw("]");
    }
    if (m.sl) {
        if (auto p = price_problem(m.sl->px)) {
            w.fail("sl.px", *p);
        }
        w.key("sl");
        w.raw(R"({"px":)");
        w.raw_number(m.sl->px);
        w.raw("}");
    }
    if (m.trail) {
        if (auto p = offset_problem(m.trail->offset_frac)) {
            w.fail("trail.offset_frac", *p);
        }
        w.key("trail");
        w.raw(R"({"offset_frac":)");
        w.raw_number(m.trail->offset_frac);
        w.raw("}");
    }
    w.close();
}

void append_message(std::string& out, const Risk& m) {
    Writer w(out, "risk", m, true);
    w.enumerated("action", m.action);
    w.text("code", m.code);
    w.text("limit", m.limit);
    w.number_or_null("value", m.value);
    w.number_or_null("threshold", m.threshold);
    w.text_if("strategy", m.strategy);
    w.text_if("leg", m.leg);
    w.text("detail", m.detail);
    w.close();
}

void append_message(std::string& out, const Sync& m) {
    Writer w(out, "sync", m, false);
    w.integer("id", m.id);
    w.close();
}

void append_message(std::string& out, const Order& m) {
    Writer w(out, "order", m, true);
    w.text("cl_ord_id", m.cl_ord_id);
    w.text_if("ord_id", m.ord_id);
    w.text("strategy", m.strategy);
    w.text("leg", m.leg);
    w.enumerated("side", m.side);
    w.enumerated("ord_type", m.ord_type);
    w.number_if("px", m.px);
    w.number("sz", m.sz);
    w.enumerated("state", m.state);
    w.number("filled_sz", m.filled_sz);
    w.number_if("avg_px", m.avg_px);
    w.text_if("reason", m.reason);
    w.enumerated("mode", m.mode);
    w.close();
}

void append_message(std::string& out, const Fill& m) {
    Writer w(out, "fill", m, true);
    w.text("cl_ord_id", m.cl_ord_id);
    w.text_if("ord_id", m.ord_id);
    w.text("trade_id", m.trade_id);
    w.text("strategy", m.strategy);
    w.text("leg", m.leg);
    w.enumerated("side", m.side);
    w.number("px", m.px);
    w.number("sz", m.sz);
    w.number("fee", m.fee);
    w.text("fee_ccy", m.fee_ccy);
    w.enumerated("liquidity", m.liquidity);
    w.enumerated("mode", m.mode);
    w.close();
}

void append_message(std::string& out, const Position& m) {
    Writer w(out, "position", m, true);
    w.number("sz", m.sz);
    w.number("avg_px", m.avg_px);
    w.number("mark_px", m.mark_px);
    w.number("upl", m.upl);
    w.number("rpl", m.rpl);
    w.number("fees", m.fees);
    w.close();
}

void append_message(std::string& out, const Portfolio& m) {
    Writer w(out, "portfolio", m, false);
    w.number("cash", m.cash);
    w.number("equity", m.equity);
    w.number("gross_exposure", m.gross_exposure);
    w.number("net_exposure", m.net_exposure);
    w.number("drawdown", m.drawdown);
    w.number("day_pnl", m.day_pnl);
    w.boolean("halted", m.halted);
    w.close();
}

} // namespace okxkit::core
