// --state FILE: the journal's header, its lines, and reading it back for the replay.
#include "state.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "okx/signer.hpp"
#include "rest.hpp"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>
#include <variant>

namespace okxkit::fake {

namespace {

using Json = nlohmann::ordered_json;

constexpr int kVersion = 1;
constexpr std::string_view kHashKey = "fake-okx --state"; // HMAC-SHA256 as a plain hash

std::string hex(std::string_view bytes) {
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

std::optional<std::string> unhex(std::string_view text) {
    if (text.size() % 2 != 0) {
        return std::nullopt;
    }
    const auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int hi = digit(text[i]);
        const int lo = digit(text[i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

// A line of the journal as an entry, or the reason it is not one.
std::variant<StateEntry, std::string> parse_entry(std::string_view text) {
    const Json j = Json::parse(text, nullptr, false);
    if (!j.is_object()) {
        return std::string("not a JSON object");
    }
    StateEntry e;
    const std::string op =
        j.contains("op") && j["op"].is_string() ? j["op"].get<std::string>() : std::string();
    if (op != "clock" && op != "post") {
        return std::string(R"(no "op" "clock" or "post")");
    }
    if (!j.contains("now") || !j["now"].is_number_integer()) {
        return std::string(R"(no integer "now")");
    }
    e.now_ms = j["now"].get<std::int64_t>();
    if (op == "clock") {
        return e;
    }
    e.kind = StateEntry::Kind::kPost;
    if (!j.contains("path") || !j["path"].is_string() ||
        !trade_post_path(j["path"].get<std::string>())) {
        return std::string(R"("path" is not a private POST endpoint)");
    }
    e.path = j["path"].get<std::string>();
    if (j.contains("body") && j["body"].is_string()) {
        e.body = j["body"].get<std::string>();
    } else if (j.contains("body_hex") && j["body_hex"].is_string()) {
        auto bytes = unhex(j["body_hex"].get<std::string>());
        if (!bytes) {
            return std::string(R"("body_hex" is not lower-case hex)");
        }
        e.body = std::move(*bytes);
    } else {
        return std::string(R"(no string "body" or "body_hex")");
    }
    return e;
}

// Why header and want differ, field by field, or "" when they agree.
std::string header_mismatch(const Json& header, const Json& want) {
    if (!header.is_object() || !header.contains("fake_okx_state")) {
        return "not a fake-okx --state file (its first line is not the header)";
    }
    if (header["fake_okx_state"] != want["fake_okx_state"]) {
        return "version " + header["fake_okx_state"].dump() + " of the format, this fake reads " +
               want["fake_okx_state"].dump();
    }
    std::string out;
    const auto differs = [&](const char* key, const std::string& what) {
        if (!header.contains(key) || header[key] != want[key]) {
            out += out.empty() ? "" : "; ";
            out += what + " (" + (header.contains(key) ? header[key].dump() : "none") +
                   ", this run's " + want[key].dump() + ")";
        }
    };
    differs("data", "written with other candles in --data");
    differs("cash", "written with another --balance");
    differs("maker_fee", "written with another maker fee");
    differs("taker_fee", "written with another taker fee");
    return out;
}

} // namespace

Json state_header(const MarketData& data, double cash, double maker_fee, double taker_fee) {
    std::string text;
    for (const Instrument* inst : data.instruments()) {
        for (const Series* s : data.series_of(inst->inst_id)) {
            text += inst->inst_id;
            text += ' ';
            text += s->bar.name;
            text += '\n';
            for (const Candle& c : s->rows) {
                text += std::to_string(c.ts) + ',' + c.open + ',' + c.high + ',' + c.low + ',' +
                        c.close + ',' + c.vol + '\n';
            }
        }
    }
    Json h;
    h["fake_okx_state"] = kVersion;
    h["data"] = okx::hmac_sha256_base64(kHashKey, text);
    h["cash"] = cash;
    h["maker_fee"] = maker_fee;
    h["taker_fee"] = taker_fee;
    return h;
}

std::unique_ptr<StateFile> StateFile::open(const std::string& path, const Json& header,
                                           std::vector<StateEntry>& entries) {
    const std::string name = "--state " + path;
    std::string content;
    {
        std::ifstream in(path, std::ios::binary);
        if (in) {
            std::ostringstream ss;
            ss << in.rdbuf();
            content = ss.str();
            if (in.bad()) {
                throw core::RuntimeError(name + ": cannot read it");
            }
        } else if (std::filesystem::exists(path)) {
            throw core::RuntimeError(name + ": " + core::errno_text(errno));
        }
    }
    // The lines, each with its newline; a tail without one was cut by a crash mid-write (each
    // line goes out in one write, newline included).
    std::size_t line = 0;
    std::size_t at = 0;
    while (at < content.size()) {
        const std::size_t nl = content.find('\n', at);
        ++line;
        if (nl == std::string::npos) {
            core::Log::warning(name + ":" + std::to_string(line) +
                               ": the last line has no newline (cut short by a crash while "
                               "it was written): ignored, and cut from the file");
            std::error_code ec;
            std::filesystem::resize_file(path, at, ec);
            if (ec) {
                throw core::RuntimeError(name +
                                         ": cannot cut the partial last line: " + ec.message());
            }
            content.resize(at);
            break;
        }
        const std::string_view text(content.data() + at, nl - at);
        at = nl + 1;
        if (line == 1) {
            const std::string why = header_mismatch(Json::parse(text, nullptr, false), header);
            if (!why.empty()) {
                std::string msg = name;
                msg += ":1: ";
                msg += why;
                msg += "; start with the options it was written with, or another --state file";
                throw core::UsageError(msg);
            }
            continue;
        }
        auto parsed = parse_entry(text);
        if (auto* why = std::get_if<std::string>(&parsed)) {
            throw core::UsageError(name + ":" + std::to_string(line) + ": " + *why +
                                   "; the file is damaged: fix or remove that line, or start "
                                   "with another --state file");
        }
        StateEntry e = std::get<StateEntry>(std::move(parsed));
        e.line = line;
        entries.push_back(std::move(e));
    }
    std::FILE* f = std::fopen(path.c_str(), "a");
    if (f == nullptr) {
        throw core::RuntimeError(name + ": " + core::errno_text(errno));
    }
    std::unique_ptr<StateFile> file(new StateFile(path, f));
    if (content.empty()) {
        file->append(header.dump());
    }
    return file;
}

StateFile::~StateFile() {
    std::fclose(file_);
}

void StateFile::clock(std::int64_t now_ms) {
    Json j;
    j["op"] = "clock";
    j["now"] = now_ms;
    append(j.dump());
}

void StateFile::post(std::string_view source, const std::string& path, const std::string& body,
                     std::int64_t now_ms) {
    Json j;
    j["op"] = "post";
    j["src"] = source;
    j["now"] = now_ms;
    j["path"] = path;
    j["body"] = body;
    std::string text;
    try {
        text = j.dump();
    } catch (const nlohmann::json::type_error&) {
        // Not UTF-8: kept byte for byte in hex (replaced characters could parse otherwise).
        j.erase("body");
        j["body_hex"] = hex(body);
        text = j.dump();
    }
    append(text);
}

void StateFile::append(const std::string& line) {
    const std::string text = line + '\n';
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
        core::Log::error("--state " + path_ + ": cannot write: " + core::errno_text(errno) +
                         "; stopping, as the journal would miss a change");
        std::_Exit(1);
    }
}

} // namespace okxkit::fake
