# SPDX-License-Identifier: BSD-2-Clause
# t/port/local.mk - fragment of Makefile.am: the other builds, each in a tree of its own
# beside this one (_clang/, _portable/, _musl/, _cross-HOST/; t/port/build-tree.sh), and the
# portable build's import check:
#
#   make check-clang                        clang 14, --enable-werror, then its make check
#   make check-portable                     ./configure --disable-linux-apis, then its make check
#   make check-musl                         the library on musl (t/port/musl.sh), its C suites
#   make check-cross HOST=aarch64-linux-gnu cross-compiled, the suites under qemu-user
#                                           (t/port/cross.sh; CROSS_TESTS='t/ev_io ...' runs
#                                           those alone)
#   make check-windows-smoke                libev-4.dll cross-built with mingw-w64, its exports
#                                           and imports, and a smoke program under Wine
#                                           (t/win32/wine.sh)
#   make check-windows                      the library, cmocka and the C suites cross-built
#                                           with mingw-w64, the suites run under Wine on each
#                                           backend of WINDOWS_BACKENDS (default select), the
#                                           cases counted per backend (t/win32/check.sh;
#                                           WINDOWS_SHORT=1: CI's short version), and the
#                                           installed embedding kit linked with -lws2_32
#                                           alone, both thread models (t/win32/kit.sh)
#
# (OTHER_TESTS='t/ev_io ...' in the environment runs those tests alone in the first two.)
# `make print-tests` prints the tests of `make check` (for cross.sh's skip list).

# the Linux functions a library built without them must not import (t/port/imports.sh)
TESTS += t/port/imports.sh
EXTRA_DIST += t/port/imports.sh t/port/build-tree.sh t/port/other-build.sh t/port/cross.sh \
	t/port/run-test t/port/cross-skip.txt t/port/musl.sh t/port/musl-g++ t/port/musl-compat.h \
	t/port/cmocka-source.sh t/port/install-missing.sh
EXTRA_DIST += t/win32/wine.sh t/win32/kit.sh t/win32/kit_link.c t/win32/select_smoke.c t/win32/ev_io.c t/win32/checks.h t/win32/socket_pair.h t/win32/check.sh t/win32/skip.txt t/win32/posix.h \
	t/win32/posix.c t/win32/refuse.c t/win32/ev_io_many_sockets.c t/harness_win32.c t/harness_win32.h \
	t/win32/include/poll.h t/win32/include/dlfcn.h t/win32/include/sys/wait.h t/win32/include/sys/mman.h \
	t/win32/include/sys/resource.h t/win32/include/sys/socket.h t/win32/include/sys/select.h \
	t/win32/include/sys/utsname.h t/win32/include/sys/syscall.h t/win32/include/netinet/in.h \
	t/win32/include/arpa/inet.h t/win32/include/sys/timerfd.h t/win32/include/sys/epoll.h

PORT_CONFIGURE_FLAGS =
HOST =
CROSS_TESTS =

check-clang:
	$(SHELL) '$(abs_top_srcdir)/t/port/other-build.sh' '$(abs_top_srcdir)' '$(abs_top_builddir)/_clang' \
	  --enable-werror CC=clang CXX=clang++ $(PORT_CONFIGURE_FLAGS)

check-portable:
	$(SHELL) '$(abs_top_srcdir)/t/port/other-build.sh' '$(abs_top_srcdir)' '$(abs_top_builddir)/_portable' \
	  --enable-werror --disable-linux-apis $(PORT_CONFIGURE_FLAGS)

check-musl:
	$(SHELL) '$(abs_top_srcdir)/t/port/musl.sh' '$(abs_top_srcdir)' '$(abs_top_builddir)/_musl'

check-cross:
	@test -n '$(HOST)' || { echo 'make check-cross HOST=<triplet>, e.g. HOST=aarch64-linux-gnu (t/port/cross.sh)' >&2; exit 1; }
	$(SHELL) '$(abs_top_srcdir)/t/port/cross.sh' '$(HOST)' '$(abs_top_srcdir)' '$(abs_top_builddir)/_cross-$(HOST)' '$(CROSS_TESTS)'

check-windows-smoke:
	$(SHELL) '$(abs_top_srcdir)/t/win32/wine.sh' '$(abs_top_srcdir)' '$(abs_top_builddir)/_windows'

check-windows:
	$(SHELL) '$(abs_top_srcdir)/t/win32/check.sh' '$(abs_top_srcdir)' '$(abs_top_builddir)/_windows-check'

print-tests:
	@echo $(TESTS)

PHONY_TARGETS += check-clang check-portable check-musl check-cross check-windows-smoke check-windows print-tests
