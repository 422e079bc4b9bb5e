#include "daemon/systemd_notifier.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdint>
#include <string>

namespace kmirror::daemon {

void SystemdNotifier::start_watchdog(std::function<std::string()> why_unhealthy) {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0) return;
    watchdog_interval_ = std::chrono::microseconds(usec);
    why_unhealthy_ = std::move(why_unhealthy);
    spdlog::info("systemd watchdog: pinging every {} ms while mirroring progresses",
                 std::chrono::duration_cast<std::chrono::milliseconds>(watchdog_interval_ / 2).count());
    ping_later();
}

void SystemdNotifier::ping_later() {
    watchdog_timer_.expires_after(watchdog_interval_ / 2);
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
        // A wait completed just before stopping() cancelled it still runs,
        // with success: no ping after STOPPING=1, and no re-arming (io.run()
        // would never return).
        if (ec || stopping_) return;
        auto why = why_unhealthy_();
        if (why.empty()) {
            if (!withheld_.empty()) spdlog::info("systemd watchdog: mirroring progresses again; pinging");
            (void)sd_notify(0, "WATCHDOG=1");
        } else if (why != withheld_) {
            spdlog::error("systemd watchdog: not pinging, so systemd restarts kmirror: {}", why);
        }
        withheld_ = std::move(why);
        ping_later();
    });
}

void SystemdNotifier::ready() {
    ready_sent_ = true;
    (void)sd_notify(0, "READY=1");
}

void SystemdNotifier::reloading() { (void)sd_notify(0, "RELOADING=1"); }

void SystemdNotifier::status(const std::string& line) {
    if (line == status_) return;
    status_ = line;
    (void)sd_notify(0, ("STATUS=" + line).c_str());
}

void SystemdNotifier::stopping(std::chrono::milliseconds drain) {
    stopping_ = true;
    watchdog_timer_.cancel();
    (void)sd_notify(0, "STOPPING=1");
    // The drain blocks the loop that pings: give the watchdog the drain's
    // time plus a margin, so systemd's stop timeout, not the watchdog, bounds it.
    if (watchdog_interval_.count() > 0) {
        const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(
            drain + std::chrono::seconds(10) + watchdog_interval_);
        (void)sd_notify(0, ("WATCHDOG_USEC=" + std::to_string(usec.count())).c_str());
    }
}

}  // namespace kmirror::daemon
