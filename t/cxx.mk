# SPDX-License-Identifier: BSD-2-Clause
# t/cxx.mk - fragment of Makefile.am: the ev++.h suites (ev(3) "C++ SUPPORT"), t/cxx_api.cc and
# t/ev_ng_stream_cxx.cc.
# Every class and function of the C++ wrapper, run once per backend by the harness of
# t/local.mk (t/libharness.la).  ev++.h itself is installed by Makefile.am.

if HAVE_CMOCKA

check_PROGRAMS += t/cxx_api
TESTS += t/cxx_api

t_cxx_api_SOURCES = t/cxx_api.cc
t_cxx_api_CXXFLAGS = -std=c++17 $(CMOCKA_CFLAGS) -Wall -Wextra $(WERROR)
t_cxx_api_LDADD = t/libharness.la libev.la $(CMOCKA_LIBS)

# ev(3) "Streams: the loop does the I/O" from C++ (ev::ng_stream, ev::ng_accept, exceptions out of
# a stream's callback): libev-ng only, so not in t/cxx_api, which the real libev runs too
check_PROGRAMS += t/ev_ng_stream_cxx
TESTS += t/ev_ng_stream_cxx
t_ev_ng_stream_cxx_SOURCES = t/ev_ng_stream_cxx.cc
t_ev_ng_stream_cxx_CXXFLAGS = -std=c++17 $(CMOCKA_CFLAGS) -Wall -Wextra $(WERROR)
t_ev_ng_stream_cxx_LDADD = t/libharness.la libev.la $(CMOCKA_LIBS)

endif HAVE_CMOCKA

# also under memcheck (make check-valgrind, t/local.mk)
VALGRIND_TESTS += t/cxx_api t/ev_ng_stream_cxx
