# SPDX-License-Identifier: BSD-2-Clause
# t/stress/post.mk - fragment of t/stress/local.mk: ev_ng_post from 1, 2 and 4 producer
# threads on every backend (0 lost, 0 duplicated, each producer's order kept).  Its short
# mode also runs in `make check`, and `make check-tsan` runs it under ThreadSanitizer
# (t/watchers3.mk).
STRESS_PROGS += t/stress/post
t_stress_post_SOURCES = t/stress/post.c
t_stress_post_CFLAGS = $(STRESS_CFLAGS)
t_stress_post_LDADD = $(STRESS_EV_LIBS)
TESTS += t/stress/post
