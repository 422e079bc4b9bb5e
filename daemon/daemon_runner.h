#pragma once
// `kmirror run`: serves signals, the HTTP endpoint and systemd's notify
// protocol (SystemdNotifier) on one io_context, starts every flow
// (FlowSupervisor: a flow that cannot start is reported and retried, or with
// --fail-fast ends the process), reloads the configuration file on SIGHUP,
// and stops with a drain on SIGTERM/SIGINT or on a flow failure.

#include <memory>
#include <string>

#include "config/config.h"
#include "metrics/samples.h"

namespace kmirror::daemon {

struct RunOptions {
    /// Exit (code 1) when a flow cannot start, instead of retrying it.
    bool fail_fast = false;
    /// The file `config` came from: SIGHUP reads it again.
    std::string config_path;
};

/// Runs until a signal or a failure; returns the process exit code.
int run_daemon(std::shared_ptr<const config::Config> config, const metrics::BuildInfo& build,
               const RunOptions& options);

}  // namespace kmirror::daemon
