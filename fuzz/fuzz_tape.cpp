// Tapes: the flat line decoder (okx::TapeReader::decode) against nlohmann as the reference,
// both ways, then the whole input as a tape: read, and its header made into the options of its
// replay, whose errors must be short, valid diagnostics. (The replay itself is the live
// session of fuzz_ws, and the whole tool runs in tests/cli/hostile.bats.)
#include "core/error.hpp"
#include "core/io.hpp"
#include "fuzz_common.hpp"
#include "okx/tape.hpp"
#include "stream/history.hpp"
#include "stream/live.hpp"
#include "stream/tape_header.hpp"

#include <algorithm>

using namespace okxkit;

namespace {

// True when the line's top-level object names a key twice: nlohmann keeps the last value,
// the decoder judges each; the writer never writes such a line, so either answer is fine.
bool duplicate_keys(std::string_view line) {
    std::vector<std::string> keys;
    auto j = nlohmann::json::parse(
        line,
        [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
            if (depth == 1 && event == nlohmann::json::parse_event_t::key) {
                keys.push_back(parsed.get<std::string>());
            }
            return true;
        },
        false);
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
}

// What decode must accept: a JSON object whose "tape" is a string other than "header" and whose
// "recv_ts" is an integer that fits in 64 bits, the known string fields strings and "status"
// such an integer; with the decoded fields equal to the reference's.
void differential(std::string_view line) {
    okx::TapeLine got;
    const bool took = okx::TapeReader::decode(line, got);
    auto j = fuzz::parse_ref(line);
    bool want = !j.is_discarded() && j.is_object();
    const auto int64 = [](const nlohmann::json& v) {
        return v.is_number_integer() &&
               !(v.is_number_unsigned() && v.get<std::uint64_t>() > INT64_MAX);
    };
    if (want) {
        auto tape = j.find("tape");
        auto ts = j.find("recv_ts");
        want = tape != j.end() && tape->is_string() && *tape != "header" && ts != j.end() &&
               int64(*ts);
        for (const char* k : {"frame", "url", "req", "body", "event", "detail"}) {
            if (want && j.contains(k) && !j[k].is_string()) {
                want = false;
            }
        }
        if (want && j.contains("status") && !int64(j["status"])) {
            want = false;
        }
    }
    if (took != want && !duplicate_keys(line)) {
        fuzz::fail(took ? "decode took a line that is not a tape line"
                        : "decode refused a valid tape line",
                   line);
    }
    if (!took) {
        return;
    }
    if (got.recv_ts != j["recv_ts"].get<std::int64_t>() || got.frame != j.value("frame", "") ||
        got.url != j.value("url", "") || got.req != j.value("req", "") ||
        got.body != j.value("body", "") || got.event != j.value("event", "") ||
        got.detail != j.value("detail", "") ||
        got.status != static_cast<long>(j.value("status", std::int64_t{0}))) {
        fuzz::fail("decode read other fields than nlohmann", line);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quiet();
    const std::string_view input = fuzz::as_text(data, size);
    auto lines = fuzz::split_lines(input);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        differential(lines[i]);
    }
    if (!lines.empty()) {
        differential(lines[0]);
    }
    // The whole input as a tape: read, and its header turned into the options of its replay.
    try {
        const okx::TapeReader tape = okx::TapeReader::parse(input, "fuzz.tape");
        const std::string mode = stream::TapeHeader(tape.header(), "fuzz.tape:1").mode();
        if (mode == "live") {
            (void)stream::live_options_from_tape(tape.header(), "fuzz.tape:1");
        } else {
            (void)stream::history_options_from_tape(tape.header(), "fuzz.tape:1");
        }
    } catch (const core::Error& e) {
        fuzz::check_diagnostic(e.what());
    }
    return 0;
}
