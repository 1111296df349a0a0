# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# t/dropin/cases/hitch.sh - hitch, a TLS terminator: a main process and 2
# worker processes that accept TLS connections (ALPN h2) and relay the
# plain bytes to nghttpd. SIGHUP reloads: new workers, the old ones exit.

register_case hitch "hitch (+ nghttpd, h2load)" "hitch"

case_hitch () {
  pick_ports 2
  local be=${PORTS[0]} fe=${PORTS[1]}
  local host=dropin.test
  local -a user=()
  # hitch refuses to run its workers as root
  ((EUID == 0)) && user=(--user=nobody)

  start_server nghttpd "$NGHTTPD" --no-tls -a 127.0.0.1 -n 2 --echo-upload -d "$DOCROOT" "$be"
  wait_listen nghttpd "$be" || return
  mkdir -p "$CASE_DIR/ocsp"
  start_server hitch "$HITCH" --frontend="[127.0.0.1]:$fe" --backend="[127.0.0.1]:$be" \
    --workers=2 --alpn-protos=h2 --ocsp-dir="$CASE_DIR/ocsp" --daemon=off --log-level=2 \
    "${user[@]}" "$TLS_PEM"
  wait_listen hitch "$fe" || return
  # 2 workers and the OCSP process
  wait_children hitch 3 || return
  local -a old=("${KIDS[@]}")
  check_tree_maps "${PID[hitch]}" hitch
  check_maps "${PID[nghttpd]}" nghttpd

  uri_file small "https://$host/small.bin"
  run_client h2load-tls 60 "$CASE_DIR/small.uri" "$H2LOAD" -i - --connect-to="127.0.0.1:$fe" \
    -n 10000 -c 20 -m 10 -t 2
  check_h2load h2load-tls 10000 "$SMALL_SIZE"

  local -a curl=("$CURL" -sS --fail --max-time 60 --insecure --http2 --resolve "$host:$fe:127.0.0.1")
  start_plain tls-get "${curl[@]}" "https://$host:$fe/big.bin"
  start_plain tls-echo "${curl[@]}" --data-binary "@$DOCROOT/big.bin" "https://$host:$fe/echo"
  wait_exit tls-get 70
  check_transfer tls-get "$DOCROOT/big.bin"
  wait_exit tls-echo 70
  check_transfer tls-echo "$DOCROOT/big.bin"

  # reload: new children; every old one exits 0 and is reaped by the main
  # process, which logs it
  kill -HUP "${PID[hitch]}"
  local p ok=1
  wait_replaced hitch "${old[@]}" || ok=0
  for p in "${old[@]}"; do
    wait_log hitch "Child $p exited with status 0." || ok=0
  done
  if ((ok)); then
    note "SIGHUP: children ${old[*]} exited 0 and were reaped, new ones ${KIDS[*]}"
    check_tree_maps "${PID[hitch]}" hitch
  fi
  run_client h2load-reloaded 60 "$CASE_DIR/small.uri" "$H2LOAD" -i - --connect-to="127.0.0.1:$fe" \
    -n 5000 -c 20 -m 10 -t 2
  check_h2load h2load-reloaded 5000 "$SMALL_SIZE"
}
