#!/usr/bin/env bash
#
# Stratum demo: real keys, real tokens, a real nginx with the auth module.
#
# Makes an RSA 2048 and an EC P-256 key pair, starts Debian's nginx in a
# private prefix under a temporary directory with examples/nginx.conf,
# mints tokens with build/stratum-jwt and shows what each request gets.
# Exits non-zero when a response is not the expected one; nginx is always
# stopped on the way out.
#
# Environment: NGINX_BINARY (default /usr/sbin/nginx), BUILD (default
# build/), STRATUM_DEMO_PORT (default 18080; the upstream takes the next
# port, the demo's own redis-server the one after), STRATUM_DEMO_KEEP=1
# keeps the temporary directory for a look.

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-$root/build}
nginx=${NGINX_BINARY:-/usr/sbin/nginx}
port=${STRATUM_DEMO_PORT:-18080}
upstream_port=$((port + 1))
redis_port=$((port + 2))
jwt=$build/stratum-jwt

issuer=https://auth.stratum.example
audience=stratum-api

prefix=
failures=0


cleanup() {
    local pid

    if [ -n "$prefix" ] && [ -s "$prefix/redis.pid" ]; then
        kill "$(cat "$prefix/redis.pid")" 2>/dev/null || true
    fi

    if [ -n "$prefix" ] && [ -s "$prefix/logs/nginx.pid" ]; then
        pid=$(cat "$prefix/logs/nginx.pid")

        # a graceful stop first; only this demo's own master is signalled
        kill -QUIT "$pid" 2>/dev/null || true

        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done

        kill -KILL "$pid" 2>/dev/null || true
    fi

    if [ -n "$prefix" ]; then
        if [ "${STRATUM_DEMO_KEEP:-0}" = 1 ]; then
            echo "kept: $prefix"
        else
            rm -rf "$prefix"
        fi
    fi
}

trap cleanup EXIT
trap 'exit 130' INT TERM


port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}


b64url() {
    base64 -w0 | tr '+/' '-_' | tr -d '='
}


mint() {
    "$jwt" "$@"
}


# check NAME EXPECTED_STATUS EXPECTED_TEXT PATH [curl arguments...]
#   EXPECTED_TEXT must appear in the response headers or body ("" = any)

check() {
    local name=$1 want=$2 text=$3 path=$4 out status www body method=GET
    shift 4

    if [ "${1:-}" = -X ]; then
        method=$2
    fi

    out=$(curl -sS -i --max-time 5 "$@" "http://127.0.0.1:$port$path" \
          | tr -d '\r')

    status=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' <<< "$out")
    www=$(sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate: //p' <<< "$out")
    body=$(sed '1,/^$/d' <<< "$out")

    printf '\n== %s\n   %s %s\n   HTTP %s (expected %s)\n' \
           "$name" "$method" "$path" "${status:-none}" "$want"

    if [ -n "$www" ]; then
        printf '   WWW-Authenticate: %s\n' "$www"
    fi

    printf '   %s\n' "$body"

    if [ "$status" != "$want" ]; then
        echo "   FAILED: status $status, expected $want"
        failures=$((failures + 1))

    elif [ -n "$text" ] && ! grep -qF -- "$text" <<< "$out"; then
        echo "   FAILED: response does not contain: $text"
        failures=$((failures + 1))
    fi
}


# build if needed

if [ ! -x "$jwt" ] || [ ! -f "$build/ngx_stratum_auth_module.so" ] \
   || [ ! -f "$build/ngx_stratum_headers_module.so" ]
then
    make -C "$root" --no-print-directory BUILD="$build" all
fi

for p in "$port" "$upstream_port" "$redis_port"; do
    if port_busy "$p"; then
        echo "demo: port $p on 127.0.0.1 is in use;" \
             "set STRATUM_DEMO_PORT to another port" >&2
        exit 1
    fi
done


# a private prefix: the workers (nobody when run as root) read nothing
# but what the master opened, yet may need tmp/ for proxy buffers

prefix=$(mktemp -d /tmp/stratum-demo.XXXXXX)
chmod 755 "$prefix"
mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/tmp" "$prefix/keys" \
         "$prefix/private"
chmod 700 "$prefix/private"


# keys: the issuer's private halves, nginx's public halves, and a key
# nginx does not trust for the forgery

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$prefix/private/demo-rsa.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$prefix/private/demo-ec.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$prefix/private/attacker-rsa.pem" 2>/dev/null

openssl pkey -in "$prefix/private/demo-rsa.pem" -pubout \
    -out "$prefix/keys/demo-rsa.pub"
openssl pkey -in "$prefix/private/demo-ec.pem" -pubout \
    -out "$prefix/keys/demo-ec.pub"

sed -e "s|@BUILD@|$build|g" -e "s|@KEYS@|$prefix/keys|g" \
    -e "s|@PORT@|$port|g" -e "s|@UPSTREAM_PORT@|$upstream_port|g" \
    -e "s|@REDIS_PORT@|$redis_port|g" \
    "$root/examples/nginx.conf" > "$prefix/conf/nginx.conf"
cp "$root/examples/roles.json" "$prefix/conf/roles.json"


# the demo's own redis, on loopback, for the shared rate limits

redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes \
    --dir "$prefix" --pidfile "$prefix/redis.pid" \
    --logfile "$prefix/logs/redis.log" --save '' --appendonly no

for _ in $(seq 50); do
    [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
done

echo "== redis: 127.0.0.1:$redis_port"
echo "== nginx: $nginx -p $prefix/ -c conf/nginx.conf"

"$nginx" -p "$prefix/" -c conf/nginx.conf -t 2>&1 | sed 's/^/   /'
"$nginx" -p "$prefix/" -c conf/nginx.conf

for _ in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break
    sleep 0.1
done


# tokens: every valid one lives 15 minutes, under the 1h max lifetime

admin_claims='{"iss":"'$issuer'","aud":["'$audience'","billing"],
  "sub":"u-1001","tenant_id":"acme","roles":["admin","analyst"],
  "permissions":["users:write","reports:read"],"amr":["pwd","otp"]}'

analyst_claims='{"iss":"'$issuer'","aud":"'$audience'",
  "sub":"u-2002","tenant_id":42,"roles":["analyst"],
  "permissions":["reports:read"],"amr":["pwd"]}'

admin=$(mint --key "$prefix/private/demo-rsa.pem" --alg RS256 \
        --kid demo-rsa --claims "$admin_claims" --iat 0 --exp 900)

analyst=$(mint --key "$prefix/private/demo-ec.pem" --alg ES256 \
          --kid demo-ec --claims "$analyst_claims" --iat 0 --exp 900)

# an hour old, expired well beyond the 30s leeway
expired=$(mint --key "$prefix/private/demo-rsa.pem" --alg RS256 \
          --kid demo-rsa --claims "$analyst_claims" --iat -3600 --exp -600)

# the analyst's token with the payload rewritten to an admin's, the
# analyst's signature kept
forged_payload=$(printf '%s' '{"iss":"'$issuer'","aud":"'$audience'",
  "sub":"u-2002","tenant_id":42,"roles":["admin"],
  "permissions":["users:write"],"amr":["pwd","otp"],
  "iat":'"$(date +%s)"',"exp":'"$(( $(date +%s) + 900 ))"'}' | b64url)
forged=${analyst%%.*}.$forged_payload.${analyst##*.}

# well-formed, claiming kid demo-rsa, signed by a key nginx never saw
forged_key=$(mint --key "$prefix/private/attacker-rsa.pem" --alg RS256 \
             --kid demo-rsa --claims "$admin_claims" --iat 0 --exp 900)


check "admin (RS256, second factor) on the MFA location" \
      200 '"user":"u-1001"' /api/admin/users \
      -H "Authorization: Bearer $admin"

check "analyst (ES256)" \
      200 '"user":"u-2002","tenant":"42"' /api/reports \
      -H "Authorization: Bearer $analyst"

check "analyst with spoofed identity headers (dropped by nginx)" \
      200 '"roles":"analyst"' /api/reports \
      -H "Authorization: Bearer $analyst" \
      -H "X-User-Id: u-1001" -H "X-User-Roles: admin"

check "analyst on the MFA location (no second factor)" \
      401 'insufficient_user_authentication' /api/admin/users \
      -H "Authorization: Bearer $analyst"

check "expired token" \
      401 'token expired' /api/reports \
      -H "Authorization: Bearer $expired"

check "forged: payload changed, signature kept" \
      401 'bad signature' /api/reports \
      -H "Authorization: Bearer $forged"

check "forged: signed by an unknown key" \
      401 'bad signature' /api/admin/users \
      -H "Authorization: Bearer $forged_key"

check "missing token" \
      401 'token missing' /api/reports

# permissions from the role table (examples/roles.json), derived from the
# method; the tenant in the path must be the token's

check "analyst reads a campaign of its tenant" \
      200 '"uri":"/api/tenants/42/campaigns/7"' /api/tenants/42/campaigns/7 \
      -H "Authorization: Bearer $analyst"

check "analyst deletes a campaign (campaigns:delete is not granted)" \
      403 'Permission denied: campaigns:delete' /api/tenants/42/campaigns/7 \
      -X DELETE -H "Authorization: Bearer $analyst"

check "admin deletes a campaign of its tenant" \
      200 '"user":"u-1001"' /api/tenants/acme/campaigns/7 \
      -X DELETE -H "Authorization: Bearer $admin"

check "analyst of tenant 42 reads tenant acme's campaign" \
      403 'Tenant access denied' /api/tenants/acme/campaigns/7 \
      -H "Authorization: Bearer $analyst"

check "the same through a path that normalizes to tenant 42" \
      400 '' '/api/tenants/acme%2F..%2F42/campaigns/7' \
      -H "Authorization: Bearer $analyst"


# a tenant's exports are limited to 3 a minute, counted in Redis

echo
echo "== tenant 42 asks for exports, 3 a minute allowed (counted in Redis)"

for i in 1 2 3 4; do
    out=$(curl -sS -i --max-time 5 -H "Authorization: Bearer $analyst" \
               "http://127.0.0.1:$port/api/exports/report.csv" | tr -d '\r')
    status=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' <<< "$out")
    printf '   request %d: HTTP %s  %s\n' "$i" "$status" \
        "$(grep -iE '^(ratelimit-[a-z]+|retry-after):' <<< "$out" \
           | tr '\n' ' ')"

    want=200
    [ "$i" = 4 ] && want=429

    if [ "$status" != "$want" ]; then
        echo "   FAILED: status $status, expected $want"
        failures=$((failures + 1))
    fi
done

echo "   in Redis: $(redis-cli -p "$redis_port" --scan --pattern 'stratum:rl:*' \
                    | tr '\n' ' ')"


# the security headers ride on every answer, the refusals included

echo
echo "== security headers, here on a 401"
headers=$(curl -sS -o /dev/null -D - --max-time 5 \
               "http://127.0.0.1:$port/api/reports" | tr -d '\r')
grep -iE '^(x-content-type-options|x-frame-options|referrer-policy|content-security-policy|permissions-policy|x-xss-protection|strict-transport-security):' \
    <<< "$headers" | sed 's/^/   /'

for h in 'X-Content-Type-Options: nosniff' 'X-Frame-Options: DENY' \
         'Referrer-Policy: strict-origin-when-cross-origin' \
         'X-XSS-Protection: 1; mode=block' \
         "Content-Security-Policy: default-src 'self'; script-src 'self' 'unsafe-inline' https://js.stripe.com;" \
         'Permissions-Policy: geolocation=(), microphone=(), camera=()'
do
    if ! grep -qiF -- "$h" <<< "$headers"; then
        echo "   FAILED: missing $h"
        failures=$((failures + 1))
    fi
done

# plain HTTP here: HSTS must not be sent
if grep -qi '^strict-transport-security:' <<< "$headers"; then
    echo "   FAILED: HSTS sent over plain HTTP"
    failures=$((failures + 1))
fi


echo
echo "== access log"
sed 's/^/   /' "$prefix/logs/access.log"

echo
echo "== security events (logs/audit.log)"
sed 's/^/   /' "$prefix/logs/audit.log"

if ! grep -q '"event_type":"auth_failure".*"reason":"token_expired"' \
        "$prefix/logs/audit.log"
then
    echo "   FAILED: no auth_failure event for the expired token"
    failures=$((failures + 1))
fi

if grep -q 'eyJ' "$prefix/logs/audit.log"; then
    echo "   FAILED: a token in the audit log"
    failures=$((failures + 1))
fi

# the same events in the Redis stream, added after each response was sent
file_events=$(wc -l < "$prefix/logs/audit.log")
stream_events=0
for _ in $(seq 50); do
    stream_events=$(redis-cli -p "$redis_port" XLEN stratum:audit)
    [ "$stream_events" -ge "$file_events" ] && break
    sleep 0.1
done

echo
echo "== the Redis stream stratum:audit: $stream_events events" \
     "(redis-cli XREVRANGE stratum:audit + - COUNT 1)"
redis-cli -p "$redis_port" --raw XREVRANGE stratum:audit + - COUNT 1 \
    | sed 's/^/   /'

if [ "$stream_events" -ne "$file_events" ]; then
    echo "   FAILED: $file_events events in the file, $stream_events in Redis"
    failures=$((failures + 1))
fi

echo
echo "== refusals in the error log"
grep -o 'stratum \(auth\|rbac\): .*' "$prefix/logs/error.log" | sed 's/^/   /' || true

echo
if [ "$failures" -ne 0 ]; then
    echo "demo: $failures case(s) FAILED"
    exit 1
fi

echo "demo: all cases as expected"
