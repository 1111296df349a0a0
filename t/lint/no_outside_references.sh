#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/lint/no_outside_references.sh - everything a reader needs is in the tree: no tracked file
# refers to notes outside the repository (the internal SEMANTICS.md, shared/compat/,
# ../shared/), and every "doc/semantics.md §N" citation names a section that exists
# (a heading "## N. Title" in doc/semantics.md).  Lists such as "doc/semantics.md §7 and
# §15" or "§4, §5, §14" are checked whole.  t/abi/check_abi.sh may name the external ABI
# checker it runs when present.  Needs the git work tree: skipped in a release tarball.
srcdir=${top_srcdir:-.}
command -v git > /dev/null 2>&1 && git -C "$srcdir" rev-parse --is-inside-work-tree > /dev/null 2>&1 || {
  echo "SKIP: not a git work tree"
  exit 77
}
cd "$srcdir" || exit 99
doc=doc/semantics.md
[ -f "$doc" ] || { echo "FAIL: $doc is missing"; exit 1; }
status=0

# 1. no reference to documents outside the tree
outside=$(git ls-files -z | grep -z -v -x -e 't/lint/no_outside_references.sh' -e 't/abi/check_abi.sh' |
  xargs -0 grep -I -n -F -e 'SEMANTICS.md' -e 'shared/compat' -e '../shared' -- 2> /dev/null)
if [ -n "$outside" ]; then
  echo "FAIL: references to notes outside the tree (cite $doc §N or an ev(3) section instead):"
  printf '%s\n' "$outside"
  status=1
fi

# 2. every cited section exists
sections=$(sed -n 's/^## \([0-9][0-9]*\)\. .*/\1/p' "$doc")
[ -n "$sections" ] || { echo "FAIL: $doc has no '## N. Title' headings"; exit 1; }
# one "file:line:N" per cited number; the citation runs from "doc/semantics.md" over a list
# of section signs joined by ",", "and", "or", "-" or spaces
cites=$(git ls-files -z | grep -z -v -x -e "$doc" -e 't/lint/no_outside_references.sh' |
  xargs -0 grep -I -n -o -E 'doc/semantics\.md[[:space:]]*§[0-9]+(([[:space:]]*(,|and|or|-)[[:space:]]*|[[:space:]]+)§[0-9]+)*' -- 2> /dev/null |
  sed 's/doc\/semantics\.md//' | awk -F: '{
    loc = $1 ":" $2; rest = substr($0, length(loc) + 2)
    while (match(rest, /§[0-9]+/)) {
      print loc ":" substr(rest, RSTART + length("§"), RLENGTH - length("§")); rest = substr(rest, RSTART + RLENGTH)
    }
  }')
# citations inside doc/semantics.md itself ("§N" alone)
selfcites=$(grep -n -o '§[0-9][0-9]*' "$doc" | sed "s|^|$doc:|; s/§//")
bad=$(printf '%s\n%s\n' "$cites" "$selfcites" | while IFS= read -r c; do
  [ -n "$c" ] || continue
  n=${c##*:}
  printf '%s\n' "$sections" | grep -q -x "$n" || echo "$c"
done)
if [ -n "$bad" ]; then
  echo "FAIL: citations of sections that $doc does not have (file:line:section):"
  printf '%s\n' "$bad"
  status=1
fi
count=$(printf '%s\n' "$cites" | grep -c .)
files=$(printf '%s\n' "$cites" | cut -d: -f1 | sort -u | grep -c .)
[ "$status" = 0 ] && echo "ok: no outside references; $count citations of $doc in $files files, all of existing sections ($(printf '%s\n' "$sections" | grep -c .) sections)"
exit $status
