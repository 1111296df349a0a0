#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/lint/comment_share.sh - the two figures of issue 41's "comments that read", for the library
# (t/lint/library_comments.sh's library_files and comments):
#   share   comment lines (a line with any comment text) out of non-blank lines;
#   asides  comment lines with a worded aside, a parenthesis that opens with a letter, holds a
#           space and closes on the line, "(as libev does)", out of comment lines.  Calls such as
#           ev_run (loop) or ev_now () and one-word references such as (fd/fd.h) are not asides.
# The issue's aim is both within twice libuv's: a share of about 24% at most, asides 8% at most.
# A measure, not a test: it always passes.
# Usage: t/lint/comment_share.sh [-f] [FILE...] (-f: one line per file too, most comment lines
# first; FILEs: measure those instead of the whole library).
srcdir=${top_srcdir:-.}
cd "$srcdir" || exit 99
. ./t/lint/library_comments.sh
per_file=
[ "$1" = -f ] && { per_file=1; shift; }
# shellcheck disable=SC2119 # no folder left out
files=${*:-$(library_files)}
[ -n "$files" ] || { echo "FAIL: no library sources under $(pwd)"; exit 99; }
aside='\([A-Za-z][^()]* [^()]*\)'

# figures FILE...: "comment-lines non-blank-lines aside-lines"
figures() {
  # shellcheck disable=SC2086 # one word per file
  echo "$(comments "$@" | wc -l) $(cat "$@" | grep -c '[^[:space:]]') $(comments "$@" | grep -c -E "$aside")"
}
# report LABEL COMMENTS NONBLANK ASIDES
report() {
  awk -v l="$1" -v c="$2" -v n="$3" -v a="$4" 'BEGIN {
    printf "%-32s share %5.1f%% (%d of %d non-blank lines)  asides %5.1f%% (%d of %d comment lines)\n",
      l, n ? 100 * c / n : 0, c, n, c ? 100 * a / c : 0, a, c }'
}
if [ -n "$per_file" ]; then
  for f in $files; do
    # shellcheck disable=SC2046 # three numbers
    echo "$(figures "$f") $f"
  done | sort -k1,1nr | while read -r c n a f; do report "${f#./}" "$c" "$n" "$a"; done
fi
# shellcheck disable=SC2046,SC2086 # three numbers; one word per file
report "library ($(echo $files | wc -w) files)" $(figures $files)
