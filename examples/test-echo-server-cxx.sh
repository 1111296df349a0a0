#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/test-echo-server-cxx.sh - make check: the C++ (ev++.h) echo server,
# through the same checks as the C one.
server=echo-server-cxx
. "$top_srcdir/examples/echo-checks.sh"
finish
