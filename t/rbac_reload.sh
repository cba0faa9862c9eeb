#!/bin/bash

# The RBAC module across "nginx -s reload": a changed role table is picked
# up, a broken one or a wrong module order is refused while the running
# configuration keeps serving, and unknown roles are warned about once per
# worker.  Test::Nginx cannot reload, hence a script; it prints TAP:
#
#     prove --exec bash t/rbac_reload.sh
#
# Environment, as for the .t files: TEST_NGINX_BINARY (default nginx),
# TEST_NGINX_LOAD_MODULES (the auth module, then this one), STRATUM_JWT
# (the token tool); TEST_NGINX_RBAC_RELOAD_PORT (default 3988).

set -u

nginx=${TEST_NGINX_BINARY:-nginx}
modules=${TEST_NGINX_LOAD_MODULES:?set TEST_NGINX_LOAD_MODULES}
jwt=${STRATUM_JWT:?set STRATUM_JWT to the stratum-jwt token tool}
port=${TEST_NGINX_RBAC_RELOAD_PORT:-3988}

dir=$(mktemp -d "${TMPDIR:-/tmp}/stratum-rbac-reload.XXXXXX") || exit 1

# the workers may run as another user and serve html/ from here
chmod 755 "$dir"
n=0
failed=0


# by the pid, not "nginx -s quit", which needs a valid configuration
cleanup() {
    local pid

    pid=$(cat "$dir/logs/nginx.pid" 2> /dev/null)

    if [ -n "$pid" ] && kill -QUIT "$pid" 2> /dev/null; then
        for _ in $(seq 50); do
            kill -0 "$pid" 2> /dev/null || break
            sleep 0.1
        done

        kill -KILL "$pid" 2> /dev/null
    fi

    rm -rf "$dir"
}

trap cleanup EXIT


ok() {
    n=$((n + 1))

    if [ "$1" = 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=$((failed + 1))
    fi
}


# the two modules in the given order, "auth-first" or "rbac-first"; the
# others of TEST_NGINX_LOAD_MODULES are left out
load_modules() {
    local m auth= rbac=

    for m in $modules; do
        case "$m" in
        *ngx_stratum_auth_module.so) auth=$m ;;
        *ngx_stratum_rbac_module.so) rbac=$m ;;
        esac
    done

    if [ "$1" = auth-first ]; then
        printf 'load_module %s;\nload_module %s;\n' "$auth" "$rbac"
    else
        printf 'load_module %s;\nload_module %s;\n' "$rbac" "$auth"
    fi
}


write_conf() {
    {
        load_modules "$1"
        cat << EOF
worker_processes  1;
pid               logs/nginx.pid;
error_log         logs/error.log info;

events {
    worker_connections  64;
}

http {
    access_log             off;
    client_body_temp_path  tmp;
    proxy_temp_path        tmp;
    fastcgi_temp_path      tmp;
    uwsgi_temp_path        tmp;
    scgi_temp_path         tmp;

    stratum_auth_key_file    $dir/rsa.pub;
    stratum_rbac_roles_file  roles.json;

    server {
        listen  127.0.0.1:$port;
        root    html;

        location /api/ {
            stratum_auth          on;
            stratum_rbac_require  \$arg_p;
        }
    }
}
EOF
    } > "$dir/conf/nginx.conf"
}


write_roles() {
    printf '{"roles": {"analyst": {"permissions": [%s]}}}\n' "$1" \
        > "$dir/conf/roles.json"
}


status() {
    curl -s -o /dev/null -w '%{http_code}' \
         -H "Authorization: Bearer $2" \
         "http://127.0.0.1:$port/api/x?p=$1"
}


# SIGHUP to the master: "nginx -s reload" would parse the configuration
# itself and send nothing when it is broken
reload() {
    kill -HUP "$(cat "$dir/logs/nginx.pid")"
}


# a reload that applies, and the wait until the old worker has exited: it
# keeps accepting until it has read its signal, and would answer requests
# meant for the new one
reload_applied() {
    local before i

    before=$(grep -c 'exited with code' "$dir/logs/error.log")
    reload

    for i in $(seq 50); do
        [ "$(grep -c 'exited with code' "$dir/logs/error.log")" -gt \
          "$before" ] && return 0
        sleep 0.1
    done

    return 1
}


# waits up to 5 s for a status; returns 0 when it is seen
wait_status() {
    local i

    for i in $(seq 50); do
        [ "$(status "$1" "$2")" = "$3" ] && return 0
        sleep 0.1
    done

    return 1
}


# waits up to 5 s for a line in the error log
wait_log() {
    local i

    for i in $(seq 50); do
        grep -q -- "$1" "$dir/logs/error.log" && return 0
        sleep 0.1
    done

    return 1
}


echo "1..12"

mkdir -p "$dir/conf" "$dir/logs" "$dir/html/api" "$dir/tmp"
echo "api" > "$dir/html/api/x"

openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
        -out "$dir/rsa.pem" \
    && openssl pkey -in "$dir/rsa.pem" -pubout -out "$dir/rsa.pub" \
    || exit 1

analyst=$("$jwt" --key "$dir/rsa.pem" --exp 3600 \
          --claims '{"sub":"u1","roles":["analyst"]}') || exit 1
ghost=$("$jwt" --key "$dir/rsa.pem" --exp 3600 \
        --claims '{"sub":"u2","roles":["ghost"]}') || exit 1

write_conf auth-first
write_roles '"campaigns:read"'

"$nginx" -p "$dir/" -c conf/nginx.conf -t > /dev/null 2>&1
ok $? "the first configuration passes nginx -t"

"$nginx" -p "$dir/" -c conf/nginx.conf 2> "$dir/stderr" \
    && wait_status campaigns:read "$analyst" 200
ok $? "nginx started and allows campaigns:read"

[ "$(status campaigns:write "$analyst")" = 403 ]
ok $? "campaigns:write is denied before the reload"

status campaigns:read "$ghost" > /dev/null
status campaigns:read "$ghost" > /dev/null
[ "$(grep -c 'unknown role "ghost"' "$dir/logs/error.log")" = 1 ]
ok $? "an unknown role is warned about once by a worker"


# a changed table

write_roles '"campaigns:read", "campaigns:write"'
reload_applied

wait_status campaigns:write "$analyst" 200
ok $? "campaigns:write is allowed after the reload"

status campaigns:read "$ghost" > /dev/null
status campaigns:read "$ghost" > /dev/null
[ "$(grep -c 'unknown role "ghost"' "$dir/logs/error.log")" = 2 ]
ok $? "the new worker warns once more"


# a broken table is refused, the running one stays

write_roles '"campaigns::delete"'

out=$("$nginx" -p "$dir/" -c conf/nginx.conf -t 2>&1)
[ $? != 0 ] && echo "$out" \
    | grep -q 'pattern "campaigns::delete": an empty segment'
ok $? "nginx -t names the file's error"

reload
wait_log 'invalid permission pattern "campaigns::delete"'
ok $? "the reload is refused with the reason in the error log"

[ "$(status campaigns:write "$analyst")" = 200 ] \
    && [ "$(status campaigns:delete "$analyst")" = 403 ]
ok $? "the running table keeps serving"


# the module order: the .so files are loaded already and keep their
# indexes, only their places in the module list change

write_roles '"campaigns:read"'
write_conf rbac-first

out=$("$nginx" -p "$dir/" -c conf/nginx.conf -t 2>&1)
[ $? != 0 ] && echo "$out" \
    | grep -q 'load ngx_stratum_auth_module before ngx_stratum_rbac_module'
ok $? "nginx -t refuses the rbac module before the auth module"

reload
wait_log 'load ngx_stratum_auth_module before ngx_stratum_rbac_module' \
    && [ "$(status campaigns:write "$analyst")" = 200 ]
ok $? "a reload to that order is refused, the running one stays"

write_conf auth-first
reload

wait_status campaigns:write "$analyst" 403
ok $? "a reload back to the right order applies the new table"

[ "$failed" = 0 ]
