# SPDX-License-Identifier: BSD-2-Clause
# t/size/local.mk - fragment of Makefile.am: `make check-size` checks the stripped size of
# libev.so.4 against libev 4.33's (t/size/check-size.sh) for both kinds of build: at most 2.966
# times libev's (libuv's size and the streams) for the default configure, at most 1.5 times libev's for
# ./configure --enable-small.  The library of this tree is one of them; the other is built in
# _size/ (t/size/other-kind.sh, about a minute; SIZE_CONFIGURE_FLAGS adds configure flags to it).
#
# `make check-small` builds ./configure --enable-small in _small/ (t/port/other-build.sh) and
# runs its make check and check-compat (OTHER_TESTS='t/ev_io ...' in the environment: those
# tests alone, then check-compat).
EXTRA_DIST += t/size/check-size.sh t/size/other-kind.sh

if EV_NG_SMALL
SIZE_KIND = yes
SIZE_OTHER_KIND = no
else
SIZE_KIND = no
SIZE_OTHER_KIND = yes
endif

check-size: libev.la
	@status=0; \
	$(SHELL) '$(srcdir)/t/size/check-size.sh' .libs/libev.so.4 '$(SIZE_KIND)' || status=1; \
	$(SHELL) '$(abs_top_srcdir)/t/size/other-kind.sh' '$(abs_top_srcdir)' '$(abs_top_builddir)/_size' \
	  '$(SIZE_OTHER_KIND)' || status=1; \
	exit $$status

check-small:
	$(SHELL) '$(abs_top_srcdir)/t/port/other-build.sh' '$(abs_top_srcdir)' '$(abs_top_builddir)/_small' \
	  --enable-werror --enable-small $(SMALL_CONFIGURE_FLAGS)
	$(MAKE) -C _small/build check-compat

clean-size:
	rm -rf _size _small

clean-local: clean-size

PHONY_TARGETS += check-size check-small clean-size
