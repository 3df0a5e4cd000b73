// Internal to lib/stream: the state of a LiveSession, shared by its files (session.cpp: frames
// and connections; candle_repair.cpp: the candle gap-repair machine; market_data.cpp: tickers,
// trades and books; session_health.cpp: health events and latency).
#pragma once

#include "core/bar.hpp"
#include "core/io.hpp"
#include "okx/book.hpp"
#include "okx/json_reader.hpp"
#include "okx/push.hpp"
#include "store/store.hpp"
#include "stream/session.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace okxkit::stream {

namespace detail {

inline constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();

// The q-quantile (0 to 1) of v by nth_element (v is reordered); 0 when v is empty.
double percentile(std::vector<std::int64_t>& v, double q);

} // namespace detail

struct LiveSession::Impl {
    static constexpr std::int64_t kNone = detail::kNone;

    struct Endpoint {
        std::string component;
        std::string url;
        std::vector<std::int64_t> latency; // ms, since the last summary
        std::int64_t window_start = kNone;
    };
    struct Sub {
        ChannelSpec::Kind kind{};
        std::string channel;
        std::string inst;
        core::Bar bar{};
        std::size_t ep = 0;
        bool derivative = false;
        bool done = false;
        // candles
        std::int64_t next = kNone;    // open time of the next bar owed, confirmed
        std::int64_t forming = kNone; // open time of the forming bar last pushed
        std::string cause;            // gap cause pending since a disconnect
        std::int64_t partial_ts = kNone;
        std::string partial_sig; // the forming update last written (--partial)
        // books
        std::unique_ptr<okx::OrderBook> book;
        bool resyncing = false;    // a resubscribe was asked for and its snapshot has not come
        bool after_notice = false; // its connection was replaced after a notice (64008)
    };

    Impl(SessionOptions o, core::Output& output, CandleSource* candle_source,
         store::CandleRun* candle_sink, std::string run)
        : options(o), out(output), source(candle_source), sink(candle_sink),
          run_id(std::move(run)) {}

    SessionOptions options;
    core::Output& out;
    CandleSource* source;
    store::CandleRun* sink;
    std::string run_id;
    std::vector<Endpoint> endpoints;
    std::vector<Sub> subs;
    std::unordered_map<std::string, std::size_t> by_key; // channel \x1f inst → subs index
    std::string key_scratch;
    SessionStats stats;
    okx::JsonReader json;
    std::vector<okx::PushCandle> candles;
    std::vector<okx::PushTrade> trades;
    std::vector<okx::PushLevel> bids, asks;
    std::vector<okx::BookLevelText> book_bids, book_asks;
    LiveSession* owner = nullptr;
    store::CandleRow row;
    std::chrono::steady_clock::time_point last_commit = std::chrono::steady_clock::now();

    // The subscription of (channel, inst), or nullptr.
    Sub* find(std::string_view channel, std::string_view inst);
    // A data push: its subscription's handler, or a report when it is malformed.
    void push(std::size_t ep, std::string_view text, std::int64_t recv_ts);

    // --- health (session_health.cpp) ---

    // A malformed frame: one warning with an excerpt, and a health error event.
    void report(std::size_t ep, std::string_view why, std::string_view text, std::int64_t ts);
    // A health event: to the store when there is one, to the output with health_out.
    void health(std::int64_t ts, std::string_view component, std::string_view event,
                std::string_view inst, std::optional<double> value, const std::string& detail);
    // One push's exchange-to-receive latency; a summary every latency_every_ms of receive time.
    void latency(std::size_t ep, std::int64_t exchange_ts, std::int64_t recv_ts);
    void summarise(std::size_t ep, std::int64_t ts);

    // --- candles (candle_repair.cpp) ---

    void write_candle(const Sub& s, std::int64_t ts, const std::array<std::string_view, 5>& text,
                      double o, double h, double l, double c, double vol, std::optional<double> vq,
                      bool confirm, std::int64_t recv_ts, bool from_rest);
    // Writes the bars [s.next, hi) from the CandleSource, after a gap message when bars are
    // missing from the stream (to: the pushed bar that showed the hole).
    void repair(Sub& s, std::int64_t hi, std::int64_t to, std::int64_t recv_ts);
    void on_candle(Sub& s, const okx::PushCandle& k, std::int64_t recv_ts);

    // --- tickers, trades, books (market_data.cpp) ---

    bool on_ticker(Sub& s, std::uint32_t data, std::int64_t recv_ts, const char*& why);
    bool on_trades(Sub& s, std::uint32_t data, std::int64_t recv_ts, const char*& why);
    bool on_book(Sub& s, std::uint32_t data, std::int64_t recv_ts, const char*& why);
    // A `books` push (§5.4): the snapshot or update applied to the instrument's book, then its
    // top levels written; a gap or a bad checksum drops the book and resubscribes.
    bool on_books(Sub& s, std::uint32_t data, std::int64_t recv_ts, const char*& why);
    // With until: marks s done once ts reaches it; true when s is done.
    bool until_reached(Sub& s, std::int64_t ts);
    // Drops the book of s and asks for a fresh snapshot, once until it comes. reason: for the
    // warning and the health event; empty when the frame was already reported as malformed.
    void resync(Sub& s, std::int64_t recv_ts, const std::string& reason);
    void write_book(const Sub& s, std::int64_t ts, std::int64_t recv_ts);
};

} // namespace okxkit::stream
