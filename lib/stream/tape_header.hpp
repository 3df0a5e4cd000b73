// Typed reads of a tape header's fields, with diagnostics that name the tape, the line and the
// field, say what was expected, and quote at most a short excerpt of what was found.
#pragma once

#include "core/error.hpp"
#include "core/json_scan.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::stream {

class TapeHeader {
public:
    // where: "TAPE:1" (the header is a tape's first line), or "tape header".
    TapeHeader(const nlohmann::json& header, std::string where);

    // The header's own "mode" (live, history); "" when absent.
    [[nodiscard]] std::string mode() const;
    // Fields of "args". Absent optional fields give nullopt (or the default).
    [[nodiscard]] std::string text(std::string_view key, std::size_t max_len) const;
    [[nodiscard]] std::string text_or(std::string_view key, std::string_view fallback,
                                      std::size_t max_len) const;
    [[nodiscard]] std::vector<std::string> texts(std::string_view key, std::size_t max_len) const;
    [[nodiscard]] std::optional<std::int64_t> integer(std::string_view key) const;
    [[nodiscard]] std::int64_t integer_or(std::string_view key, std::int64_t fallback,
                                          std::int64_t lo, std::int64_t hi) const;
    [[nodiscard]] bool boolean_or(std::string_view key, bool fallback) const;

    // A UsageError "WHERE: tape header field "args.KEY" EXPECTED, found WHAT".
    [[nodiscard]] core::UsageError wrong(std::string_view key, std::string_view expected,
                                         const nlohmann::json* found) const;

private:
    const nlohmann::json* arg(std::string_view key) const;
    const nlohmann::json& header_;
    const nlohmann::json* args_ = nullptr;
    std::string where_;
};

} // namespace okxkit::stream
