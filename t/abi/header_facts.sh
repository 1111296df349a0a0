#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/abi/header_facts.sh - the binary facts of our ev.h and event.h (sizes, alignments and
# member offsets of every public struct, values of every public constant; printed by the
# probe t/abi/header_facts.c) are libev 4.33's:
#   1. our headers, compiled as C ($CC) and as C++ ($CXX): both outputs identical (a layout
#      must not depend on the language of the program);
#   2. those facts equal t/abi/header-facts.expected, recorded from Debian's libev-dev
#      headers: this part needs nothing outside the tree;
#   3. when Debian's /usr/include/ev.h (libev-dev) is installed, the probe is also compiled
#      against it and the two outputs are compared live, so a change of either header is
#      caught even before the .expected file is regenerated.
# Why: programs built against libev 4.33's headers hand their watchers to our library and
# read their members themselves; one moved member or changed constant breaks them silently.
#
# Environment (for maintainers and for testing the test):
#   EV_HEADER_DIR    the directory of the ev.h/event.h to check (default: $top_srcdir)
#   EV_DEBIAN_EV_H   libev 4.33's ev.h (default: /usr/include/ev.h; "none" skips part 3)
#   EMULATOR         runs the probe of a cross build (t/port/cross.sh: qemu-user); part 2
#                    is then skipped unless the target is the record's architecture, and
#                    part 3, Debian's header compiled by the same cross compiler, decides

# `t/abi/header_facts.sh --generate > t/abi/header-facts.expected` rewrites the record:
# ev.h's facts from Debian's header, event.h's from ours (Debian's libev-dev ships no
# event.h: libevent-dev's /usr/include/event.h is libevent's own, a different API).
srcdir=${top_srcdir:-.}
CC=${CC:-cc}; CXX=${CXX:-c++}
inc=${EV_HEADER_DIR:-$srcdir}
debian_h=${EV_DEBIAN_EV_H:-/usr/include/ev.h}
probe=$srcdir/t/abi/header_facts.c
expected=$srcdir/t/abi/header-facts.expected
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ev-hfacts.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM  # so that the EXIT trap cleans up after a signal too
status=0

# the physical path of a file (symbolic links and ".." resolved in its directory)
canonical () {
  case $1 in */*) d=${1%/*} ;; *) d=. ;; esac
  (cd "${d:-/}" 2> /dev/null && echo "$(pwd -P)/${1##*/}")
}

# facts: output label compiler language include-dir [extra flags]
# Compiles and runs the probe; fails (returns 1, diagnostics printed) unless ev.h and
# event.h come from the include dir given: /usr/include/event.h (libevent-dev) or an
# installed ev.h must never stand in for the header under test.  The probe is compiled
# with the compiler's default dialect and without -Werror: warnings are
# header_warnings.sh's business, layouts are this test's.
facts () {
  out=$1 label=$2 cc=$3 lang=$4 dir=$5; shift 5
  # $cc may carry options: split on purpose
  # shellcheck disable=SC2086
  if ! $cc -x "$lang" -I"$dir" "$@" "$probe" -o "$tmp/probe" > "$tmp/log" 2>&1; then
    echo "FAIL $label: the probe does not compile"; sed 's/^/    /' "$tmp/log" | head -30; return 1
  fi
  # the headers named ev.h or event.h the compiler read (-M: one path per word; spaces
  # and line-continuation backslashes become newlines)
  # shellcheck disable=SC2086,SC1003,SC2020
  $cc -x "$lang" -I"$dir" "$@" -M -MT probe "$probe" 2> /dev/null | tr ' \\' '\n\n' \
    | grep -E '(^|/)(ev|event)\.h$' > "$tmp/deps"
  [ -s "$tmp/deps" ] || { echo "FAIL $label: $cc -M names no ev.h"; return 1; }
  while read -r dep; do
    [ "$(canonical "$dep")" = "$(canonical "$dir/${dep##*/}")" ] && continue
    echo "FAIL $label: $dep was included instead of $dir/${dep##*/}"; return 1
  done < "$tmp/deps"
  # shellcheck disable=SC2086
  if ! $EMULATOR "$tmp/probe" > "$out" 2> "$tmp/log"; then
    echo "FAIL $label: the probe failed"; cat "$tmp/log"; return 1
  fi
  echo "ok   $label: $(wc -l < "$out") facts"
}

# event.h's facts when the tree has the header (it is there even with the emulation
# disabled at configure time: programs may still compile against it)
with_event=no
[ -f "$inc/event.h" ] && with_event=yes

if [ "${1:-}" = --generate ]; then
  [ -f "$debian_h" ] || { echo "header_facts.sh: no $debian_h (install libev-dev)" >&2; exit 1; }
  mkdir "$tmp/debian" && cp "$debian_h" "$tmp/debian/ev.h"
  facts "$tmp/deb" "Debian ev.h" "$CC" c "$tmp/debian" >&2 || exit 1
  facts "$tmp/evt" "our event.h" "$CC" c "$inc" -DHEADER_FACTS_EVENT >&2 || exit 1
  echo "# t/abi/header-facts.expected - libev 4.33's header facts on $(uname -m) Linux, printed by"
  echo "# t/abi/header_facts.c; compared by t/abi/header_facts.sh.  Regenerate with"
  echo "#   top_srcdir=. t/abi/header_facts.sh --generate > t/abi/header-facts.expected"
  echo "# ev.h facts: from Debian's libev-dev $(dpkg-query -W -f='${Version}' libev-dev 2>/dev/null) $debian_h."
  echo "# event.h facts (\"event.\" lines): from libev-ng's own event.h, because Debian's libev-dev"
  echo "# ships no event.h; they were cross-checked against the recorded libev 4.33 layout"
  echo "# (struct event: 144 bytes, the libevent members from offset 96)."
  cat "$tmp/deb" "$tmp/evt"
  exit 0
fi

[ -f "$inc/ev.h" ] || { echo "FAIL: no $inc/ev.h"; exit 1; }
[ -f "$expected" ] || { echo "FAIL: no $expected"; exit 1; }

# 1. our headers as C and as C++
facts "$tmp/c" "our ev.h as C ($CC)" "$CC" c "$inc" || status=1
facts "$tmp/cxx" "our ev.h as C++ ($CXX)" "$CXX" c++ "$inc" || status=1
if [ $with_event = yes ]; then
  facts "$tmp/c.evt" "our event.h as C" "$CC" c "$inc" -DHEADER_FACTS_EVENT || status=1
  facts "$tmp/cxx.evt" "our event.h as C++" "$CXX" c++ "$inc" -DHEADER_FACTS_EVENT || status=1
  cat "$tmp/c.evt" >> "$tmp/c" 2> /dev/null; cat "$tmp/cxx.evt" >> "$tmp/cxx" 2> /dev/null
else
  echo "skip event.h: not in $inc"
fi
[ $status = 0 ] || exit 1
if diff -u "$tmp/c" "$tmp/cxx" > "$tmp/diff"; then echo "ok   C and C++ layouts agree"
else echo "FAIL: the headers' facts differ between C (-) and C++ (+):"; cat "$tmp/diff"; status=1; fi

# 2. the recorded facts (comments dropped; event.h's only if the header is there), where the
# target is the architecture they were recorded on (the record's first line names it)
recorded=$(sed -n '1s/.* facts on \([^ ]*\) Linux.*/\1/p' "$expected")
# shellcheck disable=SC2086
target=$($CC -dumpmachine 2> /dev/null | cut -d- -f1)
if [ -n "$recorded" ] && [ -n "$target" ] && [ "$target" != "$recorded" ]; then
  echo "skip t/abi/header-facts.expected: recorded on $recorded, this build is for $target (part 3 compares)"
else
  grep -v '^#' "$expected" > "$tmp/expected"
  if [ $with_event = no ]; then grep -v '^[a-z]* event\.' "$tmp/expected" > "$tmp/e2"; mv "$tmp/e2" "$tmp/expected"; fi
  if diff -u "$tmp/expected" "$tmp/c" > "$tmp/diff"; then echo "ok   identical to t/abi/header-facts.expected"
  else echo "FAIL: facts differ from t/abi/header-facts.expected (- libev 4.33, + ours):"; cat "$tmp/diff"; status=1; fi
fi

# 3. live comparison with Debian's header, if it is there and really libev's (an installed
# libev-ng would define EV_NG).  A Debian header that does not compile with the compilers
# given (libev 4.33's ev.h is not C89: CC="gcc -std=c89") only skips this part: parts 1
# and 2 have judged our headers already.
if [ "$debian_h" = none ]; then
  echo "skip live comparison: EV_DEBIAN_EV_H=none"
elif [ ! -f "$debian_h" ]; then
  echo "skip live comparison: no $debian_h (libev-dev not installed)"
else
  mkdir "$tmp/debian" && cp "$debian_h" "$tmp/debian/ev.h"
  # shellcheck disable=SC2086
  if $CC -I"$tmp/debian" -dM -E -x c "$tmp/debian/ev.h" 2> /dev/null | grep -q '^#define EV_NG '; then
    echo "skip live comparison: $debian_h is libev-ng's, not libev 4.33's"
  elif ! $CC -x c -I"$tmp/debian" -fsyntax-only "$probe" > "$tmp/log" 2>&1 \
       || ! $CXX -x c++ -I"$tmp/debian" -fsyntax-only "$probe" >> "$tmp/log" 2>&1; then
    echo "skip live comparison: $debian_h does not compile here: $(grep -m1 'error' "$tmp/log")"
  elif facts "$tmp/deb" "Debian $debian_h as C" "$CC" c "$tmp/debian" \
       && facts "$tmp/deb.cxx" "Debian $debian_h as C++" "$CXX" c++ "$tmp/debian"; then
    grep -v '^[a-z]* event\.' "$tmp/c" > "$tmp/c.ev"
    grep -v '^[a-z]* event\.' "$tmp/cxx" > "$tmp/cxx.ev"
    if diff -u "$tmp/deb" "$tmp/c.ev" > "$tmp/diff" && diff -u "$tmp/deb.cxx" "$tmp/cxx.ev" >> "$tmp/diff"; then
      echo "ok   identical to Debian's $debian_h (C and C++)"
    else
      echo "FAIL: facts differ from Debian's $debian_h (- Debian, + ours):"; cat "$tmp/diff"; status=1
    fi
  else
    status=1
  fi
fi
exit $status
