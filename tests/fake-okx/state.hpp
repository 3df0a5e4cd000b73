// fake-okx's --state FILE: an append-only NDJSON journal of everything that changed the
// account (private POSTs, WebSocket order ops, clock moves), replayed at start so that a fake
// restarted on the same FILE has the orders, fills, ids and market clock of the one before.
#pragma once

#include "market.hpp"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::fake {

// One journal line after the header.
struct StateEntry {
    enum class Kind { kClock, kPost };
    Kind kind = Kind::kClock;
    std::int64_t now_ms = 0; // the market clock: where it moved, or where the POST was handled
    std::string path;        // kPost: the REST path (a WebSocket op: the one it goes through)
    std::string body;        // kPost: the body as received
    std::size_t line = 0;    // its line in the file, for messages
};

// The header a journal must start with to be replayed on data with these account options:
// the format's version, a SHA-256 of the candles loaded from --data (instruments, bars and
// rows as written) and the account's USDT and fees. O(rows).
nlohmann::ordered_json state_header(const MarketData& data, double cash, double maker_fee,
                                    double taker_fee);

class StateFile {
public:
    // Opens path for appending. A missing or empty file is created with header as its first
    // line. An existing one must start with an equal header and hold only well-formed lines,
    // returned in entries, oldest first; else core::UsageError naming path and the line. A
    // last line without its newline was cut by a crash mid-write: it is dropped with a
    // warning and cut from the file. core::RuntimeError when the file cannot be read or
    // written. O(size of the file).
    static std::unique_ptr<StateFile> open(const std::string& path,
                                           const nlohmann::ordered_json& header,
                                           std::vector<StateEntry>& entries);
    ~StateFile();
    StateFile(const StateFile&) = delete;
    StateFile& operator=(const StateFile&) = delete;

    // Each appends one line in one write and flushes it to the kernel (no fsync: a SIGKILL
    // loses nothing, a power cut may). A failed write ends the process with exit 1, since a
    // journal with a hole would replay into another account.
    void clock(std::int64_t now_ms);
    // A POST that reached the trading code, from source ("rest" or "ws", for the reader).
    void post(std::string_view source, const std::string& path, const std::string& body,
              std::int64_t now_ms);

    [[nodiscard]] const std::string& path() const { return path_; }

private:
    StateFile(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
    void append(const std::string& line);

    std::string path_;
    std::FILE* file_;
};

} // namespace okxkit::fake
