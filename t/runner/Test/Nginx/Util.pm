package Test::Nginx::Util;

# Stratum's fallback for openresty/test-nginx: settings, nginx.conf
# generation, the nginx process and the per-block driver.  The HTTP side
# and the checks live in Test::Nginx::Socket; see the POD there.

use strict;
use warnings;

use base 'Exporter';

use Carp qw(croak);
use File::Path qw(make_path remove_tree);
use File::Spec ();
use List::Util qw(shuffle);
use POSIX qw(:sys_wait_h SIGKILL SIGQUIT);
use Scalar::Util qw(looks_like_number);
use IO::Socket::INET ();
use Time::HiRes qw(sleep time);

our $VERSION = '0.1';


# settings, named like the real module's so that test files poking at
# $Test::Nginx::Util::Foo keep working

our $RepeatEach           = 1;
our $NoShuffle            = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $NoLongString;
our $Verbose              = $ENV{TEST_NGINX_VERBOSE};
our $NginxBinary          = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $LoadModules          = $ENV{TEST_NGINX_LOAD_MODULES};
our $UseValgrind          = $ENV{TEST_NGINX_USE_VALGRIND};
our $Timeout              = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $TestNginxSleep       = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $Workers              = 1;
our $WorkerConnections    = 64;
our $LogLevel             = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled        = 'on';
our $ServerAddr           = '127.0.0.1';
our $ServerName           = 'localhost';
our $ServerPort           = $ENV{TEST_NGINX_SERVER_PORT}
                            || $ENV{TEST_NGINX_PORT} || 1984;
our $ServerPortForClient  = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;
our $NoRootLocation       = 0;
our $NoNginxManager       = $ENV{TEST_NGINX_NO_NGINX_MANAGER} || 0;
our $CheckAccumErrLog     = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $ConfigPreamble       = '';
our $EventType            = $ENV{TEST_NGINX_EVENT_TYPE};

our (@EnvToNginx, @BlockPreprocessors, @CleanupHandlers,
     @TestCleanupHandlers);

# valgrind wants a foreground nginx (the real module does the same)
$DaemonEnabled = 'off' if $UseValgrind;

our $ServRoot = $ENV{TEST_NGINX_SERVROOT}
                || File::Spec->rel2abs('t/servroot');
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir     = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $HtmlDir    = "$ServRoot/html";
our $ConfDir    = "$ServRoot/conf";
our $ConfFile   = "$ConfDir/nginx.conf";
our $PidFile    = "$LogDir/nginx.pid";
our $CacheDir   = "$ServRoot/cache";

# hooks filled in by Test::Nginx::Socket
our ($RunTestHelper, $CheckErrorLog);

our ($NginxVersion, $NginxRawVersion, $NginxV);
our $RandPorts = {};
our $ErrLogFilePos = 0;
our $PrevConfig;
our $InSubprocess;

# the nginx we started: its pid, and whether it is our child (valgrind
# runs it in the foreground) or a daemon found through the pid file
our ($NginxPid, $NginxIsChild);

our @EXPORT = qw(
    $ServerPort $ServerPortForClient $ServerAddr $ServerName $ServRoot
    $PidFile $ConfFile $NginxVersion $NoLongString $RepeatEach
    $RunTestHelper $CheckErrorLog $NoNginxManager
    expand_env_in_text env_to_nginx is_str no_long_string
    server_addr server_name server_port server_port_for_client
    server_root html_dir timeout sleep_time verbose parse_time
    repeat_each worker_connections workers log_level master_on master_off
    master_process_enabled no_shuffle no_root_location no_nginx_manager
    use_hup check_accum_error_log config_preamble
    add_block_preprocessor add_cleanup_handler add_test_cleanup_handler
    bail_out run_tests run_test error_log_data access_log_data
    parse_headers trim get_nginx_version
);


sub no_long_string () { $NoLongString = 1 }
sub no_shuffle ()     { $NoShuffle = 1 }
sub no_root_location () { $NoRootLocation = 1 }
sub no_nginx_manager () { $NoNginxManager = 1 }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }
sub master_on ()      { $MasterProcessEnabled = 'on' }
sub master_off ()     { $MasterProcessEnabled = 'off' }
sub html_dir ()       { $HtmlDir }
sub server_root ()    { $ServRoot }
sub sleep_time ()     { $TestNginxSleep }
sub verbose ()        { $Verbose }
sub config_preamble ($) { $ConfigPreamble = shift }

sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }
sub add_cleanup_handler ($)    { unshift @CleanupHandlers, shift }
sub add_test_cleanup_handler ($) { unshift @TestCleanupHandlers, shift }


# getter without arguments, setter with one
sub _accessor {
    my $ref = shift;

    $$ref = shift if @_;
    return $$ref;
}

sub repeat_each (@)            { _accessor(\$RepeatEach, @_) }
sub workers (@)                { _accessor(\$Workers, @_) }
sub worker_connections (@)     { _accessor(\$WorkerConnections, @_) }
sub log_level (@)              { _accessor(\$LogLevel, @_) }
sub timeout (@)                { _accessor(\$Timeout, @_) }
sub server_addr (@)            { _accessor(\$ServerAddr, @_) }
sub server_name (@)            { _accessor(\$ServerName, @_) }
sub server_port (@)            { _accessor(\$ServerPort, @_) }
sub server_port_for_client (@) { _accessor(\$ServerPortForClient, @_) }


sub master_process_enabled (@) {
    $MasterProcessEnabled = $_[0] ? 'on' : 'off' if @_;
    return $MasterProcessEnabled;
}


sub use_hup () {
    warn "use_hup: not supported by the Stratum runner, nginx is "
         . "restarted instead\n";
}


sub env_to_nginx (@) {
    croak "env_to_nginx: no arguments" unless @_;

    for my $v (@_) {
        croak "env_to_nginx: bad argument: $v"
            if $v !~ /^[A-Za-z_]/ || $v =~ /\n/;
        push @EnvToNginx, $v;
    }
}


sub is_str (@) {
    my ($got, $expected, $desc) = @_;

    local $Test::Builder::Level = $Test::Builder::Level + 1;

    return Test::More::like($got, $expected, $desc)
        if ref $expected && ref $expected eq 'Regexp';

    return Test::Nginx::Socket::compare_strings($got, $expected, $desc);
}


# "10ms" and "0.5s" style values, returned in seconds
sub parse_time ($) {
    my $t = shift;

    return $t unless defined $t;

    if ($t =~ /^\s*([\d.]+)\s*ms\s*$/) {
        return $1 / 1000;
    }

    $t =~ s/^\s*([\d.]+)\s*s?\s*$/$1/;
    return $t;
}


sub trim ($) {
    my $s = shift;

    return undef unless defined $s;

    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\s+/ /g;
    return $s;
}


# "Name: value" per line; "!Name" (or, in response_headers, an empty
# value) asks for absence
sub parse_headers ($) {
    my $text = shift;
    my %h;

    for my $line (split /\n/, $text) {
        $line =~ s/^\s+|\s+$//g;

        if ($line =~ s/^!\s*//) {
            $h{$line} = undef;
            next;
        }

        my ($k, $v) = split /\s*:\s*/, $line, 2;
        $h{$k} = $v;
    }

    return \%h;
}


sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}


sub _free_port ($) {
    my $taken = shift;

    for (1 .. 1000) {
        my $port = 2000 + int rand 60000;

        next if $taken->{$port};

        my $sock = IO::Socket::INET->new(LocalAddr => $ServerAddr,
                                          LocalPort => $port,
                                          Proto     => 'tcp',
                                          Listen    => 1,
                                          ReuseAddr => 1);
        next unless $sock;

        close $sock;
        return $port;
    }

    return undef;
}


# $TEST_NGINX_FOO comes from %ENV (dying when unset, as the real one
# does); $TEST_NGINX_RAND_PORT_N picks a free port once per block
sub expand_env_in_text ($$$) {
    my ($text, $name, $rand_ports) = @_;

    return $text unless defined $text && !ref $text;

    $rand_ports ||= $RandPorts;

    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        my $val;

        if ($var =~ /^TEST_NGINX_RAND_PORT_\d+$/) {
            if (!defined $rand_ports->{$var}) {
                my %taken = ($ServerPort => 1,
                             map { $_ => 1 } values %$rand_ports);
                my $port = _free_port(\%taken);
                bail_out("$name - no free port found for $var")
                    unless defined $port;
                $rand_ports->{$var} = $port;
            }
            $val = $rand_ports->{$var};

        } else {
            bail_out("$name - No environment $var defined.\n")
                unless defined $ENV{$var};
            $val = $ENV{$var};
        }

        $val;
    }ge;

    return $text;
}


sub _nginx_v () {
    return $NginxV if defined $NginxV;

    $NginxV = `$NginxBinary -V 2>&1`;

    if ($? != 0) {
        my $out = $NginxV // '';
        undef $NginxV;
        bail_out("cannot run \"$NginxBinary -V\": $out");
    }

    return $NginxV;
}


sub get_nginx_version () {
    my $out = _nginx_v();

    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)})
    {
        $NginxRawVersion = "$1.$2.$3";
        return sprintf "%d.%03d%03d", $1, $2, $3;
    }

    bail_out("cannot parse the output of \"$NginxBinary -V\": $out");
}


sub _can_run ($) {
    my $cmd = shift;

    return -f $cmd && -x _ ? $cmd : undef if $cmd =~ m{/};

    for my $dir (split /:/, $ENV{PATH} // '') {
        next if $dir eq '';
        return "$dir/$cmd" if -f "$dir/$cmd" && -x _;
    }

    return undef;
}


sub error_log_data () {
    # give the log phase, which runs after the response, time to write
    sleep $TestNginxSleep * 3;

    open my $in, '<', $ErrLogFile or return undef;

    seek $in, $ErrLogFilePos, 0 if !$CheckAccumErrLog && $ErrLogFilePos;

    my @lines = <$in>;

    $ErrLogFilePos = tell $in unless $CheckAccumErrLog;

    close $in;
    return \@lines;
}


sub access_log_data () {
    sleep $TestNginxSleep * 3;

    open my $in, '<', $AccLogFile or return undef;
    my @lines = <$in>;
    close $in;

    return \@lines;
}


sub setup_server_root () {
    if (-d $ServRoot) {
        # remove only what we create, so that a mistaken
        # TEST_NGINX_SERVROOT cannot wipe somebody's data
        remove_tree($ConfDir, $CacheDir, $HtmlDir, $LogDir,
                    glob("$ServRoot/*_temp"), glob("$ServRoot/*_cache"));
        rmdir $ServRoot
            or bail_out("cannot remove $ServRoot (not empty?): $!");
    }

    for my $dir ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        mkdir $dir or bail_out("cannot create $dir: $!");
    }

    open my $out, '>', "$HtmlDir/index.html"
        or bail_out("cannot write $HtmlDir/index.html: $!");
    print $out '<html><head><title>It works!</title></head>'
               . '<body>It works!</body></html>';
    close $out;
}


# "--- user_files": ">>> name [touch -t date]" starts a file, the lines
# after it are its body; a relative name is under html/
sub write_user_files ($$) {
    my ($block, $rand_ports) = @_;

    my $name = $block->name;
    my $spec = $block->user_files;

    return unless $spec;

    my $files = $spec;

    if (!ref $spec) {
        $files = [];

        for my $line (split /^/, $spec) {
            if ($line =~ />>> (\S+)(?:\s+(.+))?/) {
                push @$files, [$1, undef, $2];
                next;
            }

            $files->[-1][1] .= $line if @$files;
        }

    } elsif (ref $spec ne 'ARRAY') {
        bail_out("$name - --- user_files must be a string or an ARRAY");
    }

    for my $f (@$files) {
        my ($fname, $body, $date) = @$f;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";

        if ($path =~ m{^(.*)/[^/]*$} && !-d $1) {
            make_path($1) or bail_out("$name - cannot create $1");
        }

        $body = expand_env_in_text($body // '', $name, $rand_ports);

        open my $out, '>', $path
            or bail_out("$name - cannot write $path: $!");
        binmode $out;
        print $out $body;
        close $out;

        if ($date) {
            local $ENV{TZ} = 'GMT';
            system('touch', '-t', $date, $path) == 0
                or bail_out("$name - touch -t $date $path failed");
        }
    }
}


sub write_config_file ($$$) {
    my ($block, $config, $rand_ports) = @_;

    my $name = $block->name;
    my $main = $block->main_config // '';
    my $post_main = $block->post_main_config // '';
    my $http = $block->http_config // '';
    my $server_name = $block->server_name // $ServerName;
    my $nginx_v = _nginx_v();

    if ($LoadModules) {
        my @load = map { "load_module $_;" } grep { length } split /\s+/,
                   $LoadModules;
        $main = join ' ', @load, $main;
    }

    $main = expand_env_in_text($main, $name, $rand_ports);
    $post_main = expand_env_in_text($post_main, $name, $rand_ports);
    $http = expand_env_in_text($http, $name, $rand_ports);
    $config //= '';

    # temp directories inside the server root, unless the test sets them
    # or the module is compiled out
    my $temps = '';

    for my $t (qw(client_body proxy fastcgi scgi uwsgi)) {
        next if $http =~ /\b${t}_temp_path\b/;
        next if $t =~ /^(?:fastcgi|scgi|uwsgi)$/
                && $nginx_v =~ /--without-http_${t}_module/;
        $temps .= "    ${t}_temp_path $ServRoot/${t}_temp;\n";
    }

    (my $quoted_name = $server_name) =~ s/(['\\])/\\$1/g;

    my $env = '';
    for my $v (qw(LD_PRELOAD LD_LIBRARY_PATH ASAN_OPTIONS), @EnvToNginx) {
        $env .= $v =~ /\s/ ? "env '$v';\n" : "env $v;\n";
    }

    my $root_location = $NoRootLocation ? '' : <<"_EOC_";
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_

    my $user = '';
    if (defined $ENV{TEST_NGINX_WORKER_USER}) {
        $user = "user $ENV{TEST_NGINX_WORKER_USER};\n";

    } elsif ($> == 0) {
        $user = "user root;\n";
    }

    my $use = $EventType ? "    use $EventType;\n" : '';

    open my $out, '>', $ConfFile
        or bail_out("cannot write $ConfFile: $!");

    print $out <<"_EOC_";
worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $ErrLogFile $LogLevel;
pid $PidFile;
$env
$main

http {
    access_log $AccLogFile;
$temps
    default_type text/plain;
    keepalive_timeout 68000ms;

$http

    server {
        listen $ServerPort;
        server_name '$quoted_name';

        client_max_body_size 30M;

        # preamble
$ConfigPreamble

        # test block config
$config
        # end of test block config

$root_location    }
}

$post_main

events {
    accept_mutex off;
    worker_connections $WorkerConnections;
$use}

$user
_EOC_

    close $out;
}


sub _is_running ($) {
    my $pid = shift;

    return 0 unless $pid && kill 0, $pid;

    # a daemon whose parent never reaps it lingers as a zombie
    if (open my $st, '<', "/proc/$pid/stat") {
        my $stat = <$st> // '';
        close $st;
        return 0 if $stat =~ /^\d+ \(.*\) Z/s;
    }

    return 1;
}


sub _read_pid_file () {
    open my $in, '<', $PidFile or return undef;
    my $pid = <$in>;
    close $in;

    return undef unless defined $pid && $pid =~ /^(\d+)\s*$/;
    return $1;
}


# poll for the pid file: nginx writes it after opening the listening
# sockets, so once it is there requests can be sent
sub _wait_for_pid_file ($$) {
    my ($limit, $child) = @_;

    my $deadline = time + $limit;
    my $step = 0.005;

    while (time < $deadline) {
        my $pid = _read_pid_file();
        return $pid if $pid;

        return undef if $child && waitpid($child, WNOHANG) != 0;

        sleep $step;
        $step *= 2 if $step < 0.1;
    }

    return undef;
}


sub _nginx_cmd () {
    my @cmd = ($NginxBinary);

    # -e appeared in 1.19.5; it keeps startup errors in logs/error.log
    push @cmd, '-e', $ErrLogFile if ($NginxVersion // 0) >= 1.019005;
    push @cmd, '-p', "$ServRoot/", '-c', $ConfFile;

    return @cmd;
}


sub _valgrind_cmd () {
    my @opts;

    if ($UseValgrind =~ /^\d+$/) {
        # possibly-lost leaks are hidden, so they must not set the exit
        # code either
        @opts = qw(--tool=memcheck --leak-check=full --keep-debuginfo=yes
                   --show-possibly-lost=no --errors-for-leak-kinds=definite
                   --num-callers=100 --gen-suppressions=all
                   --error-exitcode=101);
        push @opts, '--suppressions=valgrind.suppress'
            if -f 'valgrind.suppress';

    } else {
        @opts = split ' ', $UseValgrind;
    }

    return ('valgrind', '-q', "--log-file=$LogDir/valgrind.%p.log",
            @opts);
}


# fork and exec @cmd with stdout to /dev/null and stderr to a file
sub _spawn ($@) {
    my ($stderr, @cmd) = @_;

    my $pid = fork;
    bail_out("fork() failed: $!") unless defined $pid;

    return $pid if $pid;

    $InSubprocess = 1;
    $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP PIPE);
    setpgrp(0, 0);

    open STDOUT, '>', '/dev/null';
    open STDERR, '>>', $stderr;
    { no warnings 'exec'; exec { $cmd[0] } @cmd; }

    print STDERR "exec $cmd[0] failed: $!\n";
    POSIX::_exit(127);
}


sub _slurp ($) {
    my $file = shift;

    open my $in, '<', $file or return '';
    local $/;
    my $data = <$in>;
    close $in;

    return $data // '';
}


# run the daemonizing nginx and wait for it; returns the wait status
sub _run_nginx_once () {
    my $pid = _spawn("$LogDir/stderr.log", _nginx_cmd());

    waitpid $pid, 0;
    return $?;
}


sub start_nginx ($) {
    my $block = shift;

    my $name = $block->name;
    my $stderr = "$LogDir/stderr.log";

    if ($UseValgrind) {
        warn "$name\n";

        my $pid = _spawn($stderr, _valgrind_cmd(), _nginx_cmd());
        my $npid = _wait_for_pid_file(60, $pid);

        if (!$npid) {
            my $why = _is_running($pid) ? 'timed out' : 'exited';
            _kill_child($pid);
            bail_out("$name - nginx under valgrind did not start ($why): "
                     . _slurp($stderr) . _valgrind_report());
        }

        ($NginxPid, $NginxIsChild) = ($pid, 1);
        return;
    }

    my $waited = 0;

    while (1) {
        my $status = _run_nginx_once();

        if ($status == 0) {
            my $npid = _wait_for_pid_file(10, undef);
            bail_out("$name - nginx started but wrote no pid file")
                unless $npid;

            ($NginxPid, $NginxIsChild) = ($npid, 0);
            return;
        }

        my $err = _slurp($stderr) . _slurp($ErrLogFile);

        # a previous nginx may still hold the port for a moment
        if ($err =~ /Address already in use/ && $waited < 10) {
            sleep 0.2;
            $waited += 0.2;
            next;
        }

        bail_out("$name - cannot start nginx (status $status): $err");
    }
}


sub _kill_child ($) {
    my $pid = shift;

    kill SIGKILL, -$pid;
    kill SIGKILL, $pid;
    waitpid $pid, 0;
}


# QUIT, wait up to $limit seconds, then KILL
sub stop_nginx (;$) {
    my $limit = shift // ($UseValgrind ? 30 : $Timeout);

    my ($pid, $child) = ($NginxPid, $NginxIsChild);

    if (!$pid) {
        # a leftover from an interrupted run
        $pid = _read_pid_file();
        return unless $pid && _is_running($pid);
        return unless _slurp("/proc/$pid/cmdline") =~ /nginx|valgrind/;
        $child = 0;
    }

    undef $NginxPid;
    undef $NginxIsChild;

    kill SIGQUIT, $pid;

    my $deadline = time + $limit;
    my $status;

    while (time < $deadline) {
        if ($child) {
            if (waitpid($pid, WNOHANG) != 0) {
                $status = $?;
                last;
            }

        } elsif (!_is_running($pid)) {
            last;
        }

        sleep 0.01;
    }

    if ($child && !defined $status) {
        warn "nginx $pid did not quit in ${limit}s, killing it\n";
        _kill_child($pid);

    } elsif (!$child && _is_running($pid)) {
        warn "nginx $pid did not quit in ${limit}s, killing it\n";
        kill SIGKILL, $pid;
    }

    unlink $PidFile;
    return $status;
}


# valgrind's logs, errors only; -q keeps them empty when all is well
sub _valgrind_report () {
    my $report = '';

    for my $f (sort glob "$LogDir/valgrind.*.log") {
        $report .= _slurp($f);
        unlink $f;
    }

    return $report;
}


# an error is a "==pid== message" line followed by a stack ("at 0x...");
# valgrind's own warnings are not counted
sub _count_valgrind_errors ($) {
    my $report = shift;
    my @lines = split /\n/, $report;
    my $n = 0;

    for my $i (0 .. $#lines - 1) {
        next unless $lines[$i] =~ /^==\d+== (\S.*)$/;
        my $msg = $1;
        next if $msg =~ /^(?:warning|at 0x|by 0x)/i;
        $n++ if $lines[$i + 1] =~ /^==\d+==\s+(?:at|by) 0x/;
    }

    return $n;
}


sub _check_valgrind ($$) {
    my ($name, $status) = @_;

    my $report = _valgrind_report();
    my $errors = _count_valgrind_errors($report);

    $errors ||= 1 if defined $status && ($status >> 8) == 101;

    return unless $errors;

    print STDERR $report;
    Test::More::fail("$name - valgrind found $errors error(s)");
}


sub _skip_spec ($) {
    my $block = shift;

    my $name = $block->name;

    if (defined(my $spec = $block->skip_nginx)) {
        $spec =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                  (?:\s*:\s*(.*?))?\s*$/x
            or bail_out("$name - bad --- skip_nginx: $spec");

        my ($n, $op, $reason) = ($1, $2, $6);
        my $ver = sprintf "%d.%03d%03d", $3, $4, $5;
        my $cur = $NginxVersion // 0;
        my $hit = $op eq '<'  ? $cur < $ver
                : $op eq '<=' ? $cur <= $ver
                : $op eq '>'  ? $cur > $ver
                :               $cur >= $ver;

        return ($n, $hit, $reason || "nginx version $op $3.$4.$5");
    }

    if (defined(my $spec = $block->skip_eval)) {
        $spec =~ /^\s*(\d+)\s*:\s*(.*)/s
            or bail_out("$name - bad --- skip_eval: $spec");

        my ($n, $code) = ($1, $2);
        my $hit = eval $code;
        bail_out("$name - --- skip_eval failed: $@") if $@;

        return ($n, $hit, 'skip_eval');
    }

    return;
}


sub _must_die ($$) {
    my ($block, $must_die) = @_;

    my $name = $block->name;

    $ErrLogFilePos = 0;

    for my $i (0 .. $RepeatEach - 1) {
        my $status = _run_nginx_once();
        my $code = $status >> 8;

        if ($status == -1 || $code == 127) {
            Test::More::fail("$name - nginx could not be executed");

        } elsif ($status & 128) {
            Test::More::fail("$name - nginx dumped core");

        } elsif (looks_like_number($must_die)) {
            Test::More::is($code, $must_die,
                           "$name - nginx exited with code $must_die");

        } else {
            Test::More::isnt($status, 0, "$name - nginx refused to start");
        }

        $CheckErrorLog->($block, undef, $i, 0);

        if ($status == 0) {
            warn "WARNING: $name - nginx must die but it does not; "
                 . "stopping it\n";
            $NginxPid = _wait_for_pid_file(2, undef);
            $NginxIsChild = 0;
            stop_nginx();
        }
    }
}


sub run_test ($) {
    my $block = shift;

    return if defined $block->SKIP;

    my $name = $block->name;
    my $rand_ports = {};
    $RandPorts = $rand_ports;

    my $config = expand_env_in_text(scalar $block->config, $name,
                                    $rand_ports);
    my $must_die = $block->must_die;

    local $LogLevel = $block->log_level || $LogLevel;
    local $UseValgrind = defined $must_die ? undef : $UseValgrind;
    local $DaemonEnabled = $UseValgrind ? 'off' : 'on';

    my ($skip_n, $should_skip, $skip_reason) = _skip_spec($block);
    my $restart = 1;

    if (!defined $config) {
        # like the real one: keep the nginx of the previous block
        bail_out("$name - no --- config and no previous block to reuse")
            unless defined $PrevConfig || $NoNginxManager;
        $restart = 0;

    } elsif ($NoNginxManager) {
        Test::More::diag("$name - no_nginx_manager: --- config ignored");
        $restart = 0;
    }

    if (!$restart && !$NoNginxManager && !$should_skip && !$NginxPid
        && -f $ConfFile)
    {
        # valgrind mode stops nginx after every block
        start_nginx($block);
    }

    if ($restart && !$should_skip) {
        $PrevConfig = $config;

        stop_nginx();
        setup_server_root();
        write_user_files($block, $rand_ports);
        write_config_file($block, $config, $rand_ports);

        bail_out("$name - cannot find the nginx executable "
                 . "\"$NginxBinary\"")
            unless _can_run($NginxBinary);

        if (defined $must_die) {
            _must_die($block, $must_die);
            return;
        }

        start_nginx($block);
    }

    if (my $init = $block->init) {
        eval $init;
        bail_out("$name - --- init failed: $@") if $@;
    }

    $ErrLogFilePos = 0;

    for my $i (1 .. $RepeatEach) {
        write_user_files($block, $rand_ports) if $i > 1;

        if ($should_skip && defined $skip_n) {
            SKIP: {
                Test::More::skip("$name - $skip_reason", $skip_n);
            }
            next;
        }

        $RunTestHelper->($block, $i - 1);
    }

    if ($UseValgrind && $NginxPid) {
        my $status = stop_nginx();
        _check_valgrind($name, $status);
    }
}


sub run_tests () {
    srand($$ ^ int(time * 1000));

    $NginxVersion = get_nginx_version();
    $ENV{TEST_NGINX_SERVER_PORT} //= $ServerPort;

    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;

    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;

        $block->set_value(name => "$0 " . $block->name);
        run_test($block);

        $_->($block) for @TestCleanupHandlers;
    }

    cleanup();
}


sub cleanup () {
    $_->() for @CleanupHandlers;

    my $keep = $ENV{TEST_NGINX_NO_CLEAN} && !$UseValgrind;

    stop_nginx() unless $keep;
}


# stop nginx on Ctrl-C and kill as well, then die of the same signal
for my $sig (qw(INT TERM HUP)) {
    $SIG{$sig} = sub {
        $SIG{$sig} = 'DEFAULT';
        cleanup() unless $InSubprocess;
        kill $sig, $$;
    };
}

# a peer closing early must not kill us (and strand nginx) with SIGPIPE
$SIG{PIPE} = 'IGNORE';


END {
    unless ($InSubprocess) {
        local $?;
        cleanup();
    }
}

1;
