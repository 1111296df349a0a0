# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# t/dropin/cases/sniproxy.sh - sniproxy: a TLS proxy that reads the server
# name (SNI) of the client's TLS handshake, looks it up in a table and relays
# the still encrypted stream to that back end (nghttpd with TLS here). Names
# not in the table are refused. sniproxy drops root privileges (to "daemon")
# and keeps a privileged "binder" child process.

register_case sniproxy "sniproxy (+ nghttpd, h2load)" "sniproxy"

case_sniproxy () {
  pick_ports 2
  local be=${PORTS[0]} fe=${PORTS[1]}
  local host=dropin.test

  start_server nghttpd "$NGHTTPD" -a 127.0.0.1 -n 2 --echo-upload -d "$DOCROOT" "$be" "$TLS_KEY" "$TLS_CERT"
  wait_listen nghttpd "$be" || return

  cat > "$CASE_DIR/sniproxy.conf" <<CONF
pidfile $CASE_DIR/sniproxy.pid
error_log {
    filename $CASE_DIR/sniproxy.error
    priority notice
}
listener 127.0.0.1:$fe {
    protocol tls
    table dropin
}
table dropin {
    ^dropin\\.test\$ 127.0.0.1:$be
}
CONF
  # -f: stay in the foreground, so that the pid is the one we started
  start_server sniproxy "$SNIPROXY" -f -c "$CASE_DIR/sniproxy.conf"
  wait_listen sniproxy "$fe" || return
  check_tree_maps "${PID[sniproxy]}" sniproxy
  check_maps "${PID[nghttpd]}" nghttpd

  # TLS + HTTP/2 through the proxy, SNI dropin.test
  uri_file small "https://$host/small.bin"
  run_client h2load-tls 60 "$CASE_DIR/small.uri" "$H2LOAD" -i - --connect-to="127.0.0.1:$fe" \
    -n 4000 -c 20 -m 10 -t 2
  check_h2load h2load-tls 4000 "$SMALL_SIZE"

  # short connections, one request each, 50 started every 100 ms: past the 64
  # armed polls where the first ring of libev-ng's io_uring loop used to grow,
  # which stranded sockets while sniproxy's binder child held the old ring
  # (issue 42: the clients waited for their connections to end)
  run_client h2load-short 60 "$CASE_DIR/small.uri" "$H2LOAD" -i - --connect-to="127.0.0.1:$fe" \
    -n 500 -c 500 -r 50 --rate-period 100ms -m 1 -t 1
  check_h2load h2load-short 500 "$SMALL_SIZE"

  local -a curl=("$CURL" -sS --fail --max-time 60 --insecure --http2)
  start_plain tls-get "${curl[@]}" --resolve "$host:$fe:127.0.0.1" "https://$host:$fe/big.bin"
  # 1 MiB only: uploads through sniproxy go at about 1.5 MB/s with both
  # libraries (a 64 KiB HTTP/2 window per ~40 ms round)
  start_plain tls-echo "${curl[@]}" --resolve "$host:$fe:127.0.0.1" --data-binary "@$DOCROOT/medium.bin" \
    "https://$host:$fe/echo"
  wait_exit tls-get 70
  check_transfer tls-get "$DOCROOT/big.bin"
  wait_exit tls-echo 70
  check_transfer tls-echo "$DOCROOT/medium.bin"

  # a name that is not in the table: sniproxy closes the connection during the
  # handshake (curl: 35, TLS connect error) and goes on serving
  start_plain tls-unknown "${curl[@]}" --resolve "other.test:$fe:127.0.0.1" "https://other.test:$fe/small.bin"
  wait_exit tls-unknown 70
  if check_status tls-unknown 35; then
    note "tls-unknown: SNI other.test refused (curl status 35)"
  fi

  check_tree_maps "${PID[sniproxy]}" sniproxy
}
