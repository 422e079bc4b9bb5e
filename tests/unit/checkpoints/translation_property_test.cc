// Randomized property test of offset translation (DESIGN.md invariant 3).
//
// Each scenario simulates a mirror of one source partition:
//
//   source  0 1 2 . 4 5 . . 8 9 ...          existing records, with gaps
//           (compaction, control records)
//   sessions copy the existing records in order from where they resume:
//   target  [ session 1 ........ ][crash tail][ session 2 (resumed earlier
//           or later) ....... ][M][ session 3 ...
//   - a session may die before its last records are flushed: that tail is in
//     the target but never recorded (a hole);
//   - transaction markers (M) take a target offset and hold no record;
//   - the next session resumes anywhere from its previous resume point up
//     to one past the last record copied (a source commit is never ahead of
//     the target), which duplicates records when it is behind.
//
// At random moments, for every committed offset C around the known span:
//   1. never skip a known record: every recorded copy with source >= C is at
//      or after T;
//   2. never skip a record at all: every source offset >= C present in the
//      target has a copy at or after T (this includes unrecorded crash tails);
//   3. `rereads` is the number of recorded copies at or after T below C;
//   4. exact => no record at or after T (recorded or not) is below C, unless
//      a whole session died before its first flush (the store never saw it);
//   5. unknown <=> nothing recorded, or C below every recorded source offset;
//   6. a store re-read from its rows (PartitionRanges::assign) answers the same.
// With start marks (a session that starts where the rows say nothing takes
// one, as Flow does: {resume, target end, target low watermark}), 1 to 4 and
// 6 hold as they are, and 5 becomes: where the rows know nothing, the answer
// is unknown or the mark's target offset, for C at or past the mark.
// With a row budget (PartitionRanges::coalesce, applied after every record),
// 1, 2, 4, 5 and 6 hold as they are and 3 becomes an upper bound: `rereads`
// is at least the number of recorded copies at or after T below C. Each
// coalesced row holds exactly the recorded copies in its target span, in
// source order, inside its source span.
// Between sessions, retention may delete the oldest target records: the store
// is pruned to the new low watermark and the checks apply to what is left.
// A simple history (one session, no crash, no marker) must be exact for every
// C in [first, last + 1].

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "checkpoints/partition_ranges.h"

namespace kmirror::checkpoints {
namespace {

struct TargetSlot {
    std::optional<std::int64_t> source;  // nullopt: a transaction marker
    bool recorded = false;
};

struct Mirror {
    std::vector<TargetSlot> target;
    PartitionRanges ranges;
    // A session died before its first flush: the store cannot see its
    // records at all, so it may hold rereads that `exact` does not know of.
    bool invisible_session = false;
    std::int64_t low_watermark = 0;  // target records below it were deleted (retention)
    std::size_t budget = 0;          // rows kept before coalescing; 0: never coalesced
};

// The history, for failure messages: rows, then the target log as
// offset:source (* = recorded, M = marker).
std::string describe(const Mirror& m) {
    std::ostringstream out;
    out << "\nrows:";
    for (const auto& r : m.ranges.rows()) {
        out << " [" << r.source_start << ".." << r.source_end() - 1 << "]->" << r.target_start;
        if (r.coalesced()) out << "(" << r.length << " records)";
    }
    out << "\ntarget:";
    for (std::size_t t = 0; t < m.target.size(); ++t) {
        const auto& slot = m.target[t];
        out << ' ' << t << ':';
        if (slot.source) {
            out << *slot.source << (slot.recorded ? "*" : "");
        } else {
            out << 'M';
        }
    }
    return out.str();
}

// Checks made on a store holding coalesced rows: the coalescing scenarios
// must reach them, or they prove nothing.
int coarse_checks = 0;
// Answers only a start mark could give (the rows know nothing there): the
// scenarios with marks must reach them.
int mark_answers = 0;

void check_every_committed_offset(const Mirror& m, std::int64_t lo, std::int64_t hi,
                                  const std::string& context) {
    // What the store knows: the (source, target) pairs of its rows. Before any
    // prune they are exactly the recorded slots.
    std::vector<std::pair<std::int64_t, std::int64_t>> known;  // (source, target)
    const auto& rows = m.ranges.rows();
    const bool coarse = std::any_of(rows.begin(), rows.end(),
                                    [](const RangeRow& r) { return r.coalesced(); });
    if (coarse) ++coarse_checks;
    for (const auto& r : rows) {
        if (!coarse) {
            for (std::int64_t i = 0; i < r.length; ++i) {
                known.emplace_back(r.source_start.value() + i, r.target_start.value() + i);
            }
            continue;
        }
        // A row stands for the recorded copies in its target span.
        std::int64_t records = 0;
        std::int64_t previous = -1;
        for (auto t = r.target_start.value(); t < r.target_end().value(); ++t) {
            const auto& slot = m.target[static_cast<std::size_t>(t)];
            ASSERT_TRUE(slot.source && slot.recorded) << context << " row at " << t << describe(m);
            ASSERT_GE(*slot.source, r.source_start.value()) << context << describe(m);
            ASSERT_LT(*slot.source, r.source_end().value()) << context << describe(m);
            ASSERT_GT(*slot.source, previous) << context << describe(m);
            previous = *slot.source;
            known.emplace_back(*slot.source, t);
            ++records;
        }
        ASSERT_EQ(records, r.length) << context << describe(m);
    }
    if (m.low_watermark == 0) {
        std::size_t recorded = 0;
        for (std::size_t t = 0; t < m.target.size(); ++t) {
            const auto& slot = m.target[t];
            if (!slot.source || !slot.recorded) continue;
            ASSERT_LT(recorded, known.size()) << context << describe(m);
            ASSERT_EQ(known[recorded], std::make_pair(*slot.source, static_cast<std::int64_t>(t)))
                << context << describe(m);
            ++recorded;
        }
        ASSERT_EQ(recorded, known.size()) << context << describe(m);
    }
    std::optional<std::int64_t> min_known;
    for (const auto& [src, tgt] : known) min_known = std::min(min_known.value_or(src), src);
    // What the target holds: slots at or above its low watermark.
    std::map<std::int64_t, std::int64_t> last_copy;  // source -> highest target offset
    for (auto t = static_cast<std::size_t>(m.low_watermark); t < m.target.size(); ++t) {
        if (m.target[t].source) last_copy[*m.target[t].source] = static_cast<std::int64_t>(t);
    }
    PartitionRanges reloaded;
    ASSERT_TRUE(reloaded.assign(m.ranges.rows()));
    const auto& mark = m.ranges.start_mark();
    if (mark) reloaded.set_start_mark(*mark);

    for (std::int64_t c = lo; c <= hi; ++c) {
        const SourceOffset committed(c);
        const Translation tr = m.ranges.translate(committed);
        ASSERT_EQ(reloaded.translate(committed), tr) << context << " C=" << c << " (reloaded)" << describe(m);
        if (!min_known || c < *min_known) {
            if (tr.exactness == Exactness::unknown) {
                ASSERT_EQ(tr.offset, TargetOffset(-1)) << context << " C=" << c;
                continue;
            }
            ASSERT_TRUE(mark && c >= mark->source.value() && tr.offset == mark->target)
                << context << " C=" << c << describe(m);
            ++mark_answers;
        }
        ASSERT_NE(tr.exactness, Exactness::unknown) << context << " C=" << c;
        const std::int64_t at = tr.offset.value();
        ASSERT_GE(at, 0) << context << " C=" << c;
        ASSERT_LE(at, static_cast<std::int64_t>(m.target.size())) << context << " C=" << c;

        // 1. and 3.: over what the store knows
        std::int64_t known_rereads = 0;
        for (const auto& [src, tgt] : known) {
            if (src >= c) {
                ASSERT_GE(tgt, at) << context << " C=" << c << ": skips known copy of " << src
                                   << " at " << tgt << describe(m);
            } else if (tgt >= at) {
                ++known_rereads;
            }
        }
        if (coarse) {
            ASSERT_GE(tr.rereads, known_rereads) << context << " C=" << c << describe(m);
        } else {
            ASSERT_EQ(tr.rereads, known_rereads) << context << " C=" << c << describe(m);
        }
        // 2.: over what the target holds
        for (auto it = last_copy.lower_bound(c); it != last_copy.end(); ++it) {
            ASSERT_GE(it->second, at) << context << " C=" << c << ": every copy of " << it->first
                                      << " is before " << at << describe(m);
        }
        // 4.
        if (tr.exactness == Exactness::exact && !m.invisible_session) {
            for (auto t = static_cast<std::size_t>(std::max(at, m.low_watermark));
                 t < m.target.size(); ++t) {
                const auto& source = m.target[t].source;
                ASSERT_FALSE(source && *source < c)
                    << context << " C=" << c << ": exact at " << at << " but " << t << " holds "
                    << *source << describe(m);
            }
        }
    }
}

struct Scenario {
    std::uint32_t seed;
    bool simple;  // one session, no crash, no marker
    bool coalesce = false;
    bool marks = false;  // sessions take start marks
};

void run(const Scenario& scenario) {
    std::mt19937 rng(scenario.seed);
    auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };
    auto uniform = [&](std::int64_t a, std::int64_t b) {
        return std::uniform_int_distribution<std::int64_t>(a, b)(rng);
    };
    const std::string context = "seed " + std::to_string(scenario.seed);

    // The source partition: which offsets exist.
    const std::int64_t size = uniform(20, 160);
    const double density = std::uniform_real_distribution<double>(0.4, 1.0)(rng);
    std::vector<std::int64_t> existing;
    for (std::int64_t o = 0; o < size; ++o) {
        if (chance(density)) existing.push_back(o);
    }
    if (existing.empty()) existing.push_back(0);

    Mirror m;
    if (scenario.coalesce) m.budget = static_cast<std::size_t>(uniform(1, 12));
    const int sessions = scenario.simple ? 1 : static_cast<int>(uniform(1, 6));
    const double marker_rate =
        scenario.simple ? 0.0 : std::uniform_real_distribution<double>(0, 0.2)(rng);
    const double check_rate = 0.03;
    std::int64_t resume = existing.front() + uniform(0, 3);
    bool anything_recorded = false;
    for (int s = 0; s < sessions; ++s) {
        if (scenario.marks) {
            // (taken before the session produced anything)
            const TargetOffset end(static_cast<std::int64_t>(m.target.size()));
            if (m.ranges.wants_start_mark(SourceOffset(resume), end) && chance(0.8)) {
                m.ranges.set_start_mark(
                    {SourceOffset(resume), end, std::min(TargetOffset(m.low_watermark), end)});
            }
        }
        auto first = std::lower_bound(existing.begin(), existing.end(), resume);
        if (first == existing.end()) {
            if (scenario.marks) {
                check_every_committed_offset(m, -2, size + 2, context + " nothing left to copy");
            }
            break;
        }
        const auto available = std::distance(first, existing.end());
        const auto copies =
            scenario.simple ? available : uniform(1, std::min<std::int64_t>(available, 80));
        // A crash loses the unflushed tail of the session. The store cannot
        // see behind its first row (partition_ranges.h "Limit"), so the first
        // flushed session keeps at least one record.
        std::int64_t tail = 0;
        if (!scenario.simple && chance(0.5)) {
            tail = uniform(0, anything_recorded ? copies : copies - 1);
        }
        if (tail == copies) m.invisible_session = true;
        std::int64_t last_copied = resume;
        for (std::int64_t i = 0; i < copies; ++i) {
            if (chance(marker_rate)) m.target.push_back({std::nullopt, false});
            const std::int64_t src = *(first + i);
            const bool recorded = i < copies - tail;
            const auto tgt = static_cast<std::int64_t>(m.target.size());
            m.target.push_back({src, recorded});
            if (recorded) {
                m.ranges.record(SourceOffset(src), TargetOffset(tgt));
                if (m.budget > 0) m.ranges.coalesce(m.budget);
                anything_recorded = true;
            }
            last_copied = src;
            if (chance(check_rate)) {
                check_every_committed_offset(m, -2, size + 2,
                                             context + " session " + std::to_string(s));
                if (::testing::Test::HasFatalFailure()) return;
            }
        }
        check_every_committed_offset(m, -2, size + 2,
                                     context + " end of session " + std::to_string(s));
        if (::testing::Test::HasFatalFailure()) return;
        if (!scenario.simple && chance(0.3)) {
            m.low_watermark = uniform(m.low_watermark, static_cast<std::int64_t>(m.target.size()));
            m.ranges.prune(TargetOffset(m.low_watermark));
            check_every_committed_offset(m, -2, size + 2,
                                         context + " pruned to " + std::to_string(m.low_watermark));
            if (::testing::Test::HasFatalFailure()) return;
        }
        // The next session resumes at its committed offset: not before the
        // previous resume point, not after the last record copied.
        resume = uniform(resume, last_copied + 1);
    }

    if (scenario.simple) {
        const auto& rows = m.ranges.rows();
        ASSERT_FALSE(rows.empty());
        for (std::int64_t c = rows.front().source_start.value();
             c <= rows.back().source_end().value(); ++c) {
            ASSERT_EQ(m.ranges.translate(SourceOffset(c)).exactness, Exactness::exact)
                << context << " simple history, C=" << c;
        }
    }
}

TEST(TranslationProperty, NeverSkipsARecordAcrossGapsRestartsCrashesAndMarkers) {
    // KMIRROR_PROPERTY_SEEDS=100000 for a longer run.
    const char* env = std::getenv("KMIRROR_PROPERTY_SEEDS");
    const std::uint32_t seeds = env != nullptr ? static_cast<std::uint32_t>(std::stoul(env)) : 300;
    for (std::uint32_t seed = 1; seed <= seeds; ++seed) {
        run({.seed = seed, .simple = false});
        if (HasFatalFailure()) return;
    }
}

TEST(TranslationProperty, CoalescedRowsNeverSkipARecordAndBoundTheirRereads) {
    const char* env = std::getenv("KMIRROR_PROPERTY_SEEDS");
    const std::uint32_t seeds = env != nullptr ? static_cast<std::uint32_t>(std::stoul(env)) : 300;
    for (std::uint32_t seed = 1; seed <= seeds; ++seed) {
        run({.seed = seed, .simple = false, .coalesce = true});
        if (HasFatalFailure()) return;
    }
    EXPECT_GT(coarse_checks, static_cast<int>(seeds)) << "too few histories reached coalescing";
}

TEST(TranslationProperty, StartMarksNeverSkipARecord) {
    const char* env = std::getenv("KMIRROR_PROPERTY_SEEDS");
    const std::uint32_t seeds = env != nullptr ? static_cast<std::uint32_t>(std::stoul(env)) : 300;
    for (std::uint32_t seed = 1; seed <= seeds; ++seed) {
        run({.seed = seed, .simple = false, .coalesce = seed % 3 == 0, .marks = true});
        if (HasFatalFailure()) return;
    }
    EXPECT_GT(mark_answers, static_cast<int>(seeds)) << "too few answers came from a mark";
}

TEST(TranslationProperty, ASimpleHistoryTranslatesEveryOffsetExactly) {
    for (std::uint32_t seed = 1; seed <= 50; ++seed) {
        run({.seed = seed, .simple = true});
        if (HasFatalFailure()) return;
    }
}

}  // namespace
}  // namespace kmirror::checkpoints
