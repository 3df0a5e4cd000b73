// Unit tests for lib/okx/tape: what the writer records, the reader gives back exactly.
#include "okx/tape.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace okxkit::okx {
namespace {

class TapeTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = (std::filesystem::temp_directory_path() /
                 ("okxkit-tape-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                    .string();
    }
    void TearDown() override { std::filesystem::remove(path_); }
    void write_raw(const std::string& text) {
        std::ofstream out(path_, std::ios::trunc | std::ios::binary);
        out << text;
    }
    std::string path_;
};

TEST_F(TapeTest, RoundTripsEveryKindOfLine) {
    {
        TapeWriter w(path_);
        w.header(1, "live", {{"symbols", {"BTC-USDT"}}});
        w.ws_event(2, "ws://h/ws/v5/public", "connect", "first");
        w.ws(3, "ws://h/ws/v5/public", R"({"arg":{"channel":"tickers"},"data":[{"px":"1.5"}]})");
        w.rest(4, "/api/v5/market/candles?instId=BTC-USDT&bar=1m", 429,
               R"({"code":"50011","msg":"Too Many Requests","data":[]})");
        w.ws_event(5, "ws://h/ws/v5/public", "disconnect", "closed: 4004 no data");
    }
    TapeReader r(path_);
    EXPECT_EQ(r.header().value("mode", ""), "live");
    ASSERT_EQ(r.lines().size(), 4U);
    const auto& l = r.lines();
    EXPECT_EQ(l[0].kind, TapeLine::Kind::kWsEvent);
    EXPECT_EQ(l[0].event, "connect");
    EXPECT_EQ(l[0].detail, "first");
    EXPECT_EQ(l[0].recv_ts, 2);
    EXPECT_EQ(l[1].kind, TapeLine::Kind::kWs);
    EXPECT_EQ(l[1].url, "ws://h/ws/v5/public");
    EXPECT_EQ(l[1].frame, R"({"arg":{"channel":"tickers"},"data":[{"px":"1.5"}]})");
    EXPECT_EQ(l[2].kind, TapeLine::Kind::kRest);
    EXPECT_EQ(l[2].status, 429);
    EXPECT_EQ(l[3].detail, "closed: 4004 no data");

    const TapeLine* answer = r.next_rest("/api/v5/market/candles?instId=BTC-USDT&bar=1m");
    ASSERT_NE(answer, nullptr);
    EXPECT_EQ(answer->body, R"({"code":"50011","msg":"Too Many Requests","data":[]})");
    EXPECT_EQ(r.next_rest("/api/v5/market/candles?instId=BTC-USDT&bar=1m"), nullptr)
        << "an answer is given once";
}

// Frames with every character class the wire can carry: quotes, backslashes, control
// characters, multi-byte UTF-8 and astral characters. The writer escapes them with nlohmann;
// the dedicated reader must give back the same bytes, and agree with nlohmann's own parser.
TEST_F(TapeTest, FramesWithAnyTextSurviveTheRoundTrip) {
    std::mt19937 rng(7);
    const std::vector<std::string> pieces = {"a",  "\"",       "\\",           "/",
                                             "\n", "\t",       "\x01",         "\x1f",
                                             " ",  "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x9a\x80",
                                             "{}", "0"};
    std::vector<std::string> frames;
    for (int i = 0; i < 500; ++i) {
        std::string f;
        const int n = static_cast<int>(rng() % 40);
        for (int k = 0; k < n; ++k) {
            f += pieces[rng() % pieces.size()];
        }
        frames.push_back(f);
    }
    {
        TapeWriter w(path_);
        w.header(0, "live", nlohmann::json::object());
        for (std::size_t i = 0; i < frames.size(); ++i) {
            w.ws(static_cast<std::int64_t>(i), "u", frames[i]);
        }
    }
    TapeReader r(path_);
    ASSERT_EQ(r.lines().size(), frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
        EXPECT_EQ(r.lines()[i].frame, frames[i]) << "frame " << i;
        EXPECT_EQ(r.lines()[i].recv_ts, static_cast<std::int64_t>(i));
    }
}

TEST_F(TapeTest, AcceptsAnyValidJsonSpellingOfALine) {
    TapeLine line;
    ASSERT_TRUE(TapeReader::decode(
        R"( { "url" : "u\u00e9\ud83d\ude80" , "extra": {"a":[1,"]"]}, "n": -1.5e3, "b": true,)"
        R"( "recv_ts" : -42 , "tape" : "ws", "frame": "x\/y" } )",
        line));
    EXPECT_EQ(line.kind, TapeLine::Kind::kWs);
    EXPECT_EQ(line.recv_ts, -42);
    EXPECT_EQ(line.url, "u\xc3\xa9\xf0\x9f\x9a\x80");
    EXPECT_EQ(line.frame, "x/y");
    ASSERT_TRUE(TapeReader::decode(R"({"tape":"future-kind","recv_ts":1})", line));
    EXPECT_EQ(line.kind, TapeLine::Kind::kOther) << "unknown kinds are kept and skipped";
}

TEST_F(TapeTest, RejectsWhatIsNotATapeLine) {
    TapeLine line;
    for (const char* bad :
         {"", "{", "[]", R"({"tape":"ws"})", R"({"recv_ts":1})", R"({"tape":"ws","recv_ts":"1"})",
          R"({"tape":"ws","recv_ts":1.5})", R"({"tape":"ws","recv_ts":1} x)",
          R"({"tape":"ws","recv_ts":01})", R"({"tape":"ws","recv_ts":1,"frame":"a\q"})",
          R"({"tape":"ws","recv_ts":1,"frame":"\ud800"})",
          "{\"tape\":\"ws\",\"recv_ts\":1,\"frame\":\"a\nb\"}", R"({"tape":"header","recv_ts":1})",
          // A number beyond a double in a field decode skips (found by fuzz_tape): nlohmann,
          // and so every other reader of the tape, refuses the line.
          R"({"tape":"rest","recv_ts":1,"body_ts":11E+226718759})"}) {
        EXPECT_FALSE(TapeReader::decode(bad, line)) << bad;
    }
}

TEST_F(TapeTest, NamesTheLineThatIsBroken) {
    write_raw("{\"tape\":\"header\",\"recv_ts\":0,\"mode\":\"live\",\"args\":{}}\n"
              "{\"tape\":\"ws\",\"recv_ts\":1,\"url\":\"u\",\"frame\":\"f\"}\n"
              "{\"tape\":\"ws\",\"recv_ts\":2,\"url\":\"u\",\"frame\":\"f\n");
    try {
        TapeReader r(path_);
        FAIL() << "a truncated tape was accepted";
    } catch (const core::RuntimeError& e) {
        EXPECT_NE(std::string(e.what()).find(path_ + ":3: not a tape line"), std::string::npos)
            << e.what();
    }
}

TEST_F(TapeTest, AFileWithoutAHeaderIsNotATape) {
    write_raw("{\"tape\":\"ws\",\"recv_ts\":1,\"url\":\"u\",\"frame\":\"f\"}\n");
    EXPECT_FALSE(TapeReader::is_tape(path_));
    EXPECT_THROW(TapeReader r(path_), core::UsageError);
    write_raw("");
    EXPECT_THROW(TapeReader r(path_), core::UsageError);
}

} // namespace
} // namespace okxkit::okx
