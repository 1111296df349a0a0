# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# t/dropin/cases/gevent.sh - python3-gevent: gevent's libev loop (its C extension
# gevent.libev.corecext links libev.so.4) under a WSGI server (gevent.pywsgi) serving
# files and echoing uploads; h2load (HTTP/1.1) and curl as clients.  gevent is asked
# for its libev loop and for the backend of the pass (GEVENT_LOOP, GEVENT_BACKEND;
# io_uring is linux_iouring there), and the server logs what it got, which must be
# that backend.  Not in the default cases (make check-dropin): make check-trixie and
# the packages' check run it.

register_case gevent "python3-gevent (pywsgi) + h2load" "python3-gevent"

case_gevent () {
  pick_ports 1
  local port=${PORTS[0]}
  local base=http://127.0.0.1:$port

  cat > "$CASE_DIR/server.py" << 'PY'
import os, sys
os.environ["GEVENT_LOOP"] = "libev-cext"
os.environ["GEVENT_BACKEND"] = sys.argv[3]
import gevent
from gevent import pywsgi

docroot = sys.argv[2]

def app(env, start_response):
    path = env["PATH_INFO"]
    if env["REQUEST_METHOD"] == "POST" and path == "/echo":
        body = env["wsgi.input"].read()
    else:
        try:
            with open(os.path.join(docroot, os.path.basename(path)), "rb") as f:
                body = f.read()
        except OSError:
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(len(body)))])
    return [body]

import gevent.libev.corecext as corecext
loop = gevent.get_hub().loop
print("gevent %s, loop %s.%s, %s (ev_version_major/minor), backend %s" % (
    gevent.__version__, type(loop).__module__, type(loop).__name__,
    corecext.get_version(), loop.backend), flush=True)
pywsgi.WSGIServer(("127.0.0.1", int(sys.argv[1])), app, log=None).serve_forever()
PY
  # gevent's name for io_uring (22.10 and 24.11 alike)
  local gevent_backend=$BACKEND
  [[ $BACKEND != io_uring ]] || gevent_backend=linux_iouring
  start_server gevent /usr/bin/python3 "$CASE_DIR/server.py" "$port" "$DOCROOT" "$gevent_backend"
  wait_listen gevent "$port" || return
  wait_log gevent "backend $gevent_backend" || return
  grep -q 'loop gevent\.libev\.corecext\.loop' "$CASE_DIR/gevent.log" ||
    { bad "gevent: not its libev loop: $(head -n 1 "$CASE_DIR/gevent.log")"; return; }
  note "gevent: $(head -n 1 "$CASE_DIR/gevent.log")"
  check_maps "${PID[gevent]}" gevent

  # many small responses, HTTP/1.1 keep-alive, 10 connections (about 45 ms a request on each
  # connection with Debian's libev as with libev-ng: the pace of pywsgi, not of the loop)
  uri_file small "$base/small.bin"
  run_client h2load-h1 60 "$CASE_DIR/small.uri" "$H2LOAD" --h1 -i - -n 1000 -c 10 -t 2
  check_h2load h2load-h1 1000 "$SMALL_SIZE"

  # a large download and an upload echoed back, byte for byte
  local -a curl=("$CURL" -sS --fail --max-time 60)
  start_plain get "${curl[@]}" "$base/big.bin"
  start_plain echo "${curl[@]}" --data-binary "@$DOCROOT/medium.bin" "$base/echo"
  wait_exit get 70
  check_transfer get "$DOCROOT/big.bin"
  wait_exit echo 70
  check_transfer echo "$DOCROOT/medium.bin"

  check_maps "${PID[gevent]}" gevent
}
