#pragma once
// A cluster's `security:` section: what a Strimzi / AMQ Streams user writes
// (protocol, CA, client certificate or PKCS#12 keystore, SASL user) instead
// of librdkafka's property names. It stands for a set of librdkafka
// properties; `properties:` may not set any of them again (one place each).

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace kmirror::config {

class Reader;

/// Names of the enumerations as written in the file, in declaration order.
inline constexpr std::array<std::string_view, 4> kSecurityProtocolNames{
    "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};
inline constexpr std::array<std::string_view, 4> kSaslMechanismNames{
    "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"};

/// One librdkafka property that `security:` stands for.
struct SecurityProperty {
    std::string key;      ///< librdkafka name, e.g. "ssl.ca.location"
    Secret value;
    bool secret = false;  ///< a password: never printed
    std::string origin;   ///< the key it comes from: "clusters.primary.security.tls.ca"
};

/// The librdkafka properties of `cluster.security` (none without it).
std::vector<SecurityProperty> security_properties(const Cluster& cluster);

/// Names as written in the file: "SASL_SSL", "SCRAM-SHA-512".
std::string_view to_string(SecurityProtocol protocol);
std::string_view to_string(SaslMechanism mechanism);

/// Cross-key checks of every cluster's `security:` section: settings the
/// protocol does not use, missing credentials, half a client certificate,
/// and a librdkafka key set both there and in `properties:`.
void validate_security(Reader& reader, const Config& config);

}  // namespace kmirror::config
