#pragma once
// `kmirror run`: serves signals, the HTTP endpoint and the systemd watchdog on
// one io_context, starts every flow (FlowSupervisor: a flow that cannot start
// is reported and retried, or with --fail-fast ends the process), and stops
// with a drain on SIGTERM/SIGINT or on a flow failure.

#include "config/config.h"
#include "metrics/samples.h"

namespace kmirror::daemon {

struct RunOptions {
    /// Exit (code 1) when a flow cannot start, instead of retrying it.
    bool fail_fast = false;
};

/// Runs until a signal or a failure; returns the process exit code.
int run_daemon(const config::Config& config, const metrics::BuildInfo& build,
               const RunOptions& options);

}  // namespace kmirror::daemon
