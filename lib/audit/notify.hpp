// Alerts: a command of the user's, run with a JSON document on its standard input.
#pragma once

#include <string>

namespace okxkit::audit {

struct NotifyResult {
    bool ok = false;
    std::string what; // "" when ok; else what went wrong ("exited with status 3", ...)
};

// Runs `/bin/sh -c command` with text on its standard input and its standard output sent to
// this process' standard error (so a tool's own output stays clean), and waits for it at most
// timeout_s seconds (then kills it). Never throws for the command's failures: they are the
// result, for the caller to report.
NotifyResult notify(const std::string& command, const std::string& text, int timeout_s);

} // namespace okxkit::audit
