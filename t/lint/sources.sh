#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/lint/sources.sh - one list of the library's sources: Makefile.am's LIBEV_ALL_FILES, from
# whose groups libev_la_SOURCES is made for each build and the embedding kit's installed list
# (embed/local.mk, EV_NG_KIT_FILES) for every platform.  Fails on drift:
#   1. every file of the list exists, once;
#   2. libev_la_SOURCES, in every condition, holds the C++ of the list and nothing else;
#   3. the kit's list holds the whole list, and every file that a file of the kit includes;
#   4. embed/ev_ng.cc includes every unit (.cc) of the list, once, and no other.
# The floors and the folders of the files are t/lint/include_floors.sh's.
srcdir=${top_srcdir:-.}
cd "$srcdir" || exit 99
command -v perl > /dev/null 2>&1 || { echo "SKIP: perl not found"; exit 77; }
exec perl -e '
use strict;
use warnings;
our %am_vars;
require "./t/lint/am_vars.pl";
my $fail;
sub fail { print "FAIL: @_\n"; $fail = 1; }
my $kit_cc = "embed/ev_ng.cc";

# 1.
my @list = am_expand("LIBEV_ALL_FILES");
@list or fail("Makefile.am: no LIBEV_ALL_FILES");
my %list;
for (@list) {
  fail("$_ is in LIBEV_ALL_FILES twice") if $list{$_}++;
  fail("$_ (LIBEV_ALL_FILES) does not exist") unless -f $_;
}

# 2. (compat/ and event.h, the libevent emulation, are C beside the core)
my %built = map { $_ => 1 } grep { m{/} && /\.(cc|h)$/ } am_expand("libev_la_SOURCES");
fail("$_ is in libev_la_SOURCES but not in LIBEV_ALL_FILES (Makefile.am)") for grep { !$list{$_} } sort keys %built;
fail("$_ is in LIBEV_ALL_FILES but no build compiles it (libev_la_SOURCES)") for grep { !$built{$_} } @list;

# 3. what a file includes in quotes is found from the top of the kit; config.h belongs to the
# library alone, EV_H to the program
my %kit = map { $_ => 1 } am_expand("EV_NG_KIT_FILES");
fail("$_ is in LIBEV_ALL_FILES but not in the kit (embed/local.mk, EV_NG_KIT_FILES)") for grep { !$kit{$_} } @list;
for my $f (sort keys %kit) {
  next unless $f =~ /\.(cc|h)$/;
  open my $fh, "<", $f or do { fail("$f (EV_NG_KIT_FILES) does not exist"); next };
  while (<$fh>) {
    next unless /^\s*#\s*include\s+"([^"]+)"/;
    next if $1 eq "config.h";
    fail("$f:$.: includes $1, which the kit does not hold (embed/local.mk, EV_NG_KIT_FILES)") unless $kit{$1};
  }
}

# 4.
open my $ch, "<", $kit_cc or die "$kit_cc: $!";
my %included;
while (<$ch>) {
  next unless /^\s*#\s*include\s+"([^"]+\.cc)"/;
  fail("$kit_cc:$.: includes $1 a second time") if $included{$1}++;
}
my @units = grep { /\.cc$/ } @list;
fail("$kit_cc does not include $_, a unit of LIBEV_ALL_FILES") for grep { !$included{$_} } @units;
my %unit = map { $_ => 1 } @units;
fail("$kit_cc includes $_, which is not a unit of LIBEV_ALL_FILES (Makefile.am)") for grep { !$unit{$_} } sort keys %included;

printf "%d files in the list, %d units: libev_la_SOURCES, the kit (%d files) and %s agree\n",
  scalar(@list), scalar(@units), scalar(keys %kit), $kit_cc unless $fail;
exit($fail ? 1 : 0);
'
