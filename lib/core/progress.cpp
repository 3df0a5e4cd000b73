// Progress lines on stderr for people; see progress.hpp.
#include "core/progress.hpp"

#include "core/log.hpp"
#include "core/timeutil.hpp"

#include <cmath>
#include <cstdio>

namespace okxkit::core {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kRedraw = std::chrono::milliseconds(250);
constexpr auto kNoteEvery = std::chrono::seconds(10);

std::string fixed(double v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// 8.4 MB, 950 kB, 12 B (decimal units, as file managers show them).
std::string bytes_text(double b) {
    if (b >= 1e9) {
        return fixed(b / 1e9, 1) + " GB";
    }
    if (b >= 1e6) {
        return fixed(b / 1e6, 1) + " MB";
    }
    if (b >= 1e3) {
        return fixed(b / 1e3, 0) + " kB";
    }
    return fixed(b, 0) + " B";
}

std::string count_text(double n) {
    return n >= 100 || n == std::floor(n) ? fixed(n, 0) : fixed(n, 1);
}

} // namespace

Progress::Progress(std::string what, Unit unit, std::string noun, std::uint64_t total)
    : what_(std::move(what)), unit_(unit), noun_(std::move(noun)), total_(total),
      mode_(Log::live_progress()    ? Mode::kLine
            : Log::verbosity() >= 1 ? Mode::kNotes
                                    : Mode::kOff),
      start_(Clock::now()), next_(start_ + (mode_ == Mode::kNotes ? kNoteEvery : kRedraw)) {}

Progress::~Progress() {
    if (!finished_ && mode_ == Mode::kLine) {
        Log::status_line("");
    }
}

std::string Progress::duration_text(double s) {
    if (s < 1) {
        return fixed(s, 2) + " s";
    }
    if (s < 10) {
        return fixed(s, 1) + " s";
    }
    const auto total = static_cast<long long>(std::llround(s));
    if (total < 3600) {
        return total < 60
                   ? std::to_string(total) + " s"
                   : std::to_string(total / 60) + " min " + std::to_string(total % 60) + " s";
    }
    char buf[48];
    std::snprintf(buf, sizeof buf, "%lld h %02lld min", total / 3600, (total % 3600) / 60);
    return buf;
}

std::string Progress::text(double elapsed) const {
    const auto done = static_cast<double>(done_);
    const auto total = static_cast<double>(total_);
    std::string t = what_;
    if (total_ > 0) {
        t += ' ' + fixed(std::min(100.0, 100.0 * done / total), 0) + "%";
    }
    if (unit_ == Unit::kEventMs) {
        // "replay 45% at 2021-04-25T10:05:00Z of 2021-04-30T23:55:00Z, 12 min left"
        t += " at " + format_iso_ms(origin_ + static_cast<std::int64_t>(done_));
        if (total_ > 0) {
            t += " of " + format_iso_ms(origin_ + static_cast<std::int64_t>(total_));
            if (elapsed > 0.5 && done > 0 && done < total) {
                t += ", " + duration_text((total - done) * elapsed / done) + " left";
            }
        }
        return t;
    }
    if (unit_ == Unit::kBytes) {
        t += ' ' + (total_ > 0 ? bytes_text(done) + " of " + bytes_text(total) : bytes_text(done));
    } else {
        t += ' ' + count_text(done) + (total_ > 0 ? " of " + count_text(total) : "") + ' ' + noun_;
    }
    if (elapsed > 0.5 && done > 0) {
        const double rate = done / elapsed;
        t += ", " + (unit_ == Unit::kBytes ? bytes_text(rate) : count_text(rate) + ' ' + noun_) +
             "/s";
        if (total_ > 0 && done < total) {
            t += ", " + duration_text((total - done) / rate) + " left";
        }
    }
    return t;
}

void Progress::tick() {
    if (mode_ == Mode::kOff) {
        return;
    }
    const auto now = Clock::now();
    if (now < next_) {
        return;
    }
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (mode_ == Mode::kLine) {
        Log::status_line(std::string(Log::tool()) + ": " + text(elapsed));
        next_ = now + kRedraw;
    } else {
        Log::note(text(elapsed));
        next_ = now + kNoteEvery;
    }
}

void Progress::finish(const std::string& summary) {
    if (finished_) {
        return;
    }
    finished_ = true;
    if (mode_ == Mode::kLine) {
        Log::status_line("");
    }
    if (!summary.empty()) {
        Log::summary(summary);
    }
}

} // namespace okxkit::core
