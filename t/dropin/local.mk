# SPDX-License-Identifier: BSD-2-Clause
# t/dropin/local.mk - fragment of Makefile.am: `make check-dropin`, the binary drop-in
# with real programs.
#
# t/dropin/run installs (apt-get, if missing) Debian packages whose programs link
# libev.so.4: nghttp2 (nghttpd, nghttpx, h2load, nghttp), shadowsocks-libev (ss-server,
# ss-local, ss-tunnel), sniproxy and hitch. It runs a loopback workload through each,
# once on Debian's libev (the control) and once on our .libs/libev.so.4
# (LD_LIBRARY_PATH), proves from /proc/PID/maps which library every process has mapped,
# and checks the results strictly. About half a minute; bounded to 280 s.
#
#   make check-dropin                           # every case, both libraries
#   make check-dropin DROPIN_ARGS='hitch'       # a selection (see t/dropin/README.md)
#
# Not part of `make check`: it installs packages and starts servers.

EXTRA_DIST += t/dropin/run t/dropin/install t/dropin/lib.sh t/dropin/checks.sh \
	t/dropin/README.md t/dropin/cases/nghttp2.sh t/dropin/cases/nghttpx.sh \
	t/dropin/cases/shadowsocks.sh t/dropin/cases/sniproxy.sh t/dropin/cases/hitch.sh \
	t/dropin/cases/gevent.sh t/dropin/libev-runtime.sh

check-dropin: libev.la
	top_builddir='$(abs_top_builddir)' bash '$(abs_top_srcdir)/t/dropin/run' $(DROPIN_ARGS)

PHONY_TARGETS += check-dropin
