# vi:filetype=perl

# The rate-limit module on its Redis backend, against a real redis-server
# that t/ratelimit/StratumRedis.pm starts for this suite: the counts, the
# burst, the window, several zones, keys (claims, any bytes, the prefix,
# the database), SCRIPT FLUSH, keys overwritten by something else, and
# two nginx instances sharing one Redis.
#
# Every block begins with FLUSHALL through the control location, so the
# blocks do not see each other's counters.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/lib";
use lib "$FindBin::Bin/ratelimit";
use Stratum::Tokens;
use StratumRedis;

# counters outlive a block's repeats, so every block runs once
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

# the Redis key of 127.0.0.1 without a tenant, in zone Z
sub ipkey {
    return "stratum:rl:tenant:%7B%7D:$_[0]:3132372e302e302e31";
}

plan tests => StratumRedis::plan_checks(blocks());

run_tests();

__DATA__

=== TEST 1: exactly N requests are admitted, the N+1th is refused
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone n:1m key=$remote_addr rate=3r/m;
--- config
    location = /t {
        stratum_ratelimit n;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_backend $stratum_ratelimit_redis" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /t", "GET /t", "GET /t",
 "GET /ctl/cmd?a=PTTL&a=" . main::ipkey("n")]
--- error_code eval
[200, 200, 200, 200, 429, 200]
--- response_headers eval
["",
"RateLimit-Limit: 3
RateLimit-Remaining: 2
RateLimit-Reset: 20
X-RL: passed redis up",
"RateLimit-Remaining: 1
RateLimit-Reset: 40",
"RateLimit-Remaining: 0
RateLimit-Reset: 60",
"RateLimit-Limit: 3
RateLimit-Remaining: 0
RateLimit-Reset: 20
Retry-After: 20
X-RL: refused redis up",
""]
--- response_body_like eval
["OK", "^ok\$", "^ok\$", "^ok\$",
 qr/^\{"detail":"rate limit exceeded","retry_after":20\}$/,
 "^(59[0-9]{3}|60000)\$"]
--- no_error_log
[error]
stratum redis:
redis replied



=== TEST 2: the burst
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone b:1m key=$remote_addr rate=1r/h burst=3;
--- config
    location = /t {
        stratum_ratelimit b;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /t", "GET /t", "GET /t"]
--- error_code eval
[200, 200, 200, 200, 429]
--- response_headers eval
["", "RateLimit-Limit: 3\nRateLimit-Remaining: 2\nRateLimit-Reset: 3600",
 "RateLimit-Remaining: 1", "RateLimit-Remaining: 0\nRateLimit-Reset: 10800",
 "RateLimit-Limit: 3\nRateLimit-Reset: 3600\nRetry-After: 3600"]
--- no_error_log
[error]



=== TEST 3: the window slides, in Redis's time
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone w:1m key=$remote_addr rate=1r/s burst=2;
--- config
    location = /t {
        stratum_ratelimit w;
        add_header X-RL $stratum_ratelimit_backend always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /t", "GET /t",
 "GET /ctl/sleep?ms=1100", "GET /t", "GET /t"]
--- error_code eval
[200, 200, 200, 429, 200, 200, 429]
--- response_headers eval
["", "X-RL: redis", "X-RL: redis", "X-RL: redis", "", "X-RL: redis",
 "Retry-After: 1"]
--- no_error_log
[error]



=== TEST 4: several zones: a request refused by one spends nothing in another
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone ip:1m key=$remote_addr rate=3r/m;
    stratum_ratelimit_zone user:1m key=$http_x_user rate=2r/m;
--- config
    location = /t {
        stratum_ratelimit ip user;
        add_header X-RL-Zone $stratum_ratelimit_zone always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /t", "GET /t", "GET /t",
 "GET /t", "GET /ctl/cmd?a=EXISTS&a=stratum:rl:tenant:%7B%7D:user:7533"]
--- more_headers eval
["", "X-User: u1", "X-User: u1", "X-User: u1", "X-User: u2", "X-User: u3",
 ""]
--- error_code eval
[200, 200, 200, 429, 200, 429, 200]
--- response_headers eval
["",
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
Retry-After: 20",
""]
--- response_body_like eval
["OK", "^ok\$", "^ok\$", "retry_after", "^ok\$", "retry_after", "^0\$"]
--- no_error_log
[error]



=== TEST 5: a local zone that refuses first leaves Redis untouched
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone loc:1m key=$remote_addr rate=1r/h backend=local;
    stratum_ratelimit_zone red:1m key=$remote_addr rate=5r/h;
--- config
    location = /t {
        stratum_ratelimit loc red;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_zone" always;
        try_files /ok.txt =404;
    }

    location = /red {
        stratum_ratelimit red;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /t", "GET /t", "GET /red"]
--- error_code eval
[200, 200, 429, 429, 200]
--- response_headers eval
["", "RateLimit-Limit: 1\nRateLimit-Remaining: 0", "X-RL: refused loc",
 "X-RL: refused loc", "RateLimit-Limit: 5\nRateLimit-Remaining: 3"]
--- no_error_log
[error]



=== TEST 6: Redis refuses: the local zone charged before gets its share back
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone loc:1m key=$remote_addr rate=3r/h backend=local;
    stratum_ratelimit_zone red:1m key=$remote_addr rate=1r/h;
--- config
    location = /t {
        stratum_ratelimit loc red;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_zone" always;
        try_files /ok.txt =404;
    }

    location = /loc {
        stratum_ratelimit loc;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /t", "GET /t", "GET /loc",
 "GET /loc", "GET /loc"]
--- error_code eval
[200, 200, 429, 429, 200, 200, 429]
--- response_headers eval
["", "RateLimit-Limit: 1\nRateLimit-Remaining: 0", "X-RL: refused red",
 "X-RL: refused red", "RateLimit-Limit: 3\nRateLimit-Remaining: 1",
 "RateLimit-Remaining: 0", "RateLimit-Remaining: 0"]
--- no_error_log
[error]



=== TEST 7: while Redis is asked, the local zone's last request is taken
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_redis_read_timeout 3s;
    stratum_ratelimit_zone loc:1m key=$remote_addr rate=1r/h backend=local;
    stratum_ratelimit_zone red:1m key=$remote_addr rate=5r/h;
--- config
    location = /t {
        stratum_ratelimit loc red;
        try_files /ok.txt =404;
    }

    location = /loc {
        stratum_ratelimit loc;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL",
 "GET /ctl/cmd?a=CLIENT&a=PAUSE&a=600&a=WRITE",
 "GET /ctl/bg?uri=/t", "GET /ctl/sleep?ms=150", "GET /loc",
 "GET /ctl/bgresult", "GET /ctl/cmd?a=EXISTS&a=" . main::ipkey("red")]
--- error_code eval
[200, 200, 200, 200, 429, 200, 200]
--- response_body_like eval
["OK", "OK", "started", "slept", "retry_after", "^200\$", "^1\$"]
--- no_error_log
[error]



=== TEST 8: keys from the token: the tenant and the subject
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone tenant:1m key=$stratum_auth_tenant_id rate=3r/h;
    stratum_ratelimit_zone subject:1m key=$stratum_auth_sub
                           tenant=$stratum_auth_tenant_id rate=2r/h;
--- config
    location = /t {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_ratelimit tenant subject;
        add_header X-RL "$stratum_ratelimit_backend $stratum_ratelimit_zone" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /t", "GET /t", "GET /t",
 "GET /t", "GET /t",
 "GET /ctl/cmd?a=EXISTS&a=stratum:rl:tenant:%7B742d31%7D:subject:616c696365"]
--- more_headers eval
["", @{ main::bearer(qw(a1 a1 a1 b1 c1 d2)) }, ""]
--- error_code eval
[200, 200, 200, 429, 200, 429, 200, 200]
--- response_headers eval
["",
 "RateLimit-Limit: 2\nRateLimit-Remaining: 1",
 "RateLimit-Remaining: 0",
 "X-RL: redis subject\nRetry-After: 1800",
 "RateLimit-Limit: 3\nRateLimit-Remaining: 0",
 "X-RL: redis tenant\nRetry-After: 1200",
 "RateLimit-Limit: 2\nRateLimit-Remaining: 1",
 ""]
--- response_body_like eval
["OK", "^ok\$", "^ok\$", "retry_after", "^ok\$", "retry_after", "^ok\$",
 "^1\$"]
--- no_error_log
[error]



=== TEST 9: keys holding spaces, newlines, braces and non-ASCII bytes
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone bytes:1m key=$uri tenant=$http_x_tenant
                           rate=1r/h;
--- config
    location /k/ {
        stratum_ratelimit bytes;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL",
 "GET /k/a%20b%0A%7Bc%7D%C3%A9", "GET /k/a%20b%0A%7Bc%7D%C3%A9",
 "GET /k/a%20b%0A%7Bc%7D%C3%A8",
 "GET /k/x", "GET /k/x",
 "GET /ctl/cmd?a=EXISTS&a=stratum:rl:tenant:%7B%7D:bytes:2f6b2f6120620a7b637dc3a9",
 "GET /ctl/cmd?a=EXISTS&a=stratum:rl:tenant:%7B7b617d3a%7D:bytes:2f6b2f78"]
--- more_headers eval
["", "", "", "", "X-Tenant: {a}:", "X-Tenant: {a}", "", ""]
--- error_code eval
[200, 200, 429, 200, 200, 200, 200, 200]
--- response_body_like eval
["OK", "^ok\$", "retry_after", "^ok\$", "^ok\$", "^ok\$", "^1\$", "^1\$"]
--- no_error_log
[error]



=== TEST 10: the key prefix
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_key_prefix app1:;
    stratum_ratelimit_zone kp:1m key=$remote_addr rate=1r/h;
--- config
    location = /t {
        stratum_ratelimit kp;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t",
 "GET /ctl/cmd?a=EXISTS&a=app1:tenant:%7B%7D:kp:3132372e302e302e31"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
["OK", "^ok\$", "^1\$"]
--- no_error_log
[error]



=== TEST 11: SCRIPT FLUSH between requests: the script is loaded again
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone sf:1m key=$remote_addr rate=3r/h;
--- config
    location = /t {
        stratum_ratelimit sf;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_backend" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /ctl/cmd?a=SCRIPT&a=FLUSH", "GET /t",
 "GET /t", "GET /ctl/cmd?a=SCRIPT&a=FLUSH", "GET /t", "GET /t"]
--- error_code eval
[200, 200, 200, 200, 200, 200, 429]
--- response_headers eval
["", "", "X-RL: passed redis\nRateLimit-Remaining: 2",
 "X-RL: passed redis\nRateLimit-Remaining: 1", "",
 "X-RL: passed redis\nRateLimit-Remaining: 0", "X-RL: refused redis"]
--- no_error_log
[error]
stratum redis:
redis replied



=== TEST 12: a key overwritten by something else follows the zone's policy
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone wl:1m key=$remote_addr rate=1r/h;
    stratum_ratelimit_zone wo:1m key=$remote_addr rate=1r/h failure=open;
    stratum_ratelimit_zone wc:1m key=$remote_addr rate=1r/h failure=closed;
--- config
    location = /wl {
        stratum_ratelimit wl;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_backend $stratum_ratelimit_redis" always;
        try_files /ok.txt =404;
    }

    location = /wo {
        stratum_ratelimit wo;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_backend $stratum_ratelimit_redis" always;
        try_files /ok.txt =404;
    }

    location = /wc {
        stratum_ratelimit wc;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_zone $stratum_ratelimit_redis" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL",
 "GET /ctl/cmd?a=HSET&a=" . main::ipkey("wl") . "&a=f&a=v",
 "GET /ctl/cmd?a=SET&a=" . main::ipkey("wo") . "&a=not+a+number",
 "GET /ctl/cmd?a=SET&a=" . main::ipkey("wc") . "&a=nan",
 "GET /wl", "GET /wl", "GET /wo", "GET /wo", "GET /wc",
 "GET /ctl/log?s=stratum+ratelimit:+redis+replied"]
--- error_code eval
[200, 200, 200, 200, 200, 429, 200, 200, 503, 200]
--- response_headers eval
["", "", "", "",
 "X-RL: passed local up", "X-RL: refused local up",
 "X-RL: passed none up\n!RateLimit-Limit", "X-RL: passed none up",
 "X-RL: unavailable wc up\nRetry-After: 1\n!RateLimit-Limit", ""]
--- response_body_like eval
["OK", "^1\$", "OK", "OK", "^ok\$", "retry_after", "^ok\$", "^ok\$",
 qr/^\{"detail":"rate limit unavailable","retry_after":1\}$/, "^5\$"]
--- no_error_log
[error]



=== TEST 13: the database
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_redis_database 3;
    stratum_ratelimit_zone db:1m key=$remote_addr rate=1r/h;
--- config
    location = /t {
        stratum_ratelimit db;
        add_header X-RL $stratum_ratelimit_backend always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /t",
 "GET /ctl/cmd?db=3&a=EXISTS&a=" . main::ipkey("db"),
 "GET /ctl/cmd?a=EXISTS&a=" . main::ipkey("db")]
--- error_code eval
[200, 200, 429, 200, 200]
--- response_headers eval
["", "X-RL: redis", "X-RL: redis", "", ""]
--- response_body_like eval
["OK", "^ok\$", "retry_after", "^1\$", "^0\$"]
--- no_error_log
[error]



=== TEST 14: two nginx instances on one Redis never admit more than the limit
--- init
StratumRedis::start_second(<<'_EOC_');
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone shared:1m key=$http_x_client rate=4r/h;
    server {
        listen 127.0.0.1:$TEST_NGINX_RL_SECOND_PORT;
        location = /limited {
            stratum_ratelimit shared;
            add_header X-RL "second $stratum_ratelimit_status $stratum_ratelimit_backend" always;
            empty_gif;
        }
    }
_EOC_
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone shared:1m key=$http_x_client rate=4r/h;
--- config
    location = /t {
        stratum_ratelimit shared;
        add_header X-RL "first $stratum_ratelimit_status $stratum_ratelimit_backend" always;
        try_files /ok.txt =404;
    }

    location = /second {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RL_SECOND_PORT/limited;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /second", "GET /t", "GET /second",
 "GET /t", "GET /second", "GET /t"]
--- more_headers eval
["", ("X-Client: c1") x 7]
--- error_code eval
[200, 200, 200, 200, 200, 429, 429, 429]
--- response_headers eval
["",
 "X-RL: first passed redis\nRateLimit-Remaining: 3",
 "X-RL: second passed redis\nRateLimit-Remaining: 2",
 "X-RL: first passed redis\nRateLimit-Remaining: 1",
 "X-RL: second passed redis\nRateLimit-Remaining: 0",
 "X-RL: first refused redis\nRetry-After: 900",
 "X-RL: second refused redis\nRetry-After: 900",
 "X-RL: first refused redis"]
--- no_error_log
[error]
