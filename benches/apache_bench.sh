#!/usr/bin/env bash
# Throughput of mod_corsgate vs. the hand-written `Header set` configuration
# it replaces, on loopback with wrk: the same static file, the same CORS
# headers (checked first), alternating rounds so load from elsewhere on the
# machine hits both alike. Bounded: 2 x 2 x ROUNDS x SECONDS of load, loopback
# only; the httpd it starts is stopped on exit.
#
# Usage: benches/apache_bench.sh   (ROUNDS=5 SECONDS_PER_RUN=6 THREADS=2 CONNECTIONS=50
#                                   PREFLIGHT_REWRITE=server|directory)
# Two request shapes (an actual GET, a preflight): 2 x 2 x ROUNDS runs.
# Figures are recorded in benches/RESULTS.md, section "Apache httpd".
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
so=$(bindings/apache/build | tail -n 1)

work=$(mktemp -d)
chmod 755 "$work"
mkdir -p "$work/docs"
echo hello >"$work/docs/index.txt"
stop() {
  if [ -s "$work/httpd.pid" ]; then
    apache2 -f "$work/httpd.conf" -k stop 2>/dev/null || true
    pid=$(cat "$work/httpd.pid" 2>/dev/null || echo)
    for _ in $(seq 100); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$work"
}
trap stop EXIT

read -r port_module port_manual < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
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

# Where the hand-written configuration answers preflights: `server` (a
# RewriteRule in the virtual host, run in translate_name, before Apache maps
# the URL to the file system) or `directory` (the same rule in <Directory>,
# run after that walk, where mod_corsgate answers too).
case "${PREFLIGHT_REWRITE:-server}" in
  server) rewrite=$'  RewriteEngine On\n  RewriteCond %{REQUEST_METHOD} OPTIONS\n  RewriteRule ^ - [R=204,L]' ;;
  directory) rewrite=$(printf '  <Directory "%s/docs">\n    RewriteEngine On\n    RewriteCond %%{REQUEST_METHOD} OPTIONS\n    RewriteRule ^ - [R=204,L]\n  </Directory>' "$work") ;;
  *) echo "PREFLIGHT_REWRITE is server or directory" >&2; exit 2 ;;
esac
m=/usr/lib/apache2/modules
user=""
[ "$(id -u)" = 0 ] && user=$'User www-data\nGroup www-data'
cat >"$work/httpd.conf" <<EOF
ServerRoot "$work"
DefaultRuntimeDir "$work"
Mutex file:$work default
PidFile "$work/httpd.pid"
ErrorLog "$work/error.log"
LogLevel warn
ServerName 127.0.0.1
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule headers_module $m/mod_headers.so
LoadModule setenvif_module $m/mod_setenvif.so
LoadModule rewrite_module $m/mod_rewrite.so
LoadModule mime_module $m/mod_mime.so
LoadModule corsgate_module $so
$user
TypesConfig /etc/mime.types
StartServers 1
ServerLimit 1
ThreadsPerChild 64
MaxRequestWorkers 64
KeepAliveTimeout 30
MaxKeepAliveRequests 0
Listen 127.0.0.1:$port_module
Listen 127.0.0.1:$port_manual
DocumentRoot "$work/docs"
<Directory "$work/docs">
  Require all granted
</Directory>

<VirtualHost 127.0.0.1:$port_module>
  CorsgatePolicy $work/policy.toml
</VirtualHost>

# The same policy written by hand, as Apache users do today.
<VirtualHost 127.0.0.1:$port_manual>
  SetEnvIf Origin "^https://app\.example\.com\$" CORS_ORIGIN=\$0
  Header always set Access-Control-Allow-Origin "%{CORS_ORIGIN}e" env=CORS_ORIGIN
  Header always set Access-Control-Allow-Credentials "true" env=CORS_ORIGIN
  <If "%{REQUEST_METHOD} == 'OPTIONS'">
    Header always set Access-Control-Allow-Methods "PUT" env=CORS_ORIGIN
    Header always set Access-Control-Allow-Headers "content-type" env=CORS_ORIGIN
    Header always set Access-Control-Max-Age "600" env=CORS_ORIGIN
    Header always set Vary "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
  </If>
  <Else>
    Header always set Access-Control-Expose-Headers "x-request-id" env=CORS_ORIGIN
    Header always merge Vary "Origin"
  </Else>
$rewrite
</VirtualHost>
EOF
apache2 -f "$work/httpd.conf" -k start
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port_module/index.txt" && break; sleep 0.1; done

cat >"$work/actual.lua" <<'EOF'
wrk.method = "GET"
wrk.path = "/index.txt"
wrk.headers["Origin"] = "https://app.example.com"
EOF
cat >"$work/preflight.lua" <<'EOF'
wrk.method = "OPTIONS"
wrk.path = "/index.txt"
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
  curl -s -D - -o /dev/null "${args[@]}" "http://127.0.0.1:$1/index.txt" | tr -d '\r' \
    | grep -iE '^(HTTP/|access-control-|vary:)' | sed 's/, */,/g' | sort -f
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

# One wrk run: "requests/s httpd-CPU-microseconds-per-request" (every httpd
# process: the one child serves both virtual hosts).
ticks() {
  local t=0 p
  for p in $(pgrep -f "apache2 -f $work/httpd.conf"); do
    t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
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
    echo "$shape round $round: module $a_rps req/s ($a_cpu us CPU/req), Header set $b_rps req/s ($b_cpu us CPU/req)"
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
print(f"{sys.argv[1]}: requests/s median module {med(a_rps):.0f}, Header set {med(b_rps):.0f}, "
      f"per-round ratio median {ratio:.3f}; httpd CPU per request median "
      f"module {med(a_cpu):.2f} us, Header set {med(b_cpu):.2f} us "
      f"(Header set/module {med(b_cpu) / med(a_cpu):.3f})")
EOF
done
