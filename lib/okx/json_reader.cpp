// The OKX frame tokenizer: strict JSON grammar, bounded depth and size.
#include "okx/json_reader.hpp"

#include "core/json_scan.hpp"

#include <cctype>
#include <limits>

namespace okxkit::okx {

bool JsonReader::parse(std::string_view text) {
    src_ = text;
    toks_.clear();
    error_ = nullptr;
    if (text.size() >= std::numeric_limits<std::uint32_t>::max()) {
        error_ = "frame too long";
        return false;
    }
    std::size_t pos = 0;
    if (!value(pos, 0)) {
        return false;
    }
    skip_ws(pos);
    if (pos != src_.size()) {
        error_ = "text after the JSON value";
        return false;
    }
    return true;
}

void JsonReader::skip_ws(std::size_t& pos) const {
    while (pos < src_.size() &&
           (src_[pos] == ' ' || src_[pos] == '\n' || src_[pos] == '\r' || src_[pos] == '\t')) {
        ++pos;
    }
}

std::uint32_t JsonReader::push(Type type, std::size_t begin) {
    toks_.push_back({type, false, static_cast<std::uint32_t>(begin), 0, 0, 0});
    return static_cast<std::uint32_t>(toks_.size() - 1);
}

void JsonReader::close(std::uint32_t idx, std::size_t end) {
    toks_[idx].end = static_cast<std::uint32_t>(end);
    toks_[idx].next = static_cast<std::uint32_t>(toks_.size());
}

int JsonReader::hex4(std::size_t pos) const {
    if (pos + 4 > src_.size()) {
        return -1;
    }
    int v = 0;
    for (std::size_t k = pos; k < pos + 4; ++k) {
        const auto c = static_cast<unsigned char>(src_[k]);
        int d = 0;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            d = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            d = c - 'A' + 10;
        } else {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

bool JsonReader::string_token(std::size_t& pos) {
    // src_[pos] == '"'
    const std::uint32_t idx = push(Type::kString, pos + 1);
    ++pos;
    bool escaped = false;
    while (pos < src_.size()) {
        const auto c = static_cast<unsigned char>(src_[pos]);
        if (c == '"') {
            toks_[idx].escaped = escaped;
            close(idx, pos);
            ++pos;
            return true;
        }
        if (c < 0x20) {
            error_ = "control character in a string";
            return false;
        }
        if (c >= 0x80) {
            const std::size_t n = core::utf8_sequence(src_, pos);
            if (n == 0) {
                error_ = "invalid UTF-8 in a string";
                return false;
            }
            pos += n;
            continue;
        }
        if (c == '\\') {
            escaped = true;
            if (pos + 1 >= src_.size()) {
                break;
            }
            const char e = src_[pos + 1];
            if (e == 'u') {
                if (pos + 5 >= src_.size()) {
                    break;
                }
                const int cp = hex4(pos + 2);
                if (cp < 0) {
                    error_ = "bad \\u escape";
                    return false;
                }
                pos += 6;
                if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    error_ = "lone low surrogate in a \\u escape";
                    return false;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    // A high surrogate must be followed by the escape of a low one.
                    const int lo =
                        pos + 5 < src_.size() && src_[pos] == '\\' && src_[pos + 1] == 'u'
                            ? hex4(pos + 2)
                            : -1;
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        error_ = "high surrogate without its low half in a \\u escape";
                        return false;
                    }
                    pos += 6;
                }
                continue;
            }
            if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
                e != 't') {
                error_ = "bad escape in a string";
                return false;
            }
            pos += 2;
            continue;
        }
        ++pos;
    }
    error_ = "unterminated string";
    return false;
}

bool JsonReader::number_token(std::size_t& pos) {
    // Exactly the JSON grammar (no leading zeros, no "5." or ".5"), and finite, as nlohmann
    // reads numbers: 1e999 is refused.
    const std::size_t begin = pos;
    bool integer = false;
    double v = 0;
    if (!core::scan_json_number(src_, pos, integer) ||
        !core::json_number_value(src_.substr(begin, pos - begin), v)) {
        error_ = "bad number";
        return false;
    }
    const std::uint32_t idx = push(Type::kNumber, begin);
    close(idx, pos);
    return true;
}

bool JsonReader::value(std::size_t& pos, int depth) {
    skip_ws(pos);
    if (pos >= src_.size()) {
        error_ = "unexpected end of the text";
        return false;
    }
    if (depth > kMaxDepth) {
        error_ = "nested too deeply";
        return false;
    }
    const char c = src_[pos];
    if (c == '{' || c == '[') {
        const bool object = c == '{';
        const std::uint32_t idx = push(object ? Type::kObject : Type::kArray, pos);
        ++pos;
        skip_ws(pos);
        const char close_char = object ? '}' : ']';
        if (pos < src_.size() && src_[pos] == close_char) {
            ++pos;
            close(idx, pos);
            return true;
        }
        std::uint32_t n = 0;
        while (true) {
            if (object) {
                skip_ws(pos);
                if (pos >= src_.size() || src_[pos] != '"') {
                    error_ = "object key is not a string";
                    return false;
                }
                if (!string_token(pos)) {
                    return false;
                }
                skip_ws(pos);
                if (pos >= src_.size() || src_[pos] != ':') {
                    error_ = "missing ':' in an object";
                    return false;
                }
                ++pos;
            }
            if (!value(pos, depth + 1)) {
                return false;
            }
            ++n;
            skip_ws(pos);
            if (pos < src_.size() && src_[pos] == ',') {
                ++pos;
                continue;
            }
            if (pos < src_.size() && src_[pos] == close_char) {
                ++pos;
                break;
            }
            error_ = object ? "missing ',' or '}' in an object" : "missing ',' or ']' in an array";
            return false;
        }
        toks_[idx].size = n;
        close(idx, pos);
        return true;
    }
    if (c == '"') {
        return string_token(pos);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        return number_token(pos);
    }
    for (std::string_view lit :
         {std::string_view("true"), std::string_view("false"), std::string_view("null")}) {
        if (src_.substr(pos, lit.size()) == lit) {
            const std::uint32_t idx = push(Type::kLiteral, pos);
            pos += lit.size();
            close(idx, pos);
            return true;
        }
    }
    error_ = "not JSON";
    return false;
}

} // namespace okxkit::okx
