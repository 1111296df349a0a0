#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/port/musl.sh - the recipe of `make check-musl` (t/port/local.mk): the library built
# against musl instead of glibc, and its C suites run on it.
#
#   musl.sh SRCDIR DEST
#
# The route (Debian has musl-gcc but no C++ toolchain, and no cmocka, for musl):
# 1. installs what is missing (apt-get, as build.sh): musl-tools (musl-gcc), cmake, dpkg-dev;
# 2. builds cmocka for musl once, in DEST-cmocka: its Debian source package
#    (t/port/cmocka-source.sh), compiled with musl-gcc;
# 3. configures a separate tree DEST/build (t/port/build-tree.sh) with CC=musl-gcc and
#    CXX=t/port/musl-g++ (g++ compiling against musl's headers; the core needs no C++
#    runtime and is linked by musl-gcc), the kernel's headers (linux/, asm/) beside musl's,
#    --enable-werror;
# 4. runs the C suites (every test program with a .c source) and the ABI scripts that need
#    no C++ program, natively: the programs load musl's dynamic loader.
# Not covered: ev++.h's suites and the C++ examples (no libstdc++ for musl here).
set -eu

src=$1
dest=$2

. "$src/t/port/install-missing.sh"
install_missing check-musl musl-tools cmake dpkg-dev xz-utils
triplet=$(gcc -dumpmachine | sed 's/-gnu$/-musl/')

# ---- cmocka for musl (kept between runs) ----------------------------------------------------
cm=$dest-cmocka
if [ ! -f "$cm/lib/pkgconfig/cmocka.pc" ]; then
  rm -rf "$cm"
  cmsrc=$(sh "$src/t/port/cmocka-source.sh" "$cm")
  mkdir "$cm/build"
  (cd "$cm/build" && CC=musl-gcc cmake -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$cm" \
     -DCMAKE_INSTALL_LIBDIR=lib -DUNIT_TESTING=OFF -DWITH_EXAMPLES=OFF "$cmsrc" > "$cm/cmake.log" \
     && make -j"$(nproc)" install > "$cm/make.log") || { echo "check-musl: building cmocka failed (logs in $cm)" >&2; exit 1; }
  rm -rf "$cm/build"
fi

# ---- the kernel's headers beside musl's --------------------------------------------------------
tree=$(sh "$src/t/port/build-tree.sh" "$src" "$dest")
kh=$dest/kernel-headers
mkdir -p "$kh"
ln -s /usr/include/linux "$kh/linux"
ln -s /usr/include/asm-generic "$kh/asm-generic"
ln -s "/usr/include/$(gcc -dumpmachine)/asm" "$kh/asm"
KERNEL_HEADERS=$kh
export KERNEL_HEADERS

# ---- configure, build, run -----------------------------------------------------------------
cd "$dest/build"
echo "check-musl: $triplet in $dest/build"
"$tree/configure" --quiet --enable-werror CC=musl-gcc CXX="$tree/t/port/musl-g++" \
  CPPFLAGS="-isystem $kh" PKG_CONFIG_LIBDIR="$cm/lib/pkgconfig" LDFLAGS="-Wl,-rpath,$cm/lib"
jobs=$(nproc 2> /dev/null || echo 2)
# the library (not `all`: the C++ example needs a C++ runtime)
make -j"$jobs" libev.la
# the C suites, and the ABI scripts that build no C++ program
tests=
for t in $(make -s print-tests); do
  case $t in
    t/port/imports.sh | t/abi/exported_symbols.sh | t/abi/no_cxx_runtime.sh | t/abi/symbols_file.sh | \
      t/abi/c_link.sh | t/abi/abidiff.sh) tests="$tests $t" ;;
    *.sh) ;;
    *) [ -f "$tree/$t.c" ] && tests="$tests $t" ;;
  esac
done
# (make check would build every test program, the C++ ones too: the suite's log is made from
# these tests' logs, each of which builds its own program only)
# shellcheck disable=SC2086
make -j"$jobs" $(printf '%s\n' $tests | grep -v '\.sh$')
make -j"${CHECK_JOBS:-1}" test-suite.log TESTS="$tests"
