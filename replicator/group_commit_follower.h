#pragma once
// GroupCommitFollower: follows the offset commits of every consumer group on
// a cluster by reading its `__consumer_offsets` topic, as consumer-lag tools
// (Burrow) do. One fetch stream instead of one ListConsumerGroupOffsets
// request per group and interval: a commit is seen within a fetch round trip.
//
// Reads every partition from the beginning (the topic is compacted, so that is
// the latest commit of every live group, plus recent history) with
// read_committed, so offsets committed inside an aborted transaction never
// show. caught_up() turns true once every partition reached the end it had
// when reading started.
//
// Where the topic cannot be read (no READ permission on it, which is common
// on shared clusters) poll() reports unavailable(); the caller falls back to
// listing group offsets through the Admin API. Both a topic that may not be
// described (metadata answers TOPIC_AUTHORIZATION_FAILED) and one that may not
// be read (fetch does) count. As a safety net, a follower that read nothing at
// all, not even an end of partition, within kSilenceLimit counts as
// unavailable too: an error librdkafka only logs would otherwise hold
// checkpoints back forever.
//
// @thread one owning thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "kafka/admin.h"
#include "kafka/consumer.h"

namespace kmirror::replicator {

struct GroupCommit {
    std::string group;
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = -1;  ///< next offset the group reads; -1: the commit was deleted
    std::string metadata;
};

class GroupCommitFollower {
public:
    /// `fetch_wait`: how long the broker may hold a fetch that has nothing new
    /// (fetch.wait.max.ms): what read_to_now() waits at most per round trip.
    GroupCommitFollower(const kafka::ClientSettings& cluster, std::string client_id,
                        std::chrono::milliseconds fetch_wait = std::chrono::milliseconds(50));
    ~GroupCommitFollower();

    /// Starts reading once the topic exists (Kafka creates it at the first
    /// group coordinator lookup). False while it does not exist yet.
    bool start(kafka::Admin& admin, std::chrono::milliseconds timeout);
    [[nodiscard]] bool started() const noexcept { return consumer_ != nullptr; }
    /// Reads for up to `timeout`, handing each commit to `on_commit`.
    void poll(std::chrono::milliseconds timeout, const std::function<void(GroupCommit&&)>& on_commit);
    [[nodiscard]] bool caught_up() const noexcept { return started() && at_end_.size() >= partitions_; }
    /// Reads until every partition reached the end it has now (asked of the
    /// brokers after this call began), handing each commit to `on_commit`:
    /// then every commit acknowledged before the call has been seen. False
    /// when that takes longer than `timeout` (or the ends cannot be asked).
    bool read_to_now(std::chrono::milliseconds timeout,
                     const std::function<void(GroupCommit&&)>& on_commit);
    /// The topic cannot be read (authorization); the reason.
    [[nodiscard]] const std::string& unavailable() const noexcept { return unavailable_; }

private:
    void advance(std::int32_t partition, std::int64_t next);

    kafka::ClientSettings cluster_;
    std::string client_id_;
    std::chrono::milliseconds fetch_wait_;
    std::size_t partitions_ = 0;
    std::vector<kafka::TopicPartition> all_;  // every partition of __consumer_offsets
    std::set<std::int32_t> at_end_;  // partitions that reached their end once
    std::vector<std::int64_t> next_;  // per partition: the next offset to read
    bool heard_ = false;             // any record or end of partition since start()
    std::chrono::steady_clock::time_point started_at_;
    std::string unavailable_;
    std::unique_ptr<kafka::Consumer> consumer_;
};

}  // namespace kmirror::replicator
