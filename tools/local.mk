# SPDX-License-Identifier: BSD-2-Clause
# tools/local.mk - fragment of Makefile.am: the tools that look into a running
# program's loops from outside (ev(3) "Static probes"): ev-top (bpftrace) and
# ev-gdb (gdb, with ev-gdb.py), installed with their manual pages.

dist_bin_SCRIPTS = tools/ev-top
bin_SCRIPTS = tools/ev-gdb
dist_pkgdata_DATA = tools/ev-gdb.py
man1_MANS = tools/ev-top.1 tools/ev-gdb.1
EXTRA_DIST += tools/ev-gdb.in tools/ev-top.pod tools/ev-gdb.pod tools/.gitignore
CLEANFILES += tools/ev-gdb tools/ev-top.1 tools/ev-gdb.1

tools/ev-gdb: tools/ev-gdb.in
	$(AM_V_GEN)$(MKDIR_P) tools && sed 's|@pkgdatadir@|$(pkgdatadir)|' $(srcdir)/tools/ev-gdb.in > $@.tmp && \
	chmod +x $@.tmp && mv -f $@.tmp $@

tools/ev-top.1 tools/ev-gdb.1: tools/%.1: tools/%.pod
	$(AM_V_GEN)$(MKDIR_P) tools && $(POD2MAN) --section=1 --center="libev-ng" \
	  --release="libev-ng $(PACKAGE_VERSION)" --errors=die $< > $@.tmp && mv -f $@.tmp $@
