// The news tool: its option table, the replay of recorded items, and the merge into a
// message stream.
#include "news/news_tool.hpp"

#include "core/error.hpp"
#include "core/filter.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "news/config_keys.hpp"
#include "news/feed.hpp"
#include "news/items.hpp"
#include "news/live.hpp"
#include "news/vader.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <unistd.h>
#include <unordered_set>

namespace okxkit::news {

namespace {

using core::OptType;

core::ToolSpec make_spec() {
    core::ToolSpec spec{
        "news",
        "crypto headlines tagged with the instruments they name and scored for sentiment",
        "news --replay FILE... [--assume-delay TIME] [--merge] [OPTIONS]\n"
        "       news --feeds URL... [--every TIME] [--once] [--record FILE] [OPTIONS]",
        "Reads recorded headlines (CSV with published,headline[,url,source] columns, or NDJSON\n"
        "news lines) and writes one news line per new item in the order a live run would have\n"
        "seen them: ts, the time it was first seen, is published + --assume-delay for a CSV\n"
        "row and the recorded ts for a news line. Repeats (the same headline or URL) are\n"
        "dropped. symbols lists the instruments an item names ([] when it names none: market-\n"
        "wide); sentiment is VADER's compound score in [-1, 1] with the crypto overlay.\n"
        "With --merge, NDJSON on stdin is written through with each item placed before the\n"
        "first message it precedes (a candle at its close), for featurize and the strategies.\n"
        "With --feeds, polls RSS and Atom feeds instead and writes each new item as it is first\n"
        "seen (ts: that moment); the store remembers the items, so that another feed or a\n"
        "restart does not bring them again. --record keeps them for --replay.\n"
        "Example: okx-stream --replay btc.csv | news --replay headlines.csv --merge | jq .\n"
        "Example: news --feeds https://example.com/rss.xml --record news.ndjson\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"replay", 0, OptType::kStrings, "FILE",
         "read recorded items from FILEs (CSV or NDJSON news lines; - is stdin)"},
        {"feeds",
         0,
         OptType::kStrings,
         "URL",
         "poll these RSS or Atom feeds (http or https) and write each new item as it appears",
         {},
         "news.feeds"},
        {"every", 0, OptType::kDuration, "TIME",
         "live: poll each feed this often (after errors, less often: twice the wait per "
         "error in a row, up to 1h)",
         "5m", "news.every"},
        {"once",
         0,
         OptType::kFlag,
         {},
         "live: poll each feed once, then exit (for cron; the store keeps what was seen)"},
        {"rounds",
         0,
         OptType::kInt,
         "N",
         "live: poll each feed N times, then exit",
         {},
         {},
         {},
         {},
         {},
         1},
        {"record", 0, OptType::kPath, "FILE",
         "live: append each new item to FILE as it was seen (NDJSON news lines), for "
         "--replay FILE later"},
        {"timeout", 0, OptType::kDuration, "TIME",
         "live: give up on a request after TIME (the feed is tried again later)", "30s",
         "news.timeout"},
        {"connect-timeout", 0, OptType::kDuration, "TIME",
         "live: give up on a connection that is not up after TIME", "10s", "news.connect_timeout"},
        {"host-gap", 0, OptType::kDuration, "TIME",
         "live: wait this long after an answer from a host before the next request to it "
         "(one request at a time per host)",
         "1s", "news.host_gap"},
        {"forget", 0, OptType::kDuration, "TIME",
         "live: forget an item once no feed has carried it for TIME (a feed that brings it "
         "again then makes it new)",
         "90d", "news.forget"},
        {"max-size",
         0,
         OptType::kInt,
         "BYTES",
         "live: refuse an answer bigger than this (counted after decompression)",
         "10485760",
         "news.max_size",
         {},
         {},
         {},
         1024},
        {"assume-delay", 0, OptType::kDuration, "TIME",
         "a CSV item counts as seen this long after its published time (feeds publish late, "
         "and a published time is often earlier than anyone could read the item)",
         "5m", "news.assume_delay"},
        {"from", 0, OptType::kTime, "TIME", "only items seen at or after TIME"},
        {"to", 0, OptType::kTime, "TIME", "only items seen before TIME"},
        {"symbols", 0, OptType::kInsts, "INST",
         "the instruments to tag items with (default: config symbols, else the 8 majors "
         "against USDT)",
         "BTC-USDT,ETH-USDT,ADA-USDT,BNB-USDT,DOT-USDT,LINK-USDT,LTC-USDT,XRP-USDT", "symbols"},
        {"alias",
         0,
         OptType::kStrings,
         "BASE=NAME",
         "another name of the instruments of BASE, one or more words in any case "
         "(SOL=solana, \"BTC=digital gold\")",
         {},
         "news.aliases"},
        {"lexicon",
         0,
         OptType::kPath,
         "FILE",
         "a VADER lexicon file (TOKEN<TAB>VALENCE lines) instead of the built-in one",
         {},
         "news.lexicon"},
        {"overlay", 0, OptType::kPath, "FILE",
         "crypto terms over the lexicon: a file of TOKEN<TAB>VALENCE lines, crypto (the "
         "built-in list, share/okxkit/lexicon/crypto-overlay.tsv) or none (plain VADER)",
         "crypto", "news.overlay"},
        {"explain",
         0,
         OptType::kFlag,
         {},
         "add terms, the words that moved each score and by how much",
         {},
         "news.explain"},
        {"merge",
         0,
         OptType::kFlag,
         {},
         "read NDJSON messages on stdin, write them through, and place each item before the "
         "first message it precedes"},
    };
    spec.options.assign(std::begin(own), std::end(own));
    for (auto set : {core::input_options(), core::output_options(), core::store_options(),
                     core::common_options()}) {
        spec.options.insert(spec.options.end(), set.begin(), set.end());
    }
    spec.config_keys = {{"news", config_keys()}};
    spec.unavailable = "--once or --rounds: no feed answered";
    return spec;
}

std::string read_file(const std::string& path) {
    if (path == "-") {
        std::string out;
        char buf[1 << 16];
        for (;;) {
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                throw core::RuntimeError("cannot read standard input: " + core::errno_text(errno));
            }
            if (n == 0) {
                return out;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw core::UsageError("--replay " + path + ": " + core::errno_text(errno) +
                               "; give a CSV of headlines or a file of news lines");
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) {
        throw core::RuntimeError("--replay " + path + ": cannot read it");
    }
    return ss.str();
}

Lexicon load_lexicon(const std::string& path, bool comments) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw core::UsageError(path + ": " + core::errno_text(errno));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return Lexicon::parse(ss.str(), path, comments);
}

// Places items (in ts order) into the message stream: before a message whose event time is at
// or after theirs. A candle's event time is its close (ts + bar), so an item seen while a bar
// was open comes before that bar's candle, as it would live.
class MergeStage : public core::FilterStage {
public:
    MergeStage(const std::vector<Item>& items, bool explain) : items_(items), explain_(explain) {}

    Fast fast(core::Filter& filter, std::string_view line) override {
        core::CandleFields k;
        if (!core::read_candle_fast(line, k)) {
            return Fast::kGeneral;
        }
        const auto bar = core::parse_bar(k.bar);
        if (!bar) {
            return Fast::kGeneral;
        }
        before(filter, k.ts + bar->ms);
        filter.pass(line);
        filter.used();
        return Fast::kTaken;
    }

    void message(core::Filter& filter, const core::Message& msg) override {
        std::int64_t at = 0;
        if (msg.json.contains("ts") && msg.json["ts"].is_number_integer()) {
            at = msg.json["ts"].get<std::int64_t>();
            if (msg.type == "candle") {
                if (const auto bar = core::parse_bar(msg.json["bar"].get<std::string>())) {
                    at += bar->ms;
                }
            }
            before(filter, at);
        }
        filter.pass(msg.text);
        filter.used();
    }

    void finish(core::Filter& filter) override {
        before(filter, std::numeric_limits<std::int64_t>::max());
    }

    [[nodiscard]] std::size_t written() const { return next_; }

private:
    void before(core::Filter& filter, std::int64_t at) {
        while (next_ < items_.size() && items_[next_].ts <= at) {
            line_.clear();
            append_news_line(line_, items_[next_++], explain_);
            filter.pass(line_);
        }
    }

    const std::vector<Item>& items_;
    bool explain_;
    std::size_t next_ = 0;
    std::string line_;
};

// --record FILE: appended to with one write(2) per line, so that a line is never half there
// for a reader, and kept even if the tool is killed.
class RecordFile {
public:
    explicit RecordFile(const std::string& path) : path_(path) {
        fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (fd_ < 0) {
            throw core::UsageError("--record " + path + ": " + core::errno_text(errno));
        }
    }
    ~RecordFile() { ::close(fd_); }
    RecordFile(const RecordFile&) = delete;
    RecordFile& operator=(const RecordFile&) = delete;
    RecordFile(RecordFile&&) = delete;
    RecordFile& operator=(RecordFile&&) = delete;

    void line(const Item& item) {
        buf_.clear();
        append_record_line(buf_, item);
        buf_ += '\n';
        std::size_t done = 0;
        while (done < buf_.size()) {
            const ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                throw core::RuntimeError("--record " + path_ + ": " + core::errno_text(errno));
            }
            done += static_cast<std::size_t>(n);
        }
    }

private:
    std::string path_;
    int fd_ = -1;
    std::string buf_;
};

// Checks each --feeds value: an http(s) URL with a host, each once.
std::vector<std::string> feed_urls(const std::vector<std::string>& given) {
    std::vector<std::string> out;
    for (const std::string& url : given) {
        const bool http = url.starts_with("http://") || url.starts_with("https://");
        if (!http || url_host(url).empty()) {
            throw core::UsageError("--feeds " + url +
                                   ": not an http:// or https:// URL with a host; give the "
                                   "address of an RSS or Atom feed");
        }
        if (std::find(out.begin(), out.end(), url) != out.end()) {
            core::Log::warning("--feeds " + url + " is given twice; polled once");
            continue;
        }
        out.push_back(url);
    }
    return out;
}

// news --feeds: the live feeds polled, each new item tagged, scored, recorded and written.
int live(const core::Options& o, const std::vector<std::string>& feeds, Vader& vader,
         const Tagger& tagger) {
    for (const char* replay_only : {"merge", "from", "to"}) {
        if (std::string_view(replay_only) == "merge" ? o.flag(replay_only) : o.has(replay_only)) {
            throw core::UsageError("--" + std::string(replay_only) +
                                   " is for --replay: live items are written as they are seen "
                                   "(--record FILE keeps them for a replay)");
        }
    }
    if (o.flag("once") && o.has("rounds")) {
        throw core::UsageError("--once is --rounds 1: give one of them");
    }
    LiveOptions lo;
    lo.feeds = feed_urls(feeds);
    lo.every_ms = o.duration_ms("every").value_or(lo.every_ms);
    lo.timeout_ms = o.duration_ms("timeout").value_or(lo.timeout_ms);
    lo.connect_timeout_ms = o.duration_ms("connect-timeout").value_or(lo.connect_timeout_ms);
    lo.host_gap_ms = o.duration_ms("host-gap").value_or(lo.host_gap_ms);
    lo.forget_ms = o.duration_ms("forget").value_or(lo.forget_ms);
    lo.max_bytes = o.integer("max-size");
    lo.rounds = o.flag("once") ? 1 : o.has("rounds") ? static_cast<int>(o.integer("rounds")) : 0;
    const bool explain = o.flag("explain");

    store::Store store(o.has("store") ? o.str("store") : store::default_store_path());
    std::optional<RecordFile> record;
    if (o.has("record")) {
        record.emplace(o.str("record"));
    }
    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    std::string line;
    const std::function<void(Item&)> emit = [&](Item& item) {
        if (record) {
            record->line(item);
        }
        item.symbols = tagger.symbols(item.headline);
        item.sentiment = vader.score(item.headline, explain);
        line.clear();
        append_news_line(line, item, explain);
        out.line(line);
    };
    const std::function<void()> flush = [&] { out.flush(); };
    LiveStats stats;
    const int code = poll_feeds(lo, store, system_clock(), emit, flush, stats);
    out.flush();
    std::string summary = std::to_string(stats.items) + " new items from " +
                          std::to_string(lo.feeds.size()) + " feeds in " +
                          std::to_string(stats.requests) + " requests (" +
                          std::to_string(stats.not_modified) + " not modified, " +
                          std::to_string(stats.failed) + " failed)";
    if (stats.repeats > 0) {
        summary += ", " + std::to_string(stats.repeats) + " seen before";
    }
    if (stats.forgotten > 0) {
        summary += ", " + std::to_string(stats.forgotten) + " forgotten";
    }
    core::Log::summary(summary);
    return code;
}

} // namespace

const core::ToolSpec& news_spec() {
    static const core::ToolSpec spec = make_spec();
    return spec;
}

int news_main(const core::Options& o) {
    const std::vector<std::string>& files = o.strs("replay");
    // Feeds from the config (news.feeds) give way to a --replay: a replay reads only its files.
    const bool feeds_given =
        o.has("feeds") && (files.empty() || o.origin("feeds") == "command line");
    static const std::vector<std::string> no_feeds;
    const std::vector<std::string>& feeds = feeds_given ? o.strs("feeds") : no_feeds;
    if (!files.empty() && !feeds.empty()) {
        throw core::UsageError("--replay and --feeds do not go together: replay recorded items, "
                               "or poll feeds (--record keeps them for a replay)");
    }
    if (files.empty() && feeds.empty()) {
        throw core::UsageError("nothing to read: give --replay FILE (a CSV of headlines with "
                               "published and headline columns, or NDJSON news lines) or "
                               "--feeds URL (RSS or Atom)");
    }
    if (feeds.empty()) {
        for (const char* live_only : {"once", "rounds", "record"}) {
            if (std::string_view(live_only) == "once" ? o.flag(live_only) : o.has(live_only)) {
                throw core::UsageError("--" + std::string(live_only) +
                                       " is for live feeds: give --feeds URL too");
            }
        }
    }
    const bool explain = o.flag("explain");
    Lexicon lexicon = o.has("lexicon") ? load_lexicon(o.str("lexicon"), false) : Lexicon::vader();
    const std::string overlay = o.str("overlay");
    if (overlay == "crypto") {
        lexicon.overlay(Lexicon::crypto_overlay());
    } else if (overlay != "none") {
        lexicon.overlay(load_lexicon(overlay, true));
    }
    Vader vader(lexicon);
    const Tagger tagger(o.strs("symbols"), o.strs("alias"));
    if (!feeds.empty()) {
        return live(o, feeds, vader, tagger);
    }

    const bool merge = o.flag("merge");
    if (merge && std::find(files.begin(), files.end(), "-") != files.end()) {
        throw core::UsageError("--merge reads the message stream on stdin, so --replay cannot "
                               "read - too: give the items as a file");
    }
    if (std::count(files.begin(), files.end(), "-") > 1) {
        throw core::UsageError("--replay names - (stdin) more than once");
    }
    const bool strict = o.flag("strict");
    const std::int64_t delay = o.duration_ms("assume-delay").value_or(300'000);
    const auto from = o.time_ms("from");
    const auto to = o.time_ms("to");

    // Every recorded item, in the order a live run would have seen them.
    std::vector<Recorded> all;
    std::uint64_t bad = 0;
    for (const std::string& file : files) {
        const std::string name = file == "-" ? std::string("stdin") : file;
        const std::string text = read_file(file);
        std::vector<Recorded> got =
            read_recorded(text, name, [&](std::size_t line, const std::string& why) {
                ++bad;
                core::Log::emit_at(strict ? core::Level::kError : core::Level::kWarning, name, line,
                                   why + (strict ? "" : "; skipped"));
                if (strict) {
                    throw core::Error(core::Exit::kBadInput,
                                      "stopped at the first bad row (--strict)");
                }
            });
        std::move(got.begin(), got.end(), std::back_inserter(all));
    }
    for (Recorded& r : all) {
        if (!r.has_ts) {
            r.item.ts = *r.item.published + delay;
        }
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const Recorded& a, const Recorded& b) { return a.item.ts < b.item.ts; });

    std::vector<Item> items;
    std::unordered_set<std::string> seen;
    std::uint64_t repeats = 0;
    for (Recorded& r : all) {
        if ((from && r.item.ts < *from) || (to && r.item.ts >= *to)) {
            continue;
        }
        std::string h = headline_key(r.item.headline);
        std::optional<std::string> u = url_key(r.item.url);
        if (seen.count(h) > 0 || (u && seen.count(*u) > 0)) {
            ++repeats;
            continue;
        }
        seen.insert(std::move(h));
        if (u) {
            seen.insert(std::move(*u));
        }
        r.item.symbols = tagger.symbols(r.item.headline);
        r.item.sentiment = vader.score(r.item.headline, explain);
        items.push_back(std::move(r.item));
    }

    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    int code = 0;
    if (merge) {
        core::LineReader in(STDIN_FILENO, false, "-",
                            static_cast<std::size_t>(o.integer("max-line")));
        core::Filter filter(out, core::FilterOptions{strict});
        MergeStage stage(items, explain);
        code = filter.run(in, stage);
    } else {
        std::string line;
        for (const Item& item : items) {
            line.clear();
            append_news_line(line, item, explain);
            out.line(line);
        }
    }
    out.flush();
    std::string summary = std::to_string(items.size()) + " items";
    if (repeats > 0) {
        summary += ", " + std::to_string(repeats) + " repeats dropped";
    }
    if (bad > 0) {
        summary += ", " + std::to_string(bad) + " unreadable rows skipped";
    }
    core::Log::summary(summary);
    return code;
}

} // namespace okxkit::news
