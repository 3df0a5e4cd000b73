#include "audit/notify.hpp"

#include "core/error.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ; // NOLINT(readability-redundant-declaration): posix_spawn's argument

namespace okxkit::audit {

namespace {

// SIGPIPE ignored while it lives: a notifier that does not read its input must not kill us.
class NoSigpipe {
public:
    NoSigpipe() { old_ = std::signal(SIGPIPE, SIG_IGN); }
    ~NoSigpipe() { std::signal(SIGPIPE, old_); }
    NoSigpipe(const NoSigpipe&) = delete;
    NoSigpipe& operator=(const NoSigpipe&) = delete;

private:
    void (*old_)(int) = SIG_DFL;
};

} // namespace

NotifyResult notify(const std::string& command, const std::string& text, int timeout_s) {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
        return {false, "cannot make a pipe: " + core::errno_text(errno)};
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
    std::string sh = "sh";
    std::string dash_c = "-c";
    std::string cmd = command;
    std::array<char*, 4> argv{sh.data(), dash_c.data(), cmd.data(), nullptr};
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, "/bin/sh", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[0]);
    if (rc != 0) {
        ::close(fds[1]);
        return {false, "cannot run /bin/sh: " + core::errno_text(rc)};
    }
    {
        NoSigpipe guard;
        std::size_t done = 0;
        while (done < text.size()) {
            const ssize_t n = ::write(fds[1], text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break; // it stopped reading: its exit status says whether that was a failure
            }
            done += static_cast<std::size_t>(n);
        }
        ::close(fds[1]);
    }
    // Wall time: how long a command of the user's may take, nothing about the data.
    const std::int64_t limit_ms = static_cast<std::int64_t>(timeout_s) * 1000;
    std::int64_t waited_ms = 0;
    int status = 0;
    for (;;) {
        const pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            break;
        }
        if (w < 0 && errno != EINTR) {
            return {false, "cannot wait for it: " + core::errno_text(errno)};
        }
        if (waited_ms >= limit_ms) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return {false, "did not finish in " + std::to_string(timeout_s) + " s and was killed"};
        }
        const timespec step{0, 20'000'000};
        ::nanosleep(&step, nullptr);
        waited_ms += 20;
    }
    if (WIFEXITED(status)) {
        const int code = WEXITSTATUS(status);
        if (code == 0) {
            return {true, ""};
        }
        return {false, code == 127 ? std::string("exited with status 127 (command not found?)")
                                   : "exited with status " + std::to_string(code)};
    }
    if (WIFSIGNALED(status)) {
        return {false, "was killed by signal " + std::to_string(WTERMSIG(status))};
    }
    return {false, "ended abnormally"};
}

} // namespace okxkit::audit
