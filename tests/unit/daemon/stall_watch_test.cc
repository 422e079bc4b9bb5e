#include "daemon/stall_watch.h"

#include <gtest/gtest.h>

namespace kmirror::daemon {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

StallWatch::Sample sample(std::uint64_t acknowledged, std::int64_t waiting, bool ready = true) {
    return {"f", ready, acknowledged, waiting};
}

TEST(StallWatch, RecordsWaitingAndNoneAcknowledgedForTheTimeoutIsAStall) {
    StallWatch w(10s);
    const auto t0 = Clock::now();
    EXPECT_TRUE(w.update({sample(5, 100)}, t0).empty());
    EXPECT_TRUE(w.update({sample(5, 100)}, t0 + 9s).empty());
    const auto stalls = w.update({sample(5, 100)}, t0 + 10s);
    ASSERT_EQ(stalls.size(), 1u);
    EXPECT_EQ(stalls.at("f"),
              "stalled: 100 records wait to be copied and the target acknowledged none for 10 s");
}

TEST(StallWatch, AnAcknowledgementRestartsTheClock) {
    StallWatch w(10s);
    const auto t0 = Clock::now();
    w.update({sample(5, 100)}, t0);
    EXPECT_TRUE(w.update({sample(6, 100)}, t0 + 8s).empty());
    EXPECT_TRUE(w.update({sample(6, 100)}, t0 + 17s).empty());
    EXPECT_EQ(w.update({sample(6, 100)}, t0 + 18s).size(), 1u);
}

TEST(StallWatch, NothingToCopyIsNeverAStall) {
    StallWatch w(10s);
    const auto t0 = Clock::now();
    w.update({sample(5, 0)}, t0);
    EXPECT_TRUE(w.update({sample(5, 0)}, t0 + 60s).empty());
    // Records arriving count from when nothing waited, not from the last
    // acknowledgement a minute ago.
    EXPECT_TRUE(w.update({sample(5, 3)}, t0 + 61s).empty());
    EXPECT_TRUE(w.update({sample(5, 3)}, t0 + 69s).empty());
    EXPECT_EQ(w.update({sample(5, 3)}, t0 + 70s).size(), 1u);
}

TEST(StallWatch, AFlowThatIsNotReadyIsReportedAsSuchNotAsStalled) {
    // A target that does not answer: a restart would not help.
    StallWatch w(10s);
    const auto t0 = Clock::now();
    w.update({sample(5, 100, false)}, t0);
    EXPECT_TRUE(w.update({sample(5, 100, false)}, t0 + 60s).empty());
    EXPECT_TRUE(w.update({sample(5, 100)}, t0 + 61s).empty());
    EXPECT_EQ(w.update({sample(5, 100)}, t0 + 71s).size(), 1u);
}

TEST(StallWatch, FlowsAreJudgedApartAndForgottenWhenGone) {
    StallWatch w(10s);
    const auto t0 = Clock::now();
    w.update({{"a", true, 1, 10}, {"b", true, 1, 10}}, t0);
    const auto stalls = w.update({{"a", true, 1, 10}, {"b", true, 2, 10}}, t0 + 10s);
    EXPECT_EQ(stalls.size(), 1u);
    EXPECT_TRUE(stalls.count("a"));
    // "a" removed by a reload, then added again: its clock starts afresh.
    w.update({{"b", true, 3, 10}}, t0 + 11s);
    EXPECT_TRUE(w.update({{"a", true, 1, 10}}, t0 + 12s).empty());
}

}  // namespace
}  // namespace kmirror::daemon
