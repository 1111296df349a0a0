// SPDX-License-Identifier: BSD-2-Clause
// fd/fd.cc - the fd layer of fd/fd.h: the union of the events each fd's watchers want
// (fd_list_repair), bad and closed fds (fd_kill, the closed-fd sweep), and the loop's own io
// watchers.  ev_io's start and stop (watchers/io.cc) link and unlink through here.
#include "fd/fd.h"
#include "base/probes.h"

#include <fcntl.h>
#ifndef _WIN32  // (Windows: base/win32.h)
#include <poll.h>
#include <sys/resource.h>
#endif
#include <cerrno>

using namespace ev_detail;

namespace {

bool fd_is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0 || errno != EBADF; }

// How far beyond twice its size the fd table grows for any number (io_make_room).
constexpr long long kNearTable = 1024;

// Can fd be opened at all: is it below the process's fd limit?  An open fd may be above a limit
// lowered after it was opened, so fd_is_open comes first.
bool fd_may_open(int fd)
{
  struct rlimit rl;
  return ::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || static_cast<rlim_t>(fd) < rl.rlim_cur;
}

}  // namespace

// After an ev_io_set on the active watcher (io_relink), w is under the fd it was started with.  The
// index knows it for a long list; else a scan of the whole table finds it, since so rare a misuse
// is not worth a field.
[[gnu::noinline, gnu::cold]] WL *ev_detail::io_link_search(ev_loop *loop, ev_io *w, int &fd)
{
  if (WL *p = io_list_indexed_link(loop, as_wl(w), fd))
    return p;
  for (fd = 0; fd < loop->fds.size; ++fd)
    for (WL *p = &loop->fds.entries[fd].head; *p; p = &(*p)->next)
      if (*p == as_wl(w))
        return p;
  return nullptr;
}

// A huge number would hang, overflow or take gigabytes to grow the table for, so one that cannot be
// open returns false and the caller reports EV_ERROR at once.  Any other bad fd goes to the backend
// like a good one and is reported from there, as libev 4.33 does.
bool ev_detail::io_make_room(ev_loop *loop, int fd)
{
  if (fd >= loop->fds.size) {
    // Near the table, where a server's new connection lands, grow without asking the kernel: a
    // system call per growth, which libev 4.33 does not make, would save at most twice the memory.
    const long long near = 2LL * loop->fds.size + kNearTable;
    if (fd >= near && !fd_is_open(fd) && !fd_may_open(fd))
      return false;
    loop->fds.reserve(fd);
  }
  loop->fds.reserve_change();
  return true;
}

// Move a misplaced watcher to where its fields say, so it watches what the program asked for: ev(3)
// forbids ev_io_set on an active watcher; libev 4.33 silently never reports the new fd's events.
void ev_detail::io_relink(ev_loop *loop, ev_io *w)
{
  if (w->fd < 0)
    usage_error("ev_io_set", "fd", static_cast<long long>(w->fd), "libev: ev_io_start called with negative fd");
  if (!io_make_room(loop, w->fd)) {
    // now watching an fd that is not open: as fd_kill would do
    w->next = nullptr;
    stop_watcher(loop, as_w(w));
    feed_error(loop, as_w(w), EV_ERROR | EV_READ | EV_WRITE);
    return;
  }
  io_link(loop, w);
}

// Walk fd's watchers for the union of the events they want, moving misplaced ones to their new fd
// (io_relink) and dropping re-initialised ones.  Brent's cycle detection costs one compare per
// watcher; a cycle means a watcher was re-initialised while active and started again (loop/loop.h).
[[gnu::noinline, gnu::cold]] unsigned char ev_detail::fd_list_repair(ev_loop *loop, int fd)
{
  // Debug mode reports what would be repaired; the iteration's check usually did before, unless an
  // embedding loop applies this loop's changes first or the sweep finds it.
  if (debug_on(loop))
    debug_check_fd(loop, fd);
  unsigned char events = 0;
  WL moved = nullptr;
  WL tortoise = nullptr;
  unsigned steps = 0, power = 1;
  bool unindexed = false;  // the list is rewritten here, not through fd/io_list.h
  for (WL *p = &loop->fds.entries[fd].head; WL w = *p;) {
    if (w == tortoise)
      reinitialised_while_active("ev_io_start", w, "fd", fd);
    if (++steps == power) {
      tortoise = w;
      power <<= 1;
      steps = 0;
    }
    auto *io = reinterpret_cast<ev_io *>(w);
    if ((!io->active || io_misplaced(io, fd)) && !unindexed) {
      io_list_unindex(loop, fd);
      unindexed = true;
    }
    if (!io->active) {
      // ev_io_init cleared `active` while the watcher was listed, so the program believes it
      // stopped: drop it and its reference; libev 4.33 keeps calling it and keeps the reference.
      *p = w->next;
      --loop->activecnt;
      continue;
    }
    if (io_misplaced(io, fd)) {
      *p = w->next;
      wlist_add(&moved, w);
      continue;
    }
    events = static_cast<unsigned char>(events | io->events);
    p = &w->next;
  }
  while (WL w = moved) {
    moved = w->next;
    auto *io = reinterpret_cast<ev_io *>(w);
    io_relink(loop, io);
    if (io->active)  // a move found while the changes are applied takes effect with them
      loop->fds.entries[io->fd].reify |= kReifyMoved;
  }
  return static_cast<unsigned char>(events & kFdEvents);
}

namespace {

// poll() the fds[0 .. n) once without waiting; kill those that are not open.
void kill_closed(ev_loop *loop, struct pollfd *pfds, int n)
{
  if (!n)
    return;
  int res, tries = 0;
  do
    res = ::poll(pfds, static_cast<nfds_t>(n), 0);
  while (res < 0 && errno == EINTR && ++tries < 8);
  for (int i = 0; res > 0 && i < n; ++i)
    if (pfds[i].revents & POLLNVAL)
      fd_kill(loop, pfds[i].fd);
}

// The second look of a sweep step (backend_ops::recheck).  An fd poll() found ready for its
// watchers while the backend reported nothing may be a number closed and reused behind an untouched
// watcher, which a backend watching files, not numbers, never reports.  Pending watchers show the
// backend did report the fd, and the loop's edge-triggered fds stay ready unread: both are skipped.
void recheck_ready(ev_loop *loop, const struct pollfd *pfds, int n)
{
  auto recheck = loop->backend->recheck;
  if (!recheck)
    return;
  for (int i = 0; i < n; ++i) {
    if (!(pfds[i].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)) || (pfds[i].revents & POLLNVAL))
      continue;
    const int fd = pfds[i].fd;
    const fd_entry &e = loop->fds.entries[fd];
    bool reported = (e.events & kFdEdge) || !(e.events & (EV_READ | EV_WRITE));  // kFdEdge: unread; none: no wait
    for (WL w = e.head; w && !reported; w = w->next)
      reported = w->pending;
    if (!reported && e.head)
      recheck(loop, fd);
  }
}

// The sweep's bounds (fd/fd.h).  A fixed rate cannot bound its share of the loop's time: poll()
// costs far more per idle socket, whose kernel state has left the cache, than per busy one, and
// more on a slower machine.  So each step is timed, and the next waits for the time it took over
// kSweepShare, but at most kSweepMaxPause: a step the scheduler interrupted looks long.
constexpr int kSweepChunk = 512;
constexpr int kSweepScan = 2048;  // table entries looked at per step at most
constexpr double kSweepShare = 0.001;
constexpr ev_tstamp kSweepMaxPause = 10.;
constexpr ev_tstamp kSweepPassIdle = 0.1;
constexpr ev_tstamp kSweepPassBusy = 1.0;

}  // namespace

namespace ev_detail {

// The queue after fd_reify_from: [0, first) kept earlier, [first, done) applied, [done, count)
// queued meanwhile.  Of the last, fds of watchers moved by ev_io_set (kReifyMoved) are applied now
// through the backend's table, so that the watcher is watched on its new fd in this iteration.  The
// others wait: killed fds queued again by their watchers' stops, or a backend's re-arm of a
// reported fd, which applied before the callbacks ran could be reported twice.
void fd_changes_keep_rest(ev_loop *loop, int first, int done)
{
  fd_table &t = loop->fds;
  const int count = t.changes.count;
  if (count <= done) {  // the common case: nothing was queued meanwhile
    t.changes.count = first;
    return;
  }
  // The kept fds to the front of [done, count), the moved ones behind them.
  int *const q = t.changes.data;
  int moved = count;
  for (int i = done; i < moved;) {
    if (t.entries[q[i]].reify & kReifyMoved)
      std::swap(q[i], q[--moved]);
    else
      ++i;
  }
  std::memmove(q + first, q + done, sizeof(int) * static_cast<std::size_t>(count - done));
  t.changes.count = first + (count - done);
  if (moved != count)
    fd_reify_from<backend_table_policy>(loop, first + (moved - done));
}

void fd_rearm_all(ev_loop *loop)
{
  fd_table &t = loop->fds;
  for (int fd = 0; fd < t.size; ++fd)
    if (t.entries[fd].head) {
      t.entries[fd].events = 0;
      t.change(fd, EV__IOFDSET);
    }
}

namespace {

// Stop fd's watchers and feed them EV_ERROR|EV_READ|EV_WRITE.  With `own_too` the loop's own are
// stopped too, for the repair step to re-create; else they are left alone.
void kill_watchers(ev_loop *loop, int fd, bool own_too)
{
  EV_PROBE_RARE(fd_error, loop, fd, errno);
  WL *p = &loop->fds.entries[fd].head;
  while (WL w = *p) {
    if (stream_io_killed(loop, w))
      continue;  // stopping unlinked w, so *p is the next one now
    if (is_loop_member(loop, w)) {
      if (!own_too) {
        p = &w->next;
        continue;
      }
      internal_io_stop(loop, reinterpret_cast<ev_io *>(w));
      request_repair(loop, kRepairLoopFds);
      continue;  // stopping unlinked w, so *p is the next one now
    }
    ev_io_stop(EV_A_ reinterpret_cast<ev_io *>(w));
    feed_error(loop, as_w(w), EV_ERROR | EV_READ | EV_WRITE);
  }
}

}  // namespace

void fd_kill(ev_loop *loop, int fd) { kill_watchers(loop, fd, true); }

void fd_kill_user_watchers(ev_loop *loop, int fd) { kill_watchers(loop, fd, false); }

void fd_kill_every_user_watcher(ev_loop *loop)
{
  for (int fd = 0; fd < loop->fds.size; ++fd)
    if (loop->fds.entries[fd].head)
      kill_watchers(loop, fd, false);
}

void fd_kill_invalid(ev_loop *loop)
{
  struct pollfd pfds[kSweepChunk];
  int n = 0;
  for (int fd = 0; fd < loop->fds.size; ++fd) {
    // A watcher asking for no events watches nothing: libev 4.33 never reports a closed fd to it.
    if (!loop->fds.entries[fd].head || !(loop->fds.entries[fd].events & (EV_READ | EV_WRITE)))
      continue;
    pfds[n++] = pollfd{fd, 0, 0};
    if (n == kSweepChunk) {
      kill_closed(loop, pfds, n);
      n = 0;
    }
  }
  kill_closed(loop, pfds, n);
}

void fd_claim(ev_loop *loop, int fd)
{
  if (fd >= 0 && fd < loop->fds.size && loop->fds.entries[fd].head)
    fd_kill(loop, fd);
}

// The next step after `pause` seconds; after a pass, at least kSweepPassIdle or kSweepPassBusy.
static void sweep_schedule(ev_loop *loop, ev_tstamp pause, bool pass_done)
{
  fd_sweep_state &s = loop->sweep;
  s.iteration = loop->loop_count;
  s.next_at = s.idle_at = loop->mn_now + pause;
  if (pass_done) {
    s.next_at = loop->mn_now + std::max(pause, kSweepPassBusy);
    s.idle_at = loop->mn_now + std::max(pause, kSweepPassIdle);
  }
  s.look_at = s.idle_at;  // never later than next_at
}

void fd_sweep_step(ev_loop *loop)
{
  const ev_tstamp began = monotonic_now();
  fd_table &t = loop->fds;
  const bool poll_them = loop->backend->sweeps;
  struct pollfd pfds[kSweepChunk];
  int n = 0;
  const int start = loop->sweep.cursor < t.size ? loop->sweep.cursor : 0;
  const int end = t.size - start > kSweepScan ? start + kSweepScan : t.size;
  const fd_entry *const stop = t.entries + end;
  int fd = start;
  while (n < kSweepChunk) {
    // The page-rounded table is mostly empty: skipping empties in a tight loop beats testing each.
    const fd_entry *e = t.entries + fd;
    while (e < stop && !e->head)
      ++e;
    fd = static_cast<int>(e - t.entries);
    if (fd >= end)
      break;
    // Watchers moved by ev_io_set are found here at the latest: queue the fd if its union changed.
    const unsigned char events = fd_list_events(loop, fd, t.entries[fd].head);
    if (events != t.entries[fd].events && !t.entries[fd].reify)
      t.change(fd, kReifyQueued);
    // no events, nothing to lose, as for fd_kill_invalid; but a stream a backend's engine took
    // asks for none, and its close must be found (fd/stream.h)
    if (poll_them && t.entries[fd].head && ((events & (EV_READ | EV_WRITE)) || stream_io_swept(t.entries[fd].head)))
      pfds[n++] =
          pollfd{fd, static_cast<short>(((events & EV_READ) ? POLLIN : 0) | ((events & EV_WRITE) ? POLLOUT : 0)), 0};
    ++fd;
  }
  const bool pass_done = fd >= t.size;
  loop->sweep.cursor = pass_done ? 0 : fd;
  kill_closed(loop, pfds, n);
  recheck_ready(loop, pfds, n);
  if (const stream_ops *engine = loop->backend->streams)
    engine->sweep(loop);

  const ev_tstamp cost = monotonic_now() - began;
  sweep_schedule(loop, std::min(cost / kSweepShare, kSweepMaxPause), pass_done);
}

void fd_sweep_start(ev_loop *loop) { sweep_schedule(loop, 0., true); }

void fd_sweep_due(ev_loop *loop, bool idle)
{
  fd_sweep_state &s = loop->sweep;
  const ev_tstamp now = loop->mn_now;
  if (idle ? now >= s.idle_at
           : now >= s.next_at &&
                 (loop->loop_count - s.iteration >= kSweepBusyIterations || now >= s.next_at + kSweepBusyLate))
    fd_sweep_step(loop);
  else
    // Busy: look again when the step is due, or when the busy loop's iterations have waited long
    // enough; the half-second re-measure of the clock looks in between, for an idle loop.
    s.look_at = now < s.next_at ? s.next_at : s.next_at + kSweepBusyLate;
  time_gate_update(loop);
}

void internal_io_start(ev_loop *loop, ev_io *w)
{
  if (w->active)
    return;
  clamp_priority(as_w(w));
  if (!io_make_room(loop, w->fd))
    return;  // the caller's fd was just created: cannot happen
  w->active = 1;
  io_link(loop, w);
}

void internal_io_stop(ev_loop *loop, ev_io *w)
{
  stop_pending(loop, as_w(w), "ev_run");
  if (!w->active)
    return;
  loop->fds.reserve_change();
  io_unlink(loop, w, "internal_io_stop");
  w->active = 0;
}

}  // namespace ev_detail
