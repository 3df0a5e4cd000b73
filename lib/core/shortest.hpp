// Shortest round-trip decimal digits of a double (Ryu, Ulf Adams, PLDI 2018), for the hot
// number-writing path of json_out. Same result as std::to_chars, about twice as fast here.
#pragma once

#include <cstdint>

namespace okxkit::core {

// v = digits * 10^exponent with the fewest digits that read back as v (ties to even), for a
// finite, non-zero, positive v. digits has at most 17 decimal digits. O(1); the tables are
// built once, on first use (about 10 KB, a millisecond).
struct ShortestDecimal {
    std::uint64_t digits;
    std::int32_t exponent;
};
ShortestDecimal shortest_decimal(double v);

} // namespace okxkit::core
