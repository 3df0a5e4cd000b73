// okx-stream --replay: the CSV, NDJSON and JSON-array (freqtrade) readers and the merge, over
// one or two inputs.
// The first byte picks each input's name (which decides the format and, for CSV, the
// instrument and bar); the rest is split in two at the first "\n--\n". Checks: every output
// line is a valid UTF-8 JSON object, and in an NDJSON input every valid message of a kind other
// than candle comes out unchanged and in order.
#include "core/error.hpp"
#include "core/io.hpp"
#include "core/message.hpp"
#include "fuzz_common.hpp"
#include "stream/replay.hpp"

#include <sstream>

using namespace okxkit;

namespace {

constexpr std::size_t kMaxLine = 1024;
constexpr const char* kNames[] = {"BTC-USDT_1m.csv", "ETH-USDT_5m.csv", "x.ndjson",
                                  "BTC-USDT_1H.txt", "BTC_USDT-5m.json"};

void check_through(std::string_view input, std::string_view output) {
    std::vector<std::string_view> want;
    auto lines = fuzz::split_lines(input);
    for (std::size_t n = 0; n < lines.size(); ++n) {
        std::string_view line = lines[n];
        if (line.size() > kMaxLine) {
            continue;
        }
        if (n == 0 && line.starts_with("\xEF\xBB\xBF")) {
            line.remove_prefix(3);
        }
        auto j = fuzz::parse_ref(line);
        if (j.is_discarded() || !j.is_object() || core::validate_message(j)) {
            continue;
        }
        if (j["type"] == "candle") {
            return; // candles are judged further (OHLCV, order) and move the time: not here
        }
        want.push_back(line);
    }
    // With one input nothing reorders other kinds except their event time: check order only
    // among lines whose ts does not go back.
    auto got = fuzz::split_lines(output);
    std::size_t g = 0;
    std::int64_t last = INT64_MIN;
    for (std::string_view line : want) {
        std::int64_t ts = nlohmann::json::parse(line)["ts"].get<std::int64_t>();
        if (ts < last) {
            continue; // reported as "time goes back" and skipped: by design
        }
        last = ts;
        while (g < got.size() && got[g] != line) {
            ++g;
        }
        if (g == got.size()) {
            fuzz::fail("a valid NDJSON line is missing from the replay (or out of order)", line);
        }
        ++g;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quiet();
    if (size < 1) {
        return 0;
    }
    const unsigned pick = data[0];
    const std::string_view rest = fuzz::as_text(data + 1, size - 1);
    const std::size_t cut = rest.find("\n--\n");
    const std::string_view a = cut == std::string_view::npos ? rest : rest.substr(0, cut + 1);
    const std::string_view b =
        cut == std::string_view::npos ? std::string_view{} : rest.substr(cut + 4);

    stream::ReplayOptions opts;
    opts.max_line = kMaxLine;
    opts.max_errors_per_file = 0;
    // Bits 0-1 (and 2-3 for the second input) pick a name; bit 4 (5) the JSON-array name.
    opts.files.emplace_back(kNames[(pick & 0x10U) != 0 ? 4 : pick & 3]);
    std::istringstream in_a{std::string(a)};
    std::istringstream in_b{std::string(b)};
    opts.streams.push_back(&in_a);
    if (cut != std::string_view::npos) {
        opts.files.emplace_back(kNames[(pick & 0x20U) != 0 ? 4 : (pick >> 2) & 3]);
        opts.streams.push_back(&in_b);
    }
    std::ostringstream os;
    {
        core::Output out(os, 4096);
        try {
            stream::replay(opts, out);
        } catch (const core::Error& e) {
            fuzz::check_diagnostic(e.what());
        }
    }
    const std::string written = os.str();
    fuzz::check_ndjson(written);
    if (cut == std::string_view::npos && (pick & 0x13U) == 2) {
        check_through(a, written);
    }
    return 0;
}
