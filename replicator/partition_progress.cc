#include "replicator/partition_progress.h"

#include <algorithm>

namespace kmirror::replicator {

void PartitionProgress::record(SourceOffset offset, std::int64_t timestamp_ms) {
    std::lock_guard lock(mu_);
    in_flight_.push_back({offset, timestamp_ms, false});
    ++session_recorded_;
}

void PartitionProgress::record_run(std::span<const Pending> run) {
    std::lock_guard lock(mu_);
    for (const auto& r : run) in_flight_.push_back({r.offset, r.timestamp_ms, false});
    session_recorded_ += run.size();
}

void PartitionProgress::unrecord(SourceOffset offset) {
    std::lock_guard lock(mu_);
    if (!in_flight_.empty() && in_flight_.back().offset == offset) in_flight_.pop_back();
    if (in_flight_.empty()) drained_.notify_all();
}

void PartitionProgress::unrecord_last(std::size_t count) {
    std::lock_guard lock(mu_);
    for (; count > 0 && !in_flight_.empty(); --count) in_flight_.pop_back();
    if (in_flight_.empty()) drained_.notify_all();
}

void PartitionProgress::pop_settled() {
    while (!in_flight_.empty() && in_flight_.front().acked) {
        const auto done = in_flight_.front().offset;
        in_flight_.pop_front();
        // Never move past a refused or purged record, even if later ones arrived.
        if ((!failed_at_ || done < *failed_at_) && (!rewind_at_ || done < *rewind_at_)) {
            committable_ = done + 1;
        }
    }
    if (in_flight_.empty()) drained_.notify_all();
}

void PartitionProgress::ack(SourceOffset offset) { settle(std::span(&offset, 1)); }

void PartitionProgress::settle(std::span<const SourceOffset> acknowledged) {
    std::lock_guard lock(mu_);
    // Reports come in produce order, so the oldest unsettled entry is the
    // common case; the search starts after the last match. An offset can be
    // in flight twice (the source topic was re-created, or repositioned
    // back): the report is for the older copy not yet settled.
    auto from = in_flight_.begin();
    for (const auto offset : acknowledged) {
        auto it = std::find_if(from, in_flight_.end(),
                               [&](const Entry& e) { return e.offset == offset && !e.acked; });
        if (it == in_flight_.end()) {
            it = std::find_if(in_flight_.begin(), from,
                              [&](const Entry& e) { return e.offset == offset && !e.acked; });
            if (it == from) continue;  // after reset(): a stale report
        }
        it->acked = true;
        from = std::next(it);
    }
    pop_settled();
}

void PartitionProgress::fail(SourceOffset offset, std::string reason) {
    {
        std::lock_guard lock(mu_);
        if (!stopped_) stopped_ = std::move(reason);
        is_stopped_.store(true, std::memory_order_release);
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
    pop_settled();
}

void PartitionProgress::begin_rewind() {
    std::lock_guard lock(mu_);
    rewinding_.store(true, std::memory_order_release);
}

void PartitionProgress::purged(SourceOffset offset) {
    std::lock_guard lock(mu_);
    if (!rewind_at_ || offset < *rewind_at_) rewind_at_ = offset;
    auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                           [&](const Entry& e) { return e.offset == offset && !e.acked; });
    if (it != in_flight_.end()) it->acked = true;
    pop_settled();
}

std::optional<std::optional<SourceOffset>> PartitionProgress::finish_rewind() {
    std::lock_guard lock(mu_);
    if (!in_flight_.empty()) return std::nullopt;
    rewind_at_.reset();
    rewinding_.store(false, std::memory_order_release);
    return committable_ ? committable_ : start_;
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
    is_stopped_.store(true, std::memory_order_release);
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
    ++session_;
    session_recorded_ = 0;
    wants_mark_ = true;
    rewind_at_.reset();
    rewinding_.store(false, std::memory_order_release);
    drained_.notify_all();
}

PartitionProgress::Session PartitionProgress::session() const {
    std::lock_guard lock(mu_);
    return {session_, start_, session_recorded_, wants_mark_};
}

void PartitionProgress::start_mark_done(std::uint64_t id) {
    std::lock_guard lock(mu_);
    if (session_ == id) wants_mark_ = false;
}

}  // namespace kmirror::replicator
