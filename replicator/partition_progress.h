#pragma once
// PartitionProgress: the at-least-once bookkeeping of one source partition.
//
// Source offsets are recorded in consume order before they are produced; the
// target acknowledges them (usually in the same order, the producer being
// idempotent). The committable position is one past the longest prefix of
// acknowledged offsets, so a source commit never passes a record the target
// has not got (DESIGN.md invariant 1):
//
//   in flight:  [ 7 ack ][ 8 ack ][ 10 -- ][ 11 ack ]     (9 was compacted away)
//   committable next offset = 9  -> commit 9 (10 still in flight)
//
// Records are recorded and settled a run at a time (record_run(), settle()):
// one lock per partition per batch, not per record.
//
// Rewinding: when the flow purges its producer (a partition revoked with
// records still queued, a record refused), every record of this partition
// not yet acknowledged is thrown away. begin_rewind() marks the partition;
// the purge reports settle it (purged()); its worker then calls
// finish_rewind() and consumes again from the acknowledged prefix, so
// nothing after a purged record ever reaches the target ahead of it.
//
// @thread record*(): worker; settle()/ack(): delivery thread; readers: any. Guarded by mu_.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "base/strong_int.h"

namespace kmirror::replicator {

class PartitionProgress {
public:
    PartitionProgress(std::string source_topic, std::int32_t partition, std::string target_topic)
        : source_topic_(std::move(source_topic)),
          partition_(partition),
          target_topic_(std::move(target_topic)),
          is_heartbeats_(source_topic_ == "heartbeats") {}  // checkpoints::heartbeats_topic()

    [[nodiscard]] const std::string& source_topic() const noexcept { return source_topic_; }
    [[nodiscard]] std::int32_t partition() const noexcept { return partition_; }
    [[nodiscard]] const std::string& target_topic() const noexcept { return target_topic_; }
    /// The source cluster's own heartbeats topic (MM2's "heartbeats").
    [[nodiscard]] bool is_heartbeats() const noexcept { return is_heartbeats_; }

    struct Pending {
        SourceOffset offset;
        std::int64_t timestamp_ms = 0;
    };
    /// A record about to be produced; `timestamp_ms` is its record timestamp
    /// (the age of the oldest unacknowledged record is the lag in seconds).
    void record(SourceOffset offset, std::int64_t timestamp_ms = 0);
    /// Records about to be produced, in consume order: one lock for the run.
    void record_run(std::span<const Pending> run);
    /// Drops the newest recorded offset again (the produce call failed).
    void unrecord(SourceOffset offset);
    /// Drops the `count` newest recorded offsets (their produce calls were not made).
    void unrecord_last(std::size_t count);
    /// A record acknowledged by the target, or deliberately not mirrored.
    void ack(SourceOffset offset);
    /// Records acknowledged by the target, in the order of their reports:
    /// one lock for the run.
    void settle(std::span<const SourceOffset> acknowledged);
    /// A record the target refused for good: the partition stops there.
    void fail(SourceOffset offset, std::string reason);
    /// A record purged unacknowledged at the shutdown deadline: settled for
    /// draining, never committable (it is copied again after a restart). The
    /// partition is not stopped: the process is.
    void abandon(SourceOffset offset);

    /// Marks the partition rewinding: its unacknowledged records are being purged.
    void begin_rewind();
    /// The purge report of a record: settled, never committable, and no
    /// later record may pass it until finish_rewind().
    void purged(SourceOffset offset);
    /// Whether a rewind waits for finish_rewind() (lock-free, per run).
    [[nodiscard]] bool rewinding() const noexcept {
        return rewinding_.load(std::memory_order_acquire);
    }
    /// Once nothing is in flight: ends the rewind and returns where
    /// consumption resumes (one past the acknowledged prefix, else the
    /// start); nullopt while records are still in flight.
    std::optional<std::optional<SourceOffset>> finish_rewind();

    /// One past the acknowledged prefix; nullopt before the first ack.
    [[nodiscard]] std::optional<SourceOffset> committable() const;
    [[nodiscard]] std::size_t in_flight() const;
    /// Waits until nothing is in flight; false when the deadline came first.
    bool wait_drained(std::chrono::steady_clock::time_point deadline) const;
    /// Why the partition stopped (refused record, data loss), if it did.
    [[nodiscard]] std::optional<std::string> stopped() const;
    /// Whether it stopped, without the lock (checked per run of records).
    [[nodiscard]] bool is_stopped() const noexcept {
        return is_stopped_.load(std::memory_order_acquire);
    }
    void stop(std::string reason);
    /// Forget in-flight state (the partition was re-assigned from scratch);
    /// `next` is where consumption starts, if known. `acknowledged`: every
    /// record before `next` is known to be on the target, so `next` is
    /// committable right away. A stopped partition stays stopped (and never
    /// commits past a refused record) for the life of this process: a
    /// restart, or another process taking the partition over, starts it
    /// again at its committed offset.
    void reset(std::optional<SourceOffset> next = std::nullopt, bool acknowledged = false);

    /// The session: from one reset() to the next (an assignment, a
    /// repositioning). Start marks (checkpoints/start_mark.h) are taken
    /// while a session has recorded nothing yet.
    struct Session {
        std::uint64_t id = 0;
        std::optional<SourceOffset> start;  ///< where it consumes from; none: the beginning
        std::uint64_t recorded = 0;         ///< records recorded (so maybe produced) so far
        bool wants_mark = false;            ///< no start mark taken or given up on yet
    };
    [[nodiscard]] Session session() const;
    /// The session `id` took its start mark, or cannot any more.
    void start_mark_done(std::uint64_t id);

    /// What a scrape or /status needs, read under one lock.
    struct Snapshot {
        std::optional<SourceOffset> next_to_copy;  ///< acknowledged prefix, or the start
        std::optional<std::int64_t> oldest_pending_ms;  ///< timestamp of the oldest unacked record
        std::size_t in_flight = 0;
        std::optional<std::string> stopped;
    };
    [[nodiscard]] Snapshot snapshot() const;

    // Counters and samples for metrics, updated without the lock.
    std::atomic<std::uint64_t> records{0};  ///< acknowledged by the target
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> lost{0};  ///< deleted on the source before copied
    std::atomic<std::int64_t> high_watermark{-1};  ///< source, as last seen by the consumer
    std::atomic<bool> assigned{false};             ///< consumed by this process now
    /// Assigned but fetching nothing (stopped, waiting for its target, paused
    /// in an outage): its high watermark is asked of the source instead.
    std::atomic<bool> fetch_paused{false};
    /// Last released in a rebalance that handed it to the group (not lost
    /// to a session timeout, as when the source is down).
    std::atomic<bool> handed_over{false};
    /// Its topic left the source (seen by discovery while the partition was
    /// not assigned): a partition of that name assigned later belongs to a
    /// new topic, and what this object remembers to the deleted one.
    std::atomic<bool> topic_deleted{false};

private:
    struct Entry {
        SourceOffset offset;
        std::int64_t timestamp_ms = 0;
        bool acked = false;
    };

    const std::string source_topic_;
    const std::int32_t partition_;
    const std::string target_topic_;
    const bool is_heartbeats_;
    /// Pops the settled front; the prefix never passes failed_at_ or rewind_at_.
    void pop_settled();  // requires mu_

    mutable std::mutex mu_;
    mutable std::condition_variable drained_;
    std::deque<Entry> in_flight_;               // guarded by mu_, in consume order
    std::optional<SourceOffset> committable_;   // guarded by mu_
    std::optional<SourceOffset> start_;         // guarded by mu_
    std::optional<SourceOffset> failed_at_;     // guarded by mu_
    std::optional<SourceOffset> rewind_at_;     // guarded by mu_; first purged record
    std::optional<std::string> stopped_;        // guarded by mu_
    std::uint64_t session_ = 0;                 // guarded by mu_
    std::uint64_t session_recorded_ = 0;        // guarded by mu_
    bool wants_mark_ = false;                   // guarded by mu_
    std::atomic<bool> is_stopped_{false};       // stopped_ is set
    std::atomic<bool> rewinding_{false};
};

}  // namespace kmirror::replicator
