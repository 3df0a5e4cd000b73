// Appending JSON scalars to a buffer: integers, shortest round-trip doubles, escaped strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace okxkit::core {

// Appends the decimal form of v. O(digits), no allocation beyond the buffer's growth.
void append_int(std::string& out, std::int64_t v);

// Appends v in shortest round-trip form (std::to_chars): plain decimal notation for
// magnitudes from 1e-7 to below 1e16 (so a volume reads 300000, not 3e+05), and outside
// that range whichever of plain or exponent notation is shorter. NaN and infinities become null,
// since JSON has no spelling for them.
void append_double(std::string& out, double v);

// Room write_double needs at p: the text is at most 25 bytes ("-2.2250738585072014e-308"
// is 24), but fixed-size copies may write scratch bytes up to kMaxDoubleText past p.
inline constexpr std::size_t kMaxDoubleText = 48;

// Writes what append_double(out, v) appends at p and returns the end (bytes after it up to
// p + kMaxDoubleText may be overwritten): for building long lines of numbers without a string
// append per number.
char* write_double(char* p, double v);

// Appends what append_double(out, v) would, where `text` is the decimal v was parsed from:
// when text is already canonical (unsigned, no exponent, no leading or trailing zeros, at
// most 15 significant digits) it is copied, which is what to_chars would print and several
// times cheaper. O(length of text).
void append_double_from_text(std::string& out, std::string_view text, double v);

// Appends s as a JSON string literal with quotes, escaping '"', '\\' and control
// characters. Bytes >= 0x80 are copied as they are (input is taken to be UTF-8).
void append_json_string(std::string& out, std::string_view s);

namespace detail {
// Writes exactly 16 digits of x < 10^16, with leading zeros, at p (exposed for its tests).
void sixteen_digits(char* p, std::uint64_t x);
} // namespace detail

} // namespace okxkit::core
