#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# t/observe/tools.sh - the tools (tools/ev-gdb, tools/ev-top; ev-gdb(1), ev-top(1)) on an
# ordinary running program (t/observe/slow_program.c, mode wait: one timer, stop_cb):
# ev-gdb lists its loop and the timer with its static callback by name; ev-top's
# bpftrace program passes bpftrace's checks and, where this user may trace, shows
# the loop's iterations and callbacks by name (the program's callbacks run every
# millisecond in mode fast).  Parts whose tool is missing, or that need root, skip.
set -u -o pipefail
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${top_builddir:=$top_srcdir}" "${CC:=cc}"
lib=$top_builddir/.libs
[[ -e $lib/libev.so.4 ]] || { echo "SKIP: no $lib/libev.so.4 (a shared build is needed)"; exit 77; }
grep -q '^#define EV_NG_SMALL 1' "$top_builddir/config.h" && { echo "SKIP: a library built for size (configure --enable-small) has no probes"; exit 77; }
grep -q '^#define EV_NG_HAVE_SDT 1' "$top_builddir/config.h" || { echo "SKIP: built without <sys/sdt.h>: no probes"; exit 77; }
[[ -n ${LIBEV_NG_SANITIZE:-} ]] && { echo "SKIP: a sanitizer build"; exit 77; }
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done; rm -rf "$tmp"' EXIT
fails=0 passes=0 skips=0
ok () { passes=$((passes + 1)); echo "ok: $*"; }
fail () { fails=$((fails + 1)); echo "FAIL: $*"; }
skip () { skips=$((skips + 1)); echo "skip: $*"; }

prog=$tmp/slow_program
$CC -O2 -I"$top_srcdir" -I"$top_builddir" "$top_srcdir/t/observe/slow_program.c" -o "$prog" -L"$lib" -lev -pthread || exit 1
# start MODE ARGS...: the program in the background, its pid in $pid once it waits
start () {
  : > "$tmp/out"
  LD_LIBRARY_PATH=$lib "$prog" "$@" > "$tmp/out" 2>&1 &
  pid=$!
  pids+=("$pid")
  if [[ $1 == wait ]]; then
    for ((i = 0; i < 500; i++)); do grep -q waiting "$tmp/out" && break; sleep 0.01; done
  fi
  sleep 0.3
}

# ev-gdb: the loop and its timer, stop_cb named (a static function of the program).
gdb_tool=$top_builddir/tools/ev-gdb
"$gdb_tool" --help | grep -q '^Usage: ev-gdb -p PID' && ok "ev-gdb --help" || fail "ev-gdb --help"
# (a cross build's program runs under $EMULATOR, qemu-user: a debugger or a tracer attached to
# its pid sees the emulator)
emulated="the program runs under ${EMULATOR:-}, which gdb and bpftrace see instead of it"
if [[ -n ${EMULATOR:-} ]]; then
  skip "$emulated: ev-gdb not run"
elif command -v gdb > /dev/null; then
  start wait 20
  out=$(EV_GDB_PY=$top_srcdir/tools/ev-gdb.py timeout 60 "$gdb_tool" -p "$pid" 2>&1)
  if grep -q '^1 libev loop (libev-ng)$' <<< "$out" &&
    grep -q '^loop 0x[0-9a-f]* (default): iterations [0-9]*, depth 1, references 1' <<< "$out" &&
    grep -q '^  ev_timer   0x[0-9a-f]*  stop_cb (.*slow_program)  priority 0, at [0-9.]* (monotonic), repeat 0$' <<< "$out"; then
    ok "ev-gdb -p: the default loop and its timer, stop_cb"
  else
    fail "ev-gdb -p:"; echo "$out"
  fi
  kill -0 "$pid" 2> /dev/null && ok "the program runs on after ev-gdb" || fail "the program died under ev-gdb"
  kill "$pid"
else
  skip "no gdb: ev-gdb not run"
fi

# ev-top: its bpftrace program, then a real run where this user may trace.
top_tool=$top_srcdir/tools/ev-top
"$top_tool" --help | grep -q '^Usage: ev-top -p PID' && ok "ev-top --help" || fail "ev-top --help"
"$top_tool" -p 1 -l "$lib/libev.so.4" --dry-run > "$tmp/ev-top.bt" && grep -q "usdt:$lib/libev.so.4:libev:callback_end" "$tmp/ev-top.bt" &&
  ok "ev-top --dry-run" || fail "ev-top --dry-run"
# The table, from what bpftrace prints (a stand-in bpftrace in PATH, t/observe/fake_bpftrace.sh, attaches
# and prints one interval of an echo server's maps): a header, named columns, a row per loop, the
# slowest callbacks below, slowest first.  ev-top checks that the probes were armed in the process,
# which needs root to read its memory (and to pass ev-top's check that bpftrace may run).
mkdir "$tmp/bin"
ln -s "$top_srcdir/t/observe/fake_bpftrace.sh" "$tmp/bin/bpftrace"
if [[ -n ${EMULATOR:-} ]]; then
  skip "$emulated: ev-top's table not shown"
elif [[ $(id -u) != 0 ]]; then
  skip "not root: ev-top's table not shown (ev-top stops before bpftrace)"
else
  start wait 20
  PATH=$tmp/bin:$PATH FAKE_BPFTRACE=table "$top_tool" -p "$pid" -n 1 > "$tmp/table" 2>&1
  expected='
ev-top - 12:00:01  process '$pid'  every 1 s  1 loop
  THREAD  LOOP             ITERATIONS BUSY% EVENTS/100  CALLBACKS  LAG ms
    3351  0x7f8d8ff1e358          812    74        103        836       0

   CALLS   TOTAL ms LONGEST ms  CALLBACK
      24        4.0        3.4  accept_cb (0x1613e60c1f)
     812        5.0        1.2  echo_read_cb (0x1613e60a00)'
  if [[ $(grep -v '^ev-top: process' "$tmp/table") == "$expected" ]]; then
    ok "ev-top's table: a header, a row per loop, the slowest callbacks below"
  else
    fail "ev-top's table: expected$expected"$'\n'"got:"; cat "$tmp/table"
  fi
  kill "$pid"
fi
if [[ -n ${EMULATOR:-} ]]; then
  skip "$emulated: ev-top not run"
elif ! command -v bpftrace > /dev/null; then
  skip "no bpftrace: ev-top not run (apt-get install bpftrace)"
elif [[ $(id -u) != 0 ]]; then
  skip "not root: ev-top not run"
# (--emit-elf compiles without attaching, in bpftrace 0.17 as in 0.23, whose -d takes a stage)
elif ! bpftrace --emit-elf "$tmp/ev-top.o" "$tmp/ev-top.bt" > "$tmp/bpftrace-d" 2>&1; then
  fail "bpftrace --emit-elf rejects ev-top's program:"; grep -i error "$tmp/bpftrace-d"
else
  ok "bpftrace --emit-elf accepts ev-top's program"
  start fast 1000000
  # bpftrace reads a map for print() when its user-space side gets to the request,
  # after the probe asked, so on a loaded machine a section may come out empty
  # (ev-top(1), BUGS): any interval, any of the per-callback sections counts.  (Six
  # intervals: in a make distcheck beside two other suites all three of three once
  # printed no call counts; twice since, one bpftrace printed none in all six intervals
  # where the next CI run of the same commit printed them: so a second run, and the first
  # one's table and a raw run shown if that fails too.)
  callback_named () { grep -q -E "^ +[1-9][0-9]* +[0-9.]+ +[0-9.]+  $1 \(0x[0-9a-f]+\)$" "$tmp/top"; }
  top_shows_the_loop () {
    timeout 60 "$top_tool" -p "$pid" -n 6 > "$tmp/top" 2>&1
    grep -q "^ev-top - [0-9:]*  process $pid  every 1 s  1 loop$" "$tmp/top" &&
      grep -q -E "^ +$pid  0x[0-9a-f]+ +[1-9][0-9]* +[0-9]+ +[0-9]+ +[1-9][0-9]* +[0-9]+$" "$tmp/top" &&
      callback_named fast_timer_cb && callback_named fast_io_cb
  }
  if top_shows_the_loop || { cp "$tmp/top" "$tmp/top-first"; top_shows_the_loop; }; then
    ok "ev-top -p: a row for the loop with its iterations, and fast_timer_cb and fast_io_cb by name"
  # (a container may refuse bpftrace its memory-lock limit even to root: ev-top(1), REQUIREMENTS)
  elif refusal=$(grep -i -m1 -e 'permission' -e 'operation not permitted' -e 'failed to attach' \
      -e "couldn't set RLIMIT_MEMLOCK" "$tmp/top"); then
    skip "the kernel refused bpftrace here: $refusal"
  else
    fail "ev-top -p, twice:"; cat "$tmp/top-first" "$tmp/top"
    echo "ev-top -p --raw:"; timeout 60 "$top_tool" -p "$pid" -n 2 --raw 2>&1
  fi
  kill "$pid"
fi
echo "$passes passed, $fails failed, $skips skipped"
((fails == 0))
