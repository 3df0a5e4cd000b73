// The table of OKX bar names.
#include "core/bar.hpp"

#include <array>

namespace okxkit::core {

namespace {

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kHour = 60 * kMin;
constexpr std::int64_t kDay = 24 * kHour;

constexpr std::array<Bar, 16> kBars{{
    {"1m", kMin},
    {"3m", 3 * kMin},
    {"5m", 5 * kMin},
    {"15m", 15 * kMin},
    {"30m", 30 * kMin},
    {"1H", kHour},
    {"2H", 2 * kHour},
    {"4H", 4 * kHour},
    {"6H", 6 * kHour},
    {"12H", 12 * kHour},
    {"1D", kDay},
    {"1W", 7 * kDay},
    {"6Hutc", 6 * kHour},
    {"12Hutc", 12 * kHour},
    {"1Dutc", kDay},
    {"1Wutc", 7 * kDay},
}};

// Lower-case spellings of other exchanges, mapped to the OKX bar of the same meaning.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kAliases{{
    {"1h", "1H"},
    {"2h", "2H"},
    {"4h", "4H"},
    {"6h", "6Hutc"},
    {"12h", "12Hutc"},
    {"1d", "1Dutc"},
    {"1w", "1Wutc"},
    {"60m", "1H"},
}};

} // namespace

std::span<const Bar> all_bars() {
    return kBars;
}

std::string bar_names() {
    std::string out;
    for (const Bar& b : all_bars()) {
        if (!out.empty()) {
            out += ' ';
        }
        out += b.name;
    }
    return out;
}

std::optional<Bar> parse_bar(std::string_view text) {
    for (const auto& [alias, name] : kAliases) {
        if (text == alias) {
            text = name;
            break;
        }
    }
    for (const Bar& b : kBars) {
        if (b.name == text) {
            return b;
        }
    }
    return std::nullopt;
}

} // namespace okxkit::core
