// Tapes: every REST page and WebSocket frame received from OKX, one NDJSON line each, so a live
// run can be replayed through the same code with byte-identical output.
#pragma once

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::okx {

// Tape lines (all carry "tape" and "recv_ts", the local receive time in ms):
//   {"tape":"header","recv_ts":..,"tool":"okx-stream","mode":"history"|"live","args":{...}}
//   {"tape":"rest","recv_ts":..,"req":"/api/v5/...?...","status":200,"body":"<raw body>"}
//   {"tape":"ws","recv_ts":..,"url":"ws://...","frame":"<raw text frame>"}
//   {"tape":"ws-event","recv_ts":..,"url":"ws://...","event":"connect"|"disconnect","detail":".."}
// The first line is the header; args holds what the replay needs to rebuild the run's options.
class TapeWriter {
public:
    // Opens path for writing (truncates). Throws core::RuntimeError when it cannot.
    explicit TapeWriter(const std::string& path);
    void header(std::int64_t recv_ts, std::string_view mode, const nlohmann::json& args);
    void rest(std::int64_t recv_ts, std::string_view request, long status, std::string_view body);
    void ws(std::int64_t recv_ts, std::string_view url, std::string_view frame);
    void ws_event(std::int64_t recv_ts, std::string_view url, std::string_view event,
                  std::string_view detail);
    // Flushes to the file (called after each line; a tape must survive a crash).
    void flush();

private:
    void line(const nlohmann::json& j);
    std::ofstream out_;
    std::string path_;
};

// One line of a tape, decoded. Which fields are set depends on kind.
struct TapeLine {
    enum class Kind { kRest, kWs, kWsEvent, kOther };
    Kind kind = Kind::kOther;
    std::int64_t recv_ts = 0;
    std::string url;    // ws, ws-event
    std::string frame;  // ws: the raw text frame
    std::string event;  // ws-event: connect | disconnect
    std::string detail; // ws-event
    std::string req;    // rest: path and query
    long status = 0;    // rest: HTTP status
    std::string body;   // rest: the raw body
};

// A tape read back. Lines are returned in order; REST answers can also be taken by request.
// Tape lines are flat objects of strings and integers (only the header nests), so they are
// decoded by a small dedicated reader rather than a general JSON parser: replaying a tape is
// the benchmark of the live normaliser and must not be dominated by reading the tape.
class TapeReader {
public:
    // Loads the whole tape. Throws core::RuntimeError naming file:line for a line that is not a
    // tape line, core::UsageError when the first line is not a header.
    explicit TapeReader(const std::string& path);
    // The same from a tape's text; name stands for the file in diagnostics.
    static TapeReader parse(std::string_view text, std::string name);
    [[nodiscard]] const nlohmann::json& header() const { return header_; }
    // The file it was read from, for diagnostics.
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] const std::vector<TapeLine>& lines() const { return lines_; }

    // The next recorded REST answer for request (in tape order). nullptr when the tape has no
    // further answer to that request: the replay asked for something the live run did not.
    // The pointer stays valid as long as the reader.
    const TapeLine* next_rest(std::string_view request);

    // True when path's first line is a tape header (cheap: reads one line).
    static bool is_tape(const std::string& path);

    // Decodes one tape line other than the header. False when it is not a flat JSON object
    // with a string "tape" and an integer "recv_ts" (unknown keys are ignored).
    static bool decode(std::string_view text, TapeLine& out);

private:
    TapeReader(std::string name, std::string_view text);
    void load(std::string_view all);
    std::string path_;
    nlohmann::json header_;
    std::vector<TapeLine> lines_;
    std::vector<std::size_t> rest_; // indexes into lines_ of REST answers not yet taken
};

} // namespace okxkit::okx
