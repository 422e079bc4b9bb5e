#include "replicator/mirror_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "kafka/error.h"
#include "replicator/mirror_worker_detail.h"

// MirrorWorker, part 2: assignment, revocation, pauses and commits.

namespace kmirror::replicator {

using detail::drain_deadline;
using detail::kAdminTimeout;
using detail::tp_of;

void MirrorWorker::finish(std::chrono::steady_clock::time_point shutdown_deadline) {
    closing_by_ = shutdown_deadline;
    // A commit racing a rebalance fails (ILLEGAL_GENERATION) and librdkafka
    // before 2.10.0 (kmirror built with 2.8.0 until #17) then drops the assignment
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
    // Revokes through on_revoked, which commits again. Bounded by the
    // shutdown deadline too (at least long enough to send LeaveGroup).
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        shutdown_deadline - std::chrono::steady_clock::now());
    consumer_->close(std::max(left, std::chrono::milliseconds(500)));
    consumer_.reset();
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
    if (auto it = lanes_.find(tp); it != lanes_.end()) it->second.progress->fetch_paused.store(true);
    spdlog::info("flow '{}': partition {}[{}] is no longer fetched (stopped; a restart, or "
                 "another instance taking it over, resumes it at its committed offset)",
                 flow_.config().name, tp.topic, tp.partition);
}

void MirrorWorker::hold_for_target(const kafka::TopicPartition& tp, std::int64_t offset) {
    auto [it, added] = awaiting_target_.try_emplace(tp, std::nullopt);
    if (added) flow_.request_target_partition(tp.topic, tp.partition);
    if (it->second) return;  // rewound to an earlier record already
    it->second = offset;
    if (auto r = consumer_->reposition({tp.topic, tp.partition, offset}); !r) {
        // Not committed either way: the next owner reads the record again.
        spdlog::warn("flow '{}': seek {}[{}] to {} failed: {}", flow_.config().name, tp.topic,
                     tp.partition, offset, r.error().message());
    }
    consumer_->pause({tp});
    if (auto lane = lanes_.find(tp); lane != lanes_.end()) {
        lane->second.progress->fetch_paused.store(true);
    }
}

void MirrorWorker::reconcile_pauses() {
    // Refused records stop partitions on the delivery thread.
    for (const auto& [tp, lane] : lanes_) {
        if (!stopped_.contains(tp) && lane.progress->is_stopped()) pause_stopped(tp);
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
        const bool held = held_back(tp);
        (held ? pause : resume).push_back(tp);
        if (auto lane = lanes_.find(tp); lane != lanes_.end()) {
            lane->second.progress->fetch_paused.store(held);
        }
    }
    if (!pause.empty()) consumer_->pause(pause);
    if (!resume.empty()) consumer_->resume(resume);
}

bool MirrorWorker::held_back(const kafka::TopicPartition& tp) const {
    return stall_paused_ || stopped_.contains(tp) || awaiting_target_.contains(tp);
}

void MirrorWorker::after_assigned(const std::vector<kafka::TopicPartition>& partitions) {
    std::vector<kafka::TopicPartition> held;
    for (const auto& tp : partitions) {
        if (held_back(tp)) held.push_back(tp);
    }
    if (!held.empty()) consumer_->pause(held);
}

void MirrorWorker::stop_partition(PartitionProgress& progress, const std::string& reason) {
    spdlog::error("flow '{}': partition {}[{}] stopped: {}", flow_.config().name,
                  progress.source_topic(), progress.partition(), reason);
    progress.stop(reason);
    pause_stopped({progress.source_topic(), progress.partition()});
}

void MirrorWorker::sample_high_watermarks() {
    // Fetching partitions: from the consumer's last fetch responses, no
    // request. Paused ones (fetch_paused) are asked of the broker by the
    // flow's admin thread: lag must keep rising while the target is down.
    for (const auto& [tp, lane] : lanes_) {
        if (lane.progress->fetch_paused.load()) continue;
        if (auto high = consumer_->cached_high_watermark(tp.topic, tp.partition)) {
            lane.progress->high_watermark.store(*high, std::memory_order_relaxed);
        }
    }
}

std::vector<kafka::TopicPartitionOffset> MirrorWorker::committable(
    const std::set<kafka::TopicPartition>& partitions) {
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
    return offsets;
}

bool MirrorWorker::commit(const std::set<kafka::TopicPartition>& partitions) {
    const auto offsets = committable(partitions);
    if (offsets.empty()) return true;
    // Closing: within the shutdown deadline, but a second at least (a
    // commit saves the next owner copying again what was acknowledged).
    auto timeout = std::chrono::milliseconds(kAdminTimeout);
    if (closing_by_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            *closing_by_ - std::chrono::steady_clock::now());
        timeout = std::clamp(left, std::chrono::milliseconds(1000), timeout);
    }
    if (auto r = consumer_->commit(offsets, /*async=*/false, timeout); !r) {
        spdlog::warn("flow '{}': commit to source cluster '{}' failed: {} (retried)",
                     flow_.config().name, flow_.config().source, r.error().message());
        return false;
    }
    for (const auto& o : offsets) committed_[{o.topic, o.partition}] = o.offset;
    return true;
}

void MirrorWorker::serve_commit_result() {
    auto result = consumer_->commit_result();
    if (!result) return;
    if (result->error) {
        spdlog::warn("flow '{}': commit to source cluster '{}' failed: {} (retried)",
                     flow_.config().name, flow_.config().source, result->error.message());
        // A commit refused mid-rebalance made librdkafka 2.8 drop the
        // assignment and rejoin (librdkafka#4059), which starts another
        // rebalance, in which the other members' next commits fail too:
        // with every member committing each interval the group could keep
        // rebalancing for minutes (seen with two instances of a flow).
        // Waiting a random 2-5 intervals after a failure breaks the cycle.
        // Fixed in librdkafka 2.10; kept until re-measured on 2.14 (#17).
        next_commit_ += flow_.config().commit_interval * commit_backoff_(rng_);
        return;
    }
    for (const auto& o : result->offsets) {
        // A partition revoked since is not ours to remember.
        if (assigned_.contains({o.topic, o.partition})) committed_[{o.topic, o.partition}] = o.offset;
    }
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
        lanes_[tp] = Lane{flow_.progress_ref(tp.topic, tp.partition), flow_.route(tp.topic)};
        const bool hold = held_back(tp);
        progress->fetch_paused.store(hold);
        if (hold) held.push_back(tp);
    }
    // Paused before librdkafka starts fetching them, again in after_assigned()
    // (a re-created topic's partitions are new objects by then), and
    // reconcile_pauses() applies the state again at the next poll.
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
    std::erase_if(backlog_, [&](const kafka::Message& m) { return revoked.contains(tp_of(m)); });
    std::erase_if(newly_assigned_, [&](const auto& tp) { return revoked.contains(tp); });
    // Let in-flight records land so the next owner starts after them.
    auto deadline = drain_deadline(flow_.config());
    if (closing_by_) deadline = std::min(deadline, *closing_by_);
    std::size_t unsettled = 0;
    for (const auto& tp : revoked) {
        auto* p = flow_.progress(tp.topic, tp.partition);
        if (!p) continue;
        if (!lost) (void)p->wait_drained(deadline);
        unsettled += p->in_flight();
    }
    if (unsettled > 0) {
        // The target is slow or down, and these records could land after
        // the next owner's copies of them, which would interleave two writers
        // on one target partition. Those still queued are purged and never
        // land. Those already sent are left to settle: the broker has them
        // (a quota delays its answer, not the write) ahead of anything the
        // next owner can send, and purging them would only copy them twice.
        // The partitions this worker keeps are copied again from their
        // acknowledged offset.
        flow_.purge_and_rewind("worker " + std::to_string(index_) + " releases " +
                                   std::to_string(revoked.size()) + " partition(s) with " +
                                   std::to_string(unsettled) + " record(s) unacknowledged",
                               /*sent_too=*/false);
        // The purge reports settle at once (delivery thread), the sent
        // records as the target answers.
        auto settled_by = std::chrono::steady_clock::now() + kAdminTimeout;
        if (closing_by_) settled_by = std::min(settled_by, *closing_by_);
        for (const auto& tp : revoked) {
            if (auto* p = flow_.progress(tp.topic, tp.partition)) (void)p->wait_drained(settled_by);
        }
    }
    const bool committed = !lost && commit(revoked);
    // What was acknowledged after the last successful commit is copied again
    // by the next owner: after a lost assignment (a commit refused
    // mid-rebalance, librdkafka#4059), or when the commit above failed.
    // Records purged above are copied again too. Counted, so a duplicate is
    // always accounted for.
    std::int64_t recopied = 0;
    for (const auto& tp : revoked) {
        auto* p = flow_.progress(tp.topic, tp.partition);
        if (!p) continue;
        auto c = committed_.find(tp);
        auto next = p->committable();
        if (c != committed_.end() && next) {
            recopied += std::max<std::int64_t>(0, next->value() - c->second);
        }
    }
    for (const auto& tp : revoked) {
        assigned_.erase(tp);
        lanes_.erase(tp);
        rewinding_.erase(tp);
        stopped_.erase(tp);  // PartitionProgress remembers it, should it come back
        awaiting_target_.erase(tp);
        // Never committed later from here: another member may own it by
        // then and have committed further, and a late commit of ours would
        // move the group's offset back (seen with three instances).
        committed_.erase(tp);
        if (auto* p = flow_.progress(tp.topic, tp.partition)) {
            p->assigned.store(false);
            p->fetch_paused.store(false);
            p->handed_over.store(!lost);
        }
    }
    flow_.stats().assigned_partitions.fetch_sub(static_cast<std::int64_t>(revoked.size()),
                                                std::memory_order_relaxed);
    if (lost || recopied > 0 || unsettled > 0) {
        // The first count is what the next owner may copy twice (tests and
        // docs/operations.md read it); purged records never reached the target.
        spdlog::warn("flow '{}': worker {} released {} partition(s){}: {} acknowledged "
                     "record(s) not committed are copied again by the next owner{}",
                     flow_.config().name, index_, revoked.size(),
                     lost         ? " (assignment lost)"
                     : !committed ? " (commit refused)"
                                  : " (records were still in flight)",
                     recopied,
                     unsettled > 0 ? fmt::format("; {} unacknowledged record(s) were purged, "
                                                 "and are copied by it too",
                                                 unsettled)
                                   : std::string());
    } else {
        spdlog::info("flow '{}': worker {} released {} partition(s)", flow_.config().name, index_,
                     revoked.size());
    }
}

}  // namespace kmirror::replicator
