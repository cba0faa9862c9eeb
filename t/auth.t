# vi:filetype=perl

# The auth module (ngx_stratum_auth_module): where the token comes from,
# what a refusal looks like, "optional", cookies and error_page.
#
# Runs under the real Test::Nginx or, without it, under t/runner:
#
#   TEST_NGINX_BINARY=/usr/sbin/nginx \
#   TEST_NGINX_LOAD_MODULES=$PWD/build/ngx_stratum_auth_module.so \
#   STRATUM_JWT=$PWD/build/stratum-jwt prove [-I t/runner] t/auth*.t
#
# Keys are made with openssl in a temporary directory and tokens minted
# with the token tool, see t/lib/Stratum/Tokens.pm.  Every block gets,
# appended to its --- http_config, the upstream of Stratum::Tokens on
# $TEST_NGINX_RAND_PORT_1: "/" answers with the identity headers it was
# sent, "/echo" with X-Echo; a protected location proves the access check
# by proxying to it or serving a file (never by "return", which runs
# before the check).  The log level is info: the refusal reasons are
# logged there, and the token must never be.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/lib";
use Stratum::Tokens;

repeat_each(2);
log_level('info');
no_shuffle();

Stratum::Tokens::make_keys();

add_block_preprocessor(\&Stratum::Tokens::add_upstream);

our %T = (
    user => mint(claims => {
        sub => 'user-1', tenant_id => 't-42',
        roles => ['admin', 'analyst'], permissions => ['read', 'write'],
    }),
    ec => mint(key => 'ec', alg => 'ES256', claims => {
        sub => 'user-2', tenant_id => 42, roles => ['viewer'],
    }),
    other_key => mint(key => 'rsa2', claims => {
        sub => 'intruder',
    }),
);

# every block: status, body, two response headers and three error log
# patterns (the reason, or its absence, "[error]", and the token, or
# "[alert]" where there is none)
plan tests => repeat_each() * (blocks() * 7);

run_tests();

__DATA__

=== TEST 1: a valid RS256 token passes, the upstream sees the identity
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;

        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_set_header X-Tenant-Id $stratum_auth_tenant_id;
        proxy_set_header X-Roles $stratum_auth_roles;
        proxy_set_header X-Permissions $stratum_auth_permissions;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{user}"
--- response_body
sub=user-1 tenant=t-42 roles=admin,analyst permissions=read,write
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{user}]



=== TEST 2: a valid ES256 token passes, an integer tenant_id is printed
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_algorithms ES256;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/ec.pub;

        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_set_header X-Tenant-Id $stratum_auth_tenant_id;
        proxy_set_header X-Roles $stratum_auth_roles;
        proxy_set_header X-Permissions $stratum_auth_permissions;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{ec}"
--- response_body
sub=user-2 tenant=42 roles=viewer permissions=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{ec}]



=== TEST 3: no token: 401 with a bare Bearer challenge
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- error_code: 401
--- response_body
{"detail":"token missing"}
--- response_headers
WWW-Authenticate: Bearer
Content-Type: application/json
--- error_log
stratum auth: token refused: token missing
--- no_error_log
[error]
[alert]



=== TEST 4: the scheme is case-insensitive: "bearer"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: bearer $::T{user}"
--- response_body
sub=user-1 tenant= roles= permissions=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{user}]



=== TEST 5: the "Basic" scheme counts as no token
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers
Authorization: Basic dXNlcjpwYXNzd29yZA==
--- error_code: 401
--- response_body
{"detail":"token missing"}
--- response_headers
WWW-Authenticate: Bearer
Content-Type: application/json
--- error_log
stratum auth: token refused: token missing
--- no_error_log
[error]
[alert]



=== TEST 6: "Bearer" with nothing after it counts as no token
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers
Authorization: Bearer
--- error_code: 401
--- response_body
{"detail":"token missing"}
--- response_headers
WWW-Authenticate: Bearer
Content-Type: application/json
--- error_log
stratum auth: token refused: token missing
--- no_error_log
[error]
[alert]



=== TEST 7: the scheme glued to the token: a token present and malformed
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer$::T{user}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{user}]



=== TEST 8: a token signed by another key: 401 invalid_token, not logged
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
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
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
Content-Type: application/json
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{other_key}]



=== TEST 9: a protected static file (a content handler, no proxy)
--- config
    location /static/ {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    }
--- user_files
>>> static/report.txt
quarterly figures
--- request
GET /static/report.txt
--- error_code: 401
--- response_body
{"detail":"token missing"}
--- response_headers
WWW-Authenticate: Bearer
Content-Type: application/json
--- error_log
stratum auth: token refused: token missing
--- no_error_log
[error]
[alert]



=== TEST 10: the protected static file with a token
--- config
    location /static/ {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    }
--- user_files
>>> static/report.txt
quarterly figures
--- request
GET /static/report.txt
--- more_headers eval
"Authorization: Bearer $::T{user}"
--- response_body
quarterly figures
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{user}]



=== TEST 11: empty_gif behind the check
--- config
    location = /pixel.gif {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        empty_gif;
    }
--- request
GET /pixel.gif
--- more_headers eval
"Authorization: Bearer $::T{other_key}"
--- error_code: 401
--- response_body
{"detail":"bad signature"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
Content-Type: application/json
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{other_key}]



=== TEST 12: a request body is discarded on a refusal
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
POST /api
{"amount":100}
--- error_code: 401
--- response_body
{"detail":"token missing"}
--- response_headers
WWW-Authenticate: Bearer
Content-Type: application/json
--- error_log
stratum auth: token refused: token missing
--- no_error_log
[error]
[alert]



=== TEST 13: "stratum_auth off" in a location under a protected server
--- config
    stratum_auth on;
    stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;

    location = /health {
        stratum_auth off;
        proxy_set_header X-Echo "result=$stratum_auth_result";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /health
--- response_body
result=off
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log
[error]
[alert]
stratum auth:



=== TEST 14: the server's "stratum_auth on" reaches its locations
--- config
    stratum_auth on;
    stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;

    location = /api {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- error_code: 401
--- response_body
{"detail":"token missing"}
--- response_headers
WWW-Authenticate: Bearer
Content-Type: application/json
--- error_log
stratum auth: token refused: token missing
--- no_error_log
[error]
[alert]



=== TEST 15: optional: no token passes with the result "missing"
--- config
    location = /api {
        stratum_auth optional;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "result=$stratum_auth_result sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- response_body
result=missing sub=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log
[error]
[alert]
stratum auth:



=== TEST 16: optional: a valid token is used
--- config
    location = /api {
        stratum_auth optional;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "result=$stratum_auth_result sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{user}"
--- response_body
result=ok sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{user}]



=== TEST 17: optional: a token that is present but bad is still a 401
--- config
    location = /api {
        stratum_auth optional;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{other_key}"
--- error_code: 401
--- response_body
{"detail":"bad signature"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
Content-Type: application/json
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{other_key}]



=== TEST 18: the token read from a cookie
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_token $cookie_access_token;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Cookie: theme=dark; access_token=$::T{user}; lang=en"
--- response_body
sub=user-1 tenant= roles= permissions=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{user}]



=== TEST 19: with stratum_auth_token set, the Authorization header is ignored
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_token $cookie_access_token;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{user}"
--- error_code: 401
--- response_body
{"detail":"token missing"}
--- response_headers
WWW-Authenticate: Bearer
Content-Type: application/json
--- error_log
stratum auth: token refused: token missing
--- no_error_log eval
["[error]", $::T{user}]



=== TEST 20: a bad token in the cookie
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_token $cookie_access_token;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Cookie: access_token=$::T{other_key}"
--- error_code: 401
--- response_body
{"detail":"bad signature"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
Content-Type: application/json
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{other_key}]



=== TEST 21: error_page 401 replaces the body, the challenge stays
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        error_page 401 /errors/401.html;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }

    location /errors/ {
        internal;
    }
--- user_files
>>> errors/401.html
<p>please sign in</p>
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{other_key}"
--- error_code: 401
--- response_body
<p>please sign in</p>
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
Content-Type: text/html
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{other_key}]



=== TEST 22: error_page 401 with no token: the bare challenge stays
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        error_page 401 /errors/401.html;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }

    location /errors/ {
        internal;
    }
--- user_files
>>> errors/401.html
<p>please sign in</p>
--- request
GET /api
--- error_code: 401
--- response_body
<p>please sign in</p>
--- response_headers
WWW-Authenticate: Bearer
Content-Type: text/html
--- error_log
stratum auth: token refused: token missing
--- no_error_log
[error]
[alert]



=== TEST 23: error_page 401 to a location that is protected as well
--- config
    stratum_auth on;
    stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;

    location = /api {
        error_page 401 /errors/401.html;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }

    location /errors/ {
        internal;
    }
--- user_files
>>> errors/401.html
<p>please sign in</p>
--- request
GET /api
--- error_code: 401
--- response_body
{"detail":"token missing"}
--- response_headers
WWW-Authenticate: Bearer
Content-Type: application/json
--- error_log
stratum auth: token refused: token missing
--- no_error_log
[error]
[alert]



=== TEST 24: satisfy any: an allow rule lets a request in without a token
--- config
    location = /api {
        satisfy any;
        allow 127.0.0.1;
        deny all;

        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- response_body
sub= tenant= roles= permissions=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log
[error]
[alert]
[crit]



=== TEST 25: satisfy any: with every module refusing, the 401 and its challenge stay
--- config
    location = /api {
        satisfy any;
        deny all;

        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- error_code: 401
--- response_body_like: 401 Authorization Required
--- response_headers
WWW-Authenticate: Bearer
Content-Type: text/html
--- error_log
stratum auth: token refused: token missing
--- no_error_log
[alert]
[crit]
