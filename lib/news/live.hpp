// Live feeds: RSS and Atom polled over HTTP (conditional GETs, backoff, one request at a time
// per host), and the store's memory of what they brought.
#pragma once

#include "news/feed.hpp"
#include "news/items.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::news {

// The clocks of a live run: wall time stamps an item's ts (the moment it was first seen, which
// is its event time), steady time paces the polls. Tests pass their own.
class Clock {
public:
    Clock() = default;
    virtual ~Clock() = default;
    Clock(const Clock&) = delete;
    Clock& operator=(const Clock&) = delete;
    Clock(Clock&&) = delete;
    Clock& operator=(Clock&&) = delete;
    virtual std::int64_t wall_ms() = 0;   // ms since the epoch
    virtual std::int64_t steady_ms() = 0; // monotonic ms
};

// The system's clocks.
Clock& system_clock();

// What live feeds brought, as the store keeps it (tables news_seen and news_feeds): the keys
// of every item seen (items.hpp), and each feed's last validators. Writes go to the store's
// open transaction when there is one.
class SeenItems {
public:
    explicit SeenItems(store::Store& store);

    // Whether item is new: neither its headline key nor its URL key was seen, by this run or
    // an earlier one. When new, its keys are remembered (first_seen = last_seen = item.ts);
    // when not, the known keys' last_seen moves on to item.ts (a feed still carries it).
    // O(log n).
    bool admit(const Item& item, std::string_view feed_url);

    // A 304 from feed_url: every item it brought is still carried (last_seen = at_ms).
    void carried_all(std::string_view feed_url, std::int64_t at_ms);

    // Forgets the items that no feed has carried since before_ms (last_seen < before_ms): a
    // feed that brings one again makes it new. Returns how many keys were deleted.
    std::int64_t forget(std::int64_t before_ms);

    // The validators a feed sent with its last 200 ("" when none).
    struct Validators {
        std::string etag;
        std::string last_modified;
    };
    Validators validators(std::string_view feed_url);
    // Records a feed's answer: its validators (on a 200; on a 304 pass nullopt to keep them),
    // when it answered, and how many new items it brought.
    void answered(std::string_view feed_url, const std::optional<Validators>& validators,
                  std::int64_t at_ms, std::int64_t new_items);

private:
    bool known(const std::string& key);
    store::Store& store_;
    store::Statement find_;
    store::Statement insert_;
    store::Statement touch_;
};

// The new items of a parsed feed, oldest published first (items without a date after, in
// document order), each stamped ts, source = the feed's title or else its host, and admitted
// through seen; repeats counts the others. Symbols and sentiment are left for the caller.
std::vector<Item> new_items(const ParsedFeed& feed, std::string_view feed_url, std::int64_t ts,
                            SeenItems& seen, std::uint64_t& repeats);

struct LiveOptions {
    std::vector<std::string> feeds;             // http(s) URLs
    std::int64_t every_ms = 300'000;            // between two polls of a feed that answered
    std::int64_t connect_timeout_ms = 10'000;   // to set up a connection
    std::int64_t timeout_ms = 30'000;           // for a whole request
    std::int64_t host_gap_ms = 1000;            // from one answer of a host to the next request
    std::int64_t max_bytes = 10'485'760;        // largest answer read (after decompression)
    std::int64_t max_backoff_ms = 3'600'000;    // longest wait after errors
    std::int64_t forget_ms = 90LL * 86'400'000; // items no feed carried for this long are
                                                // forgotten
    int rounds = 0;                             // polls of each feed before returning; 0: until
                                                // stopped
};

struct LiveStats {
    std::uint64_t requests = 0;
    std::uint64_t answered = 0;     // 200 with a feed that parsed, or 304
    std::uint64_t not_modified = 0; // 304
    std::uint64_t failed = 0;       // errors of any kind (network, HTTP, size, XML)
    std::uint64_t items = 0;        // new items emitted
    std::uint64_t repeats = 0;      // items dropped as seen before
    std::uint64_t forgotten = 0;    // keys of items no feed carried for forget_ms, deleted
};

// Polls options.feeds until stopped (SIGINT/SIGTERM) or, with options.rounds, until each feed
// was polled that many times. Each feed: every_ms after an answer, and after an error
// every_ms × 2^errors (at most max_backoff_ms, at least a Retry-After) until it answers again.
// At most one request is in flight per host, and the next one to that host starts host_gap_ms
// after the answer. A conditional GET (If-None-Match, If-Modified-Since) when the feed sent
// validators, also in an earlier run; a 304 costs nothing. Answers bigger than max_bytes are
// abandoned when the limit is reached. A failed poll (network, timeout, HTTP status, size, XML)
// is one warning naming the feed; the others go on. For each answer, its new items are
// remembered in the store (one transaction) and then passed to emit, in order; after them
// batch_done() is called (the caller flushes there). Once every feed has answered in this
// run (so that each item still carried was marked so), and then at most once a day, the items
// no feed carried for forget_ms are forgotten (stats.forgotten keys); a run in which a feed
// never answers forgets nothing. Returns 0, or 130/143 when interrupted.
// Throws core::Error with exit 5 when rounds were given and no poll was answered.
int poll_feeds(const LiveOptions& options, store::Store& store, Clock& clock,
               const std::function<void(Item&)>& emit, const std::function<void()>& batch_done,
               LiveStats& stats);

// Appends the line --record writes for item (without newline): a news line with only what the
// feed said and when it was seen (type, v, ts, published, headline, source, url), which
// `news --replay` reads back into the same item.
void append_record_line(std::string& out, const Item& item);

// A duration as the options write it: "500ms", "30s", "5m", "1h30m".
std::string duration_text(std::int64_t ms);

} // namespace okxkit::news
