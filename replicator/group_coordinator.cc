#include "replicator/group_coordinator.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "kafka/consumer.h"

namespace kmirror::replicator {

bool wait_for_group_coordinator(const kafka::ClientSettings& cluster,
                                const std::string& probe_group,
                                std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    kafka::Consumer consumer(cluster, kafka::Overrides{{"group.id", probe_group},
                                                       {"client.id", probe_group},
                                                       {"enable.auto.commit", "false"}});
    // Any topic name: the lookup is for the group, no offset is expected.
    // librdkafka 2.14 can give up on a coordinator still loading before the
    // timeout (it answers with the error then): asked again until it passes.
    bool answered = false;
    const auto time_left = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
    };
    for (auto left = time_left(); left > std::chrono::milliseconds::zero(); left = time_left()) {
        auto r = consumer.committed({{"__kmirror_coordinator_probe", 0}}, left);
        if (r) {
            answered = true;
            break;
        }
        spdlog::debug("cluster '{}': group coordinator lookup: {}", cluster.cluster,
                      r.error().message());
        // Paces the next lookup (and serves the client's events).
        (void)consumer.poll(std::min(left, std::chrono::milliseconds(200)));
    }
    consumer.close(std::chrono::seconds(2));
    return answered;
}

}  // namespace kmirror::replicator
