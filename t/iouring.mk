# SPDX-License-Identifier: BSD-2-Clause
# t/iouring.mk - fragment of Makefile.am: the io_uring backend's own suite
# (backends/iouring.cc).  It needs io_uring at run time and skips (exit 77) where the
# kernel refuses io_uring_setup; it also runs under `make check-valgrind`.  t/iouring_levels.sh
# runs it again (and generic suites) at every feature level the backend falls back to.

if HAVE_CMOCKA

check_PROGRAMS += t/backend_iouring
TESTS += t/backend_iouring
VALGRIND_TESTS += t/backend_iouring

t_backend_iouring_SOURCES = t/backend_iouring.c
t_backend_iouring_CFLAGS = $(T_CFLAGS) -pthread
t_backend_iouring_LDADD = $(T_LDADD) -lpthread

# every fallback forced on this kernel (LIBEV_NG_IOURING): the suite above and some generic
# ones once per feature level (about 60 s)
TESTS += t/iouring_levels.sh

endif HAVE_CMOCKA
EXTRA_DIST += t/iouring_levels.sh
