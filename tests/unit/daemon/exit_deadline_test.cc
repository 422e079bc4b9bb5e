#include "daemon/exit_deadline.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace kmirror::daemon {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(ExitDeadline, AStopThatOutlivesTheDeadlineEndsTheProcessWithTheGivenCodeAndSaysWhy) {
    EXPECT_EXIT(
        {
            // (spdlog's default logger writes to stdout; the daemon's, and
            // what a death test reads, is stderr.)
            spdlog::set_default_logger(spdlog::stderr_logger_st("exit-deadline-test"));
            ExitDeadline deadline;
            deadline.arm(Clock::now() + 100ms, 3);
            // A stop that never finishes (a hung librdkafka destroy).
            std::this_thread::sleep_for(60s);
        },
        testing::ExitedWithCode(3), "stopping did not finish by its deadline");
}

TEST(ExitDeadline, AStopThatFinishesInTimeDisarmsIt) {
    EXPECT_EXIT(
        {
            {
                ExitDeadline deadline;
                deadline.arm(Clock::now() + 300ms, 3);
            }  // the stop finished
            std::this_thread::sleep_for(600ms);  // past the deadline
            std::exit(0);
        },
        testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace kmirror::daemon
