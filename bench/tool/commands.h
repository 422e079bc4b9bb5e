#pragma once
// The subcommands of mirror_bench_tool (bench/run.sh drives them; see
// docs/benchmarks.md). Each returns the process exit code: 0 done, 1 failed,
// 3 timed out, 4 the mirror exited; a bad command line throws UsageError (exit 2).

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/tool/args.h"

namespace kmirror::bench {

int run_create_topic(Args& args);
int run_delete_topics(Args& args);
int run_load(Args& args);
int run_ceiling(Args& args);
int run_drain_wait(Args& args);
int run_verify(Args& args);
int run_latency(Args& args);
int run_wan_delay(Args& args);

/// Seconds since `t0` on the steady clock.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Wall-clock time in microseconds since the epoch (record timestamps are
/// wall-clock milliseconds).
inline std::int64_t wall_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// `--config k=v` options as a map.
std::map<std::string, std::string> key_values(const std::vector<std::string>& items,
                                              const std::string& option);

/// A topic on the source and its copy on the target: --source, --target,
/// --topic and --target-topic.
struct Route {
    std::string source;
    std::string target;
    std::string topic;
    std::string target_topic;
};
Route read_route(Args& args);

}  // namespace kmirror::bench
