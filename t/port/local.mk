# SPDX-License-Identifier: BSD-2-Clause
# t/port/local.mk - fragment of Makefile.am: the other builds, each in a tree of its own
# beside this one (t/port/build-tree.sh).

EXTRA_DIST += t/port/build-tree.sh
