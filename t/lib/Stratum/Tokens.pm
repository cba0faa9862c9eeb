package Stratum::Tokens;

# Keys and tokens for the auth module's suites (t/auth*.t).
#
#   use Stratum::Tokens;
#
#   my $dir = Stratum::Tokens::make_keys();    # sets TEST_NGINX_STRATUM_KEYS
#   my $t = mint(claims => { sub => 'u1' });   # RS256, exp now + 1 h
#   my $f = forge(header => { alg => 'RS256' }, payload => '[1]');
#
# Keys are made with the openssl command into a temporary directory that
# is removed at exit; its path is exported as TEST_NGINX_STRATUM_KEYS so
# that configurations can say "$TEST_NGINX_STRATUM_KEYS/rsa.pub".
#
#   rsa.pem  rsa.pub     RSA 2048, the usual signer
#   rsa2.pem rsa2.pub    another RSA 2048
#   ec.pem   ec.pub      EC P-256
#   ec521.pub            EC P-521 (no algorithm of the module uses it)
#   rsa1024.pub          RSA 1024 (too short)
#   notakey.pub          text that is not a key
#   jwks.json            kid "k1": rsa, kid "k2": rsa2 (both "alg":
#                        "RS256"), kid "k3": ec
#   jwks-none.json       an "oct" key and an encryption key: nothing usable
#
# Tokens are minted with the project's tool, $STRATUM_JWT (built as
# build/stratum-jwt), so that "exp" and the rest are relative to the
# moment of minting.  forge() builds what the tool refuses to: any header,
# any payload, any signature.
#
# A token whose validity depends on the second it is used at is asked for
# with fresh(): it returns a placeholder, and the block preprocessor
# expand_fresh() (add_block_preprocessor(\&Stratum::Tokens::expand_fresh))
# mints it just before its block runs.  Test::Base evaluates every
# "--- ... eval" section when the run starts, which can be minutes before a
# block runs under valgrind.
#
# add_upstream(), another block preprocessor, appends to every block's
# http_config the upstream the protected locations proxy to ($Upstream).

use strict;
use warnings;

use Carp qw(croak);
use Exporter qw(import);
use File::Spec ();
use File::Temp qw(tempdir);
use JSON::PP ();
use MIME::Base64 qw(encode_base64 decode_base64);
use POSIX ();

our @EXPORT = qw(mint forge fresh b64url b64url_decode json_text
                 tamper segments);

our $Dir;
our $Tool;

my $Json = JSON::PP->new->canonical->allow_nonref;

my (@Fresh, %Minted);


sub _run {
    my (@cmd) = @_;

    open my $out, '-|', @cmd or croak "cannot run $cmd[0]: $!";
    local $/;
    my $data = <$out>;
    close $out;

    croak "\"@cmd\" failed (status $?)" if $?;

    return $data // '';
}


sub _openssl {
    return _run('openssl', @_);
}


sub _write {
    my ($name, $data) = @_;

    my $path = "$Dir/$name";

    open my $out, '>', $path or croak "cannot write $path: $!";
    binmode $out;
    print $out $data;
    close $out or croak "cannot write $path: $!";

    return $path;
}


# key_text('rsa.pub'): the text of a file made by make_keys
sub key_text {
    my ($name) = @_;

    open my $in, '<', "$Dir/$name" or croak "cannot read $Dir/$name: $!";
    local $/;
    my $text = <$in>;
    close $in;

    return $text;
}


sub _genkey {
    my ($name, @opts) = @_;

    _openssl('genpkey', '-quiet', @opts, '-out', "$Dir/$name.pem");
    _openssl('pkey', '-in', "$Dir/$name.pem", '-pubout',
             '-out', "$Dir/$name.pub");
}


sub b64url {
    my $s = encode_base64(shift, '');

    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;

    return $s;
}


sub b64url_decode {
    my $s = shift;

    $s =~ tr{-_}{+/};
    $s .= '=' x ((4 - length($s) % 4) % 4);

    return decode_base64($s);
}


# a JSON text from a Perl value; a string is taken as JSON text already
sub json_text {
    my $v = shift;

    return ref $v ? $Json->encode($v) : $v;
}


# hex "00:b4:80:..." lines as printed by "openssl ... -text"
sub _hex_after {
    my ($text, $label) = @_;

    $text =~ /^\Q$label\E\s*\n((?:[ \t]+[0-9a-f:]+\n)+)/m
        or croak "no \"$label\" in openssl output";

    (my $hex = $1) =~ s/[^0-9a-f]//g;

    return pack 'H*', $hex;
}


sub _rsa_jwk {
    my ($name, $kid) = @_;

    my $text = _openssl('pkey', '-pubin', '-in', "$Dir/$name.pub",
                        '-noout', '-text');
    my $n = _hex_after($text, 'Modulus:');

    $text =~ /^Exponent: (\d+)/m or croak "no exponent for $name";

    my $e = pack 'N', $1;

    $n =~ s/^\0+//;
    $e =~ s/^\0+//;

    return { kty => 'RSA', kid => $kid, use => 'sig', alg => 'RS256',
             n => b64url($n), e => b64url($e) };
}


sub _ec_jwk {
    my ($name, $kid) = @_;

    my $text = _openssl('pkey', '-pubin', '-in', "$Dir/$name.pub",
                        '-noout', '-text');
    my $pub = _hex_after($text, 'pub:');

    croak "EC point of $name is not uncompressed P-256"
        unless length $pub == 65 && substr($pub, 0, 1) eq "\x04";

    return { kty => 'EC', kid => $kid, crv => 'P-256',
             x => b64url(substr $pub, 1, 32),
             y => b64url(substr $pub, 33, 32) };
}


# makes every key once per test file; returns the directory
sub make_keys {
    return $Dir if $Dir;

    $Tool = $ENV{STRATUM_JWT};

    if (!$Tool) {
        my $guess = File::Spec->rel2abs('build/stratum-jwt');
        $Tool = $guess if -x $guess;
    }

    croak "set STRATUM_JWT to the stratum-jwt token tool (make builds "
          . "build/stratum-jwt)"
        unless $Tool && -x $Tool;

    # only nginx's master reads it, while parsing the configuration
    $Dir = tempdir('stratum-keys-XXXXXX', TMPDIR => 1, CLEANUP => 1);

    _genkey('rsa', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048');
    _genkey('rsa2', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048');
    _genkey('rsa1024', '-algorithm', 'RSA',
            '-pkeyopt', 'rsa_keygen_bits:1024');
    _genkey('ec', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256');
    _genkey('ec521', '-algorithm', 'EC',
            '-pkeyopt', 'ec_paramgen_curve:P-521');

    _write('notakey.pub', "this is not a key\n");

    # the same RSA key as a certificate, and as PKCS#1 ("RSA PUBLIC KEY")
    _openssl('req', '-x509', '-new', '-key', "$Dir/rsa.pem", '-subj',
             '/CN=stratum test', '-days', '1', '-out', "$Dir/rsa.crt");
    _openssl('rsa', '-pubin', '-in', "$Dir/rsa.pub", '-RSAPublicKey_out',
             '-out', "$Dir/rsa-pkcs1.pub");

    _write('jwks.json', json_text({ keys => [
        _rsa_jwk('rsa', 'k1'),
        _rsa_jwk('rsa2', 'k2'),
        _ec_jwk('ec', 'k3'),
    ] }) . "\n");

    # a key this module cannot use, then one it can: the first is skipped
    _write('jwks-mixed.json', json_text({ keys => [
        { kty => 'oct', kid => 'hmac', k => b64url('a shared secret') },
        _rsa_jwk('rsa', 'k1'),
    ] }) . "\n");

    my $enc = _rsa_jwk('rsa', 'enc1');
    $enc->{use} = 'enc';

    _write('jwks-none.json', json_text({ keys => [
        { kty => 'oct', kid => 'hmac', k => b64url('a shared secret') },
        $enc,
    ] }) . "\n");

    # keys whose "key_ops" leave out "verify" (RFC 7517, 4.3)
    my $encrypt = _rsa_jwk('rsa', 'ops1');
    $encrypt->{key_ops} = ['encrypt', 'wrapKey'];
    my $not_list = _rsa_jwk('rsa2', 'ops2');
    $not_list->{key_ops} = 'verify';

    _write('jwks-ops.json', json_text({ keys => [ $encrypt, $not_list ] })
           . "\n");

    _weak_keys();

    # a FIFO where a file is expected: opening it must not wait for a writer
    POSIX::mkfifo("$Dir/fifo", 0600) or croak "mkfifo $Dir/fifo: $!";

    $ENV{TEST_NGINX_STRATUM_KEYS} = $Dir;

    return $Dir;
}


# keys no signer can hold, built from the modulus of "rsa": the exponent
# 1 (every signature is computable without a private key), the exponent
# 2, and an even modulus; as JWKS files and the first as a PEM file too
sub _weak_keys {
    my $good = _rsa_jwk('rsa', 'weak');
    my $n = b64url_decode($good->{n});

    my %weak = (
        'jwks-e1.json' => { %$good, e => b64url("\x01") },
        'jwks-e2.json' => { %$good, e => b64url("\x02") },
        'jwks-even.json' => {
            %$good, n => b64url(substr($n, 0, -1)
                                . chr(ord(substr($n, -1)) & 0xfe)),
        },
    );

    for my $file (keys %weak) {
        _write($file, json_text({ keys => [ $weak{$file} ] }) . "\n");
    }

    my $conf = _write('rsa-e1.asn1', join "\n",
        'asn1 = SEQUENCE:spki',
        '[spki]',
        'alg = SEQUENCE:alg',
        'key = BITWRAP,SEQUENCE:rsakey',
        '[alg]',
        'oid = OID:rsaEncryption',
        'null = NULL',
        '[rsakey]',
        'n = INTEGER:0x' . unpack('H*', $n),
        'e = INTEGER:1',
        '');

    _openssl('asn1parse', '-noout', '-genconf', $conf,
             '-out', "$Dir/rsa-e1.der");
    _openssl('pkey', '-pubin', '-inform', 'DER', '-in', "$Dir/rsa-e1.der",
             '-out', "$Dir/rsa-e1.pub");
}


# mint(key => 'rsa', alg => 'RS256', kid => ..., claims => {...} | 'JSON',
#      exp => 3600, nbf => ..., iat => ...): a token from the tool; "exp"
# defaults to an hour from now, "exp => undef" leaves the claim out; a
# key with a dot is a file name ("rsa.pub" as an HS256 secret)
sub mint {
    my (%a) = @_;

    make_keys();

    my $key = $a{key} // 'rsa';
    my $alg = $a{alg} // ($key =~ /^ec/ ? 'ES256' : 'RS256');
    my @cmd = ($Tool, '--alg', $alg);

    push @cmd, '--key', $key =~ /\./ ? "$Dir/$key" : "$Dir/$key.pem"
        unless $alg eq 'none';

    push @cmd, '--kid', $a{kid} if defined $a{kid};
    push @cmd, '--claims', json_text($a{claims}) if defined $a{claims};

    $a{exp} = 3600 unless exists $a{exp};

    for my $t (qw(exp nbf iat)) {
        push @cmd, "--$t", $a{$t} if defined $a{$t};
    }

    my $token = _run(@cmd);
    $token =~ s/\s+\z//;

    croak "\"@cmd\" printed no token" unless $token =~ /^[\w-]+\.[\w-]+\./;

    return $token;
}


# forge(header => {...} | 'JSON', payload => {...} | 'JSON',
#       sign => 'rsa' | 'rsa2' | ..., digest => 'sha256',
#       signature => BYTES, raw_header => B64, raw_payload => B64):
# a compact JWS put together by hand; without "sign" or "signature" the
# signature is 256 bytes of junk
sub forge {
    my (%a) = @_;

    make_keys();

    my $h = $a{raw_header} // b64url(json_text($a{header}
                                               // { alg => 'RS256' }));
    my $p = $a{raw_payload}
            // b64url(json_text($a{payload}
                                // { sub => 'forged',
                                     exp => time + 3600 }));
    my $input = "$h.$p";
    my $sig;

    if (defined $a{signature}) {
        $sig = $a{signature};

    } elsif (defined $a{sign}) {
        my $file = _write('signing-input', $input);
        $sig = _openssl('dgst', '-' . ($a{digest} // 'sha256'), '-binary',
                        '-sign', "$Dir/$a{sign}.pem", $file);

    } else {
        $sig = "\x5a" x 256;
    }

    return "$input." . b64url($sig);
}


# the three segments of a token
sub segments {
    return split /\./, shift, -1;
}


# the same token with its payload replaced, the old signature kept
sub tamper {
    my ($token, $edit) = @_;

    my ($h, $p, $s) = segments($token);
    my $claims = JSON::PP->new->decode(b64url_decode($p));

    $edit->($claims);

    return join '.', $h, b64url(json_text($claims)), $s;
}


# the upstream every block proxies to, on $TEST_NGINX_RAND_PORT_1: "/"
# answers with the identity headers it was sent, "/echo" with X-Echo,
# and both hand back X-Echo-Header as a response header X-Upstream
our $Upstream = <<'_EOC_';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;

        add_header X-Upstream $http_x_echo_header;

        location / {
            return 200 "sub=$http_x_user_id tenant=$http_x_tenant_id roles=$http_x_roles permissions=$http_x_permissions\n";
        }

        location /echo {
            return 200 "$http_x_echo\n";
        }
    }
_EOC_


# block preprocessor: appends the upstream to the block's http_config
sub add_upstream {
    my $block = shift;

    $block->set_value('http_config', ($block->http_config // '') . $Upstream);
}


# a placeholder for a token minted just before its block runs
sub fresh {
    my (%a) = @_;

    push @Fresh, \%a;

    return "stratum-fresh-token-$#Fresh";
}


sub _expand {
    my $v = shift;

    return [map { _expand($_) } @$v] if ref $v eq 'ARRAY';
    return $v if ref $v || !defined $v;

    $v =~ s{stratum-fresh-token-(\d+)}{
        $Minted{$1} //= mint(%{ $Fresh[$1] })
    }ge;

    return $v;
}


# block preprocessor: mints the block's fresh tokens; the same token
# replaces a placeholder in every section of the block
sub expand_fresh {
    my $block = shift;

    %Minted = ();

    for my $section (qw(more_headers request error_log no_error_log
                        response_body response_body_like))
    {
        my $v = $block->$section;
        next unless defined $v;

        my $new = _expand($v);
        $block->set_value($section, $new) if %Minted;
    }
}


1;
