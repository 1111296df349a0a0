#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# t/stress/model.sh PROG - the model-based random API test (t/stress/model.h), differential.
#
# PROG is t/stress/model built against libev-ng (t/stress/run passes it).  This script builds
# the same source against the system's libev 4.33 (Debian's libev-dev: -lev, its ev.h), runs
# both on the same seeds and compares the hash of every sequence's trace.  Both also check
# every step against the reference model.  For the first seed whose traces differ it reruns
# both with the full trace, finds the shortest prefix of the sequence (top-level operations)
# that still differs and prints that diff with the commands to reproduce it.
#
# Then runs with the model's checks only (their traces cannot be compared): with -A,
# which also generates what shows the known differences of libev-ng (model.c lists them;
# the comparison avoids them), and with -T, timing mode (timers due after a few ms, checked
# against ev_now()), also on a slow machine (MODEL_OP_DELAY_US).  Then with -S, streams and
# accept watchers among the others (model_stream.c; libev 4.33 has none: model checks only), on
# each backend in turn (-b select, poll, epoll, and io_uring where the kernel has it), once more
# with every loop's backend drawn (io_uring among them), and a few sequences under valgrind's
# memcheck where there is one (no leak: what ev_loop_destroy frees of the streams left active,
# the kept buffers, the sends).  Last, model-findings/run.sh --check: the differences the model
# found, one small program each, must still print what their headers say (the same as libev
# 4.33 for the ones fixed).
#
# The seeds: STRESS_SEED (default 1) and on.  Counts:
#                        compared with libev 4.33    -A           -T      -T slow  -S (each)   -S memcheck
#   short                20000 sequences             5000         2000    500      2000        200
#   short, sanitizer     10000 short sequences (-s)  10000 short  1000    300      1000 short  -
#   long                 1000000 sequences           200000       50000   5000     100000      5000
# (-T slow: MODEL_OP_DELAY_US=300, both libraries, model checks only)
# (the sanitizer build is `make check-sanitize`: LIBEV_NG_SANITIZE is set).
# (-S (each): per backend, and once more with the backends drawn; its seeds start at
# STRESS_SEED + 1000000, so that they are not the comparison's.)
# MODEL_DIFF, MODEL_ALL, MODEL_TIMING, MODEL_SLOW_TIMING, MODEL_STREAMS and MODEL_STREAMS_VALGRIND
# override the counts (MODEL_STREAMS=0: no streams).
# Environment: top_srcdir, top_builddir, CC, STRESS_MODE, STRESS_SEED.
set -u
export LC_ALL=C
prog=$1
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CC=${CC:-cc}
work=$top_builddir/t/stress/model.work
mkdir -p "$work" || exit 1
first=${STRESS_SEED:-1}
short=
if [ "${STRESS_MODE:-short}" = long ]; then
  ndiff=1000000 nall=200000 ntiming=50000 nslow=5000 nstreams=100000 nvalgrind=5000
elif [ -n "${LIBEV_NG_SANITIZE:-}" ]; then
  ndiff=10000 nall=10000 ntiming=1000 nslow=300 short=-s nstreams=1000 nvalgrind=0
  # ASan keeps freed memory in quarantine (256 MB by default), and a sequence with the
  # default loop forks the whole process: with 16 MB each fork copies a third of the page
  # tables (a use after free within a sequence is still caught)
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
else
  ndiff=20000 nall=5000 ntiming=2000 nslow=500 nstreams=2000 nvalgrind=200
fi
ndiff=${MODEL_DIFF:-$ndiff}
nall=${MODEL_ALL:-$nall}
ntiming=${MODEL_TIMING:-$ntiming}
nslow=${MODEL_SLOW_TIMING:-$nslow}
nstreams=${MODEL_STREAMS:-$nstreams}
nvalgrind=${MODEL_STREAMS_VALGRIND:-$nvalgrind}
failed=0

say () { echo "$*"; }
fail () { echo "FAIL: model: $*"; failed=1; }

# ---- the twin, built against the system's libev ----------------------------------------
twin=$work/model-libev
sys_so=
sys_link=$($CC -print-file-name=libev.so)
if [ "$sys_link" != libev.so ] && [ -f /usr/include/ev.h ]; then
  sys_so=$(realpath "$(dirname "$(realpath "$sys_link")")/libev.so.4" 2>/dev/null)
fi
if [ -n "$sys_so" ]; then
  # no -I for libev: the compiler finds /usr/include/ev.h (t/stress has no ev.h of its own);
  # no sanitizer: this is the reference, built like any program using libev
  if ! $CC -std=gnu11 -O1 -g -Wall -Wextra -I"$here" "$here"/model.c "$here"/model_gen.c \
      "$here"/model_ops.c "$here"/model_ref.c "$here"/model_stream.c "$here"/model_trace.c "$here"/model_world.c \
      "$here"/stress.c -o "$twin" -L"$(dirname "$sys_link")" -lev -lm -ldl > "$work/twin-build.log" 2>&1; then
    cat "$work/twin-build.log"
    fail "cannot build the program against the system's libev"
    exit 1
  fi
fi

# the library a binary really runs on: its first output line
library_of () { sed -n '1s/^library: //p' "$1"; }

# ---- the comparison ---------------------------------------------------------------------
# reduce SEED: the shortest prefix of the sequence whose traces still differ, printed
reduce () {
  local seed=$1 lo=0 hi n
  "$prog" -t $short "$seed" 1 > "$work/ng.trace" 2>&1
  "$twin" -t $short "$seed" 1 > "$work/sys.trace" 2>&1
  if cmp -s <(grep -v '^figure' "$work/ng.trace") <(grep -v '^figure' "$work/sys.trace"); then
    # not alone: run it again after the 40 sequences before it, a few times
    local start=$((seed > first + 40 ? seed - 40 : first)) attempt
    for attempt in 1 2 3; do
      "$prog" -t $short "$start" $((seed - start + 1)) 2>&1 | sed -n "/^#### seed $seed\$/,/^end\$/p" > "$work/ng.trace"
      "$twin" -t $short "$start" $((seed - start + 1)) 2>&1 | sed -n "/^#### seed $seed\$/,/^end\$/p" > "$work/sys.trace"
      if ! cmp -s "$work/ng.trace" "$work/sys.trace"; then
        fail "seed $seed: libev-ng and libev 4.33 differ after seeds $start-$((seed - 1)) in the same process"
        say "  reproduce: $prog -t $short $start $((seed - start + 1))   (and $twin)"
        diff -u --label libev-4.33 --label libev-ng "$work/sys.trace" "$work/ng.trace" | head -80 | sed 's/^/    /'
        return
      fi
    done
    fail "seed $seed: the traces differed in the batch run, but neither alone nor after the 40" \
         "seeds before it (timing?)"
    # the batch's own traces of it (MODEL_TRACE_FILE, see run_half), kept for this
    local side
    for side in ng sys; do
      cat "$work/${side}1.out.trace" "$work/${side}2.out.trace" 2>/dev/null |
        awk -v s="#### seed $seed" '$0 == s { on = 1 } on { print } on && /^end$/ { exit }' > "$work/$side.batch.trace"
    done
    if [ -s "$work/ng.batch.trace" ] && [ -s "$work/sys.batch.trace" ]; then
      say "  the batch's traces of seed $seed (--- libev 4.33, +++ libev-ng; in $work/*.batch.trace):"
      diff -u --label libev-4.33 --label libev-ng "$work/sys.batch.trace" "$work/ng.batch.trace" | head -80 | sed 's/^/    /'
    fi
    return
  fi
  # the number of top-level operations of the full sequence is at most 31: bisect on -n
  hi=32
  while [ $((hi - lo)) -gt 1 ]; do
    n=$(((lo + hi) / 2))
    if cmp -s <("$prog" -t $short -n $n "$seed" 1 2>&1 | grep -v '^figure') \
              <("$twin" -t $short -n $n "$seed" 1 2>&1 | grep -v '^figure'); then
      lo=$n
    else
      hi=$n
    fi
  done
  "$prog" -t $short -n $hi "$seed" 1 2>&1 | grep -v '^figure' > "$work/ng.trace"
  "$twin" -t $short -n $hi "$seed" 1 2>&1 | grep -v '^figure' > "$work/sys.trace"
  fail "seed $seed: libev-ng and libev 4.33 differ; shortest prefix: $hi top-level operations"
  say "  reproduce: $prog -t $short -n $hi $seed 1   (libev-ng)"
  say "             $twin -t $short -n $hi $seed 1   (libev 4.33)"
  say "  trace diff (--- libev 4.33, +++ libev-ng):"
  diff -u --label libev-4.33 --label libev-ng "$work/sys.trace" "$work/ng.trace" | head -80 | sed 's/^/    /'
}

# The comparison runs in two halves of the seeds, each libev-ng half in a process of its own
# (two cores: the sanitizer build's 10^5 sequences take half the time), the reference in the
# same halves, so that every sequence runs after the same ones on both sides.
# Each half also writes its traces to OUT.trace (MODEL_TRACE_FILE; not in the long mode, where
# they would take gigabytes): a difference that does not come back when its seed runs again
# (reduce) can still be shown; they are removed when nothing differed.
half=$((ndiff / 2))
keep_traces=1
[ "${STRESS_MODE:-short}" = long ] && keep_traces=
run_half () { # BINARY PART OUT
  local trace=
  [ -n "$keep_traces" ] && trace=$3.trace
  if [ "$2" = 1 ]; then MODEL_TRACE_FILE=$trace "$1" -l -h $short "$first" "$half" > "$3" 2>&1
  else MODEL_TRACE_FILE=$trace "$1" -l -h $short "$((first + half))" "$((ndiff - half))" > "$3" 2>&1; fi
}
if [ -n "$sys_so" ]; then
  say "model: $ndiff sequences from seed $first${short:+ (short ones)}, libev-ng against $sys_so"
  run_half "$prog" 1 "$work/ng1.out" &
  ng1_pid=$!
  run_half "$prog" 2 "$work/ng2.out" &
  ng2_pid=$!
  run_half "$twin" 1 "$work/sys1.out"
  sys_rc=$?
  run_half "$twin" 2 "$work/sys2.out" || sys_rc=$?
  ng_rc=0
  wait $ng1_pid || ng_rc=$?
  wait $ng2_pid || ng_rc=$?
  cat "$work/ng1.out" "$work/ng2.out" > "$work/ng.out"
  cat "$work/sys1.out" "$work/sys2.out" > "$work/sys.out"
  grep '^figure:' "$work/ng.out"
  for part in 1 2; do
    ng_lib=$(library_of "$work/ng$part.out") sys_lib=$(library_of "$work/sys$part.out")
    case $ng_lib in
      "$top_builddir"/.libs/libev.so*|*/t/stress/model) ;;  # libev-ng's, shared or static
      *) fail "the program under test ran on '$ng_lib', not on libev-ng" ;;
    esac
    [ "$sys_lib" = "$sys_so" ] || fail "the reference ran on '$sys_lib', not on $sys_so"
  done
  # model failures and crashes
  if grep -q '^FAIL' "$work/ng.out" || [ $ng_rc != 0 ]; then
    grep -E '^FAIL|rror|ssert' "$work/ng.out" | head -20
    fail "libev-ng: the model's checks failed (exit $ng_rc; $work/ng.out)"
  fi
  if grep -q '^FAIL' "$work/sys.out" || [ $sys_rc != 0 ]; then
    grep -E '^FAIL|rror|ssert' "$work/sys.out" | head -20
    fail "libev 4.33 does not pass the model's checks (exit $sys_rc; $work/sys.out): a model error, or a libev quirk to teach it"
  fi
  # the traces
  grep '^seed ' "$work/ng.out" > "$work/ng.hashes"
  grep '^seed ' "$work/sys.out" > "$work/sys.hashes"
  ncmp=$(wc -l < "$work/sys.hashes")
  [ "$(wc -l < "$work/ng.hashes")" -lt "$ncmp" ] && ncmp=$(wc -l < "$work/ng.hashes")
  paste -d'|' <(head -n "$ncmp" "$work/sys.hashes") <(head -n "$ncmp" "$work/ng.hashes") |
    awk -F'|' '$1 != $2 { print $1 }' > "$work/differ"
  ndiffer=$(wc -l < "$work/differ")
  first_diff=$(awk 'NR == 1 { print $2 }' "$work/differ")
  say "figure: model: differential: $ncmp sequences compared with libev 4.33, differences: $ndiffer"
  [ "$ncmp" -lt "$ndiff" ] && fail "only $ncmp of $ndiff sequences ran in both (see $work/*.out)"
  [ -n "$first_diff" ] && reduce "$first_diff"
  [ -z "$first_diff" ] && rm -f "$work"/*.out.trace
else
  say "model: SKIP the comparison: no system libev (apt-get install libev-dev); model checks only"
  "$prog" -h $short "$first" "$ndiff" > "$work/ng.out" 2>&1 || fail "the model's checks failed ($work/ng.out)"
  grep -E '^(figure|FAIL):' "$work/ng.out"
fi

# ---- model checks only: -A (the known differences too), -T (timing mode) --------------
if [ "$nall" -gt 0 ]; then
  say "model: $nall sequences with the known differences (-A; model checks only)"
  "$prog" -A $short "$first" "$nall" > "$work/all.out" 2>&1 || fail "-A: the model's checks failed ($work/all.out)"
  grep -E '^(figure|FAIL):' "$work/all.out" | sed 's/^figure: model: /figure: model: -A: /'
fi
if [ "$ntiming" -gt 0 ]; then
  say "model: $ntiming sequences in timing mode (-T; model checks only)"
  "$prog" -T "$first" "$ntiming" > "$work/timing.out" 2>&1 || fail "-T: the model's checks failed ($work/timing.out)"
  grep -E '^(figure|FAIL):' "$work/timing.out" | sed 's/^figure: model: /figure: model: -T: /'
fi
# A slow machine (ASan, a loaded CI host): every operation takes up to 300 us more, so that a
# check which assumes time stands still between two operations fails here every time, not
# once in a hundred runs.  Both libraries: the model judges libev 4.33 by the same rules.
if [ "$nslow" -gt 0 ]; then
  say "model: $nslow sequences in timing mode on a slow machine (MODEL_OP_DELAY_US=300)"
  for side in ng ${sys_so:+libev}; do
    bin=$prog; [ $side = libev ] && bin=$twin
    MODEL_OP_DELAY_US=300 "$bin" -T "$first" "$nslow" > "$work/slow-$side.out" 2>&1 ||
      fail "-T, slow, $side: the model's checks failed ($work/slow-$side.out)"
    grep -E '^(figure|FAIL):' "$work/slow-$side.out" | sed -E "s/^figure: model(-libev)?: /figure: model: -T slow ($side): /"
  done
fi

# ---- streams (-S): model checks only, per backend ----------------------------------------
if [ "$nstreams" -gt 0 ]; then
  sfirst=$((first + 1000000))
  for backend in select poll epoll io_uring any; do
    bflag="-b $backend"; [ $backend = any ] && bflag=
    say "model: $nstreams sequences with streams (-S $bflag; model checks only)"
    "$prog" -S $bflag $short "$sfirst" "$nstreams" > "$work/streams-$backend.out" 2>&1
    rc=$?
    if [ $rc = 77 ]; then
      say "model: -S $bflag: $(grep -m1 SKIP "$work/streams-$backend.out")"
      continue
    fi
    [ $rc = 0 ] || fail "-S $bflag: the model's checks failed (exit $rc; $work/streams-$backend.out)"
    grep -E '^(figure|FAIL):' "$work/streams-$backend.out" | sed "s/^figure: model: /figure: model: -S ($backend): /"
  done
fi
# under memcheck: a definite leak or a memory error fails (libtool runs the program itself)
VALGRIND=${VALGRIND:-$(command -v valgrind)}
if [ "$nvalgrind" -gt 0 ] && [ "$nstreams" -gt 0 ] && [ -n "$VALGRIND" ] && [ -z "${LIBEV_NG_SANITIZE:-}" ] &&
   [ -x "$top_builddir/libtool" ]; then
  say "model: $nvalgrind sequences with streams under memcheck (-S)"
  "$top_builddir/libtool" --mode=execute "$VALGRIND" -q --tool=memcheck --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite --error-exitcode=1 --child-silent-after-fork=yes \
    "$prog" -S "$((first + 2000000))" "$nvalgrind" > "$work/streams-memcheck.out" 2>&1 ||
    fail "-S under memcheck: $(grep -m3 -E '^==|FAIL' "$work/streams-memcheck.out") ($work/streams-memcheck.out)"
  grep -E '^(figure|FAIL):' "$work/streams-memcheck.out" | sed "s/^figure: model: /figure: model: -S memcheck: /"
fi

# ---- the findings: each difference found, as a small program with its expected outcome --
# (not in the sanitizer build: its library needs the sanitizer's runtime in the program)
if [ -n "$sys_so" ] && [ -z "${LIBEV_NG_SANITIZE:-}" ]; then
  say "model: the findings (model-findings/*.c), against both libraries"
  CC=$CC sh "$here/model-findings/run.sh" --check "$top_builddir" || fail "a finding does not hold (above)"
fi

[ $failed = 0 ] && [ -z "$sys_so" ] && exit 77
exit $failed
