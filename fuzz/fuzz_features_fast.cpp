// Differential: the hot-path features reader (core::read_features_fast, through predict's
// ml::read_features_fast with the values, and without them as the stages that only pass
// features on use it) against the general path (nlohmann's parser and validate_message). When
// the fast reader takes a line, the general path must accept it as a features message with
// the same fields and values. The same for execute's intent reader (intent_differential).
#include "core/message.hpp"
#include "core/trading.hpp"
#include "fuzz_common.hpp"
#include "ml/predict.hpp"

#include <cmath>
#include <limits>

using namespace okxkit;

namespace {

// execute's hot path of approved intents (core::read_intent_fast) against the general path
// (parse_intent_line: nlohmann, validate_message, parse_intent): a line it takes must be one
// the general path accepts, read into the same intent.
void intent_differential(std::string_view line) {
    core::Intent fast;
    if (!core::read_intent_fast(line, fast)) {
        return;
    }
    std::string error;
    auto general = core::parse_intent_line(line, &error);
    if (!general) {
        fuzz::fail("intent fast path took a line the general path rejects", line);
    }
    if (!(*general == fast)) {
        fuzz::fail("intent fast path read another intent than the general path", line);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line = fuzz::as_text(data, size);
    intent_differential(line);
    ml::FeaturesLine fast;
    std::vector<float> row;
    core::FeaturesFields skim;
    const bool skimmed = core::read_features_fast(line, skim);
    if (!ml::read_features_fast(line, fast, row)) {
        if (!skimmed) {
            return 0;
        }
        // Taken without the values only (one beyond a float): still a valid message.
        auto j = fuzz::parse_ref(line);
        if (j.is_discarded() || core::validate_message(j) || j["type"] != "features") {
            fuzz::fail("pass-through fast path took a line the general path rejects", line);
        }
        return 0;
    }
    if (!skimmed || skim.ts != fast.ts || skim.inst != fast.inst || skim.schema != fast.schema) {
        fuzz::fail("the fast path without values disagrees with the one with them", line);
    }
    auto j = fuzz::parse_ref(line);
    if (j.is_discarded()) {
        fuzz::fail("fast path took a line that is not JSON", line);
    }
    if (auto err = core::validate_message(j)) {
        fuzz::fail("fast path took a line the validator rejects", line);
    }
    if (j["type"] != "features" || j["ts"].get<std::int64_t>() != fast.ts ||
        j["inst"].get<std::string>() != fast.inst || j["bar"].get<std::string>() != fast.bar ||
        j["schema"].get<std::string>() != fast.schema) {
        fuzz::fail("fast path read other fields than the general path", line);
    }
    const auto& f = j["f"];
    if (!f.is_array() || f.size() != row.size()) {
        fuzz::fail("fast path read another number of values", line);
    }
    for (std::size_t i = 0; i < row.size(); ++i) {
        const auto& v = f[i];
        if (v.is_null()) {
            if (!std::isnan(row[i])) {
                fuzz::fail("null read as a number", line);
            }
            continue;
        }
        const double d = v.get<double>();
        if (!(std::fabs(d) <= std::numeric_limits<float>::max())) {
            fuzz::fail("fast path took a value beyond the range of a float", line);
        }
        if (row[i] != static_cast<float>(d)) {
            fuzz::fail("fast path read another value", line);
        }
    }
    return 0;
}
