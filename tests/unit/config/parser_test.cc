#include "config/parser.h"

#include "parse_helpers.h"

#include <gtest/gtest.h>

#include <string>

namespace kmirror::config {
namespace {

using testing::has_error;
using testing::has_warning;
using testing::minimal;
using testing::parse;
using testing::two_clusters;

// ---- valid configs --------------------------------------------------------------------------

TEST(ConfigParser, ParsesMinimalConfigAndFillsInEveryDefault) {
    const ParseResult r = parse(minimal());
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    EXPECT_TRUE(r.errors.empty());
    EXPECT_TRUE(r.warnings.empty());
    const Config& c = *r.config;
    ASSERT_EQ(c.clusters.size(), 2U);
    EXPECT_EQ(c.clusters.at("primary").alias, "primary");
    EXPECT_EQ(c.clusters.at("primary").bootstrap, "127.0.0.1:19092");
    EXPECT_TRUE(c.clusters.at("dr").properties.empty());
    ASSERT_EQ(c.flows.size(), 1U);
    const Flow& f = c.flows[0];
    EXPECT_EQ(f.name, "primary-to-dr");
    EXPECT_EQ(f.source, "primary");
    EXPECT_EQ(f.target, "dr");
    EXPECT_EQ(f.include, std::vector<std::string>{".*"});
    EXPECT_TRUE(f.exclude.empty());
    EXPECT_EQ(f.rename.policy, RenamePolicy::prefix);
    EXPECT_EQ(f.rename.separator, ".");
    EXPECT_EQ(f.workers, 1);
    EXPECT_TRUE(f.sync_topic_configs);
    EXPECT_EQ(f.refresh_interval, Duration{5000});
    EXPECT_EQ(f.config_sync_interval, Duration{60000});
    EXPECT_EQ(f.commit_interval, Duration{1000});
    EXPECT_EQ(f.replication_factor, -1);
    EXPECT_EQ(f.config_exclude, default_config_exclude());
    EXPECT_EQ(f.on_data_loss, OnDataLoss::stop);
    EXPECT_EQ(c.state.path, "/var/lib/kmirror/state.db");
    EXPECT_EQ(c.http.listen, "127.0.0.1:9464");
    EXPECT_EQ(c.log.level, "info");
    EXPECT_EQ(c.log.format, LogFormat::text);
    EXPECT_EQ(c.shutdown.timeout, Duration{30000});
    EXPECT_EQ(c.connect_timeout, Duration{15000});
}

TEST(ConfigParser, ParsesEveryKeyOfTheSchema) {
    const ParseResult r = parse(R"yaml(clusters:
  primary:
    bootstrap: "127.0.0.1:19092"
    properties: { client.id: kmirror, socket.timeout.ms: 30000, enable.auto.commit: false }
  dr:      { bootstrap: "127.0.0.1:29092" }
flows:
  - name: primary-to-dr
    source: primary
    target: dr
    topics: { include: ["orders.*", "payments"], exclude: [".*\\.tmp"] }
    rename: { policy: template, format: "{source}.{topic}" }
    workers: 2
    sync_topic_configs: false
    refresh_interval: 30s
    config_sync_interval: 5m
    commit_interval: 500ms
    replication_factor: 3
    config_exclude: [retention.ms, cleanup.policy]
    on_data_loss: continue
state: { path: /tmp/state.db }
http: { listen: "[::1]:0" }
log: { level: debug, format: json }
shutdown: { timeout: 1h }
connect_timeout: 2s
)yaml");
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    const Config& c = *r.config;
    const auto& props = c.clusters.at("primary").properties;
    ASSERT_EQ(props.size(), 3U);
    EXPECT_EQ(props[0].key, "client.id");
    EXPECT_EQ(props[0].value.reveal(), "kmirror");
    EXPECT_EQ(props[1].value.reveal(), "30000");  // scalars pass verbatim, as text
    EXPECT_EQ(props[2].value.reveal(), "false");
    const Flow& f = c.flows[0];
    EXPECT_EQ(f.include, (std::vector<std::string>{"orders.*", "payments"}));
    EXPECT_EQ(f.exclude, std::vector<std::string>{".*\\.tmp"});
    EXPECT_EQ(f.rename.policy, RenamePolicy::template_);
    EXPECT_EQ(f.rename.format, "{source}.{topic}");
    EXPECT_EQ(f.workers, 2);
    EXPECT_FALSE(f.sync_topic_configs);
    EXPECT_EQ(f.refresh_interval, Duration{30000});
    EXPECT_EQ(f.config_sync_interval, Duration{300000});
    EXPECT_EQ(f.commit_interval, Duration{500});
    EXPECT_EQ(f.replication_factor, 3);
    EXPECT_EQ(f.config_exclude, (std::vector<std::string>{"retention.ms", "cleanup.policy"}));
    EXPECT_EQ(f.on_data_loss, OnDataLoss::continue_);
    EXPECT_EQ(c.state.path, "/tmp/state.db");
    EXPECT_EQ(c.http.listen, "[::1]:0");
    EXPECT_EQ(c.log.level, "debug");
    EXPECT_EQ(c.log.format, LogFormat::json);
    EXPECT_EQ(c.shutdown.timeout, Duration{3600000});
    EXPECT_EQ(c.connect_timeout, Duration{2000});
}

TEST(ConfigParser, AcceptsIdentityAndPrefixFlowsBetweenTheSameClustersInOppositeDirections) {
    const ParseResult r = parse(std::string(two_clusters) + R"yaml(flows:
  - { name: a, source: primary, target: dr, rename: { policy: identity } }
  - { name: b, source: dr, target: primary, rename: { policy: identity } }
)yaml");
    EXPECT_TRUE(r.config) << testing::all_errors(r);
}

// ---- diagnostics: format and collection -----------------------------------------------------

TEST(ConfigParser, FormatsDiagnosticsAsFileLineColumnKeyMessage) {
    const Diagnostic d{.file = "kmirror.yaml",
                       .line = 14,
                       .column = 5,
                       .key = "flows[0].topics.include",
                       .message = "invalid regex: missing ')'"};
    EXPECT_EQ(to_string(d),
              "kmirror.yaml:14:5: flows[0].topics.include: invalid regex: missing ')'");
    EXPECT_EQ(to_string(Diagnostic{.file = "k.yaml",
                                   .line = 0,
                                   .column = 0,
                                   .key = "",
                                   .message = "cannot read config file: No such file"}),
              "k.yaml: cannot read config file: No such file");
    EXPECT_EQ(to_string(Diagnostic{
                  .file = "k.yaml", .line = 2, .column = 1, .key = "", .message = "invalid YAML"}),
              "k.yaml:2:1: invalid YAML");
    std::ostringstream os;
    os << d;
    EXPECT_EQ(os.str(), to_string(d));
}

TEST(ConfigParser, CollectsEveryErrorInsteadOfStoppingAtTheFirst) {
    const ParseResult r =
        parse(minimal("    workers: 0\n"           // 10
                      "    on_data_loss: maybe\n"  // 11
                      "    commit_interval: 5\n"   // 12
                      "    bogus: 1\n"             // 13
                      "log: { level: loud }\n"));  // 14
    EXPECT_FALSE(r.config);
    EXPECT_EQ(r.errors.size(), 5U) << testing::all_errors(r);
    EXPECT_TRUE(has_error(r, "kmirror.yaml:10:14: flows[0].workers: ", "must be 1..64, got 0"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:11:19: flows[0].on_data_loss: ", "unknown value"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:12:22: flows[0].commit_interval: ", "no unit"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:13:5: flows[0].bogus: ", "unknown key"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:14:15: log.level: ", "unknown value 'loud'"));
}

TEST(ConfigParser, ReportsYamlSyntaxErrorsAtTheirPositionWithoutThrowing) {
    const ParseResult r = parse("clusters:\n  primary: { bootstrap: [1, 2\nflows: []\n");
    EXPECT_FALSE(r.config);
    ASSERT_EQ(r.errors.size(), 1U);
    // yaml-cpp reports where it noticed: the next line, which cannot continue the list.
    EXPECT_EQ(to_string(r.errors[0]),
              "kmirror.yaml:3:6: invalid YAML: end of sequence flow not found");
}

TEST(ConfigParser, ReportsAnEmptyDocument) {
    for (const char* yaml : {"", "# only a comment\n", "~\n"}) {
        const ParseResult r = parse(yaml);
        EXPECT_FALSE(r.config);
        EXPECT_TRUE(has_error(r, "kmirror.yaml:1:1: ", "empty")) << yaml;
    }
}

TEST(ConfigParser, ReportsATopLevelThatIsNotAMap) {
    const ParseResult r = parse("- clusters\n");
    EXPECT_TRUE(has_error(r, "kmirror.yaml:1:1: ", "expected a map, got a list"));
}

TEST(ConfigParser, ReportsMoreThanOneYamlDocument) {
    const ParseResult r = parse(minimal() + "---\nclusters: {}\n");
    EXPECT_TRUE(has_error(r, "kmirror.yaml:11:1: ", "expected one YAML document, found 2"));
}

TEST(ConfigParser, IgnoresAnEmptyTrailingDocument) {
    EXPECT_TRUE(parse(minimal() + "---\n").config);
    EXPECT_TRUE(parse("---\n" + minimal()).config);
}

TEST(ConfigParser, ReportsAMissingFileAsADiagnosticNamingTheFile) {
    const ParseResult r = parse_file("/nonexistent/kmirror.yaml");
    EXPECT_FALSE(r.config);
    ASSERT_EQ(r.errors.size(), 1U);
    EXPECT_EQ(to_string(r.errors[0]),
              "/nonexistent/kmirror.yaml: cannot read config file: No such file or directory");
}

TEST(ConfigParser, ReportsADirectoryGivenAsTheConfigFile) {
    const ParseResult r = parse_file("/tmp");
    ASSERT_EQ(r.errors.size(), 1U);
    EXPECT_NE(r.errors[0].message.find("directory"), std::string::npos);
}

// ---- unknown, duplicate, missing keys ---------------------------------------------------------

TEST(ConfigParser, ReportsUnknownKeyWithLineAndColumn) {
    const ParseResult r = parse(minimal() + "htpp:\n  listen: \"127.0.0.1:1\"\n");
    EXPECT_TRUE(has_error(r, "kmirror.yaml:10:1: htpp: ", "unknown key; did you mean 'http'?"));
}

TEST(ConfigParser, ListsTheKnownKeysWhenAnUnknownKeyIsNotATypo) {
    const ParseResult r = parse(minimal() + "zzzzzzzz: 1\n");
    EXPECT_TRUE(has_error(r, "kmirror.yaml:10:1: zzzzzzzz: ",
                          "expected one of: clusters, flows, state, http, log, metrics, shutdown, "
                          "health, memory, connect_timeout"));
}

TEST(ConfigParser, ReportsUnknownKeysInsideClustersFlowsAndTheirSections) {
    const ParseResult r = parse(
        "clusters:\n"                                  // 1
        "  primary:\n"                                 // 2
        "    bootstrap: \"127.0.0.1:19092\"\n"         // 3
        "    bootstrap_servers: x\n"                   // 4
        "  dr: { bootstrap: \"127.0.0.1:29092\" }\n"   // 5
        "flows:\n"                                     // 6
        "  - name: primary-to-dr\n"                    // 7
        "    source: primary\n"                        // 8
        "    target: dr\n"                             // 9
        "    topics: { include: [a], exlude: [b] }\n"  // 10
        "    rename:\n"                                // 11
        "      policy: prefix\n"                       // 12
        "      seperator: \"-\"\n"                     // 13
        "    worker: 2\n"                              // 14
        "state: { path: /tmp/x.db, size: 1 }\n"        // 15
        "shutdown: { timout: 1s }\n");                 // 16
    EXPECT_TRUE(
        has_error(r, "kmirror.yaml:4:5: clusters.primary.bootstrap_servers: ", "unknown key"));
    EXPECT_TRUE(
        has_error(r, "kmirror.yaml:10:29: flows[0].topics.exlude: ", "did you mean 'exclude'?"));
    EXPECT_TRUE(has_error(
        r, "kmirror.yaml:13:7: flows[0].rename.seperator: ", "did you mean 'separator'?"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:14:5: flows[0].worker: ", "did you mean 'workers'?"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:15:27: state.size: ", "unknown key"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:16:13: shutdown.timout: ", "did you mean 'timeout'?"));
    EXPECT_EQ(r.errors.size(), 6U) << testing::all_errors(r);
}

TEST(ConfigParser, ReportsDuplicateKeys) {
    const ParseResult r =
        parse(minimal("    workers: 2\n"     // 10
                      "    workers: 3\n"));  // 11
    EXPECT_TRUE(has_error(r, "kmirror.yaml:11:5: flows[0].workers: ", "duplicate key"));
}

TEST(ConfigParser, ReportsDuplicateClusterAliases) {
    const ParseResult r = parse(minimal() + "");
    EXPECT_TRUE(r.config);
    const ParseResult dup = parse(
        "clusters:\n"
        "  dr: { bootstrap: a:1 }\n"
        "  dr: { bootstrap: b:1 }\n"
        "flows: [{ name: f, source: dr, target: dr }]\n");
    EXPECT_TRUE(has_error(dup, "kmirror.yaml:3:3: clusters.dr: ", "duplicate cluster alias"));
}

TEST(ConfigParser, ReportsMissingRequiredKeysAtTheEnclosingMap) {
    const ParseResult r = parse(
        "clusters:\n"                         // 1
        "  primary:\n"                        // 2
        "    properties: { client.id: x }\n"  // 3
        "  dr: { bootstrap: \"b:1\" }\n"      // 4
        "flows:\n"                            // 5
        "  - source: primary\n");             // 6
    EXPECT_TRUE(
        has_error(r, "kmirror.yaml:3:5: clusters.primary.bootstrap: ", "missing required key"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:6:5: flows[0].name: ", "missing required key"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:6:5: flows[0].target: ", "missing required key"));
    EXPECT_EQ(r.errors.size(), 3U) << testing::all_errors(r);
}

TEST(ConfigParser, ReportsMissingClustersAndFlows) {
    const ParseResult r = parse("log: { level: info }\n");
    EXPECT_TRUE(has_error(r, "kmirror.yaml:1:1: clusters: ", "missing required key"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:1:1: flows: ", "missing required key"));
}

TEST(ConfigParser, ReportsEmptyClustersAndFlows) {
    const ParseResult r = parse("clusters: {}\nflows: []\n");
    EXPECT_TRUE(has_error(r, "kmirror.yaml:1:11: clusters: ", "at least one cluster is required"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:2:8: flows: ", "at least one flow is required"));
    const ParseResult nulls = parse("clusters:\nflows:\n");
    EXPECT_TRUE(
        has_error(nulls, "kmirror.yaml:1:1: clusters: ", "expected a map, got an empty value"));
    EXPECT_TRUE(
        has_error(nulls, "kmirror.yaml:2:1: flows: ", "expected a list, got an empty value"));
}

// ---- wrong types and values --------------------------------------------------------------------

TEST(ConfigParser, ReportsAStringWhereAListIsExpected) {
    const ParseResult r =
        parse(minimal("    topics:\n"                    // 10
                      "      include: \"orders.*\"\n"))  // 11
        ;
    EXPECT_TRUE(has_error(
        r, "kmirror.yaml:11:16: flows[0].topics.include: ", "expected a list, got a scalar"));
}

TEST(ConfigParser, ReportsWrongScalarTypes) {
    const ParseResult r =
        parse(minimal("    workers: abc\n"               // 10
                      "    sync_topic_configs: maybe\n"  // 11
                      "    replication_factor: 2.5\n"    // 12
                      "    name2: x\n"                   // 13
                      "    rename: prefix\n"             // 14
                      "http: { listen: [a, b] }\n"));    // 15
    EXPECT_TRUE(
        has_error(r, "kmirror.yaml:10:14: flows[0].workers: ", "expected an integer, got 'abc'"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:11:25: flows[0].sync_topic_configs: ",
                          "expected true or false, got 'maybe'"));
    EXPECT_TRUE(has_error(
        r, "kmirror.yaml:12:25: flows[0].replication_factor: ", "expected an integer, got '2.5'"));
    EXPECT_TRUE(
        has_error(r, "kmirror.yaml:14:13: flows[0].rename: ", "expected a map, got a scalar"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:15:17: http.listen: ", "expected a string, got a list"));
}

TEST(ConfigParser, ReportsAClusterListInsteadOfAMap) {
    const ParseResult r =
        parse("clusters:\n  - primary\nflows: [{ name: f, source: a, target: b }]\n");
    EXPECT_TRUE(has_error(r, "kmirror.yaml:2:3: clusters: ", "expected a map, got a list"));
}

TEST(ConfigParser, ReportsIntegersOutOfRange) {
    const ParseResult r =
        parse(minimal("    workers: 65\n"              // 10
                      "    replication_factor: 0\n"))  // 11
        ;
    EXPECT_TRUE(has_error(r, "kmirror.yaml:10:14: flows[0].workers: ", "must be 1..64, got 65"));
    EXPECT_TRUE(has_error(
        r, "kmirror.yaml:11:25: flows[0].replication_factor: ", "must be -1 or 1..32767, got 0"));
    EXPECT_TRUE(has_error(parse(minimal("    replication_factor: -2\n")),
                          "kmirror.yaml:10:25: flows[0].replication_factor: ", "got -2"));
    EXPECT_TRUE(
        has_error(parse(minimal("    replication_factor: 99999999999999999999\n")),
                  "kmirror.yaml:10:25: flows[0].replication_factor: ", "expected an integer"));
}

TEST(ConfigParser, ReportsInvalidFlowNamesAndClusterAliases) {
    const ParseResult r = parse(
        "clusters:\n"                               // 1
        "  \"prim ary\": { bootstrap: \"a:1\" }\n"  // 2
        "  dr: { bootstrap: \"b:1\" }\n"            // 3
        "flows:\n"                                  // 4
        "  - name: \"to/dr\"\n"                     // 5
        "    source: \"prim ary\"\n"                // 6
        "    target: dr\n");                        // 7
    EXPECT_TRUE(has_error(
        r, "kmirror.yaml:2:3: clusters.prim ary: ", "cluster alias must match [A-Za-z0-9._-]+"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:5:11: flows[0].name: ", "must match [A-Za-z0-9._-]+"));
    EXPECT_EQ(r.errors.size(), 2U) << testing::all_errors(r);  // no "unknown cluster" noise
}

TEST(ConfigParser, ReportsEmptyStrings) {
    const ParseResult r = parse(minimal() + "state: { path: \"\" }\n");
    EXPECT_TRUE(has_error(r, "kmirror.yaml:10:16: state.path: ", "must not be empty"));
}

TEST(ConfigParser, ReportsInvalidRegexWithTheRegexErrorMessage) {
    const ParseResult r =
        parse(minimal("    topics:\n"                                // 10
                      "      include: [\"orders\", \"orders.(\"]\n"  // 11
                      "      exclude:\n"                             // 12
                      "        - \"[a-\"\n"));                       // 13
    EXPECT_TRUE(has_error(r, "kmirror.yaml:11:27: flows[0].topics.include: ",
                          "invalid regex \"orders.(\": Mismatched '(' and ')'"));
    EXPECT_TRUE(
        has_error(r, "kmirror.yaml:13:11: flows[0].topics.exclude: ", "invalid regex \"[a-\": "));
    EXPECT_EQ(r.errors.size(), 2U) << testing::all_errors(r);
}

TEST(ConfigParser, ReportsAConfigExcludeEntryThatIsAPatternRatherThanAName) {
    const ParseResult r = parse(minimal("    config_exclude: [retention.ms, \"confluent.*\"]\n"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:10:36: flows[0].config_exclude: ",
                          "expected a topic config name such as retention.ms (matched exactly, "
                          "not as a pattern), got 'confluent.*'"));
}

TEST(ConfigParser, ReportsListEntriesThatAreNotStrings) {
    const ParseResult r = parse(minimal("    topics: { include: [a, [b]] }\n"));  // 10
    EXPECT_TRUE(has_error(
        r, "kmirror.yaml:10:28: flows[0].topics.include: ", "expected a string, got a list"));
}

TEST(ConfigParser, ReportsInvalidDurations) {
    const ParseResult r =
        parse(minimal("    refresh_interval: 30\n"      // 10
                      "    config_sync_interval: 1d\n"  // 11
                      "    commit_interval: 1ms\n"      // 12
                      "shutdown: { timeout: -1s }\n"    // 13
                      "connect_timeout: fast\n"));      // 14
    EXPECT_TRUE(has_error(r, "kmirror.yaml:10:23: flows[0].refresh_interval: ",
                          "duration '30' has no unit: write 30ms, 30s"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:11:27: flows[0].config_sync_interval: ",
                          "unit must be one of ms, s, m, h"));
    EXPECT_TRUE(has_error(
        r, "kmirror.yaml:12:22: flows[0].commit_interval: ", "must be at least 10ms, got 1ms"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:13:22: shutdown.timeout: ", "must not be negative"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:14:18: connect_timeout: ", "invalid duration 'fast'"));
}

TEST(ConfigParser, ReportsARefreshIntervalBelow100ms) {
    const ParseResult r = parse(minimal("    refresh_interval: 99ms\n"));
    EXPECT_TRUE(
        has_error(r, "kmirror.yaml:10:23: flows[0].refresh_interval: ", "must be at least 100ms"));
    EXPECT_TRUE(parse(minimal("    refresh_interval: 100ms\n")).config);
}

TEST(ConfigParser, ReportsUnknownEnumValuesListingTheAllowedOnes) {
    const ParseResult r =
        parse(minimal("    rename: { policy: suffix }\n"  // 10
                      "    on_data_loss: ignore\n"        // 11
                      "log:\n"                            // 12
                      "  level: warning\n"                // 13
                      "  format: xml\n"));                // 14
    EXPECT_TRUE(has_error(r, "kmirror.yaml:10:23: flows[0].rename.policy: ",
                          "unknown value 'suffix'; allowed: prefix, identity, template"));
    EXPECT_TRUE(
        has_error(r, "kmirror.yaml:11:19: flows[0].on_data_loss: ", "allowed: stop, continue"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:13:10: log.level: ",
                          "allowed: trace, debug, info, warn, error, critical, off"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:14:11: log.format: ", "allowed: text, json"));
}

// ---- rename ---------------------------------------------------------------------------------

TEST(ConfigParser, ReportsATemplateWithoutTopic) {
    const ParseResult r =
        parse(minimal("    rename: { policy: template, format: \"dr-{source}\" }\n"));
    EXPECT_TRUE(
        has_error(r, "kmirror.yaml:10:41: flows[0].rename.format: ", "must contain {topic}"));
    EXPECT_EQ(r.errors.size(), 1U) << testing::all_errors(r);  // not also "missing format"
}

TEST(ConfigParser, ReportsATemplateWithAnUnknownPlaceholderOrUnbalancedBraces) {
    EXPECT_TRUE(has_error(
        parse(minimal("    rename: { policy: template, format: \"{cluster}.{topic}\" }\n")),
        "kmirror.yaml:10:41: flows[0].rename.format: ",
        "unknown placeholder '{cluster}' in template; allowed: {source}, {topic}"));
    EXPECT_TRUE(has_error(parse(minimal("    rename: { policy: template, format: \"{topic\" }\n")),
                          "kmirror.yaml:10:41: flows[0].rename.format: ", "unbalanced '{'"));
    EXPECT_TRUE(
        has_error(parse(minimal("    rename: { policy: template, format: \"dr/{topic}\" }\n")),
                  "kmirror.yaml:10:41: flows[0].rename.format: ", "not legal in topic names"));
}

TEST(ConfigParser, ReportsATemplatePolicyWithoutFormat) {
    const ParseResult r =
        parse(minimal("    rename:\n"                // 10
                      "      policy: template\n"));  // 11
    EXPECT_TRUE(has_error(r, "kmirror.yaml:11:15: flows[0].rename.format: ",
                          "missing required key: the template policy needs a format"));
}

TEST(ConfigParser, WarnsAboutAFormatThatItsPolicyIgnores) {
    const ParseResult r = parse(minimal("    rename: { policy: prefix, format: \"x-{topic}\" }\n"));
    EXPECT_TRUE(r.config);
    EXPECT_TRUE(has_warning(r, "kmirror.yaml:10:39: flows[0].rename.format: ",
                            "only the template policy uses a format"));
}

TEST(ConfigParser, ReportsAnEmptyOrIllegalSeparator) {
    EXPECT_TRUE(has_error(parse(minimal("    rename: { separator: \"\" }\n")),
                          "kmirror.yaml:10:26: flows[0].rename.separator: ", "must not be empty"));
    EXPECT_TRUE(has_error(
        parse(minimal("    rename: { separator: \"/\" }\n")),
        "kmirror.yaml:10:26: flows[0].rename.separator: ", "characters legal in topic names"));
    EXPECT_TRUE(parse(minimal("    rename: { separator: \"_\" }\n")).config);
}

TEST(ConfigParser, WarnsAboutAFlowThatIncludesNoTopic) {
    const ParseResult r = parse(minimal("    topics: { include: [] }\n"));  // 10
    EXPECT_TRUE(r.config);
    EXPECT_TRUE(
        has_warning(r, "kmirror.yaml:10:24: flows[0].topics.include: ", "mirrors no topic"));
}

// ---- http.listen ----------------------------------------------------------------------------

TEST(ConfigParser, ReportsABadHttpListenAddress) {
    for (const char* bad : {"9464", "localhost", ":9464", "127.0.0.1:", "127.0.0.1:65536",
                            "127.0.0.1:http", "::1:9464", "[::1:9464", "127.0.0.1:123456"}) {
        const ParseResult r = parse(minimal() + "http: { listen: \"" + bad + "\" }\n");
        EXPECT_TRUE(has_error(r, "kmirror.yaml:10:17: http.listen: ", "")) << bad;
        EXPECT_FALSE(r.config) << bad;
    }
    EXPECT_TRUE(has_error(parse(minimal() + "http: { listen: \"0.0.0.0:70000\" }\n"),
                          "kmirror.yaml:10:17: http.listen: ", "port must be 0..65535"));
    for (const char* good : {"127.0.0.1:9464", "0.0.0.0:0", "localhost:65535", "[::]:9464"}) {
        EXPECT_TRUE(parse(minimal() + "http: { listen: \"" + good + "\" }\n").config) << good;
    }
}

// ---- flows across the config ------------------------------------------------------------------

TEST(ConfigParser, ReportsAFlowNamingAnUndefinedCluster) {
    const ParseResult r = parse(std::string(two_clusters) +
                                "flows:\n"                // 6
                                "  - name: f\n"           // 7
                                "    source: primray\n"   // 8
                                "    target: backup\n");  // 9
    EXPECT_TRUE(has_error(r, "kmirror.yaml:8:13: flows[0].source: ",
                          "unknown cluster 'primray'; defined clusters: dr, primary"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:9:13: flows[0].target: ", "unknown cluster 'backup'"));
}

TEST(ConfigParser, ReportsDuplicateFlowNames) {
    const ParseResult r = parse(
        "clusters: { a: { bootstrap: \"a:1\" }, b: { bootstrap: \"b:1\" }, c: { bootstrap: \"c:1\" "
        "} }\n"
        "flows:\n"                                   // 2
        "  - { name: f, source: a, target: b }\n"    // 3
        "  - { name: f, source: a, target: c }\n");  // 4
    EXPECT_TRUE(has_error(
        r, "kmirror.yaml:4:13: flows[1].name: ", "duplicate flow name 'f' (also flows[0])"));
}

TEST(ConfigParser, ReportsIdentityFromAClusterIntoItself) {
    const ParseResult r = parse(std::string(two_clusters) +
                                "flows:\n"          // 6
                                "  - name: loop\n"  // 7
                                "    source: dr\n"  // 8
                                "    target: dr\n"  // 9
                                "    rename: { policy: identity }\n");
    EXPECT_TRUE(has_error(r, "kmirror.yaml:9:13: flows[0].target: ",
                          "source and target are both 'dr', and the identity policy"));
    const ParseResult tmpl = parse(std::string(two_clusters) +
                                   "flows: [{ name: loop, source: dr, target: dr,"
                                   " rename: { policy: template, format: \"x-{topic}\" } }]\n");
    EXPECT_TRUE(has_error(tmpl, "kmirror.yaml:6:", "source and target are both 'dr'"));
}

TEST(ConfigParser, AllowsAClusterIntoItselfWithPrefixOrASourceTemplate) {
    EXPECT_TRUE(
        parse(std::string(two_clusters) + "flows: [{ name: loop, source: dr, target: dr }]\n")
            .config);
    EXPECT_TRUE(parse(std::string(two_clusters) +
                      "flows: [{ name: loop, source: dr, target: dr,"
                      " rename: { policy: template, format: \"{source}-{topic}\" } }]\n")
                    .config);
}

TEST(ConfigParser, ReportsTwoFlowsWithTheSameSourceAndTarget) {
    const ParseResult r = parse(std::string(two_clusters) +
                                "flows:\n"                                             // 6
                                "  - { name: orders, source: primary, target: dr }\n"  // 7
                                "  - name: payments\n"                                 // 8
                                "    source: primary\n"                                // 9
                                "    target: dr\n");                                   // 10
    EXPECT_TRUE(has_error(r, "kmirror.yaml:10:13: flows[1].target: ",
                          "flows[0] ('orders') already mirrors 'primary' into 'dr'"));
}

TEST(ConfigParser, ReportsTwoFlowsIntoOneTargetWhosePoliciesCanWriteTheSameTopic) {
    const std::string clusters =
        "clusters: { a: { bootstrap: \"a:1\" }, b: { bootstrap: \"b:1\" }, dr: { bootstrap: "
        "\"c:1\" } }\n";
    const ParseResult identity =
        parse(clusters +
              "flows:\n"  // 2
              "  - { name: a, source: a, target: dr, rename: { policy: identity } }\n"
              "  - name: b\n"                         // 4
              "    source: b\n"                       // 5
              "    target: dr\n"                      // 6
              "    rename: { policy: identity }\n");  // 7
    EXPECT_TRUE(has_error(identity, "kmirror.yaml:7:13: flows[1].rename: ",
                          "flows[0] ('a') also writes into cluster 'dr', and neither flow puts "
                          "the source alias in topic names"));
    const ParseResult templates =
        parse(clusters +
              "flows:\n"
              "  - { name: a, source: a, target: dr, rename: { policy: template, format: "
              "\"x-{topic}\" } }\n"
              "  - { name: b, source: b, target: dr, rename: { policy: identity } }\n");
    EXPECT_TRUE(has_error(templates, "kmirror.yaml:4:", "also writes into cluster 'dr'"));
}

TEST(ConfigParser, AllowsFanInWhenOneFlowPutsTheSourceInTopicNames) {
    const std::string clusters =
        "clusters: { a: { bootstrap: \"a:1\" }, b: { bootstrap: \"b:1\" }, dr: { bootstrap: "
        "\"c:1\" } }\n";
    EXPECT_TRUE(parse(clusters + "flows:\n"
                                 "  - { name: a, source: a, target: dr }\n"
                                 "  - { name: b, source: b, target: dr }\n")
                    .config);
    EXPECT_TRUE(parse(clusters +
                      "flows:\n"
                      "  - { name: a, source: a, target: dr, rename: { policy: identity } }\n"
                      "  - { name: b, source: b, target: dr,"
                      " rename: { policy: template, format: \"{source}_{topic}\" } }\n")
                    .config);
}

}  // namespace
}  // namespace kmirror::config
