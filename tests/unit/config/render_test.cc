#include "config/render.h"

#include "config/schema.h"
#include "parse_helpers.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>
#include <string>

namespace kmirror::config {
namespace {

using testing::minimal;
using testing::parse;

TEST(ToYaml, PrintsTheNormalizedConfigWithDefaultsAndFormattedDurations) {
    const ParseResult r = parse(minimal("    refresh_interval: 90000ms\n"));
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    const std::string yaml = to_yaml(*r.config);
    const YAML::Node n = YAML::Load(yaml);
    EXPECT_EQ(n["clusters"]["primary"]["bootstrap"].Scalar(), "127.0.0.1:19092");
    const YAML::Node flow = n["flows"][0];
    EXPECT_EQ(flow["name"].Scalar(), "primary-to-dr");
    EXPECT_EQ(flow["refresh_interval"].Scalar(), "90s");
    EXPECT_EQ(flow["config_sync_interval"].Scalar(), "1m");
    EXPECT_EQ(flow["workers"].Scalar(), "1");
    EXPECT_EQ(flow["rename"]["policy"].Scalar(), "prefix");
    EXPECT_FALSE(flow["rename"]["format"]) << "format is only printed for templates";
    EXPECT_EQ(flow["topics"]["include"][0].Scalar(), ".*");
    EXPECT_EQ(flow["on_data_loss"].Scalar(), "stop");
    EXPECT_EQ(flow["config_exclude"].size(), default_config_exclude().size());
    EXPECT_EQ(n["state"]["path"].Scalar(), "/var/lib/kmirror/state.db");
    EXPECT_EQ(n["http"]["listen"].Scalar(), "127.0.0.1:9464");
    EXPECT_EQ(n["log"]["format"].Scalar(), "text");
    EXPECT_EQ(n["shutdown"]["timeout"].Scalar(), "30s");
    EXPECT_EQ(n["connect_timeout"].Scalar(), "15s");
}

TEST(ToYaml, ParsesBackIntoTheSameConfig) {
    const ParseResult first = parse(R"yaml(clusters:
  primary:
    bootstrap: "127.0.0.1:19092"
    properties: { client.id: kmirror, "socket.timeout.ms": 30000 }
  dr: { bootstrap: "127.0.0.1:29092" }
flows:
  - name: primary-to-dr
    source: primary
    target: dr
    topics: { include: ["orders.*", "[a-z]+", "payments"], exclude: [".*\\.tmp"] }
    rename: { policy: template, format: "{source}.{topic}" }
    workers: 2
    on_data_loss: continue
  - name: dr-to-primary
    source: dr
    target: primary
    rename: { policy: identity }
log: { level: warn, format: json }
)yaml");
    ASSERT_TRUE(first.config) << testing::all_errors(first);
    const std::string yaml = to_yaml(*first.config);
    const ParseResult second = parse(yaml);
    ASSERT_TRUE(second.config) << testing::all_errors(second) << yaml;
    EXPECT_TRUE(second.warnings.empty());
    EXPECT_EQ(to_yaml(*second.config), yaml);
    EXPECT_EQ(second.config->flows[0].include, first.config->flows[0].include);
    EXPECT_EQ(second.config->flows[0].exclude, first.config->flows[0].exclude);
}

TEST(DefaultsYaml, ListsEveryKeyWithItsDefaultAsValidYaml) {
    const std::string yaml = defaults_yaml();
    YAML::Node n;
    ASSERT_NO_THROW(n = YAML::Load(yaml)) << yaml;
    const YAML::Node flow = n["flows"][0];
    EXPECT_EQ(flow["workers"].Scalar(), "1");
    EXPECT_EQ(flow["refresh_interval"].Scalar(), "5s");
    EXPECT_EQ(flow["commit_interval"].Scalar(), "1s");
    EXPECT_EQ(flow["replication_factor"].Scalar(), "-1");
    EXPECT_EQ(flow["rename"]["separator"].Scalar(), ".");
    EXPECT_EQ(flow["topics"]["include"][0].Scalar(), ".*");
    EXPECT_TRUE(flow["name"].IsNull()) << "required keys have no default";
    EXPECT_TRUE(n["clusters"]["<alias>"]["bootstrap"].IsNull());
    EXPECT_EQ(n["state"]["path"].Scalar(), "/var/lib/kmirror/state.db");
    EXPECT_EQ(n["http"]["listen"].Scalar(), "127.0.0.1:9464");
    EXPECT_EQ(n["log"]["level"].Scalar(), "info");
    EXPECT_EQ(n["shutdown"]["timeout"].Scalar(), "30s");
    EXPECT_EQ(n["connect_timeout"].Scalar(), "15s");
    EXPECT_NE(yaml.find("# required."), std::string::npos);
}

TEST(DefaultsYaml, FilledInWithTheRequiredKeysParsesAsAValidConfig) {
    // Every default the file prints must pass the parser's own validation.
    YAML::Node n = YAML::Load(defaults_yaml());
    n["clusters"] = YAML::Load("{ a: { bootstrap: \"a:1\" }, b: { bootstrap: \"b:1\" } }");
    n["flows"][0]["name"] = "f";
    n["flows"][0]["source"] = "a";
    n["flows"][0]["target"] = "b";
    n["flows"][0]["rename"].remove("format");
    YAML::Emitter out;
    out << n;
    const ParseResult r = parse(out.c_str());
    EXPECT_TRUE(r.config) << testing::all_errors(r) << out.c_str();
}

TEST(ConfigurationMarkdown, DocumentsEveryKeyOfEveryTable) {
    const std::string md = configuration_markdown();
    for (const TableDoc& table : schema_docs()) {
        for (const FieldDoc& field : table.fields) {
            EXPECT_NE(md.find("| `" + std::string(field.spec.key) + "` |"), std::string::npos)
                << table.name << "." << field.spec.key;
        }
    }
    EXPECT_NE(md.find("`enable.idempotence` | `true`"), std::string::npos);
    EXPECT_NE(md.find("${env:NAME}"), std::string::npos);
}

TEST(ConfigurationMarkdown, DocsConfigurationMdIsUpToDate) {
    const std::string path = std::string(KMIRROR_SOURCE_DIR) + "/docs/configuration.md";
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "cannot read " << path;
    std::ostringstream contents;
    contents << in.rdbuf();
    EXPECT_EQ(contents.str(), configuration_markdown())
        << "docs/configuration.md is stale: regenerate it from configuration_markdown()";
}

TEST(DefaultConfigExclude, IsMirrorMakersListPlusTheNewTimestampBounds) {
    const std::vector<std::string> expected{
        "follower.replication.throttled.replicas", "leader.replication.throttled.replicas",
        "message.timestamp.difference.max.ms",     "message.timestamp.type",
        "unclean.leader.election.enable",          "min.insync.replicas",
        "message.timestamp.before.max.ms",         "message.timestamp.after.max.ms"};
    EXPECT_EQ(default_config_exclude(), expected);
}

}  // namespace
}  // namespace kmirror::config
