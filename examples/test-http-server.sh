#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/test-http-server.sh - make check: examples/http-server, through the checks of
# http-checks.sh on the default backend (ev_io's own suites cover every backend).
server=http-server
. "$top_srcdir/examples/http-checks.sh"
http_usage_checks
http_checks
finish
