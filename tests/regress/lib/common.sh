# Shared by the regression scripts.  CTest sets NS_BIN, NS_BUILD, NS_SRC, NS_SHARED.
set -eu
: "${NS_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${NS_BUILD:=$NS_SRC/build}"
: "${NS_BIN:=$NS_BUILD/netsift}"
: "${NS_SHARED:=$NS_SRC/../shared}"
PCAPS="$NS_SHARED/pcaps"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

skip() { echo "SKIP: $*"; exit 77; }
need_shared() { [ -d "$PCAPS" ] || skip "no shared captures at $PCAPS"; }
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 not installed"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# wait_for SECONDS COMMAND...: run COMMAND every 50 ms until it succeeds
# (0) or SECONDS have passed (1).
wait_for() {
    local t=$1 i
    shift
    for i in $(seq $((t * 20))); do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}
