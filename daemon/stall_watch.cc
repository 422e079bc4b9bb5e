#include "daemon/stall_watch.h"

#include <fmt/format.h>

namespace kmirror::daemon {

StallWatch::Stalls StallWatch::update(const std::vector<Sample>& samples,
                                      std::chrono::steady_clock::time_point now) {
    Stalls stalls;
    std::map<std::string, Progress> next;
    for (const auto& s : samples) {
        auto it = progress_.find(s.flow);
        Progress p = it == progress_.end() ? Progress{s.acknowledged, now} : it->second;
        if (!s.ready || s.waiting <= 0 || s.acknowledged != p.acknowledged) {
            p = {s.acknowledged, now};
        } else if (now - p.since >= timeout_) {
            const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - p.since);
            stalls[s.flow] = fmt::format(
                "stalled: {} records wait to be copied and the target acknowledged none for {} s",
                s.waiting, secs.count());
        }
        next[s.flow] = p;
    }
    progress_ = std::move(next);
    return stalls;
}

}  // namespace kmirror::daemon
