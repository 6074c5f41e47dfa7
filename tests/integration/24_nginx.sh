#!/bin/bash
# nginx under tcpx, master + two worker processes sharing one tcpx
# listener (fork after listen), answers a bounded loop of kernel-side
# curl requests from tcpx-peer, four at a time, and keep-alive requests;
# every body must be exactly the file served.  The workers (run as
# nobody) set options (TCP_NODELAY) on connections accepted on the
# listener root made, which Linux allows to any holder of the fd, so the
# error log must stay clean.
. tests/integration/lib/apps.sh
command -v nginx >/dev/null || skip "nginx not installed"

mkdir -p "$T/www" "$T/logs"
head -c 20000 /dev/urandom | base64 > "$T/www/index.html"
cat > "$T/nginx.conf" <<CONF
worker_processes 2;
daemon off;
master_process on;
pid $T/nginx.pid;
error_log $T/logs/error.log info;
events { worker_connections 128; }
http {
	access_log off;
	client_body_temp_path $T/body;
	proxy_temp_path $T/proxy;
	fastcgi_temp_path $T/fcgi;
	uwsgi_temp_path $T/uwsgi;
	scgi_temp_path $T/scgi;
	server {
		listen 8080;
		root $T/www;
	}
}
CONF
bg $H timeout 120 "$TCPX" run nginx -p "$T" -c "$T/nginx.conf"
wait_port peer 10.77.0.2 8080
n=$($H pgrep -f "nginx: worker process" | wc -l)
[ "$n" -ge 2 ] || fail "expected 2 nginx workers, found $n"

want=$(sha "$T/www/index.html")
seq 400 | $P timeout 60 xargs -P 4 -I{} sh -c \
	"curl -sS --max-time 5 http://10.77.0.2:8080/index.html | sha256sum" \
	> "$T/sums" 2> "$T/errs" || { head "$T/errs" >&2; fail "a request failed"; }
$P timeout 20 curl -sS -o /dev/null -o /dev/null \
	http://10.77.0.2:8080/index.html http://10.77.0.2:8080/index.html ||
	fail "two requests on one keep-alive connection failed"
if grep -E "\[(alert|crit|error)\]" "$T/logs/error.log" >&2; then
	fail "nginx logged errors"
fi
good=$(grep -c "^$want " "$T/sums")
[ "$good" = 400 ] || fail "only $good of 400 responses were correct"
say "ok: nginx (2 workers) answered 400 requests and keep-alive, error log clean"
finish_clean
