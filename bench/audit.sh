#!/usr/bin/env bash
# Throughput with the audit file sink recording every request, against the
# sink off and against access_log in JSON form, measured side by side.
#
# One nginx, one worker pinned to one core, wrk pinned to the other.  Each
# case is its own server on its own port, all answering with empty_gif
# (a content handler, as a protected location would):
#
#   off           no audit, no access_log
#   audit         stratum_audit_log buffer=64k flush=1s, every request
#   audit-nobuf   the same, unbuffered (one write() per event)
#   audit-chain   buffered, with the hash chain (one SHA-256 per event)
#   json-log      access_log with a JSON format (escape=json), buffer=64k,
#                 the same fields as an event
#
# Interleaved rounds; medians and ratios to "off".  A benchmark, never a
# test.
#
#   bench/audit.sh [ROUNDS] [SECONDS]        defaults: 5 rounds of 5 s
#
# Environment: NGINX_BINARY, BUILD (the modules), BENCH_PORT (19300).

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
seconds=${2:-5}
nginx=${NGINX_BINARY:-/usr/sbin/nginx}
build=${BUILD:-$top/build}
base=${BENCH_PORT:-19300}

[ -e "$build/ngx_stratum_audit_module.so" ] \
    || { echo "bench: $build/ngx_stratum_audit_module.so is missing" >&2;
         exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk is missing" >&2; exit 1; }

dir=$(mktemp -d /tmp/stratum-bench-audit.XXXXXX)
chmod 755 "$dir"
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && sleep 0.2
    rm -rf "$dir"
}
trap cleanup EXIT

mkdir -p "$dir/logs" "$dir/conf"

cores=$(nproc)
affinity=
[ "$cores" -ge 2 ] && affinity="worker_cpu_affinity 01;"
user=
[ "$(id -u)" -eq 0 ] && user="user root;"

cat > "$dir/conf/nginx.conf" <<_EOC_
load_module $build/ngx_stratum_audit_module.so;
worker_processes 1;
$affinity
$user
error_log logs/error.log warn;
pid logs/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;

    log_format json escape=json '{"timestamp":"\$time_iso8601",'
        '"event_type":"request","success":true,"user_id":null,'
        '"tenant_id":null,"mfa_used":false,"ip_address":"\$remote_addr",'
        '"user_agent":"\$http_user_agent","method":"\$request_method",'
        '"path":"\$uri","status":\$status,"request_id":"\$request_id"}';

    server { listen 127.0.0.1:$((base + 0)); location / { empty_gif; } }
    server {
        listen 127.0.0.1:$((base + 1));
        stratum_audit_log logs/audit.log buffer=64k flush=1s;
        stratum_audit_requests on;
        location / { empty_gif; }
    }
    server {
        listen 127.0.0.1:$((base + 2));
        stratum_audit_log logs/audit-nobuf.log;
        stratum_audit_requests on;
        location / { empty_gif; }
    }
    server {
        listen 127.0.0.1:$((base + 3));
        stratum_audit_log logs/audit-chain.log buffer=64k flush=1s chain;
        stratum_audit_requests on;
        location / { empty_gif; }
    }
    server {
        listen 127.0.0.1:$((base + 4));
        access_log logs/json.log json buffer=64k flush=1s;
        location / { empty_gif; }
    }
}
_EOC_

"$nginx" -p "$dir" -c conf/nginx.conf
for _ in $(seq 50); do [ -s "$dir/logs/nginx.pid" ] && break; sleep 0.1; done
pid=$(cat "$dir/logs/nginx.pid")

names=(off audit audit-nobuf audit-chain json-log)

wrk_cpu=
[ "$cores" -ge 2 ] && wrk_cpu="taskset -c 1"

declare -A results
for r in $(seq "$rounds"); do
    for i in "${!names[@]}"; do
        out=$($wrk_cpu wrk -t1 -c32 -d"${seconds}s" \
                  -H "User-Agent: bench/1.0 (\"quoted\")" \
                  "http://127.0.0.1:$((base + i))/api/v1/items")
        if grep -q 'Non-2xx' <<< "$out"; then
            echo "bench: ${names[$i]} got non-2xx answers:" >&2
            echo "$out" >&2
            exit 1
        fi
        rps=$(awk '/^Requests\/sec/ { print $2 }' <<< "$out")
        results[$i]="${results[$i]:-} $rps"
        printf 'round %d  %-12s %10.0f req/s\n' "$r" "${names[$i]}" "$rps"
    done
done

median() {
    tr ' ' '\n' | grep -v '^$' | sort -g \
        | awk '{ a[NR] = $1 }
               END { if (NR % 2) print a[(NR + 1) / 2];
                     else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

echo
printf '%-12s %12s %8s\n' case "median req/s" "/off"
off=$(echo "${results[0]}" | median)
for i in "${!names[@]}"; do
    m=$(echo "${results[$i]}" | median)
    printf '%-12s %12.0f %8.3f\n' "${names[$i]}" "$m" \
        "$(awk -v a="$m" -v b="$off" 'BEGIN { print a / b }')"
done

kill -QUIT "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
pid=

echo
echo "lines written: audit $(wc -l < "$dir/logs/audit.log")," \
     "unbuffered $(wc -l < "$dir/logs/audit-nobuf.log")," \
     "chain $(wc -l < "$dir/logs/audit-chain.log")," \
     "json $(wc -l < "$dir/logs/json.log")"
"$top/tools/stratum-audit-verify" "$dir/logs/audit-chain.log" \
    | sed "s|$dir/||"

if grep -q '\[alert\]\|\[emerg\]\|\[crit\]' "$dir/logs/error.log"; then
    echo "bench: the error log has alerts:" >&2
    grep '\[alert\]\|\[emerg\]\|\[crit\]' "$dir/logs/error.log" | head >&2
    exit 1
fi
