#include "daemon/exit_deadline.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace kmirror::daemon {

ExitDeadline::~ExitDeadline() {
    {
        std::lock_guard lock(mutex_);
        disarmed_ = true;
    }
    disarmed_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void ExitDeadline::arm(std::chrono::steady_clock::time_point deadline, int exit_code) {
    if (thread_.joinable()) return;
    thread_ = std::thread([this, deadline, exit_code] {
        std::unique_lock lock(mutex_);
        if (disarmed_cv_.wait_until(lock, deadline, [this] { return disarmed_; })) return;
        spdlog::error("stopping did not finish by its deadline (shutdown.timeout): exiting now "
                      "with code {}; records acknowledged since the last commit are copied "
                      "again at the next start",
                      exit_code);
        spdlog::default_logger()->flush();
        std::_Exit(exit_code);
    });
}

}  // namespace kmirror::daemon
