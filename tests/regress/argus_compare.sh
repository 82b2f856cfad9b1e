#!/bin/bash
# Side-by-side with argus (tests/argus/report.md): re-run the comparison on
# every shared capture plus the generated one and fail when any pinned number
# or agreement status in tests/argus/expected.tsv changes.  After a deliberate
# change, re-pin with `tests/argus/compare.sh --pin tests/argus/expected.tsv`
# and explain the new rows in report.md.
. "$(dirname "$0")/lib/common.sh"
need_shared; need argus; need ra; need python3
# the pinned argus numbers are those of argus 3.0.8 (Debian 12)
argus -h 2>&1 | grep -q "Argus Version 3\.0\.8" || skip "argus is not 3.0.8; the pinned numbers are its"
export NS_BIN NS_SRC NS_SHARED
bash "$NS_SRC/tests/argus/compare.sh" -o "$TMP/cmp" -j 8 --check "$NS_SRC/tests/argus/expected.tsv" \
    >"$TMP/out" 2>&1 && rc=0 || rc=$?
grep -E "^(NEW|GONE|STATUS|NUMBERS) |^check against" "$TMP/out" || tail -20 "$TMP/out"
[ "$rc" = 0 ] || fail "argus comparison changed (see above; tests/argus/report.md)"
