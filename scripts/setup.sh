#!/bin/sh
# One-command set-up for a fresh Debian 12 machine (run as root).
#   sh scripts/setup.sh demo   install build deps, build, meter the bundled sample, print flows
#   sh scripts/setup.sh test   install build deps and test peers, build, run every test
#                              (plain build and AddressSanitizer+UBSan build), check
#                              format and lint, and fuzz each parser briefly
set -eu
mode=${1:-demo}
cd "$(dirname "$0")/.."

build_deps="build-essential cmake pkg-config libpcap-dev libzstd-dev libcmocka-dev libyaml-dev libssl-dev libsctp-dev libusrsctp-dev"
# Independent peers the tests compare against, and clang for the sanitizer build;
# nftables, iproute2 and ping for the culling tests in network namespaces, bird2
# for the BGP speakers of the culling lab, tcpreplay for the live-capture tests,
# pmacct as a second exporter for the collector.
test_deps="clang libclang-rt-dev clang-format clang-tidy cppcheck tshark libfixbuf-tools argus-server argus-client softflowd nfdump tcpdump python3 nftables iproute2 iputils-ping bird2 tcpreplay pmacct curl openssl"

install() {
    missing=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "setup: missing packages:$missing (run as root, or install them)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

case "$mode" in
demo)
    install $build_deps
    make
    ./build/netsift probe -r samples/sample.pcap -w - | ./build/netsift read -r -
    ;;
test)
    install $build_deps $test_deps
    make format-check lint
    make fuzz-smoke
    make check
    make check-asan
    ;;
*)
    echo "usage: sh scripts/setup.sh demo|test" >&2
    exit 2
    ;;
esac
