// audit gaps: the holes in the stored candles of each instrument and bar.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace okxkit::store {
class Store;
}

namespace okxkit::audit {

// Bars missing between two stored candles: from the first missing bar's ts to the last's.
struct Hole {
    std::int64_t from = 0;
    std::int64_t to = 0;
    std::int64_t missing = 0;
};

struct Series {
    std::string inst;
    std::string bar;
    std::int64_t candles = 0;
    std::int64_t first = 0; // ts of the first and last stored candle
    std::int64_t last = 0;
    std::int64_t missing = 0; // bars missing between first and last, in all
    std::vector<Hole> holes;  // in time order
};

// Every stored series (or those of insts and bar, when given), in (inst, bar) order, with its
// holes: a candle whose ts is more than one bar after the one before leaves the bars between
// missing. A bar name the store holds that okxkit does not know is reported without holes.
std::vector<Series> find_gaps(store::Store& st, const std::vector<std::string>& insts,
                              const std::string& bar);

} // namespace okxkit::audit
