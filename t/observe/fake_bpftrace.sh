#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/observe/fake_bpftrace.sh - a stand-in for bpftrace that the tests of ev-top (t/observe/tools.sh,
# t/observe/tools_diagnostics.sh) put first in PATH, to make it behave as bpftrace does where the
# machine cannot show it: FAKE_BPFTRACE says how.
#
#   table      attaches (counts up the probes' semaphore of the process, as bpftrace's attach
#              does), prints one interval of an echo server's maps, detaches, exits 0
#   unarmed    "attaches" without counting the semaphore up (a kernel that does not count it,
#              a library file the process does not run), then prints empty intervals forever
#   tracefs    fails as bcc does where the kernel has no uprobe PMU and tracefs is not mounted
#   memlock    where its memory-lock limit is below 8 MB, fails as bpftrace does on a kernel that
#              charges BPF maps to that limit (Linux before 5.11) when it cannot raise it
#
# Called as ev-top calls bpftrace: bpftrace -B line -p PID -e PROGRAM.
pid=
while [ $# -gt 0 ]; do
  case $1 in
    -p) pid=$2; shift 2 ;;
    *) shift ;;
  esac
done

# semaphore_address: the address of the libev probes' semaphore in process $pid
semaphore_address () {
  map=$(awk '$6 ~ /\/libev\.so\.4/ && $3 == "00000000" { sub(/-.*/, "", $1); print $1, $6; exit }' "/proc/$pid/maps")
  lib=${map#* }
  semaphore=$(readelf -n "$lib" | sed -n 's/.*Semaphore: \(0x[0-9a-f]*\).*/\1/p' | head -n 1)
  echo $((0x${map%% *} + semaphore))
}
# count_semaphore STEP: add STEP (1 or -1) to the semaphore, as the kernel does for each probe
count_semaphore () {
  at=$(semaphore_address)
  now=$(dd if="/proc/$pid/mem" bs=2 count=1 iflag=skip_bytes skip="$at" 2> /dev/null | od -An -tu2 | tr -d ' ')
  new=$((now + $1))
  # shellcheck disable=SC2059 # (the format is the two bytes, little-endian)
  printf "\\$(printf %03o $((new & 255)))\\$(printf %03o $((new >> 8)))" |
    dd of="/proc/$pid/mem" bs=2 count=1 oflag=seek_bytes seek="$at" conv=notrunc 2> /dev/null
}

memlock_error='ERROR: Unknown error -1: couldn'"'"'t set RLIMIT_MEMLOCK for bpftrace. If your program is not loading, you can try "ulimit -l 8192" to fix the problem'
case ${FAKE_BPFTRACE:-} in
  table)
    count_semaphore 1
    printf '%s\n' 'Attaching 10 probes...' "ev-top: process $pid" '' '=interval 12:00:01' 'loops of process 3351, by [thread id, loop address]' \
      'iterations:' '@iterations[3351, 140245982110552]: 812' 'busy percent (outside the poll, of the interval):' \
      '@busy_percent[3351, 140245982110552]: 74' '@events_per_100_polls[3351, 140245982110552]: 103' \
      '@callbacks[3351, 140245982110552]: 836' '@slowest_us[echo_read_cb, 94823123456]: 1200' \
      '@total_us[echo_read_cb, 94823123456]: 5000' '@calls[echo_read_cb, 94823123456]: 812' \
      '@slowest_us[accept_cb, 94823123999]: 3400' '@total_us[accept_cb, 94823123999]: 4000' '@calls[accept_cb, 94823123999]: 24' '=end'
    count_semaphore -1
    exit 0 ;;
  unarmed)
    printf '%s\n' 'Attaching 10 probes...' "ev-top: process $pid"
    while :; do
      printf '%s\n' '' '=interval 12:00:01' 'iterations:' '' 'callbacks:' '' '=end' || exit 0
      sleep 0.2
    done ;;
  tracefs)
    echo 'Attaching 10 probes...'
    echo 'open(/sys/kernel/tracing/uprobe_events): No such file or directory' >&2
    echo "ERROR: Error attaching probe: usdt:/proc/$pid/root/usr/lib/libev.so.4:libev:iteration_begin" >&2
    exit 1 ;;
  memlock)
    limit=$(awk '/^Max locked memory/ { print $4; exit }' /proc/self/limits)
    if [ "$limit" != unlimited ] && [ "$limit" -lt 8388608 ]; then
      echo "$memlock_error" >&2
      echo "ERROR: failed to create map: '@iterations': Operation not permitted" >&2
      exit 1
    fi
    exit 0 ;;
  *) echo "fake_bpftrace.sh: FAKE_BPFTRACE=table, unarmed, tracefs or memlock" >&2; exit 2 ;;
esac
