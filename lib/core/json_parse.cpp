// parse_json (message.hpp): nlohmann's parser made exact for input from outside. A file of its
// own, away from the hot writers of message.cpp, whose inlining it would otherwise change.
#include "core/message.hpp"

#include <nlohmann/json.hpp>

namespace okxkit::core {

nlohmann::json parse_json(std::string_view text) {
    if (text.find('\0') != std::string_view::npos || text.starts_with("\xEF\xBB\xBF")) {
        return nlohmann::json(nlohmann::json::value_t::discarded);
    }
    return nlohmann::json::parse(text, nullptr, false);
}

} // namespace okxkit::core
