// Differential: featurize's hot-path candle reader (core::read_candle_fast) against the general
// path (nlohmann's parser, validate_message, candle_fields). The fast reader may decline any
// line (the general path then judges it); when it accepts one, the general path must accept
// it too and read the same fields, so the two paths never disagree on a line.
#include "core/json_scan.hpp"
#include "core/message.hpp"
#include "fuzz_common.hpp"

#include <cmath>

using namespace okxkit;

namespace {

// Equal values (0 and -0 alike: both paths write a number as its shortest text).
bool same(double a, double b) {
    return a == b;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line = fuzz::as_text(data, size);
    core::CandleFields fast;
    const bool took = core::read_candle_fast(line, fast);

    // The JSON number lexer against nlohmann's (which refuses a number that overflows to
    // infinity, as json_number_value does), on the whole input as one number.
    {
        std::size_t i = 0;
        bool integer = false;
        const bool scanned = core::scan_json_number(line, i, integer) && i == line.size();
        double ours = 0;
        const bool finite = scanned && core::json_number_value(line, ours);
        auto j = fuzz::parse_ref(line);
        const bool json_number = !j.is_discarded() && j.is_number() && !line.empty() &&
                                 line.find_first_of(" \t\r\n") == std::string_view::npos;
        if (finite != json_number || (finite && !same(ours, j.get<double>()))) {
            fuzz::fail("scan_json_number+json_number_value and nlohmann disagree on a number",
                       line);
        }
        double v = 0;
        const char* p = line.data();
        const bool read = core::read_json_double(p, line.data() + line.size(), v) &&
                          p == line.data() + line.size();
        if (read != finite || (read && !same(v, ours))) {
            fuzz::fail("read_json_double and scan_json_number+json_number_value disagree", line);
        }
    }

    if (!took) {
        return 0;
    }
    auto j = fuzz::parse_ref(line);
    if (j.is_discarded()) {
        fuzz::fail("fast path took a line that is not JSON", line);
    }
    if (auto err = core::validate_message(j)) {
        fuzz::fail("fast path took a line the validator rejects", line);
    }
    if (j.value("type", "") != "candle") {
        fuzz::fail("fast path took a line that is not a candle", line);
    }
    const core::CandleFields ref = core::candle_fields(j);
    if (fast.ts != ref.ts || fast.inst != ref.inst || fast.bar != ref.bar || !same(fast.o, ref.o) ||
        !same(fast.h, ref.h) || !same(fast.l, ref.l) || !same(fast.c, ref.c) ||
        !same(fast.vol, ref.vol) || fast.confirm != ref.confirm) {
        fuzz::fail("fast path and general path read different fields", line);
    }
    // The stage's own checks must not depend on the path either.
    std::int64_t ms_fast = 0;
    std::int64_t ms_ref = 0;
    if (core::check_candle(fast, &ms_fast).has_value() !=
        core::check_candle(ref, &ms_ref).has_value()) {
        fuzz::fail("check_candle differs between the paths", line);
    }
    return 0;
}
