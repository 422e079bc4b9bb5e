#include "replicator/mirror_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/clock.h"
#include "kafka/error.h"

namespace kmirror::replicator {
namespace {

using namespace std::chrono_literals;
constexpr auto kAdminTimeout = 10s;
// Short: it runs on the worker thread, between polls.
constexpr auto kWatermarkTimeout = 1s;

using kafka::is;

kafka::TopicPartition tp_of(const kafka::Message& m) {
    return {std::string(m.topic()), m.partition()};
}

}  // namespace

MirrorWorker::MirrorWorker(Flow& flow, int index) : flow_(flow), index_(index) {
    const auto& cfg = flow_.config();
    kafka::Overrides overrides{
        {"group.id", "kmirror." + cfg.name},
        {"client.id", "kmirror-" + cfg.name + "-" + std::to_string(index)},
        // Several instances share the partitions; a rebalance moves only some.
        {"partition.assignment.strategy", "cooperative-sticky"},
        // Offsets are committed by hand, only up to what the target acknowledged.
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        // Never skip silently: a lost position comes back as an error we report.
        {"auto.offset.reset", "error"},
        // Records of aborted transactions are not data (librdkafka's default,
        // stated here because mirroring them would be wrong).
        {"isolation.level", "read_committed"},
        {"enable.partition.eof", "false"},
        {"topic.metadata.refresh.interval.ms", std::to_string(cfg.refresh_interval.count())},
    };
    // Defaults a user property may change:
    //  * a crashed instance's partitions wait one session timeout for a new
    //    owner: 10 s instead of librdkafka's 45 s;
    //  * an idle partition's fetch waits fetch.wait.max.ms before a new
    //    record is seen: 100 ms instead of 500 ms keeps replication latency low;
    //  * members learn of a rebalance (a new topic, a new instance) at their
    //    next heartbeat: 1 s instead of 3 s.
    const auto& props = flow_.source_settings().properties;
    for (const auto& [key, value] : {std::pair{"session.timeout.ms", "10000"},
                                     std::pair{"fetch.wait.max.ms", "100"},
                                     std::pair{"heartbeat.interval.ms", "1000"}}) {
        if (std::none_of(props.begin(), props.end(),
                         [key = key](const kafka::Property& p) { return p.key == key; })) {
            overrides.emplace_back(key, value);
        }
    }
    consumer_ = std::make_unique<kafka::Consumer>(flow_.source_settings(), overrides, this);
    consumer_->on_fatal([this](const kafka::Error& e) {
        flow_.fail("fatal error on source cluster '" + flow_.config().source + "': " + e.message());
    });
    // Errors librdkafka reports outside of messages (a subscribed topic that
    // vanished, brokers down) count as consume errors too.
    consumer_->on_error([this](const kafka::Error& e) {
        flow_.stats().consume_errors.add(kafka::error_name(e.code()));
    });
    next_commit_ = std::chrono::steady_clock::now() + cfg.commit_interval;
}

MirrorWorker::~MirrorWorker() = default;

void MirrorWorker::request_stop() noexcept {
    stop_.store(true);
    if (consumer_) consumer_->wake();
}

void MirrorWorker::set_topics(std::vector<std::string> topics) {
    {
        std::lock_guard lock(topics_mu_);
        new_topics_ = std::move(topics);
    }
    consumer_->wake();
}

void MirrorWorker::apply_topics() {
    std::optional<std::vector<std::string>> topics;
    {
        std::lock_guard lock(topics_mu_);
        topics.swap(new_topics_);
    }
    if (!topics) return;
    if (topics->empty()) {
        spdlog::info("flow '{}': no source topic matches the filters yet", flow_.config().name);
    }
    if (auto r = consumer_->subscribe(*topics); !r) {
        spdlog::error("flow '{}': subscribe failed: {}", flow_.config().name, r.error().message());
    }
}

std::chrono::milliseconds MirrorWorker::poll_timeout() const {
    // Waiting for producer room: look again soon. Otherwise sleep until the
    // next commit is due; wake() interrupts either.
    if (!backlog_.empty()) return 50ms;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        next_commit_ - std::chrono::steady_clock::now());
    return std::clamp(left, 1ms, std::chrono::milliseconds(1000));
}

void MirrorWorker::run() {
    while (!stop_.load()) {
        apply_topics();
        if (!backlog_.empty()) drain_backlog();
        auto message = consumer_->poll(poll_timeout());
        if (message) {
            if (backlog_.empty()) {
                handle(std::move(message));
            } else if (!message.error()) {
                backlog_.push_back(std::move(message));  // keeps per-partition order
            } else {
                handle_error(message);
            }
        }
        if (std::chrono::steady_clock::now() >= next_commit_) {
            std::set<kafka::TopicPartition> ours = assigned_;
            ours.insert(lost_.begin(), lost_.end());
            (void)commit(ours);
            sample_high_watermarks();
            next_commit_ = std::chrono::steady_clock::now() + flow_.config().commit_interval;
        }
    }
    // Records never handed to the producer are simply read again by whoever
    // consumes the partition next: their offsets were never committed.
    backlog_.clear();
}

void MirrorWorker::finish() {
    // A commit racing a rebalance fails (ILLEGAL_GENERATION) and librdkafka
    // before 2.10.0 (kmirror builds with 2.8.0) then drops the assignment
    // (librdkafka#4059). What was acknowledged is still worth
    // committing once the group settled: poll (serving the rebalance; the
    // records read meanwhile are not mirrored, so not committed) and retry.
    const auto deadline = std::chrono::steady_clock::now() + kAdminTimeout;
    while (true) {
        std::set<kafka::TopicPartition> ours = assigned_;
        ours.insert(lost_.begin(), lost_.end());
        if (commit(ours) || std::chrono::steady_clock::now() >= deadline) break;
        (void)consumer_->poll(std::chrono::milliseconds(100));
    }
    consumer_->close();  // revokes through on_revoked, which commits again
    consumer_.reset();
}

void MirrorWorker::handle(kafka::Message message) {
    if (message.error()) {
        handle_error(message);
        return;
    }
    if (send(message) == Sent::retry_later) {
        backlog_.push_back(std::move(message));
        if (!paused_) {
            // The producer is full (target slow or down): stop fetching but
            // keep polling, so the group membership stays alive.
            consumer_->pause({assigned_.begin(), assigned_.end()});
            paused_ = true;
        }
    }
}

MirrorWorker::Sent MirrorWorker::send(kafka::Message& message) {
    auto* progress = flow_.progress(message.topic(), message.partition());
    if (!progress || progress->stopped()) return Sent::dropped;
    const SourceOffset offset(message.offset());

    std::vector<kafka::Header> hops;
    const auto& policy = flow_.topics().policy();
    if (policy.uses_provenance_headers()) {
        // Names cannot tell where a record came from: its hop headers can.
        for (const auto& h : message.headers()) {
            if (h.name != ReplicationPolicy::kHopsHeader || !h.value) continue;
            const std::string_view origin = kafka::as_chars(*h.value);
            if (origin == flow_.config().target) {
                progress->record(offset, 0);
                progress->ack(offset);
                flow_.stats().records_skipped.fetch_add(1, std::memory_order_relaxed);
                return Sent::ok;
            }
        }
        hops.push_back({ReplicationPolicy::kHopsHeader, flow_.config().source});
    }

    progress->record(offset, message.timestamp().value_or(now_ms()));
    auto r = flow_.producer().forward(message, progress->target_topic(), hops);
    if (r) return Sent::ok;
    progress->unrecord(offset);
    const auto ec = r.error();
    if (is(ec, RD_KAFKA_RESP_ERR__QUEUE_FULL)) return Sent::retry_later;
    if (is(ec, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) || is(ec, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)) {
        // The producer's metadata predates a partition we just created.
        (void)flow_.topics().ensure_partition(std::string(message.topic()), message.partition());
        (void)flow_.producer().refresh_metadata(progress->target_topic(), kAdminTimeout);
        return Sent::retry_later;
    }
    flow_.stats().produce_errors.add(kafka::error_name(ec));
    stop_partition(*progress, "record at offset " + std::to_string(offset.value()) +
                                  " cannot be produced to '" + progress->target_topic() +
                                  "': " + ec.message());
    return Sent::dropped;
}

void MirrorWorker::drain_backlog() {
    while (!backlog_.empty()) {
        if (send(backlog_.front()) == Sent::retry_later) return;
        backlog_.pop_front();
    }
    if (paused_) {
        consumer_->resume({assigned_.begin(), assigned_.end()});
        paused_ = false;
    }
}

void MirrorWorker::stop_partition(PartitionProgress& progress, const std::string& reason) {
    spdlog::error("flow '{}': partition {}[{}] stopped: {}", flow_.config().name,
                  progress.source_topic(), progress.partition(), reason);
    progress.stop(reason);
    consumer_->pause({{progress.source_topic(), progress.partition()}});
}

void MirrorWorker::handle_error(const kafka::Message& message) {
    const auto ec = message.error();
    if (is(ec, RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET)) {
        handle_offset_reset(message);
        return;
    }
    flow_.stats().consume_errors.add(kafka::error_name(ec));
    if (is(ec, RD_KAFKA_RESP_ERR__FATAL)) {
        flow_.fail("fatal consumer error on source cluster '" + flow_.config().source +
                   "': " + message.error_message());
        return;
    }
    spdlog::warn("flow '{}': consumer error on source cluster '{}': {}", flow_.config().name,
                 flow_.config().source, message.error_message());
}

void MirrorWorker::handle_offset_reset(const kafka::Message& message) {
    const auto& cfg = flow_.config();
    const auto tp = tp_of(message);
    const auto missing_from = message.offset();
    auto marks = consumer_->watermarks(tp.topic, tp.partition, kAdminTimeout);
    if (!marks) {
        spdlog::error("flow '{}': {}[{}]: position lost and watermarks unknown: {}", cfg.name,
                      tp.topic, tp.partition, marks.error().message());
        return;
    }
    const auto [low, high] = marks.value();
    if (missing_from < 0) {
        // No committed offset at all: a new partition, copied from its start.
        (void)consumer_->reposition({tp.topic, tp.partition, kafka::kOffsetBeginning});
        return;
    }
    std::string what;
    std::uint64_t lost = 0;
    if (missing_from < low) {
        lost = static_cast<std::uint64_t>(low - missing_from);
        what = "offsets " + std::to_string(missing_from) + ".." + std::to_string(low - 1) +
               " (" + std::to_string(lost) +
               " records) were deleted on the source before they were mirrored";
    } else {
        what = "the next offset to mirror, " + std::to_string(missing_from) +
               ", lies beyond the partition's end " + std::to_string(high) +
               " (topic deleted and re-created, or truncated)";
    }
    flow_.stats().records_lost.fetch_add(lost, std::memory_order_relaxed);
    if (auto* p = flow_.progress(tp.topic, tp.partition)) {
        p->lost.fetch_add(lost, std::memory_order_relaxed);
    }
    const bool go_on = cfg.on_data_loss == config::OnDataLoss::continue_;
    spdlog::error("flow '{}': DATA LOSS on {}[{}]: {}; {}", cfg.name, tp.topic, tp.partition, what,
                  go_on ? "continuing from offset " + std::to_string(low) +
                              " (on_data_loss: continue)"
                        : "partition stopped (on_data_loss: stop; set on_data_loss: continue "
                          "to mirror from offset " +
                              std::to_string(low) + ")");
    if (go_on) {
        if (auto r = consumer_->reposition({tp.topic, tp.partition, low}); !r) {
            spdlog::error("flow '{}': seek {}[{}] to {} failed: {}", cfg.name, tp.topic,
                          tp.partition, low, r.error().message());
        }
        return;
    }
    if (auto* progress = flow_.progress(tp.topic, tp.partition)) {
        progress->stop("data loss: " + what);
        consumer_->pause({tp});
    }
}

void MirrorWorker::sample_high_watermarks() {
    // Fetching partitions: from the consumer's last fetch responses, no request.
    // Paused ones (producer full, partition stopped) fetch nothing, so their
    // watermarks are asked of the broker: lag must keep rising while the
    // target is down.
    std::vector<kafka::TopicPartition> paused;
    for (const auto& tp : assigned_) {
        auto* progress = flow_.progress(tp.topic, tp.partition);
        if (!progress) continue;
        if (paused_ || progress->stopped()) {
            paused.push_back(tp);
        } else if (auto high = consumer_->cached_high_watermark(tp.topic, tp.partition)) {
            progress->high_watermark.store(*high, std::memory_order_relaxed);
        }
    }
    if (paused.empty()) return;
    for (const auto& o : consumer_->latest_offsets(paused, kWatermarkTimeout)) {
        if (auto* progress = flow_.progress(o.topic, o.partition)) {
            progress->high_watermark.store(o.offset, std::memory_order_relaxed);
        }
    }
}

bool MirrorWorker::commit(const std::set<kafka::TopicPartition>& partitions) {
    std::vector<kafka::TopicPartitionOffset> offsets;
    for (const auto& tp : partitions) {
        auto* progress = flow_.progress(tp.topic, tp.partition);
        if (!progress) continue;
        const auto next = progress->committable();
        if (!next) continue;
        auto it = committed_.find(tp);
        if (it != committed_.end() && it->second >= next->value()) continue;
        offsets.push_back({tp.topic, tp.partition, next->value()});
    }
    if (offsets.empty()) return true;
    if (auto r = consumer_->commit(offsets, /*async=*/false); !r) {
        spdlog::warn("flow '{}': commit to source cluster '{}' failed: {} (retried)",
                     flow_.config().name, flow_.config().source, r.error().message());
        return false;
    }
    for (const auto& o : offsets) {
        committed_[{o.topic, o.partition}] = o.offset;
        lost_.erase({o.topic, o.partition});
    }
    return true;
}

void MirrorWorker::on_assigned(std::vector<kafka::TopicPartitionOffset>& partitions) {
    flow_.stats().rebalances.fetch_add(1, std::memory_order_relaxed);
    std::vector<kafka::TopicPartition> tps;
    for (const auto& p : partitions) tps.push_back({p.topic, p.partition});
    for (const auto& tp : tps) {
        // A new source partition may reach us before discovery grew the target.
        if (auto r = flow_.topics().ensure_partition(tp.topic, tp.partition); !r) {
            spdlog::warn("flow '{}': target partition for {}[{}] not ready: {}",
                         flow_.config().name, tp.topic, tp.partition, r.error().message());
        }
    }
    // Partitions without a committed offset are new to the flow: mirror them
    // from their first record (auto.offset.reset=error would stop them).
    std::vector<std::optional<SourceOffset>> starts(tps.size());
    std::vector<bool> ahead(tps.size(), false);
    if (auto committed = consumer_->committed(tps, kAdminTimeout)) {
        for (std::size_t i = 0; i < partitions.size(); ++i) {
            const auto off = committed.value()[i].offset;
            partitions[i].offset = off >= 0 ? off : kafka::kOffsetBeginning;
            if (off >= 0) starts[i] = SourceOffset(off);
            // This process may know better than the group: after a lost
            // assignment (librdkafka before 2.10.0 loses it on a commit that
            // races a cooperative rebalance, librdkafka#4059) its last commit failed, but what it
            // mirrored is on the target. Resume after that instead of
            // mirroring it again.
            auto* known = flow_.progress(tps[i].topic, tps[i].partition);
            if (!known) continue;
            (void)known->wait_drained(std::chrono::steady_clock::now() + kAdminTimeout);
            const auto acked = known->committable();
            if (acked && (!starts[i] || *acked > *starts[i])) {
                starts[i] = acked;
                partitions[i].offset = acked->value();
                ahead[i] = true;
            }
        }
    }
    for (std::size_t i = 0; i < tps.size(); ++i) {
        const auto& tp = tps[i];
        lost_.erase(tp);
        flow_.track(tp.topic, tp.partition, starts[i], ahead[i]);
        assigned_.insert(tp);
        committed_.erase(tp);
    }
    if (paused_) consumer_->pause(tps);
    flow_.stats().assigned_partitions.fetch_add(static_cast<std::int64_t>(tps.size()),
                                                std::memory_order_relaxed);
    spdlog::info("flow '{}': worker {} assigned {} partition(s)", flow_.config().name, index_,
                 tps.size());
}

void MirrorWorker::on_revoked(const std::vector<kafka::TopicPartition>& partitions, bool lost) {
    flow_.stats().rebalances.fetch_add(1, std::memory_order_relaxed);
    const std::set<kafka::TopicPartition> revoked(partitions.begin(), partitions.end());
    std::erase_if(backlog_, [&](const kafka::Message& m) { return revoked.count(tp_of(m)) > 0; });
    if (!lost) {
        // Let in-flight records land so the next owner starts after them.
        const auto deadline = std::chrono::steady_clock::now() +
                              std::min<std::chrono::milliseconds>(
                                  flow_.config().commit_interval * 10, std::chrono::seconds(10));
        for (const auto& tp : revoked) {
            if (auto* p = flow_.progress(tp.topic, tp.partition)) (void)p->wait_drained(deadline);
        }
        commit(revoked);
    }
    for (const auto& tp : revoked) {
        assigned_.erase(tp);
        if (lost) lost_.insert(tp);
        committed_.erase(tp);
        if (auto* p = flow_.progress(tp.topic, tp.partition)) p->assigned.store(false);
    }
    flow_.stats().assigned_partitions.fetch_sub(static_cast<std::int64_t>(revoked.size()),
                                                std::memory_order_relaxed);
    spdlog::info("flow '{}': worker {} released {} partition(s){}", flow_.config().name, index_,
                 revoked.size(), lost ? " (assignment lost)" : "");
}

}  // namespace kmirror::replicator
