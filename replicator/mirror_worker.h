#pragma once
// MirrorWorker: one source consumer and its poll loop. Consumed records go to
// the flow's producer without copying the payload; source offsets are
// committed up to the acknowledged prefix (PartitionProgress).
//
// @thread run() and the RebalanceListener callbacks: the worker's own thread.
// set_topics() and request_stop(): any thread.

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
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
    void on_revoked(const std::vector<kafka::TopicPartition>& partitions, bool lost) override;

private:
    enum class Sent { ok, retry_later, dropped };

    void handle(kafka::Message message);
    Sent send(kafka::Message& message);
    /// Sends the backlog; once it is empty, resumes what QUEUE_FULL paused.
    void drain_backlog();
    /// Assigned partitions that may fetch: not stopped, target partition known.
    std::vector<kafka::TopicPartition> fetchable() const;
    /// Pauses a stopped partition for the rest of this process's ownership.
    void pause_stopped(const kafka::TopicPartition& tp);
    /// On the commit tick: pauses partitions stopped by the delivery thread
    /// (refused records) and resumes those whose target partition appeared.
    void reconcile_pauses();
    /// A record of a partition still waiting for its target partition: the
    /// partition is paused and rewound to its first such record.
    void hold_for_target(const kafka::Message& message);
    void handle_error(const kafka::Message& message);
    void handle_offset_reset(const kafka::Message& message);
    /// Where a partition whose position is gone resumes (data loss rules);
    /// without the source's watermarks it is kept in unresolved_resets_.
    void resolve_offset_reset(const kafka::TopicPartition& tp, std::int64_t missing_from);
    void retry_offset_resets();
    void stop_partition(PartitionProgress& progress, const std::string& reason);
    /// A partition of a topic deleted and created again on the source was
    /// assigned: reports it, and stops it unless on_data_loss is continue.
    void report_recreated(PartitionProgress& progress, std::int64_t lost);
    /// Commits the acknowledged prefix of `partitions`; false if the commit failed.
    bool commit(const std::set<kafka::TopicPartition>& partitions);
    /// Lag in records needs the source's high watermarks: sampled each commit tick.
    void sample_high_watermarks();
    void apply_topics();
    std::chrono::milliseconds poll_timeout() const;

    Flow& flow_;
    const int index_;
    std::unique_ptr<kafka::Consumer> consumer_;
    std::atomic<bool> stop_{false};
    std::mutex topics_mu_;
    std::optional<std::vector<std::string>> new_topics_;  // guarded by topics_mu_
    // Worker-thread state:
    std::set<kafka::TopicPartition> assigned_;
    std::map<kafka::TopicPartition, std::int64_t> committed_;
    std::deque<kafka::Message> backlog_;  // not yet accepted by the producer, in order
    // Pauses. A partition fetches only when none of these holds it:
    //  * paused_: the producer is full (QUEUE_FULL); every assigned partition
    //    waits until backlog_ is empty again. paused_ with an empty backlog
    //    (a rebalance took the backlog's partitions) resumes at the next loop.
    //  * stopped_: the partition stopped (a record the target refused, data
    //    loss under on_data_loss: stop); paused for as long as this process
    //    owns it. A restart, or another process taking the partition over,
    //    starts it again at its committed offset.
    //  * awaiting_target_: assigned before the target had the partition
    //    (target down or slow); resumed once discovery created it. The value
    //    is where to resume, when records were fetched meanwhile.
    bool paused_ = false;
    std::set<kafka::TopicPartition> stopped_;
    std::map<kafka::TopicPartition, std::optional<std::int64_t>> awaiting_target_;
    // Assigned by the last rebalance callback: their pause state is applied
    // again once librdkafka made the assignment (a toppar keeps the pause
    // flag of an earlier assignment).
    std::vector<kafka::TopicPartition> newly_assigned_;
    std::chrono::steady_clock::time_point next_commit_;
    /// Offset resets whose watermarks could not be read: partition -> the offset missing.
    std::map<kafka::TopicPartition, std::int64_t> unresolved_resets_;
    std::mt19937 rng_{std::random_device{}()};
    std::uniform_int_distribution<int> commit_backoff_{1, 4};  // extra intervals after a failure
};

}  // namespace kmirror::replicator
