#include "daemon/flow_supervisor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "checkpoints/offset_range_store.h"

namespace kmirror::daemon {
namespace {

const config::Flow* find_flow(const config::Config& config, const std::string& name) {
    for (const auto& f : config.flows) {
        if (f.name == name) return &f;
    }
    return nullptr;
}

// Whether a running flow would behave differently under `next`: its own
// section, either of its clusters, or the start-up timeout it uses.
/// Each worker's share of memory.budget (replicator/memory_plan.h).
std::int64_t worker_share(const config::Config& config) {
    std::int64_t workers = 0;
    for (const auto& f : config.flows) workers += f.workers;
    return config.memory.budget.bytes / std::max<std::int64_t>(1, workers);
}

bool flow_changed(const config::Config& now, const config::Flow& flow,
                  const config::Config& next, const config::Flow& next_flow) {
    // A new budget, or flows added or removed, change a flow's share: its
    // queues are sized at start, so it restarts to stay within the budget.
    return !(flow == next_flow) || !(now.clusters.at(flow.source) == next.clusters.at(flow.source)) ||
           !(now.clusters.at(flow.target) == next.clusters.at(flow.target)) ||
           now.connect_timeout != next.connect_timeout || worker_share(now) != worker_share(next);
}

}  // namespace

FlowSupervisor::FlowSupervisor(boost::asio::io_context& io,
                               std::shared_ptr<const config::Config> config,
                               checkpoints::OffsetRangeStore* ranges, Options options,
                               std::function<void(const std::string&)> on_flow_failure,
                               std::function<void(const std::string&)> on_start_failure,
                               std::function<void()> on_all_started)
    : io_(io),
      ranges_(ranges),
      options_(options),
      on_flow_failure_(std::move(on_flow_failure)),
      on_start_failure_(std::move(on_start_failure)),
      on_all_started_(std::move(on_all_started)),
      drain_timeout_(config->shutdown.timeout) {
    for (const auto& f : config->flows) slots_.push_back(make_slot(config, f));
}

FlowSupervisor::~FlowSupervisor() {
    // stop() normally ran; a start or drain still in progress must end
    // before its flow dies.
    for (auto* list : {&slots_, &retired_}) {
        for (auto& s : *list) {
            if (s->starter.joinable()) s->starter.join();
            if (s->drainer.joinable()) s->drainer.join();
        }
    }
}

FlowSupervisor::SlotPtr FlowSupervisor::make_slot(std::shared_ptr<const config::Config> config,
                                                  const config::Flow& settings) {
    auto slot = std::make_shared<Slot>();
    slot->config = std::move(config);
    slot->settings = &settings;
    slot->flow = make_flow(*slot);
    slot->retry = std::make_unique<boost::asio::steady_timer>(io_);
    slot->backoff = options_.first_backoff;
    return slot;
}

std::unique_ptr<replicator::Flow> FlowSupervisor::make_flow(const Slot& slot) {
    return std::make_unique<replicator::Flow>(*slot.config, *slot.settings, on_flow_failure_,
                                              ranges_);
}

Flows FlowSupervisor::flows() const {
    Flows out;
    out.reserve(slots_.size());
    for (const auto& s : slots_) out.push_back(s->flow.get());
    return out;
}

void FlowSupervisor::start() {
    for (const auto& s : slots_) attempt(s);
}

void FlowSupervisor::attempt(const SlotPtr& slot) {
    ++slot->attempts;
    slot->starter = std::thread([this, slot, flow = slot->flow.get()] {
        std::string error;
        try {
            flow->start();
        } catch (const replicator::StartError& e) {
            error = e.what();
        } catch (const std::exception& e) {
            error = "flow '" + slot->settings->name + "': " + e.what();
        }
        boost::asio::post(io_, [this, slot, error] { started(slot, error); });
    });
}

void FlowSupervisor::started(const SlotPtr& slot, const std::string& error) {
    if (slot->starter.joinable()) slot->starter.join();
    if (stopping_) return;
    if (slot->retired) {
        drain(slot);
        return;
    }
    const auto& name = slot->settings->name;
    if (error.empty()) {
        if (slot->attempts > 1) spdlog::info("flow '{}': started after {} attempts", name, slot->attempts);
        check_all_started();
        return;
    }
    if (options_.fail_fast) {
        spdlog::critical("{}", error);
        on_start_failure_(error);
        return;
    }
    spdlog::error("{} (attempt {}; next in {} s)", error, slot->attempts,
                  std::chrono::duration_cast<std::chrono::seconds>(slot->backoff).count());
    // The failed flow object is half-built: the next attempt gets a new one,
    // which shows this error until it either starts or fails otherwise.
    if (slot->disposer.joinable()) slot->disposer.join();  // the one before: long done
    slot->disposer = std::thread(
        [failed = std::move(slot->flow), generation = slot->config]() mutable { failed.reset(); });
    slot->flow = make_flow(*slot);
    slot->flow->set_start_error(error);
    slot->retry->expires_after(slot->backoff);
    slot->backoff = std::min(slot->backoff * 2, options_.max_backoff);
    slot->retry->async_wait([this, slot](const boost::system::error_code& ec) {
        if (ec || stopping_ || slot->retired) return;
        attempt(slot);
    });
}

void FlowSupervisor::check_all_started() {
    const bool all = std::all_of(slots_.begin(), slots_.end(),
                                 [](const auto& s) { return s->flow->started(); });
    if (all && !all_started_) {
        all_started_ = true;
        on_all_started_();
    }
}

FlowSupervisor::ReloadPlan FlowSupervisor::reload(std::shared_ptr<const config::Config> next,
                                                  std::chrono::milliseconds drain_timeout) {
    ReloadPlan plan;
    if (stopping_) return plan;
    drain_timeout_ = drain_timeout;
    std::vector<SlotPtr> kept;
    std::vector<SlotPtr> to_start;
    for (const auto& next_flow : next->flows) {
        auto it = std::find_if(slots_.begin(), slots_.end(),
                               [&](const auto& s) { return s->settings->name == next_flow.name; });
        if (it == slots_.end()) {
            plan.added.push_back(next_flow.name);
            kept.push_back(make_slot(next, next_flow));
            to_start.push_back(kept.back());
            continue;
        }
        const auto& old = *it;
        if (!flow_changed(*old->config, *old->settings, *next, next_flow)) {
            plan.unchanged.push_back(next_flow.name);
            kept.push_back(old);  // keeps its own configuration generation
            continue;
        }
        plan.changed.push_back(next_flow.name);
        // Started once the old one has drained (drained()).
        old->successor = make_slot(next, next_flow);
        kept.push_back(old->successor);
    }
    for (const auto& s : slots_) {
        const bool removed = find_flow(*next, s->settings->name) == nullptr;
        if (removed) plan.removed.push_back(s->settings->name);
        if (!removed && !s->successor) continue;  // unchanged
        s->retired = true;
        s->retry->cancel();
        retired_.push_back(s);
        // A start in progress ends first (started() then drains it).
        if (!s->starter.joinable()) drain(s);
    }
    slots_ = std::move(kept);
    for (const auto& s : to_start) attempt(s);
    return plan;
}

void FlowSupervisor::drain(const SlotPtr& slot) {
    const auto deadline = std::chrono::steady_clock::now() + drain_timeout_;
    slot->drainer = std::thread([this, slot, deadline] {
        if (slot->flow->started()) slot->flow->stop(deadline);
        boost::asio::post(io_, [this, slot] { drained(slot); });
    });
}

void FlowSupervisor::drained(const SlotPtr& slot) {
    if (slot->drainer.joinable()) slot->drainer.join();
    std::erase(retired_, slot);
    if (stopping_) return;
    spdlog::info("flow '{}': stopped for the new configuration", slot->settings->name);
    if (auto next = slot->successor) {
        slot->successor.reset();
        if (!next->retired) attempt(next);
    }
}

void FlowSupervisor::stop(std::chrono::steady_clock::time_point deadline) {
    stopping_ = true;
    for (const auto& s : slots_) s->retry->cancel();
    // A start in progress is bounded by connect_timeout per cluster; the
    // flow it builds is then drained like the others. A reload's drain has
    // its own deadline.
    for (auto* list : {&slots_, &retired_}) {
        for (auto& s : *list) {
            if (s->starter.joinable()) s->starter.join();
        }
    }
    for (const auto& s : retired_) {
        if (s->drainer.joinable()) {
            s->drainer.join();
        } else if (s->flow->started()) {
            s->flow->stop(deadline);  // its start ended after stop() began
        }
    }
    for (const auto& s : slots_) {
        if (s->flow->started()) s->flow->stop(deadline);
    }
}

}  // namespace kmirror::daemon
