#!/usr/bin/env bash
# cull_monitor_offline.sh — `netsift cull monitor -r cull_lab.pcap` against
# the phases recorded in cull_lab.meta (written by the lab that made the
# capture, from its own clocks: when 'nft -f' returned, when the routers
# reported the culled sessions down, ...).  Nothing here is hard-coded: the
# LAN prefixes, the culled member's MAC, the hold time and every phase time
# come from the .meta file.
#
# With the filter time given (--applied-at from the .meta), the monitor's
# JSON events must match the phases within 1 s:
#   sessions up        the last session_up before the filter
#   culled down        the last session_down of a culled session
#   complete           the complete event (culled sessions down and the
#                      culled member's transit traffic drained)
#   filter removed     bgp_resumed (BGP from the culled member again)
#   sessions back      restored (every culled session up again)
# and: every culled session went down, no other session went down, no leak,
# the monitor exits 0.  Then without --applied-at the inferred filter time
# must lie at most hold/3 + 1 s before the real one and never after it (the
# culled member's last segment precedes the filter), and the timeline plot
# must be well-formed XML.
set -eu
. "$(dirname "$0")/lib/common.sh"
need_shared
need python3
meta=$PCAPS/cull_lab.meta
[ -f "$meta" ] && [ -f "$PCAPS/cull_lab.pcap" ] || skip "no cull_lab.pcap/.meta"

get() { sed -n "s/^$1=//p" "$meta" | head -1; }
culled=$(get culled_member)
mac=$(get "member_$culled" | tr ' ' '\n' | sed -n 's/^mac=//p')
lan4=$(get peering_lan_v4)
lan6=$(get peering_lan_v6)
applied=$(get t_filter_applied)
[ -n "$mac" ] && [ -n "$lan4" ] && [ -n "$applied" ] || fail "cannot read $meta"

rc=0
"$NS_BIN" cull monitor -r "$PCAPS/cull_lab.pcap" --lan "$lan4" --lan "$lan6" \
    --member "$culled=$mac" --applied-at "$applied" --json >"$TMP/given.json" || rc=$?
[ "$rc" -eq 0 ] || fail "monitor exit status $rc, expected 0 (complete)"
rc=0
"$NS_BIN" cull monitor -r "$PCAPS/cull_lab.pcap" --lan "$lan4" --lan "$lan6" \
    --member "$culled=$mac" --json --plot "$TMP/t.svg" >"$TMP/inferred.json" || rc=$?
[ "$rc" -eq 0 ] || fail "monitor (inferred) exit status $rc, expected 0"

python3 - "$meta" "$TMP/given.json" "$TMP/inferred.json" "$TMP/t.svg" <<'PY'
import json, re, sys
import xml.dom.minidom
meta = {}
for line in open(sys.argv[1]):
    if '=' in line and not line.startswith('#'):
        k, v = line.rstrip('\n').split('=', 1)
        meta[k] = v
T = {k: float(v) for k, v in meta.items() if k.startswith('t_')}
hold = float(meta['hold_time_s'])
fails = []

def load(path):
    ev = [json.loads(l) for l in open(path)]
    return ev[:-1], ev[-1]

def check(name, got, want, tol=1.0):
    if got is None:
        fails.append(f"{name}: no such event (recorded {want - T['t_sessions_up']:+.3f})")
        return
    d = got - want
    print(f"{name:16s} monitor {got - T['t_sessions_up']:+8.3f}  recorded {want - T['t_sessions_up']:+8.3f}  diff {d:+.3f} s")
    if abs(d) > tol:
        fails.append(f"{name}: off by {d:+.3f} s")

ev, summary = load(sys.argv[2])
ups = [e['t'] for e in ev if e['event'] == 'session_up' and e['t'] < T['t_filter_applied']]
downs = [e for e in ev if e['event'] == 'session_down']
culled_downs = [e['t'] for e in downs if e['session']['culled']]
other_downs = [e for e in downs if not e['session']['culled']]
first = lambda k: next((e['t'] for e in ev if e['event'] == k), None)
check('sessions up', max(ups) if ups else None, T['t_sessions_up'])
check('filter applied', first('filter_applied'), T['t_filter_applied'], 0.001)
check('culled down', max(culled_downs) if culled_downs else None, T['t_culled_sessions_down'])
check('complete', first('complete'), T['t_culled_sessions_down'])
check('filter removed', first('bgp_resumed'), T['t_filter_removed'])
check('sessions back', first('restored'), T['t_sessions_back'])
culled_sessions = [s for s in summary['sessions'] if s['culled']]
if not culled_sessions:
    fails.append("no culled sessions")
for s in culled_sessions:
    if s['downs'] < 1:
        fails.append(f"culled session {s['a']}-{s['b']} never went down")
    if s['hold'] != hold:
        fails.append(f"session {s['a']}-{s['b']}: hold {s['hold']}, .meta says {hold}")
if other_downs:
    fails.append(f"sessions without the culled member went down: {[(e['session']['a'], e['session']['b']) for e in other_downs]}")
if summary['leaks'] or any(e['event'] == 'leak' for e in ev):
    fails.append("leak alarm on a working filter")
members = {m['name']: m for m in summary['members']}
c = members.get(meta['culled_member'])
if not c or not c['culled'] or c['baseline_pps'] <= 0 or c['transit_pkts'] <= 0:
    fails.append(f"culled member's transit baseline missing: {c}")

ev2, summary2 = load(sys.argv[3])
inf = [e for e in ev2 if e['event'] == 'filter_applied']
if not inf or not inf[0]['inferred']:
    fails.append("no inferred filter_applied event")
else:
    d = inf[0]['t'] - T['t_filter_applied']
    print(f"inferred filter  {d:+.3f} s from the recorded time (allowed -{hold/3 + 1:.1f}..0)")
    if d > 0.001 or d < -(hold / 3 + 1):
        fails.append(f"inferred filter time off by {d:+.3f} s")
    # the stated window must hold the recorded time: [t, t + within]
    mw = re.search(r'the filter came within ([0-9.]+) s', inf[0]['text'])
    if not mw:
        fails.append(f"inferred filter_applied without its window: {inf[0]['text']!r}")
    else:
        print(f"inferred window  {float(mw.group(1)):.1f} s, recorded time {-d:.3f} s into it")
        if -d > float(mw.group(1)) + 0.05:
            fails.append(f"recorded filter time outside the stated window: {inf[0]['text']!r}")
if summary2['phase'] not in ('complete', 'restored'):
    fails.append(f"inferred run ended in phase {summary2['phase']}")
try:
    xml.dom.minidom.parse(sys.argv[4])
except Exception as e:
    fails.append(f"timeline SVG does not parse: {e}")
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
PY
