# SPDX-License-Identifier: BSD-2-Clause
# examples/test-lib.sh - sourced by the example tests (examples/test-*.sh).
#
# Every process a test starts goes through `start`, which records its pid;
# `wait_exit` reaps it, and the EXIT trap kills by pid whatever was not
# reaped (if the test dies half-way).
# Every wait is bounded.  Needs Linux /proc (to tell a zombie from a live
# process, and to count threads and descriptors).

: "${top_builddir:?run the tests through make check}"
ex=$top_builddir/examples
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ev-examples.XXXXXX") || exit 99
pids=
failures=0

cleanup () {
  for p in $pids; do
    kill -KILL "$p" 2>/dev/null
  done
  # a test may define cleanup_more (e.g. to stop what its programs started)
  command -v cleanup_more >/dev/null 2>&1 && cleanup_more
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM

fail () {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# A failure after which the test cannot go on.
die () {
  echo "FAIL: $*" >&2
  exit 1
}

pass () {
  echo "ok: $*"
}

# A library built for size (configure --enable-small) has no debug mode, metrics, watchdog or
# probes: an example that shows one of them skips there.
skip_in_a_build_for_size () {
  if grep -q '^#define EV_NG_SMALL 1' "$top_builddir/config.h" 2>/dev/null; then
    echo "SKIP: a library built for size (configure --enable-small) has no $1"
    exit 77
  fi
}

# finish: the test's exit status
finish () {
  if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  exit 0
}

# start NAME CMD...: runs CMD in the background, stdout in $tmp/NAME.out,
# stderr in $tmp/NAME.err; sets $pid.  The files are emptied first, here:
# the background command's own redirections happen later, in the child, and
# a wait_for right after could read what an earlier NAME left.
start () {
  name=$1
  shift
  : >"$tmp/$name.out"
  : >"$tmp/$name.err"
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pid=$!
  pids="$pids $pid"
}

# running PID: true while PID exists and is not a zombie
running () {
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
  [ -n "$state" ] && [ "$state" != Z ]
}

# wait_exit PID [SECONDS]: waits for the background process PID to end and
# sets $status to its exit status; kills it and sets status=timeout after
# SECONDS (default 20).
wait_exit () {
  _n=0
  while running "$1"; do
    _n=$((_n + 1))
    if [ "$_n" -gt $((${2:-20} * 20)) ]; then
      kill -KILL "$1" 2>/dev/null
      wait "$1" 2>/dev/null
      forget "$1"
      status=timeout
      return
    fi
    sleep 0.05
  done
  wait "$1"
  status=$?
  forget "$1"
}

# forget PID: a reaped pid may be reused by another process: never kill it again
forget () {
  pids=$(printf ' %s ' $pids | sed "s/ $1 / /")
}

# wait_for FILE REGEX [SECONDS]: waits until a line of FILE matches REGEX
# (grep -E); dies after SECONDS (default 20).
wait_for () {
  _n=0
  until grep -E -q -e "$2" "$1" 2>/dev/null; do
    _n=$((_n + 1))
    [ "$_n" -gt $((${3:-20} * 20)) ] && die "timed out waiting for /$2/ in $(basename "$1"): $(cat "$1" 2>/dev/null)"
    sleep 0.05
  done
}

# expect_file FILE EXPECTED-CONTENT WHAT: compares a whole file
expect_file () {
  printf '%s\n' "$2" >"$tmp/expected"
  if cmp -s "$tmp/expected" "$1"; then
    pass "$3"
  else
    fail "$3: unexpected output:"
    diff "$tmp/expected" "$1" | sed 's/^/    /' >&2
  fi
}

# expect_status GOT WANT WHAT
expect_status () {
  if [ "$1" = "$2" ]; then
    pass "$3: exit status $1"
  else
    fail "$3: exit status $1, expected $2"
  fi
}

# expect_empty FILE WHAT
expect_empty () {
  if [ -s "$1" ]; then
    fail "$2: unexpected output: $(cat "$1")"
  else
    pass "$2: no output"
  fi
}

# fd_count PID: number of open descriptors of PID
fd_count () {
  ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# wait_fd_count PID N [SECONDS]: waits until PID has N descriptors open
wait_fd_count () {
  _n=0
  until [ "$(fd_count "$1")" -eq "$2" ]; do
    _n=$((_n + 1))
    if [ "$_n" -gt $((${3:-20} * 20)) ]; then
      fail "pid $1 has $(fd_count "$1") descriptors open, expected $2"
      return 1
    fi
    sleep 0.05
  done
}

# run NAME CMD...: like start, then waits (at most 20 s) and sets $status
run () {
  start "$@"
  wait_exit "$pid"
}

# listening_port NAME PROGRAM: the port PROGRAM announced in $tmp/NAME.out
listening_port () {
  sed -n "s/^$2: listening on 127\\.0\\.0\\.1:\\([0-9][0-9]*\\).*/\\1/p" "$tmp/$1.out"
}
