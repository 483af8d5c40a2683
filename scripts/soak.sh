#!/usr/bin/env bash
# Soak: MINUTES (10) of mixed load — refresh chains, users/me, code flows —
# with abuse running alongside from the same machine: anonymous sign-in
# starts (login page and login API web flow), wrong passwords for a real
# user, and connections opened and left idle. Every minute it prints the
# server's RSS, open file descriptors and goroutines, the p99 of each
# normal scenario, and how the abuse was answered.
#
#   scripts/soak.sh                 # SQLite, 10 minutes
#   MINUTES=2 scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${MINUTES:-10}
dir=$(mktemp -d /tmp/gatehouse-soak.XXXXXX)
port=18090
pprof=18091
token=soak-registration-token-0123456789abcdef
go build -o "$dir/gatehouse" . && go build -o "$dir/loadgen" ./cmd/loadgen
cat > "$dir/soak.yaml" <<YAML
issuer: http://127.0.0.1:$port
listen: 127.0.0.1:$port
dev: true
database: {driver: sqlite, dsn: "$dir/gatehouse.db"}
master_key_file: $dir/gatehouse.key
log: {level: error}
apps: {registration_token: $token}
http: {pprof_listen: "127.0.0.1:$pprof", trusted_proxies: ["127.0.0.1/32"]}   # abuse says X-Forwarded-For
# The normal load signs its code-flow workers in each minute from 127.0.0.1
# (8 a minute); the abuse, from its own address, meets the same limit.
limits: {login_start: {requests: 200, window: 10m}}
providers: [{name: mock, type: mock}]
YAML
gh() { "$dir/gatehouse" --config "$dir/soak.yaml" "$@"; }
gh migrate >/dev/null
echo 'soak password 123' | gh users create --username soak --password-stdin >/dev/null
"$dir/gatehouse" --config "$dir/soak.yaml" serve >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.05; done

lg() { "$dir/loadgen" --url "http://127.0.0.1:$port" --registration-token "$token" --pid "$pid" --password-user "soak:soak password 123" "$@"; }
p99() { awk -v s="$1" '$1 == s {print $6}' "$2"; }
# The goroutine count (first line of the dump); the dump goes to a file, as
# a pipe closed early by awk would fail curl (and, with pipefail, the script).
goroutines() { curl -s "http://127.0.0.1:$pprof/debug/pprof/goroutine?debug=1" -o "$dir/goroutines.txt"; awk 'NR == 1 {print $NF}' "$dir/goroutines.txt"; }
printf '%-6s %10s %12s %14s %12s %12s %12s %s\n' minute RSS "fds load/idle" "goroutines l/i" "refresh p99" "users-me p99" "code p99" "abuse (requests/errors)"
for m in $(seq 1 "$minutes"); do
  lg --concurrency 8 --duration 20s --scenarios refresh,users-me,code >"$dir/legit.txt" 2>&1 &
  legit=$!
  lg --concurrency 2 --duration 15s --scenarios abuse-idle,abuse-login-start,abuse-web-login,abuse-password >"$dir/abuse.txt" 2>&1 &
  abuse=$!
  sleep 14   # sample while the abuse runs, its held connections still open
  fds_load=$(ls /proc/$pid/fd | wc -l)
  gor_load=$(goroutines)
  wait "$legit" || { cat "$dir/legit.txt"; exit 1; }
  wait "$abuse" || { cat "$dir/abuse.txt"; exit 1; }
  rss=$(awk '/VmRSS/ {print $2 " " $3}' /proc/$pid/status)
  fds=$(ls /proc/$pid/fd | wc -l)
  gor=$(goroutines)
  abuse_summary=$(awk '$1 ~ /^abuse-/ {printf "%s %s/%s  ", substr($1, 7), $2, $7}' "$dir/abuse.txt")
  printf '%-6s %10s %12s %14s %12s %12s %12s %s\n' "$m" "$rss" "$fds_load/$fds" "$gor_load/$gor" \
    "$(p99 refresh "$dir/legit.txt")" "$(p99 users-me "$dir/legit.txt")" "$(p99 code "$dir/legit.txt")" "$abuse_summary"
done
echo "peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
