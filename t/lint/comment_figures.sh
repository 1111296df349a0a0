#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/lint/comment_figures.sh - reasons in the library's comments, figures elsewhere (CONTRIBUTING.md,
# issue 30): a comment says in a clause why an annotation or an odd structure exists; the
# instruction counts, percentages and bench rows that show it pays go in the commit body and in
# bench/annotations.tsv.  Counts the library's comment lines (t/lint/library_comments.sh) that cite
# one and fails above $max, printing them.
# Usage: t/lint/comment_figures.sh [-l] (-l: print the lines and their count, and pass).
srcdir=${top_srcdir:-.}
cd "$srcdir" || exit 99
. ./t/lint/library_comments.sh
max=10

# shellcheck disable=SC2119 # no folder left out
files=$(library_files)
[ -n "$files" ] || { echo "FAIL: no library sources under $(pwd)"; exit 99; }

# A figure: N instructions, a signed or plain percentage, "N -> M", "N instead of/against M",
# or a bench/callgrind row or job (pipes/N=..., timers/..., loop/k=..., pingpong, ...).
figure='[0-9] *((more|fewer|less) )?(instructions?|instrs?|insns?)([^a-z]|$)'
figure="$figure|[-+][0-9]+(\\.[0-9]+)? *%|[0-9](\\.[0-9]+)? *%|[0-9] percent"
figure="$figure|[0-9.]+ *(->|=>) *[0-9.]+|[0-9] (instead of|against|vs\\.?) [0-9]"
figure="$figure|pipes/|timers/|loop/(k=|hook|feed)|async/(wakeup|redundant)|idle/N=|echo/C="
figure="$figure|calls/|memory/(io|timers)|pingpong|callgrind|idle-iter|hook-callback|feed-invoke"

# shellcheck disable=SC2086 # one word per file
found=$(comments $files | grep -E -i -e "$figure")
n=0
[ -n "$found" ] && n=$(echo "$found" | wc -l)
[ -n "$found" ] && echo "$found"
if [ "$1" = -l ]; then
  echo "$n comment lines cite a figure"
  exit 0
fi
if [ "$n" -gt "$max" ]; then
  echo "FAIL: $n comment lines of the library cite a figure (at most $max): say why in a clause,"
  echo "and put the figure in the commit body and, for an annotation, in bench/annotations.tsv"
  exit 1
fi
echo "ok: $n comment lines of the library cite a figure (at most $max)"
