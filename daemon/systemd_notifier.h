#pragma once
// SystemdNotifier: kmirror's side of systemd's notify protocol (Type=notify),
// through libsystemd's sd_notify. Without $NOTIFY_SOCKET every call is a no-op.
//
//  * READY=1 once every flow is connected and has partitions assigned;
//  * STATUS=<one line> whenever the summary changes (`systemctl status`);
//  * WATCHDOG=1 at half of WatchdogSec= while mirroring is healthy; a stalled
//    flow (StallWatch) stops the pings, so systemd restarts kmirror;
//  * RELOADING=1 ... READY=1 around a SIGHUP reload; STOPPING=1 at shutdown.
//
// @thread io: every member function.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace kmirror::daemon {

class SystemdNotifier {
public:
    explicit SystemdNotifier(boost::asio::io_context& io) : watchdog_timer_(io) {}

    /// Pings the watchdog if systemd asked for it (WATCHDOG_USEC), each time
    /// `healthy()` returns an empty string; otherwise logs why it stopped.
    void start_watchdog(std::function<std::string()> why_unhealthy);
    void ready();
    void reloading();
    void status(const std::string& line);
    /// STOPPING=1; the watchdog, if on, is stretched over the `drain`.
    void stopping(std::chrono::milliseconds drain);
    [[nodiscard]] bool ready_sent() const noexcept { return ready_sent_; }

private:
    void ping_later();

    boost::asio::steady_timer watchdog_timer_;
    std::chrono::microseconds watchdog_interval_{0};
    std::function<std::string()> why_unhealthy_;
    std::string withheld_;  // why pings stopped ("" while pinging)
    std::string status_;
    bool ready_sent_ = false;
    bool stopping_ = false;  // stopping() ran: no more pings
};

}  // namespace kmirror::daemon
