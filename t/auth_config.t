# vi:filetype=perl

# The auth module: configurations nginx must refuse to start with, each
# with the message that says why.
#
# See t/auth.t for the environment.  Keys come from
# t/lib/Stratum/Tokens.pm; broken JWKS files from --- user_files.

use Test::Nginx::Socket;

use FindBin ();
use lib "$FindBin::Bin/lib";
use Stratum::Tokens;

repeat_each(1);
no_shuffle();

Stratum::Tokens::make_keys();

add_block_preprocessor(\&Stratum::Tokens::add_upstream);

# every block: nginx dies, "[emerg]" and the message are logged
plan tests => repeat_each() * (blocks() * 3);

run_tests();

__DATA__

=== TEST 1: a key file that does not exist
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/missing.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
missing.pub" failed (2: No such file or directory)



=== TEST 2: a file that is not a key
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/notakey.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
notakey.pub" holds no PEM public key



=== TEST 3: a private key where a public key is expected
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pem;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
rsa.pem" holds no PEM public key



=== TEST 4: an RSA key of 1024 bits
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa1024.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
rsa1024.pub" has 1024 bits, at least 2048 are required



=== TEST 5: an EC key on a curve no algorithm uses (P-521)
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/ec521.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
is of a type no supported algorithm can use



=== TEST 6: a JWKS with no usable key
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks-none.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
jwks-none.json" has no usable signature key



=== TEST 7: a JWKS that is not JSON
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_SERVER_ROOT/html/broken.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- user_files
>>> broken.json
{"keys": [
--- must_die
--- error_log
[emerg]
invalid JSON in JWKS



=== TEST 8: a JWKS without "keys"
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_SERVER_ROOT/html/nokeys.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- user_files
>>> nokeys.json
{"kty": "RSA"}
--- must_die
--- error_log
[emerg]
nokeys.json" has no "keys" array



=== TEST 9: an unknown algorithm
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_algorithms RS256 HS256;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
unknown algorithm "HS256"



=== TEST 10: algorithm names are case-sensitive
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_algorithms rs256;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
unknown algorithm "rs256"



=== TEST 11: "stratum_auth on" with no key
--- config
    location = /api {
        stratum_auth on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
but no key is configured that the allowed algorithms can use



=== TEST 12: "stratum_auth on" with no key the allowed algorithms can use
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/ec.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
but no key is configured that the allowed algorithms can use



=== TEST 13: "stratum_auth optional" with no key
--- config
    location = /api {
        stratum_auth optional;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log eval
["[emerg]",
 qr/"stratum_auth optional" in \S+ but no key is configured that the allowed algorithms can use/]



=== TEST 14: an invalid "stratum_auth" value
--- config
    location = /api {
        stratum_auth yes;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
invalid value "yes" in "stratum_auth"



=== TEST 15: "stratum_auth" twice
--- config
    location = /api {
        stratum_auth on;
        stratum_auth off;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
"stratum_auth" directive is duplicate



=== TEST 16: a bad parameter after the key file
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub id=main;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
invalid parameter "id=main"



=== TEST 17: an empty kid=
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub kid=;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
invalid parameter "kid="



=== TEST 18: an empty issuer
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_issuer "";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
"stratum_auth_issuer" directive must not be empty



=== TEST 19: an invalid leeway
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_leeway soon;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
"stratum_auth_leeway" directive invalid value



=== TEST 20: an invalid max lifetime
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_max_lifetime forever;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
invalid value "forever" in "stratum_auth_max_lifetime"



=== TEST 21: an invalid max token size
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_max_token_size big;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
"stratum_auth_max_token_size" directive invalid value



=== TEST 22: "stratum_auth_mfa" takes on or off
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa yes;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
invalid value "yes" in "stratum_auth_mfa" directive



=== TEST 23: a cache zone without a size
--- http_config
    stratum_auth_cache_zone jwt;
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
invalid zone "jwt", expected NAME:SIZE



=== TEST 24: a cache zone that is too small
--- http_config
    stratum_auth_cache_zone jwt:1k;
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
zone "jwt:1k" is too small



=== TEST 25: a cache zone twice
--- http_config
    stratum_auth_cache_zone jwt:1m;
    stratum_auth_cache_zone jwt:1m;
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
duplicate zone "jwt"



=== TEST 26: a cache zone inside a server
--- config
    stratum_auth_cache_zone jwt:1m;
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
"stratum_auth_cache_zone" directive is not allowed here



=== TEST 27: a cache that names no zone
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_cache nosuch;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log eval
["[emerg]", qr/unknown stratum_auth_cache_zone "nosuch" in \S+nginx\.conf:\d+/]



=== TEST 28: a directory where a key file is expected
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
is not a regular file



=== TEST 29: two keys in one PEM file: the second is not ignored silently
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_SERVER_ROOT/html/two.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- user_files eval
">>> two.pub\n" . Stratum::Tokens::key_text('rsa.pub')
                . Stratum::Tokens::key_text('rsa2.pub')
--- must_die
--- error_log
[emerg]
holds more than one PEM block



=== TEST 30: a JWKS with a private key
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_SERVER_ROOT/html/private.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- user_files
>>> private.json
{"keys": [{"kty": "RSA", "kid": "p1", "n": "AQAB", "e": "AQAB", "d": "AQAB"}]}
--- must_die
--- error_log
[emerg]
holds a private key



=== TEST 31: a kid with a character that could reach a header
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub "kid=a b";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log eval
["[emerg]",
 qr/kid of the key in "[^"]*rsa\.pub" holds a blank, a control or a non-ASCII character/]



=== TEST 32: two keys with one kid
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub kid=k1;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa2.pub kid=k1;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
duplicate kid "k1"



=== TEST 33: an empty MFA method
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa_methods otp "";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
"stratum_auth_mfa_methods" directive takes no empty value



=== TEST 34: an empty token source
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_token "";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
"stratum_auth_token" directive takes no empty value



=== TEST 35: a token size limit of zero
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_max_token_size 0;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
value must be between 16 and 1048576



=== TEST 36: a leeway of days
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_leeway 100000d;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
value must be between 0 and 3600



=== TEST 37: a JWKS key whose kid holds a blank (fuzz/regress/jwks/blank_in_kid_leak)
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_SERVER_ROOT/html/blank.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- user_files
>>> blank.json
{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a b","x":"iVoG__BqGyBV_hFIC2kmD6CfGsC3fwm1q0EjO3bpOnU"}]}
--- must_die
--- error_log eval
["[emerg]",
 qr/kid of the key 0 in "[^"]*blank\.json" holds a blank, a control or a non-ASCII character/]



=== TEST 38: two JWKS keys with one kid (fuzz/regress/jwks/duplicate_kid_leak)
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_SERVER_ROOT/html/dup.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- user_files
>>> dup.json
{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"iVoG__BqGyBV_hFIC2kmD6CfGsC3fwm1q0EjO3bpOnU"},{"kty":"OKP","crv":"Ed25519","kid":"a","x":"iVoG__BqGyBV_hFIC2kmD6CfGsC3fwm1q0EjO3bpOnU"}]}
--- must_die
--- error_log eval
["[emerg]",
 qr/key 1 in "[^"]*dup\.json" has a duplicate kid "a"/]



=== TEST 39: an RSA key with the exponent 1 (any signature verifies), PEM
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa-e1.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log eval
["[emerg]",
 qr/key in "[^"]*rsa-e1\.pub" fails OpenSSL's public-key check/]



=== TEST 40: an RSA key with the exponent 1, JWKS
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks-e1.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log eval
["[emerg]",
 qr/key 0 in "[^"]*jwks-e1\.json" fails OpenSSL's public-key check/]



=== TEST 41: an RSA key with the exponent 2, JWKS
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks-e2.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log eval
["[emerg]",
 qr/key 0 in "[^"]*jwks-e2\.json" fails OpenSSL's public-key check/]



=== TEST 42: an RSA key with an even modulus, JWKS
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks-even.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log eval
["[emerg]",
 qr/key 0 in "[^"]*jwks-even\.json" fails OpenSSL's public-key check/]



=== TEST 43: "stratum_auth optional" where a second factor is required
--- config
    location = /api {
        stratum_auth optional;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        stratum_auth_mfa on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
lets a request without a token through, where "stratum_auth_mfa on" asks for a second factor



=== TEST 44: "stratum_auth_mfa on" inherited by an "optional" location
--- http_config
    stratum_auth_mfa on;
--- config
    location = /api {
        stratum_auth optional;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.pub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
lets a request without a token through, where "stratum_auth_mfa on" asks for a second factor



=== TEST 45: a JWKS whose keys are not for verifying ("key_ops")
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks-ops.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log
[emerg]
jwks-ops.json" has no usable signature key



=== TEST 46: a FIFO where a key file is expected
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/fifo;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log eval
["[emerg]", qr{key file "\S+/fifo" is not a regular file in \S+nginx\.conf:\d+}]



=== TEST 47: a FIFO where a JWKS file is expected
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/fifo;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log eval
["[emerg]", qr{JWKS file "\S+/fifo" is not a regular file in \S+nginx\.conf:\d+}]



=== TEST 48: a certificate where a public key is expected
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_key_file $TEST_NGINX_STRATUM_KEYS/rsa.crt;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log eval
["[emerg]",
 qr{rsa\.crt" holds no PEM public key .*"openssl x509 -pubkey -noout"}]



=== TEST 49: the keys of a JWKS with no usable key are named by their place
--- config
    location = /api {
        stratum_auth on;
        stratum_auth_jwks_file $TEST_NGINX_STRATUM_KEYS/jwks-none.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- must_die
--- error_log eval
["[emerg]",
 qr/\[warn\] .*key 0 in "[^"]*jwks-none\.json" is not a usable RSA, EC P-256, EC P-384 or Ed25519 public key, skipped/]
