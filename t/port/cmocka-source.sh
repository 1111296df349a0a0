#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/port/cmocka-source.sh - cmocka's source for the builds whose toolchain has no cmocka
# (check-musl: t/port/musl.sh; check-windows: t/win32/check.sh): Debian's source package of
# the release, fetched by apt-get source through a private list of Debian's source archive
# (the machine's apt configuration is left alone), unpacked.
#
#   cmocka-source.sh DIR
#
# Unpacks into DIR/src and prints the source directory (DIR/src/cmocka-VERSION); needs
# dpkg-dev (apt-get source) and xz-utils.  The caller builds it with its own compiler.
set -eu

dir=$1
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/apt/parts" "$dir/src"
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  "$codename" > "$dir/apt/parts/debian-src.sources"
apt="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$dir/apt/parts -o Dir::State::Lists=$dir/apt/lists -o Dir::Cache=$dir/apt/cache -o APT::Sandbox::User=root"
# (apt's output goes to stderr: stdout is the answer)
# shellcheck disable=SC2086
apt-get -q $apt update >&2
# shellcheck disable=SC2086
(cd "$dir/src" && apt-get -q $apt source --download-only cmocka) >&2
tar -xJf "$(ls "$dir"/src/cmocka_*.orig.tar.xz)" -C "$dir/src"
rm -rf "$dir/apt"
ls -d "$dir"/src/cmocka-*/ | head -n 1 | sed 's,/$,,'
