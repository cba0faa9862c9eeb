#!/usr/bin/env bash
# Throughput and p99 of the rate-limit module, side by side in one run.
#
# Two nginx instances, one worker each, both pinned to the first core;
# wrk (64 connections) on the second core; a redis-server of its own on
# loopback.  The cases at 64 connections are measured with wrk -t2 -c64.
# Every case answers with empty_gif (a content handler: the
# access phase runs; "return" would answer before it), and every limit
# is set so high that nothing is refused, so that what is measured is the
# cost of deciding:
#
#   unlimited   the same location, no limiting
#   limit_req   nginx's own limit_req, for reference
#   local       stratum_ratelimit, local backend (shared memory)
#   redis       stratum_ratelimit, Redis backend (one EVALSHA a request)
#   local2      the local backend again, in the second nginx
#   fallback    the second nginx's Redis zone while its Redis is down
#               (nothing listens on its port): the breaker is open, the
#               zone falls back to local, no timeout is paid
#   light, light_redis
#               unlimited and redis again with 4 connections: at 64, wrk
#               saturates the worker and p99 measures queueing; at 4 it
#               shows what the Redis round trip adds to a request
#
# The cases run in interleaved rounds, so that noise hits them alike; the
# medians are printed with their ratios.  A benchmark, never a test.
#
#   bench/ratelimit.sh [ROUNDS] [SECONDS]          defaults: 5 rounds of 5 s
#
# Environment: NGINX_BINARY, BUILD (the modules), BENCH_PORT (19200).

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
seconds=${2:-5}
nginx=${NGINX_BINARY:-/usr/sbin/nginx}
build=${BUILD:-$top/build}
base=${BENCH_PORT:-19200}
redis_port=$((base + 90))
dead_port=$((base + 91))
module=$build/ngx_stratum_ratelimit_module.so

if [ ! -e "$module" ]; then
    echo "bench: $module is missing, run make first" >&2
    exit 1
fi

for t in wrk redis-server redis-cli; do
    command -v $t >/dev/null || { echo "bench: $t is missing" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/stratum-rl-bench.XXXXXX)

cleanup() {
    for p in "$dir"/a/logs/nginx.pid "$dir"/b/logs/nginx.pid; do
        [ -s "$p" ] && kill -QUIT "$(cat "$p")" 2>/dev/null || true
    done
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    sleep 0.3
    rm -rf "$dir"
}
trap cleanup EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
    --appendonly no --daemonize yes --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"

for _ in $(seq 50); do
    [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
done

cores=$(nproc)
affinity=
wrk_cpu=
if [ "$cores" -ge 2 ]; then
    affinity="worker_cpu_affinity 01;"
    wrk_cpu="taskset -c 1"
fi

# NAME PORT REDIS-PORT BLOCKS
write_conf() {
    mkdir -p "$dir/$1/logs" "$dir/$1/conf"
    cat > "$dir/$1/conf/nginx.conf" <<EOF
load_module $module;
worker_processes 1;
$affinity
error_log logs/error.log warn;
pid logs/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    stratum_redis_server 127.0.0.1:$3;
    stratum_redis_pool_size 4;
    stratum_ratelimit_zone loc:16m key=\$remote_addr rate=1000000r/s
                           burst=1000000 backend=local;
    stratum_ratelimit_zone red:16m key=\$remote_addr rate=1000000r/s
                           burst=1000000 backend=redis;
    limit_req_zone \$binary_remote_addr zone=lr:16m rate=1000000r/s;
$4
}
EOF
}

write_conf a "$base" "$redis_port" "
    server { listen 127.0.0.1:$((base + 0)); location / { empty_gif; } }
    server { listen 127.0.0.1:$((base + 1));
             location / { limit_req zone=lr burst=1000000 nodelay;
                          empty_gif; } }
    server { listen 127.0.0.1:$((base + 2));
             location / { stratum_ratelimit loc; empty_gif; } }
    server { listen 127.0.0.1:$((base + 3));
             location / { stratum_ratelimit red; empty_gif; } }"

write_conf b "$base" "$dead_port" "
    server { listen 127.0.0.1:$((base + 10));
             location / { stratum_ratelimit loc; empty_gif; } }
    server { listen 127.0.0.1:$((base + 11));
             location / { stratum_ratelimit red; empty_gif; } }"

"$nginx" -p "$dir/a/" -c conf/nginx.conf -e logs/error.log
"$nginx" -p "$dir/b/" -c conf/nginx.conf -e logs/error.log
sleep 0.5

# the last two: the same locations at light load, where p99 is the time
# a request takes rather than the time it queues
names=(unlimited limit_req local redis local2 fallback light light_redis)
ports=($((base + 0)) $((base + 1)) $((base + 2)) $((base + 3))
       $((base + 10)) $((base + 11)) $((base + 0)) $((base + 3)))
conns=(64 64 64 64 64 64 4 4)

# the second nginx learns that its Redis is down before measuring
curl -s -o /dev/null "http://127.0.0.1:$((base + 11))/" || true

# one wrk run: "RPS P50_MS P99_MS"
measure() {
    $wrk_cpu wrk -t2 -c"$2" -d"${seconds}s" --latency "http://127.0.0.1:$1/" \
    | awk '
        function ms(v) {
            if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
            if (v ~ /ms$/) { sub(/ms$/, "", v); return v }
            if (v ~ /s$/) { sub(/s$/, "", v); return v * 1000 }
            return v
        }
        /^Requests\/sec:/ { rps = $2 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        END { printf "%s %s %s\n", rps, p50, p99 }'
}

median() {
    sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

for i in "${!names[@]}"; do
    : > "$dir/${names[$i]}.rps"
    : > "$dir/${names[$i]}.p50"
    : > "$dir/${names[$i]}.p99"
done

for r in $(seq "$rounds"); do
    for i in "${!names[@]}"; do
        read -r rps p50 p99 < <(measure "${ports[$i]}" "${conns[$i]}")
        echo "$rps" >> "$dir/${names[$i]}.rps"
        echo "$p50" >> "$dir/${names[$i]}.p50"
        echo "$p99" >> "$dir/${names[$i]}.p99"
        printf 'round %s %-11s %10.0f req/s  p50 %6.2f ms  p99 %6.2f ms\n' \
               "$r" "${names[$i]}" "$rps" "$p50" "$p99"
    done
done

echo
printf '%-11s %10s %7s %8s %8s %10s\n' case 'req/s' ratio 'p50 ms' \
       'p99 ms' 'p99 added'

declare -A rps p50 p99
for n in "${names[@]}"; do
    rps[$n]=$(median < "$dir/$n.rps")
    p50[$n]=$(median < "$dir/$n.p50")
    p99[$n]=$(median < "$dir/$n.p99")
done

for n in "${names[@]}"; do
    ref=unlimited
    [ "$n" = fallback ] && ref=local2
    [ "$n" = light_redis ] && ref=light
    awk -v n="$n" -v r="${rps[$n]}" -v m="${p50[$n]}" -v p="${p99[$n]}" \
        -v rr="${rps[$ref]}" -v rp="${p99[$ref]}" -v ref="$ref" '
        BEGIN { printf "%-11s %10.0f %7.3f %8.2f %8.2f %+10.2f  (vs %s)\n",
                       n, r, r / rr, m, p, p - rp, ref }'
done

echo
echo "targets: redis >= 0.85 of unlimited req/s, p99 added <= 1 ms"
echo "         (light_redis vs light);"
echo "         fallback >= 0.9 of local2 req/s"

errors=$(cat "$dir"/a/logs/error.log "$dir"/b/logs/error.log \
         | grep -c '\[error\]\|\[alert\]\|\[crit\]' || true)
echo "error log lines at error or above: $errors (the second nginx logs its"
echo "Redis outage once)"
