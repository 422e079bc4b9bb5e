#!/usr/bin/env python3
"""oidc_issuer.py: a small OpenID Connect issuer for tests, on loopback.

    oidc_issuer.py DIR CLIENT_ID:SECRET [CLIENT_ID:SECRET ...]

Serves, until killed:
  POST /token  the client-credentials grant (RFC 6749 4.4), client id and
               secret by HTTP basic auth or in the form; answers a JWT access
               token signed RS256 (sub = client id, iss = the issuer's URL,
               aud = "kafka", scope as asked, exp in one hour), 401 otherwise
  GET  /jwks   the signing key as a JSON Web Key Set, for the brokers

Prints "http://127.0.0.1:PORT" (the issuer URL; PORT picked by the OS) on
stdout once it listens. Signing uses the openssl command line (the key is made
in DIR once), so nothing beyond Python's standard library is needed. Test
tooling only: no TLS, no discovery document, no refresh tokens.
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main() -> None:
    directory, clients = sys.argv[1], dict(c.split(":", 1) for c in sys.argv[2:])
    os.makedirs(directory, exist_ok=True)
    key = os.path.join(directory, "issuer.key")
    if not os.path.exists(key):
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", key], check=True, capture_output=True)
    modulus_hex = subprocess.run(["openssl", "rsa", "-in", key, "-noout", "-modulus"],
                                 check=True, capture_output=True, text=True).stdout
    modulus = bytes.fromhex(modulus_hex.strip().split("=", 1)[1])
    jwks = {"keys": [{"kty": "RSA", "kid": "kmirror-test", "use": "sig", "alg": "RS256",
                      "n": b64url(modulus), "e": b64url((65537).to_bytes(3, "big"))}]}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # quiet: tests read stdout
            pass

        def reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.split("?")[0] == "/jwks":
                self.reply(200, jwks)
            else:
                self.reply(404, {"error": "not_found"})

        def do_POST(self):
            if self.path.split("?")[0] != "/token":
                self.reply(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            client_id = form.get("client_id", [""])[0]
            secret = form.get("client_secret", [""])[0]
            auth = self.headers.get("Authorization", "")
            if auth.lower().startswith("basic "):
                decoded = base64.b64decode(auth[6:]).decode()
                client_id, secret = (urllib.parse.unquote(p) for p in decoded.split(":", 1))
            if form.get("grant_type", [""])[0] != "client_credentials":
                self.reply(400, {"error": "unsupported_grant_type"})
                return
            if clients.get(client_id) != secret:
                self.reply(401, {"error": "invalid_client"})
                return
            now = int(time.time())
            header = {"alg": "RS256", "typ": "JWT", "kid": "kmirror-test"}
            claims = {"iss": issuer, "sub": client_id, "aud": "kafka", "iat": now,
                      "exp": now + 3600, "scope": form.get("scope", ["kafka"])[0]}
            signing_input = (b64url(json.dumps(header).encode()) + "." +
                             b64url(json.dumps(claims).encode()))
            signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key, "-binary"],
                                       input=signing_input.encode(), check=True,
                                       capture_output=True).stdout
            self.reply(200, {"access_token": signing_input + "." + b64url(signature),
                             "token_type": "Bearer", "expires_in": 3600})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    print(issuer, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
