#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/port/imports.sh - libev.so.4 imports the functions of a Linux facility exactly when
# configure found the facility (config.h: EV_NG_HAVE_<NAME> 1): a build without it (all of
# them: ./configure --disable-linux-apis, the portable build) names none of its functions in
# `nm -D --undefined-only`, and one with it names at least one (so that the names below stay
# those the library really calls).  io_uring and pidfd are reached through syscall(), the
# cycle counter is an instruction: the facility "syscall" stands for the first two.
builddir=${top_builddir:-.}
lib=$builddir/.libs/libev.so.4
config=$builddir/config.h
[ -e "$lib" ] || { echo "SKIP: no $lib (a static-only build)"; exit 77; }
[ -e "$config" ] || { echo "no $config"; exit 99; }
nm=$(${CC:-cc} -print-prog-name=nm 2> /dev/null)
command -v "$nm" > /dev/null 2>&1 || nm=nm
imports=$("$nm" -D --undefined-only "$lib" | awk '{print $NF}' | sed 's/@.*//' | sort -u)
[ -n "$imports" ] || { echo "FAIL: $nm -D --undefined-only $lib printed nothing"; exit 1; }

status=0
check () { # FACILITY function...
  name=$1; shift
  on=$(sed -n "s/^#define EV_NG_HAVE_$name \\([01]\\)$/\\1/p" "$config")
  [ -n "$on" ] || { echo "FAIL: config.h defines no EV_NG_HAVE_$name"; status=1; return; }
  found=
  for f in "$@"; do
    printf '%s\n' "$imports" | grep -qx "$f" && found="$found $f"
  done
  if [ "$on" = 1 ] && [ -z "$found" ]; then
    echo "FAIL: EV_NG_HAVE_$name is 1 but the library imports none of: $*"; status=1
  elif [ "$on" = 0 ] && [ -n "$found" ]; then
    echo "FAIL: EV_NG_HAVE_$name is 0 but the library imports:$found"; status=1
  else
    echo "ok   $name ($on):${found:- none of $*}"
  fi
}
check EPOLL epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait epoll_pwait2
check EVENTFD eventfd eventfd_read eventfd_write
check SIGNALFD signalfd
check TIMERFD timerfd_create timerfd_settime timerfd_gettime
check INOTIFY inotify_init inotify_init1 inotify_add_watch inotify_rm_watch
check WIPEONFORK madvise
check SECURE_GETENV secure_getenv __secure_getenv
check PIPE2 pipe2
check PPOLL ppoll __ppoll64
check STATFS statfs statfs64 fstatfs fstatfs64
check SYSCALL syscall
exit $status
