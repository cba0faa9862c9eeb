# vi:filetype=perl

# The RBAC module's configuration: every error "nginx -t" must report.
#
# TEST_NGINX_LOAD_MODULES loads ngx_stratum_auth_module, then this one.
# Roles files that must be refused are written with --- user_files into
# html/, which is ../html/ from the configuration's directory.

use FindBin ();
use lib "$FindBin::Bin/lib";

use Test::Nginx::Socket 'no_plan';
use Stratum::Tokens;

$ENV{TEST_NGINX_RBAC_DIR} = "$FindBin::Bin/rbac";

Stratum::Tokens::make_keys();

no_shuffle();

our $Keys = <<'_EOC_';
    stratum_auth_key_file  $TEST_NGINX_STRATUM_KEYS/rsa.pub;
_EOC_

run_tests();

__DATA__

=== TEST 1: the table from the file and inline, "nginx -t" passes
--- http_config
    stratum_rbac_roles_file  $TEST_NGINX_RBAC_DIR/roles.json;
    stratum_rbac_role        auditor  *:read  audit:*;
    stratum_rbac_role        support  users:read  tickets:*:comment;
--- config
    location = /t {
        return  200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- no_error_log
[error]
[warn]



=== TEST 2: a roles file path relative to the configuration's directory
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"viewer": {"permissions": ["reports:read"]}}}
--- config
    location = /t {
        return  200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- no_error_log
[error]



=== TEST 3: an empty table, an empty permissions list
--- http_config
    stratum_rbac_roles_file  ../html/a.json;
    stratum_rbac_roles_file  ../html/b.json;
--- user_files
>>> a.json
{"roles": {}}
>>> b.json
{"roles": {"guest": {"description": "nothing yet", "permissions": []}}}
--- config
    location = /t {
        return  200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- no_error_log
[error]



=== TEST 4: the roles file is missing
--- http_config
    stratum_rbac_roles_file  ../html/missing.json;
--- config
--- must_die
--- error_log eval
["[emerg]",
 qr/missing\.json" failed \(2: No such file or directory\) in \S+\.conf:\d+/]



=== TEST 5: a roles file larger than 1 MB
--- http_config
    stratum_rbac_roles_file  ../html/big.json;
--- user_files eval
">>> big.json\n" . (" " x (1024 * 1024)) . "{}\n"
--- config
--- must_die
--- error_log
[emerg]
roles file "
/html/big.json" is larger than 1048576 bytes in



=== TEST 6: malformed JSON
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"permissions": ["users:*",]}}}
--- config
--- must_die
--- error_log
[emerg]
invalid JSON in roles file "
/html/roles.json" at line 1, column



=== TEST 7: an empty file
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid JSON in roles file "[^"]*\/html\/roles\.json"/



=== TEST 8: a duplicate key
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"permissions": ["users:*"]},
           "admin": {"permissions": ["*"]}}}
--- config
--- must_die
--- error_log
[emerg]
invalid JSON in roles file "
/html/roles.json" at line 2, column
: duplicate object key



=== TEST 9: an unknown key at the top
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"permissions": ["users:*"]}}, "version": 2}
--- config
--- must_die
--- error_log
[emerg]
/html/roles.json": unknown key "version" in



=== TEST 10: an unknown key in a role
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"permissions": ["users:*"], "inherits": ["manager"]}}}
--- config
--- must_die
--- error_log
[emerg]
/html/roles.json": role "admin": unknown key "inherits"



=== TEST 11: a role without a permissions list
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"description": "runs the account"}}}
--- config
--- must_die
--- error_log
[emerg]
/html/roles.json": role "admin" has no "permissions" list



=== TEST 12: permissions that are not a list
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"permissions": "users:*"}}}
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*role "admin" has no "permissions" list/



=== TEST 13: a permission that is not a string
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"permissions": ["users:*", 7]}}}
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*role "admin": permission 1 is not a string/



=== TEST 14: a description that is not a string
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"description": 1, "permissions": ["users:*"]}}}
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*role "admin": "description" is not a string/



=== TEST 15: "roles" is not an object
--- http_config
    stratum_rbac_roles_file  ../html/a.json;
--- user_files
>>> a.json
{"roles": ["admin"]}
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*roles file "[^"]*\/html\/a\.json" has no "roles" object/



=== TEST 16: the top level is not an object
--- http_config
    stratum_rbac_roles_file  ../html/a.json;
--- user_files
>>> a.json
[{"roles": {}}]
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*roles file "[^"]*\/html\/a\.json" is not a JSON object/



=== TEST 17: a role that is not an object
--- http_config
    stratum_rbac_roles_file  ../html/a.json;
--- user_files
>>> a.json
{"roles": {"admin": ["users:*"]}}
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*role "admin" is not an object/



=== TEST 18: a pattern with an empty segment, in the file
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"permissions": ["users:*", "campaigns::read"]}}}
--- config
--- must_die
--- error_log
[emerg]
/html/roles.json": role "admin": invalid permission pattern
"campaigns::read": an empty segment in



=== TEST 19: a trailing empty segment, in the file
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"permissions": ["campaigns:"]}}}
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid permission pattern "campaigns:": an empty segment/



=== TEST 20: an empty pattern, in the file
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"permissions": [""]}}}
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid permission pattern "": it is empty/



=== TEST 21: "*" inside a word, in the file
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"permissions": ["camp*:read"]}}}
--- config
--- must_die
--- error_log
[emerg]
role "admin": invalid permission pattern "camp*:read": "*" inside a segment



=== TEST 22: "**" is not a segment either
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"permissions": ["users:**"]}}}
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid permission pattern "users:\*\*": "\*" inside a segment/



=== TEST 23: characters outside the grammar
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"admin": {"permissions": ["users:read all"]}}}
--- config
--- must_die
--- error_log
[emerg]
invalid permission pattern "users:read all": a character that is not allowed



=== TEST 24: more than 16 segments
--- http_config
    stratum_rbac_role  deep  a:b:c:d:e:f:g:h:i:j:k:l:m:n:o:p:q;
--- config
--- must_die
--- error_log
[emerg]
role "deep": invalid permission pattern "a:b:c:
:p:q": more than 16 segments



=== TEST 25: an empty segment, inline
--- http_config
    stratum_rbac_role  admin  users:*  campaigns:;
--- config
--- must_die
--- error_log
[emerg]
role "admin": invalid permission pattern "campaigns:": an empty segment in



=== TEST 26: "*" inside a word, inline
--- http_config
    stratum_rbac_role  admin  "users:re*";
--- config
--- must_die
--- error_log
[emerg]
role "admin": invalid permission pattern "users:re*": "*" inside a segment



=== TEST 27: a duplicate role, inline and from the file
--- http_config
    stratum_rbac_role        admin  users:*;
    stratum_rbac_roles_file  $TEST_NGINX_RBAC_DIR/roles.json;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*roles file "[^"]*roles\.json": duplicate role "admin"/



=== TEST 28: a duplicate role, inline
--- http_config
    stratum_rbac_role  admin  users:*;
    stratum_rbac_role  admin  campaigns:*;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*duplicate role "admin" in \S+nginx\.conf:\d+/



=== TEST 29: a role name the auth module would never accept in a token
--- http_config
    stratum_rbac_role  "a,b"  users:*;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid role name "a,b"/



=== TEST 30: a role name longer than 255 bytes
--- http_config eval
"    stratum_rbac_role  " . ("r" x 256) . "  users:*;\n"
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid role name "r{256}"/



=== TEST 31: an empty role name in the file
--- http_config
    stratum_rbac_roles_file  ../html/roles.json;
--- user_files
>>> roles.json
{"roles": {"": {"permissions": ["users:*"]}}}
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*roles file "[^"]*": invalid role name ""/



=== TEST 32: the table is for the http level only
--- config
    stratum_rbac_role  admin  users:*;
--- must_die
--- error_log eval
qr/\[emerg\] .*"stratum_rbac_role" directive is not allowed here/



=== TEST 33: a required permission cannot be a pattern
--- http_config eval: $::Keys
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require  campaigns:*;
    }
--- must_die
--- error_log
[emerg]
invalid permission "campaigns:*" in "stratum_rbac_require":
"*" in a permission that is required in



=== TEST 34: a required permission with an empty segment
--- http_config eval: $::Keys
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require_any  users:read  campaigns::read;
    }
--- must_die
--- error_log
[emerg]
invalid permission "campaigns::read" in "stratum_rbac_require_any":
an empty segment



=== TEST 35: an empty required permission
--- http_config eval: $::Keys
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require  "";
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid permission "" in "stratum_rbac_require": it is empty/



=== TEST 36: permissions need authentication where they apply
--- http_config eval: $::Keys
--- config
    location /api/ {
        stratum_rbac_require  campaigns:read;
    }
--- must_die
--- error_log
[emerg]
"stratum_rbac_require" in
applies to location "/api/", where "stratum_auth" is off



=== TEST 37: inherited into a location where authentication is off
--- http_config eval: $::Keys
--- config
    stratum_auth          on;
    stratum_rbac_require  campaigns:read;

    location /health/ {
        stratum_auth  off;
    }
--- must_die
--- error_log
[emerg]
"stratum_rbac_require" in
applies to location "/health/", where "stratum_auth" is off



=== TEST 38: at the server level while authentication is on only below
--- http_config eval: $::Keys
--- config
    stratum_rbac_require_any  campaigns:read;

    location /api/ {
        stratum_auth  on;
    }
--- must_die
--- error_log
[emerg]
"stratum_rbac_require_any" in
applies to a server where "stratum_auth" is off



=== TEST 39: from the http level, into a server without authentication
--- http_config eval
$::Keys . <<'_EOC_';
    stratum_rbac_require  campaigns:read;
_EOC_
--- config
--- must_die
--- error_log
[emerg]
"stratum_rbac_require" in
applies to a server where "stratum_auth" is off



=== TEST 40: in an "if" block where authentication is off
--- http_config eval: $::Keys
--- config
    location /api/ {
        if ($arg_x) {
            stratum_rbac_require  campaigns:read;
        }
    }
--- must_die
--- error_log
[emerg]
"stratum_rbac_require" in
applies to location "/api/", where "stratum_auth" is off



=== TEST 41: "off" and a permission at the same level
--- http_config eval: $::Keys
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require  off;
        stratum_rbac_require  campaigns:read;
    }
--- must_die
--- error_log
[emerg]
"off" and permissions in "stratum_rbac_require" or
"stratum_rbac_require_any" at the same level



=== TEST 42: "off" after a permission
--- http_config eval: $::Keys
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require_any  campaigns:read  users:read;
        stratum_rbac_require      off;
    }
--- must_die
--- error_log
[emerg]
"off" and permissions in "stratum_rbac_require" or
"stratum_rbac_require_any" at the same level



=== TEST 43: "off" twice
--- http_config eval: $::Keys
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require      off;
        stratum_rbac_require_any  off;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"stratum_rbac_require_any" directive is duplicate/



=== TEST 44: "stratum_rbac_tenant" twice
--- http_config eval: $::Keys
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_tenant  $arg_a;
        stratum_rbac_tenant  $arg_b;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"stratum_rbac_tenant" directive is duplicate/



=== TEST 45: an empty tenant
--- http_config eval: $::Keys
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_tenant  "";
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*empty value in "stratum_rbac_tenant"/



=== TEST 46: an unknown variable
--- http_config eval: $::Keys
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require  $no_such_variable;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*unknown "no_such_variable" variable/



=== TEST 47: "stratum_rbac_dry_run" takes on or off
--- http_config eval: $::Keys
--- config
    stratum_rbac_dry_run  maybe;
--- must_die
--- error_log
[emerg]
invalid value "maybe" in "stratum_rbac_dry_run" directive



=== TEST 48: without arguments
--- http_config eval: $::Keys
--- config
    stratum_auth  on;

    location /api/ {
        stratum_rbac_require;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid number of arguments in "stratum_rbac_require" directive/



=== TEST 49: two roles whose names differ only in case
--- http_config eval
$::Keys . <<'_EOC_';
    stratum_rbac_role  Ops  adm:x;
    stratum_rbac_role  ops  low:y;
_EOC_
--- config
--- must_die
--- error_log
[emerg]
roles "Ops" and "ops" differ only in case



=== TEST 50: a FIFO where the roles file is expected
--- http_config eval
$::Keys . <<'_EOC_';
    stratum_rbac_roles_file  $TEST_NGINX_STRATUM_KEYS/fifo;
_EOC_
--- config
--- must_die
--- error_log eval
["[emerg]", qr{roles file "\S+/fifo" is not a regular file in \S+nginx\.conf:\d+}]



=== TEST 51: "off" among permissions is refused, not taken as a permission named "off"
--- http_config eval: $::Keys
--- config
    location /api/ {
        stratum_auth          on;
        stratum_rbac_require  campaigns:read off;
        empty_gif;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"off" in "stratum_rbac_require" clears the inherited requirements and takes no permission with it in \S+nginx\.conf:\d+/



=== TEST 52: the same for stratum_rbac_require_any, "off" first
--- http_config eval: $::Keys
--- config
    location /api/ {
        stratum_auth              on;
        stratum_rbac_require_any  off campaigns:read;
        empty_gif;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"off" in "stratum_rbac_require_any" clears the inherited requirements/



=== TEST 53: "OFF" is "off" in any case, as nginx's flags read it
--- http_config eval: $::Keys
--- config
    location /api/ {
        stratum_auth          on;
        stratum_rbac_require  campaigns:read OFF;
        empty_gif;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"off" in "stratum_rbac_require" clears the inherited requirements/
