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
// The writes run on a thread of their own: an fsync under I/O pressure can
// take hundreds of milliseconds, and the io thread pings systemd's watchdog.
// @thread any: every member function.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
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

    explicit StateFlusher(checkpoints::OffsetRangeStore& store) : store_(store) {}
    ~StateFlusher() { stop(); }
    StateFlusher(const StateFlusher&) = delete;
    StateFlusher& operator=(const StateFlusher&) = delete;

    /// Flushes every kInterval until stop().
    void start();
    /// Ends the thread; flushes once more (what the drain acknowledged).
    void stop();
    [[nodiscard]] StateHealth health() const;

private:
    void flush();

    checkpoints::OffsetRangeStore& store_;
    std::thread thread_;
    std::condition_variable wake_;
    bool stop_ = false;          // guarded by mu_
    mutable std::mutex mu_;      // guards the members below and stop_
    std::uint64_t errors_ = 0;
    std::uint64_t failed_attempts_ = 0;  // since failing_since_
    std::optional<std::chrono::steady_clock::time_point> failing_since_;
    std::chrono::steady_clock::time_point logged_at_{};
    std::string last_error_;
};

}  // namespace kmirror::daemon
