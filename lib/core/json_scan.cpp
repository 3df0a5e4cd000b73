// Strict JSON numbers and plain strings for the hot paths, and excerpts for diagnostics.
#include "core/json_scan.hpp"

#include <charconv>
#include <cmath>

namespace okxkit::core {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

} // namespace

bool scan_json_number(std::string_view s, std::size_t& i, bool& integer) {
    std::size_t p = i;
    const std::size_t n = s.size();
    if (p < n && s[p] == '-') {
        ++p;
    }
    if (p >= n || !is_digit(s[p])) {
        return false;
    }
    if (s[p] == '0') {
        ++p; // a leading zero stands alone
    } else {
        while (p < n && is_digit(s[p])) {
            ++p;
        }
    }
    bool whole = true;
    if (p < n && s[p] == '.') {
        ++p;
        if (p >= n || !is_digit(s[p])) {
            return false;
        }
        while (p < n && is_digit(s[p])) {
            ++p;
        }
        whole = false;
    }
    if (p < n && (s[p] == 'e' || s[p] == 'E')) {
        ++p;
        if (p < n && (s[p] == '+' || s[p] == '-')) {
            ++p;
        }
        if (p >= n || !is_digit(s[p])) {
            return false;
        }
        while (p < n && is_digit(s[p])) {
            ++p;
        }
        whole = false;
    }
    integer = whole;
    i = p;
    return true;
}

bool json_number_value(std::string_view text, double& v) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc() && end == text.data() + text.size() && std::isfinite(v);
}

bool json_integer_value(std::string_view text, std::int64_t& v) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc() && end == text.data() + text.size();
}

bool scan_plain_string(std::string_view s, std::size_t& i, std::string_view& out) {
    if (i >= s.size() || s[i] != '"') {
        return false;
    }
    std::size_t p = i + 1;
    const std::size_t start = p;
    while (p < s.size()) {
        const auto c = static_cast<unsigned char>(s[p]);
        if (c == '"') {
            out = s.substr(start, p - start);
            i = p + 1;
            return true;
        }
        if (c == '\\' || c < 0x20 || c > 0x7e) {
            return false;
        }
        ++p;
    }
    return false;
}

std::string excerpt(std::string_view s, std::size_t max) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    std::size_t n = 0;
    for (char ch : s) {
        if (++n > max) {
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c >= 0x7f) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += ch;
        }
    }
    out += '"';
    return out;
}

} // namespace okxkit::core
