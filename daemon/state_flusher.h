#pragma once
// StateFlusher: writes the offset-range store to its SQLite file once a
// second (OffsetRangeStore::flush), and keeps track of writes that fail.
//
// A full or read-only disk must not stop mirroring: records keep flowing,
// every range stays in memory (flush() loses nothing on error and writes it
// all at the next success), and this process translates exactly from
// memory. What the file lacks is what a restart or `kmirror translate` would
// not know: those answer "conservative" for that window, never wrong (the
// store lags, it never lies). The failure is logged when it starts, then at
// most once a minute, and when it ends; it is counted on /metrics and shown
// on /status.
//
// @thread io: every member function.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace kmirror::checkpoints {
class OffsetRangeStore;
}

namespace kmirror::daemon {

/// What /status and /metrics show of the state file.
struct StateHealth {
    std::string path;
    std::uint64_t write_errors = 0;  ///< failed writes since start
    /// Set while writes fail: the last error and for how long.
    std::optional<std::string> failing;
    double failing_seconds = 0;
};

class StateFlusher {
public:
    static constexpr auto kInterval = std::chrono::seconds(1);
    static constexpr auto kLogEvery = std::chrono::minutes(1);

    StateFlusher(boost::asio::io_context& io, checkpoints::OffsetRangeStore& store)
        : timer_(io), store_(store) {}

    /// Flushes every kInterval until stop().
    void start();
    /// Cancels the timer; flushes once more (what the drain acknowledged).
    void stop();
    [[nodiscard]] StateHealth health() const;

private:
    void schedule();
    void flush();

    boost::asio::steady_timer timer_;
    checkpoints::OffsetRangeStore& store_;
    std::uint64_t errors_ = 0;
    std::uint64_t failed_attempts_ = 0;  // since failing_since_
    std::optional<std::chrono::steady_clock::time_point> failing_since_;
    std::chrono::steady_clock::time_point logged_at_{};
    std::string last_error_;
};

}  // namespace kmirror::daemon
