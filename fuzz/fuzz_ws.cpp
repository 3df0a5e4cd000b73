// WebSocket frames through the live session (okx-stream's state machine): candle, ticker,
// trade and book pushes, events and connection changes, for two instruments on both endpoints,
// health messages on. Each input line is one frame; a line starting with '!' is a connection
// event instead. Receive times advance by the line's length, so the clock is the input's own.
// Checks: every output line is a valid UTF-8 JSON object (text from the wire is escaped or
// replaced, never copied raw). Each frame also goes through the private WebSocket's parsers
// (op answers, orders and account pushes), which either read it or refuse it with a
// diagnostic.
#include "core/error.hpp"
#include "core/io.hpp"
#include "fuzz_common.hpp"
#include "okx/trade.hpp"
#include "stream/session.hpp"

#include <sstream>

using namespace okxkit;

namespace {

// Holes are left open: a source that has nothing (as a tape without the REST answer).
class NoCandles : public stream::CandleSource {
public:
    std::vector<okx::RestCandle> fetch(const std::string&, core::Bar, std::int64_t,
                                       std::int64_t) override {
        return {};
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quiet();
    const std::string_view input = fuzz::as_text(data, size);
    std::ostringstream os;
    {
        core::Output out(os, 4096);
        NoCandles source;
        stream::SessionOptions so;
        so.health_out = true;
        so.partial = true;
        so.depth = 3;
        stream::LiveSession session(so, out, &source, nullptr);
        const std::size_t pub =
            session.add_endpoint("okx-ws-public", "ws://127.0.0.1:1/ws/v5/public");
        const std::size_t biz =
            session.add_endpoint("okx-ws-business", "ws://127.0.0.1:1/ws/v5/business");
        for (const char* inst : {"BTC-USDT", "ETH-USDT-SWAP"}) {
            session.subscribe(biz, stream::parse_channel("candle1m"), inst);
            for (const char* ch : {"tickers", "trades", "books5", "bbo-tbt", "books"}) {
                session.subscribe(pub, stream::parse_channel(ch), inst);
            }
        }
        std::int64_t now = 1700000000000;
        session.connected(pub, false, now);
        session.connected(biz, false, now);
        try {
            for (std::string_view line : fuzz::split_lines(input)) {
                now += static_cast<std::int64_t>(line.size());
                if (line.starts_with("!")) {
                    const std::size_t ep = line.size() > 1 && line[1] == 'b' ? biz : pub;
                    if (line.size() > 2 && line[2] == 'c') {
                        session.connected(ep, true, now);
                    } else {
                        session.disconnected(ep, line.size() > 3 ? "stall" : "reconnect", now,
                                             line.substr(std::min<std::size_t>(line.size(), 3)));
                    }
                    continue;
                }
                session.frame(line.size() % 2 == 0 ? pub : biz, line, now);
                try {
                    (void)okx::parse_op_answer(line);
                    (void)okx::parse_orders_push(line);
                    (void)okx::parse_account_push(line);
                } catch (const core::Error& e) {
                    fuzz::check_diagnostic(e.what());
                }
            }
            session.finish();
        } catch (const core::Error& e) {
            fuzz::check_diagnostic(e.what());
        }
    }
    fuzz::check_ndjson(os.str());
    return 0;
}
