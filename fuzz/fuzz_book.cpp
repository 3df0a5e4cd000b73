// The order book and its checksum input. The input is a books push body (the JSON text of
// data[0]: {"asks":[[px,sz,..]..],"bids":[..],"ts":..,"seqId":..,"prevSeqId":..,
// "checksum":..}) per line, the first byte of a line choosing snapshot or update. Checks:
// the book stays sorted (bids descending, asks ascending, no crossed side duplicates), never
// holds more than its limit, every kept level has a positive size, and checksum() is the CRC
// of check_string() as OKX defines it.
#include "fuzz_common.hpp"
#include "okx/book.hpp"
#include "okx/json_reader.hpp"
#include "okx/push.hpp"

using namespace okxkit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_text(data, size);
    okx::OrderBook book(8);
    okx::JsonReader json;
    std::vector<okx::BookLevelText> bids;
    std::vector<okx::BookLevelText> asks;
    for (std::string_view line : fuzz::split_lines(input)) {
        if (line.empty()) {
            continue;
        }
        const bool snapshot = line[0] == 's';
        line.remove_prefix(1);
        if (!json.parse(line) || json.at(0).type != okx::JsonReader::Type::kObject) {
            continue;
        }
        okx::BookPush push;
        push.snapshot = snapshot;
        bids.clear();
        asks.clear();
        auto b = json.member(0, "bids");
        auto a = json.member(0, "asks");
        if (!b || !a || !okx::read_book_side(json, *b, bids) ||
            !okx::read_book_side(json, *a, asks)) {
            continue;
        }
        push.bids = bids;
        push.asks = asks;
        std::int64_t v = 0;
        bool bad = false;
        if (okx::integer_field(json, 0, "seqId", v, bad) && !bad) {
            push.seq_id = v;
        }
        if (okx::integer_field(json, 0, "prevSeqId", v, bad) && !bad) {
            push.prev_seq_id = v;
        }
        if (okx::integer_field(json, 0, "checksum", v, bad) && !bad) {
            push.checksum = static_cast<std::int32_t>(v);
        }
        (void)book.apply(push);
        fuzz::check_diagnostic(book.why());
        if (!book.ready()) {
            continue;
        }
        if (book.bid_count() > 8 || book.ask_count() > 8) {
            fuzz::fail("book holds more levels than its limit", line);
        }
        for (std::size_t i = 0; i < book.bid_count(); ++i) {
            if (!(book.bid(i).sz > 0) || (i > 0 && !(book.bid(i).px < book.bid(i - 1).px))) {
                fuzz::fail("bids not strictly descending with positive sizes", line);
            }
        }
        for (std::size_t i = 0; i < book.ask_count(); ++i) {
            if (!(book.ask(i).sz > 0) || (i > 0 && !(book.ask(i).px > book.ask(i - 1).px))) {
                fuzz::fail("asks not strictly ascending with positive sizes", line);
            }
        }
        if (book.checksum() != okx::book_checksum(book.check_string())) {
            fuzz::fail("checksum() differs from the CRC of check_string()", line);
        }
    }
    return 0;
}
