# SPDX-License-Identifier: BSD-2-Clause
# t/win32/compat/local.mk - fragment of Makefile.am: `make check-windows-compat`, libev-ng on
# Windows against libev 4.33 built the documented Windows way (issue 47, points 1 to 3), under
# Wine (t/win32/compat/run.sh):
#   - ev.h, ev++.h and event.h on mingw-w64 (C99, C11, C++11, C++20) and as MSVC would see them
#     (t/win32/compat/headers.sh);
#   - the DLL (--enable-werror) against libev 4.33's ev.c embedded with EV_STANDALONE and
#     EV_SELECT_IS_WINSOCKET (Debian's source package, compiled and run, never read): layouts,
#     constants, backend answers, ev_stat over 2 GiB (t/win32/compat/layout.c), identical;
#   - ev(3)'s Windows macros (EV_FD_TO_WIN32_HANDLE, EV_WIN32_HANDLE_TO_FD, EV_WIN32_CLOSE_FD,
#     EV_USE_WSASOCKET, FD_SETSIZE) in an embedded core (t/win32/compat/macros.c);
#   - the embedding kit (embed/ev_ng.cc) against libev 4.33's ev.c, both embedded the
#     documented Windows way: the scenarios of t/compat/embed give the same traces
#     (t/win32/compat/embed.sh; those that cannot run on Windows are skipped, with the reason);
#   - the portable scenarios of t/compat/scenarios, libev 4.33 embedded against the DLL
#     (t/win32/compat/scenarios.sh; skipped the same way).
# Results under Wine are Wine's, not Windows'.

EXTRA_DIST += t/win32/compat/local.mk t/win32/compat/run.sh t/win32/compat/headers.sh \
	t/win32/compat/layout.c t/win32/compat/embed.sh t/win32/compat/scenario_win32.h \
	t/win32/compat/macros.c t/win32/compat/macros_config.h \
	t/win32/compat/scenarios.sh

check-windows-compat:
	$(SHELL) '$(abs_top_srcdir)/t/win32/compat/run.sh' '$(abs_top_srcdir)' '$(abs_top_builddir)/_windows-compat'

PHONY_TARGETS += check-windows-compat
