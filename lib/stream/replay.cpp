// Replay: sources (CSV and NDJSON readers), the k-way merge by event time, validation, output.
#include "stream/replay.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"
#include "core/json_scan.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/progress.hpp"
#include "core/signals.hpp"
#include "core/timeutil.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <climits>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

namespace okxkit::stream {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

using core::Level;
using core::Log;

// Thrown by a source under --strict after it reported a bad line; replay() catches it.
struct StrictStop {};

// Quotes a piece of bad input for a diagnostic: at most 40 bytes, non-printables as \xNN.
std::string shown(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    std::size_t n = 0;
    for (char ch : s) {
        if (++n > 40) {
            out += "...";
            break;
        }
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

bool parse_double(std::string_view s, double& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

bool parse_int(std::string_view s, std::int64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Interned (inst, bar) pairs with the last confirmed candle time of each.
class KeyTable {
public:
    int intern(std::string_view inst, std::string_view bar) {
        key_.assign(inst);
        key_ += ' ';
        key_ += bar;
        auto [it, inserted] = ids_.try_emplace(key_, static_cast<int>(last_.size()));
        if (inserted) {
            last_.push_back(LLONG_MIN);
        }
        return it->second;
    }
    std::int64_t& last(int id) { return last_[static_cast<std::size_t>(id)]; }

private:
    std::string key_;
    std::unordered_map<std::string, int> ids_;
    std::vector<std::int64_t> last_;
};

// What a source holds at its head: one row ready to be merged.
struct Record {
    std::int64_t ts = 0;
    std::string_view inst; // candles only; points into the source
    core::Bar bar{};
    double o = 0, h = 0, l = 0, c = 0, vol = 0;
    std::optional<double> vol_quote;
    std::array<std::string_view, 5> text{}; // CSV: the number texts, valid until advance()
    bool candle = false;   // a confirmed candle (validated, stored, monotonic per key)
    bool from_csv = false; // written by append_candle; else `raw` is written as it is
    int key = -1;
    std::string raw;      // NDJSON: the original line
    std::string inst_buf; // NDJSON: storage for inst
    std::uint64_t line = 0;
};

class Source {
public:
    Source(std::string path, std::size_t index, const ReplayOptions& opts, KeyTable& keys,
           ReplayStats& stats)
        : path_(std::move(path)), index_(index), opts_(opts), keys_(keys), stats_(stats) {
        for (std::string_view ext : {".feather", ".parquet", ".json.gz", ".h5"}) {
            if (ends_with(path_, ext)) {
                // freqtrade's other data formats: binary or compressed, not readable here.
                throw core::UsageError(
                    path_ + ": freqtrade's " + std::string(ext.substr(1)) +
                    " format is not read by okx-stream (no Apache Arrow, HDF5 or gzip reader in "
                    "this build); convert it to freqtrade's json format first: freqtrade "
                    "convert-data --format-from " +
                    (ext == ".json.gz" ? std::string("jsongz")
                     : ext == ".h5"    ? std::string("hdf5")
                                       : std::string(ext.substr(1))) +
                    " --format-to json");
            }
        }
        if (index_ < opts.streams.size()) {
            reader_ =
                std::make_unique<core::LineReader>(*opts.streams[index_], path_, opts.max_line);
        } else {
            reader_ = core::LineReader::open(path_, opts.max_line);
        }
        display_ = path_ == "-" ? "<stdin>" : path_;
        if (ends_with(path_, ".json")) {
            if (index_ < opts.streams.size()) {
                load_if_array(*opts.streams[index_]);
            } else {
                std::ifstream in(path_, std::ios::binary);
                load_if_array(in);
            }
        }
    }

    core::LineReader& reader() { return *reader_; }
    [[nodiscard]] const std::string& display() const { return display_; }
    [[nodiscard]] std::size_t index() const { return index_; }
    Record& head() { return head_; }
    [[nodiscard]] bool interrupted() const { return interrupted_; }
    // The file's header lacks a required column: none of its rows can be read.
    [[nodiscard]] bool unusable() const { return unusable_; }

    // Reports a bad line of this source; under --strict stops the replay.
    void bad(std::uint64_t line, const std::string& msg) {
        ++stats_.bad;
        ++errors_;
        if (errors_ <= opts_.max_errors_per_file) {
            Log::emit_at(Level::kError, display_, line, msg);
        }
        if (opts_.strict) {
            throw StrictStop{};
        }
    }

    // Summarises diagnostics that were not shown.
    void finish() const {
        if (errors_ > opts_.max_errors_per_file) {
            Log::emit_at(Level::kError, display_, 0,
                         std::to_string(errors_ - opts_.max_errors_per_file) +
                             " more malformed lines not shown (" + std::to_string(errors_) +
                             " in all)");
        }
    }

    // Advances to the next valid row. False at end of input (or when interrupted).
    bool advance() {
        if (array_) {
            return advance_array();
        }
        std::string_view line;
        for (;;) {
            if (unusable_) {
                return false;
            }
            auto st = reader_->next(line);
            if (st == core::LineReader::Status::kEof) {
                if (!started_ && !seen_line_) {
                    bad(1, "empty input: expected a CSV header (ts_ms,open,high,low,close,"
                           "volume) or NDJSON lines");
                }
                return false;
            }
            if (st == core::LineReader::Status::kInterrupted) {
                interrupted_ = true;
                return false;
            }
            const std::uint64_t no = reader_->line_no();
            if (st == core::LineReader::Status::kTooLong) {
                // Before the first readable line the format is still undecided: the next
                // line decides it (and may be the header).
                seen_line_ = true;
                bad(no, "line longer than " + std::to_string(opts_.max_line) +
                            " bytes (see --max-line)");
                continue;
            }
            if (line.starts_with(kBom)) {
                if (no != 1) {
                    bad(no, "byte order mark (U+FEFF) inside the input: only the start of a "
                            "file may hold one");
                    continue;
                }
                Log::emit_at(Level::kNote, display_, no,
                             "byte order mark at the start of the input dropped");
                line.remove_prefix(kBom.size());
            }
            if (!started_) {
                started_ = true;
                if (!start(line, no)) {
                    continue; // the header line
                }
            }
            if (ndjson_ ? parse_ndjson(line, no) : parse_csv(line, no)) {
                if (head_.ts < prev_ts_) {
                    bad(no, "time goes back: ts " + std::to_string(head_.ts) + " (" +
                                core::format_iso_ms(head_.ts) + ") comes after " +
                                std::to_string(prev_ts_) + " (" + core::format_iso_ms(prev_ts_) +
                                ") in this file");
                    continue;
                }
                prev_ts_ = head_.ts;
                head_.line = no;
                ++stats_.rows;
                return true;
            }
        }
    }

private:
    // A .json file whose first byte (after white space) is '[' holds candles as one JSON array
    // of rows [ts_ms, open, high, low, close, volume]: freqtrade's json data format
    // (user_data/data/EXCHANGE/PAIR-TF.json), usually a single line of many megabytes. It is
    // read whole, and its rows are taken one at a time by advance_array().
    // in must be seekable (a file, or a string stream in the tests); when it holds no array it
    // is rewound for the line reader.
    void load_if_array(std::istream& in) {
        char c = 0;
        while (in.get(c) && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
        }
        const bool array = in && c == '[';
        in.clear();
        in.seekg(0);
        if (!array) {
            return;
        }
        std::stringstream all;
        all << in.rdbuf();
        if (!in) {
            throw core::RuntimeError(display_ + ": cannot read");
        }
        array_text_ = std::move(all).str();
        const std::size_t size = array_text_.size();
        array_ = true;
        array_pos_ = array_text_.find('[') + 1;
        stats_.array_bytes += size;
        resolve_inst_bar();
    }

    void skip_space() {
        while (array_pos_ < array_text_.size() &&
               (array_text_[array_pos_] == ' ' || array_text_[array_pos_] == '\t' ||
                array_text_[array_pos_] == '\r' || array_text_[array_pos_] == '\n')) {
            ++array_pos_;
        }
    }

    // A structural error: the rest of the array cannot be trusted, so the file ends here.
    bool array_broken(const std::string& what) {
        if (array_pos_ >= array_text_.size()) {
            bad(1, "row " + std::to_string(array_row_) +
                       ": the file ends before its array does (cut off?); the rows before it "
                       "were read");
            unusable_ = true;
            return false;
        }
        bad(1, "row " + std::to_string(array_row_) + ": " + what + " at byte " +
                   std::to_string(array_pos_ + 1) + ": " +
                   shown(std::string_view(array_text_).substr(array_pos_, 24)) +
                   "; the rest of the file is skipped");
        unusable_ = true;
        return false;
    }

    bool advance_array() {
        const std::string_view t = array_text_;
        for (;;) {
            if (unusable_) {
                return false;
            }
            skip_space();
            if (array_pos_ < t.size() && t[array_pos_] == ']') {
                ++array_pos_;
                skip_space();
                if (array_pos_ != t.size()) {
                    return array_broken("text after the end of the array");
                }
                unusable_ = true; // done
                return false;
            }
            if (array_row_ > 0) {
                if (array_pos_ >= t.size() || t[array_pos_] != ',') {
                    return array_broken("expected ',' or ']' after a row");
                }
                ++array_pos_;
                skip_space();
            }
            ++array_row_;
            if (array_pos_ >= t.size() || t[array_pos_] != '[') {
                return array_broken("expected a row [ts_ms, open, high, low, close, volume]");
            }
            ++array_pos_;
            std::array<std::string_view, 6> cell{};
            std::size_t n = 0;
            for (;;) {
                skip_space();
                const std::size_t at = array_pos_;
                bool integer = false;
                if (!core::scan_json_number(t, array_pos_, integer)) {
                    return array_broken("expected a number");
                }
                if (n < cell.size()) {
                    cell[n] = t.substr(at, array_pos_ - at);
                }
                ++n;
                skip_space();
                if (array_pos_ < t.size() && t[array_pos_] == ',') {
                    ++array_pos_;
                    continue;
                }
                if (array_pos_ < t.size() && t[array_pos_] == ']') {
                    ++array_pos_;
                    break;
                }
                return array_broken("expected ',' or ']' in a row");
            }
            const std::string where = "row " + std::to_string(array_row_) + ": ";
            if (n != 6) {
                bad(1, where + "expected 6 values (ts_ms, open, high, low, close, volume), found " +
                           std::to_string(n));
                continue;
            }
            Record& r = head_;
            if (!core::json_integer_value(cell[0], r.ts)) {
                bad(1, where + "ts_ms is not an integer: " + shown(cell[0]));
                continue;
            }
            double* vals[] = {&r.o, &r.h, &r.l, &r.c, &r.vol};
            bool ok = true;
            for (std::size_t k = 0; k < 5 && ok; ++k) {
                r.text[k] = cell[k + 1];
                ok = core::json_number_value(cell[k + 1], *vals[k]);
            }
            if (!ok) {
                bad(1, where + "a price or volume beyond the range of a double");
                continue;
            }
            if (auto err = core::check_ohlcv(r.o, r.h, r.l, r.c, r.vol)) {
                bad(1, where + *err);
                continue;
            }
            if (r.ts < prev_ts_) {
                bad(1, where + "time goes back: ts " + std::to_string(r.ts) + " (" +
                           core::format_iso_ms(r.ts) + ") comes after " + std::to_string(prev_ts_) +
                           " (" + core::format_iso_ms(prev_ts_) + ") in this file");
                continue;
            }
            prev_ts_ = r.ts;
            r.vol_quote.reset();
            r.inst = inst_;
            r.bar = bar_;
            r.key = key_;
            r.candle = true;
            r.from_csv = true;
            r.line = 1;
            ++stats_.rows;
            return true;
        }
    }

    // Decides the format from the first line. Returns false when that line is a header.
    bool start(std::string_view first, std::uint64_t no) {
        std::string_view name = path_;
        if (ends_with(name, ".ndjson") || ends_with(name, ".jsonl") || ends_with(name, ".json")) {
            ndjson_ = true;
        } else if (ends_with(name, ".csv")) {
            ndjson_ = false;
        } else {
            std::size_t i = first.find_first_not_of(" \t\r");
            ndjson_ = i != std::string_view::npos && first[i] == '{';
        }
        if (ndjson_) {
            return true;
        }
        resolve_inst_bar();
        return !parse_header(first, no);
    }

    void resolve_inst_bar() {
        std::string inst = opts_.inst;
        std::string bar = opts_.bar;
        if (inst.empty() || bar.empty()) {
            if (auto ib = inst_bar_from_filename(path_)) {
                inst = inst.empty() ? ib->first : inst;
                bar = bar.empty() ? ib->second : bar;
            }
        }
        if (inst.empty() || bar.empty()) {
            throw core::UsageError(display_ + ": cannot tell the instrument and bar of this CSV "
                                              "input: name it like BTC-USDT_1m.csv or pass "
                                              "--inst and --bar");
        }
        auto norm = core::normalize_inst(inst);
        if (!norm) {
            throw core::UsageError("--inst: \"" + inst + "\" is not an instrument (e.g. BTC-USDT)");
        }
        auto b = core::parse_bar(bar);
        if (!b) {
            throw core::UsageError("--bar: \"" + bar + "\" is not an OKX bar (" +
                                   core::bar_names() + ")");
        }
        inst_ = *norm;
        bar_ = *b;
        key_ = keys_.intern(inst_, bar_.name);
    }

    // Reads the column layout from a header. Returns false (and keeps the standard layout)
    // when the line is not a header, after reporting it.
    bool parse_header(std::string_view line, std::uint64_t no) {
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        std::size_t i = line.find_first_not_of(" \t");
        if (i == std::string_view::npos || (line[i] >= '0' && line[i] <= '9') || line[i] == '-') {
            bad(no, "missing header: expected ts_ms,open,high,low,close,volume; reading the "
                    "columns in that order");
            return false;
        }
        int cols[7] = {-1, -1, -1, -1, -1, -1, -1};
        int n = 0;
        std::size_t pos = 0;
        for (;; ++n) {
            std::size_t comma = line.find(',', pos);
            std::string name(
                line.substr(pos, comma == std::string_view::npos ? comma : comma - pos));
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            int slot = -1;
            if (name == "ts_ms" || name == "ts" || name == "timestamp" || name == "time") {
                slot = 0;
            } else if (name == "open" || name == "o") {
                slot = 1;
            } else if (name == "high" || name == "h") {
                slot = 2;
            } else if (name == "low" || name == "l") {
                slot = 3;
            } else if (name == "close" || name == "c") {
                slot = 4;
            } else if (name == "volume" || name == "vol") {
                slot = 5;
            } else if (name == "vol_quote" || name == "volume_quote" || name == "quote_volume") {
                slot = 6;
            }
            if (slot >= 0) {
                cols[slot] = n;
            }
            if (comma == std::string_view::npos) {
                break;
            }
            pos = comma + 1;
        }
        static constexpr std::string_view kNames[] = {"ts_ms", "open",  "high",
                                                      "low",   "close", "volume"};
        for (int k = 0; k < 6; ++k) {
            if (cols[k] < 0) {
                // Without the column the file cannot be read at all.
                bad(no, "header " + shown(line) + " has no column \"" + std::string(kNames[k]) +
                            "\": skipping this file");
                unusable_ = true;
                return true;
            }
        }
        if (n + 1 > kMaxFields) {
            bad(no, "header " + shown(line) + " has " + std::to_string(n + 1) +
                        " columns, more than the " + std::to_string(kMaxFields) +
                        " okx-stream reads: skipping this file");
            unusable_ = true;
            return true;
        }
        std::copy(std::begin(cols), std::end(cols), std::begin(cols_));
        ncols_ = n + 1;
        return true;
    }

    bool parse_csv(std::string_view line, std::uint64_t no) {
        if (unusable_) {
            return false;
        }
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        std::string_view fields[kMaxFields];
        int n = 0;
        std::size_t pos = 0;
        for (;;) {
            std::size_t comma = line.find(',', pos);
            if (n < kMaxFields) {
                fields[n] = line.substr(pos, comma == std::string_view::npos ? comma : comma - pos);
            }
            ++n;
            if (comma == std::string_view::npos) {
                break;
            }
            pos = comma + 1;
        }
        if (n != ncols_) {
            bad(no, "expected " + std::to_string(ncols_) + " fields, found " + std::to_string(n) +
                        (line.empty() ? " (empty line)" : ": " + shown(line)));
            return false;
        }
        Record& r = head_;
        if (!parse_int(fields[cols_[0]], r.ts)) {
            bad(no, "ts_ms is not an integer: " + shown(fields[cols_[0]]));
            return false;
        }
        if (!to_ms(r.ts, fields[cols_[0]], no)) {
            return false;
        }
        static constexpr std::string_view kNames[] = {"ts_ms", "open",  "high",
                                                      "low",   "close", "volume"};
        double* vals[] = {nullptr, &r.o, &r.h, &r.l, &r.c, &r.vol};
        for (int k = 1; k < 6; ++k) {
            r.text[static_cast<std::size_t>(k - 1)] = fields[cols_[k]];
            if (!parse_double(fields[cols_[k]], *vals[k])) {
                bad(no, std::string(kNames[k]) + " is not a number: " + shown(fields[cols_[k]]));
                return false;
            }
        }
        r.vol_quote.reset();
        if (cols_[6] >= 0 && !fields[cols_[6]].empty()) {
            double vq = 0;
            if (!parse_double(fields[cols_[6]], vq) || !std::isfinite(vq) || vq < 0) {
                bad(no, "vol_quote is not a non-negative number: " + shown(fields[cols_[6]]));
                return false;
            }
            r.vol_quote = vq;
        }
        if (auto err = core::check_ohlcv(r.o, r.h, r.l, r.c, r.vol)) {
            bad(no, *err + ": " + core::excerpt(line));
            return false;
        }
        r.inst = inst_;
        r.bar = bar_;
        r.key = key_;
        r.candle = true;
        r.from_csv = true;
        return true;
    }

    // Timestamps in seconds, microseconds or nanoseconds are told by their magnitude (in
    // milliseconds, 1e11 is 1973 and 1e14 the year 5138; below 1e8, the first day of 1970 in
    // ms and 1973 in seconds, they are taken as given): the file's first row decides its
    // unit, said once in a warning, and every row must be in it. ts is converted in place.
    bool to_ms(std::int64_t& ts, std::string_view text, std::uint64_t no) {
        const std::int64_t mag = ts < 0 ? (ts == LLONG_MIN ? LLONG_MAX : -ts) : ts;
        const TsUnit unit = mag < 100'000'000LL               ? TsUnit::kMillis // 1970 or 1973?
                            : mag < 100'000'000'000LL         ? TsUnit::kSeconds
                            : mag < 100'000'000'000'000LL     ? TsUnit::kMillis
                            : mag < 100'000'000'000'000'000LL ? TsUnit::kMicros
                                                              : TsUnit::kNanos;
        if (!ts_unit_) {
            ts_unit_ = unit;
            if (unit != TsUnit::kMillis) {
                const std::int64_t ms = scale(ts, unit);
                Log::emit_at(Level::kWarning, display_, no,
                             "ts_ms " + std::string(text) + " is in " + unit_name(unit) +
                                 ", not milliseconds: reading this file's times as " +
                                 unit_name(unit) + " (the first row is " + core::format_iso_ms(ms) +
                                 ")");
            }
        } else if (unit != *ts_unit_) {
            bad(no, "ts_ms " + shown(text) + " looks like " + unit_name(unit) +
                        " but this file's first row was in " + unit_name(*ts_unit_) +
                        ": one file, one unit");
            return false;
        }
        ts = scale(ts, unit);
        return true;
    }

    enum class TsUnit { kSeconds, kMillis, kMicros, kNanos };

    static std::string unit_name(TsUnit u) {
        switch (u) {
        case TsUnit::kSeconds:
            return "seconds";
        case TsUnit::kMillis:
            return "milliseconds";
        case TsUnit::kMicros:
            return "microseconds";
        case TsUnit::kNanos:
            return "nanoseconds";
        }
        return "?";
    }

    static std::int64_t scale(std::int64_t ts, TsUnit u) {
        switch (u) {
        case TsUnit::kSeconds:
            return ts * 1000; // |ts| < 1e11: no overflow
        case TsUnit::kMillis:
            return ts;
        case TsUnit::kMicros:
            return ts / 1000;
        case TsUnit::kNanos:
            return ts / 1'000'000;
        }
        return ts;
    }

    bool parse_ndjson(std::string_view line, std::uint64_t no) {
        Record& r = head_;
        nlohmann::json msg = core::parse_json(line);
        if (msg.is_discarded()) {
            bad(no, "not valid JSON: " + shown(line));
            return false;
        }
        if (auto err = core::validate_message(msg)) {
            bad(no, *err + ": " + core::excerpt(line));
            return false;
        }
        r.ts = msg["ts"].get<std::int64_t>();
        r.raw.assign(line);
        r.from_csv = false;
        r.candle = false;
        r.key = -1;
        const auto& type = msg["type"].get_ref<const std::string&>();
        const core::KindSpec* kind = core::find_kind(type);
        const bool newer = kind != nullptr && core::is_newer(*kind, msg);
        if (newer && newer_warned_.insert(type).second) {
            Log::emit_at(Level::kWarning, display_, no,
                         type + " version " + msg["v"].dump() + " is newer than this " +
                             std::string(Log::tool()) + " understands (" +
                             std::to_string(kind->version) +
                             "): such lines are passed on untouched, never stored (upgrade "
                             "okxkit to act on them)");
        }
        if (type != "candle" || newer) {
            // Other kinds, and a later version of a candle (whose layout this build does not
            // know), pass through untouched in time order; their inst (if any) breaks ties.
            auto inst = msg.find("inst");
            r.inst_buf = inst != msg.end() && inst->is_string() ? inst->get<std::string>() : "";
            r.inst = r.inst_buf;
            r.bar = core::Bar{};
            return true;
        }
        const auto& inst = msg["inst"].get_ref<const std::string&>();
        if (!core::is_inst_id(inst)) {
            bad(no, "inst " + shown(inst) + " is not an OKX instrument id (e.g. BTC-USDT)");
            return false;
        }
        const auto& bar = msg["bar"].get_ref<const std::string&>();
        auto b = core::parse_bar(bar);
        if (!b || b->name != bar) {
            bad(no, "bar " + shown(bar) + " is not an OKX bar name" +
                        (b ? " (OKX spells it " + std::string(b->name) + ")"
                           : " (" + core::bar_names() + ")"));
            return false;
        }
        if (!msg["confirm"].get<bool>()) {
            return true; // a bar still forming: passed on, never stored
        }
        r.o = msg["o"].get<double>();
        r.h = msg["h"].get<double>();
        r.l = msg["l"].get<double>();
        r.c = msg["c"].get<double>();
        r.vol = msg["vol"].get<double>();
        r.vol_quote.reset();
        if (auto vq = msg.find("vol_quote"); vq != msg.end() && vq->is_number()) {
            r.vol_quote = vq->get<double>();
        }
        if (auto err = core::check_ohlcv(r.o, r.h, r.l, r.c, r.vol)) {
            bad(no, *err);
            return false;
        }
        r.inst_buf = inst;
        r.inst = r.inst_buf;
        r.bar = *b;
        r.key = keys_.intern(inst, b->name);
        r.candle = true;
        return true;
    }

    std::string path_;
    std::string display_;
    std::size_t index_;
    const ReplayOptions& opts_;
    KeyTable& keys_;
    ReplayStats& stats_;
    std::unique_ptr<core::LineReader> reader_;
    bool array_ = false;     // a JSON array of rows (freqtrade), read whole
    std::string array_text_; // its text; the rows' number texts point into it
    std::size_t array_pos_ = 0;
    std::uint64_t array_row_ = 0;
    Record head_;
    bool started_ = false;
    bool seen_line_ = false; // a line too long to read came before the first readable one
    bool ndjson_ = false;
    bool unusable_ = false;
    bool interrupted_ = false;
    std::string inst_;
    core::Bar bar_{};
    int key_ = -1;
    // The most columns a CSV may have (a header with more makes the file unusable).
    static constexpr int kMaxFields = 32;
    int cols_[7] = {0, 1, 2, 3, 4, 5, -1};
    int ncols_ = 6;
    std::int64_t prev_ts_ = LLONG_MIN;
    std::optional<TsUnit> ts_unit_; // CSV: the unit of the file's times (see to_ms)
    std::size_t errors_ = 0;
    std::set<std::string, std::less<>> newer_warned_; // kinds of a later version, warned once
};

// Orders sources by their head: event time, then instrument, then bar length, then file.
bool head_after(Source* a, Source* b) {
    const Record& x = a->head();
    const Record& y = b->head();
    if (x.ts != y.ts) {
        return x.ts > y.ts;
    }
    if (x.inst != y.inst) {
        return x.inst > y.inst;
    }
    if (x.bar.ms != y.bar.ms) {
        return x.bar.ms > y.bar.ms;
    }
    return a->index() > b->index();
}

// Sleeps until event time ts is due at `speed` x real time. Flushes first so a paced replay
// shows each line as it happens.
// The time of the last row of a recorded file, read from its end (for a paced replay's time
// left; display only). nullopt for stdin, a tape or anything unreadable.
std::optional<std::int64_t> last_ts_in(const std::string& path) {
    std::error_code ec;
    if (path == "-" || !std::filesystem::is_regular_file(path, ec)) {
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    const auto size = static_cast<std::int64_t>(in.tellg());
    if (!in || size <= 0) {
        return std::nullopt;
    }
    const std::int64_t from = std::max<std::int64_t>(0, size - 65536);
    std::string tail(static_cast<std::size_t>(size - from), '\0');
    in.seekg(from);
    in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
    std::string_view t(tail.data(), static_cast<std::size_t>(in.gcount()));
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) {
        t.remove_suffix(1);
    }
    const std::size_t nl = t.rfind('\n');
    std::string_view last = nl == std::string_view::npos ? t : t.substr(nl + 1);
    if (last.starts_with("{")) {
        const std::size_t k = last.find("\"ts\":");
        if (k == std::string_view::npos) {
            return std::nullopt;
        }
        last.remove_prefix(k + 5);
    }
    std::int64_t ts = 0;
    auto [p, e] = std::from_chars(last.data(), last.data() + last.size(), ts);
    if (e != std::errc{}) {
        return std::nullopt;
    }
    // CSV times in other units (see Source::to_ms), roughly: this only paces a display.
    if (ts >= 100'000'000'000'000'000LL) {
        ts /= 1'000'000;
    } else if (ts >= 100'000'000'000'000LL) {
        ts /= 1000;
    } else if (ts >= 100'000'000LL && ts < 100'000'000'000LL) {
        ts *= 1000;
    }
    return ts;
}

class Pacer {
public:
    explicit Pacer(double speed) : speed_(speed) {}
    void wait(std::int64_t ts, core::Output& out) {
        if (speed_ <= 0) {
            return;
        }
        auto now = std::chrono::steady_clock::now();
        if (!started_) {
            started_ = true;
            t0_ = ts;
            w0_ = now;
            return;
        }
        auto due =
            w0_ +
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                std::chrono::duration<double, std::milli>(static_cast<double>(ts - t0_) / speed_));
        if (due <= now) {
            return;
        }
        out.flush();
        while (now < due && !core::interrupted()) {
            std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
                due - now, std::chrono::milliseconds(50)));
            now = std::chrono::steady_clock::now();
        }
    }

private:
    double speed_;
    bool started_ = false;
    std::int64_t t0_ = 0;
    std::chrono::steady_clock::time_point w0_;
};

} // namespace

std::optional<std::pair<std::string, std::string>> inst_bar_from_filename(const std::string& path) {
    std::string name = std::filesystem::path(path).filename().string();
    for (std::string_view ext : {".csv", ".ndjson", ".jsonl", ".json", ".txt"}) {
        if (ends_with(name, ext)) {
            name.resize(name.size() - ext.size());
            break;
        }
    }
    std::size_t us = name.rfind('_');
    if (us != std::string::npos && us > 0 && us + 1 < name.size()) {
        auto inst = core::normalize_inst(name.substr(0, us));
        auto bar = core::parse_bar(name.substr(us + 1));
        if (inst && bar) {
            return std::make_pair(*inst, std::string(bar->name));
        }
    }
    // freqtrade's names: PAIR-TF with the pair's '/' as '_' (BTC_USDT-5m.json). Its futures,
    // mark and funding files (BTC_USDT_USDT-5m-futures.json) are not spot candles: they need
    // --inst and --bar.
    std::size_t dash = name.rfind('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == name.size()) {
        return std::nullopt;
    }
    auto inst = core::normalize_inst(name.substr(0, dash));
    auto bar = core::parse_bar(name.substr(dash + 1));
    if (!inst || !bar) {
        return std::nullopt;
    }
    return std::make_pair(*inst, std::string(bar->name));
}

int replay(const ReplayOptions& opts, core::Output& out, ReplayStats* stats_out) {
    ReplayStats stats;
    if (opts.from && opts.to && *opts.from >= *opts.to) {
        throw core::UsageError("--from must be before --to");
    }
    KeyTable keys;
    std::vector<std::unique_ptr<Source>> sources;
    sources.reserve(opts.files.size());
    int stdin_uses = 0;
    for (std::size_t i = 0; i < opts.files.size(); ++i) {
        if (opts.files[i] == "-" && ++stdin_uses > 1) {
            throw core::UsageError("stdin (-) can be replayed only once");
        }
        sources.push_back(std::make_unique<Source>(opts.files[i], i, opts, keys, stats));
    }

    std::unique_ptr<store::CandleRun> sink;
    if (!opts.store_path.empty()) {
        std::string detail = "replay";
        for (const auto& f : opts.files) {
            detail += ' ';
            detail += f;
        }
        sink =
            std::make_unique<store::CandleRun>(opts.store_path, opts.run_id, "okx-stream", detail);
    }
    store::CandleRow row;
    std::vector<std::string> labels;
    for (const auto& f : opts.files) {
        labels.push_back(!opts.source.empty()
                             ? opts.source
                             : "replay:" + (f == "-"
                                                ? std::string("stdin")
                                                : std::filesystem::path(f).filename().string()));
    }

    // Flush what we have whenever stdin would block, so a live pipe is never held back.
    for (auto& s : sources) {
        s->reader().on_idle([&out] {
            out.flush();
            return -1;
        });
    }

    // Commits what was stored and records how the run ended.
    auto close_store = [&](std::string_view status) {
        if (sink) {
            sink->close(status, static_cast<std::int64_t>(stats.emitted));
            stats.stored = sink->written();
        }
    };

    Pacer pacer(opts.speed);
    // Progress by bytes read (for a person at a terminal, or with -v): the total is known when
    // every input is a regular file.
    std::uint64_t total_bytes = 0;
    for (const auto& f : opts.files) {
        std::error_code ec;
        if (f == "-" || !std::filesystem::is_regular_file(f, ec)) {
            total_bytes = 0;
            break;
        }
        total_bytes += std::filesystem::file_size(f, ec);
    }
    // A paced replay shows where it is in event time, and how long it has left.
    const bool paced = opts.speed > 0;
    core::Progress progress("replay",
                            paced ? core::Progress::Unit::kEventMs : core::Progress::Unit::kBytes,
                            "", paced ? 0 : total_bytes);
    std::optional<std::int64_t> paced_end;
    if (paced && progress.active()) {
        for (const auto& f : opts.files) {
            if (auto t = last_ts_in(f)) {
                paced_end = std::max(paced_end.value_or(*t), *t);
            }
        }
        if (paced_end && opts.to) {
            paced_end = std::min(*paced_end, *opts.to);
        }
    }
    std::optional<std::int64_t> paced_start;
    const auto bytes_read = [&sources, &stats] {
        std::uint64_t n = stats.array_bytes;
        for (const auto& s : sources) {
            n += s->reader().bytes_read();
        }
        return n;
    };
    std::uint64_t rows_seen = 0;
    // A paced replay commits the store at least once a second of wall time, so the store
    // keeps up with what was written (the batch of 2,000 rows takes minutes to fill then).
    auto last_commit = std::chrono::steady_clock::now();
    const auto start = last_commit;
    int code = 0;
    bool interrupted = false;
    try {
        std::vector<Source*> heap;
        for (auto& s : sources) {
            if (s->advance()) {
                heap.push_back(s.get());
            }
            interrupted = interrupted || s->interrupted();
        }
        std::make_heap(heap.begin(), heap.end(), head_after);
        std::string& buf = out.buffer();
        while (!heap.empty() && !interrupted) {
            std::pop_heap(heap.begin(), heap.end(), head_after);
            Source* src = heap.back();
            Record& r = src->head();
            bool keep = true;
            if (r.candle) {
                std::int64_t& last = keys.last(r.key);
                if (r.ts <= last) {
                    keep = false;
                    src->bad(r.line, (r.ts == last ? "duplicate candle: " : "out of order: ") +
                                         std::string(r.inst) + " " + std::string(r.bar.name) +
                                         " at " + std::to_string(r.ts) + " (" +
                                         core::format_iso_ms(r.ts) + ")" +
                                         (r.ts == last ? " was already replayed"
                                                       : " is older than the last one replayed, " +
                                                             core::format_iso_ms(last)));
                } else {
                    last = r.ts;
                }
            }
            if (keep && (opts.from && r.ts < *opts.from)) {
                keep = false;
            }
            if (keep && (opts.to && r.ts >= *opts.to)) {
                keep = false;
            }
            if (keep) {
                pacer.wait(r.ts, out);
                if (r.from_csv) {
                    core::append_candle(buf, core::Candle{r.ts, r.inst, r.bar.name, r.o, r.h, r.l,
                                                          r.c, r.vol, r.vol_quote, true, r.text});
                } else {
                    buf += r.raw;
                }
                out.end_line();
                ++stats.emitted;
                if (r.candle) {
                    ++stats.candles;
                    if (sink) {
                        row.inst.assign(r.inst);
                        row.bar.assign(r.bar.name);
                        row.ts = r.ts;
                        row.o = r.o;
                        row.h = r.h;
                        row.l = r.l;
                        row.c = r.c;
                        row.vol = r.vol;
                        row.vol_quote = r.vol_quote;
                        row.source = labels[src->index()];
                        sink->add(row);
                        if (paced) {
                            const auto now = std::chrono::steady_clock::now();
                            if (now - last_commit >= std::chrono::seconds(1)) {
                                sink->flush();
                                last_commit = now;
                            }
                        }
                    }
                }
            }
            if (progress.active() && keep && paced) {
                if (!paced_start) {
                    paced_start = r.ts;
                    progress.set_origin(r.ts);
                    if (paced_end && *paced_end > r.ts) {
                        progress.set_total(static_cast<std::uint64_t>(*paced_end - r.ts));
                    }
                }
                progress.update(
                    static_cast<std::uint64_t>(std::max<std::int64_t>(0, r.ts - *paced_start)));
            } else if (progress.active() && !paced && (++rows_seen & 255U) == 0) {
                progress.update(bytes_read());
            }
            if (core::interrupted()) {
                interrupted = true;
                break;
            }
            if (src->advance()) {
                std::push_heap(heap.begin(), heap.end(), head_after);
            } else {
                heap.pop_back();
                interrupted = interrupted || src->interrupted();
            }
        }
    } catch (const StrictStop&) {
        code = core::exit_status(core::Exit::kBadInput);
        Log::error("stopped at the first malformed line (--strict); everything before it was "
                   "kept");
    } catch (const core::BrokenPipe&) {
        // The reader is gone: keep what was stored, then let the tool die of SIGPIPE.
        close_store("broken-pipe");
        throw;
    }
    if (interrupted || core::interrupted()) {
        code = core::exit_status(core::interrupt_exit());
    }
    for (auto& s : sources) {
        s->finish();
    }
    if (code == 0 && stats.bad > 0 && stats.rows == 0) {
        // Every line (or file) was rejected: that is no success.
        code = core::exit_status(core::Exit::kBadInput);
        const bool header = std::any_of(sources.begin(), sources.end(),
                                        [](const auto& s) { return s->unusable(); });
        Log::error("nothing usable in the input: " + std::to_string(stats.bad) + " malformed line" +
                   (stats.bad == 1 ? "" : "s") + " and not one valid row" +
                   (header ? "; a candle CSV's header must name the columns ts_ms (or ts, "
                             "timestamp, time), open, high, low, close and volume"
                           : "; see INPUT in okx-stream(1) for the formats read"));
    }
    try {
        out.flush();
    } catch (const core::BrokenPipe&) {
        close_store("broken-pipe");
        throw;
    }
    close_store(code == 0 ? "ok" : code == 3 ? "bad-input" : "interrupted");
    if (stats.bad > 0 && code == 0) {
        Log::warning("skipped " + std::to_string(stats.bad) + " malformed line" +
                     (stats.bad == 1 ? "" : "s") + "; " + std::to_string(stats.emitted) +
                     " lines replayed");
    }
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress.finish(
        "replayed " + std::to_string(stats.emitted) + " lines (" + std::to_string(stats.candles) +
        " candles) from " + std::to_string(opts.files.size()) + " input" +
        (opts.files.size() == 1 ? "" : "s") + " in " + core::Progress::duration_text(took) +
        (sink ? "; stored " + std::to_string(stats.stored) + " candles in " + opts.store_path
              : std::string()));
    if (stats_out != nullptr) {
        *stats_out = stats;
    }
    return code;
}

} // namespace okxkit::stream
