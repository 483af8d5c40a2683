#!/usr/bin/env bash
# Two Gatehouse instances on one PostgreSQL database, as behind a load
# balancer: a load generator per instance runs refresh chains at the same
# time, and the sum of their rates is the cluster's refresh rate.
#
#   scripts/bench-two.sh "host=127.0.0.1 port=54329 user=gh dbname=bench sslmode=disable"   # an empty database
#   DURATION=10s CONCURRENCY=16 scripts/bench-two.sh "$DSN"
set -euo pipefail
cd "$(dirname "$0")/.."
dsn=${1:?usage: scripts/bench-two.sh POSTGRES_DSN}
dir=$(mktemp -d /tmp/gatehouse-bench2.XXXXXX)
token=bench-registration-token-0123456789abcdef
go build -o "$dir/gatehouse" . && go build -o "$dir/loadgen" ./cmd/loadgen
cat > "$dir/two.yaml" <<YAML
issuer: http://127.0.0.1:18081
dev: true
database: {driver: postgres, dsn: "$dsn"}
master_key_file: $dir/gatehouse.key
log: {level: warn}
apps: {registration_token: $token}
providers: [{name: mock, type: mock}]
YAML
"$dir/gatehouse" --config "$dir/two.yaml" migrate >/dev/null
pids=()
for port in 18081 18082; do
  GATEHOUSE_LISTEN=127.0.0.1:$port "$dir/gatehouse" --config "$dir/two.yaml" serve >"$dir/$port.log" 2>&1 &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$dir"' EXIT
for port in 18081 18082; do
  until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.01; done
done
i=0 loads=()
for port in 18081 18082; do
  "$dir/loadgen" --url "http://127.0.0.1:$port" --registration-token "$token" --pid "${pids[$i]}" \
    --concurrency "${CONCURRENCY:-16}" --duration "${DURATION:-5s}" --scenarios refresh >"$dir/load.$port" 2>&1 &
  loads+=($!)
  i=$((i + 1))
done
wait "${loads[@]}"
for port in 18081 18082; do echo "instance :$port"; tail -n 2 "$dir/load.$port"; done
awk '$1 == "refresh" {sum += $3} END {printf "total refresh req/s: %d\n", sum}' "$dir"/load.*
