// Unit tests for lib/core/filter (the loop every stage runs) and the strict fast candle reader.
#include "core/filter.hpp"

#include "core/error.hpp"
#include "core/json_scan.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/signals.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <bit>
#include <csignal>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace okxkit::core {
namespace {

constexpr std::string_view kCandle =
    R"({"type":"candle","v":1,"ts":1617235200000,"inst":"BTC-USDT","bar":"5m","o":58739.46,)"
    R"("h":59093,"l":58720.82,"c":59061.14,"vol":359.123687,"confirm":true})";

// A stage that records what reaches it: fast takes candles, message() gets the rest.
class Recorder : public FilterStage {
public:
    Fast fast(Filter& f, std::string_view line) override {
        CandleFields k;
        if (!take_fast || !read_candle_fast(line, k)) {
            return Fast::kGeneral;
        }
        seen.push_back("fast " + std::string(k.inst));
        f.pass(line);
        f.used(); // candles are what this stage acts on
        return Fast::kTaken;
    }
    void message(Filter& f, const Message& m) override {
        seen.push_back("message " + std::string(m.type));
        if (m.type == "signal" && m.json.value("reason", "") == "reject me") {
            f.reject("the stage does not like it");
            return;
        }
        if (m.type == "signal" && m.json.value("reason", "") == "stop") {
            std::raise(SIGINT);
        }
        f.pass(m.text);
        if (m.type == "sync" && pass_then_reject) {
            f.reject("too late");
        }
    }
    std::string hint(std::string_view first_bad, std::string_view /*reason*/) override {
        return first_bad == "help me" ? "try the other tool" : "";
    }
    void finish(Filter& f) override {
        seen.emplace_back("finish");
        f.out().line(R"({"type":"health","v":1,"ts":0,"component":"t","event":"error"})");
    }
    bool take_fast = true;
    bool pass_then_reject = false;
    std::vector<std::string> seen;
};

struct Outcome {
    int code = 0;
    std::string out;
    FilterStats stats;
};

Outcome run(const std::string& input, Recorder& stage, FilterOptions options = {},
            std::size_t max_line = kDefaultMaxLine) {
    std::istringstream in(input);
    std::ostringstream os;
    Outcome r;
    {
        Output out(os);
        LineReader reader(in, "-", max_line);
        Filter filter(out, options);
        r.code = filter.run(reader, stage);
        r.stats = filter.stats();
    }
    r.out = os.str();
    return r;
}

class FilterTest : public ::testing::Test {
protected:
    void SetUp() override {
        install_signal_policy();
        reset_pending_signal();
        Log::init("stage", 0, false);
    }
    void TearDown() override { reset_pending_signal(); }
};

TEST_F(FilterTest, ValidLinesOfEveryKindPassByteForByteAndInOrder) {
    const std::string input =
        std::string(kCandle) + "\n" +
        // unknown kind, odd spacing, unknown fields, a known kind with extra fields
        R"({ "type" : "mine", "v":1, "ts":5, "x":[1,{"y":null}] })" + "\n" +
        R"({"type":"sync","v":1,"ts":7,"id":3,"extra":"é"})" + "\n";
    Recorder stage;
    testing::internal::CaptureStderr();
    Outcome r = run(input, stage);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out,
              input + R"({"type":"health","v":1,"ts":0,"component":"t","event":"error"})" + "\n");
    EXPECT_EQ(err, "");
    // The unknown kind never reaches the stage; the known ones do; finish comes last.
    EXPECT_EQ(stage.seen, (std::vector<std::string>{"fast BTC-USDT", "message sync", "finish"}));
    EXPECT_EQ(r.stats.lines, 3U);
    EXPECT_EQ(r.stats.passed, 3U);
    EXPECT_EQ(r.stats.bad, 0U);
}

TEST_F(FilterTest, BadLinesGetOneDiagnosticEachAndAreNotWritten) {
    const std::string input = std::string("not json\n") + R"({"type":"candle","v":1,"ts":1})" +
                              "\n" + R"({"type":"signal","v":1,"ts":1,"inst":"BTC-USDT",)" +
                              R"("strategy":"s","side":"buy","strength":1,"confidence":1,)" +
                              R"("reason":"reject me"})" + "\n" + std::string(kCandle) + "\n";
    Recorder stage;
    testing::internal::CaptureStderr();
    Outcome r = run(input, stage);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.stats.bad, 3U);
    EXPECT_EQ(r.out.find("not json"), std::string::npos);
    EXPECT_EQ(r.out.find("reject me"), std::string::npos);
    EXPECT_NE(r.out.find(kCandle), std::string::npos);
    EXPECT_NE(err.find("stage: error: line 1: not valid JSON at byte 2: \"not json\"\n"),
              std::string::npos)
        << err;
    // A line that breaks its kind's rules is quoted, as one that is not JSON is.
    EXPECT_NE(
        err.find(
            R"(stage: error: line 2: missing field "inst": "{\"type\":\"candle\",\"v\":1,\"ts\":1}")"
            "\n"),
        std::string::npos)
        << err;
    EXPECT_NE(
        err.find(R"(stage: error: line 3: the stage does not like it: "{\"type\":\"signal\")"),
        std::string::npos)
        << err;
    EXPECT_NE(err.find("stage: warning: skipped 3 malformed lines of 4 lines read"),
              std::string::npos)
        << err;
}

TEST_F(FilterTest, StrictStopsWithExitThreeAfterWritingWhatCameBefore) {
    const std::string input = std::string(kCandle) + "\nnot json\n" + std::string(kCandle) + "\n";
    Recorder stage;
    testing::internal::CaptureStderr();
    Outcome r = run(input, stage, {.strict = true});
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.code, 3);
    EXPECT_EQ(r.out, std::string(kCandle) + "\n"); // no finish() after a strict stop
    EXPECT_NE(err.find("line 2: not valid JSON"), std::string::npos) << err;
    EXPECT_NE(err.find("--strict"), std::string::npos) << err;
}

TEST_F(FilterTest, DiagnosticsAreCappedThenCounted) {
    std::string input;
    for (int i = 0; i < 25; ++i) {
        input += "bad\n";
    }
    Recorder stage;
    testing::internal::CaptureStderr();
    Outcome r = run(input, stage, {.max_errors = 3});
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.stats.bad, 25U);
    std::size_t shown = 0;
    for (std::size_t p = err.find("error: line"); p != std::string::npos;
         p = err.find("error: line", p + 1)) {
        ++shown;
    }
    EXPECT_EQ(shown, 3U) << err;
    EXPECT_NE(err.find("22 more malformed lines not shown (25 in all)"), std::string::npos) << err;
}

TEST_F(FilterTest, BadLinesAndNothingUsableIsExitThreeWithTheFirstBadLineAndAHint) {
    Recorder stage;
    testing::internal::CaptureStderr();
    Outcome r = run("ts_ms,open,high,low,close,volume\n1617235200000,1,1,1,1,1\n", stage);
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.code, 3);
    EXPECT_EQ(r.stats.used, 0U);
    EXPECT_NE(err.find("stage: error: nothing usable in the input: all 2 lines rejected (the "
                       "first, line 1: not valid JSON at byte 2: \"ts_ms,open,high,low,close,"
                       "volume\"); this looks like a candle CSV, and stage reads NDJSON "
                       "messages: turn it into candles first, okx-stream --replay FILE | stage\n"),
              std::string::npos)
        << err;
    // Lines passed through that the stage cannot act on do not make the input usable; the
    // stage's own hint is given.
    testing::internal::CaptureStderr();
    r = run("help me\n" + std::string(R"({"type":"sync","v":1,"ts":7,"id":3})") + "\n", stage);
    err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.code, 3);
    EXPECT_NE(err.find("nothing usable in the input: 1 line of 2 rejected, and nothing in the "
                       "others for stage to act on (the first, line 1: not valid JSON at byte 1: "
                       "\"help me\"); try the other tool"),
              std::string::npos)
        << err;
    // One used line is enough; no bad line at all is no failure either.
    testing::internal::CaptureStderr();
    r = run("bad\n" + std::string(kCandle) + "\n", stage);
    err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.code, 0) << err;
    EXPECT_EQ(err.find("nothing usable"), std::string::npos) << err;
    testing::internal::CaptureStderr();
    r = run(std::string(R"({"type":"sync","v":1,"ts":7,"id":3})") + "\n", stage);
    err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.code, 0) << err;
    EXPECT_EQ(err, "");
}

TEST_F(FilterTest, ANewerVersionPassesUntouchedIsNeverActedOnAndIsWarnedOncePerKind) {
    const std::string intent =
        R"({"type":"intent","v":99,"ts":1,"inst":"BTC-USDT","whatever":{"new":"layout"}})";
    const std::string candle2 = R"({"type":"candle","v":2,"ts":1,"inst":"BTC-USDT","bar":"5m"})";
    const std::string input = intent + "\n" + candle2 + "\n" + intent + "\n";
    Recorder stage;
    testing::internal::CaptureStderr();
    Outcome r = run(input, stage);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.stats.newer, 3U);
    EXPECT_EQ(r.stats.bad, 0U);
    EXPECT_EQ(stage.seen, std::vector<std::string>{"finish"});
    EXPECT_EQ(r.out.substr(0, input.size()), input);
    EXPECT_NE(err.find("line 1: intent version 99 is newer than this stage understands (1)"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("line 2: candle version 2 is newer"), std::string::npos) << err;
    EXPECT_EQ(err.find("line 3:"), std::string::npos) << err; // once per kind
}

TEST_F(FilterTest, AByteOrderMarkIsDroppedAtTheStartAndABadLineElsewhere) {
    const std::string bom = "\xEF\xBB\xBF";
    Recorder stage;
    testing::internal::CaptureStderr();
    Outcome r = run(bom + std::string(kCandle) + "\n" + bom + std::string(kCandle) + "\n", stage);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.out.find(bom), std::string::npos);
    EXPECT_EQ(r.stats.bad, 1U);
    EXPECT_NE(err.find("line 2: byte order mark"), std::string::npos) << err;
}

TEST_F(FilterTest, ALineOverTheCapIsBad) {
    Recorder stage;
    testing::internal::CaptureStderr();
    Outcome r = run(std::string(300, 'x') + "\n" + std::string(kCandle) + "\n", stage, {}, 200);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.stats.bad, 1U);
    EXPECT_NE(err.find("line 1: line longer than 200 bytes (see --max-line)"), std::string::npos)
        << err;
    EXPECT_NE(r.out.find(kCandle), std::string::npos);
}

TEST_F(FilterTest, AnInterruptEndsTheLoopAfterTheLineInHand) {
    const std::string stop = R"({"type":"signal","v":1,"ts":1,"inst":"BTC-USDT","strategy":"s",)"
                             R"("side":"buy","strength":1,"confidence":1,"reason":"stop"})";
    Recorder stage;
    Outcome r = run(stop + "\n" + std::string(kCandle) + "\n", stage);
    EXPECT_EQ(r.code, 130);
    EXPECT_EQ(r.out, stop + "\n"); // the line in hand is finished; nothing after it
}

TEST_F(FilterTest, AStageThatRejectsAfterWritingIsABug) {
    Recorder stage;
    stage.pass_then_reject = true;
    testing::internal::CaptureStderr();
    EXPECT_THROW(run(R"({"type":"sync","v":1,"ts":7,"id":3})"
                     "\n",
                     stage),
                 std::logic_error);
    testing::internal::GetCapturedStderr();
}

TEST_F(FilterTest, AFailedWriteIsAnErrorNotSilence) {
    std::istringstream in(std::string(kCandle) + "\n");
    std::ostringstream os;
    os.setstate(std::ios::badbit); // every write fails, like > /dev/full
    Output out(os);
    LineReader reader(in, "-", kDefaultMaxLine);
    Filter filter(out, {});
    Recorder stage;
    EXPECT_THROW(filter.run(reader, stage), RuntimeError);
}

TEST_F(FilterTest, TheFileNameLeadsDiagnosticsWhenThereIsOne) {
    std::istringstream in("nope\n");
    std::ostringstream os;
    Output out(os);
    LineReader reader(in, "x.ndjson", kDefaultMaxLine);
    Filter filter(out, {}, "x.ndjson");
    Recorder stage;
    testing::internal::CaptureStderr();
    filter.run(reader, stage);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("stage: error: x.ndjson:1: not valid JSON"), std::string::npos) << err;
}

// --- the strict fast candle reader ------------------------------------------------------

TEST(ReadCandleFast, ReadsOkxStreamsCandleLine) {
    CandleFields k;
    ASSERT_TRUE(read_candle_fast(kCandle, k));
    EXPECT_EQ(k.ts, 1617235200000);
    EXPECT_EQ(k.inst, "BTC-USDT");
    EXPECT_EQ(k.bar, "5m");
    EXPECT_EQ(k.h, 59093);
    EXPECT_EQ(k.vol, 359.123687);
    EXPECT_TRUE(k.confirm);
}

TEST(ReadCandleFast, RefusesWhatIsNotExactlyJsonOrNotAPlainV1Candle) {
    const auto with = [](std::string_view from, std::string_view to) {
        std::string s(kCandle);
        s.replace(s.find(from), from.size(), to);
        return s;
    };
    const std::vector<std::string> refused = {
        with("359.123687", ".5"),
        with("359.123687", "5."),
        with("359.123687", "5.e3"),
        with("359.123687", "00012"),
        with("359.123687", "NaN"),
        with("359.123687", "Infinity"),
        with("359.123687", "+1"),
        with("359.123687", "1e999"),
        with("359.123687", "0x1p3"),
        with(R"("v":1)", R"("v":2)"),
        with(R"("v":1)", R"("v":1.0)"),
        with("BTC-USDT", "BTC\\u002dUSDT"),
        with("BTC-USDT", "BTC-\xff"),
        with("BTC-USDT", "BTC-\x01"),
        with(R"("confirm":true)", R"("confirm":tru)"),
        with(R"("confirm":true})", R"("confirm":true,"o":1})"), // a key twice
        with(R"("confirm":true})", R"("confirm":true,"more":1})"),
        with(R"("confirm":true})", R"("confirm":true}x)"),
        with(R"("confirm":true})", R"("confirm":true)"),
        with(R"("type":"candle")", R"("type":"ticker")"),
        with(R"("ts":1617235200000)", R"("ts":"1617235200000")"),
    };
    for (const std::string& line : refused) {
        CandleFields k;
        EXPECT_FALSE(read_candle_fast(line, k)) << line;
    }
}

// Whatever the fast reader takes, the general path takes too, with the same fields: a random
// mutation of the canonical line is either refused by the fast reader, or valid JSON that
// validates and reads the same.
TEST(ReadCandleFast, AgreesWithTheGeneralPathOnMutatedLines) {
    std::mt19937_64 rng(7);
    const std::string alphabet = "0123456789.eE+-,:{}[]\"ntrufals \\\x7f\xc3\xa9";
    std::size_t taken = 0;
    for (int n = 0; n < 20000; ++n) {
        std::string s(kCandle);
        const int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = rng() % s.size();
            switch (rng() % 3) {
            case 0:
                s[at] = alphabet[rng() % alphabet.size()];
                break;
            case 1:
                s.erase(at, 1);
                break;
            default:
                s.insert(at, 1, alphabet[rng() % alphabet.size()]);
                break;
            }
        }
        CandleFields fast;
        if (!read_candle_fast(s, fast)) {
            continue;
        }
        ++taken;
        const nlohmann::json j = nlohmann::json::parse(s, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << s;
        ASSERT_FALSE(validate_message(j).has_value()) << s << ": " << *validate_message(j);
        const CandleFields general = candle_fields(j);
        EXPECT_EQ(general.ts, fast.ts) << s;
        EXPECT_EQ(general.inst, fast.inst) << s;
        EXPECT_EQ(general.bar, fast.bar) << s;
        EXPECT_EQ(general.o, fast.o) << s;
        EXPECT_EQ(general.h, fast.h) << s;
        EXPECT_EQ(general.l, fast.l) << s;
        EXPECT_EQ(general.c, fast.c) << s;
        EXPECT_EQ(general.vol, fast.vol) << s;
        EXPECT_EQ(general.confirm, fast.confirm) << s;
    }
    EXPECT_GT(taken, 100U); // the mutations do reach the accepting side
}

TEST(JsonScan, NumbersFollowTheJsonGrammarExactly) {
    for (std::string_view ok : {"0", "-0", "12", "-1.5", "1e5", "1E+5", "2.5e-3", "0.0"}) {
        std::size_t i = 0;
        bool integer = false;
        EXPECT_TRUE(scan_json_number(ok, i, integer)) << ok;
        EXPECT_EQ(i, ok.size()) << ok;
    }
    for (std::string_view bad : {"", "-", "+1", ".5", "5.", "01", "1e", "1e+", "-.5", "e5"}) {
        std::size_t i = 0;
        bool integer = false;
        const bool took = scan_json_number(bad, i, integer);
        EXPECT_TRUE(!took || i != bad.size()) << bad;
    }
}

// The hot-path reader takes a number before a delimiter exactly when the scanner and the value
// check do, with the same value, on random text.
TEST(JsonScan, TheHotPathReaderAgreesWithTheScanner) {
    std::mt19937_64 rng(11);
    const std::string alphabet = "0123456789-+.eEinfaxp";
    for (int n = 0; n < 200000; ++n) {
        std::string s;
        const std::size_t len = 1 + rng() % 8;
        for (std::size_t k = 0; k < len; ++k) {
            s += alphabet[rng() % (k < 3 ? 12 : alphabet.size())];
        }
        s += ',';
        std::size_t i = 0;
        bool integer = false;
        double want = 0;
        const bool scanned = scan_json_number(s, i, integer) &&
                             json_number_value(std::string_view(s).substr(0, i), want);
        const char* p = s.data();
        double got = 0;
        const bool read = read_json_double(p, s.data() + s.size(), got);
        // What the parsers need: a whole number up to the delimiter, taken by both or neither.
        const bool read_whole = read && *p == ',';
        const bool scanned_whole = scanned && s[i] == ',';
        ASSERT_EQ(read_whole, scanned_whole) << s;
        if (read_whole) {
            EXPECT_EQ(got, want) << s;
        }
    }
}

// The one-pass readers of read_candle_fast against the scanner and std::from_chars: the same
// acceptance and the same value (bit for bit, so -0 stays -0), on random number-like text and
// on prices of every size with up to 19 digits, where the fast path (at most 15 significant
// digits, a decimal exponent within 22) meets the exact one.
TEST(JsonScan, OnePassReadersAgreeWithScannerAndFromChars) {
    const auto check = [](const std::string& s) {
        std::size_t i = 0;
        bool integer = false;
        double want = 0;
        const bool scanned = scan_json_number(s, i, integer);
        const bool valued = scanned && json_number_value(std::string_view(s).substr(0, i), want);
        std::size_t j = 0;
        bool got_integer = false;
        double got = 0;
        const bool read = read_json_number(s, j, got, got_integer);
        ASSERT_EQ(read, valued) << s;
        if (read) {
            ASSERT_EQ(j, i) << s;
            ASSERT_EQ(got_integer, integer) << s;
            ASSERT_EQ(std::bit_cast<std::uint64_t>(got), std::bit_cast<std::uint64_t>(want)) << s;
        }
        std::int64_t want_n = 0;
        const bool int_ok =
            scanned && integer && json_integer_value(std::string_view(s).substr(0, i), want_n);
        std::size_t k = 0;
        std::int64_t got_n = 0;
        const bool read_n = read_json_integer(s, k, got_n);
        ASSERT_EQ(read_n, int_ok) << s;
        if (read_n) {
            ASSERT_EQ(k, i) << s;
            ASSERT_EQ(got_n, want_n) << s;
        }
    };
    std::mt19937_64 rng(12);
    const std::string alphabet = "0123456789-+.eE";
    for (int n = 0; n < 200000; ++n) {
        std::string s(rng() % 4 == 0 ? "-" : "");
        const std::size_t len = 1 + rng() % 24;
        for (std::size_t k = 0; k < len; ++k) {
            s += alphabet[rng() % (k < 6 ? 10 : alphabet.size())];
        }
        s += ',';
        check(s);
    }
    for (int n = 0; n < 200000; ++n) {
        // digits with a point somewhere, and sometimes an exponent: 0.000123, 65432.1, 1.5e-30
        const int digits = 1 + static_cast<int>(rng() % 19);
        std::string d;
        for (int k = 0; k < digits; ++k) {
            d += static_cast<char>('0' + (k == 0 ? 1 + rng() % 9 : rng() % 10));
        }
        const int point = static_cast<int>(rng() % static_cast<unsigned>(digits + 1));
        std::string s;
        if (point == 0) {
            s += "0.";
            s += d;
        } else {
            s.append(d, 0, static_cast<std::size_t>(point));
            if (point < digits) {
                s += '.';
                s.append(d, static_cast<std::size_t>(point));
            }
        }
        if (rng() % 3 == 0) {
            s += 'e';
            s += std::to_string(static_cast<int>(rng() % 80) - 40);
        }
        check(s);
        std::string negative = "-";
        negative += s;
        negative += '}';
        check(negative);
    }
    for (const char* s :
         {"0", "-0", "-0.0", "0e999", "1e400", "-1e400", "1e-400", "9007199254740993",
          "9007199254740992.5", "123456789012345678", "1234567890123456789", "9223372036854775807",
          "9223372036854775808", "-9223372036854775808", "0.1", "1e22", "1e23", "4.35e-22",
          "17976931348623157e292"}) {
        check(s);
    }
}

TEST(JsonScan, ExcerptsArePlainAsciiAndShort) {
    EXPECT_EQ(excerpt("ab\"c\\\xff\n"), "\"ab\\\"c\\\\\\xff\\x0a\"");
    EXPECT_EQ(excerpt(std::string(100, 'x'), 5), "\"xxxxx...\"");
}

} // namespace
} // namespace okxkit::core
