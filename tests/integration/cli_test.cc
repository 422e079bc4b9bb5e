// The kmirror binary on bad input: every bad config is reported with the key
// and its line, and exits with code 2. No broker needed.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "tests/harness/command.h"
#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

struct BadConfig {
    const char* name;
    const char* yaml;  ///< after the 3 lines of kClusters: its first line is line 4
    int line;          ///< where the diagnostic points: line and column of the key or value
    int column;
    const char* key;      ///< the key it names, e.g. "flows[0].workers"
    const char* message;  ///< a part of what it says about it
};

constexpr const char* kClusters =
    "clusters:\n"
    "  primary: { bootstrap: \"127.0.0.1:19092\" }\n"
    "  dr: { bootstrap: \"127.0.0.1:29092\" }\n";

std::string with_clusters(const std::string& rest) { return kClusters + rest; }

std::string write(const std::string& dir, const std::string& yaml) {
    const auto path = dir + "/kmirror.yaml";
    std::ofstream(path) << yaml;
    return path;
}

void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

/// The diagnostics in `output` about `path`, "FILE:LINE:COLUMN: KEY: MESSAGE"
/// lines, as (line, column, key, message).
std::vector<std::tuple<int, int, std::string, std::string>> diagnostics(const std::string& output,
                                                                         const std::string& path) {
    static const std::regex line(R"(^(.*):([0-9]+):([0-9]+): ([^ :]+): (.*)$)");
    std::vector<std::tuple<int, int, std::string, std::string>> out;
    std::istringstream lines(output);
    for (std::string text; std::getline(lines, text);) {
        std::smatch m;
        if (std::regex_match(text, m, line) && m[1] == path) {
            out.emplace_back(std::stoi(m[2]), std::stoi(m[3]), m[4], m[5]);
        }
    }
    return out;
}

class BadConfigs : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigs, AreReportedWithKeyAndLineAndExitCodeTwo) {
    const auto& c = GetParam();
    const auto dir = std::filesystem::temp_directory_path() / unique_name("badcfg");
    std::filesystem::create_directories(dir);
    const auto path = write(dir.string(), with_clusters(c.yaml));
    for (const char* command : {"check-config", "run"}) {
        const auto [code, output] = run_kmirror({command, "-c", path});
        EXPECT_EQ(code, 2) << command << ": " << output;
        const auto found = diagnostics(output, path);
        const bool reported = std::any_of(found.begin(), found.end(), [&](const auto& d) {
            const auto& [line, column, key, message] = d;
            return line == c.line && column == c.column && key == c.key &&
                   message.find(c.message) != std::string::npos;
        });
        EXPECT_TRUE(reported) << command << ": expected the line \"" << path << ":" << c.line
                              << ":" << c.column << ": " << c.key << ": ..." << c.message
                              << "...\" in:\n"
                              << output;
    }
    std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Cli, BadConfigs,
    ::testing::Values(
        BadConfig{"unknown_key",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n    wrokers: 2\n",
                  8, 5, "flows[0].wrokers", "unknown key; did you mean 'workers'?"},
        BadConfig{"wrong_type",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n    workers: many\n",
                  8, 14, "flows[0].workers", "expected an integer, got 'many'"},
        BadConfig{"undefined_cluster",
                  "flows:\n  - name: f\n    source: primery\n    target: dr\n",
                  6, 13, "flows[0].source", "unknown cluster 'primery'"},
        BadConfig{"invalid_regex",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n"
                  "    topics: { include: [\"orders(\"] }\n",
                  8, 25, "flows[0].topics.include", "invalid regex \"orders(\""},
        BadConfig{"bad_duration",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n"
                  "    refresh_interval: 5 minutes\n",
                  8, 23, "flows[0].refresh_interval", "invalid duration '5 minutes'"},
        BadConfig{"unknown_policy",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n"
                  "    rename: { policy: mirror }\n",
                  8, 23, "flows[0].rename.policy", "unknown value 'mirror'"},
        BadConfig{"identity_loop",
                  "flows:\n  - name: f\n    source: primary\n    target: primary\n"
                  "    rename: { policy: identity }\n",
                  7, 13, "flows[0].target", "source and target are both 'primary'"},
        BadConfig{"weakened_acks",
                  "  extra: { bootstrap: \"x:1\", properties: { acks: \"1\" } }\n"
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n",
                  4, 44, "clusters.extra.properties.acks", "may only be 'all' or '-1'"},
        BadConfig{"missing_flows", "", 1, 1, "flows", "missing required key"},
        BadConfig{"duplicate_flow",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n"
                  "  - name: f\n    source: dr\n    target: primary\n",
                  8, 11, "flows[1].name", "duplicate flow name 'f'"},
        BadConfig{"same_target_topic",
                  "flows:\n  - name: a\n    source: primary\n    target: dr\n"
                  "    rename: { policy: identity }\n"
                  "  - name: b\n    source: primary\n    target: dr\n"
                  "    rename: { policy: template, format: \"x-{topic}\" }\n"
                  "    topics: { include: [\"zzz\"] }\n",
                  11, 13, "flows[1].target", "flows[0] ('a') already mirrors 'primary' into 'dr'"},
        BadConfig{"bad_listen",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n"
                  "http: { listen: \"localhost\" }\n",
                  8, 17, "http.listen", "expected host:port"},
        BadConfig{"missing_secret_env",
                  "  sec: { bootstrap: \"x:1\", properties: { sasl.password: \"${env:KMIRROR_NO_SUCH_VAR}\" } }\n"
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n",
                  4, 57, "clusters.sec.properties.sasl.password",
                  "environment variable KMIRROR_NO_SUCH_VAR is not set"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(Cli, MissingConfigFileIsAClearErrorWithExitCodeTwo) {
    const auto [code, output] = run_kmirror({"run", "-c", "/nonexistent/kmirror.yaml"});
    EXPECT_EQ(code, 2);
    EXPECT_NE(output.find("/nonexistent/kmirror.yaml"), std::string::npos) << output;
}

TEST(Cli, UnknownCommandIsAUsageError) {
    const auto [code, output] = run_kmirror({"mirror-everything"});
    EXPECT_EQ(code, 2);
    EXPECT_NE(output.find("unknown command"), std::string::npos) << output;
}

TEST(Cli, CheckConfigPrintsTheNormalizedConfigWithSecretsRedacted) {
    const auto dir = std::filesystem::temp_directory_path() / unique_name("okcfg");
    std::filesystem::create_directories(dir);
    const auto path = write(dir.string(),
                            "clusters:\n"
                            "  primary: { bootstrap: \"127.0.0.1:19092\", properties: { "
                            "sasl.password: \"hunter2-very-secret\" } }\n"
                            "  dr: { bootstrap: \"127.0.0.1:29092\" }\n"
                            "flows:\n  - name: f\n    source: primary\n    target: dr\n");
    const auto [code, output] = run_kmirror({"check-config", "-c", path});
    EXPECT_EQ(code, 0) << output;
    EXPECT_EQ(output.find("hunter2-very-secret"), std::string::npos) << output;
    EXPECT_NE(output.find("refresh_interval: 5s"), std::string::npos) << output;
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kmirror::test

namespace kmirror::test {
namespace {

// ---- translate / failover on bad input (no broker: these fail before connecting) ----

/// A directory with a config whose state file is `state`.
struct StateDir {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / unique_name("state");
    std::string config;
    std::string state;
    StateDir() {
        std::filesystem::create_directories(dir);
        state = (dir / "state.db").string();
        config = write(dir.string(), with_clusters("flows:\n"
                                                   "  - name: f\n"
                                                   "    source: primary\n"
                                                   "    target: dr\n"
                                                   "state: { path: \"" +
                                                   state + "\" }\n"
                                                   "connect_timeout: 1s\n"));
    }
    ~StateDir() {
        std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
        std::filesystem::remove_all(dir);
    }
    [[nodiscard]] std::string bytes() const {
        std::ifstream in(state, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }
};

TEST(Cli, TranslateOfAnUnknownFlowNamesTheFlowsThereAreAndExitsTwo) {
    StateDir s;
    for (const char* command : {"translate", "failover"}) {
        const auto [code, output] =
            run_kmirror({command, "-c", s.config, "--flow", "nope", "--group", "g"});
        EXPECT_EQ(code, 2) << output;
        EXPECT_NE(output.find("no flow named 'nope'"), std::string::npos) << output;
        EXPECT_NE(output.find("flows: f"), std::string::npos) << output;
    }
    EXPECT_FALSE(std::filesystem::exists(s.state)) << "a state file was created";
}

TEST(Cli, TranslateNeedsAFlowAndAGroup) {
    StateDir s;
    auto [code, output] = run_kmirror({"translate", "-c", s.config, "--group", "g"});
    EXPECT_EQ(code, 2) << output;
    EXPECT_NE(output.find("--flow"), std::string::npos) << output;
    std::tie(code, output) = run_kmirror({"failover", "-c", s.config, "--flow", "f"});
    EXPECT_EQ(code, 2) << output;
    EXPECT_NE(output.find("--all-groups"), std::string::npos) << output;
    std::tie(code, output) =
        run_kmirror({"translate", "-c", s.config, "--flow", "f", "--group", "g", "--format", "xml"});
    EXPECT_EQ(code, 2) << output;
}

TEST(Cli, StateFilesNamedOnTheCommandLineMustExist) {
    StateDir s;
    const auto missing = (s.dir / "pod-1.db").string();
    for (const char* command : {"translate", "failover"}) {
        auto [code, output] = run_kmirror(
            {command, "-c", s.config, "--flow", "f", "--group", "g", "--state", missing});
        EXPECT_EQ(code, 1) << output;
        EXPECT_NE(output.find("the state file '" + missing + "' does not exist"),
                  std::string::npos)
            << output;
        std::tie(code, output) =
            run_kmirror({command, "-c", s.config, "--flow", "f", "--group", "g", "--state"});
        EXPECT_EQ(code, 2) << output;
        EXPECT_NE(output.find("--state needs a file name"), std::string::npos) << output;
    }
    EXPECT_FALSE(std::filesystem::exists(missing));
    EXPECT_FALSE(std::filesystem::exists(s.state)) << "state.path was opened despite --state";
}

TEST(Cli, ACorruptOrForeignStateFileIsRefusedAndLeftUntouched) {
    StateDir s;
    struct Case {
        const char* name;
        std::string content;
        const char* expected;
    };
    // A SQLite file of another program (one table, not kmirror's).
    const std::string foreign_path = (s.dir / "foreign.db").string();
    ASSERT_EQ(harness::run_command(harness::shell_join(
                  {"python3", "-c",
                   "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                   "c.execute('create table accounts(id int)'); c.commit()",
                   foreign_path}))
                  .exit_code,
              0);
    std::ifstream foreign_in(foreign_path, std::ios::binary);
    const std::string foreign{std::istreambuf_iterator<char>(foreign_in),
                              std::istreambuf_iterator<char>()};
    for (const Case& c : {Case{"garbage", std::string(8192, 'x'), "not a kmirror"},
                          Case{"foreign", foreign, "not a kmirror"}}) {
        SCOPED_TRACE(c.name);
        std::ofstream(s.state, std::ios::binary | std::ios::trunc) << c.content;
        for (const char* command : {"translate", "failover"}) {
            const auto [code, output] =
                run_kmirror({command, "-c", s.config, "--flow", "f", "--group", "g"});
            EXPECT_EQ(code, 1) << output;
            EXPECT_NE(output.find("cannot open the state file '" + s.state + "'"),
                      std::string::npos)
                << output;
            EXPECT_EQ(s.bytes(), c.content) << "the state file was changed";
        }
    }
}

TEST(Cli, AReadOnlyStateDirectoryIsAClearErrorForEveryCommand) {
    // given a state directory the (unprivileged) user cannot write to
    StateDir s;
    std::filesystem::permissions(s.dir, std::filesystem::perms::owner_all |
                                            std::filesystem::perms::group_read |
                                            std::filesystem::perms::group_exec |
                                            std::filesystem::perms::others_read |
                                            std::filesystem::perms::others_exec);
    // A copy of the binary in the (world-readable) temp directory: the build
    // tree may sit where nobody cannot reach it (e.g. under /root).
    const auto binary = s.dir / "kmirror";
    std::filesystem::copy_file(KMIRROR_BINARY, binary);
    std::filesystem::permissions(binary, std::filesystem::perms::owner_all |
                                             std::filesystem::perms::group_read |
                                             std::filesystem::perms::group_exec |
                                             std::filesystem::perms::others_read |
                                             std::filesystem::perms::others_exec);
    const auto as_nobody = [&](std::vector<std::string> args) {
        std::vector<std::string> argv{"setpriv", "--reuid=nobody", "--regid=nogroup",
                                      "--clear-groups", binary.string()};
        argv.insert(argv.end(), args.begin(), args.end());
        return harness::run_command(argv, {.timeout = std::chrono::seconds(60)});
    };
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"translate", "-c", s.config, "--flow", "f", "--group", "g"},
             {"run", "-c", s.config}}) {
        const auto r = as_nobody(args);
        EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.output;
        EXPECT_NE(r.output.find("not writable"), std::string::npos) << args[0] << ": " << r.output;
    }
    EXPECT_FALSE(std::filesystem::exists(s.state));
}

}  // namespace
}  // namespace kmirror::test
