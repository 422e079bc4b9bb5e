#include "tests/integration/mirror_fixture.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "kafka/consumer.h"
#include "kafka/error.h"
#include "kafka/partition_reader.h"
#include "tests/harness/command.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/harness/prometheus.h"
#include "tests/harness/wait.h"

extern "C" char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for execve

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;

std::optional<std::string> as_string(const std::optional<kafka::Bytes>& b) {
    if (!b) return std::nullopt;
    return std::string(kafka::as_chars(*b));
}

// Counts acknowledgements of produce() calls.
class CountingHandler : public kafka::DeliveryHandler {
public:
    void on_delivery(kafka::DeliveryReport& r) noexcept override {
        if (r.error) {
            failed.fetch_add(1);
        } else {
            ok.fetch_add(1);
        }
    }
    std::atomic<std::size_t> ok{0};
    std::atomic<std::size_t> failed{0};
};

// KMIRROR_TEST_LOG_LEVEL=debug makes the kmirror processes of a test verbose.
std::string log_level() {
    const char* s = std::getenv("KMIRROR_TEST_LOG_LEVEL");
    return s ? s : "info";
}

}  // namespace

const char* kmirror_binary() {
    const char* other = std::getenv("KMIRROR_TEST_BINARY");
    return other && *other ? other : KMIRROR_BINARY;
}

std::chrono::steady_clock::time_point deadline_in(std::chrono::milliseconds d) {
    return std::chrono::steady_clock::now() + harness::scaled(d);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void expect_within(std::chrono::steady_clock::time_point start, std::chrono::milliseconds limit,
                   const std::string& what) {
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    EXPECT_LE(took, limit) << what << ": took " << took.count() << " ms, more than "
                           << limit.count() << " ms (a real bound, not scaled)";
}

std::string unique_name(const std::string& base) {
    static std::atomic<int> n{0};
    return base + "-" + std::to_string(::getpid()) + "-" + std::to_string(n.fetch_add(1));
}

kafka::ClientSettings settings_for(const std::string& alias, const std::string& bootstrap) {
    kafka::ClientSettings settings{alias, bootstrap, {}};
    // A secured harness cluster: its admin user's credentials.
    for (auto& [k, v] : harness::client_properties_for(bootstrap)) {
        settings.properties.push_back({k, v, "test"});
    }
    return settings;
}

void create_topic(const std::string& bootstrap, const std::string& topic, int partitions,
                  const std::map<std::string, std::string>& configs) {
    kafka::Admin admin(settings_for("test", bootstrap));
    auto res = admin.create_topics({{topic, partitions, 1, configs}}, 30s);
    ASSERT_EQ(res.size(), 1u);
    ASSERT_FALSE(res[0].error) << "create " << topic << ": " << res[0].message;
}

void produce(const std::string& bootstrap, const std::vector<kafka::Record>& records) {
    CountingHandler handler;
    kafka::Producer producer(settings_for("test", bootstrap),
                             {{"enable.idempotence", "true"}, {"linger.ms", "20"}}, &handler);
    for (const auto& r : records) {
        while (true) {
            auto res = producer.produce(r);
            if (res) break;
            ASSERT_EQ(res.error(), kafka::make_error(RD_KAFKA_RESP_ERR__QUEUE_FULL))
                << res.error().message();
            producer.poll(100ms);
        }
        producer.poll(0ms);
    }
    ASSERT_TRUE(producer.flush(60s)) << "records not acknowledged within 60 s";
    ASSERT_EQ(handler.failed.load(), 0u);
    ASSERT_EQ(handler.ok.load(), records.size());
}

int partition_count(const std::string& bootstrap, const std::string& topic) {
    kafka::Admin admin(settings_for("test", bootstrap));
    auto md = admin.metadata(10s);
    if (!md) return 0;
    for (const auto& t : md.value().topics) {
        if (t.name == topic) return t.partitions;
    }
    return 0;
}

std::map<std::int32_t, std::vector<TestRecord>> read_topic(const std::string& bootstrap,
                                                           const std::string& topic) {
    std::map<std::int32_t, std::vector<TestRecord>> out;
    const int partitions = partition_count(bootstrap, topic);
    if (partitions == 0) return out;
    kafka::Consumer consumer(settings_for("test", bootstrap),
                             {{"group.id", unique_name("reader")},
                              {"enable.auto.commit", "false"},
                              {"enable.partition.eof", "false"},
                              {"isolation.level", "read_committed"}});
    std::vector<kafka::TopicPartitionOffset> assignment;
    std::map<std::int32_t, std::int64_t> high;
    for (std::int32_t p = 0; p < partitions; ++p) {
        // A topic just created may have no leader for a moment ("Not leader
        // for partition"), and a loaded machine can time out: retry briefly.
        auto marks = consumer.watermarks(topic, p, 10s);
        for (const auto until = deadline_in(30s);
             !marks && std::chrono::steady_clock::now() < until;) {
            std::this_thread::sleep_for(200ms);
            marks = consumer.watermarks(topic, p, 10s);
        }
        if (!marks) {
            ADD_FAILURE() << "watermarks of " << topic << "[" << p << "]: " << marks.error().message();
            return out;
        }
        out[p];
        if (marks.value().second > marks.value().first) {
            high[p] = marks.value().second;
            assignment.push_back({topic, p, marks.value().first});
        }
    }
    if (assignment.empty()) return out;
    EXPECT_TRUE(consumer.assign(assignment));
    const auto deadline = deadline_in(120s);
    while (!high.empty() && std::chrono::steady_clock::now() < deadline) {
        auto m = consumer.poll(200ms);
        if (!m) continue;
        if (m.error()) {
            ADD_FAILURE() << "reading " << topic << ": " << m.error_message();
            break;
        }
        TestRecord r{m.partition(), m.offset(), as_string(m.key()), as_string(m.value()), {},
                     m.timestamp().value_or(-1)};
        for (const auto& h : m.headers()) r.headers.emplace_back(std::string(h.name), as_string(h.value));
        out[m.partition()].push_back(std::move(r));
        // Control records (transaction markers) take offsets too: stop at the
        // high watermark, not at a record count.
        auto it = high.find(m.partition());
        if (it != high.end() && m.offset() + 1 >= it->second) high.erase(it);
    }
    EXPECT_TRUE(high.empty()) << "did not reach the end of " << topic;
    return out;
}

void expect_same_records(const std::map<std::int32_t, std::vector<TestRecord>>& from,
                         const std::map<std::int32_t, std::vector<TestRecord>>& to) {
    ASSERT_EQ(from.size(), to.size()) << "partition counts differ";
    for (const auto& [p, records] : from) {
        const auto& copy = to.at(p);
        ASSERT_EQ(records.size(), copy.size()) << "partition " << p;
        for (std::size_t i = 0; i < records.size(); ++i) {
            ASSERT_TRUE(records[i].same_content(copy[i]))
                << "partition " << p << " record " << i << ": source offset "
                << records[i].offset << " differs on the target (offset " << copy[i].offset
                << ")";
        }
    }
}

std::size_t count(const std::map<std::int32_t, std::vector<TestRecord>>& records) {
    std::size_t n = 0;
    for (const auto& [p, v] : records) n += v.size();
    return n;
}

Tally tally(const std::map<std::int32_t, std::vector<TestRecord>>& source_records,
            const std::map<std::int32_t, std::vector<TestRecord>>& target_records) {
    Tally t;
    for (const auto& [p, recs] : source_records) {
        std::set<std::string> copied;
        std::vector<std::string> first_copies;  // each value once, in target order
        auto it = target_records.find(p);
        if (it != target_records.end()) {
            for (const auto& r : it->second) {
                ++t.total;
                if (copied.insert(r.value.value_or("")).second) {
                    first_copies.push_back(r.value.value_or(""));
                }
            }
        }
        t.distinct += copied.size();
        std::vector<std::string> expected;
        std::set<std::string> in_source;
        for (const auto& r : recs) {
            in_source.insert(r.value.value_or(""));
            if (copied.count(r.value.value_or(""))) {
                expected.push_back(r.value.value_or(""));
            } else {
                ++t.missing;
            }
        }
        std::erase_if(first_copies, [&](const std::string& v) { return !in_source.count(v); });
        if (first_copies != expected) ++t.out_of_order;
    }
    return t;
}

bool wait_for_records(const std::string& bootstrap, const std::string& topic, std::size_t n,
                      std::chrono::milliseconds timeout) {
    return harness::poll_until(
        [&] {
            // A new client each round: a client's metadata cache would not see
            // partitions added meanwhile.
            kafka::Admin admin(settings_for("test", bootstrap));
            std::size_t total = 0;
            const int partitions = partition_count(bootstrap, topic);
            for (std::int32_t p = 0; p < partitions; ++p) {
                if (auto m = admin.watermarks(topic, p, 5s)) {
                    total += static_cast<std::size_t>(m.value().second - m.value().first);
                }
            }
            return partitions > 0 && total >= n;
        },
        timeout);
}

std::map<std::int32_t, std::size_t> records_per_partition(
    const std::vector<kafka::Record>& records) {
    std::map<std::int32_t, std::size_t> out;
    for (const auto& r : records) ++out[r.partition];
    return out;
}

bool wait_for_records_per_partition(const std::string& bootstrap, const std::string& topic,
                                    const std::map<std::int32_t, std::size_t>& counts,
                                    std::chrono::milliseconds timeout) {
    return harness::poll_until(
        [&] {
            // A new client each round, as above.
            kafka::Admin admin(settings_for("test", bootstrap));
            for (const auto& [p, n] : counts) {
                const auto m = admin.watermarks(topic, p, 5s);
                if (!m || m.value().second - m.value().first < static_cast<std::int64_t>(n)) {
                    return false;
                }
            }
            return !counts.empty();
        },
        timeout);
}

bool wait_for_commits_at_end(const std::string& bootstrap, const std::string& group,
                             const std::string& topic, std::chrono::milliseconds timeout) {
    kafka::Consumer consumer(settings_for("test", bootstrap),
                             {{"group.id", group}, {"enable.auto.commit", "false"}});
    const int partitions = partition_count(bootstrap, topic);
    std::vector<kafka::TopicPartition> tps;
    for (std::int32_t p = 0; p < partitions; ++p) tps.push_back({topic, p});
    return harness::poll_until(
        [&] {
            auto committed = consumer.committed(tps, 10s);
            if (partitions == 0 || !committed) return false;
            for (std::int32_t p = 0; p < partitions; ++p) {
                auto marks = consumer.watermarks(topic, p, 10s);
                if (!marks) return false;
                const auto [low, high] = marks.value();
                const auto at = committed.value()[static_cast<std::size_t>(p)].offset;
                if (high > low && at < high) return false;
            }
            return true;
        },
        timeout);
}

std::int64_t low_watermark(const std::string& bootstrap, const std::string& topic,
                           std::int32_t partition) {
    kafka::Admin admin(settings_for("test", bootstrap));
    auto m = admin.watermarks(topic, partition, 10s);
    return m ? m.value().first : -1;
}

std::map<std::string, std::string> topic_configs(const std::string& bootstrap,
                                                 const std::string& topic) {
    kafka::Admin admin(settings_for("test", bootstrap));
    std::map<std::string, std::string> out;
    if (auto entries = admin.describe_topic_config(topic, 10s)) {
        for (const auto& e : entries.value()) out[e.name] = e.value;
    }
    return out;
}

std::string flow_config(const std::string& flow_name, const std::string& source_bootstrap,
                        const std::string& target_bootstrap, const std::string& include,
                        const std::string& extra_flow) {
    std::ostringstream y;
    y << "clusters:\n"
      << "  primary: { bootstrap: \"" << source_bootstrap << "\" }\n"
      << "  dr: { bootstrap: \"" << target_bootstrap << "\" }\n"
      << "flows:\n"
      << "  - name: " << flow_name << "\n"
      << "    source: primary\n"
      << "    target: dr\n"
      << "    topics: { include: [\"" << include << "\"] }\n"
      << "    workers: 2\n"
      << extra_flow << "log: { level: " << log_level() << " }\n"
      << "shutdown: { timeout: 20s }\n"
      << "http: { listen: \"127.0.0.1:0\" }\n";
    return y.str();
}

KmirrorProcess::KmirrorProcess(const std::string& config_yaml, const std::string& name) {
    dir_ = (std::filesystem::temp_directory_path() / unique_name("kmirror-" + name)).string();
    std::filesystem::create_directories(dir_);
    config_path_ = dir_ + "/kmirror.yaml";
    log_path_ = dir_ + "/kmirror.log";
    rewrite_config(config_yaml);
}

void KmirrorProcess::rewrite_config(const std::string& config_yaml) {
    // Written aside and renamed: a reload never reads half a file.
    const auto tmp = config_path_ + ".new";
    {
        std::ofstream out(tmp);
        out << config_yaml;
        // Every kmirror of a test keeps its offset ranges in its own directory.
        if (config_yaml.find("\nstate:") == std::string::npos) {
            out << "state: { path: \"" << dir_ << "/state.db\" }\n";
        }
    }
    std::filesystem::rename(tmp, config_path_);
}

KmirrorProcess::~KmirrorProcess() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    if (!::testing::Test::HasFailure()) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    } else {
        std::cerr << "kmirror log kept at " << log_path_ << "\n";
    }
}

void KmirrorProcess::start() {
    ASSERT_LE(pid_, 0) << "already running";
    ++runs_;
    exit_code_ = -1;
    // Built before fork: the child only calls async-signal-safe functions.
    std::vector<std::string> args{kmirror_binary(), "run", "-c", config_path_};
    args.insert(args.end(), run_arguments_.begin(), run_arguments_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        // A variable set for this process replaces an inherited one (getenv
        // would return the first of two).
        const std::string_view entry(*e);
        const auto name = entry.substr(0, entry.find('='));
        const bool replaced = std::any_of(env_.begin(), env_.end(),
                                          [&](const auto& kv) { return kv.first == name; });
        if (!replaced) env_strings.emplace_back(entry);
    }
    for (const auto& [k, v] : env_) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
        // Child: append to the log, so restarts keep the history.
        FILE* f = std::freopen(log_path_.c_str(), "a", stderr);
        (void)f;
        ::dup2(STDERR_FILENO, STDOUT_FILENO);
        ::execve(kmirror_binary(), argv.data(), envp.data());
        std::_Exit(127);
    }
}

bool KmirrorProcess::wait_ready(std::chrono::milliseconds timeout) {
    const auto wanted = static_cast<std::size_t>(runs_);
    bool exited = false;
    const auto ready = [&] {
        const auto text = log();
        std::size_t seen = 0;
        for (auto pos = text.find("kmirror ready"); pos != std::string::npos;
             pos = text.find("kmirror ready", pos + 1)) {
            ++seen;
        }
        exited = !running();
        return seen >= wanted || exited;
    };
    return harness::poll_until(ready, timeout) && !exited;
}

void KmirrorProcess::signal(int signo) {
    if (pid_ > 0) ::kill(pid_, signo);
}

bool KmirrorProcess::running() { return reap(false) < 0 && pid_ > 0; }

int KmirrorProcess::reap(bool block) {
    if (pid_ <= 0) return exit_code_;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (r != pid_) return -1;
    pid_ = -1;
    if (WIFEXITED(status)) {
        exit_code_ = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        exit_code_ = 128 + WTERMSIG(status);
    }
    return exit_code_;
}

int KmirrorProcess::wait_exit(std::chrono::milliseconds timeout) {
    int code = -1;
    (void)harness::poll_until([&] { return (code = reap(false)) >= 0; }, timeout);
    return code;
}

int KmirrorProcess::http_port() const { return http_port_in(log()); }

int http_port_in(const std::string& log) {
    const auto at = log.rfind("(port ");
    if (at == std::string::npos) return 0;
    return std::atoi(log.c_str() + at + 6);
}

std::string KmirrorProcess::log() const {
    std::ifstream f(log_path_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::optional<double> series_in(const std::string& metrics, const std::string& series) {
    const auto at = metrics.find("\n" + series + " ");
    if (at == std::string::npos) return std::nullopt;
    return std::stod(metrics.substr(at + series.size() + 2));
}

std::optional<double> metric_value(const KmirrorProcess& kmirror, const std::string& series) {
    const auto r = harness::http_get("127.0.0.1:" + std::to_string(kmirror.http_port()), "/metrics");
    return r.ok() ? series_in(r.body, series) : std::nullopt;
}

std::optional<std::map<std::string, FlowStatus>> status_flows(const KmirrorProcess& kmirror) {
    const auto r = harness::http_get("127.0.0.1:" + std::to_string(kmirror.http_port()), "/status");
    if (!r.ok()) return std::nullopt;
    std::map<std::string, FlowStatus> out;
    try {
        boost::property_tree::ptree tree;
        std::istringstream in(r.body);
        boost::property_tree::read_json(in, tree);
        for (const auto& [unused, flow] : tree.get_child("flows")) {
            FlowStatus f;
            f.name = flow.get<std::string>("name");
            f.ready = flow.get<bool>("ready");
            f.assigned_partitions = flow.get<std::int64_t>("assigned_partitions");
            for (const auto& [unused2, p] : flow.get_child("partitions")) {
                f.partitions.emplace_back(p.get<std::string>("topic"),
                                          p.get<std::int32_t>("partition"));
            }
            out[f.name] = std::move(f);
        }
    } catch (const boost::property_tree::ptree_error& e) {
        ADD_FAILURE() << "/status is not the JSON expected: " << e.what() << "\n" << r.body;
        return std::nullopt;
    }
    return out;
}

std::map<std::int32_t, checkpoints::Checkpoint> read_checkpoints(
    const std::string& target_bootstrap, const std::string& source_alias,
    const std::string& group) {
    std::map<std::int32_t, checkpoints::Checkpoint> out;
    (void)kafka::read_partition_to_end(
        settings_for("test", target_bootstrap), checkpoints::checkpoints_topic(source_alias), 0,
        unique_name("cp-reader"), 10s, [&](const kafka::Message& m) {
            auto cp = checkpoints::decode_checkpoint(*kafka::as_chars(m.key()),
                                                     *kafka::as_chars(m.value()));
            if (cp && cp.value().group == group) out[cp.value().partition] = cp.value();
        });
    return out;
}

std::pair<int, std::string> run_kmirror(const std::vector<std::string>& args) {
    std::vector<std::string> argv{kmirror_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = harness::run_command(argv, {.timeout = 60s});
    return {r.exit_code, std::move(r.output)};
}

std::vector<kafka::Record> numbered(const std::string& topic, int partitions, int from, int n,
                                    std::size_t value_size) {
    std::vector<kafka::Record> out;
    for (int i = from; i < from + n; ++i) {
        std::string value = "id-" + std::to_string(i);
        if (value.size() < value_size) value.resize(value_size, 'x');
        out.push_back({topic, i % partitions, "k" + std::to_string(i), value, {}, 0});
    }
    return out;
}

void commit_offsets(const std::string& bootstrap, const std::string& group,
                    const std::string& topic, const std::map<std::int32_t, std::int64_t>& offsets) {
    kafka::Consumer consumer(settings_for("test", bootstrap),
                             {{"group.id", group}, {"enable.auto.commit", "false"}});
    std::vector<kafka::TopicPartitionOffset> commit;
    for (const auto& [p, o] : offsets) commit.push_back({topic, p, o});
    ASSERT_TRUE(consumer.commit(commit, false));
    consumer.close(5s);
}


std::map<std::int32_t, CliTranslation> translate(const KmirrorProcess& kmirror,
                                                 const std::string& flow,
                                                 const std::string& group,
                                                 const std::vector<std::string>& state_paths) {
    std::vector<std::string> args{kmirror_binary(), "translate", "-c", kmirror.config_path(),
                                  "--flow",       flow,        "--group", group,
                                  "--format",     "json"};
    for (const auto& path : state_paths) {
        args.emplace_back("--state");
        args.push_back(path);
    }
    auto r = harness::run_command(harness::shell_join(args) + " 2>/dev/null", {.timeout = 60s});
    std::map<std::int32_t, CliTranslation> out;
    EXPECT_EQ(r.exit_code, 0) << r.output;
    if (r.exit_code != 0) return out;
    boost::property_tree::ptree tree;
    std::istringstream in(r.output);
    boost::property_tree::read_json(in, tree);
    for (const auto& [k, g] : tree.get_child("groups")) {
        for (const auto& [k2, p] : g.get_child("partitions")) {
            CliTranslation t;
            t.target_offset = p.get<std::int64_t>("target_offset", -1);
            t.exactness = p.get<std::string>("exactness");
            t.rereads = p.get<std::int64_t>("rereads");
            out[p.get<std::int32_t>("partition")] = t;
        }
    }
    return out;
}

}  // namespace kmirror::test
