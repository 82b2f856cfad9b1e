# Throwaway PKI for the TLS/DTLS tests (source after common.sh): make_pki DIR
# writes ca.pem/ca.key (the trusted CA), rogue-ca.pem (an unrelated CA),
# server.pem/server.key (CN collector.test, SAN DNS:collector.test,
# DNS:localhost, IP:127.0.0.1, IP:::1, serverAuth), client.pem/client.key
# (CN exporter.test, clientAuth), rogue.pem/rogue.key (CN exporter.test, but
# signed by the rogue CA) and other.pem/other.key (CN other.test, signed by
# the good CA).  EC P-256 keys: quick to make.
make_pki() {
    local d=$1 n
    mkdir -p "$d"
    (
        cd "$d" || exit 1
        for ca in ca rogue-ca; do
            openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -keyout $ca.key -out $ca.pem -days 2 -subj "/CN=netsift test $ca" \
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        done
        leaf() { # NAME CA CN SAN EKU
            openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
                -out "$1.csr" -subj "/CN=$3"
            printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$4" "$5" >"$1.ext"
            openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
                -out "$1.pem" -days 2 -extfile "$1.ext"
        }
        leaf server ca collector.test "DNS:collector.test,DNS:localhost,IP:127.0.0.1,IP:::1" serverAuth
        leaf client ca exporter.test "DNS:exporter.test" clientAuth
        leaf other ca other.test "DNS:other.test" clientAuth
        leaf rogue rogue-ca exporter.test "DNS:exporter.test" clientAuth
    ) >"$d/make.log" 2>&1 || fail "making certificates: $(tail -5 "$d/make.log")"
}
