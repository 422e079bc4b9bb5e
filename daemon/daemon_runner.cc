#include "daemon/daemon_runner.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <functional>
#include <memory>
#include <vector>

#include "checkpoints/offset_range_store.h"
#include "daemon/cli.h"
#include "daemon/flow_supervisor.h"
#include "daemon/observability.h"
#include "metrics/exposition.h"
#include "metrics/http_server.h"

namespace kmirror::daemon {
namespace {

// Pings systemd's watchdog at half its interval while the event loop turns,
// so a wedged loop gets the process restarted.
void keep_watchdog(boost::asio::steady_timer& timer, std::chrono::microseconds interval) {
    timer.expires_after(interval / 2);
    timer.async_wait([&timer, interval](const boost::system::error_code& ec) {
        if (ec) return;
        (void)sd_notify(0, "WATCHDOG=1");
        keep_watchdog(timer, interval);
    });
}

// Offset ranges are written to SQLite in one transaction per interval, not
// per record; a crash loses at most this much (the store lags, never lies).
constexpr auto kRangeFlushInterval = std::chrono::seconds(1);

void flush_ranges(checkpoints::OffsetRangeStore& store) {
    if (auto r = store.flush(); !r) {
        spdlog::error("state '{}': writing offset ranges failed: {} (retried)", store.path(),
                      r.error().message());
    }
}

void keep_flushing(boost::asio::steady_timer& timer, checkpoints::OffsetRangeStore& store) {
    timer.expires_after(kRangeFlushInterval);
    timer.async_wait([&timer, &store](const boost::system::error_code& ec) {
        if (ec) return;
        flush_ranges(store);
        keep_flushing(timer, store);
    });
}

}  // namespace

int run_daemon(const config::Config& config, const metrics::BuildInfo& build,
               const RunOptions& options) {
    boost::asio::io_context io;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
    boost::asio::steady_timer watchdog(io);
    boost::asio::steady_timer range_flush(io);
    int exit_code = kExitOk;
    bool stopped = false;

    // The offset-range store: refused (and left untouched) when the file is
    // not a kmirror store or comes from a newer kmirror.
    auto opened = checkpoints::OffsetRangeStore::open(config.state.path);
    if (!opened) {
        spdlog::critical("state.path '{}': {}", config.state.path, opened.error().message());
        return kExitFailure;
    }
    auto ranges = std::move(opened.value());

    std::unique_ptr<metrics::HttpServer> http;
    try {
        http = std::make_unique<metrics::HttpServer>(io, config.http.listen);
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
            (void)sd_notify(0, "READY=1");
            spdlog::info("kmirror ready: {} flow(s) running; http on {} (port {})",
                         config.flows.size(), config.http.listen, http->port());
        });
    const auto& flows = supervisor.flows();

    // @thread io. Stops every flow (draining each) and lets io.run() return.
    stop_all = [&](int code, const std::string& why) {
        if (stopped) return;
        stopped = true;
        exit_code = code;
        spdlog::info("stopping: {}", why);
        (void)sd_notify(0, "STOPPING=1");
        signals.cancel();
        watchdog.cancel();
        range_flush.cancel();
        supervisor.stop(std::chrono::steady_clock::now() + config.shutdown.timeout);
        flush_ranges(*ranges);  // everything acknowledged during the drain
        http->stop();
    };

    const metrics::ExpositionOptions exposition{config.metrics.partition_labels};
    http->route("/metrics", [&] {
        return metrics::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                                     metrics::render(sample_flows(flows), build, exposition)};
    });
    http->route("/healthz", [] { return metrics::HttpResponse{200, "text/plain", "ok\n"}; });
    http->route("/readyz", [&] { return readiness(flows); });
    http->route("/status", [&] {
        return metrics::HttpResponse{200, "application/json", status_json(flows)};
    });

    // SIGHUP's default action would kill kmirror without draining; until it
    // reloads the configuration (#10) it is acknowledged and ignored.
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signo) {
            if (ec) return;
            if (signo == SIGHUP) {
                spdlog::warn("SIGHUP: reloading the configuration is not supported yet; "
                             "kmirror keeps running with the one it started with");
                signals.async_wait(on_signal);
                return;
            }
            stop_all(kExitOk, signo == SIGTERM ? "SIGTERM" : "SIGINT");
        };
    signals.async_wait(on_signal);
    // Serving before the flows start: /readyz says why a flow is not running.
    http->start();
    spdlog::info("http on {} (port {}); starting {} flow(s)", config.http.listen, http->port(),
                 config.flows.size());
    keep_flushing(range_flush, *ranges);
    std::uint64_t watchdog_usec = 0;
    if (sd_watchdog_enabled(0, &watchdog_usec) > 0) {
        keep_watchdog(watchdog, std::chrono::microseconds(watchdog_usec));
    }
    supervisor.start();
    io.run();
    return exit_code;
}

}  // namespace kmirror::daemon
