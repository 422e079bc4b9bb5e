#include "replicator/checkpoint_emitter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <string_view>

#include "base/clock.h"
#include "checkpoints/mm2_records.h"
#include "kafka/error.h"
#include "replicator/flow.h"
#include "replicator/internal_topic.h"

namespace kmirror::replicator {
namespace {

using namespace std::chrono_literals;

/// How often translations that were not exact are tried again.
constexpr auto kRecheck = 1s;
/// How long one read of __consumer_offsets waits for new commits.
constexpr auto kFollowWait = 100ms;

}  // namespace

CheckpointEmitter::CheckpointEmitter(Flow& flow, const kafka::ClientSettings& source,
                                     const kafka::ClientSettings& target,
                                     checkpoints::OffsetRangeStore& store)
    : flow_(flow),
      store_(store),
      topic_(checkpoints::checkpoints_topic(flow.config().source)),
      groups_(flow.config().groups.include, flow.config().groups.exclude),
      source_settings_(source),
      follower_(source, "kmirror-" + flow.config().name + "-group-commits") {
    const auto& name = flow.config().name;
    // Own admin clients: kafka::Admin serves one call at a time, and the
    // flow's are busy with discovery on its admin thread.
    source_admin_ = std::make_unique<kafka::Admin>(
        source, kafka::Overrides{{"client.id", "kmirror-" + name + "-checkpoints-admin"}});
    target_admin_ = std::make_unique<kafka::Admin>(
        target, kafka::Overrides{{"client.id", "kmirror-" + name + "-checkpoints-admin"}});
    producer_ = std::make_unique<kafka::Producer>(
        target,
        kafka::Overrides{{"acks", "all"},
                         {"enable.idempotence", "true"},
                         {"client.id", "kmirror-" + name + "-checkpoints"},
                         {"linger.ms", "5"}},
        this);
    if (flow.config().sync_group_offsets) {
        group_sync_ = std::make_unique<GroupOffsetSync>(flow.config(), target, *target_admin_,
                                                        flow.stats());
    }
}

CheckpointEmitter::~CheckpointEmitter() { stop(0ms); }

bool CheckpointEmitter::ensure_topic(int target_brokers) {
    const auto error = ensure_internal_topic(*target_admin_, topic_, target_brokers);
    if (!error) return true;
    spdlog::error("flow '{}': cannot create topic '{}' on target cluster '{}': {}; checkpoints "
                  "are not written",
                  flow_.config().name, topic_, flow_.config().target, *error);
    return false;
}

void CheckpointEmitter::start() {
    thread_ = std::thread([this] {
        try {
            run();
        } catch (const std::exception& e) {
            flow_.fail(std::string("checkpoint thread failed: ") + e.what());
        }
    });
}

void CheckpointEmitter::stop(std::chrono::milliseconds timeout) {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (producer_ && producer_->in_flight() > 0) (void)producer_->flush(timeout);
}

void CheckpointEmitter::wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, timeout, [this] { return stop_; });
}

void CheckpointEmitter::run() {
    const auto interval = flow_.config().checkpoint_interval;
    auto next_full = std::chrono::steady_clock::now() + interval;
    auto next_admin_poll = std::chrono::steady_clock::now();
    auto next_follow_try = std::chrono::steady_clock::now();
    std::int64_t round_ms = 0;  // the last emit round whose records may still be in flight
    for (;;) {
        {
            std::lock_guard lock(mu_);
            if (stop_) return;
        }
        auto now = std::chrono::steady_clock::now();
        if (!use_admin_ && !follower_.started() && now >= next_follow_try) {
            next_follow_try = now + 1s;
            (void)follower_.start(*source_admin_, 5s);
        }
        if (!use_admin_ && !follower_.unavailable().empty()) {
            use_admin_ = true;
            spdlog::warn("flow '{}': cannot read __consumer_offsets on source cluster '{}' ({}); "
                         "listing group offsets every {} ms instead",
                         flow_.config().name, flow_.config().source, follower_.unavailable(),
                         interval.count());
        }
        if (!use_admin_ && follower_.started()) {
            follower_.poll(kFollowWait, [this](GroupCommit&& c) { on_commit(std::move(c)); });
        } else if (use_admin_ && now >= next_admin_poll) {
            next_admin_poll = now + interval;
            poll_with_admin();
        } else {
            wait(kFollowWait);
        }
        now = std::chrono::steady_clock::now();
        const bool all = now >= next_full;
        if (all) next_full = now + interval;
        // Before the follower has read what was committed before it started,
        // translations would be of old commits: wait for the current ones.
        if (use_admin_ || follower_.caught_up()) {
            emit(all);
            round_ms = now_ms();
        }
        if (group_sync_) group_sync_->follow_target();
        producer_->poll(0ms);
        if (round_ms != 0 && producer_->in_flight() == 0) {
            flow_.stats().last_checkpoint_ms.store(round_ms, std::memory_order_relaxed);
        }
    }
}

void CheckpointEmitter::on_commit(GroupCommit&& commit) {
    if (!groups_.matches(commit.group)) return;
    if (flow_.topics().target_topic(commit.topic).empty()) return;  // not mirrored
    auto it = tracked_.find(Key{commit.group, commit.topic, commit.partition});
    if (it == tracked_.end()) {
        // A deleted commit (or an expired group) of an entry never seen: nothing to do.
        if (commit.offset < 0) return;
        it = tracked_
                 .try_emplace(Key{std::move(commit.group), std::move(commit.topic),
                                  commit.partition})
                 .first;
    }
    auto& t = it->second;
    if (t.committed == commit.offset && t.metadata == commit.metadata) return;
    t.committed = commit.offset;
    t.metadata = std::move(commit.metadata);
    if (!t.due) {
        t.due = true;
        due_.push_back(&*it);
    }
}

void CheckpointEmitter::poll_with_admin() {
    auto groups = source_admin_->list_groups(10s);
    if (!groups) {
        spdlog::debug("flow '{}': listing groups on '{}' failed: {}", flow_.config().name,
                      flow_.config().source, groups.error().message());
        return;
    }
    for (const auto& g : groups.value()) {
        if (!groups_.matches(g.group_id)) continue;
        auto offsets = source_admin_->list_group_offsets(g.group_id, 10s);
        if (!offsets) continue;
        for (auto& o : offsets.value()) {
            on_commit({g.group_id, std::move(o.topic), o.partition, o.offset, std::move(o.metadata)});
        }
    }
}

void CheckpointEmitter::emit(bool all) {
    const auto now = std::chrono::steady_clock::now();
    const bool recheck = all || now >= next_recheck_;
    if (recheck) next_recheck_ = now + kRecheck;
    std::vector<Entry*> work;
    if (all) {
        work.reserve(tracked_.size());
        for (auto& e : tracked_) work.push_back(&e);
        due_.clear();
        rechecking_.clear();
    } else {
        work.swap(due_);
        if (recheck) {
            work.insert(work.end(), rechecking_.begin(), rechecking_.end());
            rechecking_.clear();
        }
    }
    GroupOffsetSync::Offsets changed;
    std::map<std::string, std::vector<std::pair<Tracked*, std::int64_t>>> to_sync;
    for (Entry* e : work) {
        Tracked& t = e->second;
        const bool listed = all || t.due || t.rechecking;
        t.due = false;
        t.rechecking = false;
        if (!listed) continue;  // in both lists: done already
        if (translate(*e, changed, to_sync)) {
            t.rechecking = true;
            rechecking_.push_back(e);
        }
    }
    if (all) {
        // Deleted commits go now, while no list points at them.
        std::erase_if(tracked_, [](const Entry& e) {
            return e.second.committed < 0 && !e.second.rechecking;
        });
        std::set<std::string_view> groups;
        for (const auto& [key, t] : tracked_) groups.insert(std::get<0>(key));
        flow_.stats().groups_tracked.store(static_cast<std::int64_t>(groups.size()),
                                           std::memory_order_relaxed);
    }
    if (changed.empty()) return;
    const auto skipped = group_sync_->sync(changed);
    for (auto& [group, entries] : to_sync) {
        if (std::find(skipped.begin(), skipped.end(), group) != skipped.end()) {
            // Active on the target, or the write failed: at the next full round.
            continue;
        }
        for (auto& [t, offset] : entries) t->synced = offset;
    }
}

bool CheckpointEmitter::translate(
    Entry& entry, GroupOffsetSync::Offsets& changed,
    std::map<std::string, std::vector<std::pair<Tracked*, std::int64_t>>>& to_sync) {
    const auto& [group, topic, partition] = entry.first;
    Tracked& t = entry.second;
    if (t.committed < 0) return false;
    const auto& flow = flow_.config();
    const auto progress = flow_.progress_ref(topic, partition);
    if (!progress || !progress->assigned.load(std::memory_order_relaxed)) return false;
    const auto tr = store_.translate(flow.name, topic, partition, SourceOffset(t.committed));
    const bool again = tr.exactness != checkpoints::Exactness::exact;
    if (tr.exactness == checkpoints::Exactness::unknown) return again;
    if (group_sync_ && t.synced != tr.offset.value()) {
        changed[group].push_back({progress->target_topic(), partition, tr.offset.value(),
                                  t.metadata});
        to_sync[group].push_back({&t, tr.offset.value()});
    }
    const std::pair<std::int64_t, std::int64_t> point{t.committed, tr.offset.value()};
    if (!flow.emit_checkpoints || t.emitted == point) return again;
    const checkpoints::Checkpoint cp{group,         progress->target_topic(), partition,
                                     SourceOffset(t.committed), tr.offset, t.metadata};
    auto encoded = checkpoints::encode(cp);
    if (!encoded) return false;  // metadata over 32767 bytes: MM2 could not write it either
    kafka::Record record{topic_, 0, std::move(encoded.value().key),
                         std::move(encoded.value().value), {}, 0};
    if (auto r = producer_->produce(record); !r) {
        if (!warned_) {
            warned_ = true;
            spdlog::warn("flow '{}': checkpoint not written to '{}': {}", flow.name, topic_,
                         r.error().message());
        }
        return true;  // try again
    }
    t.emitted = point;
    return again;
}

void CheckpointEmitter::on_delivery(kafka::DeliveryReport& report) noexcept {
    if (!report.error) {
        flow_.stats().checkpoints.fetch_add(1, std::memory_order_relaxed);
        warned_ = false;
        return;
    }
    if (!warned_) {
        warned_ = true;
        spdlog::warn("flow '{}': checkpoint to '{}' on target cluster '{}' failed: {}",
                     flow_.config().name, topic_, flow_.config().target, report.error_message);
    }
}

}  // namespace kmirror::replicator
