// fake-okx: a local OKX v5 REST server on 127.0.0.1 for the tests (see README.md here).
#include "core/cli.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "market.hpp"
#include "rest.hpp"
#include "server.hpp"
#include "state.hpp"
#include "ws.hpp"

#include <cstdio>
#include <libwebsockets.h>
#include <memory>
#include <vector>

namespace {

using okxkit::core::OptionSpec;
using okxkit::core::OptType;

okxkit::core::ToolSpec fake_okx_spec() {
    okxkit::core::ToolSpec spec{
        "fake-okx",
        "a local OKX v5 server for tests: REST and WebSocket market data from candle CSVs, "
        "with faults",
        "fake-okx [--port N] [--port-file FILE] [--data DIR] [--now MS] [OPTIONS]",
        "Endpoints: GET /api/v5/public/time, /api/v5/public/instruments,\n"
        "/api/v5/market/candles, /api/v5/market/history-candles, /api/v5/market/books;\n"
        "private, signed as OKX signs them: GET /api/v5/account/balance, /account/positions,\n"
        "/account/trade-fee; POST and GET /api/v5/trade/order; POST /trade/cancel-order,\n"
        "/trade/amend-order, /trade/batch-orders, /trade/cancel-batch-orders,\n"
        "/trade/cancel-all-after; GET /trade/orders-pending, /trade/orders-history, /trade/fills;\n"
        "algo orders (oco, conditional): POST and GET /trade/order-algo, POST "
        "/trade/cancel-algos,\n"
        "/trade/amend-algos, GET /trade/orders-algo-pending, /trade/orders-algo-history;\n"
        "POST /fake/clock {\"now\": MS} moves the market clock, GET /fake/ledger lists\n"
        "every order, fill and algo; --state FILE keeps them across a restart;\n"
        "WebSocket /ws/v5/public (tickers, trades, books) and /ws/v5/business (candle{bar})\n"
        "on the same port, and /ws/v5/private (login, the orders and account channels, the order "
        "and\n"
        "cancel-order ops). The first public or business WebSocket connection starts the\n"
        "market clock: from then on it advances 60000 ms every --ws-interval-ms, for the\n"
        "pushes and for REST alike. Binds 127.0.0.1 only.\n"
        "SIGINT and SIGTERM stop the server with exit 0. See tests/fake-okx/README.md.\n",
        {
            {"port", 0, OptType::kInt, "N", "TCP port on 127.0.0.1; 0 picks a free one", "0"},
            {"port-file", 0, OptType::kPath, "FILE",
             "write the bound port here once listening (via FILE.tmp and rename)"},
            {"data", 0, OptType::kPath, "DIR",
             "candle CSVs named INST_BAR.csv (BTC-USDT_1m.csv), header "
             "ts_ms,open,high,low,close,volume"},
            {"now", 0, OptType::kInt, "MS",
             "market clock in ms since the epoch (default: the wall clock); fixed until "
             "the first WebSocket connects"},
            {"history-limit", 0, OptType::kInt, "N", "most rows one history-candles page returns",
             "300"},
            {"rest-confirm-lag-ms", 0, OptType::kInt, "MS",
             "REST shows a bar as forming (confirm \"0\") until the market clock is this far "
             "past its close, as OKX's REST can lag its WebSocket",
             "0"},
            {"log", 0, OptType::kPath, "FILE",
             "append one JSON line per request and WebSocket event to FILE"},
            {"fault-50011-every", 0, OptType::kInt, "N",
             "answer every Nth request with HTTP 429, code 50011 (0: never)", "0"},
            {"fault-500-every", 0, OptType::kInt, "N",
             "answer every Nth request with HTTP 500, code 50026 (0: never)", "0"},
            {"fault-lost-answer-every", 0, OptType::kInt, "N",
             "accept every Nth order placed over REST but answer HTTP 500, code 50026, as if "
             "its answer was lost (0: never; WebSocket orders: --ws-drop-order-every)",
             "0"},
            {"fault-delay-ms", 0, OptType::kInt, "MS", "wait this long before every answer", "0"},
            {"no-rate-limit", 0, OptType::kFlag, "", "do not enforce OKX's per-endpoint limits"},
            {"ws-interval-ms", 0, OptType::kInt, "N",
             "wall ms per 60000 ms step of the market clock, once a WebSocket connected "
             "(0: the clock stays put)",
             "1000"},
            {"ws-start-subs", 0, OptType::kInt, "N",
             "start the market clock once N subscriptions are live, instead of at the first "
             "connection: a test then sees every push from the first bar however late its "
             "client subscribes (0: at the first connection)",
             "0"},
            {"ws-idle-ms", 0, OptType::kInt, "N",
             "close a WebSocket with 4004 after N ms without a frame from the client", "30000"},
            {"ws-drop-every", 0, OptType::kInt, "N",
             "drop a WebSocket without a close frame after every Nth push (0: never)", "0"},
            {"ws-no-pong", 0, OptType::kFlag, "", "never answer the text frame \"ping\""},
            {"ws-stall-every", 0, OptType::kInt, "N",
             "after every Nth push a connection goes silent, yet stays open: no push, no pong "
             "(0: never)",
             "0"},
            {"ws-notice-every", 0, OptType::kInt, "N",
             "after every Nth push send notice 64008, then close at the next clock step or 1 s "
             "later (0: never)",
             "0"},
            {"ws-malformed-every", 0, OptType::kInt, "N",
             "send a garbage frame before every Nth push: half a JSON object, then a push with "
             "5-field rows, in turn (0: never)",
             "0"},
            {"ws-dup-every", 0, OptType::kInt, "N", "send every Nth push twice (0: never)", "0"},
            {"ws-skip-every", 0, OptType::kInt, "N",
             "never send every Nth confirmed candle of a connection (0: never)", "0"},
            {"ws-bad-checksum-every", 0, OptType::kInt, "N",
             "send every Nth books update of a connection with a wrong checksum (0: never)", "0"},
            {"ws-seq-gap-every", 0, OptType::kInt, "N",
             "never send every Nth books update of a connection, leaving a seqId gap (0: never)",
             "0"},
            {"ws-drop-order-every", 0, OptType::kInt, "N",
             "accept every Nth order placed over /ws/v5/private, then drop the connection "
             "without answering it (0: never)",
             "0"},
            {"ws-checksum-zero", 0, OptType::kFlag, "",
             "books checksums are always 0, as after OKX's 2026 retirement"},
            {"api-key", 0, OptType::kString, "KEY",
             "the one API key the private endpoints accept (default: the key of the signature "
             "test vectors in the protocol notes)",
             "985d5b66-57ce-40fb-b714-afc0b9787083"},
            {"api-secret", 0, OptType::kString, "SECRET", "its secret",
             "chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO"},
            {"api-passphrase", 0, OptType::kString, "PASSPHRASE", "its passphrase", "1234567890"},
            {"live-key", 0, OptType::kFlag, "",
             "the key is a live one: a request with x-simulated-trading: 1 gets 50101 (default: "
             "a demo key, and a request without that header gets 50101)"},
            {"balance", 0, OptType::kStrings, "USDT=AMOUNT",
             "the account's USDT at the start (default USDT=10000); its orders fill from the "
             "candles of --data by execute's paper rules as the market clock passes their bars"},
            {"state", 0, OptType::kPath, "FILE",
             "keep the account across restarts: journal every private POST, WebSocket order "
             "op and clock move to FILE (NDJSON, created when missing) and replay it at start, "
             "so orders, fills, ids, algos, the dead-man switch and the clock are as they were; "
             "a FILE written with other --data or --balance is refused (exit 2)"},
        },
    };
    for (const OptionSpec& o : okxkit::core::common_options()) {
        spec.options.push_back(o);
    }
    return spec;
}

std::int64_t int_option(const okxkit::core::Options& opts, std::string_view name, std::int64_t lo,
                        std::int64_t hi) {
    const std::int64_t v = opts.integer(name);
    if (v < lo || v > hi) {
        throw okxkit::core::UsageError("--" + std::string(name) + " wants " + std::to_string(lo) +
                                       " to " + std::to_string(hi) + ", got " + std::to_string(v));
    }
    return v;
}

int fake_okx_main(const okxkit::core::Options& opts) {
    using okxkit::fake::MarketData;
    MarketData data;
    if (opts.has("data")) {
        data = MarketData::load(opts.str("data"));
    }
    okxkit::fake::RestOptions rest_options;
    if (opts.has("now")) {
        rest_options.now_ms = opts.integer("now");
    }
    constexpr std::int64_t kBig = 1'000'000'000;
    rest_options.history_limit =
        static_cast<std::size_t>(int_option(opts, "history-limit", 1, kBig));
    rest_options.fault_50011_every =
        static_cast<std::uint64_t>(int_option(opts, "fault-50011-every", 0, kBig));
    rest_options.fault_500_every =
        static_cast<std::uint64_t>(int_option(opts, "fault-500-every", 0, kBig));
    rest_options.fault_lost_answer_every =
        static_cast<std::uint64_t>(int_option(opts, "fault-lost-answer-every", 0, kBig));
    rest_options.confirm_lag_ms = int_option(opts, "rest-confirm-lag-ms", 0, kBig);
    rest_options.rate_limit = !opts.flag("no-rate-limit");
    rest_options.auth.key = opts.str("api-key");
    rest_options.auth.secret = opts.str("api-secret");
    rest_options.auth.passphrase = opts.str("api-passphrase");
    rest_options.auth.demo = !opts.flag("live-key");
    if (opts.has("balance")) {
        for (const std::string& b : opts.strs("balance")) {
            const std::size_t eq = b.find('=');
            double v = 0;
            if (eq == std::string::npos || b.substr(0, eq) != "USDT" ||
                std::sscanf(b.c_str() + eq + 1, "%lf", &v) != 1 || !(v >= 0)) {
                throw okxkit::core::UsageError(
                    "--balance wants USDT=AMOUNT (the account starts in USDT; other currencies "
                    "come from fills), got " +
                    b);
            }
            rest_options.cash = v;
        }
    }
    std::unique_ptr<okxkit::fake::StateFile> state; // outlives rest, which writes to it
    okxkit::fake::Rest rest(data, rest_options);
    if (opts.has("state")) {
        std::vector<okxkit::fake::StateEntry> entries;
        state = okxkit::fake::StateFile::open(opts.str("state"),
                                              okxkit::fake::state_header(data, rest_options.cash,
                                                                         rest_options.maker_fee,
                                                                         rest_options.taker_fee),
                                              entries);
        rest.restore(entries, state.get());
        okxkit::core::Log::note("--state " + opts.str("state") + ": replayed " +
                                std::to_string(entries.size()) + " lines; the clock at " +
                                std::to_string(rest.now_ms()));
    }

    okxkit::fake::WsOptions ws_options;
    ws_options.interval_ms = int_option(opts, "ws-interval-ms", 0, 3'600'000);
    ws_options.idle_ms = int_option(opts, "ws-idle-ms", 1, 86'400'000);
    ws_options.start_subs = static_cast<std::uint64_t>(int_option(opts, "ws-start-subs", 0, kBig));
    ws_options.drop_every = static_cast<std::uint64_t>(int_option(opts, "ws-drop-every", 0, kBig));
    ws_options.notice_every =
        static_cast<std::uint64_t>(int_option(opts, "ws-notice-every", 0, kBig));
    ws_options.malformed_every =
        static_cast<std::uint64_t>(int_option(opts, "ws-malformed-every", 0, kBig));
    ws_options.dup_every = static_cast<std::uint64_t>(int_option(opts, "ws-dup-every", 0, kBig));
    ws_options.skip_every = static_cast<std::uint64_t>(int_option(opts, "ws-skip-every", 0, kBig));
    ws_options.bad_checksum_every =
        static_cast<std::uint64_t>(int_option(opts, "ws-bad-checksum-every", 0, kBig));
    ws_options.seq_gap_every =
        static_cast<std::uint64_t>(int_option(opts, "ws-seq-gap-every", 0, kBig));
    ws_options.drop_order_every =
        static_cast<std::uint64_t>(int_option(opts, "ws-drop-order-every", 0, kBig));
    ws_options.checksum_zero = opts.flag("ws-checksum-zero");
    ws_options.no_pong = opts.flag("ws-no-pong");
    ws_options.stall_every =
        static_cast<std::uint64_t>(int_option(opts, "ws-stall-every", 0, kBig));
    okxkit::fake::WsHub hub(data, rest, ws_options);

    okxkit::fake::ServerOptions server_options;
    server_options.port = static_cast<int>(int_option(opts, "port", 0, 65535));
    server_options.port_file = opts.str("port-file");
    server_options.log_file = opts.str("log");
    server_options.delay_ms = int_option(opts, "fault-delay-ms", 0, 600'000);
    const int verbosity = opts.verbosity();
    server_options.lws_log_level = verbosity >= 1 ? LLL_WARN : 0;
    if (verbosity >= 2) {
        server_options.lws_log_level |= LLL_NOTICE;
    }
    okxkit::fake::Server server(rest, hub, server_options);
    return server.run();
}

} // namespace

int main(int argc, char** argv) {
    return okxkit::core::run_tool(fake_okx_spec(), argc, argv, fake_okx_main);
}
