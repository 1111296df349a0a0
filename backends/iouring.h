// SPDX-License-Identifier: BSD-2-Clause
// backends/iouring.h - the io_uring backend's state, and what its hot paths in backends/iouring.cc
// (its table's modify and poll) and its rare paths share: the requests' templates and queueing.
// Readiness is an epoll set's (backends/epoll_set.h), level-triggered as on epoll; what the ring
// saves is a system call per change of the set.  The set's rules and the quirks (a)-(f) cited here
// are in backends/iouring.cc, the ring's life and (g)-(n) in backends/iouring_life.cc, the ring
// itself in backends/iouring_ring.h.
#pragma once

#include "backends/epoll_set.h"
#include "backends/iouring_ring.h"
#include "fd/fd.h"

#include <sys/epoll.h>
#include <cerrno>
#include <cstring>

namespace ev_detail::iouring_internal {

using namespace epoll_set;

constexpr unsigned char kAlwaysReady = 0x02;          // fd_entry::bflags: a regular file, EPERM, see (c)
constexpr unsigned char kAddPending = 0x04;           // fd_entry::bflags: an ADD over a registration went, see (b)
constexpr std::uint64_t kInternal = 0xffffffffu;      // user_data's low half of a cancel, which tells nothing
constexpr std::uint32_t kEpollWaitTag = 0xfffffffeu;  // user_data's low half of the EPOLL_WAIT request

using always_ready_list = always_ready_fds<kAlwaysReady>;

struct ring_streams;

// A completion that a stream's stop took from the queue without handling it, see iouring_stream.cc
// (t): handled, in order, before anything newer.
struct set_aside_cqe {
  std::uint64_t user_data;
  int res;
  unsigned flags;
};

// fd_entry use, as backends/epoll_set.h says: bmask = the events registered as far as the requests
// queued say, bdata = the registration's generation.
struct iouring_state {
  ring r;                          // r.fd == -1: no ring, see (k)
  bool general;                    // the poll takes poll_general (update_general)
  bool ring_wait;                  // the wait is an EPOLL_WAIT request in the ring, see (d)
  bool adopted;                    // the polling thread made the ring its own (ring_adopt)
  bool lost;                       // r.fd is not ours any more, see (k)
  bool foreign;                    // the ring refuses this thread (single-issuer): no cancelling through it
  bool embedded;                   // see (l)
  bool waiting;                    // an EPOLL_WAIT request is in flight and owns `events`
  bool refill;                     // more may be ready than the last EPOLL_WAIT reported: epoll_refill
  bool epfd_lost;                  // epfd is not ours any more, see (e)
  bool precise;                    // the wait without the ring takes epoll_pwait2, see (d)
  bool wait_polls;                 // the ring's wait is a poll of the set, for streams, see (d)
  bool stop_wait;                  // a stream's stop waits in the ring: reap sets aside, see set_aside
  bool collect;                    // the next wait in the ring collects, see iouring.cc (w)
  unsigned allowed;                // kFeat* the loop may use: the environment's, less what it gave up
  pid_t owner;                     // the process whose requests the ring holds, see (k)
  int epfd;                        // -1: none
  struct epoll_event *events;      // what a wait reports
  int capacity;                    // of events
  always_ready_list always_ready;  // fds with kAlwaysReady
  struct epoll_event *ctl;         // the event of each queued EPOLL_CTL, by sqe (r.sq_entries)
  array<const void *> heads;       // by fd: its first watcher when it was last registered; zeroed capacity
  unsigned other_mask;             // the EPOLL_CTL requests' sqes are 0 to other_mask, r.sq_entries / 2 - 1
  unsigned other_room;             // other_mask + 1, or 0 without a ring or set (update_general)
  unsigned wait_room;              // the poll takes an EPOLL_WAIT of 1 to wait_room events itself: capacity - 1,
                                   // or 0 without the ring's wait or with its poll (update_wait_room)
  ring_streams *streams;           // io_uring's stream engine (iouring_stream.cc), made by its first stream
  array<set_aside_cqe> set_aside;  // by a stop, from set_aside_head on: the next reap's first
  int set_aside_head;
};

inline iouring_state *state(ev_loop *loop) { return static_cast<iouring_state *>(loop->backend_state); }

// Wherever a condition of iouring_state::general may have changed: no ring or set, a lost set, a
// ring not adopted yet, or completions set aside, which the poll handles before it may block.
inline void update_general(iouring_state *st)
{
  const bool have_set = st->r.fd >= 0 && st->epfd >= 0 && !st->epfd_lost;
  st->general = !have_set || !st->adopted || st->set_aside.count;
  st->other_room = have_set ? st->other_mask + 1 : 0;
}

// Wherever the capacity or the kind of wait changed.
inline void update_wait_room(iouring_state *st)
{
  st->wait_room = st->ring_wait && !st->wait_polls && !st->collect ? static_cast<unsigned>(st->capacity - 1) : 0u;
}

inline unsigned sq_pending(const ring &r) { return r.sq_local_tail - load_acquire(r.sq_head); }
inline bool cq_empty(const ring &r) { return load_acquire(r.cq_tail) == *r.cq_head; }
inline bool cq_overflow_flagged(const ring &r) { return load_acquire(r.sq_flags) & IORING_SQ_CQ_OVERFLOW; }

inline bool any_completion(std::uint64_t) { return true; }

// For the rare walks of a stop, a drain and ev_run's end, since reap has its own: the oldest
// completion a stop set aside, then the oldest in the queue, each taken off before the caller
// handles it, since handling it may reap again.  False when there is none, or when `takes`
// refuses the oldest, which stays for whatever reaps next.
template <class Takes>
bool set_aside_pop(iouring_state *st, set_aside_cqe &c, Takes takes)
{
  if (st->set_aside_head >= st->set_aside.count || !takes(st->set_aside.data[st->set_aside_head].user_data))
    return false;
  c = st->set_aside.data[st->set_aside_head++];
  return true;
}
template <class Takes>
bool cq_pop(ring &r, set_aside_cqe &c, Takes takes)
{
  const unsigned head = *r.cq_head;
  if (head == load_acquire(r.cq_tail) || !takes(r.cqes[head & r.cq_mask].user_data))
    return false;
  const io_uring_cqe &q = r.cqes[head & r.cq_mask];
  c = set_aside_cqe{q.user_data, q.res, q.flags};
  store_release(r.cq_head, head + 1);
  return true;
}

// What a poll's enter returns when it made no system call; ring_wait returns a count or -errno.
constexpr int kNotEntered = -0x7fffffff - 1;

// The rare paths, out of line: the set's in backends/iouring.cc, the ring's in iouring_life.cc.
int submit(ev_loop *loop, iouring_state *st);
bool make_room(ev_loop *loop, iouring_state *st, unsigned n);
void ring_broken(ev_loop *loop, iouring_state *st, int err);
bool adopt(ev_loop *loop, iouring_state *st);
void poll_general(ev_loop *loop, iouring_state *st, ev_tstamp timeout);
void poll_on_new_ring(ev_loop *loop, ev_tstamp timeout);
bool submit_changes(ev_loop *loop, iouring_state *st);
void modify_slow(ev_loop *loop, int fd, int oev, int nev);
void iouring_poll(ev_loop *loop, ev_tstamp timeout);
void add_over(iouring_state *st, int fd, fd_entry &e, unsigned want);
void completion_unusual(ev_loop *loop, iouring_state *st, std::uint64_t user_data, int res);
void drop_unwanted(ev_loop *loop, iouring_state *st, int fd);
void wait_done(ev_loop *loop, iouring_state *st, int res);
void epoll_refill(ev_loop *loop, iouring_state *st);
void templates(iouring_state *st);
void wait_template(iouring_state *st);
bool set_open(ev_loop *loop, iouring_state *st);
void events_resize(iouring_state *st, int capacity);
int reap(ev_loop *loop, iouring_state *st);
// What a stop set aside, handled by take_set_aside in order; dropped with a ring given up.
void take_set_aside(ev_loop *loop, iouring_state *st);
void drop_set_aside(iouring_state *st);
void poll_rest(ev_loop *loop, iouring_state *st, int res, unsigned n, ev_tstamp timeout);
void set_wait_error(ev_loop *loop, iouring_state *st, ev_tstamp timeout);
void take_the_rest(ev_loop *loop, iouring_state *st);
void harvest(ev_loop *loop, iouring_state *st);
// queue_reported, out of line, for the rare paths.
void queue_events(ev_loop *loop, iouring_state *st, int n);
int wait_precisely(iouring_state *st, ev_tstamp timeout);
// Before the ring is closed, see (d).  Release: the loop gives up `events`, freed or kept for the
// kernel that holds it.  Unshare: the loop goes on with a ring of its own, so a buffer the kernel
// holds is left to it and the loop takes a new one.
void events_release(iouring_state *st);
void events_unshare(iouring_state *st);

// io_uring's stream engine (backends/iouring_stream.cc, stream_ops in backends/backend.h).  A
// stream's request carries 001 in user_data's top bits, which an EPOLL_CTL's op, 1 to 3 in the top
// two, never does, nor kEpollWaitTag and kInternal, whose top bits are 0.
inline bool is_stream_tag(std::uint64_t user_data) { return user_data >> 61 == 1; }
#if EV_NG_STREAMS
extern const stream_ops iouring_stream_ops;
void stream_completion(ev_loop *loop, iouring_state *st, std::uint64_t user_data, int res, unsigned flags);
// Is it the completion of a stream that stops, or is gone, which makes no watcher pending?
bool stream_completion_quiet(const iouring_state *st, std::uint64_t user_data);
// Before the ring is given up, see iouring_life.cc (k): no request goes any more, and every one in
// flight is cancelled (streams_cancel_all); true while some are in flight.
void streams_drain_begin(iouring_state *st);
void streams_cancel_all(ev_loop *loop, iouring_state *st);
bool streams_busy(const iouring_state *st);
// A new ring: the streams' requests go to it, or the streams to the readiness engine where the
// engine does not run (an embedded loop).  Then, at the end, what the engine holds goes.
void streams_new_ring(ev_loop *loop, iouring_state *st);
void streams_release(iouring_state *st);
#else
// A core without streams' I/O (fd/stream.h: a kit with EV_FEATURES 0) sends no stream request.
inline void stream_completion(ev_loop *, iouring_state *, std::uint64_t, int, unsigned) {}
inline bool stream_completion_quiet(const iouring_state *, std::uint64_t) { return true; }
inline void streams_drain_begin(iouring_state *) {}
inline void streams_cancel_all(ev_loop *, iouring_state *) {}
inline bool streams_busy(const iouring_state *) { return false; }
inline void streams_new_ring(ev_loop *, iouring_state *) {}
inline void streams_release(iouring_state *) {}
#endif

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

// The sqes.  Each entry of the submission queue names its sqe through r.sq_array, and each sqe
// holds its request's template, which `templates` writes when the set, the buffer or its capacity
// changes:
//  - the last, r.sq_mask, is the EPOLL_WAIT, for good;
//  - the first half are the EPOLL_CTL requests: queue entry t takes sqe t & other_mask, whose
//    template has all but the op, the fd and the user_data, and whose event is ctl[t & other_mask].
//    The kernel reads an sqe and copies the event when it takes the entry, and ctl_room keeps
//    under half unsubmitted, so the kernel took the one before with the same sqe;
//  - the one before the last, kSpare, takes a rare request one at a time,
//    such as next_sqe's cancel before a ring is given up.
constexpr unsigned kSpare = 1;  // r.sq_mask - kSpare

// Queue the EPOLL_WAIT request: it completes when the set has events, at
// once if it has some now, writing them into st->events.
inline void queue_wait(iouring_state *st)
{
  ring &r = st->r;
  r.sq_array[r.sq_local_tail++ & r.sq_mask] = r.sq_mask;
  st->waiting = true;
}

// Room for an EPOLL_CTL: fewer than other_mask + 1 unsubmitted, so that none of them has its sqe
// and a wait fits besides.  None without a ring or set, where other_room is 0.
inline bool ctl_room(const ring &r, const iouring_state *st)
{
  return r.sq_local_tail - r.sq_submitted < st->other_room;
}

// Queue one EPOLL_CTL request, op ADD, MOD or DEL, of want's EV_READ, EV_WRITE and kFdEdge for the
// registration whose data, fd and generation, is `data`.  The caller made room.
inline void queue_ctl(iouring_state *st, int op, int fd, unsigned want, std::uint64_t data)
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

// The events a wait reported, epoll_set.h's report_events; forced inline, since the poll takes it
// in every iteration that reports, and the rare paths share one copy (queue_events).
[[gnu::always_inline]] inline void queue_reported(ev_loop *loop, iouring_state *st, int n)
{
  report_events(loop, st->events, n, [loop, st](int fd, fd_entry &) { drop_unwanted(loop, st, fd); });
}

inline int wait_for_events(const iouring_state *st, ev_tstamp timeout)
{
  return epoll_wait(st->epfd, st->events, st->capacity, timeout_to_ms(timeout));
}
inline int wait_without_ring(iouring_state *st, ev_tstamp timeout)
{
  return EV_UNLIKELY(st->precise) ? wait_precisely(st, timeout) : wait_for_events(st, timeout);
}

// The ring's life (backends/iouring_life.cc), for the table.
bool iouring_init(ev_loop *loop);
bool iouring_usable();
void iouring_destroy(ev_loop *loop);
void iouring_fork(ev_loop *loop);
void iouring_recheck(ev_loop *loop, int fd);
void iouring_embedded(ev_loop *loop);
void iouring_child_after_fork(ev_loop *loop);

}  // namespace ev_detail::iouring_internal

namespace ev_detail {

extern const backend_ops iouring_backend;

// The iteration for every backend calls this one through its table (backends/backend.h): an
// iteration of its own would weigh more than the rest of the backend, for an indirect call an
// iteration and a change.
using iouring_policy = table_policy<&iouring_backend>;

}  // namespace ev_detail
