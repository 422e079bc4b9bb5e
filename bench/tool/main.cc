// mirror_bench_tool: the native parts of the mirror benchmark (bench/run.sh):
// loading a backlog, the ceiling, waiting for a drain, checking a copy, the
// latency probe, and the WAN delay. `mirror_bench_tool` alone prints usage.

#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <string>

#include "bench/tool/commands.h"

namespace {

constexpr const char* kUsage = R"(usage: mirror_bench_tool COMMAND --option value ...
  create-topic  --bootstrap B --topic T --partitions P [--config k=v]...
  delete-topics --bootstrap B --match REGEX            every topic matching (never __*), waits until gone
  load          --bootstrap B --topic T --records N --size S --partitions P [--seed X] [--config k=v]...
  ceiling       --source B --target B --topic T --target-topic T2 --size S [--seed X] [--timeout-s N]
  drain-wait    --target B --expect SRC_BOOTSTRAP,TOPIC,TARGET_TOPIC... [--timeout-s N] [--interval-ms N]
                [--pid MIRROR_PID]
  verify        --source B --target B --topic T --target-topic T2
  latency       --source B --target B --topic T --target-topic T2 --partitions P --rate R --size S
                --warmup-s W --seconds M [--timeout-s N]
  wan-delay     --queue N --delay-ms D                 NFQUEUE delay until SIGTERM (run.sh's WAN case)
)";

int dispatch(const std::string& cmd, kmirror::bench::Args& args) {
    using namespace kmirror::bench;
    if (cmd == "create-topic") return run_create_topic(args);
    if (cmd == "delete-topics") return run_delete_topics(args);
    if (cmd == "load") return run_load(args);
    if (cmd == "ceiling") return run_ceiling(args);
    if (cmd == "drain-wait") return run_drain_wait(args);
    if (cmd == "verify") return run_verify(args);
    if (cmd == "latency") return run_latency(args);
    if (cmd == "wan-delay") return run_wan_delay(args);
    throw UsageError("unknown command '" + cmd + "'");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    spdlog::set_level(spdlog::level::warn);
    try {
        kmirror::bench::Args args(argc, argv, 2);
        return dispatch(argv[1], args);
    } catch (const kmirror::bench::UsageError& e) {
        std::fprintf(stderr, "mirror_bench_tool: %s\n%s", e.what(), kUsage);
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mirror_bench_tool %s: %s\n", argv[1], e.what());
        return 1;
    }
}
