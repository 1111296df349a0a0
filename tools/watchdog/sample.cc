// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/sample.cc - see sample.h: a process's watched loops, what a
// look at one shows, and the reports.
#include "sample.h"

#include "diag/probe_anchor.h"
#include "elf_symbols.h"
#include "loop/loop.h"
#include "syslog_line.h"

#include <dirent.h>
#include <fcntl.h>
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
  bool located;  // `at` is known: looked up while the process lived, for a report after its end
  code_location at;
};

struct watched {
  watched *next;
  ev_loop *loop;
  bool listed;  // seen in the anchor's list at the last look
  pid_t tid;    // the thread that runs the loop (0: not known yet)
  // Busy since the poll of `busy_iteration` returned at `busy_since`.
  bool busy;
  unsigned busy_iteration;
  double busy_since;
  bool have_cb;
  seen_callback cb;
  // The callback last seen gone, and its iteration: seen again in that iteration, it is a look
  // whose reads straddled its end (the loop's state, then its queue), not a second run.
  W done_w;
  void *done_cb;
  unsigned done_iteration;
  // Seen waiting in the poll of `wait_iteration`, its earliest timer due at
  // `wait_due`, mn_now then `wait_clock`.
  bool waiting;
  unsigned wait_iteration;
  double wait_due;
  double wait_clock;
  double wait_seen;  // the last look that saw it waiting
};

watch_rules rules{0.1, false};

}  // namespace

// A process whose loops are watched.
struct process {
  pid_t pid;
  char name[64];  // for the system log: the program's, as syslog(3) in it would say
  std::uintptr_t anchor_at;
  ev_ng_probe_anchor anchor;
  watched *loops;
  int mem_fd;  // /proc/PID/mem, where process_vm_readv is refused
  bool use_mem_fd;
  // A child of a fork starts with its parent's loops, as they were in the callback that forked:
  // its busy time counts from when it was found, not from its parent's poll.
  double born;
};

double monotonic_now()
{
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

namespace {

// ---------------------------------------------------------------------------
// Reading the loop as a debugger would
// ---------------------------------------------------------------------------

bool read_memory(process &pr, void *to, const void *from, std::size_t n)
{
  if (!pr.use_mem_fd) {
    iovec local{to, n};
    iovec remote{const_cast<void *>(from), n};
    const ssize_t got = process_vm_readv(pr.pid, &local, 1, &remote, 1, 0);
    if (got == static_cast<ssize_t>(n))
      return true;
    if (got >= 0 || errno != ENOSYS)
      return false;
    pr.use_mem_fd = true;  // (a sandbox refused the call: the file does the same)
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/mem", static_cast<int>(pr.pid));
    pr.mem_fd = ::open(path, O_RDONLY | O_CLOEXEC);
  }
  return pr.mem_fd >= 0 &&
         pread(pr.mem_fd, to, n, static_cast<off_t>(reinterpret_cast<std::uintptr_t>(from))) == static_cast<ssize_t>(n);
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
int waits_in_backend(const process &pr, pid_t tid, int backend_fd)
{
  char path[64], buf[256];
  std::snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", static_cast<int>(pr.pid), static_cast<int>(tid));
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
pid_t thread_waiting_on(const process &pr, int backend_fd)
{
  if (backend_fd < 0)
    return 0;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/task", static_cast<int>(pr.pid));
  DIR *d = opendir(path);
  if (!d)
    return 0;
  pid_t found = 0;
  while (dirent *e = readdir(d)) {
    const pid_t tid = static_cast<pid_t>(std::atoi(e->d_name));
    if (tid > 0 && waits_in_backend(pr, tid, backend_fd) == 1) {
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
bool taken_watcher(process &pr, const ev_loop *loop, W w, int revents, int level, candidate *c)
{
  const auto p = reinterpret_cast<std::uintptr_t>(w), base = reinterpret_cast<std::uintptr_t>(loop);
  if (!w || (p >= base && p < base + sizeof(ev_loop)))
    return false;  // (the loop's own watchers, and the dummy of cleared slots)
  if (!read_memory(pr, &c->head, w, sizeof c->head))
    return false;
  if (c->head.pending || !c->head.cb || pending_queues::level_of(&c->head) != level ||
      reinterpret_cast<void *>(c->head.cb) == pr.anchor.own_cb)
    return false;
  c->w = w;
  c->revents = revents;
  return true;
}

bool slot_candidate(process &pr, const ev_loop *loop, const ev_loop &snap, int level, int index, candidate *c)
{
  const ev_detail::array<pending_slot> &l = snap.pending.slots.level[level];
  if (index < 0 || index >= l.capacity || !l.data)
    return false;
  pending_slot s;
  return read_memory(pr, &s, l.data + index, sizeof s) && taken_watcher(pr, loop, s.w, s.revents, level, c);
}

// A virtual batch's watcher that the invocation took: prepare, check and
// idle watchers, whose `active` is their place in their array.
bool batch_candidate(process &pr, const ev_loop *loop, const pending_queues::batch &b, int index, candidate *c)
{
  if (!b.base || index < 0)
    return false;
  W w;
  if (!read_memory(pr, &w, b.base + index, sizeof w) || !taken_watcher(pr, loop, w, b.revents, b.lvl, c))
    return false;
  return c->head.active == index + 1;
}

// The callback running now, from the pending queues as the invocation left
// them (base/pending.h: a taken entry stays in memory just above its
// level's, or its batch's, remaining ones).  The pass took the levels of
// pass_levels from the highest down; the levels above the highest one with
// entries left are done, and the callback is either the taken entry above
// that level's top, or the last entry of the lowest level done.
bool running_callback(process &pr, const ev_loop *loop, const ev_loop &snap, candidate *c)
{
  const pending_queues &q = snap.pending;
  if (q.nvb > 0 && q.nvb <= pending_queues::kMaxBatches) {
    const pending_queues::batch &top = q.vb[q.nvb - 1];
    if (batch_candidate(pr, loop, top, top.count, c))
      return true;
  }
  if (q.nvb >= 0 && q.nvb < pending_queues::kMaxBatches) {
    const pending_queues::batch &drained = q.vb[q.nvb];  // (dropped off the stack before its last callback)
    if (!drained.count && drained.lvl >= 0 && drained.lvl < ev_detail::kNumPri &&
        (snap.pass_levels >> drained.lvl & 1) && !(q.slots.mask >> drained.lvl) &&
        batch_candidate(pr, loop, drained, 0, c))
      return true;
  }
  int done = -1;
  for (int p = ev_detail::kNumPri; p--;) {
    if (!(snap.pass_levels >> p & 1))
      continue;
    const int left = q.slots.level[p].count;
    if (left > 0)
      return slot_candidate(pr, loop, snap, p, left, c) || (done >= 0 && slot_candidate(pr, loop, snap, done, 0, c));
    done = p;
  }
  return done >= 0 && slot_candidate(pr, loop, snap, done, 0, c);
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

// A report is never lost: it is written on stderr also when no log listens.
void deliver(const process &pr, const char *text)
{
  if (!rules.syslog || !syslog_line(text, pr.name, pr.pid)) {
    std::fprintf(stderr, "%s\n", text);
    std::fflush(stderr);
  }
}

// The callback's file is looked up in the process's map: a process that
// ended has none, and its report names the address.
void report_callback(const process &pr, const watched &wl, const seen_callback &cb, int kind, double duration)
{
  const code_location at = cb.located ? cb.at : elf_locate(cb.cb, pr.pid);
  char where[320] = "";
  if (at.module)
    std::snprintf(where, sizeof where, " (%s+%#" PRIxPTR ")", at.module, at.offset);
  char name[200];
  if (at.symbol && !at.symbol_offset)
    std::snprintf(name, sizeof name, "%s", at.symbol);
  else if (at.symbol)
    std::snprintf(name, sizeof name, "%s+%#" PRIxPTR, at.symbol, at.symbol_offset);
  else
    std::snprintf(name, sizeof name, "%p", cb.cb);
  char text[1024];
  std::snprintf(text, sizeof text,
                "libev-ng watchdog: loop %p: callback %s%s of %s %p (priority %d) %s %.1f ms (threshold %.0f ms)",
                static_cast<void *>(wl.loop), name, where, type_of(cb.revents), static_cast<void *>(cb.w), cb.priority,
                kind == EV_WATCHDOG_STILL_RUNNING ? "has been running for" : "ran", duration * 1e3,
                rules.threshold * 1e3);
  deliver(pr, text);
}

void report_lag(const process &pr, const watched &wl, double late)
{
  char text[256];
  std::snprintf(text, sizeof text,
                "libev-ng watchdog: loop %p: its wait ended %.1f ms after its earliest timer was due (threshold %.0f "
                "ms)",
                static_cast<void *>(wl.loop), late * 1e3, rules.threshold * 1e3);
  deliver(pr, text);
}

// ---------------------------------------------------------------------------
// What a look shows
// ---------------------------------------------------------------------------

// The callback that was running is done (it was gone at `gone`).
void callback_done(const process &pr, watched &wl, double gone)
{
  if (!wl.have_cb)
    return;
  wl.have_cb = false;
  wl.done_w = wl.cb.w;
  wl.done_cb = wl.cb.cb;
  wl.done_iteration = wl.busy_iteration;
  // Reported when it surely ran longer than the threshold; with how long it
  // may have run (the looks bound both ends).
  if (wl.cb.last_seen - wl.cb.surely_by > rules.threshold)
    report_callback(pr, wl, wl.cb, EV_WATCHDOG_SLOW_CALLBACK, gone - wl.cb.start);
}

// How long a callback runs before it is reported while it still runs.
double still_running_after() { return std::max(5., 20. * rules.threshold); }

// Whether the loop's thread waits in its backend: 1, 0, or -1 if the loop
// cannot be told (no thread known yet, and the process has none waiting).
int loop_waits(const process &pr, watched &wl, const ev_loop &snap)
{
  const int seen = wl.tid ? waits_in_backend(pr, wl.tid, snap.backend_fd) : -1;
  if (seen == 1)
    return 1;
  if (const pid_t other = thread_waiting_on(pr, snap.backend_fd)) {
    wl.tid = other;
    return 1;
  }
  return wl.tid || snap.backend_fd >= 0 ? 0 : -1;
}

// `now` was read before this look; what it sees was so at some moment after
// that, and before `after`: a callback seen running ran at `now` at least,
// and one seen gone was gone by `after`, which a look preempted on a busy
// machine may read milliseconds later.
void sample(process &pr, watched &wl, double now)
{
  alignas(ev_loop) unsigned char buf[sizeof(ev_loop)];
  if (!read_memory(pr, buf, wl.loop, sizeof buf))
    return;
  const ev_loop &snap = *reinterpret_cast<const ev_loop *>(buf);
  const int waiting = loop_waits(pr, wl, snap);
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
    if (snap.loop_count - wl.wait_iteration <= 1 && snap.mn_now - wl.wait_due > rules.threshold)
      report_lag(pr, wl, snap.mn_now - wl.wait_due);
    wl.waiting = false;
  }
  if (!waiting && !snap.loop_depth) {
    // Outside ev_run (a program that runs the loop now and then, with
    // EVRUN_NOWAIT from its own loop, say): no callback of the loop runs.
    callback_done(pr, wl, after);
    wl.busy = false;
    return;
  }
  if (waiting) {
    // In the poll: whatever ran before it is done.
    callback_done(pr, wl, after);
    wl.busy = false;
    wl.wait_seen = now;
    if (!wl.waiting) {
      wl.waiting = true;
      wl.wait_iteration = snap.loop_count;
      wl.wait_clock = snap.mn_now;
      wl.wait_due = HUGE_VAL;
      if (snap.timers.count) {
        heap_node top;
        if (read_memory(pr, &top, snap.timers.nodes + ev_detail::heap::kHeap0, sizeof top))
          wl.wait_due = top.at + std::max(snap.timeout_blocktime, 0.) + snap.backend_mintime;
      }
    }
    return;
  }
  // Busy: since the poll returned (mn_now, written after it).
  if (!wl.busy || wl.busy_iteration != snap.loop_count) {
    callback_done(pr, wl, after);
    wl.busy = true;
    wl.busy_iteration = snap.loop_count;
    wl.busy_since = std::max(snap.mn_now, pr.born);
  }
  candidate c;
  bool known = running_callback(pr, wl.loop, snap, &c);
  if (known && !wl.have_cb && c.w == wl.done_w && reinterpret_cast<void *>(c.head.cb) == wl.done_cb &&
      snap.loop_count == wl.done_iteration)
    known = false;  // (a watcher fed again in its own pass is not told apart: it ran once more)
  if (wl.have_cb && known && c.w == wl.cb.w && reinterpret_cast<void *>(c.head.cb) == wl.cb.cb) {
    wl.cb.last_seen = now;
  } else {
    const bool first = !wl.have_cb;
    const double start = first ? wl.busy_since : wl.cb.last_seen;
    callback_done(pr, wl, after);
    if (known) {
      wl.have_cb = true;
      wl.cb = seen_callback{c.w,       reinterpret_cast<void *>(c.head.cb),
                            c.revents, c.head.priority,
                            start,     first ? start : now,
                            now,       false,
                            false,     {}};
    }
  }
  // A callback that will be reported is named now, while the process's map can be read: it may end
  // before the callback is seen gone.
  if (wl.have_cb && !wl.cb.located && wl.cb.last_seen - wl.cb.surely_by > rules.threshold) {
    wl.cb.at = elf_locate(wl.cb.cb, pr.pid);
    wl.cb.located = true;
  }
  if (wl.have_cb && !wl.cb.still_reported && now - wl.cb.start > still_running_after()) {
    wl.cb.still_reported = true;
    report_callback(pr, wl, wl.cb, EV_WATCHDOG_STILL_RUNNING, now - wl.cb.start);
  }
}

// ---------------------------------------------------------------------------
// The watched loops
// ---------------------------------------------------------------------------

watched *find(process &pr, ev_loop *loop)
{
  for (watched *w = pr.loops; w; w = w->next)
    if (w->loop == loop)
      return w;
  return nullptr;
}

watched *add(process &pr, ev_loop *loop)
{
  auto *w = static_cast<watched *>(std::calloc(1, sizeof(watched)));
  if (!w)
    std::abort();
  w->loop = loop;
  w->next = pr.loops;
  pr.loops = w;
  return w;
}

void drop_unlisted(process &pr)
{
  for (watched **link = &pr.loops; *link;) {
    watched *w = *link;
    if (w->listed) {
      link = &w->next;
    } else {
      *link = w->next;
      std::free(w);
    }
  }
}

// The offset of a member in this build's struct ev_loop.
template <typename M>
unsigned short offset_here(M ev_loop::*member)
{
  alignas(ev_loop) static unsigned char probe[sizeof(ev_loop)];
  const auto *l = reinterpret_cast<const ev_loop *>(probe);
  return static_cast<unsigned short>(reinterpret_cast<const unsigned char *>(&(l->*member)) - probe);
}

// Whether an anchor as read says its library lays loops out as this build
// does: version 0 (no loop made yet) says nothing yet, and passes.
bool same_layout(const ev_ng_probe_anchor &a)
{
  if (a.version == 0)
    return true;
  return a.version >= 2 && a.loop_size == sizeof(ev_loop) && a.next == offset_here(&ev_loop::fork_next) &&
         a.mn_now == offset_here(&ev_loop::mn_now) && a.pass_levels == offset_here(&ev_loop::pass_levels) &&
         a.pending == offset_here(&ev_loop::pending) && a.backend_fd == offset_here(&ev_loop::backend_fd);
}

// The anchor's list of loops: loops made since are watched, loops gone are
// dropped.  False when the anchor cannot be read, or no longer is one: the
// process ended, or replaced its program.
bool sync_with_anchor(process &pr)
{
  if (!read_memory(pr, &pr.anchor, reinterpret_cast<const void *>(pr.anchor_at), sizeof pr.anchor) ||
      !same_layout(pr.anchor))
    return false;
  if (pr.anchor.version < 2)
    return true;  // (no loop made yet)
  for (watched *w = pr.loops; w; w = w->next)
    w->listed = false;
  ev_loop *loop = pr.anchor.loops;
  for (int n = 0; loop && n < 10000; ++n) {
    watched *w = find(pr, loop);
    if (!w) {
      w = add(pr, loop);
      w->tid = pr.pid;  // (most programs run their loops on the main thread; see loop_waits)
    }
    w->listed = true;
    if (!read_memory(pr, &loop, reinterpret_cast<const char *>(loop) + pr.anchor.next, sizeof loop))
      return true;  // (changed under us: next time)
  }
  drop_unlisted(pr);
  return true;
}

void free_process(process *p)
{
  while (watched *w = p->loops) {
    p->loops = w->next;
    std::free(w);
  }
  if (p->mem_fd >= 0)
    ::close(p->mem_fd);
  std::free(p);
}

}  // namespace

void set_rules(const watch_rules &r) { rules = r; }

attach_result process_attach(pid_t pid, std::uintptr_t at, double born, process **out, int *error, char *why,
                             std::size_t why_size)
{
  auto *p = static_cast<process *>(std::calloc(1, sizeof(process)));
  if (!p)
    std::abort();
  p->pid = pid;
  p->anchor_at = at;
  p->mem_fd = -1;
  p->born = born;
  char path[64], cmd[256] = "";
  std::snprintf(path, sizeof path, "/proc/%d/cmdline", static_cast<int>(pid));
  if (FILE *f = std::fopen(path, "re")) {
    const std::size_t n = std::fread(cmd, 1, sizeof cmd - 1, f);
    cmd[n] = 0;
    std::fclose(f);
    const char *base = std::strrchr(cmd, '/');
    std::snprintf(p->name, sizeof p->name, "%s", base ? base + 1 : cmd);
  }
  *error = 0;
  if (!read_memory(*p, &p->anchor, reinterpret_cast<const void *>(at), sizeof p->anchor)) {
    *error = errno;
    std::snprintf(why, why_size, "cannot read its memory at %#" PRIxPTR ": %s", at, std::strerror(errno));
    free_process(p);
    return *error == ESRCH                       ? attach_result::gone
           : *error == EPERM || *error == EACCES ? attach_result::denied
                                                 : attach_result::other_layout;
  }
  if (!same_layout(p->anchor)) {
    std::snprintf(why, why_size,
                  "its libev.so.4 is another build of libev-ng, which lays its loops out otherwise than this "
                  "ev-watchdog's (anchor version %u, loop size %u, here %zu): run the ev-watchdog of that libev-ng",
                  p->anchor.version, p->anchor.loop_size, sizeof(ev_loop));
    free_process(p);
    return attach_result::other_layout;
  }
  *out = p;
  return attach_result::watched_ok;
}

bool process_look(process *p)
{
  const double now = monotonic_now();
  if (!sync_with_anchor(*p))
    return false;
  for (watched *w = p->loops; w; w = w->next)
    sample(*p, *w, now);
  return true;
}

void process_end(process *p, double gone)
{
  for (watched *w = p->loops; w; w = w->next) {
    callback_done(*p, *w, gone);
    // A wait seen going on past its timer by more than the threshold (the process was stopped, say,
    // and ended at once when it went on) was late by that much at least.
    if (w->waiting && w->wait_seen - w->wait_due > rules.threshold)
      report_lag(*p, *w, w->wait_seen - w->wait_due);
  }
  free_process(p);
}

std::uintptr_t process_anchor(const process *p) { return p->anchor_at; }

// A quarter threshold, or a fiftieth while a loop has been busy for half
// its threshold (the end of a slow callback is then known to that
// resolution).
double process_next_pause(const process *p)
{
  const double now = monotonic_now();
  double s = std::max(1e-3, rules.threshold / 4.);
  for (const watched *w = p ? p->loops : nullptr; w; w = w->next)
    if (w->busy && now - w->busy_since > rules.threshold * 0.5)
      s = std::min(s, std::max(1e-3, rules.threshold / 50.));
  return std::min(s, 0.25);
}

}  // namespace ev_watchdog
