#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/port/build-tree.sh - a separate build tree beside this one, for the builds with other
# settings (check-sanitize, check-clang, check-portable, check-musl, check-cross).
#
#   build-tree.sh SRCDIR DEST
#
# Empties DEST, makes DEST/build, and prints the source tree to run `configure` from:
# SRCDIR itself, or, when SRCDIR is configured in place (automake then refuses a second,
# out-of-tree build, and VPATH would pick up that tree's objects), a clean copy in DEST/src:
# the files git considers sources (tracked, or untracked and not ignored), or outside a git
# checkout every file except build products (objects, libraries, executables, libtool
# wrappers, logs) and the configure results; its configure script is made by autoreconf.
set -eu

src=$1
dest=$2

# an ELF file (program, library, object) or a libtool wrapper script
is_build_product () {
  case $1 in
    *.o | *.lo | *.la | *.a | *.so | *.so.* | *.log | *.trs | */.dirstamp) return 0 ;;
  esac
  test "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' && return 0
  head -n 5 "$1" 2>/dev/null | grep -q 'temporary wrapper script' && return 0
  return 1
}

rm -rf "$dest"
mkdir -p "$dest/build"

if test -f "$src/config.status"; then
  tree=$dest/src
  mkdir -p "$tree"
  list=$dest/files
  if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # what git calls sources: tracked (never a build product: none is committed), or
    # untracked but not ignored (generated files such as configure or man/ev.3 are ignored,
    # and are regenerated below); only the untracked ones are looked at, one process each
    git -C "$src" ls-files --cached | while IFS= read -r f; do
      if test -f "$src/$f"; then printf '%s\n' "$f"; fi # (not if deleted but still tracked)
    done
    git -C "$src" ls-files --others --exclude-standard | while IFS= read -r f; do
      is_build_product "$src/$f" || printf '%s\n' "$f"
    done
  else
    (cd "$src" && find . \( -name .git -o -name .libs -o -name .deps -o -name autom4te.cache \
        -o -path './_*' -o -path ./bench/out \) -prune -o -type f -print) |
      while IFS= read -r f; do
        is_build_product "$src/$f" || printf '%s\n' "$f"
      done
  fi > "$list"
  (cd "$src" && tar -cf - -T "$list") | (cd "$tree" && tar -xf -)
  # the in-place configure results must not follow (config.status is what automake checks)
  (cd "$tree" && rm -f config.status config.h config.log libtool stamp-h1 Makefile libev.pc confdefs.h)
  test -x "$tree/configure" || (cd "$tree" && autoreconf -fi >/dev/null 2>&1) || {
    echo "build-tree.sh: autoreconf failed in $tree" >&2
    exit 1
  }
else
  tree=$src
fi
printf '%s\n' "$tree"
