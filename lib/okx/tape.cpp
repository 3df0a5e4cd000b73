// Tape files: writing received frames and pages, reading them back for a replay.
#include "okx/tape.hpp"

#include "core/error.hpp"

namespace okxkit::okx {

TapeWriter::TapeWriter(const std::string& path) : out_(path, std::ios::trunc), path_(path) {
    if (!out_) {
        throw core::RuntimeError("tape " + path + ": cannot open for writing");
    }
}

void TapeWriter::line(const nlohmann::json& j) {
    // Invalid UTF-8 from the wire is kept as replacement characters rather than failing.
    out_ << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    flush();
}

void TapeWriter::flush() {
    out_.flush();
    if (!out_) {
        throw core::RuntimeError("tape " + path_ + ": cannot write");
    }
}

void TapeWriter::header(std::int64_t recv_ts, std::string_view mode, const nlohmann::json& args) {
    line({{"tape", "header"},
          {"recv_ts", recv_ts},
          {"tool", "okx-stream"},
          {"mode", mode},
          {"args", args}});
}

void TapeWriter::rest(std::int64_t recv_ts, std::string_view request, long status,
                      std::string_view body) {
    line({{"tape", "rest"},
          {"recv_ts", recv_ts},
          {"req", request},
          {"status", status},
          {"body", body}});
}

void TapeWriter::ws(std::int64_t recv_ts, std::string_view url, std::string_view frame) {
    line({{"tape", "ws"}, {"recv_ts", recv_ts}, {"url", url}, {"frame", frame}});
}

void TapeWriter::ws_event(std::int64_t recv_ts, std::string_view url, std::string_view event,
                          std::string_view detail) {
    line({{"tape", "ws-event"},
          {"recv_ts", recv_ts},
          {"url", url},
          {"event", event},
          {"detail", detail}});
}

TapeReader::TapeReader(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw core::RuntimeError("tape " + path + ": cannot open");
    }
    std::string text;
    for (std::uint64_t no = 1; std::getline(in, text); ++no) {
        nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("tape") || !j["tape"].is_string() ||
            !j.contains("recv_ts") || !j["recv_ts"].is_number_integer()) {
            throw core::RuntimeError(path + ":" + std::to_string(no) + ": not a tape line");
        }
        if (no == 1) {
            if (j["tape"] != "header") {
                throw core::UsageError(path + ": not a tape (the first line is not a header)");
            }
            header_ = std::move(j);
            continue;
        }
        if (j["tape"] == "rest") {
            rest_.push_back(j);
        }
        lines_.push_back(std::move(j));
    }
    if (header_.is_null()) {
        throw core::UsageError(path + ": empty tape");
    }
}

std::optional<nlohmann::json> TapeReader::next_rest(std::string_view request) {
    for (auto it = rest_.begin(); it != rest_.end(); ++it) {
        if ((*it)["req"] == request) {
            nlohmann::json j = std::move(*it);
            rest_.erase(it);
            return j;
        }
    }
    return std::nullopt;
}

bool TapeReader::is_tape(const std::string& path) {
    if (path == "-") {
        return false;
    }
    std::ifstream in(path);
    std::string first;
    if (!in || !std::getline(in, first) || first.size() > (1 << 20)) {
        return false;
    }
    nlohmann::json j = nlohmann::json::parse(first, nullptr, false);
    return j.is_object() && j.value("tape", "") == "header";
}

} // namespace okxkit::okx
