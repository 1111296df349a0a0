# SPDX-License-Identifier: BSD-2-Clause
# t/stress/signals.mk - fragment of t/stress/local.mk: signals (round trips, bursts while busy,
# stop/start while pending, the signal mask exec'd children inherit) and children (many
# exiting at once), with handlers and with signalfd, under every backend.
STRESS_PROGS += t/stress/signals
t_stress_signals_SOURCES = t/stress/signals.c
t_stress_signals_CFLAGS = $(STRESS_CFLAGS)
t_stress_signals_LDADD = $(STRESS_EV_LIBS)
