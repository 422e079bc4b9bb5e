#include "config/security.h"

#include "config/reader.h"

namespace kmirror::config {
namespace {

bool uses_tls(SecurityProtocol p) {
    return p == SecurityProtocol::ssl || p == SecurityProtocol::sasl_ssl;
}

bool uses_sasl(SecurityProtocol p) {
    return p == SecurityProtocol::sasl_plaintext || p == SecurityProtocol::sasl_ssl;
}

bool any_tls_setting(const Tls& t) {
    return !t.ca.empty() || !t.cert.empty() || !t.key.empty() || !t.key_password.empty() ||
           !t.keystore.empty() || !t.keystore_password.empty() || !t.verify_hostname;
}

}  // namespace

std::string_view to_string(SecurityProtocol protocol) {
    return kSecurityProtocolNames.at(static_cast<std::size_t>(protocol));
}

std::string_view to_string(SaslMechanism mechanism) {
    return kSaslMechanismNames.at(static_cast<std::size_t>(mechanism));
}

std::vector<SecurityProperty> security_properties(const Cluster& cluster) {
    std::vector<SecurityProperty> out;
    if (!cluster.security) return out;
    const Security& s = *cluster.security;
    const std::string base = "clusters." + cluster.alias + ".security";
    auto add = [&](std::string key, std::string value, std::string_view from) {
        if (value.empty()) return;
        out.push_back({std::move(key), Secret(std::move(value)), false, base + std::string(from)});
    };
    auto add_secret = [&](std::string key, const Secret& value, std::string_view from) {
        if (value.empty()) return;
        out.push_back({std::move(key), value, true, base + std::string(from)});
    };
    add("security.protocol", std::string(to_string(s.protocol)), ".protocol");
    if (uses_tls(s.protocol)) {
        add("ssl.ca.location", s.tls.ca, ".tls.ca");
        add("ssl.certificate.location", s.tls.cert, ".tls.cert");
        add("ssl.key.location", s.tls.key, ".tls.key");
        add_secret("ssl.key.password", s.tls.key_password, ".tls.key_password");
        add("ssl.keystore.location", s.tls.keystore, ".tls.keystore");
        add_secret("ssl.keystore.password", s.tls.keystore_password, ".tls.keystore_password");
        // Stated either way, so `properties:` cannot quietly say otherwise.
        add("ssl.endpoint.identification.algorithm", s.tls.verify_hostname ? "https" : "none",
            ".tls.verify_hostname");
    }
    if (uses_sasl(s.protocol)) {
        add("sasl.mechanism", std::string(to_string(s.sasl.mechanism)), ".sasl.mechanism");
        if (s.sasl.mechanism == SaslMechanism::oauthbearer) {
            // librdkafka fetches (and refreshes) the token itself.
            add("sasl.oauthbearer.method", "oidc", ".sasl.mechanism");
            add("sasl.oauthbearer.token.endpoint.url", s.sasl.token_endpoint,
                ".sasl.token_endpoint");
            add("sasl.oauthbearer.client.id", s.sasl.client_id, ".sasl.client_id");
            add_secret("sasl.oauthbearer.client.secret", s.sasl.client_secret,
                       ".sasl.client_secret");
            add("sasl.oauthbearer.scope", s.sasl.scope, ".sasl.scope");
        } else {
            add("sasl.username", s.sasl.username, ".sasl.username");
            add_secret("sasl.password", s.sasl.password, ".sasl.password");
        }
    }
    return out;
}

void validate_security(Reader& reader, const Config& config) {
    for (const auto& [alias, cluster] : config.clusters) {
        if (!cluster.security) continue;
        const Security& s = *cluster.security;
        const std::string base = "clusters." + alias + ".security";
        const std::string protocol(to_string(s.protocol));
        auto report = [&](const std::string& path, const std::string& message) {
            reader.error(reader.mark_of(path), path, message);
        };
        if (!uses_tls(s.protocol) && any_tls_setting(s.tls)) {
            report(base + ".tls", "TLS settings need protocol SSL or SASL_SSL, not " + protocol);
        }
        const bool sasl_given = reader.present(base + ".sasl");
        if (!uses_sasl(s.protocol) && sasl_given) {
            report(base + ".sasl",
                   "SASL settings need protocol SASL_PLAINTEXT or SASL_SSL, not " + protocol);
        }
        const bool oauth = s.sasl.mechanism == SaslMechanism::oauthbearer;
        const std::string sasl_at = sasl_given ? base + ".sasl" : base + ".protocol";
        if (uses_sasl(s.protocol) && !oauth &&
            (s.sasl.username.empty() || s.sasl.password.empty())) {
            report(sasl_at, "protocol " + protocol + " needs sasl.username and sasl.password");
        }
        if (uses_sasl(s.protocol) && oauth &&
            (s.sasl.token_endpoint.empty() || s.sasl.client_id.empty() ||
             s.sasl.client_secret.empty())) {
            report(sasl_at, "mechanism OAUTHBEARER needs sasl.token_endpoint, sasl.client_id "
                            "and sasl.client_secret");
        }
        const bool has_user = !s.sasl.username.empty() || !s.sasl.password.empty();
        const bool has_client = !s.sasl.token_endpoint.empty() || !s.sasl.client_id.empty() ||
                                !s.sasl.client_secret.empty() || !s.sasl.scope.empty();
        if (oauth && has_user) {
            report(base + ".sasl", "OAUTHBEARER takes OIDC client credentials, not a username "
                                   "and password");
        }
        if (!oauth && has_client) {
            report(base + ".sasl", "token_endpoint, client_id, client_secret and scope are for "
                                   "mechanism OAUTHBEARER");
        }
        const Tls& t = s.tls;
        if (t.cert.empty() != t.key.empty()) {
            report(base + ".tls" + (t.cert.empty() ? ".key" : ".cert"),
                   "a client certificate needs both `cert` and `key`");
        }
        if (!t.keystore.empty() && !t.cert.empty()) {
            report(base + ".tls.keystore", "give either `keystore` or `cert` and `key`, not both");
        }
        if (!t.key_password.empty() && t.key.empty()) {
            report(base + ".tls.key_password", "`key_password` is for `key`, which is not set");
        }
        if (!t.keystore_password.empty() && t.keystore.empty()) {
            report(base + ".tls.keystore_password",
                   "`keystore_password` is for `keystore`, which is not set");
        }
        if (uses_tls(s.protocol) && !t.verify_hostname) {
            const std::string path = base + ".tls.verify_hostname";
            reader.warning(reader.mark_of(path), path,
                           "host name verification is off: any certificate the CA signed, for "
                           "any host, is accepted as this cluster's");
        }
        // One place per setting: the same librdkafka key in `properties:` too
        // would leave the reader guessing which one wins.
        for (const auto& d : security_properties(cluster)) {
            for (const auto& p : cluster.properties) {
                if (p.key != d.key) continue;
                const std::string path = "clusters." + alias + ".properties." + p.key;
                YAML::Mark at;  // the property's own line, which read_properties kept
                at.line = p.line - 1;
                at.column = p.column - 1;
                reader.error(at, path,
                             "also set by " + d.origin + " (both are librdkafka's " + d.key +
                                 "): set it in one place");
            }
        }
    }
}

}  // namespace kmirror::config
