// Progress of a long run (a paced replay, a REST backfill, train --all) for the person watching
// it. Display only: no output, store row or decision depends on it, so the wall clock it reads
// never touches a result.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace okxkit::core {

// On a terminal (Log::live_progress) a status line redrawn in place at most 4 times a second:
//   "okx-stream: replay 45% 3.8 of 8.4 MB, 1.2 MB/s, 0:04 left"
// With -v and stderr not a terminal, the same text as a note every 10 seconds. Else nothing.
// finish() clears the line and writes the one-line summary (Log::summary).
class Progress {
public:
    // kEventMs: done and total are milliseconds of event time past set_origin (a paced
    // replay, whose wall time follows event time).
    enum class Unit { kBytes, kCount, kEventMs };
    // what: "replay"; noun: what is counted ("series", "requests"; ignored for bytes);
    // total: 0 when unknown (then no percentage and no time left).
    Progress(std::string what, Unit unit, std::string noun, std::uint64_t total);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Reports done units of total; redraws when it is time (reads the steady clock: a caller
    // on a hot path calls it every few hundred rows).
    void update(std::uint64_t done) {
        done_ = done;
        tick();
    }
    void set_total(std::uint64_t total) { total_ = total; }
    // kEventMs: the event time that done counts from (shown as a date).
    void set_origin(std::int64_t ms) { origin_ = ms; }
    // Clears the status line and writes summary as Log::summary does ("" for none).
    void finish(const std::string& summary);
    [[nodiscard]] bool active() const { return mode_ != Mode::kOff; }
    // The status text for done of total after elapsed seconds (what the line shows).
    [[nodiscard]] std::string text(double elapsed) const;

    // "1.2 s", "3 min 4 s", "1 h 02 min": a duration for people.
    static std::string duration_text(double seconds);

private:
    void tick();

    enum class Mode { kOff, kLine, kNotes };
    std::string what_;
    Unit unit_;
    std::string noun_;
    std::uint64_t total_;
    std::uint64_t done_ = 0;
    std::int64_t origin_ = 0;
    Mode mode_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point next_;
    bool finished_ = false;
};

} // namespace okxkit::core
