# SPDX-License-Identifier: BSD-2-Clause
# t/deb/local.mk - fragment of Makefile.am: `make check-deb`, libev-ng's Debian
# packages (debian/) built, checked by lintian, swapped in for Debian's libev in
# a throw-away overlay of the machine, used by sniproxy, and swapped out again
# (t/deb/run says how).  Needs root and a git checkout (debian/ and t/deb/ are
# not in the release tarball: a distribution brings its own packaging).

check-deb:
	bash '$(abs_top_srcdir)/t/deb/run'

PHONY_TARGETS += check-deb
