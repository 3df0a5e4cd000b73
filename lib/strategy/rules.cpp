// The rules strategy kind: reading its graph from the strategy file, and evaluating it on
// closed candles.
#include "strategy/rules.hpp"

#include "core/json_out.hpp"
#include "core/json_scan.hpp"
#include "features/engine.hpp"
#include "strategy/rules_toml.hpp"
#include "strategy/strategies.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

namespace okxkit::strategy {

namespace {

struct OpSpec {
    RuleOp op;
    std::string_view name;
    std::string_view help;
};

constexpr OpSpec kOps[] = {
    {RuleOp::kGt, "gt", "a > b: a and b are series (an indicator, a price) or numbers"},
    {RuleOp::kLt, "lt", "a < b: a and b are series (an indicator, a price) or numbers"},
    {RuleOp::kCrossAbove, "cross_above",
     "a crossed above b on this candle: a <= b on the one before, a > b now"},
    {RuleOp::kCrossBelow, "cross_below",
     "a crossed below b on this candle: a >= b on the one before, a < b now"},
    {RuleOp::kBetween, "between", "lo <= a <= hi: a, lo and hi are series or numbers"},
    {RuleOp::kAnd, "and", "every condition of `of` holds (two or more)"},
    {RuleOp::kOr, "or", "at least one condition of `of` holds (two or more)"},
    {RuleOp::kNot, "not", "the condition a does not hold"},
};

struct ActSpec {
    RuleAct act;
    std::string_view name;
    std::string_view help;
};

constexpr ActSpec kActs[] = {
    {RuleAct::kTarget, "target",
     "from this candle on, hold equity_frac of the equity (0 to 1) in the instrument"},
    {RuleAct::kClose, "close", "from this candle on, hold nothing (a target of 0)"},
    {RuleAct::kPlace, "place",
     "while the condition holds, keep a limit order on the book: side, equity_frac of the "
     "equity, at the close times 1 + offset"},
};

constexpr std::string_view kFits = "trend_up|trend_down|range|volatile|any";

// Whether v is one of allowed ("a|b|c").
bool one_of(std::string_view allowed, std::string_view v) {
    while (!allowed.empty()) {
        const auto bar = allowed.find('|');
        if (allowed.substr(0, bar) == v) {
            return true;
        }
        allowed = bar == std::string_view::npos ? std::string_view{} : allowed.substr(bar + 1);
    }
    return false;
}

bool valid_id(std::string_view s) {
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

std::optional<std::size_t> price_index(std::string_view s) {
    for (std::size_t i = 0; i < std::size(kPriceNames); ++i) {
        if (kPriceNames[i] == s) {
            return i;
        }
    }
    return std::nullopt;
}

std::string number_text_of(double v) {
    std::string s;
    core::append_double(s, v);
    return s;
}

// "conditions.golden" and "a": "conditions.golden.a".
std::string dotted(const std::string& base, std::string_view key) {
    std::string s = base;
    s += '.';
    s += key;
    return s;
}

// The entries of a table in file order (line, then column), so problems come in reading order
// and actions keep the order the file gives them.
std::vector<std::pair<std::string, const toml::node*>> in_file_order(const toml::table& t) {
    std::vector<std::pair<std::string, const toml::node*>> out;
    for (const auto& [k, node] : t) {
        out.emplace_back(std::string(k.str()), &node);
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        const auto& sa = a.second->source().begin;
        const auto& sb = b.second->source().begin;
        return sa.line != sb.line ? sa.line < sb.line : sa.column < sb.column;
    });
    return out;
}

class RulesReader {
public:
    RulesReader(const std::string& path, std::vector<Problem>* problems)
        : path_(path), problems_(problems) {}

    void read(const toml::table& t, Rules* out) {
        const std::size_t before = problems_->size();
        for (const auto& [key, node] : in_file_order(t)) {
            if (key == "kind" || key == "name" || key == "fits" || key == "indicators" ||
                key == "conditions" || key == "actions") {
                continue;
            }
            fail(*node, key,
                 "unknown key for kind rules (its keys: name, fits, indicators, conditions, "
                 "actions)");
        }
        if (const toml::node* n = t.get("fits")) {
            auto s = n->value<std::string>();
            if (!n->is_string() || !one_of(kFits, *s)) {
                fail(*n, "fits", "must be one of: trend_up trend_down range volatile any");
            } else {
                rules_.fits = *s;
            }
        }
        const toml::table* ind = section(t, "indicators", R"(id = "feature" (fast = "ema_12"))");
        const toml::table* cond =
            section(t, "conditions",
                    "id = { op = ..., ... } (golden = { op = \"cross_above\", a = \"fast\", b = "
                    "\"slow\" })");
        const toml::table* act = section(t, "actions",
                                         "id = { when = \"condition\", do = \"target\", ... } "
                                         "(enter = { when = \"golden\", do = \"target\", "
                                         "equity_frac = 0.25 })");
        if (ind != nullptr) {
            read_indicators(*ind);
        }
        if (cond != nullptr) {
            collect_conditions(*cond);
            for (std::size_t i = 0; i < raw_.size(); ++i) {
                read_condition(i);
            }
            order_conditions();
        }
        if (act == nullptr || act->empty()) {
            fail_at(act != nullptr ? line_of(*act) : 1, "actions",
                    "missing: a rules strategy needs at least one action (enter = { when = "
                    "\"golden\", do = \"target\", equity_frac = 0.25 })");
        } else {
            read_actions(*act);
        }
        if (problems_->size() == before && out != nullptr) {
            *out = std::move(rules_);
        }
    }

private:
    struct RawCondition {
        std::string id;
        const toml::table* table = nullptr;
        const toml::node* node = nullptr;
        bool ok = false;
        std::vector<std::size_t> reads; // the conditions it reads, by position in raw_
    };

    static long line_of(const toml::node& n) { return static_cast<long>(n.source().begin.line); }

    void fail_at(long line, const std::string& key, std::string message) {
        problems_->push_back({path_, line, key, std::move(message)});
    }
    void fail(const toml::node& n, const std::string& key, std::string message) {
        fail_at(line_of(n), key, std::move(message));
    }

    const toml::table* section(const toml::table& t, const char* key, const char* shape) {
        const toml::node* n = t.get(key);
        if (n == nullptr) {
            return nullptr;
        }
        if (!n->is_table()) {
            fail(*n, key, std::string("must be a table of ") + shape);
            return nullptr;
        }
        return n->as_table();
    }

    bool check_id(const toml::node& n, const std::string& key, const std::string& id) {
        if (!valid_id(id)) {
            fail(n, key, "an id is 1 to 40 letters, digits, '_' or '-'");
            return false;
        }
        if (price_index(id)) {
            fail(n, key,
                 core::excerpt(id) + " is a price a condition can read as it is: name the node "
                                     "otherwise");
            return false;
        }
        return true;
    }

    void read_indicators(const toml::table& t) {
        for (const auto& [id, node] : in_file_order(t)) {
            const std::string key = "indicators." + id;
            bad_ids_.insert(id); // until it proves good: what reads it is not blamed as well
            if (!check_id(*node, key, id)) {
                continue;
            }
            auto s = node->value<std::string>();
            if (!node->is_string()) {
                fail(*node, key,
                     "must be a feature name of featurize --list, as a string "
                     "(\"ema_12\")");
                continue;
            }
            try {
                const std::vector<std::string> one{*s};
                const auto info = features::FeatureSet::from_names(one).describe();
                if (info.front().group == "news") {
                    fail(*node, key,
                         "news features are not computed by select-strategy (it reads candles)");
                    continue;
                }
            } catch (const std::invalid_argument& e) {
                fail(*node, key, core::clip(e.what()));
                continue;
            }
            bad_ids_.erase(id);
            indicator_ids_[id] = rules_.indicators.size();
            rules_.indicators.push_back({id, *s});
        }
    }

    void collect_conditions(const toml::table& t) {
        for (const auto& [id, node] : in_file_order(t)) {
            const std::string key = "conditions." + id;
            if (!check_id(*node, key, id)) {
                bad_ids_.insert(id);
                continue;
            }
            if (indicator_ids_.count(id) != 0 || bad_ids_.count(id) != 0) {
                bad_ids_.insert(id);
                fail(*node, key, "is also an indicator: ids name one node each");
                continue;
            }
            if (!node->is_table()) {
                fail(*node, key,
                     "must be a table: { op = \"gt\", a = ..., b = ... } (ops: gt lt "
                     "cross_above cross_below between and or not)");
                continue;
            }
            raw_ids_[id] = raw_.size();
            raw_.push_back({id, node->as_table(), node, false, {}});
        }
    }

    // A series operand: a number, a price name or an indicator id.
    std::optional<Operand> series(const toml::node& n, const std::string& key) {
        Operand o;
        if (n.is_integer() || n.is_floating_point()) {
            o.number =
                n.is_integer() ? static_cast<double>(*n.value<std::int64_t>()) : *n.value<double>();
            if (!std::isfinite(o.number)) {
                fail(n, key, "must be a finite number");
                return std::nullopt;
            }
            o.kind = Operand::Kind::kNumber;
            o.text = number_text_of(o.number);
            return o;
        }
        if (!n.is_string()) {
            fail(n, key,
                 "must be an indicator id, a price (open high low close volume) or a number");
            return std::nullopt;
        }
        o.text = *n.value<std::string>();
        if (auto p = price_index(o.text)) {
            o.kind = Operand::Kind::kPrice;
            o.index = *p;
            return o;
        }
        if (auto it = indicator_ids_.find(o.text); it != indicator_ids_.end()) {
            o.kind = Operand::Kind::kIndicator;
            o.index = it->second;
            return o;
        }
        if (bad_ids_.count(o.text) != 0) {
            return std::nullopt; // its own problem is reported
        }
        if (raw_ids_.count(o.text) != 0) {
            fail(n, key,
                 core::excerpt(o.text) +
                     " is a condition (true or false): this op compares series (an indicator, a "
                     "price or a number)");
            return std::nullopt;
        }
        fail(n, key,
             core::excerpt(o.text) +
                 " is not an indicator of this file nor a price (open high low close volume)");
        return std::nullopt;
    }

    // A condition operand, by id; records the edge for the order and the cycle check.
    std::optional<Operand> boolean(const toml::node& n, const std::string& key, std::size_t self) {
        if (!n.is_string()) {
            fail(n, key, "must be the id of a condition, as a string");
            return std::nullopt;
        }
        Operand o;
        o.kind = Operand::Kind::kCondition;
        o.text = *n.value<std::string>();
        auto it = raw_ids_.find(o.text);
        if (it == raw_ids_.end() && bad_ids_.count(o.text) != 0) {
            return std::nullopt; // its own problem is reported
        }
        if (it == raw_ids_.end()) {
            fail(n, key,
                 core::excerpt(o.text) +
                     (indicator_ids_.count(o.text) != 0 || price_index(o.text)
                          ? std::string(" is a series: this op combines conditions")
                          : std::string(" is not a condition of this file")));
            return std::nullopt;
        }
        o.index = it->second; // position in raw_ until order_conditions()
        raw_[self].reads.push_back(it->second);
        return o;
    }

    void read_condition(std::size_t i) {
        RawCondition& rc = raw_[i];
        const std::string base = "conditions." + rc.id;
        const toml::table& t = *rc.table;
        const toml::node* opn = t.get("op");
        std::string ops;
        for (const OpSpec& s : kOps) {
            ops += ops.empty() ? "" : " ";
            ops += s.name;
        }
        if (opn == nullptr || !opn->is_string()) {
            fail(opn != nullptr ? *opn : *rc.node, base + ".op",
                 (opn == nullptr ? "missing: one of " : "must be a string: one of ") + ops);
            return;
        }
        const std::string op = *opn->value<std::string>();
        const OpSpec* spec = nullptr;
        for (const OpSpec& s : kOps) {
            spec = s.name == op ? &s : spec;
        }
        if (spec == nullptr) {
            fail(*opn, base + ".op", core::excerpt(op) + " is not one of: " + ops);
            return;
        }
        std::vector<std::string_view> fields;
        switch (spec->op) {
        case RuleOp::kGt:
        case RuleOp::kLt:
        case RuleOp::kCrossAbove:
        case RuleOp::kCrossBelow:
            fields = {"a", "b"};
            break;
        case RuleOp::kBetween:
            fields = {"a", "lo", "hi"};
            break;
        case RuleOp::kAnd:
        case RuleOp::kOr:
            fields = {"of"};
            break;
        case RuleOp::kNot:
            fields = {"a"};
            break;
        }
        const std::size_t before = problems_->size();
        for (const auto& [k, node] : in_file_order(t)) {
            if (k != "op" && std::find(fields.begin(), fields.end(), k) == fields.end()) {
                std::string known;
                for (auto f : fields) {
                    known += known.empty() ? "" : ", ";
                    known += f;
                }
                std::string msg = "unknown key for op " + op;
                msg += " (its keys: op, ";
                msg += known;
                msg += ")";
                fail(*node, dotted(base, k), std::move(msg));
            }
        }
        RuleCondition c;
        c.id = rc.id;
        c.op = spec->op;
        for (auto f : fields) {
            const std::string key = base + "." + std::string(f);
            const toml::node* n = t.get(f);
            if (n == nullptr) {
                fail(*rc.node, key, "missing: op " + op + " needs " + std::string(f));
                continue;
            }
            if (f == "of") {
                const toml::array* arr = n->as_array();
                if (arr == nullptr || arr->size() < 2) {
                    fail(*n, key, "must be an array of two or more condition ids");
                    continue;
                }
                for (const toml::node& el : *arr) {
                    if (auto o = boolean(el, key, i)) {
                        c.args.push_back(*o);
                    }
                }
            } else if (spec->op == RuleOp::kNot) {
                if (auto o = boolean(*n, key, i)) {
                    c.args.push_back(*o);
                }
            } else if (auto o = series(*n, key)) {
                c.args.push_back(*o);
            }
        }
        if (problems_->size() != before) {
            return;
        }
        const bool cross = c.op == RuleOp::kCrossAbove || c.op == RuleOp::kCrossBelow;
        if (c.args.size() >= 2 && c.args[0].kind == Operand::Kind::kNumber &&
            c.args[1].kind == Operand::Kind::kNumber && c.op != RuleOp::kBetween) {
            fail(*rc.node, base, "compares two numbers: one side must be a series");
            return;
        }
        if (cross && c.args[0].kind == Operand::Kind::kNumber) {
            fail(*rc.node, base + ".a", "must be a series: a number never crosses");
            return;
        }
        rc.ok = true;
        conds_.resize(raw_.size());
        conds_[i] = std::move(c);
    }

    // Depth-first in file order: each condition after those it reads; a cycle is a problem.
    void order_conditions() {
        conds_.resize(raw_.size());
        std::vector<int> state(raw_.size(), 0); // 0 new, 1 on the path, 2 placed
        std::vector<std::size_t> order;
        bool cycle = false;
        std::function<void(std::size_t)> visit = [&](std::size_t i) {
            if (state[i] == 2 || cycle) {
                return;
            }
            if (state[i] == 1) {
                cycle = true;
                fail(*raw_[i].node, "conditions." + raw_[i].id,
                     "reads itself through a loop of conditions: conditions form a graph "
                     "without cycles");
                return;
            }
            state[i] = 1;
            for (std::size_t r : raw_[i].reads) {
                visit(r);
            }
            state[i] = 2;
            order.push_back(i);
        };
        for (std::size_t i = 0; i < raw_.size() && !cycle; ++i) {
            visit(i);
        }
        if (cycle) {
            return;
        }
        std::vector<std::size_t> position(raw_.size());
        for (std::size_t k = 0; k < order.size(); ++k) {
            position[order[k]] = k;
        }
        for (std::size_t k : order) {
            if (!raw_[k].ok) {
                continue;
            }
            RuleCondition c = conds_[k];
            for (Operand& o : c.args) {
                if (o.kind == Operand::Kind::kCondition) {
                    o.index = position[o.index];
                }
            }
            rules_.conditions.push_back(std::move(c));
        }
        // Positions in rules_.conditions, for the actions (only meaningful with no problems).
        for (std::size_t k = 0; k < order.size(); ++k) {
            cond_position_[raw_[order[k]].id] = k;
        }
    }

    std::optional<double> number_in(const toml::node& n, const std::string& key, double lo,
                                    double hi, bool open_lo) {
        double v = 0;
        if (n.is_integer()) {
            v = static_cast<double>(*n.value<std::int64_t>());
        } else if (n.is_floating_point()) {
            v = *n.value<double>();
        } else {
            fail(n, key, "must be a number");
            return std::nullopt;
        }
        if (!std::isfinite(v) || v < lo || v > hi || (open_lo && v == lo)) {
            fail(n, key,
                 number_text_of(v) + " is out of range: " + (open_lo ? "more than " : "from ") +
                     number_text_of(lo) + " to " + number_text_of(hi));
            return std::nullopt;
        }
        return v;
    }

    void read_actions(const toml::table& t) {
        bool any_place = false, any_target = false;
        const toml::node* first_place = nullptr;
        std::string first_place_id;
        for (const auto& [id, node] : in_file_order(t)) {
            const std::string base = "actions." + id;
            if (!valid_id(id)) {
                fail(*node, base, "an id is 1 to 40 letters, digits, '_' or '-'");
                continue;
            }
            if (!node->is_table()) {
                fail(*node, base,
                     "must be a table: { when = \"condition\", do = \"target\", equity_frac = "
                     "0.25 } (do: target close place)");
                continue;
            }
            const toml::table& a = *node->as_table();
            const std::size_t before = problems_->size();
            RuleAction ra;
            ra.id = id;
            const toml::node* when = a.get("when");
            if (when == nullptr || !when->is_string()) {
                fail(when != nullptr ? *when : *node, base + ".when",
                     when == nullptr ? "missing: the id of the condition that fires it"
                                     : "must be the id of a condition, as a string");
            } else if (bad_ids_.count(*when->value<std::string>()) != 0) {
                // the condition's own problem is reported
            } else if (auto it = raw_ids_.find(*when->value<std::string>()); it == raw_ids_.end()) {
                fail(*when, base + ".when",
                     core::excerpt(*when->value<std::string>()) +
                         " is not a condition of this file");
            } else if (auto p = cond_position_.find(it->first); p != cond_position_.end()) {
                ra.when = p->second;
            }
            const toml::node* act = a.get("do");
            const ActSpec* spec = nullptr;
            if (act == nullptr || !act->is_string()) {
                fail(act != nullptr ? *act : *node, base + ".do",
                     std::string(act == nullptr ? "missing" : "must be a string") +
                         ": one of target close place");
            } else {
                for (const ActSpec& s : kActs) {
                    spec = s.name == *act->value<std::string>() ? &s : spec;
                }
                if (spec == nullptr) {
                    fail(*act, base + ".do",
                         core::excerpt(*act->value<std::string>()) +
                             " is not one of: target close place");
                }
            }
            if (spec == nullptr) {
                continue;
            }
            ra.act = spec->act;
            std::vector<std::string_view> fields{"when", "do"};
            if (ra.act == RuleAct::kTarget) {
                fields.emplace_back("equity_frac");
            } else if (ra.act == RuleAct::kPlace) {
                fields.insert(fields.end(), {"side", "equity_frac", "ord_type", "offset"});
            }
            for (const auto& [k, n] : in_file_order(a)) {
                if (std::find(fields.begin(), fields.end(), k) == fields.end()) {
                    std::string known;
                    for (auto f : fields) {
                        known += known.empty() ? "" : ", ";
                        known += f;
                    }
                    std::string msg = "unknown key for do = " + std::string(spec->name);
                    msg += " (its keys: ";
                    msg += known;
                    msg += ")";
                    fail(*n, dotted(base, k), std::move(msg));
                }
            }
            if (ra.act == RuleAct::kTarget || ra.act == RuleAct::kPlace) {
                const toml::node* f = a.get("equity_frac");
                if (f == nullptr) {
                    fail(*node, base + ".equity_frac",
                         "missing: the share of the equity, " +
                             std::string(ra.act == RuleAct::kTarget ? "from 0 to 1"
                                                                    : "more than 0 to 1"));
                } else if (auto v = number_in(*f, base + ".equity_frac", 0, 1,
                                              ra.act == RuleAct::kPlace)) {
                    ra.equity_frac = *v;
                }
            }
            if (ra.act == RuleAct::kPlace) {
                const toml::node* side = a.get("side");
                if (side == nullptr || !side->is_string() ||
                    (*side->value<std::string>() != "buy" &&
                     *side->value<std::string>() != "sell")) {
                    fail(side != nullptr ? *side : *node, base + ".side",
                         side == nullptr ? "missing: buy or sell" : "must be buy or sell");
                } else {
                    ra.side = *side->value<std::string>();
                }
                ra.ord_type = "limit";
                if (const toml::node* ot = a.get("ord_type")) {
                    if (!ot->is_string() || (*ot->value<std::string>() != "limit" &&
                                             *ot->value<std::string>() != "post_only")) {
                        fail(*ot, base + ".ord_type", "must be limit or post_only");
                    } else {
                        ra.ord_type = *ot->value<std::string>();
                    }
                }
                if (const toml::node* off = a.get("offset")) {
                    if (auto v = number_in(*off, base + ".offset", -0.5, 0.5, false)) {
                        ra.offset = *v;
                    }
                }
            }
            if (problems_->size() != before) {
                continue;
            }
            if (ra.act == RuleAct::kPlace) {
                any_place = true;
                if (first_place == nullptr) {
                    first_place = node;
                    first_place_id = id;
                }
            } else {
                any_target = true;
            }
            rules_.actions.push_back(std::move(ra));
        }
        if (any_place && any_target) {
            fail(*first_place, "actions." + first_place_id,
                 "a rules strategy either places orders (place) or states what it holds "
                 "(target, close), not both");
        }
    }

    const std::string& path_;
    std::vector<Problem>* problems_;
    Rules rules_;
    std::map<std::string, std::size_t, std::less<>> indicator_ids_;
    std::map<std::string, std::size_t, std::less<>> raw_ids_;
    std::set<std::string, std::less<>> bad_ids_; // declared, with a problem of their own
    std::map<std::string, std::size_t, std::less<>> cond_position_;
    std::vector<RawCondition> raw_;
    std::vector<RuleCondition> conds_; // by position in raw_
};

// Numbers in reasons: six significant digits.
std::string general(double v) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 6);
    return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

class RulesStrategy final : public Strategy {
public:
    explicit RulesStrategy(StrategyConfig c) : Strategy(std::move(c)), r_(*config_.rules) {
        places_ = r_.places();
        for (const RuleAction& a : r_.actions) {
            max_frac_ = std::max(max_frac_, a.equity_frac);
        }
        for (const RuleCondition& k : r_.conditions) {
            has_cross_ = has_cross_ || k.op == RuleOp::kCrossAbove || k.op == RuleOp::kCrossBelow;
        }
        value_.assign(r_.indicators.size(), 0);
        holds_.assign(r_.conditions.size(), 0);
        prev_a_.assign(r_.conditions.size(), 0);
        prev_b_.assign(r_.conditions.size(), 0);
    }

    std::vector<std::string> feature_names() const override {
        std::vector<std::string> n;
        for (const RuleIndicator& i : r_.indicators) {
            if (std::find(n.begin(), n.end(), i.feature) == n.end()) {
                n.push_back(i.feature);
            }
        }
        return n;
    }

    void bind(const IndexFn& index) override {
        index_.clear();
        for (const RuleIndicator& i : r_.indicators) {
            index_.push_back(index(i.feature));
        }
        if (!places_) {
            set_target(0);
        }
    }

    void on_bar(const BarInput& b, const Regime& regime) override {
        prices_ = {b.o, b.h, b.l, b.c, b.v};
        fires_.clear();
        bool finite_now = true;
        for (std::size_t i = 0; i < index_.size(); ++i) {
            value_[i] = b.f[index_[i]];
            finite_now = finite_now && std::isfinite(value_[i]);
        }
        if (places_) {
            mark_fills(b);
        }
        warm_ = finite_now && (!has_cross_ || prev_finite_);
        for (std::size_t k = 0; k < r_.conditions.size(); ++k) {
            holds_[k] = warm_ && evaluate(k) ? 1 : 0;
        }
        if (finite_now) {
            for (std::size_t k = 0; k < r_.conditions.size(); ++k) {
                const RuleCondition& c = r_.conditions[k];
                if (c.op == RuleOp::kCrossAbove || c.op == RuleOp::kCrossBelow) {
                    prev_a_[k] = series(c.args[0]);
                    prev_b_[k] = series(c.args[1]);
                }
            }
        }
        prev_finite_ = finite_now;
        if (!warm_) {
            return;
        }
        if (places_) {
            place(b, regime);
        } else {
            target(regime);
        }
    }

    double fit(const Regime& r) const override {
        const double trend = std::clamp((r.trend - 0.2) / 0.5, 0.0, 1.0);
        if (r_.fits == "trend_up") {
            return trend * r.direction;
        }
        if (r_.fits == "trend_down") {
            return trend * (1 - r.direction);
        }
        if (r_.fits == "range") {
            return r.range * (1 - 0.5 * r.volatility);
        }
        if (r_.fits == "volatile") {
            return r.volatility;
        }
        return 0.5;
    }

    std::string fit_reason(const Regime& r) const override {
        return "rules " + config_.name + " state that they fit " +
               (r_.fits == "any" ? std::string("any regime (0.5)")
                                 : r_.fits + " markets: " + general(fit(r)));
    }

    void reset() override {
        Strategy::reset();
        prev_finite_ = false;
        held_ = 0;
        if (!places_) {
            set_target(0);
        }
    }

    [[nodiscard]] BarTrace trace() const override {
        BarTrace t;
        t.traced = true;
        t.warm = warm_;
        for (std::size_t k = 0; k < r_.conditions.size(); ++k) {
            if (holds_[k] != 0) {
                t.holds.push_back(r_.conditions[k].id);
            }
        }
        t.fires = fires_;
        return t;
    }

private:
    double series(const Operand& o) const {
        switch (o.kind) {
        case Operand::Kind::kNumber:
            return o.number;
        case Operand::Kind::kPrice:
            return prices_[o.index];
        case Operand::Kind::kIndicator:
            return value_[o.index];
        case Operand::Kind::kCondition:
            break;
        }
        return holds_[o.index];
    }

    bool evaluate(std::size_t k) const {
        const RuleCondition& c = r_.conditions[k];
        switch (c.op) {
        case RuleOp::kGt:
            return series(c.args[0]) > series(c.args[1]);
        case RuleOp::kLt:
            return series(c.args[0]) < series(c.args[1]);
        case RuleOp::kCrossAbove:
            return prev_a_[k] <= prev_b_[k] && series(c.args[0]) > series(c.args[1]);
        case RuleOp::kCrossBelow:
            return prev_a_[k] >= prev_b_[k] && series(c.args[0]) < series(c.args[1]);
        case RuleOp::kBetween: {
            const double a = series(c.args[0]);
            return series(c.args[1]) <= a && a <= series(c.args[2]);
        }
        case RuleOp::kAnd:
            return std::all_of(c.args.begin(), c.args.end(),
                               [&](const Operand& o) { return holds_[o.index] != 0; });
        case RuleOp::kOr:
            return std::any_of(c.args.begin(), c.args.end(),
                               [&](const Operand& o) { return holds_[o.index] != 0; });
        case RuleOp::kNot:
            return holds_[c.args[0].index] == 0;
        }
        return false;
    }

    // An operand in words with its value now: "ema_12 61234.5", "close 612.3", "30".
    std::string words(const Operand& o) const {
        switch (o.kind) {
        case Operand::Kind::kNumber:
            return o.text;
        case Operand::Kind::kPrice:
            return o.text + " " + general(series(o));
        case Operand::Kind::kIndicator:
            return r_.indicators[o.index].feature + " " + general(series(o));
        case Operand::Kind::kCondition:
            break;
        }
        return o.text;
    }

    // Why condition k holds, in words.
    std::string why(std::size_t k) const {
        const RuleCondition& c = r_.conditions[k];
        std::string s = c.id + " (";
        switch (c.op) {
        case RuleOp::kGt:
            s += words(c.args[0]) + " > " + words(c.args[1]);
            break;
        case RuleOp::kLt:
            s += words(c.args[0]) + " < " + words(c.args[1]);
            break;
        case RuleOp::kCrossAbove:
            s += words(c.args[0]) + " crossed above " + words(c.args[1]);
            break;
        case RuleOp::kCrossBelow:
            s += words(c.args[0]) + " crossed below " + words(c.args[1]);
            break;
        case RuleOp::kBetween:
            s += words(c.args[0]) + " between " + words(c.args[1]) + " and " + words(c.args[2]);
            break;
        case RuleOp::kAnd:
        case RuleOp::kOr:
            for (std::size_t i = 0; i < c.args.size(); ++i) {
                s += i == 0 ? "" : (c.op == RuleOp::kAnd ? " and " : " or ");
                s += c.args[i].text;
            }
            break;
        case RuleOp::kNot:
            s += "not " + c.args[0].text;
            break;
        }
        return s + ")";
    }

    // target and close: the last action in file order whose condition holds sets what is held.
    void target(const Regime& regime) {
        const RuleAction* fired = nullptr;
        for (const RuleAction& a : r_.actions) {
            if (holds_[a.when] != 0) {
                fired = &a;
            }
        }
        if (fired == nullptr) {
            return;
        }
        fires_.push_back(fired->id);
        const double want = fired->act == RuleAct::kClose ? 0.0 : fired->equity_frac;
        if (want == held_) {
            return;
        }
        const double old = held_;
        held_ = want;
        set_target(want);
        exposure_ = max_frac_ > 0 ? want / max_frac_ : 0;
        const double strength = max_frac_ > 0 ? (want - old) / max_frac_ : 0;
        set_signal(want > old ? "buy" : "sell", strength, fit(regime),
                   fired->id + ": " + why(fired->when) + ", hold " + general(want) +
                       " of the equity");
    }

    // place: the legs are the place actions whose condition holds on this candle.
    void place(const BarInput& b, const Regime& regime) {
        std::vector<Leg> legs;
        double net = 0;
        std::string reason;
        for (const RuleAction& a : r_.actions) {
            if (holds_[a.when] == 0) {
                continue;
            }
            fires_.push_back(a.id);
            Leg leg;
            leg.id = a.id;
            leg.side = a.side;
            leg.ord_type = a.ord_type;
            leg.px = b.c * (1 + a.offset);
            leg.equity_frac = a.equity_frac;
            legs.push_back(std::move(leg));
            net += a.side == "buy" ? a.equity_frac : -a.equity_frac;
            reason += reason.empty() ? "" : "; ";
            reason += a.id + ": " + why(a.when) + ", " + a.side + " " + general(a.equity_frac) +
                      " of the equity at " + general(b.c * (1 + a.offset));
        }
        if (legs != legs_) {
            legs_ = std::move(legs);
            ++legs_seq_;
            const std::string side = legs_.empty() ? "flat"
                                     : net > 0     ? "buy"
                                     : net < 0     ? "sell"
                                                   : "flat";
            set_signal(side, max_frac_ > 0 ? net / max_frac_ : 0, fit(regime),
                       legs_.empty() ? std::string("no place condition holds") : reason);
        }
    }

    // What the legs on the book since the last candle would have filled: a buy when this
    // candle traded below its price, a sell when it traded above (touching is not enough).
    void mark_fills(const BarInput& b) {
        for (const Leg& leg : legs_) {
            if (leg.side == "buy" && b.l < leg.px) {
                exposure_ += max_frac_ > 0 ? leg.equity_frac / max_frac_ : 0;
            } else if (leg.side == "sell" && b.h > leg.px) {
                exposure_ -= max_frac_ > 0 ? leg.equity_frac / max_frac_ : 0;
            }
        }
        exposure_ = std::clamp(exposure_, 0.0, 1.0);
    }

    const Rules& r_;
    bool places_ = false;
    bool has_cross_ = false;
    double max_frac_ = 0;
    double held_ = 0;
    bool prev_finite_ = false;
    std::vector<std::size_t> index_;
    std::vector<double> value_;
    std::array<double, 5> prices_{};
    std::vector<char> holds_;
    std::vector<std::string> fires_; // the actions that fired on the last candle
    std::vector<double> prev_a_, prev_b_;
};

} // namespace

std::string_view op_name(RuleOp op) {
    for (const OpSpec& s : kOps) {
        if (s.op == op) {
            return s.name;
        }
    }
    return "?";
}

std::string_view act_name(RuleAct act) {
    for (const ActSpec& s : kActs) {
        if (s.act == act) {
            return s.name;
        }
    }
    return "?";
}

bool Rules::places() const {
    return std::any_of(actions.begin(), actions.end(),
                       [](const RuleAction& a) { return a.act == RuleAct::kPlace; });
}

std::string Rules::json() const {
    std::string o = R"({"fits":)";
    core::append_json_string(o, fits);
    o += R"(,"indicators":{)";
    for (std::size_t i = 0; i < indicators.size(); ++i) {
        o += i ? "," : "";
        core::append_json_string(o, indicators[i].id);
        o += ':';
        core::append_json_string(o, indicators[i].feature);
    }
    o += R"(},"conditions":{)";
    auto operand = [&](const Operand& a) {
        if (a.kind == Operand::Kind::kNumber) {
            core::append_double(o, a.number);
        } else {
            core::append_json_string(o, a.text);
        }
    };
    for (std::size_t k = 0; k < conditions.size(); ++k) {
        const RuleCondition& c = conditions[k];
        o += k ? "," : "";
        core::append_json_string(o, c.id);
        o += R"(:{"op":)";
        core::append_json_string(o, op_name(c.op));
        if (c.op == RuleOp::kAnd || c.op == RuleOp::kOr) {
            o += R"(,"of":[)";
            for (std::size_t i = 0; i < c.args.size(); ++i) {
                o += i ? "," : "";
                operand(c.args[i]);
            }
            o += ']';
        } else {
            const char* names[3] = {"a", c.op == RuleOp::kBetween ? "lo" : "b", "hi"};
            for (std::size_t i = 0; i < c.args.size(); ++i) {
                o += ',';
                core::append_json_string(o, names[i]);
                o += ':';
                operand(c.args[i]);
            }
        }
        o += '}';
    }
    o += R"(},"actions":{)";
    for (std::size_t i = 0; i < actions.size(); ++i) {
        const RuleAction& a = actions[i];
        o += i ? "," : "";
        core::append_json_string(o, a.id);
        o += R"(:{"when":)";
        core::append_json_string(o, conditions[a.when].id);
        o += R"(,"do":)";
        core::append_json_string(o, act_name(a.act));
        if (a.act != RuleAct::kClose) {
            o += R"(,"equity_frac":)";
            core::append_double(o, a.equity_frac);
        }
        if (a.act == RuleAct::kPlace) {
            o += R"(,"side":)";
            core::append_json_string(o, a.side);
            o += R"(,"ord_type":)";
            core::append_json_string(o, a.ord_type);
            o += R"(,"offset":)";
            core::append_double(o, a.offset);
        }
        o += '}';
    }
    o += "}}";
    return o;
}

std::string rules_schema_properties() {
    const std::string id = R"("^[A-Za-z0-9_-]{1,40}$")";
    std::string o =
        R"("fits":{"type":"string","enum":["trend_up","trend_down","range","volatile","any"],"default":"any",)"
        R"("description":"the market regime the rules suit: how the selector weighs them against the other candidates, any: 0.5"},)";
    o +=
        R"("indicators":{"type":"object","description":"series: id = a feature name of featurize --list (fast = \"ema_12\"); the prices open, high, low, close and volume need no entry",)";
    o += R"("propertyNames":{"pattern":)" + id + "},";
    o += R"("additionalProperties":{"type":"string","x-okxkit-port":"series"},)";
    // The default set's features (news excepted) with their warm-ups, for the builder's
    // palette; other parameters of a family (ema_7) are valid too.
    o += R"("x-okxkit-features":[)";
    bool first_feature = true;
    for (const features::FeatureInfo& f : features::FeatureSet::default_set().describe()) {
        if (f.group == "news") {
            continue;
        }
        o += first_feature ? "{" : ",{";
        first_feature = false;
        o += R"("name":)";
        core::append_json_string(o, f.name);
        o += R"(,"group":)";
        core::append_json_string(o, f.group);
        o += R"(,"warmup":)";
        o += std::to_string(f.warmup);
        o += R"(,"description":)";
        core::append_json_string(o, f.definition);
        o += '}';
    }
    // Every family as its synopsis (ema_N, bb_width_N_X): any parameters are valid names.
    o += R"(],"x-okxkit-families":[)";
    bool first_family = true;
    for (const std::string& f : features::family_synopses()) {
        if (f.starts_with("news_")) {
            continue;
        }
        o += first_family ? "" : ",";
        first_family = false;
        core::append_json_string(o, f);
    }
    o += "]},";
    o +=
        R"("conditions":{"type":"object","description":"conditions, true or false on each closed candle: id = { op = ..., ... }",)";
    o += R"("propertyNames":{"pattern":)" + id + R"(},"additionalProperties":{"oneOf":[)";
    const std::string series = R"({"type":["string","number"],"x-okxkit-port":"series"})";
    const std::string boolean = R"({"type":"string","x-okxkit-port":"bool"})";
    bool first = true;
    for (const OpSpec& s : kOps) {
        o += first ? "" : ",";
        first = false;
        o += R"({"title":)";
        core::append_json_string(o, s.name);
        o += R"(,"description":)";
        core::append_json_string(o, s.help);
        o += R"(,"type":"object","additionalProperties":false,"properties":{"op":{"const":)";
        core::append_json_string(o, s.name);
        o += '}';
        switch (s.op) {
        case RuleOp::kBetween:
            for (const char* f : {R"(,"a":)", R"(,"lo":)", R"(,"hi":)"}) {
                o += f;
                o += series;
            }
            o += R"(},"required":["op","a","lo","hi"])";
            break;
        case RuleOp::kAnd:
        case RuleOp::kOr:
            o += R"(,"of":{"type":"array","minItems":2,"items":)" + boolean +
                 R"(}},"required":["op","of"])";
            break;
        case RuleOp::kNot:
            o += R"(,"a":)" + boolean + R"(},"required":["op","a"])";
            break;
        default:
            for (const char* f : {R"(,"a":)", R"(,"b":)"}) {
                o += f;
                o += series;
            }
            o += R"(},"required":["op","a","b"])";
            break;
        }
        o += R"(,"x-okxkit-port":"bool"})";
    }
    o +=
        R"(]}},"actions":{"type":"object","minProperties":1,"description":"what the rules do when a condition holds, in file order (the later of two that fire on a candle wins); either target and close, or place",)";
    o += R"("propertyNames":{"pattern":)" + id + R"(},"additionalProperties":{"oneOf":[)";
    first = true;
    for (const ActSpec& s : kActs) {
        o += first ? "" : ",";
        first = false;
        o += R"({"title":)";
        core::append_json_string(o, s.name);
        o += R"(,"description":)";
        core::append_json_string(o, s.help);
        o += R"(,"type":"object","additionalProperties":false,"properties":{"when":)" + boolean +
             R"(,"do":{"const":)";
        core::append_json_string(o, s.name);
        o += '}';
        switch (s.act) {
        case RuleAct::kTarget:
            o +=
                R"(,"equity_frac":{"type":"number","minimum":0,"maximum":1}},"required":["when","do","equity_frac"])";
            break;
        case RuleAct::kClose:
            o += R"(},"required":["when","do"])";
            break;
        case RuleAct::kPlace:
            o +=
                R"(,"side":{"type":"string","enum":["buy","sell"]},)"
                R"("equity_frac":{"type":"number","exclusiveMinimum":0,"maximum":1},)"
                R"("ord_type":{"type":"string","enum":["limit","post_only"],"default":"limit"},)"
                R"("offset":{"type":"number","minimum":-0.5,"maximum":0.5,"default":0,"description":"the order's price is the close times 1 + offset"}},)"
                R"("required":["when","do","side","equity_frac"])";
            break;
        }
        o += R"(,"x-okxkit-port":"intent"})";
    }
    o += "]}}";
    return o;
}

void check_rules(const std::string& path, const toml::table& t, Rules* out,
                 std::vector<Problem>* problems) {
    RulesReader(path, problems).read(t, out);
}

std::unique_ptr<Strategy> make_rules_strategy(const StrategyConfig& c) {
    if (!c.rules) {
        throw std::logic_error("a rules strategy needs its rules (from a strategy file)");
    }
    return std::make_unique<RulesStrategy>(c);
}

} // namespace okxkit::strategy
