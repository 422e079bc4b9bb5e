#include "config/checks.h"

#include <gtest/gtest.h>

namespace kmirror::config {
namespace {

TEST(Checks, AcceptsNamesMadeOfTopicCharactersOnly) {
    EXPECT_EQ(check_name("primary-to-dr_2.eu"), "");
    EXPECT_NE(check_name("to dr"), "");
    EXPECT_NE(check_name("to/dr"), "");
    EXPECT_NE(check_name("dr:1"), "");
}

TEST(Checks, ReportsTheRegexErrorOfAnInvalidRegex) {
    EXPECT_EQ(check_regex("orders\\..*"), "");
    EXPECT_EQ(check_regex("(a|b)+"), "");
    const std::string why = check_regex("orders.(");
    EXPECT_EQ(why.rfind("invalid regex \"orders.(\": ", 0), 0U) << why;
    EXPECT_GT(why.size(), std::string("invalid regex \"orders.(\": ").size());
}

TEST(Checks, AcceptsTemplatesWithTopicAndOptionallySource) {
    EXPECT_EQ(check_template("{topic}"), "");
    EXPECT_EQ(check_template("dr-{topic}"), "");
    EXPECT_EQ(check_template("{source}.{topic}"), "");
    EXPECT_EQ(check_template("{topic}.{source}.mirror"), "");
}

TEST(Checks, RejectsTemplatesWithoutTopicOrWithOtherPlaceholders) {
    EXPECT_NE(check_template("{source}").find("must contain {topic}"), std::string::npos);
    EXPECT_NE(check_template("dr").find("must contain {topic}"), std::string::npos);
    EXPECT_NE(check_template("{Topic}").find("unknown placeholder '{Topic}'"), std::string::npos);
    EXPECT_NE(check_template("{}{topic}").find("unknown placeholder '{}'"), std::string::npos);
    EXPECT_NE(check_template("{topic}}").find("unbalanced '}'"), std::string::npos);
    EXPECT_NE(check_template("{{topic}").find("unknown placeholder"), std::string::npos);
    EXPECT_NE(check_template("a b{topic}").find("not legal in topic names"), std::string::npos);
}

TEST(Checks, AcceptsHostPortListenAddressesOnly) {
    EXPECT_EQ(check_listen("127.0.0.1:9464"), "");
    EXPECT_EQ(check_listen("[::1]:0"), "");
    EXPECT_EQ(check_listen("metrics.local:65535"), "");
    EXPECT_NE(check_listen("[]:80"), "");
    EXPECT_NE(check_listen("::1"), "");
    EXPECT_NE(check_listen("host:-1"), "");
    EXPECT_NE(check_listen("host:99999").find("port must be 0..65535"), std::string::npos);
}

TEST(Checks, RejectsBootstrapListsWithEmptyEntries) {
    EXPECT_EQ(check_bootstrap("a:9092"), "");
    EXPECT_EQ(check_bootstrap("a:9092,b:9092"), "");
    EXPECT_NE(check_bootstrap("a:9092,"), "");
    EXPECT_NE(check_bootstrap(",a:9092"), "");
    EXPECT_NE(check_bootstrap("a:9092,,b:9092"), "");
}

TEST(Checks, AcceptsConfigNamesButNotPatterns) {
    EXPECT_EQ(check_config_name("min.insync.replicas"), "");
    EXPECT_NE(check_config_name("confluent.*"), "");
    EXPECT_NE(check_config_name("retention\\..*"), "");
}

TEST(Checks, RejectsSeparatorsThatCannotAppearInTopicNames) {
    EXPECT_EQ(check_separator("."), "");
    EXPECT_EQ(check_separator("__"), "");
    EXPECT_NE(check_separator("/"), "");
    EXPECT_NE(check_separator(" "), "");
}

}  // namespace
}  // namespace kmirror::config
