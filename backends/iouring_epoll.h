// SPDX-License-Identifier: BSD-2-Clause
// backends/iouring_epoll.h - the io_uring backend's epoll mode, its hot paths inline, for kernels
// with epoll-wait, Linux 6.15 and later: readiness from an epoll set that IORING_OP_EPOLL_WAIT
// waits for and IORING_OP_EPOLL_CTL requests change, all submitted by the one io_uring_enter that
// waits.  So readiness is epoll's, level-triggered, with no system call per change and no request
// per fd or event.  The rest of the mode, and its quirks (r)-(y) cited here, are in
// backends/iouring_epoll.cc.
#pragma once

#include "backends/iouring.h"

#include <cerrno>

namespace ev_detail::iouring_internal {

using namespace epoll_set;

constexpr std::uint32_t kEpollWaitTag = 0xfffffffeu;  // user_data's low half of the EPOLL_WAIT request
constexpr unsigned char kAddPending = 0x04;           // fd_entry::bflags: an ADD over a registration went, see (s)

// fd_entry use in the epoll mode, as backends/epoll_set.h says: bmask = the events registered as
// far as the requests queued say, bdata = the registration's generation.

// The rare paths, out of line (backends/iouring_epoll.cc).
void epoll_modify_slow(ev_loop *loop, int fd, int oev, int nev);
void epoll_add_over(iouring_state *st, int fd, fd_entry &e, unsigned want);
void epoll_completion_unusual(ev_loop *loop, iouring_state *st, std::uint64_t user_data, int res);
void epoll_drop_unwanted(ev_loop *loop, iouring_state *st, int fd);
void epoll_wait_done(ev_loop *loop, iouring_state *st, int res);
void epoll_report_always_ready(ev_loop *loop, iouring_state *st);
void epoll_embedded_after_reap(ev_loop *loop, iouring_state *st);
void epoll_refill(ev_loop *loop, iouring_state *st);
void epoll_template(iouring_state *st);
void epoll_wait_template(iouring_state *st);
bool epoll_set_open(ev_loop *loop, iouring_state *st);
void epoll_events_resize(iouring_state *st, int capacity);
// Before the ring is closed, see iouring_epoll.cc (u).  Release: the loop gives up `events`, freed
// or kept for the kernel that holds it.  Unshare: the loop goes on with a ring of its own, so a
// buffer the kernel holds is left to it and the loop takes a new one.
void epoll_events_release(iouring_state *st);
void epoll_events_unshare(iouring_state *st);

// An EPOLL_CTL request's user_data: its registration's data and op, for its failure.
constexpr std::uint64_t ctl_tag(std::uint64_t data, int op) { return data | (static_cast<std::uint64_t>(op) << 62); }

// What the watchers' events want of the set, and that as epoll's bits, each a table, a load:
// EV_READ, EV_WRITE and kFdEdge, or nothing without EV_READ or EV_WRITE, since EV_NG_EXCLUSIVE is
// the epoll backend's only; EV__IOFDSET does not count.  Generations have epoll_set.h's 30 bits, so
// that an EPOLL_CTL's user_data holds its op too.
constexpr unsigned char want_of(unsigned ev)
{
  return static_cast<unsigned char>(ev & (EV_READ | EV_WRITE) ? ev & (EV_READ | EV_WRITE | kFdEdge) : 0);
}
struct want_tables {
  unsigned char want[128];
  std::uint32_t bits[64];
  constexpr want_tables() : want(), bits()
  {
    for (unsigned ev = 0; ev < 128; ++ev)
      want[ev] = want_of(ev);
    for (unsigned w = 0; w < 64; ++w)
      bits[w] = epoll_bits(w);
  }
};
constexpr want_tables kWant;
static_assert(kFdEvents < 128 && !(kFdEvents & EV__IOFDSET) && (EV_READ | EV_WRITE | kFdEdge) < 64);

// The sqes of the epoll mode.  Each entry of the submission queue names its
// sqe through r.sq_array, and each sqe holds its request's template, which
// epoll_template writes when the set, the buffer or its capacity changes:
//  - the last, r.sq_mask, is the EPOLL_WAIT, for good;
//  - the first half are the EPOLL_CTL requests: queue entry t takes sqe t & other_mask, whose
//    template has all but the op, the fd and the user_data, and whose event is ctl[t & other_mask].
//    The kernel reads an sqe and copies the event when it takes the entry, and epoll_room keeps
//    under half unsubmitted, so the kernel took the one before with the same sqe;
//  - the one before the last, kSpare, takes a rare request one at a time,
//    such as next_sqe's cancel before a ring is given up.
constexpr unsigned kSpare = 1;  // r.sq_mask - kSpare

// Queue the EPOLL_WAIT request: it completes when the set has events, at
// once if it has some now, writing them into st->events.
inline void epoll_queue_wait(iouring_state *st)
{
  ring &r = st->r;
  r.sq_array[r.sq_local_tail++ & r.sq_mask] = r.sq_mask;
  st->waiting = true;
}

// Room for an EPOLL_CTL: fewer than other_mask + 1 unsubmitted, so that none of them has its sqe
// and a wait fits besides.  None without a ring or set, where other_room is 0.
inline bool epoll_room(const ring &r, const iouring_state *st)
{
  return r.sq_local_tail - r.sq_submitted < st->other_room;
}

// Queue one EPOLL_CTL request, op ADD, MOD or DEL, of want's EV_READ, EV_WRITE and kFdEdge for the
// registration whose data, fd and generation, is `data`.  The caller made room.
[[gnu::always_inline]] inline void epoll_queue_ctl(iouring_state *st, int op, int fd, unsigned want, std::uint64_t data)
{
  ring &r = st->r;
  const unsigned t = r.sq_local_tail++;
  const unsigned i = t & st->other_mask;
  r.sq_array[t & r.sq_mask] = i;
  struct epoll_event &pe = st->ctl[i];
  pe.events = kWant.bits[want];
  pe.data.u64 = data;
  io_uring_sqe *sqe = &r.sqes[i];
  sqe->off = static_cast<std::uint64_t>(fd);
  sqe->len = static_cast<unsigned>(op);
  sqe->user_data = ctl_tag(data, op);
}

// The backend's modify (backend.h) in the epoll mode decides here what asks nothing of the kernel:
// the stop of an fd's last watcher keeps its registration, epoll_set.h's rule 3, and a start may
// find the registration it wants.  It also queues the common requests of (s) in iouring_epoll.cc;
// the rest is epoll_modify_slow's.  A MOD carries the fd's generation, so it ends kAddPending: an
// EEXIST to the ADD it follows then leaves the generation alone.
inline void iouring_epoll_modify(ev_loop *loop, int fd, fd_entry &e, int oev, int nev, const int *)
{
  const unsigned want = kWant.want[nev & 0x7f];
  // An always-ready fd goes to epoll_modify_slow, which decides whether it stays one.
  if (EV_LIKELY(!(e.bflags & kAlwaysReady))) {
    if (registration_stands(e, oev, nev, want))
      return;
    iouring_state *st = state(loop);
    if (EV_LIKELY(epoll_room(st->r, st))) {
      // Every registered fd has its entry in heads, see register_fd.
      if (e.bmask) {
        // Maybe another file, after ev_io_set on an fd that had no watchers, or by another watcher
        // than the one registered for the same events.
        if ((nev & EV__IOFDSET) && (!oev || (e.bmask == want && st->heads.data[fd] != e.head)))
          return epoll_add_over(st, fd, e, want);
        // Maybe another file: the next generation, epoll_set.h's rule 2.
        if (may_be_another_file(oev, nev))
          e.bdata = next_gen(e.bdata);
        epoll_queue_ctl(st, EPOLL_CTL_MOD, fd, want, registration_data(fd, e.bdata));
        e.bflags &= static_cast<unsigned char>(~kAddPending);
      } else {
        if (fd >= st->heads.capacity)
          return epoll_modify_slow(loop, fd, oev, nev);
        st->heads.data[fd] = e.head;
        epoll_queue_ctl(st, EPOLL_CTL_ADD, fd, want, registration_data(fd, e.bdata = next_gen(e.bdata)));
      }
      e.bmask = static_cast<unsigned char>(want);
      return;
    }
  }
  epoll_modify_slow(loop, fd, oev, nev);
}

// The events an EPOLL_WAIT reported, epoll_set.h's report_events.
[[gnu::always_inline]] inline void epoll_queue_reported(ev_loop *loop, iouring_state *st, int n)
{
  report_events(loop, st->events, n, [loop, st](int fd, fd_entry &) { epoll_drop_unwanted(loop, st, fd); });
}

// The completions but for the common case, which the poll takes itself: the EPOLL_WAIT's events and
// failed EPOLL_CTL requests, successes posting none (IOSQE_CQE_SKIP_SUCCESS).  Returns how many.
int epoll_reap(ev_loop *loop, iouring_state *st);
// The poll's end but for the common case that iouring_epoll_poll takes.
void epoll_poll_rest(ev_loop *loop, iouring_state *st, ev_tstamp timeout, bool hooks);

// The backend's poll (backend.h) in the epoll mode: the EPOLL_WAIT request,
// unless one is in flight, and the EPOLL_CTL requests queued go with one
// io_uring_enter, which waits for a completion with ext-arg's timeout.
[[gnu::always_inline]] inline void iouring_epoll_poll(ev_loop *loop, ev_tstamp timeout, bool hooks)
{
  iouring_state *st = state(loop);
  if (EV_UNLIKELY(st->general))
    return poll_general(loop, st, timeout, hooks);
  ring &r = st->r;
  if (!st->waiting)
    epoll_queue_wait(st);
  const unsigned n = r.sq_local_tail - r.sq_submitted;
  auto enter = [&r, n, timeout] {
    if (!(n || timeout > 0. || (load_acquire(r.sq_flags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW))))
      return kNotEntered;
    store_release(r.sq_tail, r.sq_local_tail);
    return ring_wait(r, n, timeout > 0., timeout);
  };
  const int res = hooks ? hooked_wait(loop, -EINTR, enter) : enter();
  if (res != kNotEntered) {
    if (EV_UNLIKELY(res != static_cast<int>(n))) {
      // The timeout of a wait that submitted nothing: if nothing came, there is nothing to do.
      if (res == -ETIME && load_acquire(r.cq_tail) == *r.cq_head && st->wait_room)
        return;
      return poll_refused(loop, st, res, n, timeout, hooks);
    }
    r.sq_submitted = r.sq_local_tail;  // the epoll mode has no prearm_end, nor dirty sqes
  }
  // The common case: one completion, the EPOLL_WAIT's, with events and
  // room to spare in the buffer, and nothing for poll_unusual: wait_room.
  const unsigned head = *r.cq_head;
  const unsigned ready = load_acquire(r.cq_tail) - head;
  const io_uring_cqe &c = r.cqes[head & r.cq_mask];
  if (EV_LIKELY(ready == 1 && c.user_data == kEpollWaitTag && static_cast<unsigned>(c.res - 1) < st->wait_room)) {
    const int got = c.res;
    store_release(r.cq_head, head + 1);
    st->waiting = false;
    return epoll_queue_reported(loop, st, got);
  }
  // Nothing came, and nothing was waited for: EVRUN_NOWAIT, pending work.

  if (!ready && !(timeout > 0.) && st->wait_room)
    return;
  epoll_poll_rest(loop, st, timeout, hooks);
}

}  // namespace ev_detail::iouring_internal

namespace ev_detail {

extern const backend_ops iouring_epoll_backend;

// The policy (backends/backend.h): the epoll mode's hot paths, for the
// iteration of its own; its wait takes no report.
struct iouring_epoll_policy {
  static constexpr const backend_ops *ops = &iouring_epoll_backend;
  static void modify(ev_loop *loop, int fd, fd_entry &e, int oev, int nev, const int *errp)
  {
    iouring_internal::iouring_epoll_modify(loop, fd, e, oev, nev, errp);
  }
  [[gnu::always_inline]] static int wait(ev_loop *loop, ev_tstamp timeout, bool hooks, const ev_io *)
  {
    iouring_internal::iouring_epoll_poll(loop, timeout, hooks);
    return 0;
  }
};

}  // namespace ev_detail
