// The fake server's synthetic order book: levels hashed from the price and the clock.
#include "book.hpp"

#include <algorithm>
#include <zlib.h>

namespace okxkit::fake {

namespace {

constexpr std::int64_t kStepMs = 60'000;       // one market clock step
constexpr std::int64_t kChurnSteps = 64;       // a level's epoch turns over this often
constexpr std::int64_t kSizeDecimals = 4;      // sizes are written with up to 4 decimals
constexpr std::int64_t kMaxSizeUnits = 50'000; // sizes 0.0001 .. 5
constexpr std::size_t kChecksumLevels = 25;

std::uint64_t mix(std::uint64_t x) {
    // splitmix64's finaliser.
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

std::uint64_t hash3(std::uint64_t a, std::int64_t b, std::int64_t c) {
    return mix(mix(mix(a) ^ static_cast<std::uint64_t>(b)) ^ static_cast<std::uint64_t>(c));
}

std::uint64_t inst_hash(std::string_view inst_id) {
    std::uint64_t h = 1469598103934665603ULL; // FNV-1a
    for (char c : inst_id) {
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    }
    return h;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int decimals_of(std::string_view tick_sz) {
    const auto dot = tick_sz.find('.');
    return dot == std::string_view::npos ? 0 : static_cast<int>(tick_sz.size() - dot - 1);
}

// "30000.5" at 2 decimals → 3000050. The CSV loader made sure prices have at most that many.
std::int64_t to_units(std::string_view decimal, int decimals) {
    std::int64_t v = 0;
    int frac = -1;
    for (char c : decimal) {
        if (c == '.') {
            frac = 0;
            continue;
        }
        if (frac >= decimals) {
            break;
        }
        v = v * 10 + (c - '0');
        if (frac >= 0) {
            ++frac;
        }
    }
    for (int k = std::max(frac, 0); k < decimals; ++k) {
        v *= 10;
    }
    return v;
}

// 3000050 at 2 decimals → "30000.5": no trailing zeros, as OKX writes prices.
std::string from_units(std::int64_t v, int decimals) {
    std::string s = std::to_string(v);
    if (decimals == 0) {
        return s;
    }
    if (s.size() <= static_cast<std::size_t>(decimals)) {
        s.insert(0, static_cast<std::size_t>(decimals) + 1 - s.size(), '0');
    }
    s.insert(s.size() - static_cast<std::size_t>(decimals), 1, '.');
    while (s.back() == '0') {
        s.pop_back();
    }
    if (s.back() == '.') {
        s.pop_back();
    }
    return s;
}

// The level at price ticks in clock step k, if the price holds one.
std::optional<BookLevel> level_at(std::uint64_t inst, std::int64_t ticks, std::int64_t k,
                                  int decimals) {
    const auto phase = static_cast<std::int64_t>(hash3(inst, ticks, -1) % kChurnSteps);
    const std::int64_t epoch = floor_div(k + phase, kChurnSteps);
    const std::uint64_t r = hash3(inst, ticks, epoch);
    if (r % 8 == 0) {
        return std::nullopt; // about one price in eight is empty
    }
    const auto units = 1 + static_cast<std::int64_t>((r >> 8) % kMaxSizeUnits);
    return BookLevel{ticks, from_units(ticks, decimals), from_units(units, kSizeDecimals),
                     std::to_string(1 + (r >> 40) % 20)};
}

// Merges one side (best first; better(a, b): a comes before b) into changes.
template <typename Better>
void diff_side(const std::vector<BookLevel>& from, const std::vector<BookLevel>& to,
               std::vector<BookLevel>& out, Better better) {
    out.clear();
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < from.size() || j < to.size()) {
        if (j == to.size() || (i < from.size() && better(from[i].ticks, to[j].ticks))) {
            out.push_back({from[i].ticks, from[i].px, "0", "0"});
            ++i;
        } else if (i == from.size() || better(to[j].ticks, from[i].ticks)) {
            out.push_back(to[j]);
            ++j;
        } else {
            if (from[i].sz != to[j].sz || from[i].orders != to[j].orders) {
                out.push_back(to[j]);
            }
            ++i;
            ++j;
        }
    }
}

} // namespace

std::optional<FakeBook> book_at(const MarketData& data, const std::string& inst_id,
                                std::int64_t clock) {
    const Instrument* inst = data.instrument(inst_id);
    if (inst == nullptr) {
        return std::nullopt;
    }
    const Candle* bar = nullptr;
    for (const Series* s : data.series_of(inst_id)) {
        auto it = std::upper_bound(s->rows.begin(), s->rows.end(), clock,
                                   [](std::int64_t t, const Candle& c) { return t < c.ts; });
        if (it != s->rows.begin()) {
            bar = &*(it - 1);
            break;
        }
    }
    if (bar == nullptr) {
        return std::nullopt;
    }
    const int decimals = decimals_of(inst->tick_sz);
    const std::int64_t mid = to_units(bar->close, decimals);
    const std::uint64_t h = inst_hash(inst_id);
    const std::int64_t k = floor_div(clock, kStepMs);
    FakeBook book;
    book.ts = clock;
    book.seq_id = book_seq_id(inst_id, clock);
    book.bids.reserve(kBookDepth);
    book.asks.reserve(kBookDepth);
    for (std::int64_t p = mid - 1; p >= 1 && book.bids.size() < kBookDepth; --p) {
        if (auto l = level_at(h, p, k, decimals)) {
            book.bids.push_back(std::move(*l));
        }
    }
    for (std::int64_t p = mid + 1; book.asks.size() < kBookDepth; ++p) {
        if (auto l = level_at(h, p, k, decimals)) {
            book.asks.push_back(std::move(*l));
        }
    }
    return book;
}

std::int64_t book_seq_id(const std::string& inst_id, std::int64_t clock) {
    const std::int64_t k = floor_div(clock, kStepMs);
    return k * 16 + static_cast<std::int64_t>(hash3(inst_hash(inst_id), k, -2) % 16);
}

void book_diff(const FakeBook& from, const FakeBook& to, std::vector<BookLevel>& bids,
               std::vector<BookLevel>& asks) {
    diff_side(from.bids, to.bids, bids, [](std::int64_t a, std::int64_t b) { return a > b; });
    diff_side(from.asks, to.asks, asks, [](std::int64_t a, std::int64_t b) { return a < b; });
}

std::int32_t fake_book_checksum(const FakeBook& book) {
    std::string s;
    const auto add = [&s](const BookLevel& l) {
        if (!s.empty()) {
            s += ':';
        }
        s += l.px;
        s += ':';
        s += l.sz;
    };
    for (std::size_t i = 0; i < kChecksumLevels; ++i) {
        if (i < book.bids.size()) {
            add(book.bids[i]);
        }
        if (i < book.asks.size()) {
            add(book.asks[i]);
        }
    }
    const uLong crc =
        crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size()));
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(crc));
}

std::string book_levels_json(const std::vector<BookLevel>& levels, std::size_t n) {
    std::string out = "[";
    for (std::size_t i = 0; i < levels.size() && i < n; ++i) {
        if (i > 0) {
            out += ',';
        }
        out += R"([")";
        out += levels[i].px;
        out += R"(",")";
        out += levels[i].sz;
        out += R"(","0",")";
        out += levels[i].orders;
        out += R"("])";
    }
    out += ']';
    return out;
}

} // namespace okxkit::fake
