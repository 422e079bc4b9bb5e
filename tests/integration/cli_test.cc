// The kmirror binary on bad input: every bad config is reported with the key
// and its line, and exits with code 2. No broker needed.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/mirror_fixture.h"

namespace kmirror::test {
namespace {

struct BadConfig {
    const char* name;
    const char* yaml;
    const char* expected;  ///< must appear in the output, e.g. "kmirror.yaml:5:7: flows[0].workers"
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

class BadConfigs : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigs, AreReportedWithKeyAndLineAndExitCodeTwo) {
    const auto& c = GetParam();
    const auto dir = std::filesystem::temp_directory_path() / unique_name("badcfg");
    std::filesystem::create_directories(dir);
    const auto path = write(dir.string(), with_clusters(c.yaml));
    for (const char* command : {"check-config", "run"}) {
        const auto [code, output] = run_kmirror({command, "-c", path});
        EXPECT_EQ(code, 2) << command << ": " << output;
        EXPECT_NE(output.find(c.expected), std::string::npos)
            << command << ": expected \"" << c.expected << "\" in:\n" << output;
    }
    std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Cli, BadConfigs,
    ::testing::Values(
        BadConfig{"unknown_key",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n    wrokers: 2\n",
                  "kmirror.yaml:8:5: flows[0].wrokers"},
        BadConfig{"wrong_type",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n    workers: many\n",
                  "kmirror.yaml:8:14: flows[0].workers"},
        BadConfig{"undefined_cluster",
                  "flows:\n  - name: f\n    source: primery\n    target: dr\n",
                  "kmirror.yaml:6:13: flows[0].source"},
        BadConfig{"invalid_regex",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n"
                  "    topics: { include: [\"orders(\"] }\n",
                  "flows[0].topics.include"},
        BadConfig{"bad_duration",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n"
                  "    refresh_interval: 5 minutes\n",
                  "kmirror.yaml:8:23: flows[0].refresh_interval"},
        BadConfig{"unknown_policy",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n"
                  "    rename: { policy: mirror }\n",
                  "flows[0].rename.policy"},
        BadConfig{"identity_loop",
                  "flows:\n  - name: f\n    source: primary\n    target: primary\n"
                  "    rename: { policy: identity }\n",
                  "flows[0]"},
        BadConfig{"weakened_acks",
                  "  extra: { bootstrap: \"x:1\", properties: { acks: \"1\" } }\n"
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n",
                  "clusters.extra.properties.acks"},
        BadConfig{"missing_flows", "", "flows"},
        BadConfig{"duplicate_flow",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n"
                  "  - name: f\n    source: dr\n    target: primary\n",
                  "flows[1].name"},
        BadConfig{"same_target_topic",
                  "flows:\n  - name: a\n    source: primary\n    target: dr\n"
                  "    rename: { policy: identity }\n"
                  "  - name: b\n    source: primary\n    target: dr\n"
                  "    rename: { policy: template, format: \"x-{topic}\" }\n"
                  "    topics: { include: [\"zzz\"] }\n",
                  "flows[1]"},
        BadConfig{"bad_listen",
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n"
                  "http: { listen: \"localhost\" }\n",
                  "http.listen"},
        BadConfig{"missing_secret_env",
                  "  sec: { bootstrap: \"x:1\", properties: { sasl.password: \"${env:KMIRROR_NO_SUCH_VAR}\" } }\n"
                  "flows:\n  - name: f\n    source: primary\n    target: dr\n",
                  "clusters.sec.properties.sasl.password"}),
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
