# vi:filetype=perl

# Subrequests: nginx runs no access phase for them, so auth and rbac check
# a protected location again when a subrequest reaches it (auth_request,
# SSI include).  Before that, auth_request pointed at a stratum_auth
# location checked nothing, and an SSI include served a protected
# location to anyone.
#
# See t/auth.t for the environment.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/lib";
use Stratum::Tokens;

repeat_each(1);
log_level('info');
no_shuffle();

Stratum::Tokens::make_keys();

add_block_preprocessor(\&Stratum::Tokens::add_upstream);

our %T = (
    user => mint(claims => {
        sub => 'user-1', tenant_id => 't-42',
        roles => ['analyst'], permissions => ['read', 'write'],
    }),
    tenant42 => mint(claims => { sub => 'user-42', tenant_id => '42' }),
    other_key => mint(key => 'rsa2', claims => { sub => 'intruder' }),
);

our $Locations = <<'_EOC_';
    location /ar/ {
        auth_request /check;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }

    location = /check {
        internal;
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        empty_gif;
    }

    location /ar-delete/ {
        auth_request /check-delete;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }

    location /ar-write/ {
        auth_request /check-write;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }

    location = /check-delete {
        internal;
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_rbac_require delete;
        empty_gif;
    }

    location = /check-write {
        internal;
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_rbac_require write;
        empty_gif;
    }

    location = /page {
        ssi on;
        default_type text/html;
        return 200 "[<!--# include virtual=\"/prot/$arg_to\" -->]\n";
    }

    location /prot/ {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }

    location /prot-other-issuer/ {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_issuer https://another-issuer.example;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }

    location = /protected-page {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        ssi on;
        default_type text/html;
        return 200 "[<!--# include virtual=\"$arg_to\" -->]\n";
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', $Locations) unless defined $block->config;
});

plan tests => repeat_each() * (blocks() * 3 + 45);

# an upstream that answers with the X-Accel-Redirect it is asked for
our $XAccel = <<'_EOC_';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_2;

        location / {
            add_header X-Accel-Redirect $arg_to;
            return 200 "upstream\n";
        }
    }
_EOC_

our $Redirects = <<'_EOC_';
    location /secret/ {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    }

    location /xaccel/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_2;
    }

    location /go/ {
        rewrite ^ /$arg_to last;
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: auth_request to a protected location, no token: 401
--- request
GET /ar/x
--- error_code: 401
--- response_body_like: 401 Authorization Required
--- no_error_log
[alert]



=== TEST 2: auth_request, a valid token: the upstream answers, and sees who
--- request
GET /ar/x
--- more_headers eval
"Authorization: Bearer $::T{user}"
--- error_code: 200
--- response_body
sub=user-1 tenant= roles= permissions=
--- no_error_log
[alert]



=== TEST 3: auth_request, a token signed by another key: 401
--- request
GET /ar/x
--- more_headers eval
"Authorization: Bearer $::T{other_key}"
--- error_code: 401
--- response_body_like: 401 Authorization Required
--- error_log
stratum auth: token refused: bad signature



=== TEST 4: auth_request to a location that requires a permission the token lacks: 403
--- request
GET /ar-delete/x
--- more_headers eval
"Authorization: Bearer $::T{user}"
--- error_code: 403
--- response_body_like: 403 Forbidden
--- no_error_log
[alert]



=== TEST 5: auth_request to a location whose permission the token has: 200
--- request
GET /ar-write/x
--- more_headers eval
"Authorization: Bearer $::T{user}"
--- error_code: 200
--- response_body
sub= tenant= roles= permissions=
--- no_error_log
[alert]



=== TEST 6: an SSI include of a protected location, no token: not served
--- request
GET /page?to=x
--- error_code: 200
--- response_body_unlike: sub=
--- no_error_log
[alert]



=== TEST 7: an SSI include of a protected location, a valid token: served
--- request
GET /page?to=x
--- more_headers eval
"Authorization: Bearer $::T{user}"
--- error_code: 200
--- response_body
[sub=user-1 tenant= roles= permissions=
]
--- no_error_log
[alert]



=== TEST 8: a page checked under one policy includes a location of another: refused there
--- request
GET /protected-page?to=/prot-other-issuer/x
--- more_headers eval
"Authorization: Bearer $::T{user}"
--- error_code: 200
--- response_body_unlike: sub=
--- error_log
stratum auth: token refused



=== TEST 9: a page includes a location of its own policy: served
--- request
GET /protected-page?to=/prot/x
--- more_headers eval
"Authorization: Bearer $::T{user}"
--- error_code: 200
--- response_body
[sub=user-1 tenant= roles= permissions=
]
--- no_error_log
[alert]



=== TEST 10: an SSI include of another tenant's path: the subrequest's own tenant counts, not the page's cached "map" value
--- http_config
    map $uri $tm {
        ~^/tm/(?<n>\d+)/  $n;
        default           "";
    }
--- config
    location /tm/ {
        ssi on;
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_rbac_tenant $tm;
    }
--- user_files
>>> tm/42/dyn.html
[<!--# include virtual="/tm/$arg_t/secret.txt" -->]
>>> tm/42/secret.txt
tenant 42 data
>>> tm/43/secret.txt
tenant 43 data
--- request eval
["GET /tm/42/dyn.html?t=43", "GET /tm/42/dyn.html?t=42", "GET /tm/43/secret.txt"]
--- more_headers eval
[("Authorization: Bearer $::T{tenant42}") x 3]
--- error_code eval
[200, 200, 403]
--- response_body_like eval
[qr/\A\[(?!.*tenant 43 data)/s, qr/\A\[tenant 42 data\n\]/, qr/\A\{"detail":"Tenant access denied: [^"]+"\}\n\z/]
--- no_error_log
[alert]



=== TEST 11: the same through a map of a map; a "set" variable cannot be computed again in a subrequest: denied
--- http_config
    map $uri $raw {
        ~^/m/(?<n>\d+)/  $n;
        default          "";
    }
    map $raw $mm {
        ~^(?<d>\d+)$  $d;
        default       "";
    }
    map $uri $sraw {
        ~^/s/(?<k>\d+)/  $k;
        default          "";
    }
--- config
    location /m/ {
        ssi on;
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_rbac_tenant $mm;
    }
    location /s/ {
        ssi on;
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        set $t $sraw;
        stratum_rbac_tenant $t;
        root html/m-as-s;
    }
--- user_files
>>> m/42/dyn.html
[<!--# include virtual="/m/$arg_t/secret.txt" -->]
>>> m/42/secret.txt
tenant 42 data
>>> m/43/secret.txt
tenant 43 data
>>> m-as-s/s/42/own.html
[<!--# include virtual="/s/42/ok.txt" -->]
>>> m-as-s/s/42/ok.txt
ok 42
--- request eval
["GET /m/42/dyn.html?t=43", "GET /m/42/dyn.html?t=42", "GET /s/42/own.html"]
--- more_headers eval
[("Authorization: Bearer $::T{tenant42}") x 3]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/\A\[(?!.*tenant 43 data)/s, qr/\A\[tenant 42 data\n\]/,
 qr/\A\[\{"detail":"Tenant access denied: the request names no tenant"\}\n\]/]
--- no_error_log
[alert]



=== TEST 12: a variable both a map and the included location's "set" define; a map of a named capture (denied in a subrequest: told apart from a stale value it cannot be); the page's own decision after its includes
--- http_config
    map $http_x_tenant $dual {
        default  $http_x_tenant;
    }
    map $cap $of_cap {
        default  $cap;
    }
--- config
    location ~ ^/dl/(\d+)/ {
        ssi on;
        set $dual $1;
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_rbac_tenant $dual;
    }
    location ~ ^/nm/(?<cap>[^/]+)/ {
        ssi on;
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_rbac_tenant $of_cap;
    }
    location /plain/ {
        ssi on;
    }
--- user_files
>>> dl/42/page.html
[<!--# include virtual="/dl/42/data.txt" -->][<!--# include virtual="/dl/43/data.txt" -->]
>>> dl/42/data.txt
dl 42
>>> dl/43/data.txt
dl 43
>>> nm/42/page.html
[<!--# include virtual="/nm/42/data.txt" -->]
>>> nm/42/data.txt
nm 42
>>> plain/page.html
[<!--# include virtual="/nm/43/x" wait="yes" -->][<!--# echo var="stratum_rbac_result" -->]
--- request eval
["GET /dl/42/page.html", "GET /nm/42/page.html", "GET /plain/page.html"]
--- more_headers eval
["Authorization: Bearer $::T{tenant42}\nX-Tenant: 42",
 "Authorization: Bearer $::T{tenant42}", "Authorization: Bearer $::T{tenant42}"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/\A\[dl 42\n\]\[\{"detail":"Tenant access denied: [^"]+"\}\n\]\n\z/,
 qr/\A\[\{"detail":"Tenant access denied: the request names no tenant"\}\n\]\n\z/,
 qr/\]\[off\]\n\z/]
--- no_error_log
[alert]



=== TEST 13: a map of a map computed early in the included location, a constant "set" (denied: it cannot be computed again), a subrequest that moves to a named location
--- http_config
    map $uri $e_uri {
        ~^/e\w*/(?<n>\d+)/  $n;
        default             "";
    }
    map $e_uri $e_mm {
        default  $e_uri;
    }
--- config
    location ~ \.shtml$ {
        ssi on;
        default_type text/html;
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_rbac_tenant $e_uri;
    }
    location /e7/ {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        if ($e_mm = "zz") {
            return 418;
        }
        stratum_rbac_tenant $e_mm;
    }
    location ^~ /ec/42/ {
        ssi on;
        default_type text/html;
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        set $st 42;
        stratum_rbac_tenant $st;
    }
    location /e9/ {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_rbac_tenant $e_uri;
        error_page 404 = @fallback;
    }
    location @fallback {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_rbac_tenant $e_uri;
        root html/fb;
        try_files /p.txt =404;
    }
--- user_files
>>> e7/42/page.shtml
[<!--# include virtual="/e7/43/a.txt" -->]
>>> e7/43/a.txt
tenant 43 data
>>> ec/42/page.shtml
[<!--# include virtual="/ec/42/a.txt" -->]
>>> ec/42/a.txt
ok 42
>>> e9/42/page.shtml
[<!--# include virtual="/e9/42/missing.txt" -->]
>>> fb/p.txt
fallback
--- request eval
["GET /e7/42/page.shtml", "GET /ec/42/page.shtml", "GET /e9/42/page.shtml"]
--- more_headers eval
[("Authorization: Bearer $::T{tenant42}") x 3]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/\A\[(?!.*tenant 43 data)/s,
 qr/\A\[\{"detail":"Tenant access denied: the request names no tenant"\}\n\]\n\z/,
 qr/\A\[fallback\n\]\n\z/]
--- no_error_log
[alert]



=== TEST 14: "set" from a stale map, and a named capture of the page's location: neither reads another tenant
--- http_config
    map $uri $st_t {
        ~^/st(?<n>\d+)/  $n;
    }
--- config
    location /st {
        ssi on;
        default_type text/html;
        set $tt $st_t;
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_rbac_tenant $tt;
    }
    location ~ ^/cp(?<cn>\d+)/ {
        ssi on;
        default_type text/html;
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_rbac_tenant $cn;
    }
    location ^~ /cp43/static/ {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_rbac_tenant $cn;
    }
--- user_files
>>> st42/p.html
[<!--# include virtual="/st43/secret.txt" -->]
>>> st43/secret.txt
tenant 43 data
>>> cp42/q.html
[<!--# include virtual="/cp43/static/secret.txt" -->]
>>> cp43/static/secret.txt
tenant 43 static
--- request eval
["GET /st42/p.html", "GET /cp42/q.html"]
--- more_headers eval
[("Authorization: Bearer $::T{tenant42}") x 2]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/\A\[(?!.*tenant 43)/s, qr/\A\[(?!.*tenant 43)/s]
--- no_error_log
[alert]



=== TEST 15: an SSI include of an unnormalized path ("//", "/./") matches no protected location: refused wherever it lands
--- http_config
    map $uri $un_t {
        ~^/un(?<n>\d+)/  $n;
    }
--- config
    location ~ ^/un\d+/ {
        ssi on;
        default_type text/html;
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_rbac_tenant $un_t;
    }
--- user_files
>>> un42/page.html
[<!--# include virtual="//un43/secret.txt" -->][<!--# include virtual="/./un43/secret.txt" -->][<!--# include virtual="/un42/ok.txt" -->]
>>> un42/ok.txt
ok 42
>>> un43/secret.txt
tenant 43 data
--- request
GET /un42/page.html
--- more_headers eval
"Authorization: Bearer $::T{tenant42}"
--- error_code: 200
--- response_body_like: \A\[(?!.*tenant 43).*ok 42
--- error_log
a subrequest to a URI with "//", "." or ".." segments



=== TEST 16: an X-Accel-Redirect or a rewrite to an unnormalized path matches no protected location either: refused wherever it lands
--- http_config eval: $::XAccel
--- config eval: $::Redirects
--- user_files
>>> secret/x
top secret
--- request eval
["GET /xaccel/?to=//secret/x", "GET /xaccel/?to=/./secret/x",
 "GET /go/?to=/secret/x"]
--- error_code eval
[400, 400, 400]
--- response_body_like eval
[(qr/\A(?!.*top secret)/s) x 3]
--- error_log
a redirect to a URI with "//", "." or ".." segments



=== TEST 17: the same redirects to the normalized path are checked there
--- http_config eval: $::XAccel
--- config eval: $::Redirects
--- user_files
>>> secret/x
top secret
--- request eval
["GET /xaccel/?to=/secret/x", "GET /go/?to=secret/x"]
--- error_code eval
[401, 401]
--- response_body eval
[(qq({"detail":"token missing"}\n)) x 2]
--- error_log
stratum auth: token refused: token missing



=== TEST 18: a server-level rewrite to an unnormalized path, or to one without a leading "/", is refused too
--- http_config eval: $::XAccel
--- config eval
"    rewrite ^/sgo\$ /\$arg_to last;\n    rewrite ^/sgr\$ \$arg_to last;\n"
. $::Redirects
--- user_files
>>> secret/x
top secret
--- request eval
["GET /sgo?to=/secret/x", "GET /sgo?to=/./secret/x",
 "GET /sgo?to=/pub/../secret/x", "GET /sgr?to=secret/x"]
--- error_code eval
[400, 400, 400, 400]
--- response_body_like eval
[(qr/\A(?!.*top secret)/s) x 4]
--- error_log
a redirect to a URI with "//", "." or ".." segments



=== TEST 19: with merge_slashes off, "//" in a client's URI stays as nginx left it, through a named location too
--- http_config eval: $::XAccel
--- config eval
"    merge_slashes off;\n" . $::Redirects . <<'_EOC_';
    location /api/ {
        try_files $uri @app;
    }

    location @app {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
_EOC_
--- request
GET /api//x
--- error_code: 200
--- response_body
sub= tenant= roles= permissions=
--- no_error_log
[error]



=== TEST 20: a server that guards no location is left alone: "/index.php/$request_uri" is served there
--- http_config eval
$::XAccel . <<'_EOC_';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_3;

        location /ci/ {
            try_files $uri /index.php/$request_uri;
        }

        location ~ ^/index\.php(/|$) {
            proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        }
    }
_EOC_
--- config eval
$::Redirects . <<'_EOC_';
    location /other/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_3/ci/;
    }
_EOC_
--- request
GET /other/users/5
--- error_code: 200
--- response_body
sub= tenant= roles= permissions=
--- no_error_log
[error]
