// Candle paging over the OKX REST market endpoints.
#include "okx/candles.hpp"

#include "okx/envelope.hpp"

#include <algorithm>
#include <charconv>

namespace okxkit::okx {

namespace {

bool to_int(const std::string& s, std::int64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

} // namespace

RestCandle parse_candle_row(const nlohmann::json& row, bool derivative, std::string_view endpoint) {
    auto bad = [&] {
        return OkxError("",
                        "candle row is not [ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm]: " +
                            row.dump().substr(0, 120),
                        200, std::string(endpoint));
    };
    if (!row.is_array() || row.size() < 9) {
        throw bad();
    }
    for (std::size_t i = 0; i < 9; ++i) {
        if (!row[i].is_string()) {
            throw bad();
        }
    }
    RestCandle k;
    if (!to_int(row[0].get_ref<const std::string&>(), k.ts)) {
        throw bad();
    }
    k.o = row[1].get<std::string>();
    k.h = row[2].get<std::string>();
    k.l = row[3].get<std::string>();
    k.c = row[4].get<std::string>();
    k.vol = row[derivative ? 6 : 5].get<std::string>();
    k.vol_quote = row[7].get<std::string>();
    k.confirm = row[8].get_ref<const std::string&>() == "1";
    return k;
}

CandlePager::CandlePager(RestClient& client, std::string inst, core::Bar bar,
                         std::int64_t server_now_ms, int limit)
    : client_(client), inst_(std::move(inst)), bar_(bar), now_(server_now_ms), limit_(limit),
      derivative_(std::count(inst_.begin(), inst_.end(), '-') >= 2) {}

std::vector<RestCandle> CandlePager::fetch(std::int64_t lo, std::int64_t hi) {
    std::vector<RestCandle> rows;
    std::int64_t upper = hi;
    bool history = false;
    while (upper > lo) {
        // market/candles holds only the newest 1,440 bars; older ones need history-candles.
        // The server's clock may be ahead of now_ (a stream that lags, a slow repair): when
        // market/candles has nothing more in range, history-candles is asked for the rest.
        const bool recent = !history && lo >= now_ - 1439 * bar_.ms;
        const char* path = recent ? "/api/v5/market/candles" : "/api/v5/market/history-candles";
        Query q{{"instId", inst_},
                {"bar", std::string(bar_.name)},
                {"before", std::to_string(lo - 1)},
                {"after", std::to_string(upper)},
                {"limit", std::to_string(limit_)}};
        nlohmann::json data = client_.get(path, q);
        std::int64_t oldest = upper;
        for (const auto& row : data) {
            RestCandle k = parse_candle_row(row, derivative_, path);
            if (k.ts < lo || k.ts >= upper) {
                continue; // outside what we asked for: never trust a page blindly
            }
            oldest = std::min(oldest, k.ts);
            if (k.confirm) {
                rows.push_back(std::move(k));
            }
        }
        if (oldest == upper && recent) {
            history = true; // the window may have moved on: ask history-candles
            continue;
        }
        if (oldest == upper || oldest <= lo) {
            break; // nothing older in range, or the range is covered
        }
        upper = oldest; // a short page: ask again for what lies below it
    }
    std::sort(rows.begin(), rows.end(),
              [](const RestCandle& a, const RestCandle& b) { return a.ts < b.ts; });
    rows.erase(std::unique(rows.begin(), rows.end(),
                           [](const RestCandle& a, const RestCandle& b) { return a.ts == b.ts; }),
               rows.end());
    return rows;
}

std::int64_t server_time_ms(RestClient& client) {
    nlohmann::json data = client.get("/api/v5/public/time", {});
    std::int64_t ts = 0;
    if (!data.is_array() || data.empty() || !data[0].is_object() || !data[0].contains("ts") ||
        !data[0]["ts"].is_string() || !to_int(data[0]["ts"].get<std::string>(), ts)) {
        throw OkxError("", "public/time answered without a ts", 200, "GET /api/v5/public/time");
    }
    return ts;
}

} // namespace okxkit::okx
