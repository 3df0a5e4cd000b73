// LiveSession's tickers, trades and books: OKX pushes normalised to ticker, trade and book
// messages; 400-level books kept from snapshot and updates, resubscribed when they break.
#include "stream/session_impl.hpp"

#include "core/json_out.hpp"
#include "core/log.hpp"

#include <algorithm>
#include <limits>

namespace okxkit::stream {

namespace {

void append_number(std::string& buf, std::string_view key, std::string_view text, double v) {
    buf += ",\"";
    buf += key;
    buf += "\":";
    core::append_double_from_text(buf, text, v);
}

void append_levels(std::string& buf, const std::vector<okx::PushLevel>& levels) {
    buf += '[';
    for (std::size_t k = 0; k < levels.size(); ++k) {
        if (k > 0) {
            buf += ',';
        }
        buf += '[';
        core::append_double_from_text(buf, levels[k].px, levels[k].vpx);
        buf += ',';
        core::append_double_from_text(buf, levels[k].sz, levels[k].vsz);
        buf += ']';
    }
    buf += ']';
}

} // namespace

bool LiveSession::Impl::until_reached(Sub& s, std::int64_t ts) {
    if (options.until && ts >= *options.until) {
        s.done = true;
    }
    return s.done;
}

bool LiveSession::Impl::on_ticker(Sub& s, std::uint32_t data, std::int64_t recv_ts,
                                  const char*& why) {
    const auto& arr = json.at(data);
    std::uint32_t i = data + 1;
    for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
        okx::PushTicker t;
        switch (okx::read_ticker(json, i, s.derivative, t)) {
        case okx::TickerRead::kMalformed:
            why = "ticker without a ts";
            return false;
        case okx::TickerRead::kNoQuote:
            // OKX sends "" for a side without orders: no quote to write.
            core::Log::debug(s.inst + ": ticker without a full quote skipped");
            continue;
        case okx::TickerRead::kOk:
            break;
        }
        if (until_reached(s, t.ts)) {
            continue;
        }
        latency(s.ep, t.ts, recv_ts);
        std::string& buf = out.buffer();
        buf += R"({"type":"ticker","v":1,"ts":)";
        core::append_int(buf, t.ts);
        buf += R"(,"inst":")";
        buf += s.inst;
        buf += '"';
        append_number(buf, "last", t.last, t.vlast);
        append_number(buf, "bid", t.bid, t.vbid);
        append_number(buf, "bid_sz", t.bid_sz, t.vbid_sz);
        append_number(buf, "ask", t.ask, t.vask);
        append_number(buf, "ask_sz", t.ask_sz, t.vask_sz);
        if (t.has_vol) {
            append_number(buf, "vol_24h", t.vol, t.vvol);
        }
        buf += R"(,"recv_ts":)";
        core::append_int(buf, recv_ts);
        buf += '}';
        out.end_line();
        ++stats.lines;
    }
    return true;
}

bool LiveSession::Impl::on_trades(Sub& s, std::uint32_t data, std::int64_t recv_ts,
                                  const char*& why) {
    // Check every trade first: a malformed frame writes nothing.
    if (!okx::read_trades(json, data, trades, why)) {
        return false;
    }
    for (const okx::PushTrade& t : trades) {
        if (until_reached(s, t.ts)) {
            continue;
        }
        latency(s.ep, t.ts, recv_ts);
        std::string& buf = out.buffer();
        buf += R"({"type":"trade","v":1,"ts":)";
        core::append_int(buf, t.ts);
        buf += R"(,"inst":")";
        buf += s.inst;
        buf += '"';
        append_number(buf, "px", t.px, t.vpx);
        append_number(buf, "sz", t.sz, t.vsz);
        buf += R"(,"side":")";
        buf += t.side;
        buf += R"(","trade_id":)";
        core::append_json_string(buf, t.id);
        buf += R"(,"recv_ts":)";
        core::append_int(buf, recv_ts);
        buf += '}';
        out.end_line();
        ++stats.lines;
    }
    return true;
}

bool LiveSession::Impl::on_book(Sub& s, std::uint32_t data, std::int64_t recv_ts,
                                const char*& why) {
    const auto& arr = json.at(data);
    const std::size_t depth =
        s.kind == ChannelSpec::Kind::kBboTbt ? 1 : static_cast<std::size_t>(options.depth);
    std::uint32_t i = data + 1;
    for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
        std::string_view ts_text;
        std::int64_t ts = 0;
        auto b = json.member(i, "bids");
        auto a = json.member(i, "asks");
        if (json.at(i).type != okx::JsonReader::Type::kObject || !json.string(i, "ts", ts_text) ||
            !okx::parse_ms(ts_text, ts) || !b || !a || !okx::read_levels(json, *b, bids, depth) ||
            !okx::read_levels(json, *a, asks, depth)) {
            why = "book without ts, or with bids/asks that are not [[px,sz,...],...]";
            return false;
        }
        const std::optional<std::int64_t> seq = okx::seq_id(json, i);
        if (until_reached(s, ts)) {
            continue;
        }
        latency(s.ep, ts, recv_ts);
        std::string& buf = out.buffer();
        buf += R"({"type":"book","v":1,"ts":)";
        core::append_int(buf, ts);
        buf += R"(,"inst":")";
        buf += s.inst;
        buf += R"(","bids":)";
        append_levels(buf, bids);
        buf += R"(,"asks":)";
        append_levels(buf, asks);
        buf += R"(,"depth":)";
        core::append_int(buf, static_cast<std::int64_t>(depth));
        if (seq) {
            buf += R"(,"seq":)";
            core::append_int(buf, *seq);
        }
        buf += R"(,"recv_ts":)";
        core::append_int(buf, recv_ts);
        buf += '}';
        out.end_line();
        ++stats.lines;
    }
    return true;
}

void LiveSession::Impl::resync(Sub& s, std::int64_t recv_ts, const std::string& reason) {
    s.book->clear();
    if (s.resyncing) {
        return;
    }
    s.resyncing = true;
    ++stats.resyncs;
    const Endpoint& e = endpoints[s.ep];
    if (!reason.empty()) {
        core::Log::warning(e.url + ": " + s.inst + " " + s.channel + ": " + reason +
                           "; resubscribing for a new snapshot");
        health(recv_ts, e.component, "gap", s.inst, std::nullopt,
               s.channel + ": " + reason + "; resubscribed");
    }
    if (owner->on_resubscribe) {
        owner->on_resubscribe(s.ep, s.channel, s.inst);
    }
}

void LiveSession::Impl::write_book(const Sub& s, std::int64_t ts, std::int64_t recv_ts) {
    const okx::OrderBook& b = *s.book;
    const auto depth = static_cast<std::size_t>(options.depth);
    std::string& buf = out.buffer();
    buf += R"({"type":"book","v":1,"ts":)";
    core::append_int(buf, ts);
    buf += R"(,"inst":")";
    buf += s.inst;
    buf += R"(","bids":[)";
    for (std::size_t k = 0; k < std::min(depth, b.bid_count()); ++k) {
        const okx::OrderBook::Level l = b.bid(k);
        buf += k > 0 ? ",[" : "[";
        core::append_double_from_text(buf, l.px_text, l.px);
        buf += ',';
        core::append_double_from_text(buf, l.sz_text, l.sz);
        buf += ']';
    }
    buf += R"(],"asks":[)";
    for (std::size_t k = 0; k < std::min(depth, b.ask_count()); ++k) {
        const okx::OrderBook::Level l = b.ask(k);
        buf += k > 0 ? ",[" : "[";
        core::append_double_from_text(buf, l.px_text, l.px);
        buf += ',';
        core::append_double_from_text(buf, l.sz_text, l.sz);
        buf += ']';
    }
    buf += R"(],"depth":)";
    core::append_int(buf, static_cast<std::int64_t>(depth));
    if (const auto seq = b.seq_id()) {
        buf += R"(,"seq":)";
        core::append_int(buf, *seq);
    }
    buf += R"(,"recv_ts":)";
    core::append_int(buf, recv_ts);
    buf += '}';
    out.end_line();
    ++stats.lines;
}

bool LiveSession::Impl::on_books(Sub& s, std::uint32_t data, std::int64_t recv_ts,
                                 const char*& why) {
    std::string_view action;
    if (!json.string(0, "action", action) || (action != "snapshot" && action != "update")) {
        why = "books push without action snapshot or update";
        return false;
    }
    const auto& arr = json.at(data);
    std::uint32_t i = data + 1;
    for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
        okx::BookPush p;
        p.snapshot = action == "snapshot";
        std::string_view ts_text;
        auto b = json.member(i, "bids");
        auto a = json.member(i, "asks");
        if (json.at(i).type != okx::JsonReader::Type::kObject || !json.string(i, "ts", ts_text) ||
            !okx::parse_ms(ts_text, p.ts) || !b || !a ||
            !okx::read_book_side(json, *b, book_bids) ||
            !okx::read_book_side(json, *a, book_asks)) {
            why = "books push without ts, or with bids/asks that are not [[px,sz,...],...]";
            return false;
        }
        std::int64_t v = 0;
        bool bad = false;
        if (okx::integer_field(json, i, "seqId", v, bad)) {
            p.seq_id = v;
        }
        if (okx::integer_field(json, i, "prevSeqId", v, bad)) {
            p.prev_seq_id = v;
        }
        if (okx::integer_field(json, i, "checksum", v, bad)) {
            if (v < std::numeric_limits<std::int32_t>::min() ||
                v > std::numeric_limits<std::int32_t>::max()) {
                bad = true;
            }
            p.checksum = static_cast<std::int32_t>(v);
        }
        if (bad) {
            why = "books push whose seqId, prevSeqId or checksum is not an integer";
            return false;
        }
        p.bids = book_bids;
        p.asks = book_asks;
        if (until_reached(s, p.ts)) {
            continue;
        }
        switch (s.book->apply(p)) {
        case okx::OrderBook::Result::kOk:
            s.resyncing = false;
            latency(s.ep, p.ts, recv_ts);
            write_book(s, p.ts, recv_ts);
            break;
        case okx::OrderBook::Result::kIgnored:
            if (s.book->ready()) {
                ++stats.duplicates; // a repeat of the last update
            }
            break;
        case okx::OrderBook::Result::kSequenceGap:
            resync(s, recv_ts, "sequence gap: " + s.book->why());
            break;
        case okx::OrderBook::Result::kChecksumMismatch:
            resync(s, recv_ts, "checksum mismatch: " + s.book->why());
            break;
        case okx::OrderBook::Result::kMalformed:
            why = s.book->why().c_str();
            return false;
        }
    }
    return true;
}

} // namespace okxkit::stream
