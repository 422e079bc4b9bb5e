#pragma once
// HeartbeatEmitter: writes this flow's heartbeat (source alias, target alias,
// now) to the source cluster's "heartbeats" topic, which the flow then
// mirrors like any topic. The newest heartbeat acknowledged by the target
// tells how far behind the target is, even when business topics are idle.
//
// @thread the flow's admin thread.

#include <memory>
#include <string>

#include "config/config.h"
#include "kafka/admin.h"
#include "kafka/producer.h"
#include "replicator/flow_stats.h"

namespace kmirror::replicator {

class HeartbeatEmitter : public kafka::DeliveryHandler {
public:
    HeartbeatEmitter(const config::Flow& flow, const kafka::ClientSettings& source,
                     kafka::Admin& source_admin, FlowStats& stats);
    ~HeartbeatEmitter() override;

    /// Creates the heartbeats topic on the source if missing (1 partition,
    /// compacted, as MM2 does). False if it neither exists nor could be made.
    bool ensure_topic(int source_brokers);
    /// Sends one heartbeat and serves earlier delivery reports.
    void emit();
    void on_delivery(kafka::DeliveryReport& report) noexcept override;

private:
    const config::Flow& flow_;
    kafka::Admin& source_admin_;
    FlowStats& stats_;
    bool warned_ = false;  // one log line per failure streak
    std::unique_ptr<kafka::Producer> producer_;
};

}  // namespace kmirror::replicator
