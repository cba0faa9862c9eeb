# vi:filetype=perl

# The audit module's tamper evidence ("stratum_audit_log PATH chain"):
# seq, prev and pid in each event, checked by tools/stratum-audit-verify
# on the file nginx wrote, and on copies with a line edited, removed,
# reordered, or the first one cut.

use FindBin ();
use lib "$FindBin::Bin/lib";

use Test::Nginx::Socket 'no_plan';
use File::Temp qw(tempdir);

our $Verify = "$FindBin::Bin/../tools/stratum-audit-verify";
our $Dir = tempdir('stratum-audit-chain-XXXXXX', TMPDIR => 1, CLEANUP => 1);

no_shuffle();
no_long_string();


sub verify_one {
    my ($name, @lines) = @_;

    open my $out, '>', "$Dir/$name" or die "$Dir/$name: $!";
    print $out @lines;
    close $out;

    my $res = `$^X $Verify $Dir/$name`;
    my $rc = $? >> 8;

    $res =~ s/^\Q$Dir\E\///mg;
    $res =~ s/worker \d+/worker P/g;

    return "$res" . "exit $rc\n";
}


# the audit file, verified as written and after each kind of tampering
sub chains {
    my $body = shift;

    return "gif\n" if $body =~ /\AGIF89a/;
    return $body unless $body =~ /\A\{"timestamp"/;

    my @l = split /^/, $body;
    my @edited = @l;
    $edited[1] =~ s/"status":200/"status":201/;

    return join '',
        verify_one('clean', @l),
        verify_one('edited', @edited),
        verify_one('removed', @l[0, 2 .. $#l]),
        verify_one('reordered', @l[0, 2, 1, 3 .. $#l]),
        verify_one('cut', @l[1 .. $#l]),
        verify_one('torn', @l[0 .. 2], substr($l[3], 0, 20));
}

run_tests();

__DATA__

=== TEST 1: a clean chain verifies; tampering is pointed at
--- http_config
    stratum_audit_log  logs/audit.log  buffer=4k  flush=1ms  chain;
--- config
    location /api/ {
        stratum_audit_requests  on;
        empty_gif;
    }
    location = /audit {
        stratum_audit_log  off;
        alias              logs/audit.log;
    }
--- request eval
["GET /api/1", "GET /api/2", "GET /api/3", "GET /api/4", "GET /api/5",
 "GET /audit"]
--- error_code eval
[200, 200, 200, 200, 200, 200]
--- response_body_filters eval
\&main::chains
--- response_body eval
[("gif\n") x 5, "clean: ok, 5 lines, 1 chains
exit 0
edited:3: worker P: line 2 was changed (its hash does not match \"prev\" here)
exit 1
removed:2: worker P: seq 3 after 1 (line 1): lines missing
exit 1
reordered:2: worker P: seq 3 after 1 (line 1): lines missing
exit 1
cut:1: worker P starts at seq 2: earlier lines are missing
exit 1
torn:4: line not terminated (torn write?)
exit 1
"]
--- no_error_log
[error]
