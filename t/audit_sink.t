# vi:filetype=perl

# The audit file sink under traffic: t/audit/sink.sh rotates the file
# (mv + USR1) and reloads nginx (HUP) while 4 clients send requests to 2
# workers, then checks that no event was lost or torn and that every
# worker's hash chain holds across the rotation.  Needs curl.

use strict;
use warnings;

use FindBin ();
use Test::More;

plan skip_all => 'curl is not installed'
    unless grep { -x "$_/curl" } split /:/, $ENV{PATH} // '';
plan skip_all => 'TEST_NGINX_LOAD_MODULES is not set'
    unless $ENV{TEST_NGINX_LOAD_MODULES};
plan skip_all => 'not under valgrind' if $ENV{TEST_NGINX_USE_VALGRIND};

my $out = `$FindBin::Bin/audit/sink.sh 2000 2>&1`;

is($? >> 8, 0, 'no event lost or torn across reopen and reload')
    or diag($out);
like($out, qr/events: 8000 of 8000/, 'the count of events');

done_testing();
