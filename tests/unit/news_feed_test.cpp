// lib/news live feeds: RSS and Atom read from strings, their dates, titles cleaned into
// headlines, hostile documents refused or defused, the store's memory of seen items, the
// --record line read back by --replay, and the polling loop on an injected clock.
#include "core/error.hpp"
#include "core/signals.hpp"
#include "news/feed.hpp"
#include "news/items.hpp"
#include "news/live.hpp"
#include "store/store.hpp"

#include <arpa/inet.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace okxkit::news {
namespace {

namespace fs = std::filesystem;

std::int64_t utc(const char* iso) {
    return *parse_rfc3339_ms(iso);
}

std::string feed_error(std::string_view doc) {
    try {
        parse_feed(doc, "http://feeds.test/x.xml");
    } catch (const FeedError& e) {
        return e.what();
    }
    return "(parsed)";
}

// --- RSS ---------------------------------------------------------------------------------

constexpr std::string_view kRss = R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Test &amp; Wire</title>
    <item>
      <title>  Bitcoin   tops
         $50k  </title>
      <link>https://wire.test/a</link>
      <pubDate>Mon, 01 Jan 2024 12:00:00 GMT</pubDate>
    </item>
    <item>
      <title><![CDATA[Ether <b>slips</b> as <i>fees</i> rise]]></title>
      <link>/relative/b</link>
      <pubDate>not a date</pubDate>
    </item>
    <item>
      <title>Caf&#233; accepts &amp;amp; pays in &#x20BF;</title>
      <guid>https://wire.test/c</guid>
    </item>
    <item>
      <title>Guid that is no link</title>
      <guid isPermaLink="false">https://wire.test/d</guid>
    </item>
    <item><description>no title</description></item>
  </channel>
</rss>
)";

TEST(NewsFeedRss, ItemsWithTitleLinkAndDateInDocumentOrder) {
    const ParsedFeed f = parse_feed(kRss, "http://feeds.test/rss.xml");
    EXPECT_EQ(f.title, "Test & Wire");
    ASSERT_EQ(f.entries.size(), 4U);
    EXPECT_EQ(f.untitled, 1U);
    EXPECT_EQ(f.entries[0].headline, "Bitcoin tops $50k");
    EXPECT_EQ(f.entries[0].url, "https://wire.test/a");
    EXPECT_EQ(f.entries[0].published, utc("2024-01-01T12:00:00Z"));
    // Markup in CDATA stripped without splitting words; an unreadable date is no date; a
    // relative link resolved against the feed's URL.
    EXPECT_EQ(f.entries[1].headline, "Ether slips as fees rise");
    EXPECT_FALSE(f.entries[1].published.has_value());
    EXPECT_EQ(f.entries[1].url, "http://feeds.test/relative/b");
    // Character references decoded once more after XML's own (feeds escape twice).
    EXPECT_EQ(f.entries[2].headline, "Caf\xC3\xA9 accepts & pays in \xE2\x82\xBF");
    EXPECT_EQ(f.entries[2].url, "https://wire.test/c"); // a permalink guid
    EXPECT_EQ(f.entries[3].url, "");                    // isPermaLink="false"
}

TEST(NewsFeedRss, RdfItemsBesideTheChannelWithDublinCoreDates) {
    const ParsedFeed f = parse_feed(R"(<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.test/"><title>RDF Wire</title></channel>
  <item rdf:about="https://rdf.test/1"><title>Litecoin upgrade ships</title>
    <link>https://rdf.test/1</link><dc:date>2024-03-04T05:06:07+02:00</dc:date></item>
</rdf:RDF>)",
                                    "https://rdf.test/feed");
    EXPECT_EQ(f.title, "RDF Wire");
    ASSERT_EQ(f.entries.size(), 1U);
    EXPECT_EQ(f.entries[0].headline, "Litecoin upgrade ships");
    EXPECT_EQ(f.entries[0].published, utc("2024-03-04T03:06:07Z"));
}

// --- Atom --------------------------------------------------------------------------------

constexpr std::string_view kAtom = R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.test/base/">
  <title type="html">Atom &lt;b&gt;Wire&lt;/b&gt;</title>
  <entry>
    <title type="html">Cardano &lt;em&gt;jumps&lt;/em&gt; 5&amp;#37;</title>
    <link rel="self" href="https://atom.test/api/1"/>
    <link rel="alternate" href="posts/1"/>
    <published>2024-01-02T03:04:05.250Z</published>
    <updated>2024-02-02T00:00:00Z</updated>
  </entry>
  <entry>
    <title>Is BTC &lt;b&gt; or &lt; 1?</title>
    <link rel="enclosure" href="https://atom.test/audio.mp3"/>
    <updated>2024-01-02T03:04:05-05:00</updated>
  </entry>
  <entry>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Polkadot <b>parachain</b> news</div></title>
    <link href="https://atom.test/3"/>
  </entry>
</feed>
)";

TEST(NewsFeedAtom, EntriesWithAlternateLinksAndPublishedOrUpdated) {
    const ParsedFeed f = parse_feed(kAtom, "https://atom.test/feed.atom");
    EXPECT_EQ(f.title, "Atom Wire");
    ASSERT_EQ(f.entries.size(), 3U);
    EXPECT_EQ(f.entries[0].headline, "Cardano jumps 5%");
    EXPECT_EQ(f.entries[0].url, "https://atom.test/base/posts/1"); // xml:base
    EXPECT_EQ(f.entries[0].published, utc("2024-01-02T03:04:05.250Z"));
    // type="text" (the default) is plain text: nothing stripped or decoded twice. Without an
    // alternate link, the first link's href.
    EXPECT_EQ(f.entries[1].headline, "Is BTC <b> or < 1?");
    EXPECT_EQ(f.entries[1].url, "https://atom.test/audio.mp3");
    EXPECT_EQ(f.entries[1].published, utc("2024-01-02T08:04:05Z"));
    EXPECT_EQ(f.entries[2].headline, "Polkadot parachain news");
    EXPECT_FALSE(f.entries[2].published.has_value());
}

// --- dates -------------------------------------------------------------------------------

TEST(NewsFeedDates, Rfc822AsFeedsWriteIt) {
    const std::int64_t noon = utc("2024-01-02T12:00:00Z");
    EXPECT_EQ(parse_rfc822_ms("Tue, 02 Jan 2024 12:00:00 GMT"), noon);
    EXPECT_EQ(parse_rfc822_ms("02 Jan 2024 12:00:00 +0000"), noon);
    EXPECT_EQ(parse_rfc822_ms("Tue, 2 jan 2024 14:00:00 +0200"), noon);
    EXPECT_EQ(parse_rfc822_ms("Tuesday, 02 January 2024 07:00 EST"), noon);
    EXPECT_EQ(parse_rfc822_ms("Tue, 02 Jan 24 04:00:00 PST"), noon);
    EXPECT_EQ(parse_rfc822_ms("Tue, 02 Jan 2024 17:30:00 +05:30"), noon);
    EXPECT_EQ(parse_rfc822_ms("Tue, 02 Jan 2024 12:00:00"), noon); // no zone: UTC
    EXPECT_EQ(parse_rfc822_ms("Thu, 29 Feb 2024 00:00:00 UT"), utc("2024-02-29T00:00:00Z"));
    for (const char* bad : {"", "yesterday", "Fri, 30 Feb 2024 00:00:00 GMT",
                            "Tue, 02 Foo 2024 12:00:00 GMT", "Tue, 02 Jan 2024 25:00:00 GMT",
                            "Tue, 02 Jan 2024 12:00:00 XYZ", "2024-01-02T12:00:00Z"}) {
        EXPECT_FALSE(parse_rfc822_ms(bad).has_value()) << bad;
    }
}

TEST(NewsFeedDates, Rfc3339AsAtomWritesIt) {
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:01Z"), 1000);
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01t00:00:01.5z"), 1500);
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01 01:00:01.123456+01:00"), 1123);
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00-05:00"), 5 * 3'600'000);
    for (const char* bad : {"", "2024-01-02", "2024-01-02T12:00:00", "2024-13-02T12:00:00Z",
                            "2024-01-02T12:00:00.Z", "2024-01-02T12:00:00+1"}) {
        EXPECT_FALSE(parse_rfc3339_ms(bad).has_value()) << bad;
    }
}

// --- text --------------------------------------------------------------------------------

TEST(NewsFeedText, MarkupStrippedReferencesDecodedOnceSpacesEvened) {
    EXPECT_EQ(clean_text("<p>BTC</p><p>ETH</p>", true), "BTC ETH");
    EXPECT_EQ(clean_text("<b>Bit</b>coin <!-- note --> up", true), "Bitcoin up");
    EXPECT_EQ(clean_text("x < y and y > z", true), "x < y and y > z");
    EXPECT_EQ(clean_text("&amp;lt;b&amp;gt;", true), "&lt;b&gt;"); // once, not twice
    EXPECT_EQ(clean_text("it&#8217;s &ldquo;up&rdquo;&nbsp;&hellip;", true),
              "it\xE2\x80\x99s \xE2\x80\x9Cup\xE2\x80\x9D \xE2\x80\xA6");
    EXPECT_EQ(clean_text("&nosuch; & &#; &#xZZ;", true), "&nosuch; & &#; &#xZZ;");
    EXPECT_EQ(clean_text("&#0;&#xD800;&#9999999;", true), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(clean_text("&#000000000000065;", true), "&#000000000000065;"); // too long to be one
    EXPECT_EQ(clean_text("<b>kept</b> &amp;", false), "<b>kept</b> &amp;");
    EXPECT_EQ(clean_text("\t a \r\n\xC2\xA0 b\x01", false), "a b");
    EXPECT_EQ(clean_text("bad \xFF\xC3 utf8", false), "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8");
}

TEST(NewsFeedText, UrlHost) {
    EXPECT_EQ(url_host("https://Feeds.Example.COM:8443/rss?x=1"), "feeds.example.com");
    EXPECT_EQ(url_host("http://user:pw@host.test"), "host.test");
    EXPECT_EQ(url_host("http://[::1]:8080/x"), "[::1]");
    EXPECT_EQ(url_host("no-scheme.test/x"), "");
}

// --- hostile documents -------------------------------------------------------------------

TEST(NewsFeedHostile, MalformedXmlNamesTheLineAndLibxml2sMessage) {
    const std::string e = feed_error("<rss>\n<channel>\n<title>x</titl>\n</channel>\n</rss>");
    EXPECT_NE(e.find("malformed XML at line 3: "), std::string::npos) << e;
    EXPECT_NE(e.find("mismatch"), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    EXPECT_NE(feed_error("").find("malformed XML"), std::string::npos);
    EXPECT_EQ(feed_error("<html><body/></html>"),
              "not an RSS or Atom feed: the root element is <html>");
}

TEST(NewsFeedHostile, EntityExpansionBombsAreRefused) {
    std::string doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY l0 \"lol\">\n";
    for (int k = 1; k <= 9; ++k) {
        doc += "<!ENTITY l" + std::to_string(k) + " \"";
        for (int r = 0; r < 10; ++r) {
            doc += "&l" + std::to_string(k - 1) + ";";
        }
        doc += "\">\n";
    }
    doc += "]>\n<rss><channel><item><title>&l9;</title></item></channel></rss>";
    const std::string e = feed_error(doc);
    EXPECT_NE(e.find("malformed XML at line"), std::string::npos) << e;
}

TEST(NewsFeedHostile, SmallInternalEntitiesStillRead) {
    const ParsedFeed f = parse_feed(R"(<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY coin "Bitcoin"><!ENTITY two "&coin; and &coin;">]>
<rss><channel><item><title>&two; rise</title></item></channel></rss>)",
                                    "http://feeds.test/");
    ASSERT_EQ(f.entries.size(), 1U);
    EXPECT_EQ(f.entries[0].headline, "Bitcoin and Bitcoin rise");
}

TEST(NewsFeedHostile, ExternalEntitiesAndDtdsAreNeverLoaded) {
    const fs::path secret =
        fs::temp_directory_path() / ("okxkit-news-secret-" + std::to_string(::getpid()) + ".txt");
    { std::ofstream(secret) << "TOPSECRET"; }
    const std::string doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE rss SYSTEM \"file://" +
                            secret.string() + "\" [<!ENTITY s SYSTEM \"file://" + secret.string() +
                            "\">]>\n<rss><channel><item><title>a &s; b</title></item>"
                            "</channel></rss>";
    const ParsedFeed f = parse_feed(doc, "http://feeds.test/");
    fs::remove(secret);
    ASSERT_EQ(f.entries.size(), 1U);
    EXPECT_EQ(f.entries[0].headline, "a b");
}

TEST(NewsFeedHostile, BytesNotInTheDeclaredEncodingAreRefused) {
    const std::string e = feed_error("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                     "<rss><channel><title>caf\xE9</title></channel></rss>");
    EXPECT_NE(e.find("malformed XML at line 2"), std::string::npos) << e;
    EXPECT_NE(e.find("UTF-8"), std::string::npos) << e;
    EXPECT_NE(feed_error("<?xml version=\"1.0\" encoding=\"x-no-such\"?><rss/>").find("x-no-such"),
              std::string::npos);
    // Declared Latin-1 and written so: read, and written out as UTF-8.
    const ParsedFeed f = parse_feed("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
                                    "<rss><channel><item><title>caf\xE9</title></item>"
                                    "</channel></rss>",
                                    "http://feeds.test/");
    ASSERT_EQ(f.entries.size(), 1U);
    EXPECT_EQ(f.entries[0].headline, "caf\xC3\xA9");
}

TEST(NewsFeedHostile, AHugeTitleIsCutAtACharacterBoundary) {
    std::string title;
    while (title.size() < 3 * kMaxField) {
        title += "\xE2\x82\xBF"; // three bytes: the cut falls inside one
    }
    const ParsedFeed f =
        parse_feed("<rss><channel><item><title>" + title + "</title></item></channel></rss>",
                   "http://feeds.test/");
    ASSERT_EQ(f.entries.size(), 1U);
    const std::string& h = f.entries[0].headline;
    EXPECT_LE(h.size(), kMaxField);
    EXPECT_GT(h.size(), kMaxField - 3);
    EXPECT_EQ(h.size() % 3, 0U);
    EXPECT_EQ(h.find("\xEF\xBF\xBD"), std::string::npos);
}

// --- the store's memory ------------------------------------------------------------------

class NewsSeen : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() /
               ("okxkit-news-feed-test-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    [[nodiscard]] std::string db() const { return (dir_ / "store.db").string(); }

    static ParsedFeed feed(std::vector<FeedEntry> entries, std::string title = "Wire") {
        ParsedFeed f;
        f.title = std::move(title);
        f.entries = std::move(entries);
        return f;
    }

    fs::path dir_;
};

TEST_F(NewsSeen, NewItemsOldestFirstThenNoneAfterARestart) {
    const ParsedFeed f = feed({{"Third", "https://w.test/3", 3000},
                               {"Undated", "https://w.test/u", std::nullopt},
                               {"First", "https://w.test/1", 1000},
                               {"Second", "", 2000}});
    {
        store::Store st(db());
        SeenItems seen(st);
        std::uint64_t repeats = 0;
        const std::vector<Item> items = new_items(f, "https://w.test/rss", 42, seen, repeats);
        ASSERT_EQ(items.size(), 4U);
        EXPECT_EQ(items[0].headline, "First");
        EXPECT_EQ(items[1].headline, "Second");
        EXPECT_EQ(items[2].headline, "Third");
        EXPECT_EQ(items[3].headline, "Undated");
        EXPECT_EQ(items[1].url, "");
        for (const Item& i : items) {
            EXPECT_EQ(i.ts, 42);
            EXPECT_EQ(i.source, "Wire");
        }
        EXPECT_EQ(repeats, 0U);
    }
    store::Store st(db()); // a new process on the same store
    SeenItems seen(st);
    std::uint64_t repeats = 0;
    EXPECT_TRUE(new_items(f, "https://w.test/rss", 99, seen, repeats).empty());
    EXPECT_EQ(repeats, 4U);
    store::Statement q = st.prepare("SELECT first_seen, headline, url, source, feed FROM "
                                    "news_seen WHERE key = ?1");
    q.bind(1, headline_key("First"));
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.column_int(0), 42);
    EXPECT_EQ(q.column_text(1), "First");
    EXPECT_EQ(q.column_text(2), "https://w.test/1");
    EXPECT_EQ(q.column_text(3), "Wire");
    EXPECT_EQ(q.column_text(4), "https://w.test/rss");
}

TEST_F(NewsSeen, ARepeatByHeadlineOrByUrlAcrossFeeds) {
    store::Store st(db());
    SeenItems seen(st);
    std::uint64_t repeats = 0;
    ASSERT_EQ(new_items(feed({{"Bitcoin hits a record", "https://a.test/btc", 1}}),
                        "https://a.test/f", 1, seen, repeats)
                  .size(),
              1U);
    // The same URL (www., utm_*, trailing '/') under another title, and the same title (other
    // case and punctuation) under another URL: both repeats. A feed without a title: its host.
    const std::vector<Item> items =
        new_items(feed({{"Record for bitcoin", "https://www.a.test/btc/?utm_source=x", 2},
                        {"BITCOIN hits a record!", "https://b.test/other", 3},
                        {"Ether too", "https://b.test/eth", 4}},
                       ""),
                  "https://B.test:8080/feed", 5, seen, repeats);
    ASSERT_EQ(items.size(), 1U);
    EXPECT_EQ(items[0].headline, "Ether too");
    EXPECT_EQ(items[0].source, "b.test");
    EXPECT_EQ(repeats, 2U);
}

TEST_F(NewsSeen, ValidatorsKeptAcrossRunsAndNotForgottenBy304s) {
    {
        store::Store st(db());
        SeenItems seen(st);
        EXPECT_EQ(seen.validators("https://a.test/f").etag, "");
        seen.answered("https://a.test/f", SeenItems::Validators{"\"v1\"", "Tue, 02 Jan 2024"}, 10,
                      3);
        seen.answered("https://a.test/f", std::nullopt, 20, 0); // a 304
    }
    store::Store st(db());
    SeenItems seen(st);
    const SeenItems::Validators v = seen.validators("https://a.test/f");
    EXPECT_EQ(v.etag, "\"v1\"");
    EXPECT_EQ(v.last_modified, "Tue, 02 Jan 2024");
    store::Statement q = st.prepare("SELECT polled, items FROM news_feeds");
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.column_int(0), 20);
    EXPECT_EQ(q.column_int(1), 3);
}

TEST_F(NewsSeen, WhatAFeedStillCarriesIsKeptWhatNoFeedCarriesIsForgottenThenNewAgain) {
    store::Store st(db());
    SeenItems seen(st);
    std::uint64_t repeats = 0;
    const std::string a = "https://a.test/rss";
    const std::string b = "https://b.test/rss";
    ASSERT_EQ(new_items(feed({{"Kept", "https://a.test/k", 1}, {"Dropped", "https://a.test/d", 2}}),
                        a, 1000, seen, repeats)
                  .size(),
              2U);
    ASSERT_EQ(
        new_items(feed({{"Also on b", "https://b.test/x", 3}}), b, 1000, seen, repeats).size(), 1U);
    // At 5000, feed a lists Kept but no longer Dropped; feed b answers 304 (it still carries
    // what it brought).
    EXPECT_TRUE(new_items(feed({{"Kept", "https://a.test/k", 1}}), a, 5000, seen, repeats).empty());
    EXPECT_EQ(repeats, 1U);
    seen.carried_all(b, 5000);
    const auto last_seen = [&](const std::string& key) {
        store::Statement q = st.prepare("SELECT last_seen FROM news_seen WHERE key = ?1");
        q.bind(1, key);
        return q.step() ? q.column_int(0) : -1;
    };
    EXPECT_EQ(last_seen(headline_key("Kept")), 5000);
    EXPECT_EQ(last_seen(*url_key("https://a.test/k")), 5000);
    EXPECT_EQ(last_seen(headline_key("Also on b")), 5000);
    EXPECT_EQ(last_seen(headline_key("Dropped")), 1000);
    // A repeat under its URL only (another title) also says the item is still carried, and an
    // earlier time never moves last_seen back.
    EXPECT_TRUE(new_items(feed({{"Kept, retitled", "https://a.test/k", 1}}), a, 6000, seen, repeats)
                    .empty());
    EXPECT_EQ(last_seen(*url_key("https://a.test/k")), 6000);
    EXPECT_TRUE(new_items(feed({{"Kept", "", 1}}), a, 4000, seen, repeats).empty());
    EXPECT_EQ(last_seen(headline_key("Kept")), 5000);

    EXPECT_EQ(seen.forget(1000), 0); // strictly before
    EXPECT_EQ(seen.forget(5000), 2); // Dropped's headline and URL keys
    EXPECT_EQ(last_seen(headline_key("Dropped")), -1);
    EXPECT_EQ(last_seen(headline_key("Kept")), 5000);
    // Forgotten: new when a feed brings it again; the others are still repeats.
    repeats = 0;
    const std::vector<Item> again =
        new_items(feed({{"Dropped", "https://a.test/d", 2}, {"Kept", "https://a.test/k", 1}}), a,
                  7000, seen, repeats);
    ASSERT_EQ(again.size(), 1U);
    EXPECT_EQ(again[0].headline, "Dropped");
    EXPECT_EQ(repeats, 1U);
    EXPECT_EQ(last_seen(headline_key("Dropped")), 7000);
}

// --- --record and --replay ---------------------------------------------------------------

TEST(NewsRecord, TheRecordLineReadsBackAsTheSameItem) {
    Item a;
    a.ts = 1'700'000'000'123;
    a.published = 1'699'999'000'000;
    a.headline = "Quote \" backslash \\ caf\xC3\xA9 \xE2\x82\xBF";
    a.source = "Wire";
    a.url = "https://w.test/a?x=1&y=2";
    Item b;
    b.ts = 1'700'000'000'124;
    b.headline = "No date, no link";
    b.source = "w.test";
    std::string text;
    for (const Item* i : {&a, &b}) {
        append_record_line(text, *i);
        text += '\n';
    }
    EXPECT_EQ(text.find("symbols"), std::string::npos);
    const std::vector<Recorded> back = read_recorded(
        text, "rec.ndjson", [](std::size_t, const std::string& why) { ADD_FAILURE() << why; });
    ASSERT_EQ(back.size(), 2U);
    for (std::size_t k = 0; k < 2; ++k) {
        const Item& want = k == 0 ? a : b;
        const Item& got = back[k].item;
        EXPECT_TRUE(back[k].has_ts);
        EXPECT_EQ(got.ts, want.ts);
        EXPECT_EQ(got.published, want.published);
        EXPECT_EQ(got.headline, want.headline);
        EXPECT_EQ(got.source, want.source);
        EXPECT_EQ(got.url, want.url);
    }
}

// --- the polling loop --------------------------------------------------------------------

// Each read moves time on by a minute, so that every wait is over at once.
class LeapingClock final : public Clock {
public:
    std::int64_t wall_ms() override { return wall_ += 60'000; }
    std::int64_t steady_ms() override { return steady_ += 60'000; }

private:
    std::int64_t wall_ = 1'700'000'000'000;
    std::int64_t steady_ = 0;
};

// A port on 127.0.0.1 that nothing listens on.
int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

TEST_F(NewsSeen, AFeedThatNeverAnswersIsTriedEachRoundThenUnavailable) {
    core::reset_pending_signal();
    store::Store st(db());
    LeapingClock clock;
    LiveOptions o;
    o.feeds = {"http://127.0.0.1:" + std::to_string(closed_port()) + "/rss"};
    o.rounds = 3;
    o.every_ms = 1000;
    LiveStats stats;
    int emitted = 0;
    try {
        poll_feeds(
            o, st, clock, [&](Item&) { ++emitted; }, [] {}, stats);
        ADD_FAILURE() << "no exception";
    } catch (const core::Error& e) {
        EXPECT_EQ(e.code(), core::Exit::kUnavailable);
    }
    EXPECT_EQ(stats.requests, 3U);
    EXPECT_EQ(stats.failed, 3U);
    EXPECT_EQ(stats.answered, 0U);
    EXPECT_EQ(emitted, 0);
}

TEST(NewsDurations, AsTheOptionsWriteThem) {
    EXPECT_EQ(duration_text(500), "500ms");
    EXPECT_EQ(duration_text(1500), "1.5s");
    EXPECT_EQ(duration_text(30'000), "30s");
    EXPECT_EQ(duration_text(300'000), "5m");
    EXPECT_EQ(duration_text(5'400'000), "1h30m");
}

} // namespace
} // namespace okxkit::news
