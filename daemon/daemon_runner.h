#pragma once
// `kmirror run`: starts every flow, serves signals, the HTTP endpoint and the
// systemd watchdog on one io_context, and stops with a drain on
// SIGTERM/SIGINT or on a flow failure.

#include "config/config.h"
#include "metrics/samples.h"

namespace kmirror::daemon {

/// Runs until a signal or a failure; returns the process exit code.
int run_daemon(const config::Config& config, const metrics::BuildInfo& build);

}  // namespace kmirror::daemon
