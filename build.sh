#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# build.sh - on a fresh Debian machine: install what is missing, configure
# and build libev-ng (library, headers, man page, examples, tests are built
# by `make check`).  Extra configure flags: CONFIGURE_FLAGS="--enable-werror".
set -e
cd "$(dirname "$0")"

# Build tools, the static probes' header (systemtap-sdt-dev), gdb and bpftrace (which test them and the
# tools), the test framework, the format check (clang-format), the oracle (Debian's real libev 4.33,
# used by the compatibility tests to compare behaviour: libev-dev, which brings the library, libev4 or,
# from Debian 13 on, libev4t64), meson (t/install builds with dependency('libev')), and what the Debian
# packages need (debhelper for dpkg-buildpackage -us -uc -b, lintian for t/deb/run).  Real packages
# only: a virtual one (libev4 on Debian 13) never reads as installed.
packages="build-essential autoconf automake libtool pkg-config libcmocka-dev valgrind perl \
libev-dev strace man-db groff-base cmake clang clang-format abigail-tools dpkg-dev libglib2.0-dev \
systemtap-sdt-dev gdb bpftrace \
meson ninja-build debhelper lintian"

. ./t/port/install-missing.sh
install_missing build.sh $packages
if [ -z "$missing" ]; then
  echo "build.sh: every package it needs is installed:"
  echo "  $packages"
fi

if [ ! -f Makefile ]; then
  autoreconf -fi
  ./configure $CONFIGURE_FLAGS
fi
make -j"$(nproc)"
