// Strategy files: the TOML that configures one strategy (its kind and parameters), the schema
// every kind's parameters follow, and the checks that name the file, line and key of a problem.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::strategy {

enum class ParamType { kInt, kNumber, kString, kBool };

// One parameter of a strategy kind.
struct ParamSpec {
    std::string_view key;
    ParamType type;
    std::string_view def; // default, as TOML would write it (strings without quotes)
    double min = 0;       // kInt, kNumber: the range accepted
    double max = 0;
    std::string_view allowed = {}; // kString: the values accepted, separated by '|'
    std::string_view help = {};
};

// A strategy kind and its parameters.
struct KindSchema {
    std::string_view kind;
    std::string_view summary;
    std::span<const ParamSpec> params;
};

struct Rules; // the graph of a rules strategy (strategy/rules.hpp)

// The five kinds: grid, trend, mean_reversion, ml, rules (whose graph only a file can give).
std::span<const KindSchema> kinds();
const KindSchema* find_kind(std::string_view kind);
// "grid, trend, mean_reversion, ml or rules".
std::string kind_list();

// One strategy, configured: a kind, a name (the file's `name`, else the kind), and every
// parameter (the file's value or the default).
struct StrategyConfig {
    std::string kind;
    std::string name;
    std::string file;                                     // "" for a kind's built-in defaults
    std::map<std::string, std::string, std::less<>> text; // every parameter as text
    std::map<std::string, double, std::less<>> num;       // numbers, integers and booleans (0/1)
    std::shared_ptr<const Rules> rules;                   // kind rules: its graph

    [[nodiscard]] double number(std::string_view key) const;
    [[nodiscard]] int integer(std::string_view key) const;
    [[nodiscard]] const std::string& str(std::string_view key) const;
    [[nodiscard]] bool flag(std::string_view key) const { return number(key) != 0; }
    // The parameters as one compact JSON object, keys in order (for the store).
    [[nodiscard]] std::string params_json() const;
};

// A problem with a strategy file: where, which key ("" for the file as a whole), what.
struct Problem {
    std::string file;
    long line = 0; // 0 when the file could not be read
    std::string key;
    std::string message;
    // "FILE:LINE: key \"K\": message" (without the parts that are empty).
    [[nodiscard]] std::string text() const;
};

// The defaults of a kind (which must exist).
StrategyConfig defaults(std::string_view kind);

// Reads and checks a strategy file: TOML syntax, `kind` (required, a known kind), `name`
// (optional: letters, digits, '_' and '-'), every parameter's type and range, no unknown key,
// and the rules between parameters (trend: fast < slow); for kind rules, its graph (see
// strategy/rules.hpp), each problem's key a dotted path (conditions.golden.a). Returns every
// problem found, in file order; *out is the strategy when there are none.
std::vector<Problem> check_file(const std::string& path, StrategyConfig* out);

// check_file, throwing core::UsageError with the first problem's text (and the count of the
// others) when there is any.
StrategyConfig load_file(const std::string& path);

// The strategy files' schema as a JSON Schema (draft 2020-12) document, one line.
std::string schema_json();

} // namespace okxkit::strategy
