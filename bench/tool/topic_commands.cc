// create-topic, delete-topics and load: setting up a workload's source topics
// and clearing a cluster between runs.

#include <cstdio>
#include <regex>

#include "bench/tool/cluster.h"
#include "bench/tool/commands.h"
#include "bench/tool/raw_clients.h"
#include "bench/tool/records.h"

namespace kmirror::bench {

using namespace std::chrono_literals;

std::map<std::string, std::string> key_values(const std::vector<std::string>& items,
                                              const std::string& option) {
    std::map<std::string, std::string> out;
    for (const auto& kv : items) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
            throw UsageError("--" + option + " '" + kv + "': expected key=value");
        }
        out[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    return out;
}

Route read_route(Args& args) {
    return {args.str("source"), args.str("target"), args.str("topic"), args.str("target-topic")};
}

int run_create_topic(Args& args) {
    const auto bootstrap = args.str("bootstrap");
    const auto topic = args.str("topic");
    const auto partitions = static_cast<int>(args.num("partitions"));
    const auto configs = key_values(args.all("config"), "config");
    args.finish();
    Cluster(bootstrap).create_topic(topic, partitions, configs);
    return 0;
}

int run_delete_topics(Args& args) {
    const auto bootstrap = args.str("bootstrap");
    const std::regex match(args.str("match"));
    args.finish();
    Cluster cluster(bootstrap);
    std::vector<std::string> doomed;
    for (const auto& t : cluster.topics()) {
        if (t.rfind("__", 0) != 0 && std::regex_match(t, match)) doomed.push_back(t);
    }
    cluster.delete_topics(doomed, 120s);
    std::printf("deleted %zu topic(s)\n", doomed.size());
    return 0;
}

int run_load(Args& args) {
    const auto bootstrap = args.str("bootstrap");
    const auto topic = args.str("topic");
    const auto records = args.num("records");
    const auto size = args.num("size");
    const auto partitions = static_cast<int>(args.num("partitions"));
    const auto seed = static_cast<std::uint64_t>(args.num("seed", 1));
    const auto configs = key_values(args.all("config"), "config");
    args.finish();
    if (records <= 0 || size < 0 || partitions <= 0) throw UsageError("load: bad sizes");

    Cluster cluster(bootstrap);
    cluster.create_topic(topic, partitions, configs);
    std::int64_t present = 0;
    for (const auto& [low, high] : cluster.watermarks(topic, partitions)) present += high - low;
    if (present == records) {
        std::printf("load: %s already holds %lld records\n", topic.c_str(),
                    static_cast<long long>(records));
        return 0;
    }
    if (present != 0) {
        std::fprintf(stderr, "load: %s holds %lld records, neither 0 nor %lld\n", topic.c_str(),
                     static_cast<long long>(present), static_cast<long long>(records));
        return 1;
    }

    const Records gen(static_cast<std::size_t>(size), seed);
    RawProducer producer(bootstrap, topic, bulk_producer_props(size));
    const auto t0 = std::chrono::steady_clock::now();
    if (!send_all(producer, gen, records, partitions) || !producer.flush(10min) ||
        producer.delivered() != records) {
        std::fprintf(stderr, "load: %s: %lld of %lld records delivered: %s\n", topic.c_str(),
                     static_cast<long long>(producer.delivered()),
                     static_cast<long long>(records), producer.first_error().c_str());
        return 1;
    }
    const double s = seconds_since(t0);
    std::printf("load: %s: %lld records x %lld B into %d partitions in %.2f s (%.0f rec/s, %.1f "
                "MB/s)\n",
                topic.c_str(), static_cast<long long>(records), static_cast<long long>(size),
                partitions, s, static_cast<double>(records) / s,
                static_cast<double>(records * size) / 1e6 / s);
    return 0;
}

}  // namespace kmirror::bench
