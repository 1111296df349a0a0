#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/size/check-size.sh LIBRARY SMALL - the stripped size of libev.so.4 against its limit
# (issue 48): for the default build, at most 200000 bytes on Debian 12 x86-64, 2.966 times libev
# 4.33's there: libuv 1.44's libuv.so.1 (194488 bytes, stripped the same way), the library users
# would pick instead, and 5512 bytes more for streams (issue 61), the loop doing a socket's I/O,
# which libuv does not do for a program (16 KB of the library); for a build configured with
# --enable-small (SMALL=yes), at most 1.5 times libev 4.33's.  libev 4.33's size is that of the system's libev.so.4 of the same
# architecture when Debian's libev4 is installed, stripped the same way, else the size recorded
# from Debian 12's x86-64 package (67432 bytes).  Other architectures' sizes differ; the limits
# are ratios to libev's, so the check means the same on each.
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
# the ELF class and machine, which a multiarch system's other libev4 packages differ in
arch () { readelf -h "$1" 2> /dev/null | grep -E '^ *(Class|Machine):'; }
ng_arch=$(arch "$lib")
for system in /usr/lib/*/libev.so.4 /usr/lib/libev.so.4; do
  [ -f "$system" ] || continue
  [ "$(arch "$system")" = "$ng_arch" ] || continue
  "$strip" -o "$tmp/libev.so" "$system" 2> /dev/null || continue
  ref=$(wc -c < "$tmp/libev.so")
  ref_from=$system
  break
done
if [ "$small" = yes ]; then
  limit=$((ref * 15 / 10)) kind="--enable-small build" factor=1.5
else
  # 200000 bytes in libev's 67432: the same ratio on every architecture
  limit=$((ref * 200000 / 67432)) kind="default build" factor=2.966
fi
echo "libev-ng ($kind): $ng bytes stripped; libev 4.33 ($ref_from): $ref bytes;" \
  "limit $factor x = $limit bytes"
[ "$ng" -le "$limit" ] || { echo "FAIL: $((ng - limit)) bytes over the limit"; exit 1; }
echo "ok"
