# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# t/lint/library_comments.sh - sourced by the linters of the library's comments
# (t/lint/comment_figures.sh, backend_names.sh, references.sh): the library's sources and their
# comment text.  The library: the .cc/.h files at the top (but the public
# headers ev.h ev++.h event.h and config.h) and in its folders, those there are of base/ loop/
# fd/ watchers/ backends/ diag/ (so that the checks hold before and after a move between them).

# library_files [FOLDER...]: the library's sources, without those under the FOLDERs named.
library_files() {
  for f in ./*.cc ./*.h; do
    case $f in ./ev.h | ./ev++.h | ./event.h | ./config.h) continue ;; esac
    [ -f "$f" ] && echo "$f"
  done
  for d in base loop fd watchers backends diag; do
    case " $* " in *" $d "*) continue ;; esac
    [ -d "$d" ] && find "$d" \( -name '*.cc' -o -name '*.h' \) | sort
  done
}

# comments FILE...: the comment text of each line (// to the end of the line, /* ... */ across
# lines) as FILE:LINE: TEXT.  String literals are not told apart: none of the library's holds
# // or /*.
comments() {
  awk 'FNR == 1 { inblock = 0 }
  {
    line = $0; out = ""
    while (line != "") {
      if (inblock) {
        e = index(line, "*/")
        if (e == 0) { out = out " " line; line = "" }
        else { out = out " " substr(line, 1, e - 1); line = substr(line, e + 2); inblock = 0 }
      } else {
        s = index(line, "//"); b = index(line, "/*")
        if (s == 0 && b == 0) break
        if (s > 0 && (b == 0 || s < b)) { out = out " " substr(line, s + 2); line = "" }
        else { inblock = 1; line = substr(line, b + 2) }
      }
    }
    if (out != "") print FILENAME ":" FNR ":" out
  }' "$@" | sed 's|^\./||'
}
