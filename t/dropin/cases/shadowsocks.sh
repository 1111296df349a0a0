# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# t/dropin/cases/shadowsocks.sh - shadowsocks-libev: ss-server, and in front of
# it ss-local (a SOCKS5 proxy) and ss-tunnel (a port forwarder). Traffic is
# encrypted (chacha20-ietf-poly1305) between the front ends and ss-server,
# which connects to nghttpd. Every connection crosses three relays.

register_case shadowsocks "ss-server ss-local ss-tunnel (+ nghttpd, h2load)" "shadowsocks-libev"

case_shadowsocks () {
  pick_ports 4
  local be=${PORTS[0]} srv=${PORTS[1]} socks=${PORTS[2]} tunnel=${PORTS[3]}
  local -a ss=(-k "$SS_PASSWORD" -m chacha20-ietf-poly1305 -t 60)
  local i

  start_server nghttpd "$NGHTTPD" --no-tls -a 127.0.0.1 -n 2 --echo-upload -d "$DOCROOT" "$be"
  start_server ss-server "$SS_SERVER" -s 127.0.0.1 -p "$srv" "${ss[@]}"
  start_server ss-local "$SS_LOCAL" -s 127.0.0.1 -p "$srv" -b 127.0.0.1 -l "$socks" "${ss[@]}"
  start_server ss-tunnel "$SS_TUNNEL" -s 127.0.0.1 -p "$srv" -b 127.0.0.1 -l "$tunnel" \
    -L "127.0.0.1:$be" "${ss[@]}"
  wait_listen nghttpd "$be" || return
  wait_listen ss-server "$srv" || return
  wait_listen ss-local "$socks" || return
  wait_listen ss-tunnel "$tunnel" || return
  for i in nghttpd ss-server ss-local ss-tunnel; do check_maps "${PID[$i]}" "$i"; done

  # SOCKS5: 6 downloads of 8 MiB and 2 uploads of 1 MiB at the same time (curl
  # asks ss-local to connect to 127.0.0.1:$be; the HTTP/2 inside is opaque to
  # the relays). Uploads through the relays go at about 1.5 MB/s with both
  # libraries (a 64 KiB HTTP/2 window per ~40 ms round), hence the smaller size.
  local -a curl=("$CURL" -sS --fail --max-time 60 --socks5-hostname "127.0.0.1:$socks" --http2-prior-knowledge)
  for i in 1 2 3 4 5 6; do
    start_plain "socks-get$i" "${curl[@]}" "http://127.0.0.1:$be/big.bin"
  done
  for i in 1 2; do
    start_plain "socks-echo$i" "${curl[@]}" --data-binary "@$DOCROOT/medium.bin" "http://127.0.0.1:$be/echo"
  done
  for i in 1 2 3 4 5 6; do
    wait_exit "socks-get$i" 70
    check_transfer "socks-get$i" "$DOCROOT/big.bin"
  done
  for i in 1 2; do
    wait_exit "socks-echo$i" 70
    check_transfer "socks-echo$i" "$DOCROOT/medium.bin"
  done

  # the tunnel: 100 concurrent connections (300 relayed sockets)
  uri_file small "http://127.0.0.1:$tunnel/small.bin"
  run_client h2load-tunnel 60 "$CASE_DIR/small.uri" "$H2LOAD" -i - -n 10000 -c 100 -t 2
  check_h2load h2load-tunnel 10000 "$SMALL_SIZE"

  for i in ss-server ss-local ss-tunnel; do check_maps "${PID[$i]}" "$i"; done
}
