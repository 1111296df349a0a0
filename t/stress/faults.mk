# SPDX-License-Identifier: BSD-2-Clause
# t/stress/faults.mk - fragment of t/stress/local.mk: faults and misuse.
#
#   badinput   bad input and misuse, one process per case and backend, against libev-ng and
#              (badinput.sh builds the same source against Debian's libev 4.33) libev 4.33;
#              writes the outcome table t/stress/badinput-table.md into the build tree
#   allocfail  every allocation failing in turn; descriptors refused at every point the loop
#              opens one (RLIMIT_NOFILE, seccomp)
#   unwind     C++ exceptions and longjmp out of every callback kind at random points

STRESS_PROGS += t/stress/badinput
STRESS_SANITIZE += badinput
t_stress_badinput_SOURCES = t/stress/badinput.c t/stress/badinput_cxx.cc t/stress/badinput.h
t_stress_badinput_CPPFLAGS = $(AM_CPPFLAGS)
if EV_LIBEVENT_EMULATION
t_stress_badinput_CPPFLAGS += -DBADINPUT_LIBEVENT=1
else
t_stress_badinput_CPPFLAGS += -DBADINPUT_LIBEVENT=0
endif
t_stress_badinput_CFLAGS = $(STRESS_CFLAGS)
t_stress_badinput_CXXFLAGS = $(STRESS_CXXFLAGS)
t_stress_badinput_LDADD = $(STRESS_EV_LIBS) -lm
EXTRA_DIST += t/stress/badinput.sh
CLEANFILES += t/stress/badinput-table.md t/stress/badinput-libev

STRESS_PROGS += t/stress/allocfail
STRESS_SANITIZE += allocfail
t_stress_allocfail_SOURCES = t/stress/allocfail.c t/refuse.c t/refuse.h
t_stress_allocfail_CFLAGS = $(STRESS_CFLAGS)
t_stress_allocfail_LDADD = $(STRESS_EV_LIBS)

STRESS_PROGS += t/stress/unwind
STRESS_SANITIZE += unwind
t_stress_unwind_SOURCES = t/stress/unwind.cc
t_stress_unwind_CXXFLAGS = $(STRESS_CXXFLAGS)
t_stress_unwind_LDADD = $(STRESS_EV_LIBS)
