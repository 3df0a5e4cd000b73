// The NDJSON line reader, the filter loop and the validator of every message kind, with a stage
// that does what featurize does to its input without computing features (which would make
// each execution thousands of times slower): candles taken on the fast path when they pass
// the candle checks, every other valid message written through. Checks: every output line is
// a valid UTF-8 JSON object, and every input line that is a valid message of a kind the stage
// only passes on (anything but a candle) comes out byte for byte, in input order.
#include "core/error.hpp"
#include "core/filter.hpp"
#include "core/io.hpp"
#include "core/message.hpp"
#include "fuzz_common.hpp"

#include <sstream>

using namespace okxkit;

namespace {

constexpr std::size_t kMaxLine = 2048;
constexpr std::string_view kBom = "\xEF\xBB\xBF";

// The lines the filter must write through unchanged, by the plain nlohmann reference.
std::vector<std::string_view> expected_through(std::string_view input) {
    std::vector<std::string_view> out;
    auto lines = fuzz::split_lines(input);
    for (std::size_t n = 0; n < lines.size(); ++n) {
        std::string_view line = lines[n];
        if (line.size() > kMaxLine) {
            continue;
        }
        if (n == 0 && line.starts_with(kBom)) {
            line.remove_prefix(kBom.size());
        }
        auto j = fuzz::parse_ref(line);
        if (j.is_discarded() || !j.is_object()) {
            continue;
        }
        if (core::validate_message(j)) {
            continue; // invalid (or a later version: passed on, but not judged here)
        }
        auto type = j.find("type");
        if (type->get_ref<const std::string&>() == "candle") {
            continue; // featurize may refuse a valid candle (order, OHLCV): not judged here
        }
        out.push_back(line);
    }
    return out;
}

// featurize's gate: the candle checks on both paths, everything else passed through.
class Gate : public core::FilterStage {
public:
    Fast fast(core::Filter& f, std::string_view line) override {
        core::CandleFields k;
        std::int64_t ms = 0;
        if (!core::read_candle_fast(line, k) || core::check_candle(k, &ms)) {
            return Fast::kGeneral;
        }
        f.pass(line);
        return Fast::kTaken;
    }
    void message(core::Filter& f, const core::Message& m) override {
        if (m.type == "candle") {
            std::int64_t ms = 0;
            if (auto err = core::check_candle(core::candle_fields(m.json), &ms)) {
                f.reject(*err);
                return;
            }
        }
        f.pass(m.text);
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quiet();
    const std::string_view input = fuzz::as_text(data, size);
    std::istringstream in{std::string(input)};
    std::ostringstream os;
    {
        core::LineReader reader(in, "fuzz", kMaxLine);
        core::Output out(os, 4096);
        core::Filter filter(out, {false, 0}, "fuzz");
        Gate gate;
        try {
            filter.run(reader, gate);
        } catch (const core::Error& e) {
            fuzz::check_diagnostic(e.what());
        }
    }
    const std::string written = os.str();
    fuzz::check_ndjson(written);
    // Valid lines of other kinds come out unchanged and in order.
    auto want = expected_through(input);
    auto got = fuzz::split_lines(written);
    std::size_t g = 0;
    for (std::string_view line : want) {
        while (g < got.size() && got[g] != line) {
            ++g;
        }
        if (g == got.size()) {
            fuzz::fail("a valid input line is missing from the output (or out of order)", line);
        }
        ++g;
    }
    return 0;
}
