// NDJSON plumbing: a line reader with a length cap, and a buffered writer with the flush policy.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::core {

// Default cap on one input line (bytes, without the newline).
inline constexpr std::size_t kDefaultMaxLine = 1 << 20;

// Buffered output of whole lines to a file descriptor or a std::ostream.
// Block-buffered by default; unbuffered mode flushes after every line. flush() is also
// called by readers when their next read would block (see LineReader::on_idle), so a live
// stream never sits in the buffer. A write that fails with EPIPE throws BrokenPipe; any
// other failure throws RuntimeError.
class Output {
public:
    explicit Output(int fd, std::size_t capacity = 1 << 16);
    explicit Output(std::ostream& os, std::size_t capacity = 1 << 16);
    ~Output();
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;

    // The pending buffer: append one line's bytes here (without '\n'), then end_line().
    std::string& buffer() { return buf_; }
    // Terminates the line and applies the buffering policy. O(1) amortised.
    void end_line() {
        buf_ += '\n';
        ++lines_;
        if (unbuffered_ || buf_.size() >= capacity_) {
            flush();
        }
    }
    // Writes line + '\n'.
    void line(std::string_view text) {
        buf_.append(text);
        end_line();
    }
    void flush();
    void set_unbuffered(bool on) { unbuffered_ = on; }
    // Outputs destroyed with lines they could not write (the destructor flushes, and reports a
    // failure on stderr instead of throwing): core::run_tool turns a success into exit 1 then.
    static int failed_writes();
    // True when a destructor's flush found the reader gone (EPIPE).
    static bool broken_pipe();
    [[nodiscard]] std::uint64_t lines() const { return lines_; }

private:
    int fd_ = -1;
    std::ostream* os_ = nullptr;
    std::size_t capacity_;
    bool unbuffered_ = false;
    std::string buf_;
    std::uint64_t lines_ = 0;
};

// Reads lines from a file descriptor (owned or borrowed) or a std::istream.
// Lines are returned without their '\n'; a last line without '\n' is still a line.
// A line longer than max_line is skipped to its newline and reported as kTooLong, so one
// bad line never costs more than max_line bytes of memory. Memory: O(max_line).
class LineReader {
public:
    enum class Status { kLine, kTooLong, kEof, kInterrupted };

    // Opens path for reading ("-" is stdin). Throws RuntimeError when it cannot.
    static std::unique_ptr<LineReader> open(const std::string& path, std::size_t max_line);
    LineReader(int fd, bool owned, std::string name, std::size_t max_line);
    LineReader(std::istream& in, std::string name, std::size_t max_line);
    ~LineReader();
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    // Fetches the next line into `line` (valid until the next call). kInterrupted when
    // SIGINT/SIGTERM arrived while waiting for input.
    Status next(std::string_view& line);

    // Number of the line last returned (1-based).
    [[nodiscard]] std::uint64_t line_no() const { return line_no_; }
    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] std::size_t max_line() const { return max_line_; }
    // Bytes read from the input so far (at most one buffer ahead of the lines returned).
    [[nodiscard]] std::uint64_t bytes_read() const { return bytes_read_; }

    // Called before a read that would block (no input ready yet), e.g. to flush output. It
    // returns how many milliseconds to wait for input before calling it again (a caller that
    // put work off until the input pauses for that long), or a negative number: wait for
    // input however long it takes.
    void on_idle(std::function<int()> fn) { on_idle_ = std::move(fn); }

private:
    // Reads more bytes into the buffer; returns false at end of input.
    bool fill();

    int fd_ = -1;
    bool owned_ = false;
    std::istream* in_ = nullptr;
    std::string name_;
    std::size_t max_line_;
    // Not zero-filled: only [begin_, end_) is ever read. One line of max_line bytes and a read
    // of 64 KiB always fit.
    std::size_t cap_;
    std::unique_ptr<char[]> buf_;
    std::size_t begin_ = 0; // first unread byte
    std::size_t end_ = 0;   // one past the last valid byte
    std::size_t scan_ = 0;  // bytes from begin_ already known to hold no '\n'
    bool eof_ = false;
    bool interrupted_ = false;
    std::uint64_t line_no_ = 0;
    std::uint64_t bytes_read_ = 0;
    std::function<int()> on_idle_;
};

} // namespace okxkit::core
