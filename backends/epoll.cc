// backends/epoll.cc - the Linux epoll(7) backend (EVBACKEND_EPOLL).
//
// Kernel quirks handled here:
//  (a) Registrations belong to open files, not fd numbers.  Closing an fd
//      removes its registration only when no other fd (a dup, a forked
//      child) refers to the same open file; otherwise the old registration
//      keeps reporting events under the old number.  Each ADD therefore
//      stores a per-fd generation in the event data; an event carrying an
//      older generation comes from such a stale registration, which cannot
//      be removed by number: the whole epoll set is rebuilt (no fork
//      watchers run, unlike libev, which treats this like a fork).
//  (b) The kernel silently forgets a closed fd, so a watcher on it would
//      never hear anything again.  When epoll_wait times out with nothing
//      to report (at most every 0.1 s), and at least once a second
//      otherwise, one poll() over the watched fds finds numbers that are no
//      longer open; their watchers get EV_ERROR (fd_kill_invalid).
//  (c) Regular files and some character devices (/dev/null) cannot be
//      added (EPERM).  They are always ready: their watchers get the events
//      they asked for in every iteration, and the loop does not block while
//      such a watcher is active (libev does the same).
//  (d) An epoll fd is shared with a forked child: after a fork the child
//      creates its own (before closing the old, so the number changes and
//      an embedding loop sees it) and re-registers everything.
//  (e) Stopping a watcher does not remove the registration at once: a
//      start in a later iteration with the same events then costs nothing.
//      An event for events nobody wants any more updates the kernel then.
//  (f) EPOLLERR/EPOLLHUP are reported even if not requested; they make the
//      fd both readable and writable (each watcher sees only its events).
//  (g) With nothing registered, epoll_wait with a zero timeout cannot report
//      anything: an EVRUN_NOWAIT iteration of a loop without io watchers
//      (timers only, say) then makes no system call at all (libev makes
//      one).  A registration we do not count is one we no longer know the
//      fd of, see (a); its events would only ask for a rebuild.
#include "loop.h"

#include <cerrno>
#include <sys/epoll.h>
#include <unistd.h>

namespace ev_detail {
namespace {

constexpr unsigned char kAlwaysReady = 0x01;  // fd_entry::bflags: EPERM, see (c)
constexpr ev_tstamp kSweepWhenIdle = 0.1;     // see (b)
constexpr ev_tstamp kSweepWhenBusy = 1.0;

// fd_entry use: bmask = events registered in the kernel (0: none),
// bdata = generation of the current registration.
struct epoll_state {
  int epfd;
  struct epoll_event *events;
  int capacity;
  array<int> always_ready;  // fds with kAlwaysReady, see (c)
  int registered;           // fds with bmask != 0, see (g)
  ev_tstamp last_sweep;     // mn_now of the last closed-fd sweep, see (b)
};

inline epoll_state *state(ev_loop *loop) { return static_cast<epoll_state *>(loop->backend_state); }

// Every change of fd_entry::bmask goes through here, to keep the count of (g).
inline void set_registered(epoll_state *st, fd_entry &e, int mask)
{
  st->registered += (mask != 0) - (e.bmask != 0);
  e.bmask = static_cast<unsigned char>(mask);
}

inline uint32_t to_epoll(int ev)
{
  return (ev & EV_READ ? EPOLLIN : 0u) | (ev & EV_WRITE ? EPOLLOUT : 0u);
}

int create_epoll_fd()
{
  return epoll_create1(EPOLL_CLOEXEC);
}

bool epoll_init(ev_loop *loop)
{
  int epfd = create_epoll_fd();
  if (epfd < 0)
    return false;
  auto *st = static_cast<epoll_state *>(ev_realloc(nullptr, sizeof(epoll_state)));
  *st = epoll_state{};
  st->epfd = epfd;
  st->capacity = 64;
  st->events = static_cast<struct epoll_event *>(ev_realloc(nullptr, sizeof(struct epoll_event) * 64));
  st->last_sweep = loop->mn_now;
  loop->backend_state = st;
  loop->backend_fd = epfd;
  return true;
}

void epoll_destroy(ev_loop *loop)
{
  epoll_state *st = state(loop);
  if (!st)
    return;
  ::close(st->epfd);
  ev_free(st->events);
  st->always_ready.release();
  ev_free(st);
  loop->backend_state = nullptr;
  loop->backend_fd = -1;
}

void always_ready_remove(epoll_state *st, int fd)
{
  for (int i = 0; i < st->always_ready.count; ++i)
    if (st->always_ready.data[i] == fd) {
      st->always_ready.data[i] = st->always_ready.data[--st->always_ready.count];
      return;
    }
}

// One epoll_ctl; returns 0 or the errno.
int ctl(epoll_state *st, int op, int fd, int ev, unsigned int gen)
{
  struct epoll_event e;
  e.events = to_epoll(ev);
  e.data.u64 = static_cast<uint64_t>(static_cast<uint32_t>(fd)) | (static_cast<uint64_t>(gen) << 32);
  return epoll_ctl(st->epfd, op, fd, &e) < 0 ? errno : 0;
}

void epoll_modify(ev_loop *loop, int fd, int /*oev*/, int nev)
{
  epoll_state *st = state(loop);
  fd_entry &e = loop->fds.entries[fd];
  const bool renewed = nev & EV__IOFDSET;  // the number may be a new open file
  nev &= EV_READ | EV_WRITE;

  if (e.bflags & kAlwaysReady) {
    if (nev && !renewed)
      return;  // still a regular file: poll() reads e.events each time
    always_ready_remove(st, fd);
    e.bflags = 0;
  }

  if (!nev)
    return;  // lazy removal, see (e)
  if (!renewed && e.bmask == static_cast<unsigned char>(nev))
    return;  // the kernel already has exactly this

  int err;
  if (e.bmask && !renewed) {
    err = ctl(st, EPOLL_CTL_MOD, fd, nev, e.bdata);
    if (err == ENOENT) {  // closed and reopened behind our back
      err = ctl(st, EPOLL_CTL_ADD, fd, nev, e.bdata + 1);
      if (!err)
        ++e.bdata;
    }
  } else {
    err = ctl(st, EPOLL_CTL_ADD, fd, nev, e.bdata + 1);
    if (!err)
      ++e.bdata;
    else if (err == EEXIST) {
      // Still registered: the same open file, with our current generation
      // (unless we had lost track of it).  Only a different mask needs MOD,
      // so re-arming with ev_io_set costs one system call, as in libev.
      err = e.bmask && e.bmask == static_cast<unsigned char>(nev) ? 0 : ctl(st, EPOLL_CTL_MOD, fd, nev, e.bdata);
    }
  }

  if (EV_LIKELY(!err)) {
    set_registered(st, e, nev);
    return;
  }

  set_registered(st, e, 0);
  if (err == EPERM) {  // a regular file, see (c)
    e.bflags = kAlwaysReady;
    st->always_ready.push(fd);
    return;
  }
  // EBADF (not open), ENOSPC (max_user_watches), ENOMEM, EINVAL: the fd
  // cannot be watched; its watchers are told so.
  fd_kill(loop, fd);
}

// Events arrived for events no watcher wants any more: update the kernel.
// If the registration cannot be reached by number any more (the fd was
// closed, a dup keeps the open file alive), only a rebuild removes it.
void drop_unwanted(ev_loop *loop, epoll_state *st, int fd, fd_entry &e)
{
  int want = e.events & (EV_READ | EV_WRITE);
  int err = ctl(st, want ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, fd, want, e.bdata);
  set_registered(st, e, want);
  if (err)
    request_backend_rebuild(loop);
}

// The closed-fd sweep, see (b).
[[gnu::noinline, gnu::cold]] void sweep(ev_loop *loop, epoll_state *st, ev_tstamp now)
{
  st->last_sweep = now;
  fd_kill_invalid(loop);
}

// See (c): the always-ready fds get their events in every iteration.
[[gnu::noinline]] void report_always_ready(ev_loop *loop, epoll_state *st)
{
  for (int i = 0; i < st->always_ready.count; ++i) {
    int fd = st->always_ready.data[i];
    if (loop->fds.entries[fd].events)
      fd_event(loop, fd, loop->fds.entries[fd].events);
  }
}

// A full buffer: there may be more; make room for next time.
[[gnu::noinline, gnu::cold]] void grow_events(epoll_state *st)
{
  st->capacity *= 2;
  st->events = static_cast<struct epoll_event *>(
      ev_realloc(st->events, sizeof(struct epoll_event) * static_cast<std::size_t>(st->capacity)));
}

// EV_READ/EV_WRITE for the low bits of epoll's events (EPOLLIN 0x01,
// EPOLLPRI 0x02, EPOLLOUT 0x04, EPOLLERR 0x08, EPOLLHUP 0x10): see (f).
constexpr unsigned char kReadiness[32] = {
#define EV_NG_RDY(b) static_cast<unsigned char>((((b) & 0x19) ? EV_READ : 0) | (((b) & 0x1c) ? EV_WRITE : 0))
    EV_NG_RDY(0),  EV_NG_RDY(1),  EV_NG_RDY(2),  EV_NG_RDY(3),  EV_NG_RDY(4),  EV_NG_RDY(5),  EV_NG_RDY(6),
    EV_NG_RDY(7),  EV_NG_RDY(8),  EV_NG_RDY(9),  EV_NG_RDY(10), EV_NG_RDY(11), EV_NG_RDY(12), EV_NG_RDY(13),
    EV_NG_RDY(14), EV_NG_RDY(15), EV_NG_RDY(16), EV_NG_RDY(17), EV_NG_RDY(18), EV_NG_RDY(19), EV_NG_RDY(20),
    EV_NG_RDY(21), EV_NG_RDY(22), EV_NG_RDY(23), EV_NG_RDY(24), EV_NG_RDY(25), EV_NG_RDY(26), EV_NG_RDY(27),
    EV_NG_RDY(28), EV_NG_RDY(29), EV_NG_RDY(30), EV_NG_RDY(31),
#undef EV_NG_RDY
};
static_assert(EPOLLIN == 0x01 && EPOLLPRI == 0x02 && EPOLLOUT == 0x04 && EPOLLERR == 0x08 && EPOLLHUP == 0x10);

// Queue the watchers of the n reported fds (fd_event, specialised: the
// pending mask is collected in a register and stored once).
[[gnu::always_inline]] inline void queue_reported(ev_loop *loop, epoll_state *st, int n)
{
  pending_queues &q = loop->pending;
  q.settle();
  unsigned mask = q.mask;
  for (int i = 0; i < n; ++i) {
    const struct epoll_event &ev = st->events[i];
    int fd = static_cast<int>(static_cast<uint32_t>(ev.data.u64));
    unsigned int gen = static_cast<unsigned int>(ev.data.u64 >> 32);
    fd_entry &e = loop->fds.entries[fd];

    // A registration we do not know (any more): stale, see (a).
    if (EV_UNLIKELY(gen != e.bdata || !e.bmask)) {
      request_backend_rebuild(loop);
      continue;
    }
    if (EV_UNLIKELY(e.bmask & ~e.events))
      drop_unwanted(loop, st, fd, e);

    const int got = kReadiness[ev.events & 0x1f];
    for (WL w = e.head; w; w = w->next) {
      int rev = reinterpret_cast<ev_io *>(w)->events & got;
      if (rev)
        mask |= q.feed_unmasked(as_w(w), rev);
    }
  }
  q.mask = mask;
}

// The wait itself; none when it could only report nothing, see (g).
inline int wait_for_events(epoll_state *st, ev_tstamp timeout)
{
  if (EV_LIKELY(st->registered) || timeout > 0.)
    return epoll_wait(st->epfd, st->events, st->capacity, timeout_to_ms(timeout));
  return 0;
}

// Queue what the wait reported; false if it failed (reported, see ev_syserr).
[[gnu::always_inline]] inline bool take_events(ev_loop *loop, epoll_state *st, int n, ev_tstamp timeout)
{
  if (EV_LIKELY(n > 0)) {
    queue_reported(loop, st, n);
    if (EV_UNLIKELY(n == st->capacity))
      grow_events(st);
  } else if (n < 0) {
    if (errno != EINTR)
      ev_syserr("(libev) epoll_wait");
    return false;
  } else if (timeout > 0. && loop->mn_now + timeout - st->last_sweep >= kSweepWhenIdle) {
    // Timed out with nothing to report: a good moment for the sweep, see
    // (b) (mn_now is the time before blocking; we waited `timeout` more).
    sweep(loop, st, loop->mn_now + timeout);
  }
  return true;
}

// The sweep of (b) at least once a second while busy.
inline void sweep_when_busy(ev_loop *loop, epoll_state *st)
{
  if (EV_UNLIKELY(loop->mn_now - st->last_sweep >= kSweepWhenBusy))
    sweep(loop, st, loop->mn_now);
}

// The poll with everything rare: always-ready fds (c), release/acquire hooks.
[[gnu::noinline]] void epoll_poll_general(ev_loop *loop, epoll_state *st, ev_tstamp timeout)
{
  const bool always_ready = st->always_ready.count;
  if (always_ready)
    timeout = 0.;
  release_hook(loop);
  int n = wait_for_events(st, timeout);
  acquire_hook(loop);
  if (!take_events(loop, st, n, timeout))
    return;
  if (always_ready)
    report_always_ready(loop, st);
  sweep_when_busy(loop, st);
}

void epoll_poll(ev_loop *loop, ev_tstamp timeout)
{
  epoll_state *st = state(loop);
  // One test for both rare cases keeps the common path short.
  if (EV_UNLIKELY((loop->extras & kExtraHooks) | static_cast<unsigned>(st->always_ready.count)))
    return epoll_poll_general(loop, st, timeout);
  if (take_events(loop, st, wait_for_events(st, timeout), timeout))
    sweep_when_busy(loop, st);
}

void epoll_fork(ev_loop *loop)
{
  epoll_state *st = state(loop);
  // The new set first, then close the old one: the new fd then has another
  // number, so a loop embedding this one notices the change (with the old
  // number reused, its registration would silently be gone).
  int epfd;
  while ((epfd = create_epoll_fd()) < 0)
    ev_syserr("(libev) epoll_create");
  ::close(st->epfd);
  st->epfd = epfd;
  loop->backend_fd = st->epfd;

  for (int fd = 0; fd < loop->fds.size; ++fd) {
    loop->fds.entries[fd].bmask = 0;
    loop->fds.entries[fd].bflags = 0;
  }
  st->registered = 0;
  st->always_ready.count = 0;
  fd_rearm_all(loop);
}

}  // namespace

constinit const backend_ops epoll_backend = {
    "epoll", EVBACKEND_EPOLL, 1e-3, epoll_init, epoll_destroy, epoll_fork, epoll_modify, epoll_poll,
};

}  // namespace ev_detail
