# SPDX-License-Identifier: BSD-2-Clause
# t/stress/streams.mk - fragment of t/stress/local.mk: streams (ev_ng_stream) under random
# operations on every backend, checked against a model of every connection, and 2,000
# connections (10,000 in the long mode) through a pool the allocator exhausts.  Also in
# `make check-sanitize` (STRESS_SANITIZE).
STRESS_PROGS += t/stress/streams
STRESS_SANITIZE += streams
t_stress_streams_SOURCES = t/stress/streams.c
t_stress_streams_CFLAGS = $(STRESS_CFLAGS)
t_stress_streams_LDADD = $(STRESS_EV_LIBS)
