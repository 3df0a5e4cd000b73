// News items: keys, tags, the news line, recorded items (see items.hpp).
#include "news/items.hpp"

#include "core/error.hpp"
#include "core/json_out.hpp"
#include "core/json_scan.hpp"
#include "core/timeutil.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

namespace okxkit::news {

namespace {

bool ascii_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
    return out;
}

// The length of typographic punctuation at s[i] that counts as a separator (curly quotes,
// dashes, the ellipsis, no-break space), or 0.
std::size_t unicode_separator(std::string_view s, std::size_t i) {
    static constexpr std::string_view kMarks[] = {"\u2018", "\u2019", "\u201C", "\u201D",
                                                  "\u2013", "\u2014", "\u2026", "\u00A0"};
    for (const std::string_view m : kMarks) {
        if (s.substr(i, m.size()) == m) {
            return m.size();
        }
    }
    return 0;
}

// Words of text for tagging: runs of ASCII letters and digits and of non-ASCII bytes other
// than typographic punctuation; with each, the character before it.
struct TagWord {
    std::string lower;
    std::string_view text;
    char before; // '\0' at the start
};
std::vector<TagWord> tag_words(std::string_view s) {
    std::vector<TagWord> out;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t sep = c >= 0x80 ? unicode_separator(s, i) : 0;
        if ((c < 0x80 && !ascii_alnum(c)) || sep > 0) {
            i += sep > 0 ? sep : 1;
            continue;
        }
        const std::size_t start = i;
        while (i < s.size()) {
            const auto d = static_cast<unsigned char>(s[i]);
            if ((d < 0x80 && !ascii_alnum(d)) || (d >= 0x80 && unicode_separator(s, i) > 0)) {
                break;
            }
            ++i;
        }
        const std::string_view w = s.substr(start, i - start);
        out.push_back({lower(w), w, start == 0 ? '\0' : s[start - 1]});
    }
    return out;
}

std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> out;
    for (TagWord& w : tag_words(s)) {
        out.push_back(std::move(w.lower));
    }
    return out;
}

bool phrase_at(const std::vector<TagWord>& words, std::size_t at,
               const std::vector<std::string>& phrase) {
    if (at + phrase.size() > words.size()) {
        return false;
    }
    for (std::size_t k = 0; k < phrase.size(); ++k) {
        if (words[at + k].lower != phrase[k]) {
            return false;
        }
    }
    return true;
}

struct BuiltinName {
    std::string_view base;
    std::string_view name;
};
constexpr BuiltinName kBuiltinNames[] = {
    {"BTC", "bitcoin"},  {"BTC", "bitcoins"}, {"BTC", "btc"},        {"BTC", "xbt"},
    {"ETH", "ethereum"}, {"ETH", "ether"},    {"ETH", "eth"},        {"ADA", "cardano"},
    {"BNB", "bnb"},      {"DOT", "polkadot"}, {"LINK", "chainlink"}, {"LTC", "litecoin"},
    {"LTC", "ltc"},      {"XRP", "xrp"},      {"XRP", "ripple"},
};
constexpr std::string_view kOtherCoins[] = {
    "bitcoin cash",     "bitcoin sv",   "bitcoin gold",  "wrapped bitcoin", "wrapped btc",
    "ethereum classic", "ethereum pow", "ether classic", "litecoin cash",
};

std::string url_lower_host(std::string_view url) {
    // scheme://host[:port]/path?query#fragment; only scheme and host lower-cased
    std::string out;
    std::size_t at = url.find("://");
    std::string_view rest = url;
    if (at != std::string_view::npos) {
        rest = url.substr(at + 3);
    }
    const std::size_t host_end = std::min(rest.find_first_of("/?#"), rest.size());
    std::string host = lower(rest.substr(0, host_end));
    if (host.starts_with("www.")) {
        host.erase(0, 4);
    }
    out = host;
    out += rest.substr(host_end);
    return out;
}

} // namespace

std::string headline_key(std::string_view headline) {
    std::string out = "h:";
    bool space = false;
    std::size_t i = 0;
    while (i < headline.size()) {
        const auto c = static_cast<unsigned char>(headline[i]);
        const std::size_t sep = c >= 0x80 ? unicode_separator(headline, i) : 0;
        if ((c < 0x80 && !ascii_alnum(c)) || sep > 0) {
            space = true;
            i += sep > 0 ? sep : 1;
            continue;
        }
        if (space && out.size() > 2) {
            out += ' ';
        }
        space = false;
        out += ascii_lower(static_cast<char>(c));
        ++i;
    }
    return out;
}

std::optional<std::string> url_key(std::string_view url) {
    while (!url.empty() && (url.front() == ' ' || url.front() == '\t')) {
        url.remove_prefix(1);
    }
    while (!url.empty() && (url.back() == ' ' || url.back() == '\t')) {
        url.remove_suffix(1);
    }
    if (url.empty()) {
        return std::nullopt;
    }
    std::string u = url_lower_host(url.substr(0, std::min(url.find('#'), url.size())));
    const std::size_t q = u.find('?');
    std::string query;
    if (q != std::string::npos) {
        std::string_view params = std::string_view(u).substr(q + 1);
        while (!params.empty()) {
            const std::size_t amp = std::min(params.find('&'), params.size());
            const std::string_view p = params.substr(0, amp);
            if (!p.empty() && !lower(p).starts_with("utm_")) {
                query += query.empty() ? "?" : "&";
                query += p;
            }
            params.remove_prefix(std::min(amp + 1, params.size()));
        }
        u.resize(q);
    }
    while (!u.empty() && u.back() == '/') {
        u.pop_back();
    }
    return "u:" + u + query;
}

// ---------------------------------------------------------------------------------------
// Tagger

Tagger::Tagger(std::vector<std::string> insts, const std::vector<std::string>& aliases)
    : insts_(std::move(insts)) {
    for (const std::string& inst : insts_) {
        bases_.push_back(inst.substr(0, inst.find('-')));
        lower_bases_.push_back(lower(bases_.back()));
    }
    const auto add = [&](std::string_view base, std::string_view name) {
        std::vector<std::string> words = split_words(name);
        if (words.empty()) {
            return false;
        }
        for (std::size_t k = 0; k < bases_.size(); ++k) {
            if (bases_[k] == base) {
                names_.push_back(Name{words, k});
            }
        }
        return true;
    };
    for (const BuiltinName& n : kBuiltinNames) {
        add(n.base, n.name);
    }
    for (const std::string& a : aliases) {
        const std::size_t eq = a.find('=');
        std::string base = eq == std::string::npos ? std::string() : a.substr(0, eq);
        std::transform(base.begin(), base.end(), base.begin(), [](char c) {
            return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
        });
        if (base.empty() || !add(base, std::string_view(a).substr(eq + 1))) {
            throw core::UsageError("--alias " + core::excerpt(a) +
                                   ": write BASE=NAME, such as SOL=solana or "
                                   "\"BTC=digital gold\"");
        }
    }
    for (const std::string_view p : kOtherCoins) {
        other_coins_.push_back(split_words(p));
    }
}

std::vector<std::string> Tagger::symbols(std::string_view text) const {
    const std::vector<TagWord> words = tag_words(text);
    std::vector<bool> hit(insts_.size(), false);
    std::vector<bool> other(words.size(), false); // words of another coin's name
    for (std::size_t at = 0; at < words.size(); ++at) {
        for (const auto& phrase : other_coins_) {
            if (phrase_at(words, at, phrase)) {
                std::fill_n(other.begin() + static_cast<std::ptrdiff_t>(at), phrase.size(), true);
            }
        }
    }
    for (std::size_t at = 0; at < words.size(); ++at) {
        if (other[at]) {
            continue;
        }
        const TagWord& w = words[at];
        for (std::size_t k = 0; k < bases_.size(); ++k) {
            if (w.text == bases_[k] ||
                ((w.before == '$' || w.before == '#') && w.lower == lower_bases_[k])) {
                hit[k] = true;
            }
        }
        for (const Name& n : names_) {
            if (phrase_at(words, at, n.words)) {
                hit[n.inst] = true;
            }
        }
    }
    std::vector<std::string> out;
    for (std::size_t k = 0; k < insts_.size(); ++k) {
        if (hit[k]) {
            out.push_back(insts_[k]);
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------
// The news line

namespace {

void append_rounded(std::string& out, double v) {
    double r = std::round(v * 1e4) / 1e4;
    if (r == 0) {
        r = 0; // no "-0"
    }
    core::append_double(out, r);
}

} // namespace

void append_news_line(std::string& out, const Item& item, bool explain) {
    out += R"({"type":"news","v":1,"ts":)";
    core::append_int(out, item.ts);
    if (item.published) {
        out += R"(,"published":)";
        core::append_int(out, *item.published);
    }
    out += R"(,"headline":)";
    core::append_json_string(out, item.headline);
    out += R"(,"source":)";
    core::append_json_string(out, item.source);
    if (!item.url.empty()) {
        out += R"(,"url":)";
        core::append_json_string(out, item.url);
    }
    out += R"(,"symbols":[)";
    for (std::size_t k = 0; k < item.symbols.size(); ++k) {
        if (k > 0) {
            out += ',';
        }
        core::append_json_string(out, item.symbols[k]);
    }
    out += ']';
    if (item.sentiment) {
        out += R"(,"sentiment":)";
        append_rounded(out, item.sentiment->compound);
        if (explain) {
            out += R"(,"terms":[)";
            bool first = true;
            for (const Term& t : item.sentiment->terms) {
                out += first ? "" : ",";
                first = false;
                out += R"({"term":)";
                core::append_json_string(out, t.token);
                out += R"(,"valence":)";
                append_rounded(out, t.valence);
                out += '}';
            }
            out += ']';
        }
    }
    out += '}';
}

// ---------------------------------------------------------------------------------------
// Recorded items

namespace {

struct CsvRow {
    std::vector<std::string> fields;
    std::size_t line = 0; // where the row starts
};

// RFC 4180 rows; a quote that does not close is reported and ends the input.
std::vector<CsvRow> csv_rows(std::string_view text,
                             const std::function<void(std::size_t, std::string)>& problem) {
    std::vector<CsvRow> rows;
    std::size_t i = 0;
    std::size_t line = 1;
    while (i < text.size()) {
        CsvRow row;
        row.line = line;
        std::string field;
        bool end_of_row = false;
        while (!end_of_row) {
            field.clear();
            if (i < text.size() && text[i] == '"') {
                ++i;
                bool closed = false;
                while (i < text.size()) {
                    if (text[i] == '"') {
                        if (i + 1 < text.size() && text[i + 1] == '"') {
                            field += '"';
                            i += 2;
                            continue;
                        }
                        ++i;
                        closed = true;
                        break;
                    }
                    if (text[i] == '\n') {
                        ++line;
                    }
                    field += text[i++];
                }
                if (!closed) {
                    problem(row.line, "a quoted field is not closed before the end of the file");
                    return rows;
                }
            }
            while (i < text.size() && text[i] != ',' && text[i] != '\n') {
                field += text[i++];
            }
            if (!field.empty() && field.back() == '\r' && (i >= text.size() || text[i] == '\n')) {
                field.pop_back();
            }
            row.fields.push_back(field);
            if (i >= text.size() || text[i] == '\n') {
                end_of_row = true;
                if (i < text.size()) {
                    ++line;
                }
            }
            ++i;
        }
        if (!(row.fields.size() == 1 && row.fields[0].empty())) {
            rows.push_back(std::move(row));
        }
    }
    return rows;
}

std::string base_name(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::vector<Recorded> read_csv(std::string_view text, std::string_view file_name,
                               const std::function<void(std::size_t, std::string)>& problem) {
    std::vector<Recorded> out;
    const std::vector<CsvRow> rows = csv_rows(text, problem);
    if (rows.empty()) {
        return out;
    }
    int published = -1;
    int headline = -1;
    int url = -1;
    int source = -1;
    int origin = -1;
    for (std::size_t k = 0; k < rows[0].fields.size(); ++k) {
        std::string name = lower(rows[0].fields[k]);
        if (k == 0 && name.starts_with("\xEF\xBB\xBF")) {
            name.erase(0, 3); // a byte-order mark
        }
        const auto col = static_cast<int>(k);
        if (name == "published") {
            published = col;
        } else if (name == "headline") {
            headline = col;
        } else if (name == "url" || (name == "link" && url < 0)) {
            url = col;
        } else if (name == "source") {
            source = col;
        } else if (name == "origin") {
            origin = col;
        }
    }
    if (published < 0 || headline < 0) {
        throw core::UsageError(std::string(file_name) +
                               ":1: the CSV header has no \"published\" and \"headline\" "
                               "columns; news reads CSV with a header such as "
                               "published,headline,url,source (or NDJSON news lines)");
    }
    if (source < 0) {
        source = origin;
    }
    const std::string fallback_source = base_name(file_name);
    for (std::size_t r = 1; r < rows.size(); ++r) {
        const CsvRow& row = rows[r];
        const auto field = [&](int col) -> std::string {
            return col >= 0 && static_cast<std::size_t>(col) < row.fields.size()
                       ? row.fields[static_cast<std::size_t>(col)]
                       : std::string();
        };
        const auto ts = core::parse_time_ms(field(published));
        if (!ts) {
            problem(row.line, "published " + core::excerpt(field(published)) +
                                  " is not a time (ISO-8601 or ms since the epoch)");
            continue;
        }
        Recorded rec;
        rec.item.published = *ts;
        rec.item.headline = field(headline);
        if (rec.item.headline.find_first_not_of(" \t") == std::string::npos) {
            problem(row.line, "the headline is empty");
            continue;
        }
        rec.item.url = field(url);
        rec.item.source = field(source);
        if (!core::valid_utf8(rec.item.headline) || !core::valid_utf8(rec.item.url) ||
            !core::valid_utf8(rec.item.source)) {
            problem(row.line, "not valid UTF-8 (news reads UTF-8: convert the file, e.g. with "
                              "iconv -f latin1 -t utf-8)");
            continue;
        }
        if (rec.item.source.empty()) {
            rec.item.source = fallback_source;
        }
        out.push_back(std::move(rec));
    }
    return out;
}

std::vector<Recorded> read_ndjson(std::string_view text, std::string_view file_name,
                                  const std::function<void(std::size_t, std::string)>& problem) {
    std::vector<Recorded> out;
    std::size_t at = 0;
    std::size_t line = 0;
    const std::string fallback_source = base_name(file_name);
    while (at < text.size()) {
        std::size_t nl = text.find('\n', at);
        if (nl == std::string_view::npos) {
            nl = text.size();
        }
        const std::string_view l = text.substr(at, nl - at);
        at = nl + 1;
        ++line;
        if (l.find_first_not_of(" \t\r") == std::string_view::npos) {
            continue;
        }
        const nlohmann::json j = nlohmann::json::parse(l, nullptr, false);
        if (!j.is_object()) {
            problem(line, "not a JSON object");
            continue;
        }
        if (!j.contains("type") || j["type"] != "news") {
            continue;
        }
        Recorded rec;
        if (!j.contains("headline") || !j["headline"].is_string()) {
            problem(line, "a news line without a string \"headline\"");
            continue;
        }
        rec.item.headline = j["headline"].get<std::string>();
        const auto integer = [&](const char* key) -> std::optional<std::int64_t> {
            if (j.contains(key) && j[key].is_number_integer()) {
                return j[key].get<std::int64_t>();
            }
            return std::nullopt;
        };
        rec.item.published = integer("published");
        if (const auto ts = integer("ts")) {
            rec.item.ts = *ts;
            rec.has_ts = true;
        } else if (!rec.item.published) {
            problem(line, R"(a news line with neither an integer "ts" nor "published")");
            continue;
        }
        if (j.contains("url") && j["url"].is_string()) {
            rec.item.url = j["url"].get<std::string>();
        }
        rec.item.source = j.contains("source") && j["source"].is_string()
                              ? j["source"].get<std::string>()
                              : fallback_source;
        out.push_back(std::move(rec));
    }
    return out;
}

} // namespace

std::vector<Recorded> read_recorded(std::string_view text, std::string_view file_name,
                                    const std::function<void(std::size_t, std::string)>& problem) {
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && text[first] == '{') {
        return read_ndjson(text, file_name, problem);
    }
    return read_csv(text, file_name, problem);
}

} // namespace okxkit::news
