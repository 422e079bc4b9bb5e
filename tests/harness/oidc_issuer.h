#pragma once
// OidcIssuer: tests/harness/oidc_issuer.py as a child process: a small OpenID
// Connect issuer on loopback (client-credentials token endpoint, JWKS) for
// brokers that validate OAUTHBEARER tokens and clients that fetch them.
//
//     harness::OidcIssuer issuer(dir, {{"kmirror", "secret"}, ...});
//     issuer.token_url();  // "http://127.0.0.1:PORT/token"
//
// It dies with this object, and with the test process (PR_SET_PDEATHSIG).

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace kmirror::harness {

class OidcIssuer {
public:
    /// Starts the issuer (its signing key in `dir`) for these client id /
    /// secret pairs; throws std::runtime_error when it does not come up.
    OidcIssuer(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& clients);
    ~OidcIssuer();
    OidcIssuer(const OidcIssuer&) = delete;
    OidcIssuer& operator=(const OidcIssuer&) = delete;

    /// "http://127.0.0.1:PORT": the `iss` of its tokens.
    [[nodiscard]] const std::string& url() const { return url_; }
    [[nodiscard]] std::string token_url() const { return url_ + "/token"; }
    [[nodiscard]] std::string jwks_url() const { return url_ + "/jwks"; }

private:
    pid_t pid_ = -1;
    std::string url_;
};

}  // namespace kmirror::harness
