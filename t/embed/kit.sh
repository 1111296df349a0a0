#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/embed/kit.sh - the embedding kit (ev(3) EMBEDDING, embed/README.md) from a copy of exactly
# the files it installs (embed/kit-files): embed/ev_ng.cc compiled by $CXX with a program's
# configuration symbols, linked by $CC with t/embed/prog.c compiled with the same symbols, run:
#   default   EV_STANDALONE alone (defined empty, as nio4r does)
#   perl      Perl EV's symbols (EV_API_STATIC, a six-member EV_COMMON): a shared object that
#             exports none of the core's names and needs no C++ runtime
#   single    EV_MULTIPLICITY 0, a three-member EV_COMMON, its own EV_CB_DECLARE and
#             EV_CB_INVOKE (counting calls), priorities -1 .. 1, periodic, stat and fork
#             watchers left out (and then not compiled: no such symbols), EV_NSIG 33,
#             EV_VERIFY 3 (ev_verify after every change)
#   small     EV_FEATURES 0 with select only, EV_AVOID_STDIO: no stdio in the core
#   off       one priority (no priority member), periodic, fork and cleanup watchers left out
#             (ev_embed keeps its own fork watcher, as libev's does)
# and in default and single, a program's wait callback (ev_ng_set_wait_cb, t/embed/wait_cb.c) on
# every backend,
# the layout of each configuration is libev 4.33's (Debian's ev.h compiled with the same
# symbols), and every symbol that cannot mean here what it means in libev stops the
# compilation with an error that names it.  The programs run under $EMULATOR in a cross build
# (t/port/cross.sh), as the suites do.
set -u
EMULATOR=${EMULATOR:-}
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
CC=${CC:-cc}
CXX=${CXX:-c++}
list=$top_builddir/embed/kit-files
[ -f "$list" ] || { echo "no $list (make builds it)"; exit 99; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
pass () { echo "PASS: $*"; }
fail () { echo "FAIL: $*"; fails=$((fails + 1)); }

kit=$tmp/kit
while read -r f; do
  mkdir -p "$kit/$(dirname "$f")" && cp "$top_srcdir/$f" "$kit/$f" || { echo "kit file $f missing"; exit 99; }
done < "$list"
CXXFLAGS_KIT="-std=c++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics -O1 -Wall -Wextra -Werror"

# config NAME: the program's configuration header
config () {
  case $1 in
    default) printf '#define EV_STANDALONE /* empty, as nio4r defines it */\n' ;;
    perl) cat << 'EOF' ;;
#define EV_STANDALONE 1
#define EV_PROTOTYPES 1
#define EV_USE_FLOOR 1
#define EV_API_STATIC
#define EV_CONFIG_H error
typedef struct sv SV;
#define EV_COMMON int e_flags; SV *loop; SV *self; SV *cb_sv, *fh, *data;
EOF
    single) cat << 'EOF' ;;
#define EV_STANDALONE 1
#define EV_MULTIPLICITY 0
#define EV_MINPRI (-1)
#define EV_MAXPRI 1
#define EV_COMMON int tag; void *data; const char *name;
#define EV_CB_DECLARE(type) void (*cb) (EV_P_ struct type *w, int revents); int cb_calls;
#define EV_CB_INVOKE(w, revents) (++(w)->cb_calls, (w)->cb (EV_A_ (w), (revents)))
#define EV_PERIODIC_ENABLE 0
#define EV_STAT_ENABLE 0
#define EV_FORK_ENABLE 0
#define EV_NSIG 33
#define EV_VERIFY 3
EOF
    small) cat << 'EOF' ;;
#define EV_STANDALONE 1
#define EV_FEATURES 0
#define EV_USE_4HEAP 1
#define EV_USE_SELECT 1
#define EV_USE_MONOTONIC 1
#define EV_AVOID_STDIO 1
EOF
    off) cat << 'EOF' ;;
#define EV_STANDALONE 1
#define EV_PERIODIC_ENABLE 0
#define EV_FORK_ENABLE 0
#define EV_CLEANUP_ENABLE 0
#define EV_MINPRI 0
#define EV_MAXPRI 0
EOF
  esac
}

for c in default perl single small off; do
  d=$tmp/$c
  mkdir -p "$d"
  config $c > "$d/config.h"
  # shellcheck disable=SC2086
  if ! $CXX $CXXFLAGS_KIT -fPIC -I"$kit" -include "$d/config.h" -c "$kit/embed/ev_ng.cc" -o "$d/core.o" > "$d/log" 2>&1; then
    fail "$c: embed/ev_ng.cc does not compile"; sed 's/^/    /' "$d/log"; continue
  fi
  if ! $CC -O1 -Wall -Werror -fPIC -I"$kit" -include "$d/config.h" -c "$top_srcdir/t/embed/prog.c" -o "$d/prog.o" > "$d/log" 2>&1; then
    fail "$c: t/embed/prog.c does not compile against the kit's ev.h"; sed 's/^/    /' "$d/log"; continue
  fi
  # the C driver: a C++ runtime reference would not link (and libm only with EV_USE_FLOOR 1,
  # as with libev)
  libs=
  [ $c = perl ] && libs=-lm
  # shellcheck disable=SC2086
  if ! $CC "$d/prog.o" "$d/core.o" $libs -o "$d/prog" > "$d/log" 2>&1; then
    fail "$c: does not link with the C compiler alone"; sed 's/^/    /' "$d/log"; continue
  fi
  # (status 4: the machine held the program up past its timers, 3 runs at most)
  for attempt in 1 2 3; do
    # shellcheck disable=SC2086
    out=$($EMULATOR "$d/prog" 2>&1); status=$?
    [ "$status" = 4 ] || break
    echo "retry: $c (run $attempt of 3): $out"
  done
  if [ "$status" = 0 ]; then pass "$c: $out"; else fail "$c: $out"; fi
  case $c in
    perl)
      $CC -shared -Wl,-z,defs "$d/prog.o" "$d/core.o" -lm -o "$d/host.so" 2> "$d/log" || { fail "perl: no shared object"; continue; }
      exported=$(nm -D --defined-only "$d/host.so" | awk '$3 ~ /^(ev_|_ZN9ev_detail)/ {print $3}' | tr '\n' ' ')
      [ -z "$exported" ] && pass "perl: EV_API_STATIC: the shared object exports none of the core's names" \
        || fail "perl: EV_API_STATIC: exported $exported"
      ;;
    single)
      defined=$(nm "$d/core.o" | awk '$2 == "T" && $3 ~ /^ev_((periodic|stat|fork|embed)_|loop_new$|now$)/ {print $3}' | tr '\n' ' ')
      [ -z "$defined" ] && pass "single: left-out watcher types and multiplicity functions are not compiled" \
        || fail "single: defines $defined"
      ;;
    small)
      stdio=$(nm -u "$d/core.o" | awk '{print $2}' | grep -E '^(printf|fprintf|snprintf|vsnprintf|sprintf|perror|fputs|fwrite|stderr|stdout)$' | tr '\n' ' ')
      [ -z "$stdio" ] && pass "small: EV_AVOID_STDIO: the core uses no stdio" || fail "small: the core uses $stdio"
      ;;
  esac
done

# ev_ng_set_wait_cb (embed/ev_ng_embed.h), with and without multiplicity, on every backend that
# runs here: t/embed/wait_cb.c
for c in default single; do
  d=$tmp/$c
  [ -f "$d/core.o" ] || continue
  if ! $CC -O1 -Wall -Werror -I"$kit" -include "$d/config.h" -c "$top_srcdir/t/embed/wait_cb.c" -o "$d/wait_cb.o" > "$d/log" 2>&1 ||
    ! $CC "$d/wait_cb.o" "$d/core.o" -pthread -o "$d/wait_cb" >> "$d/log" 2>&1; then
    fail "$c: t/embed/wait_cb.c does not build"; sed 's/^/    /' "$d/log"; continue
  fi
  for b in 1 2 4 128; do
    # shellcheck disable=SC2086
    out=$($EMULATOR "$d/wait_cb" $b 2>&1)
    case $? in
      0) pass "$c, backend $b: ev_ng_set_wait_cb: $out" ;;
      77) echo "SKIP: $c, backend $b: ev_ng_set_wait_cb: the backend does not run here" ;;
      *) fail "$c, backend $b: ev_ng_set_wait_cb: $out" ;;
    esac
  done
done

# the layouts of the four configurations, and of a few more, against Debian's libev 4.33 ev.h
# (never a silently different layout): t/embed/layout.c compiled against both
if [ -f /usr/include/ev.h ] && ! grep -q EV_NG /usr/include/ev.h; then
  mkdir -p "$tmp/deb" && cp /usr/include/ev.h "$tmp/deb/ev.h"
  printf '#define EV_STANDALONE 1\n#define EV_FEATURES 0\n#define EV_MULTIPLICITY 1\n#define EV_EMBED_ENABLE 1\n' > "$tmp/f0embed.h"
  for c in "$tmp/default/config.h" "$tmp/perl/config.h" "$tmp/single/config.h" "$tmp/small/config.h" "$tmp/off/config.h" \
    "$tmp/f0embed.h"; do
    n=${c#"$tmp"/}
    if $CC -w -I"$tmp/deb" -include "$c" "$top_srcdir/t/embed/layout.c" -o "$tmp/layout-libev" 2> "$tmp/layout.log" &&
      $CC -w -I"$kit" -include "$c" "$top_srcdir/t/embed/layout.c" -o "$tmp/layout-ng" 2>> "$tmp/layout.log"; then
      # shellcheck disable=SC2086
      $EMULATOR "$tmp/layout-libev" > "$tmp/layout-libev.txt"
      $EMULATOR "$tmp/layout-ng" > "$tmp/layout-ng.txt"
      if cmp -s "$tmp/layout-libev.txt" "$tmp/layout-ng.txt"; then
        pass "layout of $n: the same as libev 4.33's ($(head -1 "$tmp/layout-ng.txt"))"
      else
        fail "layout of $n differs from libev 4.33's (- libev, + libev-ng):"
        diff "$tmp/layout-libev.txt" "$tmp/layout-ng.txt" | sed 's/^/    /'
      fi
    else
      fail "layout of $n: t/embed/layout.c does not compile"; sed 's/^/    /' "$tmp/layout.log" | head -5
    fi
  done
else
  echo "SKIP: layouts: no Debian libev 4.33 ev.h in /usr/include (libev-dev)"
fi

# refused SYMBOLS: the compilation must stop with an error naming the first symbol
refused () {
  name=$1; shift
  printf '%s\n' "$@" > "$tmp/refused.h"
  if $CXX $CXXFLAGS_KIT -I"$kit" -include "$tmp/refused.h" -fsyntax-only "$kit/embed/ev_ng.cc" > "$tmp/refused.log" 2>&1; then
    fail "$name: compiled"
  elif grep -q "error.*$name" "$tmp/refused.log"; then
    pass "$name: refused, the error names it"
  else
    fail "$name: refused without naming it"; sed 's/^/    /' "$tmp/refused.log" | head -5
  fi
}
refused EV_USE_KQUEUE '#define EV_STANDALONE 1' '#define EV_USE_KQUEUE 1'
refused EV_USE_PORT '#define EV_STANDALONE 1' '#define EV_USE_PORT 1'
refused EV_USE_LINUXAIO '#define EV_STANDALONE 1' '#define EV_USE_LINUXAIO 1'
refused EV_RECOMMEND_IOURING '#define EV_STANDALONE 1' '#define EV_RECOMMEND_IOURING 1'
refused EV_USE_MONOTONIC '#define EV_STANDALONE 1' '#define EV_USE_MONOTONIC 0'
refused EV_USE_4HEAP '#define EV_STANDALONE 1' '#define EV_USE_4HEAP 0'
refused EV_USE_4HEAP '#define EV_STANDALONE 1' '#define EV_FEATURES 0' '#define EV_USE_SELECT 1'
refused EV_TSTAMP_T '#define EV_STANDALONE 1' '#define EV_TSTAMP_T long double'
refused EV_SELECT_IS_WINSOCKET '#define EV_STANDALONE 1' '#define EV_SELECT_IS_WINSOCKET 1'
refused EV_AVOID_STDIO '#define EV_STANDALONE 1' '#define EV_AVOID_STDIO 1' '#define EV_WALK_ENABLE 1'
# libev's own ev.h (EV_H names it): not libev-ng's declarations
printf '#ifndef EV_H_\n#define EV_H_\n#define EV_VERSION_MAJOR 4\n#endif\n' > "$tmp/libev-ev.h"
refused EV_H '#define EV_STANDALONE 1' "#define EV_H \"$tmp/libev-ev.h\""
# a C++ runtime would be needed with exceptions on
if $CXX -std=c++20 -I"$kit" -include "$tmp/default/config.h" -fsyntax-only "$kit/embed/ev_ng.cc" > "$tmp/exc.log" 2>&1; then
  fail "exceptions on: compiled"
elif grep -q "error.*-fno-exceptions" "$tmp/exc.log"; then
  pass "exceptions on: refused, the error names -fno-exceptions"
else
  fail "exceptions on: refused without naming -fno-exceptions"
fi

[ $fails = 0 ] || exit 1
exit 0
