# SPDX-License-Identifier: BSD-2-Clause
# t/stress/lifecycle.mk - fragment of t/stress/local.mk: the life cycle of file descriptors
# (close, reuse with and without ev_io_set, dup, dup2, shared with a child, never opened,
# the backend's own fd closed) under every backend.
STRESS_PROGS += t/stress/lifecycle
t_stress_lifecycle_SOURCES = t/stress/lifecycle.c
t_stress_lifecycle_CFLAGS = $(STRESS_CFLAGS)
t_stress_lifecycle_LDADD = $(STRESS_EV_LIBS)
