// The shipped examples must stay valid as the schema changes.

#include "config/parser.h"
#include "config/render.h"
#include "parse_helpers.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace kmirror::config {
namespace {

ParseResult parse_example(const std::string& name) {
    return parse_file(std::string(KMIRROR_SOURCE_DIR) + "/examples/" + name);
}

TEST(Examples, QuickstartParsesWithoutErrorsOrWarnings) {
    const ParseResult r = parse_example("quickstart.yaml");
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    EXPECT_TRUE(r.warnings.empty());
    const Config& c = *r.config;
    EXPECT_EQ(c.clusters.at("primary").bootstrap, "127.0.0.1:19092");
    EXPECT_EQ(c.clusters.at("dr").bootstrap, "127.0.0.1:29092");
    ASSERT_EQ(c.flows.size(), 1U);
    EXPECT_EQ(c.flows[0].name, "primary-to-dr");
    EXPECT_EQ(c.flows[0].source, "primary");
    EXPECT_EQ(c.flows[0].target, "dr");
    EXPECT_EQ(c.flows[0].rename.policy, RenamePolicy::prefix);
    EXPECT_EQ(c.flows[0].workers, 2);
    EXPECT_EQ(c.state.path, ".kmirror/state.db");
    EXPECT_EQ(c.http.listen, "127.0.0.1:9464");
}

TEST(Examples, SaslSslParsesWithThePasswordFromTheEnvironmentAndKeepsItSecret) {
    ::setenv("KMIRROR_DR_PASSWORD", "example-password", 1);
    const ParseResult r = parse_example("sasl_ssl.yaml");
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    EXPECT_TRUE(r.warnings.empty());
    bool found = false;
    for (const auto& [alias, cluster] : r.config->clusters) {
        for (const ClusterProperty& p : cluster.properties) {
            if (p.key == "sasl.password") {
                found = true;
                EXPECT_TRUE(p.secret);
                EXPECT_EQ(p.value.reveal(), "example-password");
            }
        }
    }
    EXPECT_TRUE(found);
    EXPECT_EQ(to_yaml(*r.config).find("example-password"), std::string::npos);
}

TEST(Examples, SaslSslNamesTheMissingVariableWhenItIsNotSet) {
    ::unsetenv("KMIRROR_DR_PASSWORD");
    const ParseResult r = parse_example("sasl_ssl.yaml");
    EXPECT_FALSE(r.config);
    ASSERT_EQ(r.errors.size(), 1U) << testing::all_errors(r);
    EXPECT_NE(r.errors[0].message.find("KMIRROR_DR_PASSWORD"), std::string::npos);
}

TEST(Examples, ActiveActiveParsesWithTwoOppositePrefixFlows) {
    const ParseResult r = parse_example("active_active.yaml");
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    EXPECT_TRUE(r.warnings.empty());
    const Config& c = *r.config;
    ASSERT_EQ(c.flows.size(), 2U);
    EXPECT_EQ(c.flows[0].source, c.flows[1].target);
    EXPECT_EQ(c.flows[0].target, c.flows[1].source);
    EXPECT_EQ(c.flows[0].rename.policy, RenamePolicy::prefix);
    EXPECT_EQ(c.flows[1].rename.policy, RenamePolicy::prefix);
}

}  // namespace
}  // namespace kmirror::config
