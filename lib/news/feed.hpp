// RSS and Atom documents read with libxml2 into headlines, links and dates, safely on hostile
// input; and the dates and text cleaning they need.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::news {

// One entry of a feed, its text cleaned (clean_text).
struct FeedEntry {
    std::string headline;                  // never empty
    std::string url;                       // absolute when the feed's link was; "" when none
    std::optional<std::int64_t> published; // ms since the epoch; none when absent or unreadable
};

struct ParsedFeed {
    std::string title;              // the feed's own title, cleaned; "" when it has none
    std::vector<FeedEntry> entries; // in document order
    std::size_t untitled = 0;       // entries dropped because they had no title
};

// A document that is not a feed: malformed XML (libxml2's line and message), bytes not valid
// in the declared encoding, an entity expansion past libxml2's limits, or a root element that
// is neither RSS nor Atom.
class FeedError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Parses an RSS 2.0 (also 0.9x and RSS 1.0/RDF) or Atom document. base_url resolves relative
// links (with xml:base where the feed sets it). Items: title → headline, link (Atom: the
// rel="alternate" link, else the first with an href; RSS: <link>, else a permalink <guid>) →
// url, pubDate / dc:date (RSS) or published / updated (Atom) → published.
// Safe on hostile input: no network and no external entity or DTD is ever loaded, entities are
// not substituted by the parser, libxml2's limits on entity amplification stay on (never
// XML_PARSE_HUGE), and each text field is read up to kMaxField bytes. Throws FeedError.
// O(size of the document).
ParsedFeed parse_feed(std::string_view body, std::string_view base_url);

// The most bytes of text read from one field (title, link, date); the rest is ignored.
inline constexpr std::size_t kMaxField = 16384;

// RFC 822 / RFC 2822 dates as RSS writes them: "Tue, 02 Jan 2024 15:04:05 GMT", day name
// optional, 2- or 4-digit year, seconds optional, zone +hhmm, -hhmm, UT, GMT, Z or a North
// American zone (EST ... PDT). Month and day names in any case, full or short. Returns ms since
// the epoch, or nullopt when the text is not such a date.
std::optional<std::int64_t> parse_rfc822_ms(std::string_view text);

// RFC 3339 as Atom writes it: "2024-01-02T15:04:05Z", "2024-01-02T15:04:05.250+02:00" ('t',
// 'z' or a space accepted). Returns ms since the epoch, or nullopt.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

// The text of a title as a headline: with markup, HTML tags are stripped first (a '<'
// followed by a letter, '/', '!' or '?' up to the next '>'); then HTML character references
// (&amp; &#39; &#x2019; and the common named ones) are decoded once, bytes that are not UTF-8
// become U+FFFD, and runs of white space (with no-break spaces) become one space, trimmed.
std::string clean_text(std::string_view text, bool markup);

// The host of an http(s) URL in lower case ("Feeds.Example.com:8080/x" → "feeds.example.com"),
// or "" when url has none.
std::string url_host(std::string_view url);

} // namespace okxkit::news
