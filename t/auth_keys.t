# vi:filetype=perl

# The auth module: keys.  PEM keys with and without kid=, JWKS files,
# the choice of a key by "kid", algorithm and key type, inheritance.
#
# See t/auth.t for the environment and the upstream on
# $TEST_NGINX_RAND_PORT_1.  jwks.json holds kid "k1" (rsa, "alg": "RS256"),
# "k2" (rsa2) and "k3" (ec, P-256); see t/lib/Stratum/Tokens.pm.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/lib";
use Stratum::Tokens;

repeat_each(2);
log_level('info');
no_shuffle();

Stratum::Tokens::make_keys();

add_block_preprocessor(\&Stratum::Tokens::add_upstream);

my %ok = (sub => 'user-1', exp => time + 3600);

our %T = (
    plain      => mint(claims => { sub => 'user-1' }),
    plain2     => mint(key => 'rsa2', claims => { sub => 'user-2' }),
    plain_ec   => mint(key => 'ec', claims => { sub => 'user-3' }),
    k1         => mint(kid => 'k1', claims => { sub => 'user-1' }),
    k2         => mint(key => 'rsa2', kid => 'k2',
                       claims => { sub => 'user-2' }),
    k3         => mint(key => 'ec', kid => 'k3', claims => { sub => 'user-3' }),
    k1_by_rsa2 => mint(key => 'rsa2', kid => 'k1', claims => { sub => 'x' }),
    k1_rs512   => mint(kid => 'k1', alg => 'RS512', claims => { sub => 'x' }),
    k3_as_rs   => forge(header => { alg => 'RS256', kid => 'k3' },
                        payload => \%ok, sign => 'rsa'),
    unknown    => mint(kid => 'nope', claims => { sub => 'user-1' }),
    main       => mint(kid => 'main', claims => { sub => 'user-1' }),
    es_der     => forge(header => { alg => 'ES256' }, payload => \%ok,
                        sign => 'ec'),
    es_zero    => forge(header => { alg => 'ES256' }, payload => \%ok,
                        signature => "\0" x 64),
);

# every block: status, body, two response headers and three error log
# patterns (the reason, or its absence, "[error]" and the token)
plan tests => repeat_each() * (blocks() * 7);

run_tests();

__DATA__

=== TEST 1: a token signed by another key
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{plain2}"
--- error_code: 401
--- response_body
{"detail":"bad signature"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
Content-Type: application/json
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{plain2}]



=== TEST 2: two keys without kid: either one verifies
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa2.pub;
        proxy_set_header X-Echo "sub=$stratum_auth_sub kid=$stratum_auth_kid";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{plain2}"
--- response_body
sub=user-2 kid=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{plain2}]



=== TEST 3: a kid that no key has
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{unknown}"
--- error_code: 401
--- response_body
{"detail":"unknown key"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="unknown key"
Content-Type: application/json
--- error_log
stratum auth: token refused: unknown key
--- no_error_log eval
["[error]", $::T{unknown}]



=== TEST 4: JWKS: kid "k1" selects the first key
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks.json;
        proxy_set_header X-Echo "sub=$stratum_auth_sub kid=$stratum_auth_kid";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{k1}"
--- response_body
sub=user-1 kid=k1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{k1}]



=== TEST 5: JWKS: kid "k2" selects the second key
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks.json;
        proxy_set_header X-Echo "sub=$stratum_auth_sub kid=$stratum_auth_kid";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{k2}"
--- response_body
sub=user-2 kid=k2
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{k2}]



=== TEST 6: JWKS: the EC key "k3" with ES256 allowed
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_algorithms RS256 ES256;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks.json;
        proxy_set_header X-Echo "sub=$stratum_auth_sub kid=$stratum_auth_kid alg=$stratum_auth_alg";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{k3}"
--- response_body
sub=user-3 kid=k3 alg=ES256
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{k3}]



=== TEST 7: JWKS: only the key the kid names is tried
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{k1_by_rsa2}"
--- error_code: 401
--- response_body
{"detail":"bad signature"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
Content-Type: application/json
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{k1_by_rsa2}]



=== TEST 8: JWKS: a token without kid when every key has one
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{plain}"
--- error_code: 401
--- response_body
{"detail":"unknown key"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="unknown key"
Content-Type: application/json
--- error_log
stratum auth: token refused: unknown key
--- no_error_log eval
["[error]", $::T{plain}]



=== TEST 9: JWKS: the key's "alg" (RS256) limits it even when RS512 is allowed
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_algorithms RS256 RS512;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{k1_rs512}"
--- error_code: 401
--- response_body
{"detail":"algorithm not allowed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="algorithm not allowed"
Content-Type: application/json
--- error_log
stratum auth: token refused: algorithm not allowed
--- no_error_log eval
["[error]", $::T{k1_rs512}]



=== TEST 10: JWKS: RS256 in the header, kid of the EC key
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_algorithms RS256 ES256;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{k3_as_rs}"
--- error_code: 401
--- response_body
{"detail":"algorithm not allowed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="algorithm not allowed"
Content-Type: application/json
--- error_log
stratum auth: token refused: algorithm not allowed
--- no_error_log eval
["[error]", $::T{k3_as_rs}]



=== TEST 11: a PEM key with kid=: its kid selects it
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub kid=main;
        proxy_set_header X-Echo "sub=$stratum_auth_sub kid=$stratum_auth_kid";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{main}"
--- response_body
sub=user-1 kid=main
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{main}]



=== TEST 12: a PEM key with kid= is not used for a token without kid
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub kid=main;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{plain}"
--- error_code: 401
--- response_body
{"detail":"unknown key"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="unknown key"
Content-Type: application/json
--- error_log
stratum auth: token refused: unknown key
--- no_error_log eval
["[error]", $::T{plain}]



=== TEST 13: a token without kid is tried with the keys without kid only
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa2.pub kid=two;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{plain2}"
--- error_code: 401
--- response_body
{"detail":"bad signature"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
Content-Type: application/json
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{plain2}]



=== TEST 14: a PEM key and a JWKS side by side
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa2.pub;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks.json;
        proxy_set_header X-Echo "sub=$stratum_auth_sub kid=$stratum_auth_kid";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{plain2}"
--- response_body
sub=user-2 kid=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{plain2}]



=== TEST 15: ES256 on a location that allows RS256 only
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/ec.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{plain_ec}"
--- error_code: 401
--- response_body
{"detail":"algorithm not allowed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="algorithm not allowed"
Content-Type: application/json
--- error_log
stratum auth: token refused: algorithm not allowed
--- no_error_log eval
["[error]", $::T{plain_ec}]



=== TEST 16: ES256 allowed, but the only key is RSA
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_algorithms RS256 ES256;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{plain_ec}"
--- error_code: 401
--- response_body
{"detail":"algorithm not allowed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="algorithm not allowed"
Content-Type: application/json
--- error_log
stratum auth: token refused: algorithm not allowed
--- no_error_log eval
["[error]", $::T{plain_ec}]



=== TEST 17: ES256 with a DER signature instead of r || s
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_algorithms ES256;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/ec.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{es_der}"
--- error_code: 401
--- response_body
{"detail":"bad signature"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
Content-Type: application/json
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{es_der}]



=== TEST 18: ES256 with r = s = 0
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_algorithms ES256;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/ec.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{es_zero}"
--- error_code: 401
--- response_body
{"detail":"bad signature"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
Content-Type: application/json
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{es_zero}]



=== TEST 19: keys set on the server reach a location
--- config
    stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;

    location = /api {
        stratum_auth on;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{plain}"
--- response_body
sub=user-1 tenant= roles= permissions=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{plain}]



=== TEST 20: a location's key replaces the server's, it does not add to it
--- config
    stratum_auth on;
    stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;

    location = /api {
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa2.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{plain}"
--- error_code: 401
--- response_body
{"detail":"bad signature"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
Content-Type: application/json
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{plain}]



=== TEST 21: keys and algorithms set in http{} reach the server's locations
--- http_config
    stratum_auth_algorithms ES256;
    stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/ec.pub;
--- config
    location = /api {
        stratum_auth on;
        proxy_set_header X-Echo "sub=$stratum_auth_sub alg=$stratum_auth_alg";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{plain_ec}"
--- response_body
sub=user-3 alg=ES256
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{plain_ec}]



=== TEST 22: an RSA key as PKCS#1 ("BEGIN RSA PUBLIC KEY") verifies
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa-pkcs1.pub;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{plain}"
--- response_body
sub=user-1 tenant= roles= permissions=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{plain}]



=== TEST 23: a JWKS key this module cannot use is skipped, the next one used
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks-mixed.json;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{k1}"
--- response_body
sub=user-1 tenant= roles= permissions=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "[emerg]", $::T{k1}]
