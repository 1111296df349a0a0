# SPDX-License-Identifier: BSD-2-Clause
# ev-gdb.py - gdb commands that list the libev loops and watchers of a stopped
# program running on libev-ng's libev.so.4 (ev-gdb(1); ev(3) "Static probes").
#
#   (gdb) source /usr/share/libev-ng/ev-gdb.py
#   (gdb) ev-loops              every loop: address, iterations, depth, references, flags
#   (gdb) ev-watchers [LOOP]    the active watchers of each loop (or of LOOP), with their callbacks
#
# No debug information is needed, nor the library's symbols: the loops are
# found through the static probes.  Every probe's note names the probes'
# semaphore, the first member of the probe anchor (loop/loop_forks.cc), which
# also holds the list of every loop of the process and where a loop keeps
# where a loop keeps its watchers; so the notes lead to the loops in a
# stripped library.  Nothing is called in the program: the commands read its
# memory, so they work on a core file too, and where gdb cannot call
# functions (on CPUs whose extended register state it cannot restore).
import struct

import gdb


def _probe_locations():
    """[(name, relocated address, unrelocated semaphore, object file)] of libev's probes"""
    out = gdb.execute("info probes stap libev", to_string=True)
    found = []
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 6 and f[0] == "stap" and f[1] == "libev":
            found.append((f[2], int(f[3], 16), int(f[4], 16), " ".join(f[5:])))
    return found


def _note_pcs(path):
    """{probe name: [unrelocated address of each site]} from the file's .note.stapsdt"""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise gdb.GdbError("ev-gdb: %s is not a 64-bit ELF file" % path)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names = sections[shstrndx]
    pcs = {}
    for s in sections:
        name = data[names[4] + s[0]:data.index(b"\0", names[4] + s[0])]
        if name != b".note.stapsdt":
            continue
        pos, end = s[4], s[4] + s[5]
        while pos + 12 <= end:
            namesz, descsz, _ = struct.unpack_from("<III", data, pos)
            desc = pos + 12 + ((namesz + 3) & ~3)
            pc, = struct.unpack_from("<Q", data, desc)
            strings = data[desc + 24:desc + descsz].split(b"\0")
            if strings[0] == b"libev":
                pcs.setdefault(strings[1].decode(), []).append(pc)
            pos = desc + ((descsz + 3) & ~3)
    return pcs


ANCHOR = struct.Struct("<HHHHQ" + "H" * 19)
FIELDS = ("loop_count loop_depth activecnt flags fd_entries fd_count fd_entry_size timers periodics heap_count "
          "heap_node_size heap_root prepares checks forks cleanups asyncs idles array_size").split()


def _anchor():
    """the probe anchor's fields, found through the probes' notes"""
    probes = _probe_locations()
    if not probes:
        raise gdb.GdbError("ev-gdb: no libev-ng probes in the program: it runs on a libev.so.4 of another build "
                           "(Debian's libev 4.33 has none, nor a libev-ng built without <sys/sdt.h> or for size), "
                           "or has not loaded libev.so.4 yet")
    # A probe may have several sites (a compiler copies inlined code): the load
    # bias is the one difference between a relocated and an unrelocated site
    # that every probe shares.
    _, _, semaphore, path = probes[0]
    if not semaphore:
        raise gdb.GdbError("ev-gdb: the libev probes of %s name no semaphore: a library of another build, "
                           "not libev-ng's" % path)
    pcs = _note_pcs(path)
    biases = None
    for n, w, _, p in probes:
        if p == path and n in pcs:
            here = {w - pc for pc in pcs[n]}
            biases = here if biases is None else biases & here
    if not biases or len(biases) != 1:
        raise gdb.GdbError("ev-gdb: the probes' notes of %s do not match the probes gdb found: the file is not "
                           "the one the program loaded (replaced on disk by another build or an upgrade?); "
                           "restart the program" % path)
    address = biases.pop() + semaphore
    raw = bytes(gdb.selected_inferior().read_memory(address, ANCHOR.size))
    v = ANCHOR.unpack(raw)
    a = dict(zip(FIELDS, v[5:]))
    a.update(address=address, version=v[1], loop_size=v[2], next=v[3], loops=v[4])
    # (empty until the program makes its first loop)
    a["empty"] = a["version"] < 1 or not a["next"]
    return a


def _mem(addr, n):
    return bytes(gdb.selected_inferior().read_memory(addr, n))


def _u64(addr):
    return struct.unpack("<Q", _mem(addr, 8))[0]


def _u32(addr):
    return struct.unpack("<I", _mem(addr, 4))[0]


def _i32(addr):
    return struct.unpack("<i", _mem(addr, 4))[0]


def _loops():
    a = _anchor()
    if a["empty"]:
        return [], a
    seen, loop = [], a["loops"]
    while loop and loop not in seen and len(seen) < 10000:
        seen.append(loop)
        loop = _u64(loop + a["next"])
    return seen, a


_MAPPINGS = []


def _module_offset(addr):
    """FILE+OFFSET of addr (from the lowest address FILE is mapped at), as addr2line takes it"""
    if not _MAPPINGS:
        try:
            out = gdb.execute("info proc mappings", to_string=True)
        except gdb.error:
            out = ""
        for line in out.splitlines():
            f = line.split()
            if len(f) >= 5 and f[0].startswith("0x") and f[-1].startswith("/"):
                _MAPPINGS.append((int(f[0], 16), int(f[1], 16), f[-1]))
    for start, end, path in _MAPPINGS:
        if start <= addr < end:
            base = min(s for s, _, p in _MAPPINGS if p == path)
            return "%#x (%s+%#x)" % (addr, path, addr - base)
    return "%#x" % addr


def _symbol(addr):
    """the function at addr, as gdb names it from the symbol tables (static functions too),
    else its file and offset"""
    try:
        out = gdb.execute("info symbol %#x" % addr, to_string=True).strip()
    except gdb.error:
        return _module_offset(addr)
    if out.startswith("No symbol"):
        return _module_offset(addr)
    name = out.split(" in section ")[0]
    where = out.split(" of ")[-1] if " of " in out else ""
    return "%s (%s)" % (name.replace(" + ", "+"), where) if where else name.replace(" + ", "+")


def _default_loop():
    try:
        return int(gdb.parse_and_eval("*(long *) &ev_default_loop_ptr"))
    except gdb.error:
        return 0


class EvLoops(gdb.Command):
    """List the libev loops of the program: ev-loops.

For each loop (newest first): its address, ev_iteration, ev_depth (non-zero:
inside ev_run), its references (active watchers and ev_ref) and the flags it
was created with.  Reads the program's memory only: works on a core file too."""

    def __init__(self):
        super().__init__("ev-loops", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        loops, a = _loops()
        default = _default_loop()
        print("%d libev loop%s (libev-ng)" % (len(loops), "" if len(loops) == 1 else "s"))
        for loop in loops:
            print("loop %#x%s: iterations %u, depth %u, references %d, flags %#x" % (
                loop, " (default)" if loop == default else "", _u32(loop + a["loop_count"]),
                _u32(loop + a["loop_depth"]), _i32(loop + a["activecnt"]), _u32(loop + a["flags"])))


# struct ev_watcher (ev.h, libev's ABI): active, pending, priority, data, cb; then per type
def _watcher(w):
    active, pending, priority = struct.unpack("<iii", _mem(w, 12))
    cb = _u64(w + 24)
    return active, pending, priority, cb


IO_EVENTS = {1: "READ", 2: "WRITE", 3: "READ|WRITE"}


def _describe(kind, w, extra=""):
    active, pending, priority, cb = _watcher(w)
    return "  %-10s %#x  %s  priority %d%s%s" % (kind, w, _symbol(cb), priority,
                                                 ", pending" if pending else "", extra)


class EvWatchers(gdb.Command):
    """List the active watchers of the program's libev loops: ev-watchers [LOOP].

For each loop (or LOOP, an address): its io watchers by fd, its timers and
periodics by deadline, and its prepare, check, idle, fork, cleanup and async
watchers, each with its address, its callback's name (the program's symbol
tables, static functions too) and its priority.  The loop's own watchers are
left out.  (Signal, child and stat watchers are kept outside the loop's
object: ev_walk in the program lists them.)  Reads the program's memory only."""

    def __init__(self):
        super().__init__("ev-watchers", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        loops, a = _loops()
        if arg.strip():
            loops = [int(gdb.parse_and_eval(arg))]
        for loop in loops:
            own = range(loop, loop + a["loop_size"])
            print("loop %#x:" % loop)
            lines = []
            entries, count = _u64(loop + a["fd_entries"]), _i32(loop + a["fd_count"])
            for fd in range(max(count, 0)):
                w = _u64(entries + fd * a["fd_entry_size"])
                hops = 0
                while w and hops < 10000:
                    if w not in own:
                        events = _i32(w + 44) & 3
                        lines.append(_describe("ev_io", w, ", fd %d %s" % (fd, IO_EVENTS.get(events, events))))
                    w = _u64(w + 32)
                    hops += 1
            for kind, off in (("ev_timer", a["timers"]), ("ev_periodic", a["periodics"])):
                nodes, n = _u64(loop + off), _i32(loop + off + a["heap_count"])
                for i in range(a["heap_root"], a["heap_root"] + max(n, 0)):
                    at, w = struct.unpack("<dQ", _mem(nodes + i * a["heap_node_size"], 16))
                    if w not in own:
                        repeat = struct.unpack("<d", _mem(w + 40, 8))[0]
                        lines.append(_describe(kind, w, ", at %.6f (monotonic), repeat %g" % (at, repeat)))
            arrays = [("ev_prepare", a["prepares"]), ("ev_check", a["checks"]), ("ev_fork", a["forks"]),
                      ("ev_cleanup", a["cleanups"]), ("ev_async", a["asyncs"])]
            arrays += [("ev_idle", a["idles"] + p * a["array_size"]) for p in range(5)]
            for kind, off in arrays:
                data, n = _u64(loop + off), _i32(loop + off + 8)
                for i in range(max(n, 0)):
                    w = _u64(data + 8 * i)
                    if w not in own:
                        lines.append(_describe(kind, w))
            print("\n".join(lines) if lines else "  (no active watchers of these kinds)")


EvLoops()
EvWatchers()
