#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/test-http-completion.sh - make check: examples/http-completion, the HTTP server on
# streams, through http-server's checks (http-checks.sh) on every backend the system has
# (LIBEV_FLAGS), since the loop does the I/O over each backend's readiness, or on io_uring by
# its own requests.
server=http-completion
if grep -q '^#define EV_NG_SMALL 1' "$top_builddir/config.h" 2>/dev/null; then
  echo "SKIP: a library built for size (configure --enable-small) has no streams' I/O"
  exit 77
fi
. "$top_srcdir/examples/http-checks.sh"
http_usage_checks

# select, poll, epoll, io_uring (where the system has it)
for flags in 1 2 4 128; do
  LIBEV_FLAGS=$flags
  export LIBEV_FLAGS
  echo "---- LIBEV_FLAGS=$flags"
  backend_available && http_checks
done
finish
