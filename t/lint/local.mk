# SPDX-License-Identifier: BSD-2-Clause
# t/lint/local.mk - fragment of Makefile.am: the repository's linters, which check the tree's
# files (licence lines, formatting, comments, references, the floors, commit subjects) rather
# than the library's behaviour; part of `make check`.  t/lint/library_comments.sh is sourced
# by the linters of the library's comments.

# every source file says its licence in an SPDX line
TESTS += t/lint/licence_headers.sh
# comments and documents cite only what the tree holds (doc/semantics.md, ev(3))
TESTS += t/lint/no_outside_references.sh
# every file and function a library comment, DESIGN.md, doc/ARCHITECTURE.md or CONTRIBUTING.md
# names as a reference exists, where it says
TESTS += t/lint/references.sh
# the floors of doc/ARCHITECTURE.md: one folder per floor, none includes a higher one, no
# include cycle, and the document draws the include graph
TESTS += t/lint/include_floors.sh
# one list of the library's sources (Makefile.am's LIBEV_ALL_FILES): libev_la_SOURCES, the
# embedding kit's installed list and embed/ev_ng.cc's includes agree with it
TESTS += t/lint/sources.sh
# the library's C++ formatted as .clang-format says (skipped without clang-format 14); commit
# subjects of at most 72 characters
TESTS += t/lint/clang_format.sh t/lint/commit_subjects.sh
# reasons in comments, figures in bench/annotations.tsv; no backend named outside backends/
TESTS += t/lint/comment_figures.sh t/lint/backend_names.sh
# t/lint/comment_share.sh is a measure, not a test: the share of comment lines and of worded
# asides among them (issue 41)
# t/lint/annotation_rows.sh: every inlining annotation of the library has its row in
# bench/annotations.tsv and every row its annotation (issue 48)
TESTS += t/lint/annotation_rows.sh
# iterate (loop/loop_run.cc) quotes every step of ev_run as this tree's ev(3) lists it
TESTS += t/lint/iterate_steps.sh

EXTRA_DIST += t/lint/licence_headers.sh t/lint/no_outside_references.sh t/lint/references.sh \
	t/lint/include_floors.sh t/lint/clang_format.sh .clang-format t/lint/commit_subjects.sh \
	.githooks/commit-msg t/lint/comment_figures.sh t/lint/backend_names.sh t/lint/library_comments.sh \
	t/lint/iterate_steps.sh t/lint/sources.sh t/lint/am_vars.pl \
	t/lint/comment_share.sh t/lint/annotation_rows.sh
