#!/bin/bash
# Every example in the EXAMPLES section of every man page runs, exits 0 and
# prints something (or writes its -w/--plot file); a trailing roff comment
# '\" expect: REGEX' also checks the output, '\" empty-ok: why' allows no
# output (a filter nothing in the sample matches), '\" notest: why' skips
# the line (live capture).  Fixtures: trace.pcap, a.pcap, b.pcap (the bundled sample)
# and flows.ipfix (netsift probe of it), in a scratch directory.
. "$(dirname "$0")/lib/common.sh"
mkdir -p "$TMP/bin" "$TMP/run"
ln -s "$NS_BIN" "$TMP/bin/netsift"
export PATH="$TMP/bin:$PATH"
cd "$TMP/run"
for f in trace.pcap a.pcap b.pcap; do cp "$NS_SRC/samples/sample.pcap" "$f"; done
netsift probe -q -r trace.pcap -w flows.ipfix
n=0 bad=0 skipped=0
for page in "$NS_SRC"/docs/man/*.[0-9]; do
    # lines between '.SH EXAMPLES' + '.nf' and '.fi'
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        cmd=${line%%\\\"*}
        note=""
        [ "$cmd" != "$line" ] && note=${line#*\\\"}
        cmd=$(echo "$cmd" | sed -e 's/[[:space:]]*$//' -e 's/\\-/-/g' -e 's/\\(mu/*/g')
        case "$note" in *notest*) skipped=$((skipped + 1)); continue ;; esac
        # never touch a real interface: a live example must say notest
        if echo "$cmd" | grep -qE -- '(^|[[:space:]])-i[[:space:]]'; then
            echo "FAIL ($(basename "$page")): live capture example without notest: $cmd"
            bad=$((bad + 1)); continue
        fi
        n=$((n + 1))
        rm -f out.txt
        if ! bash -c "set -o pipefail; $cmd" >out.txt 2>err.txt; then
            echo "FAIL ($(basename "$page")): $cmd"; sed 's/^/    /' err.txt | head -5
            bad=$((bad + 1)); continue
        fi
        if [ ! -s out.txt ] && ! echo "$cmd" | grep -qE -- '(-w|--plot) [^-]' &&
            ! echo "$note" | grep -q 'empty-ok'; then
            echo "FAIL ($(basename "$page")): no output: $cmd"; bad=$((bad + 1)); continue
        fi
        re=$(echo "$note" | sed -n 's/^[[:space:]]*expect:[[:space:]]*//p')
        if [ -n "$re" ] && ! grep -qE -- "$re" out.txt; then
            echo "FAIL ($(basename "$page")): output lacks /$re/: $cmd"; head -3 out.txt
            bad=$((bad + 1)); continue
        fi
        echo "ok ($(basename "$page")): $cmd"
    done < <(awk '/^\.SH EXAMPLES/{ex=1; next} /^\.SH/{ex=0} ex && /^\.nf/{on=1; next} ex && /^\.fi/{on=0} on' "$page")
done
echo "$n examples run, $bad failed, $skipped not run (live)"
[ "$n" -gt 10 ] || fail "too few examples found ($n): is the extraction broken?"
[ "$bad" = 0 ] || fail "$bad man page examples failed"
