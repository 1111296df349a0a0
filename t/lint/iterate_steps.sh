#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/lint/iterate_steps.sh - iterate (loop/loop_run.cc) quotes the steps of ev_run as this tree's
# ev(3) lists them (man/ev.pod, the numbered list after "One call of B<ev_run> performs exactly
# these steps"): every comment `// N. "..."` in iterate, its quote continued on the next comment
# lines, is words of step N, in their order (a "..." in the quote leaves words out), and every
# step of the list is quoted at least once.  So the iteration and the manual cannot drift apart.
# Usage: t/lint/iterate_steps.sh (in the source tree, or with top_srcdir set).
srcdir=${top_srcdir:-.}
cd "$srcdir" || exit 99
command -v perl > /dev/null 2>&1 || { echo "SKIP: perl not found"; exit 77; }
exec perl -e '
use strict;
use warnings;
my ($pod, $src) = ("man/ev.pod", "loop/loop_run.cc");
sub words { my $t = shift; 1 while $t =~ s/[A-Z]<([^<>]*)>/$1/g; $t =~ s/\s+/ /g; $t =~ s/^ | $//g; return $t; }

# The steps of the manual.
open my $ph, "<", $pod or die "$pod: $!";
my $man = do { local $/; <$ph> };
$man =~ /One call of B<ev_run> performs exactly these steps.*?=over 4\n(.*?)\n=back/s
  or do { print "FAIL: $pod: no list of ev_run steps\n"; exit 1; };
my %step;
for my $item (split /^=item /m, $1) {
  $step{$1} = words($2) if $item =~ /^(\d+)\.\s*\n(.*)$/s;
}
%step or do { print "FAIL: $pod: the list of ev_run steps has no numbered items\n"; exit 1; };

# The quotes of iterate.
open my $sh, "<", $src or die "$src: $!";
my @lines = <$sh>;
my ($in, @quotes, $open);
for my $i (0 .. $#lines) {
  $_ = $lines[$i];
  $in = 1 if /^int iterate\(/;
  next unless $in;
  last if /^}/;
  if (defined $open) {
    m{^\s*//\s*(.*)$} or do { print "FAIL: $src:", $i + 1, ": the quote of step $open->[0] does not close\n"; exit 1; };
    $open->[1] .= " $1";
  } elsif (m{^\s*//\s*(\d+)\.\s*"(.*)$}) {
    $open = [$1, $2, $i + 1];
  }
  if (defined $open && $open->[1] =~ s/"(.*)$//) {
    push @quotes, $open;
    undef $open;
  }
}
@quotes or do { print "FAIL: $src: no quoted step in iterate\n"; exit 1; };

my ($fail, %seen) = (0);
for my $q (@quotes) {
  my ($n, $text, $line) = @$q;
  $seen{$n} = 1;
  my $have = $step{$n};
  if (!defined $have) { print "FAIL: $src:$line: ev(3) has no step $n\n"; $fail = 1; next; }
  my $at = 0;
  for my $part (grep { $_ ne "" } map { words($_) } split /\.\.\./, $text) {
    my $p = index($have, $part, $at);
    if ($p < 0) {
      print "FAIL: $src:$line: step $n of $pod does not say \"$part\" (after what came before)\n";
      $fail = 1;
      last;
    }
    $at = $p + length $part;
  }
}
for my $n (sort { $a <=> $b } keys %step) {
  next if $seen{$n};
  print "FAIL: $src: iterate quotes no words of step $n of $pod\n";
  $fail = 1;
}
exit 1 if $fail;
printf "ok: iterate quotes %d steps of ev(3), in %d quotes, all words of %s\n", scalar(keys %seen), scalar(@quotes), $pod;
'
