#include "replicator/flow_stats.h"

#include <algorithm>

namespace kmirror::replicator {

std::size_t LatencyHistogram::bucket_of(std::int64_t ms) noexcept {
    const double s = static_cast<double>(std::max<std::int64_t>(ms, 0)) / 1000.0;
    return static_cast<std::size_t>(std::lower_bound(kBounds.begin(), kBounds.end(), s) -
                                    kBounds.begin());
}

void LatencyHistogram::observe_ms(std::int64_t ms) noexcept {
    if (ms < 0) ms = 0;  // clocks of producer hosts drift
    counts_[bucket_of(ms)].fetch_add(1, std::memory_order_relaxed);
    sum_ms_.fetch_add(static_cast<std::uint64_t>(ms), std::memory_order_relaxed);
}

void LatencyHistogram::add(const Counts& counts, std::uint64_t sum_ms) noexcept {
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (counts[i] != 0) counts_[i].fetch_add(counts[i], std::memory_order_relaxed);
    }
    sum_ms_.fetch_add(sum_ms, std::memory_order_relaxed);
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
