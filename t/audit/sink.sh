#!/usr/bin/env bash
# The audit file sink under traffic, with 2 workers: the file is rotated
# (mv + USR1, as logrotate does) and the configuration reloaded (HUP)
# while 4 clients send N requests each; after a graceful stop the two
# files must hold exactly 4 * N events, every one a whole JSON line, and
# the hash chains of every worker must hold across the rotation.
#
#   t/audit/sink.sh [N]
#
# Environment: TEST_NGINX_BINARY, TEST_NGINX_LOAD_MODULES (the audit
# module's .so last or alone), TEST_NGINX_PORT (default 8984).

set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-5000}
nginx=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
port=${TEST_NGINX_PORT:-8984}
dir=$(mktemp -d /tmp/stratum-audit-sink.XXXXXX)
pid=

cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -QUIT "$pid"
        sleep 0.5
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

mkdir -p "$dir/logs" "$dir/conf"

load=
for m in ${TEST_NGINX_LOAD_MODULES:?set TEST_NGINX_LOAD_MODULES}; do
    load="$load load_module $m;"
done

user=
[ "$(id -u)" -eq 0 ] && user="user root;"

cat > "$dir/conf/nginx.conf" <<_EOC_
$load
$user
worker_processes 2;
error_log logs/error.log notice;
pid logs/nginx.pid;
events { worker_connections 256; accept_mutex off; }
http {
    access_log off;
    stratum_audit_log  logs/audit.log  buffer=16k  flush=200ms  chain;
    server {
        listen 127.0.0.1:$port;
        location /r/ {
            stratum_audit_requests  on;
            empty_gif;
        }
    }
}
_EOC_

"$nginx" -p "$dir" -c conf/nginx.conf
sleep 0.3
pid=$(cat "$dir/logs/nginx.pid")

for c in 1 2 3 4; do
    curl -s -o /dev/null "http://127.0.0.1:$port/r/$c-[1-$n]" &
done

sleep 0.2
mv "$dir/logs/audit.log" "$dir/logs/audit.log.1"
kill -USR1 "$pid"
sleep 0.2
kill -HUP "$pid"

wait %1 %2 %3 %4

kill -QUIT "$pid"
for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
pid=

want=$((4 * n))
got=$(cat "$dir/logs/audit.log.1" "$dir/logs/audit.log" | wc -l)
rotated=$(wc -l < "$dir/logs/audit.log.1")

echo "events: $got of $want ($rotated before the rotation)"
[ "$rotated" -gt 0 ] && [ "$rotated" -lt "$want" ] \
    || echo "note: the rotation did not fall inside the traffic"

cat "$dir/logs/audit.log.1" "$dir/logs/audit.log" > "$dir/all.log"
"$top/tools/stratum-audit-verify" "$dir/all.log" | sed "s|$dir/||"

if grep -E '\[(alert|crit|emerg|error)\]' "$dir/logs/error.log"; then
    echo "FAIL: errors in the error log"
    exit 1
fi

[ "$got" -eq "$want" ] || { echo "FAIL: $got events, want $want"; exit 1; }
echo "PASS"
