#pragma once
// RateLimiter: a flow's `max_bytes_per_second`, shared by its workers. A
// worker charges each batch before producing it and waits until the time
// returned; the rate holds over any window longer than the burst (100 ms of
// the rate), and time spent waiting is counted for metrics and /status.
//
// @thread any (one mutex, taken once per batch).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace kmirror::replicator {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    /// 0: no limit.
    explicit RateLimiter(std::int64_t bytes_per_second) : rate_(bytes_per_second) {}

    [[nodiscard]] bool enabled() const noexcept { return rate_ > 0; }
    [[nodiscard]] std::int64_t rate() const noexcept { return rate_; }
    /// Charges `bytes` at `now`; returns when they may be sent (now, or later
    /// when the flow is over its rate). The wait is counted as throttled.
    Clock::time_point charge(std::int64_t bytes, Clock::time_point now = Clock::now());
    /// The largest batch worth charging at once: 100 ms of the rate.
    [[nodiscard]] std::int64_t burst_bytes() const noexcept { return rate_ / 10; }
    /// Total time the flow's workers were held back, in seconds.
    [[nodiscard]] double throttled_seconds() const noexcept {
        return static_cast<double>(throttled_ns_.load(std::memory_order_relaxed)) / 1e9;
    }

private:
    static constexpr std::chrono::milliseconds kBurst{100};
    const std::int64_t rate_;
    std::mutex mu_;
    Clock::time_point due_{};  // guarded by mu_: when everything charged so far is sent
    std::atomic<std::int64_t> throttled_ns_{0};
};

}  // namespace kmirror::replicator
