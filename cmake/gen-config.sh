#!/bin/sh
# cmake/gen-config.sh - fills in a cmake/*.cmake.in template of the CMake
# package (run by the rules of cmake/local.mk; writes to stdout).
#
#   gen-config.sh TEMPLATE LIBEV_LA VERSION PREFIX LIBDIR INCLUDEDIR LIBS CC-AND-FLAGS
#
# The installed package finds its files relative to its own location, so an
# installed tree keeps working when it is moved or installed with DESTDIR:
#   @LIBEV_TO_PREFIX@     the path from $libdir/cmake/libev up to the prefix
#                         ("../../.."), empty if libdir is outside the prefix
#   @LIBEV_INCLUDEDIR@    "${_libev_prefix}/include", or an absolute path
#   @LIBEV_LIBDIR@        the same for the libraries
#   @LIBEV_PREFIX@, @LIBEV_CMAKEDIR@  the configured absolute locations
# and what libtool built (read from libev.la, so it follows --disable-shared,
# --disable-static and the platform's naming):
#   @LIBEV_SHARED@        the shared library's real file (libev.so.4.0.0), or empty
#   @LIBEV_SONAME@        its soname (libev.so.4)
#   @LIBEV_STATIC@        the static archive (libev.a), or empty
#   @LIBEV_STATIC_LIBS@   what a static link also needs ($LIBS, as a CMake list)
#   @LIBEV_SIZEOF_VOID_P@ the pointer size the library was built for, or empty
#   @LIBEV_VERSION@
set -eu

[ $# -eq 8 ] || { echo "usage: $0 TEMPLATE LIBEV_LA VERSION PREFIX LIBDIR INCLUDEDIR LIBS CC" >&2; exit 2; }
template=$1 la=$2 version=$3 libs=$7 cc=$8
# no trailing slashes, so that the prefix tests below compare like with like
prefix=$(printf '%s\n' "$4" | sed 's|//*$||')
libdir=$(printf '%s\n' "$5" | sed 's|//*$||')
includedir=$(printf '%s\n' "$6" | sed 's|//*$||')
cmakedir=$libdir/cmake/libev

[ -f "$la" ] || { echo "$0: $la not found" >&2; exit 1; }
la_var () {
  sed -n "s/^$1='\\(.*\\)'\$/\\1/p" "$la"
}
shared=$(la_var library_names | cut -d' ' -f1)
soname=$(la_var dlname)
static=$(la_var old_library)

# inside DIR: DIR relative to the prefix ("" for the prefix itself), or fails
inside () {
  [ -n "$prefix" ] || return 1            # prefix "/": use absolute paths
  case $1 in
    "$prefix") rel= ;;
    "$prefix"/*) rel=${1#"$prefix"/} ;;
    *) return 1 ;;
  esac
}

to_prefix=
if inside "$cmakedir"; then
  to_prefix=$(printf '%s\n' "$rel" | sed 's|[^/][^/]*|..|g')
fi

# where DIR is, as seen from the installed config file
location () {
  if [ -n "$to_prefix" ] && inside "$1"; then
    printf '%s\n' "\${_libev_prefix}${rel:+/$rel}"
  else
    printf '%s\n' "$1"
  fi
}

# the pointer size of the compiler and flags the library was built with
# (GCC and Clang define __SIZEOF_POINTER__; empty elsewhere: no check)
sizeof_void_p=$($cc -dM -E - </dev/null 2>/dev/null | sed -n 's/^#define __SIZEOF_POINTER__ //p') || true

static_libs=$(printf '%s\n' "$libs" | tr -s ' \t' '  ' | sed 's/^ //; s/ $//; s/ /;/g')

# escape a value for the right-hand side of a sed s||| command
esc () {
  printf '%s\n' "$1" | sed 's/[\\|&]/\\&/g'
}

sed -e "s|@LIBEV_VERSION@|$(esc "$version")|g" \
    -e "s|@LIBEV_TO_PREFIX@|$(esc "$to_prefix")|g" \
    -e "s|@LIBEV_PREFIX@|$(esc "$prefix")|g" \
    -e "s|@LIBEV_CMAKEDIR@|$(esc "$cmakedir")|g" \
    -e "s|@LIBEV_INCLUDEDIR@|$(esc "$(location "$includedir")")|g" \
    -e "s|@LIBEV_LIBDIR@|$(esc "$(location "$libdir")")|g" \
    -e "s|@LIBEV_SHARED@|$(esc "$shared")|g" \
    -e "s|@LIBEV_SONAME@|$(esc "$soname")|g" \
    -e "s|@LIBEV_STATIC@|$(esc "$static")|g" \
    -e "s|@LIBEV_STATIC_LIBS@|$(esc "$static_libs")|g" \
    -e "s|@LIBEV_SIZEOF_VOID_P@|$(esc "$sizeof_void_p")|g" \
    "$template"
