#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# embed/check-embed.sh - `make check-embed`: the programs that compile libev into themselves
# (ev(3) EMBEDDING), built from their Debian source packages twice, with the libev they bundle
# and with libev-ng through the kit (embed/), and their own test suites run on both: the same
# tests must pass.
#
#   Perl's EV (libev-perl)       its t/ suite (prove), on every backend (LIBEV_FLAGS)
#   AnyEvent (libanyevent-perl)  its t/ suite with PERL_ANYEVENT_MODEL=EV, on each EV build
#   Ruby's nio4r (ruby-nio4r)    its specs (rspec), on every backend (LIBEV_FLAGS)
#   the differential run          t/compat/embed/run: the project's embedded scenarios in several
#                                 configurations (t/compat/embed/configs), libev 4.33 (Debian's libev
#                                 source, compiled as the oracle) against libev-ng's kit
#
# The host's change is one patch per program (embed/hosts/PROGRAM.patch), applied to the
# unpacked source.  Nothing fetched is kept in the tree: sources, builds and logs go to
# EMBED_BUILD (default $top_builddir/embed/build).  The bundled libev of a package is only
# compiled (its own build), never read.
#
# Environment: top_srcdir, top_builddir; EMBED_SHORT=1 (CI) runs the programs' suites on epoll
# only; EMBED_ONLY='perl compat' (of perl, nio4r, compat) picks what runs.  Needs root or sudo for
# the build dependencies (apt-get).
# A local source tree replaces a package's Debian source where the registry does not serve it
# (embed/README.md): NIO4R_SRC (ruby-nio4r: nio4r 2.5.8's tree, its bundled ext/libev included),
# EV_PERL_SRC (libev-perl), ANYEVENT_SRC (libanyevent-perl), LIBEV_SRC (libev).  It is copied,
# never changed.
# Exit status: 0 when every program that could be fetched passes the same tests both ways.
set -eu
export LC_ALL=C

top_srcdir=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd)
top_builddir=$(cd "${top_builddir:-$top_srcdir}" && pwd)
build=${EMBED_BUILD:-$top_builddir/embed/build}
short=${EMBED_SHORT:-0}
only=${EMBED_ONLY:-perl nio4r compat}
kit=$top_srcdir  # the kit's layout is the tree's: ev.h at the top, embed/ev_ng.cc
hosts=$top_srcdir/embed/hosts
if [ "$short" = 1 ]; then backends="4"; else backends="1 2 4 128"; fi
backend_name () { case $1 in 1) echo select ;; 2) echo poll ;; 4) echo epoll ;; 128) echo io_uring ;; esac; }

. "$top_srcdir/t/port/install-missing.sh"
need () { install_missing check-embed "$@"; }

mkdir -p "$build"
results=$build/results.txt
: > "$results"
status=0

# ---- the sources, through a private apt configuration with the machine's Debian release as
# deb-src (the machine's own lists stay as they are), or a local tree -------------------------
need patch
apt_dir=$build/apt
apt_lists () {
  [ -f "$apt_dir/lists.done" ] && return 0
  need dpkg-dev
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  rm -rf "$apt_dir"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts"
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$codename" > "$apt_dir/parts/debian-src.sources"
  apt-get -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt_dir/parts" \
    -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o APT::Sandbox::User=root update > "$build/apt-update.log"
  touch "$apt_dir/lists.done"
}
# fetch PACKAGE [DIR]: its source in $build/src/PACKAGE: a copy of the local tree DIR when one is
# given (PACKAGE.from names it), else its Debian source (Debian's patches applied); fails when
# the registry does not have it
fetch () {
  if [ -n "${2:-}" ]; then
    [ -d "$2" ] || { echo "check-embed: $2 (the source of $1): no such directory" >&2; return 1; }
    src=$(cd "$2" && pwd)
    [ -d "$build/src/$1" ] && [ "$(cat "$build/src/$1.from" 2> /dev/null)" = "$src" ] && return 0
    rm -rf "$build/src/$1"
    mkdir -p "$build/src"
    cp -a "$src" "$build/src/$1"
    echo "$src" > "$build/src/$1.from"
    echo "check-embed: $1 from the local tree $src" >&2
    return 0
  fi
  if [ -f "$build/src/$1.from" ]; then rm -rf "$build/src/$1" "$build/src/$1.from"; fi
  [ -d "$build/src/$1" ] && return 0
  apt_lists
  mkdir -p "$build/dl"
  (cd "$build/dl" && apt-get -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt_dir/parts" \
     -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o APT::Sandbox::User=root \
     source --download-only "$1" > "$build/fetch-$1.log" 2>&1) || return 1
  dsc=$(ls "$build/dl/$1"_*.dsc | head -1)
  mkdir -p "$build/src"
  dpkg-source -x "$dsc" "$build/src/$1" > /dev/null
}

# prove_counts LOG: "files=N tests=N skipped=N result=PASS" from prove's summary
prove_counts () {
  files=$(sed -n 's/^Files=\([0-9]*\), Tests=\([0-9]*\),.*/\1/p' "$1")
  tests=$(sed -n 's/^Files=\([0-9]*\), Tests=\([0-9]*\),.*/\2/p' "$1")
  skipped=$(grep -c ' skipped' "$1" || true)
  result=$(sed -n 's/^Result: //p' "$1")
  echo "files=${files:-0} tests=${tests:-0} skipped=$skipped result=${result:-NONE}"
}

# record PROGRAM SUITE BACKEND BUNDLED LIBEV-NG: one row of the table; the two must be equal,
# and passing, or name the tests that fail (failed=[...]): then the same fail both ways (a test
# that the backend forced by LIBEV_FLAGS fails with libev itself)
record () {
  printf '%-10s %-22s %-9s | %-44s | %s\n' "$1" "$2" "$3" "$4" "$5" >> "$results"
  case $4 in *result=PASS* | *failed=\[*) ;; *) status=1 ;; esac
  [ "$4" = "$5" ] || status=1
}

# ---- Perl: EV, then AnyEvent on each EV ---------------------------------------------------------
perl_checks () {
  need libperl-dev libcanary-stability-perl libcommon-sense-perl netbase
  if ! fetch libev-perl "${EV_PERL_SRC:-}" || ! fetch libanyevent-perl "${ANYEVENT_SRC:-}"; then
    echo "check-embed: the registry has no source of libev-perl or libanyevent-perl" >&2
    return 1
  fi
  for how in bundled libev-ng; do
    d=$build/perl-EV-$how
    rm -rf "$d"
    cp -a "$build/src/libev-perl" "$d"
    [ $how = bundled ] || patch -s -d "$d" -p1 < "$hosts/libev-perl.patch"
    (cd "$d" && PERL_MM_USE_DEFAULT=1 EV_NG_KIT=$kit perl Makefile.PL > build.log 2>&1 && make >> build.log 2>&1) ||
      { echo "check-embed: EV ($how) did not build: $d/build.log" >&2; tail -20 "$d/build.log" >&2; return 1; }
  done
  # libev-ng's EV exports nothing but its boot function and needs no C++ runtime
  so=$build/perl-EV-libev-ng/blib/arch/auto/EV/EV.so
  if nm -D --defined-only "$so" | grep -q ' ev_'; then
    echo "check-embed: EV.so exports libev-ng's functions (EV_API_STATIC must hide them)" >&2; status=1
  fi
  if ldd "$so" | grep -q 'libstdc++'; then
    echo "check-embed: EV.so needs the C++ runtime" >&2; status=1
  fi
  ae=$build/perl-AnyEvent
  if [ ! -f "$ae/blib/lib/AnyEvent.pm" ]; then
    rm -rf "$ae"
    cp -a "$build/src/libanyevent-perl" "$ae"
    (cd "$ae" && PERL_MM_USE_DEFAULT=1 perl Makefile.PL > build.log 2>&1 && make >> build.log 2>&1) ||
      { echo "check-embed: AnyEvent did not build: $ae/build.log" >&2; return 1; }
  fi
  for b in $backends; do
    for how in bundled libev-ng; do
      d=$build/perl-EV-$how
      (cd "$d" && LIBEV_FLAGS=$b timeout 600 prove -b t/ > "$build/EV-$how-$b.log" 2>&1) || true
      lib=$d/blib
      (cd "$ae" && LIBEV_FLAGS=$b PERL5LIB="$lib/lib:$lib/arch" PERL_ANYEVENT_MODEL=EV PERL_ANYEVENT_LOOP_TESTS=1 \
         timeout 900 prove -b t/ t/handle/ > "$build/AnyEvent-$how-$b.log" 2>&1) || true
    done
    record "EV 4.33" "t/ (prove)" "$(backend_name $b)" "$(prove_counts "$build/EV-bundled-$b.log")" \
      "$(prove_counts "$build/EV-libev-ng-$b.log")"
    record "AnyEvent" "t/ MODEL=EV" "$(backend_name $b)" "$(prove_counts "$build/AnyEvent-bundled-$b.log")" \
      "$(prove_counts "$build/AnyEvent-libev-ng-$b.log")"
  done
}

# ---- Ruby: nio4r ---------------------------------------------------------------------------------
# rspec_counts LOG: "examples=N failures=N pending=N result=PASS", or with failures the failing
# examples (failed=[FILE:LINE ...]) and result=FAIL, from rspec's summary
rspec_counts () {
  line=$(grep -E '^[0-9]+ examples?, [0-9]+ failures?' "$1" | tail -1)
  ex=$(echo "$line" | sed -n 's/^\([0-9]*\) example.*/\1/p')
  fa=$(echo "$line" | sed -n 's/.* \([0-9]*\) failure.*/\1/p')
  pe=$(echo "$line" | sed -n 's/.* \([0-9]*\) pending.*/\1/p')
  if [ -n "$line" ] && [ "${fa:-1}" = 0 ]; then
    echo "examples=${ex:-0} failures=0 pending=${pe:-0} result=PASS"
  else
    failed=$(sed -n 's|^rspec \./spec/\([^ ]*\) #.*|\1|p' "$1" | sort | tr '\n' ' ' | sed 's/ $//')
    echo "examples=${ex:-0} failures=${fa:-?} pending=${pe:-0} failed=[$failed] result=FAIL"
  fi
}

# nio4r_specs HOW BACKEND: its specs on one build, the counts in nio4r-HOW-BACKEND.log
nio4r_specs () {
  (cd "$build/ruby-nio4r-$1" && LIBEV_FLAGS=$2 timeout 900 ruby -I lib -I ext/nio4r -S rspec > "$build/nio4r-$1-$2.log" 2>&1) || true
}

nio4r_checks () {
  if ! fetch ruby-nio4r "${NIO4R_SRC:-}"; then
    echo "check-embed: SKIP nio4r: the package registry does not serve the source of ruby-nio4r" \
      "($(grep -m1 -o '[0-9]* *Not Found' "$build/fetch-ruby-nio4r.log" || echo 'see fetch-ruby-nio4r.log'));" \
      "NIO4R_SRC=DIR gives a local tree (embed/README.md)" >&2
    printf '%-10s %-22s %-9s | %s\n' "nio4r" "spec/ (rspec)" "-" "not run: source not available from the registry" >> "$results"
    return 0
  fi
  if [ ! -f "$build/src/ruby-nio4r/ext/libev/ev.c" ]; then
    echo "check-embed: the source of nio4r has no bundled libev (ext/libev), which its first build compiles" >&2
    return 1
  fi
  # (its spec_helper requires coveralls, which stays quiet outside CI)
  need ruby-dev ruby-rspec rake ruby-coveralls
  for how in bundled libev-ng; do
    d=$build/ruby-nio4r-$how
    rm -rf "$d"
    cp -a "$build/src/ruby-nio4r" "$d"
    if [ $how = libev-ng ]; then
      patch -s -d "$d" -p1 < "$hosts/ruby-nio4r.patch" || { echo "check-embed: embed/hosts/ruby-nio4r.patch does not apply" >&2; return 1; }
      rm -rf "$d/ext/libev"  # (the kit's ev.h only)
    fi
    (cd "$d/ext/nio4r" && EV_NG_KIT=$kit ruby extconf.rb > "$d/build.log" 2>&1 && make >> "$d/build.log" 2>&1) ||
      { echo "check-embed: nio4r ($how) did not build: $d/build.log" >&2; tail -20 "$d/build.log" >&2; return 1; }
  done
  if ldd "$build/ruby-nio4r-libev-ng/ext/nio4r/nio4r_ext.so" | grep -q 'libstdc++'; then
    echo "check-embed: nio4r_ext.so needs the C++ runtime" >&2; status=1
  fi
  for b in $backends; do
    for how in bundled libev-ng; do nio4r_specs $how "$b"; done
    bundled=$(rspec_counts "$build/nio4r-bundled-$b.log")
    ng=$(rspec_counts "$build/nio4r-libev-ng-$b.log")
    if [ "$bundled" != "$ng" ]; then
      # (timing examples may fail under load: once more, both)
      echo "check-embed: nio4r on $(backend_name "$b") differs, run again: $bundled / $ng" >&2
      for how in bundled libev-ng; do nio4r_specs $how "$b"; done
      bundled=$(rspec_counts "$build/nio4r-bundled-$b.log")
      ng=$(rspec_counts "$build/nio4r-libev-ng-$b.log")
    fi
    record "nio4r" "spec/ (rspec)" "$(backend_name "$b")" "$bundled" "$ng"
  done
}

# ---- the differential run: libev 4.33 embedded against libev-ng embedded ---------------------
compat_checks () {
  fetch libev "${LIBEV_SRC:-}" || { echo "check-embed: the registry has no source of libev" >&2; return 1; }
  LIBEV_SRC=$build/src/libev EMBED_COMPAT_BUILD=$build/compat top_srcdir=$top_srcdir \
    sh "$top_srcdir/t/compat/embed/run" > "$build/compat.log" 2>&1
  rc=$?
  cat "$build/compat.log"
  summary=$(sed -n 's/^embed-compat: //p' "$build/compat.log")
  printf '%-10s %-22s %-9s | %s\n' "compat" "t/compat/embed" "4 backends" "${summary:-did not run}" >> "$results"
  [ $rc = 0 ]
}

for p in $only; do
  case $p in
    perl) perl_checks || status=1 ;;
    nio4r) nio4r_checks || status=1 ;;
    compat) compat_checks || status=1 ;;
    *) echo "check-embed: unknown part $p (perl, nio4r, compat)" >&2; exit 2 ;;
  esac
done

echo "check-embed: program, suite, backend | with its bundled libev | with libev-ng (logs in $build)"
cat "$results"
if [ $status = 0 ]; then echo "check-embed: PASS"; else echo "check-embed: FAIL"; fi
exit $status
