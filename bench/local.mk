# SPDX-License-Identifier: BSD-2-Clause
# bench/local.mk - fragment of Makefile.am: the benchmarks (issue 6).
#
# `make bench` builds one program per implementation (never built by plain
# `make` or `make check`: they are EXTRA_PROGRAMS); `make bench-run` runs
# bench/run, `make bench-callgrind` runs bench/callgrind.  Extra arguments:
# make bench-run BENCH_ARGS="--quick --only timers".
#
# bench-libev is compiled against our ev.h and linked with -l:libev.so.4; it has no
# RUNPATH, so one binary runs against libev 4.33 (the system library) or
# libev-ng (LD_LIBRARY_PATH=.libs), chosen by bench/run, which checks the
# library the process really loaded.  Needs libev4, libevent-dev,
# libuv1-dev; valgrind for bench/callgrind; gnuplot for bench/plot.

BENCH_COMMON = \
	bench/common/harness.c bench/common/harness.h \
	bench/common/sockets.c bench/common/sockets.h \
	bench/common/async.c bench/common/async.h \
	bench/common/echo.c bench/common/echo.h \
	bench/common/memory.c bench/common/memory.h \
	bench/common/pipes.h bench/common/timers.h bench/common/loop.h bench/common/pingpong.h \
	bench/common/idle.h bench/common/calls.h
BENCH_CFLAGS = -I$(top_srcdir)/bench -Wall -Wextra -Wshadow $(WERROR)

BENCH_EXES = bench/bench-libev bench/bench-libevent bench/bench-libuv \
	bench/bench-epoll bench/bench-epoll-ev bench/echo-client bench/bench-post \
	bench/echo-server-ng
EXTRA_PROGRAMS += $(BENCH_EXES)

# ev_ng_post against a mutex, a queue and an ev_async (bench/README.md, "Posting work"):
# libev-ng only, so linked with our library
bench_bench_post_SOURCES = bench/post.c
bench_bench_post_CFLAGS = $(BENCH_CFLAGS)
bench_bench_post_LDADD = libev.la $(PTHREAD_LIBS)

bench_bench_libev_SOURCES = $(BENCH_COMMON) bench/libev/libev.h \
	bench/libev/info.c bench/libev/pipes.c bench/libev/timers.c bench/libev/loop.c \
	bench/libev/async.c bench/libev/pingpong.c bench/libev/echo.c bench/libev/memory.c bench/libev/idle.c bench/libev/calls.c
bench_bench_libev_CFLAGS = $(BENCH_CFLAGS)
# by SONAME from the system search path: libtool would substitute our
# uninstalled libev.la and wrap the binary in a script that pins it
bench_bench_libev_LDADD = -l:libev.so.4 $(PTHREAD_LIBS)

bench_bench_libevent_SOURCES = $(BENCH_COMMON) bench/libevent/libevent.h \
	bench/libevent/info.c bench/libevent/pipes.c bench/libevent/timers.c bench/libevent/loop.c \
	bench/libevent/async.c bench/libevent/pingpong.c bench/libevent/echo.c bench/libevent/memory.c bench/libevent/idle.c bench/libevent/calls.c
bench_bench_libevent_CFLAGS = $(BENCH_CFLAGS)
bench_bench_libevent_LDADD = -levent_core -levent_pthreads $(PTHREAD_LIBS)

bench_bench_libuv_SOURCES = $(BENCH_COMMON) bench/libuv/libuv.h \
	bench/libuv/info.c bench/libuv/pipes.c bench/libuv/timers.c bench/libuv/loop.c \
	bench/libuv/async.c bench/libuv/pingpong.c bench/libuv/echo.c bench/libuv/memory.c bench/libuv/idle.c bench/libuv/calls.c
bench_bench_libuv_CFLAGS = $(BENCH_CFLAGS)
bench_bench_libuv_LDADD = -luv $(PTHREAD_LIBS)

bench_bench_epoll_SOURCES = $(BENCH_COMMON) bench/epoll/rl.c bench/epoll/rl.h \
	bench/epoll/info.c bench/epoll/pipes.c bench/epoll/timers.c bench/epoll/loop.c \
	bench/epoll/async.c bench/epoll/pingpong.c bench/epoll/echo.c bench/epoll/memory.c bench/epoll/idle.c bench/epoll/calls.c
bench_bench_epoll_CFLAGS = $(BENCH_CFLAGS)
bench_bench_epoll_LDADD = $(PTHREAD_LIBS)

# the same loop with libev's io semantics done minimally (bench/epoll/rl.h):
# the semantic floor, a column on request (--libs epoll-ev)
bench_bench_epoll_ev_SOURCES = $(bench_bench_epoll_SOURCES)
bench_bench_epoll_ev_CFLAGS = $(BENCH_CFLAGS) -DRL_LIBEV_IO
bench_bench_epoll_ev_LDADD = $(PTHREAD_LIBS)

bench_echo_client_SOURCES = bench/echo_client.c
bench_echo_client_CFLAGS = $(BENCH_CFLAGS)

# bench/echo-servers: the echo server on streams and on ev_io (libev-ng only: linked by SONAME
# from .libs, without RUNPATH, run with LD_LIBRARY_PATH as bench-libev is); the liburing one,
# bench/echo_uring.c, is built by the script where liburing is found
bench_echo_server_ng_SOURCES = bench/echo_server.c examples/tcp.c examples/tcp.h
bench_echo_server_ng_CFLAGS = $(BENCH_CFLAGS) -I$(top_srcdir)/examples
bench_echo_server_ng_LDADD = -L$(top_builddir)/.libs -l:libev.so.4
EXTRA_bench_echo_server_ng_DEPENDENCIES = libev.la

# linked by the compiler driver, not libtool: plain executables without
# wrapper scripts, which valgrind and LD_LIBRARY_PATH see as they are
BENCH_LINK = $(CCLD) $(AM_CFLAGS) $(CFLAGS) $(AM_LDFLAGS) $(LDFLAGS) -o $@
bench_bench_libev_LINK = $(BENCH_LINK)
bench_bench_libevent_LINK = $(BENCH_LINK)
bench_bench_libuv_LINK = $(BENCH_LINK)
bench_bench_epoll_LINK = $(BENCH_LINK)
bench_bench_epoll_ev_LINK = $(BENCH_LINK)
bench_echo_client_LINK = $(BENCH_LINK)
bench_echo_server_ng_LINK = $(BENCH_LINK)

# make check's smoke test of bench/echo-servers' programs (t/bench/echo_servers.sh): the same
# sources built as ordinary test programs, with libtool against libev.la, so that they build
# and run in every configuration that has epoll (a static-only build too)
if EV_NG_HAVE_EPOLL
check_PROGRAMS += t/bench/echo_server t/bench/echo_client
TESTS += t/bench/echo_servers.sh
endif
t_bench_echo_server_SOURCES = bench/echo_server.c examples/tcp.c examples/tcp.h
t_bench_echo_server_CFLAGS = $(BENCH_CFLAGS) -I$(top_srcdir)/examples
t_bench_echo_server_LDADD = libev.la
t_bench_echo_client_SOURCES = bench/echo_client.c
t_bench_echo_client_CFLAGS = $(BENCH_CFLAGS)
EXTRA_DIST += t/bench/echo_servers.sh

CLEANFILES += $(BENCH_EXES)
EXTRA_DIST += bench/README.md bench/run bench/callgrind bench/plot bench/benchlib.py \
	bench/programs bench/cgobject.py bench/annotations bench/annotations.tsv \
	bench/malloc-trace.c bench/malloc-replay.c bench/malloc-replay.py \
	bench/echo-servers bench/echo_uring.c bench/valgrind-uring
# bench/callgrind --compare applies CONTRIBUTING.md's rule to two runs' TSVs
TESTS += t/bench/compare.sh
EXTRA_DIST += t/bench/compare.sh
# Windows, under Wine: what idle sockets cost an iteration on select and AFD (not built here)
EXTRA_DIST += bench/win32/idle_sockets.c bench/win32/idle_sockets.sh bench/win32/raw_sockets_config.h
PHONY_TARGETS += bench bench-run bench-callgrind bench-programs bench-echo-servers

# libev.la too: bench/run compares against it
bench: libev.la $(BENCH_EXES)

bench-run: bench
	$(top_srcdir)/bench/run --builddir '$(abs_top_builddir)' --no-build $(BENCH_ARGS)

bench-callgrind: bench
	$(top_srcdir)/bench/callgrind --builddir '$(abs_top_builddir)' --no-build $(BENCH_ARGS)

# real Debian servers on both libraries (bench/programs; installs its packages)
bench-programs: libev.la
	$(top_srcdir)/bench/programs --builddir '$(abs_top_builddir)' $(BENCH_ARGS)

# the echo servers of issue 61: streams, ev_io and liburing (bench/echo-servers)
bench-echo-servers: libev.la bench/echo-server-ng bench/echo-client
	$(top_srcdir)/bench/echo-servers --builddir '$(abs_top_builddir)' --no-build $(BENCH_ARGS)
