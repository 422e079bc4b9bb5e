#include "replicator/mirror_worker.h"

#include <spdlog/spdlog.h>

#include "kafka/error.h"
#include "replicator/mirror_worker_detail.h"

// MirrorWorker, part 3: lost positions. A partition whose position is gone
// (records deleted on the source before they were copied, a topic deleted
// and created again) is reported, counted, and stopped or continued by the
// flow's on_data_loss; never skipped silently.

namespace kmirror::replicator {

using detail::drain_deadline;
using detail::kAdminTimeout;
using detail::tp_of;
using kafka::is;

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
            flow_.request_start_marks();  // a new session, from `low`
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

}  // namespace kmirror::replicator
