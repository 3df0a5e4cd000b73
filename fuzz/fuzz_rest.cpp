// The OKX REST envelope {code, msg, data} and the candle rows of a candles page: whatever the
// body, the parser returns rows or throws an OkxError whose message is a short, valid
// diagnostic (text from the wire quoted as an excerpt, never whole).
#include "core/error.hpp"
#include "fuzz_common.hpp"
#include "okx/candles.hpp"
#include "okx/envelope.hpp"

using namespace okxkit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    const long status = (data[0] & 1) != 0 ? 200 : (data[0] & 2) != 0 ? 429 : 500;
    const bool derivative = (data[0] & 4) != 0;
    const std::string_view body = fuzz::as_text(data + 1, size - 1);
    try {
        nlohmann::json rows = okx::parse_envelope(body, status, "/api/v5/market/candles");
        if (!rows.is_array()) {
            fuzz::fail("data is not an array", body);
        }
        for (const auto& row : rows) {
            okx::RestCandle c = okx::parse_candle_row(row, derivative, "/api/v5/market/candles");
            (void)c;
        }
    } catch (const okx::OkxError& e) {
        fuzz::check_diagnostic(e.what());
        (void)e.retry();
    } catch (const core::Error& e) {
        fuzz::check_diagnostic(e.what());
    }
    return 0;
}
