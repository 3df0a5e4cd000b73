// Tapes: every REST page and WebSocket frame received from OKX, one NDJSON line each, so a live
// run can be replayed through the same code with byte-identical output.
#pragma once

#include <cstdint>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

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

// A tape read back. Lines are returned in order; REST answers can also be taken by request.
class TapeReader {
public:
    // Loads the whole tape. Throws core::RuntimeError naming file:line for a line that is not a
    // tape line, core::UsageError when the first line is not a header.
    explicit TapeReader(const std::string& path);
    [[nodiscard]] const nlohmann::json& header() const { return header_; }
    [[nodiscard]] const std::deque<nlohmann::json>& lines() const { return lines_; }

    // The next recorded REST answer for request (in tape order). nullopt when the tape has no
    // further answer to that request: the replay asked for something the live run did not.
    std::optional<nlohmann::json> next_rest(std::string_view request);

    // True when path's first line is a tape header (cheap: reads one line).
    static bool is_tape(const std::string& path);

private:
    nlohmann::json header_;
    std::deque<nlohmann::json> lines_;
    std::deque<nlohmann::json> rest_;
};

} // namespace okxkit::okx
