// news: the recorded-item readers (CSV with RFC 4180 quoting, NDJSON news lines), the repeat
// keys, the symbol tagger, the VADER scorer over arbitrary bytes (UTF-8 or not) and the news
// line writer; with the first byte 7 (mod 8), the rest is read as a lexicon or overlay file.
// Whatever the input: no crash; every problem a short, valid diagnostic; every news line
// written a valid UTF-8 JSON object; every compound score finite and within [-1, 1], and the
// shares pos, neg, neu each within [0, 1] and summing to 1 when there are words.
#include "core/error.hpp"
#include "fuzz_common.hpp"
#include "news/items.hpp"
#include "news/vader.hpp"

#include <cmath>

using namespace okxkit;

namespace {

void check_sentiment(const news::Sentiment& s) {
    if (!std::isfinite(s.compound) || s.compound < -1 || s.compound > 1) {
        fuzz::fail("compound out of [-1, 1]", std::to_string(s.compound));
    }
    const double sum = s.pos + s.neg + s.neu;
    if (s.pos < 0 || s.neg < 0 || s.neu < 0 || (sum != 0 && std::fabs(sum - 1) > 1e-9)) {
        fuzz::fail("shares out of range", std::to_string(sum));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quiet();
    if (size < 1) {
        return 0;
    }
    const std::string_view text = fuzz::as_text(data + 1, size - 1);
    if (data[0] % 8 == 7) {
        try {
            const news::Lexicon lex = news::Lexicon::parse(text, "overlay.tsv", (data[0] & 8) != 0);
            news::Vader v(lex);
            check_sentiment(v.score(text, true));
        } catch (const core::UsageError& e) {
            fuzz::check_diagnostic(e.what());
        }
        return 0;
    }
    static news::Vader vader(news::Lexicon::vader());
    static const news::Tagger tagger({"BTC-USDT", "ETH-USDT", "ADA-USDT", "BNB-USDT", "DOT-USDT",
                                      "LINK-USDT", "LTC-USDT", "XRP-USDT"},
                                     {"SOL=solana"});
    check_sentiment(vader.score(text, true));
    std::vector<news::Recorded> items;
    try {
        items = news::read_recorded(text, "h.csv", [](std::size_t, const std::string& why) {
            fuzz::check_diagnostic(why);
        });
    } catch (const core::UsageError& e) {
        fuzz::check_diagnostic(e.what());
    }
    std::string out;
    for (news::Recorded& r : items) {
        (void)news::headline_key(r.item.headline);
        (void)news::url_key(r.item.url);
        r.item.symbols = tagger.symbols(r.item.headline);
        r.item.sentiment = vader.score(r.item.headline, true);
        check_sentiment(*r.item.sentiment);
        if (!r.has_ts) {
            r.item.ts = *r.item.published;
        }
        news::append_news_line(out, r.item, true);
        out += '\n';
    }
    fuzz::check_ndjson(out);
    return 0;
}
