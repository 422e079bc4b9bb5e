#include "replicator/mirror_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/clock.h"
#include "kafka/error.h"

namespace kmirror::replicator {
namespace {

// Consumers refresh topic metadata at refresh_interval, at most this often apart.
constexpr std::int64_t kMaxMetadataRefreshMs = 300000;

using namespace std::chrono_literals;
constexpr auto kAdminTimeout = 10s;
// Short: it runs on the worker thread, between polls.
constexpr auto kWatermarkTimeout = 1s;

using kafka::is;

kafka::TopicPartition tp_of(const kafka::Message& m) {
    return {std::string(m.topic()), m.partition()};
}

/// How long a rebalance callback waits for in-flight records, for all its
/// partitions together: long enough for a healthy target, far below
/// max.poll.interval.ms when the target is down.
std::chrono::steady_clock::time_point drain_deadline(const config::Flow& flow) {
    return std::chrono::steady_clock::now() +
           std::min<std::chrono::milliseconds>(flow.commit_interval * 10, std::chrono::seconds(10));
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
        // Capped: librdkafka keeps metadata 3x this long, counted in
        // microseconds in an int, which overflows above ~715 s and then
        // expires every topic at once (subscribed topics "not available",
        // rebalances). Discovery itself runs on the admin thread at refresh_interval.
        {"topic.metadata.refresh.interval.ms",
         std::to_string(std::min<std::int64_t>(cfg.refresh_interval.count(), kMaxMetadataRefreshMs))},
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
        // paused_ with an empty backlog: a rebalance took the backlog's
        // partitions; drain_backlog() resumes the others.
        if (!backlog_.empty() || paused_) drain_backlog();
        auto message = consumer_->poll(poll_timeout());
        if (!newly_assigned_.empty()) reconcile_pauses();
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
            reconcile_pauses();
            const bool committed = commit(assigned_);
            sample_high_watermarks();
            if (!unresolved_resets_.empty()) retry_offset_resets();
            next_commit_ = std::chrono::steady_clock::now() + flow_.config().commit_interval;
            // A commit refused mid-rebalance makes librdkafka 2.8 drop the
            // assignment and rejoin (librdkafka#4059), which starts another
            // rebalance, in which the other members' next commits fail too:
            // with every member committing each interval the group can keep
            // rebalancing for minutes (seen with two instances of a flow).
            // Waiting a random 2-5 intervals after a failure breaks the cycle.
            if (!committed) next_commit_ += flow_.config().commit_interval * commit_backoff_(rng_);
        }
    }
    // Records never handed to the producer are simply read again by whoever
    // consumes the partition next: their offsets were never committed.
    backlog_.clear();
}

void MirrorWorker::finish(std::chrono::steady_clock::time_point shutdown_deadline) {
    // A commit racing a rebalance fails (ILLEGAL_GENERATION) and librdkafka
    // before 2.10.0 (kmirror builds with 2.8.0) then drops the assignment
    // (librdkafka#4059). What was acknowledged of the partitions it still
    // owns is worth committing once the group settled: poll (serving the
    // rebalance; the records read meanwhile are not mirrored, so not
    // committed) and retry. Partitions it lost are not: they may have a new
    // owner already, whose commits a late one of ours would undo.
    // Within the shutdown deadline: a sibling worker leaving the group at the
    // same time starts a rebalance that could otherwise hold this one 10 s.
    const auto deadline = std::min(std::chrono::steady_clock::now() + kAdminTimeout,
                                   shutdown_deadline);
    while (true) {
        if (commit(assigned_) || std::chrono::steady_clock::now() >= deadline) break;
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
    if (!progress) return Sent::dropped;
    if (progress->stopped()) {
        // Fetched before the partition was paused: its offset is not
        // committed, so a later owner reads it again.
        pause_stopped(tp_of(message));
        return Sent::dropped;
    }
    if (!awaiting_target_.empty() && awaiting_target_.contains(tp_of(message))) {
        hold_for_target(message);
        return Sent::dropped;
    }
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
        paused_ = false;
        // Not the stopped partitions, nor those still waiting for the target.
        if (auto tps = fetchable(); !tps.empty()) consumer_->resume(tps);
    }
}

std::vector<kafka::TopicPartition> MirrorWorker::fetchable() const {
    std::vector<kafka::TopicPartition> out;
    for (const auto& tp : assigned_) {
        if (!stopped_.contains(tp) && !awaiting_target_.contains(tp)) out.push_back(tp);
    }
    return out;
}

void MirrorWorker::pause_stopped(const kafka::TopicPartition& tp) {
    if (!stopped_.insert(tp).second) return;
    consumer_->pause({tp});
    spdlog::info("flow '{}': partition {}[{}] is no longer fetched (stopped; a restart, or "
                 "another instance taking it over, resumes it at its committed offset)",
                 flow_.config().name, tp.topic, tp.partition);
}

void MirrorWorker::hold_for_target(const kafka::Message& message) {
    auto it = awaiting_target_.find(tp_of(message));
    if (it == awaiting_target_.end() || it->second) return;  // rewound to an earlier record
    it->second = message.offset();
    if (auto r = consumer_->reposition({it->first.topic, it->first.partition, message.offset()});
        !r) {
        // Not committed either way: the next owner reads the record again.
        spdlog::warn("flow '{}': seek {}[{}] to {} failed: {}", flow_.config().name,
                     it->first.topic, it->first.partition, message.offset(), r.error().message());
    }
    consumer_->pause({it->first});
}

void MirrorWorker::reconcile_pauses() {
    // Refused records stop partitions on the delivery thread.
    for (const auto& tp : assigned_) {
        if (stopped_.contains(tp)) continue;
        auto* progress = flow_.progress(tp.topic, tp.partition);
        if (progress && progress->stopped()) pause_stopped(tp);
    }
    std::vector<kafka::TopicPartition> changed = std::move(newly_assigned_);
    newly_assigned_.clear();
    for (auto it = awaiting_target_.begin(); it != awaiting_target_.end();) {
        if (flow_.topics().has_target_partition(it->first.topic, it->first.partition)) {
            changed.push_back(it->first);
            it = awaiting_target_.erase(it);
        } else {
            ++it;
        }
    }
    std::vector<kafka::TopicPartition> pause;
    std::vector<kafka::TopicPartition> resume;
    for (const auto& tp : changed) {
        if (!assigned_.contains(tp)) continue;
        const bool held = paused_ || stopped_.contains(tp) || awaiting_target_.contains(tp);
        (held ? pause : resume).push_back(tp);
    }
    if (!pause.empty()) consumer_->pause(pause);
    if (!resume.empty()) consumer_->resume(resume);
}

void MirrorWorker::stop_partition(PartitionProgress& progress, const std::string& reason) {
    spdlog::error("flow '{}': partition {}[{}] stopped: {}", flow_.config().name,
                  progress.source_topic(), progress.partition(), reason);
    progress.stop(reason);
    pause_stopped({progress.source_topic(), progress.partition()});
}

void MirrorWorker::handle_error(const kafka::Message& message) {
    const auto ec = message.error();
    // A lost position counts too (kind _AUTO_OFFSET_RESET): a topic deleted
    // and re-created loses no record kmirror knows of, so records_lost may
    // not move, and this is what metrics show of it.
    flow_.stats().consume_errors.add(kafka::error_name(ec));
    if (is(ec, RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET)) {
        handle_offset_reset(message);
        return;
    }
    if (is(ec, RD_KAFKA_RESP_ERR__FATAL)) {
        flow_.fail("fatal consumer error on source cluster '" + flow_.config().source +
                   "': " + message.error_message());
        return;
    }
    spdlog::warn("flow '{}': consumer error on source cluster '{}': {}", flow_.config().name,
                 flow_.config().source, message.error_message());
}

void MirrorWorker::handle_offset_reset(const kafka::Message& message) {
    resolve_offset_reset(tp_of(message), message.offset());
}

void MirrorWorker::retry_offset_resets() {
    const auto pending = unresolved_resets_;
    for (const auto& [tp, missing_from] : pending) {
        if (assigned_.contains(tp)) {
            resolve_offset_reset(tp, missing_from);
        } else {
            unresolved_resets_.erase(tp);  // the next owner finds out itself
        }
    }
}

void MirrorWorker::resolve_offset_reset(const kafka::TopicPartition& tp, std::int64_t missing_from) {
    const auto& cfg = flow_.config();
    auto marks = consumer_->watermarks(tp.topic, tp.partition, kAdminTimeout);
    if (!marks) {
        // The partition fetches nothing until this is resolved: tried again
        // at every commit tick, not left stopped without a word.
        if (!unresolved_resets_.contains(tp)) {
            spdlog::error("flow '{}': {}[{}]: position lost and watermarks unknown: {}; retried "
                          "every commit interval",
                          cfg.name, tp.topic, tp.partition, marks.error().message());
        }
        unresolved_resets_[tp] = missing_from;
        return;
    }
    if (unresolved_resets_.erase(tp) > 0) {
        spdlog::info("flow '{}': {}[{}]: watermarks known again", cfg.name, tp.topic, tp.partition);
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
        // Offsets below the old position will be mirrored and committed
        // again: forget the old incarnation's progress (its last records
        // settled first, so that none of their reports is taken for a new
        // record's) and the commit guard.
        if (auto* p = flow_.progress(tp.topic, tp.partition)) {
            (void)p->wait_drained(drain_deadline(cfg));
            p->reset(SourceOffset(low), false);
        }
        committed_.erase(tp);
        if (auto r = consumer_->reposition({tp.topic, tp.partition, low}); !r) {
            spdlog::error("flow '{}': seek {}[{}] to {} failed: {}", cfg.name, tp.topic,
                          tp.partition, low, r.error().message());
        }
        return;
    }
    if (auto* progress = flow_.progress(tp.topic, tp.partition)) {
        progress->stop("data loss: " + what);
        pause_stopped(tp);
    }
}

void MirrorWorker::report_recreated(PartitionProgress& progress, std::int64_t lost) {
    const auto& cfg = flow_.config();
    flow_.stats().records_lost.fetch_add(static_cast<std::uint64_t>(lost), std::memory_order_relaxed);
    progress.lost.fetch_add(static_cast<std::uint64_t>(lost), std::memory_order_relaxed);
    flow_.stats().consume_errors.add("topic_recreated");
    const std::string what =
        "the topic was deleted and created again on the source; " +
        (lost > 0 ? std::to_string(lost) + " record(s) of the deleted topic were never mirrored"
                   : std::string("every record of the deleted topic was mirrored"));
    const bool go_on = cfg.on_data_loss == config::OnDataLoss::continue_;
    spdlog::error("flow '{}': DATA LOSS on {}[{}]: {}; {}", cfg.name, progress.source_topic(),
                  progress.partition(), what,
                  go_on ? std::string("mirroring the new topic from its first record "
                                      "(on_data_loss: continue)")
                        : std::string("partition stopped (on_data_loss: stop; set "
                                      "on_data_loss: continue to mirror the new topic)"));
    if (!go_on) progress.stop("data loss: " + what);
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
        if (paused_ || progress->stopped() || awaiting_target_.contains(tp)) {
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
    }
    return true;
}

void MirrorWorker::on_assigned(std::vector<kafka::TopicPartitionOffset>& partitions) {
    flow_.stats().rebalances.fetch_add(1, std::memory_order_relaxed);
    std::vector<kafka::TopicPartition> tps;
    for (const auto& p : partitions) tps.push_back({p.topic, p.partition});
    // A new source partition may reach us before discovery grew the target.
    // No admin call here: this is the rebalance callback, and a target that
    // is down would hold it for seconds per partition, past
    // max.poll.interval.ms (the member is evicted, rebalances repeat). Such a
    // partition waits paused until discovery, asked to run now, created it.
    std::size_t waiting = 0;
    for (const auto& tp : tps) {
        if (!flow_.topics().has_target_partition(tp.topic, tp.partition)) {
            awaiting_target_.emplace(tp, std::nullopt);
            ++waiting;
        }
    }
    if (waiting > 0) {
        spdlog::info("flow '{}': worker {}: {} assigned partition(s) wait for their target "
                     "partition",
                     flow_.config().name, index_, waiting);
        flow_.request_discovery();
    }
    // Partitions without a committed offset are new to the flow: mirror them
    // from their first record (auto.offset.reset=error would stop them).
    std::vector<std::optional<SourceOffset>> starts(tps.size());
    std::vector<bool> ahead(tps.size(), false);
    std::vector<std::int64_t> group_committed(tps.size(), -1);
    // Partitions of a topic that was deleted and created again: what the
    // old one had that was never mirrored (-1: not one of those).
    std::vector<std::int64_t> recreated_lost(tps.size(), -1);
    const auto drained_by = drain_deadline(flow_.config());
    if (auto committed = consumer_->committed(tps, kAdminTimeout)) {
        for (std::size_t i = 0; i < partitions.size(); ++i) {
            const auto off = committed.value()[i].offset;
            group_committed[i] = off;
            partitions[i].offset = off >= 0 ? off : kafka::kOffsetBeginning;
            if (off >= 0) starts[i] = SourceOffset(off);
            // This process may know better than the group: after a lost
            // assignment (librdkafka before 2.10.0 loses it on a commit that
            // races a cooperative rebalance, librdkafka#4059) its last commit failed, but what it
            // mirrored is on the target. Resume after that instead of
            // mirroring it again.
            auto* known = flow_.progress(tps[i].topic, tps[i].partition);
            if (!known) continue;
            (void)known->wait_drained(drained_by);
            if (known->topic_deleted.exchange(false)) {
                // What this process remembers is the deleted topic's: the new
                // one starts from the group's offset (Kafka deleted it with
                // the topic) or its first record, never at the old position,
                // which could skip its first records without an error.
                const auto next = known->snapshot().next_to_copy;
                const auto high = known->high_watermark.load();
                recreated_lost[i] = next && high > next->value() ? high - next->value() : 0;
                continue;
            }
            const auto acked = known->committable();
            if (acked && (!starts[i] || *acked > *starts[i])) {
                starts[i] = acked;
                partitions[i].offset = acked->value();
                // Committable at once: it is on the target. (A partition of
                // a topic deleted and created again never gets here: it was
                // marked topic_deleted when released, see above.)
                ahead[i] = true;
            }
        }
    }
    std::vector<kafka::TopicPartition> held;
    for (std::size_t i = 0; i < tps.size(); ++i) {
        const auto& tp = tps[i];
        auto* progress = flow_.track(tp.topic, tp.partition, starts[i], ahead[i]);
        if (recreated_lost[i] >= 0) report_recreated(*progress, recreated_lost[i]);
        if (auto why = progress->stopped()) {
            spdlog::warn("flow '{}': partition {}[{}] stays stopped until kmirror restarts: {}",
                         flow_.config().name, tp.topic, tp.partition, *why);
            stopped_.insert(tp);
        }
        assigned_.insert(tp);
        // What the group holds: commits below it are pointless, and a lost
        // assignment counts what the next owner copies again from here.
        committed_.erase(tp);
        if (group_committed[i] >= 0) committed_[tp] = group_committed[i];
        if (paused_ || stopped_.contains(tp) || awaiting_target_.contains(tp)) held.push_back(tp);
    }
    // Paused before librdkafka starts fetching them; reconcile_pauses()
    // applies the state again once the assignment is made.
    if (!held.empty()) consumer_->pause(held);
    newly_assigned_.insert(newly_assigned_.end(), tps.begin(), tps.end());
    flow_.stats().assigned_partitions.fetch_add(static_cast<std::int64_t>(tps.size()),
                                                std::memory_order_relaxed);
    spdlog::info("flow '{}': worker {} assigned {} partition(s)", flow_.config().name, index_,
                 tps.size());
}

void MirrorWorker::on_revoked(const std::vector<kafka::TopicPartition>& partitions, bool lost) {
    flow_.stats().rebalances.fetch_add(1, std::memory_order_relaxed);
    const std::set<kafka::TopicPartition> revoked(partitions.begin(), partitions.end());
    // With the backlog emptied, the next loop resumes what QUEUE_FULL paused.
    std::erase_if(backlog_, [&](const kafka::Message& m) { return revoked.count(tp_of(m)) > 0; });
    std::erase_if(newly_assigned_, [&](const auto& tp) { return revoked.contains(tp); });
    bool committed = false;
    if (!lost) {
        // Let in-flight records land so the next owner starts after them.
        const auto deadline = drain_deadline(flow_.config());
        for (const auto& tp : revoked) {
            if (auto* p = flow_.progress(tp.topic, tp.partition)) (void)p->wait_drained(deadline);
        }
        committed = commit(revoked);
    }
    // What was acknowledged after the last successful commit is copied again
    // by the next owner: after a lost assignment (a commit refused
    // mid-rebalance, librdkafka#4059), or when the commit above failed.
    // Records still in flight are copied again too, whatever the target says
    // later. Counted, so a duplicate is always accounted for.
    std::int64_t recopied = 0;
    for (const auto& tp : revoked) {
        auto* p = flow_.progress(tp.topic, tp.partition);
        if (!p) continue;
        recopied += static_cast<std::int64_t>(p->in_flight());
        auto c = committed_.find(tp);
        auto next = p->committable();
        if (c != committed_.end() && next) {
            recopied += std::max<std::int64_t>(0, next->value() - c->second);
        }
    }
    for (const auto& tp : revoked) {
        assigned_.erase(tp);
        stopped_.erase(tp);  // PartitionProgress remembers it, should it come back
        awaiting_target_.erase(tp);
        // Never committed later from here: another member may own it by
        // then and have committed further, and a late commit of ours would
        // move the group's offset back (seen with three instances).
        committed_.erase(tp);
        if (auto* p = flow_.progress(tp.topic, tp.partition)) {
            p->assigned.store(false);
            p->handed_over.store(!lost);
        }
    }
    flow_.stats().assigned_partitions.fetch_sub(static_cast<std::int64_t>(revoked.size()),
                                                std::memory_order_relaxed);
    if (lost || recopied > 0) {
        spdlog::warn("flow '{}': worker {} released {} partition(s){}: {} acknowledged "
                     "record(s) not committed are copied again by the next owner",
                     flow_.config().name, index_, revoked.size(),
                     lost         ? " (assignment lost)"
                     : !committed ? " (commit refused)"
                                  : " (records still in flight)",
                     recopied);
    } else {
        spdlog::info("flow '{}': worker {} released {} partition(s)", flow_.config().name, index_,
                     revoked.size());
    }
}

}  // namespace kmirror::replicator
