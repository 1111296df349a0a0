#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/include_floors.sh - the library's include graph keeps its floors (doc/ARCHITECTURE.md):
#   1. base/ (floor 0: data structures and mechanisms) includes nothing above it: only base/
#      and the contract every floor may see (ev.h, config.h);
#   2. no include cycle anywhere in the library's sources.
# `t/include_floors.sh --print` prints the graph: one line per file, "file -> its includes".
srcdir=${top_srcdir:-.}
cd "$srcdir" || exit 99
command -v perl > /dev/null 2>&1 || { echo "SKIP: perl not found"; exit 77; }
exec perl -e '
use strict;
use warnings;
my $print = @ARGV && $ARGV[0] eq "--print";
my @files = sort grep { -f } (glob("*.h"), glob("*.cc"), glob("base/*.h"), glob("base/*.cc"),
                              glob("backends/*.h"), glob("backends/*.cc"),
                              glob("watchers/*.h"), glob("watchers/*.cc"),
                              glob("fd/*.h"), glob("fd/*.cc"), glob("diag/*.h"), glob("diag/*.cc"),
                              glob("loop/*.h"), glob("loop/*.cc"));
# ev.h, ev++.h and event.h are the public headers; config.h is made by configure
my %public = map { $_ => 1 } qw(ev.h ev++.h event.h config.h);
my (%inc, $fail);
for my $f (@files) {
  next if $public{$f};
  open my $fh, "<", $f or die "$f: $!";
  $inc{$f} = [ map { /^#\s*include\s+"([^"]+)"/ ? $1 : () } <$fh> ];
}
if ($print) {
  printf "%s -> %s\n", $_, join(" ", @{ $inc{$_} }) for sort keys %inc;
  exit 0;
}
for my $f (grep { m{^base/} } sort keys %inc) {
  for my $i (@{ $inc{$f} }) {
    next if $i =~ m{^base/} || $public{$i};
    print "FAIL: $f includes $i: base/ (floor 0) includes only base/, ev.h and config.h\n";
    $fail = 1;
  }
}
# Depth-first search; a header met again while it is on the path closes a cycle.
my (%state, @path);
sub visit {
  my ($f) = @_;
  return if ($state{$f} // 0) == 2;
  if (($state{$f} // 0) == 1) {
    my @cycle = (@path[(grep { $path[$_] eq $f } 0 .. $#path)[0] .. $#path], $f);
    print "FAIL: include cycle: ", join(" -> ", @cycle), "\n";
    $fail = 1;
    return;
  }
  $state{$f} = 1;
  push @path, $f;
  visit($_) for grep { exists $inc{$_} } @{ $inc{$f} };
  pop @path;
  $state{$f} = 2;
}
visit($_) for sort keys %inc;
printf "%d files: base/ includes nothing above it, no include cycle\n", scalar(keys %inc) unless $fail;
exit($fail ? 1 : 0);
' -- "$@"
