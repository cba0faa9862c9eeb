# vi:filetype=perl

# The security headers on the refusals of the other Stratum modules: the
# 401 of auth, the 403 of rbac and the 429 of the rate limiter carry the
# same set as a 200 does, with their own headers (WWW-Authenticate,
# Retry-After) beside it.
#
# TEST_NGINX_LOAD_MODULES loads every module; the role table is
# t/rbac/roles.json (analyst: campaigns:read analytics:read).

use FindBin ();
use lib "$FindBin::Bin/lib";

use Test::Nginx::Socket 'no_plan';
use Stratum::Tokens;

$ENV{TEST_NGINX_RBAC_DIR} = "$FindBin::Bin/rbac";

Stratum::Tokens::make_keys();

no_shuffle();

our %T = (
    admin   => mint(claims => { sub => 'u-admin', roles => ['admin'] }),
    analyst => mint(claims => { sub => 'u-analyst', roles => ['analyst'] }),
);

# the default set, as t/headers.t spells it out
our $Set = <<'_EOH_';
X-Content-Type-Options: nosniff
X-Frame-Options: DENY
Referrer-Policy: strict-origin-when-cross-origin
Content-Security-Policy: default-src 'self'
Permissions-Policy: geolocation=(), microphone=(), camera=()
X-XSS-Protection: 0
!Strict-Transport-Security
_EOH_

our $HttpConfig = <<'_EOC_';
    stratum_auth_key_file    $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    stratum_rbac_roles_file  $TEST_NGINX_RBAC_DIR/roles.json;
    stratum_ratelimit_zone   one:1m key=$stratum_auth_sub rate=1r/m;
    stratum_headers          on;
_EOC_

our $Config = <<'_EOC_';
    location = /campaigns {
        stratum_auth          on;
        stratum_rbac_require  campaigns:delete;
        stratum_ratelimit     one;
        empty_gif;
    }
_EOC_


run_tests();

__DATA__

=== TEST 1: an allowed request gets the set
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /campaigns
--- more_headers eval
"Authorization: Bearer $::T{admin}"
--- error_code: 200
--- response_headers eval
$::Set . "Content-Type: image/gif\n"
--- no_error_log
[error]



=== TEST 2: the 401 of auth, no token sent
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /campaigns
--- error_code: 401
--- response_headers eval
$::Set . "WWW-Authenticate: Bearer\nContent-Type: application/json\n"
--- response_body
{"detail":"token missing"}
--- no_error_log
[error]



=== TEST 3: the 401 of auth, a malformed token
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /campaigns
--- more_headers
Authorization: Bearer not.a.token
--- error_code: 401
--- response_headers eval
$::Set . "Content-Type: application/json\n"
. qq{WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"\n}
--- no_error_log
[error]



=== TEST 4: the 403 of rbac
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /campaigns
--- more_headers eval
"Authorization: Bearer $::T{analyst}"
--- error_code: 403
--- response_headers eval
$::Set . "Content-Type: application/json\n!WWW-Authenticate\n"
--- response_body
{"detail":"Permission denied: campaigns:delete"}
--- no_error_log
[error]



=== TEST 5: the 429 of the rate limiter
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
["GET /campaigns", "GET /campaigns"]
--- more_headers eval
"Authorization: Bearer $::T{admin}"
--- error_code eval
[200, 429]
--- response_headers eval
[$::Set . "!Retry-After\n",
 $::Set . "Content-Type: application/json\nRetry-After: 60\n"]
--- no_error_log
[error]



=== TEST 6: an error_page that answers a refusal keeps the set
--- http_config eval: $::HttpConfig
--- config
    location = /campaigns {
        stratum_auth          on;
        stratum_rbac_require  campaigns:delete;
        error_page            403 = /denied;
        empty_gif;
    }

    location = /denied {
        internal;
        default_type  text/plain;
        return        403 "not yours\n";
    }
--- request
GET /campaigns
--- more_headers eval
"Authorization: Bearer $::T{analyst}"
--- error_code: 403
--- response_headers eval
$::Set . "Content-Type: text/plain\n"
--- response_body
not yours
--- no_error_log
[error]
