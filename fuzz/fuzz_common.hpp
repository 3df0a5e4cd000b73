// What every fuzz target shares: quiet logging, line splitting, and the output check that
// each line a tool writes is one valid UTF-8 JSON object (nlohmann's strict parser is the
// judge: it rejects invalid UTF-8, lone surrogates and anything outside the JSON grammar).
#pragma once

#include "core/log.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::fuzz {

// Stops the run with a report libFuzzer turns into a crash file.
[[noreturn]] inline void fail(const char* what, std::string_view detail) {
    std::fprintf(stderr, "FUZZ FINDING: %s: %.*s\n", what, static_cast<int>(detail.size()),
                 detail.data());
    std::abort();
}

inline void quiet() {
    static const bool done = [] {
        core::Log::init("fuzz", -1, false); // errors too: a bad line is expected here
        return true;
    }();
    (void)done;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Lines as a LineReader sees them: split at '\n', the last one kept when not empty.
inline std::vector<std::string_view> split_lines(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (pos < s.size()) {
        std::size_t nl = s.find('\n', pos);
        if (nl == std::string_view::npos) {
            out.push_back(s.substr(pos));
            break;
        }
        out.push_back(s.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return out;
}

// The reference parser: nlohmann, made exact. nlohmann alone takes a NUL byte for the end of
// the input and skips a leading byte order mark; neither is JSON.
inline nlohmann::json parse_ref(std::string_view text) {
    if (text.find('\0') != std::string_view::npos || text.starts_with("\xEF\xBB\xBF")) {
        return nlohmann::json(nlohmann::json::value_t::discarded);
    }
    return nlohmann::json::parse(text, nullptr, false);
}

// Every line of out is a JSON object; the output ends with a newline when not empty.
inline void check_ndjson(std::string_view out) {
    if (!out.empty() && out.back() != '\n') {
        fail("output does not end with a newline",
             out.substr(out.size() > 200 ? out.size() - 200 : 0));
    }
    for (std::string_view line : split_lines(out)) {
        auto j = parse_ref(line);
        if (j.is_discarded() || !j.is_object()) {
            fail("output line is not a valid UTF-8 JSON object", line);
        }
    }
}

// A message ends up in a diagnostic: it must be valid UTF-8 and short (an excerpt, never the
// whole input).
inline void check_diagnostic(std::string_view msg, std::size_t max = 600) {
    if (msg.size() > max) {
        fail("diagnostic too long", msg.substr(0, 300));
    }
    try {
        (void)nlohmann::json(std::string(msg)).dump(); // strict: throws on invalid UTF-8
    } catch (const nlohmann::json::exception&) {
        fail("diagnostic is not valid UTF-8", msg);
    }
}

} // namespace okxkit::fuzz
