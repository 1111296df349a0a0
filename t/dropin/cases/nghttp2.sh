# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# t/dropin/cases/nghttp2.sh - nghttpd (nghttp2-server), h2load and nghttp
# (nghttp2-client): an HTTP/2 server with 2 worker threads (one libev loop
# each) and two clients, all three on the library of the pass.

register_case nghttp2 "nghttpd h2load nghttp" "nghttp2-server nghttp2-client"

case_nghttp2 () {
  pick_ports 1
  local port=${PORTS[0]}
  local base=http://127.0.0.1:$port

  start_server nghttpd "$NGHTTPD" --no-tls -a 127.0.0.1 -n 2 --echo-upload -d "$DOCROOT" "$port"
  wait_listen nghttpd "$port" || return
  check_tree_maps "${PID[nghttpd]}" nghttpd

  # many small responses: 20 connections with 10 concurrent streams each
  uri_file small "$base/small.bin"
  run_client h2load-small 60 "$CASE_DIR/small.uri" "$H2LOAD" -i - -n 20000 -c 20 -m 10 -t 2
  check_h2load h2load-small 20000 "$SMALL_SIZE"

  # large responses, flow control windows filled and refilled
  uri_file big "$base/big.bin"
  run_client h2load-big 60 "$CASE_DIR/big.uri" "$H2LOAD" -i - -n 16 -c 4 -m 2 -t 2
  check_h2load h2load-big 16 "$BIG_SIZE"

  # an upload echoed back: both directions of one stream, checked byte for byte
  run_client nghttp-echo 60 "$DOCROOT/big.bin" "$NGHTTP" -d - "$base/echo"
  check_status nghttp-echo 0 && check_body nghttp-echo "$DOCROOT/big.bin"

  check_tree_maps "${PID[nghttpd]}" nghttpd
}
