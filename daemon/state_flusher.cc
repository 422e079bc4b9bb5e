#include "daemon/state_flusher.h"

#include <spdlog/spdlog.h>

#include "checkpoints/offset_range_store.h"

namespace kmirror::daemon {
namespace {

long long whole_seconds(std::chrono::steady_clock::duration d) {
    return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

}  // namespace

void StateFlusher::start() {
    thread_ = std::thread([this] {
        std::unique_lock lock(mu_);
        while (!wake_.wait_for(lock, kInterval, [this] { return stop_; })) {
            lock.unlock();
            flush();
            lock.lock();
        }
    });
}

void StateFlusher::stop() {
    {
        std::lock_guard lock(mu_);
        if (stop_) return;
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    flush();
}

void StateFlusher::flush() {
    const auto r = store_.flush();  // not under mu_: health() must not wait for it
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    if (r) {
        if (failing_since_) {
            spdlog::info("state '{}': offset ranges written again after {} s of failed writes "
                         "({} attempts); nothing was lost",
                         store_.path(), whole_seconds(now - *failing_since_), failed_attempts_);
            failing_since_.reset();
        }
        return;
    }
    ++errors_;
    last_error_ = r.error().message();
    if (!failing_since_) {
        failing_since_ = now;
        logged_at_ = now;
        failed_attempts_ = 1;
        spdlog::error("state '{}': writing offset ranges failed: {}. Mirroring goes on and "
                      "keeps them in memory; retried every second, logged at most once a "
                      "minute. Until it succeeds, a restart or `kmirror translate` answers "
                      "'conservative' for what was mirrored since.",
                      store_.path(), last_error_);
        return;
    }
    ++failed_attempts_;
    if (now - logged_at_ >= kLogEvery) {
        spdlog::error("state '{}': writing offset ranges still fails after {} s ({} attempts): {}",
                      store_.path(), whole_seconds(now - *failing_since_), failed_attempts_,
                      last_error_);
        logged_at_ = now;
    }
}

StateHealth StateFlusher::health() const {
    std::lock_guard lock(mu_);
    StateHealth h{store_.path(), errors_, std::nullopt, 0};
    if (failing_since_) {
        h.failing = last_error_;
        h.failing_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - *failing_since_).count();
    }
    return h;
}

}  // namespace kmirror::daemon
