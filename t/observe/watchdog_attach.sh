#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# t/observe/watchdog_attach.sh - ev-watchdog(1), DIAGNOSTICS: where it cannot watch a program,
# it stops with exit status 1 and one line that says what is missing and how to get it: no such
# process; a program on Debian's libev (no probe anchor), or on another build of libev-ng (another
# layout), with -p and with -- PROGRAM (which it then ends rather than leave unwatched); its
# memory refused to another user without CAP_SYS_PTRACE (as root: ev-watchdog run as nobody);
# refused by Yama's ptrace_scope 1 to a process that is not its ancestor (where Yama is on).
set -u -o pipefail
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${top_builddir:=$top_srcdir}" "${CC:=cc}"
lib=$top_builddir/.libs
[[ -e $lib/libev.so.4 ]] || { echo "SKIP: no $lib/libev.so.4 (a shared build is needed)"; exit 77; }
[[ -n ${EMULATOR:-} ]] && { echo "SKIP: the programs run under $EMULATOR, whose memory ev-watchdog would read"; exit 77; }
: "${WATCHDOG:=$top_builddir/tools/ev-watchdog}"
[[ -x $WATCHDOG ]] || { echo "SKIP: no $WATCHDOG (built where process_vm_readv is)"; exit 77; }
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done; rm -rf "$tmp"' EXIT
fails=0 passes=0
ok () { passes=$((passes + 1)); echo "ok: $*"; }
fail () { fails=$((fails + 1)); echo "FAIL: $*"; }
skip () { echo "skip: $*"; }

# stops CASE STATUS PATTERN: ev-watchdog ended with STATUS 1 and one line on stderr ($tmp/err)
# that matches the glob PATTERN
stops () {
  local line
  line=$(cat "$tmp/err")
  if [[ $2 == 1 && $(grep -c . "$tmp/err") == 1 && $line == $3 ]]; then
    ok "$1: $line"
  else
    fail "$1: expected status 1 and one line matching $3, got status $2:"; cat "$tmp/err"
  fi
}

# A program on libev 4.33's API only, which runs on any libev.so.4: it waits 10 s.
cat > "$tmp/plain.c" << 'PROG'
#include <ev.h>
#include <stdio.h>
static void done (struct ev_loop *loop, ev_timer *w, int revents) { (void)w, (void)revents; ev_break (loop, EVBREAK_ALL); }
int main (void)
{
  struct ev_loop *loop = ev_default_loop (0);
  ev_timer t;
  ev_timer_init (&t, done, 10., 0.);
  ev_timer_start (loop, &t);
  printf ("waiting\n");
  fflush (stdout);
  ev_run (loop, 0);
  printf ("done\n");
  return 0;
}
PROG
$CC -O2 -I"$top_srcdir" -I"$top_builddir" "$tmp/plain.c" -o "$tmp/plain" -L"$lib" -lev || exit 1
# start LIBDIR: the program on the libev.so.4 of LIBDIR (empty: the system's), its pid in $pid
# once it runs its loop.  A program that ended before its loop ran is started again, twice at
# most (a sanitizer's runtime, whose shadow memory may meet a mapping that ASLR placed there,
# ends a process at its start now and then); then the test stops with what it printed.
start () {
  local attempt
  for attempt in 1 2 3; do
    : > "$tmp/out"
    env LD_LIBRARY_PATH="$1" "${@:2}" "$tmp/plain" > "$tmp/out" 2>&1 &
    pid=$!
    pids+=("$pid")
    for ((i = 0; i < 500; i++)); do
      grep -q waiting "$tmp/out" && return 0
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.01
    done
    echo "the program did not start its loop (attempt $attempt of 3):"; cat "$tmp/out"
  done
  fail "the program never started its loop"
  exit 1
}

# No such process.
"$WATCHDOG" -t 100 -p 2147483647 2> "$tmp/err"
stops "no process" $? "ev-watchdog: no process 2147483647 (it has ended, or the number is wrong)"

# Debian's libev (the system's libev.so.4 where libev-dev is installed): no probe anchor.
system_libev=$(ldconfig -p | sed -n 's/^\tlibev\.so\.4 (libc6,x86-64) => //p' | head -1)
if [[ -n $system_libev ]] && ! nm -D "$system_libev" 2> /dev/null | grep -q ev_ng_version; then
  start ""
  "$WATCHDOG" -t 100 -p "$pid" 2> "$tmp/err"
  stops "-p, Debian's libev" $? "ev-watchdog: process $pid (plain): its /*libev.so.4* has no libev-ng probe anchor: it is libev itself*run the program on libev-ng's libev.so.4*"
  kill "$pid"
  env LD_LIBRARY_PATH= timeout 20 "$WATCHDOG" -t 100 -- "$tmp/plain" > "$tmp/out" 2> "$tmp/err"
  status=$?
  stops "-- PROGRAM, Debian's libev" $status "ev-watchdog: process * (plain): its /*libev.so.4* has no libev-ng probe anchor*"
  grep -q '^done' "$tmp/out" && fail "-- PROGRAM, Debian's libev: the program ran on unwatched"
else
  skip "Debian's libev is not the system's libev.so.4 here"
fi

# Another build of libev-ng: a libev.so.4 whose anchor gives another layout of the loop.
mkdir "$tmp/other"
cat > "$tmp/other/anchor.c" << 'LIB'
/* the probe anchor of diag/probe_anchor.h, version 2, with a loop of 12 bytes */
struct { unsigned short semaphore, version, loop_size, next; void *loops; unsigned short more[40]; void *own_cb; }
  libev_ng_probe_anchor = { 0, 2, 12, 8, 0, { 0 }, 0 };
int other_build (void) { return 0; }
LIB
printf 'int other_build (void);\nint main (void) { other_build (); for (;;) ; }\n' > "$tmp/other/prog.c"
$CC -shared -fPIC -Wl,-soname,libev.so.4 "$tmp/other/anchor.c" -o "$tmp/other/libev.so.4" &&
  $CC "$tmp/other/prog.c" -o "$tmp/other/prog" -L"$tmp/other" -l:libev.so.4 || exit 1
LD_LIBRARY_PATH=$tmp/other "$tmp/other/prog" &
pid=$!
pids+=("$pid")
sleep 0.2
"$WATCHDOG" -t 100 -p "$pid" 2> "$tmp/err"
stops "-p, another build" $? "ev-watchdog: process $pid (prog): its libev.so.4 is another build of libev-ng*loop size 12*run the ev-watchdog of that libev-ng"
kill "$pid"
LD_LIBRARY_PATH=$tmp/other timeout 20 "$WATCHDOG" -t 100 -- "$tmp/other/prog" 2> "$tmp/err"
stops "-- PROGRAM, another build" $? "ev-watchdog: process * (prog): its libev.so.4 is another build of libev-ng*"

# Another user's program, and ev-watchdog without CAP_SYS_PTRACE: run as root, the program as root
# and ev-watchdog as nobody.
if [[ $(id -u) == 0 ]] && command -v setpriv > /dev/null; then
  start "$lib"
  setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
    "$WATCHDOG" -t 100 -p "$pid" 2> "$tmp/err"
  stops "another user" $? "ev-watchdog: process $pid (plain): cannot read its memory (*): it runs as user 0, ev-watchdog as user 65534 without CAP_SYS_PTRACE: run ev-watchdog as that user, or as root"
  kill "$pid"
else
  skip "another user: needs root and setpriv"
fi

# Yama's ptrace_scope 1: a process of the same user that is not the program's ancestor.
scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2> /dev/null)
if [[ $scope == 1 && $(id -u) == 0 ]] && command -v setpriv > /dev/null; then
  as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)
  start "$lib" "${as_nobody[@]}"
  "${as_nobody[@]}" "$WATCHDOG" -t 100 -p "$pid" 2> "$tmp/err"
  stops "Yama ptrace_scope 1" $? "ev-watchdog: process $pid (plain): cannot read its memory (*): Yama's ptrace_scope is 1*start the program under ev-watchdog*"
  kill "$pid"
else
  skip "Yama ptrace_scope 1: Yama is ${scope:+at $scope}${scope:-off} here, or not root (the messages of each scope: t/unit/watchdog_denied_test)"
fi

echo "$passes passed, $fails failed"
((fails == 0))
