# SPDX-License-Identifier: BSD-2-Clause
# t/size/local.mk - fragment of Makefile.am: `make check-size` checks the stripped size of
# the library this tree built against libev 4.33's (t/size/check-size.sh): at most 1.2 times
# for ./configure --enable-small, at most 2 times for the default build.
EXTRA_DIST += t/size/check-size.sh

if EV_NG_SMALL
SIZE_KIND = yes
else
SIZE_KIND = no
endif

check-size: libev.la
	$(SHELL) '$(srcdir)/t/size/check-size.sh' .libs/libev.so.4 '$(SIZE_KIND)'

PHONY_TARGETS += check-size
