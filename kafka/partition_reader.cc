#include "kafka/partition_reader.h"

#include "kafka/consumer.h"

namespace kmirror::kafka {

Result<ReadSummary> read_partition_to_end(const ClientSettings& cluster, const std::string& topic,
                                          std::int32_t partition, const std::string& client_id,
                                          std::chrono::milliseconds timeout,
                                          const std::function<void(const Message&)>& on_record) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Consumer consumer(cluster, Overrides{
                                   // Assigned, never subscribed: no group is joined.
                                   {"group.id", client_id},
                                   {"client.id", client_id},
                                   {"enable.auto.commit", "false"},
                                   {"enable.auto.offset.store", "false"},
                                   {"enable.partition.eof", "false"},
                                   {"fetch.wait.max.ms", "100"},
                               });
    auto marks = consumer.watermarks(topic, partition, timeout);
    if (!marks) return marks.error();
    ReadSummary summary{marks.value().second, marks.value().first};
    if (summary.complete()) return summary;
    BOOST_OUTCOME_TRY(consumer.assign({{topic, partition, kOffsetBeginning}}));
    while (!summary.complete() && std::chrono::steady_clock::now() < deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        Message m = consumer.poll(std::min(left, std::chrono::milliseconds(200)));
        if (!m || m.error()) continue;
        summary.next = m.offset() + 1;
        on_record(m);
    }
    consumer.close(std::chrono::seconds(2));
    return summary;
}

}  // namespace kmirror::kafka
