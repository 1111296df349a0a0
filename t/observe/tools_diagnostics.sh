#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# t/observe/tools_diagnostics.sh - ev-top(1) and ev-gdb(1), DIAGNOSTICS and EXIT STATUS: where
# they cannot attach to a program's loops they stop at once, with status 1 and a message that
# says what is missing and how to fix it, rather than print bpftrace's or gdb's complaints and
# then nothing (ev-top went on with an empty table every second).  Each case as it comes on a
# fresh machine, made here: no such process; a program on Debian's libev 4.33, or on a libev.so.4
# replaced on disk by another build since it started, or one that lacks probes; a user who may
# not trace (another user's process, no capabilities, a process traced already); tracefs not
# mounted (a made-up sysfs without the uprobe PMU, EV_TOP_SYSFS, and a bpftrace that falls back
# to tracefs); a memory-lock limit too low (prlimit, and a bpftrace that fails as on a kernel
# that charges its maps to it, t/observe/fake_bpftrace.sh); probes that bpftrace attached but
# the process never armed.  And where nothing is missing but a low memory-lock limit that this
# kernel ignores, the real bpftrace shows the loop.  Cases that need root, strace, gdb, bpftrace
# or Debian's libev skip without them.
set -u -o pipefail
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${top_builddir:=$top_srcdir}" "${CC:=cc}"
lib=$top_builddir/.libs
[[ -e $lib/libev.so.4 ]] || { echo "SKIP: no $lib/libev.so.4 (a shared build is needed)"; exit 77; }
grep -q '^#define EV_NG_SMALL 1' "$top_builddir/config.h" && { echo "SKIP: a library built for size (configure --enable-small) has no probes"; exit 77; }
grep -q '^#define EV_NG_HAVE_SDT 1' "$top_builddir/config.h" || { echo "SKIP: built without <sys/sdt.h>: no probes"; exit 77; }
[[ -n ${LIBEV_NG_SANITIZE:-} ]] && { echo "SKIP: a sanitizer build"; exit 77; }
# (a cross build's program runs under $EMULATOR, qemu-user: the tools would see the emulator)
[[ -n ${EMULATOR:-} ]] && { echo "SKIP: the programs run under $EMULATOR"; exit 77; }
tmp=$(mktemp -d)
chmod 755 "$tmp"  # (the unprivileged user's cases run its programs)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done; rm -rf "$tmp"' EXIT
fails=0 passes=0 skips=0
ok () { passes=$((passes + 1)); echo "ok: $*"; }
fail () { fails=$((fails + 1)); echo "FAIL: $*"; }
skip () { skips=$((skips + 1)); echo "skip: $*"; }
top_tool=$top_srcdir/tools/ev-top
gdb_tool=$top_builddir/tools/ev-gdb
export EV_GDB_PY=$top_srcdir/tools/ev-gdb.py
root=0
[[ $(id -u) == 0 ]] && root=1

prog=$tmp/slow_program
$CC -O2 -I"$top_srcdir" -I"$top_builddir" "$top_srcdir/t/observe/slow_program.c" -o "$prog" -L"$lib" -lev -pthread || exit 1
# start LIBDIR MODE ARGS...: the program on the libev.so.4 of LIBDIR, in the background; its pid in $pid
start () {
  local dir=$1
  shift
  LD_LIBRARY_PATH=$dir "$prog" "$@" > /dev/null 2>&1 &
  pid=$!
  pids+=("$pid")
  sleep 0.3
}
# expect NAME PATTERNS COMMAND...: COMMAND stops within 60 s, with status 1 and a message in
# which each line of PATTERNS (extended regular expressions: what is missing, what to do) matches
expect () {
  local name=$1 patterns=$2 out rc pattern missed=
  shift 2
  out=$(timeout 60 "$@" 2>&1)
  rc=$?
  while read -r pattern; do
    grep -q -E -- "$pattern" <<< "$out" || missed+=" [$pattern]"
  done <<< "$patterns"
  if [[ $rc == 1 && -z $missed ]]; then
    ok "$name"
  else
    fail "$name: status $rc (expected 1)${missed:+, no line matching$missed}"
    sed 's/^/    /' <<< "$out" | head -n 12
  fi
}
has_gdb=0
command -v gdb > /dev/null && has_gdb=1
# A stand-in bpftrace (t/observe/fake_bpftrace.sh) first in PATH for the cases the machine cannot show.
mkdir "$tmp/bin"
ln -s "$top_srcdir/t/observe/fake_bpftrace.sh" "$tmp/bin/bpftrace"
fake=$tmp/bin:$PATH

# ---- no such process ------------------------------------------------------------------------
sh -c 'exit 0' &
gone=$!
wait "$gone"
expect "ev-top: no process" "^ev-top: no process $gone\$" "$top_tool" -p "$gone"
((has_gdb)) && expect "ev-gdb: no process" "^ev-gdb: no process $gone\$" "$gdb_tool" -p "$gone"

# ---- ev-gdb's commands file missing (a partial install; make distcheck's tests run before it) ----
if EV_GDB_PY=$tmp/none "$gdb_tool" --help | grep -q '^Usage: ev-gdb -p PID'; then
  ok "ev-gdb --help without its commands file"
else
  fail "ev-gdb --help without its commands file"
fi
((has_gdb)) && expect "ev-gdb: no commands file" "^ev-gdb: no $tmp/none, which holds the commands"$'\n'"install libev-ng's tools again, or name the file in EV_GDB_PY" \
  env EV_GDB_PY="$tmp/none" "$gdb_tool" -p $$

# ---- a libev.so.4 of another build --------------------------------------------------------
# Debian's libev 4.33: the program built as for it, against the system's ev.h and -lev.
debian=$(ldconfig -p 2> /dev/null | awk '$1 == "libev.so.4" { print $NF; exit }')
if [[ -z $debian ]] || ! printf '%s\n' '#include <ev.h>' 'static void cb (EV_P, ev_timer *w, int revents) { (void)w, (void)revents; }' \
  'int main (void) { ev_timer t; ev_timer_init (&t, cb, 0.1, 0.1); ev_timer_start (EV_DEFAULT, &t); ev_run (EV_DEFAULT, 0); return 0; }' |
  $CC -x c - -o "$tmp/on_debian" -lev 2> /dev/null; then
  skip "no libev 4.33 from Debian (libev-dev): the case of its library not run"
elif readelf -n "$debian" | grep -q 'Provider: libev'; then
  skip "the system's libev.so.4 ($debian) is libev-ng's: the case of Debian's library not run"
else
  "$tmp/on_debian" &
  pids+=("$!")
  sleep 0.3
  expect "ev-top: a program on Debian's libev 4.33" "has no libev-ng probes: a libev.so.4 of another build"$'\n'"run the program on libev-ng's libev.so.4" \
    "$top_tool" -p "$!"
  ((has_gdb)) && expect "ev-gdb: a program on Debian's libev 4.33" "has no libev-ng probes: a libev.so.4 of another build"$'\n'"run the program on libev-ng's libev.so.4" \
    "$gdb_tool" -p "$!"
fi
# libev-ng's library replaced on disk, since the program loaded it, by another build (Debian's
# where there is one): bpftrace would attach to the new file, which the process does not run.
mkdir "$tmp/replaced"
cp "$lib/libev.so.4" "$tmp/replaced/libev.so.4"
start "$tmp/replaced" wait 30
cp "${debian:-$lib/libev.so.4}" "$tmp/replaced/new" && mv "$tmp/replaced/new" "$tmp/replaced/libev.so.4"
expect "ev-top: the program's libev.so.4 replaced on disk" "maps $tmp/replaced/libev.so.4, which was deleted or replaced on disk.*another build"$'\n'"restart the program" \
  "$top_tool" -p "$pid"
if ((has_gdb)) && [[ -n $debian ]]; then
  expect "ev-gdb: the program's libev.so.4 replaced on disk by Debian's" "was replaced on disk since the program loaded it.*restart the program" "$gdb_tool" -p "$pid"
fi
kill "$pid"
# A libev-ng of another version, without all the probes ev-top reads: a library with one.
if printf '#include <sys/sdt.h>\nvoid f (void) { DTRACE_PROBE (libev, fork); }\n' | $CC -x c - -shared -fPIC -o "$tmp/libev.so.4" 2> /dev/null; then
  expect "ev-top: a libev-ng without the probes it reads" "is a libev-ng of another build: it lacks the probes iteration_begin poll_enter"$'\n'"use the ev-top installed with that library" \
    "$top_tool" -p $$ -l "$tmp/libev.so.4"
else
  skip "<sys/sdt.h> does not compile here: the case of missing probes not run"
fi

# ---- a user who may not trace ---------------------------------------------------------------
if ((!root)); then
  skip "not root: the cases of users without privileges not run"
else
  start "$lib" wait 30
  # another user's process
  expect "ev-top as another user" "cannot read /proc/$pid/maps: process $pid belongs to another user"$'\n'"run ev-top as root" \
    runuser -u nobody -- "$top_tool" -p "$pid"
  ((has_gdb)) && expect "ev-gdb as another user" "cannot read /proc/$pid/maps: process $pid belongs to another user"$'\n'"run ev-gdb as root" \
    runuser -u nobody -- env EV_GDB_PY="$EV_GDB_PY" "$gdb_tool" -p "$pid"
  # root without capabilities
  expect "ev-top as root without capabilities" "cannot read /proc/$pid/maps.*lacks CAP_SYS_PTRACE"$'\n'"run ev-top as root" \
    setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- "$top_tool" -p "$pid"
  ((has_gdb)) && expect "ev-gdb without CAP_SYS_PTRACE" "cannot attach to process $pid: ptrace was refused.*CAP_SYS_PTRACE"$'\n'"give it CAP_SYS_PTRACE" \
    setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace -- "$gdb_tool" -p "$pid"
  kill "$pid"
  # a user's own program, which bpftrace may not trace without root
  # shellcheck disable=SC2016 # (the inner shell's arguments)
  expect "ev-top on the user's own program, without root" "cannot trace as user nobody: bpftrace needs root, or the capabilities CAP_BPF and CAP_PERFMON"$'\n'"run ev-top as root" \
    runuser -u nobody -- sh -c 'LD_LIBRARY_PATH=$1 $2 wait 5 > /dev/null & sleep 0.3; $3 -p $!; status=$?; kill $!; exit $status' \
    sh "$lib" "$prog" "$top_tool"
  # a process that another tracer has (a process has one at a time)
  if ((has_gdb)) && command -v strace > /dev/null; then
    LD_LIBRARY_PATH=$lib strace -o /dev/null "$prog" wait 30 > /dev/null 2>&1 &
    pids+=("$!")
    sleep 0.5
    traced=$(pgrep -P "$!" -f slow_program | head -n 1)
    expect "ev-gdb on a process traced already" "cannot attach to process $traced: process [0-9]+ \\(strace\\) traces it already" "$gdb_tool" -p "$traced"
  else
    skip "no gdb or no strace: the case of a process traced already not run"
  fi
fi

# ---- what bpftrace needs of the kernel and the limits ---------------------------------------
if ((!root)); then
  skip "not root: ev-top stops before bpftrace, the cases of tracefs and memory-lock not run"
else
  start "$lib" fast 100000000
  # tracefs not mounted where the kernel has no uprobe PMU: a made-up sysfs without either
  mkdir -p "$tmp/sys/kernel/tracing" "$tmp/sys-pmu/bus/event_source/devices/uprobe"
  echo 8 > "$tmp/sys-pmu/bus/event_source/devices/uprobe/type"
  expect "ev-top without tracefs and the uprobe PMU" "no uprobe PMU .* and tracefs, which bpftrace uses instead, is not mounted"$'\n'"mount -t tracefs nodev /sys/kernel/tracing" \
    env EV_TOP_SYSFS="$tmp/sys" PATH="$fake" FAKE_BPFTRACE=table "$top_tool" -p "$pid"
  # bpftrace falls back to tracefs, which is not mounted
  expect "ev-top when bpftrace needs tracefs" "attaches the probes through tracefs here, which is not mounted"$'\n'"mount -t tracefs nodev /sys/kernel/tracing" \
    env EV_TOP_SYSFS="$tmp/sys-pmu" PATH="$fake" FAKE_BPFTRACE=tracefs "$top_tool" -p "$pid"
  # a memory-lock limit too low, which bpftrace may not raise, on a kernel that charges its maps to it
  expect "ev-top with a memory-lock limit too low" "could not raise the memory-lock limit \\(64 KB\\)"$'\n'"ulimit -l unlimited" \
    prlimit --memlock=65536:65536 setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource -- \
    env PATH="$fake" FAKE_BPFTRACE=memlock "$top_tool" -p "$pid"
  # bpftrace attached, but the probes were not armed: the empty table every second, before
  expect "ev-top when bpftrace attaches but the probes are not armed" "bpftrace attached, but the probes of .* in process $pid were not armed"$'\n'"is .* the file the process runs|run ev-top as root" \
    env PATH="$fake" FAKE_BPFTRACE=unarmed "$top_tool" -p "$pid"
  if pgrep -f "$tmp/bin/bpftrace" > /dev/null; then fail "the stand-in bpftrace runs on after ev-top stopped"; fi
  # The real bpftrace with a low memory-lock limit: where the kernel charges BPF memory to the
  # cgroup instead (Linux 5.11 and later) nothing is missing; elsewhere ev-top says so.  Either
  # way, never an empty table.
  if ! command -v bpftrace > /dev/null; then
    skip "no bpftrace: the real one not run"
  else
    out=$(timeout 60 prlimit --memlock=65536:65536 setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource -- \
      "$top_tool" -p "$pid" -n 2 2>&1)
    rc=$?
    if [[ $rc == 0 ]] && grep -q -E "^ +$pid  0x[0-9a-f]+ +[1-9]" <<< "$out"; then
      ok "ev-top with a low memory-lock limit that the kernel does not need: the loop's row"
    elif [[ $rc == 1 ]] && grep -q 'ev-top: cannot trace process' <<< "$out"; then
      ok "ev-top with a low memory-lock limit: stops with a message (this kernel needs the limit, or refuses bpftrace)"
    else
      fail "ev-top with a low memory-lock limit: status $rc"
      sed 's/^/    /' <<< "$out" | head -n 12
    fi
  fi
  kill "$pid"
fi
echo "$passes passed, $fails failed, $skips skipped"
((fails == 0))
