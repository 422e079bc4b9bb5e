#pragma once
// ExitDeadline: a stop that outlives its deadline ends the process anyway.
//
// Stopping waits on librdkafka in places kmirror cannot bound: destroying a
// client waits for its requests in flight (each only bounded by its own
// timeout), and librdkafka itself can hang (#17: one kmirror did not exit
// within 40 s of SIGTERM while its consumers were destroyed). systemd would
// SIGKILL it at TimeoutStopSec, a pod at its grace period; this ends it first,
// saying why. Nothing is lost by it: what was acknowledged and not committed
// is copied again at the next start, as after a kill -9.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace kmirror::daemon {

class ExitDeadline {
public:
    ExitDeadline() = default;
    /// Disarms it and waits for its thread: the stop finished in time.
    ~ExitDeadline();
    ExitDeadline(const ExitDeadline&) = delete;
    ExitDeadline& operator=(const ExitDeadline&) = delete;

    /// From now on, the process exits with `exit_code` (std::_Exit: no
    /// destructor runs, librdkafka's threads may be anywhere) unless this is
    /// destroyed before `deadline`. Armed once; later calls change nothing.
    void arm(std::chrono::steady_clock::time_point deadline, int exit_code);

private:
    std::mutex mutex_;
    std::condition_variable disarmed_cv_;
    bool disarmed_ = false;
    std::thread thread_;
};

}  // namespace kmirror::daemon
