# SPDX-License-Identifier: BSD-2-Clause
# t/deb/local.mk - fragment of Makefile.am: `make check-deb`, libev-ng's Debian
# packages (debian/) built, checked by lintian, swapped in for Debian's libev in
# a throw-away overlay of the machine, used by sniproxy, and swapped out again
# (t/deb/run says how); `make check-trixie` and `make check-bookworm`, the README's
# commands, the clang build, the packages around real programs and the cross builds in
# a throw-away chroot of that Debian release (t/deb/chroot, t/deb/release-check;
# RELEASE_CHECK=short for CI's version).  Need root and a git checkout (debian/ and t/deb/
# are not in the release tarball: a distribution brings its own packaging).

check-deb:
	bash '$(abs_top_srcdir)/t/deb/run'

check-trixie check-bookworm:
	bash '$(abs_top_srcdir)/t/deb/chroot' $(@:check-%=%) env RELEASE_CHECK='$(RELEASE_CHECK)' CHECK_JOBS='$(CHECK_JOBS)' \
	  RELEASE_STEPS='$(RELEASE_STEPS)' RELEASE_CROSS='$(RELEASE_CROSS)' bash t/deb/release-check

PHONY_TARGETS += check-deb check-trixie check-bookworm
