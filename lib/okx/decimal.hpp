// Exact decimals for the exchange boundary: OKX's decimal strings, tickSz/lotSz rounding, minSz.
#pragma once

#include "core/instrument.hpp"
#include "core/trading.hpp"

#include <compare>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace okxkit::okx {

// An exact decimal number units × 10^-scale with at most 18 decimals (scale 0..18) and
// magnitude below 10^18, so any value aligned to 18 decimals fits a 128-bit integer and no
// operation here rounds in binary. Kept canonical (no trailing fractional zeros; zero has
// scale 0), so equal values have equal representations. Default: 0.
class Decimal {
public:
    static constexpr int kMaxScale = 18;
    // Longest text format() writes: sign, 18 integer digits, point, 18 decimals.
    static constexpr std::size_t kMaxText = 38;

    constexpr Decimal() = default;

    // Parses an OKX decimal string: "0.1", "1", "10", "0.00000001", "-2.5", also exponent
    // forms such as "1e-8" or "2.5E3". Accepted: an optional leading '-', digits with an
    // optional '.' that has digits on both sides, then an optional e/E with an optional sign
    // and digits. Rejected with a reason (lowercase, naming the text): empty text, spaces, '+'
    // in front, ".5", "5.", "nan", "inf", hex, more than 18 decimals after trailing zeros are
    // dropped ("0.1000000000000000000" is fine, 1e-19 is not), magnitude of 10^18 or more.
    // "-0" is 0. O(length), no allocation unless it fails.
    static std::optional<Decimal> parse(std::string_view text, std::string* error = nullptr);

    // The decimal a double stands for: v written to 15 significant digits (DBL_DIG, the most
    // that every decimal survives a trip through a double with), which removes binary
    // representation error (0.1 + 0.2 is 0.30000000000000004 as a double, 0.3 here), then
    // rounded to 18 decimals, ties away from zero. nullopt (with a reason) for NaN, infinities
    // and |v| >= 10^18. O(1), no allocation unless it fails. To round a double to a tick or
    // lot, use round_to_step(double, ...), which rounds the 15-digit value in one step.
    static std::optional<Decimal> from_double(double v, std::string* error = nullptr);

    // The canonical text: plain decimal, never an exponent, no trailing fractional zeros, no
    // '+', a '-' for negatives, "0" for zero ("29093.7", "0.00000001", "100", "-2.5"). OKX
    // accepts this for px and sz (it also takes padded forms such as "29093.70"; this one is
    // the same spelling OKX uses for tickSz and lotSz). parse(to_string()) gives the value back.
    std::string to_string() const;
    // Appends to_string() to out; no allocation beyond the buffer's growth.
    void append_to(std::string& out) const;
    // Writes to_string() at p (room for kMaxText bytes) and returns the end.
    char* write(char* p) const;

    // The double nearest the value (correctly rounded). O(digits).
    double to_double() const;

    // Number of decimals of the canonical text (0 for integers): 1 for 29093.7, 8 for 1e-8.
    int scale() const { return scale_; }
    // -1, 0 or 1.
    int sign() const { return units_ < 0 ? -1 : (units_ > 0 ? 1 : 0); }
    bool is_zero() const { return units_ == 0; }

    friend bool operator==(const Decimal&, const Decimal&) = default;
    // Exact order of the values, whatever their scales. O(1).
    friend std::strong_ordering operator<=>(const Decimal& a, const Decimal& b);

private:
    friend struct DecimalAccess;
    __int128 units_ = 0;
    int scale_ = 0;
};

// How to round to a multiple of a step: kDown toward minus infinity (floor), kUp toward plus
// infinity (ceiling), kNearest to the closer multiple with ties away from zero (100.05 on a
// 0.1 tick becomes 100.1, as a person rounds; one order at a time, so no bias to even out).
enum class Rounding { kDown, kUp, kNearest };

// A rounded value, or the reason there is none (lowercase, what went wrong, then what to do).
// No allocation when it succeeds.
struct DecimalResult {
    std::optional<Decimal> value;
    std::string error;
    explicit operator bool() const { return value.has_value(); }
    const Decimal& operator*() const { return *value; }
    const Decimal* operator->() const { return &*value; }
};

// v rounded exactly to a multiple of step (> 0, any decimal: 0.1, 0.5, 5, 1e-8, ...) per
// mode. Fails when step is not positive or the result reaches 10^18. O(1), no allocation
// unless it fails.
DecimalResult round_to_step(const Decimal& v, const Decimal& step, Rounding mode);

// The double v taken as its 15-significant-digit decimal (see Decimal::from_double), rounded
// exactly to a multiple of step per mode in one step (no intermediate rounding to 18
// decimals). 29093.7 on tick 0.1 is 29093.7 whichever the mode, where floor(v / tick) * tick
// in doubles gives 29093.6. Fails for NaN, infinities, |v| >= 10^18 and a step that is not
// positive. O(1), no allocation unless it fails.
DecimalResult round_to_step(double v, const Decimal& step, Rounding mode);

// True when v is an integer multiple of step (> 0); false for a step that is not. O(1).
bool is_multiple_of(const Decimal& v, const Decimal& step);

// The trading rules of one instrument as OKX's instrument list gives them
// (GET /api/v5/public/instruments: tickSz, lotSz, minSz).
struct InstrumentRules {
    std::string inst_id; // for messages: "BTC-USDT"
    Decimal tick_sz;     // price increment, > 0
    Decimal lot_sz;      // size increment, > 0
    Decimal min_sz;      // smallest order size, >= 0
};

// InstrumentRules or the reason there are none.
struct RulesResult {
    std::optional<InstrumentRules> value;
    std::string error;
    explicit operator bool() const { return value.has_value(); }
    const InstrumentRules& operator*() const { return *value; }
    const InstrumentRules* operator->() const { return &*value; }
};

// Parses the three strings of inst_id's rules (see Decimal::parse). Fails, naming the field,
// the text and the instrument, when a string is not a decimal, tickSz or lotSz is not
// positive, or minSz is negative. O(length).
RulesResult parse_rules(std::string_view inst_id, std::string_view tick_sz, std::string_view lot_sz,
                        std::string_view min_sz);
// The same from a stored row of the instrument list.
RulesResult parse_rules(const core::InstrumentInfo& row);

using core::Side; // buy or sell, as the messages spell it (core/trading.hpp)

// How order_price rounds to tickSz. kPassive: buys down and sells up, so the order is never at
// a worse price than asked (the default). kAggressive: buys up and sells down, for an order
// that must reach the book's other side. kNearest: the closer tick (ties away from zero).
enum class PriceRounding { kPassive, kAggressive, kNearest };

// The px of an order to side at px, rounded exactly to tickSz per mode (the 15-digit rule of
// Decimal::from_double applies). Fails, saying what to do, when px is not finite, not
// positive, or rounds to zero. Format the result with to_string() for OKX. O(1), no
// allocation unless it fails.
DecimalResult order_price(double px, Side side, const InstrumentRules& rules,
                          PriceRounding mode = PriceRounding::kPassive);

// The sz of an order for sz, rounded down to lotSz (never more than asked). Fails, saying what
// to do, when sz is not finite, not positive, rounds to zero, or is below minSz after
// rounding ("size 0.00000999 is below minSz 0.00001 of BTC-USDT: ..."). O(1), no
// allocation unless it fails.
DecimalResult order_size(double sz, const InstrumentRules& rules);

// Empty when sz can be sent as is: positive, a multiple of lotSz and at least minSz; else the
// reason and what to do. For sizes that are already decimals (from text). O(1).
std::string check_size(const Decimal& sz, const InstrumentRules& rules);

// Empty when px can be sent as is: positive and a multiple of tickSz; else the reason. O(1).
std::string check_price(const Decimal& px, const InstrumentRules& rules);

} // namespace okxkit::okx
