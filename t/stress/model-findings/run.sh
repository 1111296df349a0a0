#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/stress/model-findings/run.sh [--check] [BUILDDIR] - builds every program here against the
# system's libev 4.33 (-lev) and against libev-ng (BUILDDIR/.libs/libev.so, default: the
# source tree) and prints what each prints.  d*: differences t/stress/model found (those
# numbered 1-14 were its "known differences"; t/stress/model.c lists the ones left), a*:
# where libev 4.33 aborts, s*: defects of libev-ng's streams that `t/stress/model -S` found
# (libev 4.33 has no streams: built against libev-ng only).  Each program's header says what
# the two libraries print, and its status:
#   Status: same           both print the same (a difference libev-ng had, fixed)
#   Status: better         libev-ng prints the header's Expect: lines (libev 4.33 loses
#                          something or spins there; its output is not looked at)
#   Status: libev aborts   libev-ng exits 0 and prints the Expect: lines
#   Status: fixed          a defect of libev-ng's streams (s*), fixed: libev-ng prints the
#                          Expect: lines
#   Status: open           an open defect of libev-ng: built and run, its output shown, not
#                          checked (the header says what it prints now and once fixed)
# With --check every status must hold (t/stress/model.sh runs this): exit 1 if one does not,
# and a "figure:" line with the counts.
check=
if [ "${1:-}" = --check ]; then
  check=1
  shift
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
build=${1:-$top}
CC=${CC:-cc}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
same=0 better=0 aborts=0 fixed=0 open=0 failed=""
for src in "$here"/*.c; do
  name=$(basename "$src" .c)
  status=$(sed -n 's/^ \* Status: \(.*[^/ *]\)[ */]*$/\1/p' "$src" | head -n 1)
  sed -n 's/^ \* Expect: //p' "$src" | sed 's/ \*\/$//' > "$out/$name.expect"
  case $name in
    s*) echo "libev 4.33 has no streams" > "$out/$name.sys.out" ;;
    *) $CC -std=gnu11 -O1 -w "$src" -o "$out/$name.sys" -lev -lm || failed="$failed $name(build)" ;;
  esac
  $CC -std=gnu11 -O1 -w -I"$top" "$src" -o "$out/$name.ng" "$build/.libs/libev.so" \
      -Wl,-rpath,"$build/.libs" -lm || failed="$failed $name(build)"
  # (the shell's own "Aborted" for libev 4.33's aborts goes nowhere)
  [ -x "$out/$name.sys" ] && (cd "$out" && "./$name.sys" > "$name.sys.out" 2>&1; true) 2>/dev/null
  (cd "$out" && "./$name.ng" > "$name.ng.out" 2>&1; echo $? > "$name.ng.rc") 2>/dev/null
  ng_rc=$(cat "$out/$name.ng.rc")
  if [ -z "$check" ]; then
    echo "=== $name ($status)"
    echo "--- libev 4.33:"
    sed 's/^/    /' "$out/$name.sys.out"
    echo "--- libev-ng:"
    sed 's/^/    /' "$out/$name.ng.out"
    continue
  fi
  case $status in
    same)
      if cmp -s "$out/$name.sys.out" "$out/$name.ng.out"; then
        same=$((same + 1))
      else
        echo "FAIL: $name: libev-ng's output differs from libev 4.33's:"
        diff "$out/$name.sys.out" "$out/$name.ng.out" | sed 's/^/    /'
        failed="$failed $name"
      fi ;;
    open)
      open=$((open + 1))
      echo "open: $name (a defect of libev-ng, its header says more):"
      sed 's/^/    /' "$out/$name.ng.out" ;;
    better|"libev aborts"|fixed)
      if [ $ng_rc -eq 0 ] && cmp -s "$out/$name.expect" "$out/$name.ng.out"; then
        case $status in
          better) better=$((better + 1)) ;;
          fixed) fixed=$((fixed + 1)) ;;
          *) aborts=$((aborts + 1)) ;;
        esac
      else
        echo "FAIL: $name: libev-ng (exit $ng_rc) does not print what its header expects:"
        diff "$out/$name.expect" "$out/$name.ng.out" | sed 's/^/    /'
        failed="$failed $name"
      fi ;;
    *)
      echo "FAIL: $name: no Status: line in its header"
      failed="$failed $name" ;;
  esac
done
[ -z "$check" ] && exit 0
echo "figure: model findings: $same now the same as libev 4.33, $better where libev-ng does better," \
     "$aborts where libev 4.33 aborts, $fixed fixed defects of libev-ng's streams, $open open defects of libev-ng;" \
     "failed:${failed:- none}"
[ -z "$failed" ]
