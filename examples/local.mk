# SPDX-License-Identifier: BSD-2-Clause
# examples/local.mk - fragment of Makefile.am: the example programs.
#
# Built by plain `make` (never installed) and run by `make check`:
#   examples/echo-server      a TCP echo server on one loop (echo-server.c, echo-conn.c, tcp.c)
#   examples/echo-server-cxx  the same with the C++ wrapper ev++.h
#   examples/echo-completion  the same on streams: the loop does the I/O (ev_ng_stream)
#   examples/thread-server    one loop per thread, connections handed over with ev_ng_post
#   examples/supervisor       timers, signals and child watchers: a tiny process supervisor
# examples/echo-client (check only) is the tests' client; it does not use libev.
#
# -no-install: libtool links the programs against .libs/libev.so with an rpath
# instead of hiding them behind a wrapper script, so a test's $! is the
# program's own pid (the tests signal it and read /proc/PID).

EX_CFLAGS = -std=c11 -Wall -Wextra -Wshadow $(WERROR)
# no -Wshadow in C++: ev.h's libev-3 function ev_loop() "hides" struct ev_loop, by design
EX_CXXFLAGS = -std=c++17 -Wall -Wextra $(WERROR)
EX_TCP = examples/tcp.c examples/tcp.h
EX_ECHO = examples/echo-conn.c examples/echo-conn.h
# the examples plain `make` builds; POSIX programs (BSD sockets, fork, signals): not for
# Windows, where `make` makes the library alone
EX_PROGS =

EX_PROGS += examples/echo-server examples/echo-server-cxx examples/echo-completion \
	examples/thread-server examples/supervisor
check_PROGRAMS += examples/echo-client

examples_echo_server_SOURCES = examples/echo-server.c $(EX_ECHO) $(EX_TCP)
examples_echo_server_CFLAGS = $(EX_CFLAGS)
examples_echo_server_LDFLAGS = -no-install
examples_echo_server_LDADD = libev.la

examples_echo_server_cxx_SOURCES = examples/echo-server-cxx.cc $(EX_TCP)
examples_echo_server_cxx_CFLAGS = $(EX_CFLAGS)
examples_echo_server_cxx_CXXFLAGS = $(EX_CXXFLAGS)
examples_echo_server_cxx_LDFLAGS = -no-install
examples_echo_server_cxx_LDADD = libev.la

examples_echo_completion_SOURCES = examples/echo-completion.c $(EX_TCP)
examples_echo_completion_CFLAGS = $(EX_CFLAGS)
examples_echo_completion_LDFLAGS = -no-install
examples_echo_completion_LDADD = libev.la

examples_thread_server_SOURCES = examples/thread-server.c $(EX_ECHO) $(EX_TCP)
examples_thread_server_CFLAGS = $(EX_CFLAGS)
examples_thread_server_LDFLAGS = -no-install
examples_thread_server_LDADD = libev.la $(PTHREAD_LIBS)

examples_supervisor_SOURCES = examples/supervisor.c
examples_supervisor_CFLAGS = $(EX_CFLAGS)
examples_supervisor_LDFLAGS = -no-install
examples_supervisor_LDADD = libev.la

examples_echo_client_SOURCES = examples/echo-client.c
examples_echo_client_CFLAGS = $(EX_CFLAGS)

EX_TESTS = examples/test-echo-server.sh examples/test-echo-server-cxx.sh examples/test-echo-completion.sh \
	examples/test-thread-server.sh examples/test-supervisor.sh
TESTS += $(EX_TESTS)
EXTRA_DIST += $(EX_TESTS) examples/test-lib.sh examples/echo-checks.sh

# HTTP/1.1 server (keep-alive, pipelining, idle timeouts with ev_timer_again),
# the same on streams (http-completion: the loop does the I/O), and pre-forked
# server (shared listening socket, ev_loop_fork, ev_child restarts); their test
# clients are check-only and libev-free.  The two HTTP servers share the HTTP
# (http-request.c) and their checks (http-checks.sh).
EX_HTTP = examples/http-request.c examples/http-request.h
EX_PROGS += examples/http-server examples/http-completion examples/prefork-server
check_PROGRAMS += examples/http-client-check examples/prefork-client-check

examples_http_server_SOURCES = examples/http-server.c $(EX_HTTP) $(EX_TCP)
examples_http_server_CFLAGS = $(EX_CFLAGS)
examples_http_server_LDFLAGS = -no-install
examples_http_server_LDADD = libev.la

examples_http_completion_SOURCES = examples/http-completion.c $(EX_HTTP) $(EX_TCP)
examples_http_completion_CFLAGS = $(EX_CFLAGS)
examples_http_completion_LDFLAGS = -no-install
examples_http_completion_LDADD = libev.la

examples_prefork_server_SOURCES = examples/prefork-server.c $(EX_ECHO) $(EX_TCP)
examples_prefork_server_CFLAGS = $(EX_CFLAGS)
examples_prefork_server_LDFLAGS = -no-install
examples_prefork_server_LDADD = libev.la

examples_http_client_check_SOURCES = examples/http-client-check.c
examples_http_client_check_CFLAGS = $(EX_CFLAGS)
examples_prefork_client_check_SOURCES = examples/prefork-client-check.c
examples_prefork_client_check_CFLAGS = $(EX_CFLAGS)

EX_HTTP_PREFORK_TESTS = examples/test-http-server.sh examples/test-http-completion.sh \
	examples/test-prefork-server.sh
TESTS += $(EX_HTTP_PREFORK_TESTS)
EXTRA_DIST += $(EX_HTTP_PREFORK_TESTS) examples/http-checks.sh

# ---- tcp-client, file-watch, glib-loop: the examples people look for first
#   examples/tcp-client    a client with a connect timeout and reconnection with capped
#                          exponential backoff and jitter (tcp-client.c, tcp.c)
#   examples/file-watch    ev_stat and ev_periodic: a file watcher with cron-like jobs
#   examples/glib-loop.c   libev waiting inside a GLib main loop.  Not built by make (libev-ng
#                          does not depend on GLib): test-glib-loop.sh compiles it against
#                          .libs/libev.so, and skips (77) when pkg-config finds no glib-2.0.
# examples/full-backlog (check only) is the tests' listener whose connects hang; no libev.
EX_PROGS += examples/tcp-client examples/file-watch
check_PROGRAMS += examples/full-backlog

examples_tcp_client_SOURCES = examples/tcp-client.c $(EX_TCP)
examples_tcp_client_CFLAGS = $(EX_CFLAGS)
examples_tcp_client_LDFLAGS = -no-install
examples_tcp_client_LDADD = libev.la

examples_file_watch_SOURCES = examples/file-watch.c
examples_file_watch_CFLAGS = $(EX_CFLAGS)
examples_file_watch_LDFLAGS = -no-install
examples_file_watch_LDADD = libev.la

examples_full_backlog_SOURCES = examples/full-backlog.c
examples_full_backlog_CFLAGS = $(EX_CFLAGS)

EX_CLIENT_TESTS = examples/test-tcp-client.sh
EX_WATCH_TESTS = examples/test-file-watch.sh
EX_GLIB_TESTS = examples/test-glib-loop.sh
TESTS += $(EX_CLIENT_TESTS) $(EX_WATCH_TESTS) $(EX_GLIB_TESTS)
EXTRA_DIST += $(EX_CLIENT_TESTS) $(EX_WATCH_TESTS) $(EX_GLIB_TESTS) examples/glib-loop.c

# ---- metrics-server, debug-misuse: libev-ng's extensions in use
#   examples/metrics-server  an echo server exporting its loop's metrics (EVFLAG_NG_METRICS,
#                            ev_metrics_get) in the Prometheus text format on a second port
#   examples/debug-misuse    debug mode (EVFLAG_NG_DEBUG, LIBEV_NG_DEBUG=1) catching an idle
#                            timeout "reset" with ev_timer_set on an active timer; --fixed
# Both still compile against libev 4.33's ev.h (the extensions are behind their feature macros).
EX_PROGS += examples/metrics-server examples/debug-misuse

examples_metrics_server_SOURCES = examples/metrics-server.c $(EX_ECHO) $(EX_TCP)
examples_metrics_server_CFLAGS = $(EX_CFLAGS)
examples_metrics_server_LDFLAGS = -no-install
examples_metrics_server_LDADD = libev.la

examples_debug_misuse_SOURCES = examples/debug-misuse.c
examples_debug_misuse_CFLAGS = $(EX_CFLAGS)
examples_debug_misuse_LDFLAGS = -no-install
examples_debug_misuse_LDADD = libev.la

EX_EXTENSION_TESTS = examples/test-metrics-server.sh examples/test-debug-misuse.sh
TESTS += $(EX_EXTENSION_TESTS)
EXTRA_DIST += $(EX_EXTENSION_TESTS)

if !EV_NG_WIN32
noinst_PROGRAMS += $(EX_PROGS)
endif
