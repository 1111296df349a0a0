# SPDX-License-Identifier: BSD-2-Clause
# t/stress/scale.mk - fragment of t/stress/local.mk: 100,000 watched fds on epoll and io_uring,
# against libev 4.33 (t/stress/scale.sh): CPU per iteration with 1% active, memory per fd, the
# cost of the closed-fd sweep, a closed fd found.
STRESS_PROGS += t/stress/scale
t_stress_scale_SOURCES = t/stress/scale.c
t_stress_scale_CFLAGS = $(STRESS_CFLAGS)
t_stress_scale_LDADD = $(STRESS_EV_LIBS) -ldl
EXTRA_DIST += t/stress/scale.sh
CLEANFILES += t/stress/scale-libev
