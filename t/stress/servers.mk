# SPDX-License-Identifier: BSD-2-Clause
# t/stress/servers.mk - fragment of t/stress/local.mk: the watcher patterns of real servers
# and proxies (stop, ev_io_set, start; read and write watchers on one fd; close while active;
# forked helpers) with many connections at once, under every backend and io_uring's feature
# levels: no client may wait for an answer or for the end of its connection.
STRESS_PROGS += t/stress/servers
t_stress_servers_SOURCES = t/stress/servers.c
t_stress_servers_CFLAGS = $(STRESS_CFLAGS)
t_stress_servers_LDADD = $(STRESS_EV_LIBS)
