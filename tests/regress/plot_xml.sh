#!/bin/bash
# The SVG plots parse as XML and hold what they should.  ns_plot_demo writes
# a set of deterministic plots (bars, areas with and without tooltip
# columns, folding into "other", no bins, no series, all zero, one bin,
# 1e18 values, hostile labels, sub-second bins); each must parse with
# Python's XML parser and have exactly the bars, areas, columns and legend
# entries listed below, and the values in its tooltips must add up to the
# sum of the tool's input.  docs/plot-example.svg must be the tool's current
# example, byte for byte.
. "$(dirname "$0")/lib/common.sh"
need python3
tool="$NS_BUILD/ns_plot_demo"
[ -x "$tool" ] || fail "missing $tool"
"$tool" "$TMP" >"$TMP/manifest" || fail "ns_plot_demo failed"

# name  bars  areas  columns  legend  nodata
cat >"$TMP/expect" <<'EOF'
example  480 0 0    8 0
areas    0   4 1440 4 0
long     0   5 0    5 0
empty    0   0 0    0 1
noseries 0   0 0    0 1
zeros    0   0 0    3 0
one      2   0 0    2 0
huge     10  0 0    2 0
escape   16  0 0    4 0
subsec   100 0 0    2 0
EOF
[ "$(wc -l <"$TMP/manifest")" -eq "$(wc -l <"$TMP/expect")" ] || fail "manifest: $(cat "$TMP/manifest")"

while read -r name bars areas cols legend nodata; do
    f="$TMP/$name.svg"
    python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$f" ||
        fail "$name.svg does not parse"
    total=$(sed -n "s/^$name total=//p" "$TMP/manifest")
    python3 - "$f" "$bars" "$areas" "$cols" "$legend" "$nodata" "$total" <<'EOF' || fail "$name.svg"
import sys
import xml.dom.minidom

path, bars, areas, cols, legend, nodata, total = sys.argv[1:]
doc = xml.dom.minidom.parse(path)
root = doc.documentElement
assert root.tagName == "svg" and root.getAttribute("xmlns") == "http://www.w3.org/2000/svg", "root"
assert root.getAttribute("version") == "1.1", "version"


def of_class(tag, cls):
    return [e for e in doc.getElementsByTagName(tag) if e.getAttribute("class") == cls]


def title(e):
    t = [c for c in e.childNodes if c.nodeType == c.ELEMENT_NODE and c.tagName == "title"]
    assert len(t) == 1, "one <title> per element"
    return "".join(n.data for n in t[0].childNodes)


def amount(text):
    """The exact number before the unit: '1234 bytes (1.23k)' -> 1234."""
    return int(text.split()[0])


got = {"bars": of_class("rect", "bar"), "areas": of_class("path", "area"),
       "cols": of_class("rect", "col"), "legend": of_class("g", "legend-entry"),
       "nodata": of_class("text", "nodata")}
want = {"bars": bars, "areas": areas, "cols": cols, "legend": legend, "nodata": nodata}
for k in got:
    if len(got[k]) != int(want[k]):
        sys.exit("%s: %d %s, want %s" % (path, len(got[k]), k, want[k]))

# the tooltips account for every input value exactly once
s = 0
if got["bars"]:
    s = sum(amount(title(e).split("\n")[2]) for e in got["bars"])
elif got["cols"]:
    for e in got["cols"]:
        for line in title(e).split("\n")[1:]:
            s += amount(line.rsplit(": ", 1)[1])
elif got["areas"]:
    for e in got["areas"]:
        line = [x for x in title(e).split("\n") if x.startswith("total ")][0]
        s += amount(line[len("total "):])
if s != int(total):
    sys.exit("%s: tooltips add up to %d, input %s" % (path, s, total))
# every legend entry names its series in full in its tooltip
for e in got["legend"]:
    assert title(e), "empty legend title"
EOF
done <"$TMP/expect"
echo "ok: $(wc -l <"$TMP/expect") plots parse, with the expected elements and sums"

cmp "$TMP/example.svg" "$NS_SRC/docs/plot-example.svg" ||
    fail "docs/plot-example.svg is stale: regenerate with ns_plot_demo DIR; cp DIR/example.svg docs/plot-example.svg"
echo "ok: docs/plot-example.svg is current"
