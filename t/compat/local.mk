# SPDX-License-Identifier: BSD-2-Clause
# t/compat/local.mk - fragment of Makefile.am: `make check-compat`, the differential suite.
#
# t/compat/run builds every scenario of t/compat/scenarios/ against Debian's libev 4.33
# (/usr/include/ev.h, -lev; event.h from Debian's libev-libevent-dev, unpacked into the
# build directory) and against ours (this tree's headers, .libs/libev.so.4 and
# .libs/libev.a), runs them on select, poll and epoll, and requires identical traces from
# the source drop-in, the binary drop-in (LD_LIBRARY_PATH) and the static link.  The cases
# of t/compat/divergent/ (where libev 4.33 aborts or loses events) are compared with their
# checked-in .expected traces.  Needs: bash, libev-dev, apt-get (or LIBEV_EVENT_ORACLE).
#
#   make check-compat                          # everything
#   make check-compat COMPAT_ARGS='-v io_*'    # a selection, full traces on failure
#
# Not part of `make check`: it needs the system libev, which libev-ng replaces.

EXTRA_DIST += t/compat/run t/compat/scenarios t/compat/divergent t/compat/without-iouring.sed

check-compat: libev.la
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	CC='$(CC)' CXX='$(CXX)' bash '$(abs_top_srcdir)/t/compat/run' $(COMPAT_ARGS)

# the scenario binaries, their traces and the unpacked reference event.h
clean-compat:
	rm -rf t/compat/build

clean-local: clean-compat

PHONY_TARGETS += check-compat clean-compat
