# SPDX-License-Identifier: BSD-2-Clause
# t/lint/am_vars.pl - required by the linters that read the build's file lists (include_floors.sh,
# sources.sh): the variables of Makefile.am and of the fragments it includes, each the words of
# all its assignments (=, +=, in every condition: what any build may use), and their expansion.
use strict;
use warnings;

our %am_vars;

sub am_read {
  my ($file) = @_;
  open my $fh, "<", $file or die "$file: $!";
  my $text = join "", <$fh>;
  close $fh;
  $text =~ s/\\\n/ /g;
  for (split /\n/, $text) {
    next if /^\t/ || /^\s*#/;
    if (/^include\s+(\S+)\s*$/) {
      am_read($1);
    } elsif (/^([A-Za-z_][A-Za-z0-9_]*)\s*(\+?=)\s*(.*)$/) {
      my ($name, $op, $words) = ($1, $2, $3);
      $words =~ s/\s+#.*$//;
      $am_vars{$name} = [] if $op eq "=" && !exists $am_vars{$name};
      push @{ $am_vars{$name} }, split " ", $words;
    }
  }
}

# am_expand(NAME): NAME's words, $(VAR) and ${VAR} replaced by VAR's, recursively.
sub am_expand {
  my ($name, %seen) = @_;
  return () if $seen{$name}++;
  return map { /^\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]$/ && exists $am_vars{$1} ? am_expand($1, %seen) : $_ }
    @{ $am_vars{$name} // [] };
}

am_read("Makefile.am");
1;
