#include "replicator/inflight_budget.h"

namespace kmirror::replicator {

void InflightBudget::release(std::int64_t bytes) {
    used_.fetch_sub(bytes);
    // Delivery reports come a batch at a time; a worker is woken only when
    // one waits (a lock per batch, never per record).
    if (waiters_.load() > 0) {
        std::lock_guard lock(mu_);
        room_.notify_all();
    }
}

bool InflightBudget::wait_for_room(std::chrono::steady_clock::time_point deadline,
                                   const std::atomic<bool>& stop) {
    if (room() > 0) return true;
    std::unique_lock lock(mu_);
    waiters_.fetch_add(1);
    room_.wait_until(lock, deadline, [&] { return room() > 0 || stop.load(); });
    waiters_.fetch_sub(1);
    return room() > 0;
}

void InflightBudget::sleep_until(std::chrono::steady_clock::time_point until,
                                 const std::atomic<bool>& stop) {
    std::unique_lock lock(mu_);
    waiters_.fetch_add(1);
    room_.wait_until(lock, until, [&] { return stop.load(); });
    waiters_.fetch_sub(1);
}

void InflightBudget::notify() {
    std::lock_guard lock(mu_);
    room_.notify_all();
}

}  // namespace kmirror::replicator
