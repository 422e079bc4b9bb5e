// ceiling: what plain librdkafka clients do on the same brokers, the yardstick
// of a mirror's throughput (issue 16). A consumer drains the source topic
// while, at the same time, an idempotent producer (acks=all) writes the same
// records (regenerated, records.h) into a new target topic. Elapsed is until
// both are done; a mirror must do both and more, so it cannot beat this.

#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "bench/tool/cluster.h"
#include "bench/tool/commands.h"
#include "bench/tool/raw_clients.h"
#include "bench/tool/records.h"

namespace kmirror::bench {

using namespace std::chrono_literals;

int run_ceiling(Args& args) {
    const auto [source, target, topic, target_topic] = read_route(args);
    const auto size = args.num("size");
    const auto seed = static_cast<std::uint64_t>(args.num("seed", 1));
    const auto timeout = std::chrono::seconds(args.num("timeout-s", 600));
    args.finish();

    Cluster src(source);
    const int partitions = src.partitions(topic);
    if (partitions == 0) throw std::runtime_error("no topic " + topic + " on " + source);
    std::vector<std::int64_t> starts;
    std::int64_t records = 0;
    for (const auto& [low, high] : src.watermarks(topic, partitions)) {
        starts.push_back(low);
        records += high - low;
    }
    // Not timed: a mirror creates its target topic, but the ceiling measures
    // copying. Partitions answer ListOffsets once their leaders serve them
    // (a broker creating 2,000 logs takes a while).
    Cluster tgt(target);
    tgt.create_topic(target_topic, partitions);
    (void)tgt.watermarks(target_topic, partitions);
    const Records gen(static_cast<std::size_t>(size), seed);

    // Both clients with librdkafka's defaults, plus what a mirror's clients
    // would set: idempotence and acks=all (RawProducer), no group commits,
    // and a deep producer queue (bulk_producer_props).
    RawConsumer consumer(source, {});
    RawProducer producer(target, target_topic, bulk_producer_props(size));

    const auto t0 = std::chrono::steady_clock::now();
    const auto deadline = t0 + timeout;
    std::atomic<double> consume_s{-1};
    std::atomic<std::int64_t> consumed{0};
    consumer.assign(topic, starts);
    std::thread reader([&] {
        std::vector<kafka::MessagePtr> batch;
        std::int64_t n = 0;
        while (n < records && std::chrono::steady_clock::now() < deadline) {
            batch.clear();
            n += static_cast<std::int64_t>(consumer.consume(batch, 10000, 100ms));
        }
        consumed = n;
        if (n >= records) consume_s = seconds_since(t0);
    });
    (void)send_all(producer, gen, records, partitions);  // a failure shows in flush()
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const bool produced = producer.flush(std::max(left, std::chrono::milliseconds(1)));
    const double produce_s = seconds_since(t0);
    reader.join();
    const double elapsed = seconds_since(t0);
    if (!produced || consume_s < 0) {
        std::fprintf(stderr,
                     "ceiling: not done within %lld s: consumed %lld, produced %lld of %lld "
                     "records; %s%s\n",
                     static_cast<long long>(timeout.count()), static_cast<long long>(consumed.load()),
                     static_cast<long long>(producer.delivered()), static_cast<long long>(records),
                     producer.first_error().c_str(), consumer.first_error().c_str());
        return 3;
    }
    std::printf("ceiling: %lld records x %lld B, %d partitions: %.2f s (consume %.2f s, produce "
                "%.2f s)\n",
                static_cast<long long>(records), static_cast<long long>(size), partitions, elapsed,
                consume_s.load(), produce_s);
    // The ceiling's own cost, as run.sh reports a mirror's.
    rusage self{};
    (void)getrusage(RUSAGE_SELF, &self);
    const auto cpu = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    std::printf("result elapsed_s=%.3f consume_s=%.3f produce_s=%.3f records=%lld cpu_s=%.2f "
                "maxrss_kb=%ld\n",
                elapsed, consume_s.load(), produce_s, static_cast<long long>(records),
                cpu(self.ru_utime) + cpu(self.ru_stime), self.ru_maxrss);
    return 0;
}

}  // namespace kmirror::bench
