// The message model: every kind of MESSAGES.md, its fields, and validation against them.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace okxkit::core {

enum class FieldType { kString, kInt, kNumber, kBool, kArray, kObject, kAny };

struct FieldSpec {
    std::string_view name;
    FieldType type;
    bool required;
    // For enumerated strings: the allowed values separated by '|'; empty when free.
    std::string_view allowed = {};
    // Numbers: true when JSON null is allowed ("known to be not available").
    bool nullable = false;
};

struct KindSpec {
    std::string_view type;
    int version;
    bool has_inst; // false for run-wide kinds (feature_schema, portfolio, sync)
    std::span<const FieldSpec> fields;
};

// All message kinds, in the order of man/okxkit.7.
std::span<const KindSpec> all_kinds();

// The spec of a kind, or nullptr for a kind okxkit does not know (such lines pass through).
const KindSpec* find_kind(std::string_view type);

// Checks a parsed message: an object with "type" (string), "v" (int), "ts" (int), "inst"
// (string, where the kind has one), then every required field of a known kind present with
// its type, and optional fields of the right type when present. Unknown fields are fine.
// Returns the first problem as text ('missing field "ts"'), or nullopt when valid.
std::optional<std::string> validate_message(const nlohmann::json& msg);

// A candle as it travels on the pipes.
struct Candle {
    std::int64_t ts = 0; // bar open time, ms
    std::string_view inst;
    std::string_view bar;
    double o = 0, h = 0, l = 0, c = 0, vol = 0;
    std::optional<double> vol_quote;
    bool confirm = true;
    // Optional: the decimal texts o h l c vol were parsed from (empty: format the value).
    // Output is the same either way; the text only saves the formatting.
    std::array<std::string_view, 5> text{};
};

// Checks the OHLCV invariants every okxkit tool relies on: all values finite, prices > 0,
// volume >= 0, high >= max(open, close), low <= min(open, close). Returns the problem as
// text, or nullopt.
std::optional<std::string> check_ohlcv(double o, double h, double l, double c, double vol);

// Appends one candle message (without the newline), compact, fields in a fixed order:
// type v ts inst bar o h l c vol [vol_quote] confirm. O(1), no allocation beyond growth.
void append_candle(std::string& out, const Candle& candle);

} // namespace okxkit::core
