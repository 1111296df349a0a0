# SPDX-License-Identifier: BSD-2-Clause
# t/stress/timers.mk - fragment of t/stress/local.mk: never early in ev_now () terms, 5 x 10^4
# (long: 10^6) one-shot timers per backend, with and without preemption around the loop's
# clock readings.
STRESS_PROGS += t/stress/timers
t_stress_timers_SOURCES = t/stress/timers.c
t_stress_timers_CFLAGS = $(STRESS_CFLAGS)
t_stress_timers_LDADD = $(STRESS_EV_LIBS)
