// Unit tests for lib/okx/candles: CandlePager against recorded answers (a tape), so the exact
// requests are asserted without a server.
#include "okx/candles.hpp"

#include "core/bar.hpp"
#include "okx/rest.hpp"
#include "okx/tape.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace okxkit::okx {
namespace {

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kT0 = 1'617'321'600'000; // 2021-04-02T00:00:00Z

std::string request(const char* path, std::int64_t lo, std::int64_t upper) {
    return std::string(path) + "?instId=BTC-USDT&bar=1m&before=" + std::to_string(lo - 1) +
           "&after=" + std::to_string(upper) + "&limit=300";
}

// A page of confirmed 1m rows with the given open times, newest first as OKX sends them.
std::string page(std::vector<std::int64_t> ts) {
    nlohmann::json data = nlohmann::json::array();
    for (auto it = ts.rbegin(); it != ts.rend(); ++it) {
        const std::string t = std::to_string(*it);
        data.push_back({t, "1", "2", "0.5", "1.5", "10", "15", "15", "1"});
    }
    return nlohmann::json{{"code", "0"}, {"msg", ""}, {"data", data}}.dump();
}

class PagerTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = (std::filesystem::temp_directory_path() /
                 ("okxkit-pager-" + std::to_string(::getpid()) + ".tape"))
                    .string();
        writer_ = std::make_unique<TapeWriter>(path_);
        writer_->header(0, "history", nlohmann::json::object());
    }
    void TearDown() override { std::filesystem::remove(path_); }
    void answer(const std::string& req, const std::string& body) {
        writer_->rest(0, req, 200, body);
    }
    // The pager over the recorded answers; every request it makes must be on the tape.
    std::vector<RestCandle> fetch(std::int64_t now, std::int64_t lo, std::int64_t hi) {
        writer_.reset();
        RestOptions o;
        o.tape = std::make_shared<TapeReader>(path_);
        RestClient client(o);
        CandlePager pager(client, "BTC-USDT", *core::parse_bar("1m"), now);
        return pager.fetch(lo, hi);
    }
    std::string path_;
    std::unique_ptr<TapeWriter> writer_;
};

TEST_F(PagerTest, AShortPageIsFollowedByARequestForWhatLiesBelowIt) {
    const std::int64_t lo = kT0;
    const std::int64_t hi = kT0 + 10 * kMin;
    answer(request("/api/v5/market/candles", lo, hi),
           page({kT0 + 6 * kMin, kT0 + 7 * kMin, kT0 + 8 * kMin, kT0 + 9 * kMin}));
    answer(request("/api/v5/market/candles", lo, kT0 + 6 * kMin),
           page({kT0, kT0 + kMin, kT0 + 2 * kMin, kT0 + 3 * kMin, kT0 + 4 * kMin, kT0 + 5 * kMin}));
    const auto got = fetch(hi, lo, hi);
    ASSERT_EQ(got.size(), 10U);
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].ts, kT0 + static_cast<std::int64_t>(i) * kMin);
    }
}

// The stream thought the server's clock was at hi, but it had moved on: market/candles no
// longer holds the oldest bars asked for. They must come from history-candles, not be lost.
TEST_F(PagerTest, BarsThatLeftTheRecentWindowAreAskedOfHistoryCandles) {
    const std::int64_t lo = kT0;
    const std::int64_t hi = kT0 + 6 * kMin;
    answer(request("/api/v5/market/candles", lo, hi),
           page({kT0 + 3 * kMin, kT0 + 4 * kMin, kT0 + 5 * kMin}));
    answer(request("/api/v5/market/candles", lo, kT0 + 3 * kMin), page({}));
    answer(request("/api/v5/market/history-candles", lo, kT0 + 3 * kMin),
           page({kT0, kT0 + kMin, kT0 + 2 * kMin}));
    const auto got = fetch(hi, lo, hi);
    ASSERT_EQ(got.size(), 6U);
    EXPECT_EQ(got.front().ts, kT0);
    EXPECT_EQ(got.back().ts, kT0 + 5 * kMin);
}

TEST_F(PagerTest, ARangeWithNoBarsAnywhereEndsAfterHistoryCandlesToo) {
    const std::int64_t lo = kT0;
    const std::int64_t hi = kT0 + 3 * kMin;
    answer(request("/api/v5/market/candles", lo, hi), page({}));
    answer(request("/api/v5/market/history-candles", lo, hi), page({}));
    EXPECT_TRUE(fetch(hi, lo, hi).empty());
}

TEST_F(PagerTest, OldRangesGoStraightToHistoryCandles) {
    const std::int64_t lo = kT0;
    const std::int64_t hi = kT0 + 2 * kMin;
    answer(request("/api/v5/market/history-candles", lo, hi), page({kT0, kT0 + kMin}));
    EXPECT_EQ(fetch(kT0 + 2000 * kMin, lo, hi).size(), 2U);
}

} // namespace
} // namespace okxkit::okx
