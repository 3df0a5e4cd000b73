// JSON scalar writers used on the hot output paths.
#include "core/json_out.hpp"

#include <charconv>
#include <cmath>

namespace okxkit::core {

void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(p - buf));
}

void append_double(std::string& out, double v) {
    if (!std::isfinite(v)) {
        out += "null";
        return;
    }
    const double mag = std::fabs(v);
    char buf[400];
    auto [p, ec] = mag == 0 || (mag >= 1e-7 && mag < 1e16)
                       ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                       : std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(p - buf));
}

namespace {

// True when text is the shortest plain decimal of the double it denotes: digits with at most
// one '.', no sign or exponent, no redundant zeros, at most 15 significant digits (so no
// other decimal of that length maps to the same double: DBL_DIG is 15).
bool canonical_decimal(std::string_view t) {
    if (t.empty() || t.size() > 24) {
        return false;
    }
    std::size_t dot = t.find('.');
    std::string_view whole = t.substr(0, dot);
    if (whole.empty() || (whole.size() > 1 && whole[0] == '0')) {
        return false;
    }
    int significant = 0;
    bool leading = true;
    for (char c : whole) {
        if (c < '0' || c > '9') {
            return false;
        }
        if (c != '0' || !leading) {
            leading = false;
            ++significant;
        }
    }
    if (dot != std::string_view::npos) {
        std::string_view frac = t.substr(dot + 1);
        if (frac.empty() || frac.back() == '0') {
            return false;
        }
        for (char c : frac) {
            if (c < '0' || c > '9') {
                return false;
            }
            if (c != '0' || !leading) {
                leading = false;
                ++significant;
            }
        }
    }
    if (significant > 15) {
        return false;
    }
    // Keep to the range where append_double prints plain decimals.
    return whole.size() <= 16 && !(whole == "0" && t.size() > 2 && t.substr(2, 7) == "0000000");
}

} // namespace

void append_double_from_text(std::string& out, std::string_view text, double v) {
    if (canonical_decimal(text)) {
        out.append(text);
    } else {
        append_double(out, v);
    }
}

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                out += "\\u00";
                out += kHex[c >> 4];
                out += kHex[c & 15];
            } else {
                out += ch;
            }
        }
    }
    out += '"';
}

} // namespace okxkit::core
