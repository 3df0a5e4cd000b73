// Exact decimals for the exchange boundary: parsing, formatting and rounding in integers.
#include "okx/decimal.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>

namespace okxkit::okx {

using I128 = __int128;

namespace {

// 10^0 .. 10^38; 10^38 is the largest power of ten below 2^127.
constexpr int kMaxPow10 = 38;
constexpr std::array<I128, kMaxPow10 + 1> kPow10 = [] {
    std::array<I128, kMaxPow10 + 1> t{};
    t[0] = 1;
    for (std::size_t k = 1; k < t.size(); ++k) {
        t[k] = t[k - 1] * 10;
    }
    return t;
}();

// Magnitudes stay below 10^18 (Decimal's invariant) so that any two values aligned to 18
// decimals are below 10^36 and their sums and products with small counts fit in 127 bits.
constexpr int kMaxIntegerDigits = 18;
constexpr I128 kLimit = kPow10[kMaxIntegerDigits];

// Most decimals a Decimal keeps.
constexpr int kMaxScale = Decimal::kMaxScale;
// Digits of the units of any Decimal: 18 whole digits and 18 decimals.
constexpr std::int64_t kMaxDigits = kMaxIntegerDigits + kMaxScale;

constexpr const char* kTooLarge = " is too large for an exchange decimal (it must be below 10^18)";
constexpr const char* kNotFinite = " is not a finite number";

// Exponents beyond this are clamped while parsing: any non-zero value with one is out of range.
constexpr std::int64_t kExponentClamp = 100000;

I128 magnitude(I128 v) {
    return v < 0 ? -v : v;
}

// Number of decimal digits of 0 < v < 10^38 (1 for 0).
int digit_count(I128 v) {
    int n = 1;
    while (n < kMaxPow10 && v >= kPow10[n]) {
        ++n;
    }
    return n;
}

// An exact decimal units × 10^-scale with any scale >= 0, magnitude below 10^18 and at most
// 36 digits in units: a Decimal, or the 15-digit value of a double before it is rounded to a
// step (a small size such as 1.23456789012345e-5 has 19 decimals).
struct Wide {
    I128 units;
    int scale;
};

// The 15-significant-digit decimal of v (DBL_DIG: every decimal of 15 digits comes back from
// its nearest double, so this undoes the binary error of a value that was such a decimal
// before it became a double). nullopt for NaN, infinities, and magnitudes of 10^18 or more.
std::optional<Wide> wide_of(double v) {
    if (!std::isfinite(v)) {
        return std::nullopt;
    }
    // "-d.dddddddddddddde-ddd": 1 + 16 + 5 characters at most.
    std::array<char, 32> buf{};
    const auto [end, ec] =
        std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific, 14);
    if (ec != std::errc()) {
        return std::nullopt;
    }
    const char* p = buf.data();
    const bool negative = *p == '-';
    if (negative) {
        ++p;
    }
    std::int64_t mantissa = 0;
    for (; p != end && *p != 'e'; ++p) {
        if (*p != '.') {
            mantissa = mantissa * 10 + (*p - '0');
        }
    }
    int exponent = 0;
    if (p != end) {
        ++p; // 'e'
        std::from_chars(*p == '+' ? p + 1 : p, end, exponent);
    }
    if (mantissa == 0) {
        return Wide{0, 0};
    }
    if (exponent >= kMaxIntegerDigits) {
        return std::nullopt;
    }
    // v = mantissa × 10^(exponent - 14), mantissa of 15 digits.
    Wide w{mantissa, 0};
    if (exponent >= 14) {
        w.units *= kPow10[exponent - 14];
    } else {
        w.scale = 14 - exponent;
    }
    while (w.scale > 0 && w.units % 10 == 0) {
        w.units /= 10;
        --w.scale;
    }
    if (negative) {
        w.units = -w.units;
    }
    return w;
}

// The number of steps (step = s × 10^-b, s > 0, b <= 18) in the multiple of step that v
// rounds to per mode. Exact: one 128-bit division and a look at its remainder.
I128 round_steps(const Wide& v, I128 s, int b, Rounding mode) {
    if (v.units == 0) {
        return 0;
    }
    // v / step = n / d with d > 0.
    I128 n = 0;
    I128 d = 0;
    if (v.scale <= b) {
        // |units| < 10^(18 + scale), so n < 10^(18 + b) <= 10^36.
        n = v.units * kPow10[b - v.scale];
        d = s;
    } else {
        const int du = digit_count(magnitude(v.units));
        const int ds = digit_count(s);
        if (du - v.scale <= ds - b - 2) {
            // 0 < |v| < 10^(du - scale) <= 10^(ds - 1 - b) / 10 <= step / 10: like ±step/4, v
            // lies between 0 and ±step, nearer 0, so every mode rounds it as it rounds ±1/4
            // (and s × 10^(scale - b), which may not fit, is never formed).
            n = v.units > 0 ? 1 : -1;
            d = 4;
        } else {
            // scale - b <= du - ds + 1, so d < 10^(du + 1) <= 10^37.
            n = v.units;
            d = s * kPow10[v.scale - b];
        }
    }
    // Floor division: q = floor(n / d), 0 <= r < d.
    I128 q = n / d;
    I128 r = n % d;
    if (r < 0) {
        --q;
        r += d;
    }
    switch (mode) {
    case Rounding::kDown:
        return q;
    case Rounding::kUp:
        return r != 0 ? q + 1 : q;
    case Rounding::kNearest:
        break;
    }
    if (r == 0) {
        return q;
    }
    const I128 rest = d - r; // distance up to the next multiple; r is the distance down
    if (r != rest) {
        return r < rest ? q : q + 1;
    }
    return n > 0 ? q + 1 : q; // a tie: away from zero
}

std::string quoted(std::string_view text) {
    // Text from the wire may be long: a diagnostic shows its start.
    constexpr std::size_t kShown = 40;
    std::string out = "\"";
    out.append(text.substr(0, kShown));
    if (text.size() > kShown) {
        out += "...";
    }
    out += '"';
    return out;
}

// A double for a diagnostic: its 15-digit decimal in plain notation where that is short, else
// the shortest round-trip form ("1e-300", "nan").
std::string double_text(double v) {
    std::array<char, 64> buf{};
    const auto w = wide_of(v);
    if (w && w->scale <= 24) {
        std::string out;
        I128 m = magnitude(w->units);
        const I128 whole = m / kPow10[w->scale];
        I128 frac = m % kPow10[w->scale];
        if (w->units < 0) {
            out += '-';
        }
        const auto r =
            std::to_chars(buf.data(), buf.data() + buf.size(), static_cast<std::uint64_t>(whole));
        out.append(buf.data(), r.ptr);
        if (w->scale > 0) {
            out += '.';
            std::string digits(static_cast<std::size_t>(w->scale), '0');
            for (std::size_t k = digits.size(); k-- > 0;) {
                digits[k] = static_cast<char>('0' + static_cast<int>(frac % 10));
                frac /= 10;
            }
            out += digits;
        }
        return out;
    }
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return {buf.data(), r.ptr};
}

void set_error(std::string* error, std::string text) {
    if (error != nullptr) {
        *error = std::move(text);
    }
}

} // namespace

// The one place that builds Decimals from units and reads them back (Decimal's friend).
struct DecimalAccess {
    // The canonical Decimal of units × 10^-scale, scale <= 18, |value| < 10^18.
    static Decimal make(I128 units, int scale) {
        while (scale > 0 && units % 10 == 0) {
            units /= 10;
            --scale;
        }
        Decimal d;
        d.units_ = units;
        d.scale_ = units == 0 ? 0 : scale;
        return d;
    }
    static I128 units(const Decimal& d) { return d.units_; }
    static Wide wide(const Decimal& d) { return Wide{d.units_, d.scale_}; }

    // v rounded to a multiple of step (> 0); nullopt when it reaches 10^18.
    static std::optional<Decimal> round(const Wide& v, const Decimal& step, Rounding mode) {
        const I128 q = round_steps(v, step.units_, step.scale_, mode);
        // |q| <= |v| / step + 1, so |q × s| <= (|v| + step) × 10^b < 2 × 10^36.
        const I128 units = q * step.units_;
        if (magnitude(units) >= kLimit * kPow10[step.scale_]) {
            return std::nullopt;
        }
        return make(units, step.scale_);
    }
};

std::optional<Decimal> Decimal::parse(std::string_view text, std::string* error) {
    const auto fail = [&](const char* why) {
        set_error(error, quoted(text) + why);
        return std::nullopt;
    };
    if (text.empty()) {
        set_error(error, "empty text is not a decimal number");
        return std::nullopt;
    }
    std::size_t i = 0;
    const bool negative = text[0] == '-';
    if (negative) {
        ++i;
    }
    const auto is_digit = [&](std::size_t k) {
        return k < text.size() && text[k] >= '0' && text[k] <= '9';
    };
    constexpr const char* kNotDecimal =
        " is not a decimal number (expected digits, an optional '.' with digits on both sides, "
        "an optional exponent, as in \"0.1\" or \"1e-8\")";

    // The digits, without the point: their value D, how many of them count (from the first
    // non-zero one) and the zeros at the end not yet multiplied in, so "1000000e-6" stays small.
    I128 digits = 0;
    std::int64_t counted = 0;
    std::int64_t pending_zeros = 0;
    // More than 36 counted digits: out of range whatever the exponent (18 whole digits and 18
    // decimals at most), so D is no longer kept, only counted.
    bool overflow = false;
    std::int64_t fraction_digits = 0;
    const auto take = [&](char c) {
        if (c == '0') {
            if (counted > 0) {
                ++pending_zeros;
            }
            return;
        }
        const std::int64_t width = pending_zeros + 1;
        overflow = overflow || counted + width > kMaxDigits;
        if (!overflow) {
            digits = digits * kPow10[width] + (c - '0');
        }
        counted += width;
        pending_zeros = 0;
    };
    if (!is_digit(i)) {
        return fail(kNotDecimal);
    }
    while (is_digit(i)) {
        take(text[i++]);
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        if (!is_digit(i)) {
            return fail(kNotDecimal);
        }
        while (is_digit(i)) {
            take(text[i++]);
            ++fraction_digits;
        }
    }
    std::int64_t exponent = 0;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        bool exponent_negative = false;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
            exponent_negative = text[i] == '-';
            ++i;
        }
        if (!is_digit(i)) {
            return fail(kNotDecimal);
        }
        while (is_digit(i)) {
            exponent = std::min(exponent * 10 + (text[i++] - '0'), kExponentClamp);
        }
        if (exponent_negative) {
            exponent = -exponent;
        }
    }
    if (i != text.size()) {
        return fail(kNotDecimal);
    }
    if (digits == 0 && !overflow) {
        return Decimal{};
    }
    // value = D × 10^power, D without trailing zeros.
    const std::int64_t power = exponent - fraction_digits + pending_zeros;
    const std::int64_t whole_digits = counted + power;
    if (whole_digits > kMaxIntegerDigits) {
        return fail(kTooLarge);
    }
    if (-power > kMaxScale || overflow) {
        return fail(" has more than 18 decimals");
    }
    if (power > 0) {
        digits *= kPow10[power];
    }
    return DecimalAccess::make(negative ? -digits : digits,
                               power < 0 ? static_cast<int>(-power) : 0);
}

std::optional<Decimal> Decimal::from_double(double v, std::string* error) {
    const auto w = wide_of(v);
    if (!w) {
        set_error(error, double_text(v) + (std::isfinite(v) ? kTooLarge : kNotFinite));
        return std::nullopt;
    }
    return DecimalAccess::round(*w, DecimalAccess::make(1, kMaxScale), Rounding::kNearest);
}

char* Decimal::write(char* p) const {
    const I128 m = magnitude(units_);
    if (units_ < 0) {
        *p++ = '-';
    }
    // Both parts are below 10^18: units_ < 10^(18 + scale_).
    const auto whole = static_cast<std::uint64_t>(m / kPow10[scale_]);
    auto frac = static_cast<std::uint64_t>(m % kPow10[scale_]);
    p = std::to_chars(p, p + 20, whole).ptr;
    if (scale_ > 0) {
        *p++ = '.';
        for (int k = scale_ - 1; k >= 0; --k) {
            p[k] = static_cast<char>('0' + frac % 10);
            frac /= 10;
        }
        p += scale_;
    }
    return p;
}

void Decimal::append_to(std::string& out) const {
    std::array<char, kMaxText> buf{};
    out.append(buf.data(), write(buf.data()));
}

std::string Decimal::to_string() const {
    std::string out;
    append_to(out);
    return out;
}

double Decimal::to_double() const {
    std::array<char, kMaxText> buf{};
    const char* end = write(buf.data());
    double v = 0;
    // from_chars rounds correctly, so this is the double nearest the exact value.
    std::from_chars(buf.data(), end, v);
    return v;
}

std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) {
    // Aligned to 18 decimals both are below 10^36.
    const I128 x = DecimalAccess::units(a) * kPow10[kMaxScale - a.scale()];
    const I128 y = DecimalAccess::units(b) * kPow10[kMaxScale - b.scale()];
    return x < y ? std::strong_ordering::less
                 : (x > y ? std::strong_ordering::greater : std::strong_ordering::equal);
}

namespace {

std::string step_error(const Decimal& step) {
    return "step " + step.to_string() + " is not positive: a tick or lot size must be above 0";
}

} // namespace

DecimalResult round_to_step(const Decimal& v, const Decimal& step, Rounding mode) {
    if (step.sign() <= 0) {
        return {std::nullopt, step_error(step)};
    }
    auto r = DecimalAccess::round(DecimalAccess::wide(v), step, mode);
    if (!r) {
        return {std::nullopt, v.to_string() + " rounded to step " + step.to_string() + kTooLarge};
    }
    return {r, {}};
}

DecimalResult round_to_step(double v, const Decimal& step, Rounding mode) {
    if (step.sign() <= 0) {
        return {std::nullopt, step_error(step)};
    }
    const auto w = wide_of(v);
    if (!w) {
        return {std::nullopt, double_text(v) + (std::isfinite(v) ? kTooLarge : kNotFinite)};
    }
    auto r = DecimalAccess::round(*w, step, mode);
    if (!r) {
        return {std::nullopt, double_text(v) + " rounded to step " + step.to_string() + kTooLarge};
    }
    return {r, {}};
}

bool is_multiple_of(const Decimal& v, const Decimal& step) {
    if (step.sign() <= 0) {
        return false;
    }
    // Aligned to the larger scale both are below 10^36.
    const int scale = std::max(v.scale(), step.scale());
    const I128 x = DecimalAccess::units(v) * kPow10[scale - v.scale()];
    const I128 s = DecimalAccess::units(step) * kPow10[scale - step.scale()];
    return x % s == 0;
}

RulesResult parse_rules(std::string_view inst_id, std::string_view tick_sz, std::string_view lot_sz,
                        std::string_view min_sz) {
    InstrumentRules rules;
    rules.inst_id = inst_id;
    const auto field = [&](const char* name, std::string_view text, Decimal& out,
                           bool zero_ok) -> std::string {
        std::string why;
        auto d = Decimal::parse(text, &why);
        if (!d) {
            return std::string(name) + " of " + rules.inst_id + ": " + why +
                   ": refresh the instrument list";
        }
        if (d->sign() < 0 || (!zero_ok && d->is_zero())) {
            return std::string(name) + " " + quoted(text) + " of " + rules.inst_id + " is not " +
                   (zero_ok ? "zero or more" : "positive") + ": refresh the instrument list";
        }
        out = *d;
        return {};
    };
    std::string err = field("tickSz", tick_sz, rules.tick_sz, false);
    if (err.empty()) {
        err = field("lotSz", lot_sz, rules.lot_sz, false);
    }
    if (err.empty()) {
        err = field("minSz", min_sz, rules.min_sz, true);
    }
    if (!err.empty()) {
        return {std::nullopt, std::move(err)};
    }
    return {std::move(rules), {}};
}

RulesResult parse_rules(const core::InstrumentInfo& row) {
    return parse_rules(row.inst, row.tick_sz, row.lot_sz, row.min_sz);
}

namespace {

Rounding price_rounding(Side side, PriceRounding mode) {
    switch (mode) {
    case PriceRounding::kPassive:
        return side == Side::kBuy ? Rounding::kDown : Rounding::kUp;
    case PriceRounding::kAggressive:
        return side == Side::kBuy ? Rounding::kUp : Rounding::kDown;
    case PriceRounding::kNearest:
        break;
    }
    return Rounding::kNearest;
}

const char* rounding_name(Rounding mode) {
    switch (mode) {
    case Rounding::kDown:
        return "down";
    case Rounding::kUp:
        return "up";
    case Rounding::kNearest:
        break;
    }
    return "to nearest";
}

// The start of a diagnostic about value (a price or a size) of rules.inst_id, or empty when it
// is finite, positive and in range.
std::string input_error(const char* what, double v, const std::optional<Wide>& w,
                        const InstrumentRules& rules) {
    if (!std::isfinite(v)) {
        return std::string(what) + " " + double_text(v) + " for " + rules.inst_id +
               " is not a finite number: check how it was computed";
    }
    if (!w) {
        return std::string(what) + " " + double_text(v) + " for " + rules.inst_id + kTooLarge;
    }
    if (w->units <= 0) {
        return std::string(what) + " " + double_text(v) + " for " + rules.inst_id +
               " is not positive: an order needs a " + what + " above 0";
    }
    return {};
}

std::string below_min_error(const std::string& asked, const Decimal& sz,
                            const InstrumentRules& rules) {
    std::string out = "size " + asked;
    if (asked != sz.to_string()) {
        out += " (" + sz.to_string() + " at lotSz " + rules.lot_sz.to_string() + ")";
    }
    const std::string min = rules.min_sz.to_string();
    return out + " is below minSz " + min + " of " + rules.inst_id + ": raise it to at least " +
           min + " or skip the order";
}

} // namespace

DecimalResult order_price(double px, Side side, const InstrumentRules& rules, PriceRounding mode) {
    const auto w = wide_of(px);
    if (auto err = input_error("price", px, w, rules); !err.empty()) {
        return {std::nullopt, std::move(err)};
    }
    const Rounding rounding = price_rounding(side, mode);
    auto r = DecimalAccess::round(*w, rules.tick_sz, rounding);
    if (!r) {
        return {std::nullopt, "price " + double_text(px) + " for " + rules.inst_id +
                                  " rounded to tickSz " + rules.tick_sz.to_string() + kTooLarge};
    }
    if (r->sign() <= 0) {
        return {std::nullopt,
                "price " + double_text(px) + " for " + rules.inst_id + " rounds " +
                    rounding_name(rounding) + " to 0 at tickSz " + rules.tick_sz.to_string() +
                    ": an order needs a price of at least " + rules.tick_sz.to_string()};
    }
    return {r, {}};
}

DecimalResult order_size(double sz, const InstrumentRules& rules) {
    const auto w = wide_of(sz);
    if (auto err = input_error("size", sz, w, rules); !err.empty()) {
        return {std::nullopt, std::move(err)};
    }
    // Sizes always round down: never trade more than was asked. Down from a positive value
    // below 10^18 stays in range, so r is always set.
    const auto r = DecimalAccess::round(*w, rules.lot_sz, Rounding::kDown);
    if (!r || r->is_zero()) {
        const Decimal& least = rules.min_sz.is_zero() ? rules.lot_sz : rules.min_sz;
        return {std::nullopt, "size " + double_text(sz) + " for " + rules.inst_id +
                                  " rounds down to 0 at lotSz " + rules.lot_sz.to_string() +
                                  ": raise it to at least " + least.to_string() +
                                  " or skip the order"};
    }
    if (*r < rules.min_sz) {
        return {std::nullopt, below_min_error(double_text(sz), *r, rules)};
    }
    return {r, {}};
}

std::string check_size(const Decimal& sz, const InstrumentRules& rules) {
    if (sz.sign() <= 0) {
        return "size " + sz.to_string() + " for " + rules.inst_id +
               " is not positive: an order needs a size above 0";
    }
    if (!is_multiple_of(sz, rules.lot_sz)) {
        return "size " + sz.to_string() + " is not a multiple of lotSz " +
               rules.lot_sz.to_string() + " of " + rules.inst_id +
               ": round it down to a multiple of lotSz";
    }
    if (sz < rules.min_sz) {
        return below_min_error(sz.to_string(), sz, rules);
    }
    return {};
}

std::string check_price(const Decimal& px, const InstrumentRules& rules) {
    if (px.sign() <= 0) {
        return "price " + px.to_string() + " for " + rules.inst_id +
               " is not positive: an order needs a price above 0";
    }
    if (!is_multiple_of(px, rules.tick_sz)) {
        return "price " + px.to_string() + " is not a multiple of tickSz " +
               rules.tick_sz.to_string() + " of " + rules.inst_id +
               ": round it to a multiple of tickSz";
    }
    return {};
}

} // namespace okxkit::okx
