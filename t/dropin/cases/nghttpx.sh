# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# t/dropin/cases/nghttpx.sh - nghttpx (nghttp2-proxy), the HTTP/2 reverse
# proxy, in front of nghttpd. nghttpx runs a main process (signal and child
# watchers) and a worker process with 2 threads; SIGHUP makes the main
# process start a new worker and reap the old one once it has drained.

register_case nghttpx "nghttpx (+ nghttpd, h2load)" "nghttp2-proxy"

case_nghttpx () {
  pick_ports 2
  local be=${PORTS[0]} fe=${PORTS[1]}
  local base=http://127.0.0.1:$fe

  start_server nghttpd "$NGHTTPD" --no-tls -a 127.0.0.1 -n 2 --echo-upload -d "$DOCROOT" "$be"
  wait_listen nghttpd "$be" || return

  # a config file of our own: nghttpx reads /etc/nghttpx/nghttpx.conf otherwise,
  # and SIGHUP re-reads it
  cat > "$CASE_DIR/nghttpx.conf" <<CONF
frontend=127.0.0.1,$fe;no-tls
backend=127.0.0.1,$be;;proto=h2
workers=2
CONF
  start_server nghttpx "$NGHTTPX" --conf="$CASE_DIR/nghttpx.conf"
  wait_listen nghttpx "$fe" || return
  wait_children nghttpx 1 || return
  local worker=${KIDS[0]}
  check_tree_maps "${PID[nghttpx]}" nghttpx
  check_maps "${PID[nghttpd]}" nghttpd

  # HTTP/1.1 clients, converted to HTTP/2 streams to the back end
  uri_file small "$base/small.bin"
  run_client h2load-h1 60 "$CASE_DIR/small.uri" "$H2LOAD" --h1 -i - -n 10000 -c 20 -t 2
  check_h2load h2load-h1 10000 "$SMALL_SIZE"
  # HTTP/2 clients with concurrent streams
  run_client h2load-h2 60 "$CASE_DIR/small.uri" "$H2LOAD" -i - -n 20000 -c 10 -m 10 -t 2
  check_h2load h2load-h2 20000 "$SMALL_SIZE"
  # an HTTP/1.1 upload through the proxy, echoed back
  start_plain curl-echo "$CURL" -sS --fail --max-time 60 --http1.1 --data-binary "@$DOCROOT/big.bin" "$base/echo"
  wait_exit curl-echo 70
  check_transfer curl-echo "$DOCROOT/big.bin"

  # reload: a new worker; the old one drains, exits 0 and is reaped by the
  # main process (ev_signal, ev_child), which logs it
  kill -HUP "${PID[nghttpx]}"
  if wait_replaced nghttpx "$worker" && wait_log nghttpx "Worker process: [$worker] exited normally with status 0x00; exit status 0"; then
    note "SIGHUP: worker $worker drained and reaped, new worker ${KIDS[0]}"
    check_tree_maps "${PID[nghttpx]}" nghttpx
  fi
  run_client h2load-reloaded 60 "$CASE_DIR/small.uri" "$H2LOAD" -i - -n 5000 -c 10 -m 10 -t 2
  check_h2load h2load-reloaded 5000 "$SMALL_SIZE"
  start_plain curl-big "$CURL" -sS --fail --max-time 60 "$base/big.bin"
  wait_exit curl-big 70
  check_transfer curl-big "$DOCROOT/big.bin"
}
