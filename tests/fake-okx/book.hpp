// The fake server's order book: 400 levels a side around the market price, a pure function
// of the instrument and the market clock, with OKX's seqId and CRC32 checksum (§5.4).
#pragma once

#include "market.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::fake {

// The depth of OKX's `books` channel and the largest `sz` of GET /market/books.
constexpr std::size_t kBookDepth = 400;

// One level: the price in ticks and its strings as OKX writes them ([px, sz, "0", orders]).
struct BookLevel {
    std::int64_t ticks = 0;
    std::string px;
    std::string sz;
    std::string orders;
};

// A book at one clock: best first on both sides.
struct FakeBook {
    std::int64_t ts = 0;
    std::int64_t seq_id = 0;
    std::vector<BookLevel> bids;
    std::vector<BookLevel> asks;
};

// The book of inst_id at clock, or nullopt when the instrument has no bar at or before the
// clock. Deterministic: the mid is the close of the latest bar of the instrument's finest
// series that opened at or before the clock, in ticks of its tickSz; bids are the first 400
// prices below it that hold a level, asks the first 400 above. Whether a price holds a level,
// its size (4 decimals) and order count come from a hash of the instrument, the price and an
// epoch that turns over every 64 clock steps (60 s each) at a phase of its own, so each step
// changes about 1/64 of the levels, besides what a move of the mid shifts. O(depth).
std::optional<FakeBook> book_at(const MarketData& data, const std::string& inst_id,
                                std::int64_t clock);

// The seqId of inst_id's book at clock: 16 per clock step plus a hashed 0..15, so it always
// grows by 1 to 31 from one step to the next, as OKX's grows by uneven amounts.
std::int64_t book_seq_id(const std::string& inst_id, std::int64_t clock);

// What turns book from into book to, per side best first: changed and new levels as they
// are in to, removed ones with size "0" and order count "0". O(levels).
void book_diff(const FakeBook& from, const FakeBook& to, std::vector<BookLevel>& bids,
               std::vector<BookLevel>& asks);

// OKX's checksum of book (§5.4): zlib's CRC32 of the top 25 levels of each side, interleaved
// bid:ask as "px:sz", read as a signed 32-bit integer.
std::int32_t fake_book_checksum(const FakeBook& book);

// The JSON array [[px, sz, "0", orders], ...] of at most n levels.
std::string book_levels_json(const std::vector<BookLevel>& levels,
                             std::size_t n = static_cast<std::size_t>(-1));

} // namespace okxkit::fake
