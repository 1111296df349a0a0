// SPDX-License-Identifier: BSD-2-Clause
// backends/iouring.cc - the Linux io_uring(7) backend (EVBACKEND_IOURING).
//
// Readiness is watched with one IORING_OP_POLL_ADD request per fd, through raw system calls: the
// library needs only libc, no liburing.  The arming, the wait and the completions are inline in
// backends/iouring.h, the ring and its kernel features in backends/iouring_ring.h.  Where the
// kernel has IORING_OP_EPOLL_WAIT the loop takes the epoll mode, backends/iouring_epoll.cc.
//
// Kernel quirks handled here:
//  (a) A poll request completes once, and no poll stays armed and reports while the fd stays ready:
//      a multishot poll reports each wake-up of the file's waiters, new data rather than data left
//      unread, and every kernel so far refuses IORING_POLL_ADD_LEVEL with EINVAL.  So
//      level-triggered ev_io semantics come from arming the one-shot poll again while the fd has
//      watchers, as a poll that finds its fd ready completes at once; but only after the callbacks
//      ran, or it would report data they are about to read.  reap queues the re-arm at once and the
//      next io_uring_enter that waits submits it, after fd_reify, which changes or cancels it where
//      it lies if the watchers changed.  An embedded loop's re-arms go through the change queue,
//      which the embedding loop's prepare watcher applies before it blocks.
//  (b) Completions of requests removed or replaced by a newer one for the same fd arrive late.
//      Every POLL_ADD carries the fd and a per-fd generation in user_data, and only the current,
//      still armed request's completion counts; other requests, tagged kInternal, are ignored.
//  (c) A poll request holds a reference to the open file: while it is armed, closing the fd does
//      not close the file and a peer sees no EOF.  So polls of fds nobody watches are removed as
//      soon as the change is applied, with no lazy removal as on epoll, and a ring is never given
//      up with requests armed in it, see (l).  A watcher stopped and its fd closed after the last
//      iteration keeps the file open until the next iteration or ev_loop_destroy, as in libev 4.33.
//  (d) The kernel keeps polling the old file after its fd was closed, so a watcher on a closed fd
//      might hear nothing, or hear of the old file.  The closed-fd sweep (fd/fd.h) gives the
//      watchers of numbers no longer open EV_ERROR; a number open again, as when the next accept
//      got it, and ready while its poll reported nothing, is armed anew for its file now
//      (iouring_recheck), as select and poll watch it.  A POLLHUP or POLLERR completion, which
//      closing the last other end of a pipe or socket gives, is checked with fcntl(F_GETFD) first:
//      a closed fd's watchers get EV_ERROR instead.  Other events of a closed fd are delivered
//      once; the re-arm then fails with EBADF, see (e).
//  (e) Per-request errors come in completions: -EBADF, an fd not open, stops the fd's watchers with
//      EV_ERROR|EV_READ|EV_WRITE, where libev 4.33 aborts with "event loop rejected bad fd".
//      Regular files and /dev/null poll always ready, as with epoll's (c).
//  (f) POLLERR and POLLHUP are reported even if not requested; they make the fd both readable and
//      writable, and each watcher sees only its events.
//  (g) Waiting with a timeout: ext-arg passes it to io_uring_enter; older kernels submit, then
//      ppoll() the ring fd, readable while completions wait: two system calls a wait.
//  (h) Removing an armed poll posts completions, the cancelled poll's and without cqe-skip the
//      removal's own, which would end the wait for nothing, so the wait raises min_complete by that
//      many: a change costs no wake-up.  A removal gives at least that many, as a poll that
//      completed meanwhile gives its own and the removal's -ENOENT; too low a count costs a
//      wake-up, never an event.  A wait that they alone end resumes for the rest of the timeout.
//  (i) The completion queue can overflow.  With nodrop the kernel keeps the extra completions, says
//      so with IORING_SQ_CQ_OVERFLOW, and io_uring_enter(GETEVENTS) flushes them back; without,
//      they are lost, the overflow counter grows, and only re-arming every fd recovers them.
//      Either way the next iteration replaces the ring by a larger one, cancelling every request
//      first as in (l).  It also grows once more than a quarter of its completion queue is armed,
//      so overflow stays rare.  The submission queue holds half as many entries, a removal and an
//      add for every armed fd, so that no change of one iteration waits for room.
//  (j) Submission may stop early, without submit-all at the first failing request, or fail with
//      EBUSY or EAGAIN while the completion queue is full: completions are reaped and submission is
//      retried.  A full submission queue is submitted to make room.
//  (k) io_uring_setup may be missing (ENOSYS), disabled by the sysctl kernel.io_uring_disabled or
//      by seccomp (EPERM), or limited by RLIMIT_MEMLOCK before 5.12 (ENOMEM); a seccomp filter may
//      allow io_uring_setup but refuse io_uring_enter, which every new ring tries once.  Then init
//      fails: the loop falls back to another backend, or ev_loop_new(EVBACKEND_IOURING) returns
//      NULL.  Refused later, the ring is replaced, or the loop goes on without one, see (l).  Newer
//      setup flags are dropped one by one when a kernel rejects them with EINVAL.
//  (l) A ring lives while anything in any process holds it: its fd, its mappings, a thread's
//      registration.  A forked child holds the parent's, and every request armed in it holds its
//      file open, see (c), so a ring given up with requests armed would keep those sockets open
//      while a child holds it, their peers waiting for an EOF that never comes.  Hence two rules.
//      First, before a ring is closed, when replaced after a fork in the parent, to grow or after
//      an enter error, or at ev_loop_destroy, every live request is cancelled and the loop waits
//      until the kernel completed each (drain), only in the process that owns them, since a child's
//      cancelling would remove the parent's polls.  Second, fork(3)'s child handler closes and
//      unmaps the child's copy of the ring (iouring_child_after_fork), so that a child keeps
//      nothing of it alive.  A child made by a raw clone(2) runs no handler and shares the ring as
//      with libev 4.33; the first rule still keeps its sockets from being held.  A child that uses
//      the loop without ev_loop_fork would corrupt the parent's ring, so loop/fork_guard.h tells
//      the loop, which quietly gives the child a ring of its own, with no fork watchers since
//      nobody announced a fork.  A lost ring fd, closed behind the loop's back, is not closed
//      again: enter fails with EBADF, or EOPNOTSUPP for a number that is another file now.  Without
//      any ring, when the system refuses a new one, every watcher gets EV_ERROR and the loop sleeps
//      instead of polling, trying again each time.
//  (m) Embedding: the ring fd is backend_fd, readable while completions are waiting.  Changes
//      applied outside ev_run, by the embedding loop's prepare watcher with loop_depth == 0, are
//      submitted at once, since no poll of ours follows; a loop not embedded leaves them to its
//      next poll, as the thread that runs it may be another, and a single-issuer ring is its first
//      submitter's, see (n).  Completions are posted by task work run in the submitting thread.
//      Without defer-taskrun the kernel interrupts whatever that thread blocks in, such as the
//      outer loop's epoll_wait, to run it, so the ring fd does become readable; with it, nothing
//      wakes a thread blocked on the ring fd, so an embedded loop gives defer-taskrun up
//      (iouring_embedded).  libev 4.33 has no fd for an io_uring loop and aborts in ev_embed_start.
//  (n) The requests of a thread are cancelled with -ECANCELED when it exits, and the loop, run by
//      another thread now, re-arms them; libev 4.33 aborts with "(libev) IORING_OP_POLL_ADD:
//      Operation canceled".  A single-issuer ring refuses every other thread with EEXIST: the loop
//      gives single-issuer up and replaces the ring, closing the old one without cancelling, which
//      the other thread's exit or the ring's last close does; a poll so refused waits on the new
//      ring (poll_on_new_ring).  A registered index is used only by the thread that registered it,
//      see iouring_ring.h.
//  (o) A completion tells of readiness when it was posted.  One posted after the last reap, for
//      data that something else consumed before the next poll, another process or another callback
//      reading the fd, is a spurious event, which epoll would have re-checked away; ev(3) warns of
//      spurious readiness anyway: use non-blocking fds.
//  (p) A one-shot poll costs the loop's wake-up eventfd a read per wake-up, since re-armed, an
//      unread counter would report again at once.  Where the kernel has multishot polls, an fd
//      registered with kFdEdge gets one, IORING_POLL_ADD_MULTI: it stays armed, posts a completion
//      with IORING_CQE_F_MORE for every wake-up of the file's waiters, each eventfd write among
//      them, and is never re-armed, so the eventfd is never read, as on epoll (fd/wakeup.cc).  One
//      that ends without IORING_CQE_F_MORE, cancelled or after an overflow, is re-armed like any
//      other.  One the kernel refuses with EINVAL makes the loop stop asking for them and replace
//      its own fds and the ring, as after a fork, draining the new wake-up fd.
//  (q) With defer-taskrun, completions are posted only when the submitting thread enters with
//      GETEVENTS.  A poll that does not wait enters only when the taskrun flag, IORING_SQ_TASKRUN,
//      is set, so that an idle non-blocking poll makes no system call.  Since Linux 6.10 an enter
//      runs a bounded part of that work unless it waits for more, so the poll enters again while
//      the flag stays set after the reap, reporting every fd ready at the poll, as epoll would.
//
// Memory: the rings are the kernel's, mapped from the ring fd; the rest comes from ev_realloc.
#include "backends/iouring_epoll.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <cerrno>

namespace ev_detail::iouring_internal {
namespace {

// Reap either mode's completions: how many woke the loop for good, in the epoll mode 1 if they gave
// watchers events, since a failed request, which asks for another, does not end a wait.
int reap_any(ev_loop *loop, iouring_state *st)
{
  if (st->epoll_mode)
    return epoll_reap(loop, st), loop->pending.any() ? 1 : 0;
  return reap(loop, st);
}

inline unsigned sq_pending(const ring &r) { return r.sq_local_tail - load_acquire(r.sq_head); }
inline bool cq_empty(const ring &r) { return load_acquire(r.cq_tail) == *r.cq_head; }
inline bool cq_overflow_flagged(const ring &r) { return load_acquire(r.sq_flags) & IORING_SQ_CQ_OVERFLOW; }

// Completions a removal posts at least, see (h).
inline unsigned removal_completions(const ring &r) { return r.features & kFeatCqeSkip ? 1 : 2; }

// poll_unusual runs after every reap when embedded, when an overflow would lose completions without
// nodrop, or in the epoll mode without defer-taskrun, iouring_epoll.cc (x).
void set_look_after_reap(iouring_state *st)
{
  st->look_after_reap =
      st->embedded || !(st->r.features & kFeatNoDrop) || (st->epoll_mode && !(st->r.features & kFeatDeferTaskrun));
  update_wait_room(st);
}

void set_grow_at(iouring_state *st) { st->grow_at = st->r.cq_entries < st->cq_limit ? st->r.cq_entries / 4 : ~0u >> 1; }

// An enter by a thread that a single-issuer ring refuses, see (n), or whose
// registered index the kernel does not know: true if the caller may try again.
bool enter_refused_by_thread(ev_loop *loop, iouring_state *st, int err);

}  // namespace

// Submit what is queued without waiting.  Completions are reaped when the
// kernel needs room for them, see (j).  Returns 0 or an errno.
int submit(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  int stuck = 0;
  while (sq_pending(r)) {
    store_release(r.sq_tail, r.sq_local_tail);
    // With defer-taskrun a GETEVENTS enter also posts what completed.
    const unsigned flags = r.features & kFeatDeferTaskrun ? IORING_ENTER_GETEVENTS : 0u;
    int res = ring_enter_slow(r, sq_pending(r), 0, flags, nullptr, 0);
    set_submitted(st, r.sq_local_tail - sq_pending(r));
    if (st->dirty.count)
      retemplate(st);
    if (res > 0) {
      stuck = 0;
      continue;
    }
    int err = res < 0 ? -res : EAGAIN;
    if (err == EINTR)
      continue;
    if (res < 0 && enter_refused_by_thread(loop, st, err)) {
      if (st->foreign)
        return err;
      continue;
    }
    if (err != EBUSY && err != EAGAIN)
      return err;
    // The kernel wants completions taken first; if there are none, it is short of memory, so give
    // up after a few tries.  The sqes stay queued for the next submission.
    if (!reap_any(loop, st) && cq_empty(r) && ++stuck > 3)
      return err;
  }
  set_submitted(st, r.sq_local_tail);
  return 0;
}

// The ring's fd was closed behind our back or the kernel refuses its submissions: a new ring
// replaces it before the next poll, with every fd armed again; until then nothing is queued.
void ring_broken(ev_loop *loop, iouring_state *st, int err)
{
  if (err == EBADF || err == EOPNOTSUPP)
    st->lost = true;  // not our fd any more: not closed again, see (l)
  else if (err != EEXIST) {
    errno = err;
    ev_syserr("(libev) io_uring_enter");
  }
  request_backend_rebuild(loop);
}

// The polling thread adopts a new ring; false if the kernel refuses, and the ring is replaced.
bool adopt(ev_loop *loop, iouring_state *st)
{
  if (int err = ring_adopt(st->r)) {
    ring_broken(loop, st, err);
    return false;
  }
  st->adopted = true;
  update_general(st);
  return true;
}

namespace {

bool enter_refused_by_thread(ev_loop *loop, iouring_state *st, int err)
{
  ring &r = st->r;
  if (err == EBADFD && !r.enabled)  // made disabled: its first submitter enables it
    return adopt(loop, st);
  if ((err == EBADF || err == EINVAL) && this_thread() == r.reg_thread) {
    ring_unregister(r);  // the fd goes on working
    r.features &= ~kFeatRegisteredRing;
    return true;
  }
  if (err == EEXIST && (r.features & kFeatSingleIssuer)) {
    // Another thread's ring, see (n): one for any thread replaces it.
    st->allowed &= ~(kFeatSingleIssuer | kFeatDeferTaskrun);
    st->foreign = true;
    request_backend_rebuild(loop);
    return true;
  }
  return false;
}

}  // namespace

// Make room for n sqes; false if the kernel would not take a full queue, and the ring is rebuilt.
bool make_room(ev_loop *loop, iouring_state *st, unsigned n)
{
  ring &r = st->r;
  // The epoll mode asks for 2, a request and a wait, or 1, a wait: see epoll_room.
  const unsigned capacity = st->epoll_mode ? st->other_mask + 2 : r.sq_entries;
  while (sq_pending(r) + n > capacity)
    if (int err = submit(loop, st)) {
      ring_broken(loop, st, err);
      return false;
    }
  return true;
}

namespace {

// The sqe at slot, zeroed, to be written as another request than the template's poll request, see
// queue_poll in iouring.h; retemplate puts the template back once the kernel took it.
io_uring_sqe *other_sqe(iouring_state *st, unsigned slot)
{
  io_uring_sqe *sqe = &st->r.sqes[slot & st->r.sq_mask];
  std::memset(sqe, 0, sizeof *sqe);
  st->dirty.push(slot);
  return sqe;
}

}  // namespace

// The next sqe slot for another request; the caller made room.  The epoll mode has one spare sqe,
// so there the caller made room for a wait too, and submits before asking again.
io_uring_sqe *next_sqe(iouring_state *st)
{
  if (st->epoll_mode) {
    ring &r = st->r;
    io_uring_sqe *sqe = &r.sqes[r.sq_mask - kSpare];
    std::memset(sqe, 0, sizeof *sqe);
    r.sq_array[r.sq_local_tail++ & r.sq_mask] = r.sq_mask - kSpare;
    return sqe;
  }
  return other_sqe(st, st->r.sq_local_tail++);
}

namespace {

void queue_remove(iouring_state *st, std::uint64_t tag)
{
  io_uring_sqe *sqe = next_sqe(st);
  sqe->opcode = IORING_OP_POLL_REMOVE;
  sqe->fd = -1;
  sqe->addr = tag;
  sqe->user_data = kInternal;
  // Success needs no completion; -ENOENT, for a poll that just completed, still posts one.
  if (st->r.features & kFeatCqeSkip)
    sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
}

// A no-op request where the armed fd's poll lies unsubmitted, so that an fd stopped and closed
// before the next poll costs no removal and posts no error, see (a).
void cancel_queued(iouring_state *st, fd_entry &e)
{
  io_uring_sqe *sqe = other_sqe(st, e.bdata);
  sqe->opcode = IORING_OP_NOP;
  sqe->user_data = kInternal;
  if (st->r.features & kFeatCqeSkip)
    sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
  else
    ++st->stale;
  e.bflags = 0;
  --st->armed;
}

// The armed fd's request goes: cancelled where it lies, or removed.
void queue_poll_remove(iouring_state *st, int fd, fd_entry &e)
{
  if (queued(st->r, e))
    return cancel_queued(st, e);
  queue_remove(st, poll_tag(fd, e.bdata));
  e.bflags = 0;
  --st->armed;
  st->stale += removal_completions(st->r);
}

// A multishot poll request for the wake-up fd, see (p).
void queue_multishot(iouring_state *st, int fd, fd_entry &e, int want)
{
  const unsigned slot = st->r.sq_local_tail++;
  io_uring_sqe *sqe = other_sqe(st, slot);
  sqe->opcode = IORING_OP_POLL_ADD;
  sqe->fd = fd;
  sqe->poll_events = poll_events(want);
  sqe->len = IORING_POLL_ADD_MULTI;
  sqe->user_data = poll_tag(fd, slot);
  e.bdata = slot;
  e.bflags = kArmed;
  e.bmask = static_cast<unsigned char>(want);
  ++st->armed;
}

// Forget which fds are armed or registered: their ring or epoll set is gone.
void forget_armed(ev_loop *loop, iouring_state *st)
{
  for (int fd = 0; fd < loop->fds.size; ++fd) {
    loop->fds.entries[fd].bflags = 0;
    loop->fds.entries[fd].bmask = 0;
  }
  st->armed = 0;
  st->stale = 0;
  st->rearm.count = 0;
  st->dirty.count = 0;
  st->always_ready.clear();
  st->waiting = false;
}

}  // namespace

// An embedded loop's re-arms go through the change queue, see (a), (m).
void rearm_via_changes(ev_loop *loop, iouring_state *st)
{
  for (int i = 0; i < st->rearm.count; ++i)
    loop->fds.change(st->rearm.data[i], EV__IOFDSET);
  st->rearm.count = 0;
}

namespace {

// Cancel every armed request and wait until the kernel completed each, so that nothing the ring
// holds keeps a file open once it is given up, see (l): only in the process that armed them,
// through a ring that takes this thread's submissions, and for a second at most.
void drain_epoll_wait(ev_loop *loop, iouring_state *st);

void drain(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  if (r.fd < 0 || st->lost || st->foreign || !r.enabled || st->owner != ::getpid())
    return;
  if (st->epoll_mode)
    return drain_epoll_wait(loop, st);
  if (!st->armed)
    return;
  fd_table &t = loop->fds;
  int armed = 0;
  for (int fd = 0; fd < t.size; ++fd)
    armed += t.entries[fd].bflags & kArmed;
  ev_tstamp deadline = monotonic_now() + 1.;
  for (int round = 0; armed && round < 4; ++round) {
    for (int fd = 0; fd < t.size; ++fd)
      if (t.entries[fd].bflags & kArmed) {
        if (r.sq_entries - sq_pending(r) < 1 && submit(loop, st))
          return;
        queue_remove(st, poll_tag(fd, t.entries[fd].bdata));
      }
    if (submit(loop, st))
      return;
    while (armed) {
      ev_tstamp now = monotonic_now();
      if (now >= deadline)
        return;
      unsigned want = static_cast<unsigned>(armed) < r.cq_entries ? static_cast<unsigned>(armed) : r.cq_entries;
      int res = ring_wait(r, 0, want, deadline - now < 0.1 ? deadline - now : 0.1);
      if (res < 0 && res != -ETIME && res != -EINTR)
        return;
      // Only the end of each live request counts; nothing is reported.
      unsigned head = *r.cq_head;
      unsigned tail = load_acquire(r.cq_tail);
      for (; head != tail; ++head) {
        const io_uring_cqe &c = r.cqes[head & r.cq_mask];
        auto fd = static_cast<std::uint32_t>(c.user_data);
        if (fd >= static_cast<std::uint32_t>(t.size) || (c.flags & IORING_CQE_F_MORE))
          continue;
        fd_entry &e = t.entries[fd];
        if ((e.bflags & kArmed) && e.bdata == static_cast<unsigned>(c.user_data >> 32)) {
          e.bflags = 0;
          --armed;
        }
      }
      store_release(r.cq_head, head);
      if (cq_overflow_flagged(r))
        ring_enter_slow(r, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0);
      if (res == -ETIME)
        break;  // a removal the kernel refused is asked again
    }
  }
}

// The epoll mode's EPOLL_WAIT in flight writes into `events` until it completes, so it is cancelled
// and waited for, see iouring_epoll.cc (u).
void drain_epoll_wait(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  if (!st->waiting)
    return;
  if (sq_pending(r) + 2 > st->other_mask + 2 && submit(loop, st))
    return;
  io_uring_sqe *sqe = next_sqe(st);
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->fd = -1;
  sqe->addr = kEpollWaitTag;
  sqe->user_data = kInternal;
  if (submit(loop, st))
    return;
  const ev_tstamp deadline = monotonic_now() + 1.;
  while (st->waiting) {
    ev_tstamp now = monotonic_now();
    if (now >= deadline)
      return;
    int res = ring_wait(r, 0, 1, deadline - now < 0.1 ? deadline - now : 0.1);
    if (res < 0 && res != -ETIME && res != -EINTR)
      return;
    unsigned head = *r.cq_head;
    for (unsigned tail = load_acquire(r.cq_tail); head != tail; ++head)
      if (static_cast<std::uint32_t>(r.cqes[head & r.cq_mask].user_data) == kEpollWaitTag)
        st->waiting = false;
    store_release(r.cq_head, head);
  }
}

}  // namespace

// Open a ring with a completion queue of `size`, or smaller where the memory lock limit before
// Linux 5.12 refuses it; false if the system refuses.
bool open_ring(iouring_state *st, unsigned size)
{
  for (;;) {
    if (ring_open(st->r, size, st->allowed))
      return true;
    if (errno != ENOMEM || size <= kMinCq)
      return false;
    size /= 2;
  }
}

void ring_opened(ev_loop *loop, iouring_state *st)
{
  ring_placed(st->r);
  if (st->r.cq_entries < st->want_cq)  // refused or clamped: stop asking
    st->cq_limit = st->r.cq_entries;
  st->want_cq = st->r.cq_entries;
  st->overflow_seen = load_acquire(st->r.cq_overflow);
  st->owner = ::getpid();
  st->adopted = st->foreign = st->lost = false;
  set_grow_at(st);
  st->prearm_room = st->embedded ? 0 : st->r.sq_entries;
  set_submitted(st, st->r.sq_submitted);
  if (st->epoll_mode)
    epoll_template(st);
  set_look_after_reap(st);
  update_general(st);
  set_backend_fd(loop, st->r.fd);
}

namespace {

// Swap the ring for one of `size` completions after a fork, to grow, see (i), or after a loss,
// see (l): the old one is drained and closed first, so that the new one exists even at the fd
// limit.  No fd is armed in the new ring; the epoll mode gets a new, empty set.  False if no ring.
bool replace_ring(ev_loop *loop, iouring_state *st, unsigned size)
{
  drain(loop, st);
  if (st->epoll_mode)
    epoll_events_unshare(st);
  ring_close(st->r, st->lost);
  st->lost = st->foreign = false;
  forget_armed(loop, st);
  if (!retry_after_syserr("(libev) io_uring_setup", [st, size] { return open_ring(st, size) ? 0 : -1; }) ||
      (st->epoll_mode &&
       !retry_after_syserr("(libev) epoll_create", [loop, st] { return epoll_set_open(loop, st) ? 0 : -1; }))) {
    if (st->r.fd >= 0)
      ring_close(st->r, false);
    st->adopted = false;
    update_general(st);
    set_backend_fd(loop, -1);
    return false;
  }
  ring_opened(loop, st);
  return true;
}

}  // namespace

// A completion that reports an error or a hang-up, or a multishot poll's,
// whose IORING_CQE_F_MORE says it stays armed, see (d), (e), (f), (p).
void completion_unusual(ev_loop *loop, iouring_state *st, int fd, int res, unsigned flags)
{
  fd_entry &e = loop->fds.entries[fd];
  const bool goes_on = flags & IORING_CQE_F_MORE;
  if (!goes_on) {
    e.bflags = 0;
    --st->armed;
  }
  if (res >= 0) {
    auto revents = static_cast<unsigned>(res);
    // A hang-up is what a file polled past the close of its fd typically reports, see (d).
    if ((revents & (POLLERR | POLLHUP)) && ::fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
      fd_kill(loop, fd);
      return;
    }
    int got = (revents & (POLLIN | POLLERR | POLLHUP) ? EV_READ : 0) |
              (revents & (POLLOUT | POLLERR | POLLHUP) ? EV_WRITE : 0);
    if (got)
      fd_event(loop, fd, got);
  } else if (res != -ECANCELED && res != -EINTR && res != -EAGAIN && res != -ENOMEM) {
    if (res == -EINVAL && (e.bmask & kFdEdge)) {
      // No multishot polls after all, see (p): the loop's own fds are replaced with the ring, as
      // after a fork; killing the still open eventfd would take it for lost and leave it open.
      st->allowed &= ~kFeatMultishot;
      st->r.features &= ~kFeatMultishot;
      request_repair(loop, kRepairAll);
      return;
    }
    // -EBADF is an fd not open; anything else, one the kernel cannot poll, see (e).
    fd_kill(loop, fd);
    return;
  }
  // Re-arm after the callbacks, see (a); a watcherless fd was queued by its last watcher's stop.
  if (loop->fds.entries[fd].head && !goes_on)
    st->rearm.push(fd);
}

// rearm_completed's work, see iouring.h: the fds from p to end, where the
// submission queue may be full, or for a multishot poll, see (p).
void rearm_room(ev_loop *loop, iouring_state *st, const int *p, const int *end)
{
  for (; p != end; ++p) {
    fd_entry &e = loop->fds.entries[*p];
    int want = e.events & (EV_READ | EV_WRITE | kFdEdge);
    if (!(want & (EV_READ | EV_WRITE)) || !e.head || (e.bflags & kArmed))
      continue;
    if (!(st->r.features & kFeatMultishot))
      want &= ~kFdEdge;
    if (!make_room(loop, st, 1))
      return;  // the ring is replaced, and every fd armed anew
    fd_entry &now = loop->fds.entries[*p];
    if (want & kFdEdge)
      queue_multishot(st, *p, now, want);
    else
      queue_poll_add(st, *p, now, want);
  }
}

// Put the template back in the slots written as other requests once the kernel took them.
void retemplate(iouring_state *st)
{
  ring &r = st->r;
  int kept = 0;
  for (int i = 0; i < st->dirty.count; ++i) {
    unsigned slot = st->dirty.data[i];
    if (static_cast<int>(slot - r.sq_submitted) >= 0) {
      st->dirty.data[kept++] = slot;  // not taken yet
      continue;
    }
    io_uring_sqe *sqe = &r.sqes[slot & r.sq_mask];
    std::memset(sqe, 0, sizeof *sqe);
    sqe->opcode = IORING_OP_POLL_ADD;
  }
  st->dirty.count = kept;
}

// modify (backend.h) for every case, called through the table: by the iteration, and by an
// embedding loop's prepare watcher with loop_depth == 0.
void modify_slow(ev_loop *loop, int fd, int /*oev*/, int nev)
{
  iouring_state *st = state(loop);
  const bool renewed = nev & EV__IOFDSET;  // ev_io_set, or a re-arm (a)
  nev &= EV_READ | EV_WRITE | kFdEdge;
  if (!(nev & (EV_READ | EV_WRITE)))
    nev = 0;
  if (!(st->r.features & kFeatMultishot))
    nev &= ~kFdEdge;  // a wake-up fd made before the kernel refused them, see (p)

  if (st->r.fd < 0) {  // no ring, see (l)
    if (nev)
      fd_kill_user_watchers(loop, fd);
    return;
  }
  // Room for a removal and an add before looking at e: making room may reap completions, which
  // changes the state of fds.  Without room the ring is rebuilt, which arms every fd anew.
  if (!make_room(loop, st, 2))
    return;

  fd_entry &e = loop->fds.entries[fd];
  if (e.bflags & kArmed) {
    // A queued request polls the number's file at submission: renewing needs nothing, see (a).
    if ((!renewed || queued(st->r, e)) && e.bmask == static_cast<unsigned char>(nev))
      return;  // the kernel already waits, or will, for exactly this
    queue_poll_remove(st, fd, e);
  }
  if (nev) {
    if (nev & kFdEdge)
      queue_multishot(st, fd, e, nev);
    else
      queue_poll_add(st, fd, e, nev);
    if (st->armed > static_cast<int>(st->grow_at))
      st->look_after_reap = true;  // see (i)
  }

  // Embedded, outside ev_run no poll of ours follows to submit this, see (m).  A multishot poll,
  // made once per loop, goes at once too, through the rare path's enter that tests for refusal.
  if ((!loop->loop_depth && st->embedded) || (nev & kFdEdge)) {
    if (!st->adopted && !adopt(loop, st))
      return;
    int err = submit(loop, st);
    // Making room reaped completions, so callbacks are due, but the queue may be empty now: a no-op
    // completion makes the ring fd readable, so the embedding loop runs us.
    if (!err && !loop->loop_depth && loop->pending.any() && make_room(loop, st, 1)) {
      io_uring_sqe *sqe = next_sqe(st);
      sqe->opcode = IORING_OP_NOP;
      sqe->user_data = kInternal;
      ++st->stale;
      err = submit(loop, st);
    }
    // The kernel short of memory: what is queued goes with the next poll.
    if (err && err != EBUSY && err != EAGAIN)
      ring_broken(loop, st, err);
  }
  if (st->embedded && st->rearm.count)
    rearm_via_changes(loop, st);
}

namespace {

// Bring overflowed completions back into the queue, see (i).
void flush_overflow(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  for (int i = 0; i < 64 && cq_overflow_flagged(r); ++i) {
    reap_any(loop, st);
    int res = ring_enter_slow(r, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0);
    if (res < 0 && res != -EINTR && res != -EBUSY && res != -EAGAIN) {
      ring_broken(loop, st, -res);
      return;
    }
  }
}

// The queue overflowed or is getting crowded: a larger ring in the next iteration, whose repair
// step calls iouring_fork after request_backend_rebuild, see (i).
void check_capacity(ev_loop *loop, iouring_state *st, bool overflowed)
{
  ring &r = st->r;
  unsigned lost = load_acquire(r.cq_overflow);
  // Without nodrop, or not allowed it, what overflowed is lost.
  if (lost != st->overflow_seen || (overflowed && !(r.features & kFeatNoDrop))) {
    st->overflow_seen = lost;
    request_backend_rebuild(loop);
  }
  // Room for every live poll plus one iteration's removals and cancellations: four per armed fd.
  auto armed = static_cast<unsigned>(st->armed);
  if ((overflowed || armed > r.cq_entries / 4) && r.cq_entries < st->cq_limit) {
    unsigned size = r.cq_entries * 2;
    while (size < st->cq_limit && size / 4 < armed)
      size *= 2;
    st->want_cq = size < st->cq_limit ? size : st->cq_limit;
    request_backend_rebuild(loop);
  }
  st->grow_at = ~0u >> 1;  // asked for: once is enough until the new ring
}

// No ring, see (l): try to get one, every fd armed next iteration; else sleep a little at a time.
void poll_without_ring(ev_loop *loop, iouring_state *st, ev_tstamp timeout)
{
  if (open_ring(st, st->want_cq)) {
    if (st->epoll_mode && !epoll_set_open(loop, st)) {
      ring_close(st->r, false);
      return sleep_instead_of_waiting(loop, timeout);
    }
    forget_armed(loop, st);
    ring_opened(loop, st);
    fd_rearm_all(loop);
    return;
  }
  sleep_instead_of_waiting(loop, timeout);
}

// Submit and wait for a completion for at most `timeout`, which is above 0, on a kernel without
// ext-arg, see (g).  Returns 0, or the errno, ETIME for a wait that timed out.
int submit_then_ppoll(ev_loop *loop, iouring_state *st, ev_tstamp timeout)
{
  if (int err = submit(loop, st))
    return err;
  if (!cq_empty(st->r))
    return 0;
  struct pollfd pfd = {st->r.fd, POLLIN, 0};
  const struct timespec ts = timeout_to_timespec(timeout);
  int res = ::ppoll(&pfd, 1, &ts, nullptr);
  return res < 0 ? errno : res == 0 ? ETIME : 0;
}

// The wait of every unusual case: no ring, a ring to adopt, a kernel without ext-arg, an enter that
// failed or took only part of the queue, completions of removals alone.  It waits until `deadline`,
// the caller's clock plus the timeout, never later than the loop's next timer.  True when the ring
// refused this thread, see (n): the caller waits on a new one.
bool wait_general(ev_loop *loop, iouring_state *st, ev_tstamp timeout, ev_tstamp deadline, bool hooks)
{
  ring &r = st->r;
  int busy = 0;
  for (bool first = true;; first = false) {
    int err = 0;
    // Wait only when nothing is there yet; a zero timeout only submits.
    const bool wait = timeout > 0. && cq_empty(r);
    if (first || wait) {
      auto call = [loop, st, &r, wait, timeout] {
        int e = 0;
        if ((wait || st->stale) && (r.features & kFeatExtArg)) {
          const unsigned n = sq_pending(r);
          store_release(r.sq_tail, r.sq_local_tail);
          unsigned min_complete = st->stale + wait < r.cq_entries ? st->stale + wait : r.cq_entries;
          int res = ring_wait(r, n, min_complete, timeout);
          set_submitted(st, r.sq_local_tail - sq_pending(r));
          if (st->dirty.count)
            retemplate(st);
          e = res < 0 ? -res : res != static_cast<int>(n) ? EAGAIN : 0;
          if (!e)
            st->stale = 0;
        } else if (wait)
          e = submit_then_ppoll(loop, st, timeout);
        else if (sq_pending(r) || (load_acquire(r.sq_flags) & IORING_SQ_TASKRUN))
          e = submit(loop, st);
        return e;
      };
      err = hooks ? hooked_wait(loop, EINTR, call) : call();
    }

    bool timed_out = false;
    if (err) {
      if (err == ETIME)
        timed_out = true;
      else if (err == EINTR) {
        if (load_acquire(r.sq_flags) & IORING_SQ_TASKRUN)  // see poll_refused
          ring_enter(r, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0);
        reap_any(loop, st);
        return false;
      } else if (enter_refused_by_thread(loop, st, err)) {
        if (st->foreign) {
          reap_any(loop, st);
          return true;
        }
        continue;
      } else if ((err != EBUSY && err != EAGAIN) || ++busy > 3) {
        // Lost with EBADF or EOPNOTSUPP, refused with a seccomp filter's EPERM, or the kernel short
        // of memory for good: a new ring before the next poll, or none if the system refuses one,
        // see (l).  For EBUSY and EAGAIN otherwise, the reaping below makes room.
        reap_any(loop, st);
        ring_broken(loop, st, err);
        return false;
      }
    }

    int live = reap_any(loop, st);
    bool overflowed = false;
    if (cq_overflow_flagged(r)) {
      overflowed = true;
      flush_overflow(loop, st);
      live += reap_any(loop, st);
    }
    if (overflowed || st->armed > static_cast<int>(st->grow_at))
      check_capacity(loop, st, overflowed);

    // Only stale completions woke us: wait for the rest of the time, see (h).
    if (live || timed_out || timeout <= 0.)
      return false;
    ev_tstamp now = monotonic_now();
    if (now >= deadline)
      return false;
    timeout = deadline - now;
  }
}

// The ring refused this thread, see (n), before anything was waited for: the poll replaces it at
// once and waits on the new one, every fd armed again, so that ev_run (EVRUN_ONCE) from a new
// thread waits as on other backends.  No block if arming queued an EV_ERROR.
void poll_on_new_ring(ev_loop *loop, ev_tstamp timeout, bool hooks)
{
  iouring_fork(loop);
  repair_clear(loop, kRepairBackend);
  fd_reify(loop);
  if (loop->pending.any())
    timeout = 0.;
  poll_general(loop, state(loop), timeout, hooks);
}

}  // namespace

void poll_general(ev_loop *loop, iouring_state *st, ev_tstamp timeout, bool hooks)
{
  if (st->r.fd < 0)
    return poll_without_ring(loop, st, timeout);
  if (!st->adopted) {
    if (!adopt(loop, st))
      return;
    if (!st->general) {
      if (st->epoll_mode)
        return iouring_epoll_poll(loop, timeout, hooks);
      return iouring_poll(loop, timeout, hooks);
    }
  }
  if (st->epoll_mode) {
    if (!st->waiting && make_room(loop, st, 1))
      epoll_queue_wait(st);
    if (st->always_ready.any())
      timeout = 0.;  // see iouring_epoll.cc (t)
  } else if (st->rearm.count)
    rearm_completed(loop, st);
  if (wait_general(loop, st, timeout, timeout > 0. ? monotonic_now() + timeout : 0., hooks))
    return poll_on_new_ring(loop, timeout, hooks);
  if (st->epoll_mode && st->always_ready.any())
    epoll_report_always_ready(loop, st);
  if (st->embedded)
    st->epoll_mode ? epoll_embedded_after_reap(loop, st) : rearm_via_changes(loop, st);
}

// The enter of iouring_poll did not take the whole queue, or failed with res < 0.  With nothing to
// submit, ETIME is the timeout and EINTR a signal; with something, the kernel reports neither.
void poll_refused(ev_loop *loop, iouring_state *st, int res, unsigned n, ev_tstamp timeout, bool hooks)
{
  ring &r = st->r;
  const int err = res < 0 ? -res : 0;
  if (res >= 0 || n) {
    set_submitted(st, r.sq_local_tail - sq_pending(r));
    if (st->dirty.count)
      retemplate(st);
  }
  if (err == ETIME || err == EINTR) {
    if (!n)
      st->stale = 0;
    // With defer-taskrun, another enter posts what completed while a signal
    // interrupted the wait, its handler's wake-up among it, see (q).
    if (err == EINTR && (load_acquire(r.sq_flags) & IORING_SQ_TASKRUN))
      ring_enter(r, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0);
    reap_any(loop, st);
    return;
  }
  // A ring that refuses this thread, see (n), gets a new one here, since the
  // general wait may not enter, having nothing to submit.
  if (res < 0 && enter_refused_by_thread(loop, st, err) && st->foreign) {
    reap_any(loop, st);
    return poll_on_new_ring(loop, timeout, hooks);
  }
  // What is left, a partial submission or an enter to repeat, is the general
  // wait's, until the caller's deadline as far as the loop knows it.
  if (wait_general(loop, st, timeout, timeout > 0. ? loop->mn_now + timeout : 0., hooks))
    poll_on_new_ring(loop, timeout, hooks);
}

// After iouring_poll's reap: a wait that ended with no live completion, see (h), an overflow, or
// more armed fds than the ring suits, see (i).  came: the wait got as many completions as it waited
// for; if not, its timeout or a signal ended it, which ends the iteration as an interrupted
// epoll_wait does, since check watchers may look at the handler's work, and the enter returns the
// submitted count, not EINTR.  Only a wait ended by completions of no watcher's interest goes on.
void poll_unusual(ev_loop *loop, iouring_state *st, int live, ev_tstamp timeout, bool hooks, bool came)
{
  ring &r = st->r;
  set_look_after_reap(st);
  // With defer-taskrun an enter runs only part of the work that posts completions, see (q).
  for (int round = 0; round < 64 && (load_acquire(r.sq_flags) & IORING_SQ_TASKRUN); ++round) {
    if (ring_enter(r, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0) < 0)
      break;
    live += reap_any(loop, st);
  }
  if (st->refill)
    epoll_refill(loop, st);
  bool overflowed = false;
  if (cq_overflow_flagged(r)) {
    overflowed = true;
    flush_overflow(loop, st);
    live += reap_any(loop, st);
  }
  if (overflowed || st->armed > static_cast<int>(st->grow_at))
    check_capacity(loop, st, overflowed);
  if (st->epoll_mode)
    live = loop->pending.any();  // see reap_any
  if (live || !(timeout > 0.) || !came) {
    if (st->embedded)
      st->epoll_mode ? epoll_embedded_after_reap(loop, st) : rearm_via_changes(loop, st);
    return;
  }
  // mn_now + timeout is never past the loop's deadline: the resumed wait may end early, never late.
  const ev_tstamp deadline = loop->mn_now + timeout;
  const ev_tstamp now = monotonic_now();
  if (now < deadline - 1e-6)
    wait_general(loop, st, deadline - now, deadline, hooks);
  if (st->embedded)
    st->epoll_mode ? epoll_embedded_after_reap(loop, st) : rearm_via_changes(loop, st);
}

namespace {

bool iouring_init(ev_loop *loop)
{
  ring r;
  const unsigned allowed = features_allowed_by_environment() & ~kFeatEpollWait;
  if (!ring_open(r, kMinCq, allowed))
    return false;
  iouring_state *st = backend_state_new<iouring_state>(loop->backend_state);
  st->r = r;
  st->allowed = allowed;
  st->epfd = -1;
  st->want_cq = r.cq_entries;
  st->cq_limit = kMaxCq;
  ring_opened(loop, st);
  return true;
}

}  // namespace

void iouring_destroy(ev_loop *loop)
{
  iouring_state *st = state(loop);
  if (!st)
    return;
  drain(loop, st);  // see (l)
  if (st->epoll_mode)
    epoll_events_release(st);
  ring_close(st->r, st->lost);
  st->rearm.release();
  st->dirty.release();
  if (st->epoll_mode) {
    if (st->epfd >= 0 && !st->epfd_lost)
      ::close(st->epfd);
    ev_free(st->ctl);
    st->always_ready.release();
    st->heads.release();
  }
  backend_state_free(loop->backend_state);
  loop->backend_fd = -1;
}

// A new ring, every fd queued for arming, after a fork, see (l), to grow, see (i), or a loss.
// Without one, the program's watchers get EV_ERROR; the loop's own are armed once there is one.
void iouring_fork(ev_loop *loop)
{
  iouring_state *st = state(loop);
  unsigned size = st->want_cq > st->r.cq_entries ? st->want_cq : st->r.cq_entries;
  if (!replace_ring(loop, st, size ? size : kMinCq))
    for (int fd = 0; fd < loop->fds.size; ++fd)
      if (loop->fds.entries[fd].head)
        fd_kill_user_watchers(loop, fd);
  fd_rearm_all(loop);
}

// Multishot polls for kFdEdge, see (p); in the epoll mode EPOLLET.
bool iouring_edge_triggered(const ev_loop *loop)
{
  const auto *st = static_cast<const iouring_state *>(loop->backend_state);
  return st && st->r.fd >= 0 && (st->epoll_mode || (st->r.features & kFeatMultishot));
}

// See (m): an embedded loop's ring must wake a thread blocked on its fd.
void iouring_embedded(ev_loop *loop)
{
  iouring_state *st = state(loop);
  st->embedded = st->look_after_reap = true;
  update_wait_room(st);
  st->prearm_room = 0;
  set_submitted(st, st->r.sq_submitted);
  rearm_via_changes(loop, st);
  st->allowed &= ~kFeatDeferTaskrun;
  if (st->r.fd >= 0 && (st->r.features & kFeatDeferTaskrun))
    return iouring_fork(loop);
  // What is queued, the last poll's re-arms or the epoll mode's wait, goes now, since no poll of
  // ours may come before the embedding loop blocks on the ring.
  if (st->r.fd < 0 || !(st->adopted || adopt(loop, st)))
    return;
  if (st->epoll_mode && !st->waiting && make_room(loop, st, 1))
    epoll_queue_wait(st);
  if (sq_pending(st->r))
    if (int err = submit(loop, st))
      ring_broken(loop, st, err);
}

// See (l).  Only async-signal-safe calls: ring_drop_in_child closes and unmaps.
void iouring_child_after_fork(ev_loop *loop)
{
  iouring_state *st = state(loop);
  if (!st)
    return;
  ring_drop_in_child(st->r);
  if (st->epoll_mode && st->epfd >= 0 && !st->epfd_lost) {
    ::close(st->epfd);  // see iouring_epoll.cc (w)
    st->epfd = -1;
  }
  st->adopted = st->lost = st->foreign = false;
  update_general(st);
  loop->backend_fd = -1;
  ++loop->backend_fd_generation;
}

// The sweep's recheck (backend.h): the poll may hold a closed file whose number is another file's
// now, see (d), and the kernel cannot be asked which, so the fd is armed anew.  A ready fd whose
// completion was on its way costs another iteration, as the old request's is dropped, see (b).  In
// the epoll mode the renewed MOD finds another file with ENOENT and adds it, iouring_epoll.cc (s).

void iouring_recheck(ev_loop *loop, int fd) { loop->fds.change(fd, EV__IOFDSET); }

}  // namespace ev_detail::iouring_internal

namespace ev_detail {

using namespace iouring_internal;

constinit const backend_ops iouring_backend = {
    "io_uring",
    EVBACKEND_IOURING,
    1e-6,
    iouring_init,
    iouring_destroy,
    iouring_fork,
    modify_slow,
    [](ev_loop *loop, ev_tstamp timeout) { iouring_poll(loop, timeout, true); },
    true,
    iouring_edge_triggered,
    iouring_recheck,
    iouring_embedded,
    iouring_child_after_fork,
};

}  // namespace ev_detail
