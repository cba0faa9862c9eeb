# vi:filetype=perl

# The security headers module (ngx_stratum_headers_module).
#
# Load the module with TEST_NGINX_LOAD_MODULES=/path/to/the/module.so.
# Blocks that need a second server put it in --- http_config on
# $TEST_NGINX_RAND_PORT_N; the TLS server uses the test-only certificate
# in t/headers/.

use Test::Nginx::Socket 'no_plan';

use Cwd qw(abs_path);
use File::Basename qw(dirname);

$ENV{TEST_NGINX_HEADERS_DIR} = dirname(abs_path(__FILE__)) . '/headers';

no_shuffle();

# the default set on a plain HTTP connection; "!Name" asks for absence
our %Default = (
    'X-Content-Type-Options'              => 'nosniff',
    'X-Frame-Options'                     => 'DENY',
    'Referrer-Policy'                     => 'strict-origin-when-cross-origin',
    'Content-Security-Policy'             => "default-src 'self'",
    'Permissions-Policy'      => 'geolocation=(), microphone=(), camera=()',
    'X-XSS-Protection'                    => '0',
    'Strict-Transport-Security'           => undef,
    'Content-Security-Policy-Report-Only' => undef,
    'Cross-Origin-Opener-Policy'          => undef,
    'Cross-Origin-Resource-Policy'        => undef,
    'Cross-Origin-Embedder-Policy'        => undef,
    'X-Powered-By'                        => undef,
);

our $Hsts = 'max-age=31536000; includeSubDomains';


# the default set with some headers changed; undef asks for absence
sub headers {
    my %h = (%Default, @_);

    return join '', map {
        defined $h{$_} ? "$_: $h{$_}\n" : "!$_\n"
    } sort keys %h;
}


# none of the module's headers
sub no_headers {
    my %h = map { $_ => undef } keys %Default;

    return headers(%h, @_);
}


run_tests();

__DATA__

=== TEST 1: the default set on a static file
--- config
    stratum_headers on;
    location /static/ {
    }
--- user_files
>>> static/a.html
hello
--- request
GET /static/a.html
--- response_body
hello
--- response_headers eval
::headers()
--- no_error_log
[error]



=== TEST 2: off by default
--- config
    location /static/ {
    }
--- user_files
>>> static/a.html
hello
--- request
GET /static/a.html
--- response_headers eval
::no_headers()
--- no_error_log
[error]



=== TEST 3: "stratum_headers off" in a location
--- config
    stratum_headers on;
    location /static/ {
        stratum_headers off;
    }
--- user_files
>>> static/a.html
hello
--- request
GET /static/a.html
--- response_headers eval
::no_headers()
--- no_error_log
[error]



=== TEST 4: 200 from "return"
--- config
    stratum_headers on;
    location = /r {
        return 200 "returned\n";
    }
--- request
GET /r
--- response_body
returned
--- response_headers eval
::headers()
--- no_error_log
[error]



=== TEST 5: 302 from "return"
--- config
    stratum_headers on;
    location = /r {
        return 302 /elsewhere;
    }
--- request
GET /r
--- error_code: 302
--- response_headers eval
::headers()
--- no_error_log
[error]



=== TEST 6: 301 from the static module (a directory without its slash)
--- config
    stratum_headers on;
    location /static/ {
    }
--- user_files
>>> static/dir/index.html
index
--- request
GET /static/dir
--- error_code: 301
--- response_headers eval
::headers()
--- no_error_log
[error]



=== TEST 7: 304 from the not modified filter
--- config
    stratum_headers on;
    location /static/ {
    }
--- user_files
>>> static/old.html 199801171935.33
old
--- more_headers
If-Modified-Since: Sat, 17 Jan 1998 19:35:33 GMT
--- request
GET /static/old.html
--- error_code: 304
--- response_headers eval
::headers()
--- no_error_log
[error]



=== TEST 8: 401 from auth_basic (access phase)
--- config
    stratum_headers on;
    location /static/ {
        auth_basic "test";
        auth_basic_user_file $TEST_NGINX_SERVER_ROOT/html/htpasswd;
    }
--- user_files
>>> htpasswd
user:{PLAIN}secret
>>> static/a.html
hello
--- request
GET /static/a.html
--- error_code: 401
--- response_headers eval
::headers('WWW-Authenticate' => 'Basic realm="test"')
--- no_error_log
[error]



=== TEST 9: 401 from auth_request, the subrequest left alone
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;

        location = /auth {
            return 401;
        }
    }
--- config
    stratum_headers on;
    location /static/ {
        auth_request /auth;
    }
    location = /auth {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- user_files
>>> static/a.html
hello
--- request
GET /static/a.html
--- error_code: 401
--- response_headers eval
::headers()
--- no_error_log
[error]



=== TEST 10: 403 from the access module
--- config
    stratum_headers on;
    location /static/ {
        deny all;
    }
--- user_files
>>> static/a.html
hello
--- request
GET /static/a.html
--- error_code: 403
--- response_headers eval
::headers()
--- error_log
access forbidden by rule



=== TEST 11: 404 from the static module
--- config
    stratum_headers on;
    location /static/ {
    }
--- request
GET /static/missing.html
--- error_code: 404
--- response_headers eval
::headers()
--- error_log
No such file or directory



=== TEST 12: 429 from limit_req (preaccess phase)
--- http_config
    limit_req_zone $binary_remote_addr zone=one:64k rate=1r/m;
--- config
    stratum_headers on;
    location /static/ {
        limit_req zone=one;
        limit_req_status 429;
    }
--- user_files
>>> static/a.html
hello
--- request eval
["GET /static/a.html", "GET /static/a.html"]
--- error_code eval
[200, 429]
--- response_headers eval
[::headers(), ::headers()]



=== TEST 13: 500 from an internal redirection cycle
--- config
    stratum_headers on;
    location = /loop {
        rewrite ^ /loop last;
    }
--- request
GET /loop
--- error_code: 500
--- response_headers eval
::headers()
--- error_log
rewrite or internal redirection cycle



=== TEST 14: 502 from proxy_pass to a closed port
--- config
    stratum_headers on;
    location = /down {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /down
--- error_code: 502
--- response_headers eval
::headers()
--- error_log
connect() failed



=== TEST 15: proxy_pass 200 and the upstream's own 500 and 302
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;

        location = /ok {
            return 200 "upstream\n";
        }

        location = /fail {
            return 500;
        }

        location = /moved {
            return 302 /ok;
        }
    }
--- config
    stratum_headers on;
    location /up/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request eval
["GET /up/ok", "GET /up/fail", "GET /up/moved"]
--- error_code eval
[200, 500, 302]
--- response_headers eval
[::headers(), ::headers(), ::headers()]
--- no_error_log
[error]



=== TEST 16: error_page internal redirect: the error location's set
--- config
    stratum_headers on;
    location /app/ {
        stratum_headers_csp "default-src 'none'";
        error_page 404 /errors/404.html;
    }
    location /errors/ {
        stratum_headers_frame_options SAMEORIGIN;
    }
--- user_files
>>> errors/404.html
not here
--- request
GET /app/missing
--- error_code: 404
--- response_body
not here
--- response_headers eval
::headers('X-Frame-Options' => 'SAMEORIGIN')



=== TEST 17: error_page to a named location
--- config
    stratum_headers on;
    location /app/ {
        deny all;
        error_page 403 = @denied;
    }
    location @denied {
        stratum_headers_referrer_policy no-referrer;
        return 403 "denied\n";
    }
--- request
GET /app/x
--- error_code: 403
--- response_body
denied
--- response_headers eval
::headers('Referrer-Policy' => 'no-referrer')



=== TEST 18: try_files falling back to a named location
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;

        location / {
            return 200 "backend\n";
        }
    }
--- config
    stratum_headers on;
    location /app/ {
        try_files $uri @backend;
    }
    location @backend {
        stratum_headers_csp "default-src 'self' https://cdn.example.com";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /app/page
--- response_body
backend
--- response_headers eval
::headers('Content-Security-Policy' =>
          "default-src 'self' https://cdn.example.com")
--- no_error_log
[error]



=== TEST 19: 400 before a location is chosen gets the server's set
--- config
    stratum_headers on;
    stratum_headers_frame_options SAMEORIGIN;
    location /static/ {
        stratum_headers_frame_options DENY;
    }
--- raw_request eval
"GET /static/a.html HTTP/1.1\r\nHost: bad/host\r\nConnection: close\r\n\r\n"
--- error_code: 400
--- response_headers eval
::headers('X-Frame-Options' => 'SAMEORIGIN')
--- error_log
client sent invalid host header



=== TEST 20: 414 for a request line that is too long
--- config
    stratum_headers on;
    large_client_header_buffers 2 1k;
    location /static/ {
    }
--- request eval
"GET /static/" . ("a" x 2048)
--- error_code: 414
--- response_headers eval
::headers()
--- error_log
client sent too long URI



=== TEST 21: 494 (a 400 answer) for a header line that is too long
--- config
    stratum_headers on;
    large_client_header_buffers 2 1k;
    location /static/ {
    }
--- user_files
>>> static/a.html
hello
--- more_headers eval
"X-Long: " . ("a" x 2048)
--- request
GET /static/a.html
--- error_code: 400
--- response_headers eval
::headers()
--- error_log
client sent too long header line



=== TEST 22: HSTS on a TLS connection (static file and error page)
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ssl;

        ssl_certificate $TEST_NGINX_HEADERS_DIR/test.crt;
        ssl_certificate_key $TEST_NGINX_HEADERS_DIR/test.key;

        stratum_headers on;

        location /static/ {
        }
    }
--- config
    location /tls/ {
        proxy_pass https://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- user_files
>>> static/a.html
hello
--- request eval
["GET /tls/static/a.html", "GET /tls/static/missing.html"]
--- error_code eval
[200, 404]
--- response_headers eval
[::headers('Strict-Transport-Security' => $::Hsts),
 ::headers('Strict-Transport-Security' => $::Hsts)]



=== TEST 23: HSTS options, and HSTS off, over TLS
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ssl;

        ssl_certificate $TEST_NGINX_HEADERS_DIR/test.crt;
        ssl_certificate_key $TEST_NGINX_HEADERS_DIR/test.key;

        stratum_headers on;
        stratum_headers_hsts max-age=2y includeSubDomains preload;

        location /static/ {
        }

        location /short/ {
            stratum_headers_hsts max-age=1h;
            alias html/static/;
        }

        location /none/ {
            stratum_headers_hsts off;
            alias html/static/;
        }
    }
--- config
    location /tls/ {
        proxy_pass https://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- user_files
>>> static/a.html
hello
--- request eval
["GET /tls/static/a.html", "GET /tls/short/a.html", "GET /tls/none/a.html"]
--- response_headers eval
[::headers('Strict-Transport-Security' =>
           'max-age=63072000; includeSubDomains; preload'),
 ::headers('Strict-Transport-Security' => 'max-age=3600'),
 ::headers()]
--- no_error_log
[error]



=== TEST 24: no HSTS over plain HTTP, whatever X-Forwarded-Proto says
--- config
    stratum_headers on;
    location /static/ {
    }
--- user_files
>>> static/a.html
hello
--- more_headers
X-Forwarded-Proto: https
--- request
GET /static/a.html
--- response_headers eval
::headers()
--- no_error_log
[error]



=== TEST 25: HSTS through a TLS-terminating proxy trusted by realip
--- config
    stratum_headers on;
    stratum_headers_hsts_trust_proxy on;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;
    location /static/ {
    }
--- user_files
>>> static/a.html
hello
--- more_headers
X-Real-IP: 192.0.2.1
X-Forwarded-Proto: https
--- request
GET /static/a.html
--- response_headers eval
::headers('Strict-Transport-Security' => $::Hsts)
--- no_error_log
[error]



=== TEST 26: HSTS through a trusted proxy on an error page and "return"
--- config
    stratum_headers on;
    stratum_headers_hsts_trust_proxy on;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;
    location /app/ {
        error_page 404 = @missing;
    }
    location @missing {
        return 404 "missing\n";
    }
--- more_headers
X-Real-IP: 192.0.2.1
X-Forwarded-Proto: https
--- request
GET /app/missing.html
--- error_code: 404
--- response_headers eval
::headers('Strict-Transport-Security' => $::Hsts)



=== TEST 27: the proxy's own X-Forwarded-Proto is the last element
--- config
    stratum_headers on;
    stratum_headers_hsts_trust_proxy on;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;
    location /static/ {
    }
--- user_files
>>> static/a.html
hello
--- more_headers eval
["X-Real-IP: 192.0.2.1\nX-Forwarded-Proto: https, http",
 "X-Real-IP: 192.0.2.1\nX-Forwarded-Proto: http, HTTPS",
 "X-Real-IP: 192.0.2.1\nX-Forwarded-Proto: http"]
--- request eval
["GET /static/a.html", "GET /static/a.html", "GET /static/a.html"]
--- response_headers eval
[::headers(), ::headers('Strict-Transport-Security' => $::Hsts),
 ::headers()]
--- no_error_log
[error]



=== TEST 28: X-Forwarded-Proto from a peer realip does not trust
--- config
    stratum_headers on;
    stratum_headers_hsts_trust_proxy on;
    set_real_ip_from 192.0.2.0/24;
    real_ip_header X-Real-IP;
    location /static/ {
    }
--- user_files
>>> static/a.html
hello
--- more_headers
X-Real-IP: 198.51.100.1
X-Forwarded-Proto: https
--- request
GET /static/a.html
--- response_headers eval
::headers()
--- no_error_log
[error]



=== TEST 29: a trusted peer without a real address header is not trusted
--- config
    stratum_headers on;
    stratum_headers_hsts_trust_proxy on;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;
    location /static/ {
    }
--- user_files
>>> static/a.html
hello
--- more_headers
X-Forwarded-Proto: https
--- request
GET /static/a.html
--- response_headers eval
::headers()
--- no_error_log
[error]



=== TEST 30: X-Forwarded-Proto ignored unless trust_proxy is on
--- config
    stratum_headers on;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;
    location /static/ {
    }
--- user_files
>>> static/a.html
hello
--- more_headers
X-Real-IP: 192.0.2.1
X-Forwarded-Proto: https
--- request
GET /static/a.html
--- response_headers eval
::headers()
--- no_error_log
[error]



=== TEST 31: a location that changes one header keeps the rest
--- config
    stratum_headers on;
    stratum_headers_referrer_policy no-referrer;
    location /static/ {
    }
    location /framed/ {
        stratum_headers_frame_options SAMEORIGIN;
        alias html/static/;
    }
    location /noxss/ {
        stratum_headers_xss_protection off;
        stratum_headers_csp off;
        alias html/static/;
    }
--- user_files
>>> static/a.html
hello
--- request eval
["GET /static/a.html", "GET /framed/a.html", "GET /noxss/a.html"]
--- response_headers eval
[::headers('Referrer-Policy' => 'no-referrer'),
 ::headers('Referrer-Policy' => 'no-referrer',
           'X-Frame-Options' => 'SAMEORIGIN'),
 ::headers('Referrer-Policy' => 'no-referrer',
           'X-XSS-Protection' => undef,
           'Content-Security-Policy' => undef)]
--- no_error_log
[error]



=== TEST 32: http level settings inherited by the server and its locations
--- http_config
    stratum_headers on;
    stratum_headers_permissions_policy "camera=()";
--- config
    stratum_headers_content_type_options off;
    location /static/ {
        stratum_headers_permissions_policy "camera=(), usb=()";
    }
    location = /r {
        return 200 "ok\n";
    }
--- user_files
>>> static/a.html
hello
--- request eval
["GET /static/a.html", "GET /r"]
--- response_headers eval
[::headers('Permissions-Policy' => 'camera=(), usb=()',
           'X-Content-Type-Options' => undef),
 ::headers('Permissions-Policy' => 'camera=()',
           'X-Content-Type-Options' => undef)]
--- no_error_log
[error]



=== TEST 33: the legacy X-XSS-Protection, report-only CSP, COOP, CORP, COEP
--- config
    stratum_headers on;
    stratum_headers_xss_protection "1; mode=block";
    stratum_headers_csp_report_only "default-src 'none'; report-uri /csp";
    stratum_headers_coop same-origin;
    stratum_headers_corp same-site;
    stratum_headers_coep require-corp;
    location /static/ {
    }
--- user_files
>>> static/a.html
hello
--- request
GET /static/a.html
--- response_headers eval
::headers('X-XSS-Protection' => '1; mode=block',
          'Content-Security-Policy-Report-Only' =>
              "default-src 'none'; report-uri /csp",
          'Cross-Origin-Opener-Policy' => 'same-origin',
          'Cross-Origin-Resource-Policy' => 'same-site',
          'Cross-Origin-Embedder-Policy' => 'require-corp')
--- no_error_log
[error]



=== TEST 34: upstream headers kept by default, never duplicated
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;

        location / {
            add_header X-Frame-Options SAMEORIGIN;
            add_header Content-Security-Policy "default-src 'none'";
            add_header x-content-type-options nosniff;
            return 200 "backend\n";
        }
    }
--- config
    stratum_headers on;
    location /up/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /up/
--- response_headers eval
::headers('X-Frame-Options' => 'SAMEORIGIN',
          'Content-Security-Policy' => "default-src 'none'")
--- raw_response_headers_unlike eval
qr/X-Content-Type-Options.*X-Content-Type-Options/is
--- no_error_log
[error]



=== TEST 35: upstream headers replaced, duplicates from upstream dropped
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;

        location / {
            add_header X-Frame-Options SAMEORIGIN;
            add_header X-Frame-Options ALLOWALL;
            add_header Content-Security-Policy "default-src 'none'";
            return 200 "backend\n";
        }
    }
--- config
    stratum_headers on;
    stratum_headers_upstream replace;
    location /up/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /up/
--- response_headers eval
::headers()
--- no_error_log
[error]



=== TEST 36: disclosure headers hidden by default
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;

        location / {
            add_header X-Powered-By "PHP/8.2.7";
            add_header X-AspNet-Version 4.0.30319;
            add_header X-Generator "Drupal 10";
            return 200 "backend\n";
        }
    }
--- config
    stratum_headers on;
    location /up/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /up/
--- response_headers eval
::headers('X-Powered-By' => undef, 'X-AspNet-Version' => undef,
          'X-Generator' => 'Drupal 10')
--- no_error_log
[error]



=== TEST 37: stratum_headers_hide extends the list, "off" empties it
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;

        location / {
            add_header X-Powered-By "PHP/8.2.7";
            add_header X-Generator "Drupal 10";
            add_header X-Runtime 0.02;
            return 200 "backend\n";
        }
    }
--- config
    stratum_headers on;
    stratum_headers_hide X-Generator;
    stratum_headers_hide x-runtime;
    location /up/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
    location /all/ {
        stratum_headers_hide off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request eval
["GET /up/", "GET /all/"]
--- response_headers eval
[::headers('X-Generator' => undef, 'X-Runtime' => undef),
 ::headers('X-Powered-By' => 'PHP/8.2.7', 'X-Generator' => 'Drupal 10',
           'X-Runtime' => '0.02')]
--- no_error_log
[error]



=== TEST 38: a hidden header is replaced by the module's own value
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;

        location / {
            add_header X-Frame-Options SAMEORIGIN;
            add_header Referrer-Policy unsafe-url;
            return 200 "backend\n";
        }
    }
--- config
    stratum_headers on;
    stratum_headers_hide X-Frame-Options;
    location /up/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /up/
--- response_headers eval
::headers('Referrer-Policy' => 'unsafe-url')
--- no_error_log
[error]



=== TEST 39: nginx's own Server header: product only, kept, or removed
--- config
    stratum_headers on;
    location /static/ {
    }
    location /keep/ {
        stratum_headers_server keep;
        alias html/static/;
    }
    location /off/ {
        stratum_headers_server off;
        alias html/static/;
    }
--- user_files
>>> static/a.html
hello
--- request eval
["GET /static/a.html", "GET /keep/a.html", "GET /off/a.html"]
--- raw_response_headers_like eval
['(?m)^Server: nginx\r?$', '(?m)^Server: nginx/\d+\.\d+',
 '(?m)^Content-Type: text/html\r?$']
--- response_headers eval
[::headers(), ::headers(), ::headers('Server' => undef)]
--- no_error_log
[error]



=== TEST 40: an upstream's Server header cut to its product name
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        server_tokens on;

        location / {
            return 200 "backend\n";
        }
    }
--- config
    stratum_headers on;
    proxy_pass_header Server;
    location /up/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
    location /keep/ {
        stratum_headers_server keep;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request eval
["GET /up/", "GET /keep/"]
--- raw_response_headers_like eval
['(?m)^Server: nginx\r?$', '(?m)^Server: nginx/\d+\.\d+']
--- no_error_log
[error]



=== TEST 41: variables in values
--- config
    stratum_headers on;
    location = /r {
        stratum_headers_csp "script-src 'nonce-$arg_nonce'";
        stratum_headers_referrer_policy $arg_referrer;
        return 200 "ok\n";
    }
--- request eval
["GET /r?nonce=abc123&referrer=no-referrer", "GET /r?nonce=xyz"]
--- response_headers eval
[::headers('Content-Security-Policy' => "script-src 'nonce-abc123'",
           'Referrer-Policy' => 'no-referrer'),
 ::headers('Content-Security-Policy' => "script-src 'nonce-xyz'",
           'Referrer-Policy' => undef)]
--- no_error_log
[error]



=== TEST 42: a variable value with a line break is not sent
--- http_config
    map $arg_v $stratum_test_csp {
        default "default-src 'self'";
        split   "default-src 'self'\r\nSet-Cookie: a=b";
    }
--- config
    stratum_headers on;
    location = /r {
        stratum_headers_csp $stratum_test_csp;
        return 200 "ok\n";
    }
--- request
GET /r?v=split
--- response_headers eval
::headers('Content-Security-Policy' => undef, 'Set-Cookie' => undef)
--- error_log
value of "Content-Security-Policy" has a control character at offset 18



=== TEST 43: a line break in a value
--- config
    stratum_headers on;
    stratum_headers_csp "default-src 'self'\r\nSet-Cookie: a=b";
--- request
GET /
--- must_die
--- error_log
"stratum_headers_csp" directive, control character 0x0d at offset 18



=== TEST 44: a control character in a value
--- config
    stratum_headers_permissions_policy "camera=()\tusb=()";
--- request
GET /
--- must_die
--- error_log
"stratum_headers_permissions_policy" directive, control character 0x09



=== TEST 45: an empty value
--- config
    stratum_headers_referrer_policy "";
--- request
GET /
--- must_die
--- error_log
empty value in "stratum_headers_referrer_policy" directive, use "off"



=== TEST 46: X-Frame-Options ALLOW-FROM is obsolete
--- config
    stratum_headers_frame_options "ALLOW-FROM https://example.com";
--- request
GET /
--- must_die
--- error_log
it must be "DENY", "SAMEORIGIN" or "off" (ALLOW-FROM is obsolete



=== TEST 47: an unknown X-Content-Type-Options value
--- config
    stratum_headers_content_type_options sniff;
--- request
GET /
--- must_die
--- error_log
invalid value "sniff" in "stratum_headers_content_type_options" directive



=== TEST 48: an unknown referrer policy in a list
--- config
    stratum_headers_referrer_policy "no-referrer, origin-when-crossorigin";
--- request
GET /
--- must_die
--- error_log
"no-referrer, origin-when-crossorigin" in "stratum_headers_referrer_policy"



=== TEST 49: an unknown X-XSS-Protection value
--- config
    stratum_headers_xss_protection "1; block";
--- request
GET /
--- must_die
--- error_log
invalid value "1; block" in "stratum_headers_xss_protection" directive



=== TEST 50: an unknown COOP value
--- config
    stratum_headers_coop same-site;
--- request
GET /
--- must_die
--- error_log
invalid value "same-site" in "stratum_headers_coop" directive



=== TEST 51: CORP takes no parameters
--- config
    stratum_headers_corp "same-origin; report-to=x";
--- request
GET /
--- must_die
--- error_log
invalid value "same-origin; report-to=x" in "stratum_headers_corp" directive



=== TEST 52: an unknown COEP value
--- config
    stratum_headers_coep require-cors;
--- request
GET /
--- must_die
--- error_log
invalid value "require-cors" in "stratum_headers_coep" directive



=== TEST 53: HSTS preload without includeSubDomains
--- config
    stratum_headers_hsts max-age=1y preload;
--- request
GET /
--- must_die
--- error_log
"preload" in "stratum_headers_hsts" directive requires "includeSubDomains"



=== TEST 54: HSTS preload with max-age below one year
--- config
    stratum_headers_hsts max-age=180d includeSubDomains preload;
--- request
GET /
--- must_die
--- error_log
requires "max-age" of at least 31536000 seconds (one year)



=== TEST 55: HSTS without max-age
--- config
    stratum_headers_hsts includeSubDomains;
--- request
GET /
--- must_die
--- error_log
"stratum_headers_hsts" directive requires the "max-age" parameter



=== TEST 56: HSTS with a bad max-age
--- config
    stratum_headers_hsts max-age=forever;
--- request
GET /
--- must_die
--- error_log
invalid "max-age" value "forever" in "stratum_headers_hsts" directive



=== TEST 57: HSTS with an unknown parameter
--- config
    stratum_headers_hsts max-age=1y includeSubdomain;
--- request
GET /
--- must_die
--- error_log
invalid parameter "includeSubdomain" in "stratum_headers_hsts" directive



=== TEST 58: HSTS "off" with parameters
--- config
    stratum_headers_hsts off max-age=1y;
--- request
GET /
--- must_die
--- error_log
invalid parameter "off" in "stratum_headers_hsts" directive



=== TEST 59: a header directive given twice at one level
--- config
    stratum_headers_csp "default-src 'self'";
    stratum_headers_csp "default-src 'none'";
--- request
GET /
--- must_die
--- error_log
"stratum_headers_csp" directive is duplicate



=== TEST 60: stratum_headers_hide cannot hide Server
--- config
    stratum_headers_hide X-Generator Server;
--- request
GET /
--- must_die
--- error_log
directive cannot hide "Server", use "stratum_headers_server off"



=== TEST 61: stratum_headers_hide cannot hide the framing headers
--- config
    stratum_headers_hide Content-Length;
--- request
GET /
--- must_die
--- error_log
cannot hide "Content-Length", nginx needs it to frame the response



=== TEST 62: stratum_headers_hide with an invalid header name
--- config
    stratum_headers_hide "X-Bad:";
--- request
GET /
--- must_die
--- error_log
invalid header name "X-Bad:" in "stratum_headers_hide" directive



=== TEST 63: stratum_headers_hide "off" with names
--- config
    stratum_headers_hide X-Generator off;
--- request
GET /
--- must_die
--- error_log
"off" cannot be combined with header names in "stratum_headers_hide" directive



=== TEST 64: stratum_headers_hide "off" and names at one level
--- config
    stratum_headers_hide off;
    stratum_headers_hide X-Generator;
--- request
GET /
--- must_die
--- error_log
"stratum_headers_hide" directive is duplicate



=== TEST 65: an unknown stratum_headers_upstream mode
--- config
    stratum_headers_upstream merge;
--- request
GET /
--- must_die
--- error_log
invalid value "merge"



=== TEST 66: an unknown stratum_headers_server mode
--- config
    stratum_headers_server hide;
--- request
GET /
--- must_die
--- error_log
invalid value "hide"



=== TEST 67: an unknown variable in a value
--- config
    stratum_headers_csp "script-src 'nonce-$no_such_variable'";
--- request
GET /
--- must_die
--- error_log
unknown "no_such_variable" variable



=== TEST 68: a bad value at http level fails too
--- http_config
    stratum_headers_frame_options deny-all;
--- config
    stratum_headers on;
--- request
GET /
--- must_die
--- error_log
invalid value "deny-all" in "stratum_headers_frame_options" directive



=== TEST 69: coop tokens are case-sensitive in browsers: "SAME-ORIGIN" is refused
--- config
    stratum_headers_coop SAME-ORIGIN;
--- request
GET /
--- must_die
--- error_log
invalid value "SAME-ORIGIN" in "stratum_headers_coop" directive



=== TEST 70: corp tokens are case-sensitive in browsers: "Same-Origin" is refused
--- config
    stratum_headers_corp Same-Origin;
--- request
GET /
--- must_die
--- error_log
invalid value "Same-Origin" in "stratum_headers_corp" directive



=== TEST 71: coep tokens are case-sensitive in browsers: "Require-Corp" is refused
--- config
    stratum_headers_coep Require-Corp;
--- request
GET /
--- must_die
--- error_log
invalid value "Require-Corp" in "stratum_headers_coep" directive
