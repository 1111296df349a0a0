# SPDX-License-Identifier: BSD-2-Clause
# t/port/install-missing.sh - sourced by the scripts that build or run something with Debian's
# packages (build.sh, the other builds of t/port/, t/win32/, embed/): what they need and the
# machine lacks is installed with apt-get, as root or through sudo, as README command 1 does.
#
#   installed PACKAGE               true when dpkg has PACKAGE (with :ARCH for another's) installed
#   install_missing WHO PACKAGE...  installs those not installed, saying so as WHO; sets
#                                   $missing to what it installed (empty when nothing was missing)

installed () { dpkg-query -W -f='${Status}' "$1" 2> /dev/null | grep -q 'install ok installed'; }

install_missing () {
  _who=$1
  shift
  missing=
  for _p in "$@"; do
    installed "$_p" || missing="$missing $_p"
  done
  [ -n "$missing" ] || return 0
  echo "$_who: installing (apt-get):$missing"
  _sudo=
  [ "$(id -u)" = 0 ] || _sudo=sudo
  # (an index that fails to download, a mirror in sync say, need not stop the install)
  $_sudo apt-get update -q || echo "$_who: apt-get update reported errors; installing all the same" >&2
  # (CI installs for builds that run side by side: one waits for the other's dpkg lock)
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends $missing
}
