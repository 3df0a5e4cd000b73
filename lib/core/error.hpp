// Exit codes and the exception types that carry them from lib/ to a tool's main.
#pragma once

#include <stdexcept>
#include <string>

namespace okxkit::core {

// The exit codes of every okxkit tool (DESIGN.md, "Exit codes").
enum class Exit : int {
    kOk = 0,
    kRuntime = 1,
    kUsage = 2,
    kBadInput = 3,
    kRefused = 4,
    kUnavailable = 5,
    kBrokenPipe = 141,
    kInterrupted = 130,
    kTerminated = 143,
};

// Base of all okxkit errors: a message for stderr and the exit code it maps to.
class Error : public std::runtime_error {
public:
    Error(Exit code, const std::string& what) : std::runtime_error(what), code_(code) {}
    [[nodiscard]] Exit code() const noexcept { return code_; }

private:
    Exit code_;
};

// Bad command line or config: exit 2.
class UsageError : public Error {
public:
    explicit UsageError(const std::string& what) : Error(Exit::kUsage, what) {}
};

// Malformed input (under --strict, or with nothing usable in it): exit 3.
class InputError : public Error {
public:
    explicit InputError(const std::string& what) : Error(Exit::kBadInput, what) {}
};

// Anything else that stops a tool (I/O, store): exit 1.
class RuntimeError : public Error {
public:
    explicit RuntimeError(const std::string& what) : Error(Exit::kRuntime, what) {}
};

// stdout's reader went away (EPIPE). The tool finishes its transaction and dies by SIGPIPE.
class BrokenPipe : public Error {
public:
    BrokenPipe() : Error(Exit::kBrokenPipe, "broken pipe") {}
};

// Returns the integer exit status for code.
constexpr int exit_status(Exit code) {
    return static_cast<int>(code);
}

// Formats errno as text ("No such file or directory"), for diagnostics.
std::string errno_text(int err);

} // namespace okxkit::core
