# vi:filetype=perl

# The auth module: the claims.  Time ("exp", "nbf", "iat" and the
# leeway), issuer, audience, claims of the wrong type, and the lifetime
# limit.
#
# See t/auth.t for the environment and the upstream on
# $TEST_NGINX_RAND_PORT_1.  Tokens that are valid or not depending on
# the second they are used at come from fresh(): they are minted just
# before their block runs, so the margins below (5 s and more) hold
# however slow the run (valgrind) is.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/lib";
use Stratum::Tokens;

repeat_each(2);
log_level('info');
no_shuffle();

Stratum::Tokens::make_keys();

add_block_preprocessor(\&Stratum::Tokens::add_upstream);
add_block_preprocessor(\&Stratum::Tokens::expand_fresh);

my $in_an_hour = time + 3600;

sub user { return { sub => 'user-1', @_ } }

our %T = (
    valid          => mint(claims => user()),
    exp_1          => fresh(claims => user(), exp => -1),
    exp_in_5       => fresh(claims => user(), exp => 5),
    exp_5          => fresh(claims => user(), exp => -5),
    exp_60         => mint(claims => user(), exp => -60),
    nbf_60         => fresh(claims => user(), nbf => 60),
    nbf_60_late    => fresh(claims => user(), nbf => 60),
    nbf_past       => mint(claims => user(), nbf => -60),
    iat_60         => fresh(claims => user(), iat => 60),
    exp_at_30      => fresh(claims => user(), exp => -30),
    nbf_at_30      => fresh(claims => user(), nbf => 30),
    iat_at_30      => fresh(claims => user(), iat => 30),
    iat_60_late    => fresh(claims => user(), iat => 60),
    exp_real       => mint(claims => qq({"sub":"user-1","exp":$in_an_hour.5}),
                           exp => undef),
    exp_huge       => mint(claims => '{"sub":"user-1","exp":1e300}',
                           exp => undef),
    exp_minus_huge => mint(claims => '{"sub":"user-1","exp":-1e300}',
                           exp => undef),

    iss_ok         => mint(claims => user(iss => 'https://id.example.com')),
    iss_other      => mint(claims => user(iss => 'https://id.example.org')),
    iss_slash      => mint(claims => user(iss => 'https://id.example.com/')),
    iss_number     => mint(claims => user(iss => 42)),

    aud_str        => mint(claims => user(aud => 'orders-api')),
    aud_str_other  => mint(claims => user(aud => 'billing-api')),
    aud_arr        => mint(claims => user(aud => ['billing-api',
                                                  'orders-api'])),
    aud_arr_other  => mint(claims => user(aud => ['billing-api',
                                                  'users-api'])),
    aud_empty      => mint(claims => user(aud => [])),
    aud_number     => mint(claims => user(aud => 42)),
    aud_arr_number => mint(claims => user(aud => ['orders-api', 42])),

    exp_string     => mint(claims => '{"sub":"user-1","exp":"9999999999"}',
                           exp => undef),
    no_exp         => mint(claims => user(), exp => undef),
    exp_null       => mint(claims => '{"sub":"user-1","exp":null}',
                           exp => undef),
    nbf_bool       => mint(claims => '{"sub":"user-1","nbf":true}'),
    iat_string     => mint(claims => '{"sub":"user-1","iat":"1700000000"}'),
    roles_string   => mint(claims => user(roles => 'admin')),
    roles_number   => mint(claims => user(roles => ['admin', 7])),
    roles_comma    => mint(claims => user(roles => ['admin,owner'])),
    perms_object   => mint(claims => user(permissions => { read => 1 })),
    sub_number     => mint(claims => '{"sub":12345}'),
    sub_newline    => mint(claims => user(sub => "user-1\nX-Admin: 1")),
    tenant_bool    => mint(claims => '{"sub":"user-1","tenant_id":true}'),

    life_7d        => mint(claims => user(), iat => 0, exp => 7 * 86400),
    life_10m       => fresh(claims => user(), iat => 0, exp => 600),
    life_7d_no_iat => mint(claims => user(), exp => 7 * 86400),
    life_old       => fresh(claims => user(), iat => -3600, exp => 600),
);

# every block: status, body, two response headers and three error log
# patterns (the reason, or its absence, "[error]" and the token)
plan tests => repeat_each() * (blocks() * 7);

run_tests();

__DATA__

=== TEST 1: a token that expires in an hour
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{valid}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{valid}]



=== TEST 2: expires in 5 s, no leeway
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{exp_in_5}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{exp_in_5}]



=== TEST 3: expired a second ago, no leeway
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{exp_1}"
--- error_code: 401
--- response_body
{"detail":"token expired"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token expired"
Content-Type: application/json
--- error_log
stratum auth: token refused: token expired
--- no_error_log eval
["[error]", $::T{exp_1}]



=== TEST 4: expired 5 s ago, within a 30 s leeway
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_leeway 30s;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{exp_5}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{exp_5}]



=== TEST 5: expired 60 s ago, beyond a 30 s leeway
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_leeway 30s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{exp_60}"
--- error_code: 401
--- response_body
{"detail":"token expired"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token expired"
Content-Type: application/json
--- error_log
stratum auth: token refused: token expired
--- no_error_log eval
["[error]", $::T{exp_60}]



=== TEST 6: not valid for another 60 s
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{nbf_60}"
--- error_code: 401
--- response_body
{"detail":"token not yet valid"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token not yet valid"
Content-Type: application/json
--- error_log
stratum auth: token refused: token not yet valid
--- no_error_log eval
["[error]", $::T{nbf_60}]



=== TEST 7: not valid for another 60 s, within a 120 s leeway
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_leeway 120s;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{nbf_60_late}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{nbf_60_late}]



=== TEST 8: not valid for another 60 s, beyond a 30 s leeway
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_leeway 30s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{nbf_60}"
--- error_code: 401
--- response_body
{"detail":"token not yet valid"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token not yet valid"
Content-Type: application/json
--- error_log
stratum auth: token refused: token not yet valid
--- no_error_log eval
["[error]", $::T{nbf_60}]



=== TEST 9: "nbf" in the past
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{nbf_past}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{nbf_past}]



=== TEST 10: issued 60 s in the future
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{iat_60}"
--- error_code: 401
--- response_body
{"detail":"token not yet valid"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token not yet valid"
Content-Type: application/json
--- error_log
stratum auth: token refused: token not yet valid
--- no_error_log eval
["[error]", $::T{iat_60}]



=== TEST 11: "exp" with a fraction is a NumericDate too
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{exp_real}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{exp_real}]



=== TEST 12: "exp" far beyond any clock (1e300)
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{exp_huge}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{exp_huge}]



=== TEST 13: "exp" far before any clock (-1e300)
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{exp_minus_huge}"
--- error_code: 401
--- response_body
{"detail":"token expired"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token expired"
Content-Type: application/json
--- error_log
stratum auth: token refused: token expired
--- no_error_log eval
["[error]", $::T{exp_minus_huge}]



=== TEST 14: the issuer matches
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_issuer https://id.example.com;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{iss_ok}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{iss_ok}]



=== TEST 15: another issuer
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_issuer https://id.example.com;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{iss_other}"
--- error_code: 401
--- response_body
{"detail":"issuer mismatch"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="issuer mismatch"
Content-Type: application/json
--- error_log
stratum auth: token refused: issuer mismatch
--- no_error_log eval
["[error]", $::T{iss_other}]



=== TEST 16: the issuer with a trailing slash is another issuer
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_issuer https://id.example.com;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{iss_slash}"
--- error_code: 401
--- response_body
{"detail":"issuer mismatch"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="issuer mismatch"
Content-Type: application/json
--- error_log
stratum auth: token refused: issuer mismatch
--- no_error_log eval
["[error]", $::T{iss_slash}]



=== TEST 17: no issuer when one is required
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_issuer https://id.example.com;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{valid}"
--- error_code: 401
--- response_body
{"detail":"issuer mismatch"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="issuer mismatch"
Content-Type: application/json
--- error_log
stratum auth: token refused: issuer mismatch
--- no_error_log eval
["[error]", $::T{valid}]



=== TEST 18: an issuer that is not a string
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_issuer https://id.example.com;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{iss_number}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "iss"
--- no_error_log eval
["[error]", $::T{iss_number}]



=== TEST 19: any issuer when none is configured
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{iss_other}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{iss_other}]



=== TEST 20: the audience as a string, matching
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_audience orders-api;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{aud_str}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{aud_str}]



=== TEST 21: the audience as a string, not matching
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_audience orders-api;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{aud_str_other}"
--- error_code: 401
--- response_body
{"detail":"audience mismatch"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="audience mismatch"
Content-Type: application/json
--- error_log
stratum auth: token refused: audience mismatch
--- no_error_log eval
["[error]", $::T{aud_str_other}]



=== TEST 22: the audience as an array that holds it
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_audience orders-api;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{aud_arr}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{aud_arr}]



=== TEST 23: the audience as an array without it
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_audience orders-api;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{aud_arr_other}"
--- error_code: 401
--- response_body
{"detail":"audience mismatch"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="audience mismatch"
Content-Type: application/json
--- error_log
stratum auth: token refused: audience mismatch
--- no_error_log eval
["[error]", $::T{aud_arr_other}]



=== TEST 24: an empty audience array
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_audience orders-api;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{aud_empty}"
--- error_code: 401
--- response_body
{"detail":"audience mismatch"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="audience mismatch"
Content-Type: application/json
--- error_log
stratum auth: token refused: audience mismatch
--- no_error_log eval
["[error]", $::T{aud_empty}]



=== TEST 25: no audience when one is required
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_audience orders-api;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{valid}"
--- error_code: 401
--- response_body
{"detail":"audience mismatch"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="audience mismatch"
Content-Type: application/json
--- error_log
stratum auth: token refused: audience mismatch
--- no_error_log eval
["[error]", $::T{valid}]



=== TEST 26: an audience that is a number
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_audience orders-api;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{aud_number}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "aud"
--- no_error_log eval
["[error]", $::T{aud_number}]



=== TEST 27: an audience array with a number in it
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_audience orders-api;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{aud_arr_number}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "aud"
--- no_error_log eval
["[error]", $::T{aud_arr_number}]



=== TEST 28: any audience when none is configured
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{aud_str_other}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{aud_str_other}]



=== TEST 29: "exp" as a string
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{exp_string}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "exp"
--- no_error_log eval
["[error]", $::T{exp_string}]



=== TEST 30: no "exp"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{no_exp}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "exp"
--- no_error_log eval
["[error]", $::T{no_exp}]



=== TEST 31: "exp": null
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{exp_null}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "exp"
--- no_error_log eval
["[error]", $::T{exp_null}]



=== TEST 32: "nbf" as a boolean
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{nbf_bool}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "nbf"
--- no_error_log eval
["[error]", $::T{nbf_bool}]



=== TEST 33: "iat" as a string
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{iat_string}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "iat"
--- no_error_log eval
["[error]", $::T{iat_string}]



=== TEST 34: "roles" as a string
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{roles_string}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "roles"
--- no_error_log eval
["[error]", $::T{roles_string}]



=== TEST 35: "roles" with a number in it
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{roles_number}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "roles"
--- no_error_log eval
["[error]", $::T{roles_number}]



=== TEST 36: "roles" with a comma inside a role
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{roles_comma}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "roles"
--- no_error_log eval
["[error]", $::T{roles_comma}]



=== TEST 37: "permissions" as an object
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{perms_object}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "permissions"
--- no_error_log eval
["[error]", $::T{perms_object}]



=== TEST 38: "sub" as a number
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{sub_number}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "sub"
--- no_error_log eval
["[error]", $::T{sub_number}]



=== TEST 39: "sub" with a newline in it
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{sub_newline}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "sub"
--- no_error_log eval
["[error]", $::T{sub_newline}]



=== TEST 40: "tenant_id" as a boolean
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{tenant_bool}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "tenant_id"
--- no_error_log eval
["[error]", $::T{tenant_bool}]



=== TEST 41: a lifetime of 7 days against 15 minutes
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_max_lifetime 15m;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{life_7d}"
--- error_code: 401
--- response_body
{"detail":"token lifetime too long"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token lifetime too long"
Content-Type: application/json
--- error_log
stratum auth: token refused: token lifetime too long
--- no_error_log eval
["[error]", $::T{life_7d}]



=== TEST 42: a lifetime of 10 minutes against 15 minutes
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_max_lifetime 15m;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{life_10m}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{life_10m}]



=== TEST 43: no "iat", but 7 days left
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_max_lifetime 15m;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{life_7d_no_iat}"
--- error_code: 401
--- response_body
{"detail":"token lifetime too long"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token lifetime too long"
Content-Type: application/json
--- error_log
stratum auth: token refused: token lifetime too long
--- no_error_log eval
["[error]", $::T{life_7d_no_iat}]



=== TEST 44: 10 minutes left, but issued an hour ago
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_max_lifetime 15m;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{life_old}"
--- error_code: 401
--- response_body
{"detail":"token lifetime too long"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token lifetime too long"
Content-Type: application/json
--- error_log
stratum auth: token refused: token lifetime too long
--- no_error_log eval
["[error]", $::T{life_old}]



=== TEST 45: 7 days with "stratum_auth_max_lifetime off"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_max_lifetime off;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{life_7d}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{life_7d}]



=== TEST 46: 7 days with the default (no limit)
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{life_7d}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{life_7d}]



=== TEST 47: expired exactly the leeway ago (30 s, 30 s leeway): the boundary refuses
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_leeway 30s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{exp_at_30}"
--- error_code: 401
--- response_body
{"detail":"token expired"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token expired"
Content-Type: application/json
--- error_log
stratum auth: token refused: token expired
--- no_error_log eval
["[error]", $::T{exp_at_30}]



=== TEST 48: not valid for exactly the leeway (30 s, 30 s leeway): the boundary admits
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_leeway 30s;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{nbf_at_30}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{nbf_at_30}]



=== TEST 49: issued exactly the leeway ahead (30 s, 30 s leeway): the boundary admits
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_leeway 30s;
        proxy_set_header X-Echo "sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{iat_at_30}"
--- response_body
sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{iat_at_30}]



=== TEST 50: issued 60 s ahead, beyond a 30 s leeway
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_leeway 30s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{iat_60_late}"
--- error_code: 401
--- response_body
{"detail":"token not yet valid"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token not yet valid"
Content-Type: application/json
--- error_log
stratum auth: token refused: token not yet valid
--- no_error_log eval
["[error]", $::T{iat_60_late}]
