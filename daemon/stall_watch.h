#pragma once
// StallWatch: tells a flow that makes no progress from one that has nothing
// to copy or cannot reach its target.
//
// A flow is stalled when it is ready (both clusters answer, partitions are
// assigned), records wait to be copied, and the target acknowledged none of
// the flow's records for `stall_timeout`. Heartbeats count as records, so an
// idle flow that emits them is never stalled; a target that does not answer
// is "not ready", not stalled: restarting kmirror would not bring it back.
// What a stall catches: a target that refuses every record, or partitions
// stuck inside kmirror. systemd's watchdog is no longer pinged then.
//
// Pure logic (fed samples, no clock of its own), so tests drive it directly.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kmirror::daemon {

class StallWatch {
public:
    struct Sample {
        std::string flow;
        bool ready = false;
        std::uint64_t acknowledged = 0;  ///< records the target acknowledged so far
        std::int64_t waiting = 0;        ///< records to copy: lag plus in flight
    };
    /// Stalled flow name -> why, e.g. "stalled: 120 records wait, none acknowledged for 300 s".
    using Stalls = std::map<std::string, std::string>;

    explicit StallWatch(std::chrono::milliseconds stall_timeout) : timeout_(stall_timeout) {}
    void set_timeout(std::chrono::milliseconds stall_timeout) { timeout_ = stall_timeout; }

    /// One round of samples (every flow); flows not in it are forgotten.
    Stalls update(const std::vector<Sample>& samples, std::chrono::steady_clock::time_point now);

private:
    struct Progress {
        std::uint64_t acknowledged = 0;
        std::chrono::steady_clock::time_point since;  // last progress, or nothing to do
    };
    std::chrono::milliseconds timeout_;
    std::map<std::string, Progress> progress_;
};

}  // namespace kmirror::daemon
