#pragma once
// `kmirror translate` and `kmirror failover` (docs/failover.md).

#include "config/config.h"
#include "daemon/cli.h"

namespace kmirror::daemon {

/// Runs `translate` or `failover`; returns the exit code. Writes results to
/// stdout and problems to stderr.
int run_translation_command(const config::Config& config, const Command& cmd);

}  // namespace kmirror::daemon
