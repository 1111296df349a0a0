#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# install-split-check.sh - run by `make install` before it installs anything:
# refuses an install whose ev.h the compiler would find by default while `-lev`
# links another project's libev.so (Debian's libev-dev, say).  Such a split
# compiles every program of the machine against libev-ng's header and links
# Debian's library: programs using an extension fail to link, and every other
# build, Debian package builds included, silently uses our header.
#
#   install-split-check.sh INCLUDEDIR LIBDIR
#
# Environment: CC (default cc); EV_INSTALL_SPLIT=ok skips the check (for those
# who know: README "Installing system-wide" has the safe routes).  Exit 0: no
# split; 1: refused, with the ways out on stderr.
set -u
incdir=$1 libdir=$2
cc=${CC:-cc}
[ "${EV_INSTALL_SPLIT:-}" != ok ] || exit 0
canon () { (cd "$1" 2> /dev/null && pwd -P) || printf '%s\n' "$1"; }

# Is INCLUDEDIR searched by default (#include <ev.h> without -I)?
default_inc=no
for d in $(echo | $cc -E -Wp,-v -x c - 2>&1 >/dev/null | sed -n '/^#include <\.\.\.> search starts here:/,/^End of search list/s/^ //p'); do
  [ "$(canon "$d")" = "$(canon "$incdir")" ] && default_inc=yes
done
[ $default_inc = yes ] || exit 0

# Which libev.so does a plain `cc prog.c -lev` link?  (-Wl,-t traces the files ld opens.)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ev-split.XXXXXX") || exit 0
trap 'rm -rf "$tmp"' EXIT
echo 'int main (void) { return 0; }' > "$tmp/t.c"
found=$($cc "$tmp/t.c" -o "$tmp/t" -Wl,--no-as-needed -lev -Wl,-t 2>/dev/null | grep '/libev\.\(so\|a\)$' | head -n 1)
[ -n "$found" ] || exit 0                          # none yet: ld finds ours once installed
found_dir=$(canon "$(dirname "$found")") found=$found_dir/$(basename "$found")
[ "$found_dir" != "$(canon "$libdir")" ] || exit 0  # ours (an earlier install)

cat >&2 <<MSG
libev-ng: not installing: the split install of README "Installing system-wide".
  The compiler finds headers in $incdir by default, so every
  '#include <ev.h>' would get libev-ng's header, but '-lev' links
  $found (another libev, Debian's libev-dev, say), not $libdir/libev.so.
  Programs using a libev-ng extension would not link, and every other build
  on this machine would compile against libev-ng's header.
The safe routes (README, "Installing system-wide"):
  1. libev-ng's Debian packages (dpkg-buildpackage -us -uc -b, debian/):
     they replace libev4 and libev-dev, and apt puts Debian's back;
  2. a private prefix: ./configure --prefix=/opt/libev-ng, then
     cc app.c \$(PKG_CONFIG_PATH=/opt/libev-ng/lib/pkgconfig pkg-config --cflags --libs libev)
  3. no install: LD_LIBRARY_PATH=$(pwd)/.libs PROGRAM runs one program on libev-ng.
  Or remove the other libev's development package (apt-get remove libev-dev; libev4
  stays for the programs), after which '-lev' finds libev-ng here; or
  make install EV_INSTALL_SPLIT=ok to install anyway.
MSG
exit 1
