// A JSON tokenizer for OKX's WebSocket frames: no allocation once warm, strings as views.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace okxkit::okx {

// Tokenises one JSON text without allocating once warm (tokens live in a reused vector) and
// keeps strings as views of the text, which is all OKX's pushes need: their numbers come as
// strings and none of their fields needs unescaping. Depth and size are bounded.
class JsonReader {
public:
    enum class Type : std::uint8_t { kObject, kArray, kString, kNumber, kLiteral };
    struct Token {
        Type type;
        bool escaped;        // a string holding backslash escapes
        std::uint32_t begin; // strings: after the opening quote
        std::uint32_t end;   // strings: at the closing quote
        std::uint32_t next;  // index of the token after this one's subtree
        std::uint32_t size;  // objects: members; arrays: elements
    };

    // Parses text; false with error() set when it is not one JSON value. O(size of text).
    bool parse(std::string_view text);
    [[nodiscard]] const char* error() const { return error_ != nullptr ? error_ : "bad JSON"; }

    [[nodiscard]] const Token& at(std::uint32_t i) const { return toks_[i]; }
    [[nodiscard]] std::string_view text(std::uint32_t i) const {
        const Token& t = toks_[i];
        return src_.substr(t.begin, t.end - t.begin);
    }
    // The value of member key of object i, or nullopt.
    [[nodiscard]] std::optional<std::uint32_t> member(std::uint32_t obj,
                                                      std::string_view key) const {
        const Token& o = toks_[obj];
        if (o.type != Type::kObject) {
            return std::nullopt;
        }
        std::uint32_t k = obj + 1;
        for (std::uint32_t m = 0; m < o.size; ++m) {
            const std::uint32_t v = k + 1;
            if (!toks_[k].escaped && text(k) == key) {
                return v;
            }
            k = toks_[v].next;
        }
        return std::nullopt;
    }
    // A plain (unescaped) string member.
    [[nodiscard]] bool string(std::uint32_t obj, std::string_view key,
                              std::string_view& out) const {
        auto v = member(obj, key);
        if (!v || toks_[*v].type != Type::kString || toks_[*v].escaped) {
            return false;
        }
        out = text(*v);
        return true;
    }

private:
    static constexpr int kMaxDepth = 32;

    void skip_ws(std::size_t& pos) const;

    std::uint32_t push(Type type, std::size_t begin);

    void close(std::uint32_t idx, std::size_t end);

    bool string_token(std::size_t& pos);
    [[nodiscard]] int hex4(std::size_t pos) const; // 4 hex digits at pos, or -1

    bool number_token(std::size_t& pos);

    bool value(std::size_t& pos, int depth);

    std::string_view src_;
    std::vector<Token> toks_;
    const char* error_ = nullptr;
};

} // namespace okxkit::okx
