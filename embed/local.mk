# SPDX-License-Identifier: BSD-2-Clause
# embed/local.mk - fragment of Makefile.am: the embedding kit (embed/README.md, ev(3)
# EMBEDDING) and `make check-embed`.
#
# The kit is ev.h and the core's sources in the tree's layout, with embed/ev_ng.cc, the one
# C++ file a program compiles: every source of the library's list (Makefile.am,
# LIBEV_ALL_FILES), whatever this build compiles, since the program compiles the kit for its
# own platform (t/lint/sources.sh checks the list against embed/ev_ng.cc).  It is installed in
# $(datadir)/libev-ng (Debian: libev-ng-embed-dev), and t/embed/kit.sh (make check) compiles it
# from a copy of exactly these files; t/install/check-install.sh and t/win32/kit.sh build a
# program from the installed kit.

embedkitdir = $(datadir)/libev-ng
EV_NG_KIT_FILES = ev.h ev++.h \
	embed/ev_ng.cc embed/ev_ng_config.h embed/ev_ng_facilities.h embed/ev_ng_embed.h embed/README.md \
	$(LIBEV_ALL_FILES)
nobase_dist_embedkit_DATA = $(EV_NG_KIT_FILES)

# what the scripts need to know of the kit (t/embed/kit.sh, t/install/check-install.sh)
embed/kit-files: Makefile
	$(AM_V_GEN)$(MKDIR_P) embed && printf '%s\n' $(EV_NG_KIT_FILES) >$@.tmp && mv -f $@.tmp $@
check_SCRIPTS += embed/kit-files
CLEANFILES += embed/kit-files embed/kit-files.tmp
TESTS += t/embed/kit.sh
EXTRA_DIST += t/embed/kit.sh t/embed/prog.c t/embed/layout.c t/embed/wait_cb.c

# The hosts' patches and the script that proves them (EMBED_SHORT=1: epoll only, as CI runs it;
# EMBED_ONLY='perl' or 'nio4r': one program).
EXTRA_DIST += embed/check-embed.sh embed/hosts/libev-perl.patch embed/hosts/ruby-nio4r.patch t/compat/embed/run t/compat/embed/common.h \
	t/compat/embed/configs t/compat/embed/scenario.h t/compat/embed/scenarios
check-embed:
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' CC='$(CC)' CXX='$(CXX)' \
	  $(SHELL) '$(abs_top_srcdir)/embed/check-embed.sh'
clean-embed:
	rm -rf embed/build t/compat/embed/build
clean-local: clean-embed
PHONY_TARGETS += check-embed clean-embed
