#include "replicator/internal_topic.h"

#include <algorithm>
#include <chrono>

#include "kafka/error.h"

namespace kmirror::replicator {

std::optional<std::string> ensure_internal_topic(kafka::Admin& admin, const std::string& topic,
                                                 int brokers) {
    const int rf = std::max(1, std::min(3, brokers));
    auto res = admin.create_topics({{topic, 1, rf, {{"cleanup.policy", "compact"}}}},
                                   std::chrono::seconds(10));
    if (res.empty() || !res[0].error ||
        kafka::is(res[0].error, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)) {
        return std::nullopt;
    }
    return res[0].message;
}

}  // namespace kmirror::replicator
