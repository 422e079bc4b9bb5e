#include "replicator/mirror_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/clock.h"
#include "kafka/error.h"
#include "replicator/mirror_worker_detail.h"
#include "replicator/record_size.h"

// MirrorWorker, part 1: the loop and the produce path.

namespace kmirror::replicator {
namespace {

using namespace std::chrono_literals;
using kafka::is;

// Consumers refresh topic metadata at refresh_interval, at most this often apart.
constexpr std::int64_t kMaxMetadataRefreshMs = 300000;
// No room in the in-flight budget for this long: the target does not
// acknowledge (down, or stalled). Fetching is then paused so that the
// worker can poll its group membership alive; the records the consumer had
// prefetched are fetched again later, which is nothing beside an outage.
constexpr auto kStallPause = 5s;
// The largest batch taken from the consumer at once.
constexpr std::size_t kMaxBatch = 4096;

}  // namespace

using detail::tp_of;

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
    // Queue and fetch sizes from the memory budget (replicator/memory_plan.h).
    for (auto& o : flow_.memory().consumer_overrides()) overrides.push_back(std::move(o));
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
    flow_.in_flight().notify();  // a worker waiting for room
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
    // Sleep until the next commit is due at most; wake() interrupts.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        next_commit_ - std::chrono::steady_clock::now());
    return std::clamp(left, 1ms, std::chrono::milliseconds(1000));
}

void MirrorWorker::run() {
    while (!stop_.load()) {
        apply_topics();
        serve_commit_result();
        if (flow_.purges() != seen_purges_) note_rewinds();
        if (!rewinding_.empty()) finish_rewinds();
        if (!backlog_.empty()) drain_backlog();
        consume();
        if (!newly_assigned_.empty()) reconcile_pauses();
        if (!batch_.empty()) {
            forward(batch_);
            batch_.clear();
        }
        if (std::chrono::steady_clock::now() >= next_commit_) commit_tick();
    }
    // Records never handed to the producer are simply read again by whoever
    // consumes the partition next: their offsets were never committed.
    backlog_.clear();
}

void MirrorWorker::consume() {
    auto& budget = flow_.in_flight();
    const bool room = backlog_.empty() && budget.wait_for_room(next_commit_, stop_);
    if (stop_.load()) return;
    const auto now = std::chrono::steady_clock::now();
    if (room) {
        no_room_since_.reset();
        if (stall_paused_) end_stall_pause();
        (void)consumer_->poll_batch(poll_timeout(), batch_limit(), batch_);
        return;
    }
    if (!no_room_since_) no_room_since_ = now;
    if (!stall_paused_ && now - *no_room_since_ >= kStallPause) begin_stall_pause();
    if (stall_paused_) {
        // Serves rebalances and errors; a record of a partition not paused
        // (assigned meanwhile) joins the backlog.
        (void)consumer_->poll_batch(100ms, 16, batch_);
    } else if (!backlog_.empty()) {
        budget.sleep_until(now + 10ms, stop_);  // the producer's queue was full
    }
}

std::size_t MirrorWorker::batch_limit() const {
    double bytes = static_cast<double>(std::max<std::int64_t>(flow_.in_flight().room(), 1));
    if (flow_.limiter().enabled()) {
        bytes = std::min(bytes, static_cast<double>(flow_.limiter().burst_bytes()));
    }
    const auto n = static_cast<std::size_t>(bytes / record_cost_);
    return std::clamp<std::size_t>(n, 1, kMaxBatch);
}

void MirrorWorker::forward(std::vector<kafka::Message>& batch) {
    std::int64_t bytes = 0;
    std::size_t records = 0;
    for (const auto& m : batch) {
        if (m.error()) continue;
        bytes += static_cast<std::int64_t>(m.size());
        ++records;
    }
    if (records > 0) {
        const double cost = static_cast<double>(bytes) / static_cast<double>(records) +
                            static_cast<double>(kRecordOverhead);
        record_cost_ = 0.75 * record_cost_ + 0.25 * cost;
    }
    if (flow_.limiter().enabled() && bytes > 0) {
        const auto send_at = flow_.limiter().charge(bytes);
        if (send_at > std::chrono::steady_clock::now()) {
            flow_.in_flight().sleep_until(send_at, stop_);
        }
    }
    for (std::size_t i = 0; i < batch.size();) {
        if (batch[i].error()) {
            handle_error(batch[i]);
            ++i;
            continue;
        }
        // A run: consecutive records of one partition.
        std::size_t j = i + 1;
        while (j < batch.size() && !batch[j].error() && batch[j].get()->rkt == batch[i].get()->rkt &&
               batch[j].partition() == batch[i].partition()) {
            ++j;
        }
        const std::size_t done = send_run(std::span(batch).subspan(i, j - i));
        if (done < j - i) {
            // The producer is full: the rest waits, in order.
            for (std::size_t k = i + done; k < batch.size(); ++k) {
                backlog_.push_back(std::move(batch[k]));
            }
            return;
        }
        i = j;
    }
}

std::optional<std::string> MirrorWorker::too_large(const Lane& lane,
                                                   const kafka::Message& m) const {
    // A compressed batch may fit where the record does not: the target decides.
    if (lane.route->compressed) return std::nullopt;
    const auto limit = lane.route->record_limit.load(std::memory_order_relaxed);
    // The exact size is only worked out near the limit (it reads the headers).
    if (limit <= 0 || static_cast<std::int64_t>(m.size()) + kRecordBatchHeader + 4096 < limit) {
        return std::nullopt;
    }
    const auto& policy = flow_.topics().policy();
    const auto size = policy.uses_provenance_headers()
                          ? single_record_batch_size(m, ReplicationPolicy::kHopsHeader,
                                                     flow_.config().source)
                          : single_record_batch_size(m);
    if (size <= limit) return std::nullopt;
    return "record at offset " + std::to_string(m.offset()) + " would be refused by target cluster '" +
           flow_.config().target + "': it takes " + std::to_string(size) +
           " bytes in a record batch, more than max.message.bytes=" + std::to_string(limit) +
           " of topic '" + lane.progress->target_topic() + "'";
}

std::size_t MirrorWorker::send_run(std::span<kafka::Message> run) {
    const auto& first = run.front();
    const kafka::TopicPartition tp = tp_of(first);
    auto lane_it = lanes_.find(tp);
    // Revoked while the batch was read: not ours to copy (nor to commit).
    if (lane_it == lanes_.end() || !lane_it->second.route) return run.size();
    Lane& lane = lane_it->second;
    PartitionProgress& progress = *lane.progress;
    // Shared: purge_and_rewind() takes it alone, so a run is produced either
    // wholly before a purge or after its partitions were marked rewinding.
    std::shared_lock gate(flow_.produce_gate());
    if (progress.is_stopped()) {
        // Fetched before the partition was paused: its offset is not
        // committed, so a later owner reads it again.
        pause_stopped(tp);
        return run.size();
    }
    if (progress.rewinding()) return run.size();  // consumed again from the rewind point
    if (!awaiting_target_.empty() && awaiting_target_.contains(tp)) {
        hold_for_target(tp, first.offset());
        return run.size();
    }
    const auto& policy = flow_.topics().policy();
    const bool provenance = policy.uses_provenance_headers();
    const std::string& target_alias = flow_.config().target;
    std::optional<std::pair<std::string_view, std::string_view>> hop;
    if (provenance) hop.emplace(ReplicationPolicy::kHopsHeader, flow_.config().source);

    // Recorded first, all at once: a report may come before send() returns.
    pending_.clear();
    std::optional<std::string> refused;
    std::int64_t cost = 0;
    for (const auto& m : run) {
        if (auto why = too_large(lane, m)) {
            refused = std::move(why);
            break;
        }
        pending_.push_back({SourceOffset(m.offset()), m.timestamp().value_or(now_ms())});
        cost += static_cast<std::int64_t>(m.size()) + kRecordOverhead;
    }
    const std::size_t n = pending_.size();
    progress.record_run(pending_);
    flow_.in_flight().add(cost);
    skipped_.clear();
    std::int64_t unsent = 0;  // cost of records recorded but not produced
    auto& producer = flow_.producer();
    std::error_code failure;
    std::size_t k = 0;
    for (; k < n; ++k) {
        const auto& m = run[k];
        if (provenance && m.has_header(ReplicationPolicy::kHopsHeader, target_alias)) {
            // Names cannot tell where a record came from: its hop headers
            // can. It came from the target: never sent back (invariant 4).
            skipped_.push_back(SourceOffset(m.offset()));
            unsent += static_cast<std::int64_t>(m.size()) + kRecordOverhead;
            continue;
        }
        auto r = producer.send(lane.route->handle, m, static_cast<std::uint64_t>(m.offset()), hop);
        if (r) continue;
        failure = r.error();
        break;
    }
    if (!skipped_.empty()) {
        flow_.stats().records_skipped.fetch_add(skipped_.size(), std::memory_order_relaxed);
        progress.settle(skipped_);
    }
    if (k == n) {
        if (unsent > 0) flow_.in_flight().release(unsent);
        if (refused) {
            // Nothing after it is produced: the partition stops at it, and
            // the target never gets a record after a gap.
            flow_.stats().produce_errors.add("record_too_large");
            progress.fail(SourceOffset(run[n].offset()), *refused);
            stop_partition(progress, *refused);
        }
        return run.size();
    }
    // send() failed at record k: k..n-1 were recorded but not produced.
    for (std::size_t i = k; i < n; ++i) {
        unsent += static_cast<std::int64_t>(run[i].size()) + kRecordOverhead;
    }
    progress.unrecord_last(n - k);
    flow_.in_flight().release(unsent);
    if (is(failure, RD_KAFKA_RESP_ERR__QUEUE_FULL)) return k;  // the rest waits in the backlog
    if (is(failure, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) ||
        is(failure, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)) {
        // The producer's metadata predates a partition just created: the
        // partition waits, from this record on, until the admin thread made
        // sure of it and refreshed the producer's metadata.
        hold_for_target(tp, run[k].offset());
        return run.size();
    }
    flow_.stats().produce_errors.add(kafka::error_name(failure));
    const auto reason = "record at offset " + std::to_string(run[k].offset()) +
                        " cannot be produced to '" + progress.target_topic() +
                        "': " + failure.message();
    progress.fail(SourceOffset(run[k].offset()), reason);
    stop_partition(progress, reason);
    return run.size();
}

void MirrorWorker::drain_backlog() {
    std::vector<kafka::Message> waiting;
    waiting.swap(backlog_);
    forward(waiting);  // what still does not fit goes back to backlog_
}

void MirrorWorker::begin_stall_pause() {
    stall_paused_ = true;
    const auto tps = fetchable();
    if (!tps.empty()) consumer_->pause(tps);
    for (const auto& tp : tps) {
        if (auto it = lanes_.find(tp); it != lanes_.end()) it->second.progress->fetch_paused.store(true);
    }
    spdlog::warn("flow '{}': worker {}: target cluster '{}' acknowledged nothing for {} s with "
                 "{} MiB in flight: fetching paused until it does",
                 flow_.config().name, index_, flow_.config().target,
                 std::chrono::duration_cast<std::chrono::seconds>(kStallPause).count(),
                 flow_.in_flight().used() >> 20);
}

void MirrorWorker::end_stall_pause() {
    stall_paused_ = false;
    const auto tps = fetchable();
    if (!tps.empty()) consumer_->resume(tps);
    for (const auto& tp : tps) {
        if (auto it = lanes_.find(tp); it != lanes_.end()) it->second.progress->fetch_paused.store(false);
    }
    spdlog::info("flow '{}': worker {}: target cluster '{}' acknowledges again: fetching resumed",
                 flow_.config().name, index_, flow_.config().target);
}

void MirrorWorker::note_rewinds() {
    seen_purges_ = flow_.purges();
    for (const auto& [tp, lane] : lanes_) {
        if (lane.progress->rewinding()) rewinding_.insert(tp);
    }
}

void MirrorWorker::finish_rewinds() {
    for (auto it = rewinding_.begin(); it != rewinding_.end();) {
        const auto tp = *it;
        auto lane = lanes_.find(tp);
        if (lane == lanes_.end()) {
            it = rewinding_.erase(it);
            continue;
        }
        auto from = lane->second.progress->finish_rewind();
        if (!from) {
            ++it;  // purge reports still to come
            continue;
        }
        it = rewinding_.erase(it);
        std::erase_if(backlog_, [&](const kafka::Message& m) { return tp_of(m) == tp; });
        if (stopped_.contains(tp)) continue;  // paused for good; restarts at its commit
        const auto offset = *from ? (*from)->value() : kafka::kOffsetBeginning;
        if (auto r = consumer_->reposition({tp.topic, tp.partition, offset}); !r) {
            // Not committed past it: the next owner, or a restart, copies it.
            spdlog::error("flow '{}': partition {}[{}] not rewound to {}: {}", flow_.config().name,
                          tp.topic, tp.partition, offset, r.error().message());
            continue;
        }
        // Repositioning re-assigns it: its pause state is applied again.
        newly_assigned_.push_back(tp);
    }
}

void MirrorWorker::commit_tick() {
    reconcile_pauses();
    // Sent without waiting: the answer is read by a later loop
    // (serve_commit_result); one commit is open at a time.
    if (!consumer_->commit_open()) {
        if (auto offsets = committable(assigned_); !offsets.empty()) {
            (void)consumer_->commit_async(offsets);
        }
    }
    sample_high_watermarks();
    if (!unresolved_resets_.empty()) retry_offset_resets();
    next_commit_ = std::chrono::steady_clock::now() + flow_.config().commit_interval;
}

}  // namespace kmirror::replicator
