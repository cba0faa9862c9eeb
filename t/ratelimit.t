# vi:filetype=perl

# The rate-limit module (ngx_stratum_ratelimit_module) on its local
# backend: the counts, the burst, the window, several zones, the headers,
# the empty key, dry run, error_page, internal redirects, keys from the
# token's claims and keys holding any bytes.
#
# Needs TEST_NGINX_LOAD_MODULES (the auth and ratelimit modules) and
# STRATUM_JWT (the token tool).  t/ratelimit/StratumRedis.pm starts the
# control server used between requests (/ctl/sleep, /ctl/log) and a
# redis-server that this suite does not use.  Locations answer with
# html/ok.txt through try_files: "return" would answer before the access
# phase.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/lib";
use lib "$FindBin::Bin/ratelimit";
use Stratum::Tokens;
use StratumRedis;

# a zone's counters outlive a block's repeats (nginx is kept running
# between them), so every block runs once
repeat_each(1);
log_level('info');
no_shuffle();

StratumRedis::start();
Stratum::Tokens::make_keys();

add_block_preprocessor(\&StratumRedis::preprocess);

our %T = (
    a1 => mint(claims => { sub => 'alice', tenant_id => 't-1' }),
    b1 => mint(claims => { sub => 'bob', tenant_id => 't-1' }),
    c1 => mint(claims => { sub => 'carol', tenant_id => 't-1' }),
    d2 => mint(claims => { sub => 'dave', tenant_id => 't-2' }),
);

sub bearer {
    return [map { "Authorization: Bearer $::T{$_}" } @_];
}

plan tests => StratumRedis::plan_checks(blocks());

run_tests();

__DATA__

=== TEST 1: exactly N requests are admitted, the N+1th is refused
--- http_config
    stratum_ratelimit_zone n:1m key=$remote_addr rate=3r/m;
--- config
    location = /t {
        stratum_ratelimit n;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_backend" always;
        add_header X-RL-Zone $stratum_ratelimit_zone always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t"]
--- error_code eval
[200, 200, 200, 429]
--- response_headers eval
[
"RateLimit-Limit: 3
RateLimit-Remaining: 2
RateLimit-Reset: 20
!Retry-After
X-RL: passed local
!X-RL-Zone",
"RateLimit-Limit: 3
RateLimit-Remaining: 1
RateLimit-Reset: 40
X-RL: passed local",
"RateLimit-Limit: 3
RateLimit-Remaining: 0
RateLimit-Reset: 60
X-RL: passed local",
"RateLimit-Limit: 3
RateLimit-Remaining: 0
RateLimit-Reset: 20
Retry-After: 20
Content-Type: application/json
X-RL: refused local
X-RL-Zone: n"
]
--- response_body_like eval
["^ok\$", "^ok\$", "^ok\$",
 qr/^\{"detail":"rate limit exceeded","retry_after":20\}$/]
--- no_error_log
[error]



=== TEST 2: the burst is how many pass at once, the rate refills it
--- http_config
    stratum_ratelimit_zone b:1m key=$remote_addr rate=1r/h burst=3;
--- config
    location = /t {
        stratum_ratelimit b;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t"]
--- error_code eval
[200, 200, 200, 429]
--- response_headers eval
[
"RateLimit-Limit: 3
RateLimit-Remaining: 2
RateLimit-Reset: 3600",
"RateLimit-Remaining: 1",
"RateLimit-Remaining: 0
RateLimit-Reset: 10800",
"RateLimit-Limit: 3
RateLimit-Remaining: 0
RateLimit-Reset: 3600
Retry-After: 3600"
]
--- no_error_log
[error]



=== TEST 3: a burst of one spaces requests out evenly
--- http_config
    stratum_ratelimit_zone one:1m key=$remote_addr rate=60r/m burst=1;
--- config
    location = /t {
        stratum_ratelimit one;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /t"]
--- error_code eval
[200, 429]
--- response_headers eval
[
"RateLimit-Limit: 1
RateLimit-Remaining: 0
RateLimit-Reset: 1",
"RateLimit-Limit: 1
RateLimit-Remaining: 0
RateLimit-Reset: 1
Retry-After: 1"
]
--- no_error_log
[error]



=== TEST 4: the window slides: what the rate gave back is admitted again
--- http_config
    stratum_ratelimit_zone w:1m key=$remote_addr rate=1r/s burst=2;
--- config
    location = /t {
        stratum_ratelimit w;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /ctl/sleep?ms=1100", "GET /t",
 "GET /t"]
--- error_code eval
[200, 200, 429, 200, 200, 429]
--- response_body_like eval
["^ok\$", "^ok\$", "retry_after", "slept", "^ok\$", "retry_after"]
--- no_error_log
[error]



=== TEST 5: several zones: a request refused by one spends nothing in another
--- http_config
    stratum_ratelimit_zone ip:1m key=$remote_addr rate=3r/m;
    stratum_ratelimit_zone user:1m key=$http_x_user rate=2r/m;
--- config
    location = /t {
        stratum_ratelimit ip user;
        add_header X-RL-Zone $stratum_ratelimit_zone always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t", "GET /t"]
--- more_headers eval
["X-User: u1", "X-User: u1", "X-User: u1", "X-User: u2", "X-User: u3"]
--- error_code eval
[200, 200, 429, 200, 429]
--- response_headers eval
[
"RateLimit-Limit: 2
RateLimit-Remaining: 1
!X-RL-Zone",
"RateLimit-Limit: 2
RateLimit-Remaining: 0",
"X-RL-Zone: user
RateLimit-Limit: 2",
"RateLimit-Limit: 3
RateLimit-Remaining: 0",
"X-RL-Zone: ip
RateLimit-Limit: 3
Retry-After: 20"
]
--- no_error_log
[error]



=== TEST 6: an empty key is not counted, like limit_req
--- http_config
    stratum_ratelimit_zone e:1m key=$http_x_user rate=1r/h;
--- config
    location = /t {
        stratum_ratelimit e;
        add_header X-RL $stratum_ratelimit_status always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t", "GET /t"]
--- more_headers eval
["", "", "X-User: u1", "X-User: u1", ""]
--- error_code eval
[200, 200, 200, 429, 200]
--- response_headers eval
["!RateLimit-Limit\n!X-RL", "!RateLimit-Limit\n!X-RL",
 "RateLimit-Limit: 1\nX-RL: passed", "X-RL: refused",
 "!RateLimit-Limit\n!X-RL"]
--- no_error_log
[error]



=== TEST 7: dry run: nothing is refused, the would-be refusals are logged
--- http_config
    stratum_ratelimit_zone dry:1m key=$remote_addr rate=1r/h;
--- config
    location = /t {
        stratum_ratelimit dry;
        stratum_ratelimit_dry_run on;
        add_header X-RL "$stratum_ratelimit_status/$stratum_ratelimit_zone" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /t", "GET /t",
 "GET /ctl/log?s=stratum+ratelimit:+limiting+requests+(dry+run),+zone+%22dry%22"]
--- error_code eval
[200, 200, 200, 200]
--- response_headers eval
["!RateLimit-Limit\nX-RL: passed/", "!Retry-After\nX-RL: dry_run/dry",
 "X-RL: dry_run/dry", ""]
--- response_body_like eval
["^ok\$", "^ok\$", "^ok\$", "^2\$"]
--- no_error_log
[error]



=== TEST 8: error_page 429 replaces the body, Retry-After stays
--- http_config
    stratum_ratelimit_zone ep:1m key=$remote_addr rate=1r/h;
--- config
    location = /t {
        stratum_ratelimit ep;
        error_page 429 /busy.txt;
        try_files /ok.txt =404;
    }

    location = /busy.txt {
        internal;
    }
--- user_files
>>> busy.txt
too busy, come back later
--- request eval
["GET /t", "GET /t"]
--- error_code eval
[200, 429]
--- response_headers eval
["RateLimit-Remaining: 0", "Retry-After: 3600\nRateLimit-Reset: 3600"]
--- response_body_like eval
["^ok\$", "^too busy, come back later\$"]
--- no_error_log
[error]



=== TEST 9: an internal redirect does not count a request twice
--- http_config
    stratum_ratelimit_zone ir:1m key=$remote_addr rate=2r/h;
--- config
    stratum_ratelimit ir;

    location = /t {
        try_files /missing @next;
    }

    location @next {
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- error_code eval
[200, 200, 429]
--- response_headers eval
["RateLimit-Remaining: 1", "RateLimit-Remaining: 0", "Retry-After: 1800"]
--- no_error_log
[error]



=== TEST 10: stratum_ratelimit_headers off keeps Retry-After only
--- http_config
    stratum_ratelimit_zone h:1m key=$remote_addr rate=1r/h;
--- config
    location = /t {
        stratum_ratelimit h;
        stratum_ratelimit_headers off;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /t"]
--- error_code eval
[200, 429]
--- response_headers eval
["!RateLimit-Limit\n!RateLimit-Remaining\n!RateLimit-Reset",
 "!RateLimit-Limit\nRetry-After: 3600"]
--- no_error_log
[error]



=== TEST 11: keys from the token: the tenant and the subject
--- http_config
    stratum_ratelimit_zone tenant:1m key=$stratum_auth_tenant_id rate=3r/h;
    stratum_ratelimit_zone subject:1m key=$stratum_auth_sub rate=2r/h;
--- config
    location = /t {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_ratelimit tenant subject;
        add_header X-RL-Zone $stratum_ratelimit_zone always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t"]
--- more_headers eval
[@{ main::bearer(qw(a1 a1 a1 b1 c1 d2)) }, ""]
--- error_code eval
[200, 200, 429, 200, 429, 200, 401]
--- response_headers eval
["RateLimit-Limit: 2\nRateLimit-Remaining: 1",
 "RateLimit-Remaining: 0",
 "X-RL-Zone: subject\nRetry-After: 1800",
 "RateLimit-Limit: 3\nRateLimit-Remaining: 0",
 "X-RL-Zone: tenant\nRetry-After: 1200",
 "RateLimit-Limit: 2\nRateLimit-Remaining: 1",
 "!RateLimit-Limit"]
--- no_error_log
[error]



=== TEST 12: keys holding spaces, newlines, braces and non-ASCII bytes
--- http_config
    stratum_ratelimit_zone bytes:1m key=$uri rate=1r/h;
    stratum_ratelimit_zone pair:1m key=$http_x_key tenant=$http_x_tenant
                                   rate=1r/h;
--- config
    location /k/ {
        stratum_ratelimit bytes;
        try_files /ok.txt =404;
    }

    location = /pair {
        stratum_ratelimit pair;
        try_files /ok.txt =404;
    }
--- request eval
["GET /k/a%20b%0A%7Bc%7D%C3%A9", "GET /k/a%20b%0A%7Bc%7D%C3%A9",
 "GET /k/a%20b%0A%7Bc%7D%C3%A8", "GET /k/a%20b%0A%7Bc%7D%C3%A8",
 "GET /pair", "GET /pair", "GET /pair"]
--- more_headers eval
["", "", "", "",
 "X-Tenant: {a}\nX-Key: :b", "X-Tenant: {a}:\nX-Key: b",
 "X-Tenant: {a}\nX-Key: :b"]
--- error_code eval
[200, 429, 200, 429, 200, 200, 429]
--- no_error_log
[error]



=== TEST 13: thousands of requests per second
--- http_config
    stratum_ratelimit_zone fast:1m key=$remote_addr rate=6000r/s;
--- config
    location = /t {
        stratum_ratelimit fast;
        try_files /ok.txt =404;
    }
--- request
GET /t
--- response_headers
RateLimit-Limit: 6000
RateLimit-Remaining: 5999
RateLimit-Reset: 1
--- no_error_log
[error]



=== TEST 14: refusals are logged at stratum_ratelimit_log_level
--- http_config
    stratum_ratelimit_zone lv:1m key=$remote_addr rate=1r/h;
--- config
    location = /t {
        stratum_ratelimit lv;
        stratum_ratelimit_log_level notice;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /t",
 "GET /ctl/log?re=%5C%5Bnotice%5C%5D.*stratum+ratelimit:+limiting+requests,+zone+%22lv%22,+retry+after+3600+s"]
--- error_code eval
[200, 429, 200]
--- response_body_like eval
["^ok\$", "retry_after", "^1\$"]
--- no_error_log
[error]



=== TEST 15: stratum_ratelimit off below a level that limits
--- http_config
    stratum_ratelimit_zone o:1m key=$remote_addr rate=1r/h;
--- config
    stratum_ratelimit o;

    location /t {
        stratum_ratelimit off;
        try_files /ok.txt =404;
    }

    location /u {
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /u", "GET /u"]
--- error_code eval
[200, 200, 200, 200, 429]
--- response_headers eval
["!RateLimit-Limit", "!RateLimit-Limit", "!RateLimit-Limit",
 "RateLimit-Limit: 1", "Retry-After: 3600"]
--- no_error_log
[error]



=== TEST 16: the variables where nothing is limited
--- config
    location = /t {
        add_header X-RL "s=$stratum_ratelimit_status z=$stratum_ratelimit_zone b=$stratum_ratelimit_backend r=$stratum_ratelimit_redis" always;
        try_files /ok.txt =404;
    }
--- request
GET /t
--- response_headers
X-RL: s= z= b= r=
--- no_error_log
[error]



=== TEST 17: a zone with no room for a longer key answers 503, and says so
--- http_config
    stratum_ratelimit_zone s:32k key=$arg_k rate=1r/h backend=local;
--- config
    location = /t {
        stratum_ratelimit s;
        try_files /ok.txt =404;
    }
--- request eval
[(map { "GET /t?k=$_" } 1 .. 600), "GET /t?k=" . ('x' x 1000),
 "GET /ctl/log?s=zone+%22s%22+is+full,+request+refused+with+503"]
--- error_code eval
[(200) x 600, 503, 200]
--- response_body_like eval
[("^ok\$") x 600,
 qr/^\{"detail":"rate limit unavailable","retry_after":1\}$/, "^1\$"]
--- no_error_log
[alert]
