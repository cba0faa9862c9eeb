package StratumRedis;

# Real services for the rate-limit suites (t/ratelimit*.t).
#
#   use lib "$FindBin::Bin/ratelimit";
#   use StratumRedis;
#
#   StratumRedis::start(redis => ['--requirepass', 'pw'], auth => ['pw']);
#   add_block_preprocessor(\&StratumRedis::preprocess);
#
# "redis" is more arguments for redis-server, "auth" what the helper's own
# client sends with AUTH.  start() runs, on free loopback ports from
# $ENV{STRATUM_TEST_PORT} (4990 by default) upwards:
#
#   * a redis-server of its own (never the one of the machine or of CI),
#     port exported as TEST_NGINX_REDIS_PORT;
#   * a "hole": a listener that accepts connections, reads and never
#     answers (TEST_NGINX_REDIS_HOLE_PORT);
#   * a "stall": a listener whose accept queue is full, so that a
#     connect() to it hangs (TEST_NGINX_REDIS_STALL_PORT);
#   * a control server (TEST_NGINX_RL_CTL_PORT) that lets a block act
#     between its requests: preprocess() gives every block's server a
#     "location /ctl/" that proxies to it, so a request list such as
#     ["GET /t", "GET /ctl/redis/stop", "GET /t"] stops Redis mid-run.
#
# Everything is stopped by an END block: redis-server, the children, and
# a second nginx when start_second() made one.
#
# The control server answers, with text/plain bodies:
#
#   /ctl/redis/stop               stops it, waits until it is gone
#   /ctl/redis/start              the same redis-server again, same port
#   /ctl/cmd?a=ARG&a=ARG...       a Redis command; the reply as text
#                                 (db=N: on that database; until=TEXT
#                                 or until_re=REGEX: repeated, up to
#                                 2 s, until the reply is TEXT or
#                                 matches, for what nginx sends after
#                                 answering)
#   /ctl/sleep?ms=N               answers after N ms
#   /ctl/log?s=TEXT               how many error.log lines hold TEXT
#                                 (re=REGEX: match it)
#   /ctl/bg?uri=U                 sends "GET U" to nginx in the background
#                                 (close=MS: and hangs up after MS)
#   /ctl/bgresult[?min=MS]        "STATUS" ("closed" after close=), with
#                                 min: "STATUS slow" (took MS or more),
#                                 or "STATUS fast"
#   /ctl/probe?uri=U&max=MS       "STATUS prompt" when nginx answered
#                                 "GET U" within MS, else "STATUS late"

use strict;
use warnings;

use Carp qw(croak);
use File::Temp qw(tempdir);
use IO::Select ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes qw(sleep time);

our ($RedisPort, $HolePort, $StallPort, $CtlPort, $SecondPort);
our $Dir;

my (@RedisArgs, @Auth);
my ($Parent, $CtlPid, $HolePid, $SecondDir);


sub _port_free {
    my $port = shift;

    # as redis-server binds: a port in TIME_WAIT is free
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                  LocalPort => $port, Proto => 'tcp',
                                  Listen => 1, ReuseAddr => 1);
    return 0 unless $s;

    close $s;
    return 1;
}


sub _free_port {
    my $from = shift;

    for my $port ($from .. $from + 200) {
        return $port if _port_free($port);
    }

    croak "no free port from $from";
}


# a minimal RESP client: any bytes, one command, one reply

sub _read_line {
    my $s = shift;

    my $line = '';

    while ($line !~ /\r\n\z/) {
        my $n = sysread $s, my $c, 1;
        croak "redis closed the connection" unless $n;
        $line .= $c;
    }

    $line =~ s/\r\n\z//;
    return $line;
}


sub _read_reply {
    my $s = shift;

    my $line = _read_line($s);
    my ($type, $rest) = (substr($line, 0, 1), substr($line, 1));

    return { status => $rest } if $type eq '+';
    return { error => $rest } if $type eq '-';
    return $rest + 0 if $type eq ':';

    if ($type eq '$') {
        return undef if $rest < 0;

        my $data = '';

        while (length $data < $rest + 2) {
            my $n = sysread $s, $data, $rest + 2 - length $data,
                            length $data;
            croak "redis closed the connection" unless $n;
        }

        return substr $data, 0, $rest;
    }

    if ($type eq '*') {
        return undef if $rest < 0;
        return [map { _read_reply($s) } 1 .. $rest];
    }

    croak "bad reply from redis: $line";
}


sub command {
    my @args = @_;

    return command_db(undef, @args);
}


# the same on database DB (SELECT first, on the same connection)

sub command_db {
    my ($db, @args) = @_;

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $RedisPort, Proto => 'tcp',
                                  Timeout => 5)
        or croak "cannot connect to redis on $RedisPort: $!";

    if (@Auth) {
        syswrite $s, _resp('AUTH', @Auth);
        _read_reply($s);
    }

    if (defined $db) {
        syswrite $s, _resp('SELECT', $db);
        _read_reply($s);
    }

    syswrite $s, _resp(@args);

    my $reply = _read_reply($s);
    close $s;

    return $reply;
}


sub _resp {
    my $req = '*' . scalar(@_) . "\r\n";
    $req .= '$' . length($_) . "\r\n$_\r\n" for @_;

    return $req;
}


sub text {
    my $v = shift;

    return "(nil)" unless defined $v;
    return "+$v->{status}" if ref $v eq 'HASH' && exists $v->{status};
    return "-$v->{error}" if ref $v eq 'HASH';
    return join "\n", map { text($_) } @$v if ref $v eq 'ARRAY';
    return "$v";
}


sub _redis_up {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $RedisPort, Proto => 'tcp',
                                  Timeout => 1);
    return 0 unless $s;

    syswrite $s, "*1\r\n\$4\r\nPING\r\n";
    my $ok = eval { _read_line($s) } // '';
    close $s;

    # an instance with a password says NOAUTH, and that is up too
    return $ok eq '+PONG' || $ok =~ /^-NOAUTH/;
}


sub start_redis {
    system('redis-server', '--port', $RedisPort, '--bind', '127.0.0.1',
           '--save', '', '--appendonly', 'no', '--daemonize', 'yes',
           '--dir', $Dir, '--pidfile', "$Dir/redis.pid",
           '--logfile', "$Dir/redis.log", @RedisArgs) == 0
        or croak "redis-server failed: $?";

    for (1 .. 100) {
        return if _redis_up();
        sleep 0.05;
    }

    croak "redis-server did not start on port $RedisPort";
}


# a daemon is not our child: where nobody reaps it, it stays a zombie

sub _alive {
    my $pid = shift;

    return 0 unless kill 0, $pid;

    open my $in, '<', "/proc/$pid/stat" or return 1;
    my $stat = <$in> // '';
    close $in;

    return $stat !~ /^\d+ \(.*\) Z/;
}


sub stop_redis {
    my $pid = _read_pid("$Dir/redis.pid");
    return unless $pid && _alive($pid);

    kill 'TERM', $pid;

    for (1 .. 100) {
        last unless _alive($pid);
        sleep 0.05;
    }

    # a daemonized redis is not our child, so no waitpid; the port too
    for (1 .. 100) {
        last if _port_free($RedisPort);
        sleep 0.05;
    }

    unlink "$Dir/redis.pid";
}


sub _read_pid {
    my $file = shift;

    open my $in, '<', $file or return undef;
    my $pid = <$in>;
    close $in;

    return undef unless defined $pid && $pid =~ /^(\d+)/;
    return $1;
}


sub start {
    my (%a) = @_;

    @RedisArgs = @{ $a{redis} || [] };
    @Auth = @{ $a{auth} || [] };
    $Parent = $$;
    $Dir = tempdir('stratum-rl-XXXXXX', TMPDIR => 1, CLEANUP => 1);

    my $base = $ENV{STRATUM_TEST_PORT} // 4990;

    $RedisPort = _free_port($base);
    $HolePort = _free_port($RedisPort + 1);
    $StallPort = _free_port($HolePort + 1);
    $CtlPort = _free_port($StallPort + 1);
    $SecondPort = _free_port($CtlPort + 1);

    # this suite's own redis, whatever the environment pointed at before
    $ENV{TEST_NGINX_REDIS_PORT} = $RedisPort;
    $ENV{TEST_NGINX_REDIS_HOLE_PORT} = $HolePort;
    $ENV{TEST_NGINX_REDIS_STALL_PORT} = $StallPort;
    $ENV{TEST_NGINX_RL_CTL_PORT} = $CtlPort;
    $ENV{TEST_NGINX_RL_SECOND_PORT} = $SecondPort;

    start_redis();

    $HolePid = _fork(\&_hole);
    $CtlPid = _fork(\&_ctl);
}


sub _fork {
    my $code = shift;

    my $pid = fork;
    croak "fork failed: $!" unless defined $pid;

    return $pid if $pid;

    # a child never runs the test's END blocks
    eval { $code->() };
    POSIX::_exit(0);
}


sub _listen {
    my $port = shift;

    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                  LocalPort => $port, Proto => 'tcp',
                                  Listen => 64, ReuseAddr => 1)
        or croak "cannot listen on $port: $!";

    return $l;
}


# accepts, reads, never answers, until the test process is gone; and
# the stall: never accepts, its queue filled by connections of our own
# (Linux drops the SYNs a full queue gets)

sub _hole {
    my $l = _listen($HolePort);
    my $sel = IO::Select->new($l);

    my $stall = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $StallPort,
                                      Proto => 'tcp', Listen => 1,
                                      ReuseAddr => 1)
        or croak "cannot listen on $StallPort: $!";

    my @fill = map {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                              PeerPort => $StallPort, Proto => 'tcp',
                              Timeout => 0.2)
    } 1 .. 6;

    while (getppid() == $Parent) {
        for my $s ($sel->can_read(0.5)) {
            if ($s == $l) {
                my $c = $l->accept;
                $sel->add($c) if $c;
                next;
            }

            my $n = sysread $s, my $buf, 4096;

            if (!$n) {
                $sel->remove($s);
                close $s;
            }
        }
    }
}


sub _ctl {
    my $l = _listen($CtlPort);
    my $sel = IO::Select->new($l);
    my %bg;

    $SIG{CHLD} = 'DEFAULT';

    while (getppid() == $Parent) {
        next unless $sel->can_read(0.5);

        my $c = $l->accept or next;
        my $req = '';

        while ($req !~ /\r\n\r\n/) {
            my $n = sysread $c, $req, 4096, length $req;
            last unless $n;
        }

        my ($path, $query) = $req =~ m{^GET (/[^ ?]*)(?:\?(\S*))? }
            or next;

        my $body = eval { _ctl_action($path, _params($query // ''), \%bg) };
        $body = "ctl failed: $@" unless defined $body;

        my $resp = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                   . "Content-Length: " . length($body) . "\r\n"
                   . "Connection: close\r\n\r\n$body";

        syswrite $c, $resp;
        close $c;
    }
}


sub _params {
    my $q = shift;

    my %p;

    for my $pair (split /&/, $q) {
        my ($k, $v) = split /=/, $pair, 2;
        $v //= '';
        $v =~ s/\+/ /g;
        $v =~ s/%([0-9a-fA-F]{2})/chr hex $1/ge;
        push @{ $p{$k} }, $v;
    }

    return \%p;
}


sub _ctl_action {
    my ($path, $p, $bg) = @_;

    if ($path eq '/ctl/redis/stop') {
        stop_redis();
        return "stopped\n";
    }

    if ($path eq '/ctl/redis/start') {
        start_redis();
        return "started\n";
    }

    if ($path eq '/ctl/cmd') {
        my $db = $p->{db} ? $p->{db}[0] : undef;
        my $reply = text(command_db($db, @{ $p->{a} }));

        # until=TEXT (until_re=REGEX): again, for up to 2 s (within the
        # client's timeout), until the reply is TEXT (matches REGEX)
        my $done = $p->{until} ? sub { $_[0] eq $p->{until}[0] }
                 : $p->{until_re} ? sub { $_[0] =~ $p->{until_re}[0] }
                 : undef;

        if ($done) {
            my $end = time + 2;

            while (!$done->($reply) && time < $end) {
                sleep 0.02;
                $reply = text(command_db($db, @{ $p->{a} }));
            }
        }

        return "$reply\n";
    }

    if ($path eq '/ctl/sleep') {
        sleep(($p->{ms}[0] // 0) / 1000);
        return "slept\n";
    }

    if ($path eq '/ctl/log') {
        return count_log(defined $p->{re} ? qr/$p->{re}[0]/
                                          : $p->{s}[0]) . "\n";
    }

    if ($path eq '/ctl/bg') {
        pipe my $rd, my $wr or die "pipe: $!";

        my $pid = fork;
        die "fork: $!" unless defined $pid;

        if ($pid == 0) {
            close $rd;
            my $t = time;
            my $status = _get($p->{uri}[0], sub { syswrite $wr, "sent\n" },
                              $p->{close} ? $p->{close}[0] : undef);
            my $ms = int((time - $t) * 1000);
            open my $out, '>', "$Dir/bg.result" or POSIX::_exit(1);
            print $out "$status $ms\n";
            close $out;
            POSIX::_exit(0);
        }

        close $wr;
        my $line = <$rd>;
        close $rd;

        $bg->{pid} = $pid;
        return "started\n";
    }

    if ($path eq '/ctl/bgresult') {
        waitpid $bg->{pid}, 0 if $bg->{pid};
        delete $bg->{pid};

        open my $in, '<', "$Dir/bg.result" or return "no result\n";
        my ($status, $ms) = split ' ', scalar <$in>;
        close $in;
        unlink "$Dir/bg.result";

        return "$status\n" unless defined $p->{min};

        return "$status " . ($ms >= $p->{min}[0] ? 'slow' : 'fast') . "\n";
    }

    if ($path eq '/ctl/probe') {
        my $t = time;
        my $status = _get($p->{uri}[0]);
        my $ms = (time - $t) * 1000;

        return "$status " . ($ms <= ($p->{max}[0] // 0) ? 'prompt' : 'late')
               . "\n";
    }

    return "unknown $path\n";
}


# GET from the nginx under test: the status code

sub _get {
    my ($uri, $sent, $close) = @_;

    no warnings 'once';

    my $port = $Test::Nginx::Util::ServerPortForClient
               // $Test::Nginx::Util::ServerPort;

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $port, Proto => 'tcp',
                                  Timeout => 10)
        or return "connect-failed";

    syswrite $s, "GET $uri HTTP/1.0\r\nHost: localhost\r\n\r\n";
    $sent->() if $sent;

    if (defined $close) {
        sleep $close / 1000;
        close $s;
        return 'closed';
    }

    my $resp = '';
    1 while sysread $s, $resp, 4096, length $resp;
    close $s;

    return $resp =~ m{^HTTP/1\.\d (\d+)} ? $1 : 'no-response';
}


sub count_log {
    my $s = shift;

    my $file = Test::Nginx::Util::server_root() . '/logs/error.log';

    open my $in, '<', $file or return 0;
    my $n = grep { ref $s ? $_ =~ $s : index($_, $s) >= 0 } <$in>;
    close $in;

    return $n;
}


# the tests a block emits, as both runners count them: per request, the
# status, each expected header, the body, and each error log pattern
# (checked after every request); a must_die block: one, plus its patterns

sub _patterns {
    my $v = shift;

    return 0 unless defined $v;
    return scalar @$v if ref $v eq 'ARRAY';
    return 1 if ref $v;
    return scalar grep { length } split /\n+/, $v;
}


sub _headers {
    my $v = shift;

    return 0 unless defined $v;
    return scalar grep { /\S/ } split /\n/, $v;
}


sub checks {
    my $block = shift;

    my $logs = _patterns($block->error_log) + _patterns($block->no_error_log)
               + (defined $block->grep_error_log ? 1 : 0);

    return 1 + $logs if defined $block->must_die;

    my $req = $block->request;
    my $n = ref $req eq 'ARRAY' ? scalar @$req : 1;
    my $total = 0;

    for my $i (0 .. $n - 1) {
        my $h = $block->response_headers // $block->response_headers_like;

        $total += 1 + $logs;
        $total += _headers(ref $h eq 'ARRAY' ? $h->[$i] : $h);
        $total += 1 if defined $block->response_body
                       || defined $block->response_body_like;
    }

    return $total;
}


sub plan_checks {
    my $sum = 0;
    $sum += checks($_) for @_;

    return $sum;
}


# block preprocessor: the control location in the block's server, and
# html/ok.txt ("ok"), which locations answer with ("try_files /ok.txt
# =404": a content handler, since "return" runs before the access phase)

sub preprocess {
    my $block = shift;

    my $config = $block->config;
    return unless defined $config;

    $block->set_value('user_files', ($block->user_files // '')
                                    . ">>> ok.txt\nok\n");

    $block->set_value('config', $config . <<"_EOC_");

    location /ctl/ {
        proxy_pass http://127.0.0.1:$CtlPort;
        proxy_read_timeout 30s;
    }
_EOC_
}


# a second nginx, its own prefix and port, the modules of the first: the
# http{} body is given, "listen" is added; reach it through a location
# of the first that proxies to $TEST_NGINX_RL_SECOND_PORT

sub start_second {
    my ($http) = @_;

    stop_second();

    $SecondDir = tempdir('stratum-rl2-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    mkdir "$SecondDir/logs";
    mkdir "$SecondDir/conf";

    my $modules = join '', map { "load_module $_;\n" }
                           split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';

    $http =~ s/\$(TEST_NGINX_\w+)/_env($1)/ge;

    open my $out, '>', "$SecondDir/conf/nginx.conf" or croak "$!";
    print $out <<"_EOC_";
$modules
worker_processes 1;
daemon on;
master_process on;
error_log logs/error.log info;
pid logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
$http
}
_EOC_
    close $out;

    my $nginx = $ENV{TEST_NGINX_BINARY} // 'nginx';

    system($nginx, '-p', "$SecondDir/", '-c', 'conf/nginx.conf',
           '-e', 'logs/error.log') == 0
        or croak "the second nginx failed to start: $?";

    for (1 .. 100) {
        last if -s "$SecondDir/logs/nginx.pid";
        sleep 0.05;
    }
}


sub _env {
    my $name = shift;

    croak "$name is not set" unless defined $ENV{$name};
    return $ENV{$name};
}


sub stop_second {
    return unless $SecondDir;

    my $pid = _read_pid("$SecondDir/logs/nginx.pid");

    if ($pid) {
        kill 'QUIT', $pid;

        for (1 .. 100) {
            last unless _alive($pid);
            sleep 0.05;
        }

        kill 'KILL', $pid if _alive($pid);
    }

    undef $SecondDir;
}


END {
    if (defined $Parent && $$ == $Parent) {
        my $status = $?;

        stop_second();

        for my $pid (grep { $_ } $CtlPid, $HolePid) {
            kill 'TERM', $pid;
            waitpid $pid, 0;
        }

        stop_redis() if $Dir;

        $? = $status;
    }
}


1;
