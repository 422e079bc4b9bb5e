#pragma once
// TopicFilter: which source topics a flow mirrors; GroupFilter: which
// consumer groups it translates. Include/exclude regexes must match the whole
// name (as MM2's); excludes win; internal topics and kmirror's own groups
// never pass.

#include <regex>
#include <string>
#include <vector>

namespace kmirror::replicator {

/// Kafka's and MirrorMaker 2's (and so kmirror's) internal topics:
/// "__consumer_offsets", "__transaction_state", "mm2-offset-syncs.dr.internal",
/// "primary.checkpoints.internal", "mm2-configs.primary.internal", ...
bool is_internal_topic(const std::string& topic);

/// "kmirror.<flow>": the source groups of kmirror's own workers.
bool is_kmirror_group(const std::string& group);

/// Full-match include/exclude regexes; excludes win.
class NameFilter {
public:
    /// Regexes were validated by config/; an invalid one throws std::regex_error.
    NameFilter(const std::vector<std::string>& include, const std::vector<std::string>& exclude);
    [[nodiscard]] bool matches(const std::string& name) const;

private:
    std::vector<std::regex> include_;
    std::vector<std::regex> exclude_;
};

class TopicFilter {
public:
    TopicFilter(const std::vector<std::string>& include, const std::vector<std::string>& exclude)
        : names_(include, exclude) {}
    [[nodiscard]] bool matches(const std::string& topic) const {
        return !is_internal_topic(topic) && names_.matches(topic);
    }

private:
    NameFilter names_;
};

class GroupFilter {
public:
    GroupFilter(const std::vector<std::string>& include, const std::vector<std::string>& exclude)
        : names_(include, exclude) {}
    [[nodiscard]] bool matches(const std::string& group) const {
        return !is_kmirror_group(group) && names_.matches(group);
    }

private:
    NameFilter names_;
};



}  // namespace kmirror::replicator
