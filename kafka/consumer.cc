#include "kafka/consumer.h"

#include <spdlog/spdlog.h>

#include <array>
#include <cstring>
#include <memory>

#include "kafka/rd_call.h"

namespace kmirror::kafka {
namespace {

using detail::check;
using detail::to_int_ms;

}  // namespace

TopicPartitionListPtr to_list(const std::vector<TopicPartitionOffset>& partitions) {
    TopicPartitionListPtr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const auto& p : partitions) {
        rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition)->offset =
            p.offset;
    }
    return list;
}

TopicPartitionListPtr to_list(const std::vector<TopicPartition>& partitions) {
    TopicPartitionListPtr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const auto& p : partitions) {
        rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition);
    }
    return list;
}

std::vector<TopicPartitionOffset> from_list(const rd_kafka_topic_partition_list_t* list) {
    std::vector<TopicPartitionOffset> out;
    if (!list) return out;
    out.reserve(static_cast<std::size_t>(list->cnt));
    for (int i = 0; i < list->cnt; ++i) {
        const auto& e = list->elems[i];
        out.push_back({e.topic, e.partition, e.offset});
    }
    return out;
}

Consumer::Consumer(const ClientSettings& settings, const Overrides& overrides,
                   RebalanceListener* listener)
    : ClientBase(settings.cluster), listener_(listener) {
    auto conf = build_conf(settings, overrides);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &Consumer::rebalance_trampoline);
    rk_ = create(RD_KAFKA_CONSUMER, std::move(conf));
    // All events (fetches, rebalances) are served from the consumer queue.
    rd_kafka_poll_set_consumer(rk_.get());
    queue_.reset(rd_kafka_queue_get_consumer(rk_.get()));
    commit_answers_.reset(rd_kafka_queue_new(rk_.get()));
}

Consumer::~Consumer() {
    if (!rk_) return;
    if (!closed_) {
        // Leave the group cleanly; rebalance callbacks may still run here.
        try {
            close();
        } catch (...) {
        }
    }
    commit_answers_.reset();
    queue_.reset();
    // The TPLs and messages of this handle are gone by now, so this returns
    // (librdkafka 2.6.1 also released the references of deleted topics'
    // partitions, which made 2.0.2 wait here forever:
    // ConsumerLifecycle.AMemberWhoseTopicWasDeletedShutsDownWithinSeconds).
    // A close that did not finish in time is not waited for again here: plain
    // rd_kafka_destroy() would close the consumer, without a bound.
    if (close_unfinished_) {
        rd_kafka_destroy_flags(rk_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    rk_.reset();
}

Message Consumer::poll(std::chrono::milliseconds timeout) {
    Message m(rd_kafka_consumer_poll(rk_.get(), to_int_ms(timeout)));
    if (listener_error_) std::rethrow_exception(std::exchange(listener_error_, nullptr));
    return m;
}

std::size_t Consumer::poll_batch(std::chrono::milliseconds timeout, std::size_t max,
                                 std::vector<Message>& out) {
    if (max == 0) return 0;
    // rd_kafka_consume_batch_queue() waits for all `max` messages or the
    // whole timeout: the first message is waited for alone, the rest is
    // taken as it is queued (timeout 0).
    Message first(rd_kafka_consumer_poll(rk_.get(), to_int_ms(timeout)));
    if (listener_error_) std::rethrow_exception(std::exchange(listener_error_, nullptr));
    if (!first) return 0;
    out.push_back(std::move(first));
    std::size_t taken = 1;
    constexpr std::size_t kChunk = 512;
    std::array<rd_kafka_message_t*, kChunk> slots{};
    while (taken < max) {
        const std::size_t want = std::min(kChunk, max - taken);
        const ssize_t n = rd_kafka_consume_batch_queue(queue_.get(), 0, slots.data(), want);
        // Owned before anything can throw.
        for (ssize_t i = 0; i < n; ++i) out.emplace_back(slots[static_cast<std::size_t>(i)]);
        if (listener_error_) std::rethrow_exception(std::exchange(listener_error_, nullptr));
        if (n <= 0) break;
        taken += static_cast<std::size_t>(n);
        if (static_cast<std::size_t>(n) < want) break;
    }
    return taken;
}

Result<void> Consumer::subscribe(const std::vector<std::string>& topics) {
    std::vector<TopicPartition> tps;
    tps.reserve(topics.size());
    for (const auto& t : topics) tps.push_back({t, RD_KAFKA_PARTITION_UA});
    auto list = to_list(tps);
    return check(rd_kafka_subscribe(rk_.get(), list.get()));
}

Result<void> Consumer::assign(const std::vector<TopicPartitionOffset>& partitions) {
    auto list = to_list(partitions);
    return check(rd_kafka_assign(rk_.get(), list.get()));
}

Result<std::vector<TopicPartitionOffset>> Consumer::committed(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) {
    auto list = to_list(partitions);
    if (auto r = check(rd_kafka_committed(rk_.get(), list.get(), to_int_ms(timeout))); !r) {
        return r.error();
    }
    for (int i = 0; i < list->cnt; ++i) {
        if (list->elems[i].err) return make_error(list->elems[i].err);
    }
    return from_list(list.get());
}

Result<void> Consumer::commit(const std::vector<TopicPartitionOffset>& offsets, bool async,
                              std::chrono::milliseconds timeout) {
    if (offsets.empty()) return outcome::success();
    auto list = to_list(offsets);
    if (async) return check(rd_kafka_commit(rk_.get(), list.get(), 1));
    // rd_kafka_commit(..., 0) waits for the answer without any bound (a
    // coordinator that does not answer holds the worker, and shutdown, for
    // good): the same commit with its answer on a queue of our own, waited
    // for at most `timeout`.
    QueuePtr answers(rd_kafka_queue_new(rk_.get()));
    if (auto r = check(rd_kafka_commit_queue(rk_.get(), list.get(), answers.get(), nullptr,
                                             nullptr));
        !r) {
        return r;
    }
    EventPtr ev(rd_kafka_queue_poll(answers.get(), to_int_ms(timeout)));
    if (!ev) return make_error(RD_KAFKA_RESP_ERR__TIMED_OUT);
    if (auto err = rd_kafka_event_error(ev.get()); err) return make_error(err);
    if (const auto* done = rd_kafka_event_topic_partition_list(ev.get())) {
        for (int i = 0; i < done->cnt; ++i) {
            if (done->elems[i].err) return make_error(done->elems[i].err);
        }
    }
    return outcome::success();
}

bool Consumer::commit_async(const std::vector<TopicPartitionOffset>& offsets) {
    if (commit_open_ || offsets.empty()) return false;
    auto list = to_list(offsets);
    if (rd_kafka_commit_queue(rk_.get(), list.get(), commit_answers_.get(), nullptr, nullptr) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
        return false;
    }
    commit_open_ = true;
    return true;
}

std::optional<Consumer::CommitResult> Consumer::commit_result() {
    if (!commit_open_) return std::nullopt;
    EventPtr ev(rd_kafka_queue_poll(commit_answers_.get(), 0));
    if (!ev) return std::nullopt;
    commit_open_ = false;
    CommitResult result;
    if (auto err = rd_kafka_event_error(ev.get()); err) result.error = make_error(err);
    if (const auto* done = rd_kafka_event_topic_partition_list(ev.get())) {
        for (int i = 0; i < done->cnt; ++i) {
            if (done->elems[i].err && !result.error) result.error = make_error(done->elems[i].err);
        }
        if (!result.error) result.offsets = from_list(done);
    }
    return result;
}

Result<void> Consumer::reposition(const TopicPartitionOffset& position) {
    auto at = to_list(std::vector<TopicPartitionOffset>{position});
    const bool cooperative =
        std::strcmp(rd_kafka_rebalance_protocol(rk_.get()), "COOPERATIVE") == 0;
    if (cooperative) {
        if (auto r = check(rd_kafka_incremental_unassign(rk_.get(), at.get())); !r) return r;
        return check(rd_kafka_incremental_assign(rk_.get(), at.get()));
    }
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (auto r = check(rd_kafka_assignment(rk_.get(), &raw)); !r) return r;
    TopicPartitionListPtr all(raw);
    for (int i = 0; i < all->cnt; ++i) {
        auto& e = all->elems[i];
        if (position.topic == e.topic && position.partition == e.partition) e.offset = position.offset;
    }
    return check(rd_kafka_assign(rk_.get(), all.get()));
}

void Consumer::pause(const std::vector<TopicPartition>& partitions) {
    auto list = to_list(partitions);
    (void)rd_kafka_pause_partitions(rk_.get(), list.get());
}

void Consumer::resume(const std::vector<TopicPartition>& partitions) {
    auto list = to_list(partitions);
    (void)rd_kafka_resume_partitions(rk_.get(), list.get());
}

Result<std::pair<std::int64_t, std::int64_t>> Consumer::watermarks(
    const std::string& topic, std::int32_t partition, std::chrono::milliseconds timeout) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (auto r = check(rd_kafka_query_watermark_offsets(rk_.get(), topic.c_str(), partition, &low,
                                                        &high, to_int_ms(timeout)));
        !r) {
        return r.error();
    }
    return std::pair{low, high};
}

std::optional<std::int64_t> Consumer::cached_high_watermark(const std::string& topic,
                                                            std::int32_t partition) const {
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_get_watermark_offsets(rk_.get(), topic.c_str(), partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
        return std::nullopt;
    }
    return high;
}

std::vector<TopicPartitionOffset> Consumer::latest_offsets(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) {
    // ListOffsets timestamp -1 means "latest".
    return list_offsets(rk_.get(), partitions, -1, timeout);
}

std::vector<TopicPartitionOffset> list_offsets(rd_kafka_t* rk,
                                               const std::vector<TopicPartition>& partitions,
                                               std::int64_t timestamp,
                                               std::chrono::milliseconds timeout) {
    std::vector<TopicPartitionOffset> query;
    query.reserve(partitions.size());
    for (const auto& p : partitions) query.push_back({p.topic, p.partition, timestamp});
    auto list = to_list(query);
    std::vector<TopicPartitionOffset> out;
    if (rd_kafka_offsets_for_times(rk, list.get(), to_int_ms(timeout)) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
        return out;
    }
    for (int i = 0; i < list->cnt; ++i) {
        const auto& e = list->elems[i];
        if (!e.err && e.offset >= 0) out.push_back({e.topic, e.partition, e.offset});
    }
    return out;
}

void Consumer::wake() noexcept {
    if (queue_) rd_kafka_queue_yield(queue_.get());
}

void Consumer::close(std::chrono::milliseconds timeout) {
    if (closed_) return;
    closed_ = true;
    // Revokes the assignment through the listener and sends LeaveGroup, also
    // with cooperative-sticky (librdkafka 2.0.2 did not, so kmirror used to
    // unsubscribe first; since 2.8 the next member gets the partitions at its
    // next heartbeat: ConsumerLifecycle.ACooperativeMemberThatClosesHands...).
    // Asynchronously, served here until `timeout`: rd_kafka_consumer_close()
    // waits for librdkafka's own end of the close without a bound.
    if (ErrorPtr error{rd_kafka_consumer_close_queue(rk_.get(), queue_.get())}) {
        spdlog::warn("cluster '{}': consumer close: {}", cluster(),
                     rd_kafka_error_string(error.get()));
        if (listener_error_) std::rethrow_exception(std::exchange(listener_error_, nullptr));
        return;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!rd_kafka_consumer_closed(rk_.get())) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left <= std::chrono::milliseconds::zero()) {
            // The group then hands its partitions on after the session timeout.
            spdlog::warn("cluster '{}': consumer did not close within {} ms; leaving it unclosed",
                         cluster(), timeout.count());
            close_unfinished_ = true;
            break;
        }
        // Serves the rebalance callback; records still queued are dropped
        // (not mirrored, so never committed).
        Message discarded(rd_kafka_consumer_poll(
            rk_.get(), to_int_ms(std::min(left, std::chrono::milliseconds(100)))));
    }
    if (listener_error_) std::rethrow_exception(std::exchange(listener_error_, nullptr));
}

void Consumer::rebalance_trampoline(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                                    rd_kafka_topic_partition_list_t* partitions,
                                    void* opaque) noexcept {
    auto* self = static_cast<Consumer*>(static_cast<ClientBase*>(opaque));
    try {
        self->rebalance(err, partitions);
    } catch (...) {
        // Rethrown by poll() on the owning thread (STYLE.md rule 11).
        self->listener_error_ = std::current_exception();
    }
}

void Consumer::rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_.get()), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        auto tps = from_list(partitions);
        if (listener_ && !tps.empty()) listener_->on_assigned(tps);
        auto list = to_list(tps);
        if (cooperative) {
            if (auto r = check(rd_kafka_incremental_assign(rk_.get(), list.get())); !r) {
                spdlog::error("cluster '{}': incremental assign failed: {}", cluster(),
                              r.error().message());
            }
        } else {
            (void)rd_kafka_assign(rk_.get(), list.get());
        }
        if (listener_ && !tps.empty()) {
            std::vector<TopicPartition> assigned;
            assigned.reserve(tps.size());
            for (const auto& p : tps) assigned.push_back({p.topic, p.partition});
            listener_->after_assigned(assigned);
        }
        return;
    }
    // Revoke, or an error such as a lost assignment: give everything back.
    const bool lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk_.get());
    std::vector<TopicPartition> tps;
    for (const auto& p : from_list(partitions)) tps.push_back({p.topic, p.partition});
    // Unassign even if the listener throws: the group protocol must go on.
    struct Unassign {
        rd_kafka_t* rk;
        rd_kafka_topic_partition_list_t* parts;
        bool coop;
        ~Unassign() {
            if (coop) {
                ErrorPtr e(rd_kafka_incremental_unassign(rk, parts));
            } else {
                (void)rd_kafka_assign(rk, nullptr);
            }
        }
    } unassign{rk_.get(), partitions, cooperative};
    if (listener_ && !tps.empty()) listener_->on_revoked(tps, lost);
}

}  // namespace kmirror::kafka
