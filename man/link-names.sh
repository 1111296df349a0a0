#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# man/link-names.sh POD - the function names ev(3) documents, one a line: every
# name of the form ev_*, event_* or evtimer_* followed by its parameter list in an
# =item line of the POD (functions and function-like macros: ev_io_start,
# ev_io_init, ev_is_active, event_add, ...; not ev_TYPE_start, the placeholder,
# nor a pointer's type).  `make install` gives each a page NAME.3 that is the line
# ".so man3/ev.3", so that `man ev_io_start` opens ev(3) (man/local.mk); the list
# follows the page, never a hand-kept copy.
LC_ALL=C sed -n 's/^=item //p' "$1" |
  grep -o -E '(^|[^A-Za-z0-9_])(ev|event|evtimer)_[a-z0-9_]+ ?\([^*]' |
  sed -E 's/^[^a-z]*//; s/ ?\(.*//' | LC_ALL=C sort -u
