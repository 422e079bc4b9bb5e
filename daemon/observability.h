#pragma once
// What the HTTP endpoint shows of the running flows: Prometheus samples,
// readiness and the /status document. Reads snapshots and atomics only, so
// it is cheap to call on the io_context thread.

#include <memory>
#include <string>
#include <vector>

#include "daemon/stall_watch.h"
#include "daemon/state_flusher.h"
#include "metrics/http_server.h"
#include "metrics/samples.h"
#include "replicator/flow.h"

namespace kmirror::daemon {

/// The flows of the process (owned by the FlowSupervisor).
using Flows = std::vector<replicator::Flow*>;

std::vector<metrics::FlowSample> sample_flows(const Flows& flows);
/// 200 "ready" when every flow is ready and none stalled, else 503 with
/// each flow's reason.
metrics::HttpResponse readiness(const Flows& flows, const StallWatch::Stalls& stalls = {});
/// What StallWatch needs of each flow, sampled now.
std::vector<StallWatch::Sample> stall_samples(const Flows& flows);
/// One line for systemd's STATUS=: "mirroring: 2 flows, 18 partitions, lag
/// 0 records (0.0 s)" or the first reason a flow is not ready.
std::string status_line(const Flows& flows, const StallWatch::Stalls& stalls);
/// Flows, topics, partitions, lag and last errors as JSON, and the state
/// file's health. Never secrets: cluster properties are not part of it.
std::string status_json(const Flows& flows, const StateHealth& state = {});
metrics::StateSample state_sample(const StateHealth& state);

}  // namespace kmirror::daemon
