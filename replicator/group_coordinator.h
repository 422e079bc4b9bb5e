#pragma once
// Making sure a cluster's group coordinator is ready before kmirror writes
// group offsets there with the Admin API.
//
// Why: Kafka creates __consumer_offsets at the first group-coordinator lookup,
// and while it is being created and loaded, coordinators answer
// COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS.
// librdkafka's admin ListConsumerGroupOffsets handles some of those answers
// by poking the client's consumer-group handle, which an admin client does
// not have: the process crashes (seen with librdkafka 2.0.2 and 1,000 new
// groups written to a fresh DR cluster). librdkafka 2.8.0 still passed that
// null handle on the same error path (librdkafka#5040 and
// confluent-kafka-javascript#374; no fix in the changelog up to 2.14.2, which
// kmirror builds with), so the guard stays. A consumer's own
// committed-offsets lookup handles these answers (it has the group handle),
// so it is what creates and waits for the topic here: one lookup per flow
// start, cheap next to a crash. Since 2.10 that lookup can itself end early
// with NOT_COORDINATOR while the topic loads, so it is repeated until the
// timeout.

#include <chrono>
#include <string>

#include "kafka/client_base.h"

namespace kmirror::replicator {

/// True once the cluster's __consumer_offsets exists and a coordinator
/// answered an offset lookup for `probe_group`, within `timeout`.
bool wait_for_group_coordinator(const kafka::ClientSettings& cluster,
                                const std::string& probe_group,
                                std::chrono::milliseconds timeout);

}  // namespace kmirror::replicator
