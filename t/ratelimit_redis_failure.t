# vi:filetype=perl

# The rate-limit module when Redis fails: Redis stopped mid-run under each
# failure policy and started again, a Redis that accepts connections but
# never answers, a client that leaves while Redis is being asked, a
# restart between requests, and a connect() that hangs.  The breaker opens at the first failure here
# (stratum_redis_max_fails 1) and probes every 500 ms; the outage is
# logged once when it starts and once when it ends, counted through
# /ctl/log.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/ratelimit";
use StratumRedis;

# counters and the breaker outlive a block's repeats: every block runs once
repeat_each(1);
log_level('info');
no_shuffle();

StratumRedis::start();

add_block_preprocessor(\&StratumRedis::preprocess);

plan tests => StratumRedis::plan_checks(blocks());

run_tests();

__DATA__

=== TEST 1: failure=local: Redis stopped mid-run, then started again
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_redis_max_fails 1;
    stratum_redis_fail_timeout 500ms;
    stratum_ratelimit_zone fl:1m key=$remote_addr rate=3r/h;
--- config
    location = /t {
        stratum_ratelimit fl;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_backend $stratum_ratelimit_redis" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /t", "GET /ctl/redis/stop",
 "GET /t", "GET /t", "GET /t", "GET /t", "GET /ctl/sleep?ms=600",
 "GET /t", "GET /ctl/log?s=is+down", "GET /ctl/redis/start",
 "GET /ctl/sleep?ms=600", "GET /t", "GET /t",
 "GET /ctl/log?s=is+down+(connect()+failed),+probing+every+500+ms",
 "GET /ctl/log?s=is+up+again"]
--- error_code eval
[200, 200, 200, 200, 200, 200, 200, 429, 200, 429, 200, 200, 200, 200, 200,
 200, 200]
--- response_headers eval
["", "X-RL: passed redis up", "X-RL: passed redis up\nRateLimit-Remaining: 1",
 "", "X-RL: passed local down\nRateLimit-Remaining: 2",
 "X-RL: passed local down", "X-RL: passed local down",
 "X-RL: refused local down\nRetry-After: 1200", "",
 "X-RL: refused local down", "", "", "",
 "X-RL: passed redis up\nRateLimit-Remaining: 2", "X-RL: passed redis up",
 "", ""]
--- response_body_like eval
["OK", "^ok\$", "^ok\$", "stopped", "^ok\$", "^ok\$", "^ok\$", "retry_after",
 "slept", "retry_after", "^1\$", "started", "slept", "^ok\$", "^ok\$", "^1\$",
 "^1\$"]
--- no_error_log
[alert]
[crit]



=== TEST 2: failure=open: nothing is counted while Redis is down
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_redis_max_fails 1;
    stratum_redis_fail_timeout 500ms;
    stratum_ratelimit_zone fo:1m key=$remote_addr rate=1r/h failure=open;
--- config
    location = /t {
        stratum_ratelimit fo;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_backend $stratum_ratelimit_redis" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /t", "GET /ctl/redis/stop",
 "GET /t", "GET /t", "GET /t", "GET /ctl/redis/start",
 "GET /ctl/sleep?ms=600", "GET /t", "GET /t"]
--- error_code eval
[200, 200, 429, 200, 200, 200, 200, 200, 200, 200, 429]
--- response_headers eval
["", "X-RL: passed redis up", "X-RL: refused redis up", "",
 "X-RL: passed none down\n!RateLimit-Limit", "X-RL: passed none down",
 "X-RL: passed none down", "", "", "X-RL: passed redis up",
 "X-RL: refused redis up"]
--- no_error_log
[alert]
[crit]



=== TEST 3: failure=closed: 503 while Redis is down
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_redis_max_fails 1;
    stratum_redis_fail_timeout 500ms;
    stratum_ratelimit_zone fc:1m key=$remote_addr rate=2r/h failure=closed;
--- config
    location = /t {
        stratum_ratelimit fc;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_zone $stratum_ratelimit_redis" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /ctl/redis/stop", "GET /t",
 "GET /t", "GET /ctl/redis/start", "GET /ctl/sleep?ms=600", "GET /t",
 "GET /t"]
--- error_code eval
[200, 200, 200, 503, 503, 200, 200, 200, 200]
--- response_headers eval
["", "X-RL: passed  up", "",
 "X-RL: unavailable fc down\nRetry-After: 1\nContent-Type: application/json",
 "X-RL: unavailable fc down", "", "", "X-RL: passed  up",
 "RateLimit-Remaining: 0"]
--- response_body_like eval
["OK", "^ok\$", "stopped",
 qr/^\{"detail":"rate limit unavailable","retry_after":1\}$/,
 "unavailable", "started", "slept", "^ok\$", "^ok\$"]
--- no_error_log
[alert]
[crit]



=== TEST 4: a Redis that accepts connections but never answers
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_HOLE_PORT;
    stratum_redis_read_timeout 1500ms;
    stratum_redis_max_fails 1;
    stratum_redis_fail_timeout 10s;
    stratum_ratelimit_zone hole:1m key=$remote_addr rate=5r/h;
--- config
    location = /limited {
        stratum_ratelimit hole;
        try_files /ok.txt =404;
    }

    location = /fast {
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/bg?uri=/limited", "GET /ctl/probe?uri=/fast&max=500",
 "GET /ctl/bgresult?min=1400", "GET /ctl/probe?uri=/limited&max=500",
 "GET /ctl/log?s=is+down+(read+timed+out)"]
--- response_body eval
["started\n", "200 prompt\n", "200 slow\n", "200 prompt\n", "1\n"]
--- no_error_log
[alert]
[crit]



=== TEST 5: a client that leaves while Redis is being asked
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_HOLE_PORT;
    stratum_redis_read_timeout 500ms;
    stratum_ratelimit_zone gone:1m key=$remote_addr rate=5r/h;
--- config
    location = /limited {
        stratum_ratelimit gone;
        try_files /ok.txt =404;
    }

    location = /fast {
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/bg?uri=/limited&close=100", "GET /ctl/bgresult",
 "GET /ctl/sleep?ms=700", "GET /fast",
 "GET /ctl/log?s=client+prematurely+closed+connection"]
--- response_body eval
["started\n", "closed\n", "slept\n", "ok\n", "1\n"]
--- no_error_log
[alert]
[crit]



=== TEST 6: a Redis restart between requests costs no request
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone rs:1m key=$remote_addr rate=5r/h;
--- config
    location = /t {
        stratum_ratelimit rs;
        add_header X-RL "$stratum_ratelimit_backend $stratum_ratelimit_redis" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /t", "GET /ctl/redis/stop",
 "GET /ctl/redis/start", "GET /t", "GET /ctl/log?s=stratum+redis:"]
--- response_headers eval
["", "X-RL: redis up", "X-RL: redis up", "", "", "X-RL: redis up", ""]
--- response_body_like eval
["OK", "^ok\$", "^ok\$", "stopped", "started", "^ok\$", "^0\$"]
--- no_error_log
[alert]
[crit]



=== TEST 7: a connect() that hangs: the connect timeout
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_STALL_PORT;
    stratum_redis_connect_timeout 300ms;
    stratum_redis_max_fails 1;
    stratum_redis_fail_timeout 10s;
    stratum_ratelimit_zone stall:1m key=$remote_addr rate=5r/h;
--- config
    location = /limited {
        stratum_ratelimit stall;
        add_header X-RL "$stratum_ratelimit_backend $stratum_ratelimit_redis" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/probe?uri=/limited&max=100", "GET /limited", "GET /limited",
 "GET /ctl/log?s=is+down+(connect+timed+out)"]
--- response_headers eval
["", "X-RL: local down", "X-RL: local down", ""]
--- response_body_like eval
["^200 late\$", "^ok\$", "^ok\$", "^1\$"]
--- no_error_log
[alert]
[crit]
