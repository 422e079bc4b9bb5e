#include "replicator/replication_policy.h"

#include <algorithm>

namespace kmirror::replicator {
namespace {

std::string regex_escape(const std::string& s) {
    static const std::string special = R"(\^$.|?*+()[]{}/-)";
    std::string out;
    for (char c : s) {
        if (special.find(c) != std::string::npos) out += '\\';
        out += c;
    }
    return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
        s.replace(pos, from.size(), to);
    }
    return s;
}

}  // namespace

ReplicationPolicy::ReplicationPolicy(const config::Rename& rename, std::string source_alias)
    : rename_(rename),
      source_alias_(std::move(source_alias)),
      name_tells_origin_(rename.policy == config::RenamePolicy::prefix ||
                         (rename.policy == config::RenamePolicy::template_ &&
                          rename.format.find("{source}") != std::string::npos)) {
    if (rename_.policy == config::RenamePolicy::template_ && name_tells_origin_) {
        // "{source}.{topic}" -> ^([^.]+?)\.(.+)$ style matcher. Aliases cannot
        // contain the literal text around {source}, as with MM2's separator.
        const auto& f = rename_.format;
        source_first_ = f.find("{source}") < f.find("{topic}");
        std::string re = regex_escape(f);
        re = replace_all(re, regex_escape("{source}"), "([A-Za-z0-9_-]+)");
        re = replace_all(re, regex_escape("{topic}"), "(.+)");
        template_regex_ = std::regex("^" + re + "$");
    }
}

std::string ReplicationPolicy::remote_topic(const std::string& topic) const {
    switch (rename_.policy) {
        case config::RenamePolicy::prefix:
            return source_alias_ + rename_.separator + topic;
        case config::RenamePolicy::identity:
            return topic;
        case config::RenamePolicy::template_:
            return replace_all(replace_all(rename_.format, "{source}", source_alias_), "{topic}",
                               topic);
    }
    return topic;
}

std::optional<std::string> ReplicationPolicy::topic_source(const std::string& topic) const {
    switch (rename_.policy) {
        case config::RenamePolicy::prefix: {
            // MM2: the first element of split(separator), if there are two parts.
            const auto pos = topic.find(rename_.separator);
            if (pos == std::string::npos || pos == 0) return std::nullopt;
            if (pos + rename_.separator.size() >= topic.size()) return std::nullopt;
            return topic.substr(0, pos);
        }
        case config::RenamePolicy::identity:
            return std::nullopt;
        case config::RenamePolicy::template_: {
            if (!name_tells_origin_) return std::nullopt;
            std::smatch m;
            if (!std::regex_match(topic, m, template_regex_)) return std::nullopt;
            return m[source_first_ ? 1 : 2].str();
        }
    }
    return std::nullopt;
}

std::optional<std::string> ReplicationPolicy::upstream_topic(const std::string& topic) const {
    switch (rename_.policy) {
        case config::RenamePolicy::prefix: {
            auto source = topic_source(topic);
            if (!source) return std::nullopt;
            return topic.substr(source->size() + rename_.separator.size());
        }
        case config::RenamePolicy::identity:
            return std::nullopt;
        case config::RenamePolicy::template_: {
            if (!name_tells_origin_) return std::nullopt;
            std::smatch m;
            if (!std::regex_match(topic, m, template_regex_)) return std::nullopt;
            return m[source_first_ ? 2 : 1].str();
        }
    }
    return std::nullopt;
}

bool ReplicationPolicy::is_cycle(const std::string& topic, const std::string& target_alias) const {
    // Walk "b.a.orders" -> source b, then "a.orders" -> source a, ... (MM2's isCycle).
    std::string t = topic;
    for (int hops = 0; hops < 64; ++hops) {
        auto source = topic_source(t);
        if (!source) return false;
        if (*source == target_alias) return true;
        auto up = upstream_topic(t);
        if (!up || *up == t) return false;
        t = *up;
    }
    return false;
}

bool is_valid_topic_name(const std::string& name) {
    if (name.empty() || name.size() > kMaxTopicNameLength || name == "." || name == "..") {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

}  // namespace kmirror::replicator
