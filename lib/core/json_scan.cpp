// Strict JSON numbers and plain strings for the hot paths, and excerpts for diagnostics.
#include "core/json_scan.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace okxkit::core {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

} // namespace

bool scan_json_number(std::string_view s, std::size_t& i, bool& integer) {
    std::size_t p = i;
    const std::size_t n = s.size();
    if (p < n && s[p] == '-') {
        ++p;
    }
    if (p >= n || !is_digit(s[p])) {
        return false;
    }
    if (s[p] == '0') {
        ++p; // a leading zero stands alone
    } else {
        while (p < n && is_digit(s[p])) {
            ++p;
        }
    }
    bool whole = true;
    if (p < n && s[p] == '.') {
        ++p;
        if (p >= n || !is_digit(s[p])) {
            return false;
        }
        while (p < n && is_digit(s[p])) {
            ++p;
        }
        whole = false;
    }
    if (p < n && (s[p] == 'e' || s[p] == 'E')) {
        ++p;
        if (p < n && (s[p] == '+' || s[p] == '-')) {
            ++p;
        }
        if (p >= n || !is_digit(s[p])) {
            return false;
        }
        while (p < n && is_digit(s[p])) {
            ++p;
        }
        whole = false;
    }
    integer = whole;
    i = p;
    return true;
}

namespace {

// A JSON number scanned with its decimal digits: the number is (-)digits * 10^exp10 when
// exact, which holds while there are at most 19 digits and a small written exponent.
struct Scanned {
    std::uint64_t digits = 0;
    int count = 0; // digits read, leading zeros of a fraction included
    int exp10 = 0;
    bool negative = false;
    bool integer = true;
    bool exact = true;
};

bool scan_number(std::string_view s, std::size_t& i, Scanned& r) {
    std::size_t p = i;
    const std::size_t n = s.size();
    const auto digit = [&](std::size_t k) { return static_cast<unsigned>(s[k] - '0'); };
    if (p < n && s[p] == '-') {
        r.negative = true;
        ++p;
    }
    if (p >= n || !is_digit(s[p])) {
        return false;
    }
    if (s[p] == '0') {
        ++p; // a leading zero stands alone
    } else {
        while (p < n && is_digit(s[p])) {
            r.digits = r.digits * 10 + digit(p); // wraps past 19 digits: then not exact
            ++r.count;
            ++p;
        }
    }
    if (p < n && s[p] == '.') {
        ++p;
        if (p >= n || !is_digit(s[p])) {
            return false;
        }
        while (p < n && is_digit(s[p])) {
            r.digits = r.digits * 10 + digit(p);
            ++r.count;
            --r.exp10;
            ++p;
        }
        r.integer = false;
    }
    if (p < n && (s[p] == 'e' || s[p] == 'E')) {
        ++p;
        bool minus = false;
        if (p < n && (s[p] == '+' || s[p] == '-')) {
            minus = s[p] == '-';
            ++p;
        }
        if (p >= n || !is_digit(s[p])) {
            return false;
        }
        int e = 0;
        while (p < n && is_digit(s[p])) {
            if (e < 100000) {
                e = e * 10 + static_cast<int>(digit(p));
            }
            ++p;
        }
        r.exp10 += minus ? -e : e;
        r.integer = false;
    }
    if (r.count > 19) {
        r.exact = false;
    }
    i = p;
    return true;
}

} // namespace

bool read_json_number(std::string_view s, std::size_t& i, double& v, bool& integer) {
    // Powers of ten that are exact doubles.
    static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const std::size_t start = i;
    std::size_t p = i;
    Scanned r;
    if (!scan_number(s, p, r)) {
        return false;
    }
    double value = 0;
    if (r.exact && r.digits <= (std::uint64_t{1} << 53) && r.exp10 >= -22 && r.exp10 <= 22) {
        // Both operands exact: one correctly rounded operation gives the nearest double, as
        // from_chars does (Clinger's fast path).
        value = static_cast<double>(r.digits);
        value = r.exp10 < 0 ? value / kPow10[-r.exp10] : value * kPow10[r.exp10];
        if (r.negative) {
            value = -value;
        }
    } else if (!json_number_value(s.substr(start, p - start), value)) {
        return false;
    }
    v = value;
    integer = r.integer;
    i = p;
    return true;
}

bool read_json_integer(std::string_view s, std::size_t& i, std::int64_t& v) {
    const std::size_t start = i;
    std::size_t p = i;
    Scanned r;
    if (!scan_number(s, p, r) || !r.integer) {
        return false;
    }
    std::int64_t value = 0;
    if (r.count <= 18) {
        value = static_cast<std::int64_t>(r.digits);
        if (r.negative) {
            value = -value;
        }
    } else if (!json_integer_value(s.substr(start, p - start), value)) {
        return false;
    }
    v = value;
    i = p;
    return true;
}

bool out_of_range_value(std::string_view text, double& v) {
    const std::string copy(text); // strtod needs a terminated string
    const double r = std::strtod(copy.c_str(), nullptr);
    if (!std::isfinite(r)) {
        return false;
    }
    v = r;
    return true;
}

bool json_number_value(std::string_view text, double& v) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (end != text.data() + text.size()) {
        return false;
    }
    if (ec == std::errc::result_out_of_range) {
        return out_of_range_value(text, v);
    }
    return ec == std::errc() && std::isfinite(v);
}

bool json_integer_value(std::string_view text, std::int64_t& v) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc() && end == text.data() + text.size();
}

bool scan_plain_string(std::string_view s, std::size_t& i, std::string_view& out) {
    if (i >= s.size() || s[i] != '"') {
        return false;
    }
    std::size_t p = i + 1;
    const std::size_t start = p;
    while (p < s.size()) {
        const auto c = static_cast<unsigned char>(s[p]);
        if (c == '"') {
            out = s.substr(start, p - start);
            i = p + 1;
            return true;
        }
        if (c == '\\' || c < 0x20 || c > 0x7e) {
            return false;
        }
        ++p;
    }
    return false;
}

std::string excerpt(std::string_view s, std::size_t max) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    std::size_t n = 0;
    for (char ch : s) {
        if (++n > max) {
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c >= 0x7f) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += ch;
        }
    }
    out += '"';
    return out;
}

namespace {

// Reads the UTF-8 sequence at s[i]: returns its length when valid, else 0 with *accepted set
// to how many of its bytes were acceptable before the first that is not (0 for a byte that
// cannot start a sequence): the "maximal subpart" a decoder replaces by one U+FFFD.
std::size_t utf8_at(std::string_view s, std::size_t i, std::size_t* accepted) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80) {
        return 1;
    }
    std::size_t n = 0;
    unsigned char lo = 0x80; // bounds of the second byte (RFC 3629's table)
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        *accepted = 0;
        return 0;
    }
    for (std::size_t k = 1; k < n; ++k) {
        const bool ok = i + k < s.size() && byte(i + k) >= (k == 1 ? lo : 0x80) &&
                        byte(i + k) <= (k == 1 ? hi : 0xBF);
        if (!ok) {
            *accepted = k;
            return 0;
        }
    }
    return n;
}

} // namespace

std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    std::size_t accepted = 0;
    return utf8_at(s, i, &accepted);
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        // ASCII, eight bytes at a time: what nearly every frame and line is made of.
        while (i + 8 <= s.size()) {
            std::uint64_t word = 0;
            std::memcpy(&word, s.data() + i, 8);
            if ((word & 0x8080808080808080ULL) != 0) {
                break;
            }
            i += 8;
        }
        if (i >= s.size()) {
            break;
        }
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t n = utf8_sequence(s, i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

std::string replace_invalid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 8);
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t accepted = 0;
        const std::size_t n = utf8_at(s, i, &accepted);
        if (n == 0) {
            out += "\xEF\xBF\xBD"; // one for the maximal subpart, as nlohmann's replace does
            i += std::max<std::size_t>(accepted, 1);
            continue;
        }
        out.append(s, i, n);
        i += n;
    }
    return out;
}

std::string clip(std::string_view s, std::size_t max) {
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t accepted = 0;
        const std::size_t n = utf8_at(s, i, &accepted);
        const std::size_t width = n == 0 ? 3 : n;
        if (out.size() + width > max) {
            out += "...";
            break;
        }
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            i += std::max<std::size_t>(accepted, 1);
            continue;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (n == 1 && (c < 0x20 || c == 0x7f)) {
            out += ' ';
        } else {
            out.append(s, i, n);
        }
        i += n;
    }
    return out;
}

} // namespace okxkit::core
