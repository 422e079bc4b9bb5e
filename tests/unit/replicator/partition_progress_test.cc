#include "replicator/partition_progress.h"

#include <gtest/gtest.h>

#include <thread>

namespace kmirror::replicator {
namespace {

using namespace kmirror::literals;

TEST(PartitionProgress, NothingIsCommittableBeforeTheFirstAck) {
    PartitionProgress p("orders", 0, "primary.orders");
    p.record(5_src);
    EXPECT_EQ(p.committable(), std::nullopt);
    EXPECT_EQ(p.in_flight(), 1u);
}

TEST(PartitionProgress, CommitsOnlyTheAcknowledgedPrefix) {
    // recorded: 7 8 10 11   (9 compacted away on the source)
    // acked:    7 8    11   -> committable 9: 10 is still in flight
    PartitionProgress p("orders", 0, "primary.orders");
    for (auto o : {7_src, 8_src, 10_src, 11_src}) p.record(o);
    p.ack(7_src);
    p.ack(8_src);
    p.ack(11_src);
    EXPECT_EQ(p.committable(), 9_src);
    p.ack(10_src);
    EXPECT_EQ(p.committable(), 12_src);
    EXPECT_EQ(p.in_flight(), 0u);
}

TEST(PartitionProgress, NeverCommitsPastARefusedRecord) {
    PartitionProgress p("orders", 0, "primary.orders");
    for (auto o : {1_src, 2_src, 3_src}) p.record(o);
    p.ack(1_src);
    p.fail(2_src, "too large");
    p.ack(3_src);
    EXPECT_EQ(p.committable(), 2_src);
    EXPECT_EQ(p.stopped(), "too large");
    EXPECT_EQ(p.in_flight(), 0u);
}

TEST(PartitionProgress, UnrecordForgetsAFailedProduceCall) {
    PartitionProgress p("orders", 0, "primary.orders");
    p.record(1_src);
    p.record(2_src);
    p.unrecord(2_src);
    p.ack(1_src);
    EXPECT_EQ(p.committable(), 2_src);
    EXPECT_EQ(p.in_flight(), 0u);
}

TEST(PartitionProgress, StaleReportsAfterResetAreIgnored) {
    PartitionProgress p("orders", 0, "primary.orders");
    p.record(1_src);
    p.reset();
    p.ack(1_src);
    EXPECT_EQ(p.committable(), std::nullopt);
}

TEST(PartitionProgress, AStoppedPartitionStaysStoppedWhenReassignedToThisProcess) {
    // given a partition stopped at a refused record
    //   recorded: 4 ack, 5 refused, 6 ack
    PartitionProgress p("orders", 0, "primary.orders");
    p.record(4_src);
    p.record(5_src);
    p.record(6_src);
    p.ack(4_src);
    p.fail(5_src, "too large");
    p.ack(6_src);
    // when the group hands it back to this process (committed offset 5)
    p.reset(5_src, false);
    // then it is still stopped, and nothing acknowledged later moves the
    // commit past the refused record
    EXPECT_EQ(p.stopped(), "too large");
    p.record(5_src);
    p.ack(5_src);
    EXPECT_EQ(p.committable(), std::nullopt);
}

TEST(PartitionProgress, AnOffsetInFlightTwiceIsAcknowledgedOnceEach) {
    // given offset 5 in flight twice (the source topic was re-created):
    //   in flight: [ 3 ][ 5 ][ 4 ][ 5 ]
    PartitionProgress p("orders", 0, "primary.orders");
    p.record(3_src);
    p.record(5_src);
    p.record(4_src);
    p.record(5_src);
    // when every report arrives, both copies of 5 before 3 and 4
    p.ack(5_src);
    p.ack(5_src);
    p.ack(3_src);
    p.ack(4_src);
    // then each report settled its own copy: nothing is left in flight
    EXPECT_EQ(p.in_flight(), 0u);
    EXPECT_EQ(p.committable(), 6_src);
}

TEST(PartitionProgress, APurgedRecordSettlesTheDrainButIsNeverCommittedAndStopsNothing) {
    // given three records in flight when the shutdown deadline purges them
    PartitionProgress p("orders", 0, "primary.orders");
    for (auto o : {7_src, 8_src, 9_src}) p.record(o);
    p.ack(7_src);
    // when 8 is purged and 9 is acknowledged after all
    p.abandon(8_src);
    p.ack(9_src);
    // then nothing waits for it, the commit stops before it, the partition is not stopped
    EXPECT_EQ(p.in_flight(), 0u);
    EXPECT_TRUE(p.wait_drained(std::chrono::steady_clock::now()));
    EXPECT_EQ(p.committable(), 8_src);
    EXPECT_FALSE(p.stopped());
}

TEST(PartitionProgress, WaitDrainedReturnsWhenTheLastAckArrives) {
    PartitionProgress p("orders", 0, "primary.orders");
    p.record(1_src);
    std::thread acker([&] { p.ack(1_src); });
    EXPECT_TRUE(p.wait_drained(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
    acker.join();
}

TEST(PartitionProgress, WaitDrainedGivesUpAtTheDeadline) {
    PartitionProgress p("orders", 0, "primary.orders");
    p.record(1_src);
    EXPECT_FALSE(p.wait_drained(std::chrono::steady_clock::now()));
}

}  // namespace
}  // namespace kmirror::replicator
