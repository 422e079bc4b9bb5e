#pragma once
// FlowSupervisor: starts the flows of `kmirror run` without blocking the
// daemon's io_context, retries a flow that cannot start, and applies a
// reloaded configuration (SIGHUP) flow by flow.
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
// Reload: a flow whose settings (its own section, its two clusters,
// connect_timeout) are unchanged keeps running untouched. A removed flow is
// drained and stopped like at SIGTERM; a changed one is drained, then started
// again with its new settings (same consumer group, so it resumes at the
// offsets the old one committed); an added one is started. Draining runs on a
// thread of its own, so the other flows and HTTP go on meanwhile.
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

    /// What a reload changed, by flow name.
    struct ReloadPlan {
        std::vector<std::string> added;
        std::vector<std::string> removed;
        std::vector<std::string> changed;
        std::vector<std::string> unchanged;
    };

    /// `on_flow_failure(reason)` (any thread): a running flow failed for good.
    /// `on_start_failure(reason)` (io): a start failed and fail_fast is set.
    /// `on_all_started()` (io): every configured flow runs, the first time only.
    FlowSupervisor(boost::asio::io_context& io, std::shared_ptr<const config::Config> config,
                   checkpoints::OffsetRangeStore* ranges, Options options,
                   std::function<void(const std::string&)> on_flow_failure,
                   std::function<void(const std::string&)> on_start_failure,
                   std::function<void()> on_all_started);
    ~FlowSupervisor();
    FlowSupervisor(const FlowSupervisor&) = delete;
    FlowSupervisor& operator=(const FlowSupervisor&) = delete;

    /// Starts every flow (each on a thread of its own); returns at once.
    void start();
    /// Applies `next` (already validated): see the header comment. Returns at
    /// once; a removed or changed flow drains within `drain_timeout`.
    ReloadPlan reload(std::shared_ptr<const config::Config> next,
                      std::chrono::milliseconds drain_timeout);
    /// Cancels retries, waits for starts and reload drains in progress, drains
    /// every running flow.
    void stop(std::chrono::steady_clock::time_point deadline);
    /// The configured flows, running or not (for /metrics, /readyz, /status);
    /// flows draining after a reload are not among them.
    [[nodiscard]] Flows flows() const;

private:
    struct Slot {
        /// The configuration generation the flow was built from: the flow
        /// holds references into it.
        std::shared_ptr<const config::Config> config;
        const config::Flow* settings = nullptr;  // in *config
        std::unique_ptr<replicator::Flow> flow;
        std::thread starter;   // joinable while an attempt runs or was not collected
        std::thread drainer;   // a retired flow stopping
        /// Destroys the flow of a failed start: closing its clients can take
        /// a second with a broker down, too long for the io thread, which
        /// pings systemd's watchdog.
        std::thread disposer;
        Slot() = default;
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot() {
            if (disposer.joinable()) disposer.join();
        }
        std::unique_ptr<boost::asio::steady_timer> retry;
        std::chrono::milliseconds backoff{};
        int attempts = 0;
        bool retired = false;  // removed or replaced by a reload: drain, then forget
        /// Replaced: the slot that starts once this one has drained.
        std::shared_ptr<Slot> successor;
    };
    using SlotPtr = std::shared_ptr<Slot>;

    SlotPtr make_slot(std::shared_ptr<const config::Config> config, const config::Flow& settings);
    std::unique_ptr<replicator::Flow> make_flow(const Slot& slot);
    void attempt(const SlotPtr& slot);
    void started(const SlotPtr& slot, const std::string& error);
    /// Stops a retired slot's flow on its drainer thread; then starts its successor.
    void drain(const SlotPtr& slot);
    void drained(const SlotPtr& slot);
    void check_all_started();

    boost::asio::io_context& io_;
    checkpoints::OffsetRangeStore* ranges_;
    Options options_;
    std::function<void(const std::string&)> on_flow_failure_;
    std::function<void(const std::string&)> on_start_failure_;
    std::function<void()> on_all_started_;
    std::vector<SlotPtr> slots_;    // the configured flows, in configuration order
    std::vector<SlotPtr> retired_;  // draining after a reload
    std::chrono::milliseconds drain_timeout_{};
    bool stopping_ = false;
    bool all_started_ = false;
};

}  // namespace kmirror::daemon
