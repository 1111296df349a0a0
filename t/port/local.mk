# SPDX-License-Identifier: BSD-2-Clause
# t/port/local.mk - fragment of Makefile.am: the other builds, each in a tree of its own
# beside this one (_clang/, _portable/; t/port/build-tree.sh), and the portable build's
# import check:
#
#   make check-clang                        clang 14, --enable-werror, then its make check
#   make check-portable                     ./configure --disable-linux-apis, then its make check
#
# (OTHER_TESTS='t/ev_io ...' in the environment runs those tests alone.)

# the Linux functions a library built without them must not import (t/port/imports.sh)
TESTS += t/port/imports.sh
EXTRA_DIST += t/port/imports.sh t/port/build-tree.sh t/port/other-build.sh

PORT_CONFIGURE_FLAGS =

check-clang:
	$(SHELL) '$(abs_top_srcdir)/t/port/other-build.sh' '$(abs_top_srcdir)' '$(abs_top_builddir)/_clang' \
	  --enable-werror CC=clang CXX=clang++ $(PORT_CONFIGURE_FLAGS)

check-portable:
	$(SHELL) '$(abs_top_srcdir)/t/port/other-build.sh' '$(abs_top_srcdir)' '$(abs_top_builddir)/_portable' \
	  --enable-werror --disable-linux-apis $(PORT_CONFIGURE_FLAGS)

PHONY_TARGETS += check-clang check-portable
