#include "replicator/replication_policy.h"

#include <gtest/gtest.h>

namespace kmirror::replicator {
namespace {

config::Rename prefix(std::string sep = ".") {
    return {config::RenamePolicy::prefix, std::move(sep), ""};
}
config::Rename templ(std::string format) {
    return {config::RenamePolicy::template_, ".", std::move(format)};
}

TEST(ReplicationPolicy, PrefixNamesRemoteTopicsLikeMirrorMaker2) {
    ReplicationPolicy p(prefix(), "primary");
    EXPECT_EQ(p.remote_topic("orders"), "primary.orders");
    EXPECT_EQ(p.remote_topic("orders.eu.v1"), "primary.orders.eu.v1");
    EXPECT_FALSE(p.uses_provenance_headers());
}

TEST(ReplicationPolicy, PrefixParsesSourceOfDottedNamesFromTheFirstSeparator) {
    ReplicationPolicy p(prefix(), "primary");
    EXPECT_EQ(p.topic_source("dr.orders.eu"), "dr");
    EXPECT_EQ(p.upstream_topic("dr.orders.eu"), "orders.eu");
    EXPECT_EQ(p.topic_source("orders"), std::nullopt);
    EXPECT_EQ(p.topic_source(".orders"), std::nullopt);
    EXPECT_EQ(p.topic_source("orders."), std::nullopt);  // Java split drops the empty tail
}

TEST(ReplicationPolicy, PrefixWithMultiCharacterSeparator) {
    ReplicationPolicy p(prefix("__"), "primary");
    EXPECT_EQ(p.remote_topic("a.b"), "primary__a.b");
    EXPECT_EQ(p.topic_source("dr__a.b"), "dr");
    EXPECT_EQ(p.upstream_topic("dr__a.b"), "a.b");
}

TEST(ReplicationPolicy, DetectsCyclesThroughEveryHop) {
    // Flow primary -> dr: "dr.orders" on primary is dr's own data coming back.
    ReplicationPolicy p(prefix(), "primary");
    EXPECT_TRUE(p.is_cycle("dr.orders", "dr"));
    EXPECT_TRUE(p.is_cycle("other.dr.orders", "dr"));
    EXPECT_FALSE(p.is_cycle("other.orders", "dr"));
    EXPECT_FALSE(p.is_cycle("orders", "dr"));
}

TEST(ReplicationPolicy, IdentityKeepsNamesAndTracksOriginInHeaders) {
    ReplicationPolicy p({config::RenamePolicy::identity, ".", ""}, "primary");
    EXPECT_EQ(p.remote_topic("orders.eu"), "orders.eu");
    EXPECT_FALSE(p.is_cycle("dr.orders", "dr"));
    EXPECT_TRUE(p.uses_provenance_headers());
}

TEST(ReplicationPolicy, TemplateWithSourceParsesBack) {
    ReplicationPolicy p(templ("{source}-copy-{topic}"), "primary");
    EXPECT_EQ(p.remote_topic("orders.eu"), "primary-copy-orders.eu");
    EXPECT_EQ(p.topic_source("dr-copy-orders"), "dr");
    EXPECT_EQ(p.upstream_topic("dr-copy-orders"), "orders");
    EXPECT_TRUE(p.is_cycle("dr-copy-orders", "dr"));
    EXPECT_FALSE(p.uses_provenance_headers());
}

TEST(ReplicationPolicy, TemplateWithTopicFirst) {
    ReplicationPolicy p(templ("{topic}.from.{source}"), "primary");
    EXPECT_EQ(p.remote_topic("orders"), "orders.from.primary");
    EXPECT_EQ(p.topic_source("orders.from.dr"), "dr");
    EXPECT_EQ(p.upstream_topic("orders.from.dr"), "orders");
}

TEST(ReplicationPolicy, TemplateWithoutSourceUsesHeaders) {
    ReplicationPolicy p(templ("dr-{topic}"), "primary");
    EXPECT_EQ(p.remote_topic("orders"), "dr-orders");
    EXPECT_EQ(p.topic_source("dr-orders"), std::nullopt);
    EXPECT_TRUE(p.uses_provenance_headers());
}

TEST(ReplicationPolicy, RemoteNamesLongerThanKafkaAllowsAreInvalid) {
    ReplicationPolicy p(prefix(), "primary");
    const std::string longest(kMaxTopicNameLength, 'x');
    EXPECT_TRUE(is_valid_topic_name(longest));
    EXPECT_FALSE(is_valid_topic_name(p.remote_topic(longest)));
    EXPECT_TRUE(is_valid_topic_name(p.remote_topic(std::string(241, 'x'))));  // 8 + 241 = 249
    EXPECT_FALSE(is_valid_topic_name(p.remote_topic(std::string(242, 'x'))));
}

TEST(ReplicationPolicy, TopicNamesWithIllegalCharactersAreInvalid) {
    EXPECT_FALSE(is_valid_topic_name(""));
    EXPECT_FALSE(is_valid_topic_name("."));
    EXPECT_FALSE(is_valid_topic_name(".."));
    EXPECT_FALSE(is_valid_topic_name("a b"));
    EXPECT_FALSE(is_valid_topic_name("a/b"));
    EXPECT_TRUE(is_valid_topic_name("a_b-c.d"));
}

}  // namespace
}  // namespace kmirror::replicator
