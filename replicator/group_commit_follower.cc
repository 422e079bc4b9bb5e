#include "replicator/group_commit_follower.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "checkpoints/consumer_offsets_records.h"
#include "kafka/error.h"

namespace kmirror::replicator {
namespace {

const std::string kConsumerOffsets = "__consumer_offsets";
/// A readable partition answers within a few fetch rounds, with records or
/// an end of partition.
constexpr auto kSilenceLimit = std::chrono::seconds(15);

bool is_authorization_error(const std::error_code& ec) {
    return kafka::is(ec, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) ||
           kafka::is(ec, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) ||
           kafka::is(ec, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
}

}  // namespace

GroupCommitFollower::GroupCommitFollower(const kafka::ClientSettings& cluster,
                                         std::string client_id,
                                         std::chrono::milliseconds fetch_wait)
    : cluster_(cluster), client_id_(std::move(client_id)), fetch_wait_(fetch_wait) {}

GroupCommitFollower::~GroupCommitFollower() {
    if (consumer_) consumer_->close(std::chrono::seconds(5));
}

bool GroupCommitFollower::start(kafka::Admin& admin, std::chrono::milliseconds timeout) {
    auto md = admin.metadata(timeout, &kConsumerOffsets);
    if (!md) return false;
    if (auto e = md.value().topic_errors.find(kConsumerOffsets);
        e != md.value().topic_errors.end() && is_authorization_error(e->second)) {
        unavailable_ = "not authorized to describe " + kConsumerOffsets;
        return false;
    }
    if (md.value().topics.empty() || md.value().topics[0].partitions <= 0) return false;
    partitions_ = static_cast<std::size_t>(md.value().topics[0].partitions);
    next_.assign(partitions_, 0);
    consumer_ = std::make_unique<kafka::Consumer>(
        cluster_, kafka::Overrides{
                      // Assigned, never subscribed or committed: the group id only
                      // satisfies librdkafka, no group is joined.
                      {"group.id", client_id_},
                      {"client.id", client_id_},
                      {"enable.auto.commit", "false"},
                      {"enable.auto.offset.store", "false"},
                      {"isolation.level", "read_committed"},
                      {"enable.partition.eof", "true"},
                      {"fetch.wait.max.ms", std::to_string(fetch_wait_.count())},
                  });
    all_.clear();
    std::vector<kafka::TopicPartitionOffset> all;
    for (std::size_t p = 0; p < partitions_; ++p) {
        all_.push_back({kConsumerOffsets, static_cast<std::int32_t>(p)});
        all.push_back({kConsumerOffsets, static_cast<std::int32_t>(p), kafka::kOffsetBeginning});
    }
    started_at_ = std::chrono::steady_clock::now();
    if (auto r = consumer_->assign(all); !r) {
        unavailable_ = r.error().message();
        return true;
    }
    return true;
}

void GroupCommitFollower::advance(std::int32_t partition, std::int64_t next) {
    if (partition < 0 || static_cast<std::size_t>(partition) >= next_.size()) return;
    auto& n = next_[static_cast<std::size_t>(partition)];
    n = std::max(n, next);
}

bool GroupCommitFollower::read_to_now(std::chrono::milliseconds timeout,
                                      const std::function<void(GroupCommit&&)>& on_commit) {
    if (!consumer_ || !unavailable_.empty()) return false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    // read_committed: the ends are the last stable offsets, what reading reaches.
    const auto ends = consumer_->latest_offsets(all_, timeout);
    if (ends.size() != partitions_) return false;
    auto reached = [&] {
        return std::all_of(ends.begin(), ends.end(), [&](const kafka::TopicPartitionOffset& e) {
            return next_[static_cast<std::size_t>(e.partition)] >= e.offset;
        });
    };
    while (!reached()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !unavailable_.empty()) return false;
        poll(std::min(left, std::chrono::milliseconds(100)), on_commit);
    }
    return true;
}

void GroupCommitFollower::poll(std::chrono::milliseconds timeout,
                               const std::function<void(GroupCommit&&)>& on_commit) {
    if (!consumer_ || !unavailable_.empty()) return;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        // After the first message, take what is already fetched without waiting.
        kafka::Message m = consumer_->poll(std::max(left, std::chrono::milliseconds(0)));
        if (!m) {
            if (!heard_ && std::chrono::steady_clock::now() - started_at_ > kSilenceLimit) {
                const auto last = consumer_->last_error();
                unavailable_ = "nothing read from " + kConsumerOffsets + " within " +
                               std::to_string(kSilenceLimit.count()) + " s" +
                               (last.empty() ? " (no READ permission on it?)" : ": " + last);
            }
            return;
        }
        heard_ = true;
        if (!m.error()) advance(m.partition(), m.offset() + 1);
        if (const auto ec = m.error()) {
            if (kafka::is(ec, RD_KAFKA_RESP_ERR__PARTITION_EOF)) {
                at_end_.insert(m.partition());
                advance(m.partition(), m.offset());
            } else if (is_authorization_error(ec)) {
                unavailable_ = m.error_message();
                return;
            }
            continue;
        }
        auto record = checkpoints::decode_consumer_offsets_record(kafka::as_chars(m.key()),
                                                                  kafka::as_chars(m.value()));
        if (!record) {
            spdlog::debug("{}: skipped an undecodable record at {}-{}@{}: {}", client_id_,
                          kConsumerOffsets, m.partition(), m.offset(), record.error().message());
            continue;
        }
        auto& r = record.value();
        using Kind = checkpoints::ConsumerOffsetsRecord::Kind;
        if (r.kind == Kind::other) continue;
        GroupCommit commit{std::move(r.key.group), std::move(r.key.topic), r.key.partition, -1, {}};
        if (r.kind == Kind::offset_commit) {
            commit.offset = r.commit.offset.value();
            commit.metadata = std::move(r.commit.metadata);
        }
        on_commit(std::move(commit));
        deadline = std::chrono::steady_clock::now();
    }
}

}  // namespace kmirror::replicator
