// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/sample.cc - see sample.h: the watched loops, what a look
// at one shows, and the reports.
#include "sample.h"

#include "elf_symbols.h"
#include "loop/loop.h"
#include "diag/probe_anchor.h"
#include "syslog_line.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace ev_watchdog {

using ev_detail::heap_node;
using ev_detail::pending_queues;
using ev_detail::pending_slot;
using ev_detail::W;
using ev_detail::watchdog_reply;

namespace {

// What the watchdog saw of one callback.
struct seen_callback {
  W w;
  void *cb;
  int revents;
  int priority;
  double start;      // it began no earlier (the poll's return, or the callback seen before it)
  double surely_by;  // it had begun by then (the poll's return for the first of an iteration, whose
                     // predecessors take microseconds, else the look that first saw it)
  double last_seen;  // it was running then
  bool still_reported;
};

struct watched {
  watched *next;
  ev_loop *loop;
  double threshold;
  report_to to;
  bool asked;    // by the library (else found in the anchor's list)
  bool ignored;  // the library asked to watch it no longer
  bool listed;   // seen in the anchor's list at the last look
  pid_t tid;     // the thread that runs the loop (0: not known yet)
  // Busy since the poll of `busy_iteration` returned at `busy_since`.
  bool busy;
  unsigned busy_iteration;
  double busy_since;
  bool have_cb;
  seen_callback cb;
  // Seen waiting in the poll of `wait_iteration`, its earliest timer due at
  // `wait_due`, mn_now then `wait_clock`.
  bool waiting;
  unsigned wait_iteration;
  double wait_due;
  double wait_clock;
};

pid_t target = 0;
char target_name[64] = "?";  // for the system log: the program's, as syslog(3) in it would say
std::uintptr_t anchor_at = 0;
ev_ng_probe_anchor anchor{};
watched *loops = nullptr;
double all_threshold = 0;  // watch_all's, 0: none
report_to all_to = report_to::stderr_line;
int reply_fd = -1;
int mem_fd = -1;  // /proc/PID/mem, where process_vm_readv is refused
bool use_mem_fd = false;

double monotonic_now()
{
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// ---------------------------------------------------------------------------
// Reading the loop as a debugger would
// ---------------------------------------------------------------------------

bool read_memory(void *to, const void *from, std::size_t n)
{
  if (!use_mem_fd) {
    iovec local{to, n};
    iovec remote{const_cast<void *>(from), n};
    const ssize_t got = process_vm_readv(target, &local, 1, &remote, 1, 0);
    if (got == static_cast<ssize_t>(n))
      return true;
    if (got >= 0 || errno != ENOSYS)
      return false;
    use_mem_fd = true;  // (a sandbox refused the call: the file does the same)
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/mem", static_cast<int>(target));
    mem_fd = ::open(path, O_RDONLY | O_CLOEXEC);
  }
  return mem_fd >= 0 &&
         pread(mem_fd, to, n, static_cast<off_t>(reinterpret_cast<std::uintptr_t>(from))) == static_cast<ssize_t>(n);
}

// Whether system call `nr`, whose fourth argument is arg4, is one a backend
// waits in (backends/backend.h, point 5 of a new backend's list): 1 when it
// waits on the fd of its first argument, 2 when it waits on a kernel object
// named otherwise, as an io_uring ring registered with the kernel is named by
// an index, and 0 if it does not wait.
int backend_wait_call(long nr, unsigned long arg4)
{
#ifdef SYS_io_uring_enter
  // IORING_ENTER_REGISTERED_RING: the ring is named by an index
  if (nr == SYS_io_uring_enter && (arg4 & (1u << 4)))
    return 2;
#else
  (void)arg4;
#endif
  switch (nr) {
#ifdef SYS_epoll_wait
  case SYS_epoll_wait:
#endif
#ifdef SYS_epoll_pwait
  case SYS_epoll_pwait:
#endif
#ifdef SYS_epoll_pwait2
  case SYS_epoll_pwait2:
#endif
#ifdef SYS_poll
  case SYS_poll:
#endif
#ifdef SYS_ppoll
  case SYS_ppoll:
#endif
#ifdef SYS_select
  case SYS_select:
#endif
#ifdef SYS_pselect6
  case SYS_pselect6:
#endif
#ifdef SYS_io_uring_enter
  case SYS_io_uring_enter:
#endif
    return 1;
  default: return 0;
  }
}

// Whether thread tid waits in the loop's backend: 1 yes, 0 no, -1 unknown
// (the thread is gone).
int waits_in_backend(pid_t tid, int backend_fd)
{
  char path[64], buf[256];
  std::snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", static_cast<int>(target), static_cast<int>(tid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0)
    return -1;
  buf[n] = 0;
  if (std::strncmp(buf, "running", 7) == 0)
    return 0;
  char *end;
  const long nr = std::strtol(buf, &end, 10);
  unsigned long arg[4];
  for (unsigned long &a : arg)
    a = std::strtoul(end, &end, 16);
  const int kind = backend_wait_call(nr, arg[3]);
  if (!kind)
    return 0;
  // A backend with a kernel object of its own waits on its fd; a callback
  // that waits on another is not the loop waiting.  A kernel object named
  // otherwise, kind 2, is taken for the loop's.
  return kind == 2 || backend_fd < 0 || static_cast<long>(arg[0]) == backend_fd;
}

// The thread of the process that waits in the backend of the loop whose fd
// is backend_fd, or 0: a loop may be run by another thread than the one that
// made it, and the library does not say which.  Without a backend fd any
// thread in a backend's wait would do, so none is taken.
pid_t thread_waiting_on(int backend_fd)
{
  if (backend_fd < 0)
    return 0;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/task", static_cast<int>(target));
  DIR *d = opendir(path);
  if (!d)
    return 0;
  pid_t found = 0;
  while (dirent *e = readdir(d)) {
    const pid_t tid = static_cast<pid_t>(std::atoi(e->d_name));
    if (tid > 0 && waits_in_backend(tid, backend_fd) == 1) {
      found = tid;
      break;
    }
  }
  closedir(d);
  return found;
}

struct candidate {
  W w;
  int revents;
  ev_watcher head;  // the watcher as read
};

// The watcher of a pending slot, if it is one the invocation has taken: not
// pending any more, of the slot's level, with a callback, not the loop's own.
// (Only addresses of the loop's process are compared here.)
bool taken_watcher(const ev_loop *loop, W w, int revents, int level, candidate *c)
{
  const auto p = reinterpret_cast<std::uintptr_t>(w), base = reinterpret_cast<std::uintptr_t>(loop);
  if (!w || (p >= base && p < base + sizeof(ev_loop)))
    return false;  // (the loop's own watchers, and the dummy of cleared slots)
  if (!read_memory(&c->head, w, sizeof c->head))
    return false;
  if (c->head.pending || !c->head.cb || pending_queues::level_of(&c->head) != level ||
      reinterpret_cast<void *>(c->head.cb) == anchor.own_cb)
    return false;
  c->w = w;
  c->revents = revents;
  return true;
}

bool slot_candidate(const ev_loop *loop, const ev_loop &snap, int level, int index, candidate *c)
{
  const ev_detail::array<pending_slot> &l = snap.pending.slots.level[level];
  if (index < 0 || index >= l.capacity || !l.data)
    return false;
  pending_slot s;
  return read_memory(&s, l.data + index, sizeof s) && taken_watcher(loop, s.w, s.revents, level, c);
}

// A virtual batch's watcher that the invocation took: prepare, check and
// idle watchers, whose `active` is their place in their array.
bool batch_candidate(const ev_loop *loop, const pending_queues::batch &b, int index, candidate *c)
{
  if (!b.base || index < 0)
    return false;
  W w;
  if (!read_memory(&w, b.base + index, sizeof w) || !taken_watcher(loop, w, b.revents, b.lvl, c))
    return false;
  return c->head.active == index + 1;
}

// The callback running now, from the pending queues as the invocation left
// them (base/pending.h: a taken entry stays in memory just above its
// level's, or its batch's, remaining ones).  The pass took the levels of
// pass_levels from the highest down; the levels above the highest one with
// entries left are done, and the callback is either the taken entry above
// that level's top, or the last entry of the lowest level done.
bool running_callback(const ev_loop *loop, const ev_loop &snap, candidate *c)
{
  const pending_queues &q = snap.pending;
  if (q.nvb > 0 && q.nvb <= pending_queues::kMaxBatches) {
    const pending_queues::batch &top = q.vb[q.nvb - 1];
    if (batch_candidate(loop, top, top.count, c))
      return true;
  }
  if (q.nvb >= 0 && q.nvb < pending_queues::kMaxBatches) {
    const pending_queues::batch &drained = q.vb[q.nvb];  // (dropped off the stack before its last callback)
    if (!drained.count && drained.lvl >= 0 && drained.lvl < ev_detail::kNumPri &&
        (snap.pass_levels >> drained.lvl & 1) && !(q.slots.mask >> drained.lvl) && batch_candidate(loop, drained, 0, c))
      return true;
  }
  int done = -1;
  for (int p = ev_detail::kNumPri; p--;) {
    if (!(snap.pass_levels >> p & 1))
      continue;
    const int left = q.slots.level[p].count;
    if (left > 0)
      return slot_candidate(loop, snap, p, left, c) || (done >= 0 && slot_candidate(loop, snap, done, 0, c));
    done = p;
  }
  return done >= 0 && slot_candidate(loop, snap, done, 0, c);
}

// ---------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------

const char *type_of(int revents)
{
  static constexpr struct {
    int bits;
    const char *name;
  } kTypes[] = {
      {EV_READ | EV_WRITE, "ev_io"}, {EV_TIMER, "ev_timer"}, {EV_PERIODIC, "ev_periodic"}, {EV_SIGNAL, "ev_signal"},
      {EV_CHILD, "ev_child"},        {EV_STAT, "ev_stat"},   {EV_IDLE, "ev_idle"},         {EV_PREPARE, "ev_prepare"},
      {EV_CHECK, "ev_check"},        {EV_EMBED, "ev_embed"}, {EV_FORK, "ev_fork"},         {EV_CLEANUP, "ev_cleanup"},
      {EV_ASYNC, "ev_async"},
  };
  for (const auto &t : kTypes)
    if (revents & t.bits)
      return t.name;
  return "ev_watcher";
}

void deliver(const watched &wl, watchdog_reply &r)
{
  if (wl.to == report_to::reply) {
    r.answer = ev_detail::kWatchdogReport;
    if (reply_fd >= 0)
      (void)!send(reply_fd, &r, sizeof r, MSG_NOSIGNAL);
  } else if (wl.to != report_to::syslog_line || !syslog_line(r.text, target_name, target)) {
    // A report is never lost: it is written here also when no log listens.
    std::fprintf(stderr, "%s\n", r.text);
    std::fflush(stderr);
  }
}

void report_callback(const watched &wl, const seen_callback &cb, int kind, double duration)
{
  watchdog_reply r{};
  r.kind = kind;
  r.loop = wl.loop;
  r.watcher = cb.w;
  r.events = cb.revents;
  r.priority = cb.priority;
  r.cb = cb.cb;
  r.duration = duration;
  r.threshold = wl.threshold;
  const code_location at = elf_locate(cb.cb, target);
  char where[320] = "";
  if (at.module) {
    std::snprintf(r.module, sizeof r.module, "%s", at.module);
    r.offset = at.offset;
    std::snprintf(where, sizeof where, " (%s+%#" PRIxPTR ")", at.module, at.offset);
  }
  if (at.symbol)
    std::snprintf(r.symbol, sizeof r.symbol, "%s", at.symbol);
  char name[200];
  if (at.symbol && !at.symbol_offset)
    std::snprintf(name, sizeof name, "%s", at.symbol);
  else if (at.symbol)
    std::snprintf(name, sizeof name, "%s+%#" PRIxPTR, at.symbol, at.symbol_offset);
  else
    std::snprintf(name, sizeof name, "%p", cb.cb);
  std::snprintf(r.text, sizeof r.text,
                "libev-ng watchdog: loop %p: callback %s%s of %s %p (priority %d) %s %.1f ms (threshold %.0f ms)",
                static_cast<void *>(wl.loop), name, where, type_of(cb.revents), static_cast<void *>(cb.w), cb.priority,
                kind == EV_WATCHDOG_STILL_RUNNING ? "has been running for" : "ran", duration * 1e3, wl.threshold * 1e3);
  deliver(wl, r);
}

void report_lag(const watched &wl, double late)
{
  watchdog_reply r{};
  r.kind = EV_WATCHDOG_TIMER_LAG;
  r.loop = wl.loop;
  r.duration = late;
  r.threshold = wl.threshold;
  std::snprintf(r.text, sizeof r.text,
                "libev-ng watchdog: loop %p: its wait ended %.1f ms after its earliest timer was due (threshold %.0f "
                "ms)",
                static_cast<void *>(wl.loop), late * 1e3, wl.threshold * 1e3);
  deliver(wl, r);
}

// ---------------------------------------------------------------------------
// What a look shows
// ---------------------------------------------------------------------------

// The callback that was running is done (it was gone at `gone`).
void callback_done(watched &wl, double gone)
{
  if (!wl.have_cb)
    return;
  wl.have_cb = false;
  // Reported when it surely ran longer than the threshold; with how long it
  // may have run (the looks bound both ends).
  if (wl.cb.last_seen - wl.cb.surely_by > wl.threshold)
    report_callback(wl, wl.cb, EV_WATCHDOG_SLOW_CALLBACK, gone - wl.cb.start);
}

// How long a callback runs before it is reported while it still runs.
double still_running_after(const watched &wl) { return std::max(5., 20. * wl.threshold); }

// Whether the loop's thread waits in its backend: 1, 0, or -1 if the loop
// cannot be told (no thread known yet, and the process has none waiting).
int loop_waits(watched &wl, const ev_loop &snap)
{
  const int seen = wl.tid ? waits_in_backend(wl.tid, snap.backend_fd) : -1;
  if (seen == 1)
    return 1;
  if (const pid_t other = thread_waiting_on(snap.backend_fd)) {
    wl.tid = other;
    return 1;
  }
  return wl.tid || snap.backend_fd >= 0 ? 0 : -1;
}

// `now` was read before this look; what it sees was so at some moment after
// that, and before `after`: a callback seen running ran at `now` at least,
// and one seen gone was gone by `after`, which a look preempted on a busy
// machine may read milliseconds later.
void sample(watched &wl, double now)
{
  alignas(ev_loop) unsigned char buf[sizeof(ev_loop)];
  if (!read_memory(buf, wl.loop, sizeof buf))
    return;
  const ev_loop &snap = *reinterpret_cast<const ev_loop *>(buf);
  const int waiting = loop_waits(wl, snap);
  if (waiting < 0)
    return;
  const double after = monotonic_now();
  // The poll seen waiting has returned (mn_now is written after it, and
  // before the next one only by the loop's own block time): how late, against
  // its earliest timer.
  if (wl.waiting && !(waiting && snap.loop_count == wl.wait_iteration)) {
    // (the poll returned, and the loop has not read the clock after it yet:
    // look again next time)
    if (snap.loop_count == wl.wait_iteration && snap.mn_now == wl.wait_clock)
      return;
    if (snap.loop_count - wl.wait_iteration <= 1 && snap.mn_now - wl.wait_due > wl.threshold)
      report_lag(wl, snap.mn_now - wl.wait_due);
    wl.waiting = false;
  }
  if (!waiting && !snap.loop_depth) {
    // Outside ev_run (a program that runs the loop now and then, with
    // EVRUN_NOWAIT from its own loop, say): no callback of the loop runs.
    callback_done(wl, after);
    wl.busy = false;
    return;
  }
  if (waiting) {
    // In the poll: whatever ran before it is done.
    callback_done(wl, after);
    wl.busy = false;
    if (!wl.waiting) {
      wl.waiting = true;
      wl.wait_iteration = snap.loop_count;
      wl.wait_clock = snap.mn_now;
      wl.wait_due = HUGE_VAL;
      if (snap.timers.count) {
        heap_node top;
        if (read_memory(&top, snap.timers.nodes + ev_detail::heap::kHeap0, sizeof top))
          wl.wait_due = top.at + std::max(snap.timeout_blocktime, 0.) + snap.backend_mintime;
      }
    }
    return;
  }
  // Busy: since the poll returned (mn_now, written after it).
  if (!wl.busy || wl.busy_iteration != snap.loop_count) {
    callback_done(wl, after);
    wl.busy = true;
    wl.busy_iteration = snap.loop_count;
    wl.busy_since = snap.mn_now;
  }
  candidate c;
  const bool known = running_callback(wl.loop, snap, &c);
  if (wl.have_cb && known && c.w == wl.cb.w && reinterpret_cast<void *>(c.head.cb) == wl.cb.cb) {
    wl.cb.last_seen = now;
  } else {
    const bool first = !wl.have_cb;
    const double start = first ? wl.busy_since : wl.cb.last_seen;
    callback_done(wl, after);
    if (known) {
      wl.have_cb = true;
      wl.cb = seen_callback{
          c.w, reinterpret_cast<void *>(c.head.cb), c.revents, c.head.priority, start, first ? start : now, now, false};
    }
  }
  if (wl.have_cb && !wl.cb.still_reported && now - wl.cb.start > still_running_after(wl)) {
    wl.cb.still_reported = true;
    report_callback(wl, wl.cb, EV_WATCHDOG_STILL_RUNNING, now - wl.cb.start);
  }
}

// ---------------------------------------------------------------------------
// The watched loops
// ---------------------------------------------------------------------------

watched *find(ev_loop *loop)
{
  for (watched *w = loops; w; w = w->next)
    if (w->loop == loop)
      return w;
  return nullptr;
}

watched *add(ev_loop *loop)
{
  auto *w = static_cast<watched *>(std::calloc(1, sizeof(watched)));
  if (!w)
    std::abort();
  w->loop = loop;
  w->next = loops;
  loops = w;
  return w;
}

void drop_unlisted()
{
  for (watched **link = &loops; *link;) {
    watched *w = *link;
    if (w->listed) {
      link = &w->next;
    } else {
      *link = w->next;
      std::free(w);
    }
  }
}

// The anchor's list of loops: loops made since are watched (watch_all),
// loops gone are dropped, whoever watched them.
bool sync_with_anchor()
{
  if (!read_memory(&anchor, reinterpret_cast<const void *>(anchor_at), sizeof anchor))
    return false;
  if (anchor.version < 2)
    return true;  // (no loop made yet)
  for (watched *w = loops; w; w = w->next)
    w->listed = false;
  ev_loop *loop = anchor.loops;
  for (int n = 0; loop && n < 10000; ++n) {
    watched *w = find(loop);
    if (!w && all_threshold > 0) {
      w = add(loop);
      w->threshold = all_threshold;
      w->to = all_to;
      w->tid = target;  // (most programs run their loops on the main thread; see loop_waits)
    }
    if (w)
      w->listed = true;
    if (!read_memory(&loop, reinterpret_cast<const char *>(loop) + anchor.next, sizeof loop))
      return true;  // (changed under us: next time)
  }
  drop_unlisted();
  return true;
}

// The offset of a member in this build's struct ev_loop.
template <typename M>
unsigned short offset_here(M ev_loop::*member)
{
  alignas(ev_loop) static unsigned char probe[sizeof(ev_loop)];
  const auto *l = reinterpret_cast<const ev_loop *>(probe);
  return static_cast<unsigned short>(reinterpret_cast<const unsigned char *>(&(l->*member)) - probe);
}

}  // namespace

bool attach(pid_t pid, std::uintptr_t at, char *why, std::size_t why_size)
{
  target = pid;
  anchor_at = at;
  char path[64], cmd[256] = "";
  std::snprintf(path, sizeof path, "/proc/%d/cmdline", static_cast<int>(pid));
  if (FILE *f = std::fopen(path, "re")) {
    const std::size_t n = std::fread(cmd, 1, sizeof cmd - 1, f);
    cmd[n] = 0;
    std::fclose(f);
    const char *base = std::strrchr(cmd, '/');
    std::snprintf(target_name, sizeof target_name, "%s", base ? base + 1 : cmd);
  }
  if (!read_memory(&anchor, reinterpret_cast<const void *>(at), sizeof anchor)) {
    std::snprintf(why, why_size, "cannot read process %d's memory at %#" PRIxPTR ": %s", static_cast<int>(pid), at,
                  std::strerror(errno));
    return false;
  }
  if (anchor.version == 1 ||
      (anchor.version >= 2 &&
       (anchor.loop_size != sizeof(ev_loop) || anchor.next != offset_here(&ev_loop::fork_next) ||
        anchor.mn_now != offset_here(&ev_loop::mn_now) || anchor.pass_levels != offset_here(&ev_loop::pass_levels) ||
        anchor.pending != offset_here(&ev_loop::pending) || anchor.backend_fd != offset_here(&ev_loop::backend_fd)))) {
    std::snprintf(why, why_size,
                  "process %d's libev.so.4 lays its loops out otherwise than this ev-watchdog's build (anchor version "
                  "%u, loop size %u, here %zu): use the ev-watchdog of the same libev-ng",
                  static_cast<int>(pid), anchor.version, anchor.loop_size, sizeof(ev_loop));
    return false;
  }
  return true;
}

void watch_all(double threshold, report_to to)
{
  all_threshold = threshold;
  all_to = to;
}

void watch(ev_loop *loop, double threshold, pid_t tid, report_to to)
{
  watched *w = find(loop);
  if (w) {
    watched *next = w->next;
    std::memset(static_cast<void *>(w), 0, sizeof *w);
    w->next = next;
    w->loop = loop;
  } else {
    w = add(loop);
  }
  w->threshold = threshold;
  w->to = to;
  w->tid = tid;
  w->asked = true;
  w->listed = true;
}

void unwatch(ev_loop *loop)
{
  watched *w = find(loop);
  if (!w)
    w = add(loop);
  w->ignored = true;
  w->have_cb = w->busy = w->waiting = false;
  w->listed = true;
}

void set_reply_fd(int fd) { reply_fd = fd; }

bool look()
{
  if (kill(target, 0) && errno == ESRCH)
    return false;
  if (!sync_with_anchor())
    return !(kill(target, 0) && errno == ESRCH);
  const double now = monotonic_now();
  for (watched *w = loops; w; w = w->next)
    if (!w->ignored)
      sample(*w, now);
  return true;
}

// A quarter threshold, or a fiftieth while a loop has been busy for half
// its threshold (the end of a slow callback is then known to that
// resolution).
double next_pause()
{
  const double now = monotonic_now();
  double s = 0.25;
  for (watched *w = loops; w; w = w->next) {
    if (w->ignored)
      continue;
    const bool slow = w->busy && now - w->busy_since > w->threshold * 0.5;
    s = std::min(s, std::max(1e-3, slow ? w->threshold / 50. : w->threshold / 4.));
  }
  return s;
}

}  // namespace ev_watchdog
