// Ryu's shortest round-trip conversion of doubles (Ulf Adams, "Ryu: fast float-to-string
// conversion", PLDI 2018; reference code github.com/ulfjack/ryu, d2s.c), with its two tables of
// 128-bit multipliers computed at start-up by exact big-integer arithmetic instead of being
// spelt out.
#include "core/shortest.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <vector>

namespace okxkit::core {

namespace {

using u128 = unsigned __int128;

constexpr int kMantissaBits = 52;
constexpr int kBias = 1023;
constexpr int kPow5InvBitcount = 125;
constexpr int kPow5Bitcount = 125;
constexpr int kInvTableSize = 342; // 5^-q for q < 342
constexpr int kTableSize = 326;    // 5^i for i < 326

// ceil(log2(5^e)) for 0 <= e <= 3528 (1 for e = 0).
int pow5bits(int e) {
    return static_cast<int>((static_cast<std::uint32_t>(e) * 1217359U) >> 19) + 1;
}
// floor(log10(2^e)) and floor(log10(5^e)) for the exponents of doubles.
std::uint32_t log10_pow2(int e) {
    return (static_cast<std::uint32_t>(e) * 78913U) >> 18;
}
std::uint32_t log10_pow5(int e) {
    return (static_cast<std::uint32_t>(e) * 732923U) >> 20;
}

// A little-endian big natural number, just enough for the tables.
struct Big {
    std::vector<std::uint32_t> w;
    void mul_small(std::uint32_t m) {
        std::uint64_t carry = 0;
        for (auto& x : w) {
            std::uint64_t t = static_cast<std::uint64_t>(x) * m + carry;
            x = static_cast<std::uint32_t>(t);
            carry = t >> 32;
        }
        if (carry != 0) {
            w.push_back(static_cast<std::uint32_t>(carry));
        }
    }
    void div_small(std::uint32_t d) { // floor division
        std::uint64_t rem = 0;
        for (std::size_t i = w.size(); i-- > 0;) {
            std::uint64_t cur = (rem << 32) | w[i];
            w[i] = static_cast<std::uint32_t>(cur / d);
            rem = cur % d;
        }
        while (!w.empty() && w.back() == 0) {
            w.pop_back();
        }
    }
    static Big pow2(int k) {
        Big b;
        b.w.assign(static_cast<std::size_t>(k) / 32 + 1, 0);
        b.w.back() = 1U << (k % 32);
        return b;
    }
    // floor(this * 2^shift) (shift may be negative), low 128 bits.
    [[nodiscard]] u128 shifted(int shift) const {
        u128 r = 0;
        for (std::size_t i = 0; i < w.size(); ++i) {
            long bit = static_cast<long>(i) * 32 + shift; // position of w[i]'s bit 0
            for (int b = 0; b < 32; ++b) {
                if (((w[i] >> b) & 1U) != 0 && bit + b >= 0 && bit + b < 128) {
                    r |= static_cast<u128>(1) << (bit + b);
                }
            }
        }
        return r;
    }
};

struct Tables {
    std::array<std::array<std::uint64_t, 2>, kInvTableSize> inv{};
    std::array<std::array<std::uint64_t, 2>, kTableSize> pow{};
    Tables() {
        // pow[i] = floor(5^i * 2^(125 - pow5bits(i))): the top 125 bits of 5^i.
        Big five;
        five.w = {1};
        for (int i = 0; i < kTableSize; ++i) {
            u128 v = five.shifted(kPow5Bitcount - pow5bits(i));
            pow[static_cast<std::size_t>(i)] = {static_cast<std::uint64_t>(v),
                                                static_cast<std::uint64_t>(v >> 64)};
            five.mul_small(5);
        }
        // inv[q] = floor(2^k / 5^q) + 1 with k = pow5bits(q) - 1 + 125: repeated floor
        // division by 5 is exact (floor(floor(a / 5) / 5) = floor(a / 25)).
        for (int q = 0; q < kInvTableSize; ++q) {
            Big x = Big::pow2(pow5bits(q) - 1 + kPow5InvBitcount);
            for (int j = 0; j < q; ++j) {
                x.div_small(5);
            }
            u128 v = x.shifted(0) + 1;
            inv[static_cast<std::size_t>(q)] = {static_cast<std::uint64_t>(v),
                                                static_cast<std::uint64_t>(v >> 64)};
        }
    }
};

const Tables& tables() {
    static const Tables instance;
    return instance;
}

std::uint32_t pow5_factor(std::uint64_t value) {
    std::uint32_t count = 0;
    for (;;) {
        std::uint64_t q = value / 5;
        if (value - 5 * q != 0) {
            return count;
        }
        value = q;
        ++count;
    }
}
bool multiple_of_pow5(std::uint64_t value, std::uint32_t p) {
    return pow5_factor(value) >= p;
}
bool multiple_of_pow2(std::uint64_t value, std::uint32_t p) {
    return (value & ((1ULL << p) - 1)) == 0;
}

// (m * mul) >> j for a 128-bit multiplier, j >= 64.
std::uint64_t mul_shift(std::uint64_t m, const std::array<std::uint64_t, 2>& mul, int j) {
    u128 b0 = static_cast<u128>(m) * mul[0];
    u128 b2 = static_cast<u128>(m) * mul[1];
    return static_cast<std::uint64_t>(((b0 >> 64) + b2) >> (j - 64));
}

} // namespace

ShortestDecimal shortest_decimal(double f) {
    const Tables& t = tables();
    const auto bits = std::bit_cast<std::uint64_t>(f);
    const std::uint64_t ieee_mantissa = bits & ((1ULL << kMantissaBits) - 1);
    const auto ieee_exponent = static_cast<int>((bits >> kMantissaBits) & 0x7ff);

    int e2 = 0;
    std::uint64_t m2 = 0;
    if (ieee_exponent == 0) {
        e2 = 1 - kBias - kMantissaBits - 2;
        m2 = ieee_mantissa;
    } else {
        e2 = ieee_exponent - kBias - kMantissaBits - 2;
        m2 = (1ULL << kMantissaBits) | ieee_mantissa;
    }
    const bool even = (m2 & 1) == 0;
    const bool accept_bounds = even;

    // Step 2: the interval of valid decimal representations.
    const std::uint64_t mv = 4 * m2;
    const std::uint32_t mm_shift = ieee_mantissa != 0 || ieee_exponent <= 1 ? 1 : 0;

    // Step 3: to a decimal power base.
    std::uint64_t vr = 0;
    std::uint64_t vp = 0;
    std::uint64_t vm = 0;
    int e10 = 0;
    bool vm_trailing_zeros = false;
    bool vr_trailing_zeros = false;
    if (e2 >= 0) {
        const std::uint32_t q = log10_pow2(e2) - (e2 > 3 ? 1 : 0);
        e10 = static_cast<int>(q);
        const int k = kPow5InvBitcount + pow5bits(static_cast<int>(q)) - 1;
        const int i = -e2 + static_cast<int>(q) + k;
        const auto& mul = t.inv[q];
        vr = mul_shift(4 * m2, mul, i);
        vp = mul_shift(4 * m2 + 2, mul, i);
        vm = mul_shift(4 * m2 - 1 - mm_shift, mul, i);
        if (q <= 21) {
            // Only one of mp, mv and mm can be a multiple of 5, if any.
            if (mv % 5 == 0) {
                vr_trailing_zeros = multiple_of_pow5(mv, q);
            } else if (accept_bounds) {
                vm_trailing_zeros = multiple_of_pow5(mv - 1 - mm_shift, q);
            } else {
                vp -= multiple_of_pow5(mv + 2, q) ? 1 : 0;
            }
        }
    } else {
        const std::uint32_t q = log10_pow5(-e2) - (-e2 > 1 ? 1 : 0);
        e10 = static_cast<int>(q) + e2;
        const int i = -e2 - static_cast<int>(q);
        const int k = pow5bits(i) - kPow5Bitcount;
        const int j = static_cast<int>(q) - k;
        const auto& mul = t.pow[static_cast<std::size_t>(i)];
        vr = mul_shift(4 * m2, mul, j);
        vp = mul_shift(4 * m2 + 2, mul, j);
        vm = mul_shift(4 * m2 - 1 - mm_shift, mul, j);
        if (q <= 1) {
            // {vr,vp,vm} is trailing zeros if {mv,mp,mm} has at least q trailing 0 bits.
            vr_trailing_zeros = true;
            if (accept_bounds) {
                vm_trailing_zeros = mm_shift == 1;
            } else {
                --vp;
            }
        } else if (q < 63) {
            vr_trailing_zeros = multiple_of_pow2(mv, q);
        }
    }

    // Step 4: the shortest representation in the interval.
    int removed = 0;
    std::uint8_t last_removed = 0;
    std::uint64_t output = 0;
    if (vm_trailing_zeros || vr_trailing_zeros) {
        // The general case, rarely taken.
        for (;;) {
            const std::uint64_t vp10 = vp / 10;
            const std::uint64_t vm10 = vm / 10;
            if (vp10 <= vm10) {
                break;
            }
            const std::uint64_t vr10 = vr / 10;
            vm_trailing_zeros &= vm == vm10 * 10;
            vr_trailing_zeros &= last_removed == 0;
            last_removed = static_cast<std::uint8_t>(vr - vr10 * 10);
            vr = vr10;
            vp = vp10;
            vm = vm10;
            ++removed;
        }
        if (vm_trailing_zeros) {
            for (;;) {
                const std::uint64_t vm10 = vm / 10;
                if (vm != vm10 * 10) {
                    break;
                }
                const std::uint64_t vr10 = vr / 10;
                vr_trailing_zeros &= last_removed == 0;
                last_removed = static_cast<std::uint8_t>(vr - vr10 * 10);
                vr = vr10;
                vp /= 10;
                vm = vm10;
                ++removed;
            }
        }
        if (vr_trailing_zeros && last_removed == 5 && vr % 2 == 0) {
            last_removed = 4; // round to even
        }
        output =
            vr +
            (((vr == vm && (!accept_bounds || !vm_trailing_zeros)) || last_removed >= 5) ? 1 : 0);
    } else {
        // The common case.
        bool round_up = false;
        if (vp / 100 > vm / 100) {
            round_up = vr % 100 >= 50;
            vr /= 100;
            vp /= 100;
            vm /= 100;
            removed += 2;
        }
        for (;;) {
            const std::uint64_t vp10 = vp / 10;
            const std::uint64_t vm10 = vm / 10;
            if (vp10 <= vm10) {
                break;
            }
            const std::uint64_t vr10 = vr / 10;
            round_up = vr - vr10 * 10 >= 5;
            vr = vr10;
            vp = vp10;
            vm = vm10;
            ++removed;
        }
        output = vr + ((vr == vm || round_up) ? 1 : 0);
    }
    return {output, e10 + removed};
}

} // namespace okxkit::core
