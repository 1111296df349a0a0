// SPDX-License-Identifier: BSD-2-Clause
// backends/iouring.h - the io_uring backend's poll mode, which the shared iteration calls through
// its table (backends/backend.h), and what its epoll mode shares with it.  The rest, and the kernel
// quirks (a)-(q) cited here, are in backends/iouring.cc; the ring in backends/iouring_ring.h.
#pragma once

#include "backends/epoll_set.h"
#include "backends/iouring_ring.h"
#include "fd/fd.h"

#include <poll.h>
#include <sys/epoll.h>
#include <cstring>

namespace ev_detail::iouring_internal {

constexpr unsigned char kArmed = 0x01;            // fd_entry::bflags: a poll request is live
constexpr unsigned char kAlwaysReady = 0x02;      // fd_entry::bflags, epoll mode: a regular file, EPERM
constexpr std::uint64_t kInternal = 0xffffffffu;  // user_data's low half of our other requests, see (b)

using epoll_mode_always_ready_fds = epoll_set::always_ready_fds<kAlwaysReady>;

// fd_entry use: bflags = kArmed while a poll request is live or queued, bmask = the events it waits
// for, bdata = its generation, the r.sq_local_tail it was queued at.  So a request not submitted
// yet, bdata - r.sq_submitted >= 0, can be changed where it lies, see (a), (b).
struct iouring_state {
  ring r;                  // r.fd == -1: no ring, see (l)
  bool general;            // the poll takes poll_general (update_general)
  bool adopted;            // the polling thread made the ring its own (ring_adopt)
  bool lost;               // r.fd is not ours any more, see (l)
  bool foreign;            // the ring refuses this thread (single-issuer): no cancelling through it
  bool embedded;           // re-arms go through the change queue, see (a), (m)
  bool look_after_reap;    // poll_unusual has work: embedded, or more armed than the ring suits
  unsigned allowed;        // kFeat* the loop may use: the environment's, less what it gave up
  int armed;               // fds with kArmed
  unsigned stale;          // completions of removals queued since the last wait, see (h)
  unsigned prearm_room;    // r.sq_entries, or 0 when embedded: see prearm_end
  unsigned prearm_end;     // reap queues re-arms while r.sq_local_tail is before it, see (a)
  unsigned grow_at;        // more armed fds than this: a larger ring, see (i)
  unsigned want_cq;        // completion queue size for the next ring
  unsigned cq_limit;       // the largest size this kernel gave us, see (i)
  unsigned overflow_seen;  // *cq_overflow when last looked at, see (i)
  pid_t owner;             // the process whose requests the ring holds, see (l)
  array<int> rearm;        // fds whose one-shot poll completed and is to be armed by the next poll, see (a)
  array<unsigned> dirty;   // sqe slots (indexes) written as another request than the template's

  bool epoll_mode;                           // the members below are the epoll mode's
  bool waiting;                              // an EPOLL_WAIT request is in flight and owns `events`
  bool refill;                               // more may be ready than the last one reported: epoll_refill
  bool epfd_lost;                            // epfd is not ours any more
  int epfd;                                  // -1: none
  struct epoll_event *events;                // what an EPOLL_WAIT reports
  int capacity;                              // of events
  epoll_mode_always_ready_fds always_ready;  // fds with kAlwaysReady
  struct epoll_event *ctl;                   // the event of each queued EPOLL_CTL, by sqe (r.sq_entries)
  array<const void *> heads;                 // by fd: its first watcher when it was last registered; zeroed capacity
  unsigned other_mask;                       // the EPOLL_CTL requests' sqes are 0 to other_mask, r.sq_entries / 2 - 1
  unsigned other_room;                       // other_mask + 1, or 0 without a ring or set (update_general)
  unsigned wait_room;  // the poll takes an EPOLL_WAIT of 1 to wait_room events itself: capacity - 1,
                       // or 0 while look_after_reap is set (update_wait_room)
};

inline iouring_state *state(ev_loop *loop) { return static_cast<iouring_state *>(loop->backend_state); }

// Wherever a condition of iouring_state::general may have changed: no ring, a ring not adopted yet,
// a kernel whose wait takes no timeout, or the epoll mode's always-ready fds.
inline void update_general(iouring_state *st)
{
  st->general = st->r.fd < 0 || !st->adopted || !(st->r.features & kFeatExtArg) || st->always_ready.any();
  st->other_room = st->r.fd >= 0 && st->epfd >= 0 && !st->epfd_lost ? st->other_mask + 1 : 0;
}

// Wherever look_after_reap or the epoll mode's capacity changed.
inline void update_wait_room(iouring_state *st)
{
  st->wait_room = st->look_after_reap ? 0u : static_cast<unsigned>(st->capacity - 1);
}

inline std::uint64_t poll_tag(int fd, unsigned gen)
{
  return static_cast<std::uint64_t>(static_cast<std::uint32_t>(fd)) | (static_cast<std::uint64_t>(gen) << 32);
}

// The kernel took the submission queue up to index v, v excluded.
inline void set_submitted(iouring_state *st, unsigned v)
{
  st->r.sq_submitted = v;
  st->prearm_end = v + st->prearm_room;
}

// The request of an armed fd is still in the submission queue, unsubmitted.
inline bool queued(const ring &r, const fd_entry &e) { return static_cast<int>(e.bdata - r.sq_submitted) >= 0; }

// Rare paths, out of line (backends/iouring.cc); the ring's life and general wait serve both modes.
int submit(ev_loop *loop, iouring_state *st);
bool make_room(ev_loop *loop, iouring_state *st, unsigned n);
void ring_broken(ev_loop *loop, iouring_state *st, int err);
bool adopt(ev_loop *loop, iouring_state *st);
io_uring_sqe *next_sqe(iouring_state *st);
void rearm_via_changes(ev_loop *loop, iouring_state *st);
bool open_ring(iouring_state *st, unsigned size);
void ring_opened(ev_loop *loop, iouring_state *st);
void iouring_destroy(ev_loop *loop);
void iouring_fork(ev_loop *loop);
bool iouring_edge_triggered(const ev_loop *loop);
void iouring_recheck(ev_loop *loop, int fd);
void iouring_embedded(ev_loop *loop);
void iouring_child_after_fork(ev_loop *loop);
constexpr unsigned kMinCq = 256;    // completion queue sizes, see (i)
constexpr unsigned kMaxCq = 65536;  // the kernel's limit, IORING_MAX_CQ_ENTRIES
// What a poll's enter returns when it made no system call; ring_wait returns a count or -errno.
constexpr int kNotEntered = -0x7fffffff - 1;
void modify_slow(ev_loop *loop, int fd, int oev, int nev);
void completion_unusual(ev_loop *loop, iouring_state *st, int fd, int res, unsigned flags);
void rearm_room(ev_loop *loop, iouring_state *st, const int *p, const int *end);
void poll_general(ev_loop *loop, iouring_state *st, ev_tstamp timeout, bool hooks);
void poll_refused(ev_loop *loop, iouring_state *st, int res, unsigned n, ev_tstamp timeout, bool hooks);
void poll_unusual(ev_loop *loop, iouring_state *st, int live, ev_tstamp timeout, bool hooks, bool came);
void retemplate(iouring_state *st);

// POLLIN, POLLOUT for EV_READ, EV_WRITE, computed, since a table costs a load.  The field has 16
// bits; with IORING_FEAT_POLL_32BITS the kernel reads 32, the other half zero on both byte orders.
constexpr unsigned short poll_events(int ev) { return static_cast<unsigned short>((ev & 1) | ((ev << 1) & 4)); }
static_assert(EV_READ == 1 && EV_WRITE == 2 && POLLIN == 0x001 && POLLOUT == 0x004);
static_assert(poll_events(EV_READ | EV_WRITE) == (POLLIN | POLLOUT));

// Every free slot of the submission queue holds ring_open's template, a poll request with
// everything zero, so that a poll request is three stores; a slot written as anything else is put
// back once the kernel took it: dirty, retemplate.  Queues a poll for want's EV_READ, EV_WRITE on
// fd, the slot's index its generation; the caller made room.
inline void queue_poll(ring &r, int fd, fd_entry &e, int want)
{
  const unsigned slot = r.sq_local_tail++;
  io_uring_sqe *sqe = &r.sqes[slot & r.sq_mask];
  sqe->fd = fd;
  sqe->poll_events = poll_events(want);
  sqe->user_data = poll_tag(fd, slot);
  e.bdata = slot;
}

// A poll request for an fd not armed.
inline void queue_poll_add(iouring_state *st, int fd, fd_entry &e, int want)
{
  queue_poll(st->r, fd, e, want);
  e.bflags = kArmed;
  e.bmask = static_cast<unsigned char>(want);
  ++st->armed;
}

// Queue the watchers of every completion, as fd_event would, but with the pending mask collected in
// a register and stored once per run.  A one-shot poll that completed is armed again at once with
// the same events, in the submission queue, see (a).  Completions of requests no longer live,
// see (b), count for nothing; errors, hang-ups and multishot polls are completion_unusual's.
// Returns the completions of live polls; inline, since every iteration takes it.
[[gnu::always_inline]] inline int reap(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  unsigned head = *r.cq_head;
  unsigned tail = load_acquire(r.cq_tail);
  int live = 0;
  while (head != tail) {
    const io_uring_cqe *unusual = nullptr;
    {
      pending_queues::feed_run run(loop->pending);
      fd_entry *const entries = loop->fds.entries;
      const auto size = static_cast<std::uint32_t>(loop->fds.size);
      do {
        const io_uring_cqe &c = r.cqes[head++ & r.cq_mask];
        const auto fd = static_cast<std::uint32_t>(c.user_data);
        if (fd >= size)
          continue;  // kInternal, see (b)
        fd_entry &e = entries[fd];
        if (!(e.bflags & kArmed) || e.bdata != static_cast<unsigned>(c.user_data >> 32))
          continue;  // not live, see (b)
        ++live;
        const int res = c.res;
        // A multishot poll's flags, an error's negative res, POLLERR, POLLHUP, POLLNVAL.
        if (EV_UNLIKELY(c.flags | (static_cast<unsigned>(res) & (0x80000000u | POLLERR | POLLHUP | POLLNVAL)))) {
          unusual = &c;
          break;
        }
        const int got = (res & POLLIN) | ((res & POLLOUT) >> 1);  // EV_READ, EV_WRITE
        static_assert(EV_READ == 1 && EV_WRITE == 2 && POLLIN == 1 && POLLOUT == 4);
        const WL head_w = e.head;
        for (WL w = head_w; w; w = w->next) {
          int rev = reinterpret_cast<ev_io *>(w)->events & got;
          if (rev)
            run.feed(as_w(w), rev);
        }
        if (EV_LIKELY(head_w && static_cast<int>(st->prearm_end - r.sq_local_tail) > 0)) {
          queue_poll(r, static_cast<int>(fd), e, e.bmask);
          continue;
        }
        e.bflags = 0;
        --st->armed;
        if (head_w)
          st->rearm.push(static_cast<int>(fd));
      } while (head != tail);
    }
    if (EV_UNLIKELY(unusual != nullptr)) {
      // The slot stays ours until the head is stored.
      const auto fd = static_cast<int>(static_cast<std::uint32_t>(unusual->user_data));
      completion_unusual(loop, st, fd, unusual->res, unusual->flags);
    }
    if (head == tail)
      tail = load_acquire(r.cq_tail);  // more may have come meanwhile
  }
  store_release(r.cq_head, head);
  return live;
}

// Arm the one-shot polls that completed in the last poll again, now that their callbacks ran, where
// reap could not queue them: a full queue, an embedded loop, an error, see (a).  An fd whose
// watchers changed meanwhile was armed by fd_reify already; one without watchers is not.
inline void rearm_completed(ev_loop *loop, iouring_state *st)
{
  const int *p = st->rearm.data;
  const int *const end = p + st->rearm.count;
  st->rearm.count = 0;
  rearm_room(loop, st, p, end);
}

// The backend's poll (backend.h): one io_uring_enter submits the queued changes and re-arms and
// waits for a completion with ext-arg's timeout; the removals' completions are added to
// min_complete, see (h).  A poll that neither waits nor submits makes no system call.
[[gnu::always_inline]] inline void iouring_poll(ev_loop *loop, ev_tstamp timeout, bool hooks)
{
  iouring_state *st = state(loop);
  if (EV_UNLIKELY(st->general))
    return poll_general(loop, st, timeout, hooks);
  ring &r = st->r;
  if (EV_UNLIKELY(st->rearm.count))
    rearm_completed(loop, st);
  const unsigned n = r.sq_local_tail - r.sq_submitted;
  const bool wait = timeout > 0.;
  const unsigned wanted = st->stale + wait;  // what the wait waits for; the enter resets stale
  // With defer-taskrun, completions wait for an enter, which the flag asks for.  A poll that does
  // not wait still waits for removals' completions, so that the kernel frees their files now.
  auto enter = [&r, st, n, wait, timeout] {
    if (!(wait || n || (load_acquire(r.sq_flags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW))))
      return kNotEntered;
    store_release(r.sq_tail, r.sq_local_tail);
    unsigned min_complete = st->stale + wait;
    if (EV_UNLIKELY(min_complete > r.cq_entries))
      min_complete = r.cq_entries;
    return ring_wait(r, n, min_complete, timeout);
  };
  const int res = hooks ? hooked_wait(loop, -EINTR, enter) : enter();
  if (res != kNotEntered) {
    if (EV_UNLIKELY(res != static_cast<int>(n)))
      return poll_refused(loop, st, res, n, timeout, hooks);
    set_submitted(st, r.sq_local_tail);
    st->stale = 0;
    if (EV_UNLIKELY(st->dirty.count))
      retemplate(st);
  }
  // An overflow with nodrop is flushed by the next enter, which the flag asks for above; without
  // nodrop, look_after_reap is set for good.  With defer-taskrun, the flag still set means that the
  // kernel posted only part of what completed, see (q).

  const unsigned head = *r.cq_head;
  const int live = reap(loop, st);
  if (EV_UNLIKELY((!live & wait) | st->look_after_reap | !!(load_acquire(r.sq_flags) & IORING_SQ_TASKRUN)))
    poll_unusual(loop, st, live, timeout, hooks, *r.cq_head - head >= (wanted < r.cq_entries ? wanted : r.cq_entries));
}

}  // namespace ev_detail::iouring_internal

namespace ev_detail {

extern const backend_ops iouring_backend;

using iouring_policy = table_policy<&iouring_backend>;

}  // namespace ev_detail
