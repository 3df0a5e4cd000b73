// lib/news live feeds: RSS and Atom read from strings, their dates, titles cleaned into
// headlines, hostile documents refused or defused.
#include "news/feed.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
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

} // namespace
} // namespace okxkit::news
