// JSON scalar writers used on the hot output paths.
#include "core/json_out.hpp"

#include "core/shortest.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace okxkit::core {

void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(p - buf));
}

namespace detail {

// Writes exactly 16 digits of x < 10^16 (with leading zeros) at p, all sixteen at once in
// one SSE2 register: x is split into four 4-digit groups (32-bit lanes), each group into two
// 2-digit halves (16-bit lanes), each half into two digits (bytes). Division by 100 and 10
// are the high halves of products with 5243 / 2^3 and 6554, exact over these ranges (the unit
// tests check every group value). Lanes sit in memory order on a little-endian machine.
#if defined(__SSE2__)
void sixteen_digits(char* p, std::uint64_t x) {
    const std::uint64_t hi = x / 100000000;
    const auto lo = static_cast<std::uint32_t>(x - hi * 100000000);
    const auto h = static_cast<std::uint32_t>(hi);
    const std::uint32_t a = h / 10000;
    const std::uint32_t c = lo / 10000;
    const __m128i groups = _mm_set_epi32(static_cast<int>(lo - c * 10000), static_cast<int>(c),
                                         static_cast<int>(h - a * 10000), static_cast<int>(a));
    const __m128i hundreds = _mm_srli_epi16(_mm_mulhi_epu16(groups, _mm_set1_epi32(5243)), 3);
    const __m128i rest = _mm_sub_epi16(groups, _mm_mullo_epi16(hundreds, _mm_set1_epi32(100)));
    const __m128i pairs = _mm_or_si128(hundreds, _mm_slli_epi32(rest, 16));
    const __m128i tens = _mm_mulhi_epu16(pairs, _mm_set1_epi16(6554));
    const __m128i ones = _mm_sub_epi16(pairs, _mm_mullo_epi16(tens, _mm_set1_epi16(10)));
    const __m128i digits = _mm_or_si128(tens, _mm_slli_epi16(ones, 8));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_add_epi8(digits, _mm_set1_epi8('0')));
}
#else
// Elsewhere the same steps on two 64-bit words of eight digits each.
namespace {
std::uint64_t eight_digits_word(std::uint32_t n) {
    static_assert(std::endian::native == std::endian::little);
    std::uint64_t v = (n / 10000) | (static_cast<std::uint64_t>(n % 10000) << 32);
    const std::uint64_t hundreds = ((v * 10486) >> 20) & 0x0000007F0000007FULL;
    v = hundreds | ((v - hundreds * 100) << 16);
    const std::uint64_t tens = ((v * 103) >> 10) & 0x000F000F000F000FULL;
    v = tens | ((v - tens * 10) << 8);
    return v | 0x3030303030303030ULL;
}
} // namespace
void sixteen_digits(char* p, std::uint64_t x) {
    const std::uint64_t hi = x / 100000000;
    const std::uint64_t a = eight_digits_word(static_cast<std::uint32_t>(hi));
    const std::uint64_t b = eight_digits_word(static_cast<std::uint32_t>(x - hi * 100000000));
    std::memcpy(p, &a, 8);
    std::memcpy(p + 8, &b, 8);
}
#endif

} // namespace detail

namespace {

using detail::sixteen_digits;

void store8(char* p, std::uint64_t w) {
    std::memcpy(p, &w, 8);
}

// Number of decimal digits of 0 < n < 10^19.
int digit_count(std::uint64_t n) {
    static constexpr std::uint64_t kPow10[] = {1ULL,
                                               10ULL,
                                               100ULL,
                                               1000ULL,
                                               10000ULL,
                                               100000ULL,
                                               1000000ULL,
                                               10000000ULL,
                                               100000000ULL,
                                               1000000000ULL,
                                               10000000000ULL,
                                               100000000000ULL,
                                               1000000000000ULL,
                                               10000000000000ULL,
                                               100000000000000ULL,
                                               1000000000000000ULL,
                                               10000000000000000ULL,
                                               100000000000000000ULL,
                                               1000000000000000000ULL};
    // floor(log10(2^(bits-1))) approximated by bits * 1233 / 4096, then corrected by one.
    const int t = (std::bit_width(n) * 1233) >> 12;
    return t + (n >= kPow10[t] ? 1 : 0);
}

// Writes x < 10^17 as 24 digits with leading zeros at p.
void twenty_four_digits(char* p, std::uint64_t x) {
    const std::uint64_t top = x / 10000000000000000ULL; // at most 9
    store8(p, 0x3030303030303030ULL | (top << 56));
    sixteen_digits(p + 8, x - top * 10000000000000000ULL);
}

// The plain decimal (what std::to_chars with chars_format::fixed writes) of a positive finite
// v in [1e-7, 1e16) from its shortest digits: 1.5, 300000, 0.000125. Copies are of fixed
// sizes (cheap), so up to kMaxDoubleText bytes at p may be written; the text is at most 25.
char* write_plain(char* p, double v) {
    const ShortestDecimal d = shortest_decimal(v);
    const int n = digit_count(d.digits); // at most 17
    // The digits start at buffer + 24 - n; 17 bytes are copied from there and from up to 16
    // bytes further, so the buffer has room past the 24 digits written.
    char buffer[24 + 17 + 16] = {};
    twenty_four_digits(buffer, d.digits);
    const char* digits = buffer + 24 - n;
    if (d.exponent >= 0) {
        // n + exponent <= 16 since v < 1e16.
        std::memcpy(p, digits, 17);
        std::memset(p + n, '0', 16);
        return p + n + d.exponent;
    }
    const int point = n + d.exponent; // digits before the decimal point
    if (point > 0) {
        std::memcpy(p, digits, 17);
        p[point] = '.';
        std::memcpy(p + point + 1, digits + point, 17);
        return p + n + 1;
    }
    // 0.000ddd: at most 7 zeros after the point since v >= 1e-7.
    static constexpr std::string_view kZeros = "0.0000000";
    std::copy_n(kZeros.data(), kZeros.size(), p);
    p += 2 - point;
    std::memcpy(p, digits, 17);
    return p + n;
}

} // namespace

char* write_double(char* p, double v) {
    if (!std::isfinite(v)) {
        static constexpr std::string_view kNull = "null";
        return std::copy_n(kNull.data(), kNull.size(), p);
    }
    const double mag = std::fabs(v);
    if (mag >= 1e-7 && mag < 1e16) {
        // The hot path: the same text as std::to_chars(fixed), from Ryu's digits.
        if (v < 0) {
            *p++ = '-';
        }
        return write_plain(p, mag);
    }
    auto [end, ec] = mag == 0 ? std::to_chars(p, p + kMaxDoubleText, v, std::chars_format::fixed)
                              : std::to_chars(p, p + kMaxDoubleText, v);
    return end;
}

void append_double(std::string& out, double v) {
    char buf[kMaxDoubleText];
    char* end = write_double(buf, v);
    out.append(buf, static_cast<std::size_t>(end - buf));
}

namespace {

// True when text is the shortest plain decimal of the double it denotes: digits with at most
// one '.', no sign or exponent, no redundant zeros, at most 15 significant digits (so no
// other decimal of that length maps to the same double: DBL_DIG is 15).
bool canonical_decimal(std::string_view t) {
    if (t.empty() || t.size() > 24) {
        return false;
    }
    std::size_t dot = t.find('.');
    std::string_view whole = t.substr(0, dot);
    if (whole.empty() || (whole.size() > 1 && whole[0] == '0')) {
        return false;
    }
    int significant = 0;
    bool leading = true;
    for (char c : whole) {
        if (c < '0' || c > '9') {
            return false;
        }
        if (c != '0' || !leading) {
            leading = false;
            ++significant;
        }
    }
    if (dot != std::string_view::npos) {
        std::string_view frac = t.substr(dot + 1);
        if (frac.empty() || frac.back() == '0') {
            return false;
        }
        for (char c : frac) {
            if (c < '0' || c > '9') {
                return false;
            }
            if (c != '0' || !leading) {
                leading = false;
                ++significant;
            }
        }
    }
    if (significant > 15) {
        return false;
    }
    // Keep to the range where append_double prints plain decimals.
    return whole.size() <= 16 && !(whole == "0" && t.size() > 2 && t.substr(2, 7) == "0000000");
}

} // namespace

void append_double_from_text(std::string& out, std::string_view text, double v) {
    if (canonical_decimal(text)) {
        out.append(text);
    } else {
        append_double(out, v);
    }
}

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                out += "\\u00";
                out += kHex[c >> 4];
                out += kHex[c & 15];
            } else {
                out += ch;
            }
        }
    }
    out += '"';
}

} // namespace okxkit::core
