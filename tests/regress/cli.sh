#!/bin/bash
# Command-line behaviour an operator relies on: inputs from several files
# and stdin, filters, compressed output, pipes, and clear failures that lose
# nothing.  Uses only the bundled sample, so it runs everywhere.
. "$(dirname "$0")/lib/common.sh"
S="$NS_SRC/samples/sample.pcap"
ns() { "$NS_BIN" "$@"; }
exit_is() { local want=$1; shift; local rc=0; "$@" || rc=$?; [ "$rc" = "$want" ] || fail "$* exit $rc, want $want"; }
count() { ns read -r "$1" -F csv -s pkts | awk -F, 'NR>1{p+=$1} END{print p+0}'; }

ns probe -q -r "$S" -w "$TMP/a.ipfix"
all=$(count "$TMP/a.ipfix")
[ "$all" -gt 1000 ] || fail "sample gives $all packets"

# stdin in, stdout out, and the two piped together
ns probe -q -r - -w - <"$S" >"$TMP/b.ipfix"
cmp "$TMP/a.ipfix" "$TMP/b.ipfix" || fail "stdin/stdout output differs from file output"
[ "$(ns probe -q -r "$S" | ns read -r - -F csv | wc -l)" = "$(ns read -r "$TMP/a.ipfix" -F csv | wc -l)" ] ||
    fail "pipe gives other records"

# several files in order: the same capture twice gives twice the packets
ns probe -q -r "$S" "$S" -w "$TMP/c.ipfix" --idle 1h --tcp-idle 1h
[ "$(count "$TMP/c.ipfix")" = $((2 * all)) ] || fail "two files: $(count "$TMP/c.ipfix") != 2*$all"

# a capture filter after the options, with and without --
ns probe -q -r "$S" -w "$TMP/d.ipfix" -- udp
ns probe -q -r "$S" -w "$TMP/e.ipfix" udp
cmp "$TMP/d.ipfix" "$TMP/e.ipfix" || fail "filter with and without --"
[ "$(ns read -r "$TMP/d.ipfix" -F csv -s proto | sort -u | tr '\n' ' ')" = "proto udp " ] ||
    fail "filter 'udp' let other protocols through"
ns probe -q -r "$S" -w "$TMP/x.ipfix" -- 'tcp and and' 2>"$TMP/err" && fail "bad filter accepted"
grep -q "filter 'tcp and and'" "$TMP/err" || fail "bad filter message: $(cat "$TMP/err")"

# a record filter after the inputs: with Argus's lone '-', with '--', alone,
# from stdin ('-r -' then '-'), split over arguments or in one
ns read -r "$TMP/a.ipfix" -F csv -s proto,dport - udp and port 53 >"$TMP/f1.csv"
[ "$(tail -n +2 "$TMP/f1.csv" | cut -d, -f1 | sort -u)" = udp ] || fail "read filter 'udp' let others through"
[ "$(wc -l <"$TMP/f1.csv")" -gt 1 ] || fail "read filter 'udp and port 53' matched nothing"
ns read -r "$TMP/a.ipfix" -F csv -s proto,dport -- 'udp and port 53' | cmp - "$TMP/f1.csv" || fail "filter after --"
ns read -r "$TMP/a.ipfix" -F csv -s proto,dport udp and port 53 | cmp - "$TMP/f1.csv" || fail "filter without separator"
ns read -r - -F csv -s proto,dport - udp and port 53 <"$TMP/a.ipfix" | cmp - "$TMP/f1.csv" || fail "filter on stdin"
n_tcp=$(ns read -r "$TMP/a.ipfix" -F csv - tcp | wc -l)
n_not=$(ns read -r "$TMP/a.ipfix" -F csv - not tcp | wc -l)
n_all=$(ns read -r "$TMP/a.ipfix" -F csv | wc -l)
[ $((n_tcp + n_not - 1)) = "$n_all" ] || fail "tcp ($n_tcp) + not tcp ($n_not) != all ($n_all)"
exit_is 2 ns read -r "$TMP/a.ipfix" - tcp and port foo 2>"$TMP/err"
grep -q "filter: expected a port number after 'port', got 'foo' (column 16)" "$TMP/err" ||
    fail "bad record filter message: $(cat "$TMP/err")"
exit_is 2 ns read -r "$TMP/a.ipfix" - bytess '>' 5 2>"$TMP/err"
grep -q "unknown field 'bytess'" "$TMP/err" || fail "unknown field in filter: $(cat "$TMP/err")"
ns read --help | grep -q "EQUAL precedence" || fail "read --help does not explain the filter"

# zstd: by suffix or flag, readable, smaller
ns probe -q -r "$S" -w "$TMP/f.ipfix.zst"
[ "$(count "$TMP/f.ipfix.zst")" = "$all" ] || fail "zstd file"
[ "$(stat -c %s "$TMP/f.ipfix.zst")" -lt "$(stat -c %s "$TMP/a.ipfix")" ] || fail "zstd not smaller"
head -c 4 "$TMP/f.ipfix.zst" | od -An -tx1 | grep -q "28 b5 2f fd" || fail "no zstd magic"

# a damaged capture: exit 1, a warning naming the file, all complete packets kept
head -c 100000 "$S" >"$TMP/cut.pcap"
if ns probe -r "$TMP/cut.pcap" -w "$TMP/g.ipfix" 2>"$TMP/err"; then fail "damaged capture exit 0"; fi
grep -q "cut.pcap: truncated dump file" "$TMP/err" || fail "no damage warning: $(cat "$TMP/err")"
n=$(tshark -r "$TMP/cut.pcap" 2>/dev/null | wc -l || true)
if command -v tshark >/dev/null; then
    [ "$(count "$TMP/g.ipfix")" = "$n" ] || fail "damaged capture: $(count "$TMP/g.ipfix") packets metered, tshark reads $n"
fi

# a truncated IPFIX file: every complete record printed, then an error
ns probe -q -r "$S" --status 10ms -w "$TMP/many.ipfix" # several messages
sz=$(stat -c %s "$TMP/many.ipfix")
head -c $((sz - 10)) "$TMP/many.ipfix" >"$TMP/h.ipfix"
if ns read -r "$TMP/h.ipfix" -F csv >"$TMP/h.csv" 2>"$TMP/err"; then fail "truncated IPFIX exit 0"; fi
grep -q "offset" "$TMP/err" || fail "truncated IPFIX message: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/h.csv")" -gt 1 ] || fail "no records before the damage"

# refusals with a clear message and exit 2
exit_is 2 ns probe 2>"$TMP/err"
grep -q "no input" "$TMP/err" || fail "probe without input message"
exit_is 2 ns read -r "$TMP/a.ipfix" -s nosuchfield 2>"$TMP/err"
grep -q "unknown field 'nosuchfield'" "$TMP/err" || fail "unknown field message"
exit_is 2 ns probe -r "$S" --status xyz 2>/dev/null
exit_is 2 ns nosuchcmd 2>/dev/null
exit_is 1 ns probe -r "$TMP/nonexistent.pcap" -w "$TMP/n.ipfix" 2>"$TMP/err"
grep -q "nonexistent.pcap: No such file" "$TMP/err" || fail "missing input message: $(cat "$TMP/err")"
exit_is 1 ns probe -q -r "$S" -w /dev/full 2>"$TMP/err"
grep -q "No space left on device" "$TMP/err" || fail "full disk message: $(cat "$TMP/err")"
ns probe --help | grep -q -- "--max-flows" || fail "probe --help"
ns read --help | grep -q "sloss" || fail "read --help lists fields"

# output formats: CSV header = field names, JSON lines parse
ns read -r "$TMP/a.ipfix" -F csv -s saddr,sport,pkts,loss | head -1 | grep -qx "saddr,sport,pkts,loss" || fail "csv header"
ns read -r "$TMP/a.ipfix" -F json -s stime,saddr,pkts,sretrans,synack | python3 -c '
import json,sys
n=0
for l in sys.stdin:
    o=json.loads(l); n+=1
    assert isinstance(o["pkts"], int) and "saddr" in o, o
print(n)' >/dev/null || fail "json lines"
echo "cli: all checks passed"
