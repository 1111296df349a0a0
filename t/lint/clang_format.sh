#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/lint/clang_format.sh - the library's C++ is formatted as .clang-format says (CONTRIBUTING.md,
# "Style"): base/, fd/, backends/, diag/, watchers/ and loop/.  Formatting differs
# between clang-format releases, so the check runs with the release the rules were written
# for (14, Debian 12's) and skips with any other.  To format: clang-format -i FILE.
srcdir=${top_srcdir:-.}
cd "$srcdir" || exit 99
command -v clang-format > /dev/null 2>&1 || { echo "SKIP: clang-format not installed"; exit 77; }
release=$(clang-format --version | sed -n 's/.*clang-format version \([0-9]*\)\..*/\1/p')
[ "$release" = 14 ] || { echo "SKIP: clang-format $release, the rules are checked with 14"; exit 77; }
[ -f .clang-format ] || { echo "FAIL: .clang-format is missing"; exit 1; }
files=$(ls base/*.h base/*.cc fd/*.h fd/*.cc backends/*.h backends/*.cc diag/*.h diag/*.cc watchers/*.h watchers/*.cc loop/*.h loop/*.cc)
clang-format --dry-run -Werror $files || {
  echo "FAIL: not formatted as .clang-format says (clang-format -i on the files above)"
  exit 1
}
echo "$(echo "$files" | wc -w) files formatted as .clang-format says"
