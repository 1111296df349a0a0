#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/test-file-watch.sh - make check: examples/file-watch (ev_stat,
# ev_periodic on a clock-aligned interval and on a computed daily schedule).

. "$top_srcdir/examples/test-lib.sh"
prog=$ex/file-watch
[ -x "$prog" ] || die "$prog is not built"

# wait_count FILE REGEX N [SECONDS]: waits until N lines of FILE match REGEX
wait_count () {
  _n=0
  until [ "$(grep -E -c -e "$2" "$1" 2>/dev/null)" -ge "$3" ]; do
    _n=$((_n + 1))
    [ "$_n" -gt $((${4:-20} * 20)) ] && die "timed out waiting for $3 lines /$2/ in $(basename "$1"): $(cat "$1" 2>/dev/null)"
    sleep 0.05
  done
}

# ---- usage errors
for args in "" "-e 0 f" "-e x f" "-e -1 f" "-a 24:00 f" "-a 12:60 f" "-a 1200 f" "-a 12:5 f" \
            "-a 1:2:3 f" "a b" "-q f"; do
  run usage "$prog" $args
  expect_status "$status" 64 "file-watch $args"
  grep -q "^usage: " "$tmp/usage.err" || fail "file-watch $args: no usage message"
done

# ---- a file appears, grows, is replaced (rename over it) and deleted, while
# a job runs every second.  Each step waits for the report of the previous
# one: changes that come faster than the loop looks are reported together.
f=$tmp/file
start w "$prog" -e 1 "$f"
w=$pid
wait_for "$tmp/w.out" "^file-watch: watching $f: does not exist$"
: >"$f"
wait_for "$tmp/w.out" "^file-watch: created: size 0$"
printf 'hello\n' >>"$f"
wait_for "$tmp/w.out" "^file-watch: changed: size 6$"
printf 'new\nfile\n' >"$tmp/file.new"
mv "$tmp/file.new" "$f"
wait_for "$tmp/w.out" "^file-watch: replaced: size 9$"
rm "$f"
wait_for "$tmp/w.out" "^file-watch: deleted$"
# quiet for 1.02 s after the last change: the moment to (re)read the file
wait_for "$tmp/w.out" "^file-watch: settled: No such file or directory$"
wait_count "$tmp/w.out" "^file-watch: every 1 s: fired at " 4
kill -TERM "$w"
wait_exit "$w"
expect_status "$status" 0 "file-watch after SIGTERM"
expect_empty "$tmp/w.err" "stderr"
grep -E '^file-watch: (created|changed|replaced|deleted)' "$tmp/w.out" >"$tmp/changes"
expect_file "$tmp/changes" "file-watch: created: size 0
file-watch: changed: size 6
file-watch: replaced: size 9
file-watch: deleted" "changes reported in order"
tail -n 1 "$tmp/w.out" >"$tmp/last"
expect_file "$tmp/last" "file-watch: caught signal 15, stopping" "last line"

# The periodic's trigger times are whole seconds, exactly: interval 1,
# offset 0 ...
sed -n 's/^file-watch: every 1 s: .*next at [0-9-]* [0-9:]*\(\.[0-9]*\)$/\1/p' "$tmp/w.out" | sort -u >"$tmp/next"
expect_file "$tmp/next" ".000" "the job is scheduled at whole seconds"
# ... and the loop wakes up right after them (loosely: most wake-ups within
# 0.25 s of the second; a loaded machine may delay one)
sed -n 's/^file-watch: every 1 s: fired at [0-9-]* [0-9:]*\.\([0-9]*\), .*/\1/p' "$tmp/w.out" >"$tmp/fired"
awk '{ n++; if ($1 + 0 < 250) early++ } END { exit !(n >= 4 && early >= n - 1) }' "$tmp/fired" \
  && pass "the job ran on the second (ms: $(tr '\n' ' ' <"$tmp/fired"))" \
  || fail "the job ran late (ms after the second: $(tr '\n' ' ' <"$tmp/fired"))"
# one run per second: the seconds it ran at are all different
sed -n 's/^file-watch: every 1 s: fired at \([0-9-]* [0-9:]*\)\..*/\1/p' "$tmp/w.out" >"$tmp/secs"
[ "$(sort -u "$tmp/secs" | wc -l)" -eq "$(wc -l <"$tmp/secs")" ] && pass "one run per second" \
  || fail "two runs in one second: $(cat "$tmp/secs")"

# ---- -a HH:MM: the next run is today or tomorrow at HH:MM:00, local time.
# 90 s ahead: at least 30 s into the future whatever the current second, so
# the program, started a moment later, still finds it ahead.
now=$(date +%s)
hhmm=$(date -d "@$((now + 90))" +%H:%M)
expected="$(date -d "@$((now + 90))" '+%Y-%m-%d %H:%M'):00.000"
start a "$prog" -a "$hhmm" "$f"
a=$pid
wait_for "$tmp/a.out" "^file-watch: daily at $hhmm: next at "
kill -TERM "$a"
wait_exit "$a"
expect_status "$status" 0 "file-watch -a $hhmm"
line=$(grep "daily at $hhmm: next at" "$tmp/a.out")
in=$(echo "$line" | sed -n "s/^file-watch: daily at $hhmm: next at $expected (in \\([0-9]*\\) s)$/\\1/p")
if [ -n "$in" ] && [ "$in" -ge 29 ] && [ "$in" -le 91 ]; then
  pass "next daily run at $expected, in $in s"
else
  fail "expected the next run at $expected in 30 .. 90 s: $line"
fi

# a time that has passed today runs tomorrow (in UTC, a day is always 24 h)
hhmm=$(TZ=UTC date -d "@$((now - 120))" +%H:%M)
expected="$(TZ=UTC date -d "@$((now - 120 + 86400))" '+%Y-%m-%d %H:%M'):00.000"
start b env TZ=UTC "$prog" -a "$hhmm" "$f"     # env execs: $pid is file-watch's
b=$pid
wait_for "$tmp/b.out" "^file-watch: daily at $hhmm: next at "
kill -TERM "$b"
wait_exit "$b"
expect_status "$status" 0 "file-watch -a $hhmm"
line=$(grep "daily at $hhmm: next at" "$tmp/b.out")
in=$(echo "$line" | sed -n "s/^file-watch: daily at $hhmm: next at $expected (in \\([0-9]*\\) s)$/\\1/p")
if [ -n "$in" ] && [ "$in" -ge 86200 ] && [ "$in" -le 86300 ]; then
  pass "a time of day already past runs tomorrow ($expected UTC, in $in s)"
else
  fail "expected the next run tomorrow at $expected UTC: $line"
fi

finish
