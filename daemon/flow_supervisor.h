#pragma once
// FlowSupervisor: starts the flows of `kmirror run` without blocking the
// daemon's io_context, and retries a flow that cannot start.
//
// Why a start runs off the io thread: Flow::start() talks to both clusters
// (up to connect_timeout each), and meanwhile /readyz, /status and /metrics
// must answer, saying why the flow is not ready ("authentication failed",
// "did not answer"). Why retry: a fan-in process must keep mirroring the
// primaries it can reach while one is down, and a cluster may accept
// kmirror's user a little later (Strimzi creates the SCRAM user after the
// pod starts). Every failed attempt is logged with its reason; nothing is
// retried silently. With `fail_fast` (`kmirror run --fail-fast`) the first
// failure stops the process instead.
//
// @thread io: every member function, and every callback it posts.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "daemon/observability.h"

namespace kmirror::checkpoints {
class OffsetRangeStore;
}

namespace kmirror::daemon {

class FlowSupervisor {
public:
    struct Options {
        bool fail_fast = false;
        /// Wait before the second attempt; doubled per failure up to max_backoff.
        std::chrono::milliseconds first_backoff{std::chrono::seconds(5)};
        std::chrono::milliseconds max_backoff{std::chrono::seconds(60)};
    };

    /// `on_flow_failure(reason)` (any thread): a running flow failed for good.
    /// `on_start_failure(reason)` (io): a start failed and fail_fast is set.
    /// `on_all_started()` (io): every flow runs, the first time only.
    FlowSupervisor(boost::asio::io_context& io, const config::Config& config,
                   checkpoints::OffsetRangeStore* ranges, Options options,
                   std::function<void(const std::string&)> on_flow_failure,
                   std::function<void(const std::string&)> on_start_failure,
                   std::function<void()> on_all_started);
    ~FlowSupervisor();
    FlowSupervisor(const FlowSupervisor&) = delete;
    FlowSupervisor& operator=(const FlowSupervisor&) = delete;

    /// Starts every flow (each on a thread of its own); returns at once.
    void start();
    /// Cancels retries, waits for starts in progress, drains every running flow.
    void stop(std::chrono::steady_clock::time_point deadline);
    /// The flows, running or not (for /metrics, /readyz, /status).
    [[nodiscard]] const Flows& flows() const noexcept { return flows_; }

private:
    struct Slot {
        std::thread starter;  // joinable while an attempt runs or was not collected
        std::unique_ptr<boost::asio::steady_timer> retry;
        std::chrono::milliseconds backoff{};
        int attempts = 0;
    };

    void attempt(std::size_t i);
    void started(std::size_t i, const std::string& error);
    std::unique_ptr<replicator::Flow> make_flow(std::size_t i);

    boost::asio::io_context& io_;
    const config::Config& config_;
    checkpoints::OffsetRangeStore* ranges_;
    Options options_;
    std::function<void(const std::string&)> on_flow_failure_;
    std::function<void(const std::string&)> on_start_failure_;
    std::function<void()> on_all_started_;
    Flows flows_;              // flows_[i] is config_.flows[i]
    std::vector<Slot> slots_;  // one per flow
    bool stopping_ = false;
    bool all_started_ = false;
};

}  // namespace kmirror::daemon
