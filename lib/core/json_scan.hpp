// Strict JSON lexing for the hot paths that read messages without a JSON tree: numbers in
// exactly the JSON grammar, plain strings, and excerpts of bad input for diagnostics.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace okxkit::core {

// Scans a JSON number at s[i]: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, nothing more
// (no '+', no leading zeros, no ".5", "5.", "NaN" or "Infinity"). On success advances i past
// it, sets integer (no fraction and no exponent) and returns true; else leaves i and returns
// false. O(length of the number).
bool scan_json_number(std::string_view s, std::size_t& i, bool& integer);

// scan_json_number and json_number_value in one pass: on success advances i past the number,
// sets v and integer, and returns true; false (i left) where the two together would fail. The
// value is the same double: numbers of at most 15 significant digits and a decimal exponent
// within 22 (every price and size okxkit writes) are read exactly by one multiplication or
// division of exact doubles; any other number by json_number_value.
bool read_json_number(std::string_view s, std::size_t& i, double& v, bool& integer);

// scan_json_number, a check that the number is an integer, and json_integer_value in one
// pass: false (i left) for anything that is not a JSON integer within int64.
bool read_json_integer(std::string_view s, std::size_t& i, std::int64_t& v);

// Parses the number text of scan_json_number as a finite double (false when it overflows to
// infinity, as 1e999 does; a tiny one such as 1e-400 is 0, as strtod and nlohmann read it).
// Exact, by std::from_chars.
bool json_number_value(std::string_view text, double& v);

// The hot-path form of both: reads the JSON number at p (before end) into v and advances p past
// it; false, leaving p, for anything that is not exactly a JSON number or is not finite. One
// std::from_chars, then checks of the few spellings from_chars takes that JSON does not: a
// leading '+', '.', "inf" or "nan", a leading zero before a digit, a '.' not followed by a
// digit ("5.", "5.e3"). Same result as scan_json_number then json_number_value.
// A number from_chars found out of range: its value as strtod (and so nlohmann) reads it, a
// tiny one rounded to zero or a subnormal; false when it overflows to infinity. The rare path.
bool out_of_range_value(std::string_view text, double& v);

inline bool read_json_double(const char*& p, const char* end, double& v) {
    const char* d = p;
    if (d < end && *d == '-') {
        ++d;
    }
    if (d >= end || *d < '0' || *d > '9') {
        return false;
    }
    const auto [q, ec] = std::from_chars(p, end, v);
    if (ec == std::errc::result_out_of_range) {
        if (!out_of_range_value(std::string_view(p, static_cast<std::size_t>(q - p)), v)) {
            return false;
        }
    } else if (ec != std::errc()) {
        return false;
    }
    if (q < end && (*q == 'e' || *q == 'E' || *q == '.')) {
        return false; // "5e" or "5e+": an exponent without digits is no number at all
    }
    if (*d == '0' && d + 1 < q && d[1] >= '0' && d[1] <= '9') {
        return false;
    }
    if (const void* dot = std::memchr(d, '.', static_cast<std::size_t>(q - d))) {
        const char* after = static_cast<const char*>(dot) + 1;
        if (after >= q || *after < '0' || *after > '9') {
            return false;
        }
    }
    p = q;
    return true;
}

// Parses the integer text of scan_json_number as an int64 (false when out of range).
bool json_integer_value(std::string_view text, std::int64_t& v);

// Scans a JSON string at s[i] (s[i] must be '"') whose content is plain printable ASCII
// (0x20..0x7e) without escapes: the strings of okxkit's own messages on their hot paths. On
// success sets out to the content, advances i past the closing quote and returns true; on any
// other string (escapes, control characters, non-ASCII) returns false and leaves i, so the
// caller takes the general path, which judges it exactly. O(length).
bool scan_plain_string(std::string_view s, std::size_t& i, std::string_view& out);

// Skips JSON whitespace (space, tab, CR, LF) at s[i].
inline void skip_json_space(std::string_view s, std::size_t& i) {
    if (i < s.size() && static_cast<unsigned char>(s[i]) > ' ') {
        return; // the usual case, compact JSON: one comparison
    }
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
        ++i;
    }
}

// A short, safe quotation of input for a diagnostic: at most max bytes of it in double quotes,
// then "..." when there was more; '"' and '\' escaped with a backslash, bytes that are not
// printable ASCII as \xNN. The
// result is plain ASCII, so a diagnostic never carries raw input bytes (or a terminal escape).
std::string excerpt(std::string_view s, std::size_t max = 40);

// Text from outside (an exchange's error message) made fit for a diagnostic: at most max bytes
// of it, cut at a character boundary and then "...", control characters as spaces, invalid
// UTF-8 as U+FFFD. Unlike excerpt(), readable text in any script stays as it is.
std::string clip(std::string_view s, std::size_t max = 200);

// The length of the valid UTF-8 sequence at s[i] (1 to 4), or 0 when the bytes there are not
// one: overlong forms, surrogates (U+D800..U+DFFF) and code points above U+10FFFF are invalid,
// as RFC 3629 says.
std::size_t utf8_sequence(std::string_view s, std::size_t i);

// True when s is entirely valid UTF-8. O(length), a fast scan while bytes are ASCII.
bool valid_utf8(std::string_view s);

// s with every invalid byte replaced by U+FFFD, the valid sequences kept: what nlohmann's
// dump(..., error_handler_t::replace) writes for the same bytes, so a frame made valid here and
// one read back from a tape are the same text.
std::string replace_invalid_utf8(std::string_view s);

} // namespace okxkit::core
