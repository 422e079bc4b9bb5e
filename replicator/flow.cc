#include "replicator/flow.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <set>

#include "base/clock.h"
#include "config/schema.h"
#include "config/security.h"
#include "kafka/error.h"
#include "checkpoints/mm2_records.h"
#include "replicator/checkpoint_emitter.h"
#include "replicator/mirror_worker.h"
#include "replicator/offset_sync_rebuild.h"
#include "replicator/offset_sync_writer.h"

#include <boost/asio/post.hpp>

namespace kmirror::replicator {
namespace {

using namespace std::chrono_literals;

using kafka::is;

/// librdkafka's codec for the target: the flow's, or the source topic's
/// `compression.type` when the flow says `source` and it names a codec.
std::string codec_for(config::Compression compression, const std::string& source_type) {
    if (compression != config::Compression::source) {
        return std::string(config::to_string(compression));
    }
    for (const char* codec : {"gzip", "snappy", "lz4", "zstd"}) {
        if (source_type == codec) return codec;
    }
    return "none";  // "producer", "uncompressed", or not known
}

std::string describe_access_error(const kafka::Error& e) {
    const char* what = is(e.code(), RD_KAFKA_RESP_ERR__SSL) ? "TLS handshake failed"
                                                            : "authentication failed";
    return std::string(what) + ": " + e.message();
}

}  // namespace

kafka::ClientSettings client_settings(const config::Cluster& cluster) {
    kafka::ClientSettings s{cluster.alias, cluster.bootstrap, {}};
    for (const auto& p : cluster.properties) {
        s.properties.push_back({p.key, p.value.reveal(),
                                "line " + std::to_string(p.line) + ":" + std::to_string(p.column) +
                                    ": clusters." + cluster.alias + ".properties." + p.key});
    }
    for (const auto& p : config::security_properties(cluster)) {
        s.properties.push_back({p.key, p.value.reveal(), p.origin});
    }
    return s;
}

Flow::Flow(const config::Config& config, const config::Flow& flow,
           std::function<void(const std::string&)> on_failure,
           checkpoints::OffsetRangeStore* ranges)
    : config_(config),
      flow_(flow),
      on_failure_(std::move(on_failure)),
      ranges_(ranges),
      source_settings_(client_settings(config.clusters.at(flow.source))),
      target_settings_(client_settings(config.clusters.at(flow.target))) {}

Flow::~Flow() {
    if (!worker_threads_.empty() || delivery_thread_.joinable()) {
        stop(std::chrono::steady_clock::now() + config_.shutdown.timeout);
    }
}

int Flow::check_reachable(kafka::Admin& admin, const std::string& role) {
    const auto& settings = role == "source" ? source_settings_ : target_settings_;
    const std::string who = "flow '" + flow_.name + "': " + role + " cluster '" + admin.cluster() +
                            "' at " + settings.bootstrap;
    // Asked in short steps, so a refusal (wrong password, CA or host name) is
    // reported at once instead of after the whole connect_timeout.
    const auto deadline = std::chrono::steady_clock::now() + config_.connect_timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        auto md = admin.metadata(std::clamp<std::chrono::milliseconds>(left, 1ms, 1s));
        if (md) return md.value().brokers;
        if (auto refused = admin.access_error()) {
            throw StartError(who + " refused kmirror: " + describe_access_error(refused) +
                             " (check clusters." + admin.cluster() +
                             " and the user on that cluster)");
        }
        if (std::chrono::steady_clock::now() < deadline) continue;
        std::string detail = md.error().message();
        if (auto last = admin.last_error(); !last.empty()) detail += " (" + last + ")";
        throw StartError(who + " did not answer within " +
                         std::to_string(config_.connect_timeout.count()) + " ms: " + detail);
    }
}

void Flow::start() {
    try {
        source_admin_ = std::make_unique<kafka::Admin>(source_settings_);
        target_admin_ = std::make_unique<kafka::Admin>(target_settings_);
    } catch (const kafka::ConfigError& e) {
        throw StartError("flow '" + flow_.name + "': " + e.what());
    }
    const int source_brokers = check_reachable(*source_admin_, "source");
    const int target_brokers = check_reachable(*target_admin_, "target");
    source_reachable_ = true;
    target_reachable_ = true;

    if (flow_.emit_heartbeats) {
        try {
            heartbeats_ = std::make_unique<HeartbeatEmitter>(flow_, source_settings_,
                                                             *source_admin_, stats_);
        } catch (const kafka::ConfigError& e) {
            throw StartError("flow '" + flow_.name + "': " + e.what());
        }
        if (!heartbeats_->ensure_topic(source_brokers)) heartbeats_.reset();
    }
    topics_ = std::make_unique<TopicSync>(flow_, *source_admin_, *target_admin_, stats_);
    start_translation(source_brokers, target_brokers);
    auto topics = topics_->run_discovery();
    if (!topics) {
        throw StartError("flow '" + flow_.name + "': topic discovery failed: " +
                         topics.error().message());
    }

    plan_ = plan_memory(config_, flow_, source_brokers);
    in_flight_ = std::make_unique<InflightBudget>(plan_.in_flight_bytes);
    limiter_ = std::make_unique<RateLimiter>(flow_.max_bytes_per_second.bytes);
    spdlog::info("flow '{}': memory: {} MiB per worker; consumer queue {} MiB / {} records, "
                 "fetch {} KiB per broker; {} MiB in flight{}",
                 flow_.name, plan_.worker_share >> 20, plan_.consumer_queue_bytes >> 20,
                 plan_.consumer_queue_records, plan_.fetch_max_bytes >> 10,
                 plan_.in_flight_bytes >> 20,
                 limiter_->enabled()
                     ? "; at most " + std::to_string(limiter_->rate()) + " bytes/s"
                     : std::string());
    try {
        kafka::Overrides overrides{
            // Safety settings no user property can weaken (config/ refuses them).
            {"enable.idempotence", "true"},
            {"acks", "all"},
            // A target outage must not turn into dropped records: records wait
            // (and lag grows, visibly) until the target is back.
            {"message.timeout.ms", "0"},
            // Records the source accepted may be larger than librdkafka's
            // default; the target broker decides what it accepts.
            {"message.max.bytes", "104857600"},
            {"client.id", "kmirror-" + flow_.name + "-producer"},
        };
        for (auto& o : plan_.producer_overrides()) overrides.push_back(std::move(o));
        producer_ = std::make_unique<kafka::BatchProducer>(target_settings_, overrides);
        producer_->on_fatal([this](const kafka::Error& e) {
            fail("fatal error on target cluster '" + flow_.target + "': " + e.message());
        });
        for (int i = 0; i < flow_.workers; ++i) {
            workers_.push_back(std::make_unique<MirrorWorker>(*this, i));
        }
    } catch (const kafka::ConfigError& e) {
        throw StartError("flow '" + flow_.name + "': " + e.what());
    }

    delivery_thread_ = std::thread([this] { delivery_loop(); });
    subscribed_ = topics.value();
    for (auto& w : workers_) {
        w->set_topics(subscribed_);
        worker_threads_.emplace_back([this, w = w.get()] {
            try {
                w->run();
            } catch (const std::exception& e) {
                fail(std::string("worker failed: ") + e.what());
            }
        });
    }
    spdlog::info("flow '{}': mirroring {} topic(s) from '{}' to '{}' with {} worker(s)",
                 flow_.name, subscribed_.size(), flow_.source, flow_.target, flow_.workers);

    discovery_timer_ = std::make_unique<boost::asio::steady_timer>(admin_io_);
    config_timer_ = std::make_unique<boost::asio::steady_timer>(admin_io_);
    heartbeat_timer_ = std::make_unique<boost::asio::steady_timer>(admin_io_);
    offset_sync_timer_ = std::make_unique<boost::asio::steady_timer>(admin_io_);
    prune_timer_ = std::make_unique<boost::asio::steady_timer>(admin_io_);
    watermark_timer_ = std::make_unique<boost::asio::steady_timer>(admin_io_);
    schedule_discovery();
    schedule_watermarks();
    schedule_config_sync();
    if (heartbeats_) schedule_heartbeat();
    if (offset_syncs_) schedule_offset_syncs();
    if (ranges_) schedule_prune();
    if (checkpoints_) checkpoints_->start();
    // Runs until the timers are cancelled by stop().
    admin_thread_ = std::thread([this] {
        try {
            admin_io_.run();
        } catch (const std::exception& e) {
            fail(std::string("admin thread failed: ") + e.what());
        }
    });
    started_ = true;
}

void Flow::start_translation(int source_brokers, int target_brokers) {
    if (!ranges_) return;  // tools and tests running a flow without a store
    const bool syncs_on_source = flow_.offset_syncs_location == config::OffsetSyncsLocation::source;
    const auto& syncs_cluster = syncs_on_source ? source_settings_ : target_settings_;
    try {
        // Before the workers start: their first acknowledgements extend what
        // the rebuild recorded.
        const TopicFilter topics(flow_.include, flow_.exclude);
        rebuild_from_offset_syncs(flow_, syncs_cluster, topics, *ranges_, config_.connect_timeout);
        offset_syncs_ = std::make_unique<OffsetSyncWriter>(
            flow_, syncs_cluster, syncs_on_source ? *source_admin_ : *target_admin_, stats_);
        if (!offset_syncs_->ensure_topic(syncs_on_source ? source_brokers : target_brokers)) {
            offset_syncs_.reset();
        }
        if (flow_.emit_checkpoints || flow_.sync_group_offsets) {
            checkpoints_ = std::make_unique<CheckpointEmitter>(*this, source_settings_,
                                                               target_settings_, *ranges_);
            if (flow_.emit_checkpoints && !checkpoints_->ensure_topic(target_brokers)) {
                checkpoints_.reset();
            }
        }
    } catch (const kafka::ConfigError& e) {
        throw StartError("flow '" + flow_.name + "': " + e.what());
    }
}

void Flow::schedule_offset_syncs() {
    offset_sync_timer_->expires_after(std::min<std::chrono::milliseconds>(1s, flow_.offset_sync_interval));
    offset_sync_timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        offset_syncs_->tick();
        schedule_offset_syncs();
    });
}

void Flow::schedule_prune() {
    prune_timer_->expires_after(flow_.config_sync_interval);
    prune_timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        prune_ranges();
        schedule_prune();
    });
}

void Flow::prune_ranges() {
    std::vector<kafka::TopicPartition> query;
    std::map<std::string, std::string> source_of;  // by target topic
    for (const auto& [topic, partitions] : ranges_->partitions(flow_.name)) {
        const auto target = topics_->target_topic(topic);
        if (target.empty()) continue;  // not mirrored now: see forget_gone_topics()
        source_of[target] = topic;
        for (auto p : partitions) query.push_back({target, p});
    }
    if (query.empty()) return;
    for (const auto& low : target_admin_->earliest_offsets(query, 10s)) {
        auto it = source_of.find(low.topic);
        if (it == source_of.end() || low.offset < 0) continue;
        ranges_->prune(flow_.name, it->second, low.partition, TargetOffset(low.offset));
    }
}

void Flow::mark_topic_deleted(const std::string& topic) {
    int marked = 0;
    {
        std::shared_lock lock(progress_mu_);
        for (auto it = progress_.lower_bound(Key{topic, INT32_MIN});
             it != progress_.end() && it->first.first == topic; ++it) {
            // Still assigned: the worker has not let go yet; marked once it
            // has (a later discovery), so that a partition consumed on never is.
            auto& p = *it->second;
            if (!p.assigned.load() && !p.topic_deleted.exchange(true)) ++marked;
        }
    }
    if (marked > 0) {
        spdlog::info("flow '{}': {} released partition(s) of deleted topic '{}' marked: "
                     "assigned again, they belong to a new topic",
                     flow_.name, marked, topic);
    }
}

void Flow::forget_gone_topics(const std::vector<std::string>& mirrored) {
    const auto now = std::chrono::steady_clock::now();
    std::set<std::string> tracked;
    if (ranges_) {
        for (auto& [topic, partitions] : ranges_->partitions(flow_.name)) tracked.insert(topic);
    }
    for (const auto& p : partitions()) tracked.insert(p->source_topic());
    for (const auto& topic : mirrored) gone_since_.erase(topic);
    for (const auto& topic : tracked) {
        if (std::binary_search(mirrored.begin(), mirrored.end(), topic)) continue;
        const auto [entry, first] = gone_since_.try_emplace(topic, now);
        if (first) {
            spdlog::warn("flow '{}': topic '{}' is no longer on source cluster '{}': its "
                         "partitions are released; created again, it is a new topic "
                         "(on_data_loss applies); its state is forgotten in {} s",
                         flow_.name, topic, flow_.source,
                         std::chrono::duration_cast<std::chrono::seconds>(
                             config_.state.forget_after)
                             .count());
        }
        mark_topic_deleted(topic);
        const auto since = entry->second;
        if (now - since < config_.state.forget_after) continue;
        // Kept while a worker still owns a partition of it or records are in
        // flight: their pointers must stay valid (see progress()).
        bool busy = false;
        {
            std::unique_lock lock(progress_mu_);
            for (auto it = progress_.lower_bound(Key{topic, INT32_MIN});
                 it != progress_.end() && it->first.first == topic;) {
                auto& p = *it->second;
                if (p.assigned.load() || p.in_flight() > 0) {
                    busy = true;
                    ++it;
                    continue;
                }
                if (offset_syncs_) offset_syncs_->forget(p);
                it = progress_.erase(it);
            }
        }
        if (busy) continue;
        const auto forgotten = ranges_ ? ranges_->forget(flow_.name, topic) : 0;
        gone_since_.erase(topic);
        spdlog::info("flow '{}': topic '{}' not mirrored for {} s: forgot its state ({} "
                     "partition(s) of offset ranges)",
                     flow_.name, topic,
                     std::chrono::duration_cast<std::chrono::seconds>(config_.state.forget_after)
                         .count(),
                     forgotten);
    }
    // Topics mirrored again, or forgotten meanwhile by another path.
    std::erase_if(gone_since_, [&](const auto& entry) { return !tracked.contains(entry.first); });
}

void Flow::schedule_heartbeat() {
    heartbeat_timer_->expires_after(flow_.heartbeat_interval);
    heartbeat_timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        heartbeats_->emit();
        schedule_heartbeat();
    });
}

void Flow::note_heartbeat(std::optional<kafka::Bytes> key, std::optional<kafka::Bytes> value) {
    if (!key || !value) return;
    const auto hb = checkpoints::decode_heartbeat(kafka::as_chars(*key), kafka::as_chars(*value));
    // The source's heartbeats topic carries the heartbeats of every flow
    // leaving it: only ours measure this flow.
    if (!hb || hb.value().source_alias != flow_.source || hb.value().target_alias != flow_.target) {
        return;
    }
    const auto ts = hb.value().timestamp_ms;
    auto seen = stats_.last_heartbeat_ms.load(std::memory_order_relaxed);
    while (ts > seen && !stats_.last_heartbeat_ms.compare_exchange_weak(seen, ts)) {
    }
}

void Flow::set_start_error(std::string why) {
    std::lock_guard lock(start_error_mu_);
    start_error_ = std::move(why);
}

std::optional<std::string> Flow::not_ready_reason() const {
    if (failed_) return "flow failed";
    if (!started_) {
        std::lock_guard lock(start_error_mu_);
        return start_error_.empty() ? "starting" : "cannot start: " + start_error_;
    }
    if (stopping_) return "stopping";
    if (!source_reachable_) return "source cluster '" + flow_.source + "' unreachable";
    if (!target_reachable_) return "target cluster '" + flow_.target + "' unreachable";
    if (stats_.assigned_partitions.load() <= 0) return "no partitions assigned";
    return std::nullopt;
}

std::string Flow::last_source_error() const {
    return source_admin_ ? source_admin_->last_error() : std::string();
}

std::string Flow::last_target_error() const {
    std::string e = producer_ ? producer_->last_error() : std::string();
    if (e.empty() && target_admin_) e = target_admin_->last_error();
    return e;
}

void Flow::schedule_discovery() {
    discovery_timer_->expires_after(flow_.refresh_interval);
    discovery_timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        discover();
        schedule_discovery();
    });
}

void Flow::schedule_config_sync() {
    config_timer_->expires_after(flow_.config_sync_interval);
    config_timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        topics_->run_config_sync();
        schedule_config_sync();
    });
}

void Flow::discover() {
    auto topics = topics_->run_discovery();
    source_reachable_ = topics_->source_answered();
    target_reachable_ = topics_->target_answered();
    if (!topics) return;  // the source did not answer: never forget on that
    forget_gone_topics(topics.value());
    if (topics.value() == subscribed_) return;
    subscribed_ = topics.value();
    spdlog::info("flow '{}': now mirroring {} topic(s)", flow_.name, subscribed_.size());
    for (auto& w : workers_) w->set_topics(subscribed_);
}

void Flow::request_discovery() {
    if (stopping_.load() || discovery_requested_.exchange(true)) return;
    boost::asio::post(admin_io_, [this] {
        discovery_requested_.store(false);
        if (!stopping_.load()) discover();
    });
}

void Flow::delivery_loop() {
    const auto settle_batch = [this](const kafka::DeliveryBatch& batch) { settle(batch); };
    while (!delivery_stop_.load()) producer_->poll(1s, settle_batch);  // wake() interrupts
    producer_->poll(0ms, settle_batch);
}

std::shared_ptr<PartitionProgress> Flow::TargetRoute::partition(std::int32_t p) {
    std::lock_guard lock(mu);
    const auto i = static_cast<std::size_t>(p);
    return p >= 0 && i < partitions.size() ? partitions[i] : nullptr;
}

Flow::TargetRoute* Flow::route(const std::string& source_topic) {
    const auto target = topics_->target_topic(source_topic);
    std::shared_lock lock(progress_mu_);
    auto it = routes_.find(target);
    return it == routes_.end() ? nullptr : it->second.get();
}

void Flow::request_target_partition(const std::string& source_topic, std::int32_t partition) {
    if (stopping_.load()) return;
    boost::asio::post(admin_io_, [this, source_topic, partition] {
        if (stopping_.load()) return;
        (void)topics_->ensure_partition(source_topic, partition);
        if (auto* r = route(source_topic)) {
            if (auto e = producer_->refresh_metadata(r->handle, 10s); !e) {
                spdlog::warn("flow '{}': metadata of '{}' on '{}' not refreshed: {}", flow_.name,
                             topics_->target_topic(source_topic), flow_.target,
                             e.error().message());
            }
        }
    });
}

void Flow::purge_and_rewind(const std::string& why, bool sent_too) {
    std::size_t partitions = 0;
    std::size_t records = 0;
    {
        // No worker produces while the partitions are marked and the producer
        // purged: a record produced in between would land ahead of the
        // purged ones it follows.
        std::unique_lock gate(produce_gate_);
        std::shared_lock lock(progress_mu_);
        for (auto& [key, p] : progress_) {
            const auto n = p->in_flight();
            if (n == 0) continue;
            p->begin_rewind();
            ++partitions;
            records += n;
        }
        purges_.fetch_add(1);
        producer_->purge(sent_too);
    }
    spdlog::warn("flow '{}': {}: purged {} unacknowledged record(s) of {} partition(s) from the "
                 "producer; the partitions still assigned are copied again from their "
                 "acknowledged offset",
                 flow_.name, why, records, partitions);
}

void Flow::schedule_watermarks() {
    watermark_timer_->expires_after(flow_.commit_interval);
    watermark_timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        sample_idle_watermarks();
        // (and the start marks the posts of request_start_marks() missed:
        // a target partition that did not exist yet, a cluster down)
        take_start_marks();
        schedule_watermarks();
    });
}

void Flow::sample_idle_watermarks() {
    std::vector<kafka::TopicPartition> idle;
    for (const auto& p : partitions()) {
        if (p->assigned.load() && p->fetch_paused.load()) {
            idle.push_back({p->source_topic(), p->partition()});
        }
    }
    if (idle.empty()) return;
    for (const auto& o : source_admin_->latest_offsets(idle, 2s)) {
        if (auto p = progress_ref(o.topic, o.partition)) {
            p->high_watermark.store(o.offset, std::memory_order_relaxed);
        }
    }
}

PartitionProgress* Flow::progress(std::string_view topic, std::int32_t partition) {
    // No shared_ptr copy: called for every record.
    std::shared_lock lock(progress_mu_);
    auto it = progress_.find(std::pair<std::string_view, std::int32_t>(topic, partition));
    return it == progress_.end() ? nullptr : it->second.get();
}

std::shared_ptr<PartitionProgress> Flow::progress_ref(std::string_view topic,
                                                      std::int32_t partition) {
    std::shared_lock lock(progress_mu_);
    auto it = progress_.find(std::pair<std::string_view, std::int32_t>(topic, partition));
    return it == progress_.end() ? nullptr : it->second;
}

PartitionProgress* Flow::track(const std::string& topic, std::int32_t partition,
                               std::optional<SourceOffset> start, bool acknowledged) {
    // Asked before taking progress_mu_, which every send and delivery report
    // needs: TopicSync's lock must never be waited for while holding it.
    auto target = topics_->target_topic(topic);
    const auto facts = topics_->facts(topic);
    std::unique_lock lock(progress_mu_);
    auto& slot = progress_[{topic, partition}];
    if (!slot) slot = std::make_shared<PartitionProgress>(topic, partition, target);
    slot->reset(start, acknowledged);
    slot->handed_over.store(false);
    slot->assigned.store(true);
    auto& route = routes_[target];
    if (!route) {
        route = std::make_unique<TargetRoute>();
        route->source_topic = topic;
        const std::string codec = codec_for(flow_.compression, facts.source_compression);
        route->compressed = codec != "none";
        // Throws ConfigError only for a codec librdkafka was built without.
        route->handle = producer_->topic(target, {codec}, route.get());
    }
    route->record_limit.store(facts.target_record_limit, std::memory_order_relaxed);
    {
        std::lock_guard route_lock(route->mu);
        const auto i = static_cast<std::size_t>(partition);
        if (route->partitions.size() <= i) route->partitions.resize(i + 1);
        route->partitions[i] = slot;
    }
    lock.unlock();
    request_start_marks();  // a new session
    return slot.get();
}

std::vector<std::shared_ptr<PartitionProgress>> Flow::partitions() {
    std::shared_lock lock(progress_mu_);
    std::vector<std::shared_ptr<PartitionProgress>> out;
    out.reserve(progress_.size());
    for (auto& [key, p] : progress_) out.push_back(p);
    return out;
}

void Flow::fail(const std::string& reason) {
    if (failed_.exchange(true)) return;
    spdlog::critical("flow '{}' failed: {}", flow_.name, reason);
    if (on_failure_) on_failure_(reason);
}

void Flow::settle(const kafka::DeliveryBatch& batch) noexcept {
    try {
        // A batch is one produce request's records of one partition, in
        // produce order; split anyway, by route and partition.
        for (std::size_t begin = 0; begin < batch.size();) {
            auto* route = static_cast<TargetRoute*>(batch.route(begin));
            const auto partition = batch.partition(begin);
            std::size_t end = begin + 1;
            while (end < batch.size() && batch.route(end) == route &&
                   batch.partition(end) == partition) {
                ++end;
            }
            if (route) settle_run(*route, batch, begin, end);
            begin = end;
        }
    } catch (const std::exception& e) {
        fail(std::string("delivery handling failed: ") + e.what());
    }
}

void Flow::settle_run(TargetRoute& route, const kafka::DeliveryBatch& batch, std::size_t begin,
                      std::size_t end) {
    std::int64_t released = 0;
    for (std::size_t i = begin; i < end; ++i) {
        released += static_cast<std::int64_t>(batch.size(i)) + kRecordOverhead;
    }
    // Held for the run: forget_gone_topics() may drop the flow's own
    // reference meanwhile, never this one.
    const auto progress = route.partition(batch.partition(begin));
    bool rewind = false;
    if (progress) {
        settled_.clear();
        pairs_.clear();
        LatencyHistogram::Counts latency{};
        std::uint64_t latency_sum = 0;
        std::uint64_t bytes = 0;
        std::uint64_t acked = 0;
        const auto now = now_ms();
        // Acknowledgements are settled in order; an error in between settles
        // the acknowledgements before it first.
        const auto flush_acks = [&] {
            if (settled_.empty()) return;
            // Ranges and syncs before the acknowledgement: until it, records
            // are in flight, so forget_gone_topics() leaves the partition be.
            if (ranges_) {
                ranges_->record_run(flow_.name, progress->source_topic(), progress->partition(),
                                    pairs_);
            }
            if (offset_syncs_) offset_syncs_->note_run(*progress, pairs_);
            progress->settle(settled_);
            settled_.clear();
            pairs_.clear();
        };
        for (std::size_t i = begin; i < end; ++i) {
            if (batch.error(i) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                flush_acks();
                rewind = settle_error(*progress, batch, i) || rewind;
                continue;
            }
            const SourceOffset src(static_cast<std::int64_t>(batch.tag(i)));
            settled_.push_back(src);
            pairs_.push_back({src, TargetOffset(batch.offset(i))});
            bytes += batch.size(i);
            ++acked;
            if (const auto ts = batch.timestamp(i)) {
                const auto age = std::max<std::int64_t>(0, now - *ts);
                ++latency[LatencyHistogram::bucket_of(age)];
                latency_sum += static_cast<std::uint64_t>(age);
                if (progress->is_heartbeats()) note_heartbeat(batch.key(i), batch.value(i));
            }
        }
        flush_acks();
        progress->records.fetch_add(acked, std::memory_order_relaxed);
        progress->bytes.fetch_add(bytes, std::memory_order_relaxed);
        stats_.records.fetch_add(acked, std::memory_order_relaxed);
        stats_.latency.add(latency, latency_sum);
    }
    // After the progress is settled: a worker woken by the room sees it.
    in_flight_->release(released);
    if (rewind) {
        // In flight too: after a refused batch the idempotent producer
        // retries the later ones of its partition, which would land after the gap.
        purge_and_rewind("a record was refused by target cluster '" + flow_.target + "'",
                         /*sent_too=*/true);
    }
}

bool Flow::settle_error(PartitionProgress& progress, const kafka::DeliveryBatch& batch,
                        std::size_t i) {
    const SourceOffset offset(static_cast<std::int64_t>(batch.tag(i)));
    const auto err = batch.error(i);
    if (err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
        if (progress.rewinding()) {
            // Copied again from the acknowledged prefix (purge_and_rewind()).
            progress.purged(offset);
        } else {
            // Shutdown deadline: not committed, mirrored again after restart.
            // Settled, so the consumers' revoke does not wait for it.
            progress.abandon(offset);
        }
        return false;
    }
    if (kafka::is_fatal(kafka::make_error(err))) {
        fail("fatal produce error on target cluster '" + flow_.target + "': " +
             batch.error_message(i));
        return false;
    }
    // Refused for good (too large, not authorized, ...): the partition stops
    // at this record and says so; it is never skipped silently. Its worker
    // pauses it at its next commit tick (MirrorWorker::reconcile_pauses), and
    // the records queued after it are purged (the caller rewinds), so that
    // none lands after the gap.
    stats_.produce_errors.add(kafka::error_name(kafka::make_error(err)));
    const auto reason = "record at offset " + std::to_string(offset.value()) +
                        " was refused by target cluster '" + flow_.target + "' for topic '" +
                        std::string(batch.topic(i)) + "': " + batch.error_message(i);
    const bool first = !progress.is_stopped();
    if (first) {
        spdlog::error("flow '{}': partition {}[{}] stopped: {}", flow_.name,
                      progress.source_topic(), progress.partition(), reason);
    }
    progress.fail(offset, reason);
    return first;
}

void Flow::stop(std::chrono::steady_clock::time_point deadline) {
    if (stopping_.exchange(true) && worker_threads_.empty() && !delivery_thread_.joinable()) {
        return;
    }
    // Cancelled timers let admin_io_.run() return (no io_context::stop()).
    // Topic and config sync stop between two admin calls; the one under way
    // (bounded by the admin timeout) ends while the workers drain: with a
    // cluster down it would otherwise delay the drain by its full timeout.
    if (topics_) topics_->interrupt();
    boost::asio::post(admin_io_, [this] {
        if (discovery_timer_) discovery_timer_->cancel();
        if (config_timer_) config_timer_->cancel();
        if (heartbeat_timer_) heartbeat_timer_->cancel();
        if (offset_sync_timer_) offset_sync_timer_->cancel();
        if (prune_timer_) prune_timer_->cancel();
        if (watermark_timer_) watermark_timer_->cancel();
    });
    if (checkpoints_) checkpoints_->stop(2s);
    // Phase 1: stop intake.
    for (auto& w : workers_) w->request_stop();
    for (auto& t : worker_threads_) t.join();
    worker_threads_.clear();
    spdlog::info("flow '{}': intake stopped; waiting for in-flight records", flow_.name);
    // Phase 2: let in-flight records land, then commit and leave the group.
    std::size_t unacked = 0;
    {
        std::shared_lock lock(progress_mu_);
        for (auto& [key, p] : progress_) {
            if (!p->wait_drained(deadline)) unacked += p->in_flight();
        }
    }
    if (producer_ && unacked > 0) {
        spdlog::warn("flow '{}': {} record(s) not acknowledged by '{}' within the shutdown "
                     "timeout; they will be mirrored again after restart",
                     flow_.name, unacked, flow_.target);
        producer_->purge(/*in_flight=*/true);
        // The delivery thread settles the purge reports (abandoned, not
        // committed), so that the consumers' final commits see them.
        (void)producer_->flush(2s);
    }
    // Discovery hands topics to the workers: done before they go.
    if (admin_thread_.joinable()) admin_thread_.join();
    spdlog::info("flow '{}': committing and leaving the consumer group", flow_.name);
    // All at once: a worker leaving alone would hand its partitions to the
    // others for nothing, and each close can take seconds.
    std::vector<std::thread> closing;
    for (auto& w : workers_) {
        closing.emplace_back([this, w = w.get(), deadline] {
            try {
                w->finish(deadline);
            } catch (const std::exception& e) {
                spdlog::error("flow '{}': closing a consumer: {}", flow_.name, e.what());
            }
        });
    }
    for (auto& t : closing) t.join();
    workers_.clear();
    delivery_stop_.store(true);
    if (producer_) producer_->wake();
    if (delivery_thread_.joinable()) delivery_thread_.join();
    producer_.reset();
    // After the last acknowledgements: the newest pair of every partition.
    if (offset_syncs_) offset_syncs_->flush(2s);
    spdlog::info("flow '{}': stopped ({} records mirrored, {} records lost)", flow_.name,
                 stats_.records.load(std::memory_order_relaxed),
                 stats_.records_lost.load(std::memory_order_relaxed));
}

}  // namespace kmirror::replicator
