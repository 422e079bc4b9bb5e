#include "replicator/rate_limiter.h"

#include <algorithm>

namespace kmirror::replicator {

RateLimiter::Clock::time_point RateLimiter::charge(std::int64_t bytes, Clock::time_point now) {
    if (rate_ <= 0 || bytes <= 0) return now;
    Clock::time_point send_at;
    {
        std::lock_guard lock(mu_);
        // Time the link would need for everything charged so far; idle time
        // is not saved up beyond the burst.
        due_ = std::max(due_, now - kBurst) +
               std::chrono::nanoseconds(bytes * 1'000'000'000 / rate_);
        send_at = std::max(now, due_ - kBurst);
    }
    if (send_at > now) {
        throttled_ns_.fetch_add(std::chrono::nanoseconds(send_at - now).count(),
                                std::memory_order_relaxed);
    }
    return send_at;
}

}  // namespace kmirror::replicator
