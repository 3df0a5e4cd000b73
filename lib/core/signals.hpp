// The signal policy shared by every tool: SIGPIPE ignored, SIGINT/SIGTERM turned into a flag.
#pragma once

#include "core/error.hpp"

namespace okxkit::core {

// Ignores SIGPIPE (writes then fail with EPIPE, handled by the output layer) and makes
// SIGINT and SIGTERM set a flag instead of killing the process. The handlers are installed
// without SA_RESTART, so a blocking read returns EINTR and the loop can notice the flag.
void install_signal_policy();

// The signal that asked the tool to stop (SIGINT or SIGTERM), or 0. Async-signal-safe.
int pending_signal();

// True when a stop was asked for.
inline bool interrupted() {
    return pending_signal() != 0;
}

// The exit code for the pending signal: 130 for SIGINT, 143 for SIGTERM.
Exit interrupt_exit();

// Restores the default SIGPIPE action and raises it, so the parent shell sees the tool
// die of SIGPIPE (status 141) with no message, as git does.
[[noreturn]] void die_by_sigpipe();

// For tests: clears the pending flag.
void reset_pending_signal();

} // namespace okxkit::core
