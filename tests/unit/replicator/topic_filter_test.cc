#include "replicator/topic_filter.h"

#include <gtest/gtest.h>

namespace kmirror::replicator {
namespace {

TEST(TopicFilter, IncludesMustMatchTheWholeName) {
    TopicFilter f({"orders.*", "payments"}, {});
    EXPECT_TRUE(f.matches("orders"));
    EXPECT_TRUE(f.matches("orders.eu"));
    EXPECT_TRUE(f.matches("payments"));
    EXPECT_FALSE(f.matches("payments2"));
    EXPECT_FALSE(f.matches("old-orders"));
}

TEST(TopicFilter, ExcludesWinOverIncludes) {
    TopicFilter f({".*"}, {R"(.*\.tmp)"});
    EXPECT_TRUE(f.matches("orders"));
    EXPECT_FALSE(f.matches("orders.tmp"));
}

TEST(TopicFilter, InternalTopicsNeverPass) {
    TopicFilter f({".*"}, {});
    EXPECT_FALSE(f.matches("__consumer_offsets"));
    EXPECT_FALSE(f.matches("__transaction_state"));
    EXPECT_FALSE(f.matches("mm2-offset-syncs.dr.internal"));
    EXPECT_FALSE(f.matches("primary.checkpoints.internal"));
    EXPECT_FALSE(f.matches("connect-offsets-internal"));
    EXPECT_TRUE(f.matches("internal.orders"));
}

}  // namespace
}  // namespace kmirror::replicator
