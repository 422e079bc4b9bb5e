#include "bench/tool/cluster.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "kafka/error.h"

namespace kmirror::bench {
namespace {

using namespace std::chrono_literals;

kafka::ClientSettings settings(const std::string& bootstrap) { return {"bench", bootstrap, {}}; }

}  // namespace

Cluster::Cluster(const std::string& bootstrap)
    : bootstrap_(bootstrap),
      admin_(settings(bootstrap)),
      // A group.id only so that closing does not complain; never joined.
      offsets_(settings(bootstrap), {{"group.id", "mirror-bench"}}) {}

int Cluster::partitions(const std::string& topic) {
    auto md = admin_.metadata(10s, &topic);
    if (!md) throw std::runtime_error(bootstrap_ + ": metadata: " + md.error().message());
    for (const auto& t : md.value().topics) {
        if (t.name == topic) return t.partitions;
    }
    return 0;
}

std::vector<std::string> Cluster::topics() {
    auto md = admin_.metadata(10s);
    if (!md) throw std::runtime_error(bootstrap_ + ": metadata: " + md.error().message());
    std::vector<std::string> out;
    for (const auto& t : md.value().topics) out.push_back(t.name);
    return out;
}

void Cluster::create_topic(const std::string& topic, int partitions,
                           const std::map<std::string, std::string>& configs) {
    const int existing = this->partitions(topic);
    if (existing == partitions) return;
    if (existing != 0) {
        throw std::runtime_error(bootstrap_ + ": topic " + topic + " exists with " +
                                 std::to_string(existing) + " partitions, not " +
                                 std::to_string(partitions));
    }
    for (const auto& r : admin_.create_topics({{topic, partitions, 1, configs}}, 60s)) {
        if (r.error && !kafka::is(r.error, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)) {
            throw std::runtime_error(bootstrap_ + ": create " + topic + ": " + r.message);
        }
    }
    // KRaft metadata is eventually consistent (tests/harness/README.md).
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (this->partitions(topic) != partitions) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error(bootstrap_ + ": topic " + topic + " not visible after 60 s");
        }
        std::this_thread::sleep_for(50ms);
    }
}

void Cluster::delete_topics(const std::vector<std::string>& topics, std::chrono::seconds timeout) {
    if (topics.empty()) return;
    for (const auto& r : admin_.delete_topics(topics, timeout)) {
        if (r.error && !kafka::is(r.error, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)) {
            throw std::runtime_error(bootstrap_ + ": delete " + r.topic + ": " + r.message);
        }
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = this->topics();
        const bool gone = std::none_of(topics.begin(), topics.end(), [&](const std::string& t) {
            return std::find(left.begin(), left.end(), t) != left.end();
        });
        if (gone) return;
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error(bootstrap_ + ": deleted topics still listed after " +
                                     std::to_string(timeout.count()) + " s");
        }
        std::this_thread::sleep_for(100ms);
    }
}

std::vector<std::pair<std::int64_t, std::int64_t>> Cluster::watermarks(const std::string& topic,
                                                                       int partitions) {
    std::vector<kafka::TopicPartition> tps;
    for (int p = 0; p < partitions; ++p) tps.push_back({topic, p});
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    // A topic created a moment ago may not have its leaders yet: ask again.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
        const auto high = high_watermarks(tps, 10s);
        out.assign(static_cast<std::size_t>(partitions), {-1, -1});
        for (const auto& o : admin_.earliest_offsets(tps, 10s)) {
            out[static_cast<std::size_t>(o.partition)].first = o.offset;
        }
        bool complete = true;
        for (std::size_t p = 0; p < out.size(); ++p) {
            out[p].second = high[p];
            complete = complete && out[p].first >= 0 && out[p].second >= 0;
        }
        if (complete) return out;
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error(bootstrap_ + ": no watermarks for every partition of " +
                                     topic + " within 60 s");
        }
        std::this_thread::sleep_for(200ms);
    }
}

std::vector<std::int64_t> Cluster::high_watermarks(
    const std::vector<kafka::TopicPartition>& partitions, std::chrono::milliseconds timeout) {
    std::vector<std::int64_t> out(partitions.size(), -1);
    const auto got = offsets_.latest_offsets(partitions, timeout);
    // Answers come back in request order, minus failed partitions.
    std::size_t i = 0;
    for (const auto& o : got) {
        while (i < partitions.size() &&
               (partitions[i].topic != o.topic || partitions[i].partition != o.partition)) {
            ++i;
        }
        if (i < partitions.size()) out[i++] = o.offset;
    }
    return out;
}

}  // namespace kmirror::bench
