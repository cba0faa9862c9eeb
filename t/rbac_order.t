# vi:filetype=perl

# The RBAC module loaded before ngx_stratum_auth_module: it must come
# after, so that the auth module's locations are merged (and its access
# handler registered) first, and "nginx -t" says so.
#
# The module list is this module, then the auth module, both taken from
# TEST_NGINX_LOAD_MODULES; it is changed before Test::Nginx reads it,
# which both the real module and t/runner do when they are loaded.

BEGIN {
    my @m = split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';

    $ENV{TEST_NGINX_LOAD_MODULES} = join ' ',
        (grep { /ngx_stratum_rbac_module\.so$/ } @m),
        (grep { /ngx_stratum_auth_module\.so$/ } @m);
}

use Test::Nginx::Socket 'no_plan';

no_shuffle();

run_tests();

__DATA__

=== TEST 1: the auth module is loaded after this one
--- config
    location /api/ {
        stratum_auth          on;
        stratum_rbac_require  campaigns:read;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*load ngx_stratum_auth_module before ngx_stratum_rbac_module/
