# SPDX-License-Identifier: BSD-2-Clause
"""benchlib.py - what bench/run, bench/callgrind and bench/plot share:
the libraries compared, the workloads (jobs), running one benchmark process
and parsing its output, statistics and table formatting.

Python 3 standard library only.
"""

import os
import re
import resource
import platform
import shlex
import subprocess
import sys
import time

SRCDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = "libev-4.33"
URING = "libev-ng-uring"  # libev-ng on io_uring (bench_ev_loop: BENCH_EV_BACKEND)
METRICS = "libev-ng-metrics"  # libev-ng with EVFLAG_NG_METRICS (BENCH_LIBEV_FLAGS)
WATCHDOG = "libev-ng-watchdog"  # libev-ng under ev-watchdog -t 100
# The semantic floor: the raw loop with libev's io semantics done as simply
# as they can be (bench/epoll/rl.h), what those semantics cost at the least.
SEMANTIC_FLOOR = "epoll-ev"
ON_REQUEST = (URING, METRICS, WATCHDOG, SEMANTIC_FLOOR)  # columns only when named in --libs
# The floor: a hand-written epoll loop doing the same work.  A library's own
# cost is what it spends above it; the overhead ratio compares that with
# libev's: (x - floor) / (libev - floor), lower is better, 1.00 = libev's.
FLOOR = "epoll"


def note(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- libraries ---------------------------------------------------------------

class Lib:
    """One column: a benchmark binary plus the environment that picks the
    library it runs against; `expect` is the shared object it must load;
    `wrapper` a command that runs it (outside any prefix such as valgrind)."""

    def __init__(self, name, binary, env=None, expect=None, wrapper=()):
        self.name, self.binary, self.env, self.expect = name, binary, env or {}, expect
        self.wrapper = list(wrapper)

    def environ(self, extra=None):
        env = dict(os.environ)
        env.pop("LD_LIBRARY_PATH", None)
        env.pop("LD_PRELOAD", None)
        env.pop("LIBEV_FLAGS", None)
        env.update(self.env)
        env.update(extra or {})
        return env


def system_libev():
    """the system's libev.so.4, as the dynamic loader would find it"""
    try:
        out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.strip().startswith("libev.so.4 ") and "x86-64" in line:
                return line.split("=>")[-1].strip()
    except OSError:
        pass
    for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"):
        if os.path.exists(os.path.join(d, "libev.so.4")):
            return os.path.join(d, "libev.so.4")
    return None


def make_libs(builddir, ng_dir, stand_in, wanted):
    """the columns, baseline first; returns (libs, warnings)"""
    b = os.path.join(builddir, "bench")
    warnings = []
    sys_lib = system_libev()
    libs = []
    if not sys_lib:
        raise SystemExit("bench: the system libev.so.4 (libev 4.33, Debian package libev4) is required as the baseline")
    libs.append(Lib(BASELINE, os.path.join(b, "bench-libev"), {}, os.path.realpath(sys_lib)))
    if stand_in:
        # validates the pipeline before libev-ng exists: the system library
        # in the libev-ng column, loaded through LD_LIBRARY_PATH like ours
        d = os.path.dirname(sys_lib)
        libs.append(Lib("libev-ng", os.path.join(b, "bench-libev"), {"LD_LIBRARY_PATH": d},
                        os.path.realpath(sys_lib)))
        warnings.append("libev-ng column is a STAND-IN: the system libev 4.33 (--stand-in)")
    else:
        ng = os.path.join(ng_dir, "libev.so.4")
        if os.path.exists(ng):
            libs.append(Lib("libev-ng", os.path.join(b, "bench-libev"), {"LD_LIBRARY_PATH": ng_dir},
                            os.path.realpath(ng)))
            # the same library on its io_uring backend: asked for by name only
            # (--libs libev-ng,libev-ng-uring), it is not a library of its own
            libs.append(Lib(URING, os.path.join(b, "bench-libev"),
                            {"LD_LIBRARY_PATH": ng_dir, "BENCH_EV_BACKEND": "128"}, os.path.realpath(ng)))
            # and with loop metrics on, so that their cost is a paired ratio of one run
            libs.append(Lib(METRICS, os.path.join(b, "bench-libev"),
                            {"LD_LIBRARY_PATH": ng_dir, "BENCH_LIBEV_FLAGS": "0x20000000"}, os.path.realpath(ng)))
            # and under the watchdog (100 ms): the ev-watchdog of the build, the
            # program's parent, samples every loop the workloads make; the column
            # is what that costs the program (its loops are read, never written)
            libs.append(Lib(WATCHDOG, os.path.join(b, "bench-libev"), {"LD_LIBRARY_PATH": ng_dir},
                            os.path.realpath(ng),
                            wrapper=[os.path.join(builddir, "tools", "ev-watchdog"), "-t", "100", "--"]))
        else:
            warnings.append("no %s: libev-ng column left out (build it, or --stand-in)" % ng)
    libs.append(Lib("libevent", os.path.join(b, "bench-libevent")))
    libs.append(Lib("libuv", os.path.join(b, "bench-libuv")))
    libs.append(Lib("epoll", os.path.join(b, "bench-epoll")))
    libs.append(Lib(SEMANTIC_FLOOR, os.path.join(b, "bench-epoll-ev")))
    if wanted:
        names = [w.strip() for w in wanted.split(",") if w.strip()]
        unknown = [n for n in names if n not in [l.name for l in libs]]
        if unknown:
            raise SystemExit("bench: unknown or unavailable libraries: %s" % ", ".join(unknown))
        libs = [l for l in libs if l.name == BASELINE or l.name in names]
    else:
        libs = [l for l in libs if l.name not in ON_REQUEST]
    return libs, warnings


# ---- before and after --------------------------------------------------------

BEFORE = "-before"  # the suffix of a column run against an earlier build (--before)

# The rows whose counts follow timing as well as the code: (column, metric, why), regular
# expressions.  A change on one of them counts only when a second run of both builds repeats it.
TIMING_DEPENDENT = [
    (r"^libev-ng", r"^async/wakeup$", "two threads: how they interleave"),
    (r"^libev-ng", r"^pipes/", "the closed-fd sweep is paced by the clock, slowed by valgrind"),
    (r"^libev-ng-uring", r"^echo/C=1000$", "how many messages one wait collects"),
]


def timing_dependent(column, metric):
    """why the row's count follows timing, or None"""
    for col_re, metric_re, why in TIMING_DEPENDENT:
        if re.search(col_re, column) and re.search(metric_re, metric):
            return why
    return None


def before_columns(libs, ng_dir, before_dir):
    """libev-ng's columns again, each followed by its twin run against the libev.so.4 in
    before_dir: a change's before and after in one run, with the same benchmark binaries"""
    lib = os.path.join(before_dir, "libev.so.4")
    if not os.path.exists(lib):
        raise SystemExit("bench: no %s (--before names the directory of the earlier build's libev.so.4)" % lib)
    out = []
    for l in libs:
        out.append(l)
        if l.name != BASELINE and l.env.get("LD_LIBRARY_PATH") == ng_dir:
            out.append(Lib(l.name + BEFORE, l.binary, dict(l.env, LD_LIBRARY_PATH=before_dir), os.path.realpath(lib),
                           l.wrapper))
    return out


def read_instructions(tsvs):
    """{(metric, library): [instructions of each run]} of bench/callgrind TSVs, the rows with a count"""
    out = {}
    for tsv in tsvs:
        read_one_tsv(tsv, out)
    return out


def read_one_tsv(tsv, out):
    with open(tsv) as f:
        header = f.readline().rstrip("\n").split("\t")
        if header[:4] != ["metric", "unit", "library", "instructions"]:
            raise SystemExit("bench: %s is not a bench/callgrind TSV" % tsv)
        for line in f:
            cells = line.rstrip("\n").split("\t")
            try:
                out.setdefault((cells[0], cells[2]), []).append(float(cells[3]))
            except (IndexError, ValueError):
                pass  # FAIL or n/a


def ours(counts):
    """the rows of libev-ng's columns in {(metric, column): value}: the ones a change is judged on"""
    return {k: v for k, v in counts.items() if k[1].startswith("libev-ng")}


def split_before(counts):
    """(before, after) of one run's {(metric, column): [values]} with --before columns"""
    before = {(m, c[:-len(BEFORE)]): v for (m, c), v in counts.items() if c.endswith(BEFORE)}
    after = {k: v for k, v in counts.items() if not k[1].endswith(BEFORE)}
    return ours(before), ours(after)


def compare_counts(before, after, worse_than):
    """before, after: {(metric, column): [instructions of each run]} of libev-ng's columns.  Prints
    every row that changed by more than worse_than percent and returns True when one got worse.
    A row that timing moves counts as worse only when its runs do not overlap: the best after is
    worse than the worst before.  With one run a side it is listed apart, to be run again."""
    pairs = sorted(k for k in after if k in before and min(before[k]) > 0)
    if not pairs:
        print("# before -> after: no row in both")
        return False
    mean = lambda v: sum(v) / len(v)  # noqa: E731
    change = {k: 100.0 * (mean(after[k]) / mean(before[k]) - 1.0) for k in pairs}
    ordered = sorted(change.values())
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    limit = 1.0 + worse_than / 100.0
    worse, moved, better = [], [], []
    for k in pairs:
        if change[k] < -worse_than:
            better.append(k)
        elif change[k] > worse_than:
            repeated = min(len(before[k]), len(after[k])) >= 2 and min(after[k]) > max(before[k]) * limit
            (worse if repeated or not timing_dependent(k[1], k[0]) else moved).append(k)
    runs = "%d and %d runs" % (len(next(iter(before.values()))), len(next(iter(after.values()))))
    print("# before -> after, instructions per unit (%s): %d rows, median change %+.1f%%;"
          " CONTRIBUTING.md: no row more than %g%% worse" % (runs, len(pairs), median, worse_than))
    w0 = max(len(k[0]) for k in pairs)
    w1 = max(len(k[1]) for k in pairs)

    def cell(v):
        return "%.1f" % v[0] if len(v) == 1 or max(v) - min(v) < 0.05 else "%.1f-%.1f" % (min(v), max(v))
    for title, keys in (("worse than %g%%" % worse_than, worse),
                        ("worse than %g%% in some runs, where timing moves the row (run both again)" % worse_than, moved),
                        ("better than %g%%" % worse_than, better)):
        print("# %s: %d" % (title, len(keys)))
        for k in keys:
            why = timing_dependent(k[1], k[0])
            print(("%-*s  %-*s  %13s -> %-13s  %+6.1f%%" % (w0, k[0], w1, k[1], cell(before[k]), cell(after[k]), change[k])
                   + ("  (" + why + ")" if why and keys is moved else "")).rstrip())
    return bool(worse)


# ---- jobs --------------------------------------------------------------------

class Job:
    """one benchmark process invocation: a workload and its arguments"""

    def __init__(self, workload, jid, args=(), timed_only=False, timeout=300):
        self.workload, self.id, self.args = workload, jid, list(args)
        self.timed_only = timed_only  # no regions: nothing for callgrind or syscall counting
        self.timeout = timeout


def scale_fds():
    """the many-connections size: 100,000 watched fds, or the most this machine's
    hard RLIMIT_NOFILE leaves room for (the harness raises the soft limit to it;
    a thousand spare for the rest), in thousands"""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 30
    return max(2000, min(100000, (hard - 1000) // 1000 * 1000))


SCALE_N = scale_fds()

JOBS = (
    [Job("pipes", "pipes/N=%d/A=%d" % (n, a), ["n=%d" % n, "a=%d" % a])
     for n in (100, 1000, 10000) for a in (1, 100)]
    # many connections, 1% of them active in every iteration; W = 10 N events
    # per run, so that the re-registration of all N after each re-arm (libev's
    # ev_io_set semantics) is 0.1 system call per event, not 1.9
    + [Job("pipes", "pipes/N=%d/A=%d" % (SCALE_N, SCALE_N // 100),
           ["n=%d" % SCALE_N, "a=%d" % (SCALE_N // 100), "writes=%d" % (10 * SCALE_N)])]
    + [Job("timers", "timers/M=%d" % m, ["m=%d" % m]) for m in (1000, 100000, 1000000)]
    + [Job("loop", "loop"), Job("async", "async"), Job("pingpong", "pingpong")]
    # the calls servers make most: defensive stops, again, feeds, re-arms
    + [Job("calls", "calls")]
    + [Job("echo", "echo/C=%d" % c, ["c=%d" % c]) for c in (100, 1000)]
    + [Job("memory", "memory/timers", ["what=timers", "m=1000000"], timed_only=True),
       Job("memory", "memory/io", ["what=io", "n=10000"], timed_only=True),
       Job("memory", "memory/io/N=%d" % SCALE_N, ["what=io", "n=%d" % SCALE_N], timed_only=True)]
    # many idle connections and a 1 ms repeating timer (read with --clock cpu)
    + [Job("idle", "idle/N=%d" % n, ["n=%d" % n]) for n in (100, SCALE_N)]
)


def select_jobs(only):
    if not only:
        return list(JOBS)
    pats = [p.strip() for o in only for p in o.split(",") if p.strip()]
    jobs = [j for j in JOBS if any(j.id == p or j.id.startswith(p + "/") or j.workload == p for p in pats)]
    if not jobs:
        raise SystemExit("bench: --only %s matches no job; jobs: %s" % (",".join(pats), " ".join(j.id for j in JOBS)))
    return jobs


# ---- one process ---------------------------------------------------------------

class Result:
    def __init__(self):
        self.info = {}
        self.metrics = {}   # label -> (value, unit, units, syscalls or None, cpu ns or None)
        self.order = []     # labels in output order (n/a ones included)
        self.na = {}        # label -> reason
        self.error = None


def parse_output(text, res):
    for line in text.splitlines():
        f = line.split("\t")
        if f[0] == "I" and len(f) >= 3:
            res.info[f[1]] = "\t".join(f[2:])
        elif f[0] == "R" and len(f) >= 7:
            sysc = None if f[5] == "-" else float(f[5])
            cpu = None if f[6] == "-" else float(f[6])
            res.metrics[f[1]] = (float(f[2]), f[3], float(f[4]), sysc, cpu)
            res.order.append(f[1])
        elif f[0] == "N" and len(f) >= 3:
            res.na[f[1]] = f[2]
            res.order.append(f[1])
    return res


def check_object(lib, res):
    """the process must have loaded the library its column claims"""
    if lib.expect and res.error is None:
        got = res.info.get("object")
        if got != lib.expect:
            res.error = "loaded %s, expected %s" % (got, lib.expect)


def run_process(lib, job, extra_args, extra_env=None, prefix=(), timeout=None):
    """runs one benchmark process (optionally under a prefix such as
    valgrind); the child is killed by its pid if it exceeds the timeout"""
    cmd = lib.wrapper + list(prefix) + [lib.binary, job.workload] + job.args + list(extra_args)
    res = Result()
    try:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=lib.environ(extra_env), start_new_session=False)
    except OSError as e:
        res.error = "cannot run %s: %s" % (cmd[0], e)
        return res
    try:
        out, err = p.communicate(timeout=timeout or job.timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        res.error = "timed out after %ss" % (timeout or job.timeout)
        parse_output(out, res)
        return res
    parse_output(out, res)
    if p.returncode != 0:
        res.error = "exit %d: %s" % (p.returncode, (err.strip().splitlines() or ["?"])[-1])
    check_object(lib, res)
    res.command = " ".join(shlex.quote(c) for c in cmd)
    return res


# ---- derived metrics -------------------------------------------------------------

# (label, unit, function of a {label: value} dict, the labels it needs)
DERIVED = [
    ("loop/hook-callback", None,
     lambda v: (v["loop/k=100/nowait"] - v["loop/k=0/nowait"]) / 300.0,
     ("loop/k=0/nowait", "loop/k=100/nowait")),
]


def derive(values, units_of):
    """values: {label: number} of one process (or one callgrind run); returns
    [(label, unit, value)] for every derived metric whose inputs exist"""
    out = []
    for label, _, fn, needs in DERIVED:
        if all(n in values for n in needs):
            unit = units_of.get(needs[0], "")
            unit = unit.replace("/iter", "/callback")
            out.append((label, unit, fn(values)))
    return out


def derived_after():
    """where a derived metric goes in the table: after its last input"""
    return {needs[-1]: label for label, _, _, needs in DERIVED}


# ---- statistics and formatting -------------------------------------------------------

def overhead_ratio(v, base, floor):
    """(v - floor) / (base - floor): a library's cost above the floor against
    libev's; None where it means nothing (a value missing, or libev within
    2% of the floor, where the quotient is mostly noise)"""
    if v is None or base is None or floor is None:
        return None
    if base - floor <= 0.02 * abs(base):
        return None
    return (v - floor) / (base - floor)


def fmt_overhead(v, base, floor):
    """" ov 0.59" for a table cell, or "" """
    o = overhead_ratio(v, base, floor)
    return "" if o is None else " ov %.2f" % o


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1000:
        return "%.0f" % v
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3f" % v


def paired_ratios(vals, base):
    """vals, base: lists indexed by round (None where missing)"""
    return [v / b for v, b in zip(vals, base) if v is not None and b not in (None, 0)]


def machine_description():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = "?"
    try:
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
    except OSError:
        pass
    return "%s, %d cpus, Linux %s, load %s" % (cpu, os.cpu_count() or 0, platform.release(), load)


def build(builddir):
    """make bench (quietly); exits on failure"""
    if not os.path.exists(os.path.join(builddir, "Makefile")):
        raise SystemExit("bench: no Makefile in %s: configure first (or pass --builddir)" % builddir)
    p = subprocess.run(["make", "-C", builddir, "-s", "bench"], capture_output=True, text=True)
    if p.returncode:
        sys.stderr.write(p.stdout[-3000:] + p.stderr[-3000:])
        raise SystemExit("bench: make bench failed")


def default_builddir():
    return os.environ.get("BENCH_BUILDDIR", SRCDIR)


def common_options(ap):
    ap.add_argument("--builddir", default=default_builddir(),
                    help="configured build tree holding bench/bench-* (default: %(default)s)")
    ap.add_argument("--no-build", action="store_true", help="do not run `make bench` first")
    ap.add_argument("--only", action="append", default=[],
                    help="jobs to run: a workload (timers) or a job id (timers/M=100000), comma-separated, repeatable")
    ap.add_argument("--libs", default="", help="columns besides libev-4.33: libev-ng,libevent,libuv,epoll; on request libev-ng-uring, libev-ng-metrics, libev-ng-watchdog, epoll-ev")
    ap.add_argument("--ng-lib", default=None,
                    help="directory holding libev-ng's libev.so.4 (default: BUILDDIR/.libs)")
    ap.add_argument("--stand-in", action="store_true",
                    help="run the system libev in the libev-ng column (validates the pipeline without libev-ng)")
    ap.add_argument("--out", default=None, help="directory for the TSV and logs (default: BUILDDIR/bench/out)")


def setup_from_options(a):
    a.builddir = os.path.abspath(a.builddir)
    if not a.no_build:
        build(a.builddir)
    ng = os.path.abspath(a.ng_lib or os.path.join(a.builddir, ".libs"))
    libs, warnings = make_libs(a.builddir, ng, a.stand_in, a.libs)
    for l in libs:
        if not os.access(l.binary, os.X_OK):
            raise SystemExit("bench: %s is missing: run `make bench` in %s" % (l.binary, a.builddir))
    out = os.path.abspath(a.out or os.path.join(a.builddir, "bench", "out"))
    os.makedirs(out, exist_ok=True)
    return libs, warnings, out


def timestamp():
    return time.strftime("%Y%m%d-%H%M%S")


def write_latest(out, name, path):
    """out/<name> -> the newest file (a copy: symlinks do not survive every copy)"""
    latest = os.path.join(out, name)
    with open(path) as src, open(latest, "w") as dst:
        dst.write(src.read())
    return latest
