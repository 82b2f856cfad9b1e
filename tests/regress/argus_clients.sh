#!/bin/bash
# Side by side with the argus clients (tests/argus/clients.md): racluster -m
# proto vs netsift aggregate -m proto and rabins -M time 60 vs netsift bins
# on a dozen captures.  Fails when an asserted rule breaks (clients.py) or a
# pinned number in tests/argus/clients_expected.tsv changes.  Re-pin after a
# deliberate change with `tests/argus/clients.sh --pin tests/argus/clients_expected.tsv`.
. "$(dirname "$0")/lib/common.sh"
need_shared; need argus; need ra; need racluster; need rabins; need python3
argus -h 2>&1 | grep -q "Argus Version 3\.0\.8" || skip "argus is not 3.0.8; the pinned numbers are its"
export NS_BIN NS_SRC NS_SHARED
bash "$NS_SRC/tests/argus/clients.sh" -o "$TMP/cl" -j 4 --check "$NS_SRC/tests/argus/clients_expected.tsv" \
    >"$TMP/out" 2>&1 && rc=0 || rc=$?
grep -vP "^\S+\t\d+\t" "$TMP/out" | tail -30
[ "$rc" = 0 ] || fail "argus clients comparison changed (see above; tests/argus/clients.md)"
