#pragma once
// Consumer: a librdkafka high-level consumer. Rebalances are handed to a
// RebalanceListener on the polling thread; both the eager and the cooperative
// protocol are driven here, so listeners only see partitions.
//
// @thread one owning thread calls poll(); wake() and pause()/resume() may be
// called from any thread.

#include <chrono>
#include <exception>
#include <optional>
#include <system_error>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "kafka/client_base.h"
#include "kafka/message.h"

namespace kmirror::kafka {

class RebalanceListener {
public:
    virtual ~RebalanceListener() = default;
    /// Partitions about to be assigned; a listener may set each starting
    /// offset (kOffsetInvalid = the group's committed offset).
    virtual void on_assigned(std::vector<TopicPartitionOffset>& partitions) = 0;
    /// Partitions just assigned (after on_assigned, once librdkafka holds them).
    /// A pause made in on_assigned may not last: since librdkafka 2.10 a topic
    /// deleted and created again gets a new partition object at assignment.
    virtual void after_assigned(const std::vector<TopicPartition>& /*partitions*/) {}
    /// Partitions about to be taken away. `lost`: the group membership was
    /// lost, so committing for them would fail.
    virtual void on_revoked(const std::vector<TopicPartition>& partitions, bool lost) = 0;
};

class Consumer : public ClientBase {
public:
    /// Throws ConfigError when a property is refused or the handle cannot be made.
    Consumer(const ClientSettings& settings, const Overrides& overrides,
             RebalanceListener* listener = nullptr);
    ~Consumer() override;

    /// The next message or error; an empty Message on timeout or wake().
    /// Rethrows what a rebalance listener threw, on this thread.
    Message poll(std::chrono::milliseconds timeout);
    /// Up to `max` messages (or errors) at once, appended to `out`: waits up
    /// to `timeout` for the first, then takes what is queued. Rebalance
    /// callbacks run inside: a message of a partition revoked by one of them
    /// may be among those returned (callers check the assignment). Returns
    /// how many were appended.
    std::size_t poll_batch(std::chrono::milliseconds timeout, std::size_t max,
                           std::vector<Message>& out);
    Result<void> subscribe(const std::vector<std::string>& topics);
    /// Manual assignment (no group rebalancing), for tools and tests.
    Result<void> assign(const std::vector<TopicPartitionOffset>& partitions);
    Result<std::vector<TopicPartitionOffset>> committed(
        const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout);
    /// Commits the given next-offsets. Synchronous unless `async`.
    /// Synchronous commits wait at most `timeout` for the coordinator's answer
    /// (an unanswered one is TIMED_OUT; the commit may still land later).
    Result<void> commit(const std::vector<TopicPartitionOffset>& offsets, bool async,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// Sends a commit without waiting for its answer; the answer is read with
    /// commit_result(). One at a time: false (nothing sent) while one is open.
    bool commit_async(const std::vector<TopicPartitionOffset>& offsets);
    struct CommitResult {
        std::error_code error;  ///< the request's, or the first partition's
        std::vector<TopicPartitionOffset> offsets;  ///< as committed (when no error)
    };
    /// The answer to the last commit_async(), if it came; never waits.
    std::optional<CommitResult> commit_result();
    /// Whether a commit_async() is waiting for its answer.
    [[nodiscard]] bool commit_open() const noexcept { return commit_open_; }
    /// Restarts fetching of an assigned partition at `position`. Re-assigning
    /// also works on a partition whose fetcher stopped after an offset-reset
    /// error, where rd_kafka_seek_partitions fails with ERR__STATE (still so
    /// in librdkafka 2.8.0: librdkafka#2961).
    Result<void> reposition(const TopicPartitionOffset& position);
    void pause(const std::vector<TopicPartition>& partitions);
    void resume(const std::vector<TopicPartition>& partitions);
    /// Low and high watermark of a partition, asked of the broker.
    Result<std::pair<std::int64_t, std::int64_t>> watermarks(const std::string& topic,
                                                             std::int32_t partition,
                                                             std::chrono::milliseconds timeout);
    /// The high watermark of a partition as of the last fetch (no request).
    [[nodiscard]] std::optional<std::int64_t> cached_high_watermark(const std::string& topic,
                                                                   std::int32_t partition) const;
    /// The latest offsets of partitions, asked of their leaders in one request
    /// per broker (ListOffsets, for partitions that are paused and so fetch no
    /// watermarks). Partitions that failed are left out.
    std::vector<TopicPartitionOffset> latest_offsets(const std::vector<TopicPartition>& partitions,
                                                     std::chrono::milliseconds timeout);
    /// Makes a blocked poll() return now.
    void wake() noexcept;
    /// Leaves the group (revoking through the listener) and stops fetching,
    /// for at most `timeout`: a close not finished by then is abandoned (and
    /// the handle destroyed without closing it again), so the group hands the
    /// partitions on after the session timeout instead.
    void close(std::chrono::milliseconds timeout = std::chrono::seconds(10));

private:
    static void rebalance_trampoline(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                     rd_kafka_topic_partition_list_t* partitions,
                                     void* opaque) noexcept;
    void rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);

    RebalanceListener* listener_;
    std::exception_ptr listener_error_;  // @thread poll thread
    bool closed_ = false;
    bool close_unfinished_ = false;  // close() gave up at its timeout
    bool commit_open_ = false;  // @thread poll thread
    HandlePtr rk_;
    QueuePtr queue_;          // declared after rk_: destroyed first
    QueuePtr commit_answers_; // commit_async() results; declared after rk_
};

/// Converts to and from librdkafka partition lists (kafka/ internal use).
TopicPartitionListPtr to_list(const std::vector<TopicPartitionOffset>& partitions);
TopicPartitionListPtr to_list(const std::vector<TopicPartition>& partitions);
std::vector<TopicPartitionOffset> from_list(const rd_kafka_topic_partition_list_t* list);
/// ListOffsets for `timestamp` (-1 latest, -2 earliest, or a time in ms), one
/// request per leader, on any client handle. Partitions that failed are left out.
std::vector<TopicPartitionOffset> list_offsets(rd_kafka_t* rk,
                                               const std::vector<TopicPartition>& partitions,
                                               std::int64_t timestamp,
                                               std::chrono::milliseconds timeout);

}  // namespace kmirror::kafka
