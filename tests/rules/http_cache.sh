# A Bazel HTTP remote cache on loopback for tests (sourced, not run): nginx
# with WebDAV PUT, which is all Bazel's HTTP cache protocol needs (GET and PUT
# of /ac/<sha256> and /cas/<sha256>). No system service: a config, the stored
# blobs and the logs live in a scratch folder, on a free port of 127.0.0.1.
# nginx comes from Debian (`tools/setup.sh --remote-cache`).
#
#   start_http_cache DIR   starts it, sets http_cache_url (http://127.0.0.1:PORT)
#                          and http_cache_pid; blobs go to DIR/store
#   stop_http_cache        stops it (call from an exit trap)

http_cache_url=""
http_cache_pid=""

_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_write_nginx_conf() {  # dir port
  local dir="$1" port="$2" user_line=""
  # Run as root (CI), nginx would switch its worker to "nobody", who cannot
  # write to the scratch folder.
  (( EUID == 0 )) && user_line="user root;"
  cat >"$dir/nginx.conf" <<CONF
$user_line
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 64; }
http {
  access_log $dir/access.log;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$port;
    root $dir/store;
    client_max_body_size 0;
    location / {
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw;
    }
  }
}
CONF
}

# True once a PUT then GET of a probe blob round-trips.
_cache_answers() {
  python3 - "$1" <<'PY'
import sys, urllib.request
url = sys.argv[1] + "/probe/ok"
try:
    urllib.request.urlopen(urllib.request.Request(url, data=b"ok", method="PUT"), timeout=2)
    sys.exit(0 if urllib.request.urlopen(url, timeout=2).read() == b"ok" else 1)
except Exception:
    sys.exit(1)
PY
}

start_http_cache() {
  local dir="$1" port try i
  command -v nginx >/dev/null || { echo "nginx is not installed: run tools/setup.sh --remote-cache" >&2; return 1; }
  mkdir -p "$dir/store" "$dir/tmp"
  # A port free now may be taken before nginx binds it: try a few.
  for try in 1 2 3 4 5; do
    port="$(_free_port)"
    _write_nginx_conf "$dir" "$port"
    nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
    http_cache_pid=$!
    http_cache_url="http://127.0.0.1:$port"
    for i in $(seq 50); do
      kill -0 "$http_cache_pid" 2>/dev/null || break
      if _cache_answers "$http_cache_url"; then
        rm -rf "$dir/store/probe"
        echo "http cache: nginx (pid $http_cache_pid) at $http_cache_url, blobs in $dir/store" >&2
        return 0
      fi
      sleep 0.2
    done
    stop_http_cache
  done
  echo "could not start nginx as an HTTP cache; its log:" >&2
  cat "$dir/error.log" >&2 || true
  return 1
}

stop_http_cache() {
  if [[ -n "$http_cache_pid" ]]; then
    kill "$http_cache_pid" 2>/dev/null || true
    wait "$http_cache_pid" 2>/dev/null || true
  fi
  http_cache_pid=""
}
