// The building blocks of the incremental indicators against plain recomputation over the
// window, with many ties (small integers) where the tie rules matter.
#include "features/primitives.hpp"

#include <gtest/gtest.h>
#include <random>
#include <vector>

namespace okxkit::features {
namespace {

// The extreme of the last n values by scanning them, ties to the newest, and its age.
template <bool kMax>
std::pair<double, std::uint64_t> scan(const std::vector<double>& v, std::size_t n) {
    const std::size_t last = v.size() - 1;
    const std::size_t first = v.size() > n ? v.size() - n : 0;
    std::size_t best = last;
    for (std::size_t i = last; i-- > first;) {
        if (kMax ? v[i] > v[best] : v[i] < v[best]) {
            best = i;
        }
    }
    return {v[best], last - best};
}

template <bool kMax> void check_extreme(std::size_t n, int range, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> d(0, range);
    WindowExtreme<kMax> w(n);
    std::vector<double> seen;
    for (int i = 0; i < 2000; ++i) {
        double x = d(rng);
        seen.push_back(x);
        w.push(x);
        auto [val, age] = scan<kMax>(seen, n);
        ASSERT_EQ(w.value(), val) << "n " << n << " push " << i;
        ASSERT_EQ(w.age(), age) << "n " << n << " push " << i;
        ASSERT_EQ(w.full(), seen.size() >= n);
    }
}

TEST(FeaturesPrimitives, WindowExtremeMatchesAScanOfTheWindowTiesToTheNewest) {
    for (std::size_t n : {1U, 2U, 3U, 5U, 14U, 15U, 55U}) {
        for (int range : {1, 3, 1000}) {
            check_extreme<true>(n, range, static_cast<std::uint32_t>(n * 31 + range));
            check_extreme<false>(n, range, static_cast<std::uint32_t>(n * 17 + range));
        }
    }
}

} // namespace
} // namespace okxkit::features
