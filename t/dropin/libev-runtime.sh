# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# t/dropin/libev-runtime.sh - sourced (sh or bash) by the scripts that ask dpkg about
# Debian's libev.so.4: t/dropin, t/deb, t/abi/symbols_file.sh.
#
# libev_runtime [ARCH]: the name of the installed package that has libev.so.4, Debian's
# name of the release: libev4t64 from Debian 13 and Ubuntu 24.04 on (the 64-bit time_t
# transition renamed it; libev4 is then a virtual package, which dpkg-query never shows
# as installed), libev4 before.  Prints libev4 when neither is installed.
libev_runtime () {
  _libev_arch=${1:-$(dpkg --print-architecture)}
  for _libev_p in libev4t64 libev4; do
    case $(dpkg-query -W -f='${db:Status-Abbrev}' "$_libev_p:$_libev_arch" 2> /dev/null) in
      ii*) echo "$_libev_p"; return 0 ;;
    esac
  done
  echo libev4
}
