#!/usr/bin/env bash
# K replicas of convexviz behind HAProxy, on one machine, as an ordinary user.
#
#   deploy/cluster.sh up K PORT   start K replicas on 127.0.0.1:PORT+1 .. PORT+K and the
#                                 balancer on PORT (of 127.0.0.1, or of the address in
#                                 CONVEXVIZ_BALANCER_ADDRESS, e.g. 0.0.0.0 for a class);
#                                 returns once every replica answers /_stcore/health and
#                                 the balancer answers
#   deploy/cluster.sh down        stop the balancer and every replica (idempotent)
#   deploy/cluster.sh status      each process: running or not, healthy or not
#   deploy/cluster.sh config K PORT   print the balancer configuration `up K PORT` would use
#
# Each replica runs the README's app command, `streamlit run app.py`, plus the address and
# port flags, from the repository root, with the `streamlit` found on PATH (activate the
# virtual environment of the README's "Run the app" first). The balancer is Debian's
# haproxy (`apt-get install haproxy`), configured from deploy/haproxy.cfg.in.
#
# Everything the cluster writes lives in deploy/.run/ (git-ignored; CONVEXVIZ_RUN_DIR moves
# it): the rendered haproxy.cfg, pid files replica-<i>.pid and balancer.pid, logs
# replica-<i>.log and balancer.log, HAProxy's stats socket, and cookie_secret: one secret
# shared by all replicas (STREAMLIT_SERVER_COOKIE_SECRET; generated once, or taken from
# the environment when set), so a cookie signed by one replica is valid on every other.
#
# Environment (all optional):
#   CONVEXVIZ_BALANCER_ADDRESS   IPv4 address the balancer listens on (default 127.0.0.1;
#                                the replicas always listen on 127.0.0.1 only)
#   CONVEXVIZ_RUN_DIR            where the cluster writes (default deploy/.run)
#   CONVEXVIZ_STARTUP_TIMEOUT    seconds to wait for the replicas' health (default 120)
#   HAPROXY                      the balancer's binary (default: haproxy on PATH, else
#                                /usr/sbin/haproxy)
#   STREAMLIT_SERVER_COOKIE_SECRET   the replicas' shared secret (default: generated once)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY="$ROOT/deploy"
RUN_DIR="${CONVEXVIZ_RUN_DIR:-$DEPLOY/.run}"
STARTUP_TIMEOUT="${CONVEXVIZ_STARTUP_TIMEOUT:-120}"
MAX_REPLICAS=32
BALANCER_ADDRESS="${CONVEXVIZ_BALANCER_ADDRESS:-127.0.0.1}"
# Debian installs haproxy in /usr/sbin, which an ordinary user's PATH often lacks.
HAPROXY="${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}"

# Deployment settings of every replica (the same in deploy/Dockerfile and
# deploy/kubernetes.json): no browser to open, no watching the source for edits.
export STREAMLIT_SERVER_HEADLESS=true
export STREAMLIT_SERVER_FILE_WATCHER_TYPE=none

usage() {
  echo "usage: $0 up K PORT | down | status | config K PORT" >&2
  echo "  up K PORT: K replicas (1..$MAX_REPLICAS) on 127.0.0.1:PORT+1..PORT+K," \
    "the balancer on PORT (1024..65535-K)" >&2
  exit 2
}

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 < 1000000)); }

# http_status PORT PATH [HOST]: the status code of GET PATH on HOST:PORT (127.0.0.1 unless
# given; "000" when nothing answers within 2 s). Plain bash (/dev/tcp): no curl needed.
http_status() {
  local port=$1 path=$2 host=${3:-127.0.0.1} line="" fd
  if ! { exec {fd}<>"/dev/tcp/$host/$port"; } 2>/dev/null; then
    echo 000
    return
  fi
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&"$fd" || true
  IFS= read -r -t 2 line <&"$fd" || true
  exec {fd}>&-
  if [[ $line =~ ^HTTP/[0-9.]+\ ([0-9]{3}) ]]; then
    echo "${BASH_REMATCH[1]}"
  else
    echo 000
  fi
}

# port_in_use PORT [HOST]: whether something accepts connections on HOST:PORT.
port_in_use() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

# balancer_host: where this machine reaches the balancer (its address; 0.0.0.0 is every
# address, 127.0.0.1 among them).
balancer_host() {
  if [[ $BALANCER_ADDRESS == 0.0.0.0 ]]; then echo 127.0.0.1; else echo "$BALANCER_ADDRESS"; fi
}

# alive PIDFILE WORD: whether the pid in PIDFILE runs (not a zombie) and its command line
# contains WORD (a pid reused by an unrelated process is never signalled).
alive() {
  local pidfile=$1 word=$2 pid stat
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  is_uint "$pid" || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$word"
}

# started PIDFILE WORD: wait (up to 5 s) until the process just started in the background
# runs WORD: between fork and exec its command line is still this script's.
started() {
  for _ in $(seq 50); do
    alive "$1" "$2" && return 0
    sleep 0.1
  done
  return 1
}

# stop PIDFILE WORD: SIGTERM, up to 10 s of grace, then SIGKILL; remove the pid file.
stop() {
  local pidfile=$1 word=$2 pid
  if alive "$pidfile" "$word"; then
    pid=$(<"$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      alive "$pidfile" "$word" || break
      sleep 0.1
    done
    if alive "$pidfile" "$word"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# running_any: whether the balancer or any replica of RUN_DIR still runs.
running_any() {
  local pidfile
  alive "$RUN_DIR/balancer.pid" haproxy && return 0
  for pidfile in "$RUN_DIR"/replica-*.pid; do
    alive "$pidfile" streamlit && return 0
  done
  return 1
}

down() {
  [[ -d $RUN_DIR ]] || return 0
  stop "$RUN_DIR/balancer.pid" haproxy
  rm -f "$RUN_DIR/haproxy.sock"
  local pidfile
  for pidfile in "$RUN_DIR"/replica-*.pid; do
    [[ -e $pidfile ]] && stop "$pidfile" streamlit
  done
  return 0
}

# fail MESSAGE [LOG]: report, show the end of LOG, stop whatever was started, exit 1.
fail() {
  echo "cluster.sh: $1" >&2
  if [[ -n ${2:-} && -f $2 ]]; then
    echo "--- last lines of $2:" >&2
    tail -n 20 "$2" >&2
  fi
  down
  exit 1
}

cookie_secret() {
  if [[ -n ${STREAMLIT_SERVER_COOKIE_SECRET:-} ]]; then
    printf '%s' "$STREAMLIT_SERVER_COOKIE_SECRET"
    return
  fi
  local file="$RUN_DIR/cookie_secret"
  if [[ ! -s $file ]]; then
    od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$file"
  fi
  cat "$file"
}

# render_config PORT K: the balancer's configuration for K replicas, on standard output.
render_config() {
  local port=$1 k=$2 line i
  while IFS= read -r line; do
    if [[ $line == *"# @SERVERS@"* ]]; then
      for ((i = 1; i <= k; i++)); do
        printf '    server r%d 127.0.0.1:%d cookie r%d\n' "$i" $((port + i)) "$i"
      done
      continue
    fi
    line=${line//@BALANCER_PORT@/$port}
    line=${line//@BALANCER_ADDRESS@/$BALANCER_ADDRESS}
    printf '%s\n' "${line//@RUN_DIR@/$RUN_DIR}"
  done <"$DEPLOY/haproxy.cfg.in"
}

# check_counts K PORT: exit with the usage unless 1 <= K <= MAX_REPLICAS and the ports fit;
# exit 1 unless the balancer's address is an IPv4 address.
check_counts() {
  { is_uint "$1" && (($1 >= 1 && $1 <= MAX_REPLICAS)); } || usage
  { is_uint "$2" && (($2 >= 1024 && $2 + $1 <= 65535)); } || usage
  local octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
  [[ $BALANCER_ADDRESS =~ ^$octet\.$octet\.$octet\.$octet$ ]] ||
    die "CONVEXVIZ_BALANCER_ADDRESS must be an IPv4 address such as 0.0.0.0," \
      "not '$BALANCER_ADDRESS'"
}

wait_healthy() {
  local k=$1 port=$2 deadline=$((SECONDS + STARTUP_TIMEOUT)) i pending
  while true; do
    pending=0
    for ((i = 1; i <= k; i++)); do
      alive "$RUN_DIR/replica-$i.pid" streamlit ||
        fail "replica $i (port $((port + i))) exited during startup" "$RUN_DIR/replica-$i.log"
      [[ $(http_status $((port + i)) /_stcore/health) == 200 ]] || pending=$((pending + 1))
    done
    ((pending == 0)) && return 0
    ((SECONDS < deadline)) || fail "$pending replica(s) not healthy after ${STARTUP_TIMEOUT} s"
    sleep 0.5
  done
}

up() {
  local k=$1 port=$2 i replica_port
  check_counts "$k" "$port"
  command -v streamlit >/dev/null ||
    die "streamlit not found on PATH: activate the virtual environment (README, 'Run the app')"
  [[ -x $HAPROXY ]] || die "haproxy not found: apt-get install haproxy"
  [[ -f $ROOT/app.py ]] || die "no app.py in $ROOT"
  is_uint "$STARTUP_TIMEOUT" || die "CONVEXVIZ_STARTUP_TIMEOUT must be a number of seconds"
  (umask 077 && mkdir -p "$RUN_DIR")
  if running_any; then
    die "a cluster is already running from $RUN_DIR: run '$0 down' first"
  fi
  down # forget the pid files of processes that died on their own
  rm -f "$RUN_DIR"/replica-*.log # a smaller cluster than last time leaves no stale logs
  if port_in_use "$port" "$(balancer_host)"; then
    die "port $port is in use (the balancer takes PORT, the replicas PORT+1..PORT+K)"
  fi
  for ((i = 1; i <= k; i++)); do
    if port_in_use $((port + i)); then
      die "port $((port + i)) is in use (the balancer takes PORT, the replicas PORT+1..PORT+K)"
    fi
  done
  local secret
  secret=$(umask 077 && cookie_secret)
  cd "$ROOT"
  for ((i = 1; i <= k; i++)); do
    replica_port=$((port + i))
    STREAMLIT_SERVER_COOKIE_SECRET="$secret" nohup \
      streamlit run app.py --server.address 127.0.0.1 --server.port "$replica_port" \
      >"$RUN_DIR/replica-$i.log" 2>&1 </dev/null &
    echo $! >"$RUN_DIR/replica-$i.pid"
    started "$RUN_DIR/replica-$i.pid" streamlit ||
      fail "replica $i did not start" "$RUN_DIR/replica-$i.log"
  done
  wait_healthy "$k" "$port"

  render_config "$port" "$k" >"$RUN_DIR/haproxy.cfg"
  "$HAPROXY" -c -q -f "$RUN_DIR/haproxy.cfg" >"$RUN_DIR/balancer.log" 2>&1 ||
    fail "haproxy rejected $RUN_DIR/haproxy.cfg" "$RUN_DIR/balancer.log"
  nohup "$HAPROXY" -db -f "$RUN_DIR/haproxy.cfg" >>"$RUN_DIR/balancer.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/balancer.pid"
  started "$RUN_DIR/balancer.pid" haproxy || fail "haproxy did not start" "$RUN_DIR/balancer.log"
  local deadline=$((SECONDS + 30))
  local host
  host=$(balancer_host)
  until [[ $(http_status "$port" /_balancer/health "$host") == 200 &&
    $(http_status "$port" /_stcore/health "$host") == 200 ]]; do
    alive "$RUN_DIR/balancer.pid" haproxy || fail "haproxy exited" "$RUN_DIR/balancer.log"
    ((SECONDS < deadline)) || fail "the balancer does not answer on port $port" \
      "$RUN_DIR/balancer.log"
    sleep 0.2
  done
  echo "convexviz: $k replica(s) on 127.0.0.1:$((port + 1))..$((port + k)) behind" \
    "http://$host:$port/ (logs and pids in $RUN_DIR)"
}

status() {
  local pidfile name port
  [[ -f $RUN_DIR/haproxy.cfg ]] || {
    echo "no cluster has run from $RUN_DIR"
    return 0
  }
  if alive "$RUN_DIR/balancer.pid" haproxy; then
    echo "balancer: running (pid $(<"$RUN_DIR/balancer.pid"))"
  else
    echo "balancer: stopped"
  fi
  while read -r name port; do
    pidfile="$RUN_DIR/replica-${name#r}.pid"
    if alive "$pidfile" streamlit; then
      echo "replica $name on port $port: running (pid $(<"$pidfile")), health" \
        "$(http_status "$port" /_stcore/health)"
    else
      echo "replica $name on port $port: stopped"
    fi
  done < <(sed -n 's/^ *server \(r[0-9]*\) [0-9.]*:\([0-9]*\) .*/\1 \2/p' "$RUN_DIR/haproxy.cfg")
}

case "${1:-}" in
  up)
    (($# == 3)) || usage
    up "$2" "$3"
    ;;
  down)
    (($# == 1)) || usage
    down
    ;;
  status)
    (($# == 1)) || usage
    status
    ;;
  config)
    (($# == 3)) || usage
    check_counts "$2" "$3"
    render_config "$3" "$2"
    ;;
  *) usage ;;
esac
