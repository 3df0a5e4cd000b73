// Unit tests for lib/core/io: Output buffering and EPIPE, LineReader lines, caps and idling.
#include "core/io.hpp"

#include "core/error.hpp"
#include "core/signals.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <pthread.h>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace okxkit::core {
namespace {

using Status = LineReader::Status;

// A pipe whose ends close when the test ends.
struct Pipe {
    int fds[2] = {-1, -1};
    Pipe() {
        if (::pipe(fds) != 0) {
            ADD_FAILURE() << "pipe failed";
        }
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    [[nodiscard]] int read_end() const { return fds[0]; }
    [[nodiscard]] int write_end() const { return fds[1]; }
    void close_read() {
        if (fds[0] >= 0) {
            ::close(fds[0]);
            fds[0] = -1;
        }
    }
    void close_write() {
        if (fds[1] >= 0) {
            ::close(fds[1]);
            fds[1] = -1;
        }
    }
};

void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ASSERT_GT(n, 0);
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return out;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
}

struct Got {
    Status status;
    std::string line;
    std::uint64_t line_no;
    bool operator==(const Got&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
    static constexpr const char* kNames[] = {"kLine", "kTooLong", "kEof", "kInterrupted"};
    os << kNames[static_cast<int>(g.status)] << " #" << g.line_no;
    if (g.status == Status::kLine) {
        const bool cut = g.line.size() > 60;
        os << " \"" << std::string_view(g.line).substr(0, 60) << (cut ? "..." : "") << "\"";
    }
    return os;
}

// Reads until kEof (included); the text of kTooLong lines is not part of the contract.
std::vector<Got> read_lines(LineReader& reader, std::size_t limit = 10'000'000) {
    std::vector<Got> out;
    for (std::size_t i = 0; i < limit; ++i) {
        std::string_view line;
        Status s = reader.next(line);
        out.push_back(
            Got{s, s == Status::kLine ? std::string(line) : std::string(), reader.line_no()});
        if (s == Status::kEof || s == Status::kInterrupted) {
            break;
        }
    }
    return out;
}

std::vector<Got> read_string(const std::string& text, std::size_t max_line) {
    std::istringstream in(text);
    LineReader reader(in, "test", max_line);
    return read_lines(reader);
}

// The reference: split on '\n', a final piece without '\n' is a line, long lines are kTooLong.
std::vector<Got> reference_lines(const std::string& text, std::size_t max_line) {
    std::vector<Got> out;
    std::uint64_t no = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t nl = text.find('\n', start);
        std::size_t end = nl == std::string::npos ? text.size() : nl;
        std::string line = text.substr(start, end - start);
        ++no;
        if (line.size() > max_line) {
            out.push_back(Got{Status::kTooLong, "", no});
        } else {
            out.push_back(Got{Status::kLine, line, no});
        }
        start = end + 1;
    }
    out.push_back(Got{Status::kEof, "", no});
    return out;
}

// Random NDJSON-ish text: mostly short lines, some empty, some around and far beyond max_line.
std::string random_text(std::mt19937& rng, std::size_t lines, std::size_t max_line) {
    std::string text;
    for (std::size_t i = 0; i < lines; ++i) {
        std::size_t len = 0;
        switch (rng() % 10) {
        case 0:
            len = 0;
            break;
        case 1:
            len = max_line - 1 + rng() % 3; // max_line - 1, max_line, max_line + 1
            break;
        case 2:
            len = max_line + 1 + rng() % (3 * max_line);
            break;
        case 3:
            if (rng() % 20 == 0) {
                len = 70'000 + rng() % 100'000; // longer than the reader's whole buffer
            }
            break;
        default:
            len = rng() % (max_line / 2 + 1);
        }
        for (std::size_t j = 0; j < len; ++j) {
            text += static_cast<char>('a' + (i + j) % 26);
        }
        text += '\n';
    }
    return text;
}

// ---------------------------------------------------------------------------------------
// Output over a std::ostream

TEST(CoreIo, OutputBuffersUntilFlush) {
    std::ostringstream os;
    Output out(os);
    out.line(R"({"type":"x"})");
    out.line("second");
    EXPECT_EQ(os.str(), "");
    EXPECT_EQ(out.lines(), 2U);
    out.flush();
    EXPECT_EQ(os.str(), "{\"type\":\"x\"}\nsecond\n");
    out.flush(); // nothing pending: nothing written twice
    EXPECT_EQ(os.str(), "{\"type\":\"x\"}\nsecond\n");
}

TEST(CoreIo, OutputBufferAndEndLine) {
    std::ostringstream os;
    Output out(os);
    out.buffer() += "abc";
    out.buffer() += "def";
    out.end_line();
    out.buffer() += "g";
    out.end_line();
    out.flush();
    EXPECT_EQ(os.str(), "abcdef\ng\n");
    EXPECT_EQ(out.lines(), 2U);
}

TEST(CoreIo, OutputFlushesWhenCapacityIsReached) {
    std::ostringstream os;
    Output out(os, 16);
    out.line("12345"); // 6 bytes pending
    out.line("12345"); // 12
    EXPECT_EQ(os.str(), "");
    out.line("12345"); // 18 >= 16: written out
    EXPECT_EQ(os.str(), "12345\n12345\n12345\n");
    out.line("x");
    EXPECT_EQ(os.str(), "12345\n12345\n12345\n");
    out.line(std::string(40, 'y')); // a line longer than the capacity goes out at once
    EXPECT_EQ(os.str(), "12345\n12345\n12345\nx\n" + std::string(40, 'y') + "\n");
}

TEST(CoreIo, OutputUnbufferedWritesEveryLine) {
    std::ostringstream os;
    Output out(os);
    out.set_unbuffered(true);
    out.line("a");
    EXPECT_EQ(os.str(), "a\n");
    out.buffer() += "b";
    EXPECT_EQ(os.str(), "a\n"); // only whole lines
    out.end_line();
    EXPECT_EQ(os.str(), "a\nb\n");
    out.set_unbuffered(false);
    out.line("c");
    EXPECT_EQ(os.str(), "a\nb\n");
}

TEST(CoreIo, OutputDestructorFlushes) {
    std::ostringstream os;
    {
        Output out(os);
        out.line("last words");
    }
    EXPECT_EQ(os.str(), "last words\n");
}

TEST(CoreIo, OutputStreamFailureThrowsRuntimeError) {
    std::ostringstream os;
    os.setstate(std::ios::badbit);
    Output out(os);
    out.line("lost");
    try {
        out.flush();
        FAIL() << "no exception";
    } catch (const RuntimeError& e) {
        EXPECT_EQ(e.code(), Exit::kRuntime);
    }
}

// ---------------------------------------------------------------------------------------
// Output over a file descriptor

TEST(CoreIo, OutputFdWritesEverythingThroughAPipe) {
    Pipe p;
    std::string received;
    std::thread reader([&] { received = read_all(p.read_end()); });
    std::string expected;
    {
        Output out(p.write_end(), 1000);
        for (int i = 0; i < 20000; ++i) {
            std::string line = "line " + std::to_string(i) + " " + std::string(i % 97, 'z');
            out.line(line);
            expected += line + "\n";
        }
        out.flush();
        EXPECT_EQ(out.lines(), 20000U);
    }
    p.close_write();
    reader.join();
    EXPECT_EQ(received, expected); // > 1 MB: several short writes, none lost
}

TEST(CoreIo, OutputFdBrokenPipeThrowsBrokenPipe) {
    std::signal(SIGPIPE, SIG_IGN);
    Pipe p;
    p.close_read();
    Output out(p.write_end());
    out.line("nobody reads this");
    try {
        out.flush();
        FAIL() << "no exception";
    } catch (const BrokenPipe& e) {
        EXPECT_EQ(e.code(), Exit::kBrokenPipe);
        EXPECT_EQ(exit_status(e.code()), 141);
    }
}

TEST(CoreIo, OutputFdBrokenPipeUnbufferedThrowsAtEndLine) {
    std::signal(SIGPIPE, SIG_IGN);
    Pipe p;
    p.close_read();
    Output out(p.write_end());
    out.set_unbuffered(true);
    out.buffer() += "x";
    EXPECT_THROW(out.end_line(), BrokenPipe);
    // The lost line is dropped, not retried: the next flush has nothing to write.
    EXPECT_NO_THROW(out.flush());
}

TEST(CoreIo, OutputFdOtherFailureThrowsRuntimeError) {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC); // write(2) fails with EBADF
    ASSERT_GE(fd, 0);
    {
        Output out(fd);
        out.line("x");
        EXPECT_THROW(out.flush(), RuntimeError);
        try {
            out.line("y");
            out.flush();
        } catch (const BrokenPipe&) {
            ADD_FAILURE() << "EBADF reported as a broken pipe";
        } catch (const RuntimeError&) {
        }
    }
    ::close(fd);
}

// ---------------------------------------------------------------------------------------
// LineReader over a std::istream

TEST(CoreIo, LineReaderLinesAndNumbers) {
    auto got = read_string("a\nbb\n\nccc\n", 100);
    std::vector<Got> want = {{Status::kLine, "a", 1},
                             {Status::kLine, "bb", 2},
                             {Status::kLine, "", 3},
                             {Status::kLine, "ccc", 4},
                             {Status::kEof, "", 4}};
    EXPECT_EQ(got, want);
}

TEST(CoreIo, LineReaderFinalLineWithoutNewline) {
    auto got = read_string("first\nlast", 100);
    std::vector<Got> want = {
        {Status::kLine, "first", 1}, {Status::kLine, "last", 2}, {Status::kEof, "", 2}};
    EXPECT_EQ(got, want);
}

TEST(CoreIo, LineReaderEmptyInputAndEmptyLines) {
    EXPECT_EQ(read_string("", 100), (std::vector<Got>{{Status::kEof, "", 0}}));
    std::vector<Got> want = {{Status::kLine, "", 1}, {Status::kLine, "", 2}, {Status::kEof, "", 2}};
    EXPECT_EQ(read_string("\n\n", 100), want);
}

TEST(CoreIo, LineReaderKeepsCarriageReturns) {
    std::vector<Got> want = {{Status::kLine, "a\r", 1},
                             {Status::kLine, "b\r", 2},
                             {Status::kLine, "\r", 3},
                             {Status::kLine, "c\rd", 4},
                             {Status::kEof, "", 4}};
    EXPECT_EQ(read_string("a\r\nb\r\n\r\nc\rd", 100), want);
}

TEST(CoreIo, LineReaderEofIsSticky) {
    std::istringstream in("x\n");
    LineReader reader(in, "test", 100);
    std::string_view line;
    EXPECT_EQ(reader.next(line), Status::kLine);
    EXPECT_EQ(reader.next(line), Status::kEof);
    EXPECT_EQ(reader.next(line), Status::kEof);
    EXPECT_EQ(reader.line_no(), 1U);
    EXPECT_EQ(reader.name(), "test");
    EXPECT_EQ(reader.max_line(), 100U);
}

TEST(CoreIo, LineReaderTooLongLineReportedOnceThenContinues) {
    auto got = read_string("12345678\n123456789\nok\n", 8);
    std::vector<Got> want = {{Status::kLine, "12345678", 1},
                             {Status::kTooLong, "", 2},
                             {Status::kLine, "ok", 3},
                             {Status::kEof, "", 3}};
    EXPECT_EQ(got, want);
}

TEST(CoreIo, LineReaderConsecutiveTooLongLines) {
    const std::string text = std::string(20, 'x') + "\n" + std::string(9, 'y') + "\n\nz\n";
    std::vector<Got> want = {{Status::kTooLong, "", 1},
                             {Status::kTooLong, "", 2},
                             {Status::kLine, "", 3},
                             {Status::kLine, "z", 4},
                             {Status::kEof, "", 4}};
    EXPECT_EQ(read_string(text, 8), want);
}

TEST(CoreIo, LineReaderTooLongLineLongerThanItsBuffer) {
    // The reader holds about max_line + 64 KiB; this line is several times that.
    const std::string text = "a\n" + std::string(500'000, 'x') + "\nnext\n";
    std::vector<Got> want = {{Status::kLine, "a", 1},
                             {Status::kTooLong, "", 2},
                             {Status::kLine, "next", 3},
                             {Status::kEof, "", 3}};
    EXPECT_EQ(read_string(text, 16), want);
}

TEST(CoreIo, LineReaderTooLongLastLineWithoutNewline) {
    std::vector<Got> want = {
        {Status::kLine, "ok", 1}, {Status::kTooLong, "", 2}, {Status::kEof, "", 2}};
    EXPECT_EQ(read_string("ok\n" + std::string(40, 'x'), 16), want);
    EXPECT_EQ(read_string("ok\n" + std::string(17, 'x'), 16), want);
    EXPECT_EQ(read_string("ok\n" + std::string(300'000, 'x'), 16), want);
}

TEST(CoreIo, LineReaderLinesOfExactlyMaxLineAreAccepted) {
    const std::string full(16, 'm');
    std::vector<Got> want = {
        {Status::kLine, full, 1}, {Status::kLine, full, 2}, {Status::kEof, "", 2}};
    EXPECT_EQ(read_string(full + "\n" + full, 16), want);
    // And with the default cap.
    const std::string big(kDefaultMaxLine, 'b');
    auto got = read_string(big + "\n" + big + "b\n", kDefaultMaxLine);
    ASSERT_EQ(got.size(), 3U);
    EXPECT_EQ(got[0].status, Status::kLine);
    EXPECT_EQ(got[0].line.size(), kDefaultMaxLine);
    EXPECT_EQ(got[1].status, Status::kTooLong);
    EXPECT_EQ(got[2].status, Status::kEof);
}

TEST(CoreIo, LineReaderRandomTextMatchesReference) {
    std::mt19937 rng(11);
    for (std::size_t max_line : {1U, 7U, 100U, 4096U}) {
        const std::string text = random_text(rng, 3000, max_line);
        ASSERT_EQ(read_string(text, max_line), reference_lines(text, max_line))
            << "max_line " << max_line;
        const std::string unterminated = text + std::string(max_line, 'q');
        ASSERT_EQ(read_string(unterminated, max_line), reference_lines(unterminated, max_line))
            << "max_line " << max_line;
    }
}

TEST(CoreIo, LineReaderOpenReadsAFile) {
    char path[] = "/tmp/okxkit-core-io-XXXXXX";
    int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    write_all(fd, "one\ntwo\n");
    ::close(fd);
    {
        auto reader = LineReader::open(path, 100);
        EXPECT_EQ(reader->name(), path);
        std::vector<Got> want = {
            {Status::kLine, "one", 1}, {Status::kLine, "two", 2}, {Status::kEof, "", 2}};
        EXPECT_EQ(read_lines(*reader), want);
    }
    ::unlink(path);
    try {
        LineReader::open(path, 100);
        FAIL() << "opened a file that is gone";
    } catch (const RuntimeError& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
}

// ---------------------------------------------------------------------------------------
// LineReader over a pipe

TEST(CoreIo, LineReaderPipeInRandomChunksMatchesReference) {
    std::mt19937 rng(12);
    constexpr std::size_t kMax = 100;
    const std::string text = random_text(rng, 6000, kMax) + "tail";
    Pipe p;
    std::thread writer([&] {
        std::mt19937 wrng(13);
        std::string_view rest = text;
        while (!rest.empty()) {
            std::size_t n = std::min<std::size_t>(rest.size(), 1 + wrng() % 5000);
            write_all(p.write_end(), rest.substr(0, n));
            rest.remove_prefix(n);
        }
        p.close_write();
    });
    LineReader reader(p.read_end(), false, "pipe", kMax);
    auto got = read_lines(reader);
    writer.join();
    EXPECT_EQ(got, reference_lines(text, kMax));
}

TEST(CoreIo, LineReaderOnIdleCalledOnlyWhenNoInputIsReady) {
    Pipe p;
    LineReader reader(p.read_end(), false, "pipe", 100);
    int idle = 0;
    reader.on_idle([&] {
        ++idle;
        // The reader would block now: this is where a tool flushes its output. Feed it the
        // next line and close, so the test never blocks.
        write_all(p.write_end(), "b\n");
        p.close_write();
        return -1;
    });
    write_all(p.write_end(), "a\n");
    std::string_view line;
    ASSERT_EQ(reader.next(line), Status::kLine); // input was ready: no idle call
    EXPECT_EQ(line, "a");
    EXPECT_EQ(idle, 0);
    ASSERT_EQ(reader.next(line), Status::kLine); // nothing ready: idle first
    EXPECT_EQ(line, "b");
    EXPECT_EQ(idle, 1);
    EXPECT_EQ(reader.next(line), Status::kEof); // end of input is ready, not idle
    EXPECT_EQ(idle, 1);
    EXPECT_EQ(reader.line_no(), 2U);
}

TEST(CoreIo, LineReaderOnIdleAskedAgainUntilInputComes) {
    // A stage that put its store rows off asks to be called again if the input stays quiet;
    // once input is there it is read, and idle is not called again.
    Pipe p;
    LineReader reader(p.read_end(), false, "pipe", 100);
    int idle = 0;
    reader.on_idle([&] {
        if (++idle < 3) {
            return 0; // nothing came yet: ask again at once
        }
        write_all(p.write_end(), "b\n");
        p.close_write();
        return 1000; // input is ready: the wait ends at once, without another call
    });
    std::string_view line;
    ASSERT_EQ(reader.next(line), Status::kLine);
    EXPECT_EQ(line, "b");
    EXPECT_EQ(idle, 3);
    EXPECT_EQ(reader.next(line), Status::kEof);
    EXPECT_EQ(idle, 3);
}

TEST(CoreIo, LineReaderOneSignalDuringAnIdleWaitEndsTheRead) {
    // A stage that asks to be called again (execute --mode demo refreshing OKX's dead-man
    // switch) waits in poll(); the one SIGTERM that ends that wait must end the read too,
    // not leave it blocked on a quiet pipe.
    install_signal_policy();
    reset_pending_signal();
    Pipe p;
    LineReader reader(p.read_end(), false, "pipe", 100);
    std::atomic<int> idle{0};
    reader.on_idle([&] {
        ++idle;
        return 200;
    });
    std::atomic<bool> done{false};
    const pthread_t target = pthread_self();
    std::thread killer([&] {
        while (idle.load() == 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        pthread_kill(target, SIGTERM); // once
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!done.load() && std::chrono::steady_clock::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (!done.load()) {
            p.close_write(); // unblock the reader so the test fails instead of hanging
        }
    });
    std::string_view line;
    const Status s = reader.next(line);
    done = true;
    killer.join();
    EXPECT_EQ(s, Status::kInterrupted);
    EXPECT_EQ(pending_signal(), SIGTERM);
    reset_pending_signal();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

TEST(CoreIo, LineReaderPipeInterruptedBySigint) {
    install_signal_policy();
    reset_pending_signal();
    Pipe p;
    LineReader reader(p.read_end(), false, "pipe", 100);
    std::atomic<bool> done{false};
    const pthread_t target = pthread_self();
    std::thread killer([&] {
        // Keep signalling until the reader gave up: a signal that lands before the read
        // blocks only sets the flag, the next one interrupts the read.
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done.load() && std::chrono::steady_clock::now() < give_up) {
            pthread_kill(target, SIGINT);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (!done.load()) {
            p.close_write(); // unblock the reader so the test fails instead of hanging
        }
    });
    std::string_view line;
    Status s = reader.next(line);
    done = true;
    killer.join();
    EXPECT_EQ(s, Status::kInterrupted);
    EXPECT_EQ(pending_signal(), SIGINT);
    EXPECT_EQ(interrupt_exit(), Exit::kInterrupted);
    reset_pending_signal();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

} // namespace
} // namespace okxkit::core

namespace okxkit::core {
namespace {

// A write that fails in the destructor (a path that never flushed) is not silent: it is
// reported on stderr and counted, so run_tool ends the tool with exit 1 rather than 0.
TEST(CoreOutput, AWriteThatFailsInTheDestructorIsReportedAndCounted) {
    const int before = Output::failed_writes();
    testing::internal::CaptureStderr();
    {
        std::ostringstream os;
        os.setstate(std::ios::badbit);
        Output out(os);
        out.line("never written");
    }
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(Output::failed_writes(), before + 1);
    EXPECT_NE(err.find("cannot write output"), std::string::npos) << err;
}

} // namespace
} // namespace okxkit::core
