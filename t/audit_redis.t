# vi:filetype=perl

# The audit module's Redis stream sink ("stratum_audit_log redis:STREAM
# fallback=FILE"), through the rate-limit module's Redis client, against
# a real redis-server that t/ratelimit/StratumRedis.pm starts: events
# added with XADD, no secret and no chain field in them, the approximate
# MAXLEN, Redis stopped and started again, an error reply, the count of
# undelivered events, and the configurations that fail.
#
# TEST_NGINX_LOAD_MODULES loads auth, rbac, ratelimit, then this one.
# Events leave for Redis after the response is sent, so a block reads the
# stream with "/ctl/cmd?...&until=TEXT", which asks again until the reply
# is TEXT.

use FindBin ();
use lib "$FindBin::Bin/lib";
use lib "$FindBin::Bin/ratelimit";

use Test::Nginx::Socket 'no_plan';
use Stratum::Tokens;
use StratumRedis;

# the stream and the breaker outlive a block's repeats
repeat_each(1);
log_level('info');
no_shuffle();
no_long_string();

StratumRedis::start();
Stratum::Tokens::make_keys();

add_block_preprocessor(\&StratumRedis::preprocess);

our $Forged = forge(payload => { sub => 'u1', exp => time + 3600 });

our $HttpConfig = <<'_EOC_';
    stratum_auth_key_file       $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    stratum_redis_server        127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_redis_max_fails     1;
    stratum_redis_fail_timeout  500ms;
    stratum_audit_log           redis:stratum:audit maxlen=1000
                                fallback=logs/spool.log;
_EOC_

# the protected location, the fallback file and the undelivered count
our $Config = <<'_EOC_';
    location /api/ {
        stratum_auth  on;
        empty_gif;
    }

    location = /spool {
        default_type  text/plain;
        alias         logs/spool.log;
    }

    location = /undelivered {
        default_type  text/plain;
        return        200 "$stratum_audit_undelivered\n";
    }
_EOC_

# /ctl/cmd with these arguments, escaped as a query string
sub esc {
    my $v = shift;
    $v =~ s/([^A-Za-z0-9_.:~-])/sprintf '%%%02X', ord $1/ge;
    return $v;
}

sub cmd {
    return '/ctl/cmd?' . join '&', map { 'a=' . esc($_) } @_;
}

sub xlen_is {
    return 'GET ' . cmd('XLEN', 'stratum:audit') . "&until=$_[0]";
}

run_tests();

__DATA__

=== TEST 1: a refused request is one entry of the stream, without secrets
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["GET " . main::cmd('FLUSHALL'),
 "GET /api/a?secret=1",
 "GET /api/b",
 main::xlen_is(2),
 "GET " . main::cmd('XRANGE', 'stratum:audit', '-', '+'),
 "GET /undelivered"]
--- more_headers eval
["", "", "Authorization: Bearer $::Forged\nCookie: sid=s3cr3t", "", "", ""]
--- error_code eval
[200, 401, 401, 200, 200, 200]
--- response_body_like eval
["OK", "token missing", "bad signature", "^2\$",
 qr{\A(?!.*(?:secret|s3cr3t|eyJ|"seq"|"prev"|"pid"))\d+-\d+\nevent\n\{"timestamp":"[^"]+Z",[^\n]*"event_type":"auth_failure"[^\n]*"path":"/api/a"[^\n]*"reason":"token_missing"[^\n]*\}\n\d+-\d+\nevent\n\{[^\n]*"path":"/api/b"[^\n]*"reason":"bad_signature"[^\n]*\}\n\z},
 "^0\$"]
--- no_error_log
[error]
[alert]



=== TEST 2: a file sink with the chain beside it: the stream has no chain
--- http_config eval
$::HttpConfig . "stratum_audit_log logs/audit.log chain;\n"
--- config eval
$::Config . '
    location = /audit {
        stratum_audit_log  off;
        default_type       text/plain;
        alias              logs/audit.log;
    }
'
--- request eval
["GET " . main::cmd('FLUSHALL'),
 "GET /api/a",
 main::xlen_is(1),
 "GET " . main::cmd('XRANGE', 'stratum:audit', '-', '+'),
 "GET /audit"]
--- error_code eval
[200, 401, 200, 200, 200]
--- response_body_like eval
["OK", "token missing", "^1\$", qr/\A(?!.*(?:"seq"|"prev"|"pid")).*"path":"\/api\/a"/s,
 qr/"path":"\/api\/a".*"seq":1,"prev":"0{64}"/]
--- no_error_log
[error]



=== TEST 3: Redis stopped: events go to the fallback, counted, logged once
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["GET " . main::cmd('FLUSHALL'),
 "GET /ctl/redis/stop",
 "GET /api/a",
 "GET /api/b",
 "GET /api/c",
 "GET /spool",
 "GET /undelivered",
 "GET /ctl/log?s=did+not+take+an+event",
 "GET /ctl/redis/start",
 "GET /ctl/sleep?ms=600",
 "GET /api/d",
 main::xlen_is(1),
 "GET " . main::cmd('XRANGE', 'stratum:audit', '-', '+'),
 "GET /ctl/log?s=takes+events+again,+3+went+to",
 "GET /undelivered"]
--- error_code eval
[200, 200, 401, 401, 401, 200, 200, 200, 200, 200, 401, 200, 200, 200, 200]
--- response_body_like eval
["OK", "stopped", "token missing", "token missing", "token missing",
 qr{\A\{[^\n]*"path":"/api/a"[^\n]*\}\n\{[^\n]*"path":"/api/b"[^\n]*\}\n\{[^\n]*"path":"/api/c"[^\n]*\}\n\z},
 "^3\$", "^1\$", "started", "slept", "token missing", "^1\$",
 qr{"path":"/api/d"}, "^1\$", "^3\$"]
--- no_error_log
[alert]
[crit]



=== TEST 4: an error reply (the stream's key holds a string): the fallback
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["GET " . main::cmd('FLUSHALL'),
 "GET " . main::cmd('SET', 'stratum:audit', 'not-a-stream'),
 "GET /api/a",
 "GET /spool",
 "GET /ctl/log?s=(WRONGTYPE+Operation+against+a+key",
 "GET " . main::cmd('DEL', 'stratum:audit'),
 "GET /api/b",
 main::xlen_is(1),
 "GET /ctl/log?s=takes+events+again,+1+went+to",
 "GET /undelivered"]
--- error_code eval
[200, 200, 401, 200, 200, 200, 401, 200, 200, 200]
--- response_body_like eval
["OK", "OK", "token missing", qr{\A\{[^\n]*"path":"/api/a"[^\n]*\}\n\z},
 "^1\$", "^1\$", "token missing", "^1\$", "^1\$", "^1\$"]
--- no_error_log
[alert]
[crit]



=== TEST 5: Redis too slow to answer: the event goes to the fallback
--- http_config
    stratum_auth_key_file        $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    stratum_redis_server         127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_redis_read_timeout   200ms;
    stratum_audit_log            redis:stratum:audit
                                 fallback=logs/spool.log;
--- config eval: $::Config
--- request eval
["GET " . main::cmd('FLUSHALL'),
 "GET " . main::cmd('CLIENT', 'PAUSE', '1000', 'WRITE'),
 "GET /api/a",
 "GET /ctl/sleep?ms=400",
 "GET /spool",
 "GET /ctl/log?s=(Redis+unreachable+or+too+slow)",
 "GET /undelivered"]
--- error_code eval
[200, 200, 401, 200, 200, 200, 200]
--- response_body_like eval
["OK", "OK", "token missing", "slept",
 qr{\A\{[^\n]*"path":"/api/a"[^\n]*\}\n\z}, "^1\$", "^1\$"]
--- no_error_log
[alert]
[crit]



=== TEST 6: the stream is trimmed to about maxlen entries
--- http_config
    stratum_auth_key_file       $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    stratum_redis_server        127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_audit_log           redis:stratum:audit maxlen=5
                                fallback=logs/spool.log;
--- config eval: $::Config
--- request eval
["GET " . main::cmd('FLUSHALL'),
 "GET " . main::cmd('CONFIG', 'SET', 'stream-node-max-entries', '5'),
 (map { "GET /api/$_" } 1 .. 40),
 "GET " . main::cmd('XREVRANGE', 'stratum:audit', '+', '-', 'COUNT', '1')
     . '&until_re=' . main::esc('"path":"/api/40"'),
 "GET " . main::cmd('XLEN', 'stratum:audit'),
 "GET " . main::cmd('CONFIG', 'SET', 'stream-node-max-entries', '100')]
--- error_code eval
[200, 200, (401) x 40, 200, 200, 200]
--- response_body_like eval
["OK", "OK", ("token missing") x 40, qr{"path":"/api/40"},
 qr/\A([5-9]|10)\n\z/, "OK"]
--- no_error_log
[error]



=== TEST 7: a Redis sink needs a fallback file
--- http_config
    stratum_redis_server  127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_audit_log     redis:stratum:audit;
--- config
    location = /x {
        empty_gif;
    }
--- must_die
--- error_log eval
qr/"redis:stratum:audit" needs "fallback=FILE", where events go while Redis does not take them in .*nginx\.conf:\d+/



=== TEST 8: a Redis sink needs stratum_redis_server
--- http_config
    stratum_audit_log     redis:stratum:audit fallback=logs/spool.log;
--- config
    location = /x {
        empty_gif;
    }
--- must_die
--- error_log eval
qr/the Redis stream sink "stratum:audit" in .*nginx\.conf:\d+ needs "stratum_redis_server"/



=== TEST 9: a maxlen that is not a number above 0
--- http_config
    stratum_redis_server  127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_audit_log     redis:stratum:audit maxlen=0
                          fallback=logs/spool.log;
--- config
    location = /x {
        empty_gif;
    }
--- must_die
--- error_log eval
qr/invalid maxlen "0", it must be a number of entries above 0 in .*nginx\.conf:\d+/



=== TEST 10: an empty maxlen
--- http_config
    stratum_redis_server  127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_audit_log     redis:stratum:audit maxlen=
                          fallback=logs/spool.log;
--- config
    location = /x {
        empty_gif;
    }
--- must_die
--- error_log eval
qr/invalid maxlen "", it must be a number of entries above 0 in .*nginx\.conf:\d+/



=== TEST 11: fallback given twice
--- http_config
    stratum_redis_server  127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_audit_log     redis:stratum:audit fallback=logs/a.log
                          fallback=logs/b.log;
--- config
    location = /x {
        empty_gif;
    }
--- must_die
--- error_log eval
qr/duplicate "fallback" in .*nginx\.conf:\d+/



=== TEST 12: no stream name
--- http_config
    stratum_redis_server  127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_audit_log     redis: fallback=logs/spool.log;
--- config
    location = /x {
        empty_gif;
    }
--- must_die
--- error_log eval
qr/no stream name in "redis:" in .*nginx\.conf:\d+/



=== TEST 13: maxlen and fallback are for Redis sinks only
--- http_config
    stratum_audit_log     logs/audit.log maxlen=10;
--- config
    location = /x {
        empty_gif;
    }
--- must_die
--- error_log eval
qr/"maxlen" and "fallback" are for "redis:" sinks only in .*nginx\.conf:\d+/
