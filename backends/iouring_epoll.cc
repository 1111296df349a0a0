// SPDX-License-Identifier: BSD-2-Clause
// backends/iouring_epoll.cc - the io_uring backend's epoll mode, taken for EVBACKEND_IOURING where
// the kernel has IORING_OP_EPOLL_WAIT; backends/iouring_epoll.h has the hot paths.  The ring's
// life, features, fork, embedding and cancelling before a ring is given up, is the poll mode's in
// backends/iouring.cc, whose quirks (g)-(q) hold here too.
//
// Kernel quirks handled here, besides the interest set's rules in backends/epoll_set.h, shared with
// epoll.cc: generations, lazy removal, EPOLLERR and EPOLLHUP, always-ready files.
//  (r) IORING_OP_EPOLL_CTL requests change the set, submitted by the io_uring_enter that waits: no
//      system call of their own.  With IOSQE_CQE_SKIP_SUCCESS they post a completion only on
//      failure, which ends the wait; so a change is one request, chosen by what is likely, where
//      epoll.cc asks the kernel at once.
//  (s) An ADD with a new generation goes for an fd with no registration, or for one renewed by
//      ev_io_set whose last watcher was stopped since or where another watcher than the one
//      registered wants the same events: a new connection that got a closed one's number.  Other
//      changes are a MOD: ev_io_set on the watcher registered, a re-arm; a watcher for other
//      events, such as a socket's writer after its reader; a restart without ev_io_set, the same
//      file by libev's contract.  A wrong guess costs a completion and the other request, one
//      system call as for epoll.cc's ADD answered EEXIST: an ADD answered EEXIST is the same file,
//      registered, and gets a MOD; a MOD answered ENOENT is another file and gets an ADD, both sent
//      by the same poll (epoll_refill), which reports what the fd has ready as epoll.cc would.  An
//      ADD over a registration, kAddPending, carries the next generation, the fd's from then on, so
//      an event of the old one is another file's registration, epoll_set.h's rule 1.  It holds as
//      an EEXIST gives the fd its old generation back, and its completion is reaped before the
//      events taken by the enter that submitted it; with defer-taskrun the wait in flight takes
//      them there.  A MOD where the number may be another file, such as ev_io_set's renewal of the
//      watcher registered, takes the next generation too when queued, rule 2: on the same file the
//      registration has it before the wait reports; on another file the MOD fails, and the old
//      file's registration, kept in the set by a dup, a forked child or SCM_RIGHTS, reports the old
//      one even where the wait's completion is reaped before the failure's, as after submitting a
//      full queue amid the changes.  Other errors give EV_ERROR as in epoll.cc.
//  (t) Regular files, EPERM as in epoll.cc's (c), are always ready, epoll_set.h's rule 5: their
//      watchers get their events in every iteration, which does not block.
//  (u) The EPOLL_WAIT request completes when the set has events, at once if it has some, and writes
//      them into `events`.  While it is in flight the buffer is the kernel's: it grows between
//      waits only, and a wait that timed out stays in flight for the next poll.  Before the ring is
//      given up, drain in iouring.cc cancels the request and waits for it; where it cannot, when
//      another thread takes over a single-issuer ring, iouring.cc's (n), once per loop, or when the
//      cancel is refused, the buffer is left to it on a process-wide list, never freed under the
//      kernel.  A wait the kernel never took leaves the buffer the loop's.  A thread that exits
//      cancels the wait with -ECANCELED, iouring.cc's (n), and the next poll sends another.
//  (v) Embedding: the ring fd is readable once the EPOLL_WAIT completed, so a new one must be in
//      flight before the embedding loop blocks again, but only after the callbacks of the events
//      taken ran, or it would report them again.  The embedding loop runs us before it blocks only
//      when we have fd changes, so after the events were taken, the ring fd's own number, which no
//      watcher has, is queued as a renewed change whose modify sends the EPOLL_WAIT.
//  (w) A forked child shares the epoll set: it gets one of its own with its ring, iouring.cc's (l),
//      and fork(3)'s child handler closes its copy.
//  (x) An EPOLL_WAIT in flight reports what is ready when it completes.  With defer-taskrun that is
//      in the loop's io_uring_enter, the poll, as epoll_wait would.  Without, it completes as soon
//      as one fd is ready, perhaps while callbacks run, and fds ready later would wait for the next
//      iteration.  So the mode is taken only where the ring has defer-taskrun; where the loop loses
//      it later, when embedded or run by another thread, iouring.cc's (n), every poll that takes a
//      wait sent before it asks again (epoll_refill), one more enter.
//  (y) The set's fd may be closed behind the loop's back, or its number be another file now,
//      epoll.cc's (h).  An EPOLL_WAIT in flight holds the old set and goes on reporting it, but
//      every request sent since fails with EBADF or EINVAL, as for a bad fd; refusal_of tells
//      which, as in epoll.cc.  A lost set is rebuilt with the ring, every fd registered anew, no
//      watcher told of an error not its fd's, and the old ring's drain ends the wait that held it.
#include "backends/iouring_epoll.h"

#include "backends/epoll_inline.h"

#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace ev_detail::iouring_internal {

// The events buffer starts at this many and doubles when a wait fills it.
constexpr int kFirstEventsCapacity = 64;

namespace {

// One EPOLL_CTL request, epoll_queue_ctl, for fd's registration of generation gen.
void queue_ctl(iouring_state *st, int op, int fd, unsigned want, unsigned gen)
{
  epoll_queue_ctl(st, op, fd, want, registration_data(fd, gen));
}

// What the watchers of an fd want of the set now.
inline unsigned wanted(const fd_entry &e) { return kWant.want[e.events & 0x7f]; }

// Room for an EPOLL_CTL and a wait, see epoll_room.
bool ctl_room(ev_loop *loop, iouring_state *st) { return make_room(loop, st, 2); }

// This poll is to take more, see epoll_refill.
void set_refill(iouring_state *st)
{
  st->refill = st->look_after_reap = true;
  update_wait_room(st);
}

// Register want for fd, see (s).  other_file: maybe another file, epoll_set.h's rule 2;
// renewed_emptied: ev_io_set was called too, and the fd had no watchers as far as the kernel knows,
// or others.  An ADD notes the fd's first watcher in heads, where every registered fd has one.
void register_fd(iouring_state *st, int fd, fd_entry &e, unsigned want, bool other_file, bool renewed_emptied)
{
  if (fd >= st->heads.capacity) {
    const int was = st->heads.capacity;
    st->heads.reserve(fd + 1);
    for (int i = was; i < st->heads.capacity; ++i)
      st->heads.data[i] = nullptr;
  }
  if (e.bmask && renewed_emptied)
    return epoll_add_over(st, fd, e, want);
  if (!e.bmask) {
    st->heads.data[fd] = e.head;
    e.bdata = next_gen(e.bdata);
    queue_ctl(st, EPOLL_CTL_ADD, fd, want, e.bdata);
  } else {
    if (other_file)
      e.bdata = next_gen(e.bdata);
    queue_ctl(st, EPOLL_CTL_MOD, fd, want, e.bdata);
  }
  e.bflags &= static_cast<unsigned char>(~kAddPending);
  e.bmask = static_cast<unsigned char>(want);
}

}  // namespace

// modify (backend.h) in the epoll mode: what iouring_epoll_modify leaves, and all of it when called
// through the table, as an embedding loop's prepare watcher does.
void epoll_modify_slow(ev_loop *loop, int fd, int oev, int nev)
{
  iouring_state *st = state(loop);
  const bool renewed = nev & EV__IOFDSET;  // the number may be a new open file
  const unsigned want = kWant.want[nev & 0x7f];
  if (EV_UNLIKELY(fd == st->r.fd) && st->r.fd >= 0) {
    // The ring's number, queued once the events' callbacks ran, see (v): a new EPOLL_WAIT goes.
    if (!st->waiting && make_room(loop, st, 1)) {
      epoll_queue_wait(st);
      if (!loop->loop_depth && (st->adopted || adopt(loop, st)))
        if (int err = submit(loop, st))
          if (err != EBUSY && err != EAGAIN)
            ring_broken(loop, st, err);
    }
    // A program's watcher on the ring's fd is registered as any fd's, as libev 4.33 watches it too,
    // where it polls writable; the renewal of (v) keeps a registration it finds.
    if (!want || (oev && loop->fds.entries[fd].bmask == want))
      return;
  }
  // Without a ring or a set, see iouring.cc (l), the fd's watchers get EV_ERROR.
  if (!change_begins(loop, fd, loop->fds.entries[fd], oev, want, renewed, st->r.fd >= 0 && st->epfd >= 0,
                     st->always_ready, [st] { update_general(st); }))
    return;
  if (st->epfd_lost)
    return;  // a new set is on its way, every fd registered anew
  if (registration_stands(loop->fds.entries[fd], oev, nev, want))
    return;
  if (!ctl_room(loop, st))
    return;  // the ring is replaced, every fd registered anew
  fd_entry &e = loop->fds.entries[fd];
  const bool same_watcher = fd < st->heads.capacity && st->heads.data[fd] == e.head;
  register_fd(st, fd, e, want, may_be_another_file(oev, nev), renewed && (!oev || (e.bmask == want && !same_watcher)));

  // Embedded, outside ev_run no poll of ours follows to submit this, see iouring.cc (m).
  if (!loop->loop_depth && st->embedded && (st->adopted || adopt(loop, st)))
    if (int err = submit(loop, st))
      if (err != EBUSY && err != EAGAIN)
        ring_broken(loop, st, err);
}

// An ADD over fd's registration, with the next generation, for a number that may be another file,
// see (s); the caller made room.  Out of line: a re-arm, which is commoner, takes the inline MOD.
void epoll_add_over(iouring_state *st, int fd, fd_entry &e, unsigned want)
{
  st->heads.data[fd] = e.head;
  e.bdata = next_gen(e.bdata);
  queue_ctl(st, EPOLL_CTL_ADD, fd, want, e.bdata);
  e.bflags |= kAddPending;
  e.bmask = static_cast<unsigned char>(want);
}

// Events came that no watcher wants any more, so the registration gets what is wanted,
// epoll_set.h's rule 3.  Called within a run of feeds, it queues only where the queue has room,
// since a submission's reaping would feed too; an event that comes again asks again.
void epoll_drop_unwanted(ev_loop *loop, iouring_state *st, int fd)
{
  if (!epoll_room(st->r, st))
    return;
  fd_entry &e = loop->fds.entries[fd];
  const unsigned want = wanted(e);
  if (want)
    queue_ctl(st, EPOLL_CTL_MOD, fd, want, e.bdata);
  else
    queue_ctl(st, EPOLL_CTL_DEL, fd, 0, e.bdata);
  e.bmask = static_cast<unsigned char>(want);
  e.bflags &= static_cast<unsigned char>(~kAddPending);
}

namespace {

// The set is lost, see (y): a new set and ring before the next poll, no request to it till then.
void epoll_set_gone(ev_loop *loop, iouring_state *st)
{
  st->epfd_lost = true;
  update_general(st);
  request_backend_rebuild(loop);
}

}  // namespace

// An EPOLL_CTL request that failed, see (s), (t); or a kInternal cancel, which tells nothing.
void epoll_completion_unusual(ev_loop *loop, iouring_state *st, std::uint64_t user_data, int res)
{
  const auto fd = static_cast<std::uint32_t>(user_data);
  if (fd >= static_cast<std::uint32_t>(loop->fds.size) || res >= 0 || st->epfd_lost)
    return;  // a lost set's failures say nothing of the fds
  const refusal why = refusal_of(st->epfd, -res);
  if (why == refusal::kSetLost) {
    epoll_set_gone(loop, st);  // see (y)
    return;
  }
  const int op = static_cast<int>(user_data >> 62);
  const auto gen = static_cast<unsigned>(user_data >> 32) & kGenMask;
  const int ifd = static_cast<int>(fd);
  fd_entry &e = loop->fds.entries[fd];
  const unsigned want = wanted(e);
  if (op == EPOLL_CTL_ADD) {
    // One superseded by another ADD tells nothing.
    if (gen != e.bdata)
      return;
    const bool over = e.bflags & kAddPending;
    e.bflags &= static_cast<unsigned char>(~kAddPending);
    if (res == -EEXIST) {  // the same file, registered before: it gets what is wanted
      if (over)
        e.bdata = prev_gen(e.bdata);  // what its registration carries, see (s)
      if (want && ctl_room(loop, st)) {
        register_fd(st, ifd, loop->fds.entries[fd], want, false, false);
        set_refill(st);
      }
      return;
    }
    e.bmask = 0;
    if (why == refusal::kRegularFile) {  // see (t)
      if (e.head) {
        st->always_ready.enter(e, ifd);
        update_general(st);  // the poll reports them from now on, this one here
        if (int events = e.events & (EV_READ | EV_WRITE))
          fd_event(loop, ifd, events);
      }
      return;
    }
    fd_kill(loop, ifd);  // EBADF for an fd not open, ENOMEM, ENOSPC, ELOOP
  } else if (op == EPOLL_CTL_MOD) {
    if (res == -ENOENT) {  // another file under the number: it is added, see (s)
      e.bmask = 0;
      if (want && ctl_room(loop, st)) {
        register_fd(st, ifd, loop->fds.entries[fd], want, false, false);
        set_refill(st);
      }
      return;
    }
    e.bmask = 0;
    fd_kill(loop, ifd);
  }
  // A DEL that failed: the fd was closed, and its registration went with it.
}

// The EPOLL_WAIT completed with res, see (u): as many events as the buffer
// holds, so that it grows now that it is ours again, or an error.
void epoll_wait_done(ev_loop *loop, iouring_state *st, int res)
{
  if (res > 0) {
    epoll_events_resize(st, st->capacity * 2);
    epoll_wait_template(st);
    set_refill(st);
    return;
  }
  if (res == -ECANCELED || res == -EINTR || res == -EAGAIN)
    return;  // the next poll sends another
  if (res != -EBADF && res != -EINVAL) {
    errno = -res;
    ev_syserr("(libev) io_uring EPOLL_WAIT");
  }
  // The epoll fd was closed behind our back or refused: a new set and ring before the next poll.
  if (res == -EBADF || res == -EINVAL)
    return epoll_set_gone(loop, st);
  update_general(st);
  request_backend_rebuild(loop);
}

// More may be ready than the last EPOLL_WAIT reported: it filled `events`, see (u), or a failed
// request asked for another, see (s).  What is queued goes without waiting, with an EPOLL_WAIT
// unless one is in flight, which completes at once with what is ready; this poll takes that too, as
// one epoll_wait would, given room and the registration first meant.  A few rounds at most.
void epoll_refill(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  for (int round = 0; round < 8 && st->refill; ++round) {
    st->refill = false;
    if (!st->waiting) {
      if (!make_room(loop, st, 1))
        return;
      epoll_queue_wait(st);
    }
    const unsigned n = r.sq_local_tail - r.sq_submitted;
    store_release(r.sq_tail, r.sq_local_tail);
    int res = ring_wait(r, n, 0, 0.);
    if (res != static_cast<int>(n))
      break;  // what the next poll sees
    set_submitted(st, r.sq_local_tail);
    epoll_reap(loop, st);
  }
  st->refill = false;
}

namespace {

// The events of an EPOLL_WAIT that a refill follows, see (s): the refill's wait reports every
// level-triggered registration again, as it stands once the failed request is replaced, so feeding
// them here too would queue their watchers twice.  Only what will not come again is fed:
// edge-triggered registrations' events, kFdEdge, the loop's own.  A level-triggered registration
// not known is also reported again, asking for the rebuild then.  Where the refill cannot enter,
// the next poll's wait reports the levels.
void epoll_queue_edges(ev_loop *loop, iouring_state *st, int n)
{
  report_events<kEdgesOnly>(loop, st->events, n, [loop, st](int fd, fd_entry &) { epoll_drop_unwanted(loop, st, fd); });
}

}  // namespace

int epoll_reap(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  unsigned head = *r.cq_head;
  unsigned tail = load_acquire(r.cq_tail);
  int seen = 0;
  while (head != tail) {
    const io_uring_cqe &c = r.cqes[head & r.cq_mask];
    const std::uint64_t user_data = c.user_data;
    const int res = c.res;
    store_release(r.cq_head, ++head);  // what is needed of it is read; the rest may reap
    ++seen;
    if (static_cast<std::uint32_t>(user_data) == kEpollWaitTag) {
      st->waiting = false;
      if (res > 0) {
        if (EV_UNLIKELY(st->refill))
          epoll_queue_edges(loop, st, res);  // the refill's wait reports the rest, see (s)
        else
          epoll_queue_reported(loop, st, res);
        if (res == st->capacity)
          epoll_wait_done(loop, st, res);
      } else if (res < 0)
        epoll_wait_done(loop, st, res);
    } else {
      epoll_completion_unusual(loop, st, user_data, res);
      head = *r.cq_head;  // it may have reaped
      tail = load_acquire(r.cq_tail);
    }
  }
  return seen;
}

void epoll_poll_rest(ev_loop *loop, iouring_state *st, ev_tstamp timeout, bool hooks)
{
  const bool waiting = st->waiting;
  const int came = epoll_reap(loop, st);
  // Without defer-taskrun an EPOLL_WAIT's events may be older than this poll, see (x): ask again.
  if (waiting && !st->waiting && !(st->r.features & kFeatDeferTaskrun))
    set_refill(st);
  // No events: the wait timed out, or a signal interrupted it, whose wake-up may wait for an enter,
  // iouring.cc's (q), or a failed request ended it, whose successor goes now, see (s).
  const int live = loop->pending.any();
  if ((!live && timeout > 0.) || st->look_after_reap)
    poll_unusual(loop, st, live, timeout, hooks, came);
}

// See (t): the always-ready fds get their events in every iteration.
void epoll_report_always_ready(ev_loop *loop, iouring_state *st) { st->always_ready.report(loop); }

// The buffer the EPOLL_WAIT request fills, grown to `capacity` events with the new part zeroed:
// valgrind and the like do not see the kernel write it, so unwritten bytes would read as undefined.
void epoll_events_resize(iouring_state *st, int capacity)
{
  st->events = static_cast<struct epoll_event *>(
      ev_realloc(st->events, sizeof(struct epoll_event) * static_cast<std::size_t>(capacity)));
  if (capacity > st->capacity)
    std::memset(st->events + st->capacity, 0,
                sizeof(struct epoll_event) * static_cast<std::size_t>(capacity - st->capacity));
  st->capacity = capacity;
}

namespace {

// A buffer that a request the loop could not cancel may still write into,
// see (u), kept, and reachable, for the life of the process.
struct kept_buffer {
  kept_buffer *next;
  struct epoll_event *events;
};
constinit std::atomic<kept_buffer *> kept_for_the_kernel{nullptr};

void keep_for_the_kernel(struct epoll_event *events)
{
  auto *kept = static_cast<kept_buffer *>(ev_realloc(nullptr, sizeof(kept_buffer)));
  kept->events = events;
  kept->next = kept_for_the_kernel.load(std::memory_order_relaxed);
  while (!kept_for_the_kernel.compare_exchange_weak(kept->next, kept, std::memory_order_release,
                                                    std::memory_order_relaxed)) {
  }
}

// Whether the kernel holds `events`: it took the EPOLL_WAIT, which has not completed.  One still
// queued, every enter refused, is the loop's, and a forked child's copy is its own, since the
// request writes into the parent's memory.  Read while the ring is mapped.
bool events_held_by_kernel(const iouring_state *st)
{
  const ring &r = st->r;
  if (!st->waiting || st->owner != ::getpid() || !r.sq_head)
    return false;
  for (unsigned i = load_acquire(r.sq_head); i != r.sq_local_tail; ++i)
    if (r.sq_array[i & r.sq_mask] == r.sq_mask)
      return false;
  return true;
}

}  // namespace

void epoll_events_release(iouring_state *st)
{
  if (events_held_by_kernel(st))
    keep_for_the_kernel(st->events);
  else
    ev_free(st->events);
  st->events = nullptr;
  st->capacity = 0;
}

void epoll_events_unshare(iouring_state *st)
{
  if (!events_held_by_kernel(st))
    return;
  epoll_events_release(st);
  epoll_events_resize(st, kFirstEventsCapacity);
}

// The buffer or its capacity changed: a new EPOLL_WAIT template; one in flight keeps its own.
void epoll_wait_template(iouring_state *st)
{
  ring &r = st->r;
  io_uring_sqe &wait = r.sqes[r.sq_mask];
  std::memset(&wait, 0, sizeof wait);
  wait.opcode = kOpEpollWait;
  wait.fd = st->epfd;
  wait.addr = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(st->events));
  wait.len = static_cast<unsigned>(st->capacity);
  wait.user_data = kEpollWaitTag;
  update_wait_room(st);
}

// The set or the ring changed, with nothing queued: the templates of the sqes are written anew, see
// iouring_epoll.h; the kernel has what it took of them.
void epoll_template(iouring_state *st)
{
  ring &r = st->r;
  st->other_mask = r.sq_entries / 2 - 1;  // sizes are powers of 2, at least 4: kSpare
  epoll_wait_template(st);
  for (unsigned i = 0; i <= st->other_mask; ++i) {
    io_uring_sqe &ctl = r.sqes[i];
    std::memset(&ctl, 0, sizeof ctl);
    ctl.opcode = IORING_OP_EPOLL_CTL;
    ctl.flags = IOSQE_CQE_SKIP_SUCCESS;
    ctl.fd = st->epfd;
    ctl.addr = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&st->ctl[i]));
  }
  update_wait_room(st);
}

// See (v): after the events were taken, the embedding loop is to run us
// before it blocks, so that a new EPOLL_WAIT is in flight.
void epoll_embedded_after_reap(ev_loop *loop, iouring_state *st)
{
  if (st->waiting || st->r.fd < 0)
    return;
  loop->fds.reserve(st->r.fd);
  loop->fds.change(st->r.fd, EV__IOFDSET);  // renewed: fd_reify hands it to epoll_modify_slow
}

// A new epoll set, at init and with every new ring that replace_ring makes; false if refused.

bool epoll_set_open(ev_loop *loop, iouring_state *st)
{
  if (st->epfd >= 0 && !st->epfd_lost)
    ::close(st->epfd);
  st->epfd_lost = false;
  st->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (st->epfd < 0)
    return false;
  fd_claim(loop, st->epfd);
  st->ctl = static_cast<struct epoll_event *>(ev_realloc(
      st->ctl, sizeof(struct epoll_event) * static_cast<std::size_t>(st->r.sq_entries ? st->r.sq_entries : 1)));
  return true;
}

namespace {

bool iouring_epoll_init(ev_loop *loop)
{
  const unsigned allowed = features_allowed_by_environment();
  if (!(allowed & kFeatEpollWait))
    return false;
  ring r;
  if (!ring_open(r, kMinCq, allowed))
    return false;
  if (!(r.features & kFeatEpollWait) || !(r.features & kFeatDeferTaskrun)) {  // see (x)
    ring_close(r, false);
    return false;
  }
  iouring_state *st = backend_state_new<iouring_state>(loop->backend_state);
  st->r = r;
  st->allowed = allowed;
  st->epoll_mode = true;
  st->epfd = -1;
  st->want_cq = r.cq_entries;
  st->cq_limit = kMaxCq;
  st->events = nullptr;
  st->capacity = 0;
  epoll_events_resize(st, kFirstEventsCapacity);
  if (!epoll_set_open(loop, st)) {
    ring_close(st->r, false);
    ev_free(st->events);
    backend_state_free(loop->backend_state);
    return false;
  }
  ring_opened(loop, st);
  return true;
}

}  // namespace
}  // namespace ev_detail::iouring_internal

namespace ev_detail {

using namespace iouring_internal;

constinit const backend_ops iouring_epoll_backend = {
    "io_uring",
    EVBACKEND_IOURING,
    1e-6,
    iouring_epoll_init,
    iouring_destroy,
    iouring_fork,
    epoll_modify_slow,
    [](ev_loop *loop, ev_tstamp timeout) { iouring_epoll_poll(loop, timeout, true); },
    true,
    iouring_edge_triggered,
    iouring_recheck,
    iouring_embedded,
    iouring_child_after_fork,
};

}  // namespace ev_detail
