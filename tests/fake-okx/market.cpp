// Candle CSV loading, OKX bar arithmetic and the §2.1 candle selection rules.
#include "market.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/timeutil.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

namespace okxkit::fake {

namespace {

constexpr std::int64_t kSec = 1000;
constexpr std::int64_t kMin = 60 * kSec;
constexpr std::int64_t kHour = 60 * kMin;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kHk = 8 * kHour;

// OKX's bar list (§2.1): 6H and longer open on Hong Kong time unless suffixed "utc".
constexpr std::array<OkxBar, 25> kOkxBars{{
    {"1s", kSec, 0, 0, true},
    {"1m", kMin, 0, 0, false},
    {"3m", 3 * kMin, 0, 0, false},
    {"5m", 5 * kMin, 0, 0, false},
    {"15m", 15 * kMin, 0, 0, false},
    {"30m", 30 * kMin, 0, 0, false},
    {"1H", kHour, 0, 0, false},
    {"2H", 2 * kHour, 0, 0, false},
    {"4H", 4 * kHour, 0, 0, false},
    {"6H", 6 * kHour, 0, kHk, false},
    {"12H", 12 * kHour, 0, kHk, false},
    {"1D", kDay, 0, kHk, false},
    {"2D", 2 * kDay, 0, kHk, false},
    {"3D", 3 * kDay, 0, kHk, false},
    {"1W", 7 * kDay, 0, kHk, false},
    {"1M", 0, 1, kHk, false},
    {"3M", 0, 3, kHk, false},
    {"6Hutc", 6 * kHour, 0, 0, false},
    {"12Hutc", 12 * kHour, 0, 0, false},
    {"1Dutc", kDay, 0, 0, false},
    {"2Dutc", 2 * kDay, 0, 0, false},
    {"3Dutc", 3 * kDay, 0, 0, false},
    {"1Wutc", 7 * kDay, 0, 0, false},
    {"1Mutc", 0, 1, 0, false},
    {"3Mutc", 0, 3, 0, false},
}};

constexpr std::string_view kHeader = "ts_ms,open,high,low,close,volume";

// Floor division, so bars before 1970 still land on the right day.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// The civil (year, month) of a day count since 1970-01-01 (H. Hinnant's algorithm).
std::pair<std::int64_t, unsigned> year_month_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = floor_div(z, 146097);
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
    return {y, m};
}

// A non-negative decimal as CSVs and OKX write it: digits, optionally '.' and digits.
bool is_decimal(std::string_view s) {
    std::size_t digits = 0;
    bool dot = false;
    for (char c : s) {
        if (c >= '0' && c <= '9') {
            ++digits;
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            return false;
        }
    }
    return digits > 0 && s.front() != '.' && s.back() != '.';
}

int decimals_of(std::string_view s) {
    auto dot = s.find('.');
    return dot == std::string_view::npos ? 0 : static_cast<int>(s.size() - dot - 1);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

std::vector<std::string_view> split_commas(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        std::size_t comma = line.find(',', start);
        out.push_back(trim(line.substr(start, comma - start)));
        if (comma == std::string_view::npos) {
            return out;
        }
        start = comma + 1;
    }
}

std::string tick_from_decimals(int d) {
    return d <= 0 ? std::string("1")
                  : "0." + std::string(static_cast<std::size_t>(d - 1), '0') + "1";
}

} // namespace

std::optional<OkxBar> find_okx_bar(std::string_view name) {
    for (const OkxBar& b : kOkxBars) {
        if (b.name == name) {
            return b;
        }
    }
    return std::nullopt;
}

std::int64_t bar_end(const OkxBar& bar, std::int64_t ts) {
    if (bar.months == 0) {
        return ts + bar.ms;
    }
    // Month bars end on the first day of the month `months` later, on the bar's own clock.
    const auto [y, m] = year_month_from_days(floor_div(ts + bar.anchor, kDay));
    const std::int64_t index = y * 12 + (m - 1) + bar.months;
    const std::int64_t days =
        core::days_from_civil(floor_div(index, 12), static_cast<unsigned>(index % 12) + 1, 1);
    return days * kDay - bar.anchor;
}

std::string decimal_mul(std::string_view a, std::string_view b) {
    auto digits = [](std::string_view s, int& scale) {
        std::vector<int> d; // least significant first
        scale = decimals_of(s);
        for (std::size_t i = s.size(); i-- > 0;) {
            if (s[i] != '.') {
                d.push_back(s[i] - '0');
            }
        }
        return d;
    };
    int sa = 0;
    int sb = 0;
    const std::vector<int> da = digits(a, sa);
    const std::vector<int> db = digits(b, sb);
    std::vector<int> prod(da.size() + db.size() + 1, 0);
    for (std::size_t i = 0; i < da.size(); ++i) {
        int carry = 0;
        for (std::size_t j = 0; j < db.size() || carry != 0; ++j) {
            int cur = prod[i + j] + carry + (j < db.size() ? da[i] * db[j] : 0);
            prod[i + j] = cur % 10;
            carry = cur / 10;
        }
    }
    const auto scale = static_cast<std::size_t>(sa) + static_cast<std::size_t>(sb);
    while (prod.size() > scale + 1 && prod.back() == 0) {
        prod.pop_back();
    }
    std::string out;
    for (auto it = prod.rbegin(); it != prod.rend(); ++it) {
        if (static_cast<std::size_t>(prod.rend() - it) == scale) {
            out += '.';
        }
        out += static_cast<char>('0' + *it);
    }
    if (scale > 0) {
        while (out.back() == '0') {
            out.pop_back();
        }
        if (out.back() == '.') {
            out.pop_back();
        }
    }
    return out;
}

namespace {

// Two decimals as digit strings of equal length, the point dropped, both at `scale`
// decimals, with one spare leading digit for a carry.
struct Aligned {
    std::string a, b;
    std::size_t scale;
};

Aligned align(std::string_view a, std::string_view b) {
    auto parts = [](std::string_view s) {
        const auto dot = s.find('.');
        return std::pair{s.substr(0, dot),
                         dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1)};
    };
    const auto [ia, fa] = parts(a);
    const auto [ib, fb] = parts(b);
    const std::size_t scale = std::max(fa.size(), fb.size());
    const std::size_t width = std::max(ia.size(), ib.size()) + 1;
    auto digits = [&](std::string_view i, std::string_view f) {
        std::string out(width - i.size(), '0');
        out += i;
        out += f;
        out.append(scale - f.size(), '0');
        return out;
    };
    return Aligned{digits(ia, fa), digits(ib, fb), scale};
}

// Digits with `scale` implied decimals back to text: no leading zeros, at least "0".
std::string from_digits(const std::string& digits, std::size_t scale) {
    std::string int_part = digits.substr(0, digits.size() - scale);
    const auto first = int_part.find_first_not_of('0');
    int_part = first == std::string::npos ? "0" : int_part.substr(first);
    if (scale == 0) {
        return int_part;
    }
    return int_part + "." + digits.substr(digits.size() - scale);
}

} // namespace

std::string decimal_add(std::string_view a, std::string_view b) {
    Aligned x = align(a, b);
    int carry = 0;
    for (std::size_t i = x.a.size(); i-- > 0;) {
        const int d = (x.a[i] - '0') + (x.b[i] - '0') + carry;
        x.a[i] = static_cast<char>('0' + d % 10);
        carry = d / 10;
    }
    return from_digits(x.a, x.scale);
}

std::string decimal_sub(std::string_view a, std::string_view b) {
    Aligned x = align(a, b);
    if (x.a < x.b) {
        return "0";
    }
    int borrow = 0;
    for (std::size_t i = x.a.size(); i-- > 0;) {
        int d = (x.a[i] - '0') - (x.b[i] - '0') - borrow;
        borrow = d < 0 ? 1 : 0;
        x.a[i] = static_cast<char>('0' + d + 10 * borrow);
    }
    return from_digits(x.a, x.scale);
}

int decimal_cmp(std::string_view a, std::string_view b) {
    const Aligned x = align(a, b);
    const int c = x.a.compare(x.b);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

const Candle* forming_candle(const Series& series, std::int64_t now) {
    const auto& rows = series.rows;
    auto it = std::upper_bound(rows.begin(), rows.end(), now,
                               [](std::int64_t t, const Candle& c) { return t < c.ts; });
    if (it == rows.begin()) {
        return nullptr;
    }
    --it;
    return now < bar_end(series.bar, it->ts) ? &*it : nullptr;
}

MarketData MarketData::load(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        throw core::UsageError("--data " + dir.string() + ": not a directory");
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.is_regular_file() && entry.path().extension() == ".csv") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    MarketData data;
    for (const auto& path : files) {
        const std::string stem = path.stem().string();
        const auto cut = stem.rfind('_');
        const auto bar =
            cut == std::string::npos ? std::nullopt : find_okx_bar(stem.substr(cut + 1));
        if (!bar || cut == 0) {
            core::Log::warning(path.string() +
                               ": skipped: the name is not INST_BAR.csv with an OKX bar name");
            continue;
        }
        std::ifstream in(path, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in) {
            throw core::RuntimeError(path.string() + ": cannot read the file");
        }
        data.add_csv(stem.substr(0, cut), *bar, text.str(), path.string());
    }
    return data;
}

void MarketData::add_csv(std::string_view inst_id, const OkxBar& bar, std::string_view text,
                         std::string_view name) {
    Series series{bar, {}};
    int& decimals = decimals_[std::string(inst_id)];
    std::uint64_t line_no = 0;
    auto fail = [&](const std::string& what) {
        throw core::RuntimeError(std::string(name) + ":" + std::to_string(line_no) + ": " + what);
    };
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line = trim(text.substr(pos, nl - pos));
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        ++line_no;
        if (line_no == 1) {
            if (line != kHeader) {
                fail("the header must be \"" + std::string(kHeader) + "\"");
            }
            continue;
        }
        if (line.empty()) {
            continue;
        }
        auto f = split_commas(line);
        if (f.size() != 6) {
            fail("want 6 fields, got " + std::to_string(f.size()));
        }
        Candle c{};
        auto [p, err] = std::from_chars(f[0].data(), f[0].data() + f[0].size(), c.ts);
        if (err != std::errc() || p != f[0].data() + f[0].size()) {
            fail("ts_ms is not an integer: \"" + std::string(f[0]) + "\"");
        }
        for (std::size_t i = 1; i < 6; ++i) {
            if (!is_decimal(f[i])) {
                fail("field " + std::to_string(i + 1) + " is not a decimal: \"" +
                     std::string(f[i]) + "\"");
            }
            if (i <= 4) {
                decimals = std::max(decimals, decimals_of(f[i]));
            }
        }
        c.open = f[1];
        c.high = f[2];
        c.low = f[3];
        c.close = f[4];
        c.vol = f[5];
        c.vol_quote = decimal_mul(c.vol, c.close);
        series.rows.push_back(std::move(c));
    }
    if (line_no == 0) {
        fail("empty file, want the header \"" + std::string(kHeader) + "\"");
    }
    std::stable_sort(series.rows.begin(), series.rows.end(),
                     [](const Candle& x, const Candle& y) { return x.ts < y.ts; });
    auto dup = std::adjacent_find(series.rows.begin(), series.rows.end(),
                                  [](const Candle& x, const Candle& y) { return x.ts == y.ts; });
    if (dup != series.rows.end()) {
        line_no = 0;
        fail("timestamp " + std::to_string(dup->ts) + " appears twice");
    }
    Instrument& inst = instruments_[std::string(inst_id)];
    if (inst.inst_id.empty()) {
        inst.inst_id = inst_id;
        const auto dash = inst_id.find('-');
        inst.base = inst_id.substr(0, dash);
        if (dash != std::string_view::npos) {
            const auto end = inst_id.find('-', dash + 1);
            inst.quote = inst_id.substr(dash + 1, end - dash - 1);
        }
        inst.list_time = series.rows.empty() ? 0 : series.rows.front().ts;
    } else if (!series.rows.empty()) {
        inst.list_time = std::min(inst.list_time, series.rows.front().ts);
    }
    series_[std::string(inst_id)].insert_or_assign(std::string(bar.name), std::move(series));
    finish();
}

void MarketData::finish() {
    int rank = 0;
    for (auto& [id, inst] : instruments_) {
        inst.tick_sz = tick_from_decimals(decimals_[id]);
        inst.code = 1'000'000'000 + rank++;
    }
}

const Instrument* MarketData::instrument(std::string_view inst_id) const {
    auto it = instruments_.find(inst_id);
    return it == instruments_.end() ? nullptr : &it->second;
}

const Series* MarketData::series(std::string_view inst_id, std::string_view bar) const {
    auto it = series_.find(inst_id);
    if (it == series_.end()) {
        return nullptr;
    }
    auto jt = it->second.find(bar);
    return jt == it->second.end() ? nullptr : &jt->second;
}

std::vector<const Instrument*> MarketData::instruments() const {
    std::vector<const Instrument*> out;
    out.reserve(instruments_.size());
    for (const auto& [id, inst] : instruments_) {
        out.push_back(&inst);
    }
    return out;
}

std::vector<const Series*> MarketData::series_of(std::string_view inst_id) const {
    std::vector<const Series*> out;
    auto it = series_.find(inst_id);
    if (it == series_.end()) {
        return out;
    }
    for (const auto& [name, s] : it->second) {
        out.push_back(&s);
    }
    auto length = [](const Series* s) {
        return s->bar.months > 0 ? std::int64_t{s->bar.months} * 31 * kDay : s->bar.ms;
    };
    std::stable_sort(out.begin(), out.end(),
                     [&](const Series* x, const Series* y) { return length(x) < length(y); });
    return out;
}

std::vector<const Candle*> select_candles(const Series& series, const CandleQuery& query) {
    const auto& rows = series.rows;
    auto by_ts = [](const Candle& c, std::int64_t t) { return c.ts < t; };
    // [lo, hi): the bars that exist at `now`, then only the last `window` of them.
    auto hi = std::upper_bound(rows.begin(), rows.end(), query.now,
                               [](std::int64_t t, const Candle& c) { return t < c.ts; });
    auto lo = rows.begin();
    if (query.window && static_cast<std::size_t>(hi - lo) > *query.window) {
        lo = hi - static_cast<std::ptrdiff_t>(*query.window);
    }
    // Exclusive bounds (§2.1, §7 #1): ts < after and ts > before.
    if (query.after) {
        hi = std::min(hi, std::lower_bound(lo, hi, *query.after, by_ts));
    }
    if (query.before && *query.before < INT64_MAX) {
        lo = std::max(lo, std::lower_bound(lo, hi, *query.before + 1, by_ts));
    } else if (query.before) {
        lo = hi;
    }
    std::vector<const Candle*> out;
    for (auto it = hi; it != lo && out.size() < query.limit;) {
        --it;
        out.push_back(&*it);
    }
    return out;
}

std::string_view confirm_flag(const OkxBar& bar, std::int64_t ts, std::int64_t now) {
    return ts <= now && now < bar_end(bar, ts) ? "0" : "1";
}

} // namespace okxkit::fake
