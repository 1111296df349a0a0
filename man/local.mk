# man/local.mk - fragment of Makefile.am: the ev(3) reference manual.
#
# man/ev.pod (POD, written for libev-ng) is the source.  man/ev.3 is
# generated from it by pod2man (part of perl on Debian) at build time, is
# never committed (man/.gitignore), and is installed by automake as
# $(mandir)/man3/ev.3 through man_MANS.  man/check-man.sh (make check)
# renders the page with all groff warnings enabled and fails if a name
# declared in ev.h, ev++.h or event.h is missing from it.

man_MANS += man/ev.3
CLEANFILES += man/ev.3 man/ev.3.tmp
EXTRA_DIST += man/ev.pod man/check-man.sh man/header-names.pl
TESTS += man/check-man.sh

# override on the command line if pod2man lives elsewhere
POD2MAN = pod2man
# --errors=die: a POD mistake fails the build instead of ending up in the page;
# the date defaults to the source's mtime (or SOURCE_DATE_EPOCH/POD_MAN_DATE)
POD2MAN_FLAGS = --section=3 --name=EV --center="libev-ng" \
	--release="libev-ng $(PACKAGE_VERSION)" --errors=die

man/ev.3: man/ev.pod
	$(AM_V_GEN)$(MKDIR_P) man && \
	$(POD2MAN) $(POD2MAN_FLAGS) $(srcdir)/man/ev.pod >$@.tmp && \
	mv -f $@.tmp $@
