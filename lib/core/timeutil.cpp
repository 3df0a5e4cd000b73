// Parsing of durations and times, formatting of ISO-8601 UTC times.
#include "core/timeutil.hpp"

#include <charconv>
#include <cstdio>

namespace okxkit::core {

namespace {

bool parse_uint(std::string_view s, std::int64_t& out) {
    if (s.empty()) {
        return false;
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && out >= 0;
}

// Reads exactly n digits at s[pos]; advances pos.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, std::int64_t& out) {
    if (pos + n > s.size()) {
        return false;
    }
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        out = out * 10 + (c - '0');
    }
    pos += n;
    return true;
}

bool is_leap(std::int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, std::int64_t m) {
    static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

} // namespace

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::int64_t total = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            ++pos;
        }
        std::int64_t n = 0;
        if (pos == start || !parse_uint(text.substr(start, pos - start), n)) {
            return std::nullopt;
        }
        std::size_t ustart = pos;
        while (pos < text.size() && (text[pos] < '0' || text[pos] > '9')) {
            ++pos;
        }
        std::string_view unit = text.substr(ustart, pos - ustart);
        std::int64_t scale = 0;
        if (unit == "ms") {
            scale = 1;
        } else if (unit == "s") {
            scale = 1000;
        } else if (unit == "m") {
            scale = 60'000;
        } else if (unit == "h") {
            scale = 3'600'000;
        } else if (unit == "d") {
            scale = 86'400'000;
        } else if (unit == "w") {
            scale = 7 * 86'400'000LL;
        } else {
            return std::nullopt;
        }
        std::int64_t part = 0;
        if (__builtin_mul_overflow(n, scale, &part) ||
            __builtin_add_overflow(total, part, &total)) {
            return std::nullopt;
        }
    }
    return total;
}

std::optional<std::int64_t> parse_time_ms(std::string_view s) {
    std::int64_t n = 0;
    if (parse_uint(s, n)) {
        return n;
    }
    std::size_t pos = 0;
    std::int64_t y = 0, mo = 0, d = 0, hh = 0, mi = 0, ss = 0, ms = 0;
    if (!digits(s, pos, 4, y) || pos >= s.size() || s[pos++] != '-' || !digits(s, pos, 2, mo) ||
        pos >= s.size() || s[pos++] != '-' || !digits(s, pos, 2, d)) {
        return std::nullopt;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
        return std::nullopt;
    }
    std::int64_t offset_min = 0;
    if (pos < s.size()) {
        if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') {
            return std::nullopt;
        }
        ++pos;
        if (!digits(s, pos, 2, hh) || pos >= s.size() || s[pos++] != ':' ||
            !digits(s, pos, 2, mi)) {
            return std::nullopt;
        }
        if (pos < s.size() && s[pos] == ':') {
            ++pos;
            if (!digits(s, pos, 2, ss)) {
                return std::nullopt;
            }
            if (pos < s.size() && s[pos] == '.') {
                ++pos;
                std::size_t start = pos;
                while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                    if (pos - start < 3) {
                        ms = ms * 10 + (s[pos] - '0');
                    }
                    ++pos;
                }
                std::size_t nd = pos - start;
                if (nd == 0) {
                    return std::nullopt;
                }
                for (std::size_t i = nd; i < 3; ++i) {
                    ms *= 10;
                }
            }
        }
        if (hh > 23 || mi > 59 || ss > 60) {
            return std::nullopt;
        }
        if (pos < s.size()) {
            char z = s[pos];
            if ((z == 'Z' || z == 'z') && pos + 1 == s.size()) {
                pos = s.size();
            } else if (z == '+' || z == '-') {
                ++pos;
                std::int64_t oh = 0, om = 0;
                if (!digits(s, pos, 2, oh)) {
                    return std::nullopt;
                }
                if (pos < s.size() && s[pos] == ':') {
                    ++pos;
                }
                if (!digits(s, pos, 2, om) || pos != s.size() || oh > 23 || om > 59) {
                    return std::nullopt;
                }
                offset_min = (oh * 60 + om) * (z == '-' ? -1 : 1);
            } else {
                return std::nullopt;
            }
        }
    }
    std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    return ((days * 24 + hh) * 60 + mi - offset_min) * 60'000 + ss * 1000 + ms;
}

std::string format_iso_ms(std::int64_t ms) {
    std::int64_t days = ms / 86'400'000 - (ms % 86'400'000 < 0 ? 1 : 0); // floor, no overflow
    std::int64_t rem = ms % 86'400'000 + (ms % 86'400'000 < 0 ? 86'400'000 : 0);
    // civil_from_days (H. Hinnant)
    std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2 ? 1 : 0;
    char buf[48];
    int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                          static_cast<long long>(y), m, d, static_cast<long long>(rem / 3'600'000),
                          static_cast<long long>(rem / 60'000 % 60),
                          static_cast<long long>(rem / 1000 % 60));
    std::string out(buf, static_cast<std::size_t>(n));
    if (rem % 1000 != 0) {
        std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(rem % 1000));
        out += buf;
    }
    out += 'Z';
    return out;
}

} // namespace okxkit::core
