#!/usr/bin/env bash
# A throwaway N-shard ClickHouse cluster on loopback, for tests, CI and development.
#
#   scripts/clickhouse-cluster.sh start DIR [SHARDS]   start SHARDS servers (default 2) under DIR,
#                                                      print their comma-separated HTTP URLs
#   scripts/clickhouse-cluster.sh stop DIR             stop them and remove DIR
#
# Each shard gets a generated config.xml/users.xml (a `default` user with no password, loopback
# only), its own data path and free ports, and a `<remote_servers>` section naming the cluster
# `traitforge` over all shards (for ad-hoc Distributed queries: Traitforge itself queries shards
# in parallel and needs no cluster). Debian's clickhouse-server (18.16) runs as root here.
# `start` fails (non-zero) when a server does not answer /ping within 30 s.
set -euo pipefail

CLICKHOUSE_SERVER=${CLICKHOUSE_SERVER:-clickhouse-server}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

start() {
  local dir=$1 shards=${2:-2}
  command -v "$CLICKHOUSE_SERVER" >/dev/null || { echo "clickhouse-server is not installed" >&2; return 1; }
  mkdir -p "$dir"
  local i http tcp inter
  local -a https tcps
  for ((i = 1; i <= shards; i++)); do
    https[i]=$(free_port)
    tcps[i]=$(free_port)
  done
  local remote="<traitforge>"
  for ((i = 1; i <= shards; i++)); do
    remote+="<shard><replica><host>127.0.0.1</host><port>${tcps[i]}</port></replica></shard>"
  done
  remote+="</traitforge>"
  local urls=()
  for ((i = 1; i <= shards; i++)); do
    local shard="$dir/shard$i"
    http=${https[i]} tcp=${tcps[i]} inter=$(free_port)
    mkdir -p "$shard/data" "$shard/tmp" "$shard/log"
    cat >"$shard/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
EOF
    cat >"$shard/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$shard/log/server.log</log><errorlog>$shard/log/error.log</errorlog></logger>
  <http_port>$http</http_port>
  <tcp_port>$tcp</tcp_port>
  <interserver_http_port>$inter</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$shard/data/</path>
  <tmp_path>$shard/tmp/</tmp_path>
  <users_config>$shard/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <remote_servers>$remote</remote_servers>
</yandex>
EOF
    (cd "$shard" && exec "$CLICKHOUSE_SERVER" --config-file="$shard/config.xml" >"$shard/log/stdout.log" 2>&1) &
    echo $! >"$shard/pid"
    urls+=("http://127.0.0.1:$http")
  done
  local url
  for url in "${urls[@]}"; do
    local tries=0
    until [ "$(curl -s --max-time 2 "$url/ping" || true)" = "Ok." ]; do
      tries=$((tries + 1))
      if [ $tries -ge 150 ]; then
        echo "ClickHouse at $url did not answer /ping" >&2
        cat "$dir"/shard*/log/error.log >&2 2>/dev/null || true
        stop "$dir"
        return 1
      fi
      sleep 0.2
    done
  done
  (IFS=,; echo "${urls[*]}")
}

stop() {
  local dir=$1 pidfile pid
  for pidfile in "$dir"/shard*/pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:?usage: $0 start DIR [SHARDS]}" "${3:-2}" ;;
  stop) stop "${2:?usage: $0 stop DIR}" ;;
  *) echo "usage: $0 start DIR [SHARDS] | stop DIR" >&2; exit 2 ;;
esac
