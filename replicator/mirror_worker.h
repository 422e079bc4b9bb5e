#pragma once
// MirrorWorker: one source consumer and its loop (DESIGN.md "Data path"):
//
//   wait for room -> consume a batch -> produce it, run by partition -> commit
//   (in-flight budget,   (poll_batch)     (copies, through the     the acknowledged
//    rate limit)                           route's topic handle)    prefix, async)
//
// Backpressure: the worker consumes only while the flow's in-flight budget
// has room; delivery reports make room. A slow target therefore slows the
// fetch (the consumer's bounded queue stops librdkafka from fetching) and
// nothing is paused, dropped or fetched twice. Only when no room has come
// for kStallPause (the target is down) are the partitions paused, so that
// the worker can keep polling its group membership alive.
//
// The files: mirror_worker.cc (the loop and the produce path),
// mirror_worker_rebalance.cc (assignment, revocation, commits),
// mirror_worker_loss.cc (lost positions and data loss).
//
// @thread run() and the RebalanceListener callbacks: the worker's own thread.
// set_topics() and request_stop(): any thread.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "kafka/consumer.h"
#include "replicator/flow.h"

namespace kmirror::replicator {

class MirrorWorker : public kafka::RebalanceListener {
public:
    MirrorWorker(Flow& flow, int index);
    ~MirrorWorker() override;

    /// The thread body: consume and forward until request_stop().
    void run();
    void request_stop() noexcept;
    /// The source topics to subscribe to; applied by the worker thread.
    void set_topics(std::vector<std::string> topics);
    /// After run() returned and deliveries settled: commit and leave the group.
    /// Retries a commit refused by a rebalance until `deadline` (at most 10 s).
    void finish(std::chrono::steady_clock::time_point deadline);

    void on_assigned(std::vector<kafka::TopicPartitionOffset>& partitions) override;
    void after_assigned(const std::vector<kafka::TopicPartition>& partitions) override;
    void on_revoked(const std::vector<kafka::TopicPartition>& partitions, bool lost) override;

private:
    /// An assigned partition as the produce path needs it.
    struct Lane {
        std::shared_ptr<PartitionProgress> progress;
        Flow::TargetRoute* route = nullptr;
    };

    // ---- the loop and the produce path (mirror_worker.cc) ----
    /// Consumes one batch when there is room, or serves the group while
    /// there is none.
    void consume();
    /// How many records the next batch may hold: the budget's room (and the
    /// rate limit's burst) over the recent record size.
    [[nodiscard]] std::size_t batch_limit() const;
    /// Produces a consumed batch in order, a run of one partition at a time;
    /// what the producer could not take yet waits in backlog_.
    void forward(std::vector<kafka::Message>& batch);
    /// Produces one partition's run; returns how many records are done with
    /// (produced, skipped or dropped): fewer than the run when the producer
    /// is full.
    std::size_t send_run(std::span<kafka::Message> run);
    /// A record too large for the target topic, found before producing it.
    [[nodiscard]] std::optional<std::string> too_large(const Lane& lane,
                                                       const kafka::Message& m) const;
    void drain_backlog();
    /// Pauses every fetching partition after kStallPause without room.
    void begin_stall_pause();
    void end_stall_pause();
    /// Partitions the flow marked rewinding: once their purged records are
    /// settled, consumption restarts at their acknowledged prefix.
    void note_rewinds();
    void finish_rewinds();
    std::chrono::milliseconds poll_timeout() const;
    void apply_topics();
    void commit_tick();

    // ---- assignment, revocation, commits (mirror_worker_rebalance.cc) ----
    /// Assigned partitions that may fetch: not stopped, target partition known.
    std::vector<kafka::TopicPartition> fetchable() const;
    /// Pauses a stopped partition for the rest of this process's ownership.
    /// Not to be fetched now: stopped, waiting for its target partition, or
    /// every partition held while the flow stalls.
    [[nodiscard]] bool held_back(const kafka::TopicPartition& tp) const;
    void pause_stopped(const kafka::TopicPartition& tp);
    /// On the commit tick: pauses partitions stopped by the delivery thread
    /// (refused records) and resumes those whose target partition appeared.
    void reconcile_pauses();
    /// A partition waiting for its target partition from `offset` on: paused
    /// and rewound to its first such record.
    void hold_for_target(const kafka::TopicPartition& tp, std::int64_t offset);
    void stop_partition(PartitionProgress& progress, const std::string& reason);
    /// Commits the acknowledged prefix of `partitions` and waits for the
    /// answer (revocation, shutdown); false if the commit failed.
    bool commit(const std::set<kafka::TopicPartition>& partitions);
    /// The offsets worth committing of `partitions` (acknowledged past the last commit).
    std::vector<kafka::TopicPartitionOffset> committable(
        const std::set<kafka::TopicPartition>& partitions);
    /// Reads the answer of the commit sent on the last tick, if it came.
    void serve_commit_result();
    /// Lag in records needs the source's high watermarks: the fetching
    /// partitions' are sampled from the consumer each commit tick.
    void sample_high_watermarks();

    // ---- lost positions (mirror_worker_loss.cc) ----
    void handle_error(const kafka::Message& message);
    void handle_offset_reset(const kafka::Message& message);
    /// Where a partition whose position is gone resumes (data loss rules);
    /// without the source's watermarks it is kept in unresolved_resets_.
    void resolve_offset_reset(const kafka::TopicPartition& tp, std::int64_t missing_from);
    void retry_offset_resets();
    /// A partition of a topic deleted and created again on the source was
    /// assigned: reports it, and stops it unless on_data_loss is continue.
    void report_recreated(PartitionProgress& progress, std::int64_t lost);

    Flow& flow_;
    const int index_;
    std::unique_ptr<kafka::Consumer> consumer_;
    std::atomic<bool> stop_{false};
    std::mutex topics_mu_;
    std::optional<std::vector<std::string>> new_topics_;  // guarded by topics_mu_
    // Worker-thread state:
    std::set<kafka::TopicPartition> assigned_;
    std::map<kafka::TopicPartition, Lane> lanes_;  // the assigned partitions'
    std::map<kafka::TopicPartition, std::int64_t> committed_;
    std::vector<kafka::Message> batch_;    // the batch being forwarded
    std::vector<kafka::Message> backlog_;  // consumed, not yet taken by the producer, in order
    std::vector<PartitionProgress::Pending> pending_;  // send_run() scratch
    std::vector<SourceOffset> skipped_;                 // send_run() scratch
    /// Average bytes of recent records (key + value + kRecordOverhead).
    double record_cost_ = 1024;
    // Pauses. A partition fetches only when none of these holds it:
    //  * stall_paused_: no room in the in-flight budget for kStallPause (the
    //    target does not acknowledge); every assigned partition waits.
    //  * stopped_: the partition stopped (a record the target refused, data
    //    loss under on_data_loss: stop); paused for as long as this process
    //    owns it. A restart, or another process taking the partition over,
    //    starts it again at its committed offset.
    //  * awaiting_target_: assigned before the target had the partition
    //    (target down or slow), or the producer did not know it yet; resumed
    //    once it exists. The value is where to resume, when records were
    //    fetched meanwhile.
    bool stall_paused_ = false;
    std::optional<std::chrono::steady_clock::time_point> no_room_since_;
    // Set by finish(): the rebalance callbacks of the closing consumer wait
    // no longer than the shutdown deadline (which may have passed: then
    // what was in flight is purged already).
    std::optional<std::chrono::steady_clock::time_point> closing_by_;
    std::set<kafka::TopicPartition> stopped_;
    std::map<kafka::TopicPartition, std::optional<std::int64_t>> awaiting_target_;
    // Assigned by the last rebalance callback: their pause state is applied
    // again once librdkafka made the assignment (a toppar keeps the pause
    // flag of an earlier assignment).
    std::vector<kafka::TopicPartition> newly_assigned_;
    std::uint64_t seen_purges_ = 0;
    std::set<kafka::TopicPartition> rewinding_;
    std::chrono::steady_clock::time_point next_commit_;
    /// Offset resets whose watermarks could not be read: partition -> the offset missing.
    std::map<kafka::TopicPartition, std::int64_t> unresolved_resets_;
    std::mt19937 rng_{std::random_device{}()};
    std::uniform_int_distribution<int> commit_backoff_{1, 4};  // extra intervals after a failure
};

}  // namespace kmirror::replicator
