#include "replicator/heartbeat_emitter.h"

#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "kafka/error.h"
#include "checkpoints/mm2_records.h"
#include "replicator/internal_topic.h"

namespace kmirror::replicator {
namespace {

using namespace std::chrono_literals;

}  // namespace

HeartbeatEmitter::HeartbeatEmitter(const config::Flow& flow, const kafka::ClientSettings& source,
                                   kafka::Admin& source_admin, FlowStats& stats)
    : flow_(flow), source_admin_(source_admin), stats_(stats) {
    producer_ = std::make_unique<kafka::Producer>(
        source,
        kafka::Overrides{{"acks", "all"},
                         {"client.id", "kmirror-" + flow.name + "-heartbeats"},
                         // A heartbeat that cannot be written soon is worthless:
                         // the next one replaces it.
                         {"message.timeout.ms", std::to_string(std::max<std::int64_t>(
                                                    10'000, flow.heartbeat_interval.count() * 5))},
                         {"linger.ms", "0"}},
        this);
}

HeartbeatEmitter::~HeartbeatEmitter() = default;

bool HeartbeatEmitter::ensure_topic(int source_brokers) {
    const std::string topic = checkpoints::heartbeats_topic();
    const auto error = ensure_internal_topic(source_admin_, topic, source_brokers);
    if (!error) return true;
    spdlog::error("flow '{}': cannot create topic '{}' on source cluster '{}': {}; heartbeats "
                  "are not emitted",
                  flow_.name, topic, flow_.source, *error);
    return false;
}

void HeartbeatEmitter::emit() {
    const checkpoints::Heartbeat hb{flow_.source, flow_.target, now_ms()};
    auto encoded = checkpoints::encode(hb);
    if (!encoded) return;  // aliases are validated names, far below the 32767-byte limit
    kafka::Record record{checkpoints::heartbeats_topic(), 0, std::move(encoded.value().key),
                         std::move(encoded.value().value), {}, hb.timestamp_ms};
    if (auto r = producer_->produce(record); !r && !warned_) {
        warned_ = true;
        spdlog::warn("flow '{}': heartbeat not sent to '{}': {}", flow_.name, flow_.source,
                     r.error().message());
    }
    producer_->poll(0ms);
}

void HeartbeatEmitter::on_delivery(kafka::DeliveryReport& report) noexcept {
    if (!report.error) {
        stats_.heartbeats_sent.fetch_add(1, std::memory_order_relaxed);
        warned_ = false;
        return;
    }
    if (!warned_) {
        warned_ = true;
        spdlog::warn("flow '{}': heartbeat to source cluster '{}' failed: {}", flow_.name,
                     flow_.source, report.error_message);
    }
}

}  // namespace kmirror::replicator
