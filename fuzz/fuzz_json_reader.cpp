// Differential: the WebSocket frame tokenizer (okx::JsonReader) against nlohmann. Both must
// accept and refuse the same texts, except where JsonReader documents a bound (nesting deeper
// than its limit). Then the frame classifier and the event parser run on the same text.
#include "core/json_scan.hpp"
#include "fuzz_common.hpp"
#include "okx/json_reader.hpp"
#include "okx/ws_frames.hpp"

using namespace okxkit;

namespace {

int depth_of(std::string_view s) {
    int depth = 0;
    int max = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            max = std::max(max, ++depth);
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return max;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    static okx::JsonReader reader;
    const bool ours = reader.parse(text);
    // nlohmann skips a byte order mark at the start; a frame never holds one.
    const bool ref = !fuzz::parse_ref(text).is_discarded();
    if (ours != ref && !(ref && depth_of(text) >= 32)) {
        fuzz::fail(ours ? "JsonReader took text that is not JSON" : "JsonReader refused JSON",
                   text);
    }
    // UTF-8: the validator and the replacement against nlohmann's serializer.
    const std::string as_string(text);
    // nlohmann's verdict on the bytes as the content of a JSON string, without exceptions:
    // quotes, backslashes and control characters (ASCII, no bearing on UTF-8) made plain.
    std::string quoted = "\"" + as_string + "\"";
    for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
        const auto c = static_cast<unsigned char>(quoted[i]);
        if (c == '"' || c == '\\' || c < 0x20) {
            quoted[i] = 'a';
        }
    }
    const bool strict_ok = !nlohmann::json::parse(quoted, nullptr, false).is_discarded();
    if (strict_ok != core::valid_utf8(text)) {
        fuzz::fail("valid_utf8 and nlohmann disagree", text);
    }
    const std::string replaced = core::replace_invalid_utf8(text);
    if (nlohmann::json(replaced).dump() !=
        nlohmann::json(as_string).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) {
        fuzz::fail("replace_invalid_utf8 differs from nlohmann's replacement", text);
    }

    const okx::FrameKind kind = okx::classify_frame(text);
    if (kind == okx::FrameKind::kEvent && !okx::parse_event_frame(text)) {
        fuzz::fail("classified as an event but not parsed as one", text);
    }
    return 0;
}
