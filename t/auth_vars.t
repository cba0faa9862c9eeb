# vi:filetype=perl

# The auth module: its variables.  $stratum_auth_result for every
# outcome, $stratum_auth_claim_NAME for every kind of claim, and what a
# refused or absent token exposes (nothing).
#
# See t/auth.t for the environment and the upstream on
# $TEST_NGINX_RAND_PORT_1.  The result of a refusal is read from the 401
# itself, through "add_header ... always".

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

my %claims = (
    sub         => 'user-1',
    email       => 'user@example.com',
    groups      => ['eng', 'ops', 'sre'],
    plan        => { name => 'pro', seats => 5 },
    level       => 3,
    beta        => JSON::PP::true(),
    roles       => ['admin', 'analyst'],
    permissions => ['orders:read', 'orders:write'],
);

our %T = (
    valid            => mint(claims => { sub => 'user-1' }),
    claims           => mint(claims => \%claims),
    claims_other_key => mint(key => 'rsa2', claims => \%claims),
    newline          => mint(claims => { sub => 'user-1',
                                         note => "line one\nline two" }),
    control          => mint(claims => { sub => 'user-1',
                                         note => "bell\atab\tend" }),
    del              => mint(claims => { sub => 'user-1',
                                         note => "x\x7fy",
                                         mixed => [1, "x\x7fy"] }),
    malformed        => 'eyJhbGciOiJSUzI1NiJ9.e30',
    crit             => forge(header => { alg => 'RS256', crit => ['b64'] },
                              sign => 'rsa'),
    hs256            => mint(alg => 'HS256', key => 'rsa.pub',
                             claims => { sub => 'user-1' }),
    unknown_kid      => mint(kid => 'retired', claims => { sub => 'user-1' }),
    other_key        => mint(key => 'rsa2', claims => { sub => 'user-1' }),
    expired          => mint(claims => { sub => 'user-1' }, exp => -60),
    not_yet_valid    => fresh(claims => { sub => 'user-1' }, nbf => 300),
    bad_claims       => mint(claims => '{"sub":["user-1"]}'),
);

# every block: status, body, two response headers and three error log
# patterns (the reason, or its absence, "[error]" and the token)
plan tests => repeat_each() * (blocks() * 7);

run_tests();

__DATA__

=== TEST 1: $stratum_auth_result is "ok"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
        proxy_set_header X-Echo "result=$stratum_auth_result";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{valid}"
--- response_body
result=ok
--- response_headers
X-Auth-Result: ok
!WWW-Authenticate
--- no_error_log eval
["[error]", "stratum auth:", $::T{valid}]



=== TEST 2: $stratum_auth_result is "missing" ("optional", no token)
--- config
    location = /api {
        stratum_auth optional;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
        proxy_set_header X-Echo "result=$stratum_auth_result sub=$stratum_auth_sub email=$stratum_auth_claim_email mfa=$stratum_auth_mfa";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- response_body
result=missing sub= email= mfa=
--- response_headers
X-Auth-Result: missing
!WWW-Authenticate
--- no_error_log
[error]
[alert]
stratum auth:



=== TEST 3: $stratum_auth_result is "off" where the module is off
--- config
    location = /api {
        add_header X-Auth-Result $stratum_auth_result always;
        proxy_set_header X-Echo "result=$stratum_auth_result sub=$stratum_auth_sub email=$stratum_auth_claim_email";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{valid}"
--- response_body
result=off sub= email=
--- response_headers
X-Auth-Result: off
!WWW-Authenticate
--- no_error_log eval
["[error]", "stratum auth:", $::T{valid}]



=== TEST 4: $stratum_auth_result is "malformed"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{malformed}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
X-Auth-Result: malformed
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{malformed}]



=== TEST 5: $stratum_auth_result is "too_large"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
        stratum_auth_max_token_size 64;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{valid}"
--- error_code: 401
--- response_body
{"detail":"token too large"}
--- response_headers
X-Auth-Result: too_large
WWW-Authenticate: Bearer error="invalid_token", error_description="token too large"
--- error_log
stratum auth: token refused: token too large
--- no_error_log eval
["[error]", $::T{valid}]



=== TEST 6: $stratum_auth_result is "bad_header"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{crit}"
--- error_code: 401
--- response_body
{"detail":"token header invalid"}
--- response_headers
X-Auth-Result: bad_header
WWW-Authenticate: Bearer error="invalid_token", error_description="token header invalid"
--- error_log
stratum auth: token refused: token header invalid
--- no_error_log eval
["[error]", $::T{crit}]



=== TEST 7: $stratum_auth_result is "bad_algorithm"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{hs256}"
--- error_code: 401
--- response_body
{"detail":"algorithm not allowed"}
--- response_headers
X-Auth-Result: bad_algorithm
WWW-Authenticate: Bearer error="invalid_token", error_description="algorithm not allowed"
--- error_log
stratum auth: token refused: algorithm not allowed
--- no_error_log eval
["[error]", $::T{hs256}]



=== TEST 8: $stratum_auth_result is "unknown_kid"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{unknown_kid}"
--- error_code: 401
--- response_body
{"detail":"unknown key"}
--- response_headers
X-Auth-Result: unknown_kid
WWW-Authenticate: Bearer error="invalid_token", error_description="unknown key"
--- error_log
stratum auth: token refused: unknown key
--- no_error_log eval
["[error]", $::T{unknown_kid}]



=== TEST 9: $stratum_auth_result is "bad_signature"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{other_key}"
--- error_code: 401
--- response_body
{"detail":"bad signature"}
--- response_headers
X-Auth-Result: bad_signature
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{other_key}]



=== TEST 10: $stratum_auth_result is "expired"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{expired}"
--- error_code: 401
--- response_body
{"detail":"token expired"}
--- response_headers
X-Auth-Result: expired
WWW-Authenticate: Bearer error="invalid_token", error_description="token expired"
--- error_log
stratum auth: token refused: token expired
--- no_error_log eval
["[error]", $::T{expired}]



=== TEST 11: $stratum_auth_result is "not_yet_valid"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{not_yet_valid}"
--- error_code: 401
--- response_body
{"detail":"token not yet valid"}
--- response_headers
X-Auth-Result: not_yet_valid
WWW-Authenticate: Bearer error="invalid_token", error_description="token not yet valid"
--- error_log
stratum auth: token refused: token not yet valid
--- no_error_log eval
["[error]", $::T{not_yet_valid}]



=== TEST 12: $stratum_auth_result is "bad_issuer"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
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
X-Auth-Result: bad_issuer
WWW-Authenticate: Bearer error="invalid_token", error_description="issuer mismatch"
--- error_log
stratum auth: token refused: issuer mismatch
--- no_error_log eval
["[error]", $::T{valid}]



=== TEST 13: $stratum_auth_result is "bad_audience"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
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
X-Auth-Result: bad_audience
WWW-Authenticate: Bearer error="invalid_token", error_description="audience mismatch"
--- error_log
stratum auth: token refused: audience mismatch
--- no_error_log eval
["[error]", $::T{valid}]



=== TEST 14: $stratum_auth_result is "lifetime_exceeded"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
        stratum_auth_max_lifetime 10m;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{valid}"
--- error_code: 401
--- response_body
{"detail":"token lifetime too long"}
--- response_headers
X-Auth-Result: lifetime_exceeded
WWW-Authenticate: Bearer error="invalid_token", error_description="token lifetime too long"
--- error_log
stratum auth: token refused: token lifetime too long
--- no_error_log eval
["[error]", $::T{valid}]



=== TEST 15: $stratum_auth_result is "bad_claims"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{bad_claims}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
X-Auth-Result: bad_claims
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
--- error_log
stratum auth: token refused: invalid claims
--- no_error_log eval
["[error]", $::T{bad_claims}]



=== TEST 16: $stratum_auth_result is "mfa_required"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        add_header X-Auth-Result $stratum_auth_result always;
        stratum_auth_mfa on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{valid}"
--- error_code: 401
--- response_body
{"detail":"a second factor is required"}
--- response_headers
X-Auth-Result: mfa_required
WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="a second factor is required"
--- error_log
stratum auth: token refused: a second factor is required
--- no_error_log eval
["[error]", $::T{valid}]



=== TEST 17: $stratum_auth_claim_email
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "email=$stratum_auth_claim_email";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{claims}"
--- response_body
email=user@example.com
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{claims}]



=== TEST 18: an array claim is joined with commas
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "groups=$stratum_auth_claim_groups";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{claims}"
--- response_body
groups=eng,ops,sre
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{claims}]



=== TEST 19: an object claim is compact JSON
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "plan=$stratum_auth_claim_plan";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{claims}"
--- response_body
plan={"name":"pro","seats":5}
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{claims}]



=== TEST 20: numbers and booleans are JSON
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "level=$stratum_auth_claim_level beta=$stratum_auth_claim_beta";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{claims}"
--- response_body
level=3 beta=true
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{claims}]



=== TEST 21: a claim the token does not have is empty
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "nick=[$stratum_auth_claim_nickname]";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{claims}"
--- response_body
nick=[]
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{claims}]



=== TEST 22: a newline in a claim is escaped, the header stays whole
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "note=$stratum_auth_claim_note";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{newline}"
--- response_body
note=line one\u000aline two
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{newline}]



=== TEST 23: other control characters are escaped
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "note=$stratum_auth_claim_note";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{control}"
--- response_body
note=bell\u0007tab\u0009end
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{control}]



=== TEST 24: roles and permissions are joined with commas
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "roles=$stratum_auth_roles permissions=$stratum_auth_permissions";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{claims}"
--- response_body
roles=admin,analyst permissions=orders:read,orders:write
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{claims}]



=== TEST 25: the claims of a refused token are not exposed
--- config
    location = /api {
        stratum_auth optional;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "sub=$stratum_auth_sub email=$stratum_auth_claim_email";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;

        error_page 401 /denied;
    }

    location = /denied {
        proxy_set_header X-Echo "denied sub=$stratum_auth_sub email=$stratum_auth_claim_email result=$stratum_auth_result";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{claims_other_key}"
--- error_code: 401
--- response_body
denied sub= email= result=bad_signature
--- response_headers
Content-Type: text/plain
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{claims_other_key}]



=== TEST 26: DEL is escaped in strings and in claims given as JSON
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "note=$stratum_auth_claim_note mixed=$stratum_auth_claim_mixed";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{del}"
--- response_body
note=x\u007fy mixed=[1,"x\u007fy"]
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{del}]
