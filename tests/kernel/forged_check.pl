#!/usr/bin/perl
# Checks for forged_records.sh (issue 18, forged records). Perl because
# the values are bytes (hex, control characters, invalid UTF-8) and perl is
# part of every Debian system (perl-base).
#
#   forged_check.pl shape LOG ROOT NODE
#       The designated events (open, chdir, connect, execve, prctl, getppid) of the
#       process tree ROOT (pid or ppid ROOT) whose node is NODE (`-`: the
#       kernel's, no node=), one line each in log order, with their record
#       types and the raw (as written) values of the fields a program
#       controls, for the kernel-vs-autrace comparison. Host-limited parts
#       of autrace (README, autrace) are left out: exec's PATH items after
#       the first and every PATH item's inode fields (name only is kept).
#   forged_check.pl truth MANIFEST LOG ROOT NODE WHO [ONLY]
#       Decodes those values (hex or quoted) and compares each with what the
#       program really used (forged_workload --manifest). WHO is kernel or
#       autrace: autrace reads a name at the syscall's exit, so for the name
#       whose buffer another thread rewrote during the syscall it must show
#       the rewritten buffer (documented), the kernel the true name.
#   forged_check.pl interp MANIFEST IOUT ROOT NODE [ONLY]
#       The same values as `ausearch -i` printed them (IOUT: its output for
#       the log), rendered as stock's default escaping does (TTY: bytes
#       below 0x20 as \ooo, the rest as they are): comm, exe, absolute PATH
#       names and the EXECVE arguments written whole; with ONLY, PROCTITLE.
#   ONLY: the syscalls (comma-separated names) of an untraced run's rule;
#       its events are compared with the manifest's events of those calls.
#   forged_check.pl headers LOG T0 T1
#       Every line is one record: `[node=N ]type=NAME msg=audit(S.MS:SERIAL):`
#       with S within [T0, T1] (the test's own run), so that no line that a
#       value could have forged (its own type= or msg=audit() at the start of
#       a line) is there. Prints the number of records per type.
use strict;
use warnings;

my %designated = (2 => 'open', 80 => 'chdir', 42 => 'connect', 59 => 'execve', 157 => 'prctl',
                  110 => 'getppid');

sub unhex { my $h = shift; return pack('H*', $h); }
# A value as written: "quoted" text, hex, or a bare word like (null).
sub decode {
  my $v = shift;
  return $1 if $v =~ /^"(.*)"$/s;
  return unhex($v) if $v =~ /^(?:[0-9A-F]{2})+$/;
  return $v;
}
sub tohex { return unpack('H*', shift); }
# Stock's AUPARSE_ESC_TTY rendering.
sub tty { my $s = shift; $s =~ s/([\x00-\x1f])/sprintf("\\%03o", ord($1))/ge; return $s; }

# Records of a raw log grouped into events, in log order.
sub read_events {
  my ($log, $node) = @_;
  open my $fh, '<:raw', $log or die "$log: $!";
  my (@order, %ev);
  while (my $l = <$fh>) {
    chomp $l;
    $l =~ s/\x1d.*//;  # the ENRICHED part
    next unless $l =~ /^(?:node=(\S+) )?type=(\S+) msg=audit\(([0-9.]+:\d+)\): ?(.*)$/s;
    my ($n, $type, $id, $body) = ($1 // '-', $2, $3, $4);
    next if $n ne $node;
    push @order, $id unless $ev{$id};
    push @{$ev{$id}}, [$type, $body];
  }
  return map { $ev{$_} } @order;
}

# name=value pairs of a record body; values have no spaces (hex or quoted
# without spaces) except in records we do not split this way.
sub fields { my %f = ($_[0] =~ /(\S+?)=(\S+)/g); return \%f; }

# The designated events of ROOT's tree: [syscall fields, records].
sub tree_events {
  my ($log, $root, $node) = @_;
  my @out;
  for my $e (read_events($log, $node)) {
    next unless $e->[0][0] eq 'SYSCALL';
    my $f = fields($e->[0][1]);
    next unless defined $f->{syscall} && $designated{$f->{syscall}};
    next unless $f->{pid} == $root || $f->{ppid} == $root;
    push @out, [$f, $e];
  }
  return @out;
}

# EXECVE arguments, whole or from their pieces (aN_len / aN[k]).
sub execve_args {
  my @recs = @_;
  my (%whole, %pieces, $argc);
  for my $b (@recs) {
    for my $kv (split / +/, $b) {
      next unless $kv =~ /^(a\d+(?:\[\d+\])?|argc|a\d+_len)=(.*)$/;
      my ($k, $v) = ($1, $2);
      if ($k eq 'argc') { $argc = $v; }
      elsif ($k =~ /^a(\d+)\[(\d+)\]$/) { $pieces{$1}[$2] = $v; }
      elsif ($k =~ /^a(\d+)$/) { $whole{$1} = decode($v); }
    }
  }
  for my $i (keys %pieces) { $whole{$i} = decode(join('', map { $_ // '' } @{$pieces{$i}})); }
  return ($argc, map { $whole{$_} } sort { $a <=> $b } keys %whole);
}

sub shape {
  my ($log, $root, $node) = @_;
  for my $t (tree_events($log, $root, $node)) {
    my ($f, $e) = @$t;
    # getppid returns the caller's ppid: written as such, so that two runs
    # (the kernel's and the engine's, prefilter mode) compare.
    my $exit = $f->{exit} // '';
    $exit = 'PPID' if $f->{syscall} == 110 && $exit eq $f->{ppid};
    my $line = "syscall=$f->{syscall} exit=$exit comm=$f->{comm} exe=$f->{exe}";
    $line .= " items=$f->{items}" unless $f->{syscall} == 59;
    my @execve;
    for my $r (@$e[1 .. $#$e]) {
      my ($t, $b) = @$r;
      next if $t eq 'EOE' || $t eq 'BPRM_FCAPS';
      if ($t eq 'PATH') {
        my $p = fields($b);
        next if $f->{syscall} == 59 && $p->{item} > 0;
        $b = "item=$p->{item} name=$p->{name}";
      }
      $line .= " | $t: $b";
    }
    print "$line\n";
  }
}

my $fails = 0;
sub fail { print "FAIL: @_\n"; $fails++; }

sub read_manifest {
  my $m = shift;
  open my $fh, '<', $m or die "$m: $!";
  my @ev;
  while (<$fh>) {
    chomp;
    next if /^#/;
    my ($seq, $sc, $exit, @kv) = split / /;
    my %v = map { split /=/, $_, 2 } @kv;
    push @ev, { seq => $seq, sc => $sc, exit => $exit, %v };
  }
  return @ev;
}

# ONLY (a comma-separated list of syscall names, or absent): the events of
# an untraced run under a rule on those syscalls only (prefilter mode).
# PROCTITLE is compared with the manifest only then: the kernel fixes a
# task's PROCTITLE at its first audited syscall and keeps it across execve,
# so under a traced run's rule on every syscall the child's events after its
# exec carry the parent's argv (seen on 6.18), which the kernel-vs-autrace
# comparison covers; a rule on getppid alone audits nothing of the child
# before its exec, and its PROCTITLE is its own argv.
sub only { my %o = map { $_ => 1 } split /,/, shift; return \%o; }

sub truth {
  my ($manifest, $log, $root, $node, $who, $only) = @_;
  my @want = read_manifest($manifest);
  my @got = tree_events($log, $root, $node);
  if (defined $only) {
    my $o = only($only);
    @want = grep { $o->{$_->{sc}} } @want;
    @got = grep { $o->{$designated{$_->[0]{syscall}}} } @got;
  } else {
    # The tree's first designated event is the program's own exec by autrace.
    my $first = shift @got;
    fail("$who: the first event is not the program's execve")
      unless $first && $first->[0]{syscall} == 59;
  }
  fail("$who: " . scalar(@got) . " designated events after the exec, the program made " . scalar(@want))
    unless @got == @want;
  my %count;
  for my $i (0 .. $#want) {
    my $w = $want[$i];
    my $g = $got[$i] or last;
    my ($f, $e) = @$g;
    my $what = "$who event $w->{seq} ($w->{sc})";
    $count{$designated{$f->{syscall}}}++;
    if ($designated{$f->{syscall}} ne $w->{sc}) { fail("$what: is syscall $f->{syscall}"); next; }
    fail("$what: exit=$f->{exit}, expected $w->{exit}")
      if $w->{exit} =~ /^-?\d+$/ && $f->{exit} != $w->{exit};
    fail("$what: exit=$f->{exit}, expected a descriptor") if $w->{exit} eq 'fd' && $f->{exit} < 0;
    fail("$what: exit=$f->{exit}, expected its ppid $f->{ppid}")
      if $w->{exit} eq 'ppid' && $f->{exit} ne $f->{ppid};
    for my $k ('comm', 'exe') {
      next unless defined $w->{$k};
      my $v = decode($f->{$k});
      fail("$what: $k is " . tohex($v) . ", the program's was $w->{$k}") if tohex($v) ne $w->{$k};
    }
    my @paths = map { fields($_->[1]) } grep { $_->[0] eq 'PATH' } @$e[1 .. $#$e];
    my @cwd = grep { $_->[0] eq 'CWD' } @$e[1 .. $#$e];
    my %n;
    $n{$_->[0]}++ for @$e;
    # Records of the event: one SYSCALL and one PROCTITLE; SOCKADDR for a
    # connect; one PATH item per name getname took (exec: the kernel adds
    # the ELF interpreter, autrace cannot: README); no other record.
    fail("$what: $n{SYSCALL} SYSCALL records") if $n{SYSCALL} != 1;
    fail("$what: " . ($n{PROCTITLE} // 0) . " PROCTITLE records") if ($n{PROCTITLE} // 0) != 1;
    fail("$what: " . ($n{SOCKADDR} // 0) . " SOCKADDR records")
      if ($n{SOCKADDR} // 0) != ($w->{sc} eq 'connect' ? 1 : 0);
    my $names = defined $w->{name} && $w->{name} ne 'none' ? 1 : 0;
    fail("$what: " . scalar(@paths) . " PATH items, the program named $names")
      if $w->{sc} ne 'execve' && @paths != $names;
    fail("$what: " . scalar(@cwd) . " CWD records for $names names") if @cwd != ($names ? 1 : 0);
    my @other = grep { !/^(SYSCALL|PROCTITLE|SOCKADDR|PATH|CWD|EXECVE|BPRM_FCAPS|EOE)$/ } keys %n;
    fail("$what: unexpected records @other") if @other;
    if (defined $w->{name}) {
      if ($w->{name} eq 'none') {
        fail("$what: a PATH item for a name getname refused") if @paths;
        fail("$what: a CWD record without a name") if @cwd;
      } elsif (!@paths) {
        fail("$what: no PATH item");
      } else {
        my $name = tohex(decode($paths[0]{name}));
        my $true = $w->{name};
        if ($w->{changed} && $who eq 'autrace') {
          # autrace copies the name at the syscall's exit (README, autrace).
          $true = tohex('/nonexistent-forged/FAKE');
        }
        fail("$what: PATH name is $name, expected $true") if $name ne $true;
      }
    }
    if (defined $w->{proctitle} && defined $only) {
      my ($p) = grep { $_->[0] eq 'PROCTITLE' } @$e[1 .. $#$e];
      my $got = $p ? tohex(decode(fields($p->[1])->{proctitle} // '')) : '(none)';
      fail("$what: proctitle is $got, the program's argv area starts $w->{proctitle}")
        if $got ne $w->{proctitle};
    }
    if (defined $w->{saddr}) {
      my ($s) = grep { $_->[0] eq 'SOCKADDR' } @$e[1 .. $#$e];
      my $got = $s ? lc(fields($s->[1])->{saddr}) : '(none)';
      fail("$what: saddr=$got, the program gave $w->{saddr}") if $got ne $w->{saddr};
    }
    if (defined $w->{argv}) {
      my ($argc, @args) = execve_args(map { $_->[1] } grep { $_->[0] eq 'EXECVE' } @$e[1 .. $#$e]);
      my @true = split /\0/, unhex($w->{argv}), -1;
      fail("$what: argc=$argc, the program gave " . scalar(@true)) if $argc != @true;
      for my $j (0 .. $#true) {
        my $g = $args[$j] // '(missing)';
        fail("$what: a$j is " . length($g) . " bytes " . substr(tohex($g), 0, 60) .
             ", the program's " . length($true[$j]) . " bytes " . substr(tohex($true[$j]), 0, 60))
          if $g ne $true[$j];
      }
    }
  }
  my %per;
  $per{$_->{sc}}++ for @want;
  print "$who: designated events", (defined $only ? " ($only)" : " after the exec"), ": ",
    join(' ', map { "$_=" . ($count{$_} // 0) . "/$per{$_}" } sort keys %per), "\n";
}

# ausearch -i output: events between "----" lines.
sub interp {
  my ($manifest, $iout, $root, $node, $only) = @_;
  my @want = read_manifest($manifest);
  my $o = defined $only ? only($only) : undef;
  @want = grep { $o->{$_->{sc}} } @want if $o;
  my $prefix = $node eq '-' ? '' : "node=$node ";
  open my $fh, '<:raw', $iout or die "$iout: $!";
  local $/ = "----\n";
  my @events;
  while (my $ev = <$fh>) {
    my ($sc) = $ev =~ /^\Q$prefix\Etype=SYSCALL .*$/m ? ($&) : ();
    next unless $sc;
    next unless $sc =~ / syscall=(open|chdir|connect|execve|prctl|getppid) /;
    my $name = $1;
    next if $o && !$o->{$name};
    next unless $sc =~ / (?:pid|ppid)=$root /;
    push @events, [$name, $ev, $sc];
  }
  shift @events unless $o;  # the program's own exec (a traced run)
  fail("ausearch -i: " . scalar(@events) . " designated events, the program made " . scalar(@want))
    unless @events == @want;
  my $checked = 0;
  for my $i (0 .. $#want) {
    my $w = $want[$i];
    my $g = $events[$i] or last;
    my ($name, $ev, $sc) = @$g;
    my $what = "ausearch -i event $w->{seq} ($w->{sc})";
    if ($name ne $w->{sc}) { fail("$what: is $name"); next; }
    if (defined $w->{comm}) {
      my $c = tty(unhex($w->{comm}));
      fail("$what: SYSCALL does not show comm=" . $c) unless index($sc, " comm=$c exe=") >= 0;
      $checked++;
    }
    if (defined $w->{exe}) {
      my $x = tty(unhex($w->{exe}));
      fail("$what: SYSCALL does not show exe=" . $x) unless index($sc, " exe=$x ") >= 0;
      $checked++;
    }
    if (defined $w->{proctitle} && $o) {
      # libauparse shows the argv area's NULs as spaces.
      (my $t = unhex($w->{proctitle})) =~ s/\0/ /g;
      $t = tty($t);
      # The whole value: it ends the record (ausearch -i ends lines with a space).
      my ($p) = $ev =~ /^(?:node=\S+ )?type=PROCTITLE .*$/mg;
      $p =~ s/ $// if defined $p;
      fail("$what: PROCTITLE does not show proctitle=" . substr($t, 0, 80))
        unless defined $p && substr($p, -length(" proctitle=$t")) eq " proctitle=$t";
      $checked++;
    }
    if (defined $w->{name} && $w->{name} ne 'none' && !$w->{rel} && !$w->{changed}) {
      my $n = tty(unhex($w->{name}));
      my @p = $ev =~ /^(?:node=\S+ )?type=PATH .*$/mg;
      fail("$what: no PATH shows name=$n")
        unless grep { index($_, " name=$n inode=") >= 0 || index($_, " name=$n nametype=") >= 0 } @p;
      $checked++;
    }
    if (defined $w->{argv}) {
      my @true = split /\0/, unhex($w->{argv}), -1;
      my $x = join ' ', $ev =~ /^(?:node=\S+ )?type=EXECVE .*$/mg;
      for my $j (0 .. $#true) {
        next if length($true[$j]) > 7000;  # written in pieces: checked raw
        my $next = $j < $#true ? " a" . ($j + 1) : '';
        my $a = tty($true[$j]);
        fail("$what: EXECVE does not show a$j=" . substr($a, 0, 80))
          unless index($x, " a$j=$a$next") >= 0 || ($next eq '' && index($x, " a$j=$a ") >= 0);
        $checked++;
      }
    }
  }
  print "ausearch -i: $checked values shown as the program used them\n";
}

sub headers {
  my ($log, $t0, $t1) = @_;
  open my $fh, '<:raw', $log or die "$log: $!";
  my (%types, $n);
  while (my $l = <$fh>) {
    $n++;
    if ($l !~ /\n$/) { fail("$log line $n: not newline-terminated"); next; }
    unless ($l =~ /^(?:node=[^ \n]+ )?type=([A-Z0-9_]+) msg=audit\((\d+)\.\d{3}:\d+\):/) {
      fail("$log line $n is not a record: " . substr(tohex($l), 0, 80));
      next;
    }
    my ($type, $sec) = ($1, $2);
    # The kernel's own notices of autrace's programs loading and unloading
    # (type=BPF, written whatever the rules while audit is on) can carry time
    # 0: seen once in 20 runs, `type=BPF msg=audit(0.000:8274455):
    # prog-id=28384 op=UNLOAD`, stamped from the audit context of the task
    # that dropped the program's last reference. No value of the traced
    # program is in them; their form is checked above like every line's.
    fail("$log line $n: time $sec outside the run [$t0, $t1]: " . substr($l, 0, 80))
      if ($sec < $t0 || $sec > $t1) && !($type eq 'BPF' && $sec == 0);
    $types{$type}++;
  }
  print join(' ', map { "$_=$types{$_}" } sort keys %types), "\n";
}

my $cmd = shift @ARGV // '';
if ($cmd eq 'shape') { shape(@ARGV); }
elsif ($cmd eq 'truth') { truth(@ARGV); }
elsif ($cmd eq 'interp') { interp(@ARGV); }
elsif ($cmd eq 'headers') { headers(@ARGV); }
else { die "usage: forged_check.pl shape|truth|interp|headers ...\n"; }
exit($fails ? 1 : 0);
