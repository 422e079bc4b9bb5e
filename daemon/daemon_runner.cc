#include "daemon/daemon_runner.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <memory>
#include <vector>

#include "daemon/cli.h"
#include "replicator/flow.h"

namespace kmirror::daemon {

int run_daemon(const config::Config& config) {
    boost::asio::io_context io;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    std::vector<std::unique_ptr<replicator::Flow>> flows;
    int exit_code = kExitOk;
    bool stopped = false;

    // @thread io. Stops every flow (draining each) and lets io.run() return.
    auto stop_all = [&](int code, const std::string& why) {
        if (stopped) return;
        stopped = true;
        exit_code = code;
        spdlog::info("stopping: {}", why);
        (void)sd_notify(0, "STOPPING=1");
        signals.cancel();
        const auto deadline = std::chrono::steady_clock::now() + config.shutdown.timeout;
        for (auto& f : flows) f->stop(deadline);
    };

    for (const auto& fc : config.flows) {
        flows.push_back(std::make_unique<replicator::Flow>(
            config, fc, [&io, &stop_all](const std::string& reason) {
                boost::asio::post(io, [&stop_all, reason] {
                    stop_all(kExitFailure, "a flow failed: " + reason);
                });
            }));
    }
    try {
        for (auto& f : flows) f->start();
    } catch (const replicator::StartError& e) {
        spdlog::critical("{}", e.what());
        stop_all(kExitFailure, "start-up failed");
        return kExitFailure;
    }

    signals.async_wait([&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        stop_all(kExitOk, signo == SIGTERM ? "SIGTERM" : "SIGINT");
    });
    (void)sd_notify(0, "READY=1");
    spdlog::info("kmirror ready: {} flow(s) running", flows.size());
    io.run();
    flows.clear();
    return exit_code;
}

}  // namespace kmirror::daemon
