#!/usr/bin/env bash
# The load check: a few hundred thousand mixed requests at the whole module
# stack, with 2 workers.  A benchmark, never a test: it is not part of
# "make test" nor of CI.
#
# One nginx (master and 2 workers) with every module built in build/ that
# is there (auth, rbac, headers, ratelimit, audit: refusals are written to
# its log), proxying to an upstream server block of its own.  wrk (its
# LuaJIT script written here) rotates through the kinds of request below;
# every request carries its kind and the statuses it may get, which nginx
# echoes back, so an answer that is not the expected one is counted,
# whatever the order of the answers.
#
#   valid      RS256 and ES256 tokens, many subjects          200
#   cached     ES256 tokens through a verification cache too
#              small for them all (it evicts)                  200
#   forged     a valid token with another signature            401
#   expired    exp in the past                                 401
#   malformed  not a JWS                                       401
#   missing    no token at all                                 401
#   denied     valid, without the permission (rbac)            403
#   limited    one subject over its rate (ratelimit)           200 or 429
#
# Reported: requests, 5xx, unexpected answers, worker restarts (worker
# pids before and after, "exited on signal" in the error log) and every
# worker's RSS after a warm-up and after the load.  Expected: zero 5xx,
# zero unexpected, zero restarts, flat memory.  Exit status 1 otherwise.
#
#   bench/load.sh [REQUESTS]        default 300000 (after 20000 warm-up)
#
# Environment: NGINX_BINARY, BUILD (default build/), LOAD_PORT (19200 and
# the next one), LOAD_CONNECTIONS (64), LOAD_KEEP=1 keeps the temporary
# prefix (configuration, logs, the wrk script) for a look afterwards.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
requests=${1:-300000}
warmup=20000
nginx=${NGINX_BINARY:-/usr/sbin/nginx}
build=${BUILD:-$top/build}
jwt=$build/stratum-jwt
port=${LOAD_PORT:-19200}
conns=${LOAD_CONNECTIONS:-64}

for f in "$build/ngx_stratum_auth_module.so" "$jwt"; do
    [ -e "$f" ] || { echo "load: $f is missing, run make first" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "load: wrk is missing" >&2; exit 1; }

have() { [ -e "$build/ngx_stratum_$1_module.so" ]; }

dir=$(mktemp -d /tmp/stratum-load.XXXXXX)
master=
cleanup() {
    if [ -n "$master" ] && kill -QUIT "$master" 2>/dev/null; then
        for _ in $(seq 50); do
            kill -0 "$master" 2>/dev/null || break
            sleep 0.1
        done
    fi
    [ -n "${LOAD_KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT

mkdir -p "$dir/logs" "$dir/conf" "$dir/tmp"
openssl genrsa -out "$dir/rsa.key" 2048 2>/dev/null
openssl rsa -in "$dir/rsa.key" -pubout -out "$dir/rsa.pub" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ec.key"
openssl ec -in "$dir/ec.key" -pubout -out "$dir/ec.pub" 2>/dev/null
openssl genrsa -out "$dir/other.key" 2048 2>/dev/null


# tokens

mint() {
    "$jwt" --claims "$2" --iat 0 --exp "${3:-3600}" $1
}

claims() {
    printf '{"sub":"%s","tenant_id":42,"iss":"https://auth.stratum.example",
     "aud":"stratum-api","roles":["%s"],"amr":["pwd","otp"]}' "$1" "$2"
}

rs="--key $dir/rsa.key --alg RS256 --kid rsa-1"
es="--key $dir/ec.key --alg ES256 --kid ec-1"

# "kind expect method path token", one a line
entries=$dir/entries
: > "$entries"

for i in $(seq 8); do
    t=$(mint "$rs" "$(claims "user-$i" admin)")
    echo "valid 200 GET /api/items/ $t"
    t=$(mint "$es" "$(claims "user-e$i" analyst)")
    echo "valid 200 GET /api/items/ $t"
done >> "$entries"

for i in $(seq 400); do
    t=$(mint "$es" "$(claims "many-$i" analyst)")
    echo "cached 200 GET /api/cached/ $t"
done >> "$entries"

good=$(mint "$rs" "$(claims forger admin)")
other=$(mint "--key $dir/other.key --alg RS256 --kid rsa-1" \
             "$(claims forger admin)")
{
    # the header and claims of a good token, the signature of another key
    echo "forged 401 GET /api/items/ ${good%.*}.${other##*.}"
    echo "forged 401 GET /api/items/ ${good%.*}.AAAA"
    echo "expired 401 GET /api/items/ $(mint "$rs" "$(claims late admin)" -60)"
    t=$(mint "$es" "$(claims late analyst)" -1)
    echo "expired 401 GET /api/cached/ $t"
    echo "malformed 401 GET /api/items/ not-a-token"
    echo "malformed 401 GET /api/items/ eyJhbGciOiJub25lIn0.e30."
    echo "missing 401 GET /api/items/ -"
} >> "$entries"

if have rbac; then
    for i in $(seq 4); do
        t=$(mint "$es" "$(claims "peek-$i" analyst)")
        echo "denied 403 GET /api/admin/ $t"
        t=$(mint "$rs" "$(claims "boss-$i" admin)")
        echo "valid 200 GET /api/admin/ $t"
    done >> "$entries"
fi

if have ratelimit; then
    hot=$(mint "$es" "$(claims hot-user analyst)")
    for i in $(seq 8); do
        echo "limited 200|429 GET /api/limited/ $hot"
    done >> "$entries"
fi


# nginx

load_modules="load_module $build/ngx_stratum_auth_module.so;"
have rbac && load_modules="$load_modules
load_module $build/ngx_stratum_rbac_module.so;"
load_modules="$load_modules
load_module $build/ngx_stratum_headers_module.so;"
have ratelimit && load_modules="$load_modules
load_module $build/ngx_stratum_ratelimit_module.so;"
have audit && load_modules="$load_modules
load_module $build/ngx_stratum_audit_module.so;"

rbac_http= rbac_admin= rl_http= rl_limited= audit_http=

if have rbac; then
    cp "$top/examples/roles.json" "$dir/conf/roles.json"
    rbac_http="stratum_rbac_roles_file roles.json;"
    rbac_admin="stratum_rbac_require users:write;"
fi

if have audit; then
    audit_http="stratum_audit_log logs/audit.log buffer=64k flush=1s;"
fi

if have ratelimit; then
    rl_http="stratum_ratelimit_zone hot:1m key=\$stratum_auth_sub"
    rl_http="$rl_http rate=50r/s burst=20;"
    rl_limited="stratum_ratelimit hot;"
fi

cat > "$dir/conf/nginx.conf" <<EOF
$load_modules

worker_processes  2;
error_log         logs/error.log notice;
pid               logs/nginx.pid;

events {
    worker_connections  1024;
}

http {
    access_log  off;

    client_body_temp_path  tmp/body;
    proxy_temp_path        tmp/proxy;
    fastcgi_temp_path      tmp/fastcgi;
    uwsgi_temp_path        tmp/uwsgi;
    scgi_temp_path         tmp/scgi;

    stratum_auth_cache_zone  small:32k;
    $rbac_http
    $rl_http
    $audit_http

    upstream app {
        server 127.0.0.1:$((port + 1));
        keepalive 32;
    }

    server {
        listen  127.0.0.1:$port;

        stratum_auth_key_file    $dir/rsa.pub kid=rsa-1;
        stratum_auth_key_file    $dir/ec.pub kid=ec-1;
        stratum_auth_algorithms  RS256 ES256;
        stratum_auth_issuer      https://auth.stratum.example;
        stratum_auth_audience    stratum-api;

        stratum_headers  on;

        # the kind and the expected statuses, back to the load script
        add_header  X-Load-Expect  \$http_x_load_expect  always;

        proxy_http_version  1.1;
        proxy_set_header    Connection          "";
        proxy_set_header    X-User-Id           \$stratum_auth_sub;
        proxy_set_header    X-Tenant-Id         \$stratum_auth_tenant_id;
        proxy_set_header    X-User-Roles        \$stratum_auth_roles;
        proxy_set_header    X-Load-Expect       "";

        location /api/items/ {
            stratum_auth  on;
            proxy_pass    http://app;
        }

        location /api/cached/ {
            stratum_auth        on;
            stratum_auth_cache  small;
            proxy_pass          http://app;
        }

        location /api/admin/ {
            stratum_auth  on;
            $rbac_admin
            proxy_pass    http://app;
        }

        location /api/limited/ {
            stratum_auth  on;
            $rl_limited
            proxy_pass    http://app;
        }
    }

    server {
        listen  127.0.0.1:$((port + 1));

        location / {
            return  200  "ok \$http_x_user_id\n";
        }
    }
}
EOF

"$nginx" -p "$dir/" -c conf/nginx.conf
for _ in $(seq 50); do [ -s "$dir/logs/nginx.pid" ] && break; sleep 0.1; done
master=$(cat "$dir/logs/nginx.pid")

workers() {
    local w
    for _ in $(seq 50); do
        w=$(pgrep -P "$master" | sort -n | tr '\n' ' ')
        [ "$(wc -w <<< "$w")" -ge 2 ] && break
        sleep 0.1
    done
    echo "$w"
}

rss() {
    local p
    for p in $1; do
        awk -v p="$p" '/^VmRSS/ { printf "%s:%d ", p, $2 }' \
            "/proc/$p/status" 2>/dev/null || printf '%s:gone ' "$p"
    done
}

# each entry once, by hand, before any load: a wrong answer stops here
while read -r kind expect method path token; do
    hdr=()
    [ "$token" = - ] || hdr=(-H "Authorization: Bearer $token")
    code=$(curl -s -o /dev/null -w '%{http_code}' -X "$method" "${hdr[@]}" \
                "http://127.0.0.1:$port$path")
    if ! grep -qw "$code" <<< "${expect//|/ }"; then
        echo "load: a $kind request answered $code, not $expect" >&2
        exit 1
    fi
done < "$entries"


# the wrk script: the entries as a Lua table, a counter per kind

{
    echo 'local entries = {'
    while read -r kind expect method path token; do
        printf '  { "%s", "%s", "%s", "%s" },\n' \
            "$method" "$path" "$kind:$expect" "$token"
    done < "$entries"
    echo '}'
    cat <<'EOF'

-- the entries by kind, and the order of kinds: a few hundred cached
-- tokens (so that the cache evicts) must not crowd out the rest
local by = {}
for _, e in ipairs(entries) do
    local kind = e[3]:match("^[^:]*")
    by[kind] = by[kind] or { at = 0 }
    table.insert(by[kind], e)
end

local pattern = {}
for _, kind in ipairs({ "valid", "cached", "forged", "valid", "expired",
                        "denied", "cached", "malformed", "valid", "limited",
                        "missing", "cached" }) do
    if by[kind] then
        table.insert(pattern, kind)
    end
end

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    limit = tonumber(args[1])
    n = 0
    i = 0
    got = {}
    bad = {}
    fivexx = 0
end

function request()
    i = i % #pattern + 1
    local list = by[pattern[i]]
    list.at = list.at % #list + 1
    local e = list[list.at]
    local h = { ["X-Load-Expect"] = e[3] }
    if e[4] ~= "-" then
        h["Authorization"] = "Bearer " .. e[4]
    end
    return wrk.format(e[1], e[2], h)
end

function response(status, headers, body)
    local expect = headers["X-Load-Expect"] or "?:?"
    local kind, codes = expect:match("^([^:]*):(.*)$")
    kind = kind or "?"
    local key = kind .. " " .. status
    got[key] = (got[key] or 0) + 1
    if not (codes and ("|" .. codes .. "|"):find("|" .. status .. "|", 1,
                                                   true)) then
        bad[key] = (bad[key] or 0) + 1
    end
    if status >= 500 then
        fivexx = fivexx + 1
    end
    n = n + 1
    if n == limit then
        -- wrk ends at -d or on a SIGINT its main thread takes, so the
        -- signal comes once this thread is gone; wrk is the shell's parent
        wrk.thread:stop()
        os.execute("(sleep 0.5; kill -INT $PPID) &")
    end
end

function done(summary, latency, requests)
    local got_all, bad_all, fivexx_all = {}, {}, 0
    for _, t in ipairs(threads) do
        for k, v in pairs(t:get("got")) do
            got_all[k] = (got_all[k] or 0) + v
        end
        for k, v in pairs(t:get("bad")) do
            bad_all[k] = (bad_all[k] or 0) + v
        end
        fivexx_all = fivexx_all + t:get("fivexx")
    end
    local keys = {}
    for k in pairs(got_all) do table.insert(keys, k) end
    table.sort(keys)
    for _, k in ipairs(keys) do
        io.write(string.format("load: answers %-16s %d\n", k, got_all[k]))
    end
    local nbad = 0
    for k, v in pairs(bad_all) do
        io.write(string.format("load: UNEXPECTED %-16s %d\n", k, v))
        nbad = nbad + v
    end
    io.write(string.format("load: requests %d, 5xx %d, unexpected %d, "
                           .. "socket errors %d\n",
                           summary.requests, fivexx_all, nbad,
                           summary.errors.connect + summary.errors.read
                           + summary.errors.write + summary.errors.timeout))
end
EOF
} > "$dir/load.lua"

# one wrk thread: the count of answers is the thread's own
run() {
    wrk -t1 -c"$conns" -d600s -s "$dir/load.lua" \
        "http://127.0.0.1:$port" -- "$1"
}

mods=auth
have rbac && mods="$mods rbac"
mods="$mods headers"
have ratelimit && mods="$mods ratelimit"
have audit && mods="$mods audit"
echo "load: modules: $mods; $(wc -l < "$entries") distinct requests"

run "$warmup" > "$dir/warmup.out"

before=$(workers)
rss_before=$(rss "$before")

run "$requests" | tee "$dir/load.out"

after=$(workers)
rss_after=$(rss "$after")

signals=$(grep -c 'exited on signal' "$dir/logs/error.log" || true)
alerts=$(grep -c '\[alert\]\|\[crit\]\|\[emerg\]' "$dir/logs/error.log" || true)

echo "load: $(grep -E 'requests in|Requests/sec' "$dir/load.out" | xargs)"
echo "load: workers before: $before after: $after"
echo "load: worker RSS (kB) after $warmup warm-up requests: $rss_before"
echo "load: worker RSS (kB) after $requests more:        $rss_after"
echo "load: 'exited on signal' in the error log: $signals;" \
     "alert/crit/emerg lines: $alerts"

status=0

fivexx=$(sed -n 's/.*, 5xx \([0-9]*\),.*/\1/p' "$dir/load.out")
unexpected=$(sed -n 's/.*unexpected \([0-9]*\),.*/\1/p' "$dir/load.out")

[ "${fivexx:-x}" = 0 ] || { echo "load: 5xx answers" >&2; status=1; }
[ "${unexpected:-x}" = 0 ] || { echo "load: unexpected answers" >&2; status=1; }
[ "$before" = "$after" ] && [ "$signals" = 0 ] \
    || { echo "load: a worker restarted" >&2; status=1; }

# flat: no worker grew by more than 2 MiB over the load
growth=$(awk -v a="$rss_before" -v b="$rss_after" 'BEGIN {
    n = split(a, x, " "); split(b, y, " "); max = 0;
    for (i = 1; i <= n; i++) {
        split(x[i], p, ":"); split(y[i], q, ":");
        if (q[2] - p[2] > max) max = q[2] - p[2];
    }
    print max }')
echo "load: largest worker RSS growth: $growth kB"
[ "$growth" -le 2048 ] || { echo "load: memory grew" >&2; status=1; }

if [ "$alerts" != 0 ]; then
    grep '\[alert\]\|\[crit\]\|\[emerg\]' "$dir/logs/error.log" | head -5 >&2
fi

exit $status
