// SPDX-License-Identifier: BSD-2-Clause
// backends/iouring_life.cc - the io_uring backend's ring and set through their life: made, adopted
// by the polling thread, submitted to, replaced after a fork or a loss, given up; and the waits of
// every unusual case.  The set's rules and quirks (a)-(f) are in backends/iouring.cc.
//
// Kernel quirks handled here:
//  (g) The kernel does not tell of a closed fd's registration; the closed-fd sweep (fd/fd.h) gives
//      the watchers of numbers no longer open EV_ERROR, and a number open again and ready while its
//      watchers got nothing is registered anew for its file now (iouring_recheck): the renewed MOD
//      finds another file with ENOENT and adds it, iouring.cc's (b).
//  (h) The completion queue, twice the submission queue, holds a wait's and the failed requests'
//      completions, and without cqe-skip every request's: a full one keeps the rest in the kernel
//      (nodrop, Linux 5.5, which the backend counts on), which says so with IORING_SQ_CQ_OVERFLOW,
//      and an enter with IORING_ENTER_GETEVENTS brings them back: flush_overflow.
//  (i) Submission may stop early, without submit-all at the first failing request, or fail with
//      EBUSY or EAGAIN while the completion queue is full: completions are reaped and submission is
//      retried.  A full submission queue is submitted to make room.
//  (j) io_uring_setup may be missing (ENOSYS), disabled by the sysctl kernel.io_uring_disabled or
//      by seccomp (EPERM), or limited by RLIMIT_MEMLOCK before 5.12 (ENOMEM); a seccomp filter may
//      allow io_uring_setup but refuse io_uring_enter, which every new ring tries once; a kernel
//      before 5.6 has no IORING_OP_EPOLL_CTL.  Then init fails: the loop falls back to another
//      backend, or ev_loop_new(EVBACKEND_IOURING) returns NULL, and ev_supported_backends leaves
//      io_uring out.  Refused later, the ring is replaced, or the loop goes on without one, see
//      (k).  Newer setup flags are dropped one by one when a kernel rejects them with EINVAL.
//  (k) A ring and a set live while anything in any process holds them: their fds, the ring's
//      mappings, a thread's registration.  A forked child holds the parent's, and a child that
//      used them would change the parent's set, so fork(3)'s child handler closes and unmaps the
//      child's copies (iouring_child_after_fork), and the child gets its own.  A child made by a
//      raw clone(2) runs no handler and shares them as with libev 4.33; loop/fork_guard.h tells
//      the loop, which quietly gives the child its own, with no fork watchers since nobody
//      announced a fork.  Before a ring is closed, the EPOLL_WAIT in flight is cancelled and waited
//      for (drain), only in the process that sent it, since the request writes into its memory.  A
//      lost ring fd, closed behind the loop's back, is not closed again: enter fails with EBADF, or
//      EOPNOTSUPP for a number that is another file now.  Without any ring, when the system
//      refuses a new one, every watcher gets EV_ERROR and the loop sleeps instead of polling,
//      trying again each time.
//  (l) Embedding: the set is backend_fd, readable while events wait, and the wait is epoll_wait,
//      see iouring.cc (d), since an EPOLL_WAIT in flight would take the events from under the
//      embedding loop and defer-taskrun would post nothing while it blocks.  Changes applied outside
//      ev_run, by the embedding loop's prepare watcher with loop_depth == 0, are submitted at once,
//      since no poll of ours follows; a loop not embedded leaves them to its next poll, as the
//      thread that runs it may be another, and a single-issuer ring is its first submitter's, see
//      (m).  libev 4.33 has no fd for an io_uring loop and aborts in ev_embed_start.
//  (m) A single-issuer ring refuses every other thread with EEXIST: the loop gives single-issuer
//      (and so defer-taskrun and the ring's wait) up and replaces the ring, closing the old one
//      without cancelling, which the other thread's exit or the ring's last close does; a poll so
//      refused waits on the new ring (poll_on_new_ring).  An EPOLL_WAIT of a thread that exits is
//      cancelled with -ECANCELED, and the next poll sends another.  A registered index is used only
//      by the thread that registered it, see iouring_ring.h.
//  (n) With defer-taskrun, completions are posted only when the submitting thread enters with
//      GETEVENTS.  A poll that does not wait enters only when the taskrun flag, IORING_SQ_TASKRUN,
//      is set, so that an idle non-blocking poll makes no system call.  Since Linux 6.10 an enter
//      runs a bounded part of that work unless it waits for more, so the poll enters again while
//      the flag stays set after the reap, reporting every fd ready at the poll, as epoll would.
//
// Memory: the rings are the kernel's, mapped from the ring fd; the rest comes from ev_realloc.
#include "backends/iouring.h"
#include "fd/stream.h"

#include <unistd.h>
#include <atomic>
#include <cerrno>

namespace ev_detail::iouring_internal {
namespace {

// An enter by a thread that a single-issuer ring refuses, see (m), or whose
// registered index the kernel does not know: true if the caller may try again.
bool enter_refused_by_thread(ev_loop *loop, iouring_state *st, int err);

}  // namespace

// Submit what is queued without waiting.  Completions are reaped when the
// kernel needs room for them, see (i).  Returns 0 or an errno.
int submit(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  int stuck = 0;
  while (sq_pending(r)) {
    store_release(r.sq_tail, r.sq_local_tail);
    // With defer-taskrun a GETEVENTS enter also posts what completed.
    const unsigned flags = r.features & kFeatDeferTaskrun ? IORING_ENTER_GETEVENTS : 0u;
    int res = ring_enter_slow(r, sq_pending(r), 0, flags, nullptr, 0);
    r.sq_submitted = r.sq_local_tail - sq_pending(r);
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
    if (!reap(loop, st) && cq_empty(r) && ++stuck > 3)
      return err;
  }
  r.sq_submitted = r.sq_local_tail;
  return 0;
}

// The ring's fd was closed behind our back or the kernel refuses its submissions: a new ring
// replaces it before the next poll, with every fd registered again; until then nothing is queued.
void ring_broken(ev_loop *loop, iouring_state *st, int err)
{
  if (err == EBADF || err == EOPNOTSUPP)
    st->lost = true;  // not our fd any more: not closed again, see (k)
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
    // Another thread's ring, see (m): one for any thread replaces it.
    st->allowed &= ~(kFeatSingleIssuer | kFeatDeferTaskrun);
    st->foreign = true;
    request_backend_rebuild(loop);
    return true;
  }
  return false;
}

}  // namespace

// Make room for n sqes, a request and a wait, or a wait; false if the kernel would not take a full
// queue, and the ring is rebuilt.
bool make_room(ev_loop *loop, iouring_state *st, unsigned n)
{
  while (sq_pending(st->r) + n > st->other_mask + 2)
    if (int err = submit(loop, st)) {
      ring_broken(loop, st, err);
      return false;
    }
  return true;
}

namespace {

// Forget which fds are registered: their set is gone.
void forget_registrations(ev_loop *loop, iouring_state *st)
{
  for (int fd = 0; fd < loop->fds.size; ++fd) {
    loop->fds.entries[fd].bflags = 0;
    loop->fds.entries[fd].bmask = 0;
  }
  st->always_ready.clear();
  st->waiting = st->refill = false;
  drop_set_aside(st);  // the old ring's, taken by its drain
}

// The spare sqe, for a rare request; the caller made room for it and a wait, and submits before
// asking again.
io_uring_sqe *next_sqe(iouring_state *st)
{
  ring &r = st->r;
  io_uring_sqe *sqe = &r.sqes[r.sq_mask - kSpare];
  std::memset(sqe, 0, sizeof *sqe);
  r.sq_array[r.sq_local_tail++ & r.sq_mask] = r.sq_mask - kSpare;
  return sqe;
}

// What completed of the wait and the streams' requests, before the ring is given up: a stream's
// bytes the kernel received are handed over; the rest tells nothing now.
void take_completions(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  auto take = [loop, st](std::uint64_t user_data, int res, unsigned flags) {
    if (is_stream_tag(user_data))
      stream_completion(loop, st, user_data, res, flags);
    else if (static_cast<std::uint32_t>(user_data) == kEpollWaitTag)
      st->waiting = false;
  };
  set_aside_cqe c;
  while (set_aside_pop(st, c, any_completion))  // a stop's, older than the queue's
    take(c.user_data, c.res, c.flags);
  drop_set_aside(st);
  while (cq_pop(r, c, any_completion))
    take(c.user_data, c.res, c.flags);
}

// The EPOLL_WAIT in flight writes into `events` until it completes, and the streams' requests into
// their buffers, or read the program's: so they are cancelled and waited for before the ring is
// given up, see (k), iouring_stream.cc (u): only in the process that sent them, through a ring that
// takes this thread's submissions, and for a second at most.  What completed is taken.
void drain(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  if (!r.cqes || st->owner != ::getpid())
    return;
  streams_drain_begin(st);
  take_completions(loop, st);  // a wait a stop set aside is in flight no more
  if (r.fd >= 0 && !st->lost && !st->foreign && r.enabled && (st->waiting || streams_busy(st)) &&
      make_room(loop, st, 2)) {
    if (st->waiting) {
      io_uring_sqe *sqe = next_sqe(st);
      sqe->opcode = IORING_OP_ASYNC_CANCEL;
      sqe->fd = -1;
      sqe->addr = kEpollWaitTag;
      sqe->user_data = kInternal;
    }
    streams_cancel_all(loop, st);
    const ev_tstamp deadline = monotonic_now() + 1.;
    for (bool sent = !submit(loop, st); sent && (st->waiting || streams_busy(st));) {
      ev_tstamp now = monotonic_now();
      if (now >= deadline)
        break;
      int res = ring_wait(r, 0, 1, deadline - now < 0.1 ? deadline - now : 0.1);
      if (res < 0 && res != -ETIME && res != -EINTR)
        break;
      take_completions(loop, st);
    }
  }
  take_completions(loop, st);
  if (loop->pending.any())
    work_set(loop, kWorkError, true);  // what a stream received is not left for the next event
}

// The ring of a new ring and set: which wait, see iouring.cc (d), the templates, backend_fd.
void ring_opened(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  ring_placed(r);
  st->owner = ::getpid();
  st->adopted = st->foreign = st->lost = st->wait_polls = st->collect = false;
  constexpr unsigned kRingWait = kFeatEpollWait | kFeatExtArg | kFeatCqeSkip | kFeatDeferTaskrun;
  st->ring_wait = (r.features & kRingWait) == kRingWait && !st->embedded;
  templates(st);
  update_wait_room(st);
  update_general(st);
  fd_claim(loop, r.fd);  // a closed watched fd's number: its watchers get EV_ERROR, not our readiness
  set_backend_fd(loop, st->ring_wait ? r.fd : st->epfd);
  streams_new_ring(loop, st);
}

// A new ring and set, with what the loop allows; false if the system refuses either.
bool open_ring_and_set(ev_loop *loop, iouring_state *st)
{
  if (!ring_open(st->r, st->allowed))
    return false;
  if (!set_open(loop, st)) {
    ring_close(st->r, false);
    return false;
  }
  ring_opened(loop, st);
  return true;
}

// Swap the ring and set for new ones after a fork or a loss, see (k), or for a loop that gave the
// ring's wait up, see (l), (m): the old ones are drained and closed first, so that the new ones
// exist even at the fd limit.  No fd is registered in the new set.  False if none.
bool replace_ring(ev_loop *loop, iouring_state *st)
{
  drain(loop, st);
  events_unshare(st);
  ring_close(st->r, st->lost);
  st->lost = st->foreign = false;
  forget_registrations(loop, st);
  if (!retry_after_syserr("(libev) io_uring_setup", [loop, st] { return open_ring_and_set(loop, st) ? 0 : -1; })) {
    st->adopted = false;
    update_general(st);
    set_backend_fd(loop, -1);
    return false;
  }
  return true;
}

// Bring overflowed completions back into the queue, see (h).
void flush_overflow(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  for (int i = 0; i < 64 && cq_overflow_flagged(r); ++i) {
    reap(loop, st);
    int res = ring_enter_slow(r, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0);
    if (res < 0 && res != -EINTR && res != -EBUSY && res != -EAGAIN) {
      ring_broken(loop, st, -res);
      return;
    }
  }
}

// No ring or set, see (k): try to get them, every fd registered next iteration; else sleep a
// little at a time.
void poll_without_ring(ev_loop *loop, iouring_state *st, ev_tstamp timeout)
{
  if (st->r.fd >= 0)
    ring_close(st->r, st->lost);
  if (open_ring_and_set(loop, st)) {
    forget_registrations(loop, st);
    fd_rearm_all(loop);
    return;
  }
  sleep_instead_of_waiting(loop, timeout);
}

}  // namespace

// The ring refused this thread, see (m), before anything was waited for: the poll replaces it at
// once and waits on the new one, every fd registered again, so that ev_run (EVRUN_ONCE) from a new
// thread waits as on other backends.  No block if registering queued an EV_ERROR.
void poll_on_new_ring(ev_loop *loop, ev_tstamp timeout)
{
  iouring_fork(loop);
  repair_clear(loop, kRepairBackend);
  fd_reify(loop);
  if (loop->pending.any())
    timeout = 0.;
  poll_general(loop, state(loop), timeout);
}

void poll_general(ev_loop *loop, iouring_state *st, ev_tstamp timeout)
{
  // What a stream's stop set aside, see iouring_stream.cc (t), goes first, as the wait that follows
  // would have reported it: no block if it queued callbacks, and the refill that it may ask for.
  if (st->set_aside.count) {
    reap(loop, st);
    if (st->refill)
      epoll_refill(loop, st);
    if (loop->pending.any() || streams_due(loop))
      timeout = 0.;
  }
  if (st->r.fd < 0 || st->epfd < 0)
    return poll_without_ring(loop, st, timeout);
  if (st->epfd_lost)
    return;                            // the next iteration's repair makes a new set, see iouring.cc (e)
  if (st->adopted || adopt(loop, st))  // adopted, the poll came for what a stop set aside
    iouring_poll(loop, timeout);
}

// The end of poll_in_ring but for its common case, with the enter's result res for n requests,
// or kNotEntered, and the ring's waits of every unusual case after it, until the caller's deadline
// as far as the loop knows it, never later than its next timer.  An enter that did not take the
// whole queue, or failed with res < 0: with nothing to submit, ETIME is the timeout and EINTR a
// signal; with something, the kernel reports neither; a ring that refuses this thread, see (m),
// is replaced and waited on; the rest is entered again, EBUSY and EAGAIN after reaping, which makes
// room, see (i).  A wait that came back with no completion ended by its timeout or a signal, whose
// wake-up may wait for an enter, see (n), and that ends the iteration as an interrupted epoll_wait
// does, since check watchers may look at the handler's work; a wait that failed requests alone
// ended, whose successors go now, iouring.cc (b), goes on.
void poll_rest(ev_loop *loop, iouring_state *st, int res, unsigned n, ev_tstamp timeout)
{
  ring &r = st->r;
  // mn_now + timeout is never past the loop's deadline: a resumed wait may end early, never late.
  const ev_tstamp deadline = timeout > 0. ? loop->mn_now + timeout : 0.;
  for (int busy = 0;;) {
    bool again = false;
    if (res != kNotEntered && res != static_cast<int>(n)) {
      const int err = res < 0 ? -res : EAGAIN;
      if (res >= 0 || n)
        r.sq_submitted = r.sq_local_tail - sq_pending(r);
      if (err == ETIME || err == EINTR) {
        if (err == EINTR && (load_acquire(r.sq_flags) & IORING_SQ_TASKRUN))
          ring_enter(r, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0);
        reap(loop, st);
        return;
      }
      if (res < 0 && enter_refused_by_thread(loop, st, err)) {
        if (st->foreign) {
          reap(loop, st);
          return poll_on_new_ring(loop, timeout);
        }
      } else if ((err != EBUSY && err != EAGAIN) || ++busy > 3) {
        // Lost with EBADF or EOPNOTSUPP, refused with a seccomp filter's EPERM, or the kernel short
        // of memory for good: a new ring before the next poll, or none, see (k).
        reap(loop, st);
        return ring_broken(loop, st, err);
      }
      again = true;
    }
    const int came = reap(loop, st);
    // With defer-taskrun an enter runs only part of the work that posts completions, see (n).
    for (int round = 0; round < 64 && (load_acquire(r.sq_flags) & IORING_SQ_TASKRUN); ++round) {
      if (ring_enter(r, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0) < 0)
        break;
      reap(loop, st);
    }
    if (cq_overflow_flagged(r)) {
      flush_overflow(loop, st);
      reap(loop, st);
    }
    if (st->refill)
      epoll_refill(loop, st);
    if (loop->pending.any() || streams_due(loop) || (!again && (!came || !(timeout > 0.))))
      return;
    ev_tstamp left = 0.;
    if (timeout > 0.) {
      left = deadline - monotonic_now();
      if (left < 1e-6) {
        if (!again)
          return;
        left = 0.;
      }
    }
    if (!st->waiting) {
      if (!make_room(loop, st, 1))
        return;
      queue_wait(st);
    }
    n = r.sq_local_tail - r.sq_submitted;
    store_release(r.sq_tail, r.sq_local_tail);
    res = hooked_wait(loop, -EINTR, [&r, n, left] { return ring_wait(r, n, left > 0., left); });
    if (res == static_cast<int>(n))
      r.sq_submitted = r.sq_local_tail;
  }
}

bool iouring_init(ev_loop *loop)
{
  iouring_state *st = backend_state_new<iouring_state>(loop->backend_state);
  st->r.fd = st->epfd = -1;
  st->allowed = features_allowed_by_environment();
  st->precise = loop->flags & EVFLAG_NG_PRECISE_TIMERS;
  if (open_ring_and_set(loop, st))
    return true;
  iouring_destroy(loop);
  return false;
}

void iouring_destroy(ev_loop *loop)
{
  iouring_state *st = state(loop);
  if (!st)
    return;
  drain(loop, st);  // see (k)
  events_release(st);
  ring_close(st->r, st->lost);
  streams_release(st);
  if (st->epfd >= 0 && !st->epfd_lost)
    ::close(st->epfd);
  ev_free(st->ctl);
  st->set_aside.release();
  st->always_ready.release();
  st->heads.release();
  backend_state_free(loop->backend_state);
  loop->backend_fd = -1;
}

// A new ring and set, every fd queued for registering, after a fork or a loss, see (k), or when the
// loop gave the ring's wait up.  Without them, the program's watchers get EV_ERROR; the loop's own
// are registered once there are some.
void iouring_fork(ev_loop *loop)
{
  iouring_state *st = state(loop);
  if (!replace_ring(loop, st))
    fd_kill_every_user_watcher(loop);
  fd_rearm_all(loop);
}

// See (l): an embedded loop waits with epoll_wait, its set the fd the embedding loop watches.
void iouring_embedded(ev_loop *loop)
{
  iouring_state *st = state(loop);
  st->embedded = true;
  if (st->ring_wait)
    iouring_fork(loop);
}

// See (k).  Only async-signal-safe calls: ring_drop_in_child closes and unmaps.
void iouring_child_after_fork(ev_loop *loop)
{
  iouring_state *st = state(loop);
  if (!st)
    return;
  ring_drop_in_child(st->r);
  if (st->epfd >= 0 && !st->epfd_lost) {
    ::close(st->epfd);  // see iouring.cc (f)
    st->epfd = -1;
  }
  st->adopted = st->lost = st->foreign = false;
  update_general(st);
  loop->backend_fd = -1;
  ++loop->backend_fd_generation;
}

// See (j): a ring with what the environment allows, made and given up once a process.
bool iouring_usable()
{
  static constinit std::atomic<int> known{0};  // 1: usable, 2: not
  int k = known.load(std::memory_order_relaxed);
  if (!k) {
    ring r;
    k = ring_open(r, features_allowed_by_environment()) ? 1 : 2;
    ring_close(r, false);
    known.store(k, std::memory_order_relaxed);
  }
  return k == 1;
}

// The sweep's recheck (backend.h), see (g): a renewed change, whose MOD finds another file with
// ENOENT and adds it.
void iouring_recheck(ev_loop *loop, int fd) { loop->fds.change(fd, EV__IOFDSET); }

}  // namespace ev_detail::iouring_internal
