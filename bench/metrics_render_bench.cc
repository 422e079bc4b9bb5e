// How long /metrics takes to render for many partitions (issue: under 50 ms
// for 10,000 partitions). Prints milliseconds per render; not a test.
//
//   build/release/bench/metrics_render_bench [partitions]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "metrics/exposition.h"

int main(int argc, char** argv) {
    using namespace kmirror::metrics;
    const int partitions = argc > 1 ? std::atoi(argv[1]) : 10'000;
    FlowSample f;
    f.flow = "primary-to-dr";
    f.ready = true;
    f.latency = {{0.001, 0.01, 0.1, 1, 10}, {1, 2, 3, 4, 5, 6}, 10};
    const int topics = std::max(1, partitions / 100);
    for (int t = 0; t < topics; ++t) {
        f.topics.push_back({"topic-" + std::to_string(t), 1000, 100000, 0});
        for (int p = 0; p < partitions / topics; ++p) {
            f.partitions.push_back({"topic-" + std::to_string(t), p, 42, 0.5});
        }
    }
    constexpr int kRounds = 20;
    std::size_t bytes = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRounds; ++i) bytes = render({f}, {"bench", "x"}, {true}).size();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                                start)
                          .count() /
                      kRounds;
    std::printf("render of %d partitions (%d topics): %.2f ms, %zu bytes\n", partitions, topics,
                ms, bytes);
}
