#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/lint/include_floors.sh - the library's include graph keeps the floors of doc/ARCHITECTURE.md.
# The floors come from the document's floor table (rows "| N | `folder/` | ..."), so that the
# document and this check cannot disagree:
#   1. every library file (libev_la_SOURCES in Makefile.am, in every condition) is in a
#      folder of the table, and
#      the top of the tree holds no C++ file: only the public headers;
#   2. a file includes only its own floor and lower ones, the contract (ev.h, config.h, or
#      for a core compiled into a program embed/ev_ng_config.h and embed/ev_ng_facilities.h,
#      which stand for config.h), and,
#      above base/, the two interface headers every floor sees: loop/loop.h (the loop
#      object's layout) and backends/backend.h (the backend table the loop points to), whose
#      own includes stay in base/ and in each other;
#   3. no include cycle, between files nor between modules (a file's .h and .cc; the interface
#      headers left out), but the one listed as known;
#   4. the document's picture (the block between "<!-- include graph -->" and
#      "<!-- end include graph -->") is the folder graph that --folders prints.
# `t/lint/include_floors.sh --print` prints the file graph: one line per file, "file -> its
# includes"; `--folders` the folder graph (what the document's picture must be).
srcdir=${top_srcdir:-.}
cd "$srcdir" || exit 99
command -v perl > /dev/null 2>&1 || { echo "SKIP: perl not found"; exit 77; }
exec perl -e '
use strict;
use warnings;
my $mode = $ARGV[0] // "";
my $doc = "doc/ARCHITECTURE.md";
my @interfaces = ("loop/loop.h", "backends/backend.h");  # seen by every floor above base
my %contract = map { $_ => 1 } qw(ev.h config.h embed/ev_ng_config.h embed/ev_ng_embed.h embed/ev_ng_facilities.h);
my $fail;
sub fail { print "FAIL: @_\n"; $fail = 1; }

# The floor table of the document: "| N | `folder/` | files | what it is |".
open my $dh, "<", $doc or die "$doc: $!";
my @doc = <$dh>;
close $dh;
my (%floor, %at);
for (@doc) {
  next unless /^\|\s*(\d+)\s*\|\s*`([a-z_]+)\/`\s*\|/;
  fail("$doc: floor $1 twice ($at{$1}/ and $2/)") if exists $at{$1};
  fail("$doc: $2/ twice in the floor table") if exists $floor{$2};
  ($floor{$2}, $at{$1}) = ($1, $2);
}
%floor or fail("$doc has no floor table (rows \"| N | `folder/` | ... |\")");
fail("$doc: the lowest floor is not base/ (0)") unless ($at{0} // "") eq "base";
my $folder_of = sub { $_[0] =~ m{^([a-z_]+)/[^/]+$} && exists $floor{$1} ? $1 : undef };

# The library: the C++ of libev_la_SOURCES in every condition, its variables expanded
# (t/lint/am_vars.pl); the public headers at the top are the contract.
our %am_vars;
require "./t/lint/am_vars.pl";
my %lib;
$lib{$_} = 1 for grep { m{/} && /\.(cc|h)$/ } am_expand("libev_la_SOURCES");
%lib or fail("Makefile.am: no libev_la_SOURCES");
for my $f (sort keys %lib) {
  fail("$f (libev_la_SOURCES) is in no folder of the floor table of $doc") unless defined $folder_of->($f);
  fail("$f (libev_la_SOURCES) does not exist") unless -f $f;
}
my %public = map { $_ => 1 } qw(ev.h ev++.h event.h config.h);
fail("$_: the top of the tree holds only the public headers (ev.h, ev++.h, event.h)")
  for grep { !$public{$_} } (glob("*.cc"), glob("*.h"));
for my $d (sort keys %floor) {
  fail("$_ is in $d/ but not in libev_la_SOURCES") for grep { !$lib{$_} } (glob("$d/*.cc"), glob("$d/*.h"));
}

my %inc;
for my $f (sort keys %lib) {
  open my $fh, "<", $f or next;
  $inc{$f} = [ map { /^#\s*include\s+"([^"]+)"/ ? $1 : () } <$fh> ];
}
if ($mode eq "--print") {
  printf "%s -> %s\n", $_, join(" ", @{ $inc{$_} }) for sort keys %inc;
  exit 0;
}

# 2. each include of each file
my %interface = map { $_ => 1 } @interfaces;
my %edges;  # folder -> {what it includes: a folder, or an interface header}
for my $f (sort keys %inc) {
  my $d = $folder_of->($f) // next;
  for my $i (@{ $inc{$f} }) {
    next if $contract{$i};
    my $id = $folder_of->($i);
    if (!defined $id) {
      fail("$f includes $i, which is in no folder of the floor table");
      next;
    }
    next if $id eq $d;
    if ($interface{$i} && $floor{$d} > 0 && $floor{$id} > $floor{$d}) {
      $edges{$d}{$i} = 1;
      next;
    }
    $edges{$d}{"$id/"} = 1;
    fail("$f includes $i: $d/ (floor $floor{$d}) includes only its own floor and lower ones, not $id/ (floor $floor{$id})")
      if $floor{$id} > $floor{$d};
  }
}
for my $h (@interfaces) {
  for my $i (@{ $inc{$h} // [] }) {
    next if $contract{$i} || $interface{$i} || ($folder_of->($i) // "") eq "base";
    fail("$h includes $i: an interface header every floor sees includes only base/ and the other one");
  }
}

# 3. depth-first search; a node met again while it is on the path closes a cycle.  Files first,
# then modules: the .h and the .cc of a name are one (base/win32.h and base/win32.cc), and their includes
# of the two interface headers do not count, so that no module needs what needs it.
sub cycles {
  my ($graph) = @_;
  my (%state, @path, @found);
  my $visit;
  $visit = sub {
    my ($n) = @_;
    return if ($state{$n} // 0) == 2;
    if (($state{$n} // 0) == 1) {
      push @found, join(" -> ", @path[(grep { $path[$_] eq $n } 0 .. $#path)[0] .. $#path], $n);
      return;
    }
    $state{$n} = 1;
    push @path, $n;
    $visit->($_) for grep { exists $graph->{$_} } @{ $graph->{$n} };
    pop @path;
    $state{$n} = 2;
  };
  $visit->($_) for sort keys %$graph;
  return @found;
}
fail("include cycle: $_") for cycles(\%inc);
my %module_inc;
for my $f (sort keys %inc) {
  (my $m = $f) =~ s/\.(cc|h)$//;
  $module_inc{$m} //= [];
  for my $i (@{ $inc{$f} }) {
    next if $interface{$i} || $contract{$i} || !exists $inc{$i};
    (my $n = $i) =~ s/\.(cc|h)$//;
    push @{ $module_inc{$m} }, $n if $n ne $m;
  }
}
for (cycles(\%module_inc)) {
  fail("module include cycle (a .h and its .cc are one module): $_");
}

# 4. the folder graph, highest floor first; what each folder includes, lowest first
my @graph;
for my $d (sort { $floor{$b} <=> $floor{$a} } keys %floor) {
  my %e = %{ $edges{$d} // {} };
  my @folders = sort { $floor{$a =~ s{/$}{}r} <=> $floor{$b =~ s{/$}{}r} } grep { m{/$} } keys %e;
  my @ifaces = grep { $e{$_} } @interfaces;
  my $line = sprintf "%d %-10s -> %s", $floor{$d}, "$d/", join(" ", @folders) || "(nothing)";
  $line .= "; " . join(" ", @ifaces) if @ifaces;
  push @graph, "$line\n";
}
if ($mode eq "--folders") {
  print @graph;
  exit 0;
}
my ($in, @picture) = (0);
for (@doc) {
  if (/^<!-- end include graph -->/) { $in = 0; next }
  if (/^<!-- include graph -->/) { $in = 1; next }
  push @picture, $_ if $in && !/^```/;
}
if (join("", @picture) ne join("", @graph)) {
  fail("$doc: its include graph picture is not the include graph; it must read (t/lint/include_floors.sh --folders):");
  print "    $_" for @graph;
}
printf "%d files in %d floors: each includes only its floor and lower ones, no include cycle, %s draws the graph\n",
  scalar(keys %inc), scalar(keys %floor), $doc unless $fail;
exit($fail ? 1 : 0);
' -- "$@"
