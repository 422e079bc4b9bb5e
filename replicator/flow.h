#pragma once
// Flow: mirrors one source cluster into one target cluster.
//
// Thread model (DESIGN.md "Data path"):
//  * the flow's admin thread runs its timers on its own io_context: topic
//    discovery (refresh_interval), topic-config sync (config_sync_interval),
//    heartbeats (heartbeat_interval), offset syncs (OffsetSyncWriter::tick,
//    every second) and pruning of offset ranges below the target's low
//    watermarks (config_sync_interval), and the start marks of new
//    sessions (flow_start_marks.cc). Admin calls block up to seconds
//    when a cluster is down, so they stay off the daemon's io_context, which
//    serves signals and HTTP;
//  * `workers` MirrorWorker threads, each owning one source consumer in the
//    group "kmirror.<flow>"; they consume batches and hand them, copied, to
//    the shared target producer (kafka::BatchProducer), within the flow's
//    in-flight budget (MemoryPlan) and its max_bytes_per_second;
//  * one delivery thread polls the producer and settles delivery reports a
//    batch at a time (settle()): per partition run, one lock each on
//    PartitionProgress, the OffsetRangeStore and the OffsetSyncWriter, and
//    the in-flight budget released; never a consumer;
//  * the CheckpointEmitter's thread follows group commits on the source and
//    writes checkpoints (and group offsets) to the target.
//
// Shutdown is two-phase (STYLE.md rule 16): stop intake, wait for in-flight
// deliveries, commit the acknowledged prefix, then close; at the deadline the
// rest is purged and will be mirrored again after a restart.
//
// Purge and rewind (purge_and_rewind()): when records queued in the producer
// must not reach the target any more (their partition was revoked and may be
// written by a new owner; a record before them was refused), the queued
// records (and after a refusal the in-flight ones, which the idempotent
// producer would otherwise retry after the gap) are purged, under
// produce_gate_ so that no worker produces meanwhile. Partitions still owned consume again from their
// acknowledged prefix, so the target never gets a record after a gap.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "config/config.h"
#include "kafka/admin.h"
#include "kafka/batch_producer.h"
#include "checkpoints/offset_range_store.h"
#include "replicator/flow_stats.h"
#include "replicator/heartbeat_emitter.h"
#include "replicator/inflight_budget.h"
#include "replicator/memory_plan.h"
#include "replicator/partition_progress.h"
#include "replicator/rate_limiter.h"
#include "replicator/topic_sync.h"

namespace kmirror::replicator {

class MirrorWorker;
class CheckpointEmitter;
class OffsetSyncWriter;

/// A flow could not start (a cluster unreachable, a property refused).
class StartError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Client settings of a configured cluster, for kafka/.
kafka::ClientSettings client_settings(const config::Cluster& cluster);

class Flow {
public:
    /// A target topic as the data path sees it: the producer's handle, and the
    /// progress of each partition by number, so that a delivery report finds
    /// its partition without a lookup (the handle's route pointer is this).
    struct TargetRoute {
        std::string source_topic;
        kafka::TopicHandle handle;
        /// The codec is not `none`: the target may accept a record larger
        /// than its limit once compressed.
        bool compressed = false;
        /// The target topic's max.message.bytes; 0: not known.
        std::atomic<std::int64_t> record_limit{0};
        std::mutex mu;
        std::vector<std::shared_ptr<PartitionProgress>> partitions;  // guarded by mu
        [[nodiscard]] std::shared_ptr<PartitionProgress> partition(std::int32_t p);
    };

    /// `on_failure` is called (from any thread) when the flow cannot go on:
    /// a fatal client error or an unexpected exception on a worker.
    /// `ranges` (may be null) receives every (source offset -> target
    /// offset) pair the target acknowledged, for offset translation.
    Flow(const config::Config& config, const config::Flow& flow,
         std::function<void(const std::string&)> on_failure,
         checkpoints::OffsetRangeStore* ranges = nullptr);
    ~Flow();
    Flow(const Flow&) = delete;
    Flow& operator=(const Flow&) = delete;

    /// Connects to both clusters, creates the target topics and starts the
    /// threads and timers. Throws StartError naming the cluster at fault.
    void start();
    /// Drains and stops; returns when every thread has ended.
    void stop(std::chrono::steady_clock::time_point deadline);

    [[nodiscard]] const config::Flow& config() const noexcept { return flow_; }
    [[nodiscard]] FlowStats& stats() noexcept { return stats_; }
    [[nodiscard]] TopicSync& topics() noexcept { return *topics_; }
    [[nodiscard]] kafka::BatchProducer& producer() noexcept { return *producer_; }
    /// The memory plan (after start()); its in-flight account and rate limit.
    [[nodiscard]] const MemoryPlan& memory() const noexcept { return plan_; }
    [[nodiscard]] InflightBudget& in_flight() noexcept { return *in_flight_; }
    [[nodiscard]] RateLimiter& limiter() noexcept { return *limiter_; }
    [[nodiscard]] const kafka::ClientSettings& source_settings() const noexcept {
        return source_settings_;
    }
    [[nodiscard]] bool stopping() const noexcept { return stopping_.load(); }
    /// start() succeeded.
    [[nodiscard]] bool started() const noexcept { return started_.load(); }
    /// Ready: both clusters answer and the flow consumes partitions.
    /// Otherwise the reason, for /readyz and /status.
    [[nodiscard]] std::optional<std::string> not_ready_reason() const;
    /// Why the last start() failed, shown as the not-ready reason until a
    /// start succeeds.
    void set_start_error(std::string why);
    /// The last error seen on each cluster, if any ("" = none).
    [[nodiscard]] std::string last_source_error() const;
    [[nodiscard]] std::string last_target_error() const;

    /// The progress of a partition this process consumes (nullptr if none).
    /// The pointer stays valid while the partition is assigned or has records
    /// in flight: only partitions with neither, of topics no longer mirrored
    /// for state.forget_after, are ever dropped (forget_gone_topics()).
    PartitionProgress* progress(std::string_view topic, std::int32_t partition);
    /// The same, shared: for threads that are not the partition's worker or
    /// the delivery thread (checkpoints, HTTP).
    std::shared_ptr<PartitionProgress> progress_ref(std::string_view topic,
                                                    std::int32_t partition);
    /// Starts tracking a newly assigned partition (resetting old state);
    /// `start` is the offset consumption starts from, if known.
    PartitionProgress* track(const std::string& topic, std::int32_t partition,
                             std::optional<SourceOffset> start, bool acknowledged);
    /// The route of a tracked partition's target topic (nullptr if untracked).
    TargetRoute* route(const std::string& source_topic);
    /// Every partition this process tracks (assigned now or earlier).
    std::vector<std::shared_ptr<PartitionProgress>> partitions();
    void fail(const std::string& reason);
    /// Runs topic discovery on the admin thread soon, instead of at the next
    /// refresh_interval (a worker was assigned a partition the target lacks).
    /// @thread any
    void request_discovery();
    /// Start marks (checkpoints/start_mark.h) of the sessions that want
    /// one, soon, on the admin thread. @thread any
    void request_start_marks();
    /// A partition whose target partition the producer does not know yet:
    /// the admin thread makes sure it exists and refreshes the producer's
    /// metadata (no admin call on a worker). @thread any
    void request_target_partition(const std::string& source_topic, std::int32_t partition);

    /// Purges the records the producer holds and marks the partitions that
    /// had records in flight rewinding (see the header comment). With
    /// `sent_too`, also those already sent: their answers are ignored, but
    /// a broker may have written them (a quota delays the answer, not the
    /// write), so they are copied again. Without, sent records settle as
    /// the target answers. @thread any
    void purge_and_rewind(const std::string& why, bool sent_too);
    /// Counts purge_and_rewind() calls: a worker seeing it change looks for
    /// rewinding partitions.
    [[nodiscard]] std::uint64_t purges() const noexcept { return purges_.load(); }
    /// Held shared by a worker while it produces a run of records.
    [[nodiscard]] std::shared_mutex& produce_gate() noexcept { return produce_gate_; }

    /// Settles a batch of delivery reports. @thread delivery
    void settle(const kafka::DeliveryBatch& batch) noexcept;

private:
    struct KeyLess {
        using is_transparent = void;
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return std::tie(a.first, a.second) < std::tie(b.first, b.second);
        }
    };
    using Key = std::pair<std::string, std::int32_t>;

    /// Throws StartError when the cluster does not answer; its broker count otherwise.
    int check_reachable(kafka::Admin& admin, const std::string& role);
    void discover();
    void schedule_discovery();
    void schedule_config_sync();
    void schedule_heartbeat();
    void schedule_offset_syncs();
    void schedule_prune();
    /// Drops offset ranges whose target records retention deleted, for every
    /// partition of a mirrored topic the store holds (not only the assigned
    /// ones: partitions that moved to another instance stay in the store).
    void prune_ranges();
    /// Forgets topics that discovery no longer returns (`mirrored`) once
    /// state.forget_after has passed: their offset ranges, their progress
    /// (so /status and the metrics), their offset-sync state.
    void forget_gone_topics(const std::vector<std::string>& mirrored);
    /// Marks the released partitions of a topic that left the source
    /// (PartitionProgress::topic_deleted).
    void mark_topic_deleted(const std::string& topic);
    /// Offset syncs and checkpoints: set up before the workers start.
    void start_translation(int source_brokers, int target_brokers);
    void delivery_loop();
    /// Settles reports [begin, end) of `batch`, all of one partition of `route`.
    void settle_run(TargetRoute& route, const kafka::DeliveryBatch& batch, std::size_t begin,
                    std::size_t end);
    /// A report that is not an acknowledgement (purged, refused, fatal);
    /// true when the flow must purge and rewind.
    bool settle_error(PartitionProgress& progress, const kafka::DeliveryBatch& batch,
                      std::size_t i);
    /// A heartbeat record of the source's heartbeats topic reached the target.
    void note_heartbeat(std::optional<kafka::Bytes> key, std::optional<kafka::Bytes> value);
    /// Takes the start marks of new sessions (flow_start_marks.cc). @thread admin
    void take_start_marks();
    /// High watermarks of assigned partitions that fetch nothing (stopped,
    /// waiting for their target, paused in an outage): asked of the source
    /// on the admin thread, so that lag keeps rising.
    void schedule_watermarks();
    void sample_idle_watermarks();

    const config::Config& config_;
    const config::Flow& flow_;
    std::function<void(const std::string&)> on_failure_;
    checkpoints::OffsetRangeStore* ranges_;
    FlowStats stats_;
    kafka::ClientSettings source_settings_;
    kafka::ClientSettings target_settings_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> failed_{false};
    std::atomic<bool> started_{false};
    mutable std::mutex start_error_mu_;
    std::string start_error_;  // guarded by start_error_mu_
    std::atomic<bool> source_reachable_{false};
    std::atomic<bool> target_reachable_{false};
    std::vector<std::string> subscribed_;  // @thread io (timers)
    std::atomic<bool> discovery_requested_{false};
    std::atomic<bool> start_marks_requested_{false};

    std::unique_ptr<kafka::Admin> source_admin_;
    std::unique_ptr<kafka::Admin> target_admin_;
    std::unique_ptr<TopicSync> topics_;
    std::unique_ptr<HeartbeatEmitter> heartbeats_;
    std::unique_ptr<OffsetSyncWriter> offset_syncs_;
    std::unique_ptr<CheckpointEmitter> checkpoints_;
    MemoryPlan plan_;
    std::unique_ptr<InflightBudget> in_flight_;
    std::unique_ptr<RateLimiter> limiter_;
    std::shared_mutex produce_gate_;
    std::atomic<std::uint64_t> purges_{0};
    std::shared_mutex progress_mu_;
    std::map<Key, std::shared_ptr<PartitionProgress>, KeyLess> progress_;  // guarded by progress_mu_
    // By target topic; never erased while the producer lives (its topic
    // handles point here). guarded by progress_mu_
    std::map<std::string, std::unique_ptr<TargetRoute>, std::less<>> routes_;
    // Declared after routes_: its topic handles carry pointers into them, and
    // its reports are settled against them, so it is destroyed first.
    std::unique_ptr<kafka::BatchProducer> producer_;
    // Delivery thread scratch, reused batch after batch.
    std::vector<SourceOffset> settled_;
    std::vector<checkpoints::OffsetPair> pairs_;
    // Topics tracked here but no longer mirrored, since when. @thread admin
    std::map<std::string, std::chrono::steady_clock::time_point> gone_since_;
    // Declared after producer_ and progress_: workers use both, and are
    // destroyed first.
    std::vector<std::unique_ptr<MirrorWorker>> workers_;
    std::vector<std::thread> worker_threads_;
    std::thread delivery_thread_;
    std::atomic<bool> delivery_stop_{false};
    boost::asio::io_context admin_io_;
    std::unique_ptr<boost::asio::steady_timer> discovery_timer_;
    std::unique_ptr<boost::asio::steady_timer> config_timer_;
    std::unique_ptr<boost::asio::steady_timer> heartbeat_timer_;
    std::unique_ptr<boost::asio::steady_timer> offset_sync_timer_;
    std::unique_ptr<boost::asio::steady_timer> prune_timer_;
    std::unique_ptr<boost::asio::steady_timer> watermark_timer_;
    std::thread admin_thread_;
};

}  // namespace kmirror::replicator
