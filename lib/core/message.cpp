// Message kinds and their validation (the schema module of DESIGN.md).
#include "core/message.hpp"

#include "core/bar.hpp"
#include "core/instrument.hpp"
#include "core/json_out.hpp"
#include "core/json_scan.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

namespace okxkit::core {

namespace {

// Short names keep the field tables below readable.
// NOLINTBEGIN(readability-identifier-naming)
using F = FieldSpec;
constexpr auto S = FieldType::kString;
constexpr auto I = FieldType::kInt;
constexpr auto N = FieldType::kNumber;
constexpr auto B = FieldType::kBool;
constexpr auto A = FieldType::kArray;
constexpr auto O = FieldType::kObject;
constexpr auto X = FieldType::kAny;
// NOLINTEND(readability-identifier-naming)

// Optional on every message.
constexpr std::array kCommon{F{"run", S, false}, F{"src", S, false}, F{"recv_ts", I, false}};

constexpr std::array kCandle{F{"bar", S, true},        F{"o", N, true},      F{"h", N, true},
                             F{"l", N, true},          F{"c", N, true},      F{"vol", N, true},
                             F{"vol_quote", N, false}, F{"confirm", B, true}};
constexpr std::array kTicker{F{"last", N, true}, F{"bid", N, true},    F{"bid_sz", N, true},
                             F{"ask", N, true},  F{"ask_sz", N, true}, F{"vol_24h", N, false}};
constexpr std::array kTrade{F{"px", N, true}, F{"sz", N, true}, F{"side", S, true, "buy|sell"},
                            F{"trade_id", S, true}};
constexpr std::array kBook{F{"bids", A, true}, F{"asks", A, true}, F{"depth", I, true},
                           F{"seq", I, false}};
constexpr std::array kGap{F{"bar", S, true}, F{"from", I, true}, F{"to", I, true},
                          F{"cause", S, true, "reconnect|missing|notice|checksum|stall"}};
constexpr std::array kFeatureSchema{F{"schema", S, true}, F{"names", A, true}, F{"bar", S, true}};
constexpr std::array kFeatures{F{"bar", S, true}, F{"schema", S, true}, F{"f", A, true}};
constexpr std::array kPrediction{F{"bar", S, true},     F{"model", I, true},
                                 F{"horizon", I, true}, F{"p_up", N, true},
                                 F{"exp_ret", N, true}, F{"confidence", N, true}};
constexpr std::array kRegime{F{"bar", S, true}, F{"score", N, true},
                             F{"label", S, true, "trend_up|trend_down|range|volatile"},
                             F{"components", O, true}};
constexpr std::array kAssignment{F{"strategy", S, true}, F{"template", S, false},
                                 F{"suitability", N, true}, F{"prev", S, true, {}, true},
                                 F{"reasons", A, true}};
constexpr std::array kSignal{F{"strategy", S, true}, F{"side", S, true, "buy|sell|flat"},
                             F{"strength", N, true}, F{"confidence", N, true},
                             F{"reason", S, true}};
constexpr std::array kIntent{F{"strategy", S, true},
                             F{"leg", S, true},
                             F{"action", S, true, "place|cancel|target"},
                             F{"side", S, false, "buy|sell"},
                             F{"ord_type", S, false, "market|limit|post_only"},
                             F{"px", N, false},
                             F{"sz", N, false},
                             F{"notional", N, false},
                             F{"equity_frac", N, false},
                             F{"reduce_only", B, false},
                             F{"approved", B, false},
                             F{"tp", A, false},
                             F{"sl", O, false},
                             F{"trail", O, false}};
constexpr std::array kRisk{F{"action", S, true, "reject|adjust|halt|resume"},
                           F{"code", S, true},
                           F{"limit", S, true},
                           F{"value", N, true, {}, true},
                           F{"threshold", N, true, {}, true},
                           F{"strategy", S, false},
                           F{"leg", S, false},
                           F{"detail", S, true}};
constexpr std::array kSync{F{"id", I, true}};
constexpr std::array kOrder{F{"cl_ord_id", S, true},
                            F{"ord_id", S, false},
                            F{"strategy", S, true},
                            F{"leg", S, true},
                            F{"side", S, true, "buy|sell"},
                            F{"ord_type", S, true, "market|limit|post_only"},
                            F{"px", N, false},
                            F{"sz", N, true},
                            F{"state", S, true, "live|partially_filled|filled|canceled|rejected"},
                            F{"filled_sz", N, true},
                            F{"avg_px", N, false},
                            F{"reason", S, false},
                            F{"mode", S, true, "paper|demo|live"}};
constexpr std::array kFill{F{"cl_ord_id", S, true},
                           F{"ord_id", S, false},
                           F{"trade_id", S, true},
                           F{"strategy", S, true},
                           F{"leg", S, true},
                           F{"side", S, true, "buy|sell"},
                           F{"px", N, true},
                           F{"sz", N, true},
                           F{"fee", N, true},
                           F{"fee_ccy", S, true},
                           F{"liquidity", S, true, "maker|taker"},
                           F{"mode", S, true, "paper|demo|live"}};
constexpr std::array kPosition{F{"sz", N, true},  F{"avg_px", N, true}, F{"mark_px", N, true},
                               F{"upl", N, true}, F{"rpl", N, true},    F{"fees", N, true}};
constexpr std::array kPortfolio{F{"cash", N, true},           F{"equity", N, true},
                                F{"gross_exposure", N, true}, F{"net_exposure", N, true},
                                F{"drawdown", N, true},       F{"day_pnl", N, true},
                                F{"halted", B, true}};
constexpr std::array kHealth{
    F{"component", S, true},
    F{"event", S, true, "connect|disconnect|reconnect|gap|backfill|latency|error|drift"},
    F{"value", X, false}, F{"detail", S, false}};
constexpr std::array kNews{
    F{"published", I, false}, F{"headline", S, true},   F{"source", S, true}, F{"url", S, false},
    F{"symbols", A, true},    F{"sentiment", N, false}, F{"terms", A, false}};

constexpr std::array<KindSpec, 20> kKinds{{
    {"candle", 1, true, kCandle},     {"ticker", 1, true, kTicker},
    {"trade", 1, true, kTrade},       {"book", 1, true, kBook},
    {"gap", 1, true, kGap},           {"feature_schema", 1, false, kFeatureSchema},
    {"features", 1, true, kFeatures}, {"prediction", 1, true, kPrediction},
    {"regime", 1, true, kRegime},     {"assignment", 1, true, kAssignment},
    {"signal", 1, true, kSignal},     {"intent", 1, true, kIntent},
    {"risk", 1, true, kRisk},         {"sync", 1, false, kSync},
    {"order", 1, true, kOrder},       {"fill", 1, true, kFill},
    {"position", 1, true, kPosition}, {"portfolio", 1, false, kPortfolio},
    {"health", 1, false, kHealth},    {"news", 1, false, kNews},
}};

bool has_type(const nlohmann::json& v, FieldType t) {
    switch (t) {
    case FieldType::kString:
        return v.is_string();
    case FieldType::kInt:
        // Integers must fit int64 (nlohmann keeps larger ones as unsigned).
        return v.is_number_integer() &&
               (!v.is_number_unsigned() ||
                v.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX));
    case FieldType::kNumber:
        return v.is_number();
    case FieldType::kBool:
        return v.is_boolean();
    case FieldType::kArray:
        return v.is_array();
    case FieldType::kObject:
        return v.is_object();
    case FieldType::kAny:
        return true;
    }
    return false;
}

std::string_view type_name(FieldType t) {
    switch (t) {
    case FieldType::kString:
        return "a string";
    case FieldType::kInt:
        return "an integer";
    case FieldType::kNumber:
        return "a number";
    case FieldType::kBool:
        return "true or false";
    case FieldType::kArray:
        return "an array";
    case FieldType::kObject:
        return "an object";
    case FieldType::kAny:
        return "a value";
    }
    return "a value";
}

bool allowed_value(std::string_view allowed, std::string_view value) {
    while (!allowed.empty()) {
        std::size_t bar = allowed.find('|');
        std::string_view one = allowed.substr(0, bar);
        if (one == value) {
            return true;
        }
        if (bar == std::string_view::npos) {
            break;
        }
        allowed.remove_prefix(bar + 1);
    }
    return false;
}

std::optional<std::string> check_field(const nlohmann::json& msg, const FieldSpec& f) {
    auto it = msg.find(f.name);
    if (it == msg.end()) {
        if (f.required) {
            return "missing field \"" + std::string(f.name) + "\"";
        }
        return std::nullopt;
    }
    if (it->is_null() && (f.nullable || !f.required)) {
        return std::nullopt;
    }
    if (!has_type(*it, f.type)) {
        return "field \"" + std::string(f.name) + "\" must be " + std::string(type_name(f.type));
    }
    if (f.type == FieldType::kNumber && it->is_number_float() &&
        !std::isfinite(it->get<double>())) {
        return "field \"" + std::string(f.name) + "\" must be finite";
    }
    if (!f.allowed.empty() && !allowed_value(f.allowed, it->get_ref<const std::string&>())) {
        std::string allowed(f.allowed);
        for (char& c : allowed) {
            if (c == '|') {
                c = ',';
            }
        }
        return "field \"" + std::string(f.name) + "\" must be one of " + allowed;
    }
    return std::nullopt;
}

} // namespace

std::span<const KindSpec> all_kinds() {
    return kKinds;
}

const KindSpec* find_kind(std::string_view type) {
    for (const KindSpec& k : kKinds) {
        if (k.type == type) {
            return &k;
        }
    }
    return nullptr;
}

bool is_newer(const KindSpec& kind, const nlohmann::json& msg) {
    auto v = msg.find("v");
    return v != msg.end() && v->is_number_integer() &&
           (v->is_number_unsigned()
                ? v->get<std::uint64_t>() > static_cast<std::uint64_t>(kind.version)
                : v->get<std::int64_t>() > kind.version);
}

namespace {

// What an intent needs beyond its field table, by action: an order to place has a side and an
// order type; a target names the share of equity wanted, from 0 (spot: nothing held) to 1.
std::optional<std::string> check_intent(const nlohmann::json& msg) {
    const auto& action = msg["action"].get_ref<const std::string&>();
    if (action == "place") {
        for (const char* key : {"side", "ord_type"}) {
            auto it = msg.find(key);
            if (it == msg.end() || it->is_null()) { // null: not available, so not given
                return std::string("an intent to place needs field \"") + key + "\"";
            }
        }
    } else if (action == "target") {
        auto it = msg.find("equity_frac");
        if (it == msg.end() || it->is_null()) {
            return "an intent with action target needs field \"equity_frac\"";
        }
        const auto v = it->get<double>();
        if (!(v >= 0 && v <= 1)) {
            return "an intent with action target needs \"equity_frac\" from 0 to 1";
        }
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> validate_message(const nlohmann::json& msg) {
    if (!msg.is_object()) {
        return "not a JSON object";
    }
    auto type = msg.find("type");
    if (type == msg.end()) {
        return "missing field \"type\"";
    }
    if (!type->is_string()) {
        return "field \"type\" must be a string";
    }
    for (const FieldSpec& f : {F{"v", I, true}, F{"ts", I, true}}) {
        if (auto err = check_field(msg, f)) {
            return err;
        }
    }
    if (msg["v"].get<std::int64_t>() < 1) {
        return "field \"v\" must be 1 or more";
    }
    const KindSpec* kind = find_kind(type->get_ref<const std::string&>());
    if (kind == nullptr || is_newer(*kind, msg)) {
        return std::nullopt; // unknown kinds and newer layouts pass through untouched
    }
    if (auto err = check_field(msg, F{"inst", S, kind->has_inst})) {
        return err;
    }
    for (const FieldSpec& f : kCommon) {
        if (auto err = check_field(msg, f)) {
            return err;
        }
    }
    for (const FieldSpec& f : kind->fields) {
        if (auto err = check_field(msg, f)) {
            return err;
        }
    }
    if (kind->fields.data() == kIntent.data()) {
        return check_intent(msg);
    }
    return std::nullopt;
}

std::optional<std::string> check_ohlcv(double o, double h, double l, double c, double vol) {
    const double values[] = {o, h, l, c, vol};
    static constexpr std::string_view kNames[] = {"open", "high", "low", "close", "volume"};
    for (std::size_t i = 0; i < 5; ++i) {
        if (!std::isfinite(values[i])) {
            return std::string(kNames[i]) + " is not a finite number";
        }
    }
    if (o <= 0 || h <= 0 || l <= 0 || c <= 0) {
        return "prices must be positive";
    }
    if (vol < 0) {
        return "volume must not be negative";
    }
    if (h < l) {
        return "high is below low";
    }
    if (h < o || h < c) {
        return "high is below open or close";
    }
    if (l > o || l > c) {
        return "low is above open or close";
    }
    return std::nullopt;
}

namespace {

// The keys read_candle_fast knows, by a look at length and first letters (all are made of
// a-z and '_'; any other key is not a plain candle's).
enum class CandleKey {
    kType,
    kV,
    kTs,
    kInst,
    kBar,
    kO,
    kH,
    kL,
    kC,
    kVol,
    kConfirm,
    kVolQuote,
    kRun,
    kSrc,
    kRecvTs,
    kOther
};

CandleKey candle_key(std::string_view k) {
    switch (k.size()) {
    case 1:
        switch (k[0]) {
        case 'v':
            return CandleKey::kV;
        case 'o':
            return CandleKey::kO;
        case 'h':
            return CandleKey::kH;
        case 'l':
            return CandleKey::kL;
        case 'c':
            return CandleKey::kC;
        default:
            return CandleKey::kOther;
        }
    case 2:
        return k == "ts" ? CandleKey::kTs : CandleKey::kOther;
    case 3:
        return k == "bar"   ? CandleKey::kBar
               : k == "vol" ? CandleKey::kVol
               : k == "run" ? CandleKey::kRun
               : k == "src" ? CandleKey::kSrc
                            : CandleKey::kOther;
    case 4:
        return k == "type" ? CandleKey::kType : k == "inst" ? CandleKey::kInst : CandleKey::kOther;
    case 7:
        return k == "confirm"   ? CandleKey::kConfirm
               : k == "recv_ts" ? CandleKey::kRecvTs
                                : CandleKey::kOther;
    case 9:
        return k == "vol_quote" ? CandleKey::kVolQuote : CandleKey::kOther;
    default:
        return CandleKey::kOther;
    }
}

// A key of a-z and '_' in quotes at s[i]: sets key and advances i past the closing quote. Any
// other key (escapes, other characters) is false, as it would be unknown anyway.
bool scan_candle_key(std::string_view s, std::size_t& i, std::string_view& key) {
    if (i >= s.size() || s[i] != '"') {
        return false;
    }
    const std::size_t start = i + 1;
    std::size_t p = start;
    while (p < s.size() && ((s[p] >= 'a' && s[p] <= 'z') || s[p] == '_')) {
        ++p;
    }
    if (p >= s.size() || s[p] != '"') {
        return false;
    }
    key = s.substr(start, p - start);
    i = p + 1;
    return true;
}

} // namespace

bool read_candle_fast(std::string_view s, CandleFields& k) {
    // Bits of the fields seen: type v ts inst bar o h l c vol confirm, then optional ones.
    enum : unsigned {
        kRequired = (1U << 11) - 1, // type .. confirm, in CandleKey's order
    };
    std::size_t i = 0;
    skip_json_space(s, i);
    if (i >= s.size() || s[i] != '{') {
        return false;
    }
    ++i;
    unsigned seen = 0;
    for (;;) {
        skip_json_space(s, i);
        std::string_view name;
        if (!scan_candle_key(s, i, name)) {
            return false;
        }
        const CandleKey key = candle_key(name);
        const unsigned bit = 1U << static_cast<unsigned>(key);
        if (key == CandleKey::kOther || (seen & bit) != 0) {
            return false; // an unknown field or a repeat
        }
        seen |= bit;
        skip_json_space(s, i);
        if (i >= s.size() || s[i] != ':') {
            return false;
        }
        ++i;
        skip_json_space(s, i);
        if (i >= s.size()) {
            return false;
        }
        const char c = s[i];
        switch (key) {
        case CandleKey::kType:
        case CandleKey::kInst:
        case CandleKey::kBar:
        case CandleKey::kRun:
        case CandleKey::kSrc: {
            std::string_view v;
            if (c != '"' || !scan_plain_string(s, i, v)) {
                return false; // a number where a string belongs, or not a plain string
            }
            if (key == CandleKey::kType && v != "candle") {
                return false;
            }
            if (key == CandleKey::kInst) {
                k.inst = v;
            } else if (key == CandleKey::kBar) {
                k.bar = v;
            }
            break;
        }
        case CandleKey::kConfirm: {
            const bool b = c == 't';
            const std::string_view word = b ? "true" : "false";
            if ((c != 't' && c != 'f') || s.substr(i, word.size()) != word) {
                return false;
            }
            i += word.size();
            k.confirm = b;
            break;
        }
        case CandleKey::kV:
        case CandleKey::kTs:
        case CandleKey::kRecvTs: {
            std::int64_t n = 0;
            if (!read_json_integer(s, i, n)) {
                return false;
            }
            if (key == CandleKey::kV && n != 1) {
                return false; // another version: the general path decides
            }
            if (key == CandleKey::kTs) {
                k.ts = n;
            }
            break;
        }
        default: { // o h l c vol vol_quote
            double v = 0;
            bool integer = false;
            if (!read_json_number(s, i, v, integer)) {
                return false;
            }
            switch (key) {
            case CandleKey::kO:
                k.o = v;
                break;
            case CandleKey::kH:
                k.h = v;
                break;
            case CandleKey::kL:
                k.l = v;
                break;
            case CandleKey::kC:
                k.c = v;
                break;
            case CandleKey::kVol:
                k.vol = v;
                break;
            default:
                break;
            }
            break;
        }
        }
        skip_json_space(s, i);
        if (i >= s.size()) {
            return false;
        }
        if (s[i] == ',') {
            ++i;
            continue;
        }
        if (s[i] != '}') {
            return false;
        }
        ++i;
        skip_json_space(s, i);
        return i == s.size() && (seen & kRequired) == kRequired;
    }
}

CandleFields candle_fields(const nlohmann::json& msg) {
    CandleFields k;
    k.ts = msg["ts"].get<std::int64_t>();
    k.inst = msg["inst"].get_ref<const std::string&>();
    k.bar = msg["bar"].get_ref<const std::string&>();
    k.o = msg["o"].get<double>();
    k.h = msg["h"].get<double>();
    k.l = msg["l"].get<double>();
    k.c = msg["c"].get<double>();
    k.vol = msg["vol"].get<double>();
    k.confirm = msg["confirm"].get<bool>();
    return k;
}

std::optional<std::string> check_candle(const CandleFields& k, std::int64_t* bar_ms) {
    if (!is_inst_id(k.inst)) {
        return "inst " + excerpt(k.inst) + " is not an OKX instrument id (e.g. BTC-USDT)";
    }
    const auto b = parse_bar(k.bar);
    if (!b || b->name != k.bar) {
        return "bar " + excerpt(k.bar) + " is not an OKX bar name (" + bar_names() + ")";
    }
    if (bar_ms != nullptr) {
        *bar_ms = b->ms;
    }
    if (k.confirm) {
        return check_ohlcv(k.o, k.h, k.l, k.c, k.vol);
    }
    return std::nullopt;
}

void append_candle(std::string& out, const Candle& k) {
    // Literals with their length: no strlen per field, whatever the compiler inlines.
    using namespace std::string_view_literals;
    out += R"({"type":"candle","v":1,"ts":)"sv;
    append_int(out, k.ts);
    out += R"(,"inst":")"sv;
    out += k.inst; // instIds are [A-Z0-9-]: no escaping needed
    out += R"(","bar":")"sv;
    out += k.bar;
    out += R"(","o":)"sv;
    append_double_from_text(out, k.text[0], k.o);
    out += R"(,"h":)"sv;
    append_double_from_text(out, k.text[1], k.h);
    out += R"(,"l":)"sv;
    append_double_from_text(out, k.text[2], k.l);
    out += R"(,"c":)"sv;
    append_double_from_text(out, k.text[3], k.c);
    out += R"(,"vol":)"sv;
    append_double_from_text(out, k.text[4], k.vol);
    if (k.vol_quote) {
        out += R"(,"vol_quote":)"sv;
        append_double(out, *k.vol_quote);
    }
    out += k.confirm ? R"(,"confirm":true})"sv : R"(,"confirm":false})"sv;
}

namespace {

bool digit(char c) {
    return c >= '0' && c <= '9';
}

// The elements of a JSON array after its '[' up to and past its ']': each null or a JSON
// number (exactly the grammar of scan_json_number) that is finite as a double; no spaces.
// Only a number with an exponent, or of over 300 characters, is converted to see that it does
// not overflow. Advances p past the ']'.
bool check_number_list(const char*& p, const char* end) {
    const char* q = p;
    if (q < end && *q == ']') {
        p = q + 1;
        return true;
    }
    for (;;) {
        if (end - q >= 4 && std::memcmp(q, "null", 4) == 0) {
            q += 4;
        } else {
            const char* start = q;
            if (q < end && *q == '-') {
                ++q;
            }
            if (q >= end || !digit(*q)) {
                return false;
            }
            if (*q == '0') {
                ++q;
            } else {
                while (q < end && digit(*q)) {
                    ++q;
                }
            }
            if (q < end && *q == '.') {
                ++q;
                if (q >= end || !digit(*q)) {
                    return false;
                }
                while (q < end && digit(*q)) {
                    ++q;
                }
            }
            bool convert = false;
            if (q < end && (*q == 'e' || *q == 'E')) {
                convert = true;
                ++q;
                if (q < end && (*q == '+' || *q == '-')) {
                    ++q;
                }
                if (q >= end || !digit(*q)) {
                    return false;
                }
                while (q < end && digit(*q)) {
                    ++q;
                }
            }
            double v = 0;
            if ((convert || q - start > 300) &&
                !json_number_value(std::string_view(start, static_cast<std::size_t>(q - start)),
                                   v)) {
                return false;
            }
        }
        if (q < end && *q == ',') {
            ++q;
            continue;
        }
        if (q < end && *q == ']') {
            p = q + 1;
            return true;
        }
        return false;
    }
}

} // namespace

bool read_features_fast(std::string_view s, FeaturesFields& out, std::vector<float>* row) {
    return read_features_fast(s, out, [row](const FeaturesFields&) { return row; });
}

bool read_features_fast(std::string_view s, FeaturesFields& out,
                        const std::function<std::vector<float>*(const FeaturesFields&)>& choose) {
    constexpr double kFloatMax = std::numeric_limits<float>::max();
    constexpr std::string_view kHead = R"({"type":"features","v":1,"ts":)";
    if (!s.starts_with(kHead)) {
        return false;
    }
    std::size_t i = kHead.size();
    std::size_t start = i;
    bool integer = false;
    if (!scan_json_number(s, i, integer) || !integer ||
        !json_integer_value(s.substr(start, i - start), out.ts)) {
        return false;
    }
    const auto field = [&](std::string_view key, std::string_view& value) {
        if (s.substr(i, key.size()) != key) {
            return false;
        }
        i += key.size();
        return scan_plain_string(s, i, value);
    };
    if (!field(R"(,"inst":)", out.inst) || !field(R"(,"bar":)", out.bar) ||
        !field(R"(,"schema":)", out.schema) || s.substr(i, 6) != R"(,"f":[)") {
        return false;
    }
    i += 6;
    std::vector<float>* row = choose(out);
    if (row == nullptr) {
        // The values checked only, in one pass over the bytes.
        const char* p = s.data() + i;
        if (!check_number_list(p, s.data() + s.size())) {
            return false;
        }
        i = static_cast<std::size_t>(p - s.data());
        return s.substr(i) == "}";
    }
    row->clear();
    if (i < s.size() && s[i] == ']') {
        ++i;
    } else {
        for (;;) {
            if (s.size() - i >= 4 && std::memcmp(s.data() + i, "null", 4) == 0) {
                row->push_back(std::numeric_limits<float>::quiet_NaN());
                i += 4;
            } else {
                const char* p = s.data() + i;
                double v = 0;
                if (!read_json_double(p, s.data() + s.size(), v) || std::fabs(v) > kFloatMax) {
                    return false;
                }
                i = static_cast<std::size_t>(p - s.data());
                row->push_back(static_cast<float>(v));
            }
            if (i < s.size() && s[i] == ',') {
                ++i;
                continue;
            }
            if (i < s.size() && s[i] == ']') {
                ++i;
                break;
            }
            return false;
        }
    }
    return s.substr(i) == "}";
}

} // namespace okxkit::core
