#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/lint/clang_format.sh - the library's C++ is formatted as .clang-format says (CONTRIBUTING.md,
# "Style"): base/, fd/, backends/, diag/, watchers/ and loop/.  Formatting differs
# between clang-format releases, so the check runs with a release the tree is known to be
# formatted alike by: 14 (Debian 12's clang-format) or 19 (Debian 13's), whichever is
# installed (clang-format, or clang-format-14 / clang-format-19 beside another release;
# CLANG_FORMAT=PROGRAM picks one), and skips without either.  To format: clang-format -i FILE.
srcdir=${top_srcdir:-.}
cd "$srcdir" || exit 99
releases="14 19"
release_of () { "$1" --version 2> /dev/null | sed -n 's/.*clang-format version \([0-9]*\)\..*/\1/p'; }
cf= seen=
for p in ${CLANG_FORMAT:-} clang-format clang-format-14 clang-format-19; do
  command -v "$p" > /dev/null 2>&1 || continue
  r=$(release_of "$p")
  seen="$seen $p ($r)"
  case " $releases " in *" $r "*) cf=$p; break ;; esac
done
[ -n "$cf" ] || { echo "SKIP: no clang-format ${releases% *} or ${releases#* } (found:${seen:- none})"; exit 77; }
[ -f .clang-format ] || { echo "FAIL: .clang-format is missing"; exit 1; }
files=$(ls base/*.h base/*.cc fd/*.h fd/*.cc backends/*.h backends/*.cc diag/*.h diag/*.cc watchers/*.h watchers/*.cc loop/*.h loop/*.cc)
"$cf" --dry-run -Werror $files || {
  echo "FAIL: not formatted as .clang-format says ($cf -i on the files above)"
  exit 1
}
echo "$(echo "$files" | wc -w) files formatted as .clang-format says ($cf, release $(release_of "$cf"))"
