#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/lint/commit_subjects.sh - commit subjects people can scan (CONTRIBUTING.md, "Commits"): every
# commit from the one that added this check on has a subject of at most 72 characters.  The
# same rule warns at commit time with .githooks/commit-msg (git config core.hooksPath .githooks).
# Needs the git history: skipped in a release tarball and in a shallow clone that lacks it.
srcdir=${top_srcdir:-.}
command -v git > /dev/null 2>&1 && git -C "$srcdir" rev-parse --is-inside-work-tree > /dev/null 2>&1 || {
  echo "SKIP: not a git work tree"
  exit 77
}
since=$(git -C "$srcdir" log --follow --diff-filter=A --format=%H -- t/lint/commit_subjects.sh | tail -n 1)
if [ -z "$since" ]; then
  echo "SKIP: this check is not committed yet"
  exit 77
fi
range="$since^..HEAD"
git -C "$srcdir" rev-parse -q --verify "$since^" > /dev/null || range=$since
long=$(git -C "$srcdir" log --no-merges --format='%h %s' "$range" | awk '{ s = substr($0, index($0, " ") + 1) } length(s) > 72 { print length(s) ": " $0 }')
if [ -n "$long" ]; then
  echo "commit subjects over 72 characters (the detail belongs in the body):"
  echo "$long"
  exit 1
fi
echo "ok: $(git -C "$srcdir" rev-list --no-merges --count "$range") commit subjects of at most 72 characters"
