// The okx-stream tool: its option table and the body that maps options to a replay, a REST
// history fetch or a live stream.
#include "stream/okx_stream_tool.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"
#include "core/log.hpp"
#include "core/timeutil.hpp"
#include "okx/tape.hpp"
#include "okx/ws.hpp"
#include "stream/history.hpp"
#include "stream/live.hpp"
#include "stream/replay.hpp"

#include <algorithm>
#include <unistd.h>

namespace okxkit::stream {

namespace {

using core::OptType;

core::ToolSpec make_spec() {
    core::ToolSpec spec{
        "okx-stream",
        "market data for okxkit pipelines: replay recorded candles as NDJSON",
        "okx-stream --replay FILE... [--inst INST] [--bar BAR] [--from TIME] [--to TIME]\n"
        "                  [--speed N] [--store FILE] [OPTIONS]",
        "Inputs are candle CSV files (header ts_ms,open,high,low,close,volume; instrument and\n"
        "bar from a name like BTC-USDT_1m.csv) or NDJSON message files; - reads stdin.\n"
        "Several inputs are merged into one stream in event-time order.\n"
        "Example: okx-stream --replay BTC-USDT_1m.csv ETH-USDT_1m.csv --from 2021-04-05 | head\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"replay", 0, OptType::kStrings, "FILE", "replay recorded candles from FILEs (- is stdin)"},
        {"inst", 0, OptType::kString, "INST",
         "instrument of CSV inputs, when the file name does not say (BTC-USDT, BTCUSDT)"},
        {"bar", 0, OptType::kString, "BAR",
         "bar of CSV inputs, when the file name does not say (1m 5m 1H 1D ...)"},
        {"from", 0, OptType::kString, "TIME",
         "emit candles at or after TIME (ms since epoch or ISO-8601 UTC)"},
        {"to", 0, OptType::kString, "TIME", "emit candles before TIME"},
        {"speed", 0, OptType::kNumber, "N", "pace at N x real time (0: as fast as possible)", "0",
         "replay.speed"},
        {"symbols",
         0,
         OptType::kStrings,
         "INST",
         "instruments to fetch, comma- or space-separated (default: config symbols, else the 8 "
         "majors against USDT)",
         {},
         "symbols"},
        {"since", 0, OptType::kString, "TIME", "fetch closed candles from OKX REST from TIME on"},
        {"backfill", 0, OptType::kString, "DURATION",
         "fetch closed candles of the last DURATION (90m, 6h, 7d)"},
        {"until", 0, OptType::kString, "TIME",
         "stop fetching before TIME (default: the bar still forming)"},
        {"rest-url", 0, OptType::kString, "URL", "OKX REST base URL", "https://www.okx.com",
         "okx.rest_url", "OKX_REST_URL"},
        {"demo",
         0,
         OptType::kFlag,
         "",
         "use OKX demo trading (x-simulated-trading: 1)",
         {},
         "okx.demo"},
        {"record", 0, OptType::kPath, "FILE",
         "keep a tape of everything received from OKX; --replay FILE reproduces the output"},
        {"retries", 0, OptType::kInt, "N",
         "retries of a REST request after transient errors (429, 5xx, timeouts)", "5",
         "okx.retries"},
        // Live mode (stream/live.hpp).
        {"channels", 0, OptType::kStrings, "CHANNEL",
         "stream these OKX WebSocket channels live (candle1m candle5m ... tickers trades books5 "
         "bbo-tbt books)"},
        {"ws-public-url", 0, OptType::kString, "URL",
         "OKX public WebSocket URL (tickers, trades, books)", okx::kProductionWsPublicUrl,
         "okx.ws_public_url", "OKX_WS_PUBLIC_URL"},
        {"ws-business-url", 0, OptType::kString, "URL", "OKX business WebSocket URL (candles)",
         okx::kProductionWsBusinessUrl, "okx.ws_business_url", "OKX_WS_BUSINESS_URL"},
        {"partial", 0, OptType::kFlag, "", "live: also write forming candles (confirm:false)"},
        {"depth", 0, OptType::kInt, "N", "live: price levels per side of book messages (1-400)",
         "5"},
        {"health", 0, OptType::kFlag, "", "live: also write health messages to stdout"},
        {"ping-after", 0, OptType::kString, "DURATION",
         "live: send a ping after this long without data", "25s"},
        {"pong-timeout", 0, OptType::kString, "DURATION",
         "live: reconnect when no pong comes within this long", "5s"},
        {"source",
         0,
         OptType::kString,
         "LABEL",
         "source label stored with the candles (default: replay:<file name>)",
         {},
         "replay.source"},
    };
    spec.options.assign(std::begin(own), std::end(own));
    for (auto set : {core::store_options(), core::run_options(), core::input_options(),
                     core::output_options(), core::common_options()}) {
        spec.options.insert(spec.options.end(), set.begin(), set.end());
    }
    // Replay writes to a store only when one is named (here, by OKXKIT_STORE or the config).
    for (auto& opt : spec.options) {
        if (opt.name == "store") {
            opt.help = "also upsert the replayed candles into this SQLite store (default: none)";
        }
    }
    return spec;
}

std::optional<std::int64_t> time_option(const core::Options& o, std::string_view name) {
    if (!o.has(name)) {
        return std::nullopt;
    }
    std::string text = o.str(name);
    auto ms = core::parse_time_ms(text);
    if (!ms) {
        throw core::UsageError("--" + std::string(name) + ": \"" + text +
                               "\" is not a time (use ms since the epoch or ISO-8601 such as "
                               "2021-04-02T00:00:00Z)");
    }
    return ms;
}

} // namespace

const core::ToolSpec& okx_stream_spec() {
    static const core::ToolSpec spec = make_spec();
    return spec;
}

namespace {

std::int64_t duration_option(const core::Options& o, std::string_view name) {
    const std::string text = o.str(name);
    auto ms = core::parse_duration_ms(text);
    if (!ms || *ms <= 0) {
        throw core::UsageError("--" + std::string(name) + ": \"" + text +
                               "\" is not a positive duration (e.g. 25s, 500ms, 1m)");
    }
    return *ms;
}

// okx-stream's live mode from its options (--channels, --ws-public-url, --ws-business-url,
// --demo, --partial, --depth, --health, --ping-after, --pong-timeout, --until, --rest-url,
// --retries, --store, --run, --record, --unbuffered) and the resolved symbols; writes to
// stdout. Throws core::UsageError for a bad value.
int live_main(const core::Options& o, std::vector<std::string> insts) {
    LiveOptions l;
    l.insts = std::move(insts);
    std::sort(l.insts.begin(), l.insts.end());
    l.insts.erase(std::unique(l.insts.begin(), l.insts.end()), l.insts.end());
    for (const std::string& arg : o.strs("channels")) {
        std::size_t pos = 0;
        while (pos <= arg.size()) {
            const std::size_t comma = arg.find(',', pos);
            const std::string one =
                arg.substr(pos, comma == std::string::npos ? comma : comma - pos);
            if (!one.empty()) {
                ChannelSpec c = parse_channel(one);
                if (std::none_of(l.channels.begin(), l.channels.end(),
                                 [&](const ChannelSpec& x) { return x.name == c.name; })) {
                    l.channels.push_back(std::move(c));
                }
            }
            if (comma == std::string::npos) {
                break;
            }
            pos = comma + 1;
        }
    }
    if (l.channels.empty()) {
        throw core::UsageError("--channels: name at least one channel (e.g. candle1m,tickers)");
    }
    // --demo switches the WebSocket hosts too, unless a URL was given (§0: wspap.okx.com).
    const bool demo = o.flag("demo");
    l.ws_public_url = demo && o.origin("ws-public-url") == "default"
                          ? std::string(okx::kDemoWsPublicUrl)
                          : o.str("ws-public-url");
    l.ws_business_url = demo && o.origin("ws-business-url") == "default"
                            ? std::string(okx::kDemoWsBusinessUrl)
                            : o.str("ws-business-url");
    const std::pair<const char*, const std::string*> urls[] = {
        {"ws-public-url", &l.ws_public_url}, {"ws-business-url", &l.ws_business_url}};
    for (const auto& [name, url] : urls) {
        try {
            (void)okx::parse_ws_url(*url);
        } catch (const core::UsageError& e) {
            throw core::UsageError("--" + std::string(name) + ": " + e.what());
        }
    }
    l.rest.base_url = o.str("rest-url");
    l.rest.demo = demo;
    l.rest.max_retries = static_cast<int>(o.integer("retries"));
    if (l.rest.max_retries < 0 || l.rest.max_retries > 100) {
        throw core::UsageError("--retries must be between 0 and 100");
    }
    l.session.partial = o.flag("partial");
    l.session.health_out = o.flag("health");
    const std::int64_t depth = o.integer("depth");
    if (depth < 1 || depth > 400) {
        throw core::UsageError("--depth must be between 1 and 400");
    }
    l.session.depth = static_cast<int>(depth);
    if (o.has("until")) {
        auto ms = core::parse_time_ms(o.str("until"));
        if (!ms) {
            throw core::UsageError("--until: \"" + o.str("until") +
                                   "\" is not a time (use ms since the epoch or ISO-8601 such "
                                   "as 2021-04-02T00:00:00Z)");
        }
        l.session.until = ms;
    }
    l.ping_after_ms = duration_option(o, "ping-after");
    l.pong_timeout_ms = duration_option(o, "pong-timeout");
    l.store_path = o.str("store");
    l.run_id = o.str("run");
    l.record_path = o.str("record");
    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    return live(l, out);
}

} // namespace

namespace {

std::vector<std::string> symbols_option(const core::Options& o) {
    static constexpr const char* kDefaults[] = {"BTC-USDT", "ETH-USDT",  "ADA-USDT", "BNB-USDT",
                                                "DOT-USDT", "LINK-USDT", "LTC-USDT", "XRP-USDT"};
    std::vector<std::string> out;
    for (const std::string& arg : o.strs("symbols")) {
        std::size_t pos = 0;
        while (pos <= arg.size()) {
            std::size_t comma = arg.find(',', pos);
            std::string one = arg.substr(pos, comma == std::string::npos ? comma : comma - pos);
            if (!one.empty()) {
                auto inst = core::normalize_inst(one);
                if (!inst) {
                    throw core::UsageError("--symbols: \"" + one +
                                           "\" is not an instrument (e.g. BTC-USDT, BTCUSDT)");
                }
                out.push_back(*inst);
            }
            if (comma == std::string::npos) {
                break;
            }
            pos = comma + 1;
        }
    }
    if (out.empty()) {
        out.assign(std::begin(kDefaults), std::end(kDefaults));
    }
    return out;
}

int history_main(const core::Options& o) {
    HistoryOptions h;
    h.insts = symbols_option(o);
    h.bar = o.has("bar") ? std::string(core::parse_bar(o.str("bar"))->name) : "1m";
    h.since = time_option(o, "since");
    if (o.has("backfill")) {
        auto ms = core::parse_duration_ms(o.str("backfill"));
        if (!ms || *ms <= 0) {
            throw core::UsageError("--backfill: \"" + o.str("backfill") +
                                   "\" is not a duration (e.g. 90m, 6h, 7d)");
        }
        h.backfill = ms;
    }
    h.until = time_option(o, "until");
    h.rest.base_url = o.str("rest-url");
    h.rest.demo = o.flag("demo");
    h.rest.max_retries = static_cast<int>(o.integer("retries"));
    if (h.rest.max_retries < 0 || h.rest.max_retries > 100) {
        throw core::UsageError("--retries must be between 0 and 100");
    }
    h.store_path = o.str("store");
    h.run_id = o.str("run");
    h.record_path = o.str("record");
    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    return history(h, out);
}

// Replays a tape: the run it recorded is rebuilt from its header and fed from the tape.
int replay_tape_main(const core::Options& o, const std::string& path) {
    auto tape = std::make_shared<okx::TapeReader>(path);
    const nlohmann::json& head = tape->header();
    if (head.value("mode", "") == "live") {
        core::Output out(STDOUT_FILENO, 1 << 16);
        out.set_unbuffered(o.flag("unbuffered"));
        return live_replay(tape, o.str("store"), o.str("run"), out);
    }
    if (head.value("mode", "") != "history") {
        throw core::UsageError(path + ": a tape of mode \"" + head.value("mode", "") +
                               "\" cannot be replayed by this okx-stream");
    }
    HistoryOptions h = history_options_from_tape(head);
    h.rest.tape = tape;
    h.store_path = o.str("store");
    h.run_id = o.str("run");
    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    return history(h, out);
}

} // namespace

int okx_stream_main(const core::Options& o) {
    const bool fetch = o.has("since") || o.has("backfill");
    if (o.has("channels")) {
        if (o.has("replay") || fetch) {
            throw core::UsageError("--channels streams live from OKX: it cannot be combined with "
                                   "--replay, --since or --backfill");
        }
        return live_main(o, symbols_option(o));
    }
    if (o.has("replay") && fetch) {
        throw core::UsageError("--replay reads recordings; --since/--backfill fetch from OKX: "
                               "give one or the other");
    }
    if (o.has("since") && o.has("backfill")) {
        throw core::UsageError("give --since or --backfill, not both");
    }
    if (!o.has("replay") && !fetch) {
        throw core::UsageError("nothing to do: give --replay FILE... (- for stdin), --since "
                               "TIME / --backfill DURATION to fetch candles from OKX, or "
                               "--channels CHANNEL... to stream them live");
    }
    if (o.has("replay") && o.strs("replay").size() == 1 &&
        okx::TapeReader::is_tape(o.strs("replay").front())) {
        return replay_tape_main(o, o.strs("replay").front());
    }
    ReplayOptions r;
    r.files = o.strs("replay");
    r.inst = o.str("inst");
    r.bar = o.str("bar");
    if (!r.inst.empty() && !core::normalize_inst(r.inst)) {
        throw core::UsageError("--inst: \"" + r.inst + "\" is not an instrument (e.g. BTC-USDT)");
    }
    if (!r.bar.empty() && !core::parse_bar(r.bar)) {
        throw core::UsageError("--bar: \"" + r.bar +
                               "\" is not an OKX bar (1m 3m 5m 15m 30m 1H "
                               "2H 4H 6H 12H 1D 1W, or 6Hutc 12Hutc 1Dutc 1Wutc)");
    }
    if (fetch) {
        return history_main(o);
    }
    r.from = time_option(o, "from");
    r.to = time_option(o, "to");
    r.speed = o.number("speed");
    if (r.speed < 0) {
        throw core::UsageError("--speed must be 0 (as fast as possible) or positive");
    }
    r.strict = o.flag("strict");
    std::int64_t max_line = o.integer("max-line");
    if (max_line < 16) {
        throw core::UsageError("--max-line must be at least 16 bytes");
    }
    r.max_line = static_cast<std::size_t>(max_line);
    r.store_path = o.str("store");
    r.run_id = o.str("run");
    r.source = o.str("source");
    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    return replay(r, out);
}

} // namespace okxkit::stream
