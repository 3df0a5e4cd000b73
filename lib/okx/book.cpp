// The OKX `books` order book: levels kept as received, the seqId chain and the CRC32 checksum.
#include "okx/book.hpp"

#include "core/json_scan.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace okxkit::okx {

namespace {

// The reflected table of the IEEE 802.3 polynomial 0xEDB88320, built at compile time.
constexpr std::array<std::uint32_t, 256> kCrcTable = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
        }
        t[i] = c;
    }
    return t;
}();

// OKX decimals ("64040.2", "0.0000102"): finite and not negative; no sign, hex or "nan".
bool parse_decimal(std::string_view s, double& v) {
    if (s.empty() || s.size() > OrderBook::kMaxText) {
        return false;
    }
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+')) {
            return false;
        }
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && std::isfinite(v) && v >= 0;
}

// Where px goes in a side ordered from the worst level to the best: the first entry that is
// not worse than px (bids: not below it; asks: not above it).
template <typename Entry>
typename std::vector<Entry>::iterator find_level(std::vector<Entry>& side, double px, bool bids) {
    if (bids) {
        return std::lower_bound(side.begin(), side.end(), px,
                                [](const Entry& e, double p) { return e.px < p; });
    }
    return std::lower_bound(side.begin(), side.end(), px,
                            [](const Entry& e, double p) { return e.px > p; });
}

std::uint32_t crc_piece(std::uint32_t crc, std::string_view piece, bool& first) {
    if (!first) {
        crc = crc32_update(crc, ":");
    }
    first = false;
    return crc32_update(crc, piece);
}

} // namespace

std::uint32_t crc32_update(std::uint32_t crc, std::string_view data) {
    std::uint32_t c = ~crc;
    for (char ch : data) {
        c = kCrcTable[(c ^ static_cast<unsigned char>(ch)) & 0xFFU] ^ (c >> 8);
    }
    return ~c;
}

std::int32_t book_checksum(std::string_view check_string) {
    // Two's complement, as OKX's docs show it (a negative number for the high bit).
    return static_cast<std::int32_t>(crc32_update(0, check_string));
}

std::string_view result_name(OrderBook::Result result) {
    switch (result) {
    case OrderBook::Result::kOk:
        return "ok";
    case OrderBook::Result::kIgnored:
        return "ignored";
    case OrderBook::Result::kSequenceGap:
        return "sequence-gap";
    case OrderBook::Result::kChecksumMismatch:
        return "checksum-mismatch";
    case OrderBook::Result::kMalformed:
        return "malformed";
    }
    return "?";
}

OrderBook::Level OrderBook::level(const Entry& e) const {
    const Slot& s = slots_[e.slot];
    return {e.px, s.size, std::string_view(s.px_text.data(), s.px_len),
            std::string_view(s.sz_text.data(), s.sz_len)};
}

std::uint32_t OrderBook::take_slot(const Parsed& p) {
    std::uint32_t slot = 0;
    if (free_.empty()) {
        slot = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
    } else {
        slot = free_.back();
        free_.pop_back();
    }
    Slot& s = slots_[slot];
    s.px_len = static_cast<std::uint8_t>(p.text.px.size());
    std::memcpy(s.px_text.data(), p.text.px.data(), p.text.px.size());
    set_size(slot, p);
    return slot;
}

void OrderBook::set_size(std::uint32_t slot, const Parsed& p) {
    Slot& s = slots_[slot];
    s.size = p.sz;
    s.sz_len = static_cast<std::uint8_t>(p.text.sz.size());
    std::memcpy(s.sz_text.data(), p.text.sz.data(), p.text.sz.size());
}

OrderBook::OrderBook(std::size_t max_levels) : max_levels_(std::max<std::size_t>(1, max_levels)) {
    bids_.reserve(max_levels_ + 64);
    asks_.reserve(max_levels_ + 64);
    slots_.reserve(2 * max_levels_ + 128);
    free_.reserve(2 * max_levels_ + 128);
}

void OrderBook::clear() {
    bids_.clear();
    asks_.clear();
    slots_.clear();
    free_.clear();
    ready_ = false;
    seq_.reset();
    prev_seq_.reset();
    went_back_ = false;
}

OrderBook::Result OrderBook::fail(Result r, std::string why) {
    why_ = std::move(why);
    if (r == Result::kSequenceGap || r == Result::kChecksumMismatch) {
        clear();
    }
    return r;
}

bool OrderBook::parse_side(std::span<const BookLevelText> levels, std::vector<Parsed>& out,
                           const char* side) {
    out.clear();
    for (const BookLevelText& l : levels) {
        Parsed p{0, 0, l};
        if (!parse_decimal(l.px, p.px) || p.px <= 0 || !parse_decimal(l.sz, p.sz)) {
            // Text from the wire: quoted as escaped ASCII excerpts, never raw.
            why_ = std::string(side) + " level with a bad price or size: [" +
                   core::excerpt(l.px, 40) + "," + core::excerpt(l.sz, 40) + "]";
            return false;
        }
        out.push_back(p);
    }
    return true;
}

OrderBook::Result OrderBook::check_sequence(const BookPush& push) {
    if (!seq_) {
        return Result::kOk; // no chain to check: the checksum is all there is
    }
    if (!push.seq_id || !push.prev_seq_id) {
        why_ = "update without seqId and prevSeqId after pushes that had them";
        return Result::kMalformed;
    }
    const std::int64_t seq = *push.seq_id;
    const std::int64_t prev = *push.prev_seq_id;
    if (prev != *seq_) {
        if (seq == *seq_ && prev_seq_ && prev == *prev_seq_) {
            why_ = "repeated update (seqId " + std::to_string(seq) + ")";
            return Result::kIgnored;
        }
        return fail(Result::kSequenceGap, "prevSeqId " + std::to_string(prev) +
                                              " does not follow seqId " + std::to_string(*seq_));
    }
    if (seq == prev && (!push.bids.empty() || !push.asks.empty())) {
        return fail(Result::kSequenceGap,
                    "seqId " + std::to_string(seq) + " did not advance on an update with levels");
    }
    if (seq < prev) {
        // OKX: after maintenance seqId may restart lower; accepted once (§5.4).
        if (went_back_) {
            return fail(Result::kSequenceGap, "seqId went backwards twice in a row (" +
                                                  std::to_string(prev) + " to " +
                                                  std::to_string(seq) + ")");
        }
        went_back_ = true;
    } else if (seq > prev) {
        went_back_ = false;
    }
    return Result::kOk;
}

void OrderBook::replace(std::vector<Entry>& side, const std::vector<Parsed>& levels, bool bids) {
    for (const Entry& e : side) {
        free_.push_back(e.slot);
    }
    side.clear();
    for (const Parsed& p : levels) {
        if (p.sz > 0) {
            side.push_back({p.px, take_slot(p)});
        }
    }
    // OKX sends a side best first; std::sort is the fallback. Of two levels with the same
    // price the later one wins, as if the snapshot were applied level by level.
    std::reverse(side.begin(), side.end());
    const auto worse = [bids](const Entry& a, const Entry& b) {
        return bids ? a.px < b.px : a.px > b.px;
    };
    if (!std::is_sorted(side.begin(), side.end(), worse)) {
        std::stable_sort(side.begin(), side.end(), worse);
    }
    // Equal prices are now in reverse input order: keep the first of each run.
    auto out = side.begin();
    for (auto it = side.begin(); it != side.end(); ++it) {
        if (out != side.begin() && (out - 1)->px == it->px) {
            free_.push_back(it->slot);
            continue;
        }
        *out++ = *it;
    }
    side.erase(out, side.end());
}

void OrderBook::update(std::vector<Entry>& side, const std::vector<Parsed>& levels, bool bids) {
    for (const Parsed& p : levels) {
        auto it = find_level(side, p.px, bids);
        const bool found = it != side.end() && it->px == p.px;
        if (p.sz == 0) {
            if (found) {
                free_.push_back(it->slot);
                side.erase(it);
            }
        } else if (found) {
            set_size(it->slot, p);
            Slot& s = slots_[it->slot];
            s.px_len = static_cast<std::uint8_t>(p.text.px.size());
            std::memcpy(s.px_text.data(), p.text.px.data(), p.text.px.size());
        } else {
            side.insert(it, Entry{p.px, take_slot(p)});
        }
    }
}

void OrderBook::trim(std::vector<Entry>& side) {
    if (side.size() > max_levels_) {
        const auto cut = side.begin() + static_cast<std::ptrdiff_t>(side.size() - max_levels_);
        for (auto it = side.begin(); it != cut; ++it) {
            free_.push_back(it->slot);
        }
        side.erase(side.begin(), cut);
    }
}

OrderBook::Result OrderBook::apply(const BookPush& push) {
    if (!push.snapshot && !ready_) {
        why_ = "update before any snapshot";
        return Result::kIgnored;
    }
    if (!parse_side(push.bids, scratch_bids_, "bid") ||
        !parse_side(push.asks, scratch_asks_, "ask")) {
        return Result::kMalformed;
    }
    if (push.snapshot) {
        replace(bids_, scratch_bids_, true);
        replace(asks_, scratch_asks_, false);
        ready_ = true;
        went_back_ = false;
    } else {
        if (const Result r = check_sequence(push); r != Result::kOk) {
            return r;
        }
        update(bids_, scratch_bids_, true);
        update(asks_, scratch_asks_, false);
    }
    trim(bids_);
    trim(asks_);
    seq_ = push.seq_id;
    prev_seq_ = push.prev_seq_id;
    if (push.checksum != 0) {
        if (const std::int32_t mine = checksum(); mine != push.checksum) {
            std::string what = push.snapshot ? "snapshot" : "update";
            if (push.seq_id) {
                what += " seqId " + std::to_string(*push.seq_id);
            }
            return fail(Result::kChecksumMismatch, "checksum " + std::to_string(push.checksum) +
                                                       " of " + what + ", the book gives " +
                                                       std::to_string(mine));
        }
    }
    return Result::kOk;
}

std::int32_t OrderBook::checksum() const {
    std::uint32_t crc = 0;
    bool first = true;
    const std::size_t nb = std::min(kChecksumLevels, bids_.size());
    const std::size_t na = std::min(kChecksumLevels, asks_.size());
    for (std::size_t i = 0; i < std::max(nb, na); ++i) {
        if (i < nb) {
            crc = crc_piece(crc, bid(i).px_text, first);
            crc = crc_piece(crc, bid(i).sz_text, first);
        }
        if (i < na) {
            crc = crc_piece(crc, ask(i).px_text, first);
            crc = crc_piece(crc, ask(i).sz_text, first);
        }
    }
    return static_cast<std::int32_t>(crc);
}

std::string OrderBook::check_string() const {
    std::string s;
    const std::size_t nb = std::min(kChecksumLevels, bids_.size());
    const std::size_t na = std::min(kChecksumLevels, asks_.size());
    const auto add = [&](std::string_view piece) {
        if (!s.empty()) {
            s += ':';
        }
        s += piece;
    };
    for (std::size_t i = 0; i < std::max(nb, na); ++i) {
        if (i < nb) {
            add(bid(i).px_text);
            add(bid(i).sz_text);
        }
        if (i < na) {
            add(ask(i).px_text);
            add(ask(i).sz_text);
        }
    }
    return s;
}

} // namespace okxkit::okx
