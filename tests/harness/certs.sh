#!/usr/bin/env bash
# certs.sh DIR: test certificates for TLS clusters, made with openssl (PEM).
#
#   DIR/ca.crt                 the test CA
#   DIR/broker.pem             broker key + certificate (CN=broker, SAN IP:127.0.0.1, DNS:localhost),
#                              the PEM keystore a broker's SSL listener uses
#   DIR/wrong-name-broker.pem  the same CA, but SAN DNS:wrong.example.com only: hostname
#                              verification must refuse it
#   DIR/other-ca.crt           a CA that signed nothing here: trusting it must fail
#   DIR/NAME.crt, DIR/NAME.key client certificate and key (CN=NAME) for every NAME in
#                              $KMIRROR_CERT_CLIENTS (default: "admin kmirror"), signed by ca.crt;
#                              DIR/NAME.pem both in one file (a PEM keystore for Kafka's Java tools),
#                              DIR/NAME.p12 the same as a PKCS#12 keystore, password in DIR/NAME.password
#
# Keys are unencrypted PKCS#8 (test only). Idempotent: a DIR holding ca.crt is left as it is.
# Takes about a second.
set -euo pipefail
dir="${1:?usage: certs.sh DIR}"
clients="${KMIRROR_CERT_CLIENTS:-admin kmirror}"
[[ -f "$dir/ca.crt" ]] && exit 0
mkdir -p "$dir"
tmp="$(mktemp -d "$dir/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
days=30

ca() { # ca NAME: self-signed CA NAME.crt / NAME.key in $tmp
    openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/CN=kmirror test $1" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$tmp/$1.key" -out "$tmp/$1.crt" 2>/dev/null
}

leaf() { # leaf NAME CN SAN USAGE: NAME.key / NAME.crt signed by the test CA
    local name="$1" cn="$2" san="$3" usage="$4"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" \
        -keyout "$tmp/$name.key" -out "$tmp/$name.csr" 2>/dev/null
    {
        echo "basicConstraints=CA:FALSE"
        echo "keyUsage=digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=$usage"
        [[ -n "$san" ]] && echo "subjectAltName=$san"
    } >"$tmp/$name.ext"
    openssl x509 -req -in "$tmp/$name.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
        -CAcreateserial -days "$days" -extfile "$tmp/$name.ext" -out "$tmp/$name.crt" 2>/dev/null
}

ca ca
ca other-ca
# Brokers also connect to themselves (inter-broker) and present this as a client.
leaf broker broker "IP:127.0.0.1,DNS:localhost" serverAuth,clientAuth
leaf wrong-name-broker broker "DNS:wrong.example.com" serverAuth,clientAuth
cat "$tmp/broker.key" "$tmp/broker.crt" >"$tmp/broker.pem"
cat "$tmp/wrong-name-broker.key" "$tmp/wrong-name-broker.crt" >"$tmp/wrong-name-broker.pem"
for c in $clients; do
    leaf "$c" "$c" "" clientAuth
    cat "$tmp/$c.key" "$tmp/$c.crt" >"$tmp/$c.pem"
    openssl rand -hex 12 >"$tmp/$c.password"
    openssl pkcs12 -export -inkey "$tmp/$c.key" -in "$tmp/$c.crt" -certfile "$tmp/ca.crt" \
        -name "$c" -passout "file:$tmp/$c.password" -out "$tmp/$c.p12"
done
rm -f "$tmp"/*.csr "$tmp"/*.ext "$tmp"/*.srl "$tmp/ca.key" "$tmp/other-ca.key" \
    "$tmp/broker.key" "$tmp/broker.crt" "$tmp/wrong-name-broker.key" "$tmp/wrong-name-broker.crt"
chmod 0600 "$tmp"/*.key "$tmp"/*.pem "$tmp"/*.p12 "$tmp"/*.password
mv "$tmp"/* "$dir/"
