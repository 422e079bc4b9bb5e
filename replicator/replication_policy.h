#pragma once
// ReplicationPolicy: how a source topic is named on the target, and how a
// topic name tells which cluster it came from (MM2's ReplicationPolicy).
//
//   prefix   "orders" from "primary" -> "primary.orders" (MM2's DefaultReplicationPolicy)
//   identity "orders" -> "orders"; origin is tracked in record headers instead
//   template "dr-{topic}", "{source}.{topic}", ...

#include <optional>
#include <regex>
#include <string>

#include "config/config.h"

namespace kmirror::replicator {

/// Kafka's limit on topic names (Topic.MAX_NAME_LENGTH).
inline constexpr std::size_t kMaxTopicNameLength = 249;

class ReplicationPolicy {
public:
    ReplicationPolicy(const config::Rename& rename, std::string source_alias);

    /// The target-side name of a source topic.
    [[nodiscard]] std::string remote_topic(const std::string& topic) const;
    /// The cluster a topic was copied from, if its name says so.
    [[nodiscard]] std::optional<std::string> topic_source(const std::string& topic) const;
    /// The name the topic had on the cluster it was copied from.
    [[nodiscard]] std::optional<std::string> upstream_topic(const std::string& topic) const;
    /// True when a topic on the source is (a copy of a copy of ...) data that
    /// came from `target_alias`: mirroring it there would close a loop.
    [[nodiscard]] bool is_cycle(const std::string& topic, const std::string& target_alias) const;
    /// True when names cannot tell origins apart, so records carry a
    /// provenance header (kHopsHeader) and are never sent back.
    [[nodiscard]] bool uses_provenance_headers() const noexcept { return !name_tells_origin_; }

    /// One header per hop, naming the cluster the record was copied from.
    static constexpr const char* kHopsHeader = "kmirror.hops";

private:
    config::Rename rename_;
    std::string source_alias_;
    bool name_tells_origin_;
    std::regex template_regex_;  // template with {source}: group 1 = source, 2 = topic
    bool source_first_ = true;   // order of the groups in template_regex_
};

/// A valid Kafka topic name: 1..249 of [a-zA-Z0-9._-], not "." or "..".
bool is_valid_topic_name(const std::string& name);

}  // namespace kmirror::replicator
