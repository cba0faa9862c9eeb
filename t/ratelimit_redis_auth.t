# vi:filetype=perl

# The Redis client's AUTH and SELECT, against a redis-server that asks for
# a password ("requirepass") and has an ACL user: right and wrong
# credentials, none at all, a database that does not exist.  A connection
# whose AUTH or SELECT fails counts as a failure of Redis (the zone falls
# back to local); the credentials never reach the error log.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/ratelimit";
use StratumRedis;

repeat_each(1);
log_level('info');
no_shuffle();

StratumRedis::start(redis => ['--requirepass', 'default-pw',
                              '--user', 'alice', 'on', '>alice-pw', '~*',
                              '&*', '+@all'],
                    auth => ['default-pw']);

add_block_preprocessor(\&StratumRedis::preprocess);

plan tests => StratumRedis::plan_checks(blocks());

run_tests();

__DATA__

=== TEST 1: the right password
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_redis_password default-pw;
    stratum_ratelimit_zone a:1m key=$remote_addr rate=2r/h;
--- config
    location = /t {
        stratum_ratelimit a;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_backend" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /t", "GET /t"]
--- error_code eval
[200, 200, 200, 429]
--- response_headers eval
["", "X-RL: passed redis", "X-RL: passed redis", "X-RL: refused redis"]
--- no_error_log
[error]
default-pw



=== TEST 2: a wrong password: Redis counts as down, the zone goes local
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_redis_password wrong-pw;
    stratum_redis_max_fails 1;
    stratum_ratelimit_zone b:1m key=$remote_addr rate=1r/h;
--- config
    location = /t {
        stratum_ratelimit b;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_backend $stratum_ratelimit_redis" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /t",
 "GET /ctl/log?s=is+down+(AUTH+or+SELECT+refused:+WRONGPASS",
 "GET /ctl/log?s=wrong-pw"]
--- error_code eval
[200, 429, 200, 200]
--- response_headers eval
["X-RL: passed local down", "X-RL: refused local down", "", ""]
--- response_body_like eval
["^ok\$", "retry_after", "^1\$", "^0\$"]



=== TEST 3: an ACL user and the right password
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_redis_user alice;
    stratum_redis_password alice-pw;
    stratum_ratelimit_zone c:1m key=$remote_addr rate=1r/h;
--- config
    location = /t {
        stratum_ratelimit c;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_backend" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /ctl/cmd?a=FLUSHALL", "GET /t", "GET /t",
 "GET /ctl/cmd?a=EXISTS&a=stratum:rl:tenant:%7B%7D:c:3132372e302e302e31"]
--- error_code eval
[200, 200, 429, 200]
--- response_headers eval
["", "X-RL: passed redis", "X-RL: refused redis", ""]
--- response_body_like eval
["OK", "^ok\$", "retry_after", "^1\$"]
--- no_error_log
[error]
alice-pw



=== TEST 4: an ACL user and a wrong password
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_redis_user alice;
    stratum_redis_password not-alices-pw;
    stratum_redis_max_fails 1;
    stratum_ratelimit_zone d:1m key=$remote_addr rate=1r/h;
--- config
    location = /t {
        stratum_ratelimit d;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_backend" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /ctl/log?s=WRONGPASS", "GET /ctl/log?s=not-alices-pw",
 "GET /ctl/log?s=alice"]
--- error_code eval
[200, 200, 200, 200]
--- response_headers eval
["X-RL: passed local", "", "", ""]
--- response_body_like eval
["^ok\$", "^1\$", "^0\$", "^0\$"]



=== TEST 5: no credentials where Redis wants them
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_ratelimit_zone e:1m key=$remote_addr rate=1r/h failure=closed;
--- config
    location = /t {
        stratum_ratelimit e;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_zone" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /ctl/log?s=redis+replied+%22NOAUTH"]
--- error_code eval
[503, 200]
--- response_headers eval
["X-RL: unavailable e", ""]
--- response_body_like eval
["rate limit unavailable", "^1\$"]



=== TEST 6: a database that does not exist
--- http_config
    stratum_redis_server 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    stratum_redis_password default-pw;
    stratum_redis_database 99;
    stratum_redis_max_fails 1;
    stratum_ratelimit_zone f:1m key=$remote_addr rate=1r/h;
--- config
    location = /t {
        stratum_ratelimit f;
        add_header X-RL "$stratum_ratelimit_status $stratum_ratelimit_backend" always;
        try_files /ok.txt =404;
    }
--- request eval
["GET /t", "GET /ctl/log?s=is+down+(AUTH+or+SELECT+refused:+ERR+DB+index+is+out+of+range)"]
--- error_code eval
[200, 200]
--- response_headers eval
["X-RL: passed local", ""]
--- response_body_like eval
["^ok\$", "^1\$"]
