#include "replicator/group_coordinator.h"

#include "kafka/consumer.h"

namespace kmirror::replicator {

bool wait_for_group_coordinator(const kafka::ClientSettings& cluster,
                                const std::string& probe_group,
                                std::chrono::milliseconds timeout) {
    kafka::Consumer consumer(cluster, kafka::Overrides{{"group.id", probe_group},
                                                       {"client.id", probe_group},
                                                       {"enable.auto.commit", "false"}});
    // Any topic name: the lookup is for the group, no offset is expected.
    const bool answered =
        static_cast<bool>(consumer.committed({{"__kmirror_coordinator_probe", 0}}, timeout));
    consumer.close(std::chrono::seconds(2));
    return answered;
}

}  // namespace kmirror::replicator
