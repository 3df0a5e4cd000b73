// The news tool: its option table, the replay of recorded items, and the merge into a
// message stream.
#include "news/news_tool.hpp"

#include "core/error.hpp"
#include "core/filter.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "news/config_keys.hpp"
#include "news/items.hpp"
#include "news/vader.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
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
        "news --replay FILE... [--assume-delay TIME] [--merge] [OPTIONS]",
        "Reads recorded headlines (CSV with published,headline[,url,source] columns, or NDJSON\n"
        "news lines) and writes one news line per new item in the order a live run would have\n"
        "seen them: ts, the time it was first seen, is published + --assume-delay for a CSV\n"
        "row and the recorded ts for a news line. Repeats (the same headline or URL) are\n"
        "dropped. symbols lists the instruments an item names ([] when it names none: market-\n"
        "wide); sentiment is VADER's compound score in [-1, 1] with the crypto overlay.\n"
        "With --merge, NDJSON on stdin is written through with each item placed before the\n"
        "first message it precedes (a candle at its close), for featurize and the strategies.\n"
        "Example: okx-stream --replay btc.csv | news --replay headlines.csv --merge | jq .\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"replay", 0, OptType::kStrings, "FILE",
         "read recorded items from FILEs (CSV or NDJSON news lines; - is stdin)"},
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
    for (auto set : {core::input_options(), core::output_options(), core::common_options()}) {
        spec.options.insert(spec.options.end(), set.begin(), set.end());
    }
    spec.config_keys = {{"news", config_keys()}};
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

} // namespace

const core::ToolSpec& news_spec() {
    static const core::ToolSpec spec = make_spec();
    return spec;
}

int news_main(const core::Options& o) {
    const std::vector<std::string>& files = o.strs("replay");
    if (files.empty()) {
        throw core::UsageError("nothing to read: give --replay FILE (a CSV of headlines with "
                               "published and headline columns, or NDJSON news lines)");
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
    const bool explain = o.flag("explain");
    const std::int64_t delay = o.duration_ms("assume-delay").value_or(300'000);
    const auto from = o.time_ms("from");
    const auto to = o.time_ms("to");

    Lexicon lexicon = o.has("lexicon") ? load_lexicon(o.str("lexicon"), false) : Lexicon::vader();
    const std::string overlay = o.str("overlay");
    if (overlay == "crypto") {
        lexicon.overlay(Lexicon::crypto_overlay());
    } else if (overlay != "none") {
        lexicon.overlay(load_lexicon(overlay, true));
    }
    Vader vader(lexicon);
    const Tagger tagger(o.strs("symbols"), o.strs("alias"));

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
