#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""bench/malloc-replay.py - what glibc's allocator cost a server over its
load, and what it costs without the calls libev.so.4 made, for
bench/programs --modes malloc.

    bench/malloc-replay.py DIR PID REQUESTS REPLAY

DIR holds bench/malloc-trace.c's trace.PID and maps.PID, malloc.window (the
load's first and last ns) and the server's callgrind dump callgrind.out.PID.*;
REPLAY is bench/malloc-replay.c built.  Prints one line, per request:

    measured replayed without-library library-calls-in-load library-calls live-blocks

measured: the self cost of glibc's malloc/*.c functions in the dump;
replayed: the same calls replayed by REPLAY under callgrind (equal to
measured when the replay is exact); without-library: replayed with the
library's allocations and their frees left out (the program's own sequence);
live-blocks: the program's own blocks alive, the mean over its calls in the
load.  Python 3 standard library, valgrind.
"""

import glob
import os
import re
import struct
import subprocess
import sys
import tempfile

REC = struct.Struct("<B7xQQQQQ")


def allocator_cost(dump):
    """Self cost of glibc's malloc/*.c functions in a callgrind file."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", dump],
                         capture_output=True, text=True, check=True).stdout
    total = 0
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*malloc/(?:malloc|arena)\.c:", line)
        if m:
            total += int(m.group(1).replace(",", ""))
    return total


def library_range(maps):
    lo = hi = None
    with open(maps) as f:
        for line in f:
            if "/libev.so.4" in line:
                a, b = (int(x, 16) for x in line.split()[0].split("-"))
                lo = a if lo is None else min(lo, a)
                hi = b if hi is None else max(hi, b)
    if lo is None:
        sys.exit(f"malloc-replay: libev.so.4 is not in {maps}")
    return lo, hi


def live_blocks(trace, lo, hi, t0, t1):
    """The program's own blocks alive, the mean over its calls in the load."""
    owned, live = set(), {}
    total = samples = 0
    with open(trace, "rb") as f:
        data = f.read()
    for op, a, b, r, caller, t in REC.iter_unpack(data[: len(data) // REC.size * REC.size]):
        old = a if op in (2, 4) else 0
        mine = (old in owned) if old else (op != 2 and lo <= caller < hi)
        if mine:
            owned.discard(old)
            if op != 2 and r:
                owned.add(r)
            continue
        if old:
            live.pop(old, None)
        if op != 2 and r:
            live[r] = 1
        if t0 <= t <= t1:
            total += len(live)
            samples += 1
    return total / samples if samples else 0.0


def replay(binary, trace, t0, t1, lo, hi, mode):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg")
        run = subprocess.run(["valgrind", "--tool=callgrind", "-q", "--toggle-collect=replay_window",
                              f"--callgrind-out-file={out}", binary, trace, str(t0), str(t1),
                              f"{lo:x}", f"{hi:x}", mode], capture_output=True, text=True)
        if run.returncode:
            sys.exit(f"malloc-replay: {binary} failed: {run.stderr.strip()}")
        window, lib, lib_load = (int(x) for x in run.stdout.split())
        return allocator_cost(out), lib, lib_load


def main():
    d, pid, requests, binary = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with open(os.path.join(d, "malloc.window")) as f:
        t0, t1 = (int(x) for x in f.read().split()[:2])
    dumps = sorted(glob.glob(os.path.join(d, f"callgrind.out.{pid}.*")))
    if not dumps:
        sys.exit(f"malloc-replay: no callgrind dump of {pid} in {d}")
    trace = os.path.join(d, f"trace.{pid}")
    lo, hi = library_range(os.path.join(d, f"maps.{pid}"))
    measured = allocator_cost(dumps[0])
    replayed, lib, lib_load = replay(binary, trace, t0, t1, lo, hi, "all")
    without, _, _ = replay(binary, trace, t0, t1, lo, hi, "drop")
    live = live_blocks(trace, lo, hi, t0, t1)
    n = requests
    print(f"{measured / n:.1f} {replayed / n:.1f} {without / n:.1f} {lib_load} {lib} {live:.1f}")


if __name__ == "__main__":
    main()
