// Unit tests for lib/stream/live: OKX pushes to messages, and the candle gap/dedupe machine.
#include "stream/live.hpp"

#include "core/error.hpp"
#include "core/json_scan.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "okx/book.hpp"
#include "okx/envelope.hpp"
#include "store/store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace okxkit::stream {
namespace {

constexpr std::int64_t kMin = 60000;
constexpr std::int64_t kT0 = 1617321600000;       // 2021-04-02T00:00:00Z
constexpr std::int64_t kRecv = 1700000000000;     // receive time of the synthetic frames
constexpr std::int64_t kRecvLate = 1800000000000; // after the recorded frames (2026)

std::string fixture(const std::string& name) {
    std::ifstream in(OKXKIT_SOURCE_DIR "/tests/unit/data/ws/" + name);
    EXPECT_TRUE(in.good()) << "missing fixture " << name;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            out.push_back(line);
        }
    }
    return out;
}

// Candles served by "REST": every bar of a price walk, and a log of what was asked.
class TableSource : public CandleSource {
public:
    std::vector<okx::RestCandle> fetch(const std::string& inst, core::Bar bar, std::int64_t lo,
                                       std::int64_t hi) override {
        calls.push_back(inst + " " + std::string(bar.name) + " " +
                        std::to_string((lo - kT0) / kMin) + ".." +
                        std::to_string((hi - kT0) / kMin));
        if (fail) {
            throw okx::OkxError("50026", "System error", 500, "GET /api/v5/market/candles");
        }
        std::vector<okx::RestCandle> out;
        if ((hi - lo) / bar.ms > 10000) {
            return out; // a hole from a mangled frame: nothing to serve
        }
        for (std::int64_t ts = lo; ts < hi; ts += bar.ms) {
            if (holes.count(ts) == 0) {
                out.push_back(rest_candle(ts));
            }
        }
        return out;
    }
    static okx::RestCandle rest_candle(std::int64_t ts) {
        const std::int64_t i = (ts - kT0) / kMin;
        okx::RestCandle k;
        k.ts = ts;
        k.o = std::to_string(100 + i);
        k.h = std::to_string(102 + i);
        k.l = std::to_string(99 + i);
        k.c = std::to_string(101 + i);
        k.vol = "2.5";
        k.vol_quote = "250";
        k.confirm = true;
        return k;
    }
    std::vector<std::string> calls;
    std::map<std::int64_t, bool> holes; // bars the exchange does not have
    bool fail = false;
};

// A candle push of bar i (minutes after kT0) with the prices TableSource serves.
std::string candle_push(const std::string& inst, std::int64_t i, bool confirm,
                        const std::string& close = "") {
    const okx::RestCandle k = TableSource::rest_candle(kT0 + i * kMin);
    return R"({"arg":{"channel":"candle1m","instId":")" + inst + R"("},"data":[[")" +
           std::to_string(k.ts) + R"(",")" + k.o + R"(",")" + k.h + R"(",")" + k.l + R"(",")" +
           (close.empty() ? k.c : close) + R"(","2.5","0.025","250",")" + (confirm ? "1" : "0") +
           R"("]]})";
}

// The candle line the session writes for bar i.
std::string candle_line(const std::string& inst, std::int64_t i, std::int64_t recv,
                        bool confirm = true, const std::string& close = "") {
    const std::int64_t c = close.empty() ? 101 + i : std::stoll(close);
    return R"({"type":"candle","v":1,"ts":)" + std::to_string(kT0 + i * kMin) + R"(,"inst":")" +
           inst + R"(","bar":"1m","o":)" + std::to_string(100 + i) + R"(,"h":)" +
           std::to_string(102 + i) + R"(,"l":)" + std::to_string(99 + i) + R"(,"c":)" +
           std::to_string(c) + R"(,"vol":2.5,"vol_quote":250,"confirm":)" +
           (confirm ? "true" : "false") + R"(,"recv_ts":)" + std::to_string(recv) + "}";
}

std::string gap_line(const std::string& inst, std::int64_t first, std::int64_t to,
                     const std::string& cause, std::int64_t recv) {
    return R"({"type":"gap","v":1,"ts":)" + std::to_string(kT0 + first * kMin) + R"(,"inst":")" +
           inst + R"(","bar":"1m","from":)" + std::to_string(kT0 + (first - 1) * kMin) +
           R"(,"to":)" + std::to_string(kT0 + to * kMin) + R"(,"cause":")" + cause +
           R"(","recv_ts":)" + std::to_string(recv) + "}";
}

// A session on one business and one public endpoint, writing to a string.
struct Harness {
    explicit Harness(SessionOptions o = {}, store::CandleRun* sink = nullptr)
        : out(text), session(o, out, &source, sink, "test") {
        // Warnings on: tests that capture them must not depend on what ran before.
        core::Log::init("okx-stream", 0, false);
        business = session.add_endpoint("okx-ws-business", "ws://fake/ws/v5/business");
        pub = session.add_endpoint("okx-ws-public", "ws://fake/ws/v5/public");
        for (const char* inst : {"BTC-USDT", "ETH-USDT"}) {
            session.subscribe(business, parse_channel("candle1m"), inst);
        }
        for (const char* ch : {"tickers", "trades", "books5", "bbo-tbt", "books"}) {
            for (const char* inst : {"BTC-USDT", "BTC-USDT-SWAP", "BCH-USDT-SWAP"}) {
                session.subscribe(pub, parse_channel(ch), inst);
            }
        }
        session.subscribe(business, parse_channel("candle1m"), "BTC-USDT-SWAP");
        session.subscribe(business, parse_channel("candle1D"), "BTC-USDT");
        session.on_resubscribe = [this](std::size_t ep, const std::string& channel,
                                        const std::string& inst) {
            resubscribed.push_back(std::to_string(ep) + " " + channel + " " + inst);
        };
    }
    void candle(const std::string& inst, std::int64_t i, bool confirm, std::int64_t recv,
                const std::string& close = "") {
        session.frame(business, candle_push(inst, i, confirm, close), recv);
    }
    std::vector<std::string> lines() {
        session.idle();
        auto l = split_lines(text.str());
        text.str("");
        return l;
    }
    std::ostringstream text;
    core::Output out;
    TableSource source;
    LiveSession session;
    std::size_t business = 0;
    std::size_t pub = 0;
    std::vector<std::string> resubscribed; // "endpoint channel inst" per on_resubscribe
};

using Lines = std::vector<std::string>;

// A books push of BTC-USDT: levels as JSON text ([["px","sz","0","n"],...]).
std::string books_push(bool snapshot, const std::string& bids, const std::string& asks,
                       std::int64_t prev, std::int64_t seq, std::int32_t checksum,
                       std::int64_t ts = 1700000000000, const std::string& inst = "BTC-USDT") {
    return R"({"arg":{"channel":"books","instId":")" + inst + R"("},"action":")" +
           (snapshot ? "snapshot" : "update") + R"(","data":[{"asks":)" + asks + R"(,"bids":)" +
           bids + R"(,"ts":")" + std::to_string(ts) + R"(","checksum":)" +
           std::to_string(checksum) + R"(,"prevSeqId":)" + std::to_string(prev) + R"(,"seqId":)" +
           std::to_string(seq) + "}]}";
}

constexpr const char* kBids = R"([["100","1","0","1"],["99.5","2","0","3"],["99","3","0","1"]])";
constexpr const char* kAsks = R"([["101","4","0","1"],["102","5","0","2"]])";
// OKX's checksum of kBids/kAsks: interleaved bid:ask, px:sz.
const std::int32_t kSum = okx::book_checksum("100:1:101:4:99.5:2:102:5:99:3");

// --- channels ----------------------------------------------------------------------------

TEST(StreamLiveChannels, ResolvesNamesAndEndpoints) {
    ChannelSpec c = parse_channel("candle1m");
    EXPECT_EQ(c.kind, ChannelSpec::Kind::kCandle);
    EXPECT_EQ(c.name, "candle1m");
    EXPECT_EQ(c.bar.ms, kMin);
    EXPECT_TRUE(c.business);
    EXPECT_EQ(parse_channel("candle1H").name, "candle1H");
    EXPECT_EQ(parse_channel("candle1h").name, "candle1H");
    EXPECT_EQ(parse_channel("candle1Dutc").name, "candle1Dutc");
    EXPECT_FALSE(parse_channel("tickers").business);
    EXPECT_EQ(parse_channel("trades").kind, ChannelSpec::Kind::kTrades);
    EXPECT_EQ(parse_channel("books5").kind, ChannelSpec::Kind::kBooks5);
    EXPECT_EQ(parse_channel("bbo-tbt").kind, ChannelSpec::Kind::kBboTbt);
    EXPECT_EQ(parse_channel("books").kind, ChannelSpec::Kind::kBooks);
    EXPECT_FALSE(parse_channel("books").business);
    for (const char* bad :
         {"candle", "candle7m", "candle1M", "ticker", "book", "books50-l2-tbt", "", "Tickers"}) {
        EXPECT_THROW(parse_channel(bad), core::UsageError) << bad;
    }
}

// --- normalising recorded pushes -----------------------------------------------------------

TEST(StreamLiveNormalise, Tickers) {
    Harness h;
    for (const auto& f : split_lines(fixture("ws_tickers_btc_usdt_recorded.ndjson"))) {
        h.session.frame(h.pub, f, kRecv);
    }
    EXPECT_EQ(
        h.lines(),
        (Lines{
            R"({"type":"ticker","v":1,"ts":1786538789464,"inst":"BTC-USDT","last":64028.6,"bid":64028.6,"bid_sz":0.00503393,"ask":64028.7,"ask_sz":2.31126955,"vol_24h":5874.19398956,"recv_ts":1700000000000})",
            R"({"type":"ticker","v":1,"ts":1786538789666,"inst":"BTC-USDT","last":64028.6,"bid":64028.6,"bid_sz":0.00484352,"ask":64028.7,"ask_sz":2.36206603,"vol_24h":5874.19398956,"recv_ts":1700000000000})"}));
    EXPECT_EQ(h.session.stats().malformed, 0U);
}

TEST(StreamLiveNormalise, TradesOnePerItem) {
    Harness h;
    for (const auto& f : split_lines(fixture("ws_trades_btc_usdt_swap_recorded.ndjson"))) {
        h.session.frame(h.pub, f, kRecv + 1);
    }
    EXPECT_EQ(
        h.lines(),
        (Lines{
            R"({"type":"trade","v":1,"ts":1786540435948,"inst":"BTC-USDT-SWAP","px":63913.5,"sz":1,"side":"buy","trade_id":"2832749635","recv_ts":1700000000001})",
            R"({"type":"trade","v":1,"ts":1786540436090,"inst":"BTC-USDT-SWAP","px":63913.4,"sz":34.95,"side":"sell","trade_id":"2832749645","recv_ts":1700000000001})"}));
    // Several trades in one push: one line each, in order.
    h.session.frame(
        h.pub,
        R"({"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"7","px":"1.5","sz":"2","side":"sell","ts":"1000"},{"instId":"BTC-USDT","tradeId":"8","px":"1.25","sz":"0.5","side":"buy","ts":"1001"}]})",
        kRecv);
    auto l = h.lines();
    ASSERT_EQ(l.size(), 2U);
    EXPECT_NE(l[0].find(R"("trade_id":"7")"), std::string::npos);
    EXPECT_NE(l[1].find(R"("ts":1001,)"), std::string::npos);
}

TEST(StreamLiveNormalise, BookSnapshotsTopLevels) {
    Harness h;
    auto frames = split_lines(fixture("ws_books5_btc_usdt_recorded.ndjson"));
    h.session.frame(h.pub, frames[1], kRecv);
    EXPECT_EQ(
        h.lines(),
        (Lines{
            R"({"type":"book","v":1,"ts":1786538744703,"inst":"BTC-USDT","bids":[[64073,0.58849577],[64072.7,0.00050267],[64072.2,0.0000102],[64072,0.14185639],[64071.9,0.19905687]],"asks":[[64073.1,1.07909367],[64073.6,0.15471482],[64074,0.0000102],[64075,0.00024081],[64075.8,0.24629813]],"depth":5,"seq":79706756139,"recv_ts":1700000000000})"}));

    SessionOptions top2;
    top2.depth = 2;
    Harness h2(top2);
    h2.session.frame(h2.pub, frames[2], kRecv);
    EXPECT_EQ(
        h2.lines(),
        (Lines{
            R"({"type":"book","v":1,"ts":1786538744903,"inst":"BTC-USDT","bids":[[64073,0.2330179],[64072.7,0.00050267]],"asks":[[64073.1,1.11735037],[64073.6,0.15471482]],"depth":2,"seq":79706756227,"recv_ts":1700000000000})"}));

    h.session.frame(h.pub, nlohmann::json::parse(fixture("ws_bbo_tbt_push_docs.json")).dump(),
                    kRecv);
    EXPECT_EQ(
        h.lines(),
        (Lines{
            R"({"type":"book","v":1,"ts":1670324386802,"inst":"BCH-USDT-SWAP","bids":[[111.05,57745]],"asks":[[111.06,55154]],"depth":1,"seq":363996337,"recv_ts":1700000000000})"}));
}

TEST(StreamLiveNormalise, RecordedCandlesArePartialUntilConfirmed) {
    Harness h;
    for (const auto& f : split_lines(fixture("ws_candle1m_btc_usdt_swap_recorded.ndjson"))) {
        h.session.frame(h.business, f, kRecvLate);
    }
    EXPECT_TRUE(h.lines().empty()); // forming bars only

    SessionOptions partial;
    partial.partial = true;
    Harness p(partial);
    for (const auto& f : split_lines(fixture("ws_candle1m_btc_usdt_swap_recorded.ndjson"))) {
        p.session.frame(p.business, f, kRecvLate);
    }
    // Contracts are converted by OKX's volCcy column: vol is in BTC.
    EXPECT_EQ(
        p.lines(),
        (Lines{
            R"({"type":"candle","v":1,"ts":1786540440000,"inst":"BTC-USDT-SWAP","bar":"1m","o":63913,"h":63951.8,"l":63913,"c":63951.8,"vol":18.0361,"vol_quote":1153203.99426,"confirm":false,"recv_ts":1800000000000})",
            R"({"type":"candle","v":1,"ts":1786540440000,"inst":"BTC-USDT-SWAP","bar":"1m","o":63913,"h":63952,"l":63913,"c":63952,"vol":18.0374,"vol_quote":1153287.13186,"confirm":false,"recv_ts":1800000000000})"}));
}

TEST(StreamLiveNormalise, EveryLineIsAValidMessage) {
    SessionOptions o;
    o.partial = true;
    o.health_out = true;
    Harness h(o);
    for (const char* f :
         {"ws_tickers_btc_usdt_recorded.ndjson", "ws_trades_btc_usdt_swap_recorded.ndjson",
          "ws_books5_btc_usdt_recorded.ndjson", "ws_candle1m_btc_usdt_recorded.ndjson"}) {
        for (const auto& frame : split_lines(fixture(f))) {
            h.session.frame(f[3] == 'c' ? h.business : h.pub, frame, kRecvLate);
        }
    }
    h.candle("ETH-USDT", 0, true, kRecv);
    h.candle("ETH-USDT", 3, true, kRecv);
    h.session.disconnected(h.business, "stall", kRecv, "no pong");
    h.session.connected(h.business, true, kRecv);
    h.candle("ETH-USDT", 6, true, kRecv);
    auto l = h.lines();
    ASSERT_GT(l.size(), 12U);
    for (const auto& line : l) {
        auto j = nlohmann::json::parse(line);
        EXPECT_EQ(core::validate_message(j), std::nullopt) << line;
    }
}

// --- books ---------------------------------------------------------------------------------

TEST(StreamLiveBooks, SnapshotThenUpdatesWriteTheTopLevelsOfTheWholeBook) {
    SessionOptions o;
    o.depth = 2;
    Harness h(o);
    h.session.frame(h.pub, books_push(true, kBids, kAsks, -1, 10, kSum), kRecv);
    // Delete 100, insert 101.5 on the ask side: the checksum is over the whole book (3 bids),
    // not the 2 levels written.
    const std::int32_t sum = okx::book_checksum("99.5:2:101:4:99:3:101.5:1:102:5");
    h.session.frame(h.pub,
                    books_push(false, R"([["100","0","0","0"]])", R"([["101.5","1","0","1"]])", 10,
                               12, sum, 1700000000100),
                    kRecv + 1);
    EXPECT_EQ(
        h.lines(),
        (Lines{
            R"({"type":"book","v":1,"ts":1700000000000,"inst":"BTC-USDT","bids":[[100,1],[99.5,2]],"asks":[[101,4],[102,5]],"depth":2,"seq":10,"recv_ts":1700000000000})",
            R"({"type":"book","v":1,"ts":1700000000100,"inst":"BTC-USDT","bids":[[99.5,2],[99,3]],"asks":[[101,4],[101.5,1]],"depth":2,"seq":12,"recv_ts":1700000000001})"}));
    EXPECT_TRUE(h.resubscribed.empty());
    EXPECT_EQ(h.session.stats().resyncs, 0U);
}

TEST(StreamLiveBooks, UpdatesBeforeTheSnapshotAreIgnoredQuietly) {
    Harness h;
    testing::internal::CaptureStderr();
    h.session.frame(h.pub, books_push(false, kBids, kAsks, 9, 10, kSum), kRecv);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
    EXPECT_TRUE(h.lines().empty());
    EXPECT_TRUE(h.resubscribed.empty());
}

TEST(StreamLiveBooks, ASequenceGapIsReportedOnceAndResubscribedUntilTheSnapshot) {
    SessionOptions o;
    o.health_out = true;
    Harness h(o);
    h.session.frame(h.pub, books_push(true, kBids, kAsks, -1, 10, kSum), kRecv);
    ASSERT_EQ(h.lines().size(), 1U);
    testing::internal::CaptureStderr();
    // seqId 11 was lost: 12 names 11 as its predecessor.
    h.session.frame(h.pub, books_push(false, "[]", R"([["103","1","0","1"]])", 11, 12, 0),
                    kRecv + 1);
    // Until the snapshot, nothing is written and nothing asked again, whatever comes.
    h.session.frame(h.pub, books_push(false, "[]", R"([["104","1","0","1"]])", 12, 13, 0),
                    kRecv + 2);
    h.session.frame(h.pub, books_push(false, "[]", R"([["104","1","0","1"]])", 20, 21, 0),
                    kRecv + 3);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(h.resubscribed, (std::vector<std::string>{"1 books BTC-USDT"}));
    EXPECT_NE(err.find("ws://fake/ws/v5/public: BTC-USDT books: sequence gap: prevSeqId 11 "
                       "does not follow seqId 10; resubscribing for a new snapshot"),
              std::string::npos)
        << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    auto l = h.lines();
    ASSERT_EQ(l.size(), 1U);
    auto health = nlohmann::json::parse(l[0]);
    EXPECT_EQ(health["event"], "gap");
    EXPECT_EQ(health["inst"], "BTC-USDT");
    EXPECT_EQ(health["component"], "okx-ws-public");
    EXPECT_EQ(health["detail"],
              "books: sequence gap: prevSeqId 11 does not follow seqId 10; resubscribed");
    // The snapshot of the resubscription: written, and the chain goes on from it.
    h.session.frame(h.pub, books_push(true, kBids, kAsks, -1, 30, kSum), kRecv + 4);
    h.session.frame(h.pub, books_push(false, "[]", "[]", 30, 30, kSum), kRecv + 5); // heartbeat
    l = h.lines();
    ASSERT_EQ(l.size(), 2U);
    EXPECT_NE(l[0].find(R"("seq":30,"recv_ts":1700000000004})"), std::string::npos) << l[0];
    EXPECT_NE(l[1].find(R"("seq":30,"recv_ts":1700000000005})"), std::string::npos) << l[1];
    EXPECT_EQ(h.session.stats().resyncs, 1U);
    EXPECT_EQ(h.session.stats().malformed, 0U);
    // A second gap is a second event.
    h.session.frame(h.pub, books_push(false, "[]", "[]", 30, 30, kSum), kRecv + 5); // again
    EXPECT_EQ(h.lines().size(), 1U); // a heartbeat repeated is a heartbeat
    h.session.frame(h.pub, books_push(false, "[]", R"([["103","1","0","1"]])", 30, 31, 0),
                    kRecv + 6);
    h.session.frame(h.pub, books_push(false, "[]", R"([["103","1","0","1"]])", 30, 31, 0),
                    kRecv + 6); // a duplicated frame: dropped quietly
    EXPECT_EQ(h.lines().size(), 1U);
    EXPECT_EQ(h.session.stats().duplicates, 1U);
    EXPECT_EQ(h.resubscribed.size(), 1U);
    h.session.frame(h.pub, books_push(false, "[]", "[]", 32, 33, 0), kRecv + 7);
    EXPECT_EQ(h.resubscribed.size(), 2U);
}

TEST(StreamLiveBooks, AChecksumMismatchResubscribesAndChecksumZeroIsNotChecked) {
    Harness h;
    h.session.frame(h.pub, books_push(true, kBids, kAsks, -1, 10, kSum), kRecv);
    // Checksum 0: the 2026 retirement; only the seqId chain is checked.
    h.session.frame(h.pub, books_push(false, R"([["98","1","0","1"]])", "[]", 10, 11, 0),
                    kRecv + 1);
    EXPECT_EQ(h.lines().size(), 2U);
    testing::internal::CaptureStderr();
    h.session.frame(h.pub, books_push(false, R"([["97","1","0","1"]])", "[]", 11, 12, kSum),
                    kRecv + 2);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("BTC-USDT books: checksum mismatch: checksum " + std::to_string(kSum) +
                       " of update seqId 12, the book gives "),
              std::string::npos)
        << err;
    EXPECT_TRUE(h.lines().empty());
    EXPECT_EQ(h.resubscribed, (std::vector<std::string>{"1 books BTC-USDT"}));
    h.session.frame(h.pub, books_push(true, kBids, kAsks, -1, 40, kSum), kRecv + 3);
    EXPECT_EQ(h.lines().size(), 1U);
}

// Fuzzing found a raw 0x99 byte in a level's price copied into the health message's detail:
// text from the wire reaches a message as valid UTF-8 (U+FFFD for bad bytes, as the tape
// writer records it), a level quoted in a diagnostic as an escaped excerpt.
TEST(StreamLiveBooks, InvalidUtf8FromTheWireNeverReachesAMessageRaw) {
    SessionOptions o;
    o.health_out = true;
    Harness h(o);
    h.session.frame(h.pub, books_push(true, kBids, kAsks, -1, 10, kSum), kRecv);
    h.lines();
    testing::internal::CaptureStderr();
    h.session.frame(h.pub,
                    books_push(false,
                               "[[\"9\x99"
                               "8\",\"1\",\"0\",\"1\"]]",
                               "[]", 10, 11, 0),
                    kRecv + 1);
    h.session.frame(h.pub, "\x99\xff not json", kRecv + 2);
    const std::string err = testing::internal::GetCapturedStderr();
    const Lines lines = h.lines();
    ASSERT_FALSE(lines.empty());
    for (const std::string& line : lines) {
        EXPECT_TRUE(core::valid_utf8(line)) << line;
        EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
    }
    // The bad level is quoted as escaped ASCII (after the frame's bytes were made valid).
    const auto detail = nlohmann::json::parse(lines.front())["detail"].get<std::string>();
    EXPECT_NE(detail.find("[\"9\\xef\\xbf\\xbd8\",\"1\"]"), std::string::npos) << detail;
    EXPECT_EQ(err.find('\x99'), std::string::npos) << err;
    EXPECT_NE(err.find("\\xef\\xbf\\xbd"), std::string::npos) << err;
}

TEST(StreamLiveBooks, AMalformedBooksPushIsReportedAndResubscribed) {
    Harness h;
    h.session.frame(h.pub, books_push(true, kBids, kAsks, -1, 10, kSum), kRecv);
    h.lines();
    core::Log::init("okx-stream", -1, false);
    for (
        const std::string& bad : {
            books_push(false, R"([["x","1","0","1"]])", "[]", 10, 11, 0),
            std::string(
                R"({"arg":{"channel":"books","instId":"BTC-USDT"},"data":[{"asks":[],"bids":[],"ts":"1"}]})"),
            std::string(
                R"({"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"ts":"1","checksum":"5"}]})"),
            std::string(
                R"({"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"ts":"1","checksum":4294967296}]})"),
            std::string(
                R"({"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[[1,2]],"bids":[],"ts":"1"}]})"),
            std::string(
                R"({"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"ts":"1","prevSeqId":10}]})"),
        }) {
        h.session.frame(h.pub, books_push(true, kBids, kAsks, -1, 10, kSum), kRecv);
        h.session.frame(h.pub, bad, kRecv + 1);
    }
    core::Log::init("okx-stream", 0, false);
    EXPECT_EQ(h.session.stats().malformed, 6U);
    EXPECT_EQ(h.resubscribed.size(), 6U);
    EXPECT_EQ(h.lines().size(), 6U); // the snapshots
}

TEST(StreamLiveBooks, ADisconnectDropsTheBookANoticeDoesNot) {
    Harness h;
    const auto btc = [&h] {
        return std::count(h.resubscribed.begin(), h.resubscribed.end(), "1 books BTC-USDT");
    };
    h.session.frame(h.pub, books_push(true, kBids, kAsks, -1, 10, kSum), kRecv);
    h.session.disconnected(h.pub, "notice", kRecv + 1, "replaced after a service-upgrade notice");
    h.session.connected(h.pub, true, kRecv + 1);
    // The books of the other instruments never had a snapshot: asked for again.
    EXPECT_EQ(h.resubscribed,
              (std::vector<std::string>{"1 books BTC-USDT-SWAP", "1 books BCH-USDT-SWAP"}));
    h.session.frame(h.pub, books_push(false, "[]", "[]", 10, 10, kSum), kRecv + 2);
    EXPECT_EQ(h.lines().size(), 2U);
    // The candles' disconnect of the other endpoint leaves the books alone.
    h.session.disconnected(h.business, "reconnect", kRecv + 3, "closed");
    h.session.frame(h.pub, books_push(false, "[]", "[]", 10, 10, kSum), kRecv + 4);
    EXPECT_EQ(h.lines().size(), 1U);
    h.session.disconnected(h.pub, "reconnect", kRecv + 5, "closed");
    h.session.connected(h.pub, true, kRecv + 6);
    h.session.frame(h.pub, books_push(false, "[]", "[]", 10, 10, kSum), kRecv + 7);
    EXPECT_TRUE(h.lines().empty());
    EXPECT_EQ(btc(), 0); // the new connection subscribed to everything
    h.session.frame(h.pub, books_push(true, kBids, kAsks, -1, 50, kSum), kRecv + 8);
    EXPECT_EQ(h.lines().size(), 1U);
    // A book still waiting for its snapshot when a notice replaced the connection: the
    // replacement's snapshot came before it took over, so it is asked for again, once.
    h.session.frame(h.pub, books_push(false, "[]", "[]", 51, 52, 0), kRecv + 9);
    ASSERT_EQ(btc(), 1);
    h.session.disconnected(h.pub, "notice", kRecv + 10, "replaced after a service-upgrade notice");
    h.session.connected(h.pub, true, kRecv + 10);
    EXPECT_EQ(btc(), 2);
    h.session.connected(h.pub, true, kRecv + 11);
    EXPECT_EQ(btc(), 2);
}

TEST(StreamLiveBooks, UntilStopsTheBooks) {
    SessionOptions o;
    o.until = 1700000000100;
    Harness h(o);
    h.session.frame(h.pub, books_push(true, kBids, kAsks, -1, 10, kSum), kRecv);
    h.session.frame(h.pub, books_push(false, "[]", "[]", 10, 10, kSum, 1700000000100), kRecv);
    h.session.frame(h.pub, books_push(false, "[]", "[]", 10, 10, kSum, 1700000000000), kRecv);
    EXPECT_EQ(h.lines().size(), 1U);
}

// A real session of 2022 (no seqId yet, checksums on every push): one book line per push.
TEST(StreamLiveBooks, RecordedSessionOneLinePerPushSortedAndValid) {
    SessionOptions o;
    o.depth = 400;
    Harness h(o);
    for (const char* inst : {"BTC-USD-220527", "UNI-USD-SWAP"}) {
        h.session.subscribe(h.pub, parse_channel("books"), inst);
    }
    const auto frames = split_lines(fixture("ws_books_2022-05-13_recorded.ndjson"));
    for (const auto& f : frames) {
        h.session.frame(h.pub, f, kRecv);
    }
    const auto l = h.lines();
    ASSERT_EQ(l.size(), frames.size());
    EXPECT_EQ(h.session.stats().malformed, 0U);
    EXPECT_EQ(h.session.stats().resyncs, 0U);
    std::size_t deepest = 0;
    for (const auto& line : l) {
        auto j = nlohmann::json::parse(line);
        ASSERT_EQ(core::validate_message(j), std::nullopt) << line;
        EXPECT_FALSE(j.contains("seq"));
        const auto& bids = j["bids"];
        const auto& asks = j["asks"];
        for (std::size_t k = 1; k < bids.size(); ++k) {
            ASSERT_GT(bids[k - 1][0].get<double>(), bids[k][0].get<double>()) << line;
        }
        for (std::size_t k = 1; k < asks.size(); ++k) {
            ASSERT_LT(asks[k - 1][0].get<double>(), asks[k][0].get<double>()) << line;
        }
        ASSERT_LT(bids[0][0].get<double>(), asks[0][0].get<double>());
        deepest = std::max(deepest, bids.size());
    }
    EXPECT_EQ(deepest, 400U);
    // No resync: every push matched OKX's checksum, so the top 25 levels written are OKX's.
    EXPECT_TRUE(l.back().starts_with(
        R"({"type":"book","v":1,"ts":1652459236119,"inst":"BTC-USD-220527","bids":[[30229.4,2],[30228.1,2],)"))
        << l.back().substr(0, 200);
}

// --- the gap and dedupe machine --------------------------------------------------------------

TEST(StreamLiveCandles, ConfirmedOnceInOrderDuplicatesAndStaleDropped) {
    Harness h;
    h.candle("BTC-USDT", 0, false, kRecv);
    h.candle("BTC-USDT", 0, false, kRecv + 1, "100");
    h.candle("BTC-USDT", 0, true, kRecv + 2);
    h.candle("BTC-USDT", 0, true, kRecv + 3); // repeated confirm
    h.candle("BTC-USDT", 1, false, kRecv + 4);
    h.candle("BTC-USDT", 0, false, kRecv + 5); // stale forming update
    h.candle("BTC-USDT", 1, true, kRecv + 6);
    h.candle("ETH-USDT", 1, true, kRecv + 7);
    EXPECT_EQ(h.lines(),
              (Lines{candle_line("BTC-USDT", 0, kRecv + 2), candle_line("BTC-USDT", 1, kRecv + 6),
                     candle_line("ETH-USDT", 1, kRecv + 7)}));
    EXPECT_TRUE(h.source.calls.empty());
    EXPECT_EQ(h.session.stats().duplicates, 2U);
    EXPECT_EQ(h.session.stats().candles, 3U);
}

TEST(StreamLiveCandles, PartialUpdatesAreWrittenOnceEach) {
    SessionOptions o;
    o.partial = true;
    Harness h(o);
    h.candle("BTC-USDT", 0, false, kRecv);
    h.candle("BTC-USDT", 0, false, kRecv + 1); // the same update again
    h.candle("BTC-USDT", 0, false, kRecv + 2, "100");
    h.candle("BTC-USDT", 0, true, kRecv + 3);
    EXPECT_EQ(h.lines(), (Lines{candle_line("BTC-USDT", 0, kRecv, false),
                                candle_line("BTC-USDT", 0, kRecv + 2, false, "100"),
                                candle_line("BTC-USDT", 0, kRecv + 3)}));
}

TEST(StreamLiveCandles, MissingBarsAreAGapBackfilledInOrder) {
    Harness h;
    h.candle("BTC-USDT", 0, true, kRecv);
    h.candle("BTC-USDT", 4, true, kRecv + 9); // bars 1..3 never came
    h.candle("BTC-USDT", 5, true, kRecv + 10);
    EXPECT_EQ(
        h.lines(),
        (Lines{candle_line("BTC-USDT", 0, kRecv), gap_line("BTC-USDT", 1, 4, "missing", kRecv + 9),
               candle_line("BTC-USDT", 1, kRecv + 9), candle_line("BTC-USDT", 2, kRecv + 9),
               candle_line("BTC-USDT", 3, kRecv + 9), candle_line("BTC-USDT", 4, kRecv + 9),
               candle_line("BTC-USDT", 5, kRecv + 10)}));
    EXPECT_EQ(h.source.calls, (std::vector<std::string>{"BTC-USDT 1m 1..4"}));
    EXPECT_EQ(h.session.stats().gaps, 1U);
    EXPECT_EQ(h.session.stats().backfilled, 3U);
}

TEST(StreamLiveCandles, AMissingConfirmIsFetchedWithoutAGap) {
    Harness h;
    h.candle("BTC-USDT", 0, true, kRecv);
    h.candle("BTC-USDT", 1, false, kRecv + 1);
    h.candle("BTC-USDT", 2, false, kRecv + 2); // bar 1 closed without its confirm push
    h.candle("BTC-USDT", 2, true, kRecv + 3);
    EXPECT_EQ(h.lines(),
              (Lines{candle_line("BTC-USDT", 0, kRecv), candle_line("BTC-USDT", 1, kRecv + 2),
                     candle_line("BTC-USDT", 2, kRecv + 3)}));
    EXPECT_EQ(h.source.calls, (std::vector<std::string>{"BTC-USDT 1m 1..2"}));
    EXPECT_EQ(h.session.stats().gaps, 0U);
}

TEST(StreamLiveCandles, AMissingConfirmThatRestLacksIsAGap) {
    Harness h;
    h.source.holes[kT0 + kMin] = true;
    h.candle("BTC-USDT", 0, true, kRecv);
    h.candle("BTC-USDT", 1, false, kRecv + 1);
    h.candle("BTC-USDT", 2, true, kRecv + 2);
    EXPECT_EQ(h.lines(), (Lines{candle_line("BTC-USDT", 0, kRecv),
                                gap_line("BTC-USDT", 1, 2, "missing", kRecv + 2),
                                candle_line("BTC-USDT", 2, kRecv + 2)}));
}

TEST(StreamLiveCandles, ADisconnectThatLostBarsIsAGapWithItsCause) {
    for (const char* cause : {"reconnect", "stall", "notice"}) {
        Harness h;
        h.candle("BTC-USDT", 0, true, kRecv);
        h.candle("ETH-USDT", 0, true, kRecv);
        h.candle("BTC-USDT", 1, false, kRecv + 1);
        h.session.disconnected(h.business, cause, kRecv + 2, "test");
        h.session.connected(h.business, true, kRecv + 3);
        // BTC: the forming bar 1 closed while away, so even its confirm is a hole; ETH lost
        // nothing (its first push after the reconnect is the bar it owed).
        h.candle("BTC-USDT", 2, false, kRecv + 4);
        h.candle("ETH-USDT", 1, false, kRecv + 4);
        h.candle("ETH-USDT", 1, true, kRecv + 5);
        h.candle("BTC-USDT", 2, true, kRecv + 5);
        // A later hole without a disconnect is "missing" again.
        h.candle("BTC-USDT", 4, true, kRecv + 6);
        EXPECT_EQ(
            h.lines(),
            (Lines{candle_line("BTC-USDT", 0, kRecv), candle_line("ETH-USDT", 0, kRecv),
                   gap_line("BTC-USDT", 1, 2, cause, kRecv + 4),
                   candle_line("BTC-USDT", 1, kRecv + 4), candle_line("ETH-USDT", 1, kRecv + 5),
                   candle_line("BTC-USDT", 2, kRecv + 5),
                   gap_line("BTC-USDT", 3, 4, "missing", kRecv + 6),
                   candle_line("BTC-USDT", 3, kRecv + 6), candle_line("BTC-USDT", 4, kRecv + 6)}))
            << cause;
        EXPECT_EQ(h.session.stats().disconnects, 1U);
    }
}

TEST(StreamLiveCandles, ADisconnectOfTheOtherEndpointLeavesCandlesAlone) {
    Harness h;
    h.candle("BTC-USDT", 0, true, kRecv);
    h.session.disconnected(h.pub, "reconnect", kRecv, "test");
    h.candle("BTC-USDT", 1, false, kRecv + 1);
    h.candle("BTC-USDT", 2, true, kRecv + 2);
    // Bar 1 from REST without a gap, then bar 2.
    EXPECT_EQ(h.lines(),
              (Lines{candle_line("BTC-USDT", 0, kRecv), candle_line("BTC-USDT", 1, kRecv + 2),
                     candle_line("BTC-USDT", 2, kRecv + 2)}));
}

TEST(StreamLiveCandles, AFailedBackfillLeavesTheGapOpenAndGoesOn) {
    Harness h;
    h.source.fail = true;
    h.candle("BTC-USDT", 0, true, kRecv);
    h.candle("BTC-USDT", 3, true, kRecv + 1);
    h.candle("BTC-USDT", 4, true, kRecv + 2);
    EXPECT_EQ(
        h.lines(),
        (Lines{candle_line("BTC-USDT", 0, kRecv), gap_line("BTC-USDT", 1, 3, "missing", kRecv + 1),
               candle_line("BTC-USDT", 3, kRecv + 1), candle_line("BTC-USDT", 4, kRecv + 2)}));
}

TEST(StreamLiveCandles, UntilStopsEveryChannelAtItsTime) {
    SessionOptions o;
    o.until = kT0 + 3 * kMin;
    Harness h(o);
    LiveSession& s = h.session;
    // Only two subscriptions: done() waits for all of them.
    Harness small(o);
    (void)small;
    h.candle("BTC-USDT", 0, true, kRecv);
    h.candle("BTC-USDT", 1, true, kRecv);
    EXPECT_FALSE(s.done());
    h.candle("BTC-USDT", 5, true, kRecv + 1); // past until: 2 is backfilled, 5 is not written
    h.candle("BTC-USDT", 6, true, kRecv + 1);
    auto l = h.lines();
    ASSERT_EQ(l.size(), 4U);
    EXPECT_EQ(l[2], gap_line("BTC-USDT", 2, 5, "missing", kRecv + 1));
    EXPECT_EQ(l[3], candle_line("BTC-USDT", 2, kRecv + 1));
    EXPECT_EQ(h.source.calls, (std::vector<std::string>{"BTC-USDT 1m 2..3"}));
    EXPECT_FALSE(s.done()); // ETH and the public channels have not got there
}

TEST(StreamLiveCandles, UntilIsDoneWhenEverySubscriptionIsThere) {
    std::ostringstream text;
    core::Output out(text);
    TableSource source;
    SessionOptions o;
    o.until = kT0 + 2 * kMin;
    LiveSession s(o, out, &source, nullptr);
    const auto b = s.add_endpoint("okx-ws-business", "ws://x/b");
    const auto p = s.add_endpoint("okx-ws-public", "ws://x/p");
    s.subscribe(b, parse_channel("candle1m"), "BTC-USDT");
    s.subscribe(p, parse_channel("trades"), "BTC-USDT");
    s.frame(b, candle_push("BTC-USDT", 0, true), kRecv);
    s.frame(b, candle_push("BTC-USDT", 1, true), kRecv);
    EXPECT_FALSE(s.done());
    s.frame(
        p,
        R"({"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"1","sz":"1","side":"buy","ts":")" +
            std::to_string(kT0 + 2 * kMin) + R"("}]})",
        kRecv);
    EXPECT_TRUE(s.done());
    s.idle();
    EXPECT_EQ(split_lines(text.str()).size(), 2U); // the trade at until is not written
}

TEST(StreamLiveCandles, HealthGoesToTheStoreAndOptionallyToStdout) {
    store::CandleRun run(":memory:", "live-test", "okx-stream", "test");
    SessionOptions o;
    o.health_out = true;
    o.latency_every_ms = 1000;
    Harness h(o, &run);
    h.session.connected(h.business, false, kRecv);
    h.candle("BTC-USDT", 0, true, kRecv);
    h.session.disconnected(h.business, "stall", kRecv + 10, "no pong within 5000 ms");
    h.session.connected(h.business, true, kRecv + 20);
    h.candle("BTC-USDT", 3, true, kRecv + 2000);
    h.session.finish();
    auto l = h.lines();
    std::vector<std::string> events;
    for (const auto& line : l) {
        auto j = nlohmann::json::parse(line);
        if (j["type"] == "health") {
            events.push_back(j["event"].get<std::string>());
        }
    }
    EXPECT_EQ(events, (std::vector<std::string>{"connect", "disconnect", "reconnect", "gap",
                                                "backfill", "latency", "latency"}));
    auto q = run.store().prepare("SELECT event, component, COALESCE(inst, ''), run_id FROM "
                                 "health ORDER BY rowid");
    std::vector<std::string> stored;
    while (q.step()) {
        stored.push_back(q.column_text(0) + " " + q.column_text(1) + " " + q.column_text(2) + " " +
                         q.column_text(3));
    }
    EXPECT_EQ(stored, (std::vector<std::string>{
                          "connect okx-ws-business  test", "disconnect okx-ws-business  test",
                          "reconnect okx-ws-business  test", "gap okx-ws-business BTC-USDT test",
                          "backfill okx-rest BTC-USDT test", "latency okx-ws-business  test",
                          "latency okx-ws-business  test"}));
    EXPECT_EQ(run.store().count_candles("BTC-USDT", "1m"), 4);
    run.close("ok", 4);
}

// --- bad frames ------------------------------------------------------------------------------

TEST(StreamLiveMalformed, EachBadFrameIsCountedOnceAndNothingIsWritten) {
    Harness h;
    const std::vector<std::string> bad = {
        "",
        "{",
        "not json",
        R"({"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[["1617321600000","1","2","0.5","1.5"]]})",
        R"({"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[["1617321600000","1","2","0.5","1.5","2","3","4","2"]]})",
        R"({"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[["1617321600000","1","0.5","2","1.5","2","3","4","1"]]})",
        R"({"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[["x","1","2","0.5","1.5","2","3","4","1"]]})",
        R"({"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[[1617321600000,"1","2","0.5","1.5","2","3","4","1"]]})",
        R"({"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[["99999999999999","1","2","0.5","1.5","2","3","4","1"]]})",
        R"({"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[["1617321600000","nan","2","0.5","1.5","2","3","4","1"]]})",
        R"({"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":{}})",
        R"({"arg":{"channel":"candle1m"},"data":[]})",
        R"({"arg":"x","data":[]})",
        R"({"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"1","sz":"1","side":"up","ts":"1"}]})",
        R"({"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","px":"1","sz":"1","side":"buy","ts":"1"}]})",
        R"({"arg":{"channel":"books5","instId":"BTC-USDT"},"data":[{"asks":[["1"]],"bids":[],"ts":"1"}]})",
        R"({"arg":{"channel":"books5","instId":"BTC-USDT"},"data":[{"asks":[],"bids":[],"ts":"-1"}]})",
        R"({"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"last":"1"}]})",
        R"({"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[1]})",
        R"({"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[]} trailing)",
        std::string(100, '[') + std::string(100, ']'),
        R"({"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[["1617321600000","1\u0031","2","0.5","1.5","2","3","4","1"]]})",
    };
    for (const auto& f : bad) {
        h.session.frame(h.business, f, kRecv);
    }
    EXPECT_TRUE(h.lines().empty());
    EXPECT_EQ(h.session.stats().malformed, bad.size());
    // Events, pongs and pushes nobody asked for are not errors.
    h.session.frame(h.business, "pong", kRecv);
    h.session.frame(h.business, fixture("ws_notice_64008_docs.json"), kRecv);
    h.session.frame(h.pub, candle_push("XRP-USDT", 0, true), kRecv);
    h.session.frame(
        h.pub,
        R"({"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","last":"1","bidPx":"","bidSz":"","askPx":"2","askSz":"1","ts":"5"}]})",
        kRecv); // no bid: skipped quietly
    EXPECT_TRUE(h.lines().empty());
    EXPECT_EQ(h.session.stats().malformed, bad.size());
}

TEST(StreamLiveMalformed, MutatedFramesNeverCrash) {
    core::Log::init("okx-stream", -1, false); // thousands of warnings otherwise
    SessionOptions o;
    o.partial = true;
    Harness h(o);
    std::vector<std::string> seeds;
    for (const char* f :
         {"ws_tickers_btc_usdt_recorded.ndjson", "ws_trades_btc_usdt_swap_recorded.ndjson",
          "ws_books5_btc_usdt_recorded.ndjson", "ws_candle1m_btc_usdt_recorded.ndjson"}) {
        for (const auto& line : split_lines(fixture(f))) {
            seeds.push_back(line);
        }
    }
    seeds.push_back(candle_push("BTC-USDT", 0, true));
    // Books: a snapshot first now and then, so the updates reach the book.
    const auto books = split_lines(fixture("ws_books_2022-05-13_recorded.ndjson"));
    seeds.insert(seeds.end(), books.begin() + 1, books.begin() + 40);
    seeds.push_back(books_push(true, kBids, kAsks, -1, 10, kSum));
    seeds.push_back(books_push(false, "[]", R"([["101","0","0","0"]])", 10, 11, 0));
    std::mt19937 rng(42);
    const std::string alphabet = "{}[]\",:0123456789.-e \\x";
    for (int round = 0; round < 20000; ++round) {
        std::string f = seeds[rng() % seeds.size()];
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits && !f.empty(); ++e) {
            const std::size_t pos = rng() % f.size();
            switch (rng() % 3) {
            case 0:
                f[pos] = alphabet[rng() % alphabet.size()];
                break;
            case 1:
                f.erase(pos, 1 + rng() % 8);
                break;
            default:
                f.insert(pos, 1, alphabet[rng() % alphabet.size()]);
                break;
            }
        }
        h.session.frame(rng() % 2 == 0 ? h.business : h.pub, f, kRecv);
        if (round % 50 == 0) {
            h.session.frame(h.pub, books_push(true, kBids, kAsks, -1, 10, kSum), kRecv);
        }
    }
    for (const auto& line : h.lines()) {
        EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
    }
    EXPECT_GT(h.session.stats().malformed, 1000U);
    core::Log::init("okx-stream", 0, false);
}

} // namespace
} // namespace okxkit::stream
