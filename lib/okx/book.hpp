// An OKX order book kept from `books` pushes: snapshot, deltas, seqId chain, CRC32 checksum.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::okx {

// CRC-32 of data continuing from crc (0 to start): the IEEE 802.3 polynomial, reflected, as
// zlib's crc32() and Python's zlib.crc32(). Table-driven, O(size), no allocation.
std::uint32_t crc32_update(std::uint32_t crc, std::string_view data);

// OKX's book checksum of a check string "bid1px:bid1sz:ask1px:ask1sz:bid2px:..."
// (okx-v5-protocol.md §5.4): its CRC-32 read as a signed 32-bit integer.
std::int32_t book_checksum(std::string_view check_string);

// One price level of a push as received: OKX's [px, sz, "0", numOrders] strings.
struct BookLevelText {
    std::string_view px;
    std::string_view sz;
};

// One `books` push (its data[0] and the message's action), as received.
struct BookPush {
    bool snapshot = false; // action "snapshot"; otherwise "update"
    std::int64_t ts = 0;
    std::optional<std::int64_t> seq_id;      // absent in pushes before 2022-06
    std::optional<std::int64_t> prev_seq_id; // -1 on a snapshot
    std::int32_t checksum = 0;               // 0 or absent: not provided (the 2026 retirement)
    std::span<const BookLevelText> bids;
    std::span<const BookLevelText> asks;
};

// The book of one instrument kept from OKX's `books` channel (okx-v5-protocol.md §5.4).
//
// A snapshot replaces the book; an update sets each level it carries (size "0" deletes the
// price). Each side keeps at most max_levels levels (400 on `books`), dropping the worst.
// Sequence: an update's prevSeqId must equal the seqId last applied; a heartbeat (no levels,
// prevSeqId == seqId) passes; after maintenance seqId may go backwards (seqId < prevSeqId),
// which is accepted once, not twice in a row; the exact repeat of the last update is ignored.
// Pushes without seqId (OKX before mid-2022) are checked by the checksum alone. Checksum:
// after applying a push, the CRC-32 of the top 25 levels of each side of the whole book,
// interleaved bid:ask as "px:sz" with the strings as received, must equal the push's
// checksum unless that is 0 (not provided).
//
// Levels keep the price and size strings as received (at most kMaxText bytes each) next to
// their values. Each side is a sorted vector of 16-byte (price, slot) entries, searched by
// binary search, the strings in a slot table: O(k log n) comparisons and at most n small
// entries moved per update of k levels on a side of n (400); O(n log n) per snapshot; the
// checksum is O(25). No allocation once the vectors are warm.
class OrderBook {
public:
    enum class Result {
        kOk,               // applied
        kIgnored,          // an update before any snapshot, or a repeat: nothing changed
        kSequenceGap,      // prevSeqId does not follow: the book is dropped
        kChecksumMismatch, // applied, but the checksum differs: the book is dropped
        kMalformed,        // a bad level, or a missing seqId: nothing applied
    };

    static constexpr std::size_t kMaxText = 31;        // longest px or sz string kept
    static constexpr std::size_t kChecksumLevels = 25; // per side, OKX's definition

    // A level of the book: its values and the strings OKX sent for them.
    struct Level {
        double px = 0;
        double sz = 0;
        std::string_view px_text;
        std::string_view sz_text;
    };

    explicit OrderBook(std::size_t max_levels = 400);

    // Applies one push. After kSequenceGap or kChecksumMismatch the book is empty and takes
    // only a snapshot again; after kMalformed it is unchanged. why() says what went wrong.
    Result apply(const BookPush& push);
    // Forgets the book: only a snapshot brings it back.
    void clear();

    // True once a snapshot was applied (and no failure dropped the book since).
    [[nodiscard]] bool ready() const { return ready_; }
    // The seqId of the last push applied, when pushes carry one.
    [[nodiscard]] std::optional<std::int64_t> seq_id() const { return seq_; }
    [[nodiscard]] std::size_t bid_count() const { return bids_.size(); }
    [[nodiscard]] std::size_t ask_count() const { return asks_.size(); }
    // The i-th best bid (0: the highest) and ask (0: the lowest); i < bid_count()/ask_count().
    // The strings stay valid until the next apply() or clear().
    [[nodiscard]] Level bid(std::size_t i) const { return level(bids_[bids_.size() - 1 - i]); }
    [[nodiscard]] Level ask(std::size_t i) const { return level(asks_[asks_.size() - 1 - i]); }
    // OKX's checksum of the book as it is now. O(25).
    [[nodiscard]] std::int32_t checksum() const;
    // The check string the checksum is taken of (for tests and diagnostics; allocates).
    [[nodiscard]] std::string check_string() const;
    // What the last result other than kOk was about, for a diagnostic.
    [[nodiscard]] const std::string& why() const { return why_; }

private:
    // A side is a vector of (price, slot) ordered from the worst level to the best: small
    // entries to shift on insert and erase; the strings and size live in the slot.
    struct Entry {
        double px;
        std::uint32_t slot;
    };
    struct Slot {
        double size = 0;
        std::uint8_t px_len = 0;
        std::uint8_t sz_len = 0;
        std::array<char, kMaxText> px_text{};
        std::array<char, kMaxText> sz_text{};
    };
    struct Parsed {
        double px;
        double sz;
        BookLevelText text;
    };
    [[nodiscard]] Level level(const Entry& e) const;
    std::uint32_t take_slot(const Parsed& p);
    void set_size(std::uint32_t slot, const Parsed& p);
    bool parse_side(std::span<const BookLevelText> levels, std::vector<Parsed>& out,
                    const char* side);
    Result check_sequence(const BookPush& push);
    void replace(std::vector<Entry>& side, const std::vector<Parsed>& levels, bool bids);
    void update(std::vector<Entry>& side, const std::vector<Parsed>& levels, bool bids);
    void trim(std::vector<Entry>& side);
    Result fail(Result r, std::string why);

    std::size_t max_levels_;
    std::vector<Entry> bids_; // ascending price: the best bid last
    std::vector<Entry> asks_; // descending price: the best ask last
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_; // slots not in use
    std::vector<Parsed> scratch_bids_;
    std::vector<Parsed> scratch_asks_;
    bool ready_ = false;
    std::optional<std::int64_t> seq_;
    std::optional<std::int64_t> prev_seq_; // prevSeqId of the last push applied
    bool went_back_ = false;               // the last push applied moved seqId backwards
    std::string why_;
};

// Short name of a result: ok, ignored, sequence-gap, checksum-mismatch, malformed.
std::string_view result_name(OrderBook::Result result);

} // namespace okxkit::okx
