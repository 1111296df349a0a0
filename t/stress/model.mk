# SPDX-License-Identifier: BSD-2-Clause
# t/stress/model.mk - fragment of t/stress/local.mk: the model-based random API test.
#
# t/stress/model runs random sequences of API calls over 1-3 loops and every watcher type
# against a reference model (t/stress/model.h describes the parts); t/stress/model.sh builds
# the same source against the system's libev 4.33 and compares the traces seed by seed.
# `make check-sanitize` runs it in its ASan+UBSan build (STRESS_SANITIZE), where model.sh
# runs more sequences.

MODEL_SOURCES = t/stress/model.c t/stress/model.h t/stress/model_gen.c t/stress/model_ops.c \
	t/stress/model_ref.c t/stress/model_stream.c t/stress/model_trace.c t/stress/model_world.c

STRESS_PROGS += t/stress/model
STRESS_SANITIZE += model
t_stress_model_SOURCES = $(MODEL_SOURCES)
t_stress_model_CFLAGS = $(STRESS_CFLAGS)
t_stress_model_LDADD = $(STRESS_EV_LIBS) -lm
EXTRA_DIST += t/stress/model.sh
# model.sh's work files: the program built against libev 4.33, outputs, traces
CLEANFILES += t/stress/model.work/*

# The differences from libev 4.33 the model test found, one small program each (not built by
# make: t/stress/model-findings/run.sh builds them against both libraries and runs them).
EXTRA_DIST += t/stress/model-findings/run.sh \
	t/stress/model-findings/a01-async-send-no-pipe.c \
	t/stress/model-findings/a02-feed-signal-signalfd.c \
	t/stress/model-findings/a03-embed-eloop.c \
	t/stress/model-findings/d01-stat-blocks-idle.c \
	t/stress/model-findings/d02-embed-prepare-reruns.c \
	t/stress/model-findings/d03-select-order.c \
	t/stress/model-findings/d04-fork-signalfd-idle.c \
	t/stress/model-findings/d05-fork-timerfd-pending.c \
	t/stress/model-findings/d06-periodic-start-timer-time.c \
	t/stress/model-findings/d07-signal-stop-restart.c \
	t/stress/model-findings/d08-stat-order.c \
	t/stress/model-findings/d09-fork-loses-stat-change.c \
	t/stress/model-findings/d10-embed-inner-fork.c \
	t/stress/model-findings/d11-signalfd-wakeup-fd.c \
	t/stress/model-findings/d12-stat-prev-when-fed.c \
	t/stress/model-findings/d13-embed-stale-registration-spin.c \
	t/stress/model-findings/d14-fork-async-extra-wakeup.c \
	t/stress/model-findings/d15-async-send-before-start.c \
	t/stress/model-findings/d16-default-loop-iteration.c \
	t/stress/model-findings/d17-stat-procfs-polls.c \
	t/stress/model-findings/d18-resched-now.c \
	t/stress/model-findings/d19-child-pending-priority.c \
	t/stress/model-findings/s01-embed-stream-drain.c \
	t/stress/model-findings/s02-iouring-stop-pending.c \
	t/stress/model-findings/s03-iouring-stop-sends-queued.c \
	t/stress/model-findings/s04-embed-fed-event-sweep.c
