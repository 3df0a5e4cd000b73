// Instrument name normalisation.
#include "core/instrument.hpp"

#include <algorithm>
#include <array>

namespace okxkit::core {

namespace {

// Quote currencies tried, longest first, when a name has no separator.
constexpr std::array<std::string_view, 11> kQuotes{"USDT", "USDC", "USDG", "FDUSD", "DAI", "USD",
                                                   "EUR",  "BTC",  "ETH",  "OKB",   "TRY"};

bool is_alnum_upper(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

} // namespace

std::optional<std::string> normalize_inst(std::string_view text) {
    std::string s;
    s.reserve(text.size());
    for (char c : text) {
        if (c >= 'a' && c <= 'z') {
            s += static_cast<char>(c - 'a' + 'A');
        } else if (c == '/' || c == '_' || c == '-') {
            s += '-';
        } else if (is_alnum_upper(c)) {
            s += c;
        } else {
            return std::nullopt;
        }
    }
    if (s.empty() || s.front() == '-' || s.back() == '-' || s.find("--") != std::string::npos) {
        return std::nullopt;
    }
    if (s.find('-') == std::string::npos) {
        std::size_t best = 0;
        for (std::string_view q : kQuotes) {
            if (s.size() > q.size() && s.compare(s.size() - q.size(), q.size(), q) == 0 &&
                q.size() > best) {
                best = q.size();
            }
        }
        if (best == 0) {
            return std::nullopt;
        }
        s.insert(s.size() - best, 1, '-');
    }
    return s;
}

bool is_inst_id(std::string_view text) {
    // What normalize_inst leaves unchanged, without building it: upper-case letters, digits
    // and single inner dashes, with at least one dash (without one a dash would be inserted).
    // Called for every candle, so no allocation.
    if (text.empty() || text.front() == '-' || text.back() == '-' ||
        text.find('-') == std::string_view::npos || text.find("--") != std::string_view::npos) {
        return false;
    }
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return c == '-' || is_alnum_upper(c); });
}

} // namespace okxkit::core
