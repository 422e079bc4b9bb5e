#include "config/config.h"

namespace kmirror::config {

std::vector<std::string> default_config_exclude() {
    // MM2's DefaultConfigPropertyFilter list (config.properties.exclude): throttles and
    // timestamp handling belong to the target cluster, unclean leader election and
    // min.insync.replicas to its durability settings. The two message.timestamp.*.max.ms keys
    // replace message.timestamp.difference.max.ms from Kafka 3.6 (KIP-937) and are excluded
    // for the same reason. Plain names: the list is compared exactly (MM2 uses regexes, with the
    // dots escaped).
    return {
        "follower.replication.throttled.replicas", "leader.replication.throttled.replicas",
        "message.timestamp.difference.max.ms",     "message.timestamp.type",
        "unclean.leader.election.enable",          "min.insync.replicas",
        "message.timestamp.before.max.ms",         "message.timestamp.after.max.ms",
    };
}

}  // namespace kmirror::config
