#include "config/properties.h"

#include "config/render.h"
#include "parse_helpers.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace kmirror::config {
namespace {

using testing::has_error;
using testing::parse;

/// A config whose primary cluster has the given properties map body on lines 4.. at column 7.
std::string with_properties(const std::string& body) {
    return "clusters:\n"        // 1
           "  primary:\n"       // 2
           "    properties:\n"  // 3
           + body +             // 4..
           "    bootstrap: \"127.0.0.1:19092\"\n"
           "  dr: { bootstrap: \"127.0.0.1:29092\" }\n"
           "flows: [{ name: f, source: primary, target: dr }]\n";
}

const ClusterProperty* find_property(const Config& config, const std::string& key) {
    for (const ClusterProperty& p : config.clusters.at("primary").properties) {
        if (p.key == key) {
            return &p;
        }
    }
    return nullptr;
}

/// A file in the test's temporary directory, removed at the end of the test.
class TempFile {
public:
    TempFile(const std::string& name, const std::string& contents)
        : path_(std::filesystem::temp_directory_path() /
                ("kmirror_config_test_" + std::to_string(::getpid()) + "_" + name)) {
        std::ofstream(path_, std::ios::binary) << contents;
    }
    ~TempFile() {
        std::error_code ec;
        std::filesystem::remove(path_, ec);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    [[nodiscard]] std::string path() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

// ---- pass-through and positions --------------------------------------------------------------

TEST(ClusterProperties, PassesScalarValuesVerbatimAndRecordsLineAndColumn) {
    const ParseResult r =
        parse(with_properties("      client.id: kmirror\n"         // 4
                              "      socket.timeout.ms: 60000\n"   // 5
                              "      enable.auto.commit: false\n"  // 6
                              "      security.protocol: SASL_SSL\n"));
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    const auto& props = r.config->clusters.at("primary").properties;
    ASSERT_EQ(props.size(), 4U);
    EXPECT_EQ(props[0].key, "client.id");
    EXPECT_EQ(props[0].value.reveal(), "kmirror");
    EXPECT_EQ(props[0].line, 4);
    EXPECT_EQ(props[0].column, 7);
    EXPECT_FALSE(props[0].secret);
    EXPECT_EQ(props[1].value.reveal(), "60000");
    EXPECT_EQ(props[1].line, 5);
    EXPECT_EQ(props[2].value.reveal(), "false");
    EXPECT_EQ(props[3].key, "security.protocol");
}

TEST(ClusterProperties, ReportsValuesThatAreNotScalars) {
    const ParseResult r =
        parse(with_properties("      sasl.mechanism: [PLAIN]\n"  // 4
                              "      client.id: { a: b }\n"      // 5
                              "      ssl.ca.location:\n"));      // 6
    EXPECT_TRUE(has_error(r, "kmirror.yaml:4:23: clusters.primary.properties.sasl.mechanism: ",
                          "expected a scalar value (string, number or boolean), got a list"));
    EXPECT_TRUE(
        has_error(r, "kmirror.yaml:5:18: clusters.primary.properties.client.id: ", "got a map"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:6:7: clusters.primary.properties.ssl.ca.location: ",
                          "got an empty value"));
}

TEST(ClusterProperties, ReportsAPropertiesListInsteadOfAMap) {
    const ParseResult r = parse(with_properties("      - client.id=kmirror\n"));
    EXPECT_TRUE(has_error(
        r, "kmirror.yaml:4:7: clusters.primary.properties: ", "expected a map, got a list"));
}

TEST(ClusterProperties, ReportsDuplicateProperties) {
    const ParseResult r =
        parse(with_properties("      client.id: a\n"     // 4
                              "      client.id: b\n"));  // 5
    EXPECT_TRUE(
        has_error(r, "kmirror.yaml:5:7: clusters.primary.properties.client.id: ", "duplicate key"));
}

// ---- safety keys (STYLE.md rule 20)
// --------------------------------------------------------------

TEST(ClusterProperties, ReportsEveryPropertyThatWouldWeakenKmirrorsSafetySettings) {
    const ParseResult r =
        parse(with_properties("      bootstrap.servers: \"x:1\"\n"      // 4
                              "      group.id: mine\n"                  // 5
                              "      enable.auto.commit: true\n"        // 6
                              "      enable.auto.offset.store: true\n"  // 7
                              "      enable.idempotence: false\n"       // 8
                              "      acks: 1\n"                         // 9
                              "      request.required.acks: 0\n"        // 10
                              "      transactional.id: t\n"             // 11
                              "      auto.offset.reset: latest\n"));    // 12
    const std::string p = "clusters.primary.properties.";
    EXPECT_TRUE(has_error(r, "kmirror.yaml:4:7: " + p + "bootstrap.servers: ",
                          "must not be set: use the cluster's `bootstrap` key"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:5:7: " + p + "group.id: ", "must not be set"));
    EXPECT_TRUE(
        has_error(r, "kmirror.yaml:6:7: " + p + "enable.auto.commit: ", "may only be 'false'"));
    EXPECT_TRUE(has_error(
        r, "kmirror.yaml:7:7: " + p + "enable.auto.offset.store: ", "may only be 'false'"));
    EXPECT_TRUE(
        has_error(r, "kmirror.yaml:8:7: " + p + "enable.idempotence: ", "may only be 'true'"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:9:7: " + p + "acks: ", "may only be 'all' or '-1'"));
    EXPECT_TRUE(has_error(
        r, "kmirror.yaml:10:7: " + p + "request.required.acks: ", "may only be 'all' or '-1'"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:11:7: " + p + "transactional.id: ", "must not be set"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:12:7: " + p + "auto.offset.reset: ", "must not be set"));
    EXPECT_EQ(r.errors.size(), 9U) << testing::all_errors(r);
}

TEST(ClusterProperties, RefusesSettingsThatWouldMirrorAbortedDataDropRecordsOrChangeTheAssignor) {
    const ParseResult r =
        parse(with_properties("      isolation.level: read_uncommitted\n"            // 4
                              "      message.timeout.ms: 30000\n"                    // 5
                              "      delivery.timeout.ms: 30000\n"                   // 6
                              "      partition.assignment.strategy: range\n"));     // 7
    const std::string p = "clusters.primary.properties.";
    EXPECT_TRUE(has_error(r, "kmirror.yaml:4:7: " + p + "isolation.level: ",
                          "may only be 'read_committed'"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:5:7: " + p + "message.timeout.ms: ", "must not be set"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:6:7: " + p + "delivery.timeout.ms: ", "must not be set"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:7:7: " + p + "partition.assignment.strategy: ",
                          "must not be set"));
    EXPECT_EQ(r.errors.size(), 4U) << testing::all_errors(r);
}

TEST(ClusterProperties, RefusesQueueAndFetchSizesThatMemoryBudgetOwns) {
    const ParseResult r =
        parse(with_properties("      queue.buffering.max.kbytes: 1048576\n"   // 4
                              "      queued.max.messages.kbytes: 65536\n"     // 5
                              "      fetch.max.bytes: 52428800\n"             // 6
                              "      compression.type: lz4\n"));              // 7
    const std::string p = "clusters.primary.properties.";
    EXPECT_TRUE(has_error(r, "kmirror.yaml:4:7: " + p + "queue.buffering.max.kbytes: ",
                          "change the budget instead"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:5:7: " + p + "queued.max.messages.kbytes: ",
                          "memory.budget"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:6:7: " + p + "fetch.max.bytes: ", "memory.budget"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:7:7: " + p + "compression.type: ",
                          "flow's `compression`"));
    EXPECT_EQ(r.errors.size(), 4U) << testing::all_errors(r);
}

TEST(ClusterProperties, WarnsWhenHostNameVerificationIsTurnedOff) {
    const ParseResult r =
        parse(with_properties("      ssl.endpoint.identification.algorithm: none\n"));  // 4
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    ASSERT_EQ(r.warnings.size(), 1U);
    const auto text = to_string(r.warnings[0]);
    EXPECT_NE(text.find("kmirror.yaml:4:7: clusters.primary.properties."
                        "ssl.endpoint.identification.algorithm: "),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("host name verification is off"), std::string::npos) << text;
}

TEST(ClusterProperties, AcceptsSafetyPropertiesSetToKmirrorsOwnValues) {
    const ParseResult r =
        parse(with_properties("      enable.auto.commit: false\n"
                              "      enable.auto.offset.store: \"False\"\n"
                              "      enable.idempotence: true\n"
                              "      acks: all\n"
                              "      request.required.acks: -1\n"
                              "      isolation.level: read_committed\n"));
    EXPECT_TRUE(r.config) << testing::all_errors(r);
}

// ---- secrets ---------------------------------------------------------------------------------

TEST(ClusterProperties, MarksCredentialKeysSecret) {
    for (const char* key :
         {"sasl.password", "ssl.key.password", "ssl.keystore.password",
          "sasl.oauthbearer.client.secret", "ssl.key.pem", "sasl.oauthbearer.config"}) {
        EXPECT_TRUE(is_secret_property(key)) << key;
    }
    for (const char* key : {"sasl.username", "ssl.ca.location", "client.id", "ssl.key.location",
                            "sasl.oauthbearer.config.extra"}) {
        EXPECT_FALSE(is_secret_property(key)) << key;
    }
    const ParseResult r =
        parse(with_properties("      sasl.username: mirror\n"
                              "      sasl.password: hunter2\n"));
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    EXPECT_FALSE(find_property(*r.config, "sasl.username")->secret);
    EXPECT_TRUE(find_property(*r.config, "sasl.password")->secret);
    EXPECT_EQ(find_property(*r.config, "sasl.password")->value.reveal(), "hunter2");
}

TEST(ClusterProperties, ResolvesEnvironmentVariablesAndTreatsTheValueAsSecret) {
    ::setenv("KMIRROR_TEST_SASL_PASSWORD", "s3cr3t", 1);
    ::setenv("KMIRROR_TEST_USER", "mirror", 1);
    const ParseResult r =
        parse(with_properties("      sasl.password: ${env:KMIRROR_TEST_SASL_PASSWORD}\n"
                              "      sasl.username: user-${env:KMIRROR_TEST_USER}-1\n"
                              "      client.id: \"cost$${literal}\"\n"));
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    EXPECT_EQ(find_property(*r.config, "sasl.password")->value.reveal(), "s3cr3t");
    EXPECT_TRUE(find_property(*r.config, "sasl.password")->secret);
    EXPECT_EQ(find_property(*r.config, "sasl.username")->value.reveal(), "user-mirror-1");
    EXPECT_TRUE(find_property(*r.config, "sasl.username")->secret);
    EXPECT_EQ(find_property(*r.config, "client.id")->value.reveal(), "cost${literal}");
    EXPECT_FALSE(find_property(*r.config, "client.id")->secret);
}

TEST(ClusterProperties, ReportsAMissingEnvironmentVariableNamingTheKey) {
    ::unsetenv("KMIRROR_TEST_UNSET");
    const ParseResult r =
        parse(with_properties("      sasl.password: ${env:KMIRROR_TEST_UNSET}\n"));
    EXPECT_FALSE(r.config);
    EXPECT_TRUE(has_error(r, "kmirror.yaml:4:22: clusters.primary.properties.sasl.password: ",
                          "environment variable KMIRROR_TEST_UNSET is not set"));
}

TEST(ClusterProperties, ReadsSecretFilesWithoutTheirTrailingNewline) {
    const TempFile unix_file("password", "from-file\n");
    const TempFile dos_file("password_crlf", "dos\r\n");
    const TempFile pem("key.pem", "-----BEGIN KEY-----\nabc\n-----END KEY-----\n");
    const ParseResult r =
        parse(with_properties("      sasl.password: ${file:" + unix_file.path() +
                              "}\n      ssl.key.password: ${file:" + dos_file.path() +
                              "}\n      ssl.key.pem: ${file:" + pem.path() + "}\n"));
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    EXPECT_EQ(find_property(*r.config, "sasl.password")->value.reveal(), "from-file");
    EXPECT_EQ(find_property(*r.config, "ssl.key.password")->value.reveal(), "dos");
    EXPECT_EQ(find_property(*r.config, "ssl.key.pem")->value.reveal(),
              "-----BEGIN KEY-----\nabc\n-----END KEY-----");
}

TEST(ClusterProperties, ResolvesRelativeSecretFilesAgainstTheConfigFilesDirectory) {
    const TempFile secret("relative_secret", "rel\n");
    const std::string name = std::filesystem::path(secret.path()).filename().string();
    const TempFile config("relative.yaml",
                          with_properties("      sasl.password: ${file:" + name + "}\n"));
    const ParseResult r = parse_file(config.path());
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    EXPECT_EQ(find_property(*r.config, "sasl.password")->value.reveal(), "rel");
}

TEST(ClusterProperties, ReportsAnUnreadableSecretFileNamingTheKeyButNotTheValue) {
    const ParseResult r =
        parse(with_properties("      sasl.password: ${file:/nonexistent/kmirror/password}\n"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:4:22: clusters.primary.properties.sasl.password: ",
                          "cannot read secret file '/nonexistent/kmirror/password': No such file"));
}

TEST(ClusterProperties, ReportsMalformedReferences) {
    EXPECT_TRUE(has_error(parse(with_properties("      sasl.password: ${vault:x}\n")),
                          "kmirror.yaml:4:22: clusters.primary.properties.sasl.password: ",
                          "unknown reference '${vault:x}'"));
    EXPECT_TRUE(has_error(
        parse(with_properties("      sasl.password: ${env:X\n")),
        "kmirror.yaml:4:22: clusters.primary.properties.sasl.password: ", "unterminated '${'"));
    EXPECT_TRUE(has_error(
        parse(with_properties("      sasl.password: ${env:}\n")),
        "kmirror.yaml:4:22: clusters.primary.properties.sasl.password: ", "empty variable name"));
}

TEST(ClusterProperties, NeverPutsASecretValueInADiagnostic) {
    ::setenv("KMIRROR_TEST_ACKS", "1", 1);
    const ParseResult r =
        parse(with_properties("      sasl.password: [hunter2]\n"
                              "      acks: ${env:KMIRROR_TEST_ACKS}\n"));
    ASSERT_EQ(r.errors.size(), 2U) << testing::all_errors(r);
    for (const Diagnostic& d : r.errors) {
        EXPECT_EQ(to_string(d).find("hunter2"), std::string::npos) << to_string(d);
    }
}

TEST(ClusterProperties, RedactsSecretValuesInCheckConfigOutput) {
    ::setenv("KMIRROR_TEST_SASL_PASSWORD", "s3cr3t", 1);
    const ParseResult r =
        parse(with_properties("      sasl.password: ${env:KMIRROR_TEST_SASL_PASSWORD}\n"
                              "      ssl.key.password: literal-secret\n"
                              "      sasl.username: mirror\n"));
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    const std::string yaml = to_yaml(*r.config);
    EXPECT_EQ(yaml.find("s3cr3t"), std::string::npos) << yaml;
    EXPECT_EQ(yaml.find("literal-secret"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("sasl.password: \"[secret]\""), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("ssl.key.password: \"[secret]\""), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("sasl.username: mirror"), std::string::npos) << yaml;
}

TEST(ClusterProperties, InterpolatesWithoutReferencesUnchanged) {
    std::string out;
    std::string error;
    bool referenced = true;
    ASSERT_TRUE(interpolate("a$b$", "", out, error, referenced));
    EXPECT_EQ(out, "a$b$");
    EXPECT_FALSE(referenced);
}

}  // namespace
}  // namespace kmirror::config
