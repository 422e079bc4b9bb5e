#pragma once
// BatchProducer: the mirroring producer. Built for one job: copy consumed
// records into target topics at full speed, with delivery reports settled
// in batches.
//  * send() copies key, value and headers (RD_KAFKA_MSG_F_COPY), so the
//    consumed message, and the fetch response it lives in, is freed at once:
//    what the producer holds is bounded by its own queue limits, never by
//    the size of fetch responses (a record forwarded without a copy pins its
//    whole fetch buffer until the target acknowledges it).
//  * Records go through topic handles created once (topic()), not by name:
//    no client-wide lock and no topic lookup per record.
//  * Delivery reports come as librdkafka DR events, one per produce batch
//    of one partition, handed to the caller as a DeliveryBatch.
//  * Each record carries a 64-bit tag (the caller's source offset) and each
//    topic handle a route pointer, so a report is routed without a lookup.
//
// @thread send(), topic(): any thread; poll(): one delivery thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "kafka/client_base.h"
#include "kafka/message.h"

namespace kmirror::kafka {

/// A target topic as the producer knows it; valid for the producer's lifetime.
class TopicHandle {
public:
    TopicHandle() = default;
    [[nodiscard]] explicit operator bool() const noexcept { return rkt_ != nullptr; }
    [[nodiscard]] bool operator==(const TopicHandle&) const = default;

private:
    friend class BatchProducer;
    explicit TopicHandle(rd_kafka_topic_t* rkt) noexcept : rkt_(rkt) {}
    rd_kafka_topic_t* rkt_ = nullptr;
};

struct TopicOptions {
    /// librdkafka codec name: none, gzip, snappy, lz4, zstd.
    std::string compression = "none";
};

/// One delivery report event: the reports of one produce batch (usually of
/// one partition), in produce order. Views; valid during the handler call.
class DeliveryBatch {
public:
    explicit DeliveryBatch(std::span<const rd_kafka_message_t*> reports) noexcept
        : reports_(reports) {}
    [[nodiscard]] std::size_t size() const noexcept { return reports_.size(); }
    /// The route pointer given to topic() for the record's topic.
    [[nodiscard]] void* route(std::size_t i) const noexcept;
    [[nodiscard]] std::int32_t partition(std::size_t i) const noexcept {
        return reports_[i]->partition;
    }
    /// The caller's tag given to send().
    [[nodiscard]] std::uint64_t tag(std::size_t i) const noexcept {
        return reinterpret_cast<std::uintptr_t>(reports_[i]->_private);
    }
    /// Offset on the target; meaningful when error(i) is not set.
    [[nodiscard]] std::int64_t offset(std::size_t i) const noexcept {
        return reports_[i]->offset;
    }
    [[nodiscard]] rd_kafka_resp_err_t error(std::size_t i) const noexcept {
        return reports_[i]->err;
    }
    [[nodiscard]] std::string error_message(std::size_t i) const;
    [[nodiscard]] std::string_view topic(std::size_t i) const noexcept;
    [[nodiscard]] std::optional<Bytes> key(std::size_t i) const noexcept;
    [[nodiscard]] std::optional<Bytes> value(std::size_t i) const noexcept;
    /// Key plus value bytes, as the record was sent.
    [[nodiscard]] std::size_t size(std::size_t i) const noexcept {
        return reports_[i]->len + reports_[i]->key_len;
    }
    /// The record's timestamp (the source's), ms since the epoch.
    [[nodiscard]] std::optional<std::int64_t> timestamp(std::size_t i) const noexcept;

private:
    std::span<const rd_kafka_message_t*> reports_;
};

class BatchProducer : public ClientBase {
public:
    /// Throws ConfigError when a property is refused or the handle cannot be made.
    BatchProducer(const ClientSettings& settings, const Overrides& overrides);
    ~BatchProducer() override;

    /// The handle of `topic`, created on first use with `options` and `route`
    /// (handed back with each of its delivery reports); later calls return
    /// the same handle and ignore their arguments. Throws ConfigError when
    /// librdkafka refuses an option.
    TopicHandle topic(const std::string& name, const TopicOptions& options, void* route);

    /// Copies `source`'s key, value, headers and timestamp into a record of
    /// `topic`, same partition, plus the header `extra` if given. `tag` comes
    /// back in the delivery report. QUEUE_FULL and the like are returned;
    /// `source` is never consumed.
    Result<void> send(TopicHandle topic, const Message& source, std::uint64_t tag,
                      const std::optional<std::pair<std::string_view, std::string_view>>& extra =
                          std::nullopt);

    /// Waits up to `timeout` for delivery reports and hands each batch to
    /// `handler`, until none is left waiting; returns how many reports.
    std::size_t poll(std::chrono::milliseconds timeout,
                     const std::function<void(const DeliveryBatch&)>& handler);
    /// Makes a blocked poll() return now.
    void wake() noexcept;
    /// Waits until every record's report was handled by poll() (on another
    /// thread), or the timeout passed.
    Result<void> flush(std::chrono::milliseconds timeout);
    /// Fails every queued record, and with `in_flight` also those sent and
    /// not answered, with ERR__PURGE_QUEUE / ERR__PURGE_INFLIGHT. Their
    /// reports come through poll(). A purged in-flight record may still have
    /// reached the broker; none is sent again.
    void purge(bool in_flight) noexcept;
    /// Asks the cluster for `topic`'s metadata now (a partition was just added).
    Result<void> refresh_metadata(TopicHandle topic, std::chrono::milliseconds timeout);
    /// Records sent and not yet reported through poll().
    [[nodiscard]] std::int64_t in_flight() const noexcept { return records_.load(); }

private:
    std::atomic<std::int64_t> records_{0};
    HandlePtr rk_;
    QueuePtr main_queue_;  // declared after rk_: destroyed first
    std::mutex topics_mu_;
    // Destroyed by the destructor before rk_ (librdkafka: a topic handle must
    // not outlive its client).
    std::map<std::string, rd_kafka_topic_t*, std::less<>> topics_;  // guarded by topics_mu_
};

}  // namespace kmirror::kafka
