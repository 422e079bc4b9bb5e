// The container image (Containerfile) as built by scripts/image.sh (ctest:
// image_build), run against the harness's real brokers the way OpenShift's
// restricted-v2 SCC runs the chart's pods: an arbitrary UID in group 0, a
// read-only root file system with /tmp as tmpfs, no capabilities, the state
// on a named volume and the configuration mounted read-only. Plus what the
// image holds: its packages, its labels, `kmirror --version`.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "checkpoints/offset_range_store.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/harness/prometheus.h"
#include "tests/harness/wait.h"
#include "tests/image/podman.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int kPartitions = 3;
// flow_config()'s shutdown.timeout.
constexpr auto kShutdownTimeout = 20s;
// OpenShift gives a pod a UID from its namespace's range, in group 0.
constexpr uid_t kUid = 123456;
const std::string kUser = std::to_string(kUid) + ":0";
// The registry's name, or the base scripts/image.sh made under it.
const std::string kBase = "docker.io/library/debian:12-slim";
// The runtime image's own layers (libraries, kmirror) above its base: 23 MB
// measured on the base scripts/image.sh makes; a compiler, or apt's lists and
// caches, would each take more than the margin.
constexpr double kMaxMegabytesOverBase = 35;

std::string source() { return harness::source().bootstrap(); }
std::string target() { return harness::target().bootstrap(); }

// scripts/image.sh builds with rootful podman, and skips (77) when not root.
constexpr const char* kNeedsRoot = "rootful podman (scripts/image.sh) needs root";

/// Records from..from+n-1 (numbered(): unique values) with two headers, one
/// of them null, and explicit timestamps an hour back (within retention).
std::vector<kafka::Record> records(const std::string& topic, int from, int n) {
    const std::int64_t t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count() -
                            3'600'000;
    auto out = numbered(topic, kPartitions, from, n);
    for (int i = 0; i < n; ++i) {
        auto& r = out[static_cast<std::size_t>(i)];
        r.headers = {{"trace", "t-" + std::to_string(from + i)}, {"empty", std::nullopt}};
        r.timestamp = t0 + from + i;
    }
    return out;
}

/// A directory of this test's own, removed with it.
struct TempDir {
    fs::path path = fs::temp_directory_path() / unique_name("kmirror-image");
    TempDir() { fs::create_directories(path); }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

/// `podman run` arguments for the chart's pod under restricted-v2.
std::vector<std::string> openshift_run_args(const std::string& volume, const fs::path& config) {
    return {// The brokers listen on this machine's loopback.
            "--network", "host",
            // Any UID, group 0; no capabilities, none to gain.
            "--user", kUser, "--cap-drop", "all", "--security-opt", "no-new-privileges",
            // Nothing writable but the state volume and /tmp (an emptyDir in the
            // chart): podman's own tmpfs on /run and /var/tmp are left out too.
            "--read-only", "--read-only-tmpfs=false", "--tmpfs", "/tmp",
            "--volume", volume + ":/var/lib/kmirror",  //
            "--volume", config.string() + ":/etc/kmirror/kmirror.yaml:ro",
            // The image's own ENTRYPOINT and CMD: run -c /etc/kmirror/kmirror.yaml.
            image_name()};
}

/// Waits until the container's /readyz answers 200; its HTTP address then, else "".
std::string wait_ready(const PodmanContainer& container) {
    std::string address;
    harness::wait_until(
        [&] {
            if (address.empty()) {
                // http.listen port 0: the port is in the log.
                const int port = http_port_in(container.logs());
                if (port == 0) return false;
                address = "127.0.0.1:" + std::to_string(port);
            }
            return harness::http_get(address, "/readyz", 2s).status == 200;
        },
        90s, "/readyz 200 from container " + container.name());
    return harness::http_get(address, "/readyz", 2s).status == 200 ? address : "";
}

/// The offset-range store as the volume holds it, copied out and opened
/// there: SQLite must not leave files of root's in the container's volume.
std::unique_ptr<checkpoints::OffsetRangeStore> stored_state(const PodmanVolume& volume,
                                                            const fs::path& copy_dir) {
    const fs::path from = volume.mountpoint();
    fs::remove_all(copy_dir);
    fs::create_directories(copy_dir);
    for (const char* name : {"state.db", "state.db-wal"}) {
        if (fs::exists(from / name)) fs::copy_file(from / name, copy_dir / name);
    }
    EXPECT_TRUE(fs::exists(copy_dir / "state.db")) << "no state.db in the volume " << from;
    auto store = checkpoints::OffsetRangeStore::open((copy_dir / "state.db").string());
    EXPECT_TRUE(store) << store.error().message();
    return store ? std::move(store.value()) : nullptr;
}

/// Every `offsets` of each partition translates exactly, to itself (the
/// target topic started empty, so its offsets are the source's).
void expect_exact(checkpoints::OffsetRangeStore& store, const std::string& flow,
                  const std::string& topic, const std::map<std::int32_t, std::vector<std::int64_t>>& offsets) {
    for (const auto& [p, list] : offsets) {
        for (const auto o : list) {
            const auto t = store.translate(flow, topic, p, SourceOffset(o));
            EXPECT_EQ(t.exactness, checkpoints::Exactness::exact) << topic << "[" << p << "] " << o;
            EXPECT_EQ(t.offset, TargetOffset(o)) << topic << "[" << p << "] " << o;
        }
    }
}

std::set<std::string> lines(const std::string& text) {
    std::set<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) out.insert(line);
    }
    return out;
}

/// The packages installed in an image, and for each the names it is known
/// by: its own and those it provides (runtime-packages.txt names some virtual
/// ones, libspdlog1.10-fmt9 is provided by libspdlog1.10).
std::map<std::string, std::set<std::string>> packages_in(const std::string& image) {
    const auto r = podman_run(
        {"--entrypoint", "dpkg-query", image, "-W", "-f=${Package}\\t${Provides}\\n"});
    EXPECT_TRUE(r.ok()) << r.output;
    std::map<std::string, std::set<std::string>> out;
    for (const auto& line : lines(r.output)) {
        const auto tab = line.find('\t');
        const auto name = line.substr(0, tab);
        auto& known_as = out[name];
        known_as.insert(name);
        // "a (= 1.0), b": the names, without versions.
        std::istringstream provides(tab == std::string::npos ? "" : line.substr(tab + 1));
        for (std::string item; std::getline(provides, item, ',');) {
            std::istringstream words(item);
            if (std::string word; words >> word) known_as.insert(word);
        }
    }
    return out;
}

/// packaging/runtime-packages.txt, read the way the Containerfile reads it.
std::vector<std::string> runtime_packages() {
    std::ifstream in(std::string(KMIRROR_SOURCE_DIR) + "/packaging/runtime-packages.txt");
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line.substr(0, line.find('#')));
        for (std::string w; words >> w;) out.push_back(w);
    }
    return out;
}

/// `packages` and everything they depend on (Depends, Pre-Depends; every
/// alternative), by this machine's apt: what installing them may bring.
std::set<std::string> with_dependencies(const std::vector<std::string>& packages) {
    std::vector<std::string> argv{"apt-cache",      "depends",     "--recurse",
                                  "--no-recommends", "--no-suggests", "--no-conflicts",
                                  "--no-breaks",    "--no-replaces", "--no-enhances"};
    argv.insert(argv.end(), packages.begin(), packages.end());
    const auto r = harness::run_command(argv, {.timeout = 60s});
    EXPECT_TRUE(r.ok()) << r.output;
    std::set<std::string> out;
    // Each package reached is an unindented line; "<name>" is a virtual one.
    for (const auto& line : lines(r.output)) {
        if (line[0] != ' ' && line[0] != '<') out.insert(line);
    }
    return out;
}

double image_bytes(const std::string& image) {
    const auto r = podman({"image", "inspect", "--format", "{{.Size}}", image});
    EXPECT_TRUE(r.ok()) << r.output;
    return r.ok() ? std::stod(r.output) : 0;
}

TEST(Image, RunsAsOpenShiftDoesMirrorsEveryRecordDrainsOnStopAndResumesFromItsVolume) {
    if (::geteuid() != 0) GTEST_SKIP() << kNeedsRoot;
    const auto started = std::chrono::steady_clock::now();
    // Given 3,000 records on the source, with headers and timestamps,
    const auto flow = unique_name("image");
    const auto topic = flow + "-orders";
    create_topic(source(), topic, kPartitions);
    const auto first = records(topic, 0, 3000);
    produce(source(), first);
    // a configuration file to mount read-only (readable by any UID) and an
    // empty named volume for the state,
    TempDir dir;
    const auto config = dir.path / "kmirror.yaml";
    std::ofstream(config) << flow_config(flow, source(), target(), topic);
    fs::permissions(config, fs::perms::owner_read | fs::perms::owner_write |
                                fs::perms::group_read | fs::perms::others_read);
    PodmanVolume state(flow + "-state");

    // when the image runs as OpenShift runs it,
    PodmanContainer one(flow + "-1", openshift_run_args(state.name(), config));
    ASSERT_TRUE(one.started()) << one.run_output();
    const auto address = wait_ready(one);
    ASSERT_FALSE(address.empty());

    // then it mirrors every record (key, value, headers, timestamp,
    // partition, order), compared record by record once all are committed,
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror." + flow, topic, 120s));
    expect_same_records(read_topic(source(), topic), read_topic(target(), "primary." + topic));
    // and /metrics shows the flow: ready, those records, its state written.
    const auto metrics = harness::http_get(address, "/metrics");
    ASSERT_EQ(metrics.status, 200) << metrics.error;
    const auto flow_label = "{flow=\"" + flow + "\"";
    EXPECT_EQ(series_in(metrics.body, "kmirror_flow_ready" + flow_label + "}"), 1.0);
    EXPECT_EQ(series_in(metrics.body, "kmirror_records_total" + flow_label + ",topic=\"" + topic + "\"}"),
              static_cast<double>(first.size()));
    EXPECT_EQ(series_in(metrics.body, "kmirror_state_write_errors_total"), 0.0);
    EXPECT_EQ(series_in(metrics.body, "kmirror_state_write_failing"), 0.0);

    // When more records arrive and the container is stopped while they flow,
    const auto second = records(topic, static_cast<int>(first.size()), 20'000);
    std::thread producing([&] { produce(source(), second); });
    const bool flowing =
        wait_for_records(target(), "primary." + topic, first.size() + 1, 60s);
    const auto stopping = std::chrono::steady_clock::now();
    const int exit_code = one.stop(kShutdownTimeout + 10s);
    const double stop_seconds = seconds_since(stopping);
    producing.join();
    ASSERT_TRUE(flowing) << "nothing of the second batch was mirrored";

    // then it drains: exit 0 within shutdown.timeout, nothing left unacknowledged;
    EXPECT_EQ(exit_code, 0) << "137: SIGTERM did not stop it and podman killed it";
    EXPECT_LT(stop_seconds, static_cast<double>(kShutdownTimeout.count()));
    const auto log = one.logs();
    EXPECT_NE(log.find("flow '" + flow + "': stopped ("), std::string::npos) << log;
    EXPECT_EQ(log.find("not acknowledged"), std::string::npos) << log;
    // the state stays on the volume without the container, written by that UID
    // and translating every record the target acknowledged exactly.
    one.remove();
    const auto after_one = read_topic(target(), "primary." + topic);
    std::map<std::int32_t, std::vector<std::int64_t>> offsets;
    for (const auto& [p, recs] : after_one) {
        const auto end = static_cast<std::int64_t>(recs.size());
        offsets[p] = {0, end / 2, end};
    }
    struct stat st {};
    ASSERT_EQ(::stat((fs::path(state.mountpoint()) / "state.db").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, kUid);
    if (auto store = stored_state(state, dir.path / "state-1")) {
        expect_exact(*store, flow, topic, offsets);
    }

    // When a second container starts on the same volume,
    PodmanContainer two(flow + "-2", openshift_run_args(state.name(), config));
    ASSERT_TRUE(two.started()) << two.run_output();
    ASSERT_FALSE(wait_ready(two).empty());
    ASSERT_TRUE(wait_for_commits_at_end(source(), "kmirror." + flow, topic, 120s));
    EXPECT_EQ(two.stop(kShutdownTimeout + 10s), 0);

    // then it resumed where the first stopped: every record once, in order,
    const auto source_records = read_topic(source(), topic);
    const auto target_records = read_topic(target(), "primary." + topic);
    const auto t = tally(source_records, target_records);
    EXPECT_EQ(t.missing, 0u);
    EXPECT_EQ(t.duplicates(), 0u);
    EXPECT_EQ(t.out_of_order, 0u);
    expect_same_records(source_records, target_records);
    // and its state holds the first container's ranges and its own.
    for (auto& [p, list] : offsets) list.push_back(static_cast<std::int64_t>(source_records.at(p).size()));
    if (auto store = stored_state(state, dir.path / "state-2")) {
        expect_exact(*store, flow, topic, offsets);
    }
    std::cout << "[ MEASURE  ] podman stop while mirroring: exit after " << stop_seconds
              << " s (shutdown.timeout " << kShutdownTimeout.count() << " s); whole test "
              << seconds_since(started) << " s\n";
    RecordProperty("stop_ms", static_cast<int>(stop_seconds * 1000));
}

TEST(Image, KmirrorVersionInsideNamesTheSameLibrdkafkaAsTheBuild) {
    if (::geteuid() != 0) GTEST_SKIP() << kNeedsRoot;
    const auto inside = podman_run({"--user", kUser, "--read-only", image_name(), "--version"});
    ASSERT_TRUE(inside.ok()) << inside.output;
    EXPECT_NE(inside.output.find("kmirror " KMIRROR_VERSION " (librdkafka "), std::string::npos)
        << inside.output;
    // The binary built here from the same sources, on the same librdkafka.
    const auto [code, here] = run_kmirror({"--version"});
    ASSERT_EQ(code, 0) << here;
    EXPECT_EQ(inside.output, here);
}

TEST(Image, CarriesOciLabelsForVersionSourceAndLicence) {
    if (::geteuid() != 0) GTEST_SKIP() << kNeedsRoot;
    const auto r = podman({"image", "inspect", "--format", "{{json .Labels}}", image_name()});
    ASSERT_TRUE(r.ok()) << r.output;
    boost::property_tree::ptree labels;
    std::istringstream in(r.output);
    boost::property_tree::read_json(in, labels);
    const auto label = [&](const std::string& key) {
        // Keys hold dots: a path with another separator.
        return labels.get<std::string>(boost::property_tree::ptree::path_type(key, '/'), "");
    };
    EXPECT_EQ(label("org.opencontainers.image.version"), KMIRROR_VERSION) << r.output;
    EXPECT_NE(label("org.opencontainers.image.source"), "") << r.output;
    EXPECT_NE(label("org.opencontainers.image.licenses"), "") << r.output;
}

TEST(Image, AddsOnlyTheRuntimePackagesToItsBaseAndNoAptListsOrBuildTools) {
    if (::geteuid() != 0) GTEST_SKIP() << kNeedsRoot;
    const auto image = packages_in(image_name());
    const auto base = packages_in(kBase);
    ASSERT_FALSE(image.empty());
    ASSERT_FALSE(base.empty());
    // Every package of the list is there (by its name, or one that provides it),
    std::vector<std::string> listed;
    for (const auto& wanted : runtime_packages()) {
        const auto it = std::find_if(image.begin(), image.end(),
                                     [&](const auto& p) { return p.second.count(wanted) > 0; });
        if (it == image.end()) {
            ADD_FAILURE() << wanted << " is not installed";
        } else {
            listed.push_back(it->first);
        }
    }
    // and nothing else was added but what they depend on: no build tools,
    // no headers.
    const auto allowed = with_dependencies(listed);
    ASSERT_FALSE(allowed.empty());
    std::vector<std::string> added;
    for (const auto& [p, known_as] : image) {
        if (base.count(p) == 0) added.push_back(p);
    }
    for (const auto& p : added) {
        EXPECT_TRUE(allowed.count(p)) << p << ": not in runtime-packages.txt nor a dependency";
        const bool build_tool = p.ends_with("-dev") || p.starts_with("gcc") ||
                                p.starts_with("g++") || p.starts_with("cpp") ||
                                p == "make" || p == "cmake" || p == "ninja-build" ||
                                p == "pkg-config" || p == "dpkg-dev";
        EXPECT_FALSE(build_tool) << p;
    }
    // No package lists or caches of apt.
    // (As root: apt's partial/ directories are root's alone.)
    const auto files = podman_run({"--user", "0", "--entrypoint", "find", image_name(), "/var/lib/apt/lists",
                                   "/var/cache/apt", "-type", "f", "!", "-name", "lock"});
    EXPECT_TRUE(files.ok()) << files.output;
    EXPECT_EQ(files.output, "");

    // Its own layers (libraries and kmirror) stay small.
    const double over_base = (image_bytes(image_name()) - image_bytes(kBase)) / 1e6;
    std::cout << "[ MEASURE  ] image " << image_name() << ": " << over_base << " MB over "
              << kBase << " (" << image_bytes(kBase) / 1e6 << " MB), " << added.size()
              << " packages added\n";
    RecordProperty("megabytes_over_base", static_cast<int>(over_base));
    EXPECT_GT(over_base, 0);
    EXPECT_LT(over_base, kMaxMegabytesOverBase);
}

}  // namespace
}  // namespace kmirror::test
