// verify: checks a mirror's copy record by record. Every partition of the
// target topic must hold the records of the same source partition, in order,
// with the same key, value and timestamp, and nothing else.

#include <cstdio>
#include <functional>
#include <string_view>

#include "bench/tool/cluster.h"
#include "bench/tool/commands.h"
#include "bench/tool/raw_clients.h"

namespace kmirror::bench {

using namespace std::chrono_literals;

namespace {

struct Digest {
    std::size_t key = 0;
    std::size_t value = 0;
    std::int64_t timestamp = 0;
    bool operator==(const Digest&) const = default;
};

/// Digests of every record of `topic` between the watermarks, per partition.
std::vector<std::vector<Digest>> read_all(const std::string& bootstrap, const std::string& topic,
                                          int partitions) {
    Cluster cluster(bootstrap);
    const auto marks = cluster.watermarks(topic, partitions);
    std::vector<std::int64_t> starts;
    std::int64_t total = 0;
    for (const auto& [low, high] : marks) {
        starts.push_back(low);
        total += high - low;
    }
    std::vector<std::vector<Digest>> out(static_cast<std::size_t>(partitions));
    RawConsumer consumer(bootstrap, {});
    consumer.assign(topic, starts);
    std::vector<kafka::MessagePtr> batch;
    std::int64_t seen = 0;
    const auto deadline = std::chrono::steady_clock::now() + 10min;
    while (seen < total) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("reading " + topic + " timed out");
        }
        batch.clear();
        consumer.consume(batch, 10000, 100ms);
        for (const auto& m : batch) {
            const auto p = static_cast<std::size_t>(m->partition);
            if (m->offset >= marks[p].second) continue;
            const std::hash<std::string_view> h;
            out[p].push_back(
                {m->key ? h({static_cast<const char*>(m->key), m->key_len}) : 0,
                 m->payload ? h({static_cast<const char*>(m->payload), m->len}) : 1,
                 rd_kafka_message_timestamp(m.get(), nullptr)});
            ++seen;
        }
    }
    return out;
}

}  // namespace

int run_verify(Args& args) {
    const auto [source, target, topic, target_topic] = read_route(args);
    args.finish();

    const int partitions = Cluster(source).partitions(topic);
    const int target_partitions = Cluster(target).partitions(target_topic);
    if (partitions == 0 || partitions != target_partitions) {
        std::printf("verify: %s has %d partitions, %s has %d\n", topic.c_str(), partitions,
                    target_topic.c_str(), target_partitions);
        return 1;
    }
    const auto want = read_all(source, topic, partitions);
    const auto have = read_all(target, target_topic, partitions);
    std::int64_t records = 0;
    std::int64_t missing = 0;
    std::int64_t extra = 0;
    std::int64_t different = 0;
    for (std::size_t p = 0; p < want.size(); ++p) {
        records += static_cast<std::int64_t>(want[p].size());
        const auto common = std::min(want[p].size(), have[p].size());
        for (std::size_t i = 0; i < common; ++i) {
            if (!(want[p][i] == have[p][i])) {
                if (different++ < 5) {
                    std::printf("verify: %s[%zu] record %zu differs from the source's\n",
                                target_topic.c_str(), p, i);
                }
            }
        }
        if (want[p].size() > common) missing += static_cast<std::int64_t>(want[p].size() - common);
        if (have[p].size() > common) extra += static_cast<std::int64_t>(have[p].size() - common);
    }
    std::printf("verify: %s -> %s: %lld records, %lld missing, %lld extra, %lld different\n",
                topic.c_str(), target_topic.c_str(), static_cast<long long>(records),
                static_cast<long long>(missing), static_cast<long long>(extra),
                static_cast<long long>(different));
    return missing == 0 && extra == 0 && different == 0 ? 0 : 1;
}

}  // namespace kmirror::bench
