# SPDX-License-Identifier: BSD-2-Clause
# t/stress/forks.mk - fragment of t/stress/local.mk: fork() inside every kind of callback, with
# every kind of child (ev_loop_fork, EVFLAG_FORKCHECK, none, exit, exec), under every backend:
# the parent never loses an event.
STRESS_PROGS += t/stress/forks
t_stress_forks_SOURCES = t/stress/forks.c
t_stress_forks_CFLAGS = $(STRESS_CFLAGS)
t_stress_forks_LDADD = $(STRESS_EV_LIBS)
