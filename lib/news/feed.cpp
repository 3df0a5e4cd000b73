// RSS and Atom documents read with libxml2 (never a network access, never an external
// entity), their dates, and the cleaning of their titles into headlines.
#include "news/feed.hpp"

#include "core/timeutil.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <memory>

namespace okxkit::news {

namespace {

// ---------------------------------------------------------------------------------------
// Text

constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        out += kReplacement;
    } else if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Decodes the UTF-8 sequence at s[i]: its code point and length, or length 0 when the bytes
// there are not UTF-8 (overlong forms and surrogates included).
std::pair<std::uint32_t, std::size_t> next_utf8(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
        return {c, 1};
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return {0, 0};
    }
    if (i + n > s.size()) {
        return {0, 0};
    }
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(k) & 0xC0) != 0x80) {
            return {0, 0};
        }
        cp = (cp << 6) | (b(k) & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        return {0, 0};
    }
    return {cp, n};
}

// Tags whose removal must not split a word ("<b>Bit</b>coin" is one word).
bool inline_tag(std::string_view name) {
    static constexpr std::array<std::string_view, 18> kInline{
        "a",    "abbr", "b", "bdi",   "cite", "code",   "em",  "font", "i",
        "mark", "q",    "s", "small", "span", "strong", "sub", "sup",  "u"};
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return std::find(kInline.begin(), kInline.end(), lower) != kInline.end();
}

bool ascii_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string strip_tags(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        const char n = i + 1 < s.size() ? s[i + 1] : '\0';
        if (c == '<' && (ascii_alpha(n) || n == '/' || n == '!' || n == '?')) {
            if (s.substr(i, 4) == "<!--") {
                const std::size_t end = s.find("-->", i + 4);
                if (end != std::string_view::npos) {
                    out += ' ';
                    i = end + 3;
                    continue;
                }
            }
            const std::size_t end = s.find('>', i + 1);
            if (end != std::string_view::npos) {
                std::size_t name_at = i + 1 + (n == '/' ? 1 : 0);
                std::size_t name_end = name_at;
                while (name_end < end && ascii_alpha(s[name_end])) {
                    ++name_end;
                }
                if (!inline_tag(s.substr(name_at, name_end - name_at))) {
                    out += ' ';
                }
                i = end + 1;
                continue;
            }
        }
        out += c;
        ++i;
    }
    return out;
}

struct Named {
    std::string_view name;
    std::uint32_t cp;
};

// The named character references a headline is likely to carry (HTML's full list is 2000+).
constexpr std::array<Named, 62> kNamed{{
    {"amp", '&'},       {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
    {"nbsp", 0xA0},     {"ndash", 0x2013}, {"mdash", 0x2014}, {"lsquo", 0x2018}, {"rsquo", 0x2019},
    {"sbquo", 0x201A},  {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"bdquo", 0x201E}, {"hellip", 0x2026},
    {"bull", 0x2022},   {"middot", 0xB7},  {"laquo", 0xAB},   {"raquo", 0xBB},   {"lsaquo", 0x2039},
    {"rsaquo", 0x203A}, {"euro", 0x20AC},  {"pound", 0xA3},   {"yen", 0xA5},     {"cent", 0xA2},
    {"copy", 0xA9},     {"reg", 0xAE},     {"trade", 0x2122}, {"deg", 0xB0},     {"plusmn", 0xB1},
    {"times", 0xD7},    {"divide", 0xF7},  {"frac12", 0xBD},  {"frac14", 0xBC},  {"frac34", 0xBE},
    {"percnt", '%'},    {"dollar", '$'},   {"num", '#'},      {"larr", 0x2190},  {"rarr", 0x2192},
    {"uarr", 0x2191},   {"darr", 0x2193},  {"aacute", 0xE1},  {"agrave", 0xE0},  {"acirc", 0xE2},
    {"auml", 0xE4},     {"aring", 0xE5},   {"ccedil", 0xE7},  {"eacute", 0xE9},  {"egrave", 0xE8},
    {"ecirc", 0xEA},    {"euml", 0xEB},    {"iacute", 0xED},  {"iuml", 0xEF},    {"ntilde", 0xF1},
    {"oacute", 0xF3},   {"ocirc", 0xF4},   {"ouml", 0xF6},    {"uacute", 0xFA},  {"uuml", 0xFC},
    {"szlig", 0xDF},    {"Eacute", 0xC9},
}};

// Decodes the character reference at s[i] ('&'): appends it to out and returns its length, or
// returns 0 when there is none there (the '&' is then text).
std::size_t decode_reference(std::string_view s, std::size_t i, std::string& out) {
    const std::size_t semi = s.find(';', i + 1);
    if (semi == std::string_view::npos || semi - i > 12 || semi == i + 1) {
        return 0;
    }
    const std::string_view body = s.substr(i + 1, semi - i - 1);
    if (body[0] == '#') {
        const bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
        const std::string_view digits = body.substr(hex ? 2 : 1);
        if (digits.empty()) {
            return 0;
        }
        std::uint32_t cp = 0;
        for (const char d : digits) {
            int v = -1;
            if (d >= '0' && d <= '9') {
                v = d - '0';
            } else if (hex && d >= 'a' && d <= 'f') {
                v = d - 'a' + 10;
            } else if (hex && d >= 'A' && d <= 'F') {
                v = d - 'A' + 10;
            }
            if (v < 0) {
                return 0;
            }
            cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
            if (cp > 0x10FFFF) {
                cp = 0x110000; // out of range: U+FFFD, and no overflow however long
            }
        }
        append_utf8(out, cp);
        return semi - i + 1;
    }
    for (const Named& n : kNamed) {
        if (n.name == body) {
            append_utf8(out, n.cp);
            return semi - i + 1;
        }
    }
    return 0;
}

std::string decode_references(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        if (s[i] == '&') {
            if (const std::size_t n = decode_reference(s, i, out); n > 0) {
                i += n;
                continue;
            }
        }
        out += s[i++];
    }
    return out;
}

// Valid UTF-8 with white space evened out: runs of spaces, controls and no-break spaces
// become one space, none at either end.
std::string even_out(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    bool space = false;
    for (std::size_t i = 0; i < s.size();) {
        auto [cp, n] = next_utf8(s, i);
        if (n == 0) {
            if (space && !out.empty()) {
                out += ' ';
            }
            space = false;
            out += kReplacement;
            ++i;
            continue;
        }
        i += n;
        if (cp <= 0x20 || cp == 0x7F || cp == 0xA0 || (cp >= 0x80 && cp < 0xA0)) {
            space = true;
            continue;
        }
        if (space && !out.empty()) {
            out += ' ';
        }
        space = false;
        append_utf8(out, cp);
    }
    return out;
}

// ---------------------------------------------------------------------------------------
// Dates

bool digits(std::string_view s, std::size_t at, std::size_t n, int& v) {
    if (at + n > s.size()) {
        return false;
    }
    v = 0;
    for (std::size_t k = at; k < at + n; ++k) {
        if (s[k] < '0' || s[k] > '9') {
            return false;
        }
        v = v * 10 + (s[k] - '0');
    }
    return true;
}

int days_in_month(int y, int m) {
    static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

// ms since the epoch of a civil UTC time, or nullopt when a field is out of range.
std::optional<std::int64_t> civil_ms(int y, int mo, int d, int h, int mi, int s, int ms) {
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || s > 60) {
        return std::nullopt;
    }
    const std::int64_t days =
        core::days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    return ((days * 24 + h) * 60 + mi) * 60'000 + std::int64_t{s} * 1000 + ms;
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::vector<std::string_view> date_tokens(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() &&
               (s[i] == ' ' || s[i] == '\t' || s[i] == ',' || s[i] == '\n' || s[i] == '\r')) {
            ++i;
        }
        const std::size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != ',' && s[i] != '\n' &&
               s[i] != '\r') {
            ++i;
        }
        if (i > start) {
            out.push_back(s.substr(start, i - start));
        }
    }
    return out;
}

// A zone of RFC 822 as minutes east of UTC.
std::optional<int> zone_minutes(std::string_view z) {
    if ((z[0] == '+' || z[0] == '-') && (z.size() == 5 || (z.size() == 6 && z[3] == ':'))) {
        int h = 0;
        int m = 0;
        if (!digits(z, 1, 2, h) || !digits(z, z.size() - 2, 2, m) || h > 23 || m > 59) {
            return std::nullopt;
        }
        return (z[0] == '-' ? -1 : 1) * (h * 60 + m);
    }
    static constexpr std::array<std::pair<std::string_view, int>, 12> kZones{{
        {"ut", 0},
        {"utc", 0},
        {"gmt", 0},
        {"z", 0},
        {"est", -300},
        {"edt", -240},
        {"cst", -360},
        {"cdt", -300},
        {"mst", -420},
        {"mdt", -360},
        {"pst", -480},
        {"pdt", -420},
    }};
    const std::string lz = lower_ascii(z);
    for (const auto& [name, minutes] : kZones) {
        if (name == lz) {
            return minutes;
        }
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// libxml2

struct XmlFree {
    void operator()(xmlChar* p) const { xmlFree(p); }
};
using XmlText = std::unique_ptr<xmlChar, XmlFree>;

const char* text_of(const xmlChar* s) {
    return reinterpret_cast<const char*>(s);
}

std::string_view local_name(const xmlNode* n) {
    return n->name != nullptr ? std::string_view(text_of(n->name)) : std::string_view();
}

std::string_view ns_of(const xmlNode* n) {
    return n->ns != nullptr && n->ns->href != nullptr ? std::string_view(text_of(n->ns->href))
                                                      : std::string_view();
}

bool element(const xmlNode* n, std::string_view name) {
    return n->type == XML_ELEMENT_NODE && local_name(n) == name;
}

std::string attribute(const xmlNode* n, const char* name) {
    XmlText v(xmlGetProp(n, reinterpret_cast<const xmlChar*>(name)));
    return v ? std::string(text_of(v.get())) : std::string();
}

// Appends the text under n (text, CDATA, the text of child elements and of internal entities)
// up to kMaxField bytes. Entities are walked as the parser built them, never expanded anew, and
// only so deep: what libxml2's amplification limits let through is bounded once more here.
void collect_text(const xmlNode* n, std::string& out, int depth) {
    for (const xmlNode* c = n->children; c != nullptr && out.size() < kMaxField; c = c->next) {
        switch (c->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (c->content != nullptr) {
                const std::string_view t(text_of(c->content));
                out.append(t.substr(0, kMaxField - out.size()));
            }
            break;
        case XML_ELEMENT_NODE:
            if (depth < 16) {
                collect_text(c, out, depth + 1);
            }
            break;
        case XML_ENTITY_REF_NODE:
            if (depth < 16) {
                const xmlEntity* e = xmlGetDocEntity(c->doc, c->name);
                if (e != nullptr && e->etype == XML_INTERNAL_GENERAL_ENTITY) {
                    collect_text(reinterpret_cast<const xmlNode*>(e), out, depth + 1);
                }
            }
            break;
        default:
            break;
        }
    }
}

std::string field_text(const xmlNode* n) {
    std::string out;
    collect_text(n, out, 0);
    // A cut may have split a character: drop its leading bytes rather than turn them into
    // U+FFFD.
    if (out.size() >= kMaxField) {
        std::size_t end = out.size();
        while (end > 0 && (static_cast<unsigned char>(out[end - 1]) & 0xC0) == 0x80) {
            --end;
        }
        if (end > 0 && static_cast<unsigned char>(out[end - 1]) >= 0xC0) {
            out.resize(end - 1);
        }
    }
    return out;
}

// The text of an Atom text construct (title): type="html" carries escaped markup, "xhtml" a
// div of elements, "text" (the default) plain text.
std::string atom_text(const xmlNode* n) {
    const std::string type = attribute(n, "type");
    return clean_text(field_text(n), type == "html" || type == "text/html");
}

// href resolved against the element's base (xml:base, else the document's URL).
std::string resolve(const xmlNode* n, const std::string& href) {
    if (href.empty()) {
        return href;
    }
    XmlText base(xmlNodeGetBase(n->doc, n));
    if (!base) {
        return href;
    }
    XmlText full(xmlBuildURI(reinterpret_cast<const xmlChar*>(href.c_str()), base.get()));
    return full ? std::string(text_of(full.get())) : href;
}

std::string link_text(const xmlNode* n) {
    return clean_text(field_text(n), false);
}

std::optional<std::int64_t> any_date(const std::string& text, bool atom) {
    const std::string t = clean_text(text, false);
    if (atom) {
        if (auto v = parse_rfc3339_ms(t)) {
            return v;
        }
        return parse_rfc822_ms(t);
    }
    if (auto v = parse_rfc822_ms(t)) {
        return v;
    }
    return parse_rfc3339_ms(t);
}

constexpr std::string_view kDublinCore = "http://purl.org/dc/elements/1.1/";

// An RSS element (no namespace, or RSS 0.90's or 1.0's) named name.
bool rss_element(const xmlNode* n, std::string_view name) {
    if (!element(n, name)) {
        return false;
    }
    const std::string_view ns = ns_of(n);
    return ns.empty() || ns == "http://purl.org/rss/1.0/" ||
           ns == "http://my.netscape.com/rdf/simple/0.9/";
}

void read_rss_item(const xmlNode* item, ParsedFeed& feed) {
    FeedEntry e;
    std::string guid;
    bool guid_link = true;
    std::optional<std::int64_t> pub;
    std::optional<std::int64_t> dc_date;
    bool have_title = false;
    for (const xmlNode* c = item->children; c != nullptr; c = c->next) {
        if (rss_element(c, "title") && !have_title) {
            e.headline = clean_text(field_text(c), true);
            have_title = true;
        } else if (rss_element(c, "link") && e.url.empty()) {
            e.url = resolve(c, link_text(c));
        } else if (rss_element(c, "guid")) {
            guid = link_text(c);
            guid_link = attribute(c, "isPermaLink") != "false";
        } else if (rss_element(c, "pubDate") && !pub) {
            pub = any_date(field_text(c), false);
        } else if (element(c, "date") && ns_of(c) == kDublinCore && !dc_date) {
            dc_date = any_date(field_text(c), true);
        }
    }
    if (e.url.empty() && guid_link &&
        (guid.starts_with("http://") || guid.starts_with("https://"))) {
        e.url = guid;
    }
    e.published = pub ? pub : dc_date;
    if (e.headline.empty()) {
        ++feed.untitled;
        return;
    }
    feed.entries.push_back(std::move(e));
}

void read_rss(const xmlNode* root, ParsedFeed& feed) {
    // RSS 0.9x/2.0 hold the items in the channel; RSS 1.0 beside it, under the root.
    for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
        if (rss_element(c, "channel")) {
            for (const xmlNode* k = c->children; k != nullptr; k = k->next) {
                if (rss_element(k, "title") && feed.title.empty()) {
                    feed.title = clean_text(field_text(k), true);
                } else if (rss_element(k, "item")) {
                    read_rss_item(k, feed);
                }
            }
        } else if (rss_element(c, "item")) {
            read_rss_item(c, feed);
        }
    }
}

void read_atom(const xmlNode* root, ParsedFeed& feed) {
    const std::string_view ns = ns_of(root);
    const auto atom = [&](const xmlNode* n, std::string_view name) {
        return element(n, name) && ns_of(n) == ns;
    };
    for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
        if (atom(c, "title") && feed.title.empty()) {
            feed.title = atom_text(c);
        }
        if (!atom(c, "entry")) {
            continue;
        }
        FeedEntry e;
        std::string alternate;
        std::string first;
        std::optional<std::int64_t> published;
        std::optional<std::int64_t> updated;
        bool have_title = false;
        for (const xmlNode* k = c->children; k != nullptr; k = k->next) {
            if (atom(k, "title") && !have_title) {
                e.headline = atom_text(k);
                have_title = true;
            } else if (atom(k, "link")) {
                const std::string href = clean_text(attribute(k, "href"), false);
                const std::string rel = attribute(k, "rel");
                if (!href.empty() && first.empty()) {
                    first = resolve(k, href);
                }
                // RFC 4287 4.2.7.2: a link without rel is an alternate one.
                if (!href.empty() && alternate.empty() && (rel.empty() || rel == "alternate")) {
                    alternate = resolve(k, href);
                }
            } else if ((atom(k, "published") || atom(k, "issued")) && !published) {
                published = any_date(field_text(k), true);
            } else if ((atom(k, "updated") || atom(k, "modified")) && !updated) {
                updated = any_date(field_text(k), true);
            }
        }
        e.url = alternate.empty() ? first : alternate;
        e.published = published ? published : updated;
        if (e.headline.empty()) {
            ++feed.untitled;
            continue;
        }
        feed.entries.push_back(std::move(e));
    }
}

// libxml2's message on one line: its messages end with a newline and some add a second line
// (the bytes at fault).
std::string one_line(const char* message) {
    std::string m = message != nullptr ? message : "not well-formed";
    for (char& c : m) {
        if (c == '\n' || c == '\r' || c == '\t') {
            c = ' ';
        }
    }
    return even_out(m);
}

struct CtxtFree {
    void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
struct DocFree {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

} // namespace

std::string clean_text(std::string_view text, bool markup) {
    if (!markup) {
        return even_out(text);
    }
    return even_out(decode_references(strip_tags(text)));
}

std::optional<std::int64_t> parse_rfc822_ms(std::string_view text) {
    std::vector<std::string_view> t = date_tokens(text);
    std::size_t i = 0;
    if (i < t.size() && ascii_alpha(t[i][0])) {
        ++i; // the day's name: not checked against the date, as readers do
    }
    if (t.size() < i + 4) {
        return std::nullopt;
    }
    int day = 0;
    if (!digits(t[i], 0, t[i].size(), day) || t[i].size() > 2) {
        return std::nullopt;
    }
    static constexpr std::array<std::string_view, 12> kMonths{
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
    const std::string mon = lower_ascii(t[i + 1]);
    int month = 0;
    for (std::size_t k = 0; k < kMonths.size(); ++k) {
        if (mon.size() >= 3 && mon.starts_with(kMonths[k])) {
            month = static_cast<int>(k) + 1;
        }
    }
    int year = 0;
    const std::string_view y = t[i + 2];
    if (month == 0 || (y.size() != 2 && y.size() != 4) || !digits(y, 0, y.size(), year)) {
        return std::nullopt;
    }
    if (y.size() == 2) {
        year += year < 50 ? 2000 : 1900; // RFC 2822 4.3
    }
    const std::string_view hms = t[i + 3];
    int h = 0;
    int m = 0;
    int s = 0;
    const bool with_seconds = hms.size() == 8 && hms[5] == ':';
    if ((hms.size() != 5 && !with_seconds) || hms[2] != ':' || !digits(hms, 0, 2, h) ||
        !digits(hms, 3, 2, m) || (with_seconds && !digits(hms, 6, 2, s))) {
        return std::nullopt;
    }
    int zone = 0;
    if (t.size() > i + 4) {
        const auto z = zone_minutes(t[i + 4]);
        if (!z) {
            return std::nullopt;
        }
        zone = *z;
    }
    const auto ms = civil_ms(year, month, day, h, m, s, 0);
    if (!ms) {
        return std::nullopt;
    }
    return *ms - std::int64_t{zone} * 60'000;
}

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text) {
    const std::string_view s = text;
    int y = 0;
    int mo = 0;
    int d = 0;
    int h = 0;
    int mi = 0;
    int sec = 0;
    if (s.size() < 20 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
        !digits(s, 17, 2, sec)) {
        return std::nullopt;
    }
    std::size_t i = 19;
    int ms = 0;
    if (s[i] == '.') {
        ++i;
        int places = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (places < 3) {
                ms = ms * 10 + (s[i] - '0');
            }
            ++places;
            ++i;
        }
        if (places == 0) {
            return std::nullopt;
        }
        for (int k = places; k < 3; ++k) {
            ms *= 10;
        }
    }
    int zone = 0;
    const std::string_view z = s.substr(i);
    if (z != "Z" && z != "z") {
        const auto minutes = z.empty() ? std::nullopt : zone_minutes(z);
        if (!minutes || (z[0] != '+' && z[0] != '-')) {
            return std::nullopt;
        }
        zone = *minutes;
    }
    const auto t = civil_ms(y, mo, d, h, mi, sec, ms);
    if (!t) {
        return std::nullopt;
    }
    return *t - std::int64_t{zone} * 60'000;
}

std::string url_host(std::string_view url) {
    const std::size_t scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return {};
    }
    std::string_view rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
        rest.remove_prefix(at + 1);
    }
    if (!rest.empty() && rest[0] == '[') {
        rest = rest.substr(0, rest.find(']') + 1); // an IPv6 address keeps its brackets
    } else {
        rest = rest.substr(0, rest.find(':'));
    }
    return lower_ascii(rest);
}

ParsedFeed parse_feed(std::string_view body, std::string_view base_url) {
    static const bool initialised = [] {
        xmlInitParser();
        return true;
    }();
    (void)initialised;
    if (body.size() > static_cast<std::size_t>(INT_MAX)) {
        throw FeedError("the document is too large to parse");
    }
    const std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(xmlNewParserCtxt());
    if (!ctxt) {
        throw FeedError("libxml2 cannot allocate a parser");
    }
    // NONET: no network access for anything the document names. Not NOENT (entities stay
    // references), not DTDLOAD (no external DTD), not HUGE (libxml2's limits on entity
    // amplification and on sizes stay on). NOCDATA: CDATA sections read as text.
    const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                        XML_PARSE_NOCDATA | XML_PARSE_NOBLANKS;
    const std::string url(base_url);
    const std::unique_ptr<xmlDoc, DocFree> doc(xmlCtxtReadMemory(
        ctxt.get(), body.data(), static_cast<int>(body.size()), url.c_str(), nullptr, options));
    if (!doc || ctxt->wellFormed == 0) {
        const xmlError* err = xmlCtxtGetLastError(ctxt.get());
        if (err == nullptr) {
            throw FeedError("malformed XML");
        }
        throw FeedError("malformed XML at line " + std::to_string(err->line) + ": " +
                        one_line(err->message));
    }
    const xmlNode* root = xmlDocGetRootElement(doc.get());
    if (root == nullptr) {
        throw FeedError("an XML document without a root element");
    }
    ParsedFeed feed;
    const std::string_view name = local_name(root);
    if (name == "rss" || name == "RDF") {
        read_rss(root, feed);
    } else if (name == "feed") {
        read_atom(root, feed);
    } else {
        throw FeedError("not an RSS or Atom feed: the root element is <" +
                        clean_text(std::string(name).substr(0, 64), false) + ">");
    }
    return feed;
}

} // namespace okxkit::news
