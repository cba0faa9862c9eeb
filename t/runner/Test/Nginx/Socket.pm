package Test::Nginx::Socket;

=head1 NAME

Test::Nginx::Socket - Stratum's small stand-in for openresty/test-nginx

=head1 SYNOPSIS

    use Test::Nginx::Socket;

    repeat_each(2);
    plan tests => repeat_each() * (blocks() * 3);
    run_tests();

    __DATA__

    === TEST 1: hello
    --- config
        location = /t { return 200 "hi\n"; }
    --- request
    GET /t
    --- response_body
    hi
    --- no_error_log
    [error]

=head1 DESCRIPTION

Debian does not package Test::Nginx and CPAN is out of reach, so the
Makefile puts F<t/runner> on C<@INC> when C<perl -MTest::Nginx::Socket>
fails.  Our suites must pass unchanged under the real module, so this
one keeps its name, its exports and, above all, its TAP count: every
check below emits exactly the tests the real one emits, and a C<plan
tests =E<gt> ...> line that holds here holds there.  Like the real
one it is a L<Test::Base> subclass: block parsing, C<blocks()>, ONLY,
LAST, SKIP and filters (C<eval>, C<chomp>, ...) are Test::Base's own,
and so is the behaviour without a plan.

=head2 Supported

Functions: run_tests, run_test, repeat_each, blocks (and the rest of
Test::Base), plan, no_shuffle, no_long_string, log_level, master_on,
master_off, master_process_enabled, workers, worker_connections,
env_to_nginx, no_root_location, config_preamble, add_block_preprocessor,
add_cleanup_handler, add_test_cleanup_handler, add_response_body_check,
server_name, server_addr, server_port, server_port_for_client, html_dir,
server_root, timeout, check_accum_error_log, no_nginx_manager, bail_out,
is_str.  Like the real Socket it does not export C<$ServerPort>; use
server_port() or C<$Test::Nginx::Util::ServerPort>.

Sections: main_config, post_main_config, http_config, config (the
server{} body; a block without one keeps the previous nginx), server_name,
log_level, user_files, init, request (a string, or an array of strings
for several connections), more_headers (string or array), raw_request
(string or array of pieces, with raw_request_middle_delay),
pipelined_requests, timeout, abort, shutdown, wait, ignore_response,
error_code, error_code_like, response_headers, response_headers_like,
raw_response_headers_like, raw_response_headers_unlike, response_body,
response_body_eval, response_body_like, response_body_unlike,
response_body_filters, error_log, no_error_log, grep_error_log,
grep_error_log_out, access_log, no_access_log, must_die, skip_nginx,
skip_eval, SKIP, ONLY, LAST.

Environment: TEST_NGINX_BINARY, TEST_NGINX_LOAD_MODULES, TEST_NGINX_PORT,
TEST_NGINX_SERVER_PORT, TEST_NGINX_CLIENT_PORT, TEST_NGINX_SERVROOT,
TEST_NGINX_LOG_LEVEL, TEST_NGINX_MASTER_PROCESS, TEST_NGINX_TIMEOUT,
TEST_NGINX_SLEEP, TEST_NGINX_NO_SHUFFLE, TEST_NGINX_NO_CLEAN,
TEST_NGINX_USE_VALGRIND, TEST_NGINX_VERBOSE, TEST_NGINX_WORKER_USER,
TEST_NGINX_EVENT_TYPE; C<$TEST_NGINX_*> in config sections is expanded
from %ENV (undefined ones bail out), C<$TEST_NGINX_RAND_PORT_N> gets a
free port.

=head2 Differences from the real module

Not supported: HTTP/2 and HTTP/3, curl, stap, HUP reload, check-leak and
benchmark modes, tcp_listen/udp_listen mock servers, request packets
with delays (arrays inside request arrays), todo, skip_nginx2,
skip_openssl, shutdown_error_log, http09, response_body_json_sort,
charset.

nginx is started with C<-e logs/error.log -p t/servroot/ -c ...> like the
real one and kept across the repeats of a block; it is stopped (QUIT,
then KILL after C<timeout()>) when the next block starts, at the end of
the run, on bail_out, die, Ctrl-C or SIGTERM, unless
TEST_NGINX_NO_CLEAN is set.  Readiness is the pid file (written after
the listening sockets are open), polled with short steps, rather than
a fixed sleep.  nginx's stderr goes to F<t/servroot/logs/stderr.log>
and is shown when nginx cannot start.

Valgrind (TEST_NGINX_USE_VALGRIND=1): nginx runs in the foreground
under C<valgrind -q --tool=memcheck --leak-check=full
--show-possibly-lost=no --error-exitcode=101> (plus
F<valgrind.suppress> from the current directory when present), is
given up to 60 s to start and is stopped at the end of every block so
that its leak report is complete.  The real module only prints
valgrind's output; we also fail a test named "... - valgrind found N
error(s)" and print the report.  That test is emitted only when
valgrind reports an error (a message followed by a stack trace, or
exit code 101), so a clean valgrind run keeps the plan intact and a
dirty one fails twice over: by the failed test and by the count.
must_die blocks never run under valgrind, as in the real module.
Stock nginx in single-process mode leaves a few allocations at exit
(ngx_set_environment, the connection array) that memcheck calls
definitely lost; suppress them in F<valgrind.suppress>.

A suite with neither C<plan> nor C<use Test::Nginx::Socket 'no_plan'>
ends without a plan line and fails ("No plan found"), as it does under
the real module, which never calls done_testing().

Failures of string comparisons use Test::LongString when installed, as
the real module does, else Test::More::is; multi-line bodies also get a
unified diff when Text::Diff is installed.

=cut

use Test::Base -Base;

use IO::Select ();
use IO::Socket::INET ();
use POSIX qw(EAGAIN EINTR EWOULDBLOCK);
use Time::HiRes qw(sleep time);
use Digest::MD5 ();

use Test::Nginx::Util;

our $VERSION = '0.1';

our @EXPORT = qw(
    env_to_nginx is_str plan run_tests run_test repeat_each
    config_preamble worker_connections master_process_enabled
    no_long_string workers master_on master_off log_level no_shuffle
    no_root_location use_hup server_name server_addr server_root html_dir
    server_port server_port_for_client timeout no_nginx_manager
    check_accum_error_log add_block_preprocessor bail_out
    add_test_cleanup_handler add_cleanup_handler add_response_body_check
);

our @ResponseBodyChecks;
our $ConnectFailures = 0;

my $HaveLongString = eval { require Test::LongString; 1 };
my $HaveTextDiff = eval { require Text::Diff; 1 };

$RunTestHelper = \&run_test_helper;
$CheckErrorLog = \&check_error_log;

# Under the real module a die inside an eval (List::MoreUtils' exporter
# probing for Lexical::Sub) trips Test::Base's __DIE__ hook, so
# Test::Base's END never calls run_compare(): a suite with no plan just
# ends without a plan line and fails.  Trip the hook the same way so
# that such a suite fails identically here.
eval { die "keep Test::Base's END quiet\n" };


sub add_response_body_check ($) {
    push @ResponseBodyChecks, shift;
}


# string equality with the clearest report we can afford
sub compare_strings ($$$) {
    my ($got, $expected, $desc) = @_;

    local $Test::Builder::Level = $Test::Builder::Level + 1;

    my $ok;

    if ($NoLongString || !$HaveLongString) {
        $ok = Test::More::is($got, $expected, $desc);

    } else {
        $ok = Test::LongString::is_string($got, $expected, $desc);
    }

    if (!$ok && $HaveTextDiff && defined $got && defined $expected
        && "$got$expected" =~ /\n./)
    {
        Test::More::diag(Text::Diff::diff(\$expected, \$got,
                                          { STYLE => 'Unified' }));
    }

    return $ok;
}


# a failure outside the planned checks: keep Test::Builder from adding
# its own end-of-run complaints, as the real module does
sub extra_fail ($) {
    Test::More->builder->no_ending(1);
    Test::More::fail(shift);
}


sub parse_more_headers ($) {
    my $text = shift;

    my ($out, $chunked) = ('', 0);

    for my $line (split /\n+/, $text) {
        next if $line =~ /^\s*#/;

        my ($k, $v) = split /:\s*/, $line, 2;
        $v //= '';

        $chunked = 1 if lc $k eq 'transfer-encoding' && $v eq 'chunked';
        $out .= "$k: $v\r\n";
    }

    return ($out, $chunked);
}


# "METHOD [URI [VERSION]]" on the first line, the body after it; Host,
# Connection and Content-Length are added unless given
sub build_request ($$$$) {
    my ($name, $text, $more, $conn) = @_;

    bail_out("$name - the request line is empty")
        unless defined $text && length $text;

    my ($first, $body) = $text =~ /\A([^\n]*)(?:\n(.*))?\z/s;
    my @w = split ' ', $first;

    bail_out("$name - bad request line \"$first\": "
             . "want \"METHOD [URI [VERSION]]\"")
        if @w < 1 || @w > 3;

    my ($method, $uri, $ver) = @w;

    $uri //= '/';
    $ver //= 'HTTP/1.1';

    my ($hdrs, $chunked) = parse_more_headers($more);
    my $len = '';

    $body //= '';

    if (!$chunked && $body ne '' && $hdrs !~ /(?:^|\n)Content-Length:/) {
        $body =~ s/^\s+|\s+$//g;
        $len = 'Content-Length: ' . length($body) . "\r\n";
    }

    my $head = "$method $uri $ver\r\n";

    $head .= "Host: $ServerName\r\n" if $hdrs !~ /(?:^|\n)Host:/i;
    $head .= "Connection: $conn\r\n" if $hdrs !~ /(?:^|\n)Connection/i;

    return "$head$hdrs$len\r\n$body";
}


sub _headers_for ($$$) {
    my ($name, $more, $i) = @_;

    return $more unless ref $more eq 'ARRAY';

    my $h = $more->[$i];
    bail_out("$name - --- more_headers has no entry for request $i")
        unless defined $h;

    return $h;
}


# a list of requests, each a list of pieces written in turn
sub requests_from_block ($) {
    my $block = shift;

    my $name = $block->name;

    if (defined(my $raw = $block->raw_request)) {
        return [ref $raw eq 'ARRAY' ? [@$raw] : [$raw]];
    }

    my $more = $block->more_headers // '';

    if (my $reqs = $block->pipelined_requests) {
        bail_out("$name - --- pipelined_requests must be an ARRAY")
            unless ref $reqs eq 'ARRAY';

        my $all = '';

        for my $i (0 .. $#$reqs) {
            my $text = expand_env_in_text($reqs->[$i], $name, undef);
            my $conn = $i == $#$reqs ? 'close' : 'keep-alive';
            $all .= build_request($name, $text,
                                  _headers_for($name, $more, $i), $conn);
        }

        return [[$all]];
    }

    my $req = $block->request;

    if (!ref $req) {
        # leading blank and comment lines are not part of the request
        1 while defined $req && $req =~ s/^\s*#[^\n]+\s+|^\s+//gs;

        return [[build_request($name, $req,
                               _headers_for($name, $more, 0), 'close')]];
    }

    bail_out("$name - --- request must be a string or an ARRAY")
        unless ref $req eq 'ARRAY';

    my @list;

    for my $i (0 .. $#$req) {
        bail_out("$name - request packets (nested arrays) are not "
                 . "supported by the Stratum runner")
            if ref $req->[$i];

        push @list, [build_request($name, $req->[$i],
                                   _headers_for($name, $more, $i),
                                   'close')];
    }

    return \@list;
}


sub _connect ($$$) {
    my ($block, $addr, $timeout) = @_;

    my $name = $block->name;
    my $limit = $Test::Nginx::Util::UseValgrind ? 30 : 5;
    my $deadline = time + $limit;
    my $step = 0.01;

    while (1) {
        my $sock = IO::Socket::INET->new(PeerAddr => $addr,
                                          PeerPort => $ServerPortForClient,
                                          Proto    => 'tcp',
                                          Timeout  => $timeout);
        return $sock if $sock;

        my $err = $!;

        if (time >= $deadline) {
            my $msg = "$name - cannot connect to "
                      . "$addr:$ServerPortForClient: $err";

            bail_out($msg) if ++$ConnectFailures >= 3;

            extra_fail($msg);
            return undef;
        }

        sleep $step;
        $step *= 2 if $step < 0.5;
    }
}


# write the pieces and read until the server closes; the timeout is
# per wait, as in the real module
sub send_request ($$$$) {
    my ($pieces, $delay, $timeout, $block) = @_;

    my $name = $block->name;
    my $head_req = join('', @$pieces) =~ /^\s*HEAD\s+/ ? 1 : 0;
    my $addr = $block->server_addr_for_client // $ServerAddr;

    my $sock = _connect($block, $addr, $timeout) or return;
    $sock->blocking(0);

    my @todo = @$pieces;
    my $out = shift @todo;
    my $off = 0;
    my $resp = '';
    my $sel = IO::Select->new($sock);
    my $writing = 1;

    while (1) {
        my ($r, $w) = IO::Select->select($sel, $writing ? $sel : undef,
                                         undef, $timeout);

        if (!$r && !$w) {
            next if $! == EINTR;

            close $sock;
            extra_fail("ERROR: client socket timed out - $name\n")
                unless defined $block->abort;
            return ($resp, $head_req);
        }

        if ($writing && $w && @$w) {
            my $n = syswrite $sock, $out, length($out) - $off, $off;

            if (!defined $n) {
                if ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR) {
                    warn "$name - write failed: $!\n";
                    $resp = "write failed: $!" if $resp eq '';
                    $writing = 0;
                }

            } elsif (($off += $n) >= length $out) {
                if (@todo) {
                    sleep $delay if $delay;
                    ($out, $off) = (shift @todo, 0);

                } else {
                    $writing = 0;

                    if (defined(my $how = $block->shutdown)) {
                        shutdown $sock, $how =~ /^\s*$/ ? 1 : $how;
                    }
                }
            }
        }

        if ($r && @$r) {
            my $n = sysread $sock, my $buf, 65536;

            if (!defined $n) {
                next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                warn "WARNING: $name - read failed: $!\n";
                last;
            }

            last if $n == 0;
            $resp .= $buf;
        }
    }

    close $sock;
    return ($resp, $head_req);
}


sub res_header ($$) {
    my ($res, $key) = @_;

    return undef unless $res;

    my $v = $res->{headers}{lc $key};
    return $v ? join(', ', @$v) : undef;
}


sub _res_headers ($$) {
    my ($res, $key) = @_;

    return () unless $res && $res->{headers}{lc $key};
    return @{ $res->{headers}{lc $key} };
}


sub _decode_chunked ($$$) {
    my ($name, $res, $trailers) = @_;

    my $raw = $res->{content};
    my $body = '';

    pos($raw) = 0;

    # returns (1, $left) on success, () after reporting a failure
    while (1) {
        if (!@$trailers && $raw =~ /\G0[ \t]*\r\n\r\n/gc) {
            last;
        }

        if (@$trailers && $raw =~ /\G0[ \t]*\r\n/gc) {
            for my $t (@$trailers) {
                if ($raw !~ /\G\Q$t\E: [^\n]*\r\n/gc) {
                    extra_fail("$name - bad chunked trailer "
                               . "(expected $t)");
                    return;
                }
            }

            if ($raw !~ /\G\r\n/gc) {
                extra_fail("$name - bad chunked data (no final CRLF)");
                return;
            }

            last;
        }

        if ($raw =~ /\G[ \t]*([0-9A-Fa-f]+)[ \t]*\r\n/gc) {
            my $size = hex $1;
            my $at = pos $raw;

            if (length($raw) - $at < $size) {
                extra_fail("$name - bad chunked data (chunk of $size "
                           . "bytes truncated)");
                return;
            }

            $body .= substr $raw, $at, $size;
            pos($raw) = $at + $size;

            if ($raw !~ /\G\r\n/gc) {
                extra_fail("$name - bad chunked data (no CRLF after a "
                           . "chunk)");
                return;
            }

            next;
        }

        if ($raw =~ /\G(.+)/gcs) {
            extra_fail("$name - bad chunked data: $1");

        } else {
            extra_fail("$name - chunked body has no last chunk: $raw");
        }

        return;
    }

    my $left = substr $raw, pos($raw);
    $res->{content} = $body;

    return (1, length $left ? $left : undef);
}


# returns ($res, $raw_headers, $left); $res is { code, headers, content }
sub parse_response ($$$) {
    my ($name, $raw, $head_req) = @_;

    my $raw_headers = $raw =~ /\A(.*?\r\n)\r\n/s ? $1 : '';
    my %h;
    my $last;

    my ($status, $rest) = $raw =~ /\A([^\n]*)\n(.*)\z/s;
    ($status, $rest) = ($raw, '') unless defined $status;
    $status =~ s/\r\z//;

    while (1) {
        if ($rest =~ s/\A([^\s:]+)[ \t]*: ?([^\n]*)\n?//) {
            my ($k, $v) = (lc $1, $2);
            $v =~ s/\r\z//;
            push @{ $h{$k} }, $v;
            $last = \$h{$k}[-1];

        } elsif ($last && $rest =~ s/\A([ \t][^\n]*)\n?//) {
            (my $more = $1) =~ s/\r\z//;
            $$last .= "\n$more";

        } else {
            $rest =~ s/\A\r?\n//;
            last;
        }
    }

    my @w = $status =~ /^\d{3} / ? (undef, split ' ', $status, 2)
                                 : split ' ', $status, 3;
    my $code = defined $w[1] && $w[1] =~ /^\d+$/ ? $w[1] : undef;

    my $res = { code => $code, message => $w[2], headers => \%h,
                content => $rest };
    my $left;

    return ($res, $raw_headers) if $code && ($code == 304 || $code == 101);

    my $te = res_header($res, 'Transfer-Encoding');
    my $len = res_header($res, 'Content-Length');

    if (defined $te && $te eq 'chunked') {
        my @trailers = _res_headers($res, 'Trailer');
        my $ok;

        ($ok, $left) = _decode_chunked($name, $res, \@trailers);
        return unless $ok;

    } elsif (defined $len && $len =~ /^\d+$/) {
        if (length $rest < $len) {
            warn "WARNING: $name - response body truncated: $len "
                 . "expected, got " . length($rest) . "\n"
                unless $head_req;

        } elsif (length $rest > $len) {
            $left = substr $rest, $len;
            $res->{content} = substr $rest, 0, $len;
        }
    }

    return ($res, $raw_headers, $left);
}


sub get_indexed_value ($$$$) {
    my ($name, $value, $idx, $need_array) = @_;

    if ($need_array) {
        return $value->[$idx] if ref $value eq 'ARRAY';

        bail_out("$name - several requests are sent, so the expected "
                 . "values must be arrays too");
    }

    return ref $value eq 'ARRAY' ? $value->[0] : $value;
}


sub check_error_code ($$$$) {
    my ($block, $res, $idx, $need_array) = @_;

    my $name = $block->name;
    my $got = ($res && $res->{code}) || '';

    if (defined $block->error_code_like) {
        my $pat = get_indexed_value($name, $block->error_code_like, $idx,
                                    $need_array);
        Test::More::like($got, qr/$pat/sm, "$name - status code matches");

    } else {
        my $want = defined $block->error_code
                   ? get_indexed_value($name, $block->error_code, $idx,
                                       $need_array)
                   : 200;
        Test::More::is($got, $want, "$name - status code");
    }
}


sub check_response_headers ($$$$$) {
    my ($block, $res, $raw_headers, $idx, $need_array) = @_;

    my $name = $block->name;

    for my $kind (qw(like unlike)) {
        my $section = "raw_response_headers_$kind";
        my $spec = $block->$section;
        next unless defined $spec;

        my $pat = get_indexed_value($name, $spec, $idx, $need_array);
        my $cmp = $kind eq 'like' ? \&Test::More::like
                                  : \&Test::More::unlike;
        $cmp->($raw_headers, qr/$pat/s, "$name - raw headers $kind");
    }

    if (defined $block->response_headers) {
        my $want = parse_headers(get_indexed_value(
                       $name, $block->response_headers, $idx, $need_array));

        for my $key (sort keys %$want) {
            my $val = $want->{$key};

            if (!defined $val) {
                Test::More::unlike($raw_headers, qr/^\s*\Q$key\E\s*:/ms,
                                   "$name - no header $key");
                next;
            }

            $val =~ s/\$ServerPort\b/$ServerPort/g;
            $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;

            Test::More::is(res_header($res, $key) // '', $val,
                           "$name - header $key");
        }

    } elsif (defined $block->response_headers_like) {
        my $want = parse_headers(get_indexed_value(
                       $name, $block->response_headers_like, $idx,
                       $need_array));

        for my $key (sort keys %$want) {
            my $val = $want->{$key} // '';
            Test::More::like(res_header($res, $key) // '', qr/^$val$/,
                             "$name - header $key matches");
        }
    }
}


my %BodyFilters = (
    md5_hex  => sub { Digest::MD5::md5_hex($_[0]) },
    sha1_hex => sub { require Digest::SHA; Digest::SHA::sha1_hex($_[0]) },
    uc       => sub { uc $_[0] },
    lc       => sub { lc $_[0] },
    ucfirst  => sub { ucfirst $_[0] },
    lcfirst  => sub { lcfirst $_[0] },
    length   => sub { length $_[0] },
);


sub _apply_body_filter ($$$) {
    my ($name, $f, $content) = @_;

    return $f->($content) if ref $f eq 'CODE';

    bail_out("$name - --- response_body_filters: unknown filter \"$f\"")
        if ref $f || !$BodyFilters{$f};

    return $BodyFilters{$f}->($content);
}


sub transform_response_body ($$$) {
    my ($block, $res, $idx) = @_;

    my $filters = $block->response_body_filters;

    return unless $res && defined $res->{content} && defined $filters;

    my $name = $block->name;

    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//g;
        $filters = [split /\s+/, $filters];

    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }

    if (ref $filters->[0] eq 'ARRAY') {
        $filters = $filters->[$idx];
        bail_out("$name - --- response_body_filters has no entry for "
                 . "request $idx")
            unless defined $filters;
    }

    my $content = $res->{content};

    for my $f (ref $filters eq 'ARRAY' ? @$filters : $filters) {
        $content = _apply_body_filter($name, $f, $content);
    }

    $res->{content} = $content;
}


sub check_response_body ($$$$$) {
    my ($block, $res, $idx, $rep, $need_array) = @_;

    my $name = $block->name;
    my $content = $res ? $res->{content} : undef;
    my $where = "(repeat $rep, request $idx)";

    if (defined $block->response_body
        || defined $block->response_body_eval)
    {
        my $want;

        if ($block->response_body_eval) {
            $want = eval get_indexed_value($name,
                                           $block->response_body_eval,
                                           $idx, $need_array);
            warn $@ if $@;

        } else {
            $want = get_indexed_value($name, $block->response_body, $idx,
                                      $need_array);
        }

        if (defined $want && !ref $want) {
            $want =~ s/\$ServerPort\b/$ServerPort/g;
            $want =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            $want = expand_env_in_text($want, $name, undef);
        }

        if (ref $want) {
            Test::More::like($content, $want,
                             "$name - response body matches $where");

        } else {
            compare_strings($content, $want, "$name - response body $where");
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my $like = defined $block->response_body_like;
        my $spec = $like ? $block->response_body_like
                         : $block->response_body_unlike;
        my $pat = get_indexed_value($name, $spec, $idx, $need_array);

        $pat =~ s/\$ServerPort\b/$ServerPort/g;
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;

        my $summary = trim($content) // '';
        my $cmp = $like ? \&Test::More::like : \&Test::More::unlike;

        $cmp->($content, qr/$pat/s, "$name - response body "
               . ($like ? 'matches' : 'does not match') . " ($summary)");
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $content, $idx, $rep, 0);
    }
}


sub _pattern_list ($) {
    my $spec = shift;

    return [$spec] if ref $spec eq 'Regexp';
    return [@$spec] if ref $spec eq 'ARRAY';

    chomp $spec;
    return [split /\n+/, $spec];
}


sub _line_matches ($$) {
    my ($line, $pat) = @_;

    return 1 if ref $pat && $line =~ $pat;
    return index($line, "$pat") >= 0;
}


sub _mentions ($$);

sub _mentions ($$) {
    my ($spec, $word) = @_;

    return index("$spec", $word) >= 0 unless ref $spec eq 'ARRAY';
    return scalar grep { _mentions($_, $word) } @$spec;
}


sub _printable ($) {
    my $s = shift;

    chomp $s;
    $s =~ s/"/\\"/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\n/\\n/g;

    return $s;
}


# --- error_log-like: one test per pattern, pass on its first matching
# line, fail when no line matches
sub _check_present ($$$$) {
    my ($desc, $spec, $lines, $file) = @_;

    my @pats = @{ _pattern_list($spec) };
    my @seen;

    for my $line (@{ $lines || [] }) {
        for my $i (0 .. $#pats) {
            next if $seen[$i] || !defined $pats[$i];
            next unless _line_matches($line, $pats[$i]);

            $seen[$i] = 1;
            Test::More::pass("$desc - \"$pats[$i]\" found in $file");
        }
    }

    for my $i (0 .. $#pats) {
        next if $seen[$i] || !defined $pats[$i];
        Test::More::fail("$desc - \"$pats[$i]\" not found in $file");
    }
}


# --- no_error_log-like: one failure per matching line, one pass per
# pattern that matches no line (the real module counts the same way)
sub _check_absent ($$$$) {
    my ($desc, $spec, $lines, $file) = @_;

    my @pats = @{ _pattern_list($spec) };
    my @lines = @{ $lines || [] };
    my %hit;

    for my $n (0 .. $#lines) {
        for my $pat (@pats) {
            next unless defined $pat && _line_matches($lines[$n], $pat);

            Test::More->builder->no_ending(1) if $hit{$pat}++;

            my $end = $n + 10 < $#lines ? $n + 10 : $#lines;
            Test::More::fail("$desc - \"" . _printable($pat) . "\" found "
                             . "in $file: \"" . _printable($lines[$n])
                             . "\"\n" . join '',
                             @lines[$n + 1 .. $end - 1]);
        }
    }

    for my $pat (@pats) {
        next if !defined $pat || $hit{$pat};
        Test::More::pass("$desc - \"" . _printable($pat)
                         . "\" not in $file");
    }
}


sub check_access_log ($$) {
    my ($block, $rep) = @_;

    my $name = $block->name;
    my $lines;

    if (defined $block->access_log) {
        $lines ||= access_log_data();
        _check_present("$name (repeat $rep)", $block->access_log, $lines,
                       'access.log');
    }

    if (defined $block->no_access_log) {
        $lines ||= access_log_data();
        _check_absent("$name (repeat $rep)", $block->no_access_log, $lines,
                      'access.log');
    }
}


sub _check_grep_error_log ($$$) {
    my ($block, $rep, $lines) = @_;

    my $name = $block->name;
    my $pat = $block->grep_error_log;
    my $want = $block->grep_error_log_out;

    if (!defined $pat) {
        bail_out("$name - --- grep_error_log_out without --- grep_error_log")
            if defined $want;
        return;
    }

    $pat = $pat->[$rep] if ref $pat eq 'ARRAY';
    return unless defined $pat;

    bail_out("$name - --- grep_error_log without --- grep_error_log_out")
        unless defined $want;

    $want = expand_env_in_text($want, $name, undef);
    $want = $want->[$rep] if ref $want eq 'ARRAY';

    $$lines ||= error_log_data();

    my $got = '';

    for my $line (@{ $$lines || [] }) {
        my $m;

        if (ref $pat) {
            $m = $& if $line =~ $pat;

        } elsif (index($line, $pat) >= 0) {
            $m = $pat;
        }

        $got .= "$m\n" if defined $m && $m !~ /\n/;
    }

    my $desc = "$name - grep_error_log_out (repeat $rep)";

    if (ref $want eq 'Regexp') {
        Test::More::like($got, $want, $desc);

    } else {
        compare_strings($got, $want, $desc);
    }
}


sub check_error_log ($$$$) {
    my ($block, $res, $rep, $need_array) = @_;

    my $name = $block->name;
    my $lines;
    my %warn_about = map { $_ => 1 } qw(alert crit emerg);

    _check_grep_error_log($block, $rep, \$lines);

    for my $section (qw(error_log no_error_log)) {
        my $spec = $block->$section;
        next unless defined $spec;

        for my $level (keys %warn_about) {
            delete $warn_about{$level} if _mentions($spec, "[$level");
        }

        $lines ||= error_log_data();

        if ($section eq 'error_log') {
            _check_present("$name (repeat $rep)", $spec, $lines,
                           'error.log');

        } else {
            _check_absent("$name (repeat $rep)", $spec, $lines,
                          'error.log');
        }
    }

    if (%warn_about) {
        $lines ||= error_log_data();

        for my $line (@{ $lines || [] }) {
            next unless $line =~ /\[(alert|crit|emerg)\]/
                        && $warn_about{$1};
            warn "WARNING: $name - " . _printable($line) . "\n";
        }
    }

    for my $line (@{ $lines || [] }) {
        next unless $line =~ /\bAssertion .*?failed\b/;

        (my $l = $line) =~ s/\n\z//;
        extra_fail("$name - $l\n");
    }
}


sub run_test_helper ($$) {
    my ($block, $rep) = @_;

    my $name = $block->name;
    my $reqs = requests_from_block($block);

    bail_out("$name - no request") unless @$reqs;

    my $timeout = parse_time(scalar $block->timeout) // timeout();
    my $pipelined = $block->pipelined_requests;
    my $need_array = $pipelined ? 1 : @$reqs > 1;
    my $idx = 0;
    my $res;

    for my $r (0 .. $#$reqs) {
        my $delay = $block->raw_request_middle_delay;
        my ($raw, $head_req) = send_request($reqs->[$r], $delay, $timeout,
                                            $block);
        my $responses = $pipelined ? scalar @$pipelined : 0;

        while (1) {
            my ($raw_headers, $left);

            $raw //= '';

            if (!defined $block->ignore_response) {
                ($res, $raw_headers, $left) = parse_response($name, $raw,
                                                             $head_req);
            }

            if ($responses) {
                ($raw, $responses) = ($left, $responses - 1);

            } elsif (defined $left) {
                (my $shown = $left) =~ s/([\0-\037\200-\377])/
                                         sprintf '\x{%02x}', ord $1/ge;
                warn "WARNING: $name - extra bytes after the response: "
                     . "\"$shown\"\n";
            }

            if (!defined $block->ignore_response) {
                check_error_code($block, $res, $idx, $need_array);
                check_response_headers($block, $res, $raw_headers // '',
                                       $idx, $need_array);
                transform_response_body($block, $res, $idx);
                check_response_body($block, $res, $idx, $rep, $need_array);
            }

            # every response but the last gets its own error log pass
            if ($responses || $r < $#$reqs) {
                sleep $block->wait if $block->wait;
                check_error_log($block, $res, $rep, $need_array);
                check_access_log($block, $rep)
                    unless defined $block->ignore_response;
            }

            $idx++;
            last unless $responses;
        }
    }

    sleep $block->wait if $block->wait;

    check_error_log($block, $res, $rep, $need_array);
    check_access_log($block, $rep) unless defined $block->ignore_response;
}


1;
__END__
