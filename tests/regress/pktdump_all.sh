#!/usr/bin/env bash
# pktdump_all.sh — run ns_pktdump over every capture in $NS_SHARED/pcaps.
# Under `make check-asan` the tool is built with ASan+UBSan, so this is the
# "real hostile captures never make the decoder read out of bounds" test:
# it fails on any sanitizer report, on a crash, and on a capture that
# yields no output line per packet.  Skips (77) without $NS_SHARED/pcaps.
set -u
[ -n "${NS_SHARED:-}" ] && [ -d "$NS_SHARED/pcaps" ] || { echo "no NS_SHARED/pcaps: skip"; exit 77; }
dump=${NS_BUILD:?NS_BUILD unset}/ns_pktdump
[ -x "$dump" ] || { echo "missing $dump" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0 pk=0
for f in "$NS_SHARED"/pcaps/*; do
    case $f in *.pcap | *.pcapng | *.cap) ;; *) continue ;; esac
    n=$((n + 1))
    "$dump" -x "$f" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -gt 1 ] || grep -qE 'Sanitizer|runtime error' "$tmp/err"; then
        echo "FAIL $f (exit $rc)"
        cat "$tmp/err"
        fail=1
        continue
    fi
    # rc 1 is only a capture file read error (reported by the tool itself).
    if [ $rc -eq 1 ] && ! grep -q '^ns_pktdump: ' "$tmp/err"; then
        echo "FAIL $f: exit 1 without a read error"
        fail=1
    fi
    lines=$(wc -l <"$tmp/out")
    last=$(tail -n 1 "$tmp/out" | cut -f1)
    if [ "$lines" -gt 0 ] && [ "$last" != "$lines" ]; then
        echo "FAIL $f: $lines lines but last frame $last"
        fail=1
    fi
    pk=$((pk + lines))
done
echo "pktdump_all: $n captures, $pk packets decoded"
exit $fail
