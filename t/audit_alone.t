# vi:filetype=perl

# The audit module loaded without auth, rbac or ratelimit (only the
# audit .so of TEST_NGINX_LOAD_MODULES is kept): events still carry every
# field, user_id and tenant_id null; with 2 workers, N requests give
# exactly N events.

BEGIN {
    $ENV{TEST_NGINX_LOAD_MODULES} = join ' ', grep { /audit/ } split ' ',
        $ENV{TEST_NGINX_LOAD_MODULES} // '';
}

use Test::Nginx::Socket 'no_plan';

master_on();
workers(2);
no_shuffle();
no_long_string();

our $N = 60;


# the audit file as: the number of lines, then their fields with the
# variable ones left out
sub summary {
    my $body = shift;

    return "gif\n" if $body =~ /\AGIF89a/;

    my @l = split /\n/, $body;
    my %paths;

    for (@l) {
        return "torn or foreign line: $_\n"
            unless /\A\{"timestamp":"[^"]+","event_type":"request",
                    "success":true,"user_id":null,"tenant_id":null,
                    "mfa_used":false,"ip_address":"127\.0\.0\.1",
                    "user_agent":null,"method":"GET","path":"(\/r\/\d+)",
                    "status":200,"request_id":"[0-9a-f]{32}"\}\z/x;
        $paths{$1}++;
    }

    return scalar(@l) . " events, " . scalar(keys %paths) . " paths\n";
}

run_tests();

__DATA__

=== TEST 1: 2 workers, N requests, N whole events
--- http_config
    stratum_audit_log  logs/audit.log;
--- config
    location /r/ {
        stratum_audit_requests  on;
        empty_gif;
    }
    location = /audit {
        stratum_audit_log  off;
        alias              logs/audit.log;
    }
--- request eval
[(map { "GET /r/$_" } 1 .. $::N), "GET /audit"]
--- error_code eval
[(200) x ($::N + 1)]
--- response_body_filters eval
\&main::summary
--- response_body eval
[("gif\n") x $::N, "$::N events, $::N paths\n"]
--- no_error_log
[error]
