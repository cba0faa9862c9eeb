# vi:filetype=perl

# The auth module: second factors.  "stratum_auth_mfa on", roles that
# need a second factor, the methods that count, and the claims that say
# so ("amr", "mfa").  A refusal here is RFC 9470's
# insufficient_user_authentication.
#
# See t/auth.t for the environment and the upstream on
# $TEST_NGINX_RAND_PORT_1.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/lib";
use Stratum::Tokens;

repeat_each(2);
log_level('info');
no_shuffle();

Stratum::Tokens::make_keys();

add_block_preprocessor(\&Stratum::Tokens::add_upstream);

sub user { return { sub => 'user-1', roles => ['analyst'], @_ } }

our %T = (
    none       => mint(claims => user()),
    pwd        => mint(claims => user(amr => ['pwd'])),
    pwd_otp    => mint(claims => user(amr => ['pwd', 'otp'])),
    pwd_OTP    => mint(claims => user(amr => ['pwd', 'OTP'])),
    pwd_sms    => mint(claims => user(amr => ['pwd', 'sms'])),
    mfa_true   => mint(claims => user(mfa => JSON::PP::true())),
    mfa_false  => mint(claims => user(mfa => JSON::PP::false())),
    admin_pwd  => mint(claims => user(roles => ['analyst', 'admin'],
                                      amr => ['pwd'])),
    admin_hwk  => mint(claims => user(roles => ['analyst', 'admin'],
                                      amr => ['pwd', 'hwk'])),
    owner_pwd  => mint(claims => user(roles => ['owner'], amr => ['pwd'])),
    owner_mfa  => mint(claims => user(roles => ['owner'],
                                      mfa => JSON::PP::true())),
    amr_string => mint(claims => user(amr => 'otp')),
    amr_number => mint(claims => user(amr => ['otp', 2])),
    mfa_string => mint(claims => user(mfa => 'true')),
);

# every block: status, body, two response headers and three error log
# patterns (the reason, or its absence, "[error]" and the token)
plan tests => repeat_each() * (blocks() * 7);

run_tests();

__DATA__

=== TEST 1: "stratum_auth_mfa on": a password alone is refused
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{pwd}"
--- error_code: 401
--- response_body
{"detail":"a second factor is required"}
--- response_headers
WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="a second factor is required"
Content-Type: application/json
--- error_log
stratum auth: token refused: a second factor is required
--- no_error_log eval
["[error]", $::T{pwd}]



=== TEST 2: "stratum_auth_mfa on": a password and a one-time code
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa on;
        proxy_set_header X-Echo "sub=$stratum_auth_sub mfa=$stratum_auth_mfa roles=$stratum_auth_roles";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{pwd_otp}"
--- response_body
sub=user-1 mfa=1 roles=analyst
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{pwd_otp}]



=== TEST 3: "stratum_auth_mfa on": "mfa": true
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa on;
        proxy_set_header X-Echo "sub=$stratum_auth_sub mfa=$stratum_auth_mfa roles=$stratum_auth_roles";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{mfa_true}"
--- response_body
sub=user-1 mfa=1 roles=analyst
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{mfa_true}]



=== TEST 4: "stratum_auth_mfa on": "mfa": false
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{mfa_false}"
--- error_code: 401
--- response_body
{"detail":"a second factor is required"}
--- response_headers
WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="a second factor is required"
Content-Type: application/json
--- error_log
stratum auth: token refused: a second factor is required
--- no_error_log eval
["[error]", $::T{mfa_false}]



=== TEST 5: "stratum_auth_mfa on": no "amr", no "mfa"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{none}"
--- error_code: 401
--- response_body
{"detail":"a second factor is required"}
--- response_headers
WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="a second factor is required"
Content-Type: application/json
--- error_log
stratum auth: token refused: a second factor is required
--- no_error_log eval
["[error]", $::T{none}]



=== TEST 6: "stratum_auth_mfa on": the methods are case-sensitive ("OTP")
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{pwd_OTP}"
--- error_code: 401
--- response_body
{"detail":"a second factor is required"}
--- response_headers
WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="a second factor is required"
Content-Type: application/json
--- error_log
stratum auth: token refused: a second factor is required
--- no_error_log eval
["[error]", $::T{pwd_OTP}]



=== TEST 7: no second factor needed by default
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "sub=$stratum_auth_sub mfa=$stratum_auth_mfa roles=$stratum_auth_roles";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{pwd}"
--- response_body
sub=user-1 mfa=0 roles=analyst
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{pwd}]



=== TEST 8: mfa roles: an admin (the second role listed), no second factor
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa_roles owner admin;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{admin_pwd}"
--- error_code: 401
--- response_body
{"detail":"a second factor is required"}
--- response_headers
WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="a second factor is required"
Content-Type: application/json
--- error_log
stratum auth: token refused: a second factor is required
--- no_error_log eval
["[error]", $::T{admin_pwd}]



=== TEST 9: mfa roles: an analyst without a second factor passes
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa_roles owner admin;
        proxy_set_header X-Echo "sub=$stratum_auth_sub mfa=$stratum_auth_mfa roles=$stratum_auth_roles";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{pwd}"
--- response_body
sub=user-1 mfa=0 roles=analyst
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{pwd}]



=== TEST 10: mfa roles: an admin with a hardware key
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa_roles owner admin;
        proxy_set_header X-Echo "sub=$stratum_auth_sub mfa=$stratum_auth_mfa roles=$stratum_auth_roles";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{admin_hwk}"
--- response_body
sub=user-1 mfa=1 roles=analyst,admin
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{admin_hwk}]



=== TEST 11: mfa roles: an owner with "mfa": true
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa_roles owner admin;
        proxy_set_header X-Echo "sub=$stratum_auth_sub mfa=$stratum_auth_mfa roles=$stratum_auth_roles";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{owner_mfa}"
--- response_body
sub=user-1 mfa=1 roles=owner
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{owner_mfa}]



=== TEST 12: mfa roles: an owner (the first role listed), no second factor
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa_roles owner admin;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{owner_pwd}"
--- error_code: 401
--- response_body
{"detail":"a second factor is required"}
--- response_headers
WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="a second factor is required"
Content-Type: application/json
--- error_log
stratum auth: token refused: a second factor is required
--- no_error_log eval
["[error]", $::T{owner_pwd}]



=== TEST 13: mfa methods: "sms" does not count when only "otp" does
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa on;
        stratum_auth_mfa_methods otp;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{pwd_sms}"
--- error_code: 401
--- response_body
{"detail":"a second factor is required"}
--- response_headers
WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="a second factor is required"
Content-Type: application/json
--- error_log
stratum auth: token refused: a second factor is required
--- no_error_log eval
["[error]", $::T{pwd_sms}]



=== TEST 14: mfa methods: "otp" counts when listed
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa on;
        stratum_auth_mfa_methods otp;
        proxy_set_header X-Echo "sub=$stratum_auth_sub mfa=$stratum_auth_mfa roles=$stratum_auth_roles";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{pwd_otp}"
--- response_body
sub=user-1 mfa=1 roles=analyst
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{pwd_otp}]



=== TEST 15: mfa methods: the second method listed counts too
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa on;
        stratum_auth_mfa_methods otp sms;
        proxy_set_header X-Echo "sub=$stratum_auth_sub mfa=$stratum_auth_mfa roles=$stratum_auth_roles";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{pwd_sms}"
--- response_body
sub=user-1 mfa=1 roles=analyst
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{pwd_sms}]



=== TEST 16: "amr" as a string
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{amr_string}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "amr"
--- no_error_log eval
["[error]", $::T{amr_string}]



=== TEST 17: "amr" with a number in it
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{amr_number}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "amr"
--- no_error_log eval
["[error]", $::T{amr_number}]



=== TEST 18: "mfa" as a string
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{mfa_string}"
--- error_code: 401
--- response_body
{"detail":"invalid claims"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="invalid claims"
Content-Type: application/json
--- error_log
stratum auth: token refused: invalid claims: "mfa"
--- no_error_log eval
["[error]", $::T{mfa_string}]



=== TEST 19: "stratum_auth_mfa off" in a location under a server with it on
--- config
    stratum_auth_mfa on;

    location = /api {
        stratum_auth on;
        stratum_auth_mfa off;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "sub=$stratum_auth_sub mfa=$stratum_auth_mfa roles=$stratum_auth_roles";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{pwd}"
--- response_body
sub=user-1 mfa=0 roles=analyst
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{pwd}]



=== TEST 20: the server's "stratum_auth_mfa on" reaches its locations
--- config
    stratum_auth_mfa on;

    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{pwd}"
--- error_code: 401
--- response_body
{"detail":"a second factor is required"}
--- response_headers
WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="a second factor is required"
Content-Type: application/json
--- error_log
stratum auth: token refused: a second factor is required
--- no_error_log eval
["[error]", $::T{pwd}]
