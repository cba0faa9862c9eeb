# vi:filetype=perl

# The auth module: the token's form and its JOSE header.  Malformed
# segments, base64url, JSON, sizes, "crit", "typ", "alg", signatures.
#
# See t/auth.t for the environment and the upstream on
# $TEST_NGINX_RAND_PORT_1.  Hand-made tokens are signed for real (with
# openssl) wherever the point is their form, so that no result depends
# on the order in which the module checks things.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/lib";
use Stratum::Tokens;

repeat_each(2);
log_level('info');
no_shuffle();

Stratum::Tokens::make_keys();

add_block_preprocessor(\&Stratum::Tokens::add_upstream);

my $exp = time + 3600;
my %ok = (sub => 'user-1', exp => $exp);

# the same token in the standard base64 alphabet must differ from it
my $good;
for (1 .. 50) {
    $good = mint(claims => { sub => 'user-1' });
    last if (segments($good))[2] =~ /-.*_|_.*-/;
}

my ($h, $p, $s) = segments($good);

(my $std = $s) =~ tr{-_}{+/};

# a 256-byte signature takes 342 characters: its last one carries four
# bits that must be zero
my $last = substr $s, -1;
my $stray = substr($s, 0, -1)
            . substr('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
                     . '0123456789-_', (index('ABCDEFGHIJKLMNOPQRSTUVWXYZ'
                     . 'abcdefghijklmnopqrstuvwxyz0123456789-_', $last)
                     | 1), 1);

our %T = (
    good          => $good,
    two_segments  => "$h.$p",
    four_segments => "$h.$p.$s.$s",
    empty_payload => "$h..$s",
    empty_sig     => "$h.$p.",
    std_alphabet  => "$h.$p.$std",
    padded        => "$h.$p.$s==",
    stray_bits    => "$h.$p.$stray",
    one_char_mod  => "$h.$p.AAAAA",
    with_space    => "$h.$p .$s",

    header_array   => forge(header => '[{"alg":"RS256"}]', sign => 'rsa'),
    header_number  => forge(header => '256', sign => 'rsa'),
    header_broken  => forge(header => '{"alg":"RS256"', sign => 'rsa'),
    header_dup     => forge(header => '{"alg":"RS256","alg":"RS256"}',
                            sign => 'rsa'),
    payload_array  => forge(payload => '[{"sub":"user-1"}]', sign => 'rsa'),
    payload_number => forge(payload => '1234', sign => 'rsa'),
    payload_string => forge(payload => '"user-1"', sign => 'rsa'),
    payload_broken => forge(payload => qq({"sub":"user-1","exp":$exp,}),
                            sign => 'rsa'),
    payload_dup    => forge(payload => qq({"sub":"user-1","sub":"admin",)
                                          . qq("exp":$exp}),
                            sign => 'rsa'),
    payload_utf8   => forge(payload => qq({"sub":"user-\xff","exp":$exp}),
                            sign => 'rsa'),
    payload_nul    => forge(payload => qq({"sub":"user-1\\u0000admin",)
                                          . qq("exp":$exp}),
                            sign => 'rsa'),

    large => forge(payload => { %ok, pad => 'x' x 9000 }, sign => 'rsa'),

    crit      => forge(header => { alg => 'RS256', crit => ['exp'] },
                       payload => \%ok, sign => 'rsa'),
    typ_none  => forge(header => { alg => 'RS256' }, payload => \%ok,
                       sign => 'rsa'),
    typ_at    => forge(header => { alg => 'RS256', typ => 'at+jwt' },
                       payload => \%ok, sign => 'rsa'),
    typ_app   => forge(header => { alg => 'RS256',
                                   typ => 'application/at+jwt' },
                       payload => \%ok, sign => 'rsa'),
    typ_jws   => forge(header => { alg => 'RS256', typ => 'JWS' },
                       payload => \%ok, sign => 'rsa'),
    typ_num   => forge(header => '{"alg":"RS256","typ":1}',
                       payload => \%ok, sign => 'rsa'),

    no_alg    => forge(header => { typ => 'JWT' }, payload => \%ok,
                       sign => 'rsa'),
    alg_num   => forge(header => '{"alg":256}', payload => \%ok,
                       sign => 'rsa'),
    alg_none  => mint(alg => 'none', claims => { sub => 'user-1' }),
    alg_none_signed => forge(header => { alg => 'none' }, payload => \%ok,
                             sign => 'rsa'),
    alg_lower => forge(header => { alg => 'rs256', typ => 'JWT' },
                       payload => \%ok, sign => 'rsa'),
    hs256     => mint(alg => 'HS256', key => 'rsa.pub',
                      claims => { sub => 'user-1' }),
    rs512     => mint(alg => 'RS512', claims => { sub => 'user-1' }),
    empty_kid => forge(header => { alg => 'RS256', kid => '' },
                       payload => \%ok, sign => 'rsa'),
    num_kid   => forge(header => '{"alg":"RS256","kid":7}',
                       payload => \%ok, sign => 'rsa'),

    tampered  => tamper($good, sub { $_[0]{sub} = 'admin' }),
    short_sig => "$h.$p." . b64url("\x01" x 255),
);

# every block: status, body, two response headers and three error log
# patterns (the reason, or its absence, "[error]" and the token)
plan tests => repeat_each() * (blocks() * 7);

run_tests();

__DATA__

=== TEST 1: the well-formed token passes
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
"Authorization: Bearer $::T{good}"
--- response_body
sub=user-1 tenant= roles= permissions=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{good}]



=== TEST 2: two segments
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{two_segments}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{two_segments}]



=== TEST 3: four segments
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{four_segments}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{four_segments}]



=== TEST 4: an empty payload segment
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{empty_payload}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{empty_payload}]



=== TEST 5: an empty signature segment
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{empty_sig}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{empty_sig}]



=== TEST 6: the standard base64 alphabet ("+" and "/") is not base64url
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{std_alphabet}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{std_alphabet}]



=== TEST 7: "=" padding is refused
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{padded}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{padded}]



=== TEST 8: stray bits in the last character (the same bytes otherwise)
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{stray_bits}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{stray_bits}]



=== TEST 9: a segment of a length base64 cannot have (4n + 1)
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{one_char_mod}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{one_char_mod}]



=== TEST 10: a blank inside the token
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{with_space}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{with_space}]



=== TEST 11: a header that is a JSON array
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{header_array}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{header_array}]



=== TEST 12: a header that is a JSON number
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{header_number}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{header_number}]



=== TEST 13: a header that is not JSON
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{header_broken}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{header_broken}]



=== TEST 14: a header with a name twice
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{header_dup}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{header_dup}]



=== TEST 15: a payload that is a JSON array
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{payload_array}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{payload_array}]



=== TEST 16: a payload that is a JSON number
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{payload_number}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{payload_number}]



=== TEST 17: a payload that is a JSON string
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{payload_string}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{payload_string}]



=== TEST 18: a payload that is not JSON (a trailing comma)
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{payload_broken}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{payload_broken}]



=== TEST 19: a claim name twice ("sub" then "sub": "admin")
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{payload_dup}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{payload_dup}]



=== TEST 20: a payload that is not UTF-8
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{payload_utf8}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{payload_utf8}]



=== TEST 21: a NUL escaped inside a claim
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{payload_nul}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{payload_nul}]



=== TEST 22: a token over the default 8k
--- config
    large_client_header_buffers 4 64k;

    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{large}"
--- error_code: 401
--- response_body
{"detail":"token too large"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token too large"
Content-Type: application/json
--- error_log
stratum auth: token refused: token too large
--- no_error_log eval
["[error]", $::T{large}]



=== TEST 23: a token over the default 8k passes a larger limit
--- config
    large_client_header_buffers 4 64k;

    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_max_token_size 16k;

        # the upstream keeps nginx's default 8k header buffers
        proxy_set_header Authorization "";
        proxy_set_header X-User-Id $stratum_auth_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{large}"
--- response_body
sub=user-1 tenant= roles= permissions=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{large}]



=== TEST 24: a token exactly at stratum_auth_max_token_size passes
--- config eval
"    location = /api {
        stratum_auth on;
        stratum_auth_key_file \$TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_max_token_size " . length($::T{good}) . ";
        proxy_set_header X-User-Id \$stratum_auth_sub;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
    }"
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{good}"
--- response_body
sub=user-1 tenant= roles= permissions=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{good}]



=== TEST 25: a token one byte over stratum_auth_max_token_size
--- config eval
"    location = /api {
        stratum_auth on;
        stratum_auth_key_file \$TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_max_token_size " . (length($::T{good}) - 1) . ";
        proxy_pass http://127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
    }"
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{good}"
--- error_code: 401
--- response_body
{"detail":"token too large"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token too large"
Content-Type: application/json
--- error_log
stratum auth: token refused: token too large
--- no_error_log eval
["[error]", $::T{good}]



=== TEST 26: a "crit" header parameter is refused
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
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
WWW-Authenticate: Bearer error="invalid_token", error_description="token header invalid"
Content-Type: application/json
--- error_log
stratum auth: token refused: token header invalid
--- no_error_log eval
["[error]", $::T{crit}]



=== TEST 27: no "typ" is fine
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
"Authorization: Bearer $::T{typ_none}"
--- response_body
sub=user-1 tenant= roles= permissions=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{typ_none}]



=== TEST 28: "typ": "at+jwt" is fine
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
"Authorization: Bearer $::T{typ_at}"
--- response_body
sub=user-1 tenant= roles= permissions=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{typ_at}]



=== TEST 29: "typ": "application/at+jwt" is fine
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
"Authorization: Bearer $::T{typ_app}"
--- response_body
sub=user-1 tenant= roles= permissions=
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{typ_app}]



=== TEST 30: "typ": "JWS" is refused
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{typ_jws}"
--- error_code: 401
--- response_body
{"detail":"token header invalid"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token header invalid"
Content-Type: application/json
--- error_log
stratum auth: token refused: token header invalid
--- no_error_log eval
["[error]", $::T{typ_jws}]



=== TEST 31: a "typ" that is not a string is refused
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{typ_num}"
--- error_code: 401
--- response_body
{"detail":"token header invalid"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token header invalid"
Content-Type: application/json
--- error_log
stratum auth: token refused: token header invalid
--- no_error_log eval
["[error]", $::T{typ_num}]



=== TEST 32: no "alg"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{no_alg}"
--- error_code: 401
--- response_body
{"detail":"token header invalid"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token header invalid"
Content-Type: application/json
--- error_log
stratum auth: token refused: token header invalid
--- no_error_log eval
["[error]", $::T{no_alg}]



=== TEST 33: an "alg" that is a number
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{alg_num}"
--- error_code: 401
--- response_body
{"detail":"token header invalid"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token header invalid"
Content-Type: application/json
--- error_log
stratum auth: token refused: token header invalid
--- no_error_log eval
["[error]", $::T{alg_num}]



=== TEST 34: "alg": "none" with the empty signature it comes with
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{alg_none}"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log eval
["[error]", $::T{alg_none}]



=== TEST 35: "alg": "none" with a signature
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{alg_none_signed}"
--- error_code: 401
--- response_body
{"detail":"algorithm not allowed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="algorithm not allowed"
Content-Type: application/json
--- error_log
stratum auth: token refused: algorithm not allowed
--- no_error_log eval
["[error]", $::T{alg_none_signed}]



=== TEST 36: HS256 keyed with the RSA public key (key confusion)
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
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
WWW-Authenticate: Bearer error="invalid_token", error_description="algorithm not allowed"
Content-Type: application/json
--- error_log
stratum auth: token refused: algorithm not allowed
--- no_error_log eval
["[error]", $::T{hs256}]



=== TEST 37: RS512 when only the default RS256 is allowed
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{rs512}"
--- error_code: 401
--- response_body
{"detail":"algorithm not allowed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="algorithm not allowed"
Content-Type: application/json
--- error_log
stratum auth: token refused: algorithm not allowed
--- no_error_log eval
["[error]", $::T{rs512}]



=== TEST 38: RS512 once it is allowed
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_algorithms RS256 RS512;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_set_header X-Echo "alg=$stratum_auth_alg sub=$stratum_auth_sub";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{rs512}"
--- response_body
alg=RS512 sub=user-1
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- no_error_log eval
["[error]", "stratum auth:", $::T{rs512}]



=== TEST 39: "alg" is case-sensitive: "rs256"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{alg_lower}"
--- error_code: 401
--- response_body
{"detail":"algorithm not allowed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="algorithm not allowed"
Content-Type: application/json
--- error_log
stratum auth: token refused: algorithm not allowed
--- no_error_log eval
["[error]", $::T{alg_lower}]



=== TEST 40: an empty "kid"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{empty_kid}"
--- error_code: 401
--- response_body
{"detail":"token header invalid"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token header invalid"
Content-Type: application/json
--- error_log
stratum auth: token refused: token header invalid
--- no_error_log eval
["[error]", $::T{empty_kid}]



=== TEST 41: a "kid" that is a number
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{num_kid}"
--- error_code: 401
--- response_body
{"detail":"token header invalid"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token header invalid"
Content-Type: application/json
--- error_log
stratum auth: token refused: token header invalid
--- no_error_log eval
["[error]", $::T{num_kid}]



=== TEST 42: a changed payload under the old signature
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{tampered}"
--- error_code: 401
--- response_body
{"detail":"bad signature"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
Content-Type: application/json
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{tampered}]



=== TEST 43: a signature one byte short
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{short_sig}"
--- error_code: 401
--- response_body
{"detail":"bad signature"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="bad signature"
Content-Type: application/json
--- error_log
stratum auth: token refused: bad signature
--- no_error_log eval
["[error]", $::T{short_sig}]



=== TEST 44: a word that only starts with "Bearer" is a malformed token, never none
--- config
    location = /api {
        stratum_auth optional;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers
Authorization: Bearerx not.a.token
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log
[error]
not.a.token



=== TEST 45: a tab after "Bearer" separates like a blank: the token is checked
--- config
    location = /api {
        stratum_auth optional;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer\tnot.a.token"
--- error_code: 401
--- response_body
{"detail":"token malformed"}
--- response_headers
WWW-Authenticate: Bearer error="invalid_token", error_description="token malformed"
Content-Type: application/json
--- error_log
stratum auth: token refused: token malformed
--- no_error_log
[error]
not.a.token
