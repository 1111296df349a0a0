// SPDX-License-Identifier: BSD-2-Clause
// backends/iouring_set.cc - the io_uring backend's epoll set, but for its hot paths: the
// registrations that ask more than one request, the requests that failed, the ring's wait's
// completions and refills, the events buffer.  Compiled for size: nothing here runs in a common
// iteration.  The quirks (a)-(f) cited here are listed in backends/iouring.cc.
#include "backends/iouring.h"

#include <poll.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace ev_detail::iouring_internal {

// The events buffer starts at this many and doubles when a wait fills it.
constexpr int kFirstEventsCapacity = 64;

namespace {

// What the watchers of an fd want of the set now.
inline unsigned wanted(const fd_entry &e) { return kWant.want[e.events & 0x7f]; }

// Room for an EPOLL_CTL and a wait.
bool room_for_ctl(ev_loop *loop, iouring_state *st) { return make_room(loop, st, 2); }

// Register want for fd, see (b).  other_file: maybe another file, epoll_set.h's rule 2;
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
  if (!e.bmask || renewed_emptied) {
    const bool over = e.bmask;
    add_over(st, fd, e, want);
    if (!over)  // no registration to be over
      e.bflags &= static_cast<unsigned char>(~kAddPending);
    return;
  }
  if (other_file)
    e.bdata = next_gen(e.bdata);
  queue_ctl(st, EPOLL_CTL_MOD, fd, want, registration_data(fd, e.bdata));
  e.bflags &= static_cast<unsigned char>(~kAddPending);
  e.bmask = static_cast<unsigned char>(want);
}

// The request that replaces a failed one, see (b), for what the fd's watchers want now: the wait in
// the ring takes it with a refill.
void register_successor(ev_loop *loop, iouring_state *st, int fd, unsigned want)
{
  if (!want || !room_for_ctl(loop, st))
    return;
  register_fd(st, fd, loop->fds.entries[fd], want, false, false);
  if (st->ring_wait)
    st->refill = true;
}

// The set is lost, see (e): a new set and ring before the next poll, no request to it till then.
void set_gone(ev_loop *loop, iouring_state *st)
{
  st->epfd_lost = true;
  update_general(st);
  request_backend_rebuild(loop);
}

}  // namespace

// modify (backend.h): what iouring_modify leaves, and all of it when called through the table, as an
// embedding loop's prepare watcher does.
void modify_slow(ev_loop *loop, int fd, int oev, int nev)
{
  iouring_state *st = state(loop);
  const bool renewed = nev & EV__IOFDSET;  // the number may be a new open file
  const unsigned want = kWant.want[nev & 0x7f];
  // Without a ring or a set, see iouring_life.cc (k), the fd's watchers get EV_ERROR.
  if (!change_begins(loop, fd, loop->fds.entries[fd], oev, want, renewed, st->r.fd >= 0 && st->epfd >= 0,
                     st->always_ready, [] {}))
    return;
  if (st->epfd_lost)
    return;  // a new set is on its way, every fd registered anew
  if (registration_stands(loop->fds.entries[fd], oev, nev, want))
    return;
  if (!room_for_ctl(loop, st))
    return;  // the ring is replaced, every fd registered anew
  fd_entry &e = loop->fds.entries[fd];
  const bool same_watcher = fd < st->heads.capacity && st->heads.data[fd] == e.head;
  register_fd(st, fd, e, want, may_be_another_file(oev, nev), renewed && (!oev || (e.bmask == want && !same_watcher)));

  // Embedded, outside ev_run no poll of ours follows to submit this, see iouring_life.cc (l).
  if (!loop->loop_depth && st->embedded && (st->adopted || adopt(loop, st)))
    submit_changes(loop, st);
}

// An ADD over fd's registration, with the next generation, for a number that may be another file,
// see (b); the caller made room.  Out of line: a re-arm, which is commoner, takes the inline MOD.
void add_over(iouring_state *st, int fd, fd_entry &e, unsigned want)
{
  st->heads.data[fd] = e.head;
  e.bdata = next_gen(e.bdata);
  queue_ctl(st, EPOLL_CTL_ADD, fd, want, registration_data(fd, e.bdata));
  e.bflags |= kAddPending;
  e.bmask = static_cast<unsigned char>(want);
}

// Events came that no watcher wants any more, so the registration gets what is wanted,
// epoll_set.h's rule 3.  Called within a run of feeds, where a reaping would feed too, it makes
// room by submitting without asking for completions: a program that stops many watchers of
// ready fds at once (2,000 in t/backend_iouring.c) has their registrations dropped by one wait,
// as epoll's would be, not 64 a wait.  Where the kernel takes nothing, an event that comes again
// asks again.
void drop_unwanted(ev_loop *loop, iouring_state *st, int fd)
{
  ring &r = st->r;
  if (!ctl_room(r, st)) {
    store_release(r.sq_tail, r.sq_local_tail);
    if (ring_enter_slow(r, r.sq_local_tail - r.sq_submitted, 0, 0, nullptr, 0) > 0)
      r.sq_submitted = r.sq_local_tail - sq_pending(r);
    if (!ctl_room(r, st))
      return;
  }
  fd_entry &e = loop->fds.entries[fd];
  const unsigned want = wanted(e);
  queue_ctl(st, want ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, fd, want, registration_data(fd, e.bdata));
  e.bmask = static_cast<unsigned char>(want);
  e.bflags &= static_cast<unsigned char>(~kAddPending);
}

// An EPOLL_CTL request that completed, see (a): a failure, see (b), (c); or a success without
// cqe-skip, or a kInternal cancel, which tell nothing.
void completion_unusual(ev_loop *loop, iouring_state *st, std::uint64_t user_data, int res)
{
  const auto fd = static_cast<std::uint32_t>(user_data);
  if (fd >= static_cast<std::uint32_t>(loop->fds.size) || res >= 0 || st->epfd_lost)
    return;  // a lost set's failures say nothing of the fds
  const refusal why = refusal_of(st->epfd, -res);
  if (why == refusal::kSetLost) {
    set_gone(loop, st);  // see (e)
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
        e.bdata = prev_gen(e.bdata);  // what its registration carries, see (b)
      return register_successor(loop, st, ifd, want);
    }
    e.bmask = 0;
    if (why == refusal::kRegularFile) {  // see (c)
      if (e.head) {
        st->always_ready.enter(e, ifd);  // the poll reports them from now on, this one here
        if (int events = e.events & (EV_READ | EV_WRITE))
          fd_event(loop, ifd, events);
      }
      return;
    }
    fd_kill(loop, ifd);  // EBADF for an fd not open, ENOMEM, ENOSPC, ELOOP
  } else if (op == EPOLL_CTL_MOD) {
    if (res == -ENOENT) {  // another file under the number: it is added, see (b)
      e.bmask = 0;
      return register_successor(loop, st, ifd, want);
    }
    e.bmask = 0;
    fd_kill(loop, ifd);
  }
  // A DEL that failed: the fd was closed, and its registration went with it.
}

// The EPOLL_WAIT completed with res, see (d): as many events as the buffer
// holds, so that it grows now that it is ours again, or an error.
void wait_done(ev_loop *loop, iouring_state *st, int res)
{
  if (res > 0) {
    events_resize(st, st->capacity * 2);
    wait_template(st);
    st->refill = true;
    return;
  }
  if (res == -ECANCELED || res == -EINTR || res == -EAGAIN)
    return;  // the next poll sends another
  // The epoll fd was closed behind our back or refused: a new set and ring before the next poll.
  if (res == -EBADF || res == -EINVAL)
    return set_gone(loop, st);
  errno = -res;
  ev_syserr("(libev) io_uring EPOLL_WAIT");
  request_backend_rebuild(loop);
}

// More may be ready than the last EPOLL_WAIT reported: it filled `events`, see (d), or a failed
// request asked for another, see (b).  What is queued goes without waiting, with an EPOLL_WAIT
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
      queue_wait(st);
    }
    const unsigned n = r.sq_local_tail - r.sq_submitted;
    store_release(r.sq_tail, r.sq_local_tail);
    int res = ring_wait(r, n, 0, 0.);
    if (res != static_cast<int>(n))
      break;  // what the next poll sees
    r.sq_submitted = r.sq_local_tail;
    reap(loop, st);
  }
  st->refill = false;
}

namespace {

// The events of an EPOLL_WAIT that a refill follows, see (b): the refill's wait reports every
// level-triggered registration again, as it stands once the failed request is replaced, so feeding
// them here too would queue their watchers twice.  Only what will not come again is fed:
// edge-triggered registrations' events, kFdEdge, the loop's own.  A level-triggered registration
// not known is also reported again, asking for the rebuild then.  Where the refill cannot enter,
// the next poll's wait reports the levels.
void queue_edges(ev_loop *loop, iouring_state *st, int n)
{
  int edges = 0;
  for (int i = 0; i < n; ++i) {
    const auto fd = static_cast<std::uint32_t>(st->events[i].data.u64);
    if (fd < static_cast<std::uint32_t>(loop->fds.size) && (loop->fds.entries[fd].bmask & kFdEdge))
      st->events[edges++] = st->events[i];
  }
  queue_events(loop, st, edges);
}

}  // namespace

void queue_events(ev_loop *loop, iouring_state *st, int n) { queue_reported(loop, st, n); }

namespace {

// One completion that tells something: the wait's, a stream's, a failure.
void handle_completion(ev_loop *loop, iouring_state *st, std::uint64_t user_data, int res, unsigned flags)
{
  if (is_stream_tag(user_data))
    return stream_completion(loop, st, user_data, res, flags);
  if (static_cast<std::uint32_t>(user_data) != kEpollWaitTag)
    return completion_unusual(loop, st, user_data, res);
  st->waiting = false;
  if (st->wait_polls) {
    if (res > 0)
      harvest(loop, st);
    else if (res < 0)
      wait_done(loop, st, res);
  } else if (res > 0) {
    if (EV_UNLIKELY(st->refill || st->collect)) {
      queue_edges(loop, st, res);  // the refill's wait reports the rest, see (b) and iouring.cc (w)
      st->refill = true;
      if (st->collect) {  // once a wait: the refill's own EPOLL_WAIT reports as any
        st->collect = false;
        update_wait_room(st);
      }
    } else {
      queue_events(loop, st, res);
    }
    if (res == st->capacity)
      wait_done(loop, st, res);
  } else if (res < 0)
    wait_done(loop, st, res);
}

// A stop's reap, see iouring_stream.cc (t): the completions of the streams that stop are handled,
// those set aside before first; whatever else tells something is set aside, in order, so that the
// stop makes no other watcher pending.  Handling one may reap again: each is taken off first.
int reap_for_stop(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  int seen = 0;
  for (int i = st->set_aside_head; i < st->set_aside.count;) {
    const set_aside_cqe c = st->set_aside.data[i];
    if (!stream_completion_quiet(st, c.user_data)) {
      ++i;
      continue;
    }
    std::memmove(st->set_aside.data + i, st->set_aside.data + i + 1,
                 sizeof c * static_cast<std::size_t>(st->set_aside.count - i - 1));
    --st->set_aside.count;
    ++seen;
    stream_completion(loop, st, c.user_data, c.res, c.flags);
    i = st->set_aside_head;
  }
  for (set_aside_cqe c; cq_pop(r, c, any_completion);) {
    ++seen;
    const auto low = static_cast<std::uint32_t>(c.user_data);
    if (is_stream_tag(c.user_data) && stream_completion_quiet(st, c.user_data))
      stream_completion(loop, st, c.user_data, c.res, c.flags);
    else if (is_stream_tag(c.user_data) || low == kEpollWaitTag || (c.res < 0 && low != kInternal))
      st->set_aside.push(c);
  }
  if (st->set_aside.count == st->set_aside_head)
    st->set_aside.count = st->set_aside_head = 0;
  update_general(st);
  return seen;
}

}  // namespace

void take_set_aside(ev_loop *loop, iouring_state *st)
{
  for (set_aside_cqe c; set_aside_pop(st, c, any_completion);)
    handle_completion(loop, st, c.user_data, c.res, c.flags);
  drop_set_aside(st);
}

void drop_set_aside(iouring_state *st)
{
  st->set_aside.count = st->set_aside_head = 0;
  update_general(st);
}

int reap(ev_loop *loop, iouring_state *st)
{
  if (EV_UNLIKELY(st->stop_wait))
    return reap_for_stop(loop, st);
  int seen = st->set_aside.count - st->set_aside_head;
  if (EV_UNLIKELY(seen))
    take_set_aside(loop, st);  // older than what the queue holds
  ring &r = st->r;
  unsigned head = *r.cq_head;
  unsigned tail = load_acquire(r.cq_tail);
  while (head != tail) {
    const io_uring_cqe &c = r.cqes[head & r.cq_mask];
    const std::uint64_t user_data = c.user_data;
    const int res = c.res;
    const unsigned flags = c.flags;
    ++head;
    ++seen;
    if (!is_stream_tag(user_data) && static_cast<std::uint32_t>(user_data) != kEpollWaitTag && res >= 0)
      continue;                      // a request that succeeded, without cqe-skip, or a cancel: nothing to do
    store_release(r.cq_head, head);  // what is needed of it is read; the rest may reap
    if (is_stream_tag(user_data))    // the common case, without the general dispatch
      stream_completion(loop, st, user_data, res, flags);
    else
      handle_completion(loop, st, user_data, res, flags);
    head = *r.cq_head;  // it may have reaped
    tail = load_acquire(r.cq_tail);
  }
  store_release(r.cq_head, head);
  return seen;
}

// The ring's poll of the set fired, see iouring.cc (d): epoll_wait takes what is ready without
// waiting, and more where it filled the buffer.
void harvest(ev_loop *loop, iouring_state *st)
{
  const int n = wait_for_events(st, 0.);
  if (n > 0)
    queue_events(loop, st, n);
  if (n == st->capacity)
    take_the_rest(loop, st);
}

// A wait without the ring filled `events`, so more may be ready: the buffer grows and a wait with no
// timeout takes the rest, as epoll_refill does for the ring's wait, so that every fd ready at the
// poll is reported by it.  A level-triggered fd is reported again then, and queued once.
void take_the_rest(ev_loop *loop, iouring_state *st)
{
  for (int round = 0; round < 8; ++round) {
    events_resize(st, st->capacity * 2);
    const int n = wait_for_events(st, 0.);
    if (n <= 0)
      return;
    queue_events(loop, st, n);
    if (n < st->capacity)
      return;
  }
}

// epoll_wait failed, see (d): a lost set is replaced in the next iteration, see (e).
void set_wait_error(ev_loop *loop, iouring_state *st, ev_tstamp timeout)
{
  if (set_lost_by_wait(timeout))
    set_gone(loop, st);
}

// EVFLAG_NG_PRECISE_TIMERS without the ring's wait, see (d), as epoll.cc's (i).
int wait_precisely(iouring_state *st, ev_tstamp timeout)
{
  if (timeout > 0.) {
    const int n = wait_pwait2(st->epfd, st->events, st->capacity, timeout);
    if (n >= 0 || errno != ENOSYS)
      return n;
    st->precise = false;
  }
  return wait_for_events(st, timeout);
}

// The buffer the waits fill, grown to `capacity` events with the new part zeroed: valgrind and the
// like do not see the kernel's EPOLL_WAIT write it, so unwritten bytes would read as undefined.  An
// EPOLL_WAIT in flight keeps its buffer: the ring's wait grows it once the request completed.
void events_resize(iouring_state *st, int capacity)
{
  st->events = static_cast<struct epoll_event *>(
      ev_realloc(st->events, sizeof(struct epoll_event) * static_cast<std::size_t>(capacity)));
  if (capacity > st->capacity)
    std::memset(st->events + st->capacity, 0,
                sizeof(struct epoll_event) * static_cast<std::size_t>(capacity - st->capacity));
  st->capacity = capacity;
  update_wait_room(st);
}

namespace {

// A buffer that a request the loop could not cancel may still write into,
// see (d), kept, and reachable, for the life of the process.
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
  if (!st->waiting || st->wait_polls || st->owner != ::getpid() || !r.sq_head)
    return false;
  for (unsigned i = load_acquire(r.sq_head); i != r.sq_local_tail; ++i)
    if (r.sq_array[i & r.sq_mask] == r.sq_mask)
      return false;
  return true;
}

}  // namespace

void events_release(iouring_state *st)
{
  if (events_held_by_kernel(st))
    keep_for_the_kernel(st->events);
  else
    ev_free(st->events);
  st->events = nullptr;
  st->capacity = 0;
}

void events_unshare(iouring_state *st)
{
  if (!events_held_by_kernel(st))
    return;
  events_release(st);
  events_resize(st, kFirstEventsCapacity);
}

// The buffer or its capacity changed: a new EPOLL_WAIT template; one in flight keeps its own.  Or
// the ring's poll of the set, see iouring.cc (d).
void wait_template(iouring_state *st)
{
  ring &r = st->r;
  io_uring_sqe &wait = r.sqes[r.sq_mask];
  std::memset(&wait, 0, sizeof wait);
  wait.fd = st->epfd;
  wait.user_data = kEpollWaitTag;
  if (st->wait_polls) {
    wait.opcode = IORING_OP_POLL_ADD;
    wait.poll32_events = POLLIN;
    return;
  }
  wait.opcode = kOpEpollWait;
  wait.addr = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(st->events));
  wait.len = static_cast<unsigned>(st->capacity);
}

// The set or the ring changed, with nothing queued: the templates of the sqes are written anew, see
// iouring.h; the kernel has what it took of them.
void templates(iouring_state *st)
{
  ring &r = st->r;
  st->other_mask = r.sq_entries / 2 - 1;  // sizes are powers of 2, at least 4: kSpare
  wait_template(st);
  for (unsigned i = 0; i <= st->other_mask; ++i) {
    io_uring_sqe &ctl = r.sqes[i];
    std::memset(&ctl, 0, sizeof ctl);
    ctl.opcode = IORING_OP_EPOLL_CTL;
    ctl.flags = r.features & kFeatCqeSkip ? IOSQE_CQE_SKIP_SUCCESS : 0;
    ctl.fd = st->epfd;
    ctl.addr = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&st->ctl[i]));
  }
}

// A new epoll set, at init and with every new ring that replace_ring makes; false if refused.
bool set_open(ev_loop *loop, iouring_state *st)
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
  if (!st->events)
    events_resize(st, kFirstEventsCapacity);
  return true;
}

}  // namespace ev_detail::iouring_internal
