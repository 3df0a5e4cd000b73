// The filter loop shared by the pipeline stages.
#include "core/filter.hpp"
#include "core/message.hpp"

#include "core/error.hpp"
#include "core/json_scan.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"

#include <stdexcept>

namespace okxkit::core {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Thrown by reject() under --strict to leave the stage and the loop at once.
struct StrictStop {};

// Finds where a text stops being JSON, without building a tree or throwing.
struct ErrorPosition : nlohmann::json::json_sax_t {
    using json = nlohmann::json;
    bool null() override { return true; }
    bool boolean(bool /*val*/) override { return true; }
    bool number_integer(json::number_integer_t /*val*/) override { return true; }
    bool number_unsigned(json::number_unsigned_t /*val*/) override { return true; }
    bool number_float(json::number_float_t /*val*/, const json::string_t& /*s*/) override {
        return true;
    }
    bool string(json::string_t& /*val*/) override { return true; }
    bool binary(json::binary_t& /*val*/) override { return true; }
    bool start_object(std::size_t /*elements*/) override { return true; }
    bool key(json::string_t& /*val*/) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t /*elements*/) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t position, const std::string& /*last_token*/,
                     const nlohmann::detail::exception& /*ex*/) override {
        at = position;
        return false;
    }
    std::size_t at = 0;
};

// "not valid JSON at byte N: <excerpt from a little before N>", N counted from 1; the second
// pass runs only for a line already known to be bad.
std::string not_json(std::string_view text) {
    ErrorPosition sax;
    nlohmann::json::sax_parse(text, &sax);
    std::size_t at = sax.at;
    // nlohmann stops at a NUL byte as if the input ended there: the NUL is the error then.
    if (const std::size_t nul = text.find('\0');
        nul != std::string_view::npos && (at == 0 || at > nul)) {
        at = nul + 1;
    }
    if (at == 0 || at > text.size() + 1) {
        return "not valid JSON: " + excerpt(text);
    }
    const std::size_t from = at > 16 ? at - 16 : 0;
    return "not valid JSON at byte " + std::to_string(at) + ": " + (from > 0 ? "..." : "") +
           excerpt(text.substr(from));
}

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

} // namespace

FilterStage::Fast FilterStage::fast(Filter& /*filter*/, std::string_view /*line*/) {
    return Fast::kGeneral;
}

void FilterStage::finish(Filter& /*filter*/) {}

std::string FilterStage::hint(std::string_view /*first_bad*/, std::string_view /*reason*/) {
    return {};
}

int FilterStage::idle(Filter& /*filter*/) {
    return -1;
}

Filter::Filter(Output& out, FilterOptions options, std::string input_name)
    : out_(out), options_(options), input_name_(std::move(input_name)) {}

void Filter::pass(std::string_view text) {
    out_.line(text);
    ++stats_.passed;
}

void Filter::reject(const std::string& reason) {
    if (stats_.passed != current_passed_) {
        // A stage must judge a line before writing it: a line is written whole or not at all.
        throw std::logic_error("filter stage rejected line " + std::to_string(line_no_) +
                               " after writing it through");
    }
    bad(reason + ": " + excerpt(current_)); // quoted, as every bad line is
}

void Filter::bad(const std::string& reason) {
    ++stats_.bad;
    if (stats_.bad == 1) {
        first_bad_ = clip(current_, 256);
        first_reason_ = reason;
        first_bad_no_ = line_no_;
    }
    if (stats_.bad <= options_.max_errors) {
        Log::emit_at(Level::kError, input_name_, line_no_, reason);
    }
    if (options_.strict) {
        throw StrictStop{};
    }
}

void Filter::line(std::string_view text, FilterStage& stage) {
    ++stats_.lines;
    current_passed_ = stats_.passed;
    current_ = text;
    if (text.starts_with(kBom)) {
        if (line_no_ != 1) {
            bad("byte order mark (U+FEFF) inside the input: only the start of a file may hold "
                "one");
            return;
        }
        Log::emit_at(Level::kNote, input_name_, line_no_,
                     "byte order mark at the start of the input dropped");
        text.remove_prefix(kBom.size());
    }
    if (stage.fast(*this, text) == FilterStage::Fast::kTaken) {
        return;
    }
    const nlohmann::json msg = parse_json(text);
    if (msg.is_discarded()) {
        bad(not_json(text));
        return;
    }
    if (auto err = validate_message(msg)) {
        bad(*err + ": " + excerpt(text)); // the same shape as a line that is not JSON
        return;
    }
    const auto& type = msg["type"].get_ref<const std::string&>();
    const KindSpec* kind = find_kind(type);
    if (kind == nullptr) {
        pass(text);
        return;
    }
    if (is_newer(*kind, msg)) {
        ++stats_.newer;
        if (newer_warned_.insert(type).second) {
            Log::emit_at(Level::kWarning, input_name_, line_no_,
                         type + " version " + msg["v"].dump() + " is newer than this " +
                             std::string(Log::tool()) + " understands (" +
                             std::to_string(kind->version) +
                             "): such lines are passed on untouched and not acted on "
                             "(upgrade okxkit to act on them)");
        }
        pass(text);
        return;
    }
    stage.message(*this, Message{text, msg, type, *kind});
}

int Filter::run(LineReader& in, FilterStage& stage) {
    in.on_idle([this, &stage] {
        const int wait = stage.idle(*this);
        out_.flush();
        return wait;
    });
    int code = 0;
    bool ended = false; // the input's end was reached (no interrupt, no strict stop)
    try {
        std::string_view text;
        for (;;) {
            const auto st = in.next(text);
            if (st == LineReader::Status::kEof) {
                break;
            }
            if (st == LineReader::Status::kInterrupted) {
                code = exit_status(interrupt_exit());
                break;
            }
            line_no_ = in.line_no();
            if (st == LineReader::Status::kTooLong) {
                ++stats_.lines;
                current_passed_ = stats_.passed;
                current_ = {};
                bad("line longer than " + std::to_string(in.max_line()) +
                    " bytes (see --max-line)");
            } else {
                line(text, stage);
            }
            if (interrupted()) {
                code = exit_status(interrupt_exit());
                break;
            }
        }
        if (code == 0) {
            stage.finish(*this);
            ended = true;
        }
    } catch (const StrictStop&) {
        code = exit_status(Exit::kBadInput);
        Log::error("stopped at the first malformed line (--strict); everything before it was "
                   "written");
    } catch (const Error&) {
        summary();
        out_.flush();
        throw;
    }
    summary();
    if (ended && nothing_usable(stage)) {
        code = exit_status(Exit::kBadInput);
    }
    out_.flush();
    return code;
}

// Bad lines and nothing used: says so (the count, the first bad line, what to run instead).
bool Filter::nothing_usable(FilterStage& stage) const {
    if (stats_.bad == 0 || stats_.used > 0) {
        return false;
    }
    std::string msg =
        "nothing usable in the input: " +
        (stats_.bad == stats_.lines
             ? (stats_.lines == 1 ? std::string("its only line rejected")
                                  : "all " + std::to_string(stats_.lines) + " lines rejected")
             : plural(stats_.bad, "line", "lines") + " of " + std::to_string(stats_.lines) +
                   " rejected, and nothing in the others for " + std::string(Log::tool()) +
                   " to act on") +
        " (the first, line " + std::to_string(first_bad_no_) + ": " + first_reason_ + ")";
    std::string hint = stage.hint(first_bad_, first_reason_);
    if (hint.empty()) {
        // A candle CSV (a header naming ts/time, or rows of numbers and commas) is the likely
        // mistake: every stage reads NDJSON messages.
        std::string_view t = first_bad_;
        if (t.starts_with(kBom)) {
            t.remove_prefix(kBom.size());
        }
        const bool csv = !t.empty() && t.front() != '{' && t.find(',') != std::string_view::npos &&
                         (t.starts_with("ts") || t.starts_with("time") ||
                          (t.front() >= '0' && t.front() <= '9'));
        if (csv) {
            const std::string tool(Log::tool());
            hint = "this looks like a candle CSV, and " + tool +
                   " reads NDJSON messages: turn it into candles first, okx-stream --replay "
                   "FILE | " +
                   tool;
        }
    }
    if (!hint.empty()) {
        msg += "; " + hint;
    }
    Log::error(msg);
    return true;
}

void Filter::summary() const {
    if (stats_.bad > options_.max_errors) {
        Log::emit(Level::kError, std::to_string(stats_.bad - options_.max_errors) +
                                     " more malformed lines not shown (" +
                                     std::to_string(stats_.bad) + " in all)");
    }
    if (stats_.bad > 0 && !options_.strict) {
        Log::warning("skipped " + plural(stats_.bad, "malformed line", "malformed lines") + " of " +
                     plural(stats_.lines, "line", "lines") + " read");
    }
}

} // namespace okxkit::core
