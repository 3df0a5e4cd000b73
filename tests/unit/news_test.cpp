// lib/news: the VADER rules checked against their arithmetic written out by hand, the crypto
// overlay on the obvious cases, symbol tags, repeat keys, recorded items and the news line.
#include "core/error.hpp"
#include "news/items.hpp"
#include "news/vader.hpp"

#include <cmath>
#include <gtest/gtest.h>

namespace okxkit::news {
namespace {

// VADER's normalisation of a sum of valences.
double norm(double s) {
    return s / std::sqrt(s * s + 15);
}

class VaderRules : public ::testing::Test {
protected:
    // A lexicon of three words, so that each expected value is plain arithmetic.
    Lexicon lex_ = Lexicon::parse("good\t1.9\nbad\t-2.5\nhorrible\t-2.5\n", "test", false);
    Vader vader_{lex_};
    double compound(std::string_view text) { return vader_.score(text).compound; }
};

TEST_F(VaderRules, OneWordIsItsValenceNormalised) {
    EXPECT_DOUBLE_EQ(compound("good"), norm(1.9));
    EXPECT_DOUBLE_EQ(compound("bad"), norm(-2.5));
    EXPECT_DOUBLE_EQ(compound("the market"), 0);
    EXPECT_DOUBLE_EQ(compound(""), 0);
}

TEST_F(VaderRules, NegationUpToThreeWordsBack) {
    EXPECT_DOUBLE_EQ(compound("not good"), norm(1.9 * -0.74));
    EXPECT_DOUBLE_EQ(compound("isn't good"), norm(1.9 * -0.74));
    EXPECT_DOUBLE_EQ(compound("not that good"), norm(1.9 * -0.74));
    EXPECT_DOUBLE_EQ(compound("not at all good"), norm(1.9 * -0.74));
    EXPECT_DOUBLE_EQ(compound("not at all really good"), norm(1.9 + 0.293)); // 4 back: no
}

TEST_F(VaderRules, BoostersAndDampenersFadeWithDistance) {
    EXPECT_DOUBLE_EQ(compound("very good"), norm(1.9 + 0.293));
    EXPECT_DOUBLE_EQ(compound("very the good"), norm(1.9 + 0.293 * 0.95));
    EXPECT_DOUBLE_EQ(compound("slightly bad"), norm(-2.5 + 0.293)); // weaker
    EXPECT_DOUBLE_EQ(compound("very"), 0);
}

TEST_F(VaderRules, CapitalsCountOnlyAmongWordsThatAreNot) {
    EXPECT_DOUBLE_EQ(compound("GOOD market"), norm(1.9 + 0.733));
    EXPECT_DOUBLE_EQ(compound("GOOD MARKET"), norm(1.9));
    EXPECT_DOUBLE_EQ(compound("VERY good market"), norm(1.9 + 0.293 + 0.733));
}

TEST_F(VaderRules, ButHalvesWhatComesBeforeAndRaisesWhatComesAfter) {
    EXPECT_DOUBLE_EQ(compound("good but bad"), norm(1.9 * 0.5 + -2.5 * 1.5));
}

TEST_F(VaderRules, LeastNegatesUnlessAtOrVeryBeforeIt) {
    EXPECT_DOUBLE_EQ(compound("least good"), norm(1.9 * -0.74));
    EXPECT_DOUBLE_EQ(compound("the least good"), norm(1.9 * -0.74));
    EXPECT_DOUBLE_EQ(compound("at least good"), norm(1.9));
}

TEST_F(VaderRules, ExclamationAndQuestionMarksAddEmphasis) {
    EXPECT_DOUBLE_EQ(compound("good!"), norm(1.9 + 0.292));
    EXPECT_DOUBLE_EQ(compound("good !!!!!!"), norm(1.9 + 4 * 0.292)); // at most four
    EXPECT_DOUBLE_EQ(compound("good!!!!!!"), 0); // "!!!!!!" is no mark VADER cuts off
    EXPECT_DOUBLE_EQ(compound("bad??"), norm(-2.5 - 2 * 0.18));
    EXPECT_DOUBLE_EQ(compound("bad ?????"), norm(-2.5 - 0.96));
    EXPECT_DOUBLE_EQ(compound("market!!!"), 0); // no sentiment to emphasise
}

TEST_F(VaderRules, IdiomsReplaceTheWord) {
    // "kiss of death": the valence of "death" (none here) becomes -1.5.
    const Lexicon lex = Lexicon::parse("death\t-2.9\n", "test", false);
    Vader v(lex);
    EXPECT_DOUBLE_EQ(v.score("the kiss of death").compound, norm(-1.5));
}

TEST_F(VaderRules, EachWordHasItsOwnContextWhenRepeated) {
    // NLTK 3.8 would score the second "good" in the context of the first (negated).
    EXPECT_DOUBLE_EQ(compound("not good, the market is good"), norm(1.9 * -0.74 + 1.9));
}

TEST_F(VaderRules, ExplainListsTheWordsThatMovedTheScore) {
    const Sentiment s = vader_.score("Not GOOD, the market is bad", true);
    ASSERT_EQ(s.terms.size(), 2U);
    EXPECT_EQ(s.terms[0].token, "good");
    EXPECT_DOUBLE_EQ(s.terms[0].valence, (1.9 + 0.733) * -0.74);
    EXPECT_EQ(s.terms[1].token, "bad");
    EXPECT_DOUBLE_EQ(s.terms[1].valence, -2.5);
    EXPECT_TRUE(vader_.score("Not GOOD").terms.empty()); // only when asked
}

TEST(VaderWords, SplitsAtWhiteSpaceAndCutsOneMarkFromAnEnd) {
    const std::vector<std::string_view> want{"Hello", "world", "(x)",  "...",
                                             ":)",    "don't", "U.S.", "‘ok’"};
    EXPECT_EQ(vader_words("Hello, world!! a (x) ... :) don't U.S. \u00A0 ‘ok’ b"), want);
    EXPECT_EQ(vader_words("?!wow wow?!?"), (std::vector<std::string_view>{"?!wow", "wow"}));
}

TEST(Lexicon, ParsesTokenTabValenceAndSaysWhereALineIsWrong) {
    const Lexicon lex = Lexicon::parse("a\t1\t0.5\t[1, 1]\n#-)\t-0.5\n", "x", false);
    ASSERT_NE(lex.find("#-)"), nullptr); // VADER's file has tokens starting with '#'
    EXPECT_DOUBLE_EQ(*lex.find("a"), 1);
    try {
        (void)Lexicon::parse("# comment\n\ngood\t1.9\nbad -2.5\n", "overlay.tsv", true);
        FAIL() << "no error";
    } catch (const core::UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("overlay.tsv:4: no tab"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW((void)Lexicon::parse("good\tvery\n", "x", true), core::UsageError);
    EXPECT_THROW((void)Lexicon::parse("good\tnan\n", "x", true), core::UsageError);
}

TEST(Lexicon, TheShippedOnesLoad) {
    EXPECT_EQ(Lexicon::vader().size(), 7503U); // 7,517 lines; a few tokens twice ("lol", "ok")
    EXPECT_GT(Lexicon::crypto_overlay().size(), 80U);
}

// The overlay must move the obvious crypto headlines the right way.
TEST(CryptoOverlay, MovesTheObviousCasesTheRightWay) {
    Vader plain(Lexicon::vader());
    Lexicon with = Lexicon::vader();
    with.overlay(Lexicon::crypto_overlay());
    Vader crypto(with);
    const auto both = [&](std::string_view h) {
        return std::pair{plain.score(h).compound, crypto.score(h).compound};
    };
    auto [p, c] = both("Major exchange hacked, hot wallets drained");
    EXPECT_LT(c, p);
    EXPECT_LT(c, -0.5);
    std::tie(p, c) = both("SEC grants ETF approval");
    EXPECT_GT(c, 0.3);
    std::tie(p, c) = both("Token delisted from the exchange");
    EXPECT_EQ(p, 0);
    EXPECT_LT(c, -0.3);
    std::tie(p, c) = both("Bitcoin price surges");
    EXPECT_EQ(p, 0);
    EXPECT_GT(c, 0.3);
    std::tie(p, c) = both("Ether plunges as liquidations mount");
    EXPECT_LT(c, -0.5);
}

TEST(Tagger, NamesTickersAndAliasesMapToTheConfiguredInstruments) {
    const Tagger t({"BTC-USDT", "ETH-USDT", "DOT-USDT", "LINK-USDT", "XRP-USDT", "SOL-USDT"},
                   {"SOL=solana", "btc=digital gold"});
    using V = std::vector<std::string>;
    EXPECT_EQ(t.symbols("Bitcoin's rally lifts Ethereum-based tokens"),
              (V{"BTC-USDT", "ETH-USDT"}));
    EXPECT_EQ(t.symbols("XBT futures and $eth options"), (V{"BTC-USDT", "ETH-USDT"}));
    EXPECT_EQ(t.symbols("Polkadot (DOT) upgrade; read the link"), (V{"DOT-USDT"}));
    EXPECT_EQ(t.symbols("LINK jumps 20%"), (V{"LINK-USDT"}));
    EXPECT_EQ(t.symbols("Solana outage; digital gold narrative"), (V{"BTC-USDT", "SOL-USDT"}));
    EXPECT_EQ(t.symbols("Bitcoin Cash and Ethereum Classic rally"), V{});
    EXPECT_EQ(t.symbols("Bitcoin beats Bitcoin Cash"), (V{"BTC-USDT"}));
    EXPECT_EQ(t.symbols("Fed raises rates; markets fall"), V{});
    EXPECT_EQ(t.symbols("Ripple wins in court"), (V{"XRP-USDT"}));
    EXPECT_THROW(Tagger({"BTC-USDT"}, {"solana"}), core::UsageError);
    EXPECT_THROW(Tagger({"BTC-USDT"}, {"SOL="}), core::UsageError);
}

TEST(RepeatKeys, HeadlineAndUrlAreEvenedOut) {
    EXPECT_EQ(headline_key("Bitcoin’s Rally — Continues!"),
              headline_key("bitcoin's rally, continues"));
    EXPECT_EQ(headline_key("  A  b "), "h:a b");
    EXPECT_NE(headline_key("Bitcoin rallies"), headline_key("Bitcoin rallied"));
    EXPECT_EQ(url_key("https://www.Example.com/a/b/?utm_source=x&id=3#top"),
              url_key("http://example.com/a/b?id=3&utm_medium=y"));
    EXPECT_EQ(url_key("https://example.com/A"), std::optional<std::string>("u:example.com/A"));
    EXPECT_EQ(url_key(" "), std::nullopt);
}

TEST(Recorded, CsvWithQuotesCommasAndNewlinesInFields) {
    std::vector<std::string> problems;
    const auto got = read_recorded(
        "Published,Headline,Link,Source\r\n"
        "2021-04-01T00:00:00Z,\"Bitcoin, \"\"digital gold\"\", rallies\",https://x/1,wire\r\n"
        "1617235500000,\"two\nlines\",,\r\n"
        "yesterday,bad time,,\r\n"
        "2021-04-01T00:10:00Z,,,\r\n"
        "2021-04-01T00:11:00Z,Caf\xe9 latin-1,,\r\n",
        "dir/h.csv", [&](std::size_t line, std::string why) {
            problems.push_back(std::to_string(line) + ": " + why);
        });
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[0].item.headline, "Bitcoin, \"digital gold\", rallies");
    EXPECT_EQ(got[0].item.published, 1617235200000);
    EXPECT_EQ(got[0].item.url, "https://x/1");
    EXPECT_EQ(got[0].item.source, "wire");
    EXPECT_FALSE(got[0].has_ts);
    EXPECT_EQ(got[1].item.headline, "two\nlines");
    EXPECT_EQ(got[1].item.source, "h.csv");
    ASSERT_EQ(problems.size(), 3U);
    EXPECT_EQ(problems[0].substr(0, 3), "5: ") << problems[0];
    EXPECT_NE(problems[0].find("\"yesterday\" is not a time"), std::string::npos);
    EXPECT_EQ(problems[1], "6: the headline is empty");
    EXPECT_EQ(problems[2].substr(0, 22), "7: not valid UTF-8 (ne") << problems[2];
    EXPECT_THROW((void)read_recorded("time,title\n1,x\n", "h.csv", [](std::size_t, std::string) {}),
                 core::UsageError);
}

TEST(Recorded, NewsLinesKeepTheirTsAndOtherLinesAreSkipped) {
    std::vector<std::size_t> bad;
    const auto got = read_recorded(
        "{\"type\":\"candle\",\"ts\":1}\n"
        "{\"type\":\"news\",\"v\":1,\"ts\":20,\"published\":10,\"headline\":\"h\",\"source\":\"s\"}"
        "\n"
        "not json\n"
        "{\"type\":\"news\",\"published\":30,\"headline\":\"g\"}\n"
        "{\"type\":\"news\",\"headline\":\"no time\"}\n",
        "rec.ndjson", [&](std::size_t line, const std::string&) { bad.push_back(line); });
    ASSERT_EQ(got.size(), 2U);
    EXPECT_TRUE(got[0].has_ts);
    EXPECT_EQ(got[0].item.ts, 20);
    EXPECT_EQ(got[0].item.published, 10);
    EXPECT_FALSE(got[1].has_ts);
    EXPECT_EQ(got[1].item.source, "rec.ndjson");
    EXPECT_EQ(bad, (std::vector<std::size_t>{3, 5}));
}

TEST(NewsLine, FieldsInOrderAndSentimentToFourDecimals) {
    Item item;
    item.ts = 1617235500000;
    item.published = 1617235200000;
    item.headline = "Bitcoin \"surges\"";
    item.source = "wire";
    item.symbols = {"BTC-USDT"};
    item.sentiment = Sentiment{0.123456, 0, 0, 0, {Term{"surges", 1.80004}}};
    std::string out;
    append_news_line(out, item, true);
    EXPECT_EQ(out, R"({"type":"news","v":1,"ts":1617235500000,"published":1617235200000,)"
                   R"("headline":"Bitcoin \"surges\"","source":"wire","symbols":["BTC-USDT"],)"
                   R"("sentiment":0.1235,"terms":[{"term":"surges","valence":1.8}]})");
    out.clear();
    item.url = "https://x/1";
    item.sentiment->compound = -0.00001;
    append_news_line(out, item, false);
    EXPECT_NE(out.find(R"("url":"https://x/1","symbols")"), std::string::npos);
    EXPECT_NE(out.find(R"("sentiment":0})"), std::string::npos) << out; // no -0
}

} // namespace
} // namespace okxkit::news
