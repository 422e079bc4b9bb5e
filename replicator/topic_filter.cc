#include "replicator/topic_filter.h"

#include <algorithm>

namespace kmirror::replicator {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::regex> compile(const std::vector<std::string>& patterns) {
    std::vector<std::regex> out;
    out.reserve(patterns.size());
    for (const auto& p : patterns) out.emplace_back(p, std::regex::ECMAScript | std::regex::optimize);
    return out;
}

}  // namespace

NameFilter::NameFilter(const std::vector<std::string>& include,
                       const std::vector<std::string>& exclude)
    : include_(compile(include)), exclude_(compile(exclude)) {}

bool NameFilter::matches(const std::string& name) const {
    auto full = [&](const std::regex& re) { return std::regex_match(name, re); };
    if (std::any_of(exclude_.begin(), exclude_.end(), full)) return false;
    return std::any_of(include_.begin(), include_.end(), full);
}

bool is_kmirror_group(const std::string& group) { return group.starts_with("kmirror."); }

bool is_internal_topic(const std::string& topic) {
    // MM2's ReplicationPolicy.isInternalTopic, which also covers its own
    // mm2-offset-syncs / checkpoints / Connect topics, and so kmirror's.
    return topic.starts_with("__") || topic.starts_with(".") || ends_with(topic, ".internal") ||
           ends_with(topic, "-internal");
}

}  // namespace kmirror::replicator
