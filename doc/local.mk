# SPDX-License-Identifier: BSD-2-Clause
# doc/local.mk - fragment of Makefile.am: the project's own documents shipped in the tarball.
#
# doc/semantics.md records the libev 4.33 behaviour libev-ng reproduces; code comments cite
# it as "doc/semantics.md §N" (t/lint/no_outside_references.sh checks that every cited section
# exists and that nothing refers to notes outside the tree).
EXTRA_DIST += doc/semantics.md
# doc/ARCHITECTURE.md draws the floors and the path of one event; DESIGN.md records the design
# decisions; CONTRIBUTING.md says how to work on the library.
EXTRA_DIST += doc/ARCHITECTURE.md DESIGN.md CONTRIBUTING.md
