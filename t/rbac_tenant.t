# vi:filetype=perl

# The RBAC module's tenant isolation: "stratum_rbac_tenant" against the
# token's "tenant_id", and the identity headers the upstream is given.
#
# As t/rbac.t: TEST_NGINX_LOAD_MODULES loads ngx_stratum_auth_module, then
# this one; tokens come from $STRATUM_JWT; the upstream listens on
# $TEST_NGINX_RBAC_UPSTREAM_PORT (default 3986) and echoes the tenant
# header it was sent.

use FindBin ();
use lib "$FindBin::Bin/lib";

use Test::Nginx::Socket 'no_plan';
use Stratum::Tokens;

$ENV{TEST_NGINX_RBAC_DIR} = "$FindBin::Bin/rbac";
$ENV{TEST_NGINX_RBAC_UPSTREAM_PORT} ||= 3986;

Stratum::Tokens::make_keys();

no_shuffle();

our $HttpConfig = <<'_EOC_';
    stratum_auth_key_file    $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    stratum_rbac_roles_file  $TEST_NGINX_RBAC_DIR/roles.json;

    server {
        listen  127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;

        location / {
            return  200 "upstream $request_uri tenant=[$http_x_tenant_id]\n";
        }
    }
_EOC_

# the tenant is the path segment after /t/
our $ByPath = <<'_EOC_';
    stratum_auth  on;

    location ~ ^/t/(?<rbac_tenant>[^/]*)/ {
        stratum_rbac_tenant  $rbac_tenant;
        proxy_pass           http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
_EOC_


sub bearer {
    return "Authorization: Bearer " . mint(claims => { sub => 'u1', @_ });
}


sub refused {
    return "{\"detail\":\"Tenant access denied: $_[0]\"}\n";
}

run_tests();

__DATA__

=== TEST 1: the tenant of the path against an integer claim
--- http_config eval: $::HttpConfig
--- config eval: $::ByPath
--- request eval
["GET /t/1/x", "GET /t/2/x", "GET /t/01/x", "GET /t/1%20/x", "GET /t/1,2/x",
 "GET /t/+1/x", "GET /t/1.0/x", "GET /t/11/x", "GET /t/%31/x"]
--- more_headers eval: [(::bearer(tenant_id => 1)) x 9]
--- error_code eval: [200, (403) x 7, 200]
--- response_body eval
["upstream /t/1/x tenant=[]\n", (::refused("tenant mismatch")) x 7,
 "upstream /t/%31/x tenant=[]\n"]
--- no_error_log
[error]



=== TEST 2: the reason at info level
--- http_config eval: $::HttpConfig
--- config eval: $::ByPath
--- request
GET /t/2/x
--- more_headers eval: ::bearer(tenant_id => 1)
--- error_code: 403
--- response_headers
Content-Type: application/json
--- error_log eval
qr/\[info\] .*stratum rbac: tenant denied: tenant mismatch/
--- no_error_log
[error]



=== TEST 3: a string claim, compared exactly
--- http_config eval: $::HttpConfig
--- config eval: $::ByPath
--- request eval: ["GET /t/acme/x", "GET /t/Acme/x", "GET /t/acme2/x"]
--- more_headers eval: [(::bearer(tenant_id => 'acme')) x 3]
--- error_code eval: [200, 403, 403]
--- response_body eval
["upstream /t/acme/x tenant=[]\n", (::refused("tenant mismatch")) x 2]
--- no_error_log
[error]



=== TEST 4: a large and a negative integer claim in decimal
--- http_config eval: $::HttpConfig
--- config eval: $::ByPath
--- request eval
["GET /t/9007199254740993/x", "GET /t/-5/x", "GET /t/5/x"]
--- more_headers eval
[::bearer(tenant_id => 9007199254740993),
 (::bearer(tenant_id => -5)) x 2]
--- error_code eval: [200, 200, 403]
--- no_error_log
[error]



=== TEST 5: a token without a tenant, or with an empty one
--- http_config eval: $::HttpConfig
--- config eval: $::ByPath
--- request eval: [("GET /t/1/x") x 2]
--- more_headers eval: [::bearer(roles => ['owner']), ::bearer(tenant_id => '')]
--- error_code eval: [403, 403]
--- response_body eval: [(::refused("the token carries no tenant")) x 2]
--- error_log
stratum rbac: tenant denied: the token carries no tenant
--- no_error_log
[error]



=== TEST 6: a tenant claim of the wrong type: the auth module refuses it
--- http_config eval: $::HttpConfig
--- config eval: $::ByPath
--- request eval: [("GET /t/1/x") x 4]
--- more_headers eval
[::bearer(tenant_id => 1.5), ::bearer(tenant_id => [1]),
 ::bearer(tenant_id => { id => 1 }), ::bearer(tenant_id => JSON::PP::true)]
--- error_code eval: [(401) x 4]
--- response_body eval: [("{\"detail\":\"invalid claims\"}\n") x 4]
--- no_error_log
[error]



=== TEST 7: the tenant in an argument; a request that names none
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /q/ {
        stratum_rbac_tenant  $arg_tenant;
        proxy_pass           http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval
["GET /q/?tenant=7", "GET /q/", "GET /q/?tenant=", "GET /q/?tenant=8",
 "GET /q/?tenant=7&tenant=8", "GET /q/?tenant=%37"]
--- more_headers eval: [(::bearer(tenant_id => 7)) x 6]
--- error_code eval: [200, 403, 403, 403, 200, 403]
--- response_body eval
["upstream /q/?tenant=7 tenant=[]\n",
 (::refused("the request names no tenant")) x 2,
 ::refused("tenant mismatch"), "upstream /q/?tenant=7&tenant=8 tenant=[]\n",
 ::refused("tenant mismatch")]
--- no_error_log
[error]



=== TEST 8: the tenant in a header
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /h/ {
        stratum_rbac_tenant  $http_x_tenant_id;
        proxy_pass           http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval: [("GET /h/") x 3]
--- more_headers eval
[::bearer(tenant_id => 7) . "\nX-Tenant-Id: 7",
 ::bearer(tenant_id => 7) . "\nX-Tenant-Id: 8",
 ::bearer(tenant_id => 7)]
--- error_code eval: [200, 403, 403]
--- response_body eval
["upstream /h/ tenant=[7]\n", ::refused("tenant mismatch"),
 ::refused("the request names no tenant")]
--- no_error_log
[error]



=== TEST 9: a fixed tenant for a location
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /acme/ {
        stratum_rbac_tenant  acme;
        proxy_pass           http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval: [("GET /acme/") x 2]
--- more_headers eval
[::bearer(tenant_id => 'acme'), ::bearer(tenant_id => 'globex')]
--- error_code eval: [200, 403]
--- no_error_log
[error]



=== TEST 10: permissions are checked before the tenant
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location ~ ^/t/(?<rbac_tenant>[^/]*)/ {
        stratum_rbac_require  campaigns:read;
        stratum_rbac_tenant   $rbac_tenant;

        add_header  X-Rbac "$stratum_rbac_result [$stratum_rbac_missing]"
                    always;
        proxy_pass  http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval: ["GET /t/1/x", "GET /t/2/x", "GET /t/2/x", "GET /t/1/x"]
--- more_headers eval
[::bearer(tenant_id => 1, roles => ['analyst']),
 ::bearer(tenant_id => 1, roles => ['analyst']),
 ::bearer(tenant_id => 1),
 ::bearer(tenant_id => 1, roles => ['owner'])]
--- error_code eval: [200, 403, 403, 200]
--- response_headers eval
["X-Rbac: allowed []", "X-Rbac: tenant_denied []",
 "X-Rbac: denied [campaigns:read]", "X-Rbac: allowed []"]
--- response_body eval
["upstream /t/1/x tenant=[]\n", ::refused("tenant mismatch"),
 "{\"detail\":\"Permission denied: campaigns:read\"}\n",
 "upstream /t/1/x tenant=[]\n"]
--- no_error_log
[error]



=== TEST 11: dry run of the tenant check
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location ~ ^/t/(?<rbac_tenant>[^/]*)/ {
        stratum_rbac_tenant   $rbac_tenant;
        stratum_rbac_dry_run  on;

        add_header  X-Rbac $stratum_rbac_result;
        proxy_pass  http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request
GET /t/2/x
--- more_headers eval: ::bearer(tenant_id => 1)
--- response_headers
X-Rbac: dry_run_tenant_denied
--- response_body
upstream /t/2/x tenant=[]
--- error_log eval
qr/\[info\] .*stratum rbac: dry run: tenant denied: tenant mismatch/
--- no_error_log
[error]



=== TEST 12: the identity header comes from the token, never the client
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /api/ {
        proxy_set_header  X-Tenant-Id  $stratum_auth_tenant_id;
        proxy_pass        http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval: [("GET /api/x") x 4]
--- more_headers eval
[::bearer(tenant_id => 1) . "\nX-Tenant-ID: 666",
 ::bearer(tenant_id => 1) . "\nx-tenant-id: 666\nX-TENANT-ID: 667",
 ::bearer(roles => ['owner']) . "\nX-Tenant-ID: 666",
 ::bearer(tenant_id => '') . "\nX-Tenant-Id: 666"]
--- response_body eval
["upstream /api/x tenant=[1]\n", "upstream /api/x tenant=[1]\n",
 "upstream /api/x tenant=[]\n", "upstream /api/x tenant=[]\n"]
--- no_error_log
[error]



=== TEST 13: tenant isolation needs authentication where it applies
--- http_config eval: $::HttpConfig
--- config
    location /t/ {
        stratum_rbac_tenant  $arg_tenant;
        proxy_pass           http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- must_die
--- error_log
[emerg]
"stratum_rbac_tenant" in
applies to location "/t/", where "stratum_auth" is off
