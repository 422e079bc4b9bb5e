#pragma once
// Making sure a cluster's group coordinator is ready before kmirror writes
// group offsets there with the Admin API.
//
// Why: Kafka creates __consumer_offsets at the first group-coordinator lookup,
// and while it is being created and loaded, coordinators answer
// COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS.
// librdkafka 2.0.2's admin offset calls (AlterConsumerGroupOffsets,
// ListConsumerGroupOffsets) handle some of those answers by poking the
// client's consumer-group handle, which an admin client does not have: the
// process crashes (seen with 1,000 new groups written to a fresh DR cluster;
// confluent-kafka-javascript#374 shows the null rd_kafka_cgrp). A consumer's
// own committed-offsets lookup handles them (it has the group handle), so it
// is what creates and waits for the topic here.

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
