#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# man/check-man.sh - "make check" test of the ev(3) manual page.
#
# 1. podchecker finds no problem in the POD source (when both are available);
# 2. the page renders without a single groff warning, with groff -ww and, if
#    man(1) is installed, with "man --warnings -l" at 80 columns;
# 3. every section the page promises is there;
# 4. every public name declared by ev.h, ev++.h and event.h (the last two
#    when they exist) appears in the rendered text, so that the page cannot
#    silently fall behind the headers.  Names come from man/header-names.pl,
#    which reads the preprocessed headers.  C names must appear as words,
#    names in namespace ev as "ev::name", class members of ev++.h as words
#    in the C++ SUPPORT section;
# 5. the HTML rendering man/ev.html (built by man/local.mk) exists, is not
#    older than the POD, has a <title>, a heading for every =head1 of the
#    POD, no broken link inside the page and no POD ERRORS section, and
#    pod2html itself (when installed) converts the POD without a word on
#    stderr.
#
# Usage: man/check-man.sh [PAGE [HTML]]
#        (defaults: man/ev.3 and man/ev.html, the built files)
# Environment: srcdir (set by the automake test harness; the top source
# directory, where the headers are), CC and CXX (default cc and c++).
# Exit status: 0 pass, 1 fail, 77 skip (groff is not installed: nothing can
# be rendered, so nothing was checked).
set -u

me=check-man
srcdir=${srcdir:-$(dirname "$0")/..}
page=${1:-man/ev.3}
html=${2:-man/ev.html}
# In a separate build tree, make may have found an up-to-date page in the source tree.
[ -e "$page" ] || [ -z "${top_srcdir:-}" ] || [ ! -e "$top_srcdir/$page" ] || page=$top_srcdir/$page
[ -e "$html" ] || [ -z "${top_srcdir:-}" ] || [ ! -e "$top_srcdir/$html" ] || html=$top_srcdir/$html
cc=${CC:-cc}
cxx=${CXX:-c++}
failures=0

say () { printf '%s: %s\n' "$me" "$*"; }
fail () { printf '%s: FAIL: %s\n' "$me" "$*"; failures=$((failures + 1)); }

# Names that a header declares but that are deliberately not documented.
# One per line, "name  reason"; the reason is for the reader of this file.
exclusions='
'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-man.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$page" ]; then
  fail "page $page does not exist (build it with: make man/ev.3)"
  exit 1
fi
say "page: $page"

# ---- 1. the POD source ------------------------------------------------------
pod=$srcdir/man/ev.pod
if [ -f "$pod" ] && command -v podchecker >/dev/null 2>&1; then
  # podchecker's exit status only reflects errors: warnings count as well
  if podchecker -warnings -warnings "$pod" >"$tmp/pod.log" 2>&1 \
     && ! grep -q 'WARNING\|ERROR' "$tmp/pod.log"; then
    say "podchecker $pod: ok"
  else
    fail "podchecker $pod:"
    sed 's/^/    /' "$tmp/pod.log"
  fi
fi

# ---- 1b. the HTML rendering ---------------------------------------------------
# (before the groff checks: it does not need groff)
check_html () {
  if [ ! -s "$html" ]; then
    fail "HTML page $html does not exist or is empty (build it with: make man/ev.html)"
    return
  fi
  if [ -f "$pod" ] && [ "$html" -ot "$pod" ]; then
    fail "$html is older than $pod (rebuild it: make man/ev.html)"
  fi
  if ! command -v perl >/dev/null 2>&1; then
    say "SKIP: HTML structure not checked (no perl)"
    return
  fi
  # the =head1 names of the POD, HTML-escaped as pod2html writes them
  [ -f "$pod" ] && sed -n 's/^=head1[[:space:]][[:space:]]*//p' "$pod" \
    | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' >"$tmp/head1" || : >"$tmp/head1"
  if ! perl -e '
      my ($html, $heads) = @ARGV;
      local $/;
      open my $h, "<", $html or die "cannot read $html: $!\n";
      my $t = <$h>;
      my @bad;
      push @bad, "no <title>" unless $t =~ m{<title>\s*\S[^<]*</title>};
      push @bad, "a POD ERRORS section (pod2html found POD errors)" if $t =~ /POD ERRORS/;
      push @bad, "no </html> at the end (truncated?)" unless $t =~ m{</html>\s*\z};
      my %id = map { $_ => 1 } $t =~ /\bid="([^"]*)"/g;
      my %seen;
      for my $ref ($t =~ /\bhref="#([^"]*)"/g) {
        push @bad, "a link to #$ref, which is no anchor in the page" unless $id{$ref} || $seen{$ref}++;
        $seen{$ref} = 1;
      }
      my %h1 = map { $_ => 1 } $t =~ m{<h1\b[^>]*>(.*?)</h1>}gs;
      open my $f, "<", $heads or die;
      my $n = 0;
      for my $name (split /\n/, <$f>) {
        $n++;
        push @bad, "no <h1> heading \"$name\"" unless $h1{$name};
      }
      push @bad, "no =head1 names to look for" unless $n;
      print map { "    $_\n" } @bad;
      exit(@bad ? 1 : 0);
    ' "$html" "$tmp/head1" >"$tmp/html.log" 2>&1; then
    fail "HTML page $html:"
    cat "$tmp/html.log"
  else
    say "HTML page $html: title, $(wc -l <"$tmp/head1") =head1 headings, internal links: ok"
  fi
  # pod2html must have nothing to say about the source (the build rule
  # fails then, too); its cache goes to the temporary directory
  if [ -f "$pod" ] && command -v pod2html >/dev/null 2>&1; then
    if pod2html --cachedir="$tmp" --infile="$pod" --outfile="$tmp/check.html" --title=check \
         >"$tmp/pod2html.log" 2>&1 && [ ! -s "$tmp/pod2html.log" ]; then
      say "pod2html $pod: no complaints"
    else
      fail "pod2html $pod reports:"
      sed 's/^/    /' "$tmp/pod2html.log"
    fi
  fi
}
check_html

# ---- 2. rendering without warnings ------------------------------------------
if ! command -v groff >/dev/null 2>&1; then
  say "SKIP: groff is not installed, the page cannot be rendered"
  exit 77
fi

groff -man -ww -z -Tutf8 "$page" >"$tmp/groff.log" 2>&1
if [ -s "$tmp/groff.log" ]; then
  fail "groff -man -ww -z reports warnings:"
  sed 's/^/    /' "$tmp/groff.log"
else
  say "render (groff -man -ww -z): no warnings"
fi

if command -v man >/dev/null 2>&1; then
  # MAN_DISABLE_SECCOMP: man-db's sandbox fails in some containers, which
  # would show up as a message on stderr that has nothing to do with the page
  LC_ALL=C.UTF-8 MANWIDTH=80 MAN_DISABLE_SECCOMP=1 man --warnings -l "$page" 2>"$tmp/man.log" >/dev/null
  if [ -s "$tmp/man.log" ]; then
    fail "man --warnings -l (MANWIDTH=80) reports warnings:"
    sed 's/^/    /' "$tmp/man.log"
  else
    say "render (man --warnings -l, MANWIDTH=80): no warnings"
  fi
fi

# Plain text for the searches: very long lines, so that no name is split
# across lines; -P-cbou drops all bold/underline overstriking.
if ! groff -man -Tascii -P-cbou -rLL=400n "$page" >"$tmp/page.txt" 2>/dev/null \
   || [ ! -s "$tmp/page.txt" ]; then
  fail "cannot render $page to text"
  exit 1
fi

# ---- 3. the sections --------------------------------------------------------
missing_sections=0
for section in NAME SYNOPSIS DESCRIPTION 'GLOBAL FUNCTIONS' \
    'FUNCTIONS CONTROLLING EVENT LOOPS' 'ANATOMY OF A WATCHER' 'WATCHER STATES' \
    'GENERIC WATCHER FUNCTIONS' 'WATCHER PRIORITY MODELS' 'WATCHER TYPES' \
    'OTHER FUNCTIONS' 'COMMON IDIOMS' 'THREADS AND SIGNALS' FORK \
    'INTEGRATING WITH OTHER EVENT LOOPS' 'ERROR HANDLING' DEBUGGING \
    'COMPILE-TIME CONFIGURATION' 'PORTABILITY NOTES' 'ALGORITHMIC COMPLEXITIES' \
    'PORTING FROM LIBEV 3.X' 'C++ SUPPORT' \
    'LIBEVENT EMULATION' 'LIBEV-NG VERSIONS' 'LIBEV-NG EXTENSIONS' 'DIFFERENCES FROM LIBEV 4.33' GLOSSARY \
    ENVIRONMENT EXAMPLE 'REPORTING BUGS' 'SEE ALSO'; do
  if ! grep -qxF "$section" "$tmp/page.txt"; then
    fail "section missing: $section"
    missing_sections=$((missing_sections + 1))
  fi
done
for sub in ev_io ev_timer ev_periodic ev_signal ev_child ev_stat ev_idle \
    'ev_prepare and ev_check' ev_embed ev_fork ev_cleanup ev_async; do
  if ! grep -qx "   $sub" "$tmp/page.txt"; then
    fail "watcher subsection missing: $sub"
    missing_sections=$((missing_sections + 1))
  fi
done
[ "$missing_sections" -eq 0 ] && say "sections: all present"

# ---- 4. every declared name is documented -----------------------------------
# extract LANG HEADER VARIANTS: the names HEADER declares, in each of the
# configurations listed in VARIANTS (separated by "|"; "default" means no
# extra options), so that names of non-default configurations count too.
extract () {
  lang=$1 header=$2 variants=$3
  case $lang in
    c) compiler=$cc; std=-std=gnu11 ;;
    *) compiler=$cxx; std=-std=c++17 ;;
  esac
  : >"$tmp/names.raw"
  rest=$variants
  while [ -n "$rest" ]; do
    variant=${rest%%|*}
    case $rest in *"|"*) rest=${rest#*|} ;; *) rest= ;; esac
    [ "$variant" = default ] && variant=
    # $variant is a list of cpp options: split it on purpose
    # shellcheck disable=SC2086
    if ! $compiler -E -dD -x "$lang" $std -I"$srcdir" $variant "$header" >"$tmp/pp.out" 2>"$tmp/pp.err"; then
      fail "cannot preprocess $header ($compiler $std $variant):"
      sed 's/^/    /' "$tmp/pp.err"
      return 1
    fi
    perl "$srcdir/man/header-names.pl" --header "$header" --lang "$lang" <"$tmp/pp.out" >>"$tmp/names.raw" \
      || { fail "man/header-names.pl failed on $header"; return 1; }
  done
  sort -u "$tmp/names.raw"
}

# The scanner itself: on a header with known contents it must report
# exactly the public names (otherwise a scanner bug could hide missing
# documentation instead of reporting it).
scanner_self_test () {
  cat >"$tmp/fixture.h" <<'FIXTURE'
#ifndef FIXTURE_H_
#define FIXTURE_H_
#define FIX_PUBLIC 1
#define FIX_HELPER 2
#undef FIX_HELPER
typedef void (*fix_cb) (int);
typedef struct fix_s { int member; struct { int x; } nested; } fix_t;
enum { FIX_A = 1, FIX_B = (2 + 3), FIX_C };
extern int fix_var;
void (*fix_returns_cb (void (*param) (int))) (int);
static inline int fix_inline (int a = 0, int b = (1 + 2)) { return a == b; }
namespace ev {
  typedef int tstamp;
  struct pub : fix_s
  {
    pub (int x = 0) : d (x) { }
    ~pub () { }
    bool operator == (const pub &) const { return true; }
    void method (int x = 1) noexcept { int local = x; (void)local; }
    int d;
    template<class K, void (K::*m) (int)> void tmpl (K *o) { }
  protected:
    void hidden_protected ();
  private:
    void hidden_private ();
  };
  class cls { void hidden_default (); public: void shown (); };
  inline int free_fn (int v) { return v; }
  namespace detail { void hidden_nested (); }
  enum how_t { ONE = 1, ALL };
}
#endif
FIXTURE
  cat >"$tmp/fixture.expected" <<'EXPECTED'
c FIX_A
c FIX_B
c FIX_C
c fix_cb
c fix_inline
c fix_returns_cb
c fix_s
c fix_t
c fix_var
macro FIX_PUBLIC
member d
member method
member shown
member tmpl
ns ALL
ns ONE
ns cls
ns free_fn
ns how_t
ns pub
ns tstamp
EXPECTED
  if ! $cxx -E -dD -x c++ -std=c++17 "$tmp/fixture.h" >"$tmp/fixture.pp" 2>"$tmp/fixture.err"; then
    fail "cannot preprocess the scanner fixture with $cxx:"
    sed 's/^/    /' "$tmp/fixture.err"
    return 1
  fi
  perl "$srcdir/man/header-names.pl" --header "$tmp/fixture.h" --lang c++ <"$tmp/fixture.pp" \
    | LC_ALL=C sort >"$tmp/fixture.got"
  if ! cmp -s "$tmp/fixture.expected" "$tmp/fixture.got"; then
    fail "man/header-names.pl reports wrong names for its fixture (- expected, + reported):"
    diff -u "$tmp/fixture.expected" "$tmp/fixture.got" | sed -n 's/^\([-+][^-+]\)/    \1/p'
    return 1
  fi
  say "name scanner self-test: ok"
}

# The C++ section of the rendered page, for the member names of ev++.h.
sed -n '/^C++ SUPPORT$/,/^LIBEVENT EMULATION$/p' "$tmp/page.txt" >"$tmp/cxx.txt"

check_header () {
  lang=$1 file=$2 variants=$3 probe=$4
  header=$srcdir/$file
  if [ ! -f "$header" ]; then
    say "$file: not present, skipped"
    return 0
  fi
  extract "$lang" "$header" "$variants" >"$tmp/names" || return 0
  total=$(wc -l <"$tmp/names")
  # the scanner must at least find one name we know is there
  if ! grep -qxF "$probe" "$tmp/names"; then
    fail "$file: the name scanner did not find \"$probe\" ($total names found): man/header-names.pl is broken"
    return 0
  fi
  missing=0
  while read -r kind name; do
    if printf '%s\n' "$exclusions" | grep -q "^$name[[:space:]]"; then
      continue
    fi
    case $kind in
      ns) pattern="ev::$name"; where=$tmp/page.txt ;;
      member) pattern=$name; where=$tmp/cxx.txt ;;
      *) pattern=$name; where=$tmp/page.txt ;;
    esac
    # a whole word: not preceded or followed by an identifier character
    if ! grep -q "\(^\|[^A-Za-z0-9_]\)$pattern\([^A-Za-z0-9_]\|\$\)" "$where"; then
      case $kind in
        member) fail "$file: class member $name is not mentioned in the C++ SUPPORT section" ;;
        ns) fail "$file: ev::$name is not documented" ;;
        macro) fail "$file: macro $name is not documented" ;;
        *) fail "$file: $name is not documented" ;;
      esac
      missing=$((missing + 1))
    fi
  done <"$tmp/names"
  say "$file: $total public names, $missing missing from the page"
}

command -v perl >/dev/null 2>&1 || { fail "perl is needed to scan the headers"; exit 1; }

scanner_self_test

check_header c ev.h "default|-DEV_MULTIPLICITY=0|-DEV_COMPAT3=0|-DEV_WALK_ENABLE=1" "c ev_run"
check_header c event.h "default" "c event_add"
check_header c++ ev++.h "default|-DEV_USE_STDEXCEPT=0" "ns io"

if [ "$failures" -ne 0 ]; then
  say "FAIL: $failures problem(s)"
  exit 1
fi
say "PASS"
exit 0
