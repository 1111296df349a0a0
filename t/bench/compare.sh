#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/bench/compare.sh - `bench/callgrind --compare BEFORE AFTER` applies CONTRIBUTING.md's rule
# (no row of libev-ng's columns more than 1% worse) to the TSVs of earlier runs: it lists the
# rows worse and exits 1; a row that timing moves (benchlib.TIMING_DEPENDENT) counts only when
# two runs a side do not overlap; other libraries' columns are not ours to judge.
# Usage: t/bench/compare.sh (in the source tree, or with top_srcdir set).
srcdir=${top_srcdir:-.}
command -v python3 > /dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# tsv FILE ROW...: a bench/callgrind TSV with rows "metric library instructions"
tsv() {
  f=$1
  shift
  printf 'metric\tunit\tlibrary\tinstructions\tratio\toverhead_ratio\tsyscalls\n' > "$f"
  for row in "$@"; do
    set -- $row
    printf '%s\tinstr/unit\t%s\t%s\t\t\t\n' "$1" "$2" "$3" >> "$f"
  done
}

# compare WANT_STATUS BEFORE AFTER [OPTIONS]: the output in $tmp/out, the status checked
compare() {
  want=$1
  shift
  python3 "$srcdir/bench/callgrind" --compare "$@" > "$tmp/out" 2>&1
  got=$?
  [ "$got" = "$want" ] || { fail "--compare $* exited $got, not $want"; cat "$tmp/out"; }
}

# section TITLE-START: the rows listed under the section whose title begins so
section() { awk -v t="# $1" 'index($0, t) == 1 { on = 1; next } /^#/ { on = 0 } on' "$tmp/out"; }

tsv "$tmp/a.tsv" "pingpong libev-ng 248.0" "pingpong libev-ng-uring 290.0" "loop/k=0/nowait libev-ng 118.8" \
  "pingpong libev-4.33 400.0" "async/wakeup libev-ng 420.0" "pipes/N=100/A=1/process libev-ng 324.0"
tsv "$tmp/b.tsv" "pingpong libev-ng 258.2" "pingpong libev-ng-uring 292.0" "loop/k=0/nowait libev-ng 116.0" \
  "pingpong libev-4.33 500.0" "async/wakeup libev-ng 447.0" "pipes/N=100/A=1/process libev-ng 329.0"

# A deterministic row 4.1% worse: listed, status 1; 0.7% worse: within the rule; 2.4% better: listed
# as better; libev 4.33's column changed by 25%, and is not reported.
compare 1 "$tmp/a.tsv" "$tmp/b.tsv"
section "worse than 1%:" | grep -q '^pingpong  *libev-ng  .*+4\.1%' || fail "pingpong +4.1% is not listed as worse"
section "worse than 1%:" | grep -q 'libev-ng-uring' && fail "pingpong-uring +0.7% is listed as worse"
section "better than 1%:" | grep -q '^loop/k=0/nowait .*-2\.4%' || fail "loop/k=0/nowait -2.4% is not listed as better"
grep -q 'libev-4\.33' "$tmp/out" && fail "libev 4.33's column is compared"

# Timing-dependent rows worse in one run a side: listed apart, to be run again, not counted.
section "worse than 1% in some runs" | grep -q '^async/wakeup .*+6\.4%' || fail "async/wakeup is not listed apart"
section "worse than 1% in some runs" | grep -q '^pipes/N=100/A=1/process' || fail "pipes is not listed apart"
section "worse than 1%:" | grep -q 'async/wakeup' && fail "async/wakeup with one run a side counts as worse"

# The same after as before: nothing worse, status 0.
compare 0 "$tmp/a.tsv" "$tmp/a.tsv"
[ "$(section 'worse than 1%:' | wc -l)" = 0 ] || fail "identical runs have rows worse"

# Two runs a side: a timing-dependent row whose runs do not overlap by more than 1% is worse
# (pipes 324.0/324.2 -> 329.0/329.4); one whose runs overlap stays apart (async 420/450 -> 447/460).
tsv "$tmp/a2.tsv" "pingpong libev-ng 248.0" "async/wakeup libev-ng 450.0" "pipes/N=100/A=1/process libev-ng 324.2"
tsv "$tmp/b2.tsv" "pingpong libev-ng 248.0" "async/wakeup libev-ng 460.0" "pipes/N=100/A=1/process libev-ng 329.4"
tsv "$tmp/b1.tsv" "pingpong libev-ng 248.0" "async/wakeup libev-ng 447.0" "pipes/N=100/A=1/process libev-ng 329.0"
compare 1 "$tmp/a.tsv,$tmp/a2.tsv" "$tmp/b1.tsv,$tmp/b2.tsv"
section "worse than 1%:" | grep -q '^pipes/N=100/A=1/process .*324\.0-324\.2 -> 329\.0-329\.4' ||
  fail "pipes, worse in every pairing of two runs a side, is not listed as worse with its ranges"
section "worse than 1% in some runs" | grep -q '^async/wakeup' || fail "async/wakeup, runs overlapping, is not apart"

# --worse-than sets the rule's percentage.
compare 0 "$tmp/a.tsv" "$tmp/b.tsv" --worse-than 5
section "worse than 5%:" | grep -q . && fail "--worse-than 5 lists pingpong +4.1%"

# A file that is not a bench/callgrind TSV is refused.
printf 'x\ty\n' > "$tmp/bad.tsv"
python3 "$srcdir/bench/callgrind" --compare "$tmp/bad.tsv" "$tmp/a.tsv" > "$tmp/out" 2>&1 && fail "a bad TSV is accepted"
grep -q 'not a bench/callgrind TSV' "$tmp/out" || fail "a bad TSV is not named: $(cat "$tmp/out")"

[ "$fails" = 0 ] && echo "PASS: bench/callgrind --compare"
[ "$fails" = 0 ]
