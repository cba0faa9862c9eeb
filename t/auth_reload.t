# vi:filetype=perl

# The auth module across reloads: a key rotated by "nginx -s reload"
# (SIGHUP), with the verification cache on, and a reload that fails on a
# broken key and leaves the running configuration in place.
#
# See t/auth.t for the environment and the upstream on
# $TEST_NGINX_RAND_PORT_1.  Only TEST 1 has a --- config: TEST 2 and
# TEST 3 keep its nginx (both Test::Nginx runners reuse the previous
# nginx for a block without one), and the block preprocessor below
# rewrites the key file and sends SIGHUP before they run.  The blocks
# therefore run in order, once each; under valgrind (where our runner
# stops nginx after every block) there is nothing to reload.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/lib";
use Stratum::Tokens;

use File::Copy qw(copy);
use Time::HiRes ();

if ($ENV{TEST_NGINX_USE_VALGRIND}) {
    plan skip_all => 'no reload under valgrind: nginx restarts per block';
}

# nginx reloads for real only with a master process: a single process
# rereads its configuration but drops its listening sockets' events
master_on();
repeat_each(1);
log_level('info');
no_shuffle();

my $dir = Stratum::Tokens::make_keys();

add_block_preprocessor(\&Stratum::Tokens::add_upstream);

copy("$dir/rsa.pub", "$dir/current.pub") or die "copy: $!";

our %T = (
    old => mint(claims => { sub => 'user-old' }),
    new => mint(key => 'rsa2', claims => { sub => 'user-new' }),
);


sub log_has {
    my ($text) = @_;

    open my $in, '<', $Test::Nginx::Util::ErrLogFile or return 0;
    my $n = grep { index($_, $text) >= 0 } <$in>;
    close $in;

    return $n;
}


# SIGHUP to the running nginx, then wait until the log shows "$until"
# once more than before
sub reload {
    my ($until) = @_;

    open my $in, '<', $Test::Nginx::Util::PidFile
        or die "no pid file to reload nginx with: $!";
    my $pid = <$in> // '';
    close $in;

    $pid =~ /^(\d+)/ or die "bad pid file";
    $pid = $1;

    my $before = log_has($until);

    kill 'HUP', $pid or die "kill HUP $pid: $!";

    for (1 .. 500) {
        Time::HiRes::sleep(0.01);

        # a little more for the old worker to close its sockets
        if (log_has($until) > $before) {
            Time::HiRes::sleep(0.05);
            return;
        }
    }

    die "nginx did not log \"$until\" within 5 s of SIGHUP\n";
}


add_block_preprocessor(sub {
    my $block = shift;

    if ($block->name =~ /^TEST 2:/) {
        copy("$dir/rsa2.pub", "$dir/current.pub") or die "copy: $!";

        # the old worker is told to stop once the new one runs
        reload('gracefully shutting down');

    } elsif ($block->name =~ /^TEST 3:/) {
        copy("$dir/notakey.pub", "$dir/current.pub") or die "copy: $!";
        reload('holds no PEM public key');
    }
});

# per request: status, body, one response header and, checked after
# every request, the no_error_log pattern; TEST 3 adds two error_log
# patterns
plan tests => repeat_each() * (3 * 4 + 3 * 4 + (1 * 4 + 2));

run_tests();

__DATA__

=== TEST 1: before the rotation: the old key, cached
--- http_config
    stratum_auth_cache_zone jwt:1m;
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/current.pub;
        stratum_auth_cache jwt;
        add_header X-Cache "refused $stratum_auth_cache_status" always;
        proxy_set_header X-Echo-Header $stratum_auth_cache_status;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request eval
["GET /api", "GET /api", "GET /api"]
--- more_headers eval
["Authorization: Bearer $::T{old}", "Authorization: Bearer $::T{old}",
 "Authorization: Bearer $::T{new}"]
--- error_code eval
[200, 200, 401]
--- response_body eval
["sub=user-old\n", "sub=user-old\n", qq({"detail":"bad signature"}\n)]
--- response_headers eval
["X-Upstream: MISS", "X-Upstream: HIT", "X-Cache: refused MISS"]
--- no_error_log
[error]



=== TEST 2: after a reload onto the new key: no hit for the old token
--- request eval
["GET /api", "GET /api", "GET /api"]
--- more_headers eval
["Authorization: Bearer $::T{old}", "Authorization: Bearer $::T{new}",
 "Authorization: Bearer $::T{new}"]
--- error_code eval
[401, 200, 200]
--- response_body eval
[qq({"detail":"bad signature"}\n), "sub=user-new\n", "sub=user-new\n"]
--- response_headers eval
["X-Cache: refused MISS", "X-Upstream: MISS", "X-Upstream: HIT"]
--- no_error_log
[error]



=== TEST 3: a reload that fails on a broken key keeps the running keys
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{new}"
--- response_body
sub=user-new
--- response_headers
X-Upstream: HIT
--- error_log
[emerg]
current.pub" holds no PEM public key
--- no_error_log
[error]
