// SPDX-License-Identifier: BSD-2-Clause
// backends/iouring.cc - the Linux io_uring(7) backend (EVBACKEND_IOURING): an epoll set changed by
// IORING_OP_EPOLL_CTL requests (Linux 5.6), through raw system calls, so the library needs only
// libc, no liburing.  Readiness is epoll's, level-triggered, on every kernel it runs on; what the
// ring saves is a system call per change of the set.  Here are its table, whose modify and poll
// take the hot paths inline from backends/iouring.h, and what a wait without the ring does in
// every iteration with changes; the rare paths of the set are in backends/iouring_set.cc, the
// ring's life in backends/iouring_life.cc, the ring in backends/iouring_ring.h.
//
// Kernel quirks handled here, besides the interest set's rules in backends/epoll_set.h, shared with
// epoll.cc: generations, lazy removal, EPOLLERR and EPOLLHUP, always-ready files.
//  (a) IORING_OP_EPOLL_CTL requests change the set, submitted by the next io_uring_enter: no system
//      call of their own.  With IOSQE_CQE_SKIP_SUCCESS, cqe-skip, they post a completion only on
//      failure; without, every one posts one, reaped with the failures.  So a change is one
//      request, chosen by what is likely, where epoll.cc asks the kernel at once.
//  (b) An ADD with a new generation goes for an fd with no registration, or for one renewed by
//      ev_io_set whose last watcher was stopped since or where another watcher than the one
//      registered wants the same events: a new connection that got a closed one's number.  Other
//      changes are a MOD: ev_io_set on the watcher registered, a re-arm; a watcher for other
//      events, such as a socket's writer after its reader; a restart without ev_io_set, the same
//      file by libev's contract.  A wrong guess costs a completion and the other request, one
//      system call as for epoll.cc's ADD answered EEXIST: an ADD answered EEXIST is the same file,
//      registered, and gets a MOD; a MOD answered ENOENT is another file and gets an ADD, both sent
//      by the same poll, which reports what the fd has ready as epoll.cc would.  An ADD over a
//      registration, kAddPending, carries the next generation, the fd's from then on, so an event of
//      the old one is another file's registration, epoll_set.h's rule 1.  It holds as an EEXIST
//      gives the fd its old generation back, and its completion is reaped before the events the
//      poll that submitted it takes.  A MOD where the number may be another file, such as
//      ev_io_set's renewal of the watcher registered, takes the next generation too when queued,
//      rule 2: on the same file the registration has it before the wait reports; on another file
//      the MOD fails, and the old file's registration, kept in the set by a dup, a forked child or
//      SCM_RIGHTS, reports the old one.  Other errors give EV_ERROR as in epoll.cc.
//  (c) Regular files, EPERM as in epoll.cc's (c), are always ready, epoll_set.h's rule 5: their
//      watchers get their events in every iteration, which does not block.
//  (d) Two waits, one set.  Where the ring has epoll-wait (Linux 6.15) with ext-arg, cqe-skip and
//      defer-taskrun, and the loop is not embedded, the wait is an IORING_OP_EPOLL_WAIT request,
//      sent with the changes by the one io_uring_enter that waits (poll_in_ring): a system call an
//      iteration.  It completes when the set has events, at once if it has some, and writes them
//      into `events`, which is the kernel's while the request is in flight: it grows between waits
//      only, and a wait that timed out stays in flight for the next poll.  Before the ring is given
//      up, iouring_life.cc's drain cancels it and waits for it; where it cannot, the buffer is left
//      to it on a process-wide list, never freed under the kernel.  Without defer-taskrun the
//      request would complete as soon as one fd is ready, perhaps while callbacks run, so that fds
//      ready later waited for the next iteration: hence that condition.  Everywhere else the
//      changes are submitted, when there are any, and epoll_wait waits (poll_by_epoll_wait), or
//      epoll_pwait2 for EVFLAG_NG_PRECISE_TIMERS where the kernel has it, as epoll.cc's (i): two
//      system calls an iteration with changes, one without, where epoll makes one per change and
//      one to wait.  The set is backend_fd then, and the failures are reaped before the wait.
//      A poll request on the set in the enter that waits, then epoll_wait without a timeout to
//      harvest, would make two calls in every iteration that reports events, where this makes
//      two only in iterations with changes (DESIGN.md; bench/README.md, "On io_uring").
//  (e) The set's fd may be closed behind the loop's back, or its number be another file now,
//      epoll.cc's (h).  An EPOLL_WAIT in flight holds the old set and goes on reporting it, but
//      every request sent since fails with EBADF or EINVAL, as for a bad fd; refusal_of tells
//      which, as in epoll.cc.  A lost set is rebuilt with the ring, every fd registered anew, no
//      watcher told of an error not its fd's, and the old ring's drain ends the wait that held it.
//  (f) A forked child shares the epoll set: it gets one of its own with its ring, and fork(3)'s
//      child handler closes its copy, iouring_life.cc's (k).
//  (w) The io collect interval: where the loop waits in the ring and the kernel has min-wait (Linux
//      6.12), the loop does not sleep before the poll (loop/loop_run.cc); the enter that submits
//      waits for as many completions as the CQ holds, and returns once the window passed with what
//      came, or at the first completion after it, or at the timeout: one system call where the sleep
//      made two, and what the last callbacks queued is sent before the window, not after it.  An
//      EPOLL_WAIT reports what was ready when it completed, so one that completes in a collecting
//      wait is taken as a refill's, see (b): the fds ready at the window's end are reported by the
//      refill's, as after libev's sleep.  Elsewhere, before 6.12, and in an embedded loop the loop
//      sleeps.
#include "backends/iouring.h"

#include <cerrno>

namespace ev_detail::iouring_internal {

namespace {

// The backend's modify (backend.h) decides here what asks nothing of the kernel: the stop of an
// fd's last watcher keeps its registration, epoll_set.h's rule 3, and a start may find the
// registration it wants.  It also queues the common requests of (b); the rest is modify_slow's.  A
// MOD carries the fd's generation, so it ends kAddPending: an EEXIST to the ADD it follows then
// leaves the generation alone.
void iouring_modify(ev_loop *loop, int fd, int oev, int nev)
{
  fd_entry &e = loop->fds.entries[fd];
  const unsigned want = kWant.want[nev & 0x7f];
  // An always-ready fd goes to modify_slow, which decides whether it stays one.
  if (EV_LIKELY(!(e.bflags & kAlwaysReady))) {
    if (registration_stands(e, oev, nev, want))
      return;
    iouring_state *st = state(loop);
    if (EV_LIKELY(ctl_room(st->r, st))) {
      // Every registered fd has its entry in heads, see register_fd.
      if (e.bmask) {
        // Maybe another file, after ev_io_set on an fd that had no watchers, or by another watcher
        // than the one registered for the same events.
        if ((nev & EV__IOFDSET) && (!oev || (e.bmask == want && st->heads.data[fd] != e.head)))
          return add_over(st, fd, e, want);
      } else if (fd >= st->heads.capacity)
        return modify_slow(loop, fd, oev, nev);
      else
        st->heads.data[fd] = e.head;
      // An ADD, or maybe another file: the next generation, epoll_set.h's rule 2.
      if (!e.bmask || may_be_another_file(oev, nev))
        e.bdata = next_gen(e.bdata);
      queue_ctl(st, e.bmask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, want, registration_data(fd, e.bdata));
      e.bflags &= static_cast<unsigned char>(~kAddPending);
      e.bmask = static_cast<unsigned char>(want);
      return;
    }
  }
  modify_slow(loop, fd, oev, nev);
}

// The wait in the ring, see (d): the EPOLL_WAIT request, unless one is in flight, and the EPOLL_CTL
// requests queued go with one io_uring_enter, which waits for a completion with ext-arg's timeout.
// Returns the events of the common case, one completion, the EPOLL_WAIT's, with events and room to
// spare in the buffer, for the caller to queue; else 0, poll_rest having done the rest.  Forced
// inline: GCC keeps it a call of its one caller, the poll, in every iteration.
[[gnu::always_inline]] inline int poll_in_ring(ev_loop *loop, iouring_state *st, ev_tstamp timeout)
{
  ring &r = st->r;
  if (!st->waiting)
    queue_wait(st);
  const unsigned n = r.sq_local_tail - r.sq_submitted;
  auto enter = [&r, n, timeout] {
    if (!(n || timeout > 0. || (load_acquire(r.sq_flags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW))))
      return kNotEntered;
    store_release(r.sq_tail, r.sq_local_tail);
    return ring_wait(r, n, timeout > 0. ? r.wait_batch : 0u, timeout);
  };
  const int res = hooked_wait(loop, -EINTR, enter);
  if (res != kNotEntered) {
    if (EV_UNLIKELY(res != static_cast<int>(n))) {
      // The timeout of a wait that submitted nothing: if nothing came, there is nothing to do.
      if (res != -ETIME || load_acquire(r.cq_tail) != *r.cq_head)
        poll_rest(loop, st, res, n, timeout);
      return 0;
    }
    r.sq_submitted = r.sq_local_tail;
  }
  const unsigned head = *r.cq_head;
  const unsigned ready = load_acquire(r.cq_tail) - head;
  const io_uring_cqe &c = r.cqes[head & r.cq_mask];
  if (EV_LIKELY(ready == 1 && c.user_data == kEpollWaitTag && static_cast<unsigned>(c.res - 1) < st->wait_room)) {
    const int got = c.res;
    store_release(r.cq_head, head + 1);
    st->waiting = false;
    return got;
  }
  // Nothing came, and nothing was waited for: EVRUN_NOWAIT, pending work.
  if (ready || timeout > 0.)
    poll_rest(loop, st, kNotEntered, 0, timeout);
  return 0;
}

// The wait without the ring, see (d): what is queued is submitted first, unless nothing is, and
// epoll_wait waits.  A failed request reaped there may have queued callbacks: then no block.
// Returns what epoll_wait did.
inline int poll_by_epoll_wait(ev_loop *loop, iouring_state *st, ev_tstamp timeout)
{
  ring &r = st->r;
  if (r.sq_local_tail != r.sq_submitted || (load_acquire(r.sq_flags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)))
    if (EV_UNLIKELY(submit_changes(loop, st))) {
      if (st->foreign) {
        poll_on_new_ring(loop, timeout);  // see iouring_life.cc (m)
        return 0;
      }
      timeout = 0.;
    }
  const int n = hooked_wait(loop, -1, [st, timeout] { return wait_without_ring(st, timeout); });
  if (EV_UNLIKELY(n < 0))
    set_wait_error(loop, st, timeout);
  return n;
}

}  // namespace

// The backend's poll (backend.h): the wait of (d), either way, and the events it reported; with
// always-ready fds, see (c), one that does not block, and their events.
void iouring_poll(ev_loop *loop, ev_tstamp timeout)
{
  iouring_state *st = state(loop);
  if (EV_UNLIKELY(st->general))
    return poll_general(loop, st, timeout);
  const bool always_ready = st->always_ready.any();
  if (EV_UNLIKELY(always_ready))
    timeout = 0.;
  const int n = st->ring_wait ? poll_in_ring(loop, st, timeout) : poll_by_epoll_wait(loop, st, timeout);
  if (n > 0) {
    queue_reported(loop, st, n);
    if (EV_UNLIKELY(n == st->capacity))
      take_the_rest(loop, st);  // a wait without the ring filled the buffer: the ring's never gets here
  }
  if (EV_UNLIKELY(always_ready))
    st->always_ready.report(loop);
}

// The wait without the ring, see (d): submit what is queued and reap what failed, whose successors
// go too, a few rounds at most.  True when callbacks are due or the ring refuses this thread: then
// the wait must not block.  The common case, the whole queue taken and nothing to reap, which is
// every iteration with changes where the kernel has cqe-skip, makes its system call inline.
bool submit_changes(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  if (const unsigned n = r.sq_local_tail - r.sq_submitted) {
    store_release(r.sq_tail, r.sq_local_tail);
    const unsigned flags = r.features & kFeatDeferTaskrun ? IORING_ENTER_GETEVENTS : 0u;
    if (EV_LIKELY(ring_enter(r, n, 0, flags, nullptr, 0) == static_cast<int>(n))) {
      r.sq_submitted = r.sq_local_tail;
      // Without cqe-skip every request that succeeded posts a completion, which says nothing.
      unsigned head = *r.cq_head;
      const unsigned tail = load_acquire(r.cq_tail);
      while (head != tail && r.cqes[head & r.cq_mask].res >= 0 &&
             static_cast<std::uint32_t>(r.cqes[head & r.cq_mask].user_data) != kEpollWaitTag)
        ++head;
      store_release(r.cq_head, head);
      if (EV_LIKELY(head == tail && !(load_acquire(r.sq_flags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW))))
        return loop->pending.any();
    }
  }
  for (int round = 0; round < 8; ++round) {
    if (int err = submit(loop, st)) {
      if (st->foreign)
        return true;
      if (err != EBUSY && err != EAGAIN)
        ring_broken(loop, st, err);
      break;
    }
    // With defer-taskrun, or after an overflow, what completed waits for an enter that asks for it.
    if (load_acquire(r.sq_flags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW))
      ring_enter_slow(r, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0);
    if (cq_empty(r))
      break;
    reap(loop, st);
    if (r.sq_local_tail == r.sq_submitted)
      break;
  }
  return loop->pending.any() || st->foreign;
}

// The backend's collect (backend.h), see (w).  A window of more than an hour is the loop's sleep.
bool iouring_collect(ev_loop *loop, ev_tstamp window)
{
  iouring_state *st = state(loop);
  ring &r = st->r;
  const bool collect = window > 0. && window < 3600. && st->ring_wait && !st->general && (r.features & kFeatMinWait);
  r.wait_batch = collect ? r.cq_entries : 1u;
  r.wait_arg.min_wait_usec = collect ? static_cast<std::uint32_t>(window * 1e6) + 1u : 0u;
  if (collect != st->collect) {
    st->collect = collect;
    update_wait_room(st);
  }
  return collect;
}

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
    iouring_modify,
    iouring_poll,
    true,
    [](const ev_loop *) { return true; },  // EPOLLET, in every set the loop makes
    iouring_recheck,
    iouring_embedded,
    iouring_child_after_fork,
    iouring_usable,
#if EV_NG_STREAMS
    &iouring_stream_ops,
#else
    nullptr,
#endif
    iouring_collect,
};

}  // namespace ev_detail
