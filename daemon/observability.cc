#include "daemon/observability.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "base/clock.h"
#include "daemon/json_writer.h"

namespace kmirror::daemon {
namespace {

struct PartitionView {
    std::shared_ptr<replicator::PartitionProgress> progress;
    replicator::PartitionProgress::Snapshot snap;
    std::int64_t lag_records;
    double lag_seconds;
};

// The assigned partitions of a flow with their lag, computed once per call.
std::vector<PartitionView> view(replicator::Flow& flow, std::int64_t now) {
    std::vector<PartitionView> out;
    for (auto& p : flow.partitions()) {
        if (!p->assigned.load(std::memory_order_relaxed)) continue;
        auto snap = p->snapshot();
        const auto high = p->high_watermark.load(std::memory_order_relaxed);
        std::int64_t lag = 0;
        if (high >= 0) {
            // Before the first acknowledgement of a partition read from its
            // start, the next offset is unknown: count everything as lag.
            lag = snap.next_to_copy ? std::max<std::int64_t>(0, high - snap.next_to_copy->value())
                                    : high;
        }
        const double seconds =
            snap.oldest_pending_ms
                ? static_cast<double>(std::max<std::int64_t>(0, now - *snap.oldest_pending_ms)) /
                      1000.0
                : 0.0;
        out.push_back({p, std::move(snap), lag, seconds});
    }
    return out;
}

std::optional<double> age_seconds(const std::atomic<std::int64_t>& since_ms, std::int64_t now) {
    const auto last = since_ms.load(std::memory_order_relaxed);
    if (last <= 0) return std::nullopt;
    return static_cast<double>(std::max<std::int64_t>(0, now - last)) / 1000.0;
}

// With several instances of a flow, one consumes the heartbeats partition:
// only it reports the age, or another that once had it would report one that
// only grows (and fire the replication-gap alert, the max over instances).
// An instance that lost it without handing it over (the source down: no
// instance consumes anything) keeps reporting, so the gap climbs when it matters.
std::optional<double> heartbeat_age(replicator::Flow& flow, std::int64_t now) {
    bool consuming = false;
    bool lost = false;
    for (const auto& p : flow.partitions()) {
        if (!p->is_heartbeats()) continue;
        if (p->assigned.load(std::memory_order_relaxed)) {
            consuming = true;
        } else if (!p->handed_over.load(std::memory_order_relaxed)) {
            lost = true;
        }
    }
    const bool consumes_nothing = flow.stats().assigned_partitions.load() <= 0;
    if (!consuming && !(lost && consumes_nothing)) return std::nullopt;
    return age_seconds(flow.stats().last_heartbeat_ms, now);
}

}  // namespace

std::vector<metrics::FlowSample> sample_flows(const Flows& flows) {
    const auto now = now_ms();
    std::vector<metrics::FlowSample> out;
    for (const auto& f : flows) {
        auto& stats = f->stats();
        metrics::FlowSample s;
        s.flow = f->config().name;
        s.ready = !f->not_ready_reason();
        s.records_skipped = stats.records_skipped.load(std::memory_order_relaxed);
        s.rebalances = stats.rebalances.load(std::memory_order_relaxed);
        s.heartbeats_sent = stats.heartbeats_sent.load(std::memory_order_relaxed);
        s.heartbeat_age_seconds = heartbeat_age(*f, now);
        s.checkpoints = stats.checkpoints.load(std::memory_order_relaxed);
        s.checkpoint_age_seconds = age_seconds(stats.last_checkpoint_ms, now);
        s.offset_syncs = stats.offset_syncs.load(std::memory_order_relaxed);
        s.group_offsets_synced = stats.group_offsets_synced.load(std::memory_order_relaxed);
        s.groups_tracked = stats.groups_tracked.load(std::memory_order_relaxed);
        s.assigned_partitions = stats.assigned_partitions.load(std::memory_order_relaxed);
        s.topics_mirrored = stats.topics_mirrored.load(std::memory_order_relaxed);
        s.max_bytes_per_second = f->config().max_bytes_per_second.bytes;
        if (f->started()) {
            s.in_flight_bytes = f->in_flight().used();
            s.in_flight_limit_bytes = f->in_flight().limit();
            s.throttled_seconds = f->limiter().throttled_seconds();
        }
        std::map<std::string, metrics::TopicSample> topics;
        for (const auto& p : f->partitions()) {
            auto& t = topics[p->source_topic()];
            t.records += p->records.load(std::memory_order_relaxed);
            t.bytes += p->bytes.load(std::memory_order_relaxed);
            t.lost += p->lost.load(std::memory_order_relaxed);
        }
        for (auto& [name, t] : topics) {
            t.topic = name;
            s.topics.push_back(std::move(t));
        }
        for (const auto& v : view(*f, now)) {
            s.partitions.push_back(
                {v.progress->source_topic(), v.progress->partition(), v.lag_records, v.lag_seconds});
            if (v.snap.stopped) ++s.partitions_stopped;
        }
        const auto counts = stats.latency.counts();
        s.latency.bounds.assign(replicator::LatencyHistogram::kBounds.begin(),
                                replicator::LatencyHistogram::kBounds.end());
        s.latency.counts.assign(counts.begin(), counts.end());
        s.latency.sum = stats.latency.sum_seconds();
        s.produce_errors = stats.produce_errors.snapshot();
        s.consume_errors = stats.consume_errors.snapshot();
        out.push_back(std::move(s));
    }
    return out;
}

metrics::HttpResponse readiness(const Flows& flows, const StallWatch::Stalls& stalls) {
    std::string reasons;
    for (const auto& f : flows) {
        auto why = f->not_ready_reason();
        if (auto s = stalls.find(f->config().name); !why && s != stalls.end()) why = s->second;
        if (why) reasons += "flow '" + f->config().name + "': " + *why + "\n";
    }
    if (flows.empty()) reasons = "no flow running\n";
    if (reasons.empty()) return {200, "text/plain; charset=utf-8", "ready\n"};
    return {503, "text/plain; charset=utf-8", reasons};
}

std::vector<StallWatch::Sample> stall_samples(const Flows& flows) {
    const auto now = now_ms();
    std::vector<StallWatch::Sample> out;
    for (const auto& f : flows) {
        StallWatch::Sample s{f->config().name, !f->not_ready_reason(),
                             f->stats().records.load(std::memory_order_relaxed), 0};
        for (const auto& v : view(*f, now)) {
            s.waiting += v.lag_records + static_cast<std::int64_t>(v.snap.in_flight);
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::string status_line(const Flows& flows, const StallWatch::Stalls& stalls) {
    const auto now = now_ms();
    std::size_t ready = 0;
    std::string first_reason;
    std::int64_t partitions = 0;
    std::int64_t lag = 0;
    double lag_seconds = 0;
    for (const auto& f : flows) {
        auto why = f->not_ready_reason();
        if (auto s = stalls.find(f->config().name); !why && s != stalls.end()) why = s->second;
        if (why) {
            if (first_reason.empty()) first_reason = "flow '" + f->config().name + "': " + *why;
            continue;
        }
        ++ready;
        for (const auto& v : view(*f, now)) {
            ++partitions;
            lag += v.lag_records;
            lag_seconds = std::max(lag_seconds, v.lag_seconds);
        }
    }
    if (flows.empty()) return "no flow configured";
    if (ready < flows.size()) {
        return fmt::format("{}/{} flows ready; {}", ready, flows.size(), first_reason);
    }
    return fmt::format("mirroring: {} flow{}, {} partitions, lag {} records ({:.1f} s)",
                       flows.size(), flows.size() == 1 ? "" : "s", partitions, lag, lag_seconds);
}

metrics::StateSample state_sample(const StateHealth& state) {
    return {state.write_errors, state.failing.has_value()};
}

std::string status_json(const Flows& flows, const StateHealth& state) {
    const auto now = now_ms();
    JsonWriter w;
    w.begin_object();
    w.key("state").begin_object();
    w.key("path").value(state.path);
    w.key("write_errors").value(static_cast<std::int64_t>(state.write_errors));
    w.key("write_failing");
    if (state.failing) {
        w.value(*state.failing);
    } else {
        w.null();
    }
    w.key("write_failing_seconds").value(state.failing_seconds);
    w.end_object();
    w.key("flows").begin_array();
    for (const auto& f : flows) {
        const auto& cfg = f->config();
        auto& stats = f->stats();
        const auto why = f->not_ready_reason();
        w.begin_object();
        w.key("name").value(cfg.name);
        w.key("source").value(cfg.source);
        w.key("target").value(cfg.target);
        w.key("ready").value(!why);
        w.key("not_ready_reason");
        if (why) {
            w.value(*why);
        } else {
            w.null();
        }
        w.key("topics_mirrored").value(stats.topics_mirrored.load());
        w.key("assigned_partitions").value(stats.assigned_partitions.load());
        w.key("records_mirrored").value(static_cast<std::int64_t>(stats.records.load()));
        w.key("records_lost").value(static_cast<std::int64_t>(stats.records_lost.load()));
        w.key("heartbeat_age_seconds");
        if (auto age = heartbeat_age(*f, now)) {
            w.value(*age);
        } else {
            w.null();
        }
        w.key("checkpoint_age_seconds");
        if (auto age = age_seconds(stats.last_checkpoint_ms, now)) {
            w.value(*age);
        } else {
            w.null();
        }
        w.key("checkpoints_written").value(static_cast<std::int64_t>(stats.checkpoints.load()));
        w.key("groups_tracked").value(stats.groups_tracked.load());
        if (f->started()) {
            // The flow's share of memory.budget and what it holds of it now
            // (replicator/memory_plan.h).
            const auto& plan = f->memory();
            w.key("memory").begin_object();
            w.key("worker_share_bytes").value(plan.worker_share);
            w.key("workers").value(static_cast<std::int64_t>(cfg.workers));
            w.key("consumer_queue_bytes").value(plan.consumer_queue_bytes);
            w.key("consumer_queue_records").value(plan.consumer_queue_records);
            w.key("fetch_max_bytes").value(plan.fetch_max_bytes);
            w.key("producer_queue_bytes").value(plan.producer_queue_bytes);
            w.key("in_flight_limit_bytes").value(f->in_flight().limit());
            w.key("in_flight_bytes").value(f->in_flight().used());
            w.end_object();
            w.key("throughput").begin_object();
            w.key("max_bytes_per_second").value(cfg.max_bytes_per_second.bytes);
            w.key("throttled_seconds").value(f->limiter().throttled_seconds());
            w.end_object();
        }
        w.key("last_errors").begin_object();
        w.key("source").value(f->last_source_error());
        w.key("target").value(f->last_target_error());
        w.end_object();
        w.key("partitions").begin_array();
        for (const auto& v : view(*f, now)) {
            w.begin_object();
            w.key("topic").value(v.progress->source_topic());
            w.key("partition").value(static_cast<std::int64_t>(v.progress->partition()));
            w.key("target_topic").value(v.progress->target_topic());
            w.key("lag_records").value(v.lag_records);
            w.key("lag_seconds").value(v.lag_seconds);
            w.key("in_flight").value(static_cast<std::int64_t>(v.snap.in_flight));
            w.key("stopped");
            if (v.snap.stopped) {
                w.value(*v.snap.stopped);
            } else {
                w.null();
            }
            w.end_object();
        }
        w.end_array();
        w.end_object();
    }
    w.end_array().end_object();
    return w.str() + "\n";
}

}  // namespace kmirror::daemon
