// Strategy files and the schema of every strategy kind.
#include "strategy/params.hpp"

#include "core/error.hpp"
#include "core/json_out.hpp"
#include "core/json_scan.hpp"
#include "strategy/rules.hpp"
#include "strategy/rules_toml.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <toml++/toml.h>

namespace okxkit::strategy {

namespace {

// Short names keep the parameter tables below readable.
// NOLINTBEGIN(readability-identifier-naming)
using P = ParamSpec;
constexpr auto I = ParamType::kInt;
constexpr auto N = ParamType::kNumber;
constexpr auto S = ParamType::kString;
// NOLINTEND(readability-identifier-naming)

constexpr std::array kGrid{
    P{"range", S, "high_low", 0, 0, "high_low|atr",
      "how the range is set: the highest high and lowest low of the last lookback bars "
      "(high_low), or the close plus and minus atr_mult ATR (atr)"},
    P{"lookback", I, "288", 10, 100000, {}, "bars the high_low range looks back"},
    P{"atr_period", I, "14", 2, 500, {}, "ATR period, in bars"},
    P{"atr_mult", N, "3", 0.5, 50, {}, "half-width of the atr range, in ATRs"},
    P{"levels", I, "10", 2, 200, {}, "price levels of the ladder, both ends included"},
    P{"spacing", S, "arithmetic", 0, 0, "arithmetic|geometric",
      "levels equally far apart in price (arithmetic) or in ratio (geometric)"},
    P{"level_frac", N, "0.02", 0.0001, 1, {}, "size of one level, as a share of the equity"},
    P{"ord_type", S, "limit", 0, 0, "limit|post_only", "order type of the legs"},
    P{"stop_margin",
      N,
      "0.02",
      0,
      1,
      {},
      "the grid stops (cancels its legs) when the close leaves the range by more than this "
      "fraction of the bound"},
    P{"recenter_after",
      I,
      "12",
      0,
      100000,
      {},
      "bars after a stop before the range is derived again around the price (0: never)"},
};

constexpr std::array kTrend{
    P{"mode", S, "ma_cross", 0, 0, "ma_cross|breakout",
      "enter when the fast average crosses above the slow one (ma_cross), or when the close "
      "breaks above the highest high of the last channel bars (breakout)"},
    P{"ma", S, "ema", 0, 0, "ema|sma", "kind of moving average of ma_cross"},
    P{"fast", I, "20", 2, 1000, {}, "fast average, in bars"},
    P{"slow", I, "50", 3, 2000, {}, "slow average, in bars (more than fast)"},
    P{"channel", I, "55", 5, 1000, {}, "entry channel of breakout, in bars"},
    P{"exit_channel",
      I,
      "20",
      2,
      1000,
      {},
      "breakout exits when the close falls below the lowest low of this many bars"},
    P{"atr_period", I, "14", 2, 500, {}, "ATR period, in bars"},
    P{"atr_stop",
      N,
      "2.5",
      0.5,
      50,
      {},
      "trailing stop: exit when the close falls this many ATRs below the highest close since "
      "entry"},
    P{"equity_frac", N, "0.25", 0, 1, {}, "share of the equity held while in a trend"},
};

constexpr std::array kMeanReversion{
    P{"bb_period", I, "20", 5, 1000, {}, "Bollinger period, in bars"},
    P{"bb_k", N, "2", 0.5, 5, {}, "Bollinger width, in standard deviations"},
    P{"rsi_period", I, "14", 2, 500, {}, "RSI period, in bars"},
    P{"rsi_low",
      N,
      "30",
      1,
      50,
      {},
      "enter when the RSI is below this and the close below the "
      "lower band"},
    P{"rsi_high", N, "70", 50, 99, {}, "exit when the RSI rises above this"},
    P{"atr_period", I, "14", 2, 500, {}, "ATR period, in bars"},
    P{"atr_stop", N, "3", 0.5, 50, {}, "exit when the close falls this many ATRs below the entry"},
    P{"max_hold", I, "288", 1, 100000, {}, "exit after this many bars at the latest"},
    P{"equity_frac", N, "0.2", 0, 1, {}, "share of the equity held while in a position"},
};

constexpr std::array kMl{
    P{"min_p_up", N, "0.6", 0.5, 1, {}, "enter when a champion's p_up is at least this"},
    P{"min_confidence", N, "0.2", 0, 1, {}, "and its confidence at least this"},
    P{"exit_p_up", N, "0.5", 0, 1, {}, "exit when p_up falls below this"},
    P{"equity_frac", N, "0.2", 0, 1, {}, "share of the equity held while in a position"},
    P{"fit_window",
      I,
      "288",
      1,
      100000,
      {},
      "predictions over which the mean confidence (the regime fit of ml) is taken"},
};

// rules: its graph is read by check_rules (strategy/rules.cpp), not as parameters.
constexpr std::span<const ParamSpec> kNoParams{};

constexpr std::array<KindSchema, 5> kKinds{{
    {"grid", "a ladder of limit orders between range bounds, re-derived from the price each bar",
     kGrid},
    {"trend", "moving-average crossover or channel breakout, long only, with an ATR trailing stop",
     kTrend},
    {"mean_reversion", "buys Bollinger and RSI extremes below the mean, exits at the mean",
     kMeanReversion},
    {"ml", "acts on prediction lines of the registry's champion models above thresholds", kMl},
    {"rules",
     "a graph of your own in the file: indicators, conditions on them (gt, lt, cross_above, "
     "cross_below, between, and, or, not) and actions (target, close, place)",
     kNoParams},
}};

bool valid_name(std::string_view s) {
    if (s.empty() || s.size() > 40) {
        return false;
    }
    for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

// Whether v is one of allowed ("a|b|c").
bool allowed_value(std::string_view allowed, std::string_view v) {
    while (!allowed.empty()) {
        const auto bar = allowed.find('|');
        if (allowed.substr(0, bar) == v) {
            return true;
        }
        allowed = bar == std::string_view::npos ? std::string_view{} : allowed.substr(bar + 1);
    }
    return false;
}

std::string format_number(double v) {
    std::string s;
    core::append_double(s, v);
    return s;
}

std::string_view type_name(ParamType t) {
    switch (t) {
    case ParamType::kInt:
        return "an integer";
    case ParamType::kNumber:
        return "a number";
    case ParamType::kString:
        return "a string";
    case ParamType::kBool:
        return "true or false";
    }
    return "a value";
}

void set_default(StrategyConfig& c, const ParamSpec& p) {
    c.text[std::string(p.key)] = std::string(p.def);
    if (p.type == ParamType::kBool) {
        c.num[std::string(p.key)] = p.def == "true" ? 1 : 0;
    } else if (p.type != ParamType::kString) {
        c.num[std::string(p.key)] = std::stod(std::string(p.def));
    }
}

} // namespace

std::span<const KindSchema> kinds() {
    return kKinds;
}

const KindSchema* find_kind(std::string_view kind) {
    for (const KindSchema& k : kKinds) {
        if (k.kind == kind) {
            return &k;
        }
    }
    return nullptr;
}

std::string kind_list() {
    return "grid, trend, mean_reversion, ml or rules";
}

double StrategyConfig::number(std::string_view key) const {
    auto it = num.find(key);
    if (it == num.end()) {
        throw std::logic_error("strategy parameter " + std::string(key) + " is not a number");
    }
    return it->second;
}

int StrategyConfig::integer(std::string_view key) const {
    return static_cast<int>(number(key));
}

const std::string& StrategyConfig::str(std::string_view key) const {
    auto it = text.find(key);
    if (it == text.end()) {
        throw std::logic_error("strategy parameter " + std::string(key) + " is unknown");
    }
    return it->second;
}

std::string StrategyConfig::params_json() const {
    if (kind == "rules") {
        return rules ? rules->json() : "{}";
    }
    std::string out = "{";
    const KindSchema* k = find_kind(kind);
    bool first = true;
    for (const ParamSpec& p : k->params) {
        if (!first) {
            out += ',';
        }
        first = false;
        core::append_json_string(out, p.key);
        out += ':';
        if (p.type == ParamType::kString) {
            core::append_json_string(out, str(p.key));
        } else if (p.type == ParamType::kBool) {
            out += flag(p.key) ? "true" : "false";
        } else {
            core::append_double(out, number(p.key));
        }
    }
    out += '}';
    return out;
}

std::string Problem::text() const {
    std::string s = core::clip(file, 300);
    if (line > 0) {
        s += ':';
        s += std::to_string(line);
    }
    s += ": ";
    if (!key.empty()) {
        s += "key ";
        s += core::excerpt(key, 60); // quoted, and safe whatever the file held
        s += ": ";
    }
    s += message;
    return s;
}

StrategyConfig defaults(std::string_view kind) {
    const KindSchema* k = find_kind(kind);
    if (k == nullptr) {
        throw std::logic_error("no strategy kind " + std::string(kind));
    }
    StrategyConfig c;
    c.kind = std::string(kind);
    c.name = c.kind;
    for (const ParamSpec& p : k->params) {
        set_default(c, p);
    }
    return c;
}

std::vector<Problem> check_file(const std::string& path, StrategyConfig* out) {
    std::vector<Problem> problems;
    toml::table t;
    try {
        t = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        const auto line = static_cast<long>(e.source().begin.line);
        problems.push_back({path, line, "", core::clip(e.description())});
        return problems;
    } catch (const std::exception& e) {
        problems.push_back({path, 0, "", std::string("cannot read the file: ") + e.what()});
        return problems;
    }
    auto line_of = [](const toml::node& n) { return static_cast<long>(n.source().begin.line); };
    StrategyConfig c;
    const toml::node* kind_node = t.get("kind");
    if (kind_node == nullptr) {
        problems.push_back({path, 1, "kind",
                            "missing: a strategy file needs kind = \"" + std::string("grid") +
                                "\" (or " + kind_list() + ")"});
        return problems;
    }
    const KindSchema* kind = nullptr;
    if (auto s = kind_node->value<std::string>(); !s || !kind_node->is_string()) {
        problems.push_back({path, line_of(*kind_node), "kind", "must be a string: " + kind_list()});
        return problems;
    } else if ((kind = find_kind(*s)) == nullptr) {
        problems.push_back({path, line_of(*kind_node), "kind",
                            "unknown strategy kind " + core::excerpt(*s) + ": use " + kind_list()});
        return problems;
    }
    c = defaults(kind->kind);
    c.file = path;
    // Keys in file order, so problems come in the order a reader meets them.
    std::vector<std::pair<long, std::string>> keys;
    for (const auto& [k, node] : t) {
        keys.emplace_back(line_of(node), std::string(k.str()));
    }
    std::sort(keys.begin(), keys.end());
    for (const auto& [line, key] : keys) {
        const toml::node& node = *t.get(key);
        if (key == "kind" || (kind->kind == "rules" && key != "name")) {
            continue; // a rules file's graph is read below
        }
        if (key == "name") {
            auto s = node.value<std::string>();
            if (!node.is_string() || !valid_name(*s)) {
                problems.push_back(
                    {path, line, key, "must be a string of 1 to 40 letters, digits, '_' or '-'"});
            } else {
                c.name = *s;
            }
            continue;
        }
        const ParamSpec* spec = nullptr;
        for (const ParamSpec& p : kind->params) {
            if (p.key == key) {
                spec = &p;
            }
        }
        if (spec == nullptr) {
            std::string known;
            for (const ParamSpec& p : kind->params) {
                known += known.empty() ? "" : ", ";
                known += p.key;
            }
            problems.push_back({path, line, key,
                                "unknown key for kind " + std::string(kind->kind) +
                                    " (its keys: name, " + known + ")"});
            continue;
        }
        const std::string want = std::string(type_name(spec->type));
        if (spec->type == ParamType::kString) {
            if (!node.is_string()) {
                problems.push_back(
                    {path, line, key, "must be a string: one of " + std::string(spec->allowed)});
                continue;
            }
            const std::string v = *node.value<std::string>();
            if (!allowed_value(spec->allowed, v)) {
                std::string list(spec->allowed);
                std::replace(list.begin(), list.end(), '|', ' ');
                std::string msg = core::excerpt(v);
                msg += " is not one of: ";
                msg += list;
                problems.push_back({path, line, key, msg});
                continue;
            }
            c.text[key] = v;
            continue;
        }
        if (spec->type == ParamType::kBool) {
            if (!node.is_boolean()) {
                problems.push_back({path, line, key, "must be " + want});
                continue;
            }
            c.num[key] = *node.value<bool>() ? 1 : 0;
            c.text[key] = *node.value<bool>() ? "true" : "false";
            continue;
        }
        double v = 0;
        if (node.is_integer()) {
            v = static_cast<double>(*node.value<std::int64_t>());
        } else if (node.is_floating_point() && spec->type == ParamType::kNumber) {
            v = *node.value<double>();
        } else {
            problems.push_back({path, line, key, "must be " + want});
            continue;
        }
        if (!std::isfinite(v) || v < spec->min || v > spec->max) {
            problems.push_back({path, line, key,
                                format_number(v) + " is out of range: from " +
                                    format_number(spec->min) + " to " + format_number(spec->max)});
            continue;
        }
        c.num[key] = v;
        c.text[key] = format_number(v);
    }
    if (kind->kind == "rules") {
        Rules rules;
        const std::size_t before = problems.size();
        check_rules(path, t, &rules, &problems);
        if (problems.size() == before) {
            c.rules = std::make_shared<const Rules>(std::move(rules));
        }
        // Both lists are in file order; keep the merged one so too.
        std::stable_sort(problems.begin(), problems.end(),
                         [](const Problem& a, const Problem& b) { return a.line < b.line; });
    }
    if (problems.empty() && c.kind == "trend" && c.number("fast") >= c.number("slow")) {
        const toml::node* n = t.get("fast");
        problems.push_back({path, n != nullptr ? line_of(*n) : 1, "fast",
                            "must be less than slow (" + c.text["slow"] + ")"});
    }
    if (problems.empty() && c.kind == "mean_reversion" &&
        c.number("rsi_low") >= c.number("rsi_high")) {
        const toml::node* n = t.get("rsi_low");
        problems.push_back({path, n != nullptr ? line_of(*n) : 1, "rsi_low",
                            "must be less than rsi_high (" + c.text["rsi_high"] + ")"});
    }
    if (problems.empty() && out != nullptr) {
        *out = std::move(c);
    }
    return problems;
}

StrategyConfig load_file(const std::string& path) {
    StrategyConfig c;
    std::vector<Problem> problems = check_file(path, &c);
    if (!problems.empty()) {
        std::string msg = problems.front().text();
        if (problems.size() > 1) {
            msg += " (and " + std::to_string(problems.size() - 1) +
                   " more: select-strategy --validate " + path + ")";
        }
        throw core::UsageError(msg);
    }
    return c;
}

std::string schema_json() {
    std::string o =
        R"({"$schema":"https://json-schema.org/draft/2020-12/schema",)"
        R"("$id":"https://okxkit.invalid/strategy.schema.json",)"
        R"("title":"okxkit strategy file",)"
        R"j("description":"One strategy of select-strategy(1): its kind and parameters (TOML).",)j"
        R"("type":"object","required":["kind"],"oneOf":[)";
    bool first_kind = true;
    for (const KindSchema& k : kKinds) {
        o += first_kind ? "" : ",";
        first_kind = false;
        o += R"({"title":)";
        core::append_json_string(o, k.kind);
        o += R"(,"description":)";
        core::append_json_string(o, k.summary);
        o += R"(,"type":"object","additionalProperties":false,"properties":{"kind":{"const":)";
        core::append_json_string(o, k.kind);
        o +=
            R"(},"name":{"type":"string","pattern":"^[A-Za-z0-9_-]{1,40}$",)"
            R"j("description":"name of the strategy in messages and the store (default: the kind)"})j";
        if (k.kind == "rules") {
            o += ',' + rules_schema_properties() + R"(},"required":["kind","actions"]})";
            continue;
        }
        for (const ParamSpec& p : k.params) {
            o += ',';
            core::append_json_string(o, p.key);
            o += R"(:{"type":)";
            switch (p.type) {
            case ParamType::kInt:
                o += R"("integer","minimum":)" + format_number(p.min) + R"(,"maximum":)" +
                     format_number(p.max) + R"(,"default":)" + std::string(p.def);
                break;
            case ParamType::kNumber:
                o += R"("number","minimum":)" + format_number(p.min) + R"(,"maximum":)" +
                     format_number(p.max) + R"(,"default":)" + std::string(p.def);
                break;
            case ParamType::kBool:
                o += R"("boolean","default":)" + std::string(p.def);
                break;
            case ParamType::kString: {
                o += R"("string","enum":[)";
                std::string_view rest = p.allowed;
                bool first = true;
                while (!rest.empty()) {
                    const auto bar = rest.find('|');
                    o += first ? "" : ",";
                    first = false;
                    core::append_json_string(o, rest.substr(0, bar));
                    rest = bar == std::string_view::npos ? "" : rest.substr(bar + 1);
                }
                o += R"(],"default":)";
                core::append_json_string(o, p.def);
                break;
            }
            }
            o += R"(,"description":)";
            core::append_json_string(o, p.help);
            o += '}';
        }
        o += R"(},"required":["kind"]})";
    }
    o += "]}";
    return o;
}

} // namespace okxkit::strategy
