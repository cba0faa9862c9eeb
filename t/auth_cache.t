# vi:filetype=perl

# The auth module: the verification cache (stratum_auth_cache_zone,
# stratum_auth_cache).  Hits, and the cases that must not be hits: a
# token that has expired since, another policy, another key, another
# signature, a refused token; and the checks a hit still goes through.
#
# See t/auth.t for the environment and the upstream on
# $TEST_NGINX_RAND_PORT_1.  $stratum_auth_cache_status reaches the client
# through the upstream: it is sent as X-Echo-Header and comes back as the
# response header X-Upstream.  Every block sends its requests in order to
# one fresh nginx (a fresh zone), and runs once: a repeat would start
# with a warm cache.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/lib";
use Stratum::Tokens;

use List::Util ();

repeat_each(1);
log_level('info');
no_shuffle();

Stratum::Tokens::make_keys();

add_block_preprocessor(\&Stratum::Tokens::add_upstream);
add_block_preprocessor(\&Stratum::Tokens::expand_fresh);

my %user = (sub => 'user-1', tenant_id => 't-1', roles => ['admin'],
            permissions => ['orders:read']);

our %T = (
    user      => mint(claims => \%user),
    both_aud  => mint(claims => { %user,
                                  aud => ['orders-api', 'billing-api'] }),
    orders    => mint(claims => { %user, aud => 'orders-api' }),
    pwd       => mint(claims => { %user, amr => ['pwd'] }),
    email     => mint(kid => 'k1', claims => { %user,
                                               email => 'user@example.com' }),
    bulky     => mint(claims => { %user,
                                  roles => [map { sprintf 'role-%040d', $_ }
                                            1 .. 200] }),
    other_key => mint(key => 'rsa2', claims => \%user),

    # expired half a minute ago: only a leeway lets it in
    expired   => fresh(claims => \%user, exp => -30),
);

$T{other_sig} = join '.', (segments($T{user}))[0, 1],
                          (segments($T{other_key}))[2];

sub bearer {
    return [map { "Authorization: Bearer $::T{$_}" } @_];
}

# per request: status, body, one response header, and the no_error_log
# patterns, which are checked after every request: for each block, its
# requests times (3 + its patterns)
my @checks = (2 * 6, 4 * 5, 4 * 6, 4 * 5, 3 * 5, 3 * 6, 2 * 6, 2 * 6,
              2 * 6, 2 * 6, 2 * 6, 2 * 6);

die "auth_cache.t: \@checks has no entry for some block\n"
    unless @checks == blocks();

plan tests => repeat_each() * List::Util::sum(@checks);

run_tests();

__DATA__

=== TEST 1: the second request with the same token is a hit
--- http_config
    stratum_auth_cache_zone jwt:1m;
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_cache jwt;

        proxy_set_header X-Echo-Header $stratum_auth_cache_status;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_set_header X-Tenant-Id $stratum_auth_tenant_id;
        proxy_set_header X-Roles $stratum_auth_roles;
        proxy_set_header X-Permissions $stratum_auth_permissions;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
["GET /api", "GET /api"]
--- more_headers eval
::bearer(qw(user user))
--- response_body eval
["sub=user-1 tenant=t-1 roles=admin permissions=orders:read\n",
 "sub=user-1 tenant=t-1 roles=admin permissions=orders:read\n"]
--- response_headers eval
["X-Upstream: MISS", "X-Upstream: HIT"]
--- no_error_log eval
["[error]", "stratum auth:", $::T{user}]



=== TEST 2: an expired token is not served from the cache
--- http_config
    stratum_auth_cache_zone jwt:1m;
--- config
    stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    stratum_auth_cache jwt;

    # the leeway is not part of what an entry is bound to: the two
    # locations share entries
    location = /lenient {
        stratum_auth on;
        stratum_auth_leeway 2m;
        proxy_set_header X-Echo-Header $stratum_auth_cache_status;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }

    location = /strict {
        stratum_auth on;
        add_header X-Upstream "refused $stratum_auth_cache_status" always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
["GET /lenient", "GET /lenient", "GET /strict", "GET /lenient"]
--- more_headers eval
::bearer(qw(expired expired expired expired))
--- error_code eval
[200, 200, 401, 200]
--- response_body eval
["sub=user-1 tenant= roles= permissions=\n",
 "sub=user-1 tenant= roles= permissions=\n",
 qq({"detail":"token expired"}\n),
 "sub=user-1 tenant= roles= permissions=\n"]
--- response_headers eval
["X-Upstream: MISS", "X-Upstream: MISS", "X-Upstream: refused MISS",
 "X-Upstream: MISS"]
--- no_error_log eval
["[error]", $::T{expired}]



=== TEST 3: another audience is another policy: no reuse
--- http_config
    stratum_auth_cache_zone jwt:1m;
--- config
    stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    stratum_auth_cache jwt;

    location = /orders {
        stratum_auth on;
        stratum_auth_audience orders-api;
        proxy_set_header X-Echo-Header $stratum_auth_cache_status;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }

    location = /billing {
        stratum_auth on;
        stratum_auth_audience billing-api;
        proxy_set_header X-Echo-Header $stratum_auth_cache_status;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
["GET /orders", "GET /orders", "GET /billing", "GET /billing"]
--- more_headers eval
::bearer(qw(both_aud both_aud both_aud both_aud))
--- response_body eval
["sub=user-1 tenant= roles= permissions=\n",
 "sub=user-1 tenant= roles= permissions=\n",
 "sub=user-1 tenant= roles= permissions=\n",
 "sub=user-1 tenant= roles= permissions=\n"]
--- response_headers eval
["X-Upstream: MISS", "X-Upstream: HIT", "X-Upstream: MISS",
 "X-Upstream: HIT"]
--- no_error_log eval
["[error]", "stratum auth:", $::T{both_aud}]



=== TEST 4: a token cached for one audience is refused by another
--- http_config
    stratum_auth_cache_zone jwt:1m;
--- config
    stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    stratum_auth_cache jwt;

    location = /orders {
        stratum_auth on;
        stratum_auth_audience orders-api;
        proxy_set_header X-Echo-Header $stratum_auth_cache_status;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }

    location = /billing {
        stratum_auth on;
        stratum_auth_audience billing-api;
        add_header X-Upstream "refused $stratum_auth_cache_status" always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
["GET /orders", "GET /orders", "GET /billing", "GET /billing"]
--- more_headers eval
::bearer(qw(orders orders orders orders))
--- error_code eval
[200, 200, 401, 401]
--- response_body eval
["sub=user-1 tenant= roles= permissions=\n",
 "sub=user-1 tenant= roles= permissions=\n",
 qq({"detail":"audience mismatch"}\n),
 qq({"detail":"audience mismatch"}\n)]
--- response_headers eval
["X-Upstream: MISS", "X-Upstream: HIT", "X-Upstream: refused MISS",
 "X-Upstream: refused MISS"]
--- no_error_log eval
["[error]", $::T{orders}]



=== TEST 5: another key set is another policy: no reuse
--- http_config
    stratum_auth_cache_zone jwt:1m;
--- config
    stratum_auth_cache jwt;

    location = /a {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo-Header $stratum_auth_cache_status;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }

    location = /b {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa2.pub;
        add_header X-Upstream "refused $stratum_auth_cache_status" always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
["GET /a", "GET /a", "GET /b"]
--- more_headers eval
::bearer(qw(user user user))
--- error_code eval
[200, 200, 401]
--- response_body eval
["sub=user-1 tenant= roles= permissions=\n",
 "sub=user-1 tenant= roles= permissions=\n",
 qq({"detail":"bad signature"}\n)]
--- response_headers eval
["X-Upstream: MISS", "X-Upstream: HIT", "X-Upstream: refused MISS"]
--- no_error_log eval
["[error]", $::T{user}]



=== TEST 6: the same claims under another signature are not a hit
--- http_config
    stratum_auth_cache_zone jwt:1m;
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_cache jwt;
        add_header X-Cache $stratum_auth_cache_status always;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
["GET /api", "GET /api", "GET /api"]
--- more_headers eval
::bearer(qw(user user other_sig))
--- error_code eval
[200, 200, 401]
--- response_body eval
["sub=user-1 tenant= roles= permissions=\n",
 "sub=user-1 tenant= roles= permissions=\n",
 qq({"detail":"bad signature"}\n)]
--- response_headers eval
["X-Cache: MISS", "X-Cache: HIT", "X-Cache: MISS"]
--- no_error_log eval
["[error]", $::T{user}, $::T{other_sig}]



=== TEST 7: a refused token is not cached
--- http_config
    stratum_auth_cache_zone jwt:1m;
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_cache jwt;
        add_header X-Cache $stratum_auth_cache_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
["GET /api", "GET /api"]
--- more_headers eval
::bearer(qw(other_key other_key))
--- error_code eval
[401, 401]
--- response_body eval
[qq({"detail":"bad signature"}\n), qq({"detail":"bad signature"}\n)]
--- response_headers eval
["X-Cache: MISS", "X-Cache: MISS"]
--- no_error_log eval
["[error]", "[alert]", $::T{other_key}]



=== TEST 8: a hit still goes through the second-factor rule
--- http_config
    stratum_auth_cache_zone jwt:1m;
--- config
    stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    stratum_auth_cache jwt;

    location = /reports {
        stratum_auth on;
        proxy_set_header X-Echo-Header $stratum_auth_cache_status;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }

    location = /payouts {
        stratum_auth on;
        stratum_auth_mfa on;
        add_header X-Upstream "refused $stratum_auth_cache_status" always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
["GET /reports", "GET /payouts"]
--- more_headers eval
::bearer(qw(pwd pwd))
--- error_code eval
[200, 401]
--- response_body eval
["sub=user-1 tenant= roles= permissions=\n",
 qq({"detail":"a second factor is required"}\n)]
--- response_headers eval
["X-Upstream: MISS", "X-Upstream: refused HIT"]
--- no_error_log eval
["[error]", "[alert]", $::T{pwd}]



=== TEST 9: locations of the same policy share entries
--- http_config
    stratum_auth_cache_zone jwt:1m;
--- config
    stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    stratum_auth_cache jwt;

    location = /a {
        stratum_auth on;
        proxy_set_header X-Echo-Header $stratum_auth_cache_status;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_set_header X-Roles $stratum_auth_roles;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }

    location = /b {
        stratum_auth on;
        proxy_set_header X-Echo-Header $stratum_auth_cache_status;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_set_header X-Roles $stratum_auth_roles;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
["GET /a", "GET /b"]
--- more_headers eval
::bearer(qw(user user))
--- response_body eval
["sub=user-1 tenant= roles=admin permissions=\n",
 "sub=user-1 tenant= roles=admin permissions=\n"]
--- response_headers eval
["X-Upstream: MISS", "X-Upstream: HIT"]
--- no_error_log eval
["[error]", "stratum auth:", $::T{user}]



=== TEST 10: "stratum_auth_cache off" in a location
--- http_config
    stratum_auth_cache_zone jwt:1m;
--- config
    stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    stratum_auth_cache jwt;

    location = /api {
        stratum_auth on;
        stratum_auth_cache off;
        proxy_set_header X-Echo-Header "[$stratum_auth_cache_status]";
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
["GET /api", "GET /api"]
--- more_headers eval
::bearer(qw(user user))
--- response_body eval
["sub=user-1 tenant= roles= permissions=\n",
 "sub=user-1 tenant= roles= permissions=\n"]
--- response_headers eval
["X-Upstream: []", "X-Upstream: []"]
--- no_error_log eval
["[error]", "stratum auth:", $::T{user}]



=== TEST 11: a hit still has every claim for the variables
--- http_config
    stratum_auth_cache_zone jwt:1m;
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks.json;
        stratum_auth_cache jwt;
        proxy_set_header X-Echo-Header $stratum_auth_cache_status;
        proxy_set_header X-Echo "sub=$stratum_auth_sub tenant=$stratum_auth_tenant_id roles=$stratum_auth_roles permissions=$stratum_auth_permissions kid=$stratum_auth_kid alg=$stratum_auth_alg mfa=$stratum_auth_mfa email=$stratum_auth_claim_email";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request eval
["GET /api", "GET /api"]
--- more_headers eval
::bearer(qw(email email))
--- response_body eval
["sub=user-1 tenant=t-1 roles=admin permissions=orders:read kid=k1 alg=RS256 mfa=0 email=user\@example.com\n",
 "sub=user-1 tenant=t-1 roles=admin permissions=orders:read kid=k1 alg=RS256 mfa=0 email=user\@example.com\n"]
--- response_headers eval
["X-Upstream: MISS", "X-Upstream: HIT"]
--- no_error_log eval
["[error]", "stratum auth:", $::T{email}]



=== TEST 12: claims too large for an entry are verified every time
--- http_config
    stratum_auth_cache_zone jwt:1m;
--- config
    large_client_header_buffers 4 64k;

    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_max_token_size 32k;
        stratum_auth_cache jwt;

        # the upstream keeps nginx's default 8k header buffers
        proxy_set_header Authorization "";
        proxy_set_header X-Echo-Header $stratum_auth_cache_status;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
["GET /api", "GET /api"]
--- more_headers eval
::bearer(qw(bulky bulky))
--- response_body eval
["sub=user-1 tenant= roles= permissions=\n",
 "sub=user-1 tenant= roles= permissions=\n"]
--- response_headers eval
["X-Upstream: MISS", "X-Upstream: MISS"]
--- no_error_log eval
["[error]", "stratum auth:", $::T{bulky}]
