# examples/local.mk - fragment of Makefile.am: the example programs.
#
# Built by plain `make` (never installed) and run by `make check`:
#   examples/echo-server      a TCP echo server on one loop (echo-server.c, echo-conn.c, tcp.c)
#   examples/echo-server-cxx  the same with the C++ wrapper ev++.h
#   examples/thread-server    one loop per thread, connections handed over with ev_async
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

noinst_PROGRAMS += examples/echo-server examples/echo-server-cxx examples/thread-server \
	examples/supervisor
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

EX_TESTS = examples/test-echo-server.sh examples/test-echo-server-cxx.sh \
	examples/test-thread-server.sh examples/test-supervisor.sh
TESTS += $(EX_TESTS)
EXTRA_DIST += $(EX_TESTS) examples/test-lib.sh examples/echo-checks.sh
