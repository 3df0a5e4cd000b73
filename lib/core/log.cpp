// stderr diagnostics in the house format.
#include "core/log.hpp"

#include "core/json_out.hpp"

#include <algorithm>
#include <string>
#include <unistd.h>

namespace okxkit::core {

namespace {

std::string g_tool = "okxkit";
int g_verbosity = 0;
bool g_json = false;
std::string g_status; // the progress line now on the terminal ("" when none)

std::string_view level_name(Level level) {
    switch (level) {
    case Level::kError:
        return "error";
    case Level::kWarning:
        return "warning";
    case Level::kNote:
        return "note";
    case Level::kDebug:
        return "debug";
    }
    return "error";
}

void write_all(const std::string& s) {
    const char* p = s.data();
    std::size_t left = s.size();
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n <= 0) {
            return; // stderr is gone: nothing sensible to do
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

} // namespace

void Log::init(std::string_view tool, int verbosity, bool json) {
    g_tool = tool;
    g_verbosity = verbosity;
    g_json = json;
}

std::string_view Log::tool() {
    return g_tool;
}

int Log::verbosity() {
    return g_verbosity;
}

bool Log::live_progress() {
    static const bool tty = ::isatty(STDERR_FILENO) == 1;
    return tty && g_verbosity >= 0 && !g_json;
}

void Log::summary(std::string_view msg) {
    if (g_verbosity >= 1 || live_progress()) {
        const int v = g_verbosity;
        g_verbosity = std::max(v, 1);
        emit(Level::kNote, msg);
        g_verbosity = v;
    }
}

void Log::status_line(std::string_view text) {
    // "\r" to the line's start, the text, then erase whatever an older, longer text left.
    std::string out = "\r";
    out += text;
    out += "\033[K";
    if (text.empty() && g_status.empty()) {
        return;
    }
    g_status.assign(text);
    write_all(out);
}

bool Log::enabled(Level level) {
    switch (level) {
    case Level::kError:
        return true;
    case Level::kWarning:
        return g_verbosity >= 0;
    case Level::kNote:
        return g_verbosity >= 1;
    case Level::kDebug:
        return g_verbosity >= 2;
    }
    return true;
}

void Log::emit(Level level, std::string_view msg) {
    emit_at(level, {}, 0, msg);
}

void Log::emit_at(Level level, std::string_view file, std::uint64_t line, std::string_view msg) {
    if (!enabled(level)) {
        return;
    }
    std::string out;
    if (!g_status.empty()) {
        out += "\r\033[K"; // the progress line makes room, and comes back below
    }
    if (g_json) {
        out += R"({"tool":)";
        append_json_string(out, g_tool);
        out += R"(,"level":")";
        out += level_name(level);
        out += '"';
        if (!file.empty()) {
            out += ",\"file\":";
            append_json_string(out, file);
        }
        if (line > 0) {
            out += ",\"line\":";
            append_int(out, static_cast<std::int64_t>(line));
        }
        out += ",\"msg\":";
        append_json_string(out, msg);
        out += "}\n";
    } else {
        out += g_tool;
        out += ": ";
        out += level_name(level);
        out += ": ";
        if (!file.empty()) {
            out += file;
            out += ':';
            if (line > 0) {
                out += std::to_string(line);
                out += ':';
            }
            out += ' ';
        } else if (line > 0) {
            out += "line ";
            out += std::to_string(line);
            out += ": ";
        }
        out += msg;
        out += '\n';
    }
    if (!g_status.empty()) {
        out += '\r';
        out += g_status;
    }
    write_all(out);
}

void Log::explain(std::string_view msg) {
    explain(msg, {});
}

void Log::explain(std::string_view msg, std::string_view fields) {
    if (g_verbosity < 0) {
        return;
    }
    std::string out;
    if (!g_status.empty()) {
        out += "\r\033[K";
    }
    if (g_json) {
        out += R"({"tool":)";
        append_json_string(out, g_tool);
        out += R"(,"level":"explain","msg":)";
        append_json_string(out, msg);
        if (!fields.empty()) {
            out += ',';
            out += fields;
        }
        out += "}\n";
    } else {
        out += g_tool;
        out += ": ";
        out += msg;
        out += '\n';
    }
    if (!g_status.empty()) {
        out += '\r';
        out += g_status;
    }
    write_all(out);
}

} // namespace okxkit::core
