#include "replicator/flow_stats.h"

#include <algorithm>

namespace kmirror::replicator {

void LatencyHistogram::observe_ms(std::int64_t ms) noexcept {
    if (ms < 0) ms = 0;  // clocks of producer hosts drift
    const double s = static_cast<double>(ms) / 1000.0;
    const auto it = std::lower_bound(kBounds.begin(), kBounds.end(), s);
    counts_[static_cast<std::size_t>(it - kBounds.begin())].fetch_add(1,
                                                                      std::memory_order_relaxed);
    sum_ms_.fetch_add(static_cast<std::uint64_t>(ms), std::memory_order_relaxed);
}

std::array<std::uint64_t, LatencyHistogram::kBounds.size() + 1> LatencyHistogram::counts()
    const noexcept {
    std::array<std::uint64_t, kBounds.size() + 1> out{};
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = counts_[i].load(std::memory_order_relaxed);
    }
    return out;
}

double LatencyHistogram::sum_seconds() const noexcept {
    return static_cast<double>(sum_ms_.load(std::memory_order_relaxed)) / 1000.0;
}

void ErrorCounts::add(const std::string& kind) {
    std::lock_guard lock(mu_);
    ++counts_[kind];
}

std::map<std::string, std::uint64_t> ErrorCounts::snapshot() const {
    std::lock_guard lock(mu_);
    return counts_;
}

}  // namespace kmirror::replicator
