#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# man/header-names.pl - list the public names a header declares.
#
# Used by man/check-man.sh so that the ev(3) page cannot silently fall behind
# ev.h, ev++.h and event.h.  Reads the output of "cc -E -dD HEADER" on stdin
# (the preprocessor has already removed comments and expanded the header's
# own helper macros, and -dD keeps the #define lines with their file), keeps
# only what comes from HEADER itself (not from headers it includes), and
# prints one line per name:
#
#   macro NAME    a macro the header defines (the include guard excepted)
#   c NAME        a C-level name: function, variable, typedef, struct/union/
#                 enum tag or enumerator, declared at file scope
#   ns NAME       a name declared directly in namespace ev (ev++.h)
#   member NAME   a public member of a class in namespace ev (ev++.h)
#
# It is a small declaration scanner, not a compiler: it tracks braces to
# know whether it is at file, namespace, class, enum or function-body scope,
# and recognises declarations by their shape.  Names in function bodies,
# parameter lists, private/protected sections and nested namespaces are
# deliberately not reported (they are not API).
#
# Usage: header-names.pl --header PATH --lang c|c++ < preprocessed-output
use strict;
use warnings;
use Cwd qw(realpath);
use Getopt::Long;

my ($header, $lang) = ('', 'c');
GetOptions ('header=s' => \$header, 'lang=s' => \$lang)
  or die "usage: $0 --header PATH --lang c|c++\n";
die "header-names.pl: --header is required\n" unless $header;
my $target = realpath ($header) // die "header-names.pl: $header: $!\n";
my $cxx = $lang eq 'c++';

# The include guard: the first #ifndef of the raw header, if the next
# directive defines the same name.  It is plumbing, not API.
my $guard = '';
{
  open my $fh, '<', $header or die "header-names.pl: $header: $!\n";
  my @directives = grep { /^\s*#/ } <$fh>;
  close $fh;
  if (@directives >= 2 && $directives[0] =~ /^\s*#\s*ifndef\s+(\w+)/)
    {
      my $name = $1;
      $guard = $name if $directives[1] =~ /^\s*#\s*define\s+\Q$name\E\b/;
    }
}

# Split stdin into the macros and the code of the target file.
my (%seen, @out);
sub emit { my ($kind, $name) = @_; push @out, "$kind $name" unless $seen{"$kind $name"}++; }

my $in_target = 0;
my %macro;    # name => 1 while defined by the header
my $code = '';
my %realpath_cache;
while (my $line = <STDIN>)
  {
    if ($line =~ /^# \d+ "([^"]*)"/)
      {
        my $file = $1;
        $realpath_cache{$file} //= (realpath ($file) // $file);
        $in_target = $realpath_cache{$file} eq $target;
        next;
      }
    next unless $in_target;
    # a macro the header itself #undefs again is a private helper: only
    # the macros still defined at the end of the header reach the user
    if ($line =~ /^\s*#\s*define\s+([A-Za-z_]\w*)/)
      {
        $macro{$1} = 1 unless $1 eq $guard;
        next;
      }
    if ($line =~ /^\s*#\s*undef\s+([A-Za-z_]\w*)/)
      {
        $macro{$1} = 0 if exists $macro{$1};
        next;
      }
    next if $line =~ /^\s*#/;   # #undef, #pragma and the like
    $code .= $line;
  }

emit ('macro', $_) for grep { $macro{$_} } sort keys %macro;

# ---- tokeniser ------------------------------------------------------------
my @tok;
for ($code)
  {
    while (1)
      {
        if    (/\G\s+/gc) { next }
        elsif (/\G("(?:[^"\\]|\\.)*")/gc) { push @tok, '"str"' }
        elsif (/\G('(?:[^'\\]|\\.)*')/gc) { push @tok, "'chr'" }
        elsif (/\G([A-Za-z_]\w*)/gc) { push @tok, $1 }
        elsif (/\G(\d[\w.]*)/gc) { push @tok, '0' }
        elsif (/\G(::|->|\.\.\.|<<=|>>=|<<|>>|&&|\|\||[=!<>+\-*\/%&|^]=)/gc) { push @tok, $1 }
        elsif (/\G(.)/gcs) { push @tok, $1 }
        else { last }
      }
  }

my %keyword = map { $_ => 1 } qw(
  auto break case char const continue default do double else enum extern
  float for goto if inline int long register restrict return short signed
  sizeof static struct switch typedef union unsigned void volatile while
  _Bool _Complex _Noreturn _Static_assert
  alignas alignof bool catch class constexpr const_cast decltype delete
  dynamic_cast explicit export false friend mutable namespace new noexcept
  nullptr operator private protected public reinterpret_cast static_assert
  static_cast template this throw true try typeid typename using virtual
  wchar_t override final);
sub is_ident { my ($t) = @_; return defined $t && $t =~ /^[A-Za-z_]\w*$/ && !$keyword{$t} && $t !~ /^__/; }

# ---- declaration scanner --------------------------------------------------
# scope: { kind => file|namespace|class|enum|block|transparent (extern "C"),
#          name => its name, access => public|private (of what is declared
#          in it), ns => the namespace name for namespace scopes,
#          in_ev => 1 for classes inside namespace ev, saved => see below }
my @scope = ({ kind => 'file', access => 'public', ns => '' });
my @head;        # tokens of the declaration being read, in the current scope

sub cur { return $scope[-1]; }

# Drop a leading "template < ... >" clause (angle brackets balanced, and
# parentheses inside it skipped), repeatedly for nested templates.
sub strip_template
{
  my @h = @_;
  while (@h && $h[0] eq 'template')
    {
      shift @h;
      next unless @h && $h[0] eq '<';
      my ($angle, $paren) = (0, 0);
      while (@h)
        {
          my $t = shift @h;
          if    ($t eq '(') { $paren++ }
          elsif ($t eq ')') { $paren-- }
          elsif ($paren == 0 && $t eq '<') { $angle++ }
          elsif ($paren == 0 && $t eq '>') { last if --$angle == 0 }
          elsif ($paren == 0 && $t eq '>>') { $angle -= 2; last if $angle <= 0 }
        }
    }
  return @h;
}

# Where does a name declared in the current scope belong?
sub record
{
  my ($name, $s) = @_;
  $s //= cur ();
  return unless is_ident ($name);
  return if $s->{access} ne 'public';
  if ($s->{kind} eq 'file' || ($s->{kind} eq 'transparent' && !$s->{ns}))
    { emit ('c', $name) }
  elsif ($s->{ns} eq 'ev' && ($s->{kind} eq 'namespace' || $s->{kind} eq 'transparent'))
    { emit ('ns', $name) }
  elsif ($s->{kind} eq 'class' && $s->{in_ev})
    { emit ('member', $name) unless $name eq $s->{name} }
  elsif ($s->{kind} eq 'enum')
    { record ($name, $scope[-2]) }   # enumerators live in the enclosing scope
}

# The kind of body a "{" opens, from the declaration head before it.
sub body_kind
{
  my @h = strip_template (@_);
  return ('transparent', '') if @h >= 2 && $h[0] eq 'extern' && $h[1] =~ /^"/;
  return ('namespace', (is_ident ($h[1] // '') ? $h[1] : '')) if @h && $h[0] eq 'namespace';
  my $i = 0;
  $i++ while $i < @h && $h[$i] =~ /^(typedef|const|volatile|static|inline|alignas)$/;
  if ($i < @h && $h[$i] =~ /^(struct|class|union|enum)$/)
    {
      my $kw = $h[$i];
      my $j = $i + 1;
      $j++ if $kw eq 'enum' && ($h[$j] // '') =~ /^(class|struct)$/;
      my $name = is_ident ($h[$j] // '') ? $h[$j] : '';
      # "struct x *f (void) {" would be a function; a class head has no "("
      return ($kw eq 'enum' ? 'enum' : 'class', $name, $kw) unless grep { $_ eq '(' } @h;
    }
  return ('block', '');
}

# Does the head end in "= ..." (a brace initializer follows), as opposed to
# a function whose parameters have "=" default values?
sub has_initializer
{
  my $depth = 0;
  for my $t (@_)
    {
      if ($t eq '(') { $depth++ } elsif ($t eq ')') { $depth-- }
      elsif ($t eq '=' && $depth == 0) { return 1 }
    }
  return 0;
}

# A finished declaration (ended by ";" or by a function body).
sub declaration
{
  my @h = strip_template (@_);
  return unless @h;
  my $s = cur ();
  return if $s->{kind} eq 'block';
  if ($s->{kind} eq 'enum')
    {
      # enumerators: the first identifier of every comma-separated item
      my $expect = 1;
      my $depth = 0;
      for my $t (@h)
        {
          if ($t eq '(') { $depth++ } elsif ($t eq ')') { $depth-- }
          elsif ($t eq ',' && $depth == 0) { $expect = 1 }
          elsif ($expect && is_ident ($t)) { record ($t); $expect = 0 }
        }
      return;
    }
  return if $h[0] =~ /^(friend|static_assert|_Static_assert)$/;
  if ($h[0] eq 'using')
    {
      return if ($h[1] // '') eq 'namespace';
      # "using name = type;" declares name; "using a::b;" re-exports b
      if (is_ident ($h[1] // '') && ($h[2] // '') eq '=') { record ($h[1]) }
      else { record ($h[-1]) }
      return;
    }
  # Only class members are reported in C++ class scope, only file-scope
  # names in C: struct members of the C headers are not names of their own.
  return if $s->{kind} eq 'class' && !$s->{in_ev};

  # The declarator: look at each "(" at nesting depth 0 (parameter lists
  # are deeper and never inspected), before any "=" ("x = f (y)" declares x).
  my $typedef = grep { $_ eq 'typedef' } @h;
  my $angle = 0;
  for (my $k = 0; $k < @h; $k++)
    {
      my $t = $h[$k];
      last if $t eq '=' || $t eq '{}';
      if ($t eq '<') { $angle++; next }
      if ($t eq '>') { $angle-- if $angle; next }
      next unless $t eq '(' && $angle == 0;
      return if grep { $_ eq 'operator' } @h[0 .. $k];          # operators
      return if $k > 0 && ($h[$k - 1] eq '~' || ($k > 1 && $h[$k - 2] eq '~'));  # destructors
      my ($n1, $n2, $n3) = @h[$k + 1 .. $k + 3];
      # "(*name)": a pointer to function, as a variable, member or typedef
      if (($n1 // '') eq '*' && is_ident ($n2) && ($n3 // '') eq ')') { record ($n2); return }
      # "(*name (params))": a function returning a pointer to function
      if (($n1 // '') eq '*' && is_ident ($n2) && ($n3 // '') eq '(') { record ($n2); return }
      # "name (params)": a function (a typedef of a function type is rare
      # enough to be handled as a function name, which is what it names)
      if ($k > 0 && is_ident ($h[$k - 1])) { record ($h[$k - 1]); return }
      # anything else in parentheses: skip the group and keep looking
      my $depth = 0;
      for (; $k < @h; $k++)
        {
          $depth++ if $h[$k] eq '(';
          last if $h[$k] eq ')' && --$depth == 0;
        }
    }
  # otherwise a variable, data member, typedef or forward declaration: the
  # last identifier before "=", "[" or ":" (bit-field), or the end
  my $name;
  for my $t (@h)
    {
      last if $t eq '=' || $t eq '[' || $t eq ':';
      $name = $t if is_ident ($t);
    }
  record ($name) if defined $name;
}

# Each scope remembers the head of its enclosing scope ("saved"), so that
# "typedef struct {...} name;" and "int x[] = {...};" continue after "}".
my $i = 0;
while ($i < @tok)
  {
    my $t = $tok[$i++];
    my $s = cur ();
    if ($s->{kind} eq 'block')
      {
        if ($t eq '{') { push @scope, { kind => 'block', access => 'private', ns => '', inner => 1 } }
        elsif ($t eq '}')
          {
            pop @scope;
            # the end of a function body also ends its declaration
            @head = $s->{inner} ? @head : @{ $s->{saved} };
          }
        next;
      }
    if ($t eq '{')
      {
        my ($kind, $name, $kw) = body_kind (@head);
        if ($kind eq 'block')
          {
            my $init = has_initializer (@head);
            declaration (@head) unless $init;   # a function definition
            push @scope, { kind => 'block', access => 'private', ns => '',
                           saved => $init ? [ @head, '{}' ] : [] };
          }
        elsif ($kind eq 'class' || $kind eq 'enum')
          {
            record ($name) if $name ne '';
            my $in_ev = $s->{ns} eq 'ev' || ($s->{kind} eq 'class' && $s->{in_ev});
            push @scope, { kind => $kind, name => $name, ns => '', in_ev => $in_ev,
                           saved => [ @head, '{}' ],
                           access => ($s->{access} ne 'public' || ($kw // '') eq 'class')
                                     ? 'private' : 'public' };
          }
        elsif ($kind eq 'namespace')
          {
            # only namespace ev itself is API; nested namespaces are private
            my $top = $s->{kind} eq 'file' || ($s->{kind} eq 'transparent' && !$s->{ns});
            my $ns = $top ? $name : '(nested)';
            push @scope, { kind => 'namespace', name => $name, ns => $ns, saved => [],
                           access => $top ? 'public' : 'private' };
          }
        else   # extern "C" { ... }
          {
            push @scope, { %$s, kind => 'transparent', saved => [] };
          }
        @head = ();
        next;
      }
    if ($t eq '}')
      {
        declaration (@head) if $s->{kind} eq 'enum';   # the last enumerator
        pop @scope;
        @head = @{ $s->{saved} // [] };
        next;
      }
    if ($t eq ';')
      {
        declaration (@head);
        @head = ();
        next;
      }
    if ($s->{kind} eq 'class' && $t =~ /^(public|private|protected)$/ && ($tok[$i] // '') eq ':')
      {
        $s->{access} = $t eq 'public' ? 'public' : 'private';
        $i++;
        @head = ();
        next;
      }
    push @head, $t;
  }

print "$_\n" for @out;
