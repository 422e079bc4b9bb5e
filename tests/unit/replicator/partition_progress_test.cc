#include "replicator/partition_progress.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

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

TEST(PartitionProgress, ARunIsRecordedAndSettledAsOneWithTheSamePrefixRule) {
    // recorded as a run: 10 11 13 14   (12 compacted away)
    // settled:           10 11    14   -> committable 12: 13 is in flight
    PartitionProgress p("orders", 0, "primary.orders");
    const std::vector<PartitionProgress::Pending> run{{10_src, 1}, {11_src, 2}, {13_src, 3},
                                                      {14_src, 4}};
    p.record_run(run);
    const std::vector<SourceOffset> acked{10_src, 11_src, 14_src};
    p.settle(acked);
    EXPECT_EQ(p.committable(), 12_src);
    EXPECT_EQ(p.snapshot().oldest_pending_ms, 3);
    const std::vector<SourceOffset> rest{13_src};
    p.settle(rest);
    EXPECT_EQ(p.committable(), 15_src);
    EXPECT_EQ(p.in_flight(), 0u);
}

TEST(PartitionProgress, UnrecordLastDropsTheTailOfARunNotProduced) {
    PartitionProgress p("orders", 0, "primary.orders");
    const std::vector<PartitionProgress::Pending> run{{1_src, 0}, {2_src, 0}, {3_src, 0}};
    p.record_run(run);
    p.unrecord_last(2);  // 2 and 3 were not taken by the producer
    p.ack(1_src);
    EXPECT_EQ(p.committable(), 2_src);
    EXPECT_EQ(p.in_flight(), 0u);
}

TEST(PartitionProgress, ARewindResumesAfterTheAcknowledgedPrefixAndNeverCommitsPastAPurge) {
    // given 5..9 in flight, 5 and 6 acknowledged, when the producer is purged
    PartitionProgress p("orders", 0, "primary.orders");
    p.reset(5_src, false);
    for (auto o : {5_src, 6_src, 7_src, 8_src, 9_src}) p.record(o);
    p.ack(5_src);
    p.ack(6_src);
    p.begin_rewind();
    EXPECT_TRUE(p.rewinding());
    // 7 is purged in flight; 8 was already answered by the broker; 9 purged
    p.purged(7_src);
    EXPECT_EQ(p.finish_rewind(), std::nullopt);  // 8 and 9 still unsettled
    p.ack(8_src);
    p.purged(9_src);
    // then the commit stays before the first purged record, and consumption
    // resumes there
    EXPECT_EQ(p.committable(), 7_src);
    const auto from = p.finish_rewind();
    ASSERT_TRUE(from.has_value());
    EXPECT_EQ(*from, 7_src);
    EXPECT_FALSE(p.rewinding());
    // and once copied again, the commit moves on
    for (auto o : {7_src, 8_src}) p.record(o);
    p.ack(7_src);
    p.ack(8_src);
    EXPECT_EQ(p.committable(), 9_src);
}

TEST(PartitionProgress, ARewindBeforeAnyAcknowledgementResumesAtTheStart) {
    PartitionProgress p("orders", 0, "primary.orders");
    p.reset(40_src, false);
    p.record(40_src);
    p.begin_rewind();
    p.purged(40_src);
    EXPECT_EQ(p.committable(), std::nullopt);
    const auto from = p.finish_rewind();
    ASSERT_TRUE(from.has_value());
    EXPECT_EQ(*from, 40_src);
}

TEST(PartitionProgress, ASessionCountsWhatItRecordedAndWantsOneStartMark) {
    // given a partition assigned from offset 40 (a session)
    PartitionProgress p("orders", 0, "primary.orders");
    p.reset(40_src);
    const auto first = p.session();
    EXPECT_EQ(first.start, 40_src);
    EXPECT_EQ(first.recorded, 0u);
    EXPECT_TRUE(first.wants_mark);
    // when it records records (about to produce them), it counts them
    p.record(40_src);
    const std::vector<PartitionProgress::Pending> run{{41_src, 0}, {42_src, 0}};
    p.record_run(run);
    EXPECT_EQ(p.session().recorded, 3u);
    // and a mark done for an older session does not end this one's wish
    p.reset(50_src);
    p.start_mark_done(first.id);
    EXPECT_TRUE(p.session().wants_mark);
    EXPECT_EQ(p.session().recorded, 0u);
    p.start_mark_done(p.session().id);
    EXPECT_FALSE(p.session().wants_mark);
}

}  // namespace
}  // namespace kmirror::replicator
