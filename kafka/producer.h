#pragma once
// Producer: a librdkafka producer with two ways in.
//  * forward(): zero-copy mirroring. The consumed source Message is handed to
//    the producer as msg_opaque; its payload is referenced, not copied, and
//    the Message comes back in the DeliveryReport (STYLE.md rule 13).
//  * produce(): copies its inputs, for small records (tests, tools, heartbeats).
//
// @thread forward()/produce() from any thread; poll() from one thread, which
// runs DeliveryHandler::on_delivery.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "kafka/client_base.h"
#include "kafka/message.h"

namespace kmirror::kafka {

struct DeliveryReport {
    Message source;  ///< the forwarded source message; empty for produce()
    std::string_view topic;
    std::int32_t partition = 0;
    std::int64_t offset = -1;  ///< offset in the target partition
    std::error_code error;
    std::string error_message;
};

class DeliveryHandler {
public:
    virtual ~DeliveryHandler() = default;
    virtual void on_delivery(DeliveryReport& report) noexcept = 0;
};

struct Header {
    std::string name;
    std::optional<std::string> value;
};

struct Record {
    std::string topic;
    std::int32_t partition = -1;  ///< -1: let the partitioner choose
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<Header> headers;
    std::int64_t timestamp = 0;  ///< ms since epoch; 0 = now
};

class Producer : public ClientBase {
public:
    Producer(const ClientSettings& settings, const Overrides& overrides,
             DeliveryHandler* handler = nullptr);
    ~Producer() override;

    /// Sends `source` to `topic`, same partition, key, value, headers and
    /// timestamp, plus `extra_headers`. On success the producer owns the
    /// message until its delivery report; on error `source` is left intact.
    Result<void> forward(Message& source, const std::string& topic,
                         const std::vector<Header>& extra_headers);
    Result<void> produce(const Record& record);
    /// Serves delivery reports; returns how many were served.
    int poll(std::chrono::milliseconds timeout);
    /// Makes a blocked poll() return now.
    void wake() noexcept;
    /// Waits until every message is delivered or the timeout passes.
    Result<void> flush(std::chrono::milliseconds timeout);
    /// Fails every queued and in-flight message with ERR__PURGE_*; their
    /// reports are served by the next poll().
    void purge() noexcept;
    /// Refreshes the producer's metadata of `topic` now (e.g. after partitions
    /// were added: librdkafka would otherwise learn of them only at its next
    /// periodic refresh).
    Result<void> refresh_metadata(const std::string& topic, std::chrono::milliseconds timeout);
    /// Messages queued or in flight (not yet reported).
    [[nodiscard]] int in_flight() const noexcept;

private:
    static void delivery_trampoline(rd_kafka_t* rk, const rd_kafka_message_t* msg,
                                    void* opaque) noexcept;

    DeliveryHandler* handler_;
    /// Produced and not yet reported (the reports of purged ones included).
    std::atomic<int> messages_{0};
    HandlePtr rk_;
    QueuePtr main_queue_;  // declared after rk_: destroyed first
};

}  // namespace kmirror::kafka
