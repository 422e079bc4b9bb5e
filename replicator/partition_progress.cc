#include "replicator/partition_progress.h"

#include <algorithm>

namespace kmirror::replicator {

void PartitionProgress::record(SourceOffset offset, std::int64_t timestamp_ms) {
    std::lock_guard lock(mu_);
    in_flight_.push_back({offset, timestamp_ms, false});
}

void PartitionProgress::unrecord(SourceOffset offset) {
    std::lock_guard lock(mu_);
    if (!in_flight_.empty() && in_flight_.back().offset == offset) in_flight_.pop_back();
    if (in_flight_.empty()) drained_.notify_all();
}

void PartitionProgress::ack(SourceOffset offset) {
    std::lock_guard lock(mu_);
    // Reports come in produce order, so the front is the common case. An
    // offset can be in flight twice (the source topic was re-created, or
    // repositioned back): the report is for the older copy not yet settled.
    auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                           [&](const Entry& e) { return e.offset == offset && !e.acked; });
    if (it == in_flight_.end()) return;  // after reset(): a stale report
    it->acked = true;
    while (!in_flight_.empty() && in_flight_.front().acked) {
        const auto done = in_flight_.front().offset;
        in_flight_.pop_front();
        // Never move past a refused record, even if later ones arrived.
        if (!failed_at_ || done < *failed_at_) committable_ = done + 1;
    }
    if (in_flight_.empty()) drained_.notify_all();
}

void PartitionProgress::fail(SourceOffset offset, std::string reason) {
    {
        std::lock_guard lock(mu_);
        if (!stopped_) stopped_ = std::move(reason);
    }
    abandon(offset);
}

void PartitionProgress::abandon(SourceOffset offset) {
    std::lock_guard lock(mu_);
    if (!failed_at_ || offset < *failed_at_) failed_at_ = offset;
    // Treat the record as settled for draining; it is not committable.
    auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                           [&](const Entry& e) { return e.offset == offset && !e.acked; });
    if (it != in_flight_.end()) it->acked = true;
    while (!in_flight_.empty() && in_flight_.front().acked) {
        const auto done = in_flight_.front().offset;
        in_flight_.pop_front();
        if (done < *failed_at_) committable_ = done + 1;
    }
    if (in_flight_.empty()) drained_.notify_all();
}

std::optional<SourceOffset> PartitionProgress::committable() const {
    std::lock_guard lock(mu_);
    return committable_;
}

std::size_t PartitionProgress::in_flight() const {
    std::lock_guard lock(mu_);
    return in_flight_.size();
}

bool PartitionProgress::wait_drained(std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock lock(mu_);
    return drained_.wait_until(lock, deadline, [&] { return in_flight_.empty(); });
}

std::optional<std::string> PartitionProgress::stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
}

void PartitionProgress::stop(std::string reason) {
    std::lock_guard lock(mu_);
    if (!stopped_) stopped_ = std::move(reason);
}

PartitionProgress::Snapshot PartitionProgress::snapshot() const {
    std::lock_guard lock(mu_);
    Snapshot s;
    s.next_to_copy = committable_ ? committable_ : start_;
    if (!in_flight_.empty()) s.oldest_pending_ms = in_flight_.front().timestamp_ms;
    s.in_flight = in_flight_.size();
    s.stopped = stopped_;
    return s;
}

void PartitionProgress::reset(std::optional<SourceOffset> next, bool acknowledged) {
    std::lock_guard lock(mu_);
    in_flight_.clear();
    committable_ = acknowledged ? next : std::nullopt;
    start_ = next;
    drained_.notify_all();
}

}  // namespace kmirror::replicator
