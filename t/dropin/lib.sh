# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# t/dropin/lib.sh - process, port and /proc helpers of the drop-in check
# (sourced by t/dropin/run; bash only).
#
# Every process a case starts goes through start_server, run_client or
# start_plain, so it is recorded by pid and stopped by pid (never by name),
# and every wait is a polling loop with a deadline.

# The processes of the current case, by name (reset by run_case): pid, exit
# status once reaped, reaped yet, client (not a server). STARTED: names in
# start order. REF_STATUS: "case/backend/name" -> exit status in the control
# pass.
declare -A PID=() STATUS=() REAPED=() CLIENT=() REF_STATUS=()
STARTED=()
KIDS=()     # set by wait_children, wait_replaced
PORTS=()    # set by pick_ports

# --- reporting -------------------------------------------------------------

# elapsed: seconds since the current case started (CASE_T0, microseconds).
elapsed () {
  local us=$((${EPOCHREALTIME//[.,]/} - CASE_T0))
  printf '%3d.%d' $((us / 1000000)) $((us / 100000 % 10))
}
note () { printf '  %s  %s\n' "$(elapsed)" "$*"; }
# bad: one failed check of the current case; the case goes on so that one run
# shows every difference, and stops its processes in any case.
bad () { printf '  %s  FAIL: %s\n' "$(elapsed)" "$*"; CASE_ERRORS=$((CASE_ERRORS + 1)); }
die () { printf 'dropin: %s\n' "$*" >&2; exit 2; }

# --- sleeping without forking ---------------------------------------------
# read -t on a fifo nobody writes to sleeps for a fraction of a second inside
# bash; `sleep` would fork a process per poll.

nap_init () {
  mkfifo "$TMP/nap.fifo" || die "mkfifo failed"
  exec {NAP_FD}<>"$TMP/nap.fifo"
}
nap () { read -r -t "$1" -u "$NAP_FD" _ || true; }

# --- /proc helpers ---------------------------------------------------------

# proc_state PID: sets REPLY to the state letter (R, S, Z, ...), fails if PID
# is gone. (A variable, not output: it runs in polling loops, without forks.)
proc_state () {
  local stat
  { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }                # comm may contain spaces and parentheses
  REPLY=${stat%% *}
}

# alive PID: true while PID runs; an exited process waiting to be reaped
# (state Z) is not alive any more.
alive () {
  proc_state "$1" || return 1
  [[ $REPLY != Z && $REPLY != X ]]
}

# proc_start_time PID: the start time in clock ticks (field 22 of stat); with
# the pid it identifies a process even if the pid number is reused later.
proc_start_time () {
  local stat f
  { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  read -r -a f <<< "$stat"
  printf '%s\n' "${f[19]}"        # fields after comm start at field 3
}

# descendants PID: every live process below PID (children, grandchildren).
descendants () {
  local -A parent=()
  local d stat pid ppid rest
  for d in /proc/[0-9]*; do
    { read -r stat < "$d/stat"; } 2>/dev/null || continue
    pid=${d#/proc/}
    rest=${stat##*) }
    read -r _ ppid _ <<< "$rest"
    parent[$pid]=$ppid
  done
  local -a queue=("$1")
  local -A isdesc=()
  while ((${#queue[@]})); do
    local cur=${queue[0]}
    queue=("${queue[@]:1}")
    for pid in "${!parent[@]}"; do
      if [[ ${parent[$pid]} == "$cur" && -z ${isdesc[$pid]:-} ]]; then
        isdesc[$pid]=1
        queue+=("$pid")
      fi
    done
  done
  for pid in "${!isdesc[@]}"; do
    alive "$pid" && printf '%s\n' "$pid"
  done | sort -n
}

# libev_paths PID: the distinct libev files mapped into PID, one per line.
# A file replaced on disk while mapped shows as "PATH (deleted)": that is
# still the file that was loaded, so the suffix is dropped.
libev_paths () {
  local maps
  maps=$(< "/proc/$1/maps") || return 1
  awk '$6 ~ /\/libev\.so/ { p = $6; for (i = 7; i <= NF; i++) p = p " " $i;
                            sub(/ \(deleted\)$/, "", p); if (!(p in seen)) { seen[p]; print p } }' <<< "$maps"
}

# check_maps PID LABEL: PID must map exactly one libev, and it must be the
# library of the current pass ($EXPECT_LIB): ours from the build tree, or
# Debian's for the control pass.
check_maps () {
  local pid=$1 label=$2 paths
  if ! paths=$(libev_paths "$pid" 2>/dev/null); then
    bad "$label (pid $pid): cannot read /proc/$pid/maps (process gone?)"
    return 1
  fi
  if [[ -z $paths ]]; then
    bad "$label (pid $pid): no libev mapped"
    return 1
  fi
  if [[ $paths != "$EXPECT_LIB" ]]; then
    bad "$label (pid $pid): maps '${paths//$'\n'/, }', expected $EXPECT_LIB"
    return 1
  fi
  note "maps: $label (pid $pid) -> $paths"
}

# check_tree_maps PID LABEL: check_maps on PID and on every descendant (worker
# processes of nghttpx and hitch, the binder of sniproxy).
check_tree_maps () {
  local pid=$1 label=$2 d
  check_maps "$pid" "$label"
  for d in $(descendants "$pid"); do
    check_maps "$d" "$label child"
  done
}

# check_substitutable BINARY: LD_LIBRARY_PATH decides which libev.so.4
# BINARY loads: it needs libev.so.4, is not setuid/setgid (secure mode
# ignores the variable) and has no RPATH (searched before it).
check_substitutable () {
  local b=$1 dyn
  [[ -x $b ]] || die "$b is missing (t/dropin/install installs it)"
  dyn=$(readelf -d "$b" 2> /dev/null) || die "cannot read the dynamic section of $b (binutils)"
  grep -q 'NEEDED.*\[libev\.so\.4\]' <<< "$dyn" || die "$b does not link libev.so.4"
  grep -q '(RPATH)' <<< "$dyn" && die "$b has an RPATH: LD_LIBRARY_PATH would not apply"
  [[ -u $b || -g $b ]] && die "$b is setuid/setgid: LD_LIBRARY_PATH would not apply"
  return 0
}

# libev_runtime: libev4 or libev4t64, the installed package of Debian's libev.so.4
# shellcheck source=t/dropin/libev-runtime.sh
source "$(dirname "${BASH_SOURCE[0]}")/libev-runtime.sh"

# system_libev: Debian's libev.so.4 of this machine's architecture (another
# architecture's libev4 may be installed beside it, multiarch).
system_libev () {
  dpkg-query -L "$(libev_runtime):$(dpkg --print-architecture)" 2> /dev/null | grep '/libev\.so\.4$' | head -n 1
}

# --- ports -----------------------------------------------------------------

# used_ports: every local TCP/UDP port in use (any state, IPv4 and IPv6).
# (awk, not a bash read loop: after a load test /proc/net/tcp has thousands
# of TIME_WAIT lines.)
used_ports () {
  awk 'FNR > 1 { n = split($2, a, ":"); print a[n] }' /proc/net/tcp /proc/net/tcp6 \
    /proc/net/udp /proc/net/udp6 2> /dev/null | sort -u | while read -r hex; do
    printf '%d\n' "0x$hex"
  done
}

# pick_ports N: sets PORTS to N free ports below the kernel's ephemeral
# range (so they cannot collide with the outgoing connections of the clients
# started later), at a random place so that concurrent runs rarely meet.
pick_ports () {
  local n=$1 low=20000 high=32000 p
  local -A used=()
  for p in $(used_ports); do used[$p]=1; done
  PORTS=()
  p=$((low + RANDOM % (high - low - 1000)))
  while ((${#PORTS[@]} < n && p < high)); do
    [[ -z ${used[$p]:-} ]] && PORTS+=("$p")
    p=$((p + 1))
  done
  ((${#PORTS[@]} == n)) || die "no free ports"
}

# listen_inode PORT: inode of the LISTEN socket on 127.0.0.1:PORT.
listen_inode () {
  local hex
  printf -v hex '0100007F:%04X' "$1"
  awk -v a="$hex" '$2 == a && $4 == "0A" { print $10; found = 1; exit } END { exit !found }' /proc/net/tcp
}

# owns_socket PID INODE: PID or one of its descendants holds the socket.
owns_socket () {
  local p
  for p in "$1" $(descendants "$1"); do
    [[ -n $(find "/proc/$p/fd" -maxdepth 1 -lname "socket:\[$2\]" 2>/dev/null) ]] && return 0
  done
  return 1
}

# wait_listen NAME PORT: waits (10 s at most) until the server NAME listens on
# 127.0.0.1:PORT, with the socket held by that server (not by a stranger who
# took the port in between).
wait_listen () {
  local name=$1 port=$2 pid=${PID[$1]} inode i
  for ((i = 0; i < 200; i++)); do
    if ! alive "$pid"; then
      bad "$name exited before listening on port $port; its log:"
      sed 's/^/      | /' "$CASE_DIR/$name.log" | tail -n 20
      return 1
    fi
    if inode=$(listen_inode "$port") && owns_socket "$pid" "$inode"; then
      return 0
    fi
    nap 0.05
  done
  bad "$name does not listen on 127.0.0.1:$port after 10 s"
  return 1
}

# --- starting and stopping -------------------------------------------------

# start_server NAME BINARY ARGS...: starts a long-running program of the
# current pass (env LIBENV: our library or the system one), logs to
# $CASE_DIR/NAME.log. `env` execs the program, so $! is its pid.
start_server () {
  local name=$1
  shift
  "${LIBENV[@]}" "$@" > "$CASE_DIR/$name.log" 2>&1 < /dev/null {NAP_FD}>&- &
  PID[$name]=$!
  STARTED+=("$name")
  watch_program "$name" "$1"
}

# watch_program NAME BINARY: where the pass has a watchdog (WATCH: ev-watchdog -t MS), it
# watches the program NAME, and the children it forks, from when it has mapped libev; its
# reports go to $CASE_DIR/NAME.watchdog.log, and it ends with them.
watch_program () {
  [[ -n ${WATCH[*]:-} ]] || return 0
  wait_exec "${PID[$1]}" "$2" || return 0
  "${WATCH[@]}" -p "${PID[$1]}" > "$CASE_DIR/$1.watchdog.log" 2>&1 < /dev/null {NAP_FD}>&- &
}

# wait_exec PID BINARY: waits until PID has exec'd BINARY and the dynamic
# linker has mapped libev (both happen before main), 10 s at most.
wait_exec () {
  local pid=$1 bin=$2 i
  for ((i = 0; i < 2000; i++)); do
    if [[ /proc/$pid/exe -ef $bin ]] && [[ -n $(libev_paths "$pid" 2>/dev/null) ]]; then
      return 0
    fi
    alive "$pid" || return 1
    nap 0.005
  done
  return 1
}

# wait_exit NAME TIMEOUT: waits for the child NAME to exit, reaps it and sets
# STATUS[NAME]; kills it (by pid) after TIMEOUT seconds.
wait_exit () {
  local name=$1 timeout=$2 pid=${PID[$1]} i
  for ((i = 0; i < timeout * 20; i++)); do
    alive "$pid" || break
    nap 0.05
  done
  if alive "$pid"; then
    bad "$name (pid $pid) still running after $timeout s: killed"
    kill -KILL "$pid" 2> /dev/null
  fi
  wait "$pid"
  STATUS[$name]=$?
  REAPED[$name]=1
}

# run_client NAME TIMEOUT FEED BINARY ARGS...: runs a libev client of the
# current pass with its stdin on a fifo that stays open until its maps were
# checked: the clients read their URIs (h2load -i -) or the upload
# (nghttp -d -) from stdin before doing anything, so the check always sees the
# running process, however short the workload. FEED (a file, or - for none)
# is then written and stdin closed. Output in $CASE_DIR/NAME.out and .err,
# exit status in STATUS[NAME].
run_client () {
  local name=$1 timeout=$2 feed=$3
  shift 3
  local fifo=$CASE_DIR/$name.stdin fd
  mkfifo "$fifo"
  exec {fd}<> "$fifo"    # read-write: opening does not block, EOF comes on close
  # the client must not inherit our end of the fifo, or it never sees EOF
  "${LIBENV[@]}" "$@" < "$fifo" > "$CASE_DIR/$name.out" 2> "$CASE_DIR/$name.err" {fd}>&- {NAP_FD}>&- &
  PID[$name]=$!
  STARTED+=("$name")
  CLIENT[$name]=1
  if wait_exec "${PID[$name]}" "$1"; then
    # (nor the watchdog: holding the fifo's write end, it would keep the client's stdin open)
    watch_program "$name" "$1" {fd}>&-
    check_maps "${PID[$name]}" "$name"
    # bounded: if the client dies, nobody reads and the write would block
    if [[ $feed != - ]] && ! timeout 30 cat "$feed" 2> /dev/null 1>&"$fd"; then
      bad "$name: could not feed its stdin"
    fi
  else
    bad "$name: could not see it running (exited early?)"
  fi
  exec {fd}>&-
  wait_exit "$name" "$timeout"
}

# start_plain NAME ARGS...: a helper process that does not use libev (curl),
# in the background; collect it with wait_exit.
start_plain () {
  local name=$1
  shift
  "$@" > "$CASE_DIR/$name.out" 2> "$CASE_DIR/$name.err" < /dev/null {NAP_FD}>&- &
  PID[$name]=$!
  STARTED+=("$name")
  CLIENT[$name]=1
}

# check_backend NAME PID...: after its workload, server NAME (PID and its
# children) uses the backend of the pass: with epoll some process of it holds
# an epoll fd and none an io_uring fd; with io_uring some process holds an
# io_uring fd (and perhaps an epoll fd: libev-ng's io_uring backend waits
# for an epoll set through the ring where the kernel can); with poll or
# select none holds either. This proves that LIBEV_FLAGS took effect (the
# programs use neither themselves: none of them holds one with poll or
# select).  BACKEND_OF[NAME], where set, is the backend of that server
# instead of the pass's (a helper on another one).
declare -A BACKEND_OF=()
check_backend () {
  local name=$1 p n=0 u=0 BACKEND=${BACKEND_OF[$1]:-$BACKEND}
  shift
  for p in "$@"; do
    n=$((n + $(find "/proc/$p/fd" -maxdepth 1 -lname 'anon_inode:\[eventpoll\]' 2> /dev/null | wc -l)))
    u=$((u + $(find "/proc/$p/fd" -maxdepth 1 -lname 'anon_inode:\[io_uring\]' 2> /dev/null | wc -l)))
  done
  if [[ $BACKEND == epoll ]]; then
    ((n > 0 && u == 0)) || { bad "$name: $n epoll and $u io_uring fds, but the backend should be epoll"; return 1; }
    note "backend: $name holds $n epoll fd(s): epoll"
  elif [[ $BACKEND == io_uring ]]; then
    ((u > 0)) || { bad "$name: no io_uring fd, but the backend should be io_uring"; return 1; }
    note "backend: $name holds $u io_uring fd(s) (and $n epoll fds): io_uring"
  else
    ((n == 0 && u == 0)) || { bad "$name: $n epoll and $u io_uring fds, but the backend should be $BACKEND"; return 1; }
    note "backend: $name holds no epoll or io_uring fd: $BACKEND"
  fi
}

# stop_server NAME: SIGTERM to the server, then waits (10 s) until it and
# every process it had started are gone; SIGKILL (by pid) after that. Its exit
# status must be a clean one: 0, or 143 (terminated by the SIGTERM), and the
# same as in the control pass. A server that died during the workload fails.
stop_server () {
  local name=$1 pid=${PID[$1]} i d st
  local -a kids=() starts=()
  if ! alive "$pid"; then
    wait "$pid"
    STATUS[$name]=$?
    REAPED[$name]=1
    bad "$name (pid $pid) died during the workload, status ${STATUS[$name]}; its log:"
    sed 's/^/      | /' "$CASE_DIR/$name.log" | tail -n 20
    return
  fi
  for d in $(descendants "$pid"); do
    kids+=("$d")
    starts+=("$(proc_start_time "$d")")
  done
  check_backend "$name" "$pid" "${kids[@]}"
  kill -TERM "$pid"
  for ((i = 0; i < 200; i++)); do
    local any=0
    alive "$pid" && any=1
    for d in "${kids[@]}"; do alive "$d" && any=1; done
    ((any)) || break
    nap 0.05
  done
  if alive "$pid"; then
    bad "$name (pid $pid) did not exit within 10 s of SIGTERM: killed"
    kill -KILL "$pid" 2> /dev/null
  fi
  wait "$pid"
  st=$?
  STATUS[$name]=$st
  REAPED[$name]=1
  local -a killed=()
  for i in "${!kids[@]}"; do
    d=${kids[$i]}
    # the same process (pid and start time), still running
    if alive "$d" && [[ $(proc_start_time "$d") == "${starts[$i]}" ]]; then
      bad "$name child (pid $d) still running 10 s after its parent's SIGTERM: killed"
      kill -KILL "$d" 2> /dev/null
      killed+=("$d")
    fi
  done
  # not our children: their new parent reaps them; SIGKILL takes a moment
  for ((i = 0; i < 20 && ${#killed[@]}; i++)); do
    local -a left=()
    for d in "${killed[@]}"; do alive "$d" && left+=("$d"); done
    killed=("${left[@]}")
    ((${#killed[@]})) && nap 0.05
  done
  ((${#killed[@]})) && bad "$name children ${killed[*]} survive SIGKILL"
  [[ -e /proc/$pid ]] && bad "$name (pid $pid) still exists after being reaped"
  if [[ $st != 0 && $st != 143 ]]; then
    bad "$name (pid $pid) exit status $st after SIGTERM (expected 0 or 143); its log:"
    sed 's/^/      | /' "$CASE_DIR/$name.log" | tail -n 20
  else
    note "stopped: $name (pid $pid) exit status $st${kids[*]:+, its children ${kids[*]} gone too}"
  fi
  check_same_status "$name" "$st"
}

# check_same_status NAME STATUS: in the libev-ng pass, a process must end the
# way it ended with the system libev (the control pass ran first).
check_same_status () {
  local key="$CASE/$BACKEND/$1" ref
  if [[ $PASS == system ]]; then
    REF_STATUS[$key]=$2
  else
    ref=${REF_STATUS[$key]:-}
    if [[ -n $ref && $ref != "$2" ]]; then
      bad "$1 ended with status $2, with the system libev it ended with $ref"
    fi
  fi
}

# stop_all: stops what is still running, newest first (front ends before the
# back ends they talk to). Idempotent; also the exit trap's cleanup.
stop_all () {
  local i name
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    name=${STARTED[$i]}
    [[ -n ${REAPED[$name]:-} ]] && continue
    if [[ -n ${CLIENT[$name]:-} ]]; then
      kill -KILL "${PID[$name]}" 2> /dev/null
      wait "${PID[$name]}" 2> /dev/null
      REAPED[$name]=1
    else
      stop_server "$name"
    fi
  done
  STARTED=()
}

# --- waiting for server events ---------------------------------------------

# wait_children NAME N: waits (10 s) until server NAME has at least N live
# descendants; sets KIDS to them.
wait_children () {
  local i
  for ((i = 0; i < 200; i++)); do
    mapfile -t KIDS < <(descendants "${PID[$1]}")
    ((${#KIDS[@]} >= $2)) && return 0
    alive "${PID[$1]}" || break
    nap 0.05
  done
  bad "$1 has ${#KIDS[@]} child processes after 10 s, expected at least $2"
  return 1
}

# wait_replaced NAME OLDPID...: waits (10 s) until every OLDPID has exited and
# server NAME has as many new children; sets KIDS to them.
wait_replaced () {
  local name=$1 i p gone
  shift
  for ((i = 0; i < 200; i++)); do
    gone=1
    for p in "$@"; do alive "$p" && gone=0; done
    mapfile -t KIDS < <(descendants "${PID[$name]}")
    ((gone && ${#KIDS[@]} >= $#)) && return 0
    nap 0.05
  done
  bad "$name: after 10 s, old children '$*', children now '${KIDS[*]}'"
  return 1
}

# wait_log NAME TEXT: waits (10 s) until the log of server NAME has a line
# containing TEXT.
wait_log () {
  local i
  for ((i = 0; i < 200; i++)); do
    grep -qF -- "$2" "$CASE_DIR/$1.log" && return 0
    nap 0.05
  done
  bad "$1 did not log '$2' within 10 s; its log:"
  tail -n 20 "$CASE_DIR/$1.log" | sed 's/^/      | /'
  return 1
}

# uri_file NAME URI: the stdin of an h2load run (h2load -i -).
uri_file () {
  printf '%s\n' "$2" > "$CASE_DIR/$1.uri"
}
