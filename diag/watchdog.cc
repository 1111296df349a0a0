// SPDX-License-Identifier: BSD-2-Clause
// diag/watchdog.cc - the watchdog (see diag/watchdog.h): the watched loops,
// the thread that samples them, what it concludes, and the reports.
#include "diag/watchdog.h"

#include "base/env.h"
#include "diag/elf_symbols.h"
#include "diag/syslog_line.h"
#include "fd/io_list.h"

#include <atomic>
#include <cerrno>

#if EV_NG_HAVE_PROCESS_VM_READV
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#endif

namespace ev_detail {

constinit std::atomic<int> watchdog_loops{0};

}  // namespace ev_detail

#if EV_NG_HAVE_PROCESS_VM_READV

namespace ev_detail {

namespace {

using report_fn = void (*)(const ev_watchdog_report *, void *);

// What the watchdog saw of one callback.
struct seen_callback {
  W w;
  void *cb;
  int revents;
  int priority;
  ev_tstamp start;      // it began no earlier (the poll's return, or the callback seen before it)
  ev_tstamp surely_by;  // it had begun by then (the poll's return for the first of an iteration, whose
                        // predecessors take microseconds, else the look that first saw it)
  ev_tstamp last_seen;  // it was running then
  bool still_reported;
};

struct watched {
  watched *next;
  ev_loop *loop;
  ev_tstamp threshold;
  report_fn report;  // null: a line on stderr (or syslog)
  void *data;
  bool to_syslog;
  pid_t tid;  // the thread that runs the loop (0: not known yet)
  // Busy since the poll of `busy_iteration` returned at `busy_since`.
  bool busy;
  unsigned busy_iteration;
  ev_tstamp busy_since;
  bool have_cb;
  seen_callback cb;
  // Seen waiting in the poll of `wait_iteration`, its earliest timer due at
  // `wait_due`, mn_now then `wait_clock`.
  bool waiting;
  unsigned wait_iteration;
  ev_tstamp wait_due;
  ev_tstamp wait_clock;
};

// A report made under the lock, delivered after it.
struct pending_report {
  ev_watchdog_report r;
  report_fn report;
  void *data;
  bool to_syslog;
  char text[512];
  char symbol[160];
  char module[256];
};

pid_t current_tid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// A lock its holder may take again: a report callback may call exit, whose
// last look then runs on the thread that holds it already.  Not a recursive
// pthread mutex, which has no static initialiser on every libc (musl).
struct reentrant_lock {
  pthread_mutex_t mutex;
  std::atomic<pid_t> holder;  // only the holder ever finds its own id here
  int depth;
};
void take(reentrant_lock &l)
{
  const pid_t self = current_tid();
  if (l.holder.load(std::memory_order_relaxed) == self) {
    ++l.depth;
    return;
  }
  pthread_mutex_lock(&l.mutex);
  l.holder.store(self, std::memory_order_relaxed);
  l.depth = 1;
}
void release(reentrant_lock &l)
{
  if (--l.depth > 0)
    return;
  l.holder.store(0, std::memory_order_relaxed);
  pthread_mutex_unlock(&l.mutex);
}

constinit pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
// Held from a look at the loops until its reports are out, so that the last
// look at exit comes after the reports of one in progress.
constinit reentrant_lock reporting = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
constinit watched *loops = nullptr;
constinit bool thread_running = false;
constinit pthread_once_t handlers_once = PTHREAD_ONCE_INIT;
constinit int mem_fd = -1;  // /proc/PID/mem, where process_vm_readv is refused
constinit bool use_mem_fd = false;
// The process looked at: 0 this one (the thread), else the helper's parent.
constinit pid_t target = 0;
// The helper process (see watch_loop), made by `helper_owner`; the pipes it
// is asked and answers the last look at exit on.
constinit pid_t helper_pid = 0, helper_owner = 0;
constinit int helper_ask = -1, helper_answer = -1;
constinit ino_t helper_ask_inode = 0;

// Around a fork: the child has no watchdog thread (the loops start it again,
// watchdog_note) and must not inherit a held lock.
void lock_before_fork()
{
  take(reporting);
  pthread_mutex_lock(&lock);
}
void unlock_in_parent()
{
  pthread_mutex_unlock(&lock);
  release(reporting);
}
// The child's thread has another id than the one that locked them, so both
// are made anew.
void reset_in_child()
{
  thread_running = false;
  for (watched *w = loops; w; w = w->next)
    w->tid = 0;
  pthread_mutex_init(&lock, nullptr);
  pthread_mutex_init(&reporting.mutex, nullptr);
  reporting.holder.store(0, std::memory_order_relaxed);
  reporting.depth = 0;
}

// ---------------------------------------------------------------------------
// Reading the loop as a debugger would
// ---------------------------------------------------------------------------

pid_t target_pid() { return target ? target : getpid(); }

bool read_memory(void *to, const void *from, std::size_t n)
{
  if (!use_mem_fd) {
    iovec local{to, n};
    iovec remote{const_cast<void *>(from), n};
    const ssize_t got = process_vm_readv(target_pid(), &local, 1, &remote, 1, 0);
    if (got == static_cast<ssize_t>(n))
      return true;
    if (got >= 0 || errno != ENOSYS)
      return false;
    use_mem_fd = true;  // (a sandbox refused the call: the file does the same)
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/mem", static_cast<int>(target_pid()));
    mem_fd = ::open(path, O_RDONLY | O_CLOEXEC);
  }
  return mem_fd >= 0 &&
         pread(mem_fd, to, n, static_cast<off_t>(reinterpret_cast<std::uintptr_t>(from))) == static_cast<ssize_t>(n);
}

// Whether thread tid waits in the loop's backend: 1 yes, 0 no, -1 unknown.
int waits_in_backend(pid_t tid, int backend_fd)
{
  char path[64], buf[256];
  std::snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", static_cast<int>(target_pid()), static_cast<int>(tid));
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

struct candidate {
  W w;
  int revents;
  ev_watcher head;  // the watcher as read
};

// The watcher of a pending slot, if it is one the invocation has taken: not
// pending any more, of the slot's level, with a callback, not the loop's own.
// (Only addresses of the loop's process are compared here, and its memory is
// read with read_memory: the watchdog may be another process.)
bool taken_watcher(const ev_loop *loop, W w, int revents, int level, candidate *c)
{
  const auto p = reinterpret_cast<std::uintptr_t>(w), base = reinterpret_cast<std::uintptr_t>(loop);
  if (!w || (p >= base && p < base + sizeof(ev_loop)))
    return false;  // (the loop's own watchers, and the dummy of cleared slots)
  if (!read_memory(&c->head, w, sizeof c->head))
    return false;
  if (c->head.pending || !c->head.cb || pending_queues::level_of(&c->head) != level ||
      reinterpret_cast<std::uintptr_t>(c->head.cb) == reinterpret_cast<std::uintptr_t>(&child_pidfd_cb))
    return false;
  c->w = w;
  c->revents = revents;
  return true;
}

bool slot_candidate(const ev_loop *loop, const ev_loop &snap, int level, int index, candidate *c)
{
  const array<pending_slot> &l = snap.pending.slots.level[level];
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
  if (q.nvb < pending_queues::kMaxBatches) {
    const pending_queues::batch &drained = q.vb[q.nvb];  // (dropped off the stack before its last callback)
    if (!drained.count && (snap.pass_levels >> drained.lvl & 1) && !(q.slots.mask >> drained.lvl) &&
        batch_candidate(loop, drained, 0, c))
      return true;
  }
  int done = -1;
  for (int p = kNumPri; p--;) {
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

void format_callback(pending_report &out, const watched &wl, const seen_callback &cb, int kind, ev_tstamp duration)
{
  ev_watchdog_report &r = out.r;
  r.size = sizeof r;
  r.kind = kind;
  r.loop = wl.loop;
  r.watcher = cb.w;
  r.events = cb.revents;
  r.priority = cb.priority;
  r.cb = cb.cb;
  r.duration = duration;
  r.threshold = wl.threshold;
  const code_location at = elf_locate(cb.cb, target_pid());
  char where[320] = "";
  if (at.module) {
    std::snprintf(out.module, sizeof out.module, "%s", at.module);
    r.module = out.module;
    r.offset = at.offset;
    std::snprintf(where, sizeof where, " (%s+%#" PRIxPTR ")", at.module, at.offset);
  }
  if (at.symbol) {
    std::snprintf(out.symbol, sizeof out.symbol, "%s", at.symbol);
    r.symbol = out.symbol;
  }
  char name[200];
  if (at.symbol && !at.symbol_offset)
    std::snprintf(name, sizeof name, "%s", at.symbol);
  else if (at.symbol)
    std::snprintf(name, sizeof name, "%s+%#" PRIxPTR, at.symbol, at.symbol_offset);
  else
    std::snprintf(name, sizeof name, "%p", cb.cb);
  std::snprintf(out.text, sizeof out.text,
                "libev-ng watchdog: loop %p: callback %s%s of %s %p (priority %d) %s %.1f ms (threshold %.0f ms)",
                static_cast<void *>(wl.loop), name, where, type_of(cb.revents), static_cast<void *>(cb.w), cb.priority,
                kind == EV_WATCHDOG_STILL_RUNNING ? "has been running for" : "ran", duration * 1e3, wl.threshold * 1e3);
  r.text = out.text;
}

void format_lag(pending_report &out, const watched &wl, ev_tstamp late)
{
  ev_watchdog_report &r = out.r;
  r.size = sizeof r;
  r.kind = EV_WATCHDOG_TIMER_LAG;
  r.loop = wl.loop;
  r.duration = late;
  r.threshold = wl.threshold;
  std::snprintf(out.text, sizeof out.text,
                "libev-ng watchdog: loop %p: its wait ended %.1f ms after its earliest timer was due (threshold %.0f "
                "ms)",
                static_cast<void *>(wl.loop), late * 1e3, wl.threshold * 1e3);
  r.text = out.text;
}

// Reports made while the lock is held wait here (a report callback may call
// ev_watchdog_stop, which takes the lock).
struct report_queue {
  pending_report items[8];
  int count;
  pending_report *add(const watched &wl)
  {
    if (count == static_cast<int>(sizeof items / sizeof items[0]))
      return nullptr;
    pending_report *p = &items[count++];
    std::memset(p, 0, sizeof *p);
    p->report = wl.report;
    p->data = wl.data;
    p->to_syslog = wl.to_syslog;
    return p;
  }
};

void deliver(const report_queue &q)
{
  for (int i = 0; i < q.count; ++i) {
    const pending_report &p = q.items[i];
    if (p.report) {
      p.report(&p.r, p.data);
    } else if (!p.to_syslog || !syslog_line(p.text, target_pid())) {
      // A report is never lost: it is written here also when no log listens.
      char line[sizeof p.text + 1];
      const int n = std::snprintf(line, sizeof line, "%s\n", p.text);
      (void)!::write(STDERR_FILENO, line, static_cast<std::size_t>(n));
    }
  }
}

// ---------------------------------------------------------------------------
// What a sample shows
// ---------------------------------------------------------------------------

// The callback that was running is done (it was gone at `gone`).
void callback_done(watched &wl, ev_tstamp gone, report_queue &q)
{
  if (!wl.have_cb)
    return;
  wl.have_cb = false;
  // Reported when it surely ran longer than the threshold; with how long it
  // may have run (the looks bound both ends).
  if (wl.cb.last_seen - wl.cb.surely_by > wl.threshold)
    if (pending_report *p = q.add(wl))
      format_callback(*p, wl, wl.cb, EV_WATCHDOG_SLOW_CALLBACK, gone - wl.cb.start);
}

// How long a callback runs before it is reported while it still runs.
ev_tstamp still_running_after(const watched &wl) { return std::max(5., 20. * wl.threshold); }

void sample(watched &wl, ev_tstamp now, report_queue &q)
{
  alignas(ev_loop) unsigned char buf[sizeof(ev_loop)];
  if (!wl.tid || !read_memory(buf, wl.loop, sizeof buf))
    return;
  const ev_loop &snap = *reinterpret_cast<const ev_loop *>(buf);
  const int waiting = waits_in_backend(wl.tid, snap.backend_fd);
  if (waiting < 0)
    return;
  // The poll seen waiting has returned (mn_now is written after it, and
  // before the next one only by the loop's own block time): how late, against
  // its earliest timer.
  if (wl.waiting && !(waiting && snap.loop_count == wl.wait_iteration)) {
    // (the poll returned, and the loop has not read the clock after it yet:
    // look again next time)
    if (snap.loop_count == wl.wait_iteration && snap.mn_now == wl.wait_clock)
      return;
    if (snap.loop_count - wl.wait_iteration <= 1 && snap.mn_now - wl.wait_due > wl.threshold)
      if (pending_report *p = q.add(wl))
        format_lag(*p, wl, snap.mn_now - wl.wait_due);
    wl.waiting = false;
  }
  if (!waiting && !snap.loop_depth) {
    // Outside ev_run (a program that runs the loop now and then, with
    // EVRUN_NOWAIT from its own loop, say): no callback of the loop runs.
    callback_done(wl, now, q);
    wl.busy = false;
    return;
  }
  if (waiting) {
    // In the poll: whatever ran before it is done.
    callback_done(wl, now, q);
    wl.busy = false;
    if (!wl.waiting) {
      wl.waiting = true;
      wl.wait_iteration = snap.loop_count;
      wl.wait_clock = snap.mn_now;
      wl.wait_due = HUGE_VAL;
      if (snap.timers.count) {
        heap_node top;
        if (read_memory(&top, snap.timers.nodes + heap::kHeap0, sizeof top))
          wl.wait_due = top.at + std::max(snap.timeout_blocktime, 0.) + snap.backend_mintime;
      }
    }
    return;
  }
  // Busy: since the poll returned (mn_now, written after it).
  if (!wl.busy || wl.busy_iteration != snap.loop_count) {
    callback_done(wl, now, q);
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
    const ev_tstamp start = first ? wl.busy_since : wl.cb.last_seen;
    callback_done(wl, now, q);
    if (known) {
      wl.have_cb = true;
      wl.cb = seen_callback{
          c.w, reinterpret_cast<void *>(c.head.cb), c.revents, c.head.priority, start, first ? start : now, now, false};
    }
  }
  if (wl.have_cb && !wl.cb.still_reported && now - wl.cb.start > still_running_after(wl)) {
    wl.cb.still_reported = true;
    if (pending_report *p = q.add(wl))
      format_callback(*p, wl, wl.cb, EV_WATCHDOG_STILL_RUNNING, now - wl.cb.start);
  }
}

// How long to sleep: a quarter threshold, or a fiftieth while a loop has been
// busy for half its threshold (the end of a slow callback is then known
// to that resolution).
ev_tstamp next_sleep(watched *list, ev_tstamp now)
{
  ev_tstamp s = 0.25;
  for (watched *w = list; w; w = w->next) {
    const bool slow = w->busy && now - w->busy_since > w->threshold * 0.5;
    s = std::min(s, std::max(1e-3, slow ? w->threshold / 50. : w->threshold / 4.));
  }
  return s;
}

void *watch(void *)
{
  for (;;) {
    report_queue q{};
    ev_tstamp pause;
    take(reporting);
    pthread_mutex_lock(&lock);
    bool reporting_loops = false;
    for (watched *w = loops; w && !reporting_loops; w = w->next)
      reporting_loops = w->report;
    if (!reporting_loops) {
      thread_running = false;
      elf_symbols_forget();
      pthread_mutex_unlock(&lock);
      release(reporting);
      return nullptr;
    }
    const ev_tstamp now = monotonic_now();
    for (watched *w = loops; w; w = w->next)
      if (w->report)
        sample(*w, now, q);
    pause = next_sleep(loops, monotonic_now());
    pthread_mutex_unlock(&lock);
    deliver(q);
    release(reporting);
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(pause);
    ts.tv_nsec = static_cast<long>((pause - static_cast<ev_tstamp>(ts.tv_sec)) * 1e9);
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
    }
  }
}

// ---------------------------------------------------------------------------
// The helper process
// ---------------------------------------------------------------------------

// The helper's copy of the parent's list of watched loops, with its own
// state: updated from the parent's memory before every look.
constinit watched *mirror = nullptr;

void mirror_sync()
{
  watched *seen[64];
  int n = 0;
  watched *node;
  if (!read_memory(&node, &loops, sizeof node))
    return;
  for (; node && n < 64; ++n) {
    watched parent;
    if (!read_memory(&parent, node, sizeof parent))
      return;  // (changed under us: next time)
    watched *m = mirror;
    while (m && m->loop != parent.loop)
      m = m->next;
    if (!m) {
      m = static_cast<watched *>(ev_realloc(nullptr, sizeof(watched)));
      std::memset(static_cast<void *>(m), 0, sizeof *m);
      m->loop = parent.loop;
      m->next = mirror;
      mirror = m;
    }
    m->threshold = parent.threshold;
    m->tid = parent.tid;
    m->to_syslog = parent.to_syslog;
    m->report = parent.report;  // (loops with a report callback are the thread's)
    seen[n] = m;
    node = parent.next;
  }
  for (watched **link = &mirror; *link;) {
    bool kept = false;
    for (int i = 0; i < n && !kept; ++i)
      kept = seen[i] == *link;
    if (kept) {
      link = &(*link)->next;
    } else {
      watched *gone = *link;
      *link = gone->next;
      ev_free(gone);
    }
  }
}

void helper_look()
{
  report_queue q{};
  mirror_sync();
  const ev_tstamp now = monotonic_now();
  for (watched *w = mirror; w; w = w->next)
    if (!w->report)
      sample(*w, now, q);
  deliver(q);
}

// The helper's allocator, with the pages of the kernel: the clone copied the
// program's memory but not its other threads, and one of them may have held
// a lock of the program's allocator then, which the helper would wait for
// forever.  Its blocks are few (a record per loop, per ELF file read).
void *helper_alloc(void *ptr, long size) noexcept
{
  constexpr std::size_t kHead = alignof(std::max_align_t);
  auto *old = ptr ? static_cast<char *>(ptr) - kHead : nullptr;
  const std::size_t old_size = old ? *reinterpret_cast<std::size_t *>(old) : 0;
  char *fresh = nullptr;
  if (size > 0) {
    const std::size_t total = kHead + static_cast<std::size_t>(size);
    void *m = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
      return nullptr;
    fresh = static_cast<char *>(m);
    *reinterpret_cast<std::size_t *>(fresh) = total;
    if (old)
      std::memcpy(fresh + kHead, ptr, std::min(old_size, total) - kHead);
  }
  if (old)
    munmap(old, old_size);
  return fresh ? fresh + kHead : nullptr;
}

// The helper: looks at the program until the program's end of `ask` closes
// (it ended). A byte on `ask` asks for a last look (the program exits),
// answered on `answer`.
[[noreturn]] void helper_main(int ask, int answer)
{
  for (;;) {
    // (the program's children keep its end of `ask` open: its end is its pid gone)
    if (kill(target, 0) && errno == ESRCH)
      _exit(0);
    helper_look();
    const ev_tstamp pause = next_sleep(mirror, monotonic_now());
    struct pollfd p = {ask, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(pause * 1e3) + 1) > 0) {
      char c;
      if (::read(ask, &c, 1) != 1)
        _exit(0);
      helper_look();
      (void)!send(answer, &c, 1, MSG_NOSIGNAL);
    }
  }
}

// Our end of the helper's socket, if the fd is still it: a program may close
// every descriptor (a daemon does) and reuse the number.
bool helper_socket_ours()
{
  struct stat st;
  return helper_pid && helper_owner == getpid() && fstat(helper_ask, &st) == 0 && S_ISSOCK(st.st_mode) &&
         st.st_ino == helper_ask_inode;
}

// With the lock held: the helper runs.  It is a process of its own, so that
// the program stays single-threaded (glibc's system call wrappers take a
// slower path in a process with threads), made with bare clone(2)s (no fork
// handlers of the program run, no signal tells of an end) twice: the first
// process makes the helper and ends at once (reaped here, with __WALL: it
// exits without a signal), so that the helper is nobody's child in the
// program's tree (a program or its supervisor counting its children sees
// no stranger).  It ends when the program's end of its socket closes, keeps
// no fd of the program's but stderr, blocks every signal, and may read the
// program's memory (PR_SET_PTRACER, for Yama's ptrace_scope 1).
void start_helper()
{
  if (helper_pid && helper_owner == getpid()) {
    struct pollfd p = {helper_answer, POLLIN, 0};
    if (helper_socket_ours() && !(poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))))
      return;
    // (it ended: made again)
    if (helper_socket_ours())
      ::close(helper_ask), ::close(helper_answer);
    helper_pid = 0;
  }
  // (sockets, not pipes: a write to a helper that died must not raise
  // SIGPIPE in the program: MSG_NOSIGNAL)
  int ask[2], answer[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ask))
    return;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, answer)) {
    ::close(ask[0]), ::close(ask[1]);
    return;
  }
  const pid_t parent = getpid();
  const long first = syscall(SYS_clone, 0L, nullptr, nullptr, nullptr, nullptr);
  if (first == 0) {
    const long pid = syscall(SYS_clone, 0L, nullptr, nullptr, nullptr, nullptr);
    if (pid != 0) {
      const pid_t helper = static_cast<pid_t>(pid > 0 ? pid : 0);
      (void)!send(answer[1], &helper, sizeof helper, MSG_NOSIGNAL);
      _exit(0);
    }
    prctl(PR_SET_NAME, "ev-watchdog");
    ev_set_allocator(helper_alloc);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    // (3 and 4: above stdin, stdout and stderr, below every other)
    if (dup3(ask[0], 3, 0) < 0 && ask[0] != 3)
      _exit(0);
    if (dup3(answer[1], 4, 0) < 0 && answer[1] != 4)
      _exit(0);
    ::close(0), ::close(1);
    if (syscall(SYS_close_range, 5u, ~0u, 0u))
      for (int fd = 5; fd < 65536; ++fd)
        ::close(fd);
    target = parent;
    mirror = nullptr;
    thread_running = false;
    helper_main(3, 4);
  }
  ::close(ask[0]), ::close(answer[1]);
  pid_t helper = 0;
  if (first > 0) {
    while (waitpid(static_cast<pid_t>(first), nullptr, __WALL) < 0 && errno == EINTR) {
    }
    struct pollfd p = {answer[0], POLLIN, 0};
    if (poll(&p, 1, 1000) > 0 && ::read(answer[0], &helper, sizeof helper) != sizeof helper)
      helper = 0;
  }
  struct stat st;
  if (helper <= 0 || fstat(ask[1], &st)) {
    ::close(ask[1]), ::close(answer[0]);
    return;
  }
  prctl(PR_SET_PTRACER, helper, 0, 0, 0);
  helper_pid = helper;
  helper_owner = parent;
  helper_ask = ask[1];
  helper_ask_inode = st.st_ino;
  helper_answer = answer[0];
}

// At exit: a callback that ran until then (the last before ev_run returned
// and the program ended, or one that called exit) is reported still.  The
// helper is asked for its last look, and waited for half a second at most.
void last_look()
{
  report_queue q{};
  take(reporting);
  pthread_mutex_lock(&lock);
  const ev_tstamp now = monotonic_now();
  for (watched *w = loops; w; w = w->next)
    if (w->report)
      sample(*w, now, q);
  const bool helper = helper_socket_ours();
  pthread_mutex_unlock(&lock);
  deliver(q);
  release(reporting);
  if (helper && send(helper_ask, "x", 1, MSG_NOSIGNAL) == 1) {
    struct pollfd p = {helper_answer, POLLIN, 0};
    char c;
    if (poll(&p, 1, 500) > 0)
      (void)!::read(helper_answer, &c, 1);
  }
}
void install_handlers()
{
  pthread_atfork(lock_before_fork, unlock_in_parent, reset_in_child);
  atexit(last_look);
}

// With the lock held: the thread runs (it is made with every signal blocked,
// so that the program's signals go to its own threads).
void start_thread()
{
  if (thread_running)
    return;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  thread_running = pthread_create(&t, &attr, watch, nullptr) == 0;
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

watched *find(ev_loop *loop)
{
  for (watched *w = loops; w; w = w->next)
    if (w->loop == loop)
      return w;
  return nullptr;
}

void unwatch_locked(ev_loop *loop)
{
  for (watched **link = &loops; *link; link = &(*link)->next)
    if ((*link)->loop == loop) {
      watched *w = *link;
      *link = w->next;
      ev_free(w);
      watchdog_loops.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
}

void watch_loop(ev_loop *loop, ev_tstamp threshold, report_fn report, void *data, bool to_syslog)
{
  pthread_once(&handlers_once, install_handlers);
  auto *w = static_cast<watched *>(ev_realloc(nullptr, sizeof(watched)));
  std::memset(static_cast<void *>(w), 0, sizeof *w);
  w->loop = loop;
  w->threshold = threshold;
  w->report = report;
  w->data = data;
  w->to_syslog = to_syslog;
  w->tid = current_tid();
  pthread_mutex_lock(&lock);
  unwatch_locked(loop);
  w->next = loops;
  loops = w;
  watchdog_loops.fetch_add(1, std::memory_order_relaxed);
  if (report)
    start_thread();
  else
    start_helper();
  pthread_mutex_unlock(&lock);
}

}  // namespace

// LIBEV_NG_WATCHDOG=MS[:syslog]: every loop of the program is watched, also
// one made with EVFLAG_NOENV (which keeps LIBEV_FLAGS from choosing its
// backend; the watchdog changes nothing the program sees), as with
// LIBEV_NG_DEBUG.  Not for set-user-ID programs (base/env.h).
void watchdog_from_env(ev_loop *loop)
{
  const char *env = env_get("LIBEV_NG_WATCHDOG");
  if (!env || !*env)
    return;
  char *end;
  const double ms = std::strtod(env, &end);
  const bool to_syslog = std::strcmp(end, ":syslog") == 0;
  if (!(ms > 0.) || !std::isfinite(ms) || (*end && !to_syslog)) {
    static std::atomic<bool> told{false};
    if (!told.exchange(true)) {
      char line[200];
      const int n = std::snprintf(
          line, sizeof line, "libev-ng watchdog: LIBEV_NG_WATCHDOG=%.60s is not MILLISECONDS[:syslog]; ignored\n", env);
      (void)!::write(STDERR_FILENO, line, static_cast<std::size_t>(n));
    }
    return;
  }
  watch_loop(loop, ms * 1e-3, nullptr, nullptr, to_syslog);
}

void watchdog_loop_destroy(ev_loop *loop)
{
  if (!watchdog_loops.load(std::memory_order_relaxed))
    return;
  pthread_mutex_lock(&lock);
  unwatch_locked(loop);
  pthread_mutex_unlock(&lock);
}

void watchdog_note(ev_loop *loop)
{
  pthread_mutex_lock(&lock);
  if (watched *w = find(loop)) {
    w->tid = current_tid();
    if (w->report)
      start_thread();
    else
      start_helper();
  }
  pthread_mutex_unlock(&lock);
}

}  // namespace ev_detail

using namespace ev_detail;

extern "C" {

int ev_watchdog_start(EV_P_ ev_tstamp threshold, void (*report)(const struct ev_watchdog_report *r, void *data),
                      void *data) noexcept
{
  if (!(threshold > 0.) || !std::isfinite(threshold))
    usage_error("ev_watchdog_start", "threshold", threshold,
                "libev: ev_watchdog_start called with a threshold that is not a positive number of seconds");
  watch_loop(loop, threshold, report, data, false);
  return 0;
}

void ev_watchdog_stop(EV_P) noexcept { watchdog_loop_destroy(loop); }

}  // extern "C"

#else  // no way to watch a loop from outside it

namespace ev_detail {
void watchdog_from_env(ev_loop *) {}
void watchdog_loop_destroy(ev_loop *) {}
void watchdog_note(ev_loop *) {}
}  // namespace ev_detail

extern "C" {

int ev_watchdog_start(EV_P_ ev_tstamp, void (*)(const struct ev_watchdog_report *, void *), void *) noexcept
{
#if EV_MULTIPLICITY
  (void)loop;
#endif
  errno = ENOSYS;
  return -1;
}

void ev_watchdog_stop(EV_P) noexcept
{
#if EV_MULTIPLICITY
  (void)loop;
#endif
}

}  // extern "C"

#endif
