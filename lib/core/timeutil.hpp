// Durations and times as users type them, and ISO-8601 formatting of event times.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace okxkit::core {

// Parses a duration: one or more <integer><unit> groups, units ms s m h d w
// ("90s", "6h", "26h", "7d", "1h30m"). A bare integer is rejected (ambiguous).
// Returns milliseconds, or nullopt when the text is not a duration or overflows.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

// Parses a point in time: integer milliseconds since the Unix epoch, or ISO-8601 UTC
// ("2021-04-02", "2021-04-02T00:00", "2021-04-02T00:00:00Z", "2021-04-02 00:00:00.250Z",
// "2021-04-02T08:00:00+08:00"). A time without zone is taken as UTC.
// Returns milliseconds, or nullopt when the text is not a time.
std::optional<std::int64_t> parse_time_ms(std::string_view text);

// Formats milliseconds since the epoch as ISO-8601 UTC: "2021-04-02T00:00:00Z", with
// ".mmm" only when the milliseconds are not zero.
std::string format_iso_ms(std::int64_t ms);

// Days since 1970-01-01 of a proleptic Gregorian civil date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);

} // namespace okxkit::core
