#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/install/check-install.sh - make check: an installed libev-ng is usable.
#
# `make install DESTDIR=<tmp>` of this build tree, then:
#   1. exactly the expected files are installed (libraries and symlinks, no
#      libev.la, headers, event.h only with --enable-event-header, man page
#      and its HTML rendering, libev.pc, the CMake package), identical to the
#      build's;
#   2. a C program (and a C++ one with ev++.h, and one with event.h when the
#      libevent emulation is built: the installed header, or the source
#      tree's when it is not installed) builds through pkg-config, shared and
#      static, and runs against the installed library;
#   2b. a meson project finds it with dependency('libev') and runs against it;
#   2c. a program compiles the installed embedding kit in and runs (t/embed/prog.c);
#   3. a CMake project finds it with find_package(libev 4.33) and builds and
#      runs against libev::libev and libev::libev_static; the version file
#      accepts and refuses the right requests; a moved copy still works;
#   4. `man -l` renders the installed page, and `man ev_io_start` (and the
#      other page names of man/ev.links) opens it;
#   5. `make uninstall DESTDIR=<tmp>` leaves no file behind, nor the CMake folder.
# pkg-config, cmake or man missing: those parts are skipped and the test reports SKIP
# (77) unless something else failed.

: "${top_builddir:?run the tests through make check}" "${top_srcdir:?}"
. "$top_builddir/t/install/paths.sh"       # prefix, libdir, ... of this build
src=$top_srcdir/t/install
CC=${CC:-cc}
CXX=${CXX:-c++}
# In `make check-sanitize` (t/sanitize.sh) the installed library is
# instrumented: whatever links it needs the same -fsanitize flags.
san=${LIBEV_NG_SANITIZE:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ev-install.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 99' HUP INT TERM
dest=$tmp/dest
failures=0
skipped=

fail () { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass () { echo "ok: $*"; }
die () { echo "FAIL: $*" >&2; exit 1; }
skip () { echo "SKIP: $*"; skipped="$skipped
$*"; }
have () { command -v "$1" >/dev/null 2>&1; }

# bounded: a hung program must not hang make check
run_bounded () {
  if have timeout; then timeout 60 "$@"; else "$@"; fi
}

# The nested make must not join the jobserver of the make running the tests
# (its descriptors are not passed down to tests), nor inherit its goals.
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL

# ---- 0. install ---------------------------------------------------------------------
$make -C "$top_builddir" install DESTDIR="$dest" >"$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log" >&2; die "make install DESTDIR=$dest failed"; }
pass "make install DESTDIR=..."

# ---- 1. the installed files -----------------------------------------------------------
# the page names of the functions ev(3) documents (man/local.mk)
links=$top_builddir/man/ev.links
[ -f "$links" ] || links=$top_srcdir/man/ev.links
[ -s "$links" ] || die "no man/ev.links (make builds it)"
la_var () { sed -n "s/^$1='\\(.*\\)'\$/\\1/p" "$top_builddir/libev.la"; }
library_names=$(la_var library_names)         # libev.so.4.0.0 libev.so.4 libev.so
realname=${library_names%% *}
soname=$(la_var dlname)
static=$(la_var old_library)

{
  for f in $library_names $static; do echo "$libdir/$f"; done
  echo "$includedir/ev.h"
  echo "$includedir/ev++.h"
  [ "$event_header" = yes ] && echo "$includedir/event.h"
  echo "$mandir/man3/ev.3"
  # the tools (tools/local.mk)
  echo "$bindir/ev-top"
  echo "$bindir/ev-gdb"
  echo "$pkgdatadir/ev-gdb.py"
  echo "$mandir/man1/ev-top.1"
  echo "$mandir/man1/ev-gdb.1"
  # the watchdog, a program on the PATH, where the build has it
  if grep -q '^#define EV_NG_HAVE_PROCESS_VM_READV 1' "$top_builddir/config.h" 2> /dev/null; then
    echo "$bindir/ev-watchdog"
    echo "$mandir/man1/ev-watchdog.1"
  fi
  sed "s|^\(.*\)\$|$mandir/man3/\1.3|" "$links"
  echo "$htmldir/ev.html"
  echo "$pkgconfigdir/libev.pc"
  echo "$cmakeconfigdir/libev-config.cmake"
  echo "$cmakeconfigdir/libev-config-version.cmake"
  # the embedding kit (embed/local.mk)
  sed "s|^|$embedkitdir/|" "$top_builddir/embed/kit-files"
} | sort >"$tmp/expected-files"
(cd "$dest" && find . ! -type d | sed 's|^\.||' | sort) >"$tmp/installed-files"
if cmp -s "$tmp/expected-files" "$tmp/installed-files"; then
  pass "installed exactly: $(tr '\n' ' ' <"$tmp/expected-files")"
else
  fail "installed files differ from the expected ones (-expected +installed):"
  diff "$tmp/expected-files" "$tmp/installed-files" | sed 's/^/    /' >&2
fi

if [ -n "$realname" ]; then
  for link in $library_names; do
    [ "$link" = "$realname" ] && continue
    target=$(readlink "$dest$libdir/$link")
    [ "$target" = "$realname" ] || fail "$libdir/$link -> '$target', expected -> $realname"
  done
  if have readelf; then
    got=$(readelf -d "$dest$libdir/$realname" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ "$got" = "$soname" ] && pass "$realname has soname $soname" || fail "soname '$got', expected $soname"
  fi
fi

same () {   # same INSTALLED BUILT
  cmp -s "$dest$1" "$2" && pass "$1 is the build's $(basename "$2")" || fail "$1 differs from $2"
}
same "$includedir/ev.h" "$top_srcdir/ev.h"
same "$includedir/ev++.h" "$top_srcdir/ev++.h"
[ "$event_header" = yes ] && same "$includedir/event.h" "$top_srcdir/event.h"
# (ev.3 is in the tarball: a separate build tree uses the source tree's when it is up to date)
built_page=$top_builddir/man/ev.3
[ -f "$built_page" ] || built_page=$top_srcdir/man/ev.3
same "$mandir/man3/ev.3" "$built_page"
same "$pkgconfigdir/libev.pc" "$top_builddir/libev.pc"
[ -n "$static" ] && same "$libdir/$static" "$top_builddir/.libs/$static"

# ---- 2. pkg-config ----------------------------------------------------------------------
# check_run WHAT OK-LINE LIBRARY PROGRAM...: PROGRAM exits 0, prints OK-LINE
# and ran with LIBRARY (the path of the libev.so it mapped, or "static")
check_run () {
  what=$1 ok=$2 lib=$3
  shift 3
  run_bounded "$@" >"$tmp/run.out" 2>&1
  st=$?
  if [ "$st" -ne 0 ]; then
    fail "$what: exit status $st: $(cat "$tmp/run.out")"
  elif ! grep -q -x -e "$ok" "$tmp/run.out"; then
    fail "$what: no '$ok' in: $(cat "$tmp/run.out")"
  else
    got=$(sed -n 's/^library: //p' "$tmp/run.out")
    if [ "$got" = "$lib" ]; then pass "$what: runs with $lib"; else fail "$what: loaded '$got', expected $lib"; fi
  fi
}

# check_headers WHAT HEADER COMPILER ARGS...: the compilation reads HEADER
# from the installed tree, not from /usr/include (libev-dev, libevent-dev)
check_headers () {
  what=$1 header=$2
  shift 2
  "$@" -M >"$tmp/deps" 2>&1 || { fail "$what: $(cat "$tmp/deps")"; return; }
  tr ' \\' '\n\n' <"$tmp/deps" | grep "/$header\$" >"$tmp/used"
  if [ "$(cat "$tmp/used")" = "$dest$includedir/$header" ]; then
    pass "$what reads the installed $header"
  else
    fail "$what reads $header from: $(cat "$tmp/used")"
  fi
}

if ! have pkg-config; then
  skip "pkg-config not found: install pkg-config"
else
  # only the installed libev.pc; the sysroot maps its paths into DESTDIR
  PKG_CONFIG_LIBDIR=$dest$pkgconfigdir PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR=$dest
  export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
  version=$(pkg-config --modversion libev)
  [ "$version" = 4.33 ] && pass "pkg-config: libev $version" || fail "pkg-config --modversion: '$version'"
  cflags=$(pkg-config --cflags libev) && libs=$(pkg-config --libs libev) \
    || die "pkg-config cannot use the installed libev.pc"
  cflags=$(echo $cflags) libs=$(echo $libs)     # pkg-config ends them with a blank
  [ "$cflags" = "-I$dest$includedir" ] || fail "pkg-config --cflags: '$cflags'"
  [ "$libs" = "-L$dest$libdir -lev" ] || fail "pkg-config --libs: '$libs'"
  static_libs=$(pkg-config --static --libs libev) || fail "pkg-config --static --libs failed"

  cd "$tmp" || exit 99
  if [ -n "$realname" ]; then
    check_headers "hello.c" ev.h $CC $san $cflags -I"$src" -c "$src/hello.c"
    if $CC $san $cflags "$src/hello.c" -o hello $libs >cc.log 2>&1; then
      check_run "hello (pkg-config, shared)" "hello: libev 4.33 ok" "$dest$libdir/$realname" \
        env LD_LIBRARY_PATH="$dest$libdir" ./hello
    else
      fail "hello.c does not build with pkg-config: $(cat cc.log)"
    fi

    check_headers "hello-cxx.cc" ev++.h $CXX $san $cflags -I"$src" -c "$src/hello-cxx.cc"
    if $CXX $san $cflags "$src/hello-cxx.cc" -o hello-cxx $libs >cxx.log 2>&1; then
      check_run "hello-cxx (ev++.h)" "hello-cxx: ev++.h ok" "$dest$libdir/$realname" \
        env LD_LIBRARY_PATH="$dest$libdir" ./hello-cxx
    else
      fail "hello-cxx.cc does not build with pkg-config: $(cat cxx.log)"
    fi

    if [ "$libevent_emulation" = yes ]; then
      # the event_* functions are in libev.so.4 even when event.h is not installed (for
      # programs built elsewhere against libev's event.h): then the source tree's header
      if [ "$event_header" = yes ]; then
        event_cflags=$cflags
        check_headers "hello-event.c" event.h $CC $san $cflags -I"$src" -c "$src/hello-event.c"
      else
        event_cflags="$cflags -I$top_srcdir"
      fi
      if $CC $san $event_cflags "$src/hello-event.c" -o hello-event $libs >ev.log 2>&1; then
        check_run "hello-event (event.h)" "hello-event: event.h ok" "$dest$libdir/$realname" \
          env LD_LIBRARY_PATH="$dest$libdir" ./hello-event
      else
        fail "hello-event.c does not build with pkg-config: $(cat ev.log)"
      fi
    fi
  fi

  if [ -n "$static" ]; then
    # the static archive with the C compiler alone: no C++ runtime needed (libev.a alone
    # static: the system libraries of Libs.private, -lm with clang, stay shared, as glibc's
    # static libm cannot go into a dynamic program)
    static_link=$(echo " $static_libs " | sed 's/ -lev / -Wl,-Bstatic -lev -Wl,-Bdynamic /')
    if $CC $san $cflags "$src/hello.c" -o hello-static $static_link >st.log 2>&1; then
      check_run "hello (pkg-config --static, libev.a)" "hello: libev 4.33 ok" static ./hello-static
    else
      fail "hello.c does not link statically: $(cat st.log)"
    fi
  fi
  unset PKG_CONFIG_LIBDIR PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
fi

# ---- 2b. meson ---------------------------------------------------------------------------
# dependency('libev') finds the installed libev.pc through pkg-config.
if ! have meson || ! have ninja || ! have pkg-config; then
  skip "meson, ninja or pkg-config not found: install meson ninja-build pkg-config"
elif [ -n "$realname" ]; then
  mkdir -p "$tmp/mp" && cp "$src/hello.c" "$src/where.h" "$tmp/mp/" || exit 99
  cat >"$tmp/mp/meson.build" <<'MESON'
project('hello', 'c')
ev = dependency('libev', version : '>= 4.33')
message('libev_ng_version: ' + ev.get_variable(pkgconfig : 'libev_ng_version'))
executable('hello', 'hello.c', dependencies : ev)
MESON
  if env PKG_CONFIG_LIBDIR="$dest$pkgconfigdir" PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR="$dest" \
       CC="$CC $san" meson setup "$tmp/mp/build" "$tmp/mp" >"$tmp/meson.log" 2>&1 \
     && ninja -C "$tmp/mp/build" >>"$tmp/meson.log" 2>&1; then
    grep -q "libev_ng_version: $(sed -n 's/^libev_ng_version=//p' "$dest$pkgconfigdir/libev.pc")" "$tmp/meson.log" \
      || fail "meson: ev.get_variable(pkgconfig : 'libev_ng_version') not the release"
    check_run "hello (meson, dependency('libev'))" "hello: libev 4.33 ok" "$dest$libdir/$realname" \
      env LD_LIBRARY_PATH="$dest$libdir" "$tmp/mp/build/hello"
  else
    fail "meson: dependency('libev') did not build hello.c: $(tail -20 "$tmp/meson.log")"
  fi
fi

# ---- 2c. the embedding kit -------------------------------------------------------------------
# A program compiles the installed kit's embed/ev_ng.cc in (ev(3) EMBEDDING), with the installed
# kit alone on the include path, links it with the C compiler and runs: the installed list holds
# every file the kit needs (t/win32/kit.sh does the same for Windows).
kit=$dest$embedkitdir
mkdir -p "$tmp/kit" && printf '#define EV_STANDALONE 1\n' >"$tmp/kit/config.h"
if ! $CXX -std=c++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics -O1 -I"$kit" -include "$tmp/kit/config.h" \
     -c "$kit/embed/ev_ng.cc" -o "$tmp/kit/ev_ng.o" >"$tmp/kit/log" 2>&1; then
  fail "the installed kit's embed/ev_ng.cc does not compile: $(head -20 "$tmp/kit/log")"
elif ! $CC -O1 -I"$kit" -include "$tmp/kit/config.h" -c "$top_srcdir/t/embed/prog.c" -o "$tmp/kit/prog.o" >"$tmp/kit/log" 2>&1 \
     || ! $CC "$tmp/kit/prog.o" "$tmp/kit/ev_ng.o" -o "$tmp/kit/prog" >"$tmp/kit/log" 2>&1; then
  fail "a program with the installed kit does not build: $(head -20 "$tmp/kit/log")"
elif out=$(run_bounded "$tmp/kit/prog" 2>&1); then
  pass "a program built from the installed kit ($embedkitdir) runs: $out"
else
  fail "a program built from the installed kit fails: $out"
fi

# ---- 3. CMake ---------------------------------------------------------------------------
# cmake_request REQUEST EXACT [PACKAGE-DIR] [EXTRA]: prints find_package's
# answer.  The package directory is given (libev_DIR): the search itself is
# checked by the project above, and a project without languages does not know
# the multiarch directory (lib/x86_64-linux-gnu) to search.
cmake_request () {
  rm -rf "$tmp/cv"
  cmake -S "$src/cmake-version" -B "$tmp/cv" -G "Unix Makefiles" \
    -Dlibev_DIR="${3:-$dest$cmakeconfigdir}" -DREQUEST="$1" -DEXACT="$2" $4 2>&1 \
    | sed -n 's/^-- RESULT //p'
}

# expect_request REQUEST EXACT ANSWER-PREFIX [PACKAGE-DIR] [EXTRA]
expect_request () {
  answer=$(cmake_request "$1" "$2" "$4" "$5")
  case $answer in
    "$3"*) pass "find_package(libev${1:+ $1}${2:+ EXACT})${5:+ with $5}: $answer" ;;
    *) fail "find_package(libev${1:+ $1}${2:+ EXACT})${5:+ with $5}: '$answer', expected '$3...'" ;;
  esac
}

if ! have cmake; then
  skip "cmake not found: install cmake"
else
  cd "$tmp" || exit 99
  if cmake -S "$src/cmake-project" -B cmake-build -G "Unix Makefiles" \
       -DCMAKE_PREFIX_PATH="$dest$prefix" -DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san" >cmake.log 2>&1 \
     && cmake --build cmake-build >>cmake.log 2>&1; then
    pass "CMake project configured and built"
    grep -q -- "-- libev 4.33 from $dest$cmakeconfigdir\$" cmake.log \
      && pass "find_package used $dest$cmakeconfigdir" \
      || fail "find_package did not report libev 4.33 from $dest$cmakeconfigdir: $(grep -- '-- libev' cmake.log)"
    for app in app_shared app_cxx app_vars app_static; do
      [ "$app" = app_static ] && [ -z "$static" ] && continue
      # without a shared library (--disable-shared), libev::libev is libev.a
      if [ "$app" = app_static ] || [ -z "$realname" ]; then lib=static; else lib=$dest$libdir/$realname; fi
      if [ "$app" = app_cxx ]; then ok="hello-cxx: ev++.h ok"; else ok="hello: libev 4.33 ok"; fi
      # no LD_LIBRARY_PATH: CMake's build RPATH must lead to the installed library
      check_run "CMake $app" "$ok" "$lib" "cmake-build/$app"
    done
  else
    fail "the CMake project failed: $(cat cmake.log)"
  fi

  expect_request ""          ""  "found 4.33"
  # the spellings of the name projects use (their own Find modules are FindLibev.cmake,
  # FindLibEV.cmake, FindLIBEV.cmake ...): the same package, with its variables under
  # the name asked for and as LIBEV_*
  # Found by CMake's search under the prefix (a project without languages searches
  # <prefix>/lib*/cmake/<name>*/, not a multiarch libdir: then given by <name>_DIR).
  case ${libdir#"$prefix"/} in
    lib|lib32|lib64|libx32) where="-DCMAKE_PREFIX_PATH=$dest$prefix" ;;
    *) where= ;;
  esac
  for name in Libev LIBEV LibEv LibEV; do
    expect_request 4.33 "" "found 4.33 include=$dest$includedir vars=$dest$includedir,libev::libev,$dest$libdir/${realname:-$static}" \
      "" "-DNAME=$name ${where:--D${name}_DIR=$dest$cmakeconfigdir}"
  done
  expect_request 4           ""  "found 4.33"
  expect_request 4.0         ""  "found 4.33"
  expect_request 4.20        ""  "found 4.33"
  expect_request 4.33        1   "found 4.33"
  expect_request 4.33.0      ""  "found 4.33"
  expect_request 4.34        ""  "not-found"
  expect_request 4.33.1      ""  "not-found"
  expect_request 4.0         1   "not-found"
  expect_request 3           ""  "not-found"
  expect_request 5           ""  "not-found"
  expect_request 4.33        ""  "found 4.33" "" -DCMAKE_SIZEOF_VOID_P=8
  expect_request 4.33        ""  "not-found" "" -DCMAKE_SIZEOF_VOID_P=4
  if cmake --version | awk 'NR == 1 { split ($3, v, "."); exit !(v[1] > 3 || (v[1] == 3 && v[2] >= 19)) }'; then
    expect_request 3.0...5.0   "" "found 4.33"
    expect_request 4.0...4.33  "" "found 4.33"
    expect_request 4.0...\<4.33 "" "not-found"
    expect_request 4.34...5    "" "not-found"
  fi

  # relocatable: a copy of the installed tree elsewhere finds its own files
  cp -R "$dest$prefix" "$tmp/moved"
  moved_package=$tmp/moved/${cmakeconfigdir#"$prefix"/}
  expect_request 4.33 "" "found 4.33 include=$tmp/moved/${includedir#"$prefix"/}" "$moved_package"
  # and a half-removed copy is refused, naming what is missing
  rm -f "$tmp/moved/${includedir#"$prefix"/}/ev.h"
  expect_request 4.33 "" "not-found libev-ng" "$moved_package"
  rm -rf "$tmp/moved"
fi

# ---- 4. man ------------------------------------------------------------------------------
if ! have man; then
  skip "man not found: install man-db"
else
  if MANWIDTH=80 MANPAGER=cat PAGER=cat man -l "$dest$mandir/man3/ev.3" >man.out 2>man.err \
     && [ ! -s man.err ] && grep -q '^NAME' man.out && grep -q 'ev_run' man.out; then
    pass "man -l renders the installed ev.3 ($(wc -l <man.out) lines)"
  else
    fail "man -l $mandir/man3/ev.3: $(head -c 2000 man.err)"
  fi
  # a page name per function: man NAME finds ev(3) (through the .so page)
  for name in ev_io_start ev_timer_again ev_loop_new event_add; do
    grep -qx "$name" "$links" || { fail "$name is not in man/ev.links"; continue; }
    where=$(MANPAGER=cat PAGER=cat man -M "$dest$mandir" -w "$name" 2>&1)
    if [ "$where" = "$dest$mandir/man3/ev.3" ] \
       && MANWIDTH=80 MANPAGER=cat PAGER=cat man -M "$dest$mandir" "$name" 2>&1 | grep -q '^ *ev - libev-ng'; then
      pass "man $name opens ev(3)"
    else
      fail "man $name: '$where', not $dest$mandir/man3/ev.3 (or not ev(3)'s NAME)"
    fi
  done
  pass "$(wc -l <"$links") page names (.so man3/ev.3) installed"
fi

# ---- 4b. no split install -------------------------------------------------------------------
# install-split-check.sh (run by make install before it installs anything) must refuse a
# prefix whose headers the compiler finds by default while -lev links another libev
# (Debian's libev-dev: /usr/local here), and let a private prefix through.
split=$top_srcdir/install-split-check.sh
deb_dev=$(printf 'int main (void) { return 0; }\n' >split.c && ${CC:-cc} split.c -o split -Wl,--no-as-needed -lev -Wl,-t 2>/dev/null | grep '/libev\.so$' | head -n 1)
if [ -n "$deb_dev" ] && echo | ${CC:-cc} -E -Wp,-v -x c - 2>&1 | grep -qx ' /usr/local/include' \
   && [ ! -e /usr/local/lib/libev.so ]; then
  if sh "$split" /usr/local/include /usr/local/lib 2>split.err; then
    fail "install-split-check.sh let /usr/local through while -lev links $deb_dev"
  elif grep -q 'not installing' split.err && grep -q 'pkg-config' split.err && grep -q 'LD_LIBRARY_PATH' split.err; then
    pass "make install to /usr/local refused: -lev links $deb_dev (the three safe routes named)"
  else
    fail "install-split-check.sh refused without naming the routes: $(cat split.err)"
  fi
  EV_INSTALL_SPLIT=ok sh "$split" /usr/local/include /usr/local/lib 2>/dev/null \
    && pass "EV_INSTALL_SPLIT=ok installs anyway" || fail "EV_INSTALL_SPLIT=ok did not let the install through"
else
  echo "# no split possible here (no other libev.so found by -lev, or /usr/local/include not searched)"
fi
sh "$split" "$tmp/private/include" "$tmp/private/lib" 2>split.err \
  && pass "a private prefix installs" || fail "install-split-check.sh refused a private prefix: $(cat split.err)"

# ---- 5. uninstall --------------------------------------------------------------------------
$make -C "$top_builddir" uninstall DESTDIR="$dest" >"$tmp/uninstall.log" 2>&1 \
  || { cat "$tmp/uninstall.log" >&2; fail "make uninstall DESTDIR=$dest failed"; }
(cd "$dest" && find . ! -type d) >"$tmp/left"
if [ -s "$tmp/left" ]; then
  fail "make uninstall left files behind: $(tr '\n' ' ' <"$tmp/left")"
else
  pass "make uninstall removed every file"
fi
if [ -d "$dest$cmakeconfigdir" ]; then
  fail "make uninstall left the CMake folder $cmakeconfigdir"
else
  pass "make uninstall removed the CMake folder"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
if [ -n "$skipped" ]; then
  echo "skipped:$skipped"
  exit 77
fi
exit 0
