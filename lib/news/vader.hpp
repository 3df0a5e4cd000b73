// Headline sentiment by the VADER rules (Hutto & Gilbert, ICWSM 2014) over a token → valence
// lexicon: negation, boosters and dampeners, ALL-CAPS emphasis, "but", "least", idioms and
// '!'/'?' emphasis, normalised to a compound score in [-1, 1]. The rules follow NLTK 3.8's
// reading of them, so NLTK pointed at the same lexicon file is a reference to test against
// (tests/cli/news-vader.bats), except where NLTK looks a repeated word's neighbours up at its
// first occurrence: here each word has its own.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace okxkit::news {

// token → mean valence (VADER's scale, about -4 to 4). Tokens are matched lower-cased.
class Lexicon {
public:
    // Parses lines "token<TAB>valence[<TAB>anything]" (VADER's file: the mean rating, then
    // its spread and the raw ratings, ignored). With comments, a line that is empty or starts
    // with "# " (or is "#" alone) is skipped, as in the overlay files; VADER's own file has
    // tokens such as "#-)". A later line for a token replaces an earlier one. Throws
    // core::UsageError naming name and the line when a line is not of that form. O(size).
    static Lexicon parse(std::string_view text, std::string_view name, bool comments);
    // The VADER lexicon and the crypto overlay shipped in share/okxkit/lexicon/, compiled in.
    static const Lexicon& vader();
    static const Lexicon& crypto_overlay();

    // Adds other's entries, replacing those of the same token.
    void overlay(const Lexicon& other);
    [[nodiscard]] const double* find(std::string_view token) const {
        const auto it = map_.find(token);
        return it == map_.end() ? nullptr : &it->second;
    }
    [[nodiscard]] std::size_t size() const { return map_.size(); }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::unordered_map<std::string, double, Hash, std::equal_to<>> map_;
};

// One word's part in a score, for --explain: the token as matched (lower-cased) and the
// valence it ended with after the rules.
struct Term {
    std::string token;
    double valence = 0;
};

struct Sentiment {
    double compound = 0; // in [-1, 1]
    double pos = 0;      // shares of the words' weight, each in [0, 1]
    double neg = 0;
    double neu = 0;
    std::vector<Term> terms; // filled when asked for, in the text's order
};

class Vader {
public:
    explicit Vader(const Lexicon& lexicon) : lex_(lexicon) {}
    // The sentiment of text (UTF-8; invalid bytes count as letters of no case). Allocates
    // only for the terms; not thread-safe (scratch buffers). O(length of text).
    Sentiment score(std::string_view text, bool terms = false);

private:
    struct Word {
        std::string_view text; // as written (punctuation at an end stripped)
        std::string lower;     // lower-cased
        bool upper = false;    // ALL CAPS (some letter with case, none lower-case)
    };
    double valence_at(std::size_t i, bool cap_diff) const;
    double scalar(const Word& w, double valence, bool cap_diff) const;
    [[nodiscard]] bool in_lexicon(const Word& w) const { return lex_.find(w.lower) != nullptr; }
    double never_check(double valence, std::size_t start, std::size_t i) const;
    double idioms_check(double valence, std::size_t i) const;
    double least_check(double valence, std::size_t i) const;

    const Lexicon& lex_;
    std::vector<Word> words_;
    std::size_t n_ = 0; // words in use in words_ (kept to reuse their strings)
    std::vector<double> valences_;
};

// Text → words as VADER reads them: split at Unicode white space, words of one character
// dropped, and one mark of punctuation from VADER's list (". ! ? , ; : - ' \"", "!!", "!!!",
// "??", "???", "?!?", "!?!", "?!?!", "!?!?") cut from either end of a word that is otherwise
// free of ASCII punctuation. Exposed for the tests.
std::vector<std::string_view> vader_words(std::string_view text);

} // namespace okxkit::news
