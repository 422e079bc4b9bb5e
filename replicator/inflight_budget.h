#pragma once
// InflightBudget: the bytes of one flow's records between consumer and
// target acknowledgement (MemoryPlan::in_flight_bytes). Workers add what
// they produce and wait while the flow is at its limit; delivery reports
// release it. Nothing else releases it: no timer, no guess. A slow target
// therefore slows the fetch, and the consumer's queue (bounded too) stops
// librdkafka from fetching more, without pausing or dropping what it has.
//
// @thread add()/wait_for_room(): workers; release(): the delivery thread;
// readers: any.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace kmirror::replicator {

class InflightBudget {
public:
    explicit InflightBudget(std::int64_t limit) : limit_(limit) {}

    void add(std::int64_t bytes) noexcept { used_.fetch_add(bytes); }
    /// Called with what delivery reports settled; wakes waiting workers.
    void release(std::int64_t bytes);
    /// Bytes the flow may still add before it is at its limit (<= 0: none).
    [[nodiscard]] std::int64_t room() const noexcept {
        // seq_cst, as in release(): a waiter registers, then reads used_; a
        // releaser writes used_, then reads the waiters (no lost wake-up).
        return limit_ - used_.load();
    }
    [[nodiscard]] std::int64_t used() const noexcept {
        return used_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::int64_t limit() const noexcept { return limit_; }
    /// Waits until there is room, `stop` is set (then notify()) or the
    /// deadline passes. True when there is room.
    bool wait_for_room(std::chrono::steady_clock::time_point deadline,
                       const std::atomic<bool>& stop);
    /// Sleeps until `until`, waking early when `stop` is set (then notify()).
    void sleep_until(std::chrono::steady_clock::time_point until, const std::atomic<bool>& stop);
    /// Wakes every waiter (a stop was requested).
    void notify();

private:
    const std::int64_t limit_;
    std::atomic<std::int64_t> used_{0};
    std::atomic<int> waiters_{0};
    std::mutex mu_;
    std::condition_variable room_;
};

}  // namespace kmirror::replicator
