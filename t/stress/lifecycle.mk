# SPDX-License-Identifier: BSD-2-Clause
# t/stress/lifecycle.mk - fragment of t/stress/local.mk: the life cycle of file descriptors
# (close, reuse with and without ev_io_set, dup, dup2, shared with a child, never opened,
# the backend's own fd closed) under every backend.
# fdreuse: a watched number reused while its old file lives on (dup, dup2, fork, SCM_RIGHTS) and
# behind an untouched watcher, under every backend and io_uring mode: no stale event, no loss.
STRESS_PROGS += t/stress/lifecycle
t_stress_lifecycle_SOURCES = t/stress/lifecycle.c
t_stress_lifecycle_CFLAGS = $(STRESS_CFLAGS)
t_stress_lifecycle_LDADD = $(STRESS_EV_LIBS)

STRESS_PROGS += t/stress/fdreuse
t_stress_fdreuse_SOURCES = t/stress/fdreuse.c
t_stress_fdreuse_CFLAGS = $(STRESS_CFLAGS)
t_stress_fdreuse_LDADD = $(STRESS_EV_LIBS)
