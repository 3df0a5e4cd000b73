// OKX candle bar names ("1m", "1H", "1Dutc") and their lengths.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace okxkit::core {

struct Bar {
    std::string_view name; // as OKX spells it (case-sensitive on the exchange)
    std::int64_t ms;       // length of one bar
};

// Every bar okxkit knows, shortest first: 1m 3m 5m 15m 30m 1H 2H 4H 6H 12H 1D 1W, and the
// UTC-anchored 6Hutc 12Hutc 1Dutc 1Wutc (OKX anchors 6H and longer on UTC+8 otherwise).
std::span<const Bar> all_bars();

// The names of all_bars() for messages: "1m 3m 5m 15m 30m 1H 2H 4H 6H 12H 1D 1W 6Hutc 12Hutc
// 1Dutc 1Wutc".
std::string bar_names();

// Resolves a bar name. OKX names match exactly. Lower-case hours, days and weeks as other
// exchanges write them map to their OKX meaning: "1h" → "1H", "4h" → "4H", and from six
// hours up to the UTC-anchored bar ("6h" → "6Hutc", "1d" → "1Dutc", "1w" → "1Wutc").
// "1M" (one month) is not a fixed length and is not accepted. O(number of bars).
std::optional<Bar> parse_bar(std::string_view text);

} // namespace okxkit::core
