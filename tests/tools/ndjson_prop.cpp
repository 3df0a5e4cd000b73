// ndjson-prop: the generator and the checker of the property test of every filter tool
// (tests/cli/property.bats).
//
//   ndjson-prop gen SEED LINES INPUT VALID
//       writes INPUT: LINES lines, about half valid messages (confirmed BTC-USDT 5m candles in
//       time order, and messages of kinds no filter acts on, all in event-time order) and the
//       rest hostile: random bytes (NUL, 0xFF, lone UTF-8 bytes, a BOM, overlong lines) and
//       valid lines with a few bytes changed, each checked to be no JSON object at all. VALID
//       gets the valid lines, in order.
//   ndjson-prop check VALID OUTPUT
//       exit 0 when every line of OUTPUT is a valid UTF-8 JSON object (no NUL, no BOM) and the
//       lines of VALID appear in OUTPUT unchanged and in the same order; else says which line
//       broke the property and exits 1.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

bool json_object(std::string_view line) {
    if (line.find('\0') != std::string_view::npos || line.starts_with("\xEF\xBB\xBF")) {
        return false;
    }
    auto j = nlohmann::json::parse(line, nullptr, false);
    return !j.is_discarded() && j.is_object();
}

std::vector<std::string> read_lines(const char* path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
        out.push_back(line);
    }
    return out;
}

std::string candle(std::int64_t ts, double px) {
    std::ostringstream o;
    o.precision(10);
    o << R"({"type":"candle","v":1,"ts":)" << ts << R"(,"inst":"BTC-USDT","bar":"5m","o":)" << px
      << R"(,"h":)" << px + 2 << R"(,"l":)" << px - 1 << R"(,"c":)" << px + 1
      << R"(,"vol":12.5,"confirm":true})";
    return o.str();
}

std::string other(std::int64_t ts, unsigned pick) {
    const std::string t = std::to_string(ts);
    switch (pick % 5) {
    case 0:
        return R"({"type":"ticker","v":1,"ts":)" + t +
               R"(,"inst":"BTC-USDT","last":100,"bid":99.5,"bid_sz":1,"ask":100.5,"ask_sz":2})";
    case 1:
        return R"({"type":"trade","v":1,"ts":)" + t +
               R"(,"inst":"BTC-USDT","px":100,"sz":0.5,"side":"sell","trade_id":"x)" + t + "\"}";
    case 2:
        return R"({"type":"health","v":1,"ts":)" + t +
               R"(,"component":"c","event":"error","detail":"caf\u00e9 \ud83d\ude80 \"q\""})";
    case 3:
        return R"({"type":"sync","v":1,"ts":)" + t + R"(,"id":)" + t + "}";
    default:
        return R"({"type":"news","v":1,"ts":)" + t +
               R"(,"headline":"Ünïcödé ✓","source":"s","symbols":["BTC-USDT"]})";
    }
}

int gen(unsigned seed, int n, const char* input_path, const char* valid_path) {
    std::mt19937_64 rng(seed);
    std::ofstream input(input_path, std::ios::binary);
    std::ofstream valid(valid_path, std::ios::binary);
    std::int64_t ts = 1617235200000;
    std::int64_t sub = ts; // other kinds: after the last candle, in time order
    double px = 100;
    std::vector<std::string> good;
    const auto next_valid = [&] {
        std::string line;
        if (rng() % 3 == 0 && !good.empty()) {
            sub = std::max(sub, ts) + 1 + static_cast<std::int64_t>(rng() % 10);
            line = other(sub, static_cast<unsigned>(rng()));
        } else {
            ts += 300000;
            px += static_cast<double>(static_cast<int>(rng() % 21) - 10) / 4.0;
            if (px < 10) {
                px = 10;
            }
            line = candle(ts, px);
        }
        good.push_back(line);
        return line;
    };
    const auto hostile = [&] {
        for (;;) {
            std::string s;
            switch (rng() % 4) {
            case 0: { // random bytes, newline excluded
                const std::size_t len = rng() % 200;
                for (std::size_t i = 0; i < len; ++i) {
                    char c = static_cast<char>(rng() % 256);
                    s += c == '\n' ? '\0' : c;
                }
                break;
            }
            case 1: { // a valid line with bytes changed
                s = good.empty() ? candle(ts, px) : good[rng() % good.size()];
                const int k = 1 + static_cast<int>(rng() % 3);
                static constexpr std::string_view kBytes("\0\xff\x99\xc3\"\\{}[],:.eE+-0 \t\r", 20);
                for (int i = 0; i < k; ++i) {
                    s[rng() % s.size()] = kBytes[rng() % kBytes.size()];
                }
                break;
            }
            case 2: // a byte order mark before a valid line, not at the start of the input
                s = "\xEF\xBB\xBF" + (good.empty() ? candle(ts, px) : good.back());
                break;
            default: // a valid line cut short, or with bytes appended
                s = good.empty() ? candle(ts, px) : good[rng() % good.size()];
                if (rng() % 2 == 0) {
                    s.resize(rng() % s.size());
                } else {
                    s += rng() % 2 == 0 ? std::string("\0x", 2) : std::string("\xff}");
                }
                break;
            }
            if (s.find('\n') == std::string::npos && !json_object(s)) {
                return s;
            }
        }
    };
    // The first line is valid, so a replay of stdin knows it is NDJSON.
    for (int i = 0; i < n; ++i) {
        const bool ok = i == 0 || rng() % 2 == 0;
        if (ok) {
            const std::string line = next_valid();
            input << line << '\n';
            valid << line << '\n';
        } else {
            input << hostile() << '\n';
        }
    }
    return 0;
}

int check(const char* valid_path, const char* output_path) {
    const auto want = read_lines(valid_path);
    const auto got = read_lines(output_path);
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (!json_object(got[i])) {
            std::cerr << "ndjson-prop: output line " << i + 1
                      << " is not a valid UTF-8 JSON object: " << got[i].substr(0, 200) << '\n';
            return 1;
        }
    }
    std::size_t g = 0;
    for (std::size_t w = 0; w < want.size(); ++w) {
        while (g < got.size() && got[g] != want[w]) {
            ++g;
        }
        if (g == got.size()) {
            std::cerr << "ndjson-prop: valid input line " << w + 1
                      << " is missing from the output or out of order: " << want[w] << '\n';
            return 1;
        }
        ++g;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::string_view mode = argc > 1 ? argv[1] : "";
    if (mode == "gen" && argc == 6) {
        return gen(static_cast<unsigned>(std::stoul(argv[2])), std::stoi(argv[3]), argv[4],
                   argv[5]);
    }
    if (mode == "check" && argc == 4) {
        return check(argv[2], argv[3]);
    }
    std::fprintf(stderr, "usage: ndjson-prop gen SEED LINES INPUT VALID | check VALID OUTPUT\n");
    return 2;
}
