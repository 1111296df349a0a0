# SPDX-License-Identifier: BSD-2-Clause
# embed/local.mk - fragment of Makefile.am: the embedding kit (embed/README.md, ev(3)
# EMBEDDING) and `make check-embed`.
#
# The kit is ev.h and the core's sources in the tree's layout, with embed/ev_ng.cc, the one
# C++ file a program compiles; it is installed in $(datadir)/libev-ng (Debian:
# libev-ng-embed-dev), and t/embed/kit.sh (make check) compiles it from a copy of exactly
# these files.

embedkitdir = $(datadir)/libev-ng
EV_NG_KIT_FILES = ev.h ev++.h \
	embed/ev_ng.cc embed/ev_ng_config.h embed/ev_ng_facilities.h embed/ev_ng_embed.h embed/README.md \
	base/alloc.cc base/alloc.h base/api.h base/array.h base/clock.cc base/clock.h base/clock_pair.h \
	base/env.h base/fdtable.h base/probes.h base/heap.h base/internal.h base/pending.h base/pending.cc base/ptr_map.h base/slot_queue.h \
	fd/fd.cc fd/fd.h fd/io_list.cc fd/io_list.h fd/loop_fd.cc fd/loop_fd.h fd/wakeup.cc fd/wakeup.h \
	backends/backend.h backends/epoll.cc backends/epoll_inline.h backends/epoll_set.h backends/iouring.cc backends/iouring.h \
	backends/iouring_ring.cc backends/iouring_ring.h backends/iouring_epoll.cc backends/iouring_epoll.h \
	backends/policies.h backends/poll.cc backends/poll.h backends/registry.cc backends/select.cc \
	backends/select.h \
	diag/debug.cc diag/debug.h diag/metrics.cc diag/metrics.h diag/verify.cc diag/walk.cc diag/walk.h \
	diag/probes.cc diag/probes.h diag/watchdog.cc \
	watchers/array_watcher.h watchers/array_watchers.cc watchers/async.cc watchers/child.cc \
	watchers/child.h watchers/child_pidfd.cc watchers/embed.cc watchers/idle.cc watchers/io.cc \
	watchers/once.cc watchers/periodic.cc watchers/signal.cc watchers/start_stop.h watchers/stat.cc \
	watchers/post.cc watchers/timer.cc \
	loop/fork_guard.cc loop/fork_guard.h loop/loop.cc loop/loop.h loop/loop_life.cc loop/loop_forks.cc diag/probe_anchor.h loop/loop_run.cc \
	loop/loop_time.cc
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
