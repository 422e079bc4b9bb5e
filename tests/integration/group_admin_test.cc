// Admin's consumer-group calls (list_groups, describe_groups,
// list_group_offsets, alter_group_offsets) against a real Kafka cluster: what
// a consumer committed comes back exactly, metadata included; an idle group
// is "Empty", a polling one has members and refuses alter_group_offsets; a
// group that never existed is "Dead".

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "kafka/admin.h"
#include "kafka/consumer.h"
#include "kafka/error.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/harness/wait.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;

std::string source() { return harness::source().bootstrap(); }

/// Admin calls: generous, as a first group request waits for the coordinator.
std::chrono::milliseconds admin_timeout() { return harness::scaled(15s); }

kafka::Admin make_admin() { return kafka::Admin(settings_for("source", source())); }

std::vector<kafka::GroupOffset> sorted(std::vector<kafka::GroupOffset> v) {
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
    });
    return v;
}

std::optional<kafka::GroupListing> listed(kafka::Admin& admin, const std::string& group) {
    auto groups = admin.list_groups(admin_timeout());
    if (!groups) return std::nullopt;
    for (const auto& g : groups.value()) {
        if (g.group_id == group) return g;
    }
    return std::nullopt;
}

std::optional<kafka::GroupDescription> described(kafka::Admin& admin, const std::string& group) {
    auto d = admin.describe_groups({group}, admin_timeout());
    if (!d || d.value().size() != 1) return std::nullopt;
    return d.value()[0];
}

/// Commits `offsets` for `group` the way a consumer that assigns partitions
/// itself does (no group membership, so the group stays "Empty").
void commit_as_consumer(const std::string& group, const std::vector<kafka::GroupOffset>& offsets) {
    kafka::Consumer consumer(settings_for("source", source()),
                             {{"group.id", group}, {"enable.auto.commit", "false"}});
    std::vector<kafka::TopicPartitionOffset> commits;
    for (const auto& o : offsets) commits.push_back({o.topic, o.partition, o.offset});
    std::vector<kafka::TopicPartitionOffset> from_start;
    for (const auto& o : offsets) from_start.push_back({o.topic, o.partition, kafka::kOffsetBeginning});
    ASSERT_TRUE(consumer.assign(from_start));
    const auto r = consumer.commit(commits, /*async=*/false);
    ASSERT_TRUE(r) << r.error().message();
    consumer.close(harness::scaled(10s));
}

/// A subscribed consumer polling on its own thread: a member of `group` until
/// stop() or destruction.
class PollingMember {
public:
    PollingMember(const std::string& group, const std::string& topic, std::string client_id)
        : thread_([this, group, topic, client_id = std::move(client_id)] {
              kafka::Consumer consumer(settings_for("source", source()),
                                       {{"group.id", group},
                                        {"client.id", client_id},
                                        {"enable.auto.commit", "false"},
                                        {"auto.offset.reset", "earliest"}});
              if (!consumer.subscribe({topic})) return;
              while (!stop_.load()) (void)consumer.poll(100ms);
              consumer.close(harness::scaled(10s));  // leaves the group
          }) {}
    ~PollingMember() { stop(); }
    PollingMember(const PollingMember&) = delete;
    PollingMember& operator=(const PollingMember&) = delete;

    void stop() {
        stop_.store(true);
        if (thread_.joinable()) thread_.join();
    }

private:
    std::atomic<bool> stop_{false};
    std::thread thread_;  // declared last: starts once stop_ exists
};

TEST(ListGroupOffsets, ReturnsExactlyTheOffsetsAConsumerCommitted) {
    // given: a group that committed partitions 0 and 2 of a 3-partition topic
    //   partition:  0    1    2
    //   committed:  5    -    7
    const auto topic = unique_name("groups.committed");
    const auto group = unique_name("group-committed");
    create_topic(source(), topic, 3);
    commit_as_consumer(group, {{topic, 0, 5, ""}, {topic, 2, 7, ""}});
    auto admin = make_admin();

    // when
    const auto offsets = admin.list_group_offsets(group, admin_timeout());

    // then: just those two, without metadata
    ASSERT_TRUE(offsets) << offsets.error().message();
    const std::vector<kafka::GroupOffset> expected{{topic, 0, 5, ""}, {topic, 2, 7, ""}};
    EXPECT_EQ(sorted(offsets.value()), expected);
}

TEST(ListGroups, ListsAGroupThatOnlyCommittedAsAnEmptySimpleGroup) {
    const auto topic = unique_name("groups.listed");
    const auto group = unique_name("group-listed");
    create_topic(source(), topic, 1);
    commit_as_consumer(group, {{topic, 0, 1, ""}});
    auto admin = make_admin();

    std::optional<kafka::GroupListing> listing;
    ASSERT_TRUE(harness::wait_until([&] { return (listing = listed(admin, group)).has_value(); },
                                    30s, group + " in list_groups"));
    EXPECT_EQ(listing->state, "Empty");
    EXPECT_TRUE(listing->simple) << "a group that never joined has no protocol type";
}

TEST(DescribeGroups, DescribesAnIdleGroupAsEmptyWithNoMembers) {
    const auto topic = unique_name("groups.idle");
    const auto group = unique_name("group-idle");
    create_topic(source(), topic, 1);
    commit_as_consumer(group, {{topic, 0, 3, ""}});
    auto admin = make_admin();

    const auto d = admin.describe_groups({group}, admin_timeout());

    ASSERT_TRUE(d) << d.error().message();
    ASSERT_EQ(d.value().size(), 1u);
    EXPECT_EQ(d.value()[0].group_id, group);
    EXPECT_EQ(d.value()[0].state, "Empty");
    EXPECT_TRUE(d.value()[0].members.empty());
    EXPECT_FALSE(d.value()[0].error) << d.value()[0].message;
}

TEST(DescribeGroups, DescribesAGroupThatNeverExistedAsDeadWithNoMembers) {
    const auto topic = unique_name("groups.mixed");
    const auto existing = unique_name("group-existing");
    const auto never = unique_name("group-never-existed");
    create_topic(source(), topic, 1);
    commit_as_consumer(existing, {{topic, 0, 1, ""}});
    auto admin = make_admin();

    // when: asked together with an existing group, one of them twice
    const auto d = admin.describe_groups({never, existing, never}, admin_timeout());

    // then: the call succeeds with one description per group
    ASSERT_TRUE(d) << d.error().message();
    ASSERT_EQ(d.value().size(), 2u);
    for (const auto& g : d.value()) {
        SCOPED_TRACE(g.group_id);
        EXPECT_FALSE(g.error) << g.message;
        EXPECT_TRUE(g.members.empty());
        EXPECT_EQ(g.state, g.group_id == never ? "Dead" : "Empty");
    }
    // and it has no offsets either
    const auto offsets = admin.list_group_offsets(never, admin_timeout());
    ASSERT_TRUE(offsets) << offsets.error().message();
    EXPECT_TRUE(offsets.value().empty());
    // and asking for nothing is no request and no error
    const auto none = admin.describe_groups({}, admin_timeout());
    ASSERT_TRUE(none);
    EXPECT_TRUE(none.value().empty());
}

TEST(AlterGroupOffsets, WritesOffsetsAndMetadataThatListGroupOffsetsReadsBack) {
    const auto topic = unique_name("groups.altered");
    const auto group = unique_name("group-altered");
    create_topic(source(), topic, 3);
    auto admin = make_admin();

    // given: a group created by alter_group_offsets itself
    //   partition:  0            1    2
    //   offset:     10 "from-a"  20   -
    auto r = admin.alter_group_offsets(
        group, {{topic, 0, 10, "from-a"}, {topic, 1, 20, ""}}, admin_timeout());
    ASSERT_TRUE(r) << r.error().message();
    // when: partition 1 moves and gains metadata; partition 0 is not named
    r = admin.alter_group_offsets(group, {{topic, 1, 25, R"({"source":"dc1"})"}}, admin_timeout());
    ASSERT_TRUE(r) << r.error().message();

    // then: partition 0 kept its offset and metadata
    const auto offsets = admin.list_group_offsets(group, admin_timeout());
    ASSERT_TRUE(offsets) << offsets.error().message();
    const std::vector<kafka::GroupOffset> expected{{topic, 0, 10, "from-a"},
                                                   {topic, 1, 25, R"({"source":"dc1"})"}};
    EXPECT_EQ(sorted(offsets.value()), expected);
    // and no offsets is no request and no error
    EXPECT_TRUE(admin.alter_group_offsets(group, {}, admin_timeout()));
}

TEST(AlterGroupOffsets, RefusesAGroupWithActiveMembersAndSaysSo) {
    const auto topic = unique_name("groups.active");
    const auto group = unique_name("group-active");
    create_topic(source(), topic, 2);
    produce(source(), {{topic, 0, "k", "v0", {}, 0}, {topic, 1, "k", "v1", {}, 0}});
    auto admin = make_admin();

    // given: a subscribed consumer polling in the group
    PollingMember member(group, topic, "group-admin-test-member");
    std::optional<kafka::GroupDescription> d;
    ASSERT_TRUE(harness::wait_until(
        [&] {
            d = described(admin, group);
            return d && d->state == "Stable" && !d->members.empty();
        },
        60s, group + " Stable with a member"));
    ASSERT_EQ(d->members.size(), 1u);
    EXPECT_EQ(d->members[0].client_id, "group-admin-test-member");
    EXPECT_FALSE(d->members[0].member_id.empty());
    EXPECT_FALSE(d->members[0].host.empty());
    const auto listing = listed(admin, group);
    ASSERT_TRUE(listing);
    EXPECT_FALSE(listing->simple);
    EXPECT_NE(listing->state, "Empty");

    // when
    const auto r = admin.alter_group_offsets(group, {{topic, 1, 1, ""}}, admin_timeout());

    // then: refused, and the message says why, for which group and partition
    ASSERT_FALSE(r);
    const std::string& msg = r.error().message();
    RecordProperty("message", msg);
    EXPECT_NE(msg.find("active members"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'" + group + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(topic + "[1]"), std::string::npos) << msg;
    EXPECT_TRUE(kafka::is(r.error().code(), RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID))
        << kafka::error_name(r.error().code());

    // when the member left, the same call succeeds
    member.stop();
    ASSERT_TRUE(harness::wait_until(
        [&] {
            d = described(admin, group);
            return d && d->state == "Empty" && d->members.empty();
        },
        30s, group + " Empty after its member left"));
    const auto again = admin.alter_group_offsets(group, {{topic, 1, 1, ""}}, admin_timeout());
    ASSERT_TRUE(again) << again.error().message();
    const auto offsets = admin.list_group_offsets(group, admin_timeout());
    ASSERT_TRUE(offsets) << offsets.error().message();
    EXPECT_EQ(offsets.value(), (std::vector<kafka::GroupOffset>{{topic, 1, 1, ""}}));
}

}  // namespace
}  // namespace kmirror::test
