// latency: the replication latency a producer and a consumer of the mirrored
// topic see. Produces records to the source at a steady rate, consumes the
// mirrored topic on the target, and takes for each record its arrival time
// minus its timestamp. The timestamp is also written into the value in
// microseconds (the record's own CreateTime has milliseconds only), with the
// record's sequence number. Records sent during the warm-up are not counted.

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

#include "bench/tool/cluster.h"
#include "bench/tool/commands.h"
#include "bench/tool/raw_clients.h"
#include "bench/tool/records.h"

namespace kmirror::bench {

using namespace std::chrono_literals;

namespace {

/// What the value carries in its first 16 bytes.
struct Stamp {
    std::int64_t seq;
    std::int64_t sent_us;
};

double percentile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0;
    const auto i = static_cast<std::size_t>(q * static_cast<double>(sorted.size()));
    return sorted[std::min(sorted.size() - 1, i)];
}

/// Waits until `topic` exists on `target` with `partitions` partitions.
bool wait_for_topic(Cluster& target, const std::string& topic, int partitions,
                    std::chrono::steady_clock::time_point deadline) {
    while (target.partitions(topic) < partitions) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(100ms);
    }
    return true;
}

}  // namespace

int run_latency(Args& args) {
    const auto [source, target, topic, target_topic] = read_route(args);
    const auto partitions = static_cast<int>(args.num("partitions"));
    const auto rate = args.num("rate");
    const auto size = std::max<std::int64_t>(args.num("size"), sizeof(Stamp));
    const auto warmup = std::chrono::seconds(args.num("warmup-s"));
    const auto measured = std::chrono::seconds(args.num("seconds"));
    const auto timeout = std::chrono::seconds(args.num("timeout-s", 120));
    args.finish();
    if (rate <= 0 || partitions <= 0) throw UsageError("latency: bad rate or partitions");

    Cluster src(source);
    src.create_topic(topic, partitions);
    Cluster tgt(target);
    if (!wait_for_topic(tgt, target_topic, partitions, std::chrono::steady_clock::now() + timeout)) {
        std::fprintf(stderr, "latency: %s did not appear on the target within %lld s\n",
                     target_topic.c_str(), static_cast<long long>(timeout.count()));
        return 3;
    }
    // Start exactly at the current ends (an END offset is resolved lazily,
    // and records arriving before that would be skipped).
    std::vector<kafka::TopicPartition> tps;
    for (int p = 0; p < partitions; ++p) tps.push_back({target_topic, p});
    // Right after the mirror created the topic its leaders may not be known yet.
    auto starts = tgt.high_watermarks(tps, 5s);
    for (const auto until = std::chrono::steady_clock::now() + 60s;
         std::count(starts.begin(), starts.end(), -1) > 0; starts = tgt.high_watermarks(tps, 5s)) {
        if (std::chrono::steady_clock::now() > until) {
            throw std::runtime_error("no high watermarks for " + target_topic);
        }
        std::this_thread::sleep_for(200ms);
    }

    const std::int64_t warm = rate * warmup.count();
    const std::int64_t total = warm + rate * measured.count();
    // seq -1 ... -partitions: one priming record per partition, sent first;
    // the steady load starts once each has arrived (the mirror is live).
    std::vector<char> seen(static_cast<std::size_t>(total), 0);
    std::vector<double> latency_ms;
    latency_ms.reserve(static_cast<std::size_t>(total - warm));
    std::atomic<int> primed{0};
    std::atomic<std::int64_t> received{0};
    std::atomic<std::int64_t> duplicates{0};
    std::atomic<bool> stop{false};
    RawConsumer consumer(target, {});
    consumer.assign(target_topic, starts);
    std::thread reader([&] {
        std::vector<kafka::MessagePtr> batch;
        std::vector<char> primed_partition(static_cast<std::size_t>(partitions), 0);
        while (!stop) {
            batch.clear();
            consumer.consume(batch, 1000, 50ms);
            const auto now = wall_us();
            for (const auto& m : batch) {
                if (m->len < sizeof(Stamp)) continue;
                Stamp s{};
                std::memcpy(&s, m->payload, sizeof s);
                if (s.seq < 0) {
                    auto& p = primed_partition[static_cast<std::size_t>(m->partition)];
                    if (!p) {
                        p = 1;
                        ++primed;
                    }
                    continue;
                }
                if (s.seq >= total) continue;
                auto& flag = seen[static_cast<std::size_t>(s.seq)];
                if (flag) {
                    ++duplicates;
                    continue;
                }
                flag = 1;
                ++received;
                if (s.seq >= warm) latency_ms.push_back(static_cast<double>(now - s.sent_us) / 1e3);
            }
        }
    });

    // linger.ms=1: the probe's own batching adds at most a millisecond.
    RawProducer producer(source, topic, {{"linger.ms", "1"}});
    std::string value(static_cast<std::size_t>(size), 'x');
    char key[12];
    const auto send = [&](std::int64_t seq, std::int32_t partition) {
        const Stamp s{seq, wall_us()};
        std::memcpy(value.data(), &s, sizeof s);
        return producer.send(partition, Records::key(seq, key), value, s.sent_us / 1000);
    };
    const auto fail = [&](const char* what) {
        stop = true;
        reader.join();
        std::fprintf(stderr, "latency: %s %s\n", what, producer.first_error().c_str());
        return 3;
    };
    const auto prime_deadline = std::chrono::steady_clock::now() + timeout;
    for (auto next = std::chrono::steady_clock::now(); primed < partitions; next += 1s) {
        if (std::chrono::steady_clock::now() > prime_deadline) {
            return fail("the mirror did not copy a first record of every partition in time");
        }
        for (int p = 0; p < partitions; ++p) (void)send(-1 - p, p);
        producer.poll();
        while (primed < partitions && std::chrono::steady_clock::now() < next + 1s) {
            std::this_thread::sleep_for(10ms);
        }
    }

    // The steady load: record i is due at t0 + i / rate.
    const auto t0 = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < total;) {
        const auto due = static_cast<std::int64_t>(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() *
            static_cast<double>(rate));
        for (; i < std::min(due, total); ++i) {
            if (!send(i, static_cast<std::int32_t>(i % partitions))) return fail("produce failed:");
        }
        producer.poll();
        std::this_thread::sleep_for(500us);
    }
    const double send_s = seconds_since(t0);
    if (!producer.flush(timeout)) return fail("flush failed:");
    const auto drain_deadline = std::chrono::steady_clock::now() + timeout;
    while (received < total && std::chrono::steady_clock::now() < drain_deadline) {
        std::this_thread::sleep_for(50ms);
    }
    stop = true;
    reader.join();

    std::sort(latency_ms.begin(), latency_ms.end());
    const auto missing = total - received.load();
    std::printf("latency: %lld records at %lld/s (sent in %.1f s), %lld measured after %lld s of "
                "warm-up: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms; %lld missing, "
                "%lld duplicates\n",
                static_cast<long long>(total), static_cast<long long>(rate), send_s,
                static_cast<long long>(latency_ms.size()), static_cast<long long>(warmup.count()),
                percentile(latency_ms, 0.50), percentile(latency_ms, 0.99),
                percentile(latency_ms, 0.999), latency_ms.empty() ? 0.0 : latency_ms.back(),
                static_cast<long long>(missing), static_cast<long long>(duplicates.load()));
    std::printf("result p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f samples=%zu missing=%lld "
                "duplicates=%lld rate=%.0f\n",
                percentile(latency_ms, 0.50), percentile(latency_ms, 0.99),
                percentile(latency_ms, 0.999), latency_ms.empty() ? 0.0 : latency_ms.back(),
                latency_ms.size(), static_cast<long long>(missing),
                static_cast<long long>(duplicates.load()),
                static_cast<double>(total) / send_s);
    return missing == 0 ? 0 : 1;
}

}  // namespace kmirror::bench
