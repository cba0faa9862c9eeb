# vi:filetype=perl

# The modules' own error-log lines for a request.  nginx adds the client,
# the server, the request line, the host and the Referer to every such
# line; the modules write them without what may carry a token: the query
# string becomes "?...", a token in the path or the host is [redacted],
# the Referer is left out.  A token read from "$arg_access_token" or from
# a path segment therefore never reaches the error log through them.

use Test::Nginx::Socket 'no_plan';

use FindBin ();
use lib "$FindBin::Bin/lib";
use Stratum::Tokens;

log_level('info');
no_shuffle();
no_long_string();

Stratum::Tokens::make_keys();

our $Token = mint(claims => { sub => 'u1', tenant_id => 't1',
                              roles => ['analyst'] });
our $Ghost = mint(claims => { sub => 'u2', roles => ['ghost'] });

# the last segment of a token: no line may hold it, whole or in part
sub sig { return (split /\./, shift)[2] }

our $HttpConfig = <<'_EOC_';
    stratum_auth_key_file  $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    stratum_rbac_role      analyst  campaigns:read;
_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
});

run_tests();

__DATA__

=== TEST 1: a refusal of a token read from the query string: the line keeps the path, not the query
--- config
    location /q/ {
        stratum_auth        on;
        stratum_auth_token  $arg_access_token;
        stratum_auth_mfa    on;
        empty_gif;
    }
--- request eval
"GET /q/x?access_token=$::Token&page=2"
--- error_code: 401
--- error_log eval
[qr/stratum auth: token refused: a second factor is required, client: 127\.0\.0\.1, server: localhost, request: "GET \/q\/x\?\.\.\. HTTP\/1\.1", host: "localhost"$/m]
--- no_error_log eval
[main::sig($::Token), "access_token=", "page=2"]



=== TEST 2: a token read from a path segment is [redacted] in the request line
--- config
    location ~ ^/p/(?<tk>[^/]+)/ {
        stratum_auth         on;
        stratum_auth_token   $tk;
        stratum_auth_issuer  https://other.example;
        empty_gif;
    }
--- request eval
"GET /p/$::Token/report.csv"
--- error_code: 401
--- error_log eval
[qr/stratum auth: token refused: .*request: "GET \/p\/\[redacted\]\/report\.csv HTTP\/1\.1"/]
--- no_error_log eval
[main::sig($::Token)]



=== TEST 3: rbac's warning about an unknown role, with the token in the query string
--- config
    location /r/ {
        stratum_auth          on;
        stratum_auth_token    $arg_access_token;
        stratum_rbac_require  campaigns:read;
        empty_gif;
    }
--- request eval
"GET /r/x?access_token=$::Ghost"
--- error_code: 403
--- error_log eval
[qr/\[warn\] .*stratum rbac: unknown role "ghost" in a token, it grants nothing, client: 127\.0\.0\.1, server: localhost, request: "GET \/r\/x\?\.\.\. HTTP\/1\.1"/,
 qr/stratum rbac: permission denied, missing "campaigns:read", .*request: "GET \/r\/x\?\.\.\. HTTP\/1\.1"/]
--- no_error_log eval
[main::sig($::Ghost)]



=== TEST 4: a permission made of request variables is redacted in rbac's line
--- config
    location /docs/ {
        stratum_auth          on;
        stratum_rbac_require  "docs:$arg_doc:read";
        empty_gif;
    }
--- request eval
"GET /docs/x?doc=$::Token"
--- more_headers eval
"Authorization: Bearer $::Token"
--- error_code: 403
--- error_log
stratum rbac: permission denied, missing "docs:[redacted]:read"
--- no_error_log eval
[main::sig($::Token)]



=== TEST 5: the Referer is left out: it may carry a token in its own query string
--- config
    location /api/ {
        stratum_auth  on;
        empty_gif;
    }
--- request
GET /api/x
--- more_headers eval
"Referer: https://app.example/cb?access_token=$::Token"
--- error_code: 401
--- error_log eval
[qr/stratum auth: token refused: token missing, client: 127\.0\.0\.1, server: localhost, request: "GET \/api\/x HTTP\/1\.1", host: "localhost"$/m]
--- no_error_log eval
[main::sig($::Token), "referrer"]



=== TEST 6: a subrequest's URI is named, redacted like the path
--- config
    location /main {
        ssi on;
        ssi_types text/plain;
        default_type text/plain;
        alias $TEST_NGINX_SERVER_ROOT/html/page.txt;
    }
    location /t/ {
        stratum_auth  on;
        stratum_auth_token  $arg_access_token;
        empty_gif;
    }
--- user_files eval
">>> page.txt\n<!--# include virtual=\"/t/x.eyJhbGciOiJIUzI1NiJ9.e30.c2ln/y\" -->\n"
--- request eval
"GET /main?access_token=$::Token"
--- error_code: 200
--- error_log eval
[qr/stratum auth: token refused: token missing, .*request: "GET \/main\?\.\.\. HTTP\/1\.1", subrequest: "\/t\/\[redacted\]\/y"/]
--- no_error_log eval
[main::sig($::Token), "e30.c2ln"]



=== TEST 7: the rate limiter's refusal line, at its own level, carries no token and no Referer
--- http_config eval
$::HttpConfig . <<'_EOC_';
    stratum_ratelimit_zone  rl:1m key=$remote_addr rate=1r/m burst=1;
_EOC_
--- config
    location /rl/ {
        stratum_ratelimit  rl;
        empty_gif;
    }
--- request eval
["GET /rl/a/$::Token?access_token=$::Token",
 "GET /rl/a/$::Token?access_token=$::Token"]
--- more_headers eval
["Referer: https://app.example/?id_token=$::Token",
 "Referer: https://app.example/?id_token=$::Token"]
--- error_code eval
[200, 429]
--- no_error_log eval
[main::sig($::Token), "referrer", "access_token="]




=== TEST 8: a token sent as the Host is [redacted], in the case it was sent
--- config
    location /api/ {
        stratum_auth  on;
        empty_gif;
    }
--- request
GET /api/x
--- more_headers
Host: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl
--- error_code: 401
--- error_log eval
[qr/stratum auth: token refused: token missing, .*request: "GET \/api\/x HTTP\/1\.1", host: "\[redacted\]"$/m]
--- no_error_log
eyJzdWIiOiJ4In0
eyjzdwiioij4in0
