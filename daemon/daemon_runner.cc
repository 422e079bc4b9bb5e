#include "daemon/daemon_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <functional>
#include <memory>
#include <vector>

#include "checkpoints/offset_range_store.h"
#include "config/parser.h"
#include "daemon/cli.h"
#include "daemon/exit_deadline.h"
#include "daemon/flow_supervisor.h"
#include "daemon/observability.h"
#include "daemon/stall_watch.h"
#include "daemon/state_flusher.h"
#include "daemon/systemd_notifier.h"
#include "metrics/exposition.h"
#include "metrics/http_server.h"

namespace kmirror::daemon {
namespace {

// Of shutdown.timeout, what is kept for closing after the drain.
constexpr auto kCloseReserve = std::chrono::milliseconds(3000);

// Past shutdown.timeout, how long a stop may still take before the process
// ends anyway (ExitDeadline): writing the state file, destroying clients.
constexpr auto kExitGrace = std::chrono::milliseconds(2000);

// Readiness, stalls and systemd's STATUS= are re-evaluated this often.
constexpr auto kHealthInterval = std::chrono::seconds(1);

// Settings a running process cannot change: they apply at the next start.
std::vector<std::string> restart_only_changes(const config::Config& now,
                                              const config::Config& next) {
    std::vector<std::string> keys;
    if (now.state.path != next.state.path) keys.emplace_back("state.path");
    // Running flows keep the value they started with.
    if (now.state.forget_after != next.state.forget_after) {
        keys.emplace_back("state.forget_after");
    }
    if (now.http.listen != next.http.listen) keys.emplace_back("http.listen");
    if (now.log.format != next.log.format) keys.emplace_back("log.format");
    return keys;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? "-" : out;
}

}  // namespace

int run_daemon(std::shared_ptr<const config::Config> config, const metrics::BuildInfo& build,
               const RunOptions& options) {
    // First, so it is destroyed (disarmed) last: it covers the flows'
    // destructors too.
    ExitDeadline exit_deadline;
    boost::asio::io_context io;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
    boost::asio::steady_timer health(io);
    SystemdNotifier notifier(io);
    // The configuration in force: SIGHUP replaces it. state and http keep
    // the first one's settings (restart_only_changes).
    std::shared_ptr<const config::Config> current = config;
    StallWatch stall_watch(config->health.stall_timeout);
    StallWatch::Stalls stalls;
    int exit_code = kExitOk;
    bool stopped = false;

    // The offset-range store: refused (and left untouched) when the file is
    // not a kmirror store or comes from a newer kmirror.
    auto opened = checkpoints::OffsetRangeStore::open(config->state.path);
    if (!opened) {
        spdlog::critical("state.path '{}': {}", config->state.path, opened.error().message());
        return kExitFailure;
    }
    auto ranges = std::move(opened.value());
    StateFlusher state(*ranges);

    std::unique_ptr<metrics::HttpServer> http;
    try {
        http = std::make_unique<metrics::HttpServer>(io, config->http.listen);
    } catch (const std::exception& e) {
        spdlog::critical("cannot serve HTTP: {}", e.what());
        return kExitFailure;
    }

    std::function<void(int, const std::string&)> stop_all;
    FlowSupervisor supervisor(
        io, config, ranges.get(), {.fail_fast = options.fail_fast},
        [&io, &stop_all](const std::string& reason) {
            boost::asio::post(io, [&stop_all, reason] {
                stop_all(kExitFailure, "a flow failed: " + reason);
            });
        },
        [&stop_all](const std::string&) { stop_all(kExitFailure, "start-up failed (--fail-fast)"); },
        [&] {
            spdlog::info("kmirror ready: {} flow(s) running; http on {} (port {})",
                         supervisor.flows().size(), config->http.listen, http->port());
        });

    // @thread io. Stops every flow (draining each) and lets io.run() return.
    stop_all = [&](int code, const std::string& why) {
        if (stopped) return;
        stopped = true;
        exit_code = code;
        spdlog::info("stopping: {}", why);
        notifier.stopping(current->shutdown.timeout);
        signals.cancel();
        health.cancel();
        // The drain ends a little before shutdown.timeout: committing,
        // leaving the group and closing the clients (one to three seconds
        // with a cluster down, measured) must fit in it too, so systemd's
        // TimeoutStopSec holds.
        const auto timeout = current->shutdown.timeout;
        const auto reserve = std::min<std::chrono::milliseconds>(timeout / 4, kCloseReserve);
        const auto now = std::chrono::steady_clock::now();
        exit_deadline.arm(now + timeout + kExitGrace, kExitFailure);
        supervisor.stop(now + timeout - reserve);
        state.stop();  // writes everything acknowledged during the drain
        http->stop();
    };

    // @thread io. Every second: stalls, systemd's STATUS= and, the first
    // time every flow is connected and assigned, READY=1.
    std::function<void()> check_health = [&] {
        const auto flows = supervisor.flows();
        stalls = stall_watch.update(stall_samples(flows), std::chrono::steady_clock::now());
        notifier.status(status_line(flows, stalls));
        if (!notifier.ready_sent() && readiness(flows, stalls).status == 200) {
            notifier.ready();
            spdlog::info("every flow is connected and has partitions assigned (systemd: READY=1)");
        }
        health.expires_after(kHealthInterval);
        health.async_wait([&](const boost::system::error_code& ec) {
            // `stopped`, not only ec: a wait that had already completed when
            // stop_all cancelled it still runs with success, and re-arming
            // here would keep io.run() from ever returning (a hang at exit).
            if (!ec && !stopped) check_health();
        });
    };

    // @thread io. SIGHUP: the file again, validated like check-config; an
    // invalid one is refused with the same diagnostics and changes nothing.
    auto reload = [&] {
        spdlog::info("SIGHUP: reloading {}", options.config_path);
        const bool was_ready = notifier.ready_sent();
        if (was_ready) notifier.reloading();
        auto parsed = config::parse_file(options.config_path);
        for (const auto& w : parsed.warnings) spdlog::warn("{}", config::to_string(w));
        for (const auto& e : parsed.errors) spdlog::error("{}", config::to_string(e));
        if (!parsed.config) {
            spdlog::error("reload refused: {} error(s) in {}; the running configuration stays",
                          parsed.errors.size(), options.config_path);
        } else {
            auto next = std::make_shared<const config::Config>(std::move(*parsed.config));
            for (const auto& key : restart_only_changes(*current, *next)) {
                spdlog::warn("reload: {} changed; it takes effect when kmirror restarts", key);
            }
            spdlog::set_level(spdlog::level::from_str(next->log.level));
            stall_watch.set_timeout(next->health.stall_timeout);
            const auto plan = supervisor.reload(next, next->shutdown.timeout);
            current = next;
            spdlog::info("configuration reloaded: flows added: {}; removed: {}; restarted: {}; "
                         "unchanged: {}",
                         joined(plan.added), joined(plan.removed), joined(plan.changed),
                         joined(plan.unchanged));
        }
        if (was_ready) notifier.ready();
    };

    http->route("/metrics", [&] {
        const metrics::ExpositionOptions exposition{current->metrics.partition_labels};
        return metrics::HttpResponse{
            200, "text/plain; version=0.0.4; charset=utf-8",
            metrics::render(sample_flows(supervisor.flows()), build, exposition,
                            state_sample(state.health()))};
    });
    http->route("/healthz", [] { return metrics::HttpResponse{200, "text/plain", "ok\n"}; });
    http->route("/readyz", [&] { return readiness(supervisor.flows(), stalls); });
    http->route("/status", [&] {
        return metrics::HttpResponse{200, "application/json", status_json(supervisor.flows(), state.health())};
    });

    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signo) {
            if (ec || stopped) return;  // (a signal queued before stop_all cancelled the wait)
            if (signo == SIGHUP) {
                reload();
                signals.async_wait(on_signal);
                return;
            }
            stop_all(kExitOk, signo == SIGTERM ? "SIGTERM" : "SIGINT");
        };
    signals.async_wait(on_signal);
    // Serving before the flows start: /readyz says why a flow is not running.
    http->start();
    spdlog::info("http on {} (port {}); starting {} flow(s)", config->http.listen, http->port(),
                 config->flows.size());
    state.start();
    notifier.start_watchdog([&]() -> std::string {
        if (stalls.empty()) return {};
        return "flow '" + stalls.begin()->first + "': " + stalls.begin()->second;
    });
    supervisor.start();
    check_health();
    io.run();
    return exit_code;
}

}  // namespace kmirror::daemon
