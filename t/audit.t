# vi:filetype=perl

# The audit module (ngx_stratum_audit_module): one JSON event a line for
# refused requests, declared events and, where asked for, every request;
# masking and hashing; what never reaches an event; hostile values.
#
# TEST_NGINX_LOAD_MODULES loads auth, rbac, ratelimit, then this one.  A
# block sends its requests, then GET /audit, which serves the raw audit
# file (the log phase of a request runs before its connection closes, and
# the client reads to the end, so the file is complete by then).  The
# file is read back through events(): each line must be a JSON object;
# timestamp and request_id are checked for their form and replaced by
# TS and RID, and the keys are sorted.

use FindBin ();
use lib "$FindBin::Bin/lib";

use Test::Nginx::Socket 'no_plan';
use Stratum::Tokens;
use Digest::SHA ();
use File::Temp qw(tempdir);
use JSON::PP ();

Stratum::Tokens::make_keys();

our $Key = 'an audit key of more than sixteen bytes';
our $KeyDir = tempdir('stratum-audit-XXXXXX', TMPDIR => 1, CLEANUP => 1);

open my $kf, '>', "$KeyDir/hash.key" or die "$KeyDir/hash.key: $!";
print $kf "$Key\n";
close $kf;

open $kf, '>', "$KeyDir/short.key" or die "$KeyDir/short.key: $!";
print $kf "short\n";
close $kf;

$ENV{TEST_NGINX_AUDIT_KEYS} = $KeyDir;

no_shuffle();
no_long_string();

my $Json = JSON::PP->new->canonical->ascii;


# the audit file as sorted JSON lines; other bodies are left as they are
sub events {
    my $body = shift;

    return $body unless $body =~ /\A(?:\{"timestamp"[^\n]*\n)*\z/;

    my $out = '';

    for my $line (split /\n/, $body) {
        my $e = eval { JSON::PP->new->utf8->decode($line) };

        return "not JSON: $line\n" unless ref $e eq 'HASH';

        $e->{timestamp} = 'TS'
            if $e->{timestamp}
               =~ /\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\z/;
        $e->{request_id} = 'RID'
            if ($e->{request_id} // '') =~ /\A[0-9a-f]{32}\z/;

        $out .= $Json->encode($e) . "\n";
    }

    return $out;
}


# the expected event, from the fields that differ from a refused,
# anonymous GET by 127.0.0.1 without a User-Agent
sub ev {
    my %e = (timestamp => 'TS', request_id => 'RID', success => 0,
             user_id => undef, tenant_id => undef, mfa_used => 0,
             ip_address => '127.0.0.1', user_agent => undef,
             method => 'GET', @_);

    for my $k (keys %e) {
        delete $e{$k} if ($e{$k} // '') eq '-omit-';
    }

    $e{$_} = $e{$_} ? JSON::PP::true : JSON::PP::false
        for qw(success mfa_used);

    return $Json->encode(\%e) . "\n";
}


sub hmac {
    return Digest::SHA::hmac_sha256_hex(shift, $Key);
}


our $Token = mint(claims => { sub => 'u1', tenant_id => 't1',
                              roles => ['analyst'] });
our $MailToken = mint(claims => { sub => 'user@example.com',
                                  tenant_id => 't1', roles => ['analyst'],
                                  amr => ['pwd', 'otp'] });
our $Expired = mint(claims => { sub => 'u1' }, exp => -120);
our $Forged = forge(payload => { sub => 'u1', exp => time + 3600 });

# validly signed tokens whose JOSE header is spaced as jansson allows: the
# first many blanks after the brace, the other more blanks than any
# header needs, before and after it
our $Spaced = forge(raw_header => b64url('{' . (' ' x 50) . '"alg":"RS256"}'),
                    payload => { sub => 'u1', tenant_id => 't1',
                                 exp => time + 3600 },
                    sign => 'rsa');
our $Wide = forge(raw_header => b64url((' ' x 1500) . '{' . ("\n" x 1500)
                                       . '"alg":"RS256"}'),
                  payload => { sub => 'u1', tenant_id => 't1',
                               exp => time + 3600 },
                  sign => 'rsa');

our $HttpConfig = <<'_EOC_';
    stratum_auth_key_file        $TEST_NGINX_STRATUM_KEYS/rsa.pub;
    stratum_rbac_role            analyst  campaigns:read;
    stratum_ratelimit_zone       one:1m key=$remote_addr rate=1r/m burst=1;
    stratum_audit_hash_key_file  $TEST_NGINX_AUDIT_KEYS/hash.key;
    stratum_audit_log            logs/audit.log;
_EOC_

our $Audit = <<'_EOC_';
    location = /audit {
        stratum_audit_log  off;
        default_type       text/plain;
        alias              logs/audit.log;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;

    $block->set_value('response_body_filters', \&events)
        unless defined $block->response_body_filters;

    if (defined $block->config) {
        $block->set_value('config', $block->config . $Audit);
    }
});

run_tests();

__DATA__

=== TEST 1: no token: auth_failure, token_missing
--- config
    location /api/ {
        stratum_auth  on;
        empty_gif;
    }
--- request eval
["GET /api/x?secret=1", "GET /audit"]
--- error_code eval
[401, 200]
--- response_body eval
[qq({"detail":"token missing"}\n),
 main::ev(event_type => 'auth_failure', reason => 'token_missing',
          path => '/api/x', status => 401)]
--- no_error_log
[error]



=== TEST 2: expired and forged tokens
--- config
    location /api/ {
        stratum_auth  on;
        empty_gif;
    }
--- request eval
["GET /api/a", "GET /api/b", "GET /audit"]
--- more_headers eval
["Authorization: Bearer $::Expired", "Authorization: Bearer $::Forged", ""]
--- error_code eval
[401, 401, 200]
--- response_body_like eval
[".", ".",
 quotemeta(main::ev(event_type => 'auth_failure', reason => 'token_expired',
                    path => '/api/a', status => 401)
           . main::ev(event_type => 'auth_failure',
                      reason => 'bad_signature', path => '/api/b',
                      status => 401)) . '\z']



=== TEST 3: permission denied, with the permission and the identity
--- config
    location /api/ {
        stratum_auth          on;
        stratum_rbac_require  campaigns:delete;
        empty_gif;
    }
--- request eval
["DELETE /api/c/1", "GET /audit"]
--- more_headers eval
["Authorization: Bearer $::Token\nUser-Agent: curl/8", ""]
--- error_code eval
[403, 200]
--- response_body eval
[qq({"detail":"Permission denied: campaigns:delete"}\n),
 main::ev(event_type => 'authorization_denied', method => 'DELETE',
          reason => 'permission_denied', permission => 'campaigns:delete',
          user_id => 'u1', tenant_id => 't1', user_agent => 'curl/8',
          path => '/api/c/1', status => 403)]
--- no_error_log
[error]



=== TEST 4: rate limited, with the zone; the admitted request is no event
--- config
    location /api/ {
        stratum_ratelimit  one;
        stratum_ratelimit_headers off;
        empty_gif;
    }
--- request eval
["GET /api/1", "GET /api/2", "GET /audit"]
--- error_code eval
[200, 429, 200]
--- response_body_like eval
[".", ".",
 quotemeta(main::ev(event_type => 'rate_limited', reason => 'rate_limited',
                    zone => 'one', path => '/api/2', status => 429))
 . '\z']



=== TEST 5: declared event with the final status; query only when allowed
--- config
    location /api/customers/ {
        stratum_auth         on;
        stratum_audit_event  pii_access;
        empty_gif;
    }
    location /api/export/ {
        stratum_auth         on;
        stratum_audit_event  data_export;
        stratum_audit_query  format;
        empty_gif;
    }
--- request eval
["GET /api/customers/7?fields=all", "GET /api/export/x?format=csv&page=2",
 "GET /audit"]
--- more_headers eval
["Authorization: Bearer $::MailToken", "Authorization: Bearer $::Token", ""]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[".", ".",
 quotemeta(main::ev(event_type => 'pii_access', success => 1,
                    user_id => 'user@example.com', tenant_id => 't1',
                    mfa_used => 1, path => '/api/customers/7',
                    status => 200)
           . main::ev(event_type => 'data_export', success => 1,
                      user_id => 'u1', tenant_id => 't1',
                      path => '/api/export/x', query => 'format=csv',
                      status => 200)) . '\z']



=== TEST 5b: only the arguments named are written, and a credential among them never
--- config
    location /api/export/ {
        stratum_auth         on;
        stratum_auth_token   $arg_access_token;
        stratum_audit_event  data_export;
        stratum_audit_query  format access_token Password key q ws dots auth
                             v host nl bt tr pad quoted nested ws13
                             g1 g2 g3 g4 ex nx ok;
        empty_gif;
    }
--- request eval
["GET /api/export/x?format=csv&access_token=$::Token&Password=hunter2&key=&q=eyJhbGciOiJIUzI1NiJ9.e30.c2ln&page=2&ws=IHsiYWxnIjoiUlMyNTYifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl&pass%77ord=s3&access%5Ftoken=s4&dots=eyJhbGciOiJIUzI1NiJ9%2Ee30%2ec2ln&auth=Bearer%20eyJhbGciOiJIUzI1NiJ9.e30.c2ln&v=1.2.3&host=www.example.com&unlisted=zzz&nl=%0AeyJhbGciOiJIUzI1NiJ9.e30.c2ln&bt=Bearer%09eyJhbGciOiJIUzI1NiJ9.e30.c2ln&tr=eyJhbGciOiJIUzI1NiJ9.e30.c2ln%20&pad=eyJhbGciOiJSUzI1NiJ9.e30.c2ln&quoted=%22eyJhbGciOiJIUzI1NiJ9.e30.c2ln%22&nested=https://a.example/cb%3Fid_token%3DeyJhbGciOiJIUzI1NiJ9.e30.c2ln&ws13=ICAgICAgICAgICAgIHsiYWxnIjoiUlMyNTYifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl&g1=xxeyJhbGciOiJIUzI1NiJ9.e30.c2ln&g2=x.eyJhbGciOiJIUzI1NiJ9.e30.c2ln&g3=a.b_eyJhbGciOiJIUzI1NiJ9.e30.c2ln&g4=x-eyJhbGciOiJIUzI1NiJ9.e30.c2ln&ex=example.com.au&nx=https://x.example/cb%3Fstate%3D1%26code%3DSECRETCODE123&ok=https://x.example/cb%3Fstate%3D1",
 "GET /audit"]
--- error_code eval
[200, 200]
--- response_body_like eval
[".",
 quotemeta(main::ev(event_type => 'data_export', success => 1,
                    user_id => 'u1', tenant_id => 't1',
                    path => '/api/export/x',
                    query => 'format=csv&access_token=[redacted]&Password=[redacted]&key=[redacted]&q=[redacted]&ws=[redacted]&dots=[redacted]&auth=[redacted]&v=1.2.3&host=www.example.com&nl=[redacted]&bt=[redacted]&tr=[redacted]&pad=[redacted]&quoted=[redacted]&nested=[redacted]&ws13=[redacted]&g1=[redacted]&g2=[redacted]&g3=[redacted]&g4=[redacted]&ex=example.com.au&nx=[redacted]&ok=https://x.example/cb%3Fstate%3D1',
                    status => 200)) . '\z']



=== TEST 5e: a token in the path or the user agent is redacted there, wherever it sits
--- config
    location ~ ^/dl/(?<tk>[^/]+)/ {
        stratum_auth         on;
        stratum_auth_token   $tk;
        stratum_audit_event  data_export;
        empty_gif;
    }
--- request eval
["GET /dl/$::Token/report.csv", "GET /dl/x.$::Token/report.csv",
 "GET /dl/" . ($::Token =~ s/\./%2E/gr) . "/report.csv",
 "GET /dl/" . ($::Token =~ s/\./%252E/gr) . "/report.csv", "GET /audit"]
--- more_headers eval
["User-Agent: app/1.0 (Bearer $::Token) x.y.z", "User-Agent: v1.2.3", "", "",
 ""]
--- error_code eval
[200, 401, 200, 401, 200]
--- response_body_like eval
[".", ".", ".", ".",
 quotemeta(main::ev(event_type => 'data_export', success => 1,
                    user_id => 'u1', tenant_id => 't1',
                    path => '/dl/[redacted]/report.csv',
                    user_agent => 'app/1.0 (Bearer [redacted]) x.y.z',
                    status => 200)
           . main::ev(event_type => 'auth_failure', reason => 'token_malformed',
                      declared_event => 'data_export',
                      path => '/dl/[redacted]/report.csv',
                      user_agent => 'v1.2.3', status => 401)
           . main::ev(event_type => 'data_export', success => 1,
                      user_id => 'u1', tenant_id => 't1',
                      path => '[redacted]', status => 200)
           . main::ev(event_type => 'auth_failure', reason => 'token_malformed',
                      declared_event => 'data_export',
                      path => '[redacted]', status => 401)) . '\z']



=== TEST 5f: a token whose header has blanks after its brace is redacted too
--- config
    location ~ ^/dl/(?<tk>[^/]+)/ {
        stratum_auth         on;
        stratum_auth_token   $tk;
        stratum_audit_event  data_export;
        stratum_audit_query  q;
        empty_gif;
    }
--- request eval
["GET /dl/$::Spaced/report.csv?q=x.$::Spaced", "GET /dl/$::Wide/r.csv",
 "GET /audit"]
--- more_headers eval
["User-Agent: app (Bearer $::Spaced)", "User-Agent: app $::Wide", ""]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[".", ".",
 quotemeta(main::ev(event_type => 'data_export', success => 1,
                    user_id => 'u1', tenant_id => 't1',
                    path => '/dl/[redacted]/report.csv',
                    query => 'q=[redacted]',
                    user_agent => 'app (Bearer [redacted])',
                    status => 200)
           . main::ev(event_type => 'data_export', success => 1,
                      user_id => 'u1', tenant_id => 't1',
                      path => '/dl/[redacted]/r.csv',
                      user_agent => 'app [redacted]', status => 200))
 . '\z']



=== TEST 5g: credentials by name, encoded up to three times, in a named argument, the path, the user agent and a permission
--- config
    location /api/export/ {
        stratum_audit_event  data_export;
        stratum_audit_query  n1 n2 n3 n4 n5 n6 n7 n8 ok;
        empty_gif;
    }
    location /docs/ {
        stratum_auth          on;
        stratum_rbac_require  "docs:$arg_doc:read";
        empty_gif;
    }
--- request eval
["GET /api/export/x?n1=https%253A%252F%252Fa.example%252Fcb%253Fcode%253DSECRET1&n2=https://a.example/cb%3FX-Amz-Signature%3DSECRET2&n3=cb%3Faccess-token%3DSECRET3&n4=a+password%3DSECRET4&n5=https%25253A%25252F%25252Fa%25252Fcb%25253Fauth_token%25253DSECRET5&n6=x%3Bjsessionid%3DSECRET6&n7=Bearer%20opaque&n8=https://a.example/?state=1&ok=https://a.example/cb%3Fpage%3D2",
 "GET /api/export/x;jsessionid=SECRET7",
 "GET /api/export/y#access_token=SECRET8",
 "GET /api/export/z",
 "GET /api/export/u",
 "GET /docs/x?doc=x.$::Token",
 "GET /docs/y?doc=" . ($::Token =~ s/\./%2E/gr),
 "GET /audit"]
--- more_headers eval
["", "", "", "User-Agent: app " . ($::Token =~ s/\./%2E/gr),
 "User-Agent: app token=SECRET9", "Authorization: Bearer $::Token",
 "Authorization: Bearer $::Token", ""]
--- error_code eval
[200, 200, 200, 200, 200, 403, 403, 200]
--- response_body_like eval
[".", ".", ".", ".", ".", ".", ".",
 quotemeta(main::ev(event_type => 'data_export', success => 1,
                    path => '/api/export/x',
                    query => 'n1=[redacted]&n2=[redacted]&n3=[redacted]&n4=[redacted]&n5=[redacted]&n6=[redacted]&n7=Bearer%20opaque&n8=https://a.example/?state=1&ok=https://a.example/cb%3Fpage%3D2',
                    status => 200)
           . main::ev(event_type => 'data_export', success => 1,
                      path => '[redacted]', status => 200)
           . main::ev(event_type => 'data_export', success => 1,
                      path => '[redacted]', status => 200)
           . main::ev(event_type => 'data_export', success => 1,
                      path => '/api/export/z', user_agent => '[redacted]',
                      status => 200)
           . main::ev(event_type => 'data_export', success => 1,
                      path => '/api/export/u', user_agent => '[redacted]',
                      status => 200)
           . main::ev(event_type => 'authorization_denied',
                      reason => 'permission_denied',
                      permission => 'docs:[redacted]:read',
                      user_id => 'u1', tenant_id => 't1',
                      path => '/docs/x', status => 403)
           . main::ev(event_type => 'authorization_denied',
                      reason => 'permission_denied',
                      permission => '[redacted]',
                      user_id => 'u1', tenant_id => 't1',
                      path => '/docs/y', status => 403)) . '\z']



=== TEST 6: unmarked locations: nothing by default, "request" when asked
--- config
    location /quiet/ {
        empty_gif;
    }
    location /loud/ {
        stratum_audit_requests  on;
        empty_gif;
    }
--- request eval
["GET /quiet/1", "GET /loud/1", "GET /loud/missing/../2", "GET /audit"]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[".", ".", ".",
 quotemeta(main::ev(event_type => 'request', success => 1,
                    path => '/loud/1', status => 200)
           . main::ev(event_type => 'request', success => 1,
                      path => '/loud/missing/../2', status => 200))
 . '\z']



=== TEST 7: a refusal answered by error_page still says why
--- config
    error_page 401 /errors/401.json;
    error_page 403 /errors/403.json;

    location = /errors/401.json {
        internal;
        return 401 '{"error":"login"}';
    }
    location = /errors/403.json {
        internal;
        return 403 '{"error":"forbidden"}';
    }
    location /api/ {
        stratum_auth          on;
        stratum_rbac_require  campaigns:delete;
        stratum_audit_event   admin_action;
        empty_gif;
    }
--- request eval
["GET /api/a", "GET /api/b", "GET /audit"]
--- more_headers eval
["Authorization: Bearer $::Forged", "Authorization: Bearer $::Token", ""]
--- error_code eval
[401, 403, 200]
--- response_body_like eval
["login", "forbidden",
 quotemeta(main::ev(event_type => 'auth_failure',
                    reason => 'bad_signature', path => '/api/a',
                    declared_event => 'admin_action', status => 401)
           . main::ev(event_type => 'authorization_denied',
                      reason => 'permission_denied',
                      permission => 'campaigns:delete', user_id => 'u1',
                      tenant_id => 't1', declared_event => 'admin_action',
                      path => '/api/b', status => 403)) . '\z']



=== TEST 8: try_files into a named location keeps the declared event
--- config
    location /files/ {
        stratum_audit_event  bulk_operation;
        try_files            $uri @gif;
    }
    location @gif {
        empty_gif;
    }
--- request eval
["GET /files/none", "GET /audit"]
--- error_code eval
[200, 200]
--- response_body_like eval
[".",
 quotemeta(main::ev(event_type => 'bulk_operation', success => 1,
                    path => '/files/none', status => 200)) . '\z']



=== TEST 9: masked fields
--- config
    location /api/ {
        stratum_auth         on;
        stratum_audit_event  pii_access;
        stratum_audit_field  ip_address  mask;
        stratum_audit_field  user_id     mask;
        stratum_audit_field  tenant_id   mask;
        stratum_audit_field  user_agent  omit;
        empty_gif;
    }
--- request eval
["GET /api/1", "GET /api/2", "GET /audit"]
--- more_headers eval
["Authorization: Bearer $::MailToken\nUser-Agent: x",
 "Authorization: Bearer $::Token", ""]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[".", ".",
 quotemeta(main::ev(event_type => 'pii_access', success => 1,
                    ip_address => '127.0.0.x', user_id => 'us***@example.com',
                    tenant_id => 't***', mfa_used => 1,
                    user_agent => '-omit-', path => '/api/1', status => 200)
           . main::ev(event_type => 'pii_access', success => 1,
                      ip_address => '127.0.0.x', user_id => 'u***',
                      tenant_id => 't***', user_agent => '-omit-',
                      path => '/api/2', status => 200)) . '\z']



=== TEST 10: hashed fields: HMAC-SHA-256 with the key from the file
--- config
    location /api/ {
        stratum_auth         on;
        stratum_audit_event  pii_access;
        stratum_audit_field  ip_address  hash;
        stratum_audit_field  user_id     hash;
        stratum_audit_field  user_agent  hash;
        empty_gif;
    }
--- request eval
["GET /api/1", "GET /audit"]
--- more_headers eval
["Authorization: Bearer $::Token\nUser-Agent: agent/1", ""]
--- error_code eval
[200, 200]
--- response_body_like eval
[".",
 quotemeta(main::ev(event_type => 'pii_access', success => 1,
                    ip_address => main::hmac('127.0.0.1'),
                    user_id => main::hmac('u1'), tenant_id => 't1',
                    user_agent => main::hmac('agent/1'),
                    path => '/api/1', status => 200)) . '\z']



=== TEST 11: no token, cookie, Authorization header or query in the raw file
--- config
    location /api/ {
        stratum_auth            on;
        stratum_audit_event     pii_access;
        stratum_audit_requests  on;
        empty_gif;
    }
--- request eval
["GET /api/1?access_token=QUERYSECRET", "GET /api/2?x=QUERYSECRET",
 "GET /audit"]
--- more_headers eval
["Authorization: Bearer $::Token\nCookie: session=COOKIESECRET",
 "Authorization: Bearer $::Forged\nCookie: session=COOKIESECRET", ""]
--- error_code eval
[200, 401, 200]
--- response_body_filters eval
[]
--- response_body_like eval
[".", ".",
 '\A(?!.*(?:SECRET|Bearer|eyJ|Cookie|access_token|'
 . quotemeta((split /\./, $::Token)[2]) . '))'
 . '\{"timestamp".*"pii_access".*\n\{"timestamp".*"auth_failure".*\n\z']



=== TEST 12: hostile User-Agent values are escaped, repaired, capped
--- config
    large_client_header_buffers  4 32k;

    location /api/ {
        stratum_audit_requests  on;
        empty_gif;
    }
--- request eval
["GET /api/1", "GET /api/2", "GET /api/3", "GET /audit"]
--- more_headers eval
["User-Agent: a\"b\\c\x01d\"}\t{\"event_type\":\"x\"",
 "User-Agent: ok\xff\xc3\x28\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82\xac",
 "User-Agent: " . ("A" x 16384), ""]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[".", ".", ".",
 quotemeta(main::ev(event_type => 'request', success => 1,
                    user_agent => "a\"b\\c\x01d\"}\t{\"event_type\":\"x\"",
                    path => '/api/1', status => 200)
           . main::ev(event_type => 'request', success => 1,
                      user_agent => "ok\x{fffd}\x{fffd}(\x{fffd}\x{fffd}"
                                    . "\x{fffd}\x{fffd}\x{fffd}\x{fffd}"
                                    . "\x{fffd}\x{fffd}\x{fffd}\x{20ac}",
                      path => '/api/2', status => 200)
           . main::ev(event_type => 'request', success => 1,
                      user_agent => "A" x 1024,
                      truncated => ['user_agent'],
                      path => '/api/3', status => 200)) . '\z']
--- no_error_log
[error]



=== TEST 13: a hash field needs the key
--- http_config
    stratum_audit_log  logs/audit.log;
--- config
    stratum_audit_field  user_id  hash;
--- must_die
--- error_log
"stratum_audit_field user_id hash" needs "stratum_audit_hash_key_file"



=== TEST 14: a short key
--- http_config
    stratum_audit_hash_key_file  $TEST_NGINX_AUDIT_KEYS/short.key;
--- config
--- must_die
--- error_log eval
qr/hash key in ".*short.key" is shorter than 16 bytes/



=== TEST 15: a missing key file
--- http_config
    stratum_audit_hash_key_file  $TEST_NGINX_AUDIT_KEYS/none.key;
--- config
--- must_die
--- error_log eval
qr/open\(\) ".*none.key" failed/



=== TEST 15b: a FIFO where the key file is expected
--- http_config
    stratum_audit_hash_key_file  $TEST_NGINX_STRATUM_KEYS/fifo;
--- config
--- must_die
--- error_log eval
qr{hash key file "\S+/fifo" is not a regular file in \S+nginx\.conf:\d+}



=== TEST 16: unknown field, bad mode, mask of user_agent
--- http_config
    stratum_audit_field  email  mask;
--- config
--- must_die
--- error_log
invalid field "email": ip_address, user_id, tenant_id or user_agent



=== TEST 17: bad mode
--- http_config
    stratum_audit_field  user_id  scramble;
--- config
--- must_die
--- error_log
invalid mode "scramble" for "user_id"



=== TEST 18: user_agent cannot be masked
--- http_config
    stratum_audit_field  user_agent  mask;
--- config
--- must_die
--- error_log
invalid mode "mask" for "user_agent"



=== TEST 19: bad event name
--- http_config
--- config
    location / {
        stratum_audit_event  "PII access";
    }
--- must_die
--- error_log
invalid event name "PII access"



=== TEST 20: unknown log parameter
--- http_config
    stratum_audit_log  logs/audit.log  gzip;
--- config
--- must_die
--- error_log
invalid parameter "gzip"



=== TEST 21: flush without buffer
--- http_config
    stratum_audit_log  logs/audit.log  flush=1s;
--- config
--- must_die
--- error_log
"flush" needs "buffer"



=== TEST 22: bad buffer size and flush time
--- http_config
    stratum_audit_log  logs/audit.log  buffer=lots;
--- config
--- must_die
--- error_log
invalid buffer size "lots"



=== TEST 23: bad flush time
--- http_config
    stratum_audit_log  logs/audit.log  buffer=4k  flush=soon;
--- config
--- must_die
--- error_log
invalid flush time "soon"



=== TEST 24: one file, two sets of parameters
--- http_config
    stratum_audit_log  logs/audit.log  buffer=4k;
--- config
    location / {
        stratum_audit_log  logs/audit.log;
    }
--- must_die
--- error_log
"logs/audit.log" is already used with other parameters



=== TEST 25: syslog takes no buffer
--- http_config
    stratum_audit_log  syslog:server=127.0.0.1:5514  buffer=4k;
--- config
--- must_die
--- error_log
"buffer", "flush" and "chain" are for files only



=== TEST 26: off with a parameter
--- http_config
    stratum_audit_log  off  buffer=4k;
--- config
--- must_die
--- error_log
invalid parameter "buffer=4k"



=== TEST 27: duplicate field and event
--- http_config
    stratum_audit_field  user_id  mask;
    stratum_audit_field  user_id  keep;
--- config
--- must_die
--- error_log
"stratum_audit_field" directive is duplicate



=== TEST 28: buffered file with a flush timer: events after the timer
--- config
    location /api/ {
        stratum_audit_requests  on;
        empty_gif;
    }
--- http_config
    stratum_audit_log  logs/audit.log  buffer=64k  flush=1ms;
--- request eval
["GET /api/1", "GET /api/2", "GET /api/3", "GET /audit"]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[".", ".", ".", '\A(?:\{"timestamp"[^\n]*"path":"/api/\d"[^\n]*\n){2,3}\z']
--- response_body_filters eval
[]



=== TEST 5c: "stratum_audit_query on" is refused: the arguments to record are named
--- config
    location /x/ {
        stratum_audit_query  on;
        empty_gif;
    }
--- must_die
--- error_log eval
qr/"stratum_audit_query" directive takes the names of the arguments to record, not "on"/



=== TEST 5d: "on" in any case is refused too
--- config
    location /x/ {
        stratum_audit_query  ON;
        empty_gif;
    }
--- must_die
--- error_log eval
qr/"stratum_audit_query" directive takes the names of the arguments to record, not "on"/



=== TEST 5e: a request line nginx refuses (400) is recorded, with no path
--- config
    stratum_audit_requests  on;
--- request eval
["GET /a%zz", "GET /audit"]
--- error_code eval
[400, 200]
--- response_body_like eval
["400 Bad Request",
 quotemeta(main::ev(event_type => 'request', path => undef, status => 400))
 . '\z']
--- no_error_log
[alert]
