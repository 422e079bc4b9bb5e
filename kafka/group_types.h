#pragma once
// What Admin's consumer-group calls return (kafka/admin.h): group listings,
// descriptions and committed offsets, as librdkafka's ListConsumerGroups,
// DescribeConsumerGroups and ListConsumerGroupOffsets report them.

#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "base/result.h"
#include "kafka/error.h"

namespace kmirror::kafka {

/// One group of ListConsumerGroups.
struct GroupListing {
    std::string group_id;
    std::string state;    ///< as GroupDescription::state; "Unknown" from brokers before 2.6
    bool simple = false;  ///< a group that only commits (no protocol type)
};

struct GroupMember {
    std::string member_id;
    std::string client_id;
    std::string host;
};

/// One group of DescribeConsumerGroups. A group the cluster does not know is
/// "Dead" with no members and no error: that is how Kafka answers.
struct GroupDescription {
    std::string group_id;
    /// librdkafka's name of the state: "Stable", "Empty", "Dead",
    /// "PreparingRebalance", "CompletingRebalance" or "Unknown".
    std::string state;
    std::vector<GroupMember> members;
    std::error_code error;  ///< this group could not be described (e.g. not authorized)
    std::string message;
};

/// A committed offset of a group: the next offset its consumers will read.
struct GroupOffset {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = -1;
    std::string metadata;  ///< the committer's metadata string, "" when none
    bool operator==(const GroupOffset&) const = default;
};

/// Result<void> whose error also says, in words, what failed: kafka::Error
/// keeps the broker's error code (code()) and a message naming the group and
/// partition (message()). For calls where the code alone does not tell an
/// operator what to do.
using DetailedResult =
    outcome::result<void, Error, outcome::policy::throw_bad_result_access<Error, void>>;

}  // namespace kmirror::kafka
