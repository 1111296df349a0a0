#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/lint/backend_names.sh - no library file outside backends/ names a particular backend (issue 30):
# the loop, the fd layer and the watchers reach a backend through backend_ops and its policy
# (backends/backend.h), and their comments say "a backend that watches files", "the
# edge-triggered backend".  Fails on, in any text of a library file outside backends/ (see
# t/lint/library_comments.sh), epoll, io_uring/iouring, kqueue, kevent and the EVBACKEND_
# constant of one backend; in comment text also "the select/poll/port backend" and "select's".  poll() and
# select() as system calls are not names of a backend: the closed-fd sweep and ev_sleep use them.
srcdir=${top_srcdir:-.}
cd "$srcdir" || exit 99
. ./t/lint/library_comments.sh

files=$(library_files backends)
[ -n "$files" ] || { echo "FAIL: no library sources under $(pwd)"; exit 99; }

anywhere='(^|[^a-z])(epoll|io_?uring|kqueue|kevent)|EVBACKEND_(SELECT|POLL|DEVPOLL|PORT|LINUXAIO)'
in_comments='(select|poll|port|devpoll|linuxaio)(\(2\))?('"'"'s)? backend|select'"'"'s'

# shellcheck disable=SC2086 # one word per file
found=$( (grep -n -i -E -e "$anywhere" $files | sed 's|^\./||'; comments $files | grep -i -E -e "$in_comments") | sort -u)
if [ -n "$found" ]; then
  echo "$found"
  echo "FAIL: library files outside backends/ name a particular backend (say what the backend"
  echo "does instead: \"a backend that watches files\"; code goes through backend_ops or a policy)"
  exit 1
fi
echo "ok: $(echo "$files" | wc -l) library files outside backends/ name no particular backend"
