// Live feeds: the libcurl multi loop that polls RSS and Atom politely, and the store's memory
// of the items they brought.
#include "news/live.hpp"

#include "core/error.hpp"
#include "core/json_out.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"

#include <algorithm>
#include <chrono>
#include <curl/curl.h>
#include <map>
#include <memory>
#include <sqlite3.h>

namespace okxkit::news {

namespace {

class SystemClock final : public Clock {
public:
    std::int64_t wall_ms() override {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
    std::int64_t steady_ms() override {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
};

// The longest a server's Retry-After is honoured.
constexpr std::int64_t kMaxRetryAfterMs = 24 * 3'600'000LL;
// How often a long run forgets the items no feed carries any more.
constexpr std::int64_t kForgetEveryMs = 86'400'000;
// How long the loop sleeps at most, so that it notices SIGINT/SIGTERM soon.
constexpr std::int64_t kTickMs = 100;

constexpr const char* kAccept =
    "Accept: application/rss+xml, application/atom+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.1";

// One feed's polling state and its transfer.
struct Feed {
    std::string url;
    std::string host;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string body;
    std::size_t cap = 0;
    bool too_big = false;
    char error[CURL_ERROR_SIZE] = {};
    SeenItems::Validators validators;
    int errors = 0; // in a row
    int polls = 0;
    std::int64_t due = 0; // steady ms
    bool busy = false;
    bool answered = false; // at least once in this run

    Feed() = default;
    Feed(const Feed&) = delete;
    Feed& operator=(const Feed&) = delete;
    Feed(Feed&&) = delete;
    Feed& operator=(Feed&&) = delete;
    ~Feed() {
        curl_slist_free_all(headers);
        if (easy != nullptr) {
            curl_easy_cleanup(easy);
        }
    }
};

struct Host {
    bool busy = false;
    std::int64_t ready = 0; // steady ms: no request to it before
};

extern "C" size_t feed_body(char* data, size_t size, size_t n, void* user) {
    auto* f = static_cast<Feed*>(user);
    const std::size_t len = size * n;
    // Refused as soon as it passes the cap: never more than the cap in memory. Returning less
    // than len makes libcurl end the transfer with CURLE_WRITE_ERROR.
    if (f->body.size() + len > f->cap) {
        f->too_big = true;
        return 0;
    }
    f->body.append(data, len);
    return len;
}

// Lets a transfer notice SIGINT/SIGTERM.
extern "C" int feed_progress(void* /*user*/, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/,
                             curl_off_t /*ultotal*/, curl_off_t /*ulnow*/) {
    return core::interrupted() ? 1 : 0;
}

struct CurlGlobal {
    CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
    ~CurlGlobal() { curl_global_cleanup(); }
    CurlGlobal(const CurlGlobal&) = delete;
    CurlGlobal& operator=(const CurlGlobal&) = delete;
    CurlGlobal(CurlGlobal&&) = delete;
    CurlGlobal& operator=(CurlGlobal&&) = delete;
};

struct MultiFree {
    void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};

// A validator as the server sent it, fit to send back: no control characters, bounded.
std::string header_value(CURL* easy, const char* name) {
    curl_header* h = nullptr;
    if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == nullptr ||
        h->value == nullptr) {
        return {};
    }
    std::string v(h->value);
    if (v.size() > 1024 || std::any_of(v.begin(), v.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
        })) {
        return {};
    }
    return v;
}

void setup(Feed& f, const LiveOptions& o) {
    f.easy = curl_easy_init();
    if (f.easy == nullptr) {
        throw core::RuntimeError("news: cannot initialise libcurl");
    }
    f.cap = static_cast<std::size_t>(o.max_bytes);
    CURL* c = f.easy;
    curl_easy_setopt(c, CURLOPT_URL, f.url.c_str());
    curl_easy_setopt(c, CURLOPT_PRIVATE, &f);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, feed_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f.error);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout_ms));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout_ms));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    // Any encoding libcurl can decode (gzip, deflate, ...); the cap counts decoded bytes.
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(o.max_bytes));
    curl_easy_setopt(c, CURLOPT_USERAGENT, "okxkit-news/" OKXKIT_VERSION);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, feed_progress);
}

void start(Feed& f, CURLM* multi) {
    curl_slist_free_all(f.headers);
    f.headers = curl_slist_append(nullptr, kAccept);
    // The validators go back verbatim, as RFC 9110 13.1 asks.
    if (!f.validators.etag.empty()) {
        f.headers = curl_slist_append(f.headers, ("If-None-Match: " + f.validators.etag).c_str());
    }
    if (!f.validators.last_modified.empty()) {
        f.headers = curl_slist_append(f.headers,
                                      ("If-Modified-Since: " + f.validators.last_modified).c_str());
    }
    curl_easy_setopt(f.easy, CURLOPT_HTTPHEADER, f.headers);
    f.body.clear();
    f.too_big = false;
    f.error[0] = '\0';
    if (const CURLMcode rc = curl_multi_add_handle(multi, f.easy); rc != CURLM_OK) {
        throw core::RuntimeError("news: libcurl: " + std::string(curl_multi_strerror(rc)));
    }
    f.busy = true;
}

std::int64_t backoff_ms(const LiveOptions& o, int errors) {
    const std::int64_t cap = std::max(o.max_backoff_ms, o.every_ms);
    std::int64_t d = o.every_ms;
    for (int k = 0; k < errors && d < cap; ++k) {
        d = std::min(cap, d * 2);
    }
    return d;
}

std::string lower_first(std::string s) {
    if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' && (s.size() < 2 || s[1] < 'A' || s[1] > 'Z')) {
        s[0] = static_cast<char>(s[0] - 'A' + 'a');
    }
    return s;
}

} // namespace

Clock& system_clock() {
    static SystemClock clock;
    return clock;
}

std::string duration_text(std::int64_t ms) {
    if (ms <= 0) {
        return "0s";
    }
    if (ms < 1000) {
        return std::to_string(ms) + "ms";
    }
    if (ms % 1000 != 0) {
        return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + "s";
    }
    std::int64_t s = ms / 1000;
    std::string out;
    for (const auto& [unit, name] :
         {std::pair<std::int64_t, const char*>{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}) {
        if (s >= unit) {
            out += std::to_string(s / unit) + name;
            s %= unit;
        }
    }
    return out;
}

void append_record_line(std::string& out, const Item& item) {
    out += R"({"type":"news","v":1,"ts":)";
    core::append_int(out, item.ts);
    if (item.published) {
        out += R"(,"published":)";
        core::append_int(out, *item.published);
    }
    out += R"(,"headline":)";
    core::append_json_string(out, item.headline);
    out += R"(,"source":)";
    core::append_json_string(out, item.source);
    if (!item.url.empty()) {
        out += R"(,"url":)";
        core::append_json_string(out, item.url);
    }
    out += '}';
}

// ---------------------------------------------------------------------------------------
// SeenItems

SeenItems::SeenItems(store::Store& store)
    : store_(store), find_(store.prepare("SELECT 1 FROM news_seen WHERE key = ?1")),
      insert_(store.prepare("INSERT OR IGNORE INTO news_seen(key, first_seen, last_seen, "
                            "headline, url, source, feed) VALUES(?1, ?2, ?2, ?3, ?4, ?5, ?6)")),
      touch_(store.prepare("UPDATE news_seen SET last_seen = ?2 WHERE key = ?1 AND "
                           "last_seen < ?2")) {}

bool SeenItems::known(const std::string& key) {
    find_.bind(1, std::string_view(key));
    const bool found = find_.step();
    find_.reset();
    return found;
}

bool SeenItems::admit(const Item& item, std::string_view feed_url) {
    const std::string h = headline_key(item.headline);
    const std::optional<std::string> u = url_key(item.url);
    if (known(h) || (u && known(*u))) {
        for (const std::string* key : {&h, u ? &*u : nullptr}) {
            if (key != nullptr) {
                touch_.bind(1, std::string_view(*key)).bind(2, item.ts);
                touch_.exec();
            }
        }
        return false;
    }
    for (const std::string* key : {&h, u ? &*u : nullptr}) {
        if (key == nullptr) {
            continue;
        }
        insert_.bind(1, std::string_view(*key))
            .bind(2, item.ts)
            .bind(3, std::string_view(item.headline))
            .bind(5, std::string_view(item.source))
            .bind(6, feed_url);
        if (item.url.empty()) {
            insert_.bind_null(4);
        } else {
            insert_.bind(4, std::string_view(item.url));
        }
        insert_.exec();
    }
    return true;
}

void SeenItems::carried_all(std::string_view feed_url, std::int64_t at_ms) {
    store_.prepare("UPDATE news_seen SET last_seen = ?2 WHERE feed = ?1 AND last_seen < ?2")
        .bind(1, feed_url)
        .bind(2, at_ms)
        .exec();
}

std::int64_t SeenItems::forget(std::int64_t before_ms) {
    store_.prepare("DELETE FROM news_seen WHERE last_seen < ?1").bind(1, before_ms).exec();
    return sqlite3_changes(store_.handle());
}

SeenItems::Validators SeenItems::validators(std::string_view feed_url) {
    store::Statement q =
        store_.prepare("SELECT etag, last_modified FROM news_feeds WHERE url = ?1");
    q.bind(1, feed_url);
    Validators v;
    if (q.step()) {
        v.etag = q.column_is_null(0) ? std::string() : q.column_text(0);
        v.last_modified = q.column_is_null(1) ? std::string() : q.column_text(1);
    }
    return v;
}

void SeenItems::answered(std::string_view feed_url, const std::optional<Validators>& validators,
                         std::int64_t at_ms, std::int64_t new_items) {
    if (!validators) {
        store_
            .prepare("INSERT INTO news_feeds(url, polled, items) VALUES(?1, ?2, 0) "
                     "ON CONFLICT(url) DO UPDATE SET polled = excluded.polled")
            .bind(1, feed_url)
            .bind(2, at_ms)
            .exec();
        return;
    }
    const auto text_or_null = [](store::Statement& s, int i, const std::string& v) {
        if (v.empty()) {
            s.bind_null(i);
        } else {
            s.bind(i, std::string_view(v));
        }
    };
    store::Statement s = store_.prepare(
        "INSERT INTO news_feeds(url, etag, last_modified, polled, items) "
        "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
        "last_modified = excluded.last_modified, polled = excluded.polled, "
        "items = items + excluded.items");
    s.bind(1, feed_url);
    text_or_null(s, 2, validators->etag);
    text_or_null(s, 3, validators->last_modified);
    s.bind(4, at_ms).bind(5, new_items);
    s.exec();
}

std::vector<Item> new_items(const ParsedFeed& feed, std::string_view feed_url, std::int64_t ts,
                            SeenItems& seen, std::uint64_t& repeats) {
    std::vector<const FeedEntry*> order;
    order.reserve(feed.entries.size());
    for (const FeedEntry& e : feed.entries) {
        order.push_back(&e);
    }
    std::stable_sort(order.begin(), order.end(), [](const FeedEntry* a, const FeedEntry* b) {
        if (a->published && b->published) {
            return *a->published < *b->published;
        }
        return a->published.has_value() && !b->published.has_value();
    });
    const std::string source = feed.title.empty() ? url_host(feed_url) : feed.title;
    std::vector<Item> out;
    for (const FeedEntry* e : order) {
        Item item;
        item.ts = ts;
        item.published = e->published;
        item.headline = e->headline;
        item.source = source;
        item.url = e->url;
        if (seen.admit(item, feed_url)) {
            out.push_back(std::move(item));
        } else {
            ++repeats;
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------
// The polling loop

namespace {

class Poller {
public:
    Poller(const LiveOptions& o, store::Store& store, Clock& clock,
           const std::function<void(Item&)>& emit, const std::function<void()>& batch_done,
           LiveStats& stats)
        : o_(o), store_(store), seen_(store), clock_(clock), emit_(emit), batch_done_(batch_done),
          stats_(stats) {}

    int run() {
        static CurlGlobal global;
        multi_.reset(curl_multi_init());
        if (!multi_) {
            throw core::RuntimeError("news: cannot initialise libcurl");
        }
        const std::int64_t now = clock_.steady_ms();
        for (const std::string& url : o_.feeds) {
            auto f = std::make_unique<Feed>();
            f->url = url;
            f->host = url_host(url);
            f->validators = seen_.validators(url);
            f->due = now;
            setup(*f, o_);
            feeds_.push_back(std::move(f));
        }
        try {
            loop();
        } catch (...) {
            release();
            throw;
        }
        release();
        if (core::interrupted()) {
            return core::exit_status(core::interrupt_exit());
        }
        if (o_.rounds > 0 && stats_.answered == 0 && !feeds_.empty()) {
            throw core::Error(core::Exit::kUnavailable,
                              "no feed answered: see the warnings above, and try again later");
        }
        return 0;
    }

private:
    [[nodiscard]] bool finished(const Feed& f) const {
        return o_.rounds > 0 && f.polls >= o_.rounds;
    }

    void loop() {
        int in_flight = 0;
        while (!core::interrupted()) {
            std::int64_t now = clock_.steady_ms();
            for (auto& f : feeds_) {
                Host& h = hosts_[f->host];
                if (f->busy || finished(*f) || h.busy || f->due > now || h.ready > now) {
                    continue;
                }
                start(*f, multi_.get());
                h.busy = true;
                ++in_flight;
                ++stats_.requests;
                core::Log::debug("feed " + f->url + ": GET" +
                                 (f->validators.etag.empty() && f->validators.last_modified.empty()
                                      ? ""
                                      : " (conditional)"));
            }
            if (in_flight == 0 && std::all_of(feeds_.begin(), feeds_.end(),
                                              [&](const auto& f) { return finished(*f); })) {
                return;
            }
            int running = 0;
            curl_multi_perform(multi_.get(), &running);
            int left = 0;
            while (CURLMsg* m = curl_multi_info_read(multi_.get(), &left)) {
                if (m->msg != CURLMSG_DONE) {
                    continue;
                }
                Feed* f = nullptr;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &f);
                const CURLcode rc = m->data.result;
                curl_multi_remove_handle(multi_.get(), m->easy_handle);
                --in_flight;
                f->busy = false;
                Host& h = hosts_[f->host];
                h.busy = false;
                if (rc == CURLE_ABORTED_BY_CALLBACK && core::interrupted()) {
                    return;
                }
                ++f->polls;
                finish(*f, rc);
                h.ready = clock_.steady_ms() + o_.host_gap_ms;
            }
            // Sleep until the next request may go or a transfer moves, but not past a tick.
            now = clock_.steady_ms();
            std::int64_t wait = kTickMs;
            for (const auto& f : feeds_) {
                const Host& h = hosts_[f->host];
                if (!f->busy && !finished(*f) && !h.busy) {
                    wait =
                        std::min(wait, std::max<std::int64_t>(0, std::max(f->due, h.ready) - now));
                }
            }
            curl_multi_poll(multi_.get(), nullptr, 0, static_cast<int>(wait), nullptr);
        }
    }

    void finish(Feed& f, CURLcode rc) {
        long code = 0;
        curl_easy_getinfo(f.easy, CURLINFO_RESPONSE_CODE, &code);
        std::string why;
        std::int64_t retry_after = 0;
        if (f.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
            why = "refused: the answer is larger than --max-size (" + std::to_string(o_.max_bytes) +
                  " bytes)";
        } else if (rc == CURLE_OPERATION_TIMEDOUT) {
            why = "timed out (--connect-timeout " + duration_text(o_.connect_timeout_ms) +
                  ", --timeout " + duration_text(o_.timeout_ms) + "): " + lower_first(f.error);
        } else if (rc != CURLE_OK) {
            why = lower_first(f.error[0] != '\0' ? f.error : curl_easy_strerror(rc));
        } else if (code == 304) {
            ++stats_.answered;
            ++stats_.not_modified;
            const std::int64_t at = clock_.wall_ms();
            store_.begin();
            try {
                seen_.answered(f.url, std::nullopt, at, 0);
                seen_.carried_all(f.url, at);
                store_.commit();
            } catch (...) {
                store_.rollback();
                throw;
            }
            core::Log::debug("feed " + f.url + ": not modified");
        } else if (code < 200 || code > 299) {
            why = "HTTP " + std::to_string(code);
            curl_off_t after = 0;
            if (curl_easy_getinfo(f.easy, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0) {
                retry_after = std::min<std::int64_t>(after * 1000, kMaxRetryAfterMs);
                why += " (retry after " + duration_text(retry_after) + ")";
            }
        } else {
            why = ingest(f);
        }
        f.body.clear();
        f.body.shrink_to_fit();
        std::int64_t delay = o_.every_ms;
        if (why.empty()) {
            f.errors = 0;
            f.answered = true;
            forget_if_due();
        } else {
            ++stats_.failed;
            ++f.errors;
            delay = std::max(backoff_ms(o_, f.errors), retry_after);
            core::Log::warning("feed " + f.url + ": " + why +
                               (finished(f) ? "" : "; next try in " + duration_text(delay)));
        }
        f.due = clock_.steady_ms() + delay;
    }

    // A 200: the feed parsed, its new items remembered, then emitted. Returns what went wrong,
    // or "".
    std::string ingest(Feed& f) {
        ParsedFeed parsed;
        try {
            parsed = parse_feed(f.body, f.url);
        } catch (const FeedError& e) {
            return e.what();
        }
        SeenItems::Validators v{header_value(f.easy, "ETag"),
                                header_value(f.easy, "Last-Modified")};
        // An item's ts is when it was first seen; never earlier than the last one's, so that
        // the emitted lines stay in ts order if the wall clock steps back.
        const std::int64_t ts = std::max(clock_.wall_ms(), last_ts_);
        last_ts_ = ts;
        std::vector<Item> items;
        const std::uint64_t repeats_before = stats_.repeats;
        // Remembered before they are written: a restart never brings an item twice (one cut
        // between the commit and the write is lost, not repeated).
        store_.begin();
        try {
            items = new_items(parsed, f.url, ts, seen_, stats_.repeats);
            seen_.answered(f.url, v, ts, static_cast<std::int64_t>(items.size()));
            store_.commit();
        } catch (...) {
            store_.rollback();
            throw;
        }
        f.validators = std::move(v);
        ++stats_.answered;
        core::Log::debug("feed " + f.url + ": " + std::to_string(parsed.entries.size()) +
                         " entries, " + std::to_string(items.size()) + " new, " +
                         std::to_string(stats_.repeats - repeats_before) + " seen before" +
                         (parsed.untitled > 0
                              ? ", " + std::to_string(parsed.untitled) + " without a title"
                              : std::string()));
        for (Item& item : items) {
            emit_(item);
            ++stats_.items;
        }
        batch_done_();
        return {};
    }

    // Once every feed has answered in this run, every item a feed still carries has had its
    // last_seen moved on: the others can be forgotten. Then once a day.
    void forget_if_due() {
        if (!std::all_of(feeds_.begin(), feeds_.end(), [](const auto& f) { return f->answered; })) {
            return;
        }
        const std::int64_t now = clock_.wall_ms();
        if (last_forget_ms_ && now - *last_forget_ms_ < kForgetEveryMs) {
            return;
        }
        last_forget_ms_ = now;
        const std::int64_t n = seen_.forget(now - o_.forget_ms);
        stats_.forgotten += static_cast<std::uint64_t>(n);
        if (n > 0) {
            core::Log::debug("forgot " + std::to_string(n) + " keys of items no feed carried for " +
                             duration_text(o_.forget_ms));
        }
    }

    void release() {
        for (auto& f : feeds_) {
            if (f->busy) {
                curl_multi_remove_handle(multi_.get(), f->easy);
                f->busy = false;
            }
        }
    }

    const LiveOptions& o_;
    store::Store& store_;
    SeenItems seen_;
    Clock& clock_;
    const std::function<void(Item&)>& emit_;
    const std::function<void()>& batch_done_;
    LiveStats& stats_;
    std::unique_ptr<CURLM, MultiFree> multi_;
    std::vector<std::unique_ptr<Feed>> feeds_;
    std::map<std::string, Host> hosts_;
    std::int64_t last_ts_ = 0;
    std::optional<std::int64_t> last_forget_ms_; // wall ms
};

} // namespace

int poll_feeds(const LiveOptions& options, store::Store& store, Clock& clock,
               const std::function<void(Item&)>& emit, const std::function<void()>& batch_done,
               LiveStats& stats) {
    Poller poller(options, store, clock, emit, batch_done, stats);
    return poller.run();
}

} // namespace okxkit::news
