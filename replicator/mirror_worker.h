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
    void finish();

    void on_assigned(std::vector<kafka::TopicPartitionOffset>& partitions) override;
    void on_revoked(const std::vector<kafka::TopicPartition>& partitions, bool lost) override;

private:
    enum class Sent { ok, retry_later, dropped };

    void handle(kafka::Message message);
    Sent send(kafka::Message& message);
    void drain_backlog();
    void handle_error(const kafka::Message& message);
    void handle_offset_reset(const kafka::Message& message);
    void stop_partition(PartitionProgress& progress, const std::string& reason);
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
    std::set<kafka::TopicPartition> lost_;  // taken away without a chance to commit
    std::deque<kafka::Message> backlog_;  // not yet accepted by the producer, in order
    bool paused_ = false;
    std::chrono::steady_clock::time_point next_commit_;
};

}  // namespace kmirror::replicator
