#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/lint/annotation_rows.sh - every inlining annotation of the library has its figure, and every
# figure its annotation (issue 48): each function of the library (t/lint/library_comments.sh)
# declared or defined with always_inline, noinline, cold, hot or flatten is named in a row of
# bench/annotations.tsv that gives its file, and each function a row names is defined in one of
# the row's files with an annotation (a row "*" with attribute "hints": the files use EV_LIKELY or
# EV_UNLIKELY).  bench/annotations re-measures the rows; this only keeps the table and the tree
# in step, so that a renamed or dropped function cannot leave a row behind, nor a new
# annotation come without its measure.
# Usage: t/lint/annotation_rows.sh (in the source tree, or with top_srcdir set).
srcdir=${top_srcdir:-.}
cd "$srcdir" || exit 99
command -v python3 > /dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
. ./t/lint/library_comments.sh
[ -f bench/annotations.tsv ] || { echo "FAIL: no bench/annotations.tsv"; exit 1; }

# shellcheck disable=SC2119 # no folder left out
library_files | python3 -c '
import csv, re, sys

ANNOTATION = re.compile(r"(?:\[\[\s*gnu::|__attribute__\s*\(\(\s*)(always_inline|noinline|cold|hot|flatten)\b")
# the name declared after the annotation: the identifier before the first "(" on the rest of the
# line, or on the next line that has one (a qualified name keeps its last part)
NAME = re.compile(r"([A-Za-z_][A-Za-z_0-9]*)\s*\(")

files = [f[2:] if f.startswith("./") else f for f in sys.stdin.read().split()]
annotated = {}  # (file, function) -> line of a definition
declared = {}  # the same for declarations, which need a definition with its row
for f in files:
    lines = open(f, encoding="utf-8", errors="replace").read().split("\n")
    for i, line in enumerate(lines):
        code = line.split("//")[0]
        if code.lstrip().startswith("#define") or not ANNOTATION.search(code):
            continue
        rest = re.sub(r"\[\[[^\]]*\]\]|__attribute__\s*\(\([^)]*\)\)", " ", code)
        j = i
        while True:
            m = NAME.search(rest)
            if m or j + 1 >= len(lines) or j > i + 3:
                break
            j += 1
            rest = lines[j].split("//")[0]
        if m and m.group(1) not in ("operator",):
            # a declaration ends at its semicolon: its row is the definition'"'"'s
            declaration = re.search(r"\)\s*(const\s*)?;\s*$", lines[j].split("//")[0]) is not None
            (declared if declaration else annotated).setdefault((f, m.group(1)), i + 1)

rows = list(csv.DictReader((l for l in open("bench/annotations.tsv") if not l.startswith("#")), delimiter="\t"))
covered = set()
bad = []
for r in rows:
    rfiles = [x.strip() for x in r["file"].split(",")]
    funcs = [x.strip() for x in r["function"].split(",")]
    for f in rfiles:
        if f not in files:
            bad.append("row %s: %s is not a file of the library" % (r["id"], f))
    if funcs == ["*"]:
        for f in rfiles:
            if f in files and not re.search(r"\bEV_(UN)?LIKELY\b", open(f).read()):
                bad.append("row %s: %s has no branch hint" % (r["id"], f))
        continue
    for fn in funcs:
        where = [f for f in rfiles if (f, fn) in annotated]
        if not where:
            bad.append("row %s: no annotated function %s in %s" % (r["id"], fn, ", ".join(rfiles)))
        for f in where:
            covered.add((f, fn))
for (f, fn), line in sorted(annotated.items()):
    if (f, fn) not in covered:
        bad.append("%s:%d: %s is annotated, and no row of bench/annotations.tsv names it there" % (f, line, fn))
names = {fn for (_, fn) in covered}
for (f, fn), line in sorted(declared.items()):
    if fn not in names:
        bad.append("%s:%d: %s is declared annotated, and no row of bench/annotations.tsv names it" % (f, line, fn))
for b in bad:
    print(b)
if bad:
    print("FAIL: %d mismatches between the library'"'"'s inlining annotations and bench/annotations.tsv" % len(bad))
    sys.exit(1)
print("ok: %d annotated functions, each with its row; %d rows, each on its annotation" % (len(annotated), len(rows)))
'
