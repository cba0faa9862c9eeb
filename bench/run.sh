#!/usr/bin/env bash
# Throughput of the auth module against the ceiling, measured side by side.
#
# One nginx, one worker pinned to one core, wrk pinned to the other.  Each
# case is its own server block on its own port:
#
#   ceiling       return 200, no auth (the issue's ceiling)
#   gif           empty_gif, no auth (the content handler the auth cases
#                 answer with: "return" would run before the access check)
#   rs256         a valid RS256 token, verification cache off
#   es256         a valid ES256 token, verification cache off
#   rs256-cached  the same RS256 token again and again, cache on
#   rbac          rs256-cached plus a permission and a tenant check
#   add-header    empty_gif with the security set from add_header ... always
#   stratum-hdrs  empty_gif with the same set from stratum_headers on
#
# The cases run in interleaved rounds (noise hits them alike); the medians
# and the ratios to the ceiling are printed.  A benchmark, never a test.
#
#   bench/run.sh [ROUNDS] [SECONDS]          defaults: 5 rounds of 5 s

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
seconds=${2:-5}
nginx=${NGINX_BINARY:-/usr/sbin/nginx}
build=${BUILD:-$top/build}
jwt=$build/stratum-jwt
base=${BENCH_PORT:-19100}

for f in "$build/ngx_stratum_auth_module.so" \
         "$build/ngx_stratum_rbac_module.so" \
         "$build/ngx_stratum_headers_module.so" "$jwt"; do
    [ -e "$f" ] || { echo "bench: $f is missing, run make first" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "bench: wrk is missing" >&2; exit 1; }

dir=$(mktemp -d /tmp/stratum-bench.XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && sleep 0.2
    rm -rf "$dir"
}
trap cleanup EXIT

mkdir -p "$dir/logs" "$dir/conf"
openssl genrsa -out "$dir/rsa.key" 2048 2>/dev/null
openssl rsa -in "$dir/rsa.key" -pubout -out "$dir/rsa.pub" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ec.key"
openssl ec -in "$dir/ec.key" -pubout -out "$dir/ec.pub" 2>/dev/null

claims='{"sub":"user-4711","tenant_id":42,"iss":"https://auth.stratum.example",
 "aud":"stratum-api","roles":["admin","analyst"],
 "permissions":["campaigns:read","analytics:read"],"amr":["pwd","otp"]}'
rs=$("$jwt" --key "$dir/rsa.key" --alg RS256 --kid rsa-1 \
            --claims "$claims" --iat 0 --exp 3600)
es=$("$jwt" --key "$dir/ec.key" --alg ES256 --kid ec-1 \
            --claims "$claims" --iat 0 --exp 3600)

cores=$(nproc)
affinity=
if [ "$cores" -ge 2 ]; then
    affinity="worker_cpu_affinity 01;"
fi

policy="stratum_auth on;
            stratum_auth_key_file $dir/rsa.pub kid=rsa-1;
            stratum_auth_key_file $dir/ec.pub kid=ec-1;
            stratum_auth_algorithms RS256 ES256;
            stratum_auth_issuer https://auth.stratum.example;
            stratum_auth_audience stratum-api;"

cat > "$dir/conf/nginx.conf" <<EOF
load_module $build/ngx_stratum_auth_module.so;
load_module $build/ngx_stratum_rbac_module.so;
load_module $build/ngx_stratum_headers_module.so;
worker_processes 1;
$affinity
error_log logs/error.log warn;
pid logs/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    stratum_auth_cache_zone bench:16m;
    server { listen 127.0.0.1:$((base + 0)); location / { return 200; } }
    server { listen 127.0.0.1:$((base + 1)); location / { empty_gif; } }
    server {
        listen 127.0.0.1:$((base + 2));
        location / { $policy empty_gif; }
    }
    server {
        listen 127.0.0.1:$((base + 3));
        location / { $policy empty_gif; }
    }
    server {
        listen 127.0.0.1:$((base + 4));
        location / { $policy stratum_auth_cache bench; empty_gif; }
    }
    stratum_rbac_role  analyst campaigns:read analytics:read;
    stratum_rbac_role  admin users:* campaigns:* analytics:*;
    server {
        listen 127.0.0.1:$((base + 5));
        location ~ ^/t/(?<tenant>[^/]+)/ {
            $policy stratum_auth_cache bench;
            stratum_rbac_require campaigns:read;
            stratum_rbac_tenant \$tenant;
            empty_gif;
        }
    }
    server {
        listen 127.0.0.1:$((base + 6));
        location / {
            add_header X-Content-Type-Options nosniff always;
            add_header X-Frame-Options DENY always;
            add_header Referrer-Policy strict-origin-when-cross-origin always;
            add_header Content-Security-Policy "default-src 'self'" always;
            add_header Permissions-Policy
                       "geolocation=(), microphone=(), camera=()" always;
            add_header X-XSS-Protection 0 always;
            empty_gif;
        }
    }
    server {
        listen 127.0.0.1:$((base + 7));
        location / { stratum_headers on; empty_gif; }
    }
}
EOF

"$nginx" -p "$dir" -c conf/nginx.conf
for _ in $(seq 50); do [ -s "$dir/logs/nginx.pid" ] && break; sleep 0.1; done
pid=$(cat "$dir/logs/nginx.pid")

names=(ceiling gif rs256 es256 rs256-cached rbac add-header stratum-hdrs)
tokens=("$rs" "$rs" "$rs" "$es" "$rs" "$rs" "$rs" "$rs")
paths=(/ / / / / /t/42/x / /)

# every protected case must really pass the check before it is timed
for i in 2 3 4 5; do
    code=$(curl -s -o /dev/null -w '%{http_code}' \
                -H "Authorization: Bearer ${tokens[$i]}" \
                "http://127.0.0.1:$((base + i))${paths[$i]}")
    if [ "$code" != 200 ]; then
        echo "bench: ${names[$i]} answered $code, not 200" >&2
        exit 1
    fi
done

code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((base + 2))/")
[ "$code" = 401 ] || { echo "bench: no token answered $code" >&2; exit 1; }

code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $rs" \
            "http://127.0.0.1:$((base + 5))/t/43/x")
if [ "$code" != 403 ]; then
    echo "bench: another tenant answered $code" >&2
    exit 1
fi

for i in 6 7; do
    if ! curl -s -D - -o /dev/null "http://127.0.0.1:$((base + i))/" \
         | grep -qi '^content-security-policy:'
    then
        echo "bench: ${names[$i]} sends no security headers" >&2
        exit 1
    fi
done

wrk_cpu=
if [ "$cores" -ge 2 ]; then
    wrk_cpu="taskset -c 1"
fi

declare -A results
for r in $(seq "$rounds"); do
    for i in "${!names[@]}"; do
        out=$($wrk_cpu wrk -t1 -c32 -d"${seconds}s" \
                  -H "Authorization: Bearer ${tokens[$i]}" \
                  "http://127.0.0.1:$((base + i))${paths[$i]}")
        if grep -q 'Non-2xx' <<< "$out"; then
            echo "bench: ${names[$i]} got non-2xx answers:" >&2
            echo "$out" >&2
            exit 1
        fi
        rps=$(awk '/^Requests\/sec/ { print $2 }' <<< "$out")
        results[$i]="${results[$i]:-} $rps"
        printf 'round %d  %-13s %10.0f req/s\n' "$r" "${names[$i]}" "$rps"
    done
done

median() {
    tr ' ' '\n' | grep -v '^$' | sort -g \
        | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
                                     else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# the ratio of the medians, and the median (lowest, highest) of each
# round's ratio to the ceiling measured in the same round: a slow drift
# of the machine moves the first, hardly the second

round_ratios() {
    paste <(tr ' ' '\n' <<< "$1" | grep -v '^$') \
          <(tr ' ' '\n' <<< "$2" | grep -v '^$') \
        | awk '{ print $1 / $2 }'
}

echo
printf '%-13s %12s %10s %24s\n' case "median req/s" "/ceiling" \
       "per round (min-max)"
ceiling=$(echo "${results[0]}" | median)
for i in "${!names[@]}"; do
    m=$(echo "${results[$i]}" | median)
    rr=$(round_ratios "${results[$i]}" "${results[0]}")
    printf '%-13s %12.0f %10.3f %10.3f (%.3f-%.3f)\n' "${names[$i]}" "$m" \
        "$(awk -v a="$m" -v b="$ceiling" 'BEGIN { print a / b }')" \
        "$(median <<< "$rr")" "$(sort -g <<< "$rr" | head -1)" \
        "$(sort -g <<< "$rr" | tail -1)"
done

if grep -q '\[alert\]\|\[emerg\]\|\[crit\]' "$dir/logs/error.log"; then
    echo "bench: the error log has alerts:" >&2
    grep '\[alert\]\|\[emerg\]\|\[crit\]' "$dir/logs/error.log" | head >&2
    exit 1
fi
