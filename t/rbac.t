# vi:filetype=perl

# The RBAC module (ngx_stratum_rbac_module): the role table, permission
# matching, the 403 it answers with, dry-run and its variables.
#
# TEST_NGINX_LOAD_MODULES loads ngx_stratum_auth_module, then this one.
# Tokens are minted with $STRATUM_JWT (t/lib/Stratum/Tokens.pm); the
# upstream that protected locations pass to listens on
# $TEST_NGINX_RBAC_UPSTREAM_PORT (default 3986).  The role table is
# t/rbac/roles.json: owner "*"; admin users:* campaigns:* analytics:*
# settings:* integrations:*; manager campaigns:* analytics:read
# integrations:read; analyst campaigns:read analytics:read.

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
            return  200 "upstream $request_uri\n";
        }
    }
_EOC_

# the permission a request asks for is in its "p" argument
our $ByArg = <<'_EOC_';
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require  $arg_p;
        proxy_pass            http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
_EOC_


# "Authorization: Bearer ..." for a token with these claims
sub bearer {
    return "Authorization: Bearer " . mint(claims => { sub => 'u1', @_ });
}


# requests for /api/?p=PERM, one per permission
sub asks {
    return [map { "GET /api/?p=$_" } @_];
}


sub denied {
    return "{\"detail\":\"Permission denied: $_[0]\"}\n";
}


our @Owner = qw(+users:delete +campaigns:read +billing:refund +a:b:c +solo);
our @Admin = qw(+users:delete +campaigns:read +analytics:export
                +settings:write +integrations:delete billing:read users
                users:read:extra);
our @Manager = qw(+campaigns:delete +campaigns:read +analytics:read
                  +integrations:read analytics:export integrations:write
                  users:read settings:read);
our @Analyst = qw(+campaigns:read +analytics:read campaigns:write
                  analytics:export users:read integrations:read);


# the requests, headers, codes and bodies of a block for one role: the
# permissions marked "+" are granted, the others refused
sub role_block {
    my ($role, @perms) = @_;

    my $auth = bearer(roles => [$role]);
    my (@req, @codes, @bodies);

    for my $p (@perms) {
        my $granted = $p =~ s/^\+//;

        push @req, "GET /api/?p=$p";
        push @codes, $granted ? 200 : 403;
        push @bodies, $granted ? "upstream /api/?p=$p\n" : denied($p);
    }

    return (\@req, [($auth) x @perms], \@codes, \@bodies);
}


our ($OwnerReq, $OwnerHdr, $OwnerCode, $OwnerBody) = role_block('owner',
                                                                @Owner);
our ($AdminReq, $AdminHdr, $AdminCode, $AdminBody) = role_block('admin',
                                                                @Admin);
our ($MgrReq, $MgrHdr, $MgrCode, $MgrBody) = role_block('manager',
                                                        @Manager);
our ($AnaReq, $AnaHdr, $AnaCode, $AnaBody) = role_block('analyst',
                                                        @Analyst);

run_tests();

__DATA__

=== TEST 1: owner: "*" grants everything, any number of segments
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request eval: $::OwnerReq
--- more_headers eval: $::OwnerHdr
--- error_code eval: $::OwnerCode
--- response_body eval: $::OwnerBody
--- no_error_log
[error]
[warn]



=== TEST 2: admin
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request eval: $::AdminReq
--- more_headers eval: $::AdminHdr
--- error_code eval: $::AdminCode
--- response_body eval: $::AdminBody
--- no_error_log
[error]
[warn]



=== TEST 3: manager
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request eval: $::MgrReq
--- more_headers eval: $::MgrHdr
--- error_code eval: $::MgrCode
--- response_body eval: $::MgrBody
--- no_error_log
[error]
[warn]



=== TEST 4: analyst
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request eval: $::AnaReq
--- more_headers eval: $::AnaHdr
--- error_code eval: $::AnaCode
--- response_body eval: $::AnaBody
--- no_error_log
[error]
[warn]



=== TEST 5: the 403: JSON, the missing permission named, the reason at info
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request
GET /api/?p=campaigns:delete
--- more_headers eval: ::bearer(roles => ['analyst'])
--- error_code: 403
--- response_headers
Content-Type: application/json
--- response_body
{"detail":"Permission denied: campaigns:delete"}
--- error_log eval
qr/\[info\] .*stratum rbac: permission denied, missing "campaigns:delete"/
--- no_error_log
[error]



=== TEST 6: "campaigns:*" against near misses
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request eval
::asks(qw(campaigns:read campaigns:delete campaigns campaigns: campaignsX:read
          Campaigns:read campaigns:read:extra x:campaigns:read))
--- more_headers eval: [(::bearer(roles => ['manager'])) x 8]
--- error_code eval: [200, 200, 403, 403, 403, 403, 403, 403]
--- response_body eval
["upstream /api/?p=campaigns:read\n", "upstream /api/?p=campaigns:delete\n",
 ::denied("campaigns"), "{\"detail\":\"Permission denied\"}\n",
 ::denied("campaignsX:read"), ::denied("Campaigns:read"),
 ::denied("campaigns:read:extra"), ::denied("x:campaigns:read")]
--- no_error_log
[error]



=== TEST 7: required permissions outside the grammar are denied, unnamed
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request eval
::asks("campaigns:", ":read", "campaigns::read", "campaigns:*", "*",
       "campaigns:re*ad", "campaigns:re\"ad", "campaigns:re|ad",
       "campaigns:re,ad", "campaigns:re\\ad")
--- more_headers eval: [(::bearer(roles => ['owner'])) x 10]
--- error_code eval: [(403) x 10]
--- response_body eval: [("{\"detail\":\"Permission denied\"}\n") x 10]
--- error_log
the required permission is empty or invalid
--- no_error_log
[error]



=== TEST 8: an empty required permission is denied
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request
GET /api/
--- more_headers eval: ::bearer(roles => ['owner'])
--- error_code: 403
--- response_body
{"detail":"Permission denied"}
--- no_error_log
[error]



=== TEST 9: permissions from the claim alone, no roles
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request eval: ::asks(qw(campaigns:read campaigns:write users:read))
--- more_headers eval
[(::bearer(permissions => ['campaigns:read', 'users:*'])) x 3]
--- error_code eval: [200, 403, 200]
--- response_body eval
["upstream /api/?p=campaigns:read\n", ::denied("campaigns:write"),
 "upstream /api/?p=users:read\n"]
--- no_error_log
[error]



=== TEST 10: "*" as a claim, and "*" standing for one segment
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request eval
::asks(qw(a:b:c solo x:read x:write read x:read:y x:y:read x:y:read))
--- more_headers eval
[::bearer(permissions => ['*']), ::bearer(permissions => ['*']),
 (::bearer(permissions => ['*:read'])) x 5,
 ::bearer(permissions => ['*:*:read'])]
--- error_code eval: [200, 200, 200, 403, 403, 403, 403, 200]
--- response_body eval
["upstream /api/?p=a:b:c\n", "upstream /api/?p=solo\n",
 "upstream /api/?p=x:read\n", ::denied("x:write"), ::denied("read"),
 ::denied("x:read:y"), ::denied("x:y:read"), "upstream /api/?p=x:y:read\n"]
--- no_error_log
[error]



=== TEST 11: "*" in the middle stands for exactly one segment
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request eval
::asks(qw(billing:invoices:export billing:export billing:a:b:export
          billing:invoices:read Billing:invoices:export))
--- more_headers eval
[(::bearer(permissions => ['billing:*:export'])) x 5]
--- error_code eval: [200, 403, 403, 403, 403]
--- response_body eval
["upstream /api/?p=billing:invoices:export\n", ::denied("billing:export"),
 ::denied("billing:a:b:export"), ::denied("billing:invoices:read"),
 ::denied("Billing:invoices:export")]
--- no_error_log
[error]



=== TEST 12: patterns outside the grammar in a token grant nothing
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request eval: ::asks(('campaigns:read') x 6)
--- more_headers eval
[::bearer(permissions => ['campaigns:re*']),
 ::bearer(permissions => ['camp*:read']),
 ::bearer(permissions => ['**']),
 ::bearer(permissions => ['campaigns::read']),
 ::bearer(permissions => ['campaigns:read:']),
 ::bearer(permissions => ['campaigns:']),
]
--- error_code eval: [(403) x 6]
--- no_error_log
[error]



=== TEST 13: the union of the claim and of every role
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request eval
::asks(qw(users:read campaigns:read integrations:read users:write))
--- more_headers eval
[(::bearer(roles => ['analyst', 'manager'],
           permissions => ['users:read'])) x 4]
--- error_code eval: [200, 200, 200, 403]
--- no_error_log
[error]



=== TEST 14: an unknown role grants nothing, and is logged
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request
GET /api/?p=campaigns:read
--- more_headers eval: ::bearer(roles => ['ghost'])
--- error_code: 403
--- grep_error_log eval: qr/stratum rbac: unknown role "\w+"[^,]*, it \w+ \w+/
--- grep_error_log_out
stratum rbac: unknown role "ghost" in a token, it grants nothing
--- error_log eval
qr/\[warn\] .*stratum rbac: unknown role "ghost"/
--- no_error_log
[error]



=== TEST 15: the same nginx: the unknown role is not logged again
--- request
GET /api/?p=campaigns:read
--- more_headers eval: ::bearer(roles => ['ghost', 'analyst'])
--- response_body
upstream /api/?p=campaigns:read
--- grep_error_log: unknown role "ghost"
--- grep_error_log_out
unknown role "ghost"
--- no_error_log
[error]



=== TEST 16: roles or permissions of the wrong JSON type (numbers inside too): the auth module refuses the token
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request eval: ::asks(('campaigns:read') x 7)
--- more_headers eval
[::bearer(roles => 'admin'), ::bearer(roles => [1]),
 ::bearer(roles => ['admin', ['owner']]),
 ::bearer(permissions => 'campaigns:read'),
 ::bearer(permissions => [JSON::PP::true]),
 ::bearer(permissions => ['campaigns:read', 7]),
 ::bearer(roles => ['analyst'], permissions => [1.5])]
--- error_code eval: [(401) x 7]
--- response_body eval: [("{\"detail\":\"invalid claims\"}\n") x 7]
--- no_error_log
[error]



=== TEST 17: the permission from the method, through a map
--- http_config eval
$::HttpConfig . <<'_EOC_';
    map $request_method $rbac_perm {
        GET      campaigns:read;
        POST     campaigns:write;
        DELETE   campaigns:delete;
        default  "";
    }
_EOC_
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require  $rbac_perm;
        proxy_pass            http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval
["GET /api/c", "DELETE /api/c", "POST /api/c\nx", "PATCH /api/c\nx",
 "DELETE /api/c"]
--- more_headers eval
[(::bearer(roles => ['analyst'])) x 4, ::bearer(roles => ['manager'])]
--- error_code eval: [200, 403, 403, 403, 200]
--- response_body eval
["upstream /api/c\n", ::denied("campaigns:delete"),
 ::denied("campaigns:write"), "{\"detail\":\"Permission denied\"}\n",
 "upstream /api/c\n"]
--- no_error_log
[error]



=== TEST 18: the permission from the method, through limit_except
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require  campaigns:read;

        limit_except GET {
            stratum_rbac_require  campaigns:write;
        }

        proxy_pass  http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval: ["GET /api/c", "POST /api/c\nx", "POST /api/c\nx"]
--- more_headers eval
[(::bearer(roles => ['analyst'])) x 2, ::bearer(roles => ['manager'])]
--- error_code eval: [200, 403, 200]
--- response_body eval
["upstream /api/c\n", ::denied("campaigns:write"), "upstream /api/c\n"]
--- no_error_log
[error]



=== TEST 19: several on one line are all required
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require  campaigns:read analytics:read;
        proxy_pass            http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval: [("GET /api/x") x 3]
--- more_headers eval
[::bearer(roles => ['analyst']),
 ::bearer(permissions => ['campaigns:read']),
 ::bearer(permissions => ['analytics:read'])]
--- error_code eval: [200, 403, 403]
--- response_body eval
["upstream /api/x\n", ::denied("analytics:read"), ::denied("campaigns:read")]
--- no_error_log
[error]



=== TEST 20: any one of a list
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require_any  users:read campaigns:write;

        proxy_pass  http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval: [("GET /api/x") x 3]
--- more_headers eval
[::bearer(roles => ['analyst']), ::bearer(roles => ['manager']),
 ::bearer(permissions => ['users:read'])]
--- error_code eval: [403, 200, 200]
--- response_body eval
[::denied("users:read|campaigns:write"), "upstream /api/x\n",
 "upstream /api/x\n"]
--- no_error_log
[error]



=== TEST 21: lines add up; the variables
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require      campaigns:read;
        stratum_rbac_require_any  users:read analytics:read;
        stratum_rbac_require_any  settings:read $arg_p;

        add_header  X-Required $stratum_rbac_required always;
        add_header  X-Rbac "$stratum_rbac_result [$stratum_rbac_missing]"
                    always;
        proxy_pass  http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval: ["GET /api/x?p=campaigns:read", "GET /api/x?p=x:y"]
--- more_headers eval: [(::bearer(roles => ['analyst'])) x 2]
--- error_code eval: [200, 403]
--- response_headers eval
["X-Rbac: allowed []\nX-Required: campaigns:read,users:read|analytics:read,"
 . "settings:read|campaigns:read",
 "X-Rbac: denied [settings:read|x:y]\nX-Required: campaigns:read,"
 . "users:read|analytics:read,settings:read|x:y"]
--- response_body eval
["upstream /api/x?p=campaigns:read\n", ::denied("settings:read|x:y")]
--- no_error_log
[error]



=== TEST 22: the variables where nothing was decided
--- http_config eval: $::HttpConfig
--- config
    location /open/ {
        add_header  X-Rbac "$stratum_rbac_result [$stratum_rbac_missing]";
        add_header  X-Required "[$stratum_rbac_required]";
        proxy_pass  http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request
GET /open/x
--- response_headers
X-Rbac: off []
X-Required: []
--- response_body
upstream /open/x
--- no_error_log
[error]



=== TEST 23: dry run: decided, logged, exposed, let through
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require  users:delete;
        stratum_rbac_dry_run  on;

        add_header  X-Rbac "$stratum_rbac_result [$stratum_rbac_missing]";
        proxy_pass  http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request
GET /api/x
--- more_headers eval: ::bearer(roles => ['analyst'])
--- response_headers
X-Rbac: dry_run_denied [users:delete]
--- response_body
upstream /api/x
--- error_log eval
qr/\[info\] .*stratum rbac: dry run: permission denied, missing "users:delete"/
--- no_error_log
[error]



=== TEST 24: dry run: what is granted is "allowed"
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require  users:delete;
        stratum_rbac_dry_run  on;

        add_header  X-Rbac "$stratum_rbac_result [$stratum_rbac_missing]";
        proxy_pass  http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }

    # as in the block before, for another nginx
--- request
GET /api/x
--- more_headers eval: ::bearer(roles => ['admin'])
--- response_headers
X-Rbac: allowed []
--- response_body
upstream /api/x
--- no_error_log
permission denied
[error]



=== TEST 25: dry run does not lift authentication
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require  users:delete;
        stratum_rbac_dry_run  on;
        proxy_pass            http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request
GET /api/x
--- error_code: 401
--- response_body
{"detail":"token missing"}
--- no_error_log
[error]



=== TEST 26: inherited from the server; a location's own replaces it
--- http_config eval: $::HttpConfig
--- config
    stratum_auth          on;
    stratum_rbac_require  users:delete;

    location /inherit/ {
        proxy_pass  http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }

    location /own/ {
        stratum_rbac_require  campaigns:read;
        proxy_pass            http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }

    location /none/ {
        stratum_rbac_require  off;
        proxy_pass            http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval: ["GET /inherit/x", "GET /own/x", "GET /none/x"]
--- more_headers eval: [(::bearer(roles => ['analyst'])) x 3]
--- error_code eval: [403, 200, 200]
--- response_body eval
[::denied("users:delete"), "upstream /own/x\n", "upstream /none/x\n"]
--- no_error_log
[error]



=== TEST 27: "off" where authentication is off too
--- http_config eval: $::HttpConfig
--- config
    stratum_auth          on;
    stratum_rbac_require  users:delete;

    location /health/ {
        stratum_auth          off;
        stratum_rbac_require  off;
        proxy_pass            http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request
GET /health/
--- response_body
upstream /health/
--- no_error_log
[error]



=== TEST 28: an inline role next to the file
--- http_config eval
$::HttpConfig . <<'_EOC_';
    stratum_rbac_role  auditor  *:read  audit:*;
_EOC_
--- config eval: $::ByArg
--- request eval: ::asks(qw(users:read audit:export users:write))
--- more_headers eval: [(::bearer(roles => ['auditor'])) x 3]
--- error_code eval: [200, 200, 403]
--- no_error_log
[error]



=== TEST 29: "stratum_auth optional" without a token: a permission needs one
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  optional;

    location /api/ {
        stratum_rbac_require  campaigns:read;
        proxy_pass            http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval: [("GET /api/x") x 2]
--- more_headers eval: ["", ::bearer(roles => ['analyst'])]
--- error_code eval: [401, 200]
--- response_body eval: ["{\"detail\":\"token missing\"}\n", "upstream /api/x\n"]
--- no_error_log
[error]



=== TEST 30: an error_page for 403 replaces the body; the decision stays
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require  users:delete;
        error_page            403 /denied;
        proxy_pass            http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }

    location = /denied {
        internal;
        add_header  X-Rbac "$stratum_rbac_result $stratum_rbac_missing" always;
        return      403 "custom\n";
    }
--- request
GET /api/x
--- more_headers eval: ::bearer(roles => ['analyst'])
--- error_code: 403
--- response_headers
X-Rbac: denied users:delete
--- response_body
custom
--- no_error_log
[error]



=== TEST 31: a denial is final under "satisfy any" too
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /api/ {
        satisfy  any;
        allow    127.0.0.1;
        deny     all;

        stratum_rbac_require  users:delete;
        proxy_pass            http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval: [("GET /api/x") x 2]
--- more_headers eval
[::bearer(roles => ['analyst']), ::bearer(roles => ['admin'])]
--- error_code eval: [403, 200]
--- response_body eval: [::denied("users:delete"), "upstream /api/x\n"]
--- no_error_log
[error]



=== TEST 32: the check follows nginx's normalized URI and location match
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require  users:delete;
        proxy_pass            http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval
["GET //api/x", "GET /api/./x", "GET /x/../api/x", "GET /%61pi/x",
 "GET /x/%2E%2E/api/x", "GET /x%2F..%2Fapi/x", "GET /api//x", "GET /API/x",
 "GET /../api/x"]
--- more_headers eval: [(::bearer(roles => ['analyst'])) x 9]
--- error_code eval: [403, 403, 403, 403, 403, 403, 403, 404, 400]
--- response_body_like eval
[(qr/^\{"detail":"Permission denied: users:delete"\}$/) x 7,
 qr/404 Not Found/, qr/400 Bad Request/]



=== TEST 33: HEAD: the 403 without a body
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request
HEAD /api/?p=users:delete
--- more_headers eval: ::bearer(roles => ['analyst'])
--- error_code: 403
--- response_body
--- no_error_log
[error]



=== TEST 34: a request body is discarded before the 403
--- http_config eval: $::HttpConfig
--- config eval: $::ByArg
--- request eval
["POST /api/?p=users:delete\n" . ("x" x 5000)]
--- more_headers eval: [::bearer(roles => ['analyst'])]
--- error_code eval: [403]
--- response_body eval: [::denied("users:delete")]
--- no_error_log
[error]



=== TEST 35: role names are case-sensitive: "Ops" is not "ops"
--- http_config eval
$::HttpConfig . <<'_EOC_';
    stratum_rbac_role  Ops  adm:x;
    stratum_rbac_role  MixedCase  mix:x;
_EOC_
--- config eval: $::ByArg
--- request eval
["GET /api/?p=adm:x", "GET /api/?p=adm:x", "GET /api/?p=mix:x",
 "GET /api/?p=mix:x", "GET /api/?p=mix:x"]
--- more_headers eval
[::bearer(roles => ['Ops']), ::bearer(roles => ['ops']),
 ::bearer(roles => ['MixedCase']), ::bearer(roles => ['mixedcase']),
 ::bearer(roles => ['MIXEDCASE'])]
--- error_code eval: [200, 403, 200, 403, 403]
--- no_error_log
[error]



=== TEST 36: under "satisfy any", no token or a bad one gets no further than a token without the permission
--- http_config eval: $::HttpConfig
--- config
    stratum_auth  on;

    location /api/ {
        satisfy  any;
        allow    127.0.0.1;
        deny     all;

        stratum_rbac_require  users:delete;
        proxy_pass            http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }

    location /tenant/ {
        satisfy  any;
        allow    127.0.0.1;
        deny     all;

        stratum_rbac_tenant   $arg_t;
        proxy_pass            http://127.0.0.1:$TEST_NGINX_RBAC_UPSTREAM_PORT;
    }
--- request eval
["GET /api/x", "GET /api/x", "GET /tenant/x?t=42", "GET /tenant/x?t=42"]
--- more_headers eval
["", "Authorization: Bearer a.b.c", "", "Authorization: Bearer a.b.c"]
--- error_code eval: [401, 401, 401, 401]
--- response_body eval
["{\"detail\":\"token missing\"}\n", "{\"detail\":\"token malformed\"}\n",
 "{\"detail\":\"token missing\"}\n", "{\"detail\":\"token malformed\"}\n"]
--- response_headers eval
["WWW-Authenticate: Bearer",
 "WWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"token malformed\"",
 "WWW-Authenticate: Bearer",
 "WWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"token malformed\""]
--- no_error_log
[error]



=== TEST 37: a role name longer than the lookup's stack buffer is still found, case and all
--- http_config eval
$::HttpConfig . <<'_EOC_';
    stratum_rbac_role  RoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRole  long:x;
_EOC_
--- config eval: $::ByArg
--- request eval
["GET /api/?p=long:x", "GET /api/?p=long:x"]
--- more_headers eval
[::bearer(roles => ['RoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRole']), ::bearer(roles => [lc 'RoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRoleRole'])]
--- error_code eval: [200, 403]
--- no_error_log
[error]
