#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/lint/licence_headers.sh - every source file of the repository says its licence (LICENSE: BSD
# 2-Clause) in an SPDX line among its first three lines.  Source files: everything git tracks
# except documents (*.md), expected outputs (*.expected), data lists (t/abi/*.txt) and git's
# own files, LICENSE and NEWS themselves, and the Debian files whose format has no comments
# (debian/changelog, copyright, source/format; debian/copyright states the licence).  Needs the git work tree: skipped in a release tarball.
srcdir=${top_srcdir:-.}
command -v git > /dev/null 2>&1 && git -C "$srcdir" rev-parse --is-inside-work-tree > /dev/null 2>&1 || {
  echo "SKIP: not a git work tree"
  exit 77
}
missing=$(git -C "$srcdir" ls-files | grep -v -E '\.(md|expected)$|(^|/)\.gitignore$|(^|/)\.keep$|^t/abi/[^/]*\.txt$|^(LICENSE|NEWS)$|^debian/(changelog|copyright|source/format)$' |
  while read -r f; do
    head -n 3 "$srcdir/$f" | grep -q 'SPDX-License-Identifier: BSD-2-Clause' || echo "$f"
  done)
if [ -n "$missing" ]; then
  echo "no SPDX-License-Identifier line in the first three lines of:"
  echo "$missing"
  exit 1
fi
echo "ok: every source file has its SPDX line"
