#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# t/observe/probes.sh - ev(3) LIBEV-NG EXTENSIONS, "Static probes": readelf -n
# lists every probe of the table in libev.so.4, all naming one semaphore; and an
# ordinary program (t/observe/slow_program.c, mode probes) run under gdb, with a
# breakpoint on each probe (break -probe-stap, which sets the semaphore as
# bpftrace does), hits them exactly as often as the loop's metrics and the
# program's own counts say: iterations (begin, end, poll enter and return),
# the events the polls queued, callbacks (begin and end), one loop made and
# destroyed, one fork, the bad fd, the signal.
set -u -o pipefail
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${top_builddir:=$top_srcdir}" "${CC:=cc}"
lib=$top_builddir/.libs
[[ -e $lib/libev.so.4 ]] || { echo "SKIP: no $lib/libev.so.4 (a shared build is needed)"; exit 77; }
grep -q '^#define EV_NG_SMALL 1' "$top_builddir/config.h" && { echo "SKIP: a library built for size (configure --enable-small) has no probes"; exit 77; }
grep -q '^#define EV_NG_HAVE_SDT 1' "$top_builddir/config.h" || { echo "SKIP: built without <sys/sdt.h>: no probes"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
ok () { passes=$((passes + 1)); echo "ok: $*"; }
fail () { fails=$((fails + 1)); echo "FAIL: $*"; }

# readelf -n: every probe of the table, one semaphore for all.  A probe may have several
# sites, one note each: a compiler that copies inlined code copies its probes (clang does in
# the iteration); tools attach to every site, and the counts below see them all.
probes="loop_create loop_destroy fork iteration_begin iteration_end poll_enter poll_return callback_begin callback_end timer_lag fd_error signal"
notes=$(readelf -n "$lib/libev.so.4")
for p in $probes; do
  grep -q "Name: $p\$" <<< "$notes" || fail "readelf -n lists no probe $p"
done
sems=$(grep -o 'Semaphore: 0x[0-9a-f]*' <<< "$notes" | sort -u)
names=$(grep -A1 'Provider: libev$' <<< "$notes" | grep -o 'Name: .*' | sort -u | wc -l)
if [[ $(grep -c 'Provider: ' <<< "$notes") == $(grep -c 'Provider: libev$' <<< "$notes") && $names == 12 &&
  $(wc -l <<< "$sems") == 1 && $sems != *": 0x0000000000000000" ]]; then
  ok "readelf -n: 12 probes of provider libev, one semaphore ($sems)"
else
  fail "readelf -n: expected 12 probes sharing one semaphore:"; grep -E 'Name|Semaphore' <<< "$notes"
fi

command -v gdb > /dev/null || { echo "$passes passed, $fails failed (gdb missing: the counts were not checked)"; ((fails == 0)) && exit 77; exit 1; }
# (gdb cannot run a cross build's program, nor put breakpoints into one that qemu-user runs)
[[ -n ${EMULATOR:-} ]] && { echo "$passes passed, $fails failed (the programs run under $EMULATOR, where gdb cannot count the probes: the counts were not checked)"; ((fails == 0)) && exit 77; exit 1; }
prog=$tmp/slow_program
# (a sanitizer build: the program is built with it too, as its runtime must come first)
$CC -O2 ${LIBEV_NG_SANITIZE:-} -I"$top_srcdir" -I"$top_builddir" "$top_srcdir/t/observe/slow_program.c" -o "$prog" -L"$lib" -lev -pthread || exit 1

# count VAR PROBE [CONDITION [EXTRA]]: a breakpoint that counts its hits.
count () {
  printf 'set $%s = 0\nbreak -probe-stap libev:%s\ncommands\nsilent\n' "$1" "$2"
  if [[ -n ${3:-} ]]; then printf 'if %s\nset $%s = $%s + 1\n%send\n' "$3" "$1" "$1" "${4:-}"; else printf 'set $%s = $%s + 1\n%s' "$1" "$1" "${4:-}"; fi
  printf 'continue\nend\n'
}
mine='$_probe_arg4 == (long) probe_timer_cb || $_probe_arg4 == (long) probe_io_cb || $_probe_arg4 == (long) probe_bad_cb || $_probe_arg4 == (long) probe_signal_cb'
{
  printf 'set pagination off\nset breakpoint pending on\nset confirm off\nhandle SIGUSR1 nostop noprint pass\n'
  count ib iteration_begin
  count ie iteration_end
  count pe poll_enter
  count pr poll_return '' 'set $events = $events + $_probe_arg1
'
  count cb callback_begin "$mine"
  count ce callback_end "$mine"
  count lc loop_create
  count ld loop_destroy
  count fk fork
  count fe fd_error '$_probe_arg1 == 1000'
  count sg signal '$_probe_arg1 == 10'
  count lag timer_lag
  printf 'set $events = 0\nrun\n'
  printf 'printf "probes ib %%d ie %%d pe %%d pr %%d events %%d cb %%d ce %%d lc %%d ld %%d fk %%d fe %%d sg %%d lag %%d\\n", $ib, $ie, $pe, $pr, $events, $cb, $ce, $lc, $ld, $fk, $fe, $sg, $lag\n'
} > "$tmp/count.gdb"
# LeakSanitizer cannot run under ptrace: a sanitizer build's leaks are checked by the other tests
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 LD_LIBRARY_PATH=$lib timeout 120 gdb -q -batch -x "$tmp/count.gdb" --args "$prog" probes 40 > "$tmp/out" 2>&1
counts=$(grep '^iterations ' "$tmp/out") seen=$(grep '^probes ' "$tmp/out")
if [[ -z $counts || -z $seen ]]; then
  fail "gdb run:"; cat "$tmp/out"
else
  read -r _ iterations _ poll_events _ callbacks _ lag_count <<< "$counts"
  declare -A n
  set -- $seen
  shift
  while (($#)); do n[$1]=$2; shift 2; done
  check () { if [[ $2 == "$3" ]]; then ok "$1: $2"; else fail "$1: $2, expected $3"; fi; }
  check "iteration_begin hits = metrics iterations" "${n[ib]}" "$iterations"
  check "iteration_end hits = metrics iterations" "${n[ie]}" "$iterations"
  check "poll_enter hits = metrics iterations" "${n[pe]}" "$iterations"
  check "poll_return hits = metrics iterations" "${n[pr]}" "$iterations"
  check "poll_return events = metrics poll_events" "${n[events]}" "$poll_events"
  check "callback_begin hits = the program's callbacks" "${n[cb]}" "$callbacks"
  check "callback_end hits = the program's callbacks" "${n[ce]}" "$callbacks"
  check "loop_create hits" "${n[lc]}" 1
  check "loop_destroy hits" "${n[ld]}" 1
  check "fork hits (ev_loop_fork)" "${n[fk]}" 1
  check "fd_error hits for fd 1000" "${n[fe]}" 1
  check "signal hits for SIGUSR1" "${n[sg]}" 1
  if ((n[lag] > 0 && n[lag] <= iterations)); then ok "timer_lag hits: ${n[lag]} (metrics lag_count $lag_count)"; else fail "timer_lag hits ${n[lag]}"; fi
fi
echo "$passes passed, $fails failed"
((fails == 0))
