# t/unit/local.mk - fragment of Makefile.am: white-box tests of the core's data
# structures (core/heap.h, core/pending.h, core/fdtable.h).  They compile the
# headers with the core's flags and link only core/alloc.cc, not the library.
if HAVE_CMOCKA
T_UNIT = t/unit/heap_test t/unit/pending_test t/unit/fdtable_test
check_PROGRAMS += $(T_UNIT)
TESTS += $(T_UNIT)

T_UNIT_CXXFLAGS = $(CORE_CXXFLAGS) $(CMOCKA_CFLAGS)
T_UNIT_LDADD = $(CMOCKA_LIBS)

t_unit_heap_test_SOURCES = t/unit/heap_test.cc core/alloc.cc
t_unit_heap_test_CXXFLAGS = $(T_UNIT_CXXFLAGS)
t_unit_heap_test_LDADD = $(T_UNIT_LDADD)

t_unit_pending_test_SOURCES = t/unit/pending_test.cc core/alloc.cc
t_unit_pending_test_CXXFLAGS = $(T_UNIT_CXXFLAGS)
t_unit_pending_test_LDADD = $(T_UNIT_LDADD)

t_unit_fdtable_test_SOURCES = t/unit/fdtable_test.cc core/alloc.cc
t_unit_fdtable_test_CXXFLAGS = $(T_UNIT_CXXFLAGS)
t_unit_fdtable_test_LDADD = $(T_UNIT_LDADD)
endif HAVE_CMOCKA
