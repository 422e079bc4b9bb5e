#pragma once
// Plain librdkafka clients for the benchmark's own traffic: the loader, the
// ceiling and the latency probe. They use librdkafka directly, not kmirror's
// kafka/ layer, for two reasons:
//  * the ceiling is "what a plain librdkafka client does on these brokers";
//    it carries none of kmirror's per-record costs (issue 16 removes those);
//  * the yardstick must not move while kmirror's data path is rewritten: a
//    change to kafka/ (settings, polling) changes kmirror's figures, never
//    the ceiling's. Every setting they use is spelled out where they are made.
//
// @thread a RawProducer or RawConsumer is used by one thread at a time.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kafka/handles.h"

namespace kmirror::bench {

using Props = std::vector<std::pair<std::string, std::string>>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, CDeleter<&rd_kafka_topic_destroy>>;

class RawProducer {
public:
    /// An idempotent producer (acks=all) writing to `topic`, plus `props`.
    /// Throws std::runtime_error when librdkafka refuses a setting.
    RawProducer(const std::string& bootstrap, const std::string& topic, const Props& props);
    ~RawProducer();
    RawProducer(const RawProducer&) = delete;
    RawProducer& operator=(const RawProducer&) = delete;

    /// Queues a copy of the record (timestamp 0: now). While the queue is
    /// full it serves delivery reports and tries again. False once the
    /// producer failed (first_error() says why).
    bool send(std::int32_t partition, std::string_view key, std::string_view value,
              std::int64_t timestamp_ms = 0);
    /// Serves delivery reports without waiting.
    void poll() noexcept;
    /// Waits until every queued record is reported, at most `timeout`.
    bool flush(std::chrono::milliseconds timeout);

    [[nodiscard]] std::int64_t delivered() const noexcept { return delivered_.load(); }
    [[nodiscard]] std::int64_t failed() const noexcept { return failed_.load(); }
    [[nodiscard]] std::string first_error() const;

private:
    static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque) noexcept;
    void record_error(std::string text);

    std::atomic<std::int64_t> delivered_{0};
    std::atomic<std::int64_t> failed_{0};
    std::atomic<bool> broken_{false};
    std::string first_error_;  // set once, before broken_ is
    kafka::HandlePtr rk_;
    TopicPtr rkt_;  // declared after rk_: destroyed first
};

/// Settings of a producer that writes a backlog as fast as it can: a queue
/// of 1,000,000 messages (librdkafka's 100,000 would wake the sending loop
/// often) and, for records near or over librdkafka's 1,000,000-byte
/// message.max.bytes default, room for one. Consumers need no such setting:
/// brokers return a record larger than the fetch size anyway.
Props bulk_producer_props(std::int64_t record_size);

class RawConsumer {
public:
    /// A consumer without a group (manual assignment, no commits), plus `props`.
    RawConsumer(const std::string& bootstrap, const Props& props);
    ~RawConsumer();
    RawConsumer(const RawConsumer&) = delete;
    RawConsumer& operator=(const RawConsumer&) = delete;

    /// Reads partitions 0..offsets.size()-1 of `topic`, each from its offset.
    void assign(const std::string& topic, const std::vector<std::int64_t>& offsets);
    /// Appends up to `max` messages to `out`, waiting at most `timeout` for
    /// the first. Error events are not returned: they count in errors().
    std::size_t consume(std::vector<kafka::MessagePtr>& out, std::size_t max,
                        std::chrono::milliseconds timeout);

    [[nodiscard]] std::int64_t errors() const noexcept { return errors_; }
    [[nodiscard]] const std::string& first_error() const noexcept { return first_error_; }

private:
    std::int64_t errors_ = 0;
    std::string first_error_;
    std::vector<rd_kafka_message_t*> batch_;
    kafka::HandlePtr rk_;
    kafka::QueuePtr queue_;  // declared after rk_: destroyed first
};

}  // namespace kmirror::bench
