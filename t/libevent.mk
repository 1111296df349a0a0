# SPDX-License-Identifier: BSD-2-Clause
# t/libevent.mk - fragment of Makefile.am: t/libevent_emulation (ev(3) LIBEVENT EMULATION).
#
# The harness is compiled into the program (per-target flags give it its own object name,
# so this does not depend on how other suites build t/harness.c).
if HAVE_CMOCKA
if EV_LIBEVENT_EMULATION
check_PROGRAMS += t/libevent_emulation
TESTS += t/libevent_emulation
t_libevent_emulation_SOURCES = t/libevent_emulation.c t/harness.c t/harness.h
t_libevent_emulation_CFLAGS = $(CMOCKA_CFLAGS) -Wall -Wextra -Wshadow $(WERROR)
t_libevent_emulation_LDADD = libev.la $(CMOCKA_LIBS)
endif
endif
