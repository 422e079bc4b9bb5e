#include "config/security.h"

#include "config/render.h"
#include "parse_helpers.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

namespace kmirror::config {
namespace {

using testing::has_error;
using testing::has_warning;
using testing::parse;

/// A config whose primary cluster has the given `security:` body on lines 4..
/// (keys at column 7) and `properties` on the lines after it.
std::string with_security(const std::string& body, const std::string& properties = "") {
    return "clusters:\n"                             // 1
           "  primary:\n"                            // 2
           "    security:\n"                         // 3
           + body +                                  // 4..
           "    bootstrap: \"127.0.0.1:19092\"\n" +  //
           (properties.empty() ? "" : "    properties:\n" + properties) +
           "  dr: { bootstrap: \"127.0.0.1:29092\" }\n"
           "flows: [{ name: f, source: primary, target: dr }]\n";
}

std::map<std::string, std::string> librdkafka_properties(const Config& config) {
    std::map<std::string, std::string> out;
    for (const auto& p : security_properties(config.clusters.at("primary"))) {
        out[p.key] = p.value.reveal();
    }
    return out;
}

TEST(ClusterSecurity, StandsForLibrdkafkasSaslSslProperties) {
    ::setenv("KMIRROR_TEST_SECURITY_PASSWORD", "pw-from-env", 1);
    const ParseResult r = parse(with_security(
        "      protocol: SASL_SSL\n"
        "      tls: { ca: /etc/kmirror/ca.crt }\n"
        "      sasl: { mechanism: SCRAM-SHA-512, username: mirror,"
        " password: \"${env:KMIRROR_TEST_SECURITY_PASSWORD}\" }\n"));
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    const std::map<std::string, std::string> expected{
        {"security.protocol", "SASL_SSL"},
        {"ssl.ca.location", "/etc/kmirror/ca.crt"},
        {"ssl.endpoint.identification.algorithm", "https"},
        {"sasl.mechanism", "SCRAM-SHA-512"},
        {"sasl.username", "mirror"},
        {"sasl.password", "pw-from-env"}};
    EXPECT_EQ(librdkafka_properties(*r.config), expected);
    for (const auto& p : security_properties(r.config->clusters.at("primary"))) {
        EXPECT_EQ(p.secret, p.key == "sasl.password") << p.key;
        EXPECT_TRUE(p.origin.starts_with("clusters.primary.security.")) << p.origin;
    }
}

TEST(ClusterSecurity, StandsForAPkcs12KeystoreWithItsPassword) {
    const ParseResult r = parse(with_security(
        "      protocol: SSL\n"
        "      tls: { ca: ca.crt, keystore: user.p12, keystore_password: p12-pass }\n"));
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    const auto props = librdkafka_properties(*r.config);
    EXPECT_EQ(props.at("security.protocol"), "SSL");
    EXPECT_EQ(props.at("ssl.keystore.location"), "user.p12");
    EXPECT_EQ(props.at("ssl.keystore.password"), "p12-pass");
    EXPECT_FALSE(props.contains("sasl.mechanism"));
}

TEST(ClusterSecurity, StandsForOidcClientCredentialsWithOauthbearer) {
    const ParseResult r = parse(with_security(
        "      protocol: SASL_SSL\n"
        "      sasl:\n"
        "        mechanism: OAUTHBEARER\n"
        "        token_endpoint: https://sso.example.com/token\n"
        "        client_id: kmirror\n"
        "        client_secret: oidc-secret\n"
        "        scope: kafka\n"));
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    const auto props = librdkafka_properties(*r.config);
    EXPECT_EQ(props.at("sasl.mechanism"), "OAUTHBEARER");
    EXPECT_EQ(props.at("sasl.oauthbearer.method"), "oidc");
    EXPECT_EQ(props.at("sasl.oauthbearer.token.endpoint.url"), "https://sso.example.com/token");
    EXPECT_EQ(props.at("sasl.oauthbearer.client.id"), "kmirror");
    EXPECT_EQ(props.at("sasl.oauthbearer.client.secret"), "oidc-secret");
    EXPECT_EQ(props.at("sasl.oauthbearer.scope"), "kafka");
    EXPECT_FALSE(props.contains("sasl.username"));
    const ParseResult mixed = parse(with_security(
        "      protocol: SASL_SSL\n"
        "      sasl: { mechanism: OAUTHBEARER, username: u, password: p }\n"));
    EXPECT_TRUE(has_error(mixed, "kmirror.yaml:5:", "needs sasl.token_endpoint"));
    EXPECT_TRUE(has_error(mixed, "kmirror.yaml:5:", "not a username and password"));
}

TEST(ClusterSecurity, CheckConfigPrintsTheSectionWithSecretsRedacted) {
    const ParseResult r = parse(with_security(
        "      protocol: SASL_PLAINTEXT\n"
        "      sasl: { username: mirror, password: s3cr3t-in-file }\n"));
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    const std::string yaml = to_yaml(*r.config);
    EXPECT_EQ(yaml.find("s3cr3t-in-file"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("[secret]"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("SASL_PLAINTEXT"), std::string::npos) << yaml;
}

TEST(ClusterSecurity, RefusesAPropertyItAlreadySetsNamingBothKeys) {
    const ParseResult r = parse(with_security("      protocol: SASL_SSL\n"                // 4
                                              "      sasl: { username: u, password: p }\n",  // 5
                                              "      sasl.username: other\n"));  // 8
    EXPECT_TRUE(has_error(r, "kmirror.yaml:8:7: clusters.primary.properties.sasl.username: ",
                          "also set by clusters.primary.security.sasl.username"));
}

TEST(ClusterSecurity, ReportsSettingsTheProtocolDoesNotUseAndMissingCredentials) {
    const ParseResult r = parse(with_security("      protocol: SASL_PLAINTEXT\n"  // 4
                                              "      tls: { ca: ca.crt }\n"));    // 5
    EXPECT_TRUE(has_error(r, "kmirror.yaml:5:", "TLS settings need protocol SSL or SASL_SSL"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:4:", "needs sasl.username and sasl.password"));
    const ParseResult half = parse(with_security("      protocol: SSL\n"
                                                 "      tls: { cert: user.crt }\n"));
    EXPECT_TRUE(has_error(half, "kmirror.yaml:5:", "needs both `cert` and `key`"));
}

TEST(ClusterSecurity, AMissingPasswordVariableNamesTheKeyButNoValue) {
    ::unsetenv("KMIRROR_TEST_UNSET_PASSWORD");
    const ParseResult r = parse(with_security(
        "      protocol: SASL_SSL\n"
        "      sasl:\n"
        "        username: u\n"
        "        password: \"${env:KMIRROR_TEST_UNSET_PASSWORD}\"\n"));  // 7
    EXPECT_TRUE(has_error(r, "kmirror.yaml:7:19: clusters.primary.security.sasl.password: ",
                          "environment variable KMIRROR_TEST_UNSET_PASSWORD is not set"));
}

TEST(ClusterSecurity, WarnsWhenHostNameVerificationIsOff) {
    const ParseResult r = parse(with_security(
        "      protocol: SSL\n"
        "      tls:\n"
        "        ca: ca.crt\n"
        "        verify_hostname: false\n"));  // 7
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    EXPECT_TRUE(has_warning(r, "kmirror.yaml:7:", "host name verification is off"));
    EXPECT_EQ(librdkafka_properties(*r.config).at("ssl.endpoint.identification.algorithm"),
              "none");
}

}  // namespace
}  // namespace kmirror::config
