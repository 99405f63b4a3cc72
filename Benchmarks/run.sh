#!/usr/bin/env bash
# Runnel's benchmark suite (`make bench`): bash Benchmarks/run.sh BINARY
#
# Prints a report and writes it to Benchmarks/out/report.txt (raw tool output and
# server logs land in Benchmarks/out/ too). The server runs pinned to core 0, load
# generators and clients to core 1; loopback only; every process started here is
# stopped on exit. A section that cannot be measured reports "FAILED: reason" and the
# others still run. Exit status: 0 when every section was measured (goals met or
# not: see the summary), 1 when a section failed.
#
# Needs: wrk, nginx (nginx-light), hyperfine, curl, gzip, python3 (standard library), a C compiler (cc);
# LiteLLM's proxy in .build/venv-litellm for the figures beside ours (`make bench` installs it).

set -u

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
  echo "usage: bash Benchmarks/run.sh BINARY   (an executable runnel, e.g. dist/runnel)" >&2
  exit 2
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
BIN_NAME=$(basename "$BIN")
OUT=$HERE/out
REPORT=$OUT/report.txt
export BENCH_RESULTS=$OUT/results.tsv
mkdir -p "$OUT"
: >"$BENCH_RESULTS"
rm -f "$OUT"/*.log "$OUT"/wrk-*.txt
TMP=$(mktemp -d /tmp/runnel-bench.XXXXXX)
PIDS=$TMP/pids
: >"$PIDS"
SERVER_CPU=0
CLIENT_CPU=1

# --- processes -----------------------------------------------------------------

# track PID: remember a process started here, so that cleanup can stop it.
track() { echo "$1" >>"$PIDS"; }

alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }

# Ours and still running? (guards against a recycled pid)
ours() {
  alive "$1" || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qE "$BIN_NAME|nginx|wrk|python3|hyperfine|streamload"
}

# stop_pid PID [SIGNAL]: signal it, wait up to 5 s, then SIGKILL.
stop_pid() {
  local pid=$1 sig=${2:-TERM}
  ours "$pid" || return 0
  kill "-$sig" "$pid" 2>/dev/null
  for _ in $(seq 100); do
    alive "$pid" || break
    sleep 0.05
  done
  alive "$pid" && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

stop_all() {
  local pid
  for pid in $(tac "$PIDS" 2>/dev/null); do
    ours "$pid" && kill -TERM "$pid" 2>/dev/null
  done
  sleep 0.2
  for pid in $(tac "$PIDS" 2>/dev/null); do
    ours "$pid" && { sleep 0.5; ours "$pid" && kill -KILL "$pid" 2>/dev/null; }
  done
  return 0
}

cleanup() {
  stop_all
  rm -rf "$TMP"
}

# start_runnel NAME ARGS...: start BIN on core 0 with --port 0; sets RPID and RPORT.
# The stream sections run it --embedded, as it is deployed: dev mode (files on disk)
# also traces every reply for the inspector (a task and a copy of each event per reply).
# (START_ERR when it fails).
start_runnel() {
  local name=$1
  shift
  local log=$OUT/runnel-$name.log
  taskset -c $SERVER_CPU "$BIN" --port 0 "$@" >"$log" 2>&1 &
  RPID=$!
  track "$RPID"
  RPORT=""
  for _ in $(seq 200); do
    RPORT=$(sed -n 's#^runnel: listening on http://127\.0\.0\.1:\([0-9][0-9]*\)/$#\1#p' "$log" | head -n 1)
    [ -n "$RPORT" ] && return 0
    alive "$RPID" || break
    sleep 0.05
  done
  START_ERR="runnel did not start: $(tail -n 3 "$log" | tr '\n' ' ')"
  return 1
}

# LiteLLM's proxy (goal 5: figures beside ours), from the virtualenv `make bench` installs.
LITELLM=${LITELLM:-$REPO/.build/venv-litellm/bin/litellm}
LITELLM_KEY=sk-bench

# start_litellm NAME API_BASE MODEL: LiteLLM's proxy on core 0 (one worker, like runnel's
# one loop there) in front of API_BASE serving MODEL; sets LPID and LPORT (START_ERR).
start_litellm() {
  local name=$1 base=$2 model=$3 dir=$TMP/litellm-$1
  [ -x "$LITELLM" ] || { START_ERR="LiteLLM not installed ($LITELLM; make bench installs it)"; return 1; }
  mkdir -p "$dir"
  printf '%s\n' "model_list:" "  - model_name: $model" "    litellm_params:" "      model: openai/$model" \
    "      api_base: $base" "      api_key: sk-dummy" "general_settings:" "  master_key: $LITELLM_KEY" >"$dir/config.yaml"
  LPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd "$dir" && LITELLM_LOCAL_MODEL_COST_MAP=True exec taskset -c $SERVER_CPU "$LITELLM" --config "$dir/config.yaml" \
    --host 127.0.0.1 --port "$LPORT" --num_workers 1) >"$OUT/litellm-$name.log" 2>&1 &
  LPID=$!
  track "$LPID"
  for _ in $(seq 240); do
    curl -sf -o /dev/null "http://127.0.0.1:$LPORT/health/liveliness" && return 0
    alive "$LPID" || break
    sleep 0.25
  done
  START_ERR="LiteLLM did not start: $(tail -n 3 "$OUT/litellm-$name.log" | tr '\n' ' ' | cut -c1-200)"
  return 1
}

# core_busy SECONDS → "BUSY0 BUSY1": % of time cores 0 and 1 were busy over SECONDS.
core_busy() {
  local a b
  a=$(grep -E '^cpu[01] ' /proc/stat)
  sleep "$1"
  b=$(grep -E '^cpu[01] ' /proc/stat)
  printf '%s\n%s\n' "$a" "$b" | awk '
    { idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i
      if ($1 in t) { printf "%s%.0f", (n++ ? " " : ""), 100 * (1 - (idle - i0[$1]) / (total - t[$1])) }
      else { t[$1] = total; i0[$1] = idle } }
    END { print "" }'
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# --- results -------------------------------------------------------------------

# record FIGURE MEASURED REFERENCE RATIO GOAL MET
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_RESULTS"; }

# Within a section (a subshell): report the failure, record it, leave the section.
die() {
  echo "  FAILED: $*"
  record "$FIGURE" "FAILED: $*" - - "$GOAL" FAILED
  exit 1
}

# goal_met A OP B → yes/no (numbers; OP is >= or <=)
goal_met() { awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN { r = (op == ">=") ? a >= b : a <= b; print (r ? "yes" : "no") }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
fmt_int() { LC_ALL=C awk -v a="$1" 'BEGIN { s = sprintf("%.0f", a); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } print s r }'; }

# wrk latency ("850.00us", "1.20ms", "1.01s", "1.00m") → milliseconds
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
    else if (v ~ /m$/) { sub(/m$/, "", v); print v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 }
    else print "" }'
}

# CPU seconds (user + system) a process has used so far.
cpu_secs() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null; }

# run_wrk NAME SERVER-PID WRK-ARGS...: wrk on core 1; sets W_RPS (good responses/s), W_P50,
# W_P99 (ms), W_REQ, W_BAD (non-2xx/3xx + socket errors), W_CPU (the server's CPU use
# during the run, % of one core); raw output in out/wrk-NAME.txt.
run_wrk() {
  local name=$1 spid=$2
  shift 2
  local file=$OUT/wrk-$name.txt
  local cpu0 t0 cpu1 t1
  cpu0=$(cpu_secs "$spid")
  t0=$(date +%s.%N)
  timeout --foreground -k 5 60 taskset -c $CLIENT_CPU wrk "$@" >"$file" 2>&1 || { echo "  wrk failed: $(tail -n 2 "$file" | tr '\n' ' ')"; return 1; }
  cpu1=$(cpu_secs "$spid")
  t1=$(date +%s.%N)
  W_CPU=$(awk -v a="$cpu0" -v b="$cpu1" -v s="$t0" -v e="$t1" 'BEGIN { if (a == "" || b == "") print "?"; else printf "%.0f", (b - a) / (e - s) * 100 }')
  W_REQ=$(awk '/requests in/ {print $1}' "$file")
  local secs
  secs=$(awk '/requests in/ {v = $4; sub(/,$/, "", v); print v}' "$file")
  secs=$(to_ms "$secs")
  local non2xx errors
  non2xx=$(awk -F: '/Non-2xx or 3xx responses/ {print $2 + 0}' "$file")
  errors=$(awk '/Socket errors/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$file")
  W_BAD=$(( ${non2xx:-0} + ${errors:-0} ))
  W_P50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$file")")
  W_P99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$file")")
  [ -n "$W_REQ" ] && [ -n "$secs" ] && [ -n "$W_P99" ] || { echo "  could not parse wrk output ($file)"; return 1; }
  W_RPS=$(awk -v n="$W_REQ" -v bad="${non2xx:-0}" -v ms="$secs" 'BEGIN { printf "%.0f", (n - bad) / (ms / 1000) }')
  return 0
}

# run_client FIGURE GOAL SECONDS CMD...: a Python client on core 1, bounded in time; a
# crash or timeout that recorded nothing becomes a FAILED row.
run_client() {
  local figure=$1 goal=$2 seconds=$3
  shift 3
  local before rc
  before=$(wc -l <"$BENCH_RESULTS")
  (cd "$HERE" && timeout --foreground -k 5 "$seconds" taskset -c $CLIENT_CPU python3 "$@")
  rc=$?
  if [ $rc -ne 0 ] && [ "$(wc -l <"$BENCH_RESULTS")" -eq "$before" ]; then
    local why="client exited with status $rc"
    [ $rc -eq 124 ] && why="client timed out after ${seconds} s"
    echo "  FAILED: $why"
    record "$figure" "FAILED: $why" - - "$goal" FAILED
  fi
  return $rc
}

# section TITLE FUNCTION: run it in a subshell that stops what it started (also on
# Ctrl-C, after the running client has stopped: clients run in the foreground group).
FAILED_SECTIONS=0
section() {
  local title=$1 fn=$2 started=$SECONDS failed_before
  # SECTIONS="s_proxied_throughput s_proxied_concurrency" runs only those.
  if [ -n "${SECTIONS:-}" ] && ! echo " $SECTIONS " | grep -q " $fn "; then return 0; fi
  failed_before=$(grep -c 'FAILED$' "$BENCH_RESULTS")
  echo
  echo "== $title"
  (
    trap stop_all EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    "$fn"
  )
  [ "$(grep -c 'FAILED$' "$BENCH_RESULTS")" -gt "$failed_before" ] && FAILED_SECTIONS=$((FAILED_SECTIONS + 1))
  echo "  ($((SECONDS - started)) s; load average now $(cut -d' ' -f1 /proc/loadavg))"
}

# --- fixtures ------------------------------------------------------------------

make_roots() {
  # site: the static root (also nginx's); dev: the hot-reload root (written to).
  local root
  for root in "$TMP/site" "$TMP/dev"; do
    mkdir -p "$root"
    cp -R "$REPO/Frontend" "$REPO/Templates" "$root/" || return 1
  done
  python3 "$HERE/gen_bench_js.py" "$TMP/site/Frontend/bench.js" 40000 || return 1
  gzip -9 -k -f "$TMP/site/Frontend/bench.js" || return 1
  chmod -R a+rX "$TMP"
}

# --- 1. static gzip'd asset vs nginx ------------------------------------------

s_static() {
  FIGURE="static bench.js gzip req/s (runnel/nginx)"
  GOAL=">= 0.8x nginx"
  local js=$TMP/site/Frontend/bench.js
  echo "  asset: Frontend/bench.js $(stat -c %s "$js") bytes, gzip -9 $(stat -c %s "$js.gz") bytes"
  echo "  load: wrk -t1 -c64 -d10s --latency -H 'Accept-Encoding: gzip' (core $CLIENT_CPU); servers on core $SERVER_CPU, one after the other"

  start_runnel static --root "$TMP/site" --backend echo --no-reload --quiet || die "$START_ERR"
  local url=http://127.0.0.1:$RPORT
  local head
  head=$(curl -s -D - -o "$TMP/r.gz" -H 'Accept-Encoding: gzip' "$url/bench.js") || die "curl failed"
  echo "$head" | grep -qi '^content-encoding: gzip' || die "runnel did not gzip /bench.js: $(echo "$head" | head -n 1)"
  [ "$(gzip -dc "$TMP/r.gz" | md5sum)" = "$(md5sum <"$js")" ] || die "runnel's gzip body does not decompress to bench.js"
  echo "  runnel: 200, Content-Encoding: gzip, $(stat -c %s "$TMP/r.gz") bytes on the wire"
  run_wrk runnel-static $RPID -t1 -c64 -d10s --latency -H 'Accept-Encoding: gzip' "$url/bench.js" || die "wrk against runnel"
  local r_rps=$W_RPS r_p99=$W_P99 r_p50=$W_P50 r_bad=$W_BAD
  echo "  runnel: $(fmt_int "$r_rps") req/s, p50 ${r_p50} ms, p99 ${r_p99} ms, errors/non-2xx ${r_bad}, server CPU ${W_CPU}%"
  run_wrk runnel-index $RPID -t1 -c64 -d10s --latency -H 'Accept-Encoding: gzip' "$url/" || die "wrk against runnel GET /"
  local i_rps=$W_RPS i_p99=$W_P99 i_bad=$W_BAD i_cpu=$W_CPU
  local index_enc
  index_enc=$(curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' "$url/" | awk -F': ' 'tolower($1) == "content-encoding" {print $2}' | tr -d '\r')
  echo "  runnel GET / (rendered template, ${index_enc:-identity}): $(fmt_int "$i_rps") req/s, p99 ${i_p99} ms, errors/non-2xx ${i_bad}, server CPU ${i_cpu}%"
  stop_pid "$RPID"

  local nport conf=$TMP/nginx/nginx.conf
  nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$TMP/nginx"
  cat >"$conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  types { application/javascript js; text/html html; text/css css; image/svg+xml svg; }
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  gzip_static on;
  gzip_vary on;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  server {
    listen 127.0.0.1:$nport;
    root $TMP/site/Frontend;
    location / { }
  }
}
EOF
  taskset -c $SERVER_CPU nginx -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$conf" >"$OUT/nginx.log" 2>&1 &
  local npid=$!
  track "$npid"
  local up=""
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$nport/bench.js" && { up=1; break; }
    alive "$npid" || break
    sleep 0.05
  done
  [ -n "$up" ] || die "nginx did not start: $(tail -n 2 "$TMP/nginx/error.log" "$OUT/nginx.log" 2>/dev/null | tr '\n' ' ')"
  head=$(curl -s -D - -o "$TMP/n.gz" -H 'Accept-Encoding: gzip' "http://127.0.0.1:$nport/bench.js")
  echo "$head" | grep -qi '^content-encoding: gzip' || die "nginx did not serve bench.js.gz (gzip_static)"
  echo "  nginx $(nginx -v 2>&1 | sed 's#.*/##'): 200, Content-Encoding: gzip, $(stat -c %s "$TMP/n.gz") bytes on the wire"
  local nworker
  nworker=$(pgrep -P "$npid" | head -n 1)
  run_wrk nginx-static "${nworker:-$npid}" -t1 -c64 -d10s --latency -H 'Accept-Encoding: gzip' "http://127.0.0.1:$nport/bench.js" || die "wrk against nginx"
  local n_rps=$W_RPS n_p99=$W_P99 n_p50=$W_P50 n_bad=$W_BAD
  echo "  nginx:  $(fmt_int "$n_rps") req/s, p50 ${n_p50} ms, p99 ${n_p99} ms, errors/non-2xx ${n_bad}, worker CPU ${W_CPU}%"
  stop_pid "$npid" QUIT

  local rr
  rr=$(ratio "$r_rps" "$n_rps")
  echo "  runnel/nginx: ${rr}x (goal >= 0.8) -> $(goal_met "$rr" ">=" 0.8); runnel p99 ${r_p99} ms (goal <= 5 ms) -> $(goal_met "$r_p99" "<=" 5)"
  local met_rps
  met_rps=$(goal_met "$rr" ">=" 0.8)
  [ "$r_bad" -gt 0 ] && met_rps=no
  record "static bench.js gzip req/s" "$(fmt_int "$r_rps")/s" "nginx $(fmt_int "$n_rps")/s" "${rr}x" ">= 0.8x" "$met_rps"
  record "static bench.js p99" "${r_p99} ms" "nginx ${n_p99} ms" "$(ratio "$r_p99" "$n_p99")x" "<= 5 ms" "$(goal_met "$r_p99" "<=" 5)"
  record "GET / (rendered template) req/s" "$(fmt_int "$i_rps")/s" "-" "-" "-" "-"
}

# --- 2. complete echo streams/s ---------------------------------------------------

s_streams() {
  FIGURE="complete echo streams/s"
  GOAL=">= 20,000/s"
  start_runnel streams --embedded --backend echo --no-reload --quiet || die "$START_ERR"
  local url=http://127.0.0.1:$RPORT/api/message
  local words body
  words=$(python3 -c 'print(" ".join(f"word{i}" for i in range(1, 101)))')
  body="{\"message\":\"$words\",\"backend\":\"echo\",\"conversation_id\":\"curl-check\"}"
  curl -sN --max-time 10 -X POST -H 'Content-Type: application/json' -d "$body" "$url" >"$TMP/stream.txt" || die "curl stream failed"
  local chunks last
  chunks=$(grep -c '^data: {"chunk":' "$TMP/stream.txt")
  last=$(grep '^data: ' "$TMP/stream.txt" | tail -n 1)
  if [ "$chunks" -eq 100 ] && echo "$last" | grep -q '"end":true' && echo "$last" | grep -q "\"full_response\":\"$words\""; then
    echo "  curl check: 100 chunk events, then the end event with the full message: ok"
  else
    die "curl check: $chunks chunks, last event: ${last:0:120}"
  fi
  echo "  load: wrk -t1 -c32 -d10s --latency -s stream.lua (100-word message, a new conversation_id per request)"
  run_wrk streams $RPID -t1 -c32 -d10s --latency -s "$HERE/stream.lua" "$url" -- "s$$" || die "wrk failed"
  local rps=$W_RPS p99=$W_P99 p50=$W_P50 bad=$W_BAD
  echo "  $(fmt_int "$rps") complete streams/s ($(fmt_int $((rps * 100))) chunk events/s), p50 ${p50} ms, p99 ${p99} ms, errors/non-2xx ${bad}"
  echo "  runnel CPU during the run: ${W_CPU}% of a core"
  run_wrk streams-validate $RPID -t1 -c32 -d3s --latency -s "$HERE/stream.lua" "$url" -- "v$$" validate || die "wrk validation failed"
  local check
  check=$(grep '^validate:' "$OUT/wrk-streams-validate.txt")
  echo "  3 s run checking every response (200, 100 chunks, end event last): ${check#validate: }"
  echo "  runnel RSS after: $(fmt_int "$(rss_kib "$RPID")") KiB"
  echo "  goal >= 20,000/s -> $(goal_met "$rps" ">=" 20000)"
  local verdict
  verdict=$(goal_met "$rps" ">=" 20000)
  echo "$check" | grep -q 'bad=0 ' || verdict=no
  [ "$bad" -gt 0 ] && verdict=no
  record "complete echo streams/s (100 words, 32 conns)" "$(fmt_int "$rps")/s" "-" "-" ">= 20,000/s" "$verdict"
  record "echo stream p99 (complete, 32 conns)" "${p99} ms" "-" "-" "-" "-"
  echo "$check" | grep -q 'bad=0 ' || record "echo streams validated under load" "${check#validate: }" - - "all good" no

  # The same 100-word echo streams in OpenAI's format (POST /v1/chat/completions, model
  # echo), on the same runnel in the same run: the provider format should cost little
  # over the native one. The wrk script is written here: one request body, no state.
  local ourl=http://127.0.0.1:$RPORT/v1/chat/completions
  local obody="{\"model\":\"echo\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"$words\"}]}"
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$obody" >"$TMP/openai_stream.lua"
  curl -sN --max-time 10 -X POST -H 'Content-Type: application/json' -d "$obody" "$ourl" >"$TMP/openai_stream.txt" || die "curl (openai format) failed"
  local ochunks olast
  ochunks=$(grep -c '"delta":{"content":"word' "$TMP/openai_stream.txt")
  olast=$(grep '^data: ' "$TMP/openai_stream.txt" | tail -n 1)
  [ "$ochunks" -eq 100 ] && [ "$olast" = "data: [DONE]" ] || die "curl check (openai format): $ochunks content chunks, last event: ${olast:0:120}"
  echo "  curl check /v1/chat/completions: 100 content chunks, then data: [DONE]: ok ($(wc -c <"$TMP/stream.txt") bytes a stream on /api/message)"
  run_wrk streams-openai $RPID -t1 -c32 -d10s --latency -s "$TMP/openai_stream.lua" "$ourl" || die "wrk (openai format) failed"
  local orps=$W_RPS op99=$W_P99 obad=$W_BAD orr
  orr=$(ratio "$orps" "$rps")
  echo "  /v1/chat/completions: $(fmt_int "$orps") complete streams/s, p99 ${op99} ms, errors/non-2xx ${obad}, runnel CPU ${W_CPU}%, $(wc -c <"$TMP/openai_stream.txt") bytes a stream; ${orr}x /api/message (goal >= 0.9) -> $(goal_met "$orr" ">=" 0.9)"
  verdict=$(goal_met "$orr" ">=" 0.9)
  [ "$obad" -gt 0 ] && verdict=no
  record "complete echo streams/s on /v1/chat/completions (x /api/message)" "$(fmt_int "$orps")/s (${orr}x)" "-" "-" ">= 0.9x" "$verdict"
}

# --- 3. per-chunk server-added latency -------------------------------------------

s_chunk_latency() {
  FIGURE="chunk jitter p99"
  GOAL="<= 1 ms"
  start_runnel latency --embedded --backend echo --no-reload --quiet || die "$START_ERR"
  run_client "$FIGURE" "$GOAL" 90 chunk_latency.py --port "$RPORT" --words 500 --delay-ms 20
}

# --- 4. concurrent slow streams ----------------------------------------------------

# Runnel options of the sections that hold thousands of conversations at once: the
# defaults. (Busy conversations used to be walked on every new request once
# --max-conversations was reached, which took the core for seconds at 10,000 streams;
# they now leave the eviction queue while they stream.) Set it to compare, e.g.
# BURST_RUNNEL_ARGS="--max-conversations 20000".
BURST_RUNNEL_ARGS=${BURST_RUNNEL_ARGS-}

s_concurrent() {
  FIGURE="concurrent slow streams"
  GOAL="all correct, <= 32 KiB"
  # shellcheck disable=SC2086
  start_runnel concurrent --embedded --backend echo --no-reload --quiet $BURST_RUNNEL_ARGS || die "$START_ERR"
  echo "  open-file limit: $(ulimit -n) (runnel and client); runnel options: ${BURST_RUNNEL_ARGS:-(defaults)}"
  # 1 word/s for 30 words: every stream is still open when the last of 10,000 opens
  # (5 s at 2,000/s). Goal 4: first event <= 0.25 s after connect, <= 0.25 s late.
  run_client "$FIGURE" "$GOAL" 240 concurrent_streams.py --port "$RPORT" --pid "$RPID" \
    --streams 10000 --words 30 --delay-ms 1000 --rate 2000
}

# --- 4b. proxied streams (openai backend -> local upstream) --------------------------

# make_sse_file PATH: a 100-event chat.completion.chunk stream, as an OpenAI-compatible server sends it.
make_sse_file() {
  python3 - "$1" <<'PY'
import json, sys
events = []
for i in range(1, 101):
    chunk = {"id": "bench", "object": "chat.completion.chunk", "model": "bench-1",
             "choices": [{"index": 0, "delta": {"content": f"word{i} "}, "finish_reason": None}]}
    events.append("data: " + json.dumps(chunk) + "\n\n")
events.append("data: [DONE]\n\n")
open(sys.argv[1], "w").write("".join(events))
PY
}

fd_count_of() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

s_proxied_throughput() {
  FIGURE="complete proxied streams/s (openai -> nginx)"
  GOAL=">= 0.5x echo"
  mkdir -p "$TMP/upstream/v1/chat" "$TMP/nginx-up"
  make_sse_file "$TMP/upstream/v1/chat/completions" || die "could not write the SSE file"
  local nport conf=$TMP/nginx-up/nginx.conf
  nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # nginx answers a POST to a static file with 405; error_page turns that into the file.
  cat >"$conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $TMP/nginx-up/nginx.pid;
error_log $TMP/nginx-up/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  types { }
  default_type text/event-stream;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path $TMP/nginx-up/body;
  proxy_temp_path $TMP/nginx-up/proxy;
  fastcgi_temp_path $TMP/nginx-up/fastcgi;
  uwsgi_temp_path $TMP/nginx-up/uwsgi;
  scgi_temp_path $TMP/nginx-up/scgi;
  server {
    listen 127.0.0.1:$nport;
    root $TMP/upstream;
    location / { error_page 405 =200 \$uri; }
  }
}
EOF
  taskset -c $CLIENT_CPU nginx -p "$TMP/nginx-up" -e "$TMP/nginx-up/error.log" -c "$conf" >"$OUT/nginx-upstream.log" 2>&1 &
  track $!
  local up=""
  for _ in $(seq 100); do
    curl -sf -o /dev/null -X POST -d '{}' "http://127.0.0.1:$nport/v1/chat/completions" && { up=1; break; }
    sleep 0.05
  done
  [ -n "$up" ] || die "nginx (upstream) did not start: $(tail -n 2 "$TMP/nginx-up/error.log" 2>/dev/null | tr '\n' ' ')"
  echo "  upstream: nginx on core $CLIENT_CPU answering POST /v1/chat/completions at once with a static 100-event chat.completion.chunk stream ($(stat -c %s "$TMP/upstream/v1/chat/completions") bytes, Content-Length, keep-alive)"

  start_runnel proxied --embedded --backend openai --base-url "http://127.0.0.1:$nport/v1" --model bench-1 --no-reload --quiet || die "$START_ERR"
  local url=http://127.0.0.1:$RPORT/api/message
  curl -sN --max-time 10 -X POST -H 'Content-Type: application/json' -d '{"message":"hi","backend":"openai","conversation_id":"curl-check"}' "$url" >"$TMP/proxied.txt" || die "curl stream failed"
  local chunks
  chunks=$(grep -c '^data: {"chunk":' "$TMP/proxied.txt")
  { [ "$chunks" -eq 100 ] && grep '^data: ' "$TMP/proxied.txt" | tail -n 1 | grep -q '"end":true'; } || die "curl check: $chunks chunks, last: $(tail -n 2 "$TMP/proxied.txt" | head -c 160)"
  echo "  curl check: 100 chunk events through the openai backend, then the end event: ok"
  echo "  load: wrk -t1 -c32 -d10s --latency -s stream.lua, echo then openai, each on a fresh runnel (core $SERVER_CPU) started the same way"
  # A fresh process each: the replies a run leaves behind (readable for 5 minutes, up to
  # 64 MiB) slow whatever runs next on the same runnel by ~10%, which would favour the first.
  run_wrk proxied-echo $RPID -t1 -c32 -d10s --latency -s "$HERE/stream.lua" "$url" -- "pe$$" run echo || die "wrk (echo) failed"
  local e_rps=$W_RPS e_cpu=$W_CPU
  echo "  echo:   $(fmt_int "$e_rps") complete streams/s, p99 ${W_P99} ms, errors/non-2xx ${W_BAD}, runnel CPU ${e_cpu}%"
  stop_pid "$RPID"
  start_runnel proxied-openai --embedded --backend openai --base-url "http://127.0.0.1:$nport/v1" --model bench-1 --no-reload --quiet || die "$START_ERR"
  url=http://127.0.0.1:$RPORT/api/message
  run_wrk proxied-openai $RPID -t1 -c32 -d10s --latency -s "$HERE/stream.lua" "$url" -- "po$$" run openai || die "wrk (openai) failed"
  local p_rps=$W_RPS p_bad=$W_BAD p_cpu=$W_CPU
  echo "  openai: $(fmt_int "$p_rps") complete streams/s, p99 ${W_P99} ms, errors/non-2xx ${p_bad}, runnel CPU ${p_cpu}%"
  run_wrk proxied-validate $RPID -t1 -c32 -d3s --latency -s "$HERE/stream.lua" "$url" -- "pv$$" validate openai || die "wrk validation failed"
  local check
  check=$(grep '^validate:' "$OUT/wrk-proxied-validate.txt")
  echo "  3 s openai run checking every response (200, 100 chunks, end event last): ${check#validate: }"
  echo "  runnel after the runs: $(fd_count_of "$RPID") fds, $(awk '/^Threads:/ {print $2}' "/proc/$RPID/status") threads"
  local rr verdict
  rr=$(ratio "$p_rps" "$e_rps")
  verdict=$(goal_met "$rr" ">=" 0.5)
  echo "$check" | grep -q 'bad=0 ' || verdict=no
  [ "$p_bad" -gt 0 ] && verdict=no
  echo "  openai/echo: ${rr}x (goal >= 0.5) -> $verdict"
  record "complete proxied streams/s (openai -> nginx)" "$(fmt_int "$p_rps")/s" "echo $(fmt_int "$e_rps")/s" "${rr}x" ">= 0.5x echo" "$verdict"

  # Goal 5: LiteLLM's proxy on the same core, same upstream, same load (runnel stopped first).
  stop_pid "$RPID"
  FIGURE="LiteLLM proxy streams/s (-> nginx)"
  GOAL="runnel >= 10x"
  if ! start_litellm fast "http://127.0.0.1:$nport/v1" bench-1; then
    echo "  LiteLLM not measured: $START_ERR"
    record "LiteLLM proxy streams/s" "not measured" "-" "-" ">= 10x" "-"
    return 0
  fi
  local lurl=http://127.0.0.1:$LPORT/v1/chat/completions
  echo "  LiteLLM $("${LITELLM%/*}/python3" -c 'import importlib.metadata as m; print(m.version("litellm"))' 2>/dev/null) proxy (one worker, core $SERVER_CPU) in front of the same nginx: wrk -t1 -c32 -d10s -s stream.lua (openai-api)"
  run_wrk litellm-fast "$LPID" -t1 -c32 -d10s --latency --timeout 30s -s "$HERE/stream.lua" "$lurl" -- "l$$" run openai-api bench-1 "$LITELLM_KEY" || die "wrk (LiteLLM) failed"
  local l_rps=$W_RPS l_bad=$W_BAD
  echo "  LiteLLM: $(fmt_int "$l_rps") complete streams/s, p99 ${W_P99} ms, errors/non-2xx ${l_bad}, CPU ${W_CPU}%"
  run_wrk litellm-validate "$LPID" -t1 -c32 -d5s --latency --timeout 30s -s "$HERE/stream.lua" "$lurl" -- "lv$$" validate openai-api bench-1 "$LITELLM_KEY" || die "wrk validation (LiteLLM) failed"
  echo "  5 s LiteLLM run checking every response (200, 100 chunks, [DONE]): $(grep '^validate:' "$OUT/wrk-litellm-validate.txt" | sed 's/^validate: //')"
  local lr
  lr=$(ratio "$p_rps" "$l_rps")
  echo "  runnel/LiteLLM: ${lr}x (goal >= 10) -> $(goal_met "$lr" ">=" 10)"
  record "runnel proxied streams/s vs LiteLLM proxy" "$(fmt_int "$p_rps")/s" "LiteLLM $(fmt_int "$l_rps")/s" "${lr}x" ">= 10x" "$(goal_met "$lr" ">=" 10)"
}

s_proxied_concurrency() {
  FIGURE="proxied concurrency"
  GOAL="all correct"
  local uport streamload=$TMP/streamload
  # The upstream and the client in C (Benchmarks/streamload.c): asyncio ones were the
  # bottleneck of this figure, ~90 % of the client core and up to 0.25 s behind schedule.
  ${CC:-cc} -O2 -o "$streamload" "$HERE/streamload.c" -lm || die "could not build streamload.c (a C compiler: apt-get install gcc)"
  uport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  taskset -c $CLIENT_CPU "$streamload" upstream --port "$uport" --chunks 12 --interval 1 >"$OUT/slow-upstream.log" 2>&1 &
  track $!
  for _ in $(seq 100); do grep -q listening "$OUT/slow-upstream.log" && break; sleep 0.05; done
  grep -q listening "$OUT/slow-upstream.log" || die "slow upstream did not start: $(tail -n 2 "$OUT/slow-upstream.log")"
  # shellcheck disable=SC2086
  start_runnel proxied-slow --embedded --backend openai --base-url "http://127.0.0.1:$uport/v1" --model slow-1 \
    --no-reload --quiet $BURST_RUNNEL_ARGS || die "$START_ERR"
  echo "  upstream: streamload upstream (C, epoll) on core $CLIENT_CPU, 12 chunks at 1 per second; runnel open-file limit $(awk '/open files/ {print $4}' "/proc/$RPID/limits"), options: ${BURST_RUNNEL_ARGS:-(defaults)}"
  local litellm=()
  if start_litellm slow "http://127.0.0.1:$uport/v1" slow-1; then
    litellm=(--litellm-port "$LPORT" --litellm-pid "$LPID")
    echo "  LiteLLM proxy (one worker, core $SERVER_CPU) in front of the same upstream, measured third at the same rate"
  else
    echo "  LiteLLM not measured: $START_ERR"
  fi
  run_client "$FIGURE" "$GOAL" 420 proxied_streams.py --streamload "$streamload" --port "$RPORT" --pid "$RPID" \
    --upstream-port "$uport" --streams "${PROXIED_STREAMS:-9000}" --chunks 12 --interval 1 --rate 2000 "${litellm[@]}"
}

# --- 5. idle ------------------------------------------------------------------------

s_idle() {
  FIGURE="idle"
  GOAL="<= 16 KiB per connection"
  start_runnel idle --root "$TMP/site" --backend echo --quiet || die "$START_ERR"
  echo "  server: dev mode, hot reload on (the watcher included)"
  run_client "$FIGURE" "$GOAL" 90 idle.py --port "$RPORT" --pid "$RPID" --connections 10000 --cpu-seconds 5
}

# --- 5b. stuck readers -------------------------------------------------------------

s_stuck_readers() {
  FIGURE="stuck readers"
  GOAL="bounded; all free; all dropped"
  start_runnel stuck --embedded --backend echo --no-reload --quiet --write-timeout-seconds 15 || die "$START_ERR"
  # 1,000 clients post a 10,000-word echo and read nothing: each reply (~230 KB of events)
  # outgrows the socket buffers, so every reader is stuck on a full socket.
  run_client "$FIGURE" "$GOAL" 120 stuck_readers.py --port "$RPORT" --pid "$RPID" \
    --clients 1000 --words 10000 --write-timeout 15
}

# --- 6. startup -----------------------------------------------------------------------

s_startup() {
  FIGURE="startup to first response"
  GOAL="<= 50 ms"
  run_client "$FIGURE" "$GOAL" 120 startup.py --binary "$BIN" --root "$TMP/site" --runs 20
  if command -v hyperfine >/dev/null; then
    timeout --foreground -k 5 60 taskset -c $SERVER_CPU hyperfine -N --warmup 3 --runs 30 --export-json "$OUT/hyperfine.json" \
      "$BIN --version" >"$OUT/hyperfine.txt" 2>&1 || { echo "  hyperfine failed: $(tail -n 1 "$OUT/hyperfine.txt")"; return 0; }
    local v
    v=$(python3 - "$OUT/hyperfine.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.1f ms (mean %.1f ± %.1f ms)" % (r["median"] * 1000, r["mean"] * 1000, r["stddev"] * 1000))
PY
)
    echo "  hyperfine -N 'runnel --version' (30 runs, core $SERVER_CPU): median $v"
    record "runnel --version (hyperfine), median" "${v%% (*}" - - - -
  fi
}

# --- 7. hot reload -------------------------------------------------------------------

s_hot_reload() {
  FIGURE="hot-reload latency p95"
  GOAL="<= 50 ms, none lost"
  start_runnel reload --root "$TMP/dev" --backend echo --quiet || die "$START_ERR"
  run_client "$FIGURE" "$GOAL" 60 hot_reload.py --port "$RPORT" --root "$TMP/dev" --saves 100
}

# --- 8. binary size ---------------------------------------------------------------------

s_size() {
  FIGURE="binary size"
  GOAL="<= 64 MB"
  local bytes mb stripped="unknown"
  bytes=$(stat -c %s "$BIN") || die "cannot stat $BIN"
  mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
  if command -v readelf >/dev/null; then
    readelf -S "$BIN" 2>/dev/null | grep -q '\.symtab' && stripped="no (has .symtab)" || stripped="yes"
  fi
  echo "  $BIN: $bytes bytes = $mb MB (stripped: $stripped)"
  echo "  reference: an empty FoundationNetworking program, --static-swift-stdlib, stripped = 58.6 MB (README, Performance)"
  echo "  above that floor: $(awk -v m="$mb" 'BEGIN { printf "%+.1f", m - 58.6 }') MB; goal <= 64 MB -> $(goal_met "$mb" "<=" 64)"
  record "binary size" "$mb MB" "floor 58.6 MB" "$(ratio "$mb" 58.6)x" "<= 64 MB" "$(goal_met "$mb" "<=" 64)"
}

# --- main ----------------------------------------------------------------------------

main() {
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
  local started=$SECONDS
  echo "Runnel benchmarks — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "  binary:  $BIN ($("$BIN" --version 2>/dev/null || echo '?'))"
  echo "  source:  $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "  machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr)"
  echo "  pinning: server core $SERVER_CPU, load generators core $CLIENT_CPU; loopback only"
  # How busy are the two cores before we start (other processes make every figure noisy)?
  local busy
  busy=$(core_busy 1)
  echo "  before the run: load average $(cut -d' ' -f1-3 /proc/loadavg); over 1 s, core 0 ${busy% *}% busy, core 1 ${busy#* }% busy"
  if awk -v a="${busy% *}" -v b="${busy#* }" 'BEGIN { exit !(a > 10 || b > 10) }'; then
    echo "  WARNING: other processes are using the cores: the figures below are noisy; rerun on an idle machine"
  fi
  local tool
  for tool in wrk nginx curl gzip python3 taskset; do
    command -v $tool >/dev/null || echo "  WARNING: $tool not found: the sections needing it will fail"
  done
  make_roots || { echo "FAILED: could not build the temporary site in $TMP"; exit 1; }

  section "1. Static gzip'd asset vs nginx (keep-alive)" s_static
  section "2. Complete echo streams/s" s_streams
  section "3. Per-chunk server-added latency" s_chunk_latency
  section "4. Concurrent slow streams (opened at 2,000/s)" s_concurrent
  section "4b. Proxied streams/s (openai -> nginx)" s_proxied_throughput
  section "4c. Proxied concurrency (openai -> slow upstream)" s_proxied_concurrency
  section "5. Idle" s_idle
  section "5b. Clients that stop reading mid-reply" s_stuck_readers
  section "6. Startup to first response" s_startup
  section "7. Hot-reload latency" s_hot_reload
  section "8. Binary size" s_size

  echo
  echo "== Summary"
  python3 "$HERE/summary.py" "$BENCH_RESULTS"
  echo
  echo "  $FAILED_SECTIONS section(s) failed to run; total $((SECONDS - started)) s; report: $REPORT"
  [ "$FAILED_SECTIONS" -eq 0 ]
}

# The report goes to the terminal and to out/report.txt; tee ignores Ctrl-C so that the
# cleanup's last lines still reach both.
exec 3>&1 4>&2
exec > >(trap '' INT TERM; exec tee "$REPORT") 2>&1
TEE_PID=$!
finish() {
  cleanup
  exec 1>&3 2>&4 3>&- 4>&-
  wait "$TEE_PID" 2>/dev/null
}
trap finish EXIT
trap 'echo; echo "interrupted: stopping what was started"; exit 130' INT
trap 'exit 143' TERM
main
