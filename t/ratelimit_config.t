# vi:filetype=perl

# The rate-limit module and the Redis client: configurations nginx must
# refuse to start with, each with the message that says why.  Nothing is
# started: no Redis, no request.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/ratelimit";
use StratumRedis;

repeat_each(1);
no_shuffle();

# every block: nginx dies, "[emerg]" and the message are logged
plan tests => repeat_each() * (blocks() * 3);

run_tests();

__DATA__

=== TEST 1: a zone without a size
--- http_config
    stratum_ratelimit_zone z key=$remote_addr rate=1r/s;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid zone "z", expected NAME:SIZE



=== TEST 2: a zone name that would change the Redis key's structure
--- http_config
    stratum_ratelimit_zone "a{b}:1m" key=$remote_addr rate=1r/s;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid zone name "a{b}"



=== TEST 3: an invalid zone size
--- http_config
    stratum_ratelimit_zone z:lots key=$remote_addr rate=1r/s;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid zone size "z:lots"



=== TEST 4: a zone too small
--- http_config
    stratum_ratelimit_zone z:4k key=$remote_addr rate=1r/s;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
zone "z:4k" is too small



=== TEST 5: a zone without a key
--- http_config
    stratum_ratelimit_zone z:1m rate=1r/s;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
zone "z" has no "key" parameter



=== TEST 6: a zone without a rate
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
zone "z" has no "rate" parameter



=== TEST 7: an empty key
--- http_config
    stratum_ratelimit_zone z:1m key= rate=1r/s;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid parameter "key="



=== TEST 8: a key with an unknown variable
--- http_config
    stratum_ratelimit_zone z:1m key=$no_such_thing rate=1r/s;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
unknown "no_such_thing" variable



=== TEST 9: a rate per day
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=10r/d;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid parameter "rate=10r/d"



=== TEST 10: a rate of zero
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=0r/s;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid parameter "rate=0r/s"



=== TEST 11: a rate that is not a number
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=manyr/s;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid parameter "rate=manyr/s"



=== TEST 12: a rate above a million per second
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=2000000r/s;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid parameter "rate=2000000r/s"



=== TEST 13: a burst of zero
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=1r/s burst=0;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid parameter "burst=0"



=== TEST 14: a burst above a million
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=1r/s burst=1000001;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid parameter "burst=1000001"



=== TEST 15: an unknown backend
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=1r/s backend=memcached;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid parameter "backend=memcached"



=== TEST 16: an unknown failure policy
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=1r/s backend=redis failure=retry;
    stratum_redis_server 127.0.0.1:6379;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid parameter "failure=retry"



=== TEST 17: an unknown parameter
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=1r/s nodelay;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid parameter "nodelay"



=== TEST 18: a parameter given twice
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr key=$uri rate=1r/s;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
duplicate parameter "key=$uri"



=== TEST 19: a zone declared twice
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=1r/s;
    stratum_ratelimit_zone z:1m key=$uri rate=1r/s;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
duplicate zone "z"



=== TEST 20: a zone outside http
--- config
    location = /t {
        stratum_ratelimit_zone z:1m key=$remote_addr rate=1r/s;
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
"stratum_ratelimit_zone" directive is not allowed here



=== TEST 21: an unknown zone
--- config
    location = /t {
        stratum_ratelimit nowhere;
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
unknown zone "nowhere", declare it with "stratum_ratelimit_zone" before using it



=== TEST 22: a zone used twice in one location
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=1r/s;
--- config
    location = /t {
        stratum_ratelimit z z;
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
zone "z" is already used here



=== TEST 23: off after zones at the same level
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=1r/s;
--- config
    location = /t {
        stratum_ratelimit z;
        stratum_ratelimit off;
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
"stratum_ratelimit" directive is duplicate



=== TEST 24: the redis backend without a server
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=1r/s backend=redis;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
uses the redis backend but "stratum_redis_server" is not set



=== TEST 25: a failure policy on a local zone
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=1r/s failure=open;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
uses the local backend, "failure" applies only to the redis backend



=== TEST 26: an unknown log level
--- http_config
    stratum_ratelimit_zone z:1m key=$remote_addr rate=1r/s;
--- config
    location = /t {
        stratum_ratelimit z;
        stratum_ratelimit_log_level debug;
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid value "debug"



=== TEST 27: a Redis address that does not parse
--- http_config
    stratum_redis_server 127.0.0.1:notaport;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid port in "127.0.0.1:notaport" of "stratum_redis_server"



=== TEST 28: a Redis address with a path
--- http_config
    stratum_redis_server 127.0.0.1:6379/0;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
invalid host in "127.0.0.1:6379/0" of "stratum_redis_server"



=== TEST 29: two Redis servers
--- http_config
    stratum_redis_server 127.0.0.1:6379;
    stratum_redis_server 127.0.0.1:6380;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
"stratum_redis_server" directive is duplicate



=== TEST 30: an ACL user without a password
--- http_config
    stratum_redis_server 127.0.0.1:6379;
    stratum_redis_user alice;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
"stratum_redis_user" needs "stratum_redis_password"



=== TEST 31: an empty password
--- http_config
    stratum_redis_server 127.0.0.1:6379;
    stratum_redis_password "";
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
"stratum_redis_password" directive must not be empty



=== TEST 32: a password without a server
--- http_config
    stratum_redis_password s3cret-never-logged;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
is set but "stratum_redis_server" is not



=== TEST 33: a database out of range
--- http_config
    stratum_redis_server 127.0.0.1:6379;
    stratum_redis_database 70000;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
must be between 0 and 65535



=== TEST 34: a timeout of zero
--- http_config
    stratum_redis_server 127.0.0.1:6379;
    stratum_redis_read_timeout 0;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
stratum redis timeouts must not be zero



=== TEST 35: a timeout that is not a time
--- http_config
    stratum_redis_server 127.0.0.1:6379;
    stratum_redis_connect_timeout soon;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
"stratum_redis_connect_timeout" directive invalid value



=== TEST 36: no failures allowed before the breaker opens
--- http_config
    stratum_redis_server 127.0.0.1:6379;
    stratum_redis_max_fails 0;
--- config
    location = /t {
        try_files /ok.txt =404;
    }
--- must_die
--- error_log
[emerg]
"stratum_redis_max_fails" must be at least 1
