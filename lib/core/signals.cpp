// Signal handling: flags for SIGINT/SIGTERM, quiet death on SIGPIPE.
#include "core/signals.hpp"

#include <csignal>
#include <cstdlib>
#include <unistd.h>

namespace okxkit::core {

namespace {

volatile std::sig_atomic_t g_pending = 0;

extern "C" void on_stop_signal(int sig) {
    if (g_pending == 0) {
        g_pending = sig;
    }
}

} // namespace

void install_signal_policy() {
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, nullptr);

    struct sigaction stop {};
    stop.sa_handler = on_stop_signal;
    sigemptyset(&stop.sa_mask);
    stop.sa_flags = 0; // no SA_RESTART: blocking reads return EINTR
    sigaction(SIGINT, &stop, nullptr);
    sigaction(SIGTERM, &stop, nullptr);
}

int pending_signal() {
    return g_pending;
}

void reset_pending_signal() {
    g_pending = 0;
}

Exit interrupt_exit() {
    return g_pending == SIGTERM ? Exit::kTerminated : Exit::kInterrupted;
}

void die_by_sigpipe() {
    std::signal(SIGPIPE, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    raise(SIGPIPE);
    _exit(exit_status(Exit::kBrokenPipe));
}

} // namespace okxkit::core
