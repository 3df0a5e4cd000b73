// The message model: every kind of MESSAGES.md, its fields, and validation against them.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

// True when msg (an object) is of kind but its "v" is higher than the version this build
// understands: a later layout, which okxkit passes on untouched and never acts on (okxkit(7),
// MESSAGE VERSIONS).
bool is_newer(const KindSpec& kind, const nlohmann::json& msg);

// Checks a parsed message: an object with "type" (string), "v" (integer, 1 or more), "ts"
// (integer); then, for a kind this build knows at a version it understands, "inst" (string,
// where the kind has one), every required field present with its type, and optional fields of
// the right type when present. Unknown fields are fine; unknown kinds and newer versions of
// known kinds need only type, v and ts. Returns the first problem as text ('missing field
// "ts"'), or nullopt when valid.
std::optional<std::string> validate_message(const nlohmann::json& msg);

// Parses one JSON text exactly, for every line and body read from outside: nlohmann alone
// takes a NUL byte for the end of the input (ignoring whatever follows it) and skips a leading
// byte order mark; here both make the text invalid. A discarded value when the text is not
// exactly one JSON value (with optional whitespace around it).
nlohmann::json parse_json(std::string_view text);

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

// A candle line's fields as the pipeline stages read them (views into the line or its JSON).
struct CandleFields {
    std::int64_t ts = 0;
    std::string_view inst;
    std::string_view bar;
    double o = 0, h = 0, l = 0, c = 0, vol = 0;
    bool confirm = false;
};

// The hot path of the stages that read candles: a compact, flat candle object as okx-stream
// writes it, read without a JSON tree. Fields: type "candle", v 1, ts, inst, bar, o, h, l, c,
// vol, confirm, and optionally vol_quote, run, src, recv_ts, each once, in any order. Numbers
// in exactly the JSON grammar and finite, strings plain printable ASCII. Returns false for
// anything else (another kind or version, escapes, extra fields, a duplicate key, any doubt),
// and the caller takes the general path, which finds the exact problem. O(length).
bool read_candle_fast(std::string_view line, CandleFields& out);

// The fields of a features message (its text: views into the line).
struct FeaturesFields {
    std::int64_t ts = 0;
    std::string_view inst, bar, schema;
};

// The hot path of a features line, the widest message of a pipeline (218 values): reads it
// without a JSON tree in exactly the JSON grammar, the values of f into *row when row is given
// (null = NaN; then a value beyond the range of a float is refused too). False for anything
// else, and the general path (validate_message) judges the line; a line it takes is one the
// general path accepts with the same fields (fuzz/fuzz_features_fast checks this). Stages that
// only pass features on use it with no row. O(length).
bool read_features_fast(std::string_view line, FeaturesFields& out,
                        std::vector<float>* row = nullptr);
// The same, with the row chosen once the fields before f are read: choose returns where the
// values go, or nullptr to check them only (cheaper: no number is converted, except one with
// an exponent or of hundreds of digits, which could overflow). predict reads the values of a
// series with a model only.
bool read_features_fast(std::string_view line, FeaturesFields& out,
                        const std::function<std::vector<float>*(const FeaturesFields&)>& choose);

// The same fields from a validated candle message (validate_message passed).
CandleFields candle_fields(const nlohmann::json& msg);

// What a stage requires of a candle before it acts on it, beyond the schema: an instrument id
// in OKX form, an exact OKX bar name (its length in *bar_ms), and for a closed candle the
// OHLCV invariants (check_ohlcv). Returns the problem as text, or nullopt.
std::optional<std::string> check_candle(const CandleFields& k, std::int64_t* bar_ms);

// Checks the OHLCV invariants every okxkit tool relies on: all values finite, prices > 0,
// volume >= 0, high >= max(open, close), low <= min(open, close). Returns the problem as
// text, or nullopt.
std::optional<std::string> check_ohlcv(double o, double h, double l, double c, double vol);

// Appends one candle message (without the newline), compact, fields in a fixed order:
// type v ts inst bar o h l c vol [vol_quote] confirm. O(1), no allocation beyond growth.
void append_candle(std::string& out, const Candle& candle);

} // namespace okxkit::core
