// SPDX-License-Identifier: BSD-2-Clause
// backends/iouring.cc - the Linux io_uring(7) backend (EVBACKEND_IOURING).
//
// Readiness is watched with one-shot IORING_OP_POLL_ADD requests, one per fd,
// through the raw system calls (no liburing: the library needs only libc).
//
// Kernel quirks handled here:
//  (a) A poll request completes once.  Level-triggered ev_io semantics come
//      from arming it again while the fd has watchers - but only after the
//      callbacks ran, or it would report data they are about to read.  So a
//      completion puts the fd on the loop's change queue (EV__IOFDSET), and
//      fd_reify() re-arms it just before the next poll.  A loop embedded in
//      another gets its fd_reify() from the embedding loop's prepare watcher,
//      so it is re-armed before the outer loop blocks, too.
//  (b) Completions of requests we no longer want (removed, or replaced by a
//      newer request for the same fd) arrive late.  Every POLL_ADD carries
//      the fd and a per-fd generation in user_data; only the completion of
//      the current, still armed request counts.  Removals are tagged
//      kInternal and ignored.
//  (c) A poll request holds a reference to the open file: while it is armed,
//      closing the fd does not close the file (a peer sees no EOF).  Polls
//      of fds nobody watches any more are therefore removed as soon as the
//      change is applied (no lazy removal as with epoll).  A watcher stopped
//      and its fd closed after the last iteration keeps the file open until
//      the next iteration or ev_loop_destroy (libev 4.33: the same).
//  (d) The kernel keeps polling the old file after its fd was closed, so a
//      watcher on a closed fd might never hear anything, or hear of the old
//      file.  The loop's closed-fd sweep (fd/fd.h) finds numbers that
//      are no longer open; their watchers get EV_ERROR.  A number open again
//      (the next accept got it), ready, whose poll reported nothing, is armed
//      anew for the file it is now (iouring_recheck), as select and poll
//      watch it.  A completion
//      reporting POLLHUP/POLLERR
//      (what closing the last other end of a pipe or socket gives) is
//      checked with fcntl(F_GETFD) first: for a closed fd the watchers get
//      EV_ERROR instead.  Other events of a closed fd are delivered once;
//      the re-arm then fails with EBADF, see (e).
//  (e) Per-request errors come in completions: -EBADF (not open) stops the
//      fd's watchers with EV_ERROR|EV_READ|EV_WRITE (libev 4.33 aborts with
//      "event loop rejected bad fd").  Regular files and /dev/null poll as
//      always ready, which is what their watchers get (like epoll's (c)).
//  (f) POLLERR/POLLHUP are reported even if not requested; they make the fd
//      both readable and writable (each watcher sees only its events).
//  (g) Waiting with a timeout: IORING_ENTER_EXT_ARG (5.11) passes it to
//      io_uring_enter; older kernels submit first, then ppoll() the ring fd
//      (it polls readable while completions are waiting).
//  (h) Completions of removals and cancelled polls end a wait although
//      nothing happened for the loop: the wait is resumed for the rest of
//      the timeout, so an iteration is not spent on them.
//  (i) The completion queue can overflow.  With IORING_FEAT_NODROP (5.5) the
//      kernel keeps the extra completions and io_uring_enter(GETEVENTS)
//      flushes them back (the IORING_SQ_CQ_OVERFLOW flag says so); without
//      it they are lost (the overflow counter grows), and only re-arming
//      every fd recovers them.  Either way the ring is rebuilt larger in the
//      next iteration; it also grows before it gets crowded, so overflow
//      stays the exception.
//  (j) Submission may stop early (before IORING_SETUP_SUBMIT_ALL, 5.18, at
//      the first failing request), or fail with EBUSY/EAGAIN while the
//      completion queue is full: completions are reaped and submission is
//      retried.  A full submission queue is submitted to make room.
//  (k) io_uring_setup may be missing (ENOSYS), disabled (sysctl
//      kernel.io_uring_disabled, seccomp: EPERM) or limited (RLIMIT_MEMLOCK
//      before 5.12: ENOMEM), and a seccomp filter may allow io_uring_setup
//      but refuse io_uring_enter (every new ring tries one enter): init
//      fails, the loop falls back to another backend or
//      ev_loop_new(EVBACKEND_IOURING) returns NULL.  Refused later, the ring
//      is replaced, or if that is refused too, the loop goes on without one
//      (see (l)).  Newer setup flags are dropped one by one when a kernel
//      rejects them (EINVAL).
//  (l) The ring (fd and shared memory) is shared with a forked child: after
//      a fork the child creates its own and re-arms everything.  A child
//      that uses the loop without ev_loop_fork would corrupt the parent's
//      ring (both write its queues; the parent's next submission then loops
//      forever): loop/fork_guard.h tells the loop, which quietly gives
//      the child a ring of its own (no fork watchers run: nobody announced a
//      fork).  The old ring is closed first (at the fd limit the new one
//      only exists once the old one is gone); a lost ring fd (closed behind
//      the loop's back: enter fails with EBADF, or EOPNOTSUPP for a number
//      that is now another file) is not closed again.  Without any ring
//      (the system refuses a new one), every watcher gets EV_ERROR and the
//      loop sleeps instead of polling, trying again each time.
//  (m) Embedding: the ring fd is backend_fd; it polls readable while
//      completions are waiting.  Changes applied outside ev_run (by the
//      embedding loop's prepare watcher, loop_depth == 0) are submitted at
//      once, since no poll of ours follows to submit them.  Completions are
//      posted by task work run in the submitting thread; without
//      IORING_SETUP_COOP_TASKRUN the kernel interrupts whatever that thread
//      blocks in (the outer loop's epoll_wait) to run it, so the ring fd
//      does become readable.  (libev 4.33 has no fd for an io_uring loop and
//      aborts in ev_embed_start.)
//  (n) The requests of a thread are cancelled when it exits (-ECANCELED):
//      the loop, run by another thread now, re-arms them.  (libev 4.33
//      aborts: "(libev) IORING_OP_POLL_ADD: Operation canceled".)
//  (p) A poll request that completes once costs the loop's wake-up eventfd
//      a read per wake-up (re-armed, an unread counter would report it
//      again at once).  Where the kernel has multishot polls (Linux 5.13,
//      which also brought IORING_FEAT_RSRC_TAGS, the bit that tells it), an
//      fd registered with kFdEdge gets one (IORING_POLL_ADD_MULTI): it stays
//      armed, posts a completion (IORING_CQE_F_MORE) for every wake-up of
//      the file's waiters, each eventfd write among them, and is never
//      re-armed, so the eventfd is never read (fd/wakeup.cc), as on
//      epoll.  A multishot poll that ends (no IORING_CQE_F_MORE: cancelled,
//      the completion queue overflowed) is re-armed like any other; one the
//      kernel refuses (EINVAL) makes the loop stop asking for them and
//      replace its own fds and the ring, as after a fork: the new wake-up fd
//      is drained.
//  (o) A completion tells of readiness when it was posted.  One posted
//      after the last reap, for data that something else consumed before
//      the next poll (another process, or another callback reading the fd),
//      is a spurious event, which epoll would have re-checked away; ev(3)
//      warns of spurious readiness anyway: use non-blocking fds.
//
// Memory: the rings are the kernel's (mmap of the ring fd) and the (l) page
// must be a page of its own; everything else comes from ev_realloc.  A
// non-blocking poll with nothing to submit makes no system call at all.
#include "backends/iouring.h"

#include <fcntl.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <cerrno>

namespace ev_detail::iouring_internal {
namespace {

constexpr unsigned char kArmed = 0x01;            // fd_entry::bflags: a poll request is live
constexpr std::uint64_t kInternal = 0xffffffffu;  // user_data (low half) of removals, see (b)
constexpr unsigned kMinCq = 256;                  // completion queue sizes, see (i)
constexpr unsigned kMaxCq = 65536;                // the kernel's limit (IORING_MAX_CQ_ENTRIES)

// The shared rings of one io_uring instance.
struct ring {
  int fd;
  unsigned features;  // IORING_FEAT_*
  void *sq_map;
  std::size_t sq_map_size;
  void *cq_map;  // == sq_map with IORING_FEAT_SINGLE_MMAP
  std::size_t cq_map_size;
  io_uring_sqe *sqes;
  std::size_t sqes_size;

  unsigned *sq_head, *sq_tail, *sq_flags;
  unsigned sq_mask, sq_entries;
  unsigned sq_local_tail;  // our copy of *sq_tail (only we write it)

  unsigned *cq_head, *cq_tail, *cq_overflow;
  io_uring_cqe *cqes;
  unsigned cq_mask, cq_entries;
};

// fd_entry use: bflags = kArmed while a poll request is live, bmask = the
// events it waits for, bdata = its generation (see (b)).
struct iouring_state {
  ring r;                  // r.fd == -1: no ring, see (l)
  bool lost;               // r.fd is not ours any more, see (l)
  int armed;               // fds with kArmed
  unsigned want_cq;        // completion queue size for the next ring
  unsigned cq_limit;       // the largest size this kernel gave us, see (i)
  unsigned overflow_seen;  // *cq_overflow when last looked at, see (i)
  bool no_multishot;       // the kernel refused a multishot poll, see (p)
};

inline iouring_state *state(ev_loop *loop) { return static_cast<iouring_state *>(loop->backend_state); }

inline unsigned load_acquire(const unsigned *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
inline void store_release(unsigned *p, unsigned v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

inline std::uint64_t poll_tag(int fd, unsigned gen)
{
  return static_cast<std::uint64_t>(static_cast<std::uint32_t>(fd)) | (static_cast<std::uint64_t>(gen) << 32);
}

int sys_setup(unsigned entries, io_uring_params *p)
{
  return static_cast<int>(::syscall(__NR_io_uring_setup, entries, p));
}

int sys_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags, const void *arg, std::size_t argsz)
{
  return static_cast<int>(::syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, argsz));
}

// Unmap the ring, and close its fd unless it was lost, see (l).
void ring_close(ring &r, bool lost = false)
{
  if (r.sqes)
    ::munmap(r.sqes, r.sqes_size);
  if (r.cq_map && r.cq_map != r.sq_map)
    ::munmap(r.cq_map, r.cq_map_size);
  if (r.sq_map)
    ::munmap(r.sq_map, r.sq_map_size);
  if (r.fd >= 0 && !lost)
    ::close(r.fd);
  r = ring{};
  r.fd = -1;
}

void *map_ring(int fd, std::size_t size, off_t offset)
{
  void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
  return p == MAP_FAILED ? nullptr : p;
}

// Create a ring whose completion queue holds cq_entries; on failure leave
// nothing behind (r.fd == -1) and return false, errno set.  See (k).
bool ring_open(ring &r, unsigned cq_entries)
{
  r = ring{};
  r.fd = -1;

  unsigned sq_entries = cq_entries / 4 < 64 ? 64 : cq_entries / 4;
  if (sq_entries > 4096)
    sq_entries = 4096;

  // Newest first; each kernel takes the first set it knows.
  static constexpr unsigned kFlagSets[] = {
      IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP,
      0,
  };
  io_uring_params p;
  int fd = -1;
  for (unsigned flags : kFlagSets) {
    std::memset(&p, 0, sizeof p);
    p.flags = flags;
    p.cq_entries = cq_entries;
    // Without CQSIZE the completion queue is twice the submission queue.
    fd = sys_setup(flags ? sq_entries : cq_entries / 2, &p);
    if (fd >= 0 || errno != EINVAL)
      break;
  }
  if (fd < 0)
    return false;
  r.fd = fd;
  r.features = p.features;

  r.sq_map_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  r.cq_map_size = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  if (p.features & IORING_FEAT_SINGLE_MMAP) {
    if (r.cq_map_size > r.sq_map_size)
      r.sq_map_size = r.cq_map_size;
    r.sq_map = map_ring(fd, r.sq_map_size, IORING_OFF_SQ_RING);
    r.cq_map = r.sq_map;
    r.cq_map_size = r.sq_map_size;
  } else {
    r.sq_map = map_ring(fd, r.sq_map_size, IORING_OFF_SQ_RING);
    if (r.sq_map)
      r.cq_map = map_ring(fd, r.cq_map_size, static_cast<off_t>(IORING_OFF_CQ_RING));
  }
  r.sqes_size = p.sq_entries * sizeof(io_uring_sqe);
  if (r.cq_map)
    r.sqes = static_cast<io_uring_sqe *>(map_ring(fd, r.sqes_size, static_cast<off_t>(IORING_OFF_SQES)));
  if (!r.sqes) {
    int err = errno;
    ring_close(r);
    errno = err;
    return false;
  }

  char *sq = static_cast<char *>(r.sq_map);
  char *cq = static_cast<char *>(r.cq_map);
  r.sq_head = reinterpret_cast<unsigned *>(sq + p.sq_off.head);
  r.sq_tail = reinterpret_cast<unsigned *>(sq + p.sq_off.tail);
  r.sq_flags = reinterpret_cast<unsigned *>(sq + p.sq_off.flags);
  r.sq_mask = *reinterpret_cast<unsigned *>(sq + p.sq_off.ring_mask);
  r.sq_entries = *reinterpret_cast<unsigned *>(sq + p.sq_off.ring_entries);
  r.sq_local_tail = *r.sq_tail;
  r.cq_head = reinterpret_cast<unsigned *>(cq + p.cq_off.head);
  r.cq_tail = reinterpret_cast<unsigned *>(cq + p.cq_off.tail);
  r.cq_overflow = reinterpret_cast<unsigned *>(cq + p.cq_off.overflow);
  r.cqes = reinterpret_cast<io_uring_cqe *>(cq + p.cq_off.cqes);
  r.cq_mask = *reinterpret_cast<unsigned *>(cq + p.cq_off.ring_mask);
  r.cq_entries = *reinterpret_cast<unsigned *>(cq + p.cq_off.ring_entries);

  // Slot i of the submission array always names sqe i: we fill the sqes in
  // ring order, so the indirection never changes.
  unsigned *array = reinterpret_cast<unsigned *>(sq + p.sq_off.array);
  for (unsigned i = 0; i < r.sq_entries; ++i)
    array[i] = i;

  // A seccomp filter may allow io_uring_setup but refuse io_uring_enter,
  // see (k): an enter that submits and waits for nothing tells.
  if (sys_enter(r.fd, 0, 0, 0, nullptr, 0) < 0 && errno != EINTR) {
    int err = errno;
    ring_close(r);
    errno = err;
    return false;
  }
  return true;
}

inline unsigned sq_pending(const ring &r) { return r.sq_local_tail - load_acquire(r.sq_head); }
inline bool cq_empty(const ring &r) { return load_acquire(r.cq_tail) == *r.cq_head; }
inline bool cq_overflow_flagged(const ring &r) { return load_acquire(r.sq_flags) & IORING_SQ_CQ_OVERFLOW; }

// One completion.  Returns 1 if it was the completion of a live poll (the
// fd got its events or was killed; it is no longer armed unless it is a
// multishot poll that goes on, see (p)), else 0.
int process_cqe(ev_loop *loop, iouring_state *st, std::uint64_t user_data, int res, unsigned flags)
{
  auto fd = static_cast<std::uint32_t>(user_data);
  auto gen = static_cast<unsigned>(user_data >> 32);
  if (fd >= static_cast<std::uint32_t>(loop->fds.size))
    return 0;  // kInternal, see (b)
  fd_entry &e = loop->fds.entries[fd];
  if (!(e.bflags & kArmed) || e.bdata != gen)
    return 0;  // stale, see (b)

  const bool goes_on = flags & IORING_CQE_F_MORE;  // see (p)
  if (!goes_on) {
    e.bflags = 0;
    --st->armed;
  }
  const int ifd = static_cast<int>(fd);

  if (res >= 0) {
    auto revents = static_cast<unsigned>(res);
    // A hang-up is what a file polled past the close of its fd typically
    // reports (its last other end went away); see (d).
    if ((revents & (POLLERR | POLLHUP)) && ::fcntl(ifd, F_GETFD) < 0 && errno == EBADF) {
      fd_kill(loop, ifd);
      return 1;
    }
    int got = (revents & (POLLIN | POLLERR | POLLHUP) ? EV_READ : 0) |
              (revents & (POLLOUT | POLLERR | POLLHUP) ? EV_WRITE : 0);
    if (got)
      fd_event(loop, ifd, got);
  } else if (res != -ECANCELED && res != -EINTR && res != -EAGAIN && res != -ENOMEM) {
    if (res == -EINVAL && (e.bmask & kFdEdge)) {
      // No multishot polls after all, see (p): the loop's own fds (the
      // eventfd is still open: killed, it would be taken for lost and left
      // open) are replaced, with the ring, as after a fork.
      st->no_multishot = true;
      request_repair(loop, kRepairAll);
      return 1;
    }
    // -EBADF: not open; anything else: the kernel cannot poll it.  See (e).
    fd_kill(loop, ifd);
    return 1;
  }

  // Re-arm after the callbacks, see (a).  A watcherless fd was queued by the
  // stop that removed its last watcher.
  if (e.head && !goes_on)
    loop->fds.change(ifd, EV__IOFDSET);
  return 1;
}

// Take every completion off the queue.  Returns the number of live polls
// that completed.
int reap(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  int live = 0;
  unsigned head = *r.cq_head;
  for (;;) {
    unsigned tail = load_acquire(r.cq_tail);
    if (head == tail)
      break;
    // Processing never touches the ring, so the slots go back in one store.
    do {
      const io_uring_cqe &c = r.cqes[head++ & r.cq_mask];
      live += process_cqe(loop, st, c.user_data, c.res, c.flags);
    } while (head != tail);
    store_release(r.cq_head, head);
  }
  return live;
}

// Submit what is queued without waiting.  Completions are reaped when the
// kernel needs room for them, see (j).  Returns 0 or an errno.
int submit(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  int stuck = 0;
  while (unsigned n = sq_pending(r)) {
    int res = sys_enter(r.fd, n, 0, 0, nullptr, 0);
    if (res > 0) {
      stuck = 0;
      continue;
    }
    int err = res < 0 ? errno : EAGAIN;
    if (err == EINTR)
      continue;
    if (err != EBUSY && err != EAGAIN)
      return err;
    // The kernel wants completions taken first; if there are none, it is
    // short of memory: give up after a few tries (the sqes stay queued and
    // go with the next submission).
    if (!reap(loop, st) && cq_empty(r) && ++stuck > 3)
      return err;
  }
  return 0;
}

// The ring cannot be used any more (its fd was closed behind our back, or
// the kernel refuses to take submissions): a new ring replaces it before
// the next poll, with every fd armed again; until then nothing is queued.
void ring_broken(ev_loop *loop, iouring_state *st, int err)
{
  if (err == EBADF || err == EOPNOTSUPP)
    st->lost = true;  // not our fd any more: not closed again, see (l)
  else {
    errno = err;
    ev_syserr("(libev) io_uring_enter");
  }
  request_backend_rebuild(loop);
}

// Make room for n sqes: a full queue is submitted first.  False if the
// kernel would not take it (the ring is then rebuilt, see ring_broken).
bool make_room(ev_loop *loop, iouring_state *st, unsigned n)
{
  ring &r = st->r;
  while (r.sq_entries - sq_pending(r) < n)
    if (int err = submit(loop, st)) {
      ring_broken(loop, st, err);
      return false;
    }
  return true;
}

// The next sqe slot, zeroed (the caller made room).
io_uring_sqe *next_sqe(iouring_state *st)
{
  ring &r = st->r;
  io_uring_sqe *sqe = &r.sqes[r.sq_local_tail & r.sq_mask];
  std::memset(sqe, 0, sizeof *sqe);
  return sqe;
}

inline void publish_sqe(ring &r)
{
  ++r.sq_local_tail;
  store_release(r.sq_tail, r.sq_local_tail);
}

void queue_poll_add(iouring_state *st, int fd, fd_entry &e, int ev)
{
  io_uring_sqe *sqe = next_sqe(st);
  unsigned events = (ev & EV_READ ? POLLIN : 0u) | (ev & EV_WRITE ? POLLOUT : 0u);
  sqe->opcode = IORING_OP_POLL_ADD;
  sqe->fd = fd;
  if (ev & kFdEdge)
    sqe->len = IORING_POLL_ADD_MULTI;  // see (p)
  if (st->r.features & IORING_FEAT_POLL_32BITS)
    sqe->poll32_events = events;
  else
    sqe->poll_events = static_cast<__u16>(events);
  ++e.bdata;
  sqe->user_data = poll_tag(fd, e.bdata);
  publish_sqe(st->r);
  e.bflags = kArmed;
  e.bmask = static_cast<unsigned char>(ev);
  ++st->armed;
}

void queue_poll_remove(iouring_state *st, int fd, fd_entry &e)
{
  io_uring_sqe *sqe = next_sqe(st);
  sqe->opcode = IORING_OP_POLL_REMOVE;
  sqe->fd = -1;
  sqe->addr = poll_tag(fd, e.bdata);
  sqe->user_data = kInternal;
  // Success needs no completion; -ENOENT (it just completed) still posts one.
  if (st->r.features & IORING_FEAT_CQE_SKIP)
    sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
  publish_sqe(st->r);
  e.bflags = 0;
  --st->armed;
}

// Forget which fds are armed: the ring they were armed in is gone.
void forget_armed(ev_loop *loop, iouring_state *st)
{
  for (int fd = 0; fd < loop->fds.size; ++fd) {
    loop->fds.entries[fd].bflags = 0;
    loop->fds.entries[fd].bmask = 0;
  }
  st->armed = 0;
}

// Open a ring with a completion queue of `size` (smaller if the memory
// lock limit before 5.12 refuses it); false if the system refuses.
bool open_ring(iouring_state *st, unsigned size)
{
  for (;;) {
    if (ring_open(st->r, size))
      return true;
    if (errno != ENOMEM || size <= kMinCq)
      return false;
    size /= 2;
  }
}

// Swap the ring for a new one with a completion queue of `size` (after a
// fork, a larger one, see (i), or after it was lost, see (l)): the old one
// is closed first, so that the new one exists even at the fd limit.  No fd
// is armed in the new ring yet.  False if there is no ring now.
bool replace_ring(ev_loop *loop, iouring_state *st, unsigned size)
{
  ring_close(st->r, st->lost);
  st->lost = false;
  forget_armed(loop, st);
  if (!retry_after_syserr("(libev) io_uring_setup", [st, size] { return open_ring(st, size) ? 0 : -1; })) {
    set_backend_fd(loop, -1);
    return false;
  }
  if (st->r.cq_entries < st->want_cq)  // refused or clamped: stop asking
    st->cq_limit = st->r.cq_entries;
  st->want_cq = st->r.cq_entries;
  st->overflow_seen = load_acquire(st->r.cq_overflow);
  set_backend_fd(loop, st->r.fd);
  return true;
}

}  // namespace

void modify(ev_loop *loop, int fd, int /*oev*/, int nev)
{
  iouring_state *st = state(loop);
  const bool renewed = nev & EV__IOFDSET;  // ev_io_set, or a re-arm (a)
  nev &= EV_READ | EV_WRITE | kFdEdge;
  if (!(nev & (EV_READ | EV_WRITE)))
    nev = 0;

  if (st->r.fd < 0) {  // no ring, see (l)
    if (nev)
      fd_kill_user_watchers(loop, fd);
    return;
  }
  // Room for a removal and an add before looking at e: making room may
  // reap completions, which changes the state of fds.  Without room the
  // ring is rebuilt, which arms every fd anew.
  if (!make_room(loop, st, 2))
    return;

  fd_entry &e = loop->fds.entries[fd];
  if (e.bflags & kArmed) {
    if (!renewed && e.bmask == static_cast<unsigned char>(nev))
      return;  // the kernel already waits for exactly this
    queue_poll_remove(st, fd, e);
  }
  if (nev)
    queue_poll_add(st, fd, e, nev);

  // Outside ev_run no poll of ours follows to submit this, see (m).
  if (!loop->loop_depth) {
    int err = submit(loop, st);
    // Making room reaped completions, so callbacks are due, but the queue
    // may now be empty: a no-op completion makes the ring fd readable, so
    // the embedding loop runs us.
    if (!err && loop->pending.any() && make_room(loop, st, 1)) {
      io_uring_sqe *sqe = next_sqe(st);
      sqe->opcode = IORING_OP_NOP;
      sqe->user_data = kInternal;
      publish_sqe(st->r);
      err = submit(loop, st);
    }
    // The kernel short of memory: what is queued goes with the next poll.
    if (err && err != EBUSY && err != EAGAIN)
      ring_broken(loop, st, err);
  }
}

namespace {

// Submit what is queued and wait up to timeout (> 0) for a completion.
// Returns 0, or the errno of the failed call (ETIME: timed out).  See (g).
int submit_and_wait(ev_loop *loop, iouring_state *st, ev_tstamp timeout)
{
  ring &r = st->r;
  auto sec = static_cast<long long>(timeout);
  auto nsec = static_cast<long long>((timeout - static_cast<ev_tstamp>(sec)) * 1e9 + 0.999999);  // never early
  if (nsec >= 1000000000) {
    ++sec;
    nsec -= 1000000000;
  }

#ifndef EV_IOURING_NO_EXT_ARG  // defined: test the pre-5.11 path on a new kernel
  if (r.features & IORING_FEAT_EXT_ARG) {
    __kernel_timespec ts;
    ts.tv_sec = sec;
    ts.tv_nsec = nsec;
    io_uring_getevents_arg arg;
    std::memset(&arg, 0, sizeof arg);
    // (through uintptr_t: a 32-bit pointer cast to 64 bits directly is sign-extended, and
    // the kernel refuses the address, EFAULT)
    arg.ts = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&ts));
    int res = sys_enter(r.fd, sq_pending(r), 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
    return res < 0 ? errno : 0;
  }
#endif

  if (int err = submit(loop, st))
    return err;
  if (!cq_empty(r))
    return 0;
  struct pollfd pfd = {r.fd, POLLIN, 0};
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(sec);
  ts.tv_nsec = static_cast<long>(nsec);
  int res = ::ppoll(&pfd, 1, &ts, nullptr);
  return res < 0 ? errno : res == 0 ? ETIME : 0;
}

// Bring overflowed completions back into the queue, see (i).
void flush_overflow(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  for (int i = 0; i < 64 && cq_overflow_flagged(r); ++i) {
    reap(loop, st);
    int res = sys_enter(r.fd, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0);
    if (res < 0 && errno != EINTR && errno != EBUSY && errno != EAGAIN) {
      ring_broken(loop, st, errno);
      return;
    }
  }
}

// The queue overflowed or is getting crowded: rebuild a larger ring in the
// next iteration (request_backend_rebuild: the repair step calls
// iouring_fork), see (i).
void check_capacity(ev_loop *loop, iouring_state *st, bool overflowed, unsigned armed)
{
  ring &r = st->r;
  unsigned lost = load_acquire(r.cq_overflow);
  if (lost != st->overflow_seen) {
    st->overflow_seen = lost;  // completions are gone: only re-arming everything helps
    request_backend_rebuild(loop);
  }
  // Room for every live poll plus the removals and cancellations of one
  // iteration's changes: four completions per armed fd.
  if ((overflowed || armed > r.cq_entries / 4) && r.cq_entries < st->cq_limit) {
    unsigned size = r.cq_entries * 2;
    while (size < st->cq_limit && size / 4 < armed)
      size *= 2;
    st->want_cq = size < st->cq_limit ? size : st->cq_limit;
    request_backend_rebuild(loop);
  }
}

// No ring, see (l): try to get one (every fd is armed in the next
// iteration); meanwhile sleep a little at a time.
void poll_without_ring(ev_loop *loop, iouring_state *st, ev_tstamp timeout)
{
  if (open_ring(st, st->want_cq)) {
    st->overflow_seen = load_acquire(st->r.cq_overflow);
    set_backend_fd(loop, st->r.fd);
    fd_rearm_all(loop);
    return;
  }
  sleep_instead_of_waiting(loop, timeout);
}

}  // namespace

template <bool kHooks>
void poll(ev_loop *loop, ev_tstamp timeout)
{
  iouring_state *st = state(loop);
  if (st->r.fd < 0)
    return poll_without_ring(loop, st, timeout);
  ring &r = st->r;

  ev_tstamp deadline = timeout > 0. ? monotonic_now() + timeout : 0.;
  bool overflowed = false;
  bool timed_out = false;
  int live = 0;
  int busy = 0;
  // Polls in flight once this call has submitted (they may all complete).
  auto peak = static_cast<unsigned>(st->armed);

  for (bool first = true;; first = false) {
    int err = 0;
    // Wait only when nothing is there yet; a zero timeout only submits.
    const bool wait = timeout > 0. && cq_empty(r);
    if (first || wait) {
      auto call = [loop, st, &r, wait, timeout] {
        return wait ? submit_and_wait(loop, st, timeout) : sq_pending(r) ? submit(loop, st) : 0;
      };
      err = kHooks ? hooked_wait(loop, EINTR, call) : call();
    }

    if (err) {
      if (err == ETIME)
        timed_out = true;
      else if (err == EINTR) {
        reap(loop, st);
        break;  // returns early and quietly
      } else if ((err != EBUSY && err != EAGAIN) || ++busy > 3) {
        // Lost (EBADF, EOPNOTSUPP), refused (EPERM: a seccomp filter), or
        // the kernel short of memory for good: a new ring before the next
        // poll (none if the system refuses one: see (l)).  EBUSY/EAGAIN
        // otherwise: reaping makes room (below).
        reap(loop, st);
        ring_broken(loop, st, err);
        return;
      }
    }

    live += reap(loop, st);
    if (cq_overflow_flagged(r)) {
      overflowed = true;
      flush_overflow(loop, st);
      live += reap(loop, st);
    }

    // Only stale completions woke us: wait for the rest of the time, see (h).
    if (live || timed_out || timeout <= 0.)
      break;
    ev_tstamp now = monotonic_now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    timeout = deadline - now;
  }

  check_capacity(loop, st, overflowed, peak);
}

template void poll<false>(ev_loop *loop, ev_tstamp timeout);
template void poll<true>(ev_loop *loop, ev_tstamp timeout);

namespace {

bool iouring_init(ev_loop *loop)
{
  ring r;
  if (!ring_open(r, kMinCq))
    return false;
  iouring_state *st = backend_state_new<iouring_state>(loop->backend_state);
  st->r = r;
  st->want_cq = r.cq_entries;
  st->cq_limit = kMaxCq;
  st->overflow_seen = load_acquire(r.cq_overflow);
  set_backend_fd(loop, r.fd);
  return true;
}

void iouring_destroy(ev_loop *loop)
{
  iouring_state *st = state(loop);
  if (!st)
    return;
  ring_close(st->r, st->lost);
  backend_state_free(loop->backend_state);
  loop->backend_fd = -1;
}

// After a fork (the ring is the parent's, see (l)), to rebuild a larger
// ring (see (i)), or after the ring was lost: a new ring, and every fd
// queued for arming.  Without a ring, the program's watchers are told
// (EV_ERROR); the loop's own are armed once there is one again.
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

// Multishot polls for kFdEdge, see (p).
bool iouring_edge_triggered(const ev_loop *loop)
{
  const auto *st = static_cast<const iouring_state *>(loop->backend_state);
  return st && st->r.fd >= 0 && (st->r.features & IORING_FEAT_RSRC_TAGS) && !st->no_multishot;
}

}  // namespace

}  // namespace ev_detail::iouring_internal

namespace ev_detail {

using namespace iouring_internal;

// The sweep's recheck (backend.h): a poll request holds the file it was
// armed for, which may be a closed one whose number is another file's now
// (see (d)); the kernel cannot be asked which, so the fd is armed anew, for
// the file under the number now, as select and poll watch it.  (Another
// iteration for a ready fd whose completion was on its way: the old
// request's is dropped, see (b).)
static void iouring_recheck(ev_loop *loop, int fd) { loop->fds.change(fd, EV__IOFDSET); }

constinit const backend_ops iouring_backend = {
    "io_uring", EVBACKEND_IOURING, 1e-6, iouring_init,           iouring_destroy, iouring_fork,
    modify,     poll<true>,        true, iouring_edge_triggered, iouring_recheck};

}  // namespace ev_detail
