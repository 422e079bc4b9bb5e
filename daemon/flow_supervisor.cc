#include "daemon/flow_supervisor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "checkpoints/offset_range_store.h"

namespace kmirror::daemon {

FlowSupervisor::FlowSupervisor(boost::asio::io_context& io, const config::Config& config,
                               checkpoints::OffsetRangeStore* ranges, Options options,
                               std::function<void(const std::string&)> on_flow_failure,
                               std::function<void(const std::string&)> on_start_failure,
                               std::function<void()> on_all_started)
    : io_(io),
      config_(config),
      ranges_(ranges),
      options_(options),
      on_flow_failure_(std::move(on_flow_failure)),
      on_start_failure_(std::move(on_start_failure)),
      on_all_started_(std::move(on_all_started)),
      slots_(config.flows.size()) {
    for (std::size_t i = 0; i < config_.flows.size(); ++i) {
        flows_.push_back(make_flow(i));
        slots_[i].retry = std::make_unique<boost::asio::steady_timer>(io_);
        slots_[i].backoff = options_.first_backoff;
    }
}

FlowSupervisor::~FlowSupervisor() {
    // stop() normally ran; a start still in progress must end before its flow dies.
    for (auto& s : slots_) {
        if (s.starter.joinable()) s.starter.join();
    }
}

std::unique_ptr<replicator::Flow> FlowSupervisor::make_flow(std::size_t i) {
    return std::make_unique<replicator::Flow>(config_, config_.flows[i], on_flow_failure_, ranges_);
}

void FlowSupervisor::start() {
    for (std::size_t i = 0; i < flows_.size(); ++i) attempt(i);
}

void FlowSupervisor::attempt(std::size_t i) {
    auto& slot = slots_[i];
    ++slot.attempts;
    auto* flow = flows_[i].get();
    slot.starter = std::thread([this, i, flow] {
        std::string error;
        try {
            flow->start();
        } catch (const replicator::StartError& e) {
            error = e.what();
        } catch (const std::exception& e) {
            error = "flow '" + config_.flows[i].name + "': " + e.what();
        }
        boost::asio::post(io_, [this, i, error] { started(i, error); });
    });
}

void FlowSupervisor::started(std::size_t i, const std::string& error) {
    auto& slot = slots_[i];
    if (slot.starter.joinable()) slot.starter.join();
    if (stopping_) return;
    if (error.empty()) {
        if (slot.attempts > 1) {
            spdlog::info("flow '{}': started after {} attempts", config_.flows[i].name,
                         slot.attempts);
        }
        const bool all =
            std::all_of(flows_.begin(), flows_.end(), [](const auto& f) { return f->started(); });
        if (all && !all_started_) {
            all_started_ = true;
            on_all_started_();
        }
        return;
    }
    if (options_.fail_fast) {
        spdlog::critical("{}", error);
        on_start_failure_(error);
        return;
    }
    spdlog::error("{} (attempt {}; next in {} s)", error, slot.attempts,
                  std::chrono::duration_cast<std::chrono::seconds>(slot.backoff).count());
    // The failed flow object is half-built: the next attempt gets a new one,
    // which shows this error until it either starts or fails otherwise.
    flows_[i] = make_flow(i);
    flows_[i]->set_start_error(error);
    slot.retry->expires_after(slot.backoff);
    slot.backoff = std::min(slot.backoff * 2, options_.max_backoff);
    slot.retry->async_wait([this, i](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        attempt(i);
    });
}

void FlowSupervisor::stop(std::chrono::steady_clock::time_point deadline) {
    stopping_ = true;
    for (auto& s : slots_) s.retry->cancel();
    // A start in progress is bounded by connect_timeout per cluster; the
    // flow it builds is then drained like the others.
    for (auto& s : slots_) {
        if (s.starter.joinable()) s.starter.join();
    }
    for (auto& f : flows_) {
        if (f->started()) f->stop(deadline);
    }
}

}  // namespace kmirror::daemon
