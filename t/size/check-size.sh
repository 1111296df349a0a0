#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/size/check-size.sh LIBRARY SMALL - the stripped size of libev.so.4 against its limit
# (issue 41): at most 1.2 times libev 4.33's for a build configured with --enable-small
# (SMALL=yes), at most 2 times for the default build.  libev 4.33's size is that of the
# system's libev.so.4 when Debian's libev4 is installed, stripped the same way, else the
# size recorded from Debian 12's x86-64 package (67432 bytes).  Other architectures' sizes
# differ; the limit is a ratio, so the check means the same on each.
lib=$1
small=$2
[ -f "$lib" ] || { echo "FAIL: no library at $lib (make libev.la first)"; exit 1; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
strip=${STRIP:-strip}
"$strip" -o "$tmp/ng.so" "$lib" || exit 99
ng=$(wc -c < "$tmp/ng.so")
ref=67432
ref_from="Debian 12's libev4 4.33, x86-64"
for system in /usr/lib/*/libev.so.4 /usr/lib/libev.so.4; do
  [ -f "$system" ] || continue
  "$strip" -o "$tmp/libev.so" "$system" 2> /dev/null || continue
  ref=$(wc -c < "$tmp/libev.so")
  ref_from=$system
  break
done
if [ "$small" = yes ]; then
  limit=$((ref * 12 / 10)) kind="--enable-small build" factor=1.2
else
  limit=$((ref * 2)) kind="default build" factor=2
fi
echo "libev-ng ($kind): $ng bytes stripped; libev 4.33 ($ref_from): $ref bytes;" \
  "limit $factor x = $limit bytes"
[ "$ng" -le "$limit" ] || { echo "FAIL: $((ng - limit)) bytes over the limit"; exit 1; }
echo "ok"
