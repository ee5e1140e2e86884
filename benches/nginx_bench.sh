#!/usr/bin/env bash
# Throughput of ngx_http_corsgate_module vs. the hand-written add_header
# configuration it replaces, on loopback with wrk: the same static response,
# the same CORS headers (checked first), alternating rounds so load from
# elsewhere on the machine hits both alike. Bounded: 2 x 2 x ROUNDS x SECONDS of
# load, loopback only; the nginx it starts is stopped on exit.
#
# Usage: benches/nginx_bench.sh   (ROUNDS=5 SECONDS_PER_RUN=6 THREADS=2 CONNECTIONS=50)
#        CALLGRIND=1 benches/nginx_bench.sh   also counts the worker's instructions
#        per request under callgrind (deterministic: immune to machine load).
# Two request shapes (an actual GET, a preflight): 2 x 2 x ROUNDS runs.
# Figures are recorded in benches/RESULTS.md, section "nginx".
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_RUN:-6}
threads=${THREADS:-2}
connections=${CONNECTIONS:-50}

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
so=$(bindings/nginx/build | tail -n 1)

work=$(mktemp -d)
chmod 755 "$work"
stop() {
  if [ -s "$work/nginx.pid" ]; then
    pid=$(cat "$work/nginx.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$work"
}
trap stop EXIT

read -r port_module port_manual port_plain < <(python3 -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')

cat >"$work/policy.toml" <<'EOF'
origins = ["https://app.example.com"]
credentials = true
methods = ["PUT"]
request_headers = ["content-type"]
expose_headers = ["x-request-id"]
max_age = 600
EOF

cat >"$work/nginx.conf" <<EOF
load_module $so;
pid $work/nginx.pid;
error_log $work/error.log warn;
worker_processes 1;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;

  server {
    listen 127.0.0.1:$port_module;
    location / {
      corsgate_policy $work/policy.toml;
      return 200 "hello\n";
    }
  }

  # No CORS at all: the floor both are measured against (CALLGRIND=1).
  server {
    listen 127.0.0.1:$port_plain;
    location / { return 200 "hello\n"; }
  }

  # The same policy written by hand, as nginx users do today.
  map \$http_origin \$cors_origin {
    default "";
    "https://app.example.com" \$http_origin;
  }
  map \$cors_origin \$cors_credentials { "" ""; default "true"; }
  map \$cors_origin \$cors_expose { "" ""; default "x-request-id"; }
  server {
    listen 127.0.0.1:$port_manual;
    location / {
      if (\$request_method = OPTIONS) {
        add_header Access-Control-Allow-Origin \$cors_origin always;
        add_header Access-Control-Allow-Credentials \$cors_credentials always;
        add_header Access-Control-Allow-Methods PUT always;
        add_header Access-Control-Allow-Headers content-type always;
        add_header Access-Control-Max-Age 600 always;
        add_header Vary "Origin, Access-Control-Request-Method, Access-Control-Request-Headers" always;
        return 204;
      }
      add_header Access-Control-Allow-Origin \$cors_origin always;
      add_header Access-Control-Allow-Credentials \$cors_credentials always;
      add_header Access-Control-Expose-Headers \$cors_expose always;
      add_header Vary Origin always;
      return 200 "hello\n";
    }
  }
}
EOF
nginx -q -p "$work" -c "$work/nginx.conf" -e "$work/error.log"
for _ in $(seq 50); do [ -s "$work/nginx.pid" ] && break; sleep 0.1; done

# Two request shapes: an actual GET from the allowed origin, and a preflight.
cat >"$work/actual.lua" <<'EOF'
wrk.method = "GET"
wrk.headers["Origin"] = "https://app.example.com"
EOF
cat >"$work/preflight.lua" <<'EOF'
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "https://app.example.com"
wrk.headers["Access-Control-Request-Method"] = "PUT"
wrk.headers["Access-Control-Request-Headers"] = "content-type"
EOF

# Both must answer alike, or the comparison means nothing.
answer() {
  local args=(-H 'Origin: https://app.example.com')
  if [ "$2" = preflight ]; then
    args+=(-X OPTIONS -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: content-type')
  fi
  curl -s -D - -o /dev/null "${args[@]}" "http://127.0.0.1:$1/" | tr -d '\r' \
    | grep -iE '^(HTTP/|access-control-|vary:)' | sort -f
}
for shape in actual preflight; do
  if [ "$(answer "$port_module" $shape)" != "$(answer "$port_manual" $shape)" ]; then
    echo "the two configurations answer a $shape request differently:" >&2
    diff <(answer "$port_module" $shape) <(answer "$port_manual" $shape) >&2 || true
    exit 1
  fi
  echo "$shape: both send"
  answer "$port_module" $shape | sed 's/^/  /'
done

# One wrk run: "requests/s worker-CPU-microseconds-per-request". The CPU time
# the nginx worker spent per request is the module's cost with little of the
# noise that other load on the machine puts into requests/s.
worker=$(pgrep -P "$(cat "$work/nginx.pid")" | head -n 1)
ticks() { awk '{ print $14 + $15 }' "/proc/$worker/stat"; }
hz=$(getconf CLK_TCK)
run() {
  local before after out
  before=$(ticks)
  out=$(wrk -t"$threads" -c"$connections" -d"$3" -s "$work/$2.lua" "http://127.0.0.1:$1/")
  after=$(ticks)
  awk -v t=$((after - before)) -v hz="$hz" '
    /^Requests\/sec:/ { rps = $2 }
    / requests in / { n = $1 }
    END { printf "%s %.2f\n", rps, t / hz * 1e6 / n }' <<<"$out"
}
run "$port_module" actual 2s >/dev/null   # warm up
run "$port_manual" actual 2s >/dev/null

for shape in actual preflight; do
  module=()
  manual=()
  for round in $(seq "$rounds"); do
    module+=("$(run "$port_module" $shape "${seconds}s")")
    manual+=("$(run "$port_manual" $shape "${seconds}s")")
    read -r a_rps a_cpu <<<"${module[-1]}"
    read -r b_rps b_cpu <<<"${manual[-1]}"
    echo "$shape round $round: module $a_rps req/s ($a_cpu us CPU/req), add_header $b_rps req/s ($b_cpu us CPU/req)"
  done
  python3 - "$shape" "${module[*]}" "${manual[*]}" <<'EOF'
import statistics, sys
def pairs(text):
    v = [float(x) for x in text.split()]
    return v[0::2], v[1::2]
(a_rps, a_cpu), (b_rps, b_cpu) = pairs(sys.argv[2]), pairs(sys.argv[3])
med = statistics.median
# Each round's two runs are back to back: their ratio shrugs off slow drifts.
ratio = med(x / y for x, y in zip(a_rps, b_rps))
print(f"{sys.argv[1]}: requests/s median module {med(a_rps):.0f}, add_header {med(b_rps):.0f}, "
      f"per-round ratio median {ratio:.3f}; worker CPU per request median "
      f"module {med(a_cpu):.2f} us, add_header {med(b_cpu):.2f} us "
      f"(add_header/module {med(b_cpu) / med(a_cpu):.3f})")
EOF
done

[ "${CALLGRIND:-0}" = 1 ] || exit 0

# Instructions per request in user space (nginx + module + engine), counted by
# callgrind in a single-process nginx: N keep-alive requests per server after
# a warm-up, counters zeroed before and dumped after.
command -v valgrind >/dev/null 2>&1 || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
}
pid=$(cat "$work/nginx.pid")
kill "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
sed -e 's/^worker_processes 1;/worker_processes 1; master_process off; daemon off;/' \
    -e "s|^pid .*|pid $work/cg.pid;|" \
    -e 's/^  access_log off;/  access_log off; keepalive_requests 100000;/' "$work/nginx.conf" >"$work/cg.conf"
valgrind -q --tool=callgrind --callgrind-out-file="$work/cg.out" \
  nginx -p "$work" -c "$work/cg.conf" -e "$work/error.log" &
vpid=$!
trap 'kill "$vpid" 2>/dev/null || true; wait "$vpid" 2>/dev/null || true; stop' EXIT
requests=${CALLGRIND_REQUESTS:-2000}
client() {   # PORT SHAPE COUNT
  python3 - "$@" <<'EOF'
import socket, sys, time
port, shape, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
req = b"GET / HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example.com\r\n\r\n"
if shape == "preflight":
    req = (b"OPTIONS / HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example.com\r\n"
           b"Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type\r\n\r\n")
for _ in range(300):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        break
    except OSError:
        time.sleep(0.1)
for _ in range(count):
    s.sendall(req)
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        body += s.recv(65536)
EOF
}
dumps=0
for shape in actual preflight; do
  line="$shape instructions/request:"
  for target in plain:$port_plain module:$port_module add_header:$port_manual; do
    client "${target#*:}" $shape 50
    callgrind_control -z "$vpid" >/dev/null 2>&1
    client "${target#*:}" $shape "$requests"
    callgrind_control -d "$vpid" >/dev/null 2>&1
    dumps=$((dumps + 1))
    total=$(awk '/^totals:/ { print $2 }' "$work/cg.out.$dumps")
    line="$line ${target%%:*} $((total / requests))"
  done
  echo "$line"
done
