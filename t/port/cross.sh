#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/port/cross.sh - the recipe of `make check-cross HOST=<triplet>` (t/port/local.mk): the
# library and its suites built with Debian's cross compiler for one architecture and run
# under qemu-user.
#
#   cross.sh HOST SRCDIR DEST ['TESTS']
#
# 1. installs what is missing (apt-get, as build.sh: root or sudo): the cross compilers
#    gcc-HOST and g++-HOST (with the architecture's C library), qemu-user, and through
#    Debian's multiarch the architecture's libc6 and libstdc++6 (to run its programs),
#    libcmocka-dev and Debian's libev 4.33 of that architecture (libev4, or libev4t64 from
#    Debian 13 on: the reference of the ABI checks), with the header of the build machine's
#    libev-dev (the same file on every architecture; Debian 13's libev-dev of two
#    architectures cannot be installed side by side, their ev.3.gz differ);
# 2. configures a separate tree DEST/build (t/port/build-tree.sh) with --host=HOST
#    --enable-werror, and builds the library and every test program;
# 3. runs `make check` there, each test program under qemu-ARCH (t/port/run-test), or
#    natively where this machine runs the architecture's programs (i386 on an x86-64 kernel;
#    CROSS_EMULATOR=qemu: qemu all the same), scripts with the shell: the ABI checks compare
#    with Debian's libev.so.4 and ev.h of that architecture (t/abi/abidiff.sh, header_facts.sh
#    part 3, symbols);
# 4. leaves out what the emulator cannot do, as t/port/cross-skip.txt says, with the reason:
#    whole tests here (printed as SKIP), single cases in the harness (HARNESS_SKIP_FILE and
#    HARNESS_SKIP_TAGS, the words that describe the run: "arm64 qemu qemu:arm64").
#
# TESTS (optional): the tests to run instead of all of `make check`, and the only programs
# built besides the library (the short version CI runs).  The architectures:
# aarch64-linux-gnu (arm64), i686-linux-gnu (i386), arm-linux-gnueabihf (armhf),
# arm-linux-gnueabi (armel), s390x-linux-gnu (s390x, big-endian), powerpc64le-linux-gnu
# (ppc64el), riscv64-linux-gnu (riscv64), mips64el-linux-gnuabi64 (mips64el).
set -eu

host=$1
src=$2
dest=$3
only=${4:-}

case $host in
  aarch64-linux-gnu) arch=arm64 qemu=aarch64 ;;
  i686-linux-gnu) arch=i386 qemu=i386 ;;
  arm-linux-gnueabihf) arch=armhf qemu=arm ;;
  arm-linux-gnueabi) arch=armel qemu=arm ;;
  s390x-linux-gnu) arch=s390x qemu=s390x ;;
  powerpc64le-linux-gnu) arch=ppc64el qemu=ppc64le ;;
  riscv64-linux-gnu) arch=riscv64 qemu=riscv64 ;;
  mips64el-linux-gnuabi64) arch=mips64el qemu=mips64el ;;
  *) echo "check-cross: unknown HOST $host (see t/port/cross.sh)" >&2; exit 1 ;;
esac

# ---- 1. the tools and the architecture's libraries ----------------------------------------
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
. "$src/t/port/install-missing.sh"
missing=
for p in "gcc-$host" "g++-$host" qemu-user abigail-tools "libc6:$arch" "libstdc++6:$arch" "libcmocka-dev:$arch" \
  libev-dev; do
  installed "$p" || missing="$missing $p"
done
. "$src/t/dropin/libev-runtime.sh"
libev_missing=
installed "$(libev_runtime "$arch"):$arch" || libev_missing=yes
if [ -n "$missing$libev_missing" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx "$arch" && [ "$arch" != "$(dpkg --print-architecture)" ]; then
    $sudo dpkg --add-architecture "$arch"
  fi
  # (an index that fails to download, a mirror in sync say, need not stop the install)
  $sudo apt-get update -q || echo "$(basename "$0"): apt-get update reported errors; installing all the same" >&2
  # Debian's runtime package of the release: libev4t64 from Debian 13 on, which provides no
  # libev4 on the architectures it changed (armhf, armel)
  if [ -n "$libev_missing" ]; then
    if apt-cache show "libev4t64:$arch" > /dev/null 2>&1; then
      missing="$missing libev4t64:$arch"
    else
      missing="$missing libev4:$arch"
    fi
  fi
  echo "check-cross: installing (apt-get):$missing"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
fi
multiarch=$("$host-gcc" -print-multiarch)

# ---- 2. configure and build -------------------------------------------------------------------
tree=$(sh "$src/t/port/build-tree.sh" "$src" "$dest")
cd "$dest/build"

# How the programs run: natively where this machine runs them (i386 programs on an x86-64
# kernel with its 32-bit support), else under qemu-ARCH; CROSS_EMULATOR=qemu asks for qemu
# anyway.
printf 'int main (void) { return 0; }\n' > probe.c
"$host-gcc" probe.c -o probe
if [ "${CROSS_EMULATOR:-auto}" != qemu ] && ./probe 2> /dev/null; then
  emulator= tags="$arch native"
  echo "check-cross: $host ($arch) in $dest/build, programs run natively"
else
  emulator=qemu-$qemu tags="$arch qemu qemu:$arch"
  echo "check-cross: $host ($arch) in $dest/build, programs run by $emulator"
fi
rm -f probe probe.c

# (the tests that ask pkg-config, for GLib say, ask about the architecture's packages too)
PKG_CONFIG_LIBDIR=/usr/lib/$multiarch/pkgconfig:/usr/share/pkgconfig
export PKG_CONFIG_LIBDIR
"$tree/configure" --quiet --host="$host" --enable-werror
jobs=$(nproc 2> /dev/null || echo 2)
make -j"$jobs" all
# every test program (which compiles the stress and unit programs for the architecture too),
# or, for a selection, only the programs it runs (the short version)
if [ -z "$only" ]; then
  make -j"$jobs" check TESTS= > /dev/null
else
  # shellcheck disable=SC2086
  make -j"$jobs" $(printf '%s\n' $only | grep -v '\.sh$')
fi

# ---- 3. and 4. run, less the skip list ----------------------------------------------------------
skips=$tree/t/port/cross-skip.txt
tests=${only:-$(make -s print-tests)}
run=
for t in $tests; do
  reason=$(awk -F'|' -v tags=" $tags " -v test="$t" '
    function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
    /^[ \t]*(#|$)/ { next }
    { n = split(trim($1), where, /[ \t]*,[ \t]*/); tp = trim($2); c = trim($3); hit = 0
      for (i = 1; i <= n; ++i) if (where[i] == "*" || index(tags, " " where[i] " ")) hit = 1
      if (hit && c == "*") {
        # the test pattern (* any text, all else itself) as a regular expression
        re = tp; gsub(/[][\\.^$+?(){}|]/, "\\\\&", re); gsub(/\*/, ".*", re)
        if (test ~ ("^" re "$")) { print trim($4); exit }
      } }' "$skips")
  if [ -n "$reason" ]; then
    echo "SKIP: $t ($reason)"
  else
    run="$run $t"
  fi
done
HARNESS_SKIP_FILE=$skips HARNESS_SKIP_TAGS=$tags
export HARNESS_SKIP_FILE HARNESS_SKIP_TAGS
# (time limits stretched as under valgrind: emulated programs run several times slower)
if [ -n "$emulator" ]; then
  HARNESS_TIME_SCALE=${HARNESS_TIME_SCALE:-10}
  export HARNESS_TIME_SCALE
fi
# (a selection: the suite's log is made from its tests' logs, each of which builds its own
# program only; make check would build them all)
if [ -z "$only" ]; then
  make check TESTS="$run" EMULATOR="$emulator" LOG_COMPILER="$tree/t/port/run-test"
else
  rm -f test-suite.log
  make test-suite.log TESTS="$run" EMULATOR="$emulator" LOG_COMPILER="$tree/t/port/run-test"
fi
