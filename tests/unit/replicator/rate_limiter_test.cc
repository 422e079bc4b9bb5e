#include "replicator/rate_limiter.h"

#include <gtest/gtest.h>

namespace kmirror::replicator {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

TEST(RateLimiter, WithoutACapNothingWaits) {
    RateLimiter limiter(0);
    const auto now = Clock::now();
    EXPECT_FALSE(limiter.enabled());
    EXPECT_EQ(limiter.charge(1 << 30, now), now);
    EXPECT_EQ(limiter.throttled_seconds(), 0.0);
}

TEST(RateLimiter, ASenderAsFastAsItIsAllowedGetsTheRate) {
    // given a cap of 1 MB/s and a sender that sends 50 KB batches as soon as
    // it may, for 30 s of its own time
    RateLimiter limiter(1'000'000);
    auto now = Clock::time_point{} + 1000s;
    const auto start = now;
    std::int64_t sent = 0;
    while (now - start < 30s) {
        now = std::max(now, limiter.charge(50'000, now));
        sent += 50'000;
    }
    // then it sent 30 MB, give or take the burst (100 ms of the rate, twice)
    EXPECT_NEAR(static_cast<double>(sent), 30e6, 0.4e6);
    EXPECT_GT(limiter.throttled_seconds(), 25.0);
}

TEST(RateLimiter, IdleTimeIsNotSavedUpBeyondTheBurst) {
    RateLimiter limiter(1'000'000);
    const auto t0 = Clock::time_point{} + 1000s;
    (void)limiter.charge(1'000'000, t0);
    // an hour idle, then 1 MB at once: only the burst is free
    const auto later = t0 + 3600s;
    const auto at = limiter.charge(1'000'000, later);
    EXPECT_GE(at - later, 700ms);
    EXPECT_LE(at - later, 900ms);
}

}  // namespace
}  // namespace kmirror::replicator
