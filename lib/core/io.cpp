// Line reading and buffered writing over file descriptors and streams.
#include "core/io.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <istream>
#include <ostream>
#include <poll.h>
#include <unistd.h>

namespace okxkit::core {

Output::Output(int fd, std::size_t capacity) : fd_(fd), capacity_(capacity) {
    buf_.reserve(capacity_ + 4096);
}

Output::Output(std::ostream& os, std::size_t capacity) : os_(&os), capacity_(capacity) {
    buf_.reserve(capacity_ + 4096);
}

namespace {

int g_failed_writes = 0;
bool g_broken_pipe = false;

} // namespace

Output::~Output() {
    try {
        flush();
    } catch (const BrokenPipe&) {
        g_broken_pipe = true; // the reader is gone: core::run_tool ends the tool by SIGPIPE
    } catch (const std::exception& e) {
        ++g_failed_writes;
        Log::error(e.what());
    } catch (...) { // NOLINT(bugprone-empty-catch): a destructor must not throw
        ++g_failed_writes;
    }
}

int Output::failed_writes() {
    return g_failed_writes;
}

bool Output::broken_pipe() {
    return g_broken_pipe;
}

void Output::flush() {
    if (buf_.empty()) {
        return;
    }
    if (os_ != nullptr) {
        os_->write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
        os_->flush();
        buf_.clear();
        if (!*os_) {
            throw RuntimeError("cannot write output");
        }
        return;
    }
    const char* p = buf_.data();
    std::size_t left = buf_.size();
    while (left > 0) {
        ssize_t n = ::write(fd_, p, left);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int err = errno;
            buf_.clear();
            if (err == EPIPE) {
                throw BrokenPipe();
            }
            throw RuntimeError("cannot write output: " + errno_text(err));
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    buf_.clear();
}

namespace {

// One line of max_line bytes, and room to read at least as much again (4 KiB to 64 KiB) after
// it in one call.
std::size_t buffer_size(std::size_t max_line) {
    return max_line + std::clamp<std::size_t>(max_line, 4096, 65536) + 1;
}

} // namespace

std::unique_ptr<LineReader> LineReader::open(const std::string& path, std::size_t max_line) {
    if (path == "-") {
        return std::make_unique<LineReader>(STDIN_FILENO, false, "-", max_line);
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw RuntimeError(path + ": cannot open: " + errno_text(errno));
    }
    return std::make_unique<LineReader>(fd, true, path, max_line);
}

LineReader::LineReader(int fd, bool owned, std::string name, std::size_t max_line)
    : fd_(fd), owned_(owned), name_(std::move(name)), max_line_(max_line),
      cap_(buffer_size(max_line)), buf_(new char[cap_]) {}

LineReader::LineReader(std::istream& in, std::string name, std::size_t max_line)
    : in_(&in), name_(std::move(name)), max_line_(max_line), cap_(buffer_size(max_line)),
      buf_(new char[cap_]) {}

LineReader::~LineReader() {
    if (owned_ && fd_ >= 0) {
        ::close(fd_);
    }
}

bool LineReader::fill() {
    if (eof_) {
        return false;
    }
    if (begin_ > 0) {
        // Keep the unread tail at the front so one line always fits in the buffer.
        std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    std::size_t room = cap_ - end_;
    if (room == 0) {
        return true; // caller handles an over-long line
    }
    if (in_ != nullptr) {
        in_->read(buf_.get() + end_, static_cast<std::streamsize>(room));
        auto n = static_cast<std::size_t>(in_->gcount());
        if (n == 0) {
            eof_ = true;
            return false;
        }
        end_ += n;
        bytes_read_ += n;
        return true;
    }
    for (;;) {
        if (on_idle_) {
            pollfd p{fd_, POLLIN, 0};
            // poll() answers 0 when nothing came within wait; input or an error end the
            // waiting and the read below sorts them out; a signal ends the read here.
            int polled = 0;
            for (int wait = 0; (polled = ::poll(&p, 1, wait)) == 0;) {
                if (interrupted()) {
                    break; // a signal that came between two waits
                }
                wait = on_idle_();
                if (wait < 0) {
                    break;
                }
            }
            // A signal that ended a wait was delivered already: the read would block on.
            if (polled <= 0 && interrupted()) {
                interrupted_ = true;
                return false;
            }
        }
        ssize_t n = ::read(fd_, buf_.get() + end_, room);
        if (n > 0) {
            end_ += static_cast<std::size_t>(n);
            bytes_read_ += static_cast<std::uint64_t>(n);
            return true;
        }
        if (n == 0) {
            eof_ = true;
            return false;
        }
        if (errno == EINTR) {
            if (interrupted()) {
                interrupted_ = true;
                return false;
            }
            continue;
        }
        throw RuntimeError(name_ + ": cannot read: " + errno_text(errno));
    }
}

LineReader::Status LineReader::next(std::string_view& line) {
    bool too_long = false;
    for (;;) {
        const char* base = buf_.get();
        const void* nl = std::memchr(base + begin_ + scan_, '\n', end_ - begin_ - scan_);
        if (nl != nullptr) {
            auto pos = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
            std::size_t len = pos - begin_;
            line = std::string_view(base + begin_, len);
            begin_ = pos + 1;
            scan_ = 0;
            ++line_no_;
            if (too_long || len > max_line_) {
                return Status::kTooLong;
            }
            return Status::kLine;
        }
        scan_ = end_ - begin_;
        if (scan_ > max_line_) {
            // Drop what we have of this line; keep reading until its newline.
            too_long = true;
            begin_ = end_ = scan_ = 0;
        }
        if (!fill()) {
            if (interrupted_) {
                return Status::kInterrupted;
            }
            if (end_ > begin_ || too_long) {
                std::size_t len = end_ - begin_;
                line = std::string_view(base + begin_, len);
                begin_ = end_;
                scan_ = 0;
                ++line_no_;
                return too_long || len > max_line_ ? Status::kTooLong : Status::kLine;
            }
            return Status::kEof;
        }
    }
}

} // namespace okxkit::core
