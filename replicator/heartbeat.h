#pragma once
// MirrorMaker 2's heartbeat record (connect/mirror-client Heartbeat.java):
//   key   = sourceClusterAlias:STRING, targetClusterAlias:STRING
//   value = version:INT16 (0), timestamp:INT64 (epoch ms)
// STRING = INT16 length + UTF-8 bytes; all integers big-endian. Written to the
// source cluster's "heartbeats" topic, partition 0, and mirrored like any
// topic, so MM2's tooling (MirrorClient, RemoteClusterUtils) sees the hops.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace kmirror::replicator {

struct Heartbeat {
    std::string source_alias;
    std::string target_alias;
    std::int64_t timestamp_ms = 0;
    bool operator==(const Heartbeat&) const = default;
};

/// The heartbeats topic name (MM2's ReplicationPolicy.heartbeatsTopic()).
inline constexpr const char* kHeartbeatsTopic = "heartbeats";

std::string encode_heartbeat_key(const Heartbeat& hb);
std::string encode_heartbeat_value(const Heartbeat& hb);
/// nullopt for truncated or malformed records (trailing bytes are ignored,
/// as by Java's Schema.read).
std::optional<Heartbeat> decode_heartbeat(std::span<const std::byte> key,
                                          std::span<const std::byte> value);

}  // namespace kmirror::replicator
