#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/size/other-kind.sh SRCDIR DEST SMALL - the half of `make check-size` (t/size/local.mk) that
# needs another build: libev.so.4 configured the other way (SMALL=yes: ./configure
# --enable-small; no: the default configure) in a tree of its own (t/port/build-tree.sh),
# only the library, then its stripped size against its limit (t/size/check-size.sh).
set -eu
src=$1
dest=$2
small=$3
tree=$(sh "$src/t/port/build-tree.sh" "$src" "$dest")
cd "$dest/build"
if [ "$small" = yes ]; then set -- --enable-small; else set --; fi
echo "$(basename "$dest"): configure $* ${SIZE_CONFIGURE_FLAGS:-}"
# shellcheck disable=SC2086 # the flags are words
"$tree/configure" --quiet "$@" ${SIZE_CONFIGURE_FLAGS:-} > /dev/null
make -j"$(nproc 2> /dev/null || echo 2)" libev.la > make.log 2>&1 || { tail -20 make.log; exit 1; }
sh "$src/t/size/check-size.sh" .libs/libev.so.4 "$small"
