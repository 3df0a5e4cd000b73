// The okx-stream tool: its option table and the body that maps options to a replay, a REST
// history fetch or a live stream.
#include "stream/okx_stream_tool.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"
#include "core/log.hpp"
#include "core/timeutil.hpp"
#include "okx/config_keys.hpp"
#include "okx/tape.hpp"
#include "okx/ws.hpp"
#include "stream/config_keys.hpp"
#include "stream/history.hpp"
#include "stream/live.hpp"
#include "stream/replay.hpp"

#include <algorithm>
#include <unistd.h>

namespace okxkit::stream {

namespace {

using core::OptType;

std::optional<std::string> check_inst(std::string_view v) {
    if (core::normalize_inst(v)) {
        return std::nullopt;
    }
    return "wants an instrument such as BTC-USDT or BTCUSDT";
}

std::optional<std::string> check_channel(std::string_view v) {
    try {
        (void)parse_channel(v);
        return std::nullopt;
    } catch (const core::UsageError&) {
        return "wants a channel okx-stream knows: candle<BAR> such as candle1m or candle1H, "
               "tickers, trades, books5, bbo-tbt or books";
    }
}

core::ToolSpec make_spec() {
    core::ToolSpec spec{
        "okx-stream",
        "market data for okxkit pipelines: OKX history, live streams and replays as NDJSON",
        "okx-stream --replay FILE... [--inst INST] [--bar BAR] [--from TIME] [--to TIME]\n"
        "                  [--speed N] [--store FILE] [OPTIONS]\n"
        "       okx-stream --since TIME | --backfill DURATION [--symbols INST...] [--bar BAR]\n"
        "                  [--until TIME] [--store FILE] [--record TAPE] [OPTIONS]\n"
        "       okx-stream --channels CHANNEL... [--symbols INST...] [--store FILE]\n"
        "                  [--record TAPE] [OPTIONS]",
        "--replay reads candle CSV files (header ts_ms,open,high,low,close,volume; instrument\n"
        "and bar from a name like BTC-USDT_1m.csv), NDJSON message files or tapes; - reads\n"
        "stdin. Several inputs are merged into one stream in event-time order. --since and\n"
        "--backfill fetch closed candles from OKX's REST API; --channels streams live from its\n"
        "WebSocket API, repairing holes from REST.\n"
        "Example: okx-stream --replay BTC-USDT_1m.csv ETH-USDT_1m.csv --from 2021-04-05 | head\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"replay", 0, OptType::kStrings, "FILE",
         "replay recorded candles (CSV, NDJSON, freqtrade JSON) or a tape from FILEs (- is stdin)"},
        {"inst",
         0,
         OptType::kString,
         "INST",
         "instrument of CSV inputs, when the file name does not say (BTC-USDT, BTCUSDT)",
         {},
         {},
         {},
         {},
         {},
         core::kNoMin,
         core::kNoMax,
         check_inst},
        {"bar", 0, OptType::kBar, "BAR",
         "bar of CSV inputs when the file name does not say; of the candles to fetch (default "
         "1m)"},
        {"from", 0, OptType::kTime, "TIME",
         "emit candles at or after TIME (ms since epoch or ISO-8601 UTC)"},
        {"to", 0, OptType::kTime, "TIME", "emit candles before TIME"},
        {"speed", 0, OptType::kNumber, "N", "pace at N x real time (0: as fast as possible)", "0",
         "replay.speed"},
        {"symbols", 0, OptType::kInsts, "INST",
         "instruments to fetch, comma- or space-separated (default: config symbols, else the 8 "
         "majors against USDT)",
         "BTC-USDT,ETH-USDT,ADA-USDT,BNB-USDT,DOT-USDT,LINK-USDT,LTC-USDT,XRP-USDT", "symbols"},
        {"since", 0, OptType::kTime, "TIME", "fetch closed candles from OKX REST from TIME on"},
        {"backfill", 0, OptType::kDuration, "DURATION",
         "fetch closed candles of the last DURATION (90m, 6h, 7d)"},
        {"until", 0, OptType::kTime, "TIME",
         "stop fetching (live: streaming) before TIME (default: the bar still forming)"},
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
        {"retries",
         0,
         OptType::kInt,
         "N",
         "retries of a REST request after transient errors (429, 5xx, timeouts)",
         "5",
         "okx.retries",
         {},
         {},
         {},
         0,
         100},
        // Live mode (stream/live.hpp).
        {"channels",
         0,
         OptType::kStrings,
         "CHANNEL",
         "stream these OKX WebSocket channels live, comma- or space-separated (candle<BAR> of "
         "any bar)",
         {},
         {},
         {},
         {},
         "candle1m|candle5m|candle15m|candle1H|candle4H|candle1Dutc|tickers|trades|books5|bbo-"
         "tbt|books",
         core::kNoMin,
         core::kNoMax,
         check_channel},
        {"ws-public-url", 0, OptType::kString, "URL",
         "OKX public WebSocket URL (tickers, trades, books)", okx::kProductionWsPublicUrl,
         "okx.ws_public_url", "OKX_WS_PUBLIC_URL"},
        {"ws-business-url", 0, OptType::kString, "URL", "OKX business WebSocket URL (candles)",
         okx::kProductionWsBusinessUrl, "okx.ws_business_url", "OKX_WS_BUSINESS_URL"},
        {"partial", 0, OptType::kFlag, "", "live: also write forming candles (confirm:false)"},
        {"depth",
         0,
         OptType::kInt,
         "N",
         "live: price levels per side of book messages",
         "5",
         {},
         {},
         {},
         {},
         1,
         400},
        {"health", 0, OptType::kFlag, "", "live: also write health messages to stdout"},
        {"ping-after", 0, OptType::kDuration, "DURATION",
         "live: send a ping after this long without data", "25s"},
        {"pong-timeout", 0, OptType::kDuration, "DURATION",
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
    spec.config_keys = {{"okx", okx::config_keys()}, {"stream", config_keys()}};
    spec.unavailable = "OKX did not answer, or kept failing, for --retries attempts";
    return spec;
}

} // namespace

const core::ToolSpec& okx_stream_spec() {
    static const core::ToolSpec spec = make_spec();
    return spec;
}

namespace {

// okx-stream's live mode from its options (--channels, --ws-public-url, --ws-business-url,
// --demo, --partial, --depth, --health, --ping-after, --pong-timeout, --until, --rest-url,
// --retries, --store, --run, --record, --unbuffered) and the resolved symbols; writes to
// stdout. Throws core::UsageError for a bad value.
int live_main(const core::Options& o, std::vector<std::string> insts) {
    LiveOptions l;
    l.insts = std::move(insts);
    std::sort(l.insts.begin(), l.insts.end());
    l.insts.erase(std::unique(l.insts.begin(), l.insts.end()), l.insts.end());
    for (const std::string& name : o.strs("channels")) {
        ChannelSpec c = parse_channel(name);
        if (std::none_of(l.channels.begin(), l.channels.end(),
                         [&](const ChannelSpec& x) { return x.name == c.name; })) {
            l.channels.push_back(std::move(c));
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
    l.session.partial = o.flag("partial");
    l.session.health_out = o.flag("health");
    l.session.depth = static_cast<int>(o.integer("depth"));
    l.session.until = o.time_ms("until");
    l.ping_after_ms = *o.duration_ms("ping-after");
    l.pong_timeout_ms = *o.duration_ms("pong-timeout");
    l.store_path = o.str("store");
    l.run_id = o.str("run");
    l.record_path = o.str("record");
    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    return live(l, out);
}

} // namespace

namespace {

int history_main(const core::Options& o) {
    HistoryOptions h;
    h.insts = o.strs("symbols");
    h.bar = o.has("bar") ? o.str("bar") : "1m";
    h.since = o.time_ms("since");
    h.backfill = o.duration_ms("backfill");
    h.until = o.time_ms("until");
    h.rest.base_url = o.str("rest-url");
    h.rest.demo = o.flag("demo");
    h.rest.max_retries = static_cast<int>(o.integer("retries"));
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
    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    return replay_tape(tape, o.str("store"), o.str("run"), out);
}

} // namespace

int okx_stream_main(const core::Options& o) {
    const bool fetch = o.has("since") || o.has("backfill");
    if (o.has("channels")) {
        if (o.has("replay") || fetch) {
            throw core::UsageError("--channels streams live from OKX: it cannot be combined with "
                                   "--replay, --since or --backfill");
        }
        return live_main(o, o.strs("symbols"));
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
    if (fetch) {
        return history_main(o);
    }
    r.from = o.time_ms("from");
    r.to = o.time_ms("to");
    r.speed = o.number("speed");
    if (r.speed < 0) {
        throw core::UsageError("--speed must be 0 (as fast as possible) or positive");
    }
    r.strict = o.flag("strict");
    r.max_line = static_cast<std::size_t>(o.integer("max-line"));
    r.store_path = o.str("store");
    r.run_id = o.str("run");
    r.source = o.str("source");
    core::Output out(STDOUT_FILENO, 1 << 16);
    out.set_unbuffered(o.flag("unbuffered"));
    return replay(r, out);
}

} // namespace okxkit::stream
