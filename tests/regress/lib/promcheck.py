#!/usr/bin/env python3
"""Check a Prometheus text exposition (format 0.0.4) and print its samples.

Usage: promcheck.py FILE  -> exit 1 with the offending line on any error;
else prints "name{labels} value" lines, normalised (labels sorted).

Checked: every line is a HELP/TYPE comment, another comment, blank, or a
sample `name{label="value",...} value [timestamp]`; names and label names
match the grammar; label values use only the \\\\ \\" \\n escapes; TYPE is
one of the five types, given at most once per family and before its
samples; every sample belongs to a family with a TYPE (netsift always
declares one); values are floats (or NaN/+Inf/-Inf); no sample (name and
label set) appears twice; counters are never negative.
"""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LNAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
LVAL = r'"(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(
    rf"^({NAME})(?:\{{((?:{LNAME}={LVAL}(?:,{LNAME}={LVAL})*)?,?)\}})? "
    r"([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|NaN|Inf))(?: -?[0-9]+)?$")
HELP = re.compile(rf"^# HELP ({NAME}) (.*)$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")
LABEL = re.compile(rf"({LNAME})=({LVAL})")


def die(n, line, why):
    print(f"promcheck: line {n}: {why}: {line!r}", file=sys.stderr)
    sys.exit(1)


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    if text and not text.endswith("\n"):
        die(0, text[-40:], "does not end with a newline")
    types, helps, seen, out = {}, set(), set(), []
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# HELP"):
            m = HELP.match(line)
            if not m:
                die(n, line, "bad HELP line")
            if m.group(1) in helps:
                die(n, line, "second HELP for the family")
            helps.add(m.group(1))
        elif line.startswith("# TYPE"):
            m = TYPE.match(line)
            if not m:
                die(n, line, "bad TYPE line")
            if m.group(1) in types:
                die(n, line, "second TYPE for the family")
            if any(s[0] == m.group(1) for s in seen):
                die(n, line, "TYPE after the family's samples")
            types[m.group(1)] = m.group(2)
        elif line.startswith("#") or not line.strip():
            continue
        else:
            m = SAMPLE.match(line)
            if not m:
                die(n, line, "not a sample line")
            name, labels, value = m.group(1), m.group(2) or "", m.group(3)
            if name not in types:
                die(n, line, "sample without a TYPE")
            pairs = sorted(LABEL.findall(labels))
            names = [p[0] for p in pairs]
            if len(set(names)) != len(names):
                die(n, line, "label given twice")
            key = (name, tuple(pairs))
            if key in seen:
                die(n, line, "sample given twice")
            seen.add(key)
            v = float(value.replace("Inf", "inf"))
            if types[name] == "counter" and v < 0:
                die(n, line, "negative counter")
            lab = ",".join(f"{k}={val}" for k, val in pairs)
            out.append(f"{name}{{{lab}}} {value}" if lab else f"{name} {value}")
    if not out:
        die(0, "", "no samples")
    print("\n".join(out))


main()
