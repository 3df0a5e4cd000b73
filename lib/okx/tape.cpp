// Tape files: writing received frames and pages, reading them back for a replay.
#include "okx/tape.hpp"

#include "core/error.hpp"
#include "core/json_scan.hpp"
#include "core/message.hpp"

#include <algorithm>

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

namespace {

// A tape header: an object whose "tape" is the string "header" (whatever else "tape" may hold
// in a file that is not a tape, never an exception).
bool is_header(const nlohmann::json& j) {
    if (!j.is_object()) {
        return false;
    }
    auto it = j.find("tape");
    return it != j.end() && it->is_string() && it->get_ref<const std::string&>() == "header";
}

// A cursor over one tape line. Only what the writer produces is needed (flat objects of strings
// and integers), but any valid JSON spelling of those is accepted.
struct Cursor {
    const char* p;
    const char* end;

    void space() {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
            ++p;
        }
    }
    bool take(char c) {
        space();
        if (p < end && *p == c) {
            ++p;
            return true;
        }
        return false;
    }

    static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
    bool hex4(unsigned& v) {
        if (end - p < 4) {
            return false;
        }
        v = 0;
        for (int i = 0; i < 4; ++i) {
            const int h = hex(p[i]);
            if (h < 0) {
                return false;
            }
            v = v * 16 + static_cast<unsigned>(h);
        }
        p += 4;
        return true;
    }
    static char* utf8(char* w, unsigned cp) {
        if (cp < 0x80) {
            *w++ = static_cast<char>(cp);
        } else if (cp < 0x800) {
            *w++ = static_cast<char>(0xC0 | (cp >> 6));
            *w++ = static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            *w++ = static_cast<char>(0xE0 | (cp >> 12));
            *w++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            *w++ = static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            *w++ = static_cast<char>(0xF0 | (cp >> 18));
            *w++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            *w++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            *w++ = static_cast<char>(0x80 | (cp & 0x3F));
        }
        return w;
    }

    // A JSON string, unescaped into out (replacing its content). The unescaped text is never
    // longer than the escaped one, so it is written in place into a buffer of that size.
    bool string(std::string& out) {
        space();
        if (p >= end || *p != '"') {
            return false;
        }
        ++p;
        // Fast path: no escape before the closing quote (keys, URLs, most values).
        for (const char* q = p; q < end; ++q) {
            const char c = *q;
            if (c == '"') {
                out.assign(p, static_cast<std::size_t>(q - p));
                p = q + 1;
                return core::valid_utf8(out);
            }
            if (c == '\\' || static_cast<unsigned char>(c) < 0x20) {
                break;
            }
        }
        out.resize(static_cast<std::size_t>(end - p));
        char* const base = out.data();
        char* w = base;
        const auto fail = [&] {
            out.clear();
            return false;
        };
        for (;;) {
            char c = 0;
            while (p < end) {
                c = *p;
                if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
                    break;
                }
                *w++ = c;
                ++p;
            }
            if (p >= end || static_cast<unsigned char>(c) < 0x20) {
                return fail();
            }
            ++p;
            if (c == '"') {
                // Escapes only ever produce whole sequences, so checking the result checks the
                // raw bytes too.
                out.resize(static_cast<std::size_t>(w - base));
                return core::valid_utf8(out);
            }
            if (p >= end) {
                return fail();
            }
            switch (const char e = *p++) {
            case '"':
            case '\\':
            case '/':
                *w++ = e;
                break;
            case 'b':
                *w++ = '\b';
                break;
            case 'f':
                *w++ = '\f';
                break;
            case 'n':
                *w++ = '\n';
                break;
            case 'r':
                *w++ = '\r';
                break;
            case 't':
                *w++ = '\t';
                break;
            case 'u': {
                unsigned cp = 0;
                if (!hex4(cp)) {
                    return fail();
                }
                if (cp >= 0xD800 && cp < 0xDC00) {
                    unsigned lo = 0;
                    if (end - p < 2 || p[0] != '\\' || p[1] != 'u') {
                        return fail();
                    }
                    p += 2;
                    if (!hex4(lo) || lo < 0xDC00 || lo >= 0xE000) {
                        return fail();
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp < 0xE000) {
                    return fail();
                }
                w = utf8(w, cp);
                break;
            }
            default:
                return fail();
            }
        }
    }

    // A JSON integer that fits in 64 bits (a fraction or exponent makes it no integer: the
    // caller then finds no ',' or '}' where it expects one).
    bool integer(std::int64_t& v) {
        space();
        bool neg = false;
        if (p < end && *p == '-') {
            neg = true;
            ++p;
        }
        const char* digits = p;
        std::uint64_t u = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            const auto d = static_cast<std::uint64_t>(*p - '0');
            if (u > (UINT64_MAX - d) / 10) {
                return false;
            }
            u = u * 10 + d;
            ++p;
        }
        if (p == digits || (p - digits > 1 && *digits == '0')) {
            return false;
        }
        constexpr auto kMax = static_cast<std::uint64_t>(INT64_MAX);
        if (u > kMax + (neg ? 1 : 0)) {
            return false;
        }
        v = neg ? static_cast<std::int64_t>(0 - u) : static_cast<std::int64_t>(u);
        return true;
    }

    // Skips any JSON value (for keys this reader does not know), in exactly the JSON grammar;
    // nlohmann judges the rare nested case.
    bool skip() {
        space();
        if (p >= end) {
            return false;
        }
        if (*p == '"') {
            std::string ignored;
            return string(ignored);
        }
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            const std::string_view rest(p, static_cast<std::size_t>(end - p));
            std::size_t i = 0;
            bool integer = false;
            double value = 0;
            if (!core::scan_json_number(rest, i, integer) ||
                !core::json_number_value(rest.substr(0, i), value)) {
                return false; // not a number, or one beyond a double (1e999), as nlohmann says
            }
            p += i;
            return true;
        }
        for (std::string_view word : {"true", "false", "null"}) {
            if (std::string_view(p, static_cast<std::size_t>(end - p)).starts_with(word)) {
                p += word.size();
                return true;
            }
        }
        if (*p != '[' && *p != '{') {
            return false;
        }
        const char* start = p;
        // An array or object: find its end by counting brackets outside strings.
        int depth = 0;
        do {
            if (*p == '"') {
                std::string ignored;
                if (!string(ignored)) {
                    return false;
                }
                continue;
            }
            if (*p == '[' || *p == '{') {
                ++depth;
            } else if (*p == ']' || *p == '}') {
                --depth;
            }
            ++p;
        } while (depth > 0 && p < end);
        return depth == 0 &&
               nlohmann::json::accept(std::string_view(start, static_cast<std::size_t>(p - start)));
    }
};

} // namespace

bool TapeReader::decode(std::string_view text, TapeLine& out) {
    Cursor c{text.data(), text.data() + text.size()};
    out = TapeLine{};
    if (!c.take('{')) {
        return false;
    }
    bool has_kind = false;
    bool has_ts = false;
    std::string key;
    std::string kind;
    std::int64_t status = 0;
    if (!c.take('}')) {
        do {
            if (!c.string(key) || !c.take(':')) {
                return false;
            }
            bool ok = true;
            if (key == "tape") {
                ok = c.string(kind);
                has_kind = ok;
            } else if (key == "recv_ts") {
                ok = c.integer(out.recv_ts);
                has_ts = ok;
            } else if (key == "frame") {
                ok = c.string(out.frame);
            } else if (key == "url") {
                ok = c.string(out.url);
            } else if (key == "req") {
                ok = c.string(out.req);
            } else if (key == "body") {
                ok = c.string(out.body);
            } else if (key == "status") {
                ok = c.integer(status);
            } else if (key == "event") {
                ok = c.string(out.event);
            } else if (key == "detail") {
                ok = c.string(out.detail);
            } else {
                ok = c.skip();
            }
            if (!ok) {
                return false;
            }
        } while (c.take(','));
        if (!c.take('}')) {
            return false;
        }
    }
    c.space();
    if (c.p != c.end || !has_kind || !has_ts) {
        return false;
    }
    out.status = static_cast<long>(status);
    if (kind == "ws") {
        out.kind = TapeLine::Kind::kWs;
    } else if (kind == "rest") {
        out.kind = TapeLine::Kind::kRest;
    } else if (kind == "ws-event") {
        out.kind = TapeLine::Kind::kWsEvent;
    } else if (kind == "header") {
        return false; // only the first line may be a header
    }
    return true;
}

TapeReader::TapeReader(const std::string& path) : path_(path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) {
        throw core::RuntimeError("tape " + path + ": cannot open");
    }
    std::string all(static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
    in.seekg(0);
    if (!in.read(all.data(), static_cast<std::streamsize>(all.size()))) {
        throw core::RuntimeError("tape " + path + ": cannot read");
    }
    load(all);
}

TapeReader::TapeReader(std::string name, std::string_view text) : path_(std::move(name)) {
    load(text);
}

TapeReader TapeReader::parse(std::string_view text, std::string name) {
    return {std::move(name), text};
}

void TapeReader::load(std::string_view all) {
    const std::string& path = path_;
    std::size_t pos = 0;
    for (std::uint64_t no = 1; pos < all.size(); ++no) {
        std::size_t nl = all.find('\n', pos);
        if (nl == std::string::npos) {
            nl = all.size();
        }
        const std::string_view text = all.substr(pos, nl - pos);
        pos = nl + 1;
        if (no == 1) {
            nlohmann::json j = core::parse_json(text);
            if (j.is_discarded() || !is_header(j) || !j.contains("recv_ts") ||
                !j["recv_ts"].is_number_integer()) {
                throw core::UsageError(path + ":1: not a tape (the first line is not a tape header "
                                              "{\"tape\":\"header\",\"recv_ts\":MS,...})");
            }
            header_ = std::move(j);
            continue;
        }
        TapeLine line;
        if (!decode(text, line)) {
            throw core::RuntimeError(path + ":" + std::to_string(no) + ": not a tape line");
        }
        if (line.kind == TapeLine::Kind::kRest) {
            rest_.push_back(lines_.size());
        }
        lines_.push_back(std::move(line));
    }
    if (header_.is_null()) {
        throw core::UsageError(path + ": empty tape");
    }
}

const TapeLine* TapeReader::next_rest(std::string_view request) {
    for (auto it = rest_.begin(); it != rest_.end(); ++it) {
        if (lines_[*it].req == request) {
            const TapeLine* line = &lines_[*it];
            rest_.erase(it);
            return line;
        }
    }
    return nullptr;
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
    nlohmann::json j = core::parse_json(first);
    return is_header(j);
}

} // namespace okxkit::okx
