#pragma once
// Deadline-based waiting for tests (STYLE.md rule 24): never a bare sleep, always
// "poll this condition until a deadline". Deadlines are multiplied by
// KMIRROR_TEST_TIMEOUT_SCALE (default 1) so sanitizer and loaded-CI runs can
// stretch every wait at once (librdkafka's tmout_multip).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <thread>
#include <utility>

namespace kmirror::harness {

/// KMIRROR_TEST_TIMEOUT_SCALE as a number (> 0); 1 when unset or unparsable.
double timeout_scale();

/// `timeout` multiplied by timeout_scale().
std::chrono::milliseconds scaled(std::chrono::milliseconds timeout);

/// Polls `pred` until it returns true or `scaled(timeout)` has passed.
/// Returns the last result without reporting anything: for waits whose
/// timeout is not a test failure.
template <typename Pred>
[[nodiscard]] bool poll_until(Pred&& pred, std::chrono::milliseconds timeout) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + scaled(timeout);
    auto pause = std::chrono::milliseconds(5);
    while (true) {
        if (pred()) {
            return true;
        }
        if (Clock::now() >= deadline) {
            return pred();
        }
        // Test code may sleep; product code may not (STYLE.md rule 17).
        std::this_thread::sleep_for(std::min(
            pause, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())));
        pause = std::min(pause * 2, std::chrono::milliseconds(100));
    }
}

/// Polls `pred` until it returns true or `scaled(timeout)` has passed. On
/// timeout records a non-fatal test failure naming `what` and returns false,
/// so a test can stop with `ASSERT_TRUE(wait_until(...))`:
///
///     ASSERT_TRUE(wait_until([&] { return target_has_topic("primary.orders"); },
///                            std::chrono::seconds(30), "primary.orders on the target"));
template <typename Pred>
bool wait_until(Pred&& pred, std::chrono::milliseconds timeout, std::string_view what) {
    if (poll_until(std::forward<Pred>(pred), timeout)) {
        return true;
    }
    ADD_FAILURE() << "timed out after " << scaled(timeout).count() << " ms (" << timeout.count()
                  << " ms x KMIRROR_TEST_TIMEOUT_SCALE " << timeout_scale()
                  << ") waiting for: " << what;
    return false;
}

}  // namespace kmirror::harness
