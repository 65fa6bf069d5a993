#!/usr/bin/env bash
# Load test on loopback with wrk: builds a release binary, fills a data dir
# with generated posts, starts the server, warms up, then measures each page
# for a fixed time and prints requests/s, p50 and p99 latency, the server's
# peak RSS, and every row as a share of a bare actix-web "Hello world!" that
# the script starts itself (`signpost bench-hello`, no middleware) and
# measures in the same run. Every request carries a browser's
# `Accept-Encoding: gzip, deflate, br` (rows marked "no Accept-Encoding"
# leave it out). Search runs two query lists (benches/queries/short.txt: 1-3
# words, many misspelt; long.txt: 8-12 word questions), over HTTP, repeated
# (served from the result cache after their first time, as on a site where
# customers type the same things) and then on the server restarted with
# `search_cache_mb = 0`, each search computed; then, with the server
# stopped, in-process against a SQLite FTS5 index of the same documents with
# the same concurrency (`signpost bench-search`, which never caches).
# Besides the anonymous pages, it measures a tag page (the measured
# question's first tag) and the question page signed in as a member
# (`loadmember`, created on first run), and prints the server's memory at
# the end split into anonymous (heap, stacks) and file-backed (the mmap'd
# search index, the binary: pages the kernel may drop and read again)
# with the largest anonymous figure seen after any row.
#
#   benches/load.sh [QUESTIONS] [ANSWERS_PER_QUESTION] [DURATION] [CONNECTIONS]
#   benches/load.sh 2500 3      #    10,000 posts
#   benches/load.sh 25000 3     #   100,000 posts
#   benches/load.sh 250000 3    # 1,000,000 posts (the README figures)
#
# How cost grows: each run also prints one row (question page and /questions
# requests/s and p99, peak RSS, index and database size on disk) and keeps it
# in target/load-growth.txt, one row per size (a later run of the same size
# replaces it), then prints the table of every size measured so far.
#
# Before and after: COMPARE_BIN=PATH (an older build) measures the request
# path of both binaries on the same data, the serving binary alternating
# (the one that goes first too) for ROUNDS rounds (default 3), each round
# with the hello-world, and prints the medians side by side, the searches
# computed every time (`search_cache_mb = 0`) among them. Two builds whose
# search index versions differ cannot share one data folder (each would
# rebuild the other's index on start): COMPARE_DATA=DIR gives the older
# build its own copy of the data (copied when missing), and both indexes
# are rebuilt by their own build before the rounds.
#
#   COMPARE_BIN=/tmp/signpost-before ROUNDS=3 benches/load.sh 2500 3 10s 32
#   COMPARE_BIN=/tmp/signpost-before COMPARE_DATA=target/load-data-before \
#     ROUNDS=2 benches/load.sh 250000 3 10s 32
#
# SQLite against PostgreSQL: with SIGNPOST_DATABASE_URL=postgres://… (an
# empty database the URL's role owns), the generated SQLite site is copied
# there with `signpost migrate-db` (once; a marker in the PostgreSQL node's
# data dir remembers it), a server is started on each database (each with its
# own search index) and the pages are measured on both, alternately, for
# ROUNDS rounds (default 3; the backend that goes first alternates too), so
# both see the same machine. Prints per backend the median over the rounds of
# requests/s, p50 and p99, and PostgreSQL's requests/s as a share of SQLite's.
#
#   SIGNPOST_DATABASE_URL=postgres://signpost:PW@127.0.0.1:5432/signpost_load \
#     ROUNDS=3 benches/load.sh 250000 3 10s 32
#
# SKIP_ENGINES=1 leaves out the in-process search engines (bench-search),
# which take minutes at 1,000,000 posts; SKIP_REINDEX=1 the full reindex
# (the index on disk must then be current).
# LOAD_BIN=PATH measures that binary instead of building one (the
# hello-world then comes from it too: it needs `bench-hello`).
# Needs wrk, curl and bc (Debian: apt-get install wrk curl bc). Data is kept in
# target/load-data-<questions>-<answers> and reused by later runs.
set -euo pipefail
cd "$(dirname "$0")/.."

QUESTIONS=${1:-250000}
ANSWERS=${2:-3}
DURATION=${3:-10s}
CONNECTIONS=${4:-32}
PORT=${PORT:-18080}
HELLO_PORT=${HELLO_PORT:-$((PORT + 2))}
BROWSER='Accept-Encoding: gzip, deflate, br'
ROUNDS=${ROUNDS:-3}
BIN=${LOAD_BIN:-target/release/signpost}
DATA=target/load-data-$QUESTIONS-$ANSWERS
# The PostgreSQL database to compare with, if any; every other command runs
# on the SQLite file in $DATA.
PG_URL=${SIGNPOST_DATABASE_URL:-}
unset SIGNPOST_DATABASE_URL
case "$PG_URL" in
  "" | postgres://* | postgresql://*) ;;
  *) echo "SIGNPOST_DATABASE_URL must be a postgres:// URL to compare with (unset it for SQLite alone)"; exit 1 ;;
esac

for tool in wrk curl bc; do
  command -v "$tool" >/dev/null || { echo "load.sh needs $tool (apt-get install $tool)"; exit 1; }
done

if [ -z "${LOAD_BIN:-}" ]; then
  cargo build --release --quiet
fi
[ -x "$BIN" ] || { echo "no binary at $BIN"; exit 1; }
# Processor time (clock ticks) used by the whole machine, by the server, and
# by this script's finished children (wrk, curl): what other processes used
# during the measurements is the first minus the other two.
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
child_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }

export SIGNPOST_DATA_DIR="$DATA" SIGNPOST_CONTENT_DIR=content SIGNPOST_LISTEN="127.0.0.1:$PORT" RUST_LOG=warn
# Every demo answer is days old, so a server's first start would ask the
# askers of every unsolved demo question "was it solved?" at once, on one
# core, during the measurements: the sweep is off for load runs.
export SIGNPOST_SOLVED_NUDGE_DAYS=0
if [ ! -f "$DATA/.complete" ]; then
  rm -rf "$DATA"
  echo "== generating $QUESTIONS questions x $ANSWERS answers"
  "$BIN" demo-data --questions "$QUESTIONS" --answers-per-question "$ANSWERS" | tail -n 2
  touch "$DATA/.complete"
fi

SHORT=benches/queries/short.txt
LONG=benches/queries/long.txt
# A wrk script sending the queries of a list in turn (URL-encoded).
search_script() { # list-file
  local script
  script=$(mktemp --suffix=.lua)
  {
    echo "local queries = {"
    grep -v '^#' "$1" | grep -v '^[[:space:]]*$' | sed 's/.*/  [[&]],/'
    cat <<'LUA'
}
local function encode(s)
  return (s:gsub("[^%w%-_%.~ ]", function(c) return string.format("%%%02X", string.byte(c)) end):gsub(" ", "+"))
end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/search?q=" .. encode(queries[(i % #queries) + 1]))
end
LUA
  } >"$script"
  echo "$script"
}
SHORT_LUA=$(search_script "$SHORT")
LONG_LUA=$(search_script "$LONG")
count() { grep -v '^#' "$1" | grep -cv '^[[:space:]]*$'; }

# Measures one endpoint: name|requests/s|p50|p99|server CPU µs per request.
# The last is the processor time the process $MEASURED (when set) used per
# request answered: unlike requests/s, other processes on the machine barely
# move it.
run() { # name path [lua] [plain: no Accept-Encoding] [another header]
  local out args=(-t2 -c"$CONNECTIONS" -d"$DURATION" --latency) c0=0 c1=0
  [ "${4:-}" = plain ] || args+=(-H "$BROWSER")
  [ -z "${3:-}" ] || args+=(-s "$3")
  [ -z "${5:-}" ] || args+=(-H "$5")
  [ -z "${MEASURED:-}" ] || c0=$(proc_ticks "$MEASURED")
  out=$(wrk "${args[@]}" "$BASE$2")
  [ -z "${MEASURED:-}" ] || c1=$(proc_ticks "$MEASURED")
  local rps p50 p99 n cpu=""
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  # The server's anonymous memory after each row (the largest is reported).
  [ -z "${ANON_LOG:-}" ] || [ -z "${MEASURED:-}" ] || awk '/^RssAnon/ {print $2}' "/proc/$MEASURED/status" >>"$ANON_LOG"
  if [ -n "${MEASURED:-}" ] && [ "${n:-0}" -gt 0 ]; then
    cpu=$(echo "scale=1; ($c1 - $c0) * 1000000 / $(getconf CLK_TCK) / $n" | bc)
  fi
  printf '%s|%s|%s|%s|%s\n' "$1" "$rps" "$p50" "$p99" "$cpu"
}

# Waits until URL answers (60 s at most).
wait_up() { # url
  for _ in $(seq 1 300); do
    curl -fs -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  curl -fs -o /dev/null "$1" || { echo "nothing answers at $1"; exit 1; }
}

# The yardstick: a bare actix-web hello-world, started once per run.
HELLO_BASE="http://127.0.0.1:$HELLO_PORT"
"$BIN" bench-hello --port "$HELLO_PORT" >/dev/null 2>&1 &
HELLO=$!
wait_up "$HELLO_BASE/"
hello_row() { BASE=$HELLO_BASE MEASURED=$HELLO ANON_LOG= run "bare actix-web hello-world (no middleware)" /; }

# wrk's latencies (850.00us, 1.20ms, 1.05s) in milliseconds.
to_ms() {
  case "$1" in
    *us) echo "scale=3; ${1%us} / 1000" | bc ;;
    *ms) echo "${1%ms}" ;;
    *s) echo "scale=3; ${1%s} * 1000" | bc ;;
    *) echo "$1" ;;
  esac
}
# The median of numbers, one a line.
median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# Median of field $3 (2 = req/s, 3 = p50, 4 = p99, 5 = CPU µs per request) of endpoint $2 in rows
# tagged $1 of $ROWS.
stat() {
  echo "$ROWS" | awk -F'|' -v b="$1" -v n="$2" -v f="$3" '$1 == b && $2 == n {print $(f + 1)}' |
    while read -r v; do if [ "$3" -eq 2 ] || [ "$3" -eq 5 ]; then echo "$v"; else to_ms "$v"; fi; done | median
}
# Size of a file or folder in MB.
size_mb() { du -sb "$@" 2>/dev/null | awk '{t += $1} END {printf "%.0f MB", t / 1048576}'; }

if [ -n "${COMPARE_BIN:-}" ]; then
  # ---- Before and after: two binaries on the same data, alternately --------
  [ -x "$COMPARE_BIN" ] || { echo "no binary at $COMPARE_BIN"; exit 1; }
  BEFORE_DATA=${COMPARE_DATA:-$DATA}
  if [ "$BEFORE_DATA" != "$DATA" ]; then
    if [ "$(cat "$BEFORE_DATA/.copied" 2>/dev/null)" != "$(command stat -c %Y "$DATA/.complete")" ]; then
      echo "== copying $DATA to $BEFORE_DATA for the build before"
      rm -rf "$BEFORE_DATA"
      cp -a "$DATA" "$BEFORE_DATA"
      command stat -c %Y "$DATA/.complete" >"$BEFORE_DATA/.copied"
    fi
    echo "== each build rebuilds its own copy's index"
    SIGNPOST_DATA_DIR=$BEFORE_DATA "$COMPARE_BIN" reindex | tail -n 1
    "$BIN" reindex | tail -n 1
  fi
  BASE="http://127.0.0.1:$PORT"
  trap 'kill $HELLO ${SERVER:-} 2>/dev/null || true; rm -f "$SHORT_LUA" "$LONG_LUA"' EXIT
  ROWS=""
  NAMES=()
  echo "== measuring: $ROUNDS rounds, before ($COMPARE_BIN) and after ($BIN) in turn ($DURATION each, $CONNECTIONS connections)"
  for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
    row=$(hello_row)
    echo "  round $round: $row"
    ROWS+="hello|$row"$'\n'
    for which in $order; do
      if [ "$which" = before ]; then bin=$COMPARE_BIN data=$BEFORE_DATA; else bin=$BIN data=$DATA; fi
      SIGNPOST_DATA_DIR=$data SIGNPOST_SEARCH_CACHE_MB=0 "$bin" serve >/dev/null 2>&1 &
      SERVER=$!
      MEASURED=$SERVER
      wait_up "$BASE/healthz"
      STYLE=$(curl -s "$BASE/" | grep -o '/static/style\.[0-9a-f]*\.css' | head -n 1)
      QUESTION=$(curl -s -o /dev/null -w '%{redirect_url}' "$BASE/questions/$((QUESTIONS / 2))" | sed "s#^$BASE##")
      ENDPOINTS=(
        "static one-line response|/static/favicon.svg|"
        "stylesheet|$STYLE|"
        "404 page|/no/such/page|"
        "home /|/|"
        "question page|$QUESTION|"
        "static one-line response, no Accept-Encoding|/static/favicon.svg|plain"
        "stylesheet, no Accept-Encoding|$STYLE|plain"
        "404 page, no Accept-Encoding|/no/such/page|plain"
        "question page, no Accept-Encoding|$QUESTION|plain"
        "search, 1-3 words, each computed (cache off)|/search||$SHORT_LUA"
        "search, 8-12 words, each computed (cache off)|/search||$LONG_LUA"
      )
      wrk -t2 -c8 -d2s -H "$BROWSER" "$BASE$QUESTION" >/dev/null
      wrk -t2 -c8 -d3s -H "$BROWSER" -s "$SHORT_LUA" "$BASE/search" >/dev/null
      wrk -t2 -c8 -d3s -H "$BROWSER" -s "$LONG_LUA" "$BASE/search" >/dev/null
      for endpoint in "${ENDPOINTS[@]}"; do
        IFS='|' read -r name path plain lua <<<"$endpoint"
        row=$(run "$name" "$path" "$lua" "$plain")
        echo "  round $round $which: $row"
        ROWS+="$which|$row"$'\n'
      done
      kill "$SERVER" 2>/dev/null || true
      wait "$SERVER" 2>/dev/null || true
      MEASURED=
    done
  done
  HELLO_RPS=$(stat hello "bare actix-web hello-world (no middleware)" 2)
  echo
  echo "Posts: $((QUESTIONS * (ANSWERS + 1))); wrk -t2 -c$CONNECTIONS -d$DURATION on loopback; medians over $ROUNDS rounds"
  echo "bare actix-web hello-world: $(printf '%.0f' "$HELLO_RPS") requests/s (the 100 % of the share columns)"
  echo "CPU = the server's processor time per request in µs (other processes barely move it)"
  printf '%-46s %10s %8s %6s %7s %10s %8s %6s %7s %7s\n' "endpoint" "before r/s" "p99 ms" "CPU" "share" "after r/s" "p99 ms" "CPU" "share" "after/before"
  for endpoint in "${ENDPOINTS[@]}"; do
    name=${endpoint%%|*}
    b=$(stat before "$name" 2) a=$(stat after "$name" 2)
    printf '%-46s %10.0f %8.2f %6.1f %6.1f%% %10.0f %8.2f %6.1f %6.1f%% %7.2f\n' "$name" \
      "$b" "$(stat before "$name" 4)" "$(stat before "$name" 5)" "$(echo "100 * $b / $HELLO_RPS" | bc -l)" \
      "$a" "$(stat after "$name" 4)" "$(stat after "$name" 5)" "$(echo "100 * $a / $HELLO_RPS" | bc -l)" \
      "$(echo "$a / $b" | bc -l)"
  done
  echo "hello-world CPU per request: $(stat hello "bare actix-web hello-world (no middleware)" 5) µs"
  exit 0
fi

if [ -n "$PG_URL" ]; then
  # ---- SQLite against PostgreSQL, alternately -------------------------------
  PG_DATA=$DATA-pg
  PG_PORT=$((PORT + 1))
  # Which database holds the copy (password left out of the marker).
  # and from which generated data (its completion time).
  PG_MARK="$(printf '%s' "$PG_URL" | sed 's#//\([^:/@]*\):[^@]*@#//\1@#') $(command stat -c %Y "$DATA/.complete")"
  if [ "$(cat "$PG_DATA/.copied" 2>/dev/null)" != "$PG_MARK" ]; then
    rm -rf "$PG_DATA"
    mkdir -p "$PG_DATA"
    echo "== copying the site to PostgreSQL (migrate-db)"
    start=$(date +%s.%N)
    "$BIN" migrate-db --from "sqlite://$DATA/signpost.db" --to "$PG_URL" | tail -n 3
    copy_s=$(echo "$(date +%s.%N) - $start" | bc)
    echo "copied and verified in ${copy_s%.*} s"
    printf '%s\n' "$PG_MARK" >"$PG_DATA/.copied"
  fi
  echo "== full reindex of each node (servers stopped)"
  "$BIN" reindex | tail -n 1
  SIGNPOST_DATABASE_URL=$PG_URL SIGNPOST_DATA_DIR=$PG_DATA "$BIN" reindex | tail -n 1

  "$BIN" serve >/dev/null 2>&1 &
  SQLITE_SERVER=$!
  SIGNPOST_DATABASE_URL=$PG_URL SIGNPOST_DATA_DIR=$PG_DATA SIGNPOST_LISTEN="127.0.0.1:$PG_PORT" \
    "$BIN" serve >/dev/null 2>&1 &
  PG_SERVER=$!
  trap 'kill $HELLO $SQLITE_SERVER $PG_SERVER 2>/dev/null || true; rm -f "$SHORT_LUA" "$LONG_LUA"' EXIT
  SQLITE_BASE="http://127.0.0.1:$PORT"
  PG_BASE="http://127.0.0.1:$PG_PORT"
  for base in "$SQLITE_BASE" "$PG_BASE"; do
    for _ in $(seq 1 300); do
      curl -fs "$base/healthz" >/dev/null 2>&1 && break
      sleep 0.2
    done
    curl -fs "$base/healthz" >/dev/null || { echo "server at $base did not start"; exit 1; }
  done

  QUESTION=$(curl -s -o /dev/null -w '%{redirect_url}' "$SQLITE_BASE/questions/$((QUESTIONS / 2))" | sed "s#^$SQLITE_BASE##")
  PG_QUESTION=$(curl -s -o /dev/null -w '%{redirect_url}' "$PG_BASE/questions/$((QUESTIONS / 2))" | sed "s#^$PG_BASE##")
  [ "$QUESTION" = "$PG_QUESTION" ] || { echo "the two sites differ: $QUESTION vs $PG_QUESTION"; exit 1; }
  DEEP="/questions?tab=newest&after=$((1700000000 + (QUESTIONS / 2) * 37))_$((QUESTIONS / 2))"
  ENDPOINTS=(
    "static one-line response|/static/favicon.svg|"
    "home /|/|"
    "/questions (first page)|/questions|"
    "/questions (deep keyset page)|$DEEP|"
    "question page|$QUESTION|"
    "search, 1-3 words ($(count "$SHORT") queries, repeated)|/search|$SHORT_LUA"
    "search, 8-12 words ($(count "$LONG") queries, repeated)|/search|$LONG_LUA"
  )

  echo "== warming up both"
  for base in "$SQLITE_BASE" "$PG_BASE"; do
    wrk -t2 -c8 -d3s "$base$QUESTION" >/dev/null
    wrk -t2 -c8 -d3s "$base$DEEP" >/dev/null
    wrk -t2 -c8 -d3s -s "$SHORT_LUA" "$base/search" >/dev/null
    wrk -t2 -c8 -d3s -s "$LONG_LUA" "$base/search" >/dev/null
  done

  # Processor time of every PostgreSQL process alive now and at the end.
  pg_ticks() {
    local total=0 pid
    for pid in $(pgrep -x postgres || true); do
      total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
  }

  echo "== measuring: $ROUNDS rounds, each endpoint on SQLite and PostgreSQL in turn ($DURATION each, $CONNECTIONS connections)"
  T0=$(date +%s.%N) B0=$(busy_ticks) C0=$(child_ticks) P0=$(pg_ticks)
  S0=$(( $(proc_ticks "$SQLITE_SERVER") + $(proc_ticks "$PG_SERVER") ))
  ROWS=""
  for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then order="sqlite postgres"; else order="postgres sqlite"; fi
    for endpoint in "${ENDPOINTS[@]}"; do
      IFS='|' read -r name path lua <<<"$endpoint"
      for backend in $order; do
        if [ "$backend" = sqlite ]; then BASE=$SQLITE_BASE; else BASE=$PG_BASE; fi
        row=$(run "$name" "$path" "$lua")
        echo "  round $round $backend: $row"
        ROWS+="$backend|$row"$'\n'
      done
    done
  done
  T1=$(date +%s.%N) B1=$(busy_ticks) C1=$(child_ticks) P1=$(pg_ticks)
  S1=$(( $(proc_ticks "$SQLITE_SERVER") + $(proc_ticks "$PG_SERVER") ))
  CORES=$(nproc)
  share() { echo "scale=1; 100 * ($1) / (($T1 - $T0) * $(getconf CLK_TCK) * $CORES)" | bc; }
  PG_SHARE=$(share "$P1 - $P0")
  OTHERS=$(share "($B1 - $B0) - ($S1 - $S0) - ($C1 - $C0) - ($P1 - $P0)")
  RSS_SQLITE=$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$SQLITE_SERVER/status")
  RSS_PG=$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$PG_SERVER/status")
  kill $SQLITE_SERVER $PG_SERVER 2>/dev/null || true
  wait $SQLITE_SERVER $PG_SERVER 2>/dev/null || true

  echo
  echo "Posts: $((QUESTIONS * (ANSWERS + 1))) ($QUESTIONS questions, $ANSWERS answers each); wrk -t2 -c$CONNECTIONS -d$DURATION on loopback"
  echo "Medians over $ROUNDS rounds, SQLite and PostgreSQL alternately (ms)"
  printf '%-40s %10s %8s %8s %10s %8s %8s %9s\n' "endpoint" "SQLite r/s" "p50" "p99" "PG r/s" "p50" "p99" "PG/SQLite"
  for endpoint in "${ENDPOINTS[@]}"; do
    name=${endpoint%%|*}
    s_rps=$(stat sqlite "$name" 2) p_rps=$(stat postgres "$name" 2)
    printf '%-40s %10.0f %8.2f %8.2f %10.0f %8.2f %8.2f %9.3f\n' "$name" \
      "$s_rps" "$(stat sqlite "$name" 3)" "$(stat sqlite "$name" 4)" \
      "$p_rps" "$(stat postgres "$name" 3)" "$(stat postgres "$name" 4)" \
      "$(echo "scale=3; $p_rps / $s_rps" | bc)"
  done
  echo
  echo "server peak RSS: SQLite node $RSS_SQLITE, PostgreSQL node $RSS_PG"
  echo "PostgreSQL's processes used ${PG_SHARE} % and other processes ${OTHERS} % of the machine's $CORES cores during the measurements"
  exit 0
fi

if [ -n "${SKIP_REINDEX:-}" ]; then
  reindex_s="not measured (SKIP_REINDEX)"
else
  echo "== full reindex (server stopped)"
  start=$(date +%s.%N)
  "$BIN" reindex | tail -n 1
  reindex_s="$(printf "%.1f" "$(echo "$(date +%s.%N) - $start" | bc)") s"
fi

"$BIN" serve >/dev/null 2>&1 &
SERVER=$!
trap 'kill $HELLO $SERVER 2>/dev/null || true' EXIT
BASE="http://127.0.0.1:$PORT"
wait_up "$BASE/healthz"

STYLE=$(curl -s "$BASE/" | grep -o '/static/style\.[0-9a-f]*\.css' | head -n 1)
QUESTION=$(curl -s -o /dev/null -w '%{redirect_url}' "$BASE/questions/$((QUESTIONS / 2))" | sed "s#^$BASE##")
ARTICLE=/docs/getting-started/configuration
DEEP=$(curl -s "$BASE/questions" >/dev/null; echo "/questions?tab=newest&after=$((1700000000 + (QUESTIONS / 2) * 37))_$((QUESTIONS / 2))")

# Signed in: a member's session for the signed-in row, staff's for the
# freshness check below.
"$BIN" user create loadstaff --role staff --password-stdin <<<"lantern harbor quiet 7" >/dev/null 2>&1 || true
"$BIN" user create loadmember --role member --password-stdin <<<"copper meadow stone 4" >/dev/null 2>&1 || true
JAR=$(mktemp)
MEMBER_JAR=$(mktemp)
csrf() { curl -s -b "$JAR" -c "$JAR" "$BASE$1" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n 1; }
curl -s -b "$JAR" -c "$JAR" -o /dev/null -d "csrf=$(csrf /login)&username=loadstaff&password=lantern+harbor+quiet+7" "$BASE/login"
MEMBER_CSRF=$(curl -s -b "$MEMBER_JAR" -c "$MEMBER_JAR" "$BASE/login" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n 1)
curl -s -b "$MEMBER_JAR" -c "$MEMBER_JAR" -o /dev/null -d "csrf=$MEMBER_CSRF&username=loadmember&password=copper+meadow+stone+4" "$BASE/login"
MEMBER_SESSION=$(awk '$6 == "sp_session" {print $7}' "$MEMBER_JAR")
[ -n "$MEMBER_SESSION" ] || { echo "could not sign in as loadmember"; exit 1; }
MEMBER_COOKIE="Cookie: sp_session=$MEMBER_SESSION"
# A tag page: the first tag of the measured question.
TAG=$(curl -s "$BASE$QUESTION" | grep -o 'href="/tags/[^"/]*"' | head -n 1 | sed 's/^href="//; s/"$//')
[ -n "$TAG" ] || { echo "the question page $QUESTION links no tag"; exit 1; }
ANON_LOG=$(mktemp)

echo "== warming up"
wrk -t2 -c8 -d3s -H "$BROWSER" "$BASE$QUESTION" >/dev/null
wrk -t2 -c8 -d3s -H "$BROWSER" -s "$SHORT_LUA" "$BASE/search" >/dev/null
wrk -t2 -c8 -d3s -H "$BROWSER" -s "$LONG_LUA" "$BASE/search" >/dev/null

echo "== measuring ($DURATION each, $CONNECTIONS connections, wrk on the same machine)"
both_ticks() { echo $(($(proc_ticks "$SERVER") + $(proc_ticks "$HELLO"))); }
T0=$(date +%s.%N) B0=$(busy_ticks) S0=$(both_ticks) C0=$(child_ticks)
MEASURED=$SERVER
RESULTS=$(
  hello_row
  run "static one-line response" /static/favicon.svg
  run "stylesheet" "$STYLE"
  run "404 page, no Accept-Encoding" /no/such/page "" plain
  run "home /" /
  run "article" "$ARTICLE"
  run "/questions (first page)" /questions
  run "/questions (deep keyset page)" "$DEEP"
  run "question page" "$QUESTION"
  run "question page, signed in (member)" "$QUESTION" "" "" "$MEMBER_COOKIE"
  run "tag page ($TAG)" "$TAG"
  run "search, 1-3 words ($(count "$SHORT") queries, repeated)" /search "$SHORT_LUA"
  run "search, 8-12 words ($(count "$LONG") queries, repeated)" /search "$LONG_LUA"
)
T1=$(date +%s.%N) B1=$(busy_ticks) S1=$(both_ticks) C1=$(child_ticks)
CORES=$(nproc)
OTHERS=$(echo "scale=1; 100 * (($B1 - $B0) - ($S1 - $S0) - ($C1 - $C0)) / (($T1 - $T0) * $(getconf CLK_TCK) * $CORES)" | bc)

# How long until a new answer is searchable, while a search load runs
# (loadstaff signed in before the measurements).
wrk -t1 -c8 -d10s -s "$SHORT_LUA" "$BASE/search" >/dev/null &
LOADER=$!
sleep 1
MARK="freshness$RANDOM$RANDOM"
QID=$(echo "$QUESTION" | cut -d/ -f3)
t0=$(date +%s.%N)
curl -s -b "$JAR" -c "$JAR" -o /dev/null -d "csrf=$(csrf "$QUESTION")&body=Answer+with+the+marker+$MARK+in+it" "$BASE/questions/$QID/answers"
fresh="not found within 10 s"
for _ in $(seq 1 200); do
  if curl -s "$BASE/search?q=$MARK+&kind=question" | grep -q 'class="result '; then
    fresh="$(echo "$(date +%s.%N) - $t0" | bc | sed "s/^\./0./" | cut -c1-5) s"
    break
  fi
  sleep 0.05
done
wait $LOADER || true

RSS=$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$SERVER/status")
# What the memory is: anonymous (heap, stacks: what the process itself
# holds) against file-backed (the mmap'd search index and the binary, pages
# the kernel may drop and read again).
PEAK_ANON=$(sort -n "$ANON_LOG" | tail -n 1 | awk '{printf "%.0f MB", $1/1024}')
MEMORY=$(awk '/^(RssAnon|RssFile|RssShmem)/ {printf "%s%s %.0f MB", sep, $1, $2/1024; sep=", "}' "/proc/$SERVER/status")
HELLO_RPS=$(echo "$RESULTS" | head -n 1 | cut -d'|' -f2)
kill $SERVER 2>/dev/null || true
wait $SERVER 2>/dev/null || true

# The same searches computed every time: the server again with its result
# cache off, so each row measures the search itself, not the cache.
SIGNPOST_SEARCH_CACHE_MB=0 "$BIN" serve >/dev/null 2>&1 &
SERVER=$!
wait_up "$BASE/healthz"
wrk -t2 -c8 -d3s -H "$BROWSER" -s "$SHORT_LUA" "$BASE/search" >/dev/null
wrk -t2 -c8 -d3s -H "$BROWSER" -s "$LONG_LUA" "$BASE/search" >/dev/null
MEASURED=$SERVER
RESULTS="$RESULTS
$(
  run "search, 1-3 words, each computed (cache off)" /search "$SHORT_LUA"
  run "search, 8-12 words, each computed (cache off)" /search "$LONG_LUA"
)"
kill $SERVER $HELLO 2>/dev/null || true
wait $SERVER $HELLO 2>/dev/null || true
INDEX_SIZE=$(size_mb "$DATA/index")
DB_SIZE=$(size_mb "$DATA"/signpost.db*)

# The same query lists in-process, Signpost and FTS5 side by side (the FTS5
# file is built next to the data on the first run and after data changes).
if [ -n "${SKIP_ENGINES:-}" ]; then
  ENGINES="(search engines side by side: skipped, SKIP_ENGINES is set)"
else
  echo "== search engines side by side (server stopped)"
  ENGINES=$("$BIN" bench-search --threads "$CONNECTIONS" --seconds "${DURATION%s}" "$SHORT" "$LONG")
fi

echo
echo "Posts: $((QUESTIONS * (ANSWERS + 1))) ($QUESTIONS questions, $ANSWERS answers each); wrk -t2 -c$CONNECTIONS -d$DURATION on loopback"
echo "Every request sends '$BROWSER' unless its row says otherwise; share = requests/s as a share of the hello-world's"
printf '%-44s %12s %10s %10s %8s %8s\n' "endpoint" "requests/s" "p50" "p99" "share" "CPU µs"
echo "$RESULTS" | while IFS='|' read -r name rps p50 p99 cpu; do
  printf '%-44s %12s %10s %10s %7.1f%% %8s\n' "$name" "$rps" "$p50" "$p99" "$(echo "100 * $rps / $HELLO_RPS" | bc -l)" "$cpu"
done
echo "(CPU µs: the server's processor time per request; other processes barely move it)"
echo
echo "full reindex: $reindex_s | answer searchable after: $fresh | server peak RSS: $RSS"
echo "server memory at the end: $MEMORY | largest RssAnon after a row: $PEAK_ANON"
echo "on disk: search index $INDEX_SIZE, database $DB_SIZE"

# How cost grows: one row per size, kept across runs.
GROWTH=target/load-growth.txt
field() { echo "$RESULTS" | awk -F'|' -v n="$1" -v f="$2" '$1 == n {print $f}'; }
POSTS=$((QUESTIONS * (ANSWERS + 1)))
ROW=$(printf '%s|%.0f|%.0f (%.1f%%)|%s|%.0f (%.1f%%)|%s|%s|%s|%s' "$POSTS" "$HELLO_RPS" \
  "$(field "question page" 2)" "$(echo "100 * $(field "question page" 2) / $HELLO_RPS" | bc -l)" "$(field "question page" 4)" \
  "$(field "/questions (first page)" 2)" "$(echo "100 * $(field "/questions (first page)" 2) / $HELLO_RPS" | bc -l)" "$(field "/questions (first page)" 4)" \
  "$RSS" "$INDEX_SIZE" "$DB_SIZE")
{ grep -v "^$POSTS|" "$GROWTH" 2>/dev/null || true; echo "$ROW"; } | sort -t'|' -k1,1n >"$GROWTH.new"
mv "$GROWTH.new" "$GROWTH"
echo
echo "How cost grows (every size measured so far, $GROWTH)"
printf '%10s %10s %20s %10s %20s %10s %9s %9s %9s\n' "posts" "hello r/s" "question page r/s" "p99" "/questions r/s" "p99" "peak RSS" "index" "database"
while IFS='|' read -r posts hello q qp l lp rss idx db; do
  printf '%10s %10s %20s %10s %20s %10s %9s %9s %9s\n' "$posts" "$hello" "$q" "$qp" "$l" "$lp" "$rss" "$idx" "$db"
done <"$GROWTH"
echo
echo "$ENGINES"
echo
echo "other processes used ${OTHERS} % of the machine's $CORES cores during the HTTP measurements"
rm -f "$SHORT_LUA" "$LONG_LUA" "$JAR" "$MEMBER_JAR" "$ANON_LOG"
