// Flow, part 2: start marks (checkpoints/start_mark.h, issue 21).
//
// A session of a partition that begins where the store knows nothing (no
// rows, or past all of them) gets a mark: the offset it consumes from, and
// the target's high watermark before it produced anything. The watermarks
// are asked on the admin thread (never a worker's: a target that is down
// would hold it for seconds); a session that records a record before the
// answer is in gives up its mark, since that record may already be below the
// high watermark read.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <map>
#include <utility>

#include "replicator/flow.h"

namespace kmirror::replicator {
namespace {

using namespace std::chrono_literals;

using Offsets = std::map<std::pair<std::string, std::int32_t>, std::int64_t>;

Offsets index(const std::vector<kafka::TopicPartitionOffset>& offsets) {
    Offsets out;
    for (const auto& o : offsets) {
        if (o.offset >= 0) out[{o.topic, o.partition}] = o.offset;
    }
    return out;
}

std::optional<std::int64_t> find(const Offsets& offsets, const std::string& topic,
                                 std::int32_t partition) {
    const auto it = offsets.find({topic, partition});
    return it == offsets.end() ? std::nullopt : std::optional(it->second);
}

}  // namespace

void Flow::request_start_marks() {
    if (!ranges_ || stopping_.load() || start_marks_requested_.exchange(true)) return;
    boost::asio::post(admin_io_, [this] {
        start_marks_requested_.store(false);
        if (!stopping_.load()) take_start_marks();
    });
}

void Flow::take_start_marks() {
    if (!ranges_) return;
    struct Wanted {
        std::shared_ptr<PartitionProgress> progress;
        PartitionProgress::Session session;
    };
    std::vector<Wanted> wanted;
    std::vector<kafka::TopicPartition> on_source;
    std::vector<kafka::TopicPartition> on_target;
    for (auto& p : partitions()) {
        if (!p->assigned.load()) continue;
        const auto session = p->session();
        if (!session.wants_mark) continue;
        if (session.recorded > 0) {
            p->start_mark_done(session.id);  // too late for this session
            continue;
        }
        on_source.push_back({p->source_topic(), p->partition()});
        on_target.push_back({p->target_topic(), p->partition()});
        wanted.push_back({std::move(p), session});
    }
    if (wanted.empty()) return;
    // Partitions left out of an answer (a leader away, a target partition
    // not created yet) are tried again at the next tick. Short timeouts, and
    // no more requests once a cluster did not answer: the admin thread's
    // other timers wait meanwhile.
    const auto source_low = index(source_admin_->earliest_offsets(on_source, 2s));
    if (source_low.empty()) return;
    const auto target_low = index(target_admin_->earliest_offsets(on_target, 2s));
    if (target_low.empty()) return;
    const auto target_high = index(target_admin_->latest_offsets(on_target, 2s));
    std::size_t taken = 0;
    for (const auto& [p, before] : wanted) {
        const auto& topic = p->source_topic();
        const auto low = find(source_low, topic, p->partition());
        const auto tlow = find(target_low, p->target_topic(), p->partition());
        const auto high = find(target_high, p->target_topic(), p->partition());
        if (!low || !tlow || !high) continue;
        if (before.start && before.start->value() < *low) {
            // Its position was deleted before it was mirrored: the data-loss
            // handling repositions it (a new session) or stops it.
            p->start_mark_done(before.id);
            continue;
        }
        // No start: the consumer resolves "beginning", at or past `low`.
        const SourceOffset start = before.start.value_or(SourceOffset(*low));
        if (!ranges_->wants_start_mark(flow_.name, topic, p->partition(), start,
                                       TargetOffset(*high))) {
            p->start_mark_done(before.id);
            continue;
        }
        // Nothing recorded before the high watermark came back: nothing of
        // this session can be below it.
        const auto after = p->session();
        if (after.id != before.id) continue;  // a new session: at the next tick
        if (after.recorded > 0) {
            p->start_mark_done(before.id);
            continue;
        }
        ranges_->set_start_mark(flow_.name, topic, p->partition(),
                                {start, TargetOffset(*high), TargetOffset(std::min(*tlow, *high))});
        p->start_mark_done(before.id);
        ++taken;
    }
    if (taken > 0) {
        spdlog::debug("flow '{}': start marks taken for {} partition(s)", flow_.name, taken);
    }
}

}  // namespace kmirror::replicator
