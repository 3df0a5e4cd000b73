// The sentiment kernel alone: Vader::score over every line of a file (headlines), in rounds,
// on the built-in lexicon with the crypto overlay, as news scores them. Prints headlines per
// second of each round's wall time, p10/median/p90 over the rounds (run it under taskset on
// an idle core: bench/news.sh does).
// Usage: news_bench FILE [ROUNDS]
#include "news/vader.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: news_bench FILE [ROUNDS]\n");
        return 2;
    }
    std::ifstream in(argv[1]);
    std::vector<std::string> texts;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            texts.push_back(line);
        }
    }
    if (texts.empty()) {
        std::fprintf(stderr, "news_bench: %s holds no lines\n", argv[1]);
        return 2;
    }
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 21;
    okxkit::news::Lexicon lex = okxkit::news::Lexicon::vader();
    lex.overlay(okxkit::news::Lexicon::crypto_overlay());
    okxkit::news::Vader vader(lex);
    // Enough repeats per round for about 0.2 s.
    const std::size_t per_round = std::max<std::size_t>(texts.size(), 100'000);
    double sink = 0;
    std::vector<double> rates;
    for (int r = 0; r < rounds; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        for (std::size_t k = 0; k < per_round; ++k) {
            sink += vader.score(texts[k % texts.size()]).compound;
        }
        const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
        rates.push_back(static_cast<double>(per_round) / dt.count());
    }
    std::sort(rates.begin(), rates.end());
    const auto at = [&](double q) {
        return rates[static_cast<std::size_t>(q * static_cast<double>(rates.size() - 1))];
    };
    std::printf("sentiment kernel: %zu texts, %d rounds of %zu: headlines/s p10 %.0f median %.0f "
                "p90 %.0f (checksum %.4f)\n",
                texts.size(), rounds, per_round, at(0.1), at(0.5), at(0.9), sink);
    return 0;
}
