#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/lint/references.sh - the files and functions that the library's comments, DESIGN.md,
# doc/ARCHITECTURE.md and CONTRIBUTING.md point a reader to exist, where they say:
#   1. a path (a word that starts with a folder of the tree, or ends in a source or document
#      suffix: loop/loop_run.cc, fd/, t/ev_async, ../DESIGN.md) names a file or folder git
#      tracks, from the referring file's folder or the top (a bare file name: anywhere in the
#      tree; a test program: its source); words with *, <...> or a placeholder are patterns;
#   2. a name beside a path, "(path, name)", "(name, path)", "name in path", "name (path)" or
#      "(path, path): name", is in that C or C++ file's code (comments left out);
#   3. any other name written as code (in a comment a word with an underscore or followed by
#      "()", a constant kName; in a document a word like these between backquotes) is a name
#      of the tree's code or build files, or the plural of one (fd_sets).  The few kernel and
#      processor names the library's comments cite are listed below.
# Names in capitals (macros, flags of ev.h, environment variables) are not checked.  Needs the
# git work tree (the tracked files): skipped in a release tarball, also one unpacked inside
# another work tree (make distcheck's).
srcdir=${top_srcdir:-.}
cd "$srcdir" || exit 99
top=$(git rev-parse --show-toplevel 2> /dev/null) && [ "$(cd "$top" && pwd -P)" = "$(pwd -P)" ] || {
  echo "SKIP: not the top of a git work tree"
  exit 77
}
command -v perl > /dev/null 2>&1 || { echo "SKIP: perl not found"; exit 77; }
. ./t/lint/library_comments.sh
# shellcheck disable=SC2119 # no folder left out
files=$(library_files | sed 's|^\./||')
[ -n "$files" ] || { echo "FAIL: no library sources under $(pwd)"; exit 99; }
# shellcheck disable=SC2086 # one word per file
exec perl -e '
use strict;
use warnings;

# Names of the kernel and the processor (not of the tree) that library comments cite.
my %outside = map { $_ => 1 } qw(max_user_watches io_uring_disabled constant_tsc nonstop_tsc epoll_pwait2 ptrace_scope);
# Files the build makes.
my %built = map { $_ => 1 } qw(config.h configure ./configure);

my @tracked = split /\n/, qx{git ls-files};
my %tracked = map { $_ => 1 } @tracked;
my (%dirs, %base);
for my $f (@tracked) {
  my $d = $f;
  $dirs{$d} = 1 while $d =~ s{/[^/]*$}{};
  $base{$1} = 1 if $f =~ m{([^/]+)$};
}
my $suffix = qr/(?:cc|h|c|md|sh|mk|am|ac|pod|pl|py|txt|in|tsv|map|supp|expected)/;

sub slurp { my $f = shift; open(my $fh, "<", $f) or die "$f: $!"; local $/; return <$fh>; }

# A C or C++ file with its comments blanked out (newlines kept).
sub code_of {
  my $t = shift;
  $t =~ s{/\*.*?\*/}{ (my $c = $&) =~ s/[^\n]/ /g; $c }gse;
  $t =~ s{//[^\n]*}{}g;
  return $t;
}
# Its comments alone: everything else blanked out, so that offsets keep their line.
sub comments_of {
  my $t = shift;
  my $out = "";
  while ($t =~ m{\G(.*?)(//[^\n]*|/\*.*?\*/|\z)}gs) {
    my ($code, $comment) = ($1, $2);
    (my $blank = $code) =~ s/[^\n]/ /g;
    $out .= $blank;
    $comment =~ s{^//|^/\*|\*/$}{  }g;
    $comment =~ s{\n(\s*)\*}{\n$1 }g;
    $out .= $comment;
    last if $comment eq "";
  }
  return $out;
}

# The names of the tree: identifiers of its C and C++ code and of its build files.
my (%code, %names);
for my $f (@tracked) {
  next unless -f $f;
  my $t;
  if ($f =~ /\.(?:c|cc|h)$/) {
    $t = $code{$f} = code_of(slurp($f));
  } elsif ($f =~ /(?:\.(?:am|mk|ac|sh|pl|py)|^bench\/callgrind|^bench\/run)$/) {
    ($t = slurp($f)) =~ s/(^|\s)#[^\n]*/$1/g;
  } else {
    next;
  }
  $names{$_} = 1 for $t =~ /\b([A-Za-z_]\w*)\b/g;
}

my $fails = 0;
my ($refs_files, $refs_names, $refs_pairs) = (0, 0, 0);
sub fail { my ($f, $text, $at, $what) = @_; my $line = 1 + (substr($text, 0, $at) =~ tr/\n//); print "$f:$line: $what\n"; $fails++; }

sub path_ok {
  my ($from, $p) = @_;
  return 1 if $built{$p};
  (my $dir = $from) =~ s{/?[^/]*$}{};
  return $base{$p} if $p !~ m{/};
  for my $cand (($dir ne "" ? "$dir/$p" : ()), $p) {
    my $n = $cand;
    1 while $n =~ s{(^|/)(?!\.\./)[^/]+/\.\./}{$1};
    $n =~ s{^\./}{};
    $n =~ s{/$}{};
    for my $x ($n, "$n.c", "$n.cc", "$n.sh") {
      return 1 if $tracked{$x} || $dirs{$x};
    }
  }
  return 0;
}

# the identifier a name stands for: "ns::f<T> ()" -> f
sub ident_of { my $n = shift; $n =~ s/\s*\(\)$//; $n =~ s/<.*//; $n =~ s/.*:://; return $n; }
# a name written as code in a comment
# (not: macros and flags in capitals, placeholders such as ev_TYPE_init, and the C library
# reserved __names)
sub codelike {
  my $n = shift;
  my $id = ident_of($n);
  return 0 if $id eq "" || $id =~ /^[A-Z0-9_]+$|_$|^__/ || $id =~ /(?:^|_)[A-Z]{2,}(?:_|$)/;
  return $n =~ /_|::|\(\)$/ || $id =~ /^k[A-Z]/;
}

my $P = qr{`?((?:\.\.?/)?[A-Za-z0-9_.-]*[A-Za-z0-9_-]/[A-Za-z0-9_./-]*|[A-Za-z0-9_-][A-Za-z0-9_.-]*\.$suffix)`?};
my $N = qr{`?([A-Za-z_]\w*(?:::\w+)*(?:<[^<>`\n]*>)?(?:\s?\(\))?)`?};

sub pair {
  my ($f, $text, $at, $path, $name) = @_;
  $path =~ s/[.,;:]+$//;
  return unless codelike($name) && $path =~ /\.(?:c|cc|h)$/;
  (my $dir = $f) =~ s{/?[^/]*$}{};
  my ($file) = grep { exists $code{$_} } ($dir ne "" ? "$dir/$path" : ()), $path;
  return unless $file;    # (a missing file is reported as a path)
  $refs_pairs++;
  my $id = ident_of($name);
  fail($f, $text, $at, "$name is not in $path") unless $code{$file} =~ /\b\Q$id\E\b/;
}

for my $f (@ARGV) {
  my $raw = slurp($f);
  my $md = $f =~ /\.md$/;
  my $text = $md ? $raw : comments_of($raw);
  # 1. paths
  while ($text =~ m{(?<![\w./\-])$P(?![\w/<*])}g) {
    my ($p, $at) = ($1, $-[1]);
    $p =~ s/[.,;:]+$//;
    next if $p =~ /[*<>]|\.\.\.|^[.\/]*$/ || $p =~ m{^/} || $p =~ m{^[a-z]+://};
    # (headers of the system: sys/sdt.h, linux/io_uring.h)
    next if $p =~ m{^(?:sys|linux|asm|arpa|netinet)/[\w./-]+\.h$};
    my ($top) = $p =~ m{^(?:\./)?([^/]+)/};
    next unless (defined $top && ($dirs{$top} || $top eq "..")) || $p =~ /\.$suffix$/;
    $refs_files++;
    fail($f, $text, $at, "no file or folder $p") unless path_ok($f, $p);
  }
  # 2. names beside paths
  while ($text =~ /\(\s*$P,\s+$N\s*[);]/g) { pair($f, $text, $-[2], $1, $2); }
  while ($text =~ /\(\s*$N,\s+$P\s*[);]/g) { pair($f, $text, $-[1], $2, $1); }
  while ($text =~ /$N\s+in\s+$P/g) { pair($f, $text, $-[1], $2, $1); }
  while ($text =~ /$N\s+\(\s*$P\s*[);,]/g) { pair($f, $text, $-[1], $2, $1); }
  while ($md && $text =~ /\*\*[^*\n]+\*\*\s*\(((?:\s*$P\s*,)*\s*$P\s*)\):\s+$N/g) {
    my ($paths, $name, $at) = ($1, $+, $-[0]);
    next unless codelike($name);
    my @files = grep { exists $code{$_} } map { s/`//gr } split /\s*,\s*/, $paths =~ s/^\s+|\s+$//gr;
    next unless @files;
    $refs_pairs++;
    my $id = ident_of($name);
    fail($f, $text, $at, "$name is in none of $paths") unless grep { $code{$_} =~ /\b\Q$id\E\b/ } @files;
  }
  # 3. names
  (my $nopaths = $text) =~ s{(?<![\w./\-])$P(?![\w/<*])}{ (my $b = $&) =~ s/[^\n]/ /g; $b }ge;
  my @found;
  if ($md) {
    while ($nopaths =~ /`([A-Za-z_]\w*(?:::\w+)*(?:<[^<>`\n]*>)?(?:\s?\(\))?)`/g) { push @found, [$1, $-[1]]; }
  } else {
    while ($nopaths =~ /(?<![\w.\/:-])([A-Za-z_]\w*(?:::\w+)*(?:\s?\(\))?)(?![\w*<])/g) { push @found, [$1, $-[1]]; }
  }
  for my $x (@found) {
    my ($name, $at) = @$x;
    next unless codelike($name);
    my $id = ident_of($name);
    next if $outside{$id};
    $refs_names++;
    # (a plural: fd_sets)
    fail($f, $text, $at, "no $id in the tree") unless $names{$id} || ($id =~ /^(\w+)s$/ && $names{$1});
  }
}
if ($fails) {
  print "FAIL: $fails references to files or names that do not exist (where they say)\n";
  exit 1;
}
print "ok: $refs_files paths, $refs_pairs names beside a path and $refs_names other names, all found\n";
' -- $files DESIGN.md doc/ARCHITECTURE.md CONTRIBUTING.md
