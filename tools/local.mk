# SPDX-License-Identifier: BSD-2-Clause
# tools/local.mk - fragment of Makefile.am: the tools that look into a running
# program's loops from outside (ev(3) "Static probes", "Watchdog"): ev-top
# (bpftrace), ev-gdb (gdb, with ev-gdb.py) and ev-watchdog (the watchdog,
# which runs a program or attaches to one), installed with their manual
# pages.  ev-watchdog is Linux-only: it is built where it can read another
# process's memory (configure's process_vm_readv facility).

dist_bin_SCRIPTS = tools/ev-top
bin_SCRIPTS = tools/ev-gdb
dist_pkgdata_DATA = tools/ev-gdb.py
man1_MANS = tools/ev-top.1 tools/ev-gdb.1
EXTRA_DIST += tools/ev-gdb.in tools/ev-top.pod tools/ev-gdb.pod tools/ev-watchdog.pod tools/.gitignore
CLEANFILES += tools/ev-gdb tools/ev-top.1 tools/ev-gdb.1 tools/ev-watchdog.1

# Built from the library's own headers: it reads struct ev_loop as this
# build lays it out (tools/watchdog/sample.h).
EV_WATCHDOG_SOURCES = tools/watchdog/main.cc tools/watchdog/sample.cc tools/watchdog/sample.h \
	tools/watchdog/elf_symbols.cc tools/watchdog/elf_symbols.h tools/watchdog/follow.cc tools/watchdog/follow.h \
	tools/watchdog/denied.cc tools/watchdog/denied.h \
	tools/watchdog/syslog_line.cc tools/watchdog/syslog_line.h
# A program users run, on their PATH: the library never starts it.
if EV_NG_HAVE_WATCHDOG
bin_PROGRAMS = tools/ev-watchdog
man1_MANS += tools/ev-watchdog.1
endif
tools_ev_watchdog_SOURCES = $(EV_WATCHDOG_SOURCES)
tools_ev_watchdog_CXXFLAGS = -std=c++20 -fno-exceptions -fno-rtti -Wall -Wextra -Wshadow $(WERROR)

tools/ev-gdb: tools/ev-gdb.in
	$(AM_V_GEN)$(MKDIR_P) tools && sed 's|@pkgdatadir@|$(pkgdatadir)|' $(srcdir)/tools/ev-gdb.in > $@.tmp && \
	chmod +x $@.tmp && mv -f $@.tmp $@

tools/ev-top.1 tools/ev-gdb.1 tools/ev-watchdog.1: tools/%.1: tools/%.pod
	$(AM_V_GEN)$(MKDIR_P) tools && $(POD2MAN) --section=1 --center="libev-ng" \
	  --release="libev-ng $(PACKAGE_VERSION)" --errors=die $< > $@.tmp && mv -f $@.tmp $@
