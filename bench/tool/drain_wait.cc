// drain-wait: polls the high watermarks of the target topics (ListOffsets)
// every --interval-ms until every partition holds exactly as many records as
// its source partition, and prints when the first record and the last one
// arrived (wall-clock ms, so bench/run.sh can subtract its own start time).
// Gives up after --timeout-s (exit 3) or when process --pid is gone (exit 4).
// The target topics start empty (run.sh deletes them between runs), so a
// partition's high watermark is its record count.

#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <sstream>
#include <thread>

#include "bench/tool/cluster.h"
#include "bench/tool/commands.h"

namespace kmirror::bench {

using namespace std::chrono_literals;

namespace {

struct Expectation {
    std::string target_topic;
    std::vector<std::int64_t> counts;  ///< per partition
    bool exists = false;               ///< the mirror created the target topic
};

Expectation expect(const std::string& spec) {
    std::stringstream in(spec);
    std::string bootstrap;
    std::string topic;
    Expectation e;
    if (!std::getline(in, bootstrap, ',') || !std::getline(in, topic, ',') ||
        !std::getline(in, e.target_topic) || e.target_topic.empty()) {
        throw UsageError("--expect '" + spec + "': expected SRC_BOOTSTRAP,TOPIC,TARGET_TOPIC");
    }
    Cluster source(bootstrap);
    const int partitions = source.partitions(topic);
    if (partitions == 0) throw std::runtime_error("no topic " + topic + " on " + bootstrap);
    for (const auto& [low, high] : source.watermarks(topic, partitions)) {
        e.counts.push_back(high - low);
    }
    return e;
}

}  // namespace

int run_drain_wait(Args& args) {
    const auto target_bootstrap = args.str("target");
    const auto specs = args.all("expect");
    const auto timeout = std::chrono::seconds(args.num("timeout-s", 600));
    const auto interval = std::chrono::milliseconds(args.num("interval-ms", 100));
    // The mirror's pid: waiting stops when it is gone.
    const auto mirror = static_cast<pid_t>(args.num("pid", 0));
    args.finish();
    if (specs.empty()) throw UsageError("drain-wait: at least one --expect");

    std::vector<Expectation> expected;
    std::int64_t total = 0;
    for (const auto& s : specs) {
        expected.push_back(expect(s));
        for (auto n : expected.back().counts) total += n;
    }
    Cluster target(target_bootstrap);
    const auto t0 = std::chrono::steady_clock::now();
    auto next_report = t0 + 10s;
    std::int64_t first_ms = -1;
    std::int64_t copied = 0;
    for (;;) {
        const auto tick = std::chrono::steady_clock::now();
        copied = 0;
        std::int64_t extra = 0;
        bool done = true;
        for (auto& e : expected) {
            // Metadata first: ListOffsets on a topic that does not exist yet
            // would wait out its whole timeout.
            e.exists = e.exists || target.partitions(e.target_topic) > 0;
            if (!e.exists) {
                done = false;
                continue;
            }
            std::vector<kafka::TopicPartition> tps;
            for (std::size_t p = 0; p < e.counts.size(); ++p) {
                tps.push_back({e.target_topic, static_cast<std::int32_t>(p)});
            }
            const auto hw = target.high_watermarks(tps, 2s);
            for (std::size_t p = 0; p < hw.size(); ++p) {
                const auto have = std::max<std::int64_t>(hw[p], 0);
                copied += std::min(have, e.counts[p]);
                extra += std::max<std::int64_t>(have - e.counts[p], 0);
                done = done && have >= e.counts[p];
            }
        }
        if (first_ms < 0 && (copied > 0 || extra > 0)) first_ms = wall_us() / 1000;
        if (done) {
            std::printf("drain first_ms=%lld done_ms=%lld records=%lld duplicates=%lld\n",
                        static_cast<long long>(first_ms), static_cast<long long>(wall_us() / 1000),
                        static_cast<long long>(total), static_cast<long long>(extra));
            return 0;
        }
        if (tick - t0 > timeout) break;
        if (mirror > 0 && kill(mirror, 0) != 0 && errno == ESRCH) {
            std::printf("drain exited first_ms=%lld records=%lld copied=%lld\n",
                        static_cast<long long>(first_ms), static_cast<long long>(total),
                        static_cast<long long>(copied));
            return 4;
        }
        if (tick > next_report) {
            std::fprintf(stderr, "drain-wait: %lld of %lld records after %.0f s\n",
                         static_cast<long long>(copied), static_cast<long long>(total),
                         seconds_since(t0));
            next_report += 10s;
        }
        std::this_thread::sleep_until(tick + interval);
    }
    std::printf("drain timeout first_ms=%lld records=%lld copied=%lld\n",
                static_cast<long long>(first_ms), static_cast<long long>(total),
                static_cast<long long>(copied));
    return 3;
}

}  // namespace kmirror::bench
