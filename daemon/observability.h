#pragma once
// What the HTTP endpoint shows of the running flows: Prometheus samples,
// readiness and the /status document. Reads snapshots and atomics only, so
// it is cheap to call on the io_context thread.

#include <memory>
#include <string>
#include <vector>

#include "metrics/http_server.h"
#include "metrics/samples.h"
#include "replicator/flow.h"

namespace kmirror::daemon {

using Flows = std::vector<std::unique_ptr<replicator::Flow>>;

std::vector<metrics::FlowSample> sample_flows(const Flows& flows);
/// 200 "ready" when every flow is ready, else 503 with each flow's reason.
metrics::HttpResponse readiness(const Flows& flows);
/// Flows, topics, partitions, lag and last errors as JSON. Never secrets:
/// cluster properties are not part of it.
std::string status_json(const Flows& flows);

}  // namespace kmirror::daemon
