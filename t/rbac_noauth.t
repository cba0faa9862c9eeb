# vi:filetype=perl

# The RBAC module loaded without ngx_stratum_auth_module: "nginx -t" must
# say so rather than fail to link or run unchecked.
#
# The module list is this module alone, taken from TEST_NGINX_LOAD_MODULES
# (other modules may need the auth module too, and fail first); it is
# changed before Test::Nginx reads it, which both the real module and
# t/runner do when they are loaded.

BEGIN {
    $ENV{TEST_NGINX_LOAD_MODULES} = join ' ',
        grep { /ngx_stratum_rbac_module\.so$/ }
        split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';
}

use Test::Nginx::Socket 'no_plan';

no_shuffle();

run_tests();

__DATA__

=== TEST 1: the auth module is not loaded
--- config
    location /api/ {
        stratum_rbac_require  campaigns:read;
    }
--- must_die
--- error_log
[emerg]
ngx_stratum_rbac_module needs ngx_stratum_auth_module (API version 1),
which is not loaded: load ngx_stratum_auth_module before
ngx_stratum_rbac_module



=== TEST 2: even where nothing asks for a permission
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*ngx_stratum_rbac_module needs ngx_stratum_auth_module/
