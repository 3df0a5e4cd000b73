// Appending JSON scalars to a buffer: integers, shortest round-trip doubles, escaped strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace okxkit::core {

// Appends the decimal form of v. O(digits), no allocation beyond the buffer's growth.
void append_int(std::string& out, std::int64_t v);

// Appends v in shortest round-trip form (std::to_chars); NaN and infinities become null,
// since JSON has no spelling for them.
void append_double(std::string& out, double v);

// Appends s as a JSON string literal with quotes, escaping '"', '\\' and control
// characters. Bytes >= 0x80 are copied as they are (input is taken to be UTF-8).
void append_json_string(std::string& out, std::string_view s);

} // namespace okxkit::core
