// Unit tests for lib/okx/book: the CRC32 checksum, deltas, the seqId chain, recorded pushes.
#include "okx/book.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace okxkit::okx {
namespace {

using Result = OrderBook::Result;

std::string fixture(const std::string& path) {
    std::ifstream in(OKXKIT_SOURCE_DIR "/tests/unit/data/" + path);
    EXPECT_TRUE(in.good()) << "missing fixture " << path;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A push built from a JSON message; the level views point into the message it keeps.
struct Push {
    explicit Push(nlohmann::json message) : msg(std::move(message)) {
        const nlohmann::json& d = msg.at("data").at(0);
        push.snapshot = msg.value("action", "") == "snapshot";
        push.ts = std::stoll(d.value("ts", "0"));
        if (d.contains("seqId")) {
            push.seq_id = d["seqId"].get<std::int64_t>();
        }
        if (d.contains("prevSeqId")) {
            push.prev_seq_id = d["prevSeqId"].get<std::int64_t>();
        }
        push.checksum = d.value("checksum", 0);
        for (const auto& l : d.at("bids")) {
            bids.push_back(
                {l[0].get_ref<const std::string&>(), l[1].get_ref<const std::string&>()});
        }
        for (const auto& l : d.at("asks")) {
            asks.push_back(
                {l[0].get_ref<const std::string&>(), l[1].get_ref<const std::string&>()});
        }
        push.bids = bids;
        push.asks = asks;
    }
    nlohmann::json msg;
    std::vector<BookLevelText> bids, asks;
    BookPush push;
};

using Levels = std::vector<std::pair<std::string, std::string>>;

nlohmann::json levels_json(const Levels& levels) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& [px, sz] : levels) {
        a.push_back({px, sz, "0", "1"});
    }
    return a;
}

// A books message: snapshot or update, with seqId/prevSeqId (omitted when < -1) and checksum.
nlohmann::json message(bool snapshot, const Levels& bids, const Levels& asks, std::int64_t prev,
                       std::int64_t seq, std::int32_t checksum = 0) {
    nlohmann::json d = {{"asks", levels_json(asks)},
                        {"bids", levels_json(bids)},
                        {"ts", "1700000000000"},
                        {"checksum", checksum}};
    if (prev >= -1) {
        d["prevSeqId"] = prev;
        d["seqId"] = seq;
    }
    return {{"arg", {{"channel", "books"}, {"instId", "BTC-USDT"}}},
            {"action", snapshot ? "snapshot" : "update"},
            {"data", nlohmann::json::array({d})}};
}

Result apply_msg(OrderBook& book, const nlohmann::json& msg) {
    Push p(msg);
    return book.apply(p.push);
}

// The whole book as "px sz" strings, best first; bids then "|" then asks.
std::vector<std::string> dump(const OrderBook& book) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < book.bid_count(); ++i) {
        out.push_back(std::string(book.bid(i).px_text) + " " + std::string(book.bid(i).sz_text));
    }
    out.emplace_back("|");
    for (std::size_t i = 0; i < book.ask_count(); ++i) {
        out.push_back(std::string(book.ask(i).px_text) + " " + std::string(book.ask(i).sz_text));
    }
    return out;
}

// The standard CRC-32 check value and zlib's results for short strings.
TEST(OkxBookCrc, StandardVectors) {
    EXPECT_EQ(crc32_update(0, ""), 0U);
    EXPECT_EQ(crc32_update(0, "123456789"), 0xCBF43926U);
    EXPECT_EQ(crc32_update(0, "The quick brown fox jumps over the lazy dog"), 0x414FA339U);
    // Incremental: the same as one call over the whole text.
    EXPECT_EQ(crc32_update(crc32_update(0, "12345"), "6789"), 0xCBF43926U);
    EXPECT_EQ(book_checksum("123456789"), static_cast<std::int32_t>(0xCBF43926U));
}

// vectors_book_checksum.json: the docs' check strings (C1, C2) and the docs' 8x8 snapshot (C3).
TEST(OkxBookCrc, EveryVectorOfTheFixture) {
    const auto vectors = nlohmann::json::parse(fixture("okx/vectors_book_checksum.json"));
    ASSERT_EQ(vectors.size(), 3U);
    for (const auto& v : vectors) {
        SCOPED_TRACE(v["id"].get<std::string>());
        const auto want = v["checksum"].get<std::int32_t>();
        EXPECT_EQ(book_checksum(v["checkString"].get<std::string>()), want);
        nlohmann::json msg = {{"action", "snapshot"},
                              {"data",
                               {{{"bids", v["bids"]},
                                 {"asks", v["asks"]},
                                 {"ts", "1"},
                                 {"checksum", want},
                                 {"prevSeqId", -1},
                                 {"seqId", 1}}}}};
        OrderBook book;
        EXPECT_EQ(apply_msg(book, msg), Result::kOk) << book.why();
        EXPECT_EQ(book.check_string(), v["checkString"].get<std::string>());
        EXPECT_EQ(book.checksum(), want);
        if (v.contains("publishedChecksum")) {
            // The docs' sample claims a checksum its levels do not have: caught.
            msg["data"][0]["checksum"] = v["publishedChecksum"];
            OrderBook docs;
            EXPECT_EQ(apply_msg(docs, msg), Result::kChecksumMismatch);
            EXPECT_FALSE(docs.ready());
            EXPECT_NE(docs.why().find("-855196043"), std::string::npos) << docs.why();
        }
    }
}

// The docs' snapshot and update samples: placeholder checksums, a good seqId chain.
TEST(OkxBook, DocsSamplesChainButTheirChecksumIsAPlaceholder) {
    auto snap = nlohmann::json::parse(fixture("ws/ws_books_snapshot_docs.json"));
    auto upd = nlohmann::json::parse(fixture("ws/ws_books_update_docs.json"));
    OrderBook book;
    EXPECT_EQ(apply_msg(book, snap), Result::kChecksumMismatch);
    snap["data"][0]["checksum"] = 0;
    upd["data"][0]["checksum"] = 0;
    ASSERT_EQ(apply_msg(book, snap), Result::kOk);
    EXPECT_EQ(book.seq_id(), 123456);
    ASSERT_EQ(apply_msg(book, upd), Result::kOk) << book.why();
    EXPECT_EQ(book.seq_id(), 123457);
    EXPECT_EQ(book.bid_count(), 8U);
    EXPECT_EQ(book.ask(0).px_text, "8476.98");
    EXPECT_EQ(book.bid(0).px_text, "8476.97");
    EXPECT_EQ(book.checksum(), -2102840145);
}

// A real session (2022-05-13, three instruments, 400-level snapshot of BTC-USDT): every
// snapshot and update applies and matches OKX's checksum.
TEST(OkxBook, RecordedSessionMatchesEveryChecksum) {
    std::map<std::string, OrderBook> books;
    std::map<std::string, int> applied;
    std::istringstream in(fixture("ws/ws_books_2022-05-13_recorded.ndjson"));
    int snapshots = 0;
    int deletes = 0;
    for (std::string line; std::getline(in, line);) {
        Push p(nlohmann::json::parse(line));
        const std::string inst = p.msg["arg"]["instId"];
        ASSERT_NE(p.push.checksum, 0);
        snapshots += p.push.snapshot ? 1 : 0;
        for (const auto& l : p.asks) {
            deletes += l.sz == "0" ? 1 : 0;
        }
        const Result r = books[inst].apply(p.push);
        ASSERT_EQ(r, Result::kOk) << inst << " message " << applied[inst] << ": "
                                  << books[inst].why();
        ++applied[inst];
    }
    EXPECT_EQ(snapshots, 3);
    EXPECT_GT(deletes, 100);
    EXPECT_EQ(applied, (std::map<std::string, int>{
                           {"BTC-USD-220527", 99}, {"BTC-USDT", 98}, {"UNI-USD-SWAP", 93}}));
    for (const auto& [inst, book] : books) {
        SCOPED_TRACE(inst);
        EXPECT_FALSE(book.seq_id()); // 2022: no seqId yet
        for (std::size_t i = 1; i < book.bid_count(); ++i) {
            ASSERT_GT(book.bid(i - 1).px, book.bid(i).px);
        }
        for (std::size_t i = 1; i < book.ask_count(); ++i) {
            ASSERT_LT(book.ask(i - 1).px, book.ask(i).px);
        }
        EXPECT_LT(book.bid(0).px, book.ask(0).px);
    }
    EXPECT_EQ(books["BTC-USDT"].bid_count(), 400U);
}

// ccxt#15510: a book cut to the requested depth before the checksum fails on updates.
TEST(OkxBook, ABookCutBelow25LevelsFailsTheChecksum) {
    OrderBook cut(20);
    std::istringstream in(fixture("ws/ws_books_2022-05-13_recorded.ndjson"));
    Result last = Result::kOk;
    for (std::string line; std::getline(in, line) && last == Result::kOk;) {
        Push p(nlohmann::json::parse(line));
        if (p.msg["arg"]["instId"] == "BTC-USDT") {
            last = cut.apply(p.push);
        }
    }
    EXPECT_EQ(last, Result::kChecksumMismatch);
}

TEST(OkxBook, SnapshotThenDeltasInsertReplaceDelete) {
    OrderBook book;
    ASSERT_EQ(apply_msg(book, message(true, {{"100", "1"}, {"99.5", "2"}, {"99", "3"}},
                                      {{"101", "4"}, {"102", "5"}}, -1, 10)),
              Result::kOk);
    EXPECT_EQ(dump(book),
              (std::vector<std::string>{"100 1", "99.5 2", "99 3", "|", "101 4", "102 5"}));
    // Insert inside, on top and at the bottom; replace keeping the new text; delete; delete
    // of a price the book lacks is nothing.
    ASSERT_EQ(
        apply_msg(
            book,
            message(false,
                    {{"99.75", "7"}, {"100.5", "0.10"}, {"98", "1"}, {"99", "0"}, {"97", "0"}},
                    {{"101", "4.50"}, {"102", "0"}, {"103", "1e-3"}}, 10, 11)),
        Result::kOk)
        << book.why();
    EXPECT_EQ(dump(book), (std::vector<std::string>{"100.5 0.10", "100 1", "99.75 7", "99.5 2",
                                                    "98 1", "|", "101 4.50", "103 1e-3"}));
    EXPECT_EQ(book.check_string(), "100.5:0.10:101:4.50:100:1:103:1e-3:99.75:7:99.5:2:98:1");
    // A price written differently is the same level.
    ASSERT_EQ(apply_msg(book, message(false, {{"100.50", "0"}}, {}, 11, 12)), Result::kOk);
    EXPECT_EQ(book.bid(0).px_text, "100");
    // A snapshot replaces everything; size 0 in a snapshot is no level.
    ASSERT_EQ(apply_msg(book, message(true, {{"50", "1"}, {"49", "0"}}, {}, -1, 20)), Result::kOk);
    EXPECT_EQ(dump(book), (std::vector<std::string>{"50 1", "|"}));
}

TEST(OkxBook, SidesAreCutToTheirMostLevelsWorstFirst) {
    OrderBook book(3);
    ASSERT_EQ(apply_msg(book, message(true, {{"10", "1"}, {"9", "1"}, {"8", "1"}, {"7", "1"}},
                                      {{"11", "1"}, {"12", "1"}}, -1, 1)),
              Result::kOk);
    EXPECT_EQ(dump(book), (std::vector<std::string>{"10 1", "9 1", "8 1", "|", "11 1", "12 1"}));
    ASSERT_EQ(apply_msg(book, message(false, {{"9.5", "2"}}, {{"10.5", "1"}, {"13", "1"}}, 1, 2)),
              Result::kOk);
    EXPECT_EQ(dump(book),
              (std::vector<std::string>{"10 1", "9.5 2", "9 1", "|", "10.5 1", "11 1", "12 1"}));
}

TEST(OkxBook, UpdatesBeforeAnySnapshotAreIgnored) {
    OrderBook book;
    EXPECT_EQ(apply_msg(book, message(false, {{"1", "1"}}, {}, 5, 6)), Result::kIgnored);
    EXPECT_FALSE(book.ready());
    EXPECT_EQ(book.bid_count(), 0U);
    EXPECT_EQ(apply_msg(book, message(true, {{"1", "1"}}, {{"2", "1"}}, -1, 6)), Result::kOk);
    EXPECT_TRUE(book.ready());
}

TEST(OkxBook, ASequenceGapDropsTheBookUntilASnapshot) {
    OrderBook book;
    ASSERT_EQ(apply_msg(book, message(true, {{"1", "1"}}, {{"2", "1"}}, -1, 100)), Result::kOk);
    ASSERT_EQ(apply_msg(book, message(false, {{"1", "2"}}, {}, 100, 105)), Result::kOk);
    EXPECT_EQ(apply_msg(book, message(false, {{"1", "3"}}, {}, 106, 110)), Result::kSequenceGap);
    EXPECT_EQ(book.why(), "prevSeqId 106 does not follow seqId 105");
    EXPECT_FALSE(book.ready());
    EXPECT_EQ(book.bid_count(), 0U);
    // What follows the gap is ignored until the snapshot the resubscribe brings.
    EXPECT_EQ(apply_msg(book, message(false, {{"1", "4"}}, {}, 110, 111)), Result::kIgnored);
    ASSERT_EQ(apply_msg(book, message(true, {{"1", "5"}}, {{"2", "1"}}, -1, 111)), Result::kOk);
    EXPECT_EQ(apply_msg(book, message(false, {}, {{"2", "0"}}, 111, 112)), Result::kOk);
    // An update with levels whose seqId did not move is not in sequence either.
    EXPECT_EQ(apply_msg(book, message(false, {{"1", "6"}}, {}, 112, 112)), Result::kSequenceGap);
    // Once there was a seqId, an update without one cannot be placed: malformed, not applied.
    ASSERT_EQ(apply_msg(book, message(true, {{"1", "5"}}, {{"2", "1"}}, -1, 200)), Result::kOk);
    EXPECT_EQ(apply_msg(book, message(false, {{"1", "9"}}, {}, -2, 0)), Result::kMalformed);
    EXPECT_EQ(book.bid(0).sz_text, "5");
    EXPECT_TRUE(book.ready());
}

TEST(OkxBook, HeartbeatAndRepeatedUpdates) {
    OrderBook book;
    ASSERT_EQ(apply_msg(book, message(true, {{"1", "1"}}, {{"2", "1"}}, -1, 7)), Result::kOk);
    const std::int32_t sum = book.checksum();
    // About 60 s without change: empty levels, prevSeqId == seqId, the book's checksum.
    EXPECT_EQ(apply_msg(book, message(false, {}, {}, 7, 7, sum)), Result::kOk);
    EXPECT_EQ(apply_msg(book, message(false, {}, {}, 7, 7, sum)), Result::kOk);
    EXPECT_EQ(book.seq_id(), 7);
    ASSERT_EQ(apply_msg(book, message(false, {{"1.5", "1"}}, {}, 7, 9)), Result::kOk);
    // The same update again (a duplicated frame): nothing to do, no gap.
    EXPECT_EQ(apply_msg(book, message(false, {{"1.5", "1"}}, {}, 7, 9)), Result::kIgnored);
    EXPECT_TRUE(book.ready());
    EXPECT_EQ(apply_msg(book, message(false, {{"1.5", "2"}}, {}, 9, 10)), Result::kOk);
}

TEST(OkxBook, SeqIdGoingBackwardsIsAcceptedOnce) {
    OrderBook book;
    ASSERT_EQ(apply_msg(book, message(true, {{"1", "1"}}, {{"2", "1"}}, -1, 5000)), Result::kOk);
    // After maintenance: seqId < prevSeqId, prevSeqId still the last seqId.
    EXPECT_EQ(apply_msg(book, message(false, {{"1", "2"}}, {}, 5000, 3)), Result::kOk);
    EXPECT_EQ(book.seq_id(), 3);
    EXPECT_EQ(apply_msg(book, message(false, {{"1", "3"}}, {}, 3, 4)), Result::kOk);
    // Again later, after forward progress: accepted again.
    EXPECT_EQ(apply_msg(book, message(false, {{"1", "4"}}, {}, 4, 1)), Result::kOk);
    // But not twice in a row.
    EXPECT_EQ(apply_msg(book, message(false, {{"1", "5"}}, {}, 1, 0)), Result::kSequenceGap);
    EXPECT_EQ(book.why(), "seqId went backwards twice in a row (1 to 0)");
    // Going backwards needs prevSeqId to follow too.
    ASSERT_EQ(apply_msg(book, message(true, {{"1", "1"}}, {{"2", "1"}}, -1, 5000)), Result::kOk);
    EXPECT_EQ(apply_msg(book, message(false, {{"1", "2"}}, {}, 4999, 3)), Result::kSequenceGap);
}

TEST(OkxBook, ChecksumMismatchDropsTheBookAndZeroMeansNotProvided) {
    OrderBook book;
    ASSERT_EQ(apply_msg(book, message(true, {{"3366.1", "7"}, {"3366", "6"}},
                                      {{"3366.8", "9"}, {"3368", "8"}}, -1, 1, -1881014294)),
              Result::kOk);
    // Checksum 0 (OKX's 2026 retirement) or absent: only the seqId chain is checked.
    EXPECT_EQ(apply_msg(book, message(false, {{"3366", "0"}}, {}, 1, 2, 0)), Result::kOk);
    auto no_sum = message(false, {{"3365", "1"}}, {}, 2, 3);
    no_sum["data"][0].erase("checksum");
    EXPECT_EQ(apply_msg(book, no_sum), Result::kOk);
    const std::int32_t good = book.checksum();
    EXPECT_EQ(apply_msg(book, message(false, {}, {{"3370", "1"}}, 3, 4, good)),
              Result::kChecksumMismatch);
    EXPECT_FALSE(book.ready());
    EXPECT_NE(book.why().find("update seqId 4"), std::string::npos) << book.why();
    // Without seqIds (OKX before mid-2022) the checksum is the only check.
    ASSERT_EQ(apply_msg(book, message(true, {{"3366.1", "7"}}, {{"3366.8", "9"}, {"3368", "8"}}, -2,
                                      0, 0)),
              Result::kOk);
    EXPECT_EQ(apply_msg(book, message(false, {}, {{"3372", "8"}}, -2, 0, 831078360)), Result::kOk);
    EXPECT_EQ(apply_msg(book, message(false, {}, {{"3372", "9"}}, -2, 0, 831078360)),
              Result::kChecksumMismatch);
}

TEST(OkxBook, MalformedLevelsChangeNothing) {
    OrderBook book;
    ASSERT_EQ(apply_msg(book, message(true, {{"10", "1"}}, {{"11", "1"}}, -1, 1)), Result::kOk);
    const std::string long_text(40, '1');
    for (const Levels& bad : {Levels{{"9", "1"}, {"x", "1"}}, Levels{{"9", "-1"}},
                              Levels{{"0", "1"}}, Levels{{"", "1"}}, Levels{{"nan", "1"}},
                              Levels{{"9", long_text}}, Levels{{"1e999", "1"}}}) {
        EXPECT_EQ(apply_msg(book, message(false, bad, {}, 1, 2)), Result::kMalformed)
            << bad.back().first << " " << bad.back().second;
        EXPECT_EQ(dump(book), (std::vector<std::string>{"10 1", "|", "11 1"}));
    }
    EXPECT_EQ(apply_msg(book, message(false, {{"9", "1"}}, {}, 1, 2)), Result::kOk);
    EXPECT_EQ(result_name(Result::kChecksumMismatch), "checksum-mismatch");
    EXPECT_EQ(result_name(Result::kSequenceGap), "sequence-gap");
}

// Random deltas against a std::map model: same levels, same order, same checksum string.
TEST(OkxBook, RandomDeltasAgreeWithAMapModel) {
    std::mt19937 rng(7);
    OrderBook book(400);
    std::map<int, std::string> bids;
    std::map<int, std::string> asks;
    const auto px_text = [](int ticks) {
        std::string s = std::to_string(ticks / 10);
        if (ticks % 10 != 0) {
            s += '.';
            s += std::to_string(ticks % 10);
        }
        return s;
    };
    ASSERT_EQ(apply_msg(book, message(true, {}, {}, -1, 0)), Result::kOk);
    for (int round = 1; round <= 2000; ++round) {
        Levels b;
        Levels a;
        const int n = 1 + static_cast<int>(rng() % 12);
        for (int k = 0; k < n; ++k) {
            const bool bid = rng() % 2 == 0;
            const int ticks =
                bid ? 5000 - static_cast<int>(rng() % 300) : 5001 + static_cast<int>(rng() % 300);
            const std::string sz = rng() % 3 == 0 ? "0" : std::to_string(1 + rng() % 50);
            (bid ? b : a).emplace_back(px_text(ticks), sz);
            auto& side = bid ? bids : asks;
            if (sz == "0") {
                side.erase(ticks);
            } else {
                side[ticks] = sz;
            }
        }
        ASSERT_EQ(apply_msg(book, message(false, b, a, round - 1, round)), Result::kOk);
    }
    std::vector<std::string> want;
    want.reserve(bids.size() + 1 + asks.size());
    for (const auto& [ticks, sz] : bids) {
        want.push_back(px_text(ticks) + " " + sz);
    }
    std::reverse(want.begin(), want.end());
    want.emplace_back("|");
    for (const auto& [ticks, sz] : asks) {
        want.push_back(px_text(ticks) + " " + sz);
    }
    EXPECT_EQ(dump(book), want);
    EXPECT_GT(book.bid_count(), 100U);
}

} // namespace
} // namespace okxkit::okx
