#pragma once
// Helpers shared by the integration tests: topics, records, reading a whole
// topic back, and the kmirror binary as a child process.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checkpoints/mm2_records.h"
#include "kafka/admin.h"
#include "kafka/producer.h"

namespace kmirror::test {

/// The kmirror binary the tests run: KMIRROR_TEST_BINARY if set (to show a
/// test fails against another build), else the one built with the tests.
const char* kmirror_binary();

/// A deadline `d` from now, stretched by KMIRROR_TEST_TIMEOUT_SCALE.
std::chrono::steady_clock::time_point deadline_in(std::chrono::milliseconds d);
/// Seconds from `start` to now, for MEASURE lines.
double seconds_since(std::chrono::steady_clock::time_point start);
/// Fails the test (non-fatally) when more than `limit` passed since `start`.
/// NOT stretched by KMIRROR_TEST_TIMEOUT_SCALE: for limits that are a promise
/// of the product or a bound outside it (a refused password named within
/// 30 s, systemd's stop timeout, Kafka's session timeout), which a loaded
/// machine does not move. Waits before it may be scaled; this is the check.
void expect_within(std::chrono::steady_clock::time_point start, std::chrono::milliseconds limit,
                   const std::string& what);
/// A name no other test (or test binary) uses: base-<pid>-<n>.
std::string unique_name(const std::string& base);

kafka::ClientSettings settings_for(const std::string& alias, const std::string& bootstrap);

/// What a consumer of the target sees of one record.
struct TestRecord {
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<std::pair<std::string, std::optional<std::string>>> headers;
    std::int64_t timestamp = 0;
    /// Same content (offsets may differ between source and target).
    [[nodiscard]] bool same_content(const TestRecord& o) const {
        return partition == o.partition && key == o.key && value == o.value &&
               headers == o.headers && timestamp == o.timestamp;
    }
};

void create_topic(const std::string& bootstrap, const std::string& topic, int partitions,
                  const std::map<std::string, std::string>& configs = {});
/// Records numbered from..from+n-1: key "k<i>", value "id-<i>" (padded with
/// 'x' to `value_size` bytes), partition i % partitions. Values are unique,
/// so tally() can tell copies apart.
std::vector<kafka::Record> numbered(const std::string& topic, int partitions, int from, int n,
                                    std::size_t value_size = 0);
/// Produces and waits until every record is acknowledged (fails the test if not).
void produce(const std::string& bootstrap, const std::vector<kafka::Record>& records);
/// Partition count of a topic, 0 if it does not exist.
int partition_count(const std::string& bootstrap, const std::string& topic);
/// Every record now in the topic (from the low to the high watermark), by partition.
std::map<std::int32_t, std::vector<TestRecord>> read_topic(const std::string& bootstrap,
                                                           const std::string& topic);
std::size_t count(const std::map<std::int32_t, std::vector<TestRecord>>& records);
/// Every record of `from` is in `to`: same partition, same order, same content
/// (key, value, headers, timestamp). Fails the test at the first difference.
void expect_same_records(const std::map<std::int32_t, std::vector<TestRecord>>& from,
                         const std::map<std::int32_t, std::vector<TestRecord>>& to);
/// Source and target compared by record identity (the value), partition by
/// partition: what at-least-once delivery may duplicate but never lose.
struct Tally {
    std::size_t total = 0;         ///< records on the target
    std::size_t distinct = 0;      ///< distinct values on the target
    std::size_t missing = 0;       ///< source records not on the target
    std::size_t out_of_order = 0;  ///< partitions whose first copies are not in source order
    [[nodiscard]] std::size_t duplicates() const { return total - distinct; }
};
Tally tally(const std::map<std::int32_t, std::vector<TestRecord>>& source_records,
            const std::map<std::int32_t, std::vector<TestRecord>>& target_records);
/// Waits until the topic holds at least `n` records in all: a sum over its
/// partitions, for "something arrived". Before comparing a snapshot, wait
/// with wait_for_records_per_partition(): in a sum, a duplicate in one
/// partition can make up for a record still missing in another.
bool wait_for_records(const std::string& bootstrap, const std::string& topic, std::size_t n,
                      std::chrono::milliseconds timeout);
/// How many of `records` go to each partition.
std::map<std::int32_t, std::size_t> records_per_partition(
    const std::vector<kafka::Record>& records);
/// Waits until every partition p in `counts` of the topic holds at least
/// counts[p] records (high - low watermark; a partition not there yet holds none).
bool wait_for_records_per_partition(const std::string& bootstrap, const std::string& topic,
                                    const std::map<std::int32_t, std::size_t>& counts,
                                    std::chrono::milliseconds timeout);
/// Waits until group `group` committed the end of every partition of `topic`
/// on that cluster: everything written so far was mirrored and acknowledged.
bool wait_for_commits_at_end(const std::string& bootstrap, const std::string& group,
                             const std::string& topic, std::chrono::milliseconds timeout);
/// The low watermark of a partition.
std::int64_t low_watermark(const std::string& bootstrap, const std::string& topic,
                           std::int32_t partition);
std::map<std::string, std::string> topic_configs(const std::string& bootstrap,
                                                 const std::string& topic);

/// A flow config for two clusters; `extra_flow` is appended to the flow (YAML
/// lines indented by 4 spaces).
std::string flow_config(const std::string& flow_name, const std::string& source_bootstrap,
                        const std::string& target_bootstrap, const std::string& include,
                        const std::string& extra_flow = "");

/// kmirror run -c <config>, as a child process with its output in a file.
class KmirrorProcess {
public:
    KmirrorProcess(const std::string& config_yaml, const std::string& name);
    ~KmirrorProcess();
    KmirrorProcess(const KmirrorProcess&) = delete;
    KmirrorProcess& operator=(const KmirrorProcess&) = delete;

    /// Extra arguments after `run -c FILE` (e.g. --fail-fast), from the next start().
    void add_run_argument(std::string arg) { run_arguments_.push_back(std::move(arg)); }
    /// An environment variable for the process (e.g. a password for ${env:...}).
    void set_env(std::string name, std::string value) {
        env_.emplace_back(std::move(name), std::move(value));
    }
    void start();
    /// Replaces the config file (for a SIGHUP reload or the next start).
    void rewrite_config(const std::string& config_yaml);
    /// Waits for "kmirror ready" in the log.
    bool wait_ready(std::chrono::milliseconds timeout);
    void signal(int signo);
    /// Exit code, or -1 if it did not exit in time; a signal death is 128+signo.
    int wait_exit(std::chrono::milliseconds timeout);
    [[nodiscard]] bool running();
    [[nodiscard]] std::string log() const;
    /// The process id of the latest run (-1 when not running).
    [[nodiscard]] pid_t pid() const { return pid_; }
    /// The HTTP port of the latest run (configs use port 0), 0 if unknown.
    [[nodiscard]] int http_port() const;
    /// The offset-range store of this kmirror (state.path).
    [[nodiscard]] std::string state_path() const { return dir_ + "/state.db"; }
    /// The config file it runs with (for `kmirror translate -c ...`).
    [[nodiscard]] const std::string& config_path() const { return config_path_; }

private:
    /// Collects the exit status if the child ended; its exit code or -1.
    int reap(bool block);

    std::string dir_;
    std::string config_path_;
    std::string log_path_;
    std::vector<std::string> run_arguments_;
    std::vector<std::pair<std::string, std::string>> env_;
    pid_t pid_ = -1;
    int runs_ = 0;
    int exit_code_ = -1;
};

/// The HTTP port in a kmirror log: that of its last "... (port N)" line
/// ("http on ...", "kmirror ready: ..."), i.e. of the latest run; 0 if none.
int http_port_in(const std::string& log);

/// The value of one series (name and labels, e.g. `kmirror_records_total{...}`)
/// in a /metrics text; nullopt when absent. Matches whole series only, never
/// a HELP line that mentions it.
std::optional<double> series_in(const std::string& metrics, const std::string& series);
/// The value of one series of `kmirror`'s /metrics, e.g.
/// `kmirror_partitions_stopped{flow="f"}`; nullopt when absent or unreachable.
std::optional<double> metric_value(const KmirrorProcess& kmirror, const std::string& series);

/// What /status says of one flow (the fields tests check).
struct FlowStatus {
    std::string name;
    bool ready = false;
    std::int64_t assigned_partitions = -1;
    /// (source topic, partition) of every partition listed.
    std::vector<std::pair<std::string, std::int32_t>> partitions;
};
/// kmirror's /status, parsed, by flow name; nullopt (never an empty map) when
/// the request failed or the body is not the JSON expected.
std::optional<std::map<std::string, FlowStatus>> status_flows(const KmirrorProcess& kmirror);

/// The newest checkpoint of `group` per partition in MM2's checkpoints topic
/// `<source_alias>.checkpoints.internal` on the cluster at `target_bootstrap`,
/// decoded with kmirror's MM2 codec (empty while there is none).
std::map<std::int32_t, checkpoints::Checkpoint> read_checkpoints(
    const std::string& target_bootstrap, const std::string& source_alias,
    const std::string& group);

/// Runs the kmirror binary to completion: exit code and combined output.
std::pair<int, std::string> run_kmirror(const std::vector<std::string>& args);

/// Commits `offsets` for `group` on `bootstrap` without reading: a consumer
/// application's progress, for translation tests.
void commit_offsets(const std::string& bootstrap, const std::string& group,
                    const std::string& topic, const std::map<std::int32_t, std::int64_t>& offsets);

/// One partition of `kmirror translate --format json`.
struct CliTranslation {
    std::int64_t target_offset = -1;
    std::string exactness;
    std::int64_t rereads = 0;
};

/// `kmirror translate -c <its config> --flow F --group G --format json`, by
/// partition (empty, with a test failure, when the command fails); with
/// `state_paths`, translated from those state files (`--state`) together.
std::map<std::int32_t, CliTranslation> translate(const KmirrorProcess& kmirror,
                                                 const std::string& flow,
                                                 const std::string& group,
                                                 const std::vector<std::string>& state_paths = {});

}  // namespace kmirror::test
