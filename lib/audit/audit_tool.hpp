// The audit tool: one program of several commands (audit backup, audit restore, ...) over what
// the other tools write to the store.
#pragma once

namespace okxkit::audit {

// The whole tool: dispatches argv[1] to its command (core::run_commands).
int audit_main(int argc, const char* const* argv);

} // namespace okxkit::audit
