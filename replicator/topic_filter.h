#pragma once
// TopicFilter: which source topics a flow mirrors. Include/exclude regexes
// must match the whole name (as MM2's); excludes win; internal topics never pass.

#include <regex>
#include <string>
#include <vector>

namespace kmirror::replicator {

class TopicFilter {
public:
    /// Regexes were validated by config/; an invalid one throws std::regex_error.
    TopicFilter(const std::vector<std::string>& include, const std::vector<std::string>& exclude);
    [[nodiscard]] bool matches(const std::string& topic) const;

private:
    std::vector<std::regex> include_;
    std::vector<std::regex> exclude_;
};

/// Kafka's and MirrorMaker 2's (and so kmirror's) internal topics:
/// "__consumer_offsets", "__transaction_state", "mm2-offset-syncs.dr.internal",
/// "primary.checkpoints.internal", "mm2-configs.primary.internal", ...
bool is_internal_topic(const std::string& topic);

}  // namespace kmirror::replicator
