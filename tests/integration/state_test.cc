// The offset-range store's disk fills up while kmirror mirrors, against two
// real Kafka clusters (started once for this binary) and a real tmpfs.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "checkpoints/sqlite_db.h"  // to read the state file; checkpoints-internal
#include "kafka/admin.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/harness/prometheus.h"
#include "tests/harness/wait.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;

std::string source() { return harness::source().bootstrap(); }
std::string target() { return harness::target().bootstrap(); }

// A small tmpfs, unmounted when the test ends.
class SmallDisk {
public:
    explicit SmallDisk(const std::string& size) {
        path_ = (std::filesystem::temp_directory_path() / unique_name("state-disk")).string();
        std::filesystem::create_directories(path_);
        const auto options = "size=" + size;
        mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) == 0;
    }
    ~SmallDisk() {
        if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;

    [[nodiscard]] bool mounted() const { return mounted_; }
    [[nodiscard]] const std::string& path() const { return path_; }
    /// Writes a file until the disk has no space left.
    void fill() {
        std::ofstream out(path_ + "/filler", std::ios::binary);
        const std::string block(4096, 'x');
        while (out.write(block.data(), static_cast<std::streamsize>(block.size())) && out.flush()) {
        }
    }
    void free() { std::filesystem::remove(path_ + "/filler"); }

private:
    std::string path_;
    bool mounted_ = false;
};

// Partition 0 of `kmirror translate`.
CliTranslation translate0(const KmirrorProcess& kmirror, const std::string& flow,
                          const std::string& group) {
    auto t = translate(kmirror, flow, group);
    return t.count(0) ? t.at(0) : CliTranslation{};
}

void commit_offset(const std::string& group, const std::string& topic, std::int64_t offset) {
    commit_offsets(source(), group, topic, {{0, offset}});
}

// Where the copy of source record "id-<n>" is on the target.
std::int64_t target_offset_of(const std::map<std::int32_t, std::vector<TestRecord>>& copy, int n) {
    for (const auto& r : copy.at(0)) {
        if (r.value == "id-" + std::to_string(n)) return r.offset;
    }
    return -1;
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
}

TEST(StateDisk, AFullDiskKeepsMirroringAndTranslationConservativeNeverWrong) {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
    SmallDisk disk("1m");
    ASSERT_TRUE(disk.mounted()) << "mount tmpfs: " << std::strerror(errno);

    // given a flow whose state file lives on a small disk, with its ranges written
    const auto topic = unique_name("state-full");
    const auto group = unique_name("app");
    create_topic(source(), topic, 1);
    KmirrorProcess kmirror(flow_config(topic, source(), target(), topic) + "state: { path: \"" +
                               disk.path() + "/state.db\" }\n",
                           "state-full");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    produce(source(), numbered(topic, 1, 0, 1000));
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror." + topic, topic, 60s)) << kmirror.log();
    commit_offset(group, topic, 500);
    ASSERT_TRUE(harness::wait_until(
        [&] { return translate0(kmirror, topic, group).exactness == "exact"; }, 30s,
        "an exact translation from the state file before the disk fills"));

    // when the disk fills up while records keep coming
    disk.fill();
    produce(source(), numbered(topic, 1, 1000, 1000));
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror." + topic, topic, 60s)) << kmirror.log();
    const auto address = "127.0.0.1:" + std::to_string(kmirror.http_port());
    // (the series, not a substring: its HELP text begins with "1 while")
    ASSERT_TRUE(harness::wait_until(
        [&] { return metric_value(kmirror, "kmirror_state_write_failing") == 1.0; }, 30s,
        "kmirror_state_write_failing 1"))
        << kmirror.log();

    // then mirroring goes on, the failure is shown, counted and logged once
    const auto status = harness::http_get(address, "/status").body;
    EXPECT_TRUE(std::regex_search(status, std::regex(R"("write_failing":"[^"]+")"))) << status;
    const auto metrics = harness::http_get(address, "/metrics").body;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(metrics, m, std::regex(R"(kmirror_state_write_errors_total (\d+))")))
        << metrics;
    EXPECT_GE(std::stoi(m[1].str()), 1);
    EXPECT_EQ(count_of(kmirror.log(), "writing offset ranges failed"), 1u) << kmirror.log();

    // and a translation in the unwritten window is conservative, never ahead
    commit_offset(group, topic, 1500);
    const auto copy = read_topic(target(), "primary." + topic);
    const auto exact_1500 = target_offset_of(copy, 1500);
    ASSERT_GE(exact_1500, 0);
    const auto during = translate0(kmirror, topic, group);
    std::cout << "[ MEASURE  ] disk full: committed 1500 translates to " << during.target_offset
              << " (" << during.exactness << "); its copy is at " << exact_1500 << "; "
              << m[1].str() << " failed writes so far\n";
    EXPECT_NE(during.exactness, "exact");
    EXPECT_LE(during.target_offset, exact_1500);

    // when space comes back, everything kept in memory is written and exact again
    disk.free();
    ASSERT_TRUE(harness::wait_until(
        [&] { return metric_value(kmirror, "kmirror_state_write_failing") == 0.0; }, 30s,
        "writes succeeding again"))
        << kmirror.log();
    EXPECT_NE(kmirror.log().find("offset ranges written again"), std::string::npos);
    const auto after = translate0(kmirror, topic, group);
    EXPECT_EQ(after.exactness, "exact");
    EXPECT_EQ(after.target_offset, exact_1500);

    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(40s), 0) << kmirror.log();
    const auto t = tally(read_topic(source(), topic), read_topic(target(), "primary." + topic));
    EXPECT_EQ(t.missing, 0u);
    EXPECT_EQ(t.duplicates(), 0u);
}

// Partitions the state file holds ranges of, for `topic` (read-only, beside
// the running kmirror; topic names from unique_name() need no quoting).
int partitions_in_state_file(const std::string& path, const std::string& topic) {
    auto db = checkpoints::SqliteDb::open(path, SQLITE_OPEN_READONLY);
    if (!db) return -1;
    auto n = db.value().query_int(
        ("SELECT count(*) FROM partitions WHERE topic = '" + topic +
         "' AND EXISTS (SELECT 1 FROM offset_ranges WHERE partition_id = partitions.id)")
            .c_str());
    return n ? static_cast<int>(n.value()) : -1;
}

TEST(StateBounds, ATopicDeletedOnTheSourceIsForgottenAfterForgetAfterWhileTheOthersMirror) {
    // given a flow mirroring topics "-gone" (3 partitions) and "-kept", with
    // state.forget_after 3s
    const auto base = unique_name("forget");
    const auto gone = base + "-gone";
    const auto kept = base + "-kept";
    create_topic(source(), gone, 3);
    create_topic(source(), kept, 2);
    const auto config =
        flow_config(base, source(), target(), base + "-.*", "    refresh_interval: 500ms\n");
    KmirrorProcess kmirror(config, "forget");
    kmirror.rewrite_config(config + "state: { path: \"" + kmirror.state_path() +
                           "\", forget_after: 3s }\n");
    kmirror.start();
    ASSERT_TRUE(kmirror.wait_ready(60s)) << kmirror.log();
    produce(source(), numbered(gone, 3, 0, 300));
    produce(source(), numbered(kept, 2, 0, 200));
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror." + base, gone, 60s)) << kmirror.log();
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror." + base, kept, 60s)) << kmirror.log();
    const auto address = "127.0.0.1:" + std::to_string(kmirror.http_port());
    const std::string gone_label = "topic=\"" + gone + "\"";
    ASSERT_TRUE(harness::wait_until(
        [&] { return partitions_in_state_file(kmirror.state_path(), gone) == 3; }, 30s,
        "the ranges of all 3 partitions of the topic in the state file"));
    ASSERT_NE(harness::http_get(address, "/metrics").body.find(gone_label), std::string::npos);

    // when the topic is deleted on the source
    const auto deleted_at = std::chrono::steady_clock::now();  // the call started: no earlier
    {
        kafka::Admin admin(settings_for("test", source()));
        const auto deleted = admin.delete_topics({gone}, 30s);
        ASSERT_EQ(deleted.size(), 1u);
        ASSERT_FALSE(deleted[0].error) << deleted[0].message;
    }

    // then after forget_after it is gone from the log's account, the state
    // file, /status and /metrics...
    ASSERT_TRUE(harness::wait_until(
        [&] { return kmirror.log().find("topic '" + gone + "' not mirrored for 3 s: forgot its "
                                        "state (3 partition(s)") != std::string::npos; },
        60s, "kmirror forgetting the deleted topic"))
        << kmirror.log();
    const auto forgotten_after = std::chrono::steady_clock::now() - deleted_at;
    EXPECT_GE(forgotten_after, 3s);
    ASSERT_TRUE(harness::wait_until(
        [&] { return partitions_in_state_file(kmirror.state_path(), gone) == 0; }, 30s,
        "no ranges of the deleted topic in the state file"));
    // (each answer checked for the other topic first: an empty or failed
    // answer holds no deleted topic either)
    const auto flows = status_flows(kmirror);
    ASSERT_TRUE(flows && flows->contains(base)) << harness::http_get(address, "/status").body;
    const auto& listed = flows->at(base).partitions;
    const auto lists = [&](const std::string& topic) {
        return std::any_of(listed.begin(), listed.end(),
                           [&](const auto& tp) { return tp.first == topic; });
    };
    EXPECT_TRUE(lists(kept)) << harness::http_get(address, "/status").body;
    EXPECT_FALSE(lists(gone)) << harness::http_get(address, "/status").body;
    const auto metrics = harness::http_get(address, "/metrics");
    ASSERT_TRUE(metrics.ok()) << metrics.status << " " << metrics.error;
    EXPECT_NE(metrics.body.find("topic=\"" + kept + "\""), std::string::npos) << metrics.body;
    EXPECT_EQ(metrics.body.find(gone_label), std::string::npos) << metrics.body;
    std::cout << "[ MEASURE  ] deleted topic forgotten "
              << std::chrono::duration_cast<std::chrono::milliseconds>(forgotten_after).count()
              << " ms after its deletion (forget_after 3s, refresh_interval 500ms)\n";

    // ...while the other topic kept its state and goes on mirroring
    EXPECT_EQ(partitions_in_state_file(kmirror.state_path(), kept), 2);
    produce(source(), numbered(kept, 2, 200, 200));
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror." + base, kept, 60s)) << kmirror.log();
    kmirror.signal(SIGTERM);
    EXPECT_EQ(kmirror.wait_exit(40s), 0) << kmirror.log();
    const auto t = tally(read_topic(source(), kept), read_topic(target(), "primary." + kept));
    EXPECT_EQ(t.missing, 0u);
    EXPECT_EQ(t.duplicates(), 0u);
    EXPECT_EQ(t.out_of_order, 0u);
}

}  // namespace
}  // namespace kmirror::test
