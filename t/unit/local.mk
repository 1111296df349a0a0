# SPDX-License-Identifier: BSD-2-Clause
# t/unit/local.mk - fragment of Makefile.am: white-box tests of the core's data
# structures (base/heap.h, base/slot_queue.h, base/pending.h, base/fdtable.h,
# base/ptr_map.h), of backends/backend.h's timeout conversions, of
# base/clock_pair.h, and of ev-watchdog's diagnosis of a refusal.
# They compile the headers with the core's flags and link only base/alloc.cc
# and base/pending.cc, not the library.
if HAVE_CMOCKA
T_UNIT = t/unit/heap_test t/unit/pending_test t/unit/pending_equivalence_test t/unit/fdtable_test \
	t/unit/ptr_map_test t/unit/timeout_test t/unit/clock_pair_test
check_PROGRAMS += $(T_UNIT)
TESTS += $(T_UNIT)

T_UNIT_CXXFLAGS = $(CORE_CXXFLAGS) $(CMOCKA_CFLAGS)
T_UNIT_LDADD = $(CMOCKA_LIBS)

t_unit_heap_test_SOURCES = t/unit/heap_test.cc base/alloc.cc
t_unit_heap_test_CXXFLAGS = $(T_UNIT_CXXFLAGS)
t_unit_heap_test_LDADD = $(T_UNIT_LDADD)

t_unit_pending_test_SOURCES = t/unit/pending_test.cc base/alloc.cc base/pending.cc
t_unit_pending_test_CXXFLAGS = $(T_UNIT_CXXFLAGS)
t_unit_pending_test_LDADD = $(T_UNIT_LDADD)

t_unit_pending_equivalence_test_SOURCES = t/unit/pending_equivalence_test.cc t/unit/test_rng.h base/alloc.cc \
	base/pending.cc
t_unit_pending_equivalence_test_CXXFLAGS = $(T_UNIT_CXXFLAGS)
t_unit_pending_equivalence_test_LDADD = $(T_UNIT_LDADD)

t_unit_fdtable_test_SOURCES = t/unit/fdtable_test.cc base/alloc.cc
t_unit_fdtable_test_CXXFLAGS = $(T_UNIT_CXXFLAGS)
t_unit_fdtable_test_LDADD = $(T_UNIT_LDADD)

t_unit_ptr_map_test_SOURCES = t/unit/ptr_map_test.cc t/unit/test_rng.h base/alloc.cc
t_unit_ptr_map_test_CXXFLAGS = $(T_UNIT_CXXFLAGS)
t_unit_ptr_map_test_LDADD = $(T_UNIT_LDADD)

t_unit_timeout_test_SOURCES = t/unit/timeout_test.cc base/alloc.cc
t_unit_timeout_test_CXXFLAGS = $(T_UNIT_CXXFLAGS)
t_unit_timeout_test_LDADD = $(T_UNIT_LDADD)
t_unit_clock_pair_test_SOURCES = t/unit/clock_pair_test.cc
t_unit_clock_pair_test_CXXFLAGS = $(T_UNIT_CXXFLAGS)
t_unit_clock_pair_test_LDADD = $(T_UNIT_LDADD)
# ev-watchdog's messages (tools/watchdog/denied.h), where it is built
if EV_NG_HAVE_WATCHDOG
check_PROGRAMS += t/unit/watchdog_denied_test
TESTS += t/unit/watchdog_denied_test
t_unit_watchdog_denied_test_SOURCES = t/unit/watchdog_denied_test.cc tools/watchdog/denied.cc
t_unit_watchdog_denied_test_CXXFLAGS = $(T_UNIT_CXXFLAGS)
t_unit_watchdog_denied_test_LDADD = $(T_UNIT_LDADD)
endif
endif HAVE_CMOCKA
