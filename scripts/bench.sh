#!/usr/bin/env bash
# Measure Gatehouse on this machine: start-up to /readyz on an existing
# database, idle and peak RSS, and the load scenarios of cmd/loadgen next to
# the bare-Echo ceiling, all in one run.
#
#   scripts/bench.sh                      # SQLite
#   scripts/bench.sh postgres "$DSN"      # PostgreSQL (an empty database)
#   DURATION=10s CONCURRENCY=32 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
driver=${1:-sqlite}
dsn=${2:-}
dir=$(mktemp -d /tmp/gatehouse-bench.XXXXXX)
port=${PORT:-18080}   # PORT=… when another bench runs on this machine
token=bench-registration-token-0123456789abcdef
# Installed as a copy, as a deployment would: the Go linker writes its output
# through mmap, and a process started from that very file has about 4 MB
# more of it resident (see BENCHMARKS.md); a copy is what packages, images
# and `install` put in place.
go build -o "$dir/gatehouse.built" . && install -m 755 "$dir/gatehouse.built" "$dir/gatehouse" && rm "$dir/gatehouse.built"
go build -o "$dir/loadgen" ./cmd/loadgen
[ "$driver" = sqlite ] && dsn="$dir/gatehouse.db"
cat > "$dir/bench.yaml" <<YAML
issuer: http://127.0.0.1:$port
listen: 127.0.0.1:$port
dev: true
database: {driver: $driver, dsn: "$dsn"}
master_key_file: $dir/gatehouse.key
log: {level: warn}
apps: {registration_token: $token}
login: {password_attempts: 1000000}
# Every client is 127.0.0.1 here: lift the per-address limits out of the way.
limits:
  login_start: {requests: 1000000, window: 1m}
  authorize: {requests: 1000000, window: 1m}
  device_authorization: {requests: 1000000, window: 1m}
  device_entry: {requests: 1000000, window: 1m}
  registration: {requests: 1000000, window: 1m}
providers: [{name: mock, type: mock}]
YAML
gh() { "$dir/gatehouse" --config "$dir/bench.yaml" "$@"; }
gh migrate >/dev/null
echo 'bench password 123' | gh users create --username bench --password-stdin >/dev/null
# The password grant is operator-only: its app is made with the CLI.
pwapp=$(gh apps create --name bench-password --redirect-uri http://127.0.0.1:1/cb --grant password --scope profile)
# The refresh-resource scenario asks tokens for an API (RFC 8707).
gh apis create --identifier https://bench.example/api --name bench --scope 'read:bench=Read the bench' >/dev/null
pwclient="$(sed -n 's/.*"client_id": *"\([^"]*\)".*/\1/p' <<<"$pwapp"):$(sed -n 's/.*"client_secret": *"\([^"]*\)".*/\1/p' <<<"$pwapp")"
# So is token exchange (the token-exchange scenario narrows a user's token).
xapp=$(gh apps create --name bench-exchange --grant urn:ietf:params:oauth:grant-type:token-exchange --scope profile)
xclient="$(sed -n 's/.*"client_id": *"\([^"]*\)".*/\1/p' <<<"$xapp"):$(sed -n 's/.*"client_secret": *"\([^"]*\)".*/\1/p' <<<"$xapp")"

start_server() {   # sets pid and ms
  t0=$(date +%s%N)
  "$dir/gatehouse" --config "$dir/bench.yaml" serve >"$dir/server.log" 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.005; done
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}
start_server; first=$ms; kill "$pid"; wait "$pid" 2>/dev/null || true   # the first start makes the keys
start_server
echo "start-up to ready (existing database): ${ms} ms (first start, generating keys: ${first} ms)"
sleep 1
echo "idle RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
"$dir/loadgen" --url "http://127.0.0.1:$port" --registration-token "$token" --pid "$pid" \
  --concurrency "${CONCURRENCY:-32}" --duration "${DURATION:-5s}" --password-user "bench:bench password 123" --password-client "$pwclient" \
  --exchange-client "$xclient" --resource https://bench.example/api \
  --scenarios "${SCENARIOS:-bare-get,bare-post,discovery,jwks,users-me,introspect,client_credentials,token-exchange,refresh,refresh-resource,refresh-openid,code,password,rs256-sign,password-hash}"
echo "peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
kill "$pid"; wait "$pid" 2>/dev/null || true
rm -rf "$dir"
