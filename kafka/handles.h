#pragma once
// One deleter template and an alias per librdkafka C type (STYLE.md rule 12).
// Ownership is handed over only after success: librdkafka frees a conf only
// when rd_kafka_new() succeeds, so callers release() the ConfPtr afterwards.

#include <librdkafka/rdkafka.h>

#include <memory>

#include "base/c_deleter.h"

namespace kmirror::kafka {

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, CDeleter<&rd_kafka_conf_destroy>>;
using HandlePtr = std::unique_ptr<rd_kafka_t, CDeleter<&rd_kafka_destroy>>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, CDeleter<&rd_kafka_queue_destroy>>;
using TopicPartitionListPtr =
    std::unique_ptr<rd_kafka_topic_partition_list_t,
                    CDeleter<&rd_kafka_topic_partition_list_destroy>>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, CDeleter<&rd_kafka_message_destroy>>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, CDeleter<&rd_kafka_event_destroy>>;
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, CDeleter<&rd_kafka_headers_destroy>>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, CDeleter<&rd_kafka_error_destroy>>;
using AdminOptionsPtr =
    std::unique_ptr<rd_kafka_AdminOptions_t, CDeleter<&rd_kafka_AdminOptions_destroy>>;
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, CDeleter<&rd_kafka_NewTopic_destroy>>;
using NewPartitionsPtr =
    std::unique_ptr<rd_kafka_NewPartitions_t, CDeleter<&rd_kafka_NewPartitions_destroy>>;
using ConfigResourcePtr =
    std::unique_ptr<rd_kafka_ConfigResource_t, CDeleter<&rd_kafka_ConfigResource_destroy>>;
using DeleteTopicPtr =
    std::unique_ptr<rd_kafka_DeleteTopic_t, CDeleter<&rd_kafka_DeleteTopic_destroy>>;
using ListConsumerGroupOffsetsPtr =
    std::unique_ptr<rd_kafka_ListConsumerGroupOffsets_t,
                    CDeleter<&rd_kafka_ListConsumerGroupOffsets_destroy>>;
using AlterConsumerGroupOffsetsPtr =
    std::unique_ptr<rd_kafka_AlterConsumerGroupOffsets_t,
                    CDeleter<&rd_kafka_AlterConsumerGroupOffsets_destroy>>;

}  // namespace kmirror::kafka
