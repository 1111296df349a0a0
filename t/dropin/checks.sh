# SPDX-License-Identifier: BSD-2-Clause
# t/dropin/checks.sh - strict checks of workload results (sourced by t/dropin/run).
# Each check compares against numbers computed here (request counts, file
# sizes, the bytes of the files served), never against a previous output.

# show_output NAME: the tail of a client's stdout and stderr, after a failure.
show_output () {
  local f
  for f in "$CASE_DIR/$1.out" "$CASE_DIR/$1.err"; do
    [[ -s $f ]] && tail -n 12 "$f" | sed 's/^/      | /'
  done
  return 0
}

# check_status NAME EXPECTED: the client exited with status EXPECTED.
check_status () {
  if [[ ${STATUS[$1]} != "$2" ]]; then
    bad "$1 exited with status ${STATUS[$1]}, expected $2"
    show_output "$1"
    return 1
  fi
}

# check_h2load NAME N SIZE: h2load made N requests, all succeeded with a 2xx
# status, and received exactly N * SIZE bytes of response bodies.
check_h2load () {
  local name=$1 n=$2 size=$3 out=$CASE_DIR/$1.out data finished
  check_status "$name" 0 || return 1
  if ! grep -qx "requests: $n total, $n started, $n done, $n succeeded, 0 failed, 0 errored, 0 timeout" "$out"; then
    bad "$name: not all $n requests succeeded"
    show_output "$name"
    return 1
  fi
  if ! grep -qx "status codes: $n 2xx, 0 3xx, 0 4xx, 0 5xx" "$out"; then
    bad "$name: not all $n responses were 2xx"
    show_output "$name"
    return 1
  fi
  data=$(sed -n 's/^traffic: .*(\([0-9]*\)) data$/\1/p' "$out")
  if [[ $data != $((n * size)) ]]; then
    bad "$name: received ${data:-no} body bytes, expected $n x $size = $((n * size))"
    show_output "$name"
    return 1
  fi
  finished=$(sed -n 's/^finished in \([^,]*\),.*/\1/p' "$out")
  note "$name: $n/$n requests succeeded (2xx), $data body bytes, in $finished"
}

# check_body NAME FILE: the client's stdout is byte for byte FILE.
check_body () {
  local name=$1 file=$2 got want
  want=$(stat -c %s "$file")
  got=$(stat -c %s "$CASE_DIR/$name.out")
  if ! cmp -s "$file" "$CASE_DIR/$name.out"; then
    bad "$name: received $got bytes that differ from the $want bytes of $(basename "$file")"
    show_output "$name"
    return 1
  fi
  note "$name: $got bytes, identical to $(basename "$file")"
}

# check_transfer NAME FILE: a curl transfer exited 0 and delivered FILE.
check_transfer () {
  check_status "$1" 0 && check_body "$1" "$2"
}
