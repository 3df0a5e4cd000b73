// The VADER rules over a lexicon (see vader.hpp).
#include "news/vader.hpp"

#include "core/error.hpp"
#include "core/json_scan.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace okxkit::news {

namespace {

// The rules' constants (the VADER paper's empirically derived values).
constexpr double kBoostUp = 0.293;    // a booster ("very") before a word
constexpr double kBoostDown = -0.293; // a dampener ("slightly")
constexpr double kCapsUp = 0.733;     // a word in ALL CAPS among words that are not
constexpr double kNegate = -0.74;     // a negation before a word
constexpr double kNormAlpha = 15;     // compound = s / sqrt(s^2 + alpha)

// Words that negate the word after them (up to three words on).
constexpr std::array<std::string_view, 59> kNegations{
    "aint",   "arent",    "cannot",  "cant",     "couldnt",  "darent",   "didnt",   "doesnt",
    "ain't",  "aren't",   "can't",   "couldn't", "daren't",  "didn't",   "doesn't", "dont",
    "hadnt",  "hasnt",    "havent",  "isnt",     "mightnt",  "mustnt",   "neither", "don't",
    "hadn't", "hasn't",   "haven't", "isn't",    "mightn't", "mustn't",  "neednt",  "needn't",
    "never",  "none",     "nope",    "nor",      "not",      "nothing",  "nowhere", "oughtnt",
    "shant",  "shouldnt", "uhuh",    "wasnt",    "werent",   "oughtn't", "shan't",  "shouldn't",
    "uh-uh",  "wasn't",   "weren't", "without",  "wont",     "wouldnt",  "won't",   "wouldn't",
    "rarely", "seldom",   "despite"};

struct Booster {
    std::string_view words;
    double scalar;
};
// Words that strengthen (or weaken) the word after them. The ones of two words only count
// in the idiom check, where the two words before a word are looked up as one.
constexpr std::array<Booster, 66> kBoosters{{
    {"absolutely", kBoostUp},   {"amazingly", kBoostUp},
    {"awfully", kBoostUp},      {"completely", kBoostUp},
    {"considerably", kBoostUp}, {"decidedly", kBoostUp},
    {"deeply", kBoostUp},       {"effing", kBoostUp},
    {"enormously", kBoostUp},   {"entirely", kBoostUp},
    {"especially", kBoostUp},   {"exceptionally", kBoostUp},
    {"extremely", kBoostUp},    {"fabulously", kBoostUp},
    {"flipping", kBoostUp},     {"flippin", kBoostUp},
    {"fricking", kBoostUp},     {"frickin", kBoostUp},
    {"frigging", kBoostUp},     {"friggin", kBoostUp},
    {"fully", kBoostUp},        {"fucking", kBoostUp},
    {"greatly", kBoostUp},      {"hella", kBoostUp},
    {"highly", kBoostUp},       {"hugely", kBoostUp},
    {"incredibly", kBoostUp},   {"intensely", kBoostUp},
    {"majorly", kBoostUp},      {"more", kBoostUp},
    {"most", kBoostUp},         {"particularly", kBoostUp},
    {"purely", kBoostUp},       {"quite", kBoostUp},
    {"really", kBoostUp},       {"remarkably", kBoostUp},
    {"so", kBoostUp},           {"substantially", kBoostUp},
    {"thoroughly", kBoostUp},   {"totally", kBoostUp},
    {"tremendously", kBoostUp}, {"uber", kBoostUp},
    {"unbelievably", kBoostUp}, {"unusually", kBoostUp},
    {"utterly", kBoostUp},      {"very", kBoostUp},
    {"almost", kBoostDown},     {"barely", kBoostDown},
    {"hardly", kBoostDown},     {"just enough", kBoostDown},
    {"kind of", kBoostDown},    {"kinda", kBoostDown},
    {"kindof", kBoostDown},     {"kind-of", kBoostDown},
    {"less", kBoostDown},       {"little", kBoostDown},
    {"marginally", kBoostDown}, {"occasionally", kBoostDown},
    {"partly", kBoostDown},     {"scarcely", kBoostDown},
    {"slightly", kBoostDown},   {"somewhat", kBoostDown},
    {"sort of", kBoostDown},    {"sorta", kBoostDown},
    {"sortof", kBoostDown},     {"sort-of", kBoostDown},
}};

// Phrases whose valence replaces the word's.
struct Idiom {
    std::string_view words;
    double valence;
};
constexpr std::array<Idiom, 7> kIdioms{{{"the shit", 3},
                                        {"the bomb", 3},
                                        {"bad ass", 1.5},
                                        {"yeah right", -2},
                                        {"cut the mustard", 2},
                                        {"kiss of death", -1.5},
                                        {"hand to mouth", -2}}};

// The marks cut from a word's end.
constexpr std::array<std::string_view, 17> kPunctuation{".",   "!",   "?",   ",",    ";",   ":",
                                                        "-",   "'",   "\"",  "!!",   "!!!", "??",
                                                        "???", "?!?", "!?!", "?!?!", "!?!?"};

const Booster* booster(std::string_view lower) {
    for (const Booster& b : kBoosters) {
        if (b.words == lower) {
            return &b;
        }
    }
    return nullptr;
}

bool negation(std::string_view lower) {
    return std::find(kNegations.begin(), kNegations.end(), lower) != kNegations.end() ||
           lower.find("n't") != std::string_view::npos;
}

const Idiom* idiom(std::string_view words) {
    for (const Idiom& d : kIdioms) {
        if (d.words == words) {
            return &d;
        }
    }
    return nullptr;
}

bool ascii_punct(unsigned char c) {
    return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
           (c >= 0x7b && c <= 0x7e);
}

// The code point at s[i], advancing i; a byte that starts no valid sequence is itself (as a
// letter of no case).
char32_t next_cp(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    const auto cont = [&](std::size_t k) {
        return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    };
    const auto at = [&](std::size_t k) {
        return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]) & 0x3F);
    };
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    if (b0 >= 0xC2 && b0 < 0xE0 && cont(1)) {
        const char32_t c = (static_cast<char32_t>(b0 & 0x1F) << 6) | at(1);
        i += 2;
        return c;
    }
    if (b0 >= 0xE0 && b0 < 0xF0 && cont(1) && cont(2)) {
        const char32_t c = (static_cast<char32_t>(b0 & 0x0F) << 12) | (at(1) << 6) | at(2);
        if (c >= 0x800 && (c < 0xD800 || c > 0xDFFF)) {
            i += 3;
            return c;
        }
    }
    if (b0 >= 0xF0 && b0 < 0xF5 && cont(1) && cont(2) && cont(3)) {
        const char32_t c =
            (static_cast<char32_t>(b0 & 0x07) << 18) | (at(1) << 12) | (at(2) << 6) | at(3);
        if (c >= 0x10000 && c <= 0x10FFFF) {
            i += 4;
            return c;
        }
    }
    ++i;
    return 0xDC00 + b0; // as Python's surrogateescape would: no case, not white space
}

// Python's str.split() white space.
bool space(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

// The lower-case of c and whether c has case (1 upper, -1 lower, 0 none), for the scripts a
// headline is written in (Latin, Greek, Cyrillic); other letters count as having no case.
struct Cased {
    char32_t lower;
    int kind;
};
Cased case_of(char32_t c) {
    if (c < 0x80) {
        if (c >= 'A' && c <= 'Z') {
            return {c + 32, 1};
        }
        return {c, (c >= 'a' && c <= 'z') ? -1 : 0};
    }
    if (c < 0x100) {
        if (c >= 0xC0 && c <= 0xDE && c != 0xD7) {
            return {c + 0x20, 1};
        }
        if ((c >= 0xDF && c != 0xF7) || c == 0xAA || c == 0xB5 || c == 0xBA) {
            return {c, -1};
        }
        return {c, 0};
    }
    if (c < 0x180) {
        if (c == 0x130) {
            return {'i', 1};
        }
        if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) {
            return {c, -1};
        }
        if (c == 0x178) {
            return {0xFF, 1};
        }
        const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
        const bool upper = odd_upper ? (c % 2 == 1) : (c % 2 == 0);
        return upper ? Cased{c + 1, 1} : Cased{c, -1};
    }
    if (c >= 0x386 && c <= 0x3CE) {
        if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) {
            return {c + 0x20, 1};
        }
        if (c == 0x386) {
            return {0x3AC, 1};
        }
        if (c >= 0x388 && c <= 0x38A) {
            return {c + 0x25, 1};
        }
        if (c == 0x38C) {
            return {0x3CC, 1};
        }
        if (c == 0x38E || c == 0x38F) {
            return {c + 0x3F, 1};
        }
        return {c, c >= 0x3AC ? -1 : 0};
    }
    if (c >= 0x400 && c <= 0x45F) {
        if (c < 0x410) {
            return {c + 0x50, 1};
        }
        if (c < 0x430) {
            return {c + 0x20, 1};
        }
        return {c, -1};
    }
    return {c, 0};
}

void put_utf8(std::string& out, char32_t c) {
    if (c >= 0xDC80 && c <= 0xDCFF) {
        out += static_cast<char>(c - 0xDC00); // an invalid byte, back as it was
    } else if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

std::size_t code_points(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size();) {
        next_cp(s, i);
        ++n;
    }
    return n;
}

bool has_ascii_punct(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return ascii_punct(static_cast<unsigned char>(c)); });
}

// A word as VADER keeps it: one listed mark cut from one end when the rest is a word of two
// or more characters with no ASCII punctuation.
std::string_view strip_mark(std::string_view w) {
    std::size_t lead = 0;
    while (lead < w.size() && ascii_punct(static_cast<unsigned char>(w[lead]))) {
        ++lead;
    }
    std::size_t trail = 0;
    while (trail < w.size() - lead &&
           ascii_punct(static_cast<unsigned char>(w[w.size() - 1 - trail]))) {
        ++trail;
    }
    const auto listed = [](std::string_view p) {
        return std::find(kPunctuation.begin(), kPunctuation.end(), p) != kPunctuation.end();
    };
    if (lead > 0 && trail == 0) {
        const std::string_view rest = w.substr(lead);
        if (listed(w.substr(0, lead)) && code_points(rest) > 1 && !has_ascii_punct(rest)) {
            return rest;
        }
    } else if (trail > 0 && lead == 0) {
        const std::string_view rest = w.substr(0, w.size() - trail);
        if (listed(w.substr(w.size() - trail)) && code_points(rest) > 1 && !has_ascii_punct(rest)) {
            return rest;
        }
    }
    return w;
}

template <typename Fn> void for_each_word(std::string_view text, Fn&& fn) {
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t start = i;
        std::size_t j = i;
        char32_t c = next_cp(text, j);
        if (space(c)) {
            i = j;
            continue;
        }
        std::size_t cps = 0;
        i = start;
        while (i < text.size()) {
            j = i;
            c = next_cp(text, j);
            if (space(c)) {
                break;
            }
            ++cps;
            i = j;
        }
        if (cps > 1) {
            fn(strip_mark(text.substr(start, i - start)));
        }
    }
}

} // namespace

std::vector<std::string_view> vader_words(std::string_view text) {
    std::vector<std::string_view> out;
    for_each_word(text, [&](std::string_view w) { out.push_back(w); });
    return out;
}

// ---------------------------------------------------------------------------------------
// Lexicon

Lexicon Lexicon::parse(std::string_view text, std::string_view name, bool comments) {
    Lexicon lex;
    std::size_t line_no = 0;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t nl = text.find('\n', at);
        if (nl == std::string_view::npos) {
            nl = text.size();
        }
        std::string_view line = text.substr(at, nl - at);
        at = nl + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (comments && (line.empty() || line == "#" || line.starts_with("# "))) {
            continue;
        }
        const auto fail = [&](std::string_view why) {
            std::string msg(name);
            msg += ':';
            msg += std::to_string(line_no);
            msg += ": ";
            msg += why;
            msg += "; each line is TOKEN<TAB>VALENCE (a number, about -4 to 4)";
            if (comments) {
                msg += ", or a comment starting with \"# \"";
            }
            throw core::UsageError(msg);
        };
        const std::size_t tab = line.find('\t');
        if (tab == 0 || tab == std::string_view::npos) {
            fail(tab == 0 ? "no token before the tab" : "no tab");
        }
        const std::string_view token = line.substr(0, tab);
        std::string_view value = line.substr(tab + 1);
        value = value.substr(0, value.find('\t'));
        while (!value.empty() && value.back() == ' ') {
            value.remove_suffix(1);
        }
        double v = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(v)) {
            fail("the valence " + core::excerpt(value) + " is not a number");
        }
        lex.map_.insert_or_assign(std::string(token), v);
    }
    return lex;
}

void Lexicon::overlay(const Lexicon& other) {
    for (const auto& [token, v] : other.map_) {
        map_.insert_or_assign(token, v);
    }
}

// ---------------------------------------------------------------------------------------
// Vader

double Vader::scalar(const Word& w, double valence, bool cap_diff) const {
    const Booster* b = booster(w.lower);
    if (b == nullptr) {
        return 0;
    }
    double s = b->scalar;
    if (valence < 0) {
        s = -s;
    }
    if (w.upper && cap_diff) {
        s += valence > 0 ? kCapsUp : -kCapsUp;
    }
    return s;
}

double Vader::never_check(double valence, std::size_t start, std::size_t i) const {
    const auto& w = words_;
    const auto so_or_this = [](std::string_view t) { return t == "so" || t == "this"; };
    if (start == 0) {
        if (negation(w[i - 1].lower)) {
            valence *= kNegate;
        }
    } else if (start == 1) {
        if (w[i - 2].text == "never" && so_or_this(w[i - 1].text)) {
            valence *= 1.5;
        } else if (negation(w[i - 2].lower)) {
            valence *= kNegate;
        }
    } else {
        if ((w[i - 3].text == "never" && so_or_this(w[i - 2].text)) || so_or_this(w[i - 1].text)) {
            valence *= 1.25;
        } else if (negation(w[i - 3].lower)) {
            valence *= kNegate;
        }
    }
    return valence;
}

double Vader::idioms_check(double valence, std::size_t i) const {
    const auto& w = words_;
    std::string seq;
    const auto join = [&](std::initializer_list<std::size_t> at) -> const std::string& {
        seq.clear();
        for (const std::size_t k : at) {
            if (!seq.empty()) {
                seq += ' ';
            }
            seq += w[k].text;
        }
        return seq;
    };
    // Idioms ending at the word or just before it, in this order; the first one found.
    for (const auto& at : {std::initializer_list<std::size_t>{i - 1, i},
                           {i - 2, i - 1, i},
                           {i - 2, i - 1},
                           {i - 3, i - 2, i - 1},
                           {i - 3, i - 2}}) {
        if (const Idiom* d = idiom(join(at))) {
            valence = d->valence;
            break;
        }
    }
    // Then idioms starting at the word.
    if (n_ - 1 > i) {
        if (const Idiom* d = idiom(join({i, i + 1}))) {
            valence = d->valence;
        }
    }
    if (n_ - 1 > i + 1) {
        if (const Idiom* d = idiom(join({i, i + 1, i + 2}))) {
            valence = d->valence;
        }
    }
    // A two-word dampener ("kind of", "sort of") just before.
    if (booster(join({i - 3, i - 2})) != nullptr || booster(join({i - 2, i - 1})) != nullptr) {
        valence += kBoostDown;
    }
    return valence;
}

double Vader::least_check(double valence, std::size_t i) const {
    const auto& w = words_;
    if (i > 0 && w[i - 1].lower == "least" && !in_lexicon(w[i - 1])) {
        if (i == 1 || (w[i - 2].lower != "at" && w[i - 2].lower != "very")) {
            valence *= kNegate;
        }
    }
    return valence;
}

double Vader::valence_at(std::size_t i, bool cap_diff) const {
    const Word& word = words_[i];
    const double* base = lex_.find(word.lower);
    if (base == nullptr) {
        return 0;
    }
    double valence = *base;
    if (word.upper && cap_diff) {
        valence += valence > 0 ? kCapsUp : -kCapsUp;
    }
    for (std::size_t start = 0; start < 3; ++start) {
        if (i > start && !in_lexicon(words_[i - (start + 1)])) {
            double s = scalar(words_[i - (start + 1)], valence, cap_diff);
            if (start == 1 && s != 0) {
                s *= 0.95;
            } else if (start == 2 && s != 0) {
                s *= 0.9;
            }
            valence += s;
            valence = never_check(valence, start, i);
            if (start == 2) {
                valence = idioms_check(valence, i);
            }
        }
    }
    return least_check(valence, i);
}

Sentiment Vader::score(std::string_view text, bool terms) {
    n_ = 0;
    std::size_t caps = 0;
    for_each_word(text, [&](std::string_view t) {
        if (n_ == words_.size()) {
            words_.emplace_back();
        }
        Word& w = words_[n_++];
        w.text = t;
        w.lower.clear();
        bool cased = false;
        bool lower = false;
        for (std::size_t k = 0; k < t.size();) {
            const Cased c = case_of(next_cp(t, k));
            cased = cased || c.kind != 0;
            lower = lower || c.kind < 0;
            put_utf8(w.lower, c.lower);
        }
        w.upper = cased && !lower;
        caps += w.upper ? 1 : 0;
    });
    Sentiment out;
    if (n_ == 0) {
        return out;
    }
    const bool cap_diff = caps > 0 && caps < n_;
    valences_.assign(n_, 0.0);
    for (std::size_t i = 0; i < n_; ++i) {
        const bool kind_of = i + 1 < n_ && words_[i].lower == "kind" && words_[i + 1].lower == "of";
        if (!kind_of && booster(words_[i].lower) == nullptr) {
            valences_[i] = valence_at(i, cap_diff);
        }
    }
    // "but": the words before it count half, those after it half again.
    for (std::size_t b = 0; b < n_; ++b) {
        if (words_[b].lower == "but") {
            for (std::size_t k = 0; k < n_; ++k) {
                if (k < b) {
                    valences_[k] *= 0.5;
                } else if (k > b) {
                    valences_[k] *= 1.5;
                }
            }
            break;
        }
    }

    double sum = 0;
    double pos = 0;
    double neg = 0;
    std::size_t neutral = 0;
    for (const double v : valences_) {
        sum += v;
        if (v > 0) {
            pos += v + 1; // the 1 weighs the word against the neutral ones
        } else if (v < 0) {
            neg += v - 1;
        } else {
            ++neutral;
        }
    }
    const auto bangs = std::min<std::ptrdiff_t>(std::count(text.begin(), text.end(), '!'), 4);
    const auto questions = std::count(text.begin(), text.end(), '?');
    double emphasis = static_cast<double>(bangs) * 0.292;
    if (questions > 1) {
        emphasis += questions <= 3 ? static_cast<double>(questions) * 0.18 : 0.96;
    }
    if (sum > 0) {
        sum += emphasis;
    } else if (sum < 0) {
        sum -= emphasis;
    }
    out.compound = sum / std::sqrt(sum * sum + kNormAlpha);
    if (pos > std::fabs(neg)) {
        pos += emphasis;
    } else if (pos < std::fabs(neg)) {
        neg -= emphasis;
    }
    const double total = pos + std::fabs(neg) + static_cast<double>(neutral);
    out.pos = std::fabs(pos / total);
    out.neg = std::fabs(neg / total);
    out.neu = std::fabs(static_cast<double>(neutral) / total);
    if (terms) {
        for (std::size_t i = 0; i < n_; ++i) {
            if (valences_[i] != 0) {
                out.terms.push_back(Term{words_[i].lower, valences_[i]});
            }
        }
    }
    return out;
}

} // namespace okxkit::news
