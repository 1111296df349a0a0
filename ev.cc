// ev.cc - THE LOOP (ev(3) FUNCTIONS CONTROLLING EVENT LOOPS, GENERIC
// WATCHER FUNCTIONS): creation and destruction, ev_run written as the
// manual's iteration list (one named step per phase), ev_break, references,
// the invocation of pending watchers and the loop's simple accessors.
#include "loop.h"

#include <cstdlib>
#include <new>
#include <unistd.h>

using namespace ev_detail;

// The default loop lives in static storage and is never freed (ev(3)); raw
// storage keeps it free of any global constructor.
alignas(ev_loop) static unsigned char default_loop_storage[sizeof(ev_loop)];

extern "C" {
// [read-only for users] exported data object; EV_DEFAULT_UC reads it inline.
struct ev_loop *ev_default_loop_ptr = nullptr;
}

namespace {

// The callback of the dummy watcher that stands in for cleared pending slots.
void pending_dummy_cb(ev_loop *, ev_watcher *, int) {}

// Decide which flags apply: LIBEV_FLAGS replaces them unless EVFLAG_NOENV
// or the process runs with elevated privileges (secure_getenv).
unsigned int effective_flags(unsigned int flags)
{
  if (!(flags & EVFLAG_NOENV))
    if (const char *env = secure_getenv("LIBEV_FLAGS"))
      flags = static_cast<unsigned int>(std::atoi(env));
  return flags;
}

// Set up a zeroed loop object.  Returns false (and leaves nothing
// allocated) when no requested backend can be initialised.
bool loop_init(ev_loop *loop, unsigned int requested)
{
  unsigned int flags = effective_flags(requested);

  loop->flags = flags;
  loop->invoke_cb = ev_invoke_pending;
  loop->backend_fd = -1;
  loop->evpipe[0] = loop->evpipe[1] = -1;
  loop->sigfd = -1;
  loop->timerfd = -1;
  loop->fs_fd = -1;
  loop->pending.dummy.cb = pending_dummy_cb;

  loop->mn_now = monotonic_now();
  loop->ev_rt_now = realtime_now();
  loop->rt_offset = loop->ev_rt_now - loop->mn_now;
  loop->rt_recheck_at = loop->mn_now + kRealtimeRecheck;

  // ev(3): EVFLAG_FORKCHECK is honoured from the caller's flags only.
  if (requested & EVFLAG_FORKCHECK) {
    loop->curpid = getpid();
    loop->extras |= kExtraForkcheck;
  }

  if (!(flags & EVBACKEND_MASK))
    flags |= ev_recommended_backends();
  if (!backend_select(loop, flags))
    return false;
  loop->backend_mintime = loop->backend->mintime;
  loop->max_block = kMaxBlockTime;

  // The internal watchers start out initialised but stopped.
  ev_init(&loop->pipe_w, nullptr);
  ev_init(&loop->sigfd_w, nullptr);
  ev_init(&loop->timerfd_w, nullptr);
  ev_init(&loop->fs_w, nullptr);
  return true;
}

void loop_free_arrays(ev_loop *loop)
{
  loop->pending.release();
  loop->fds.release();
  loop->timers.release();
  loop->periodics.release();
  loop->rfeeds.release();
  for (auto &a : loop->idles)
    a.release();
  loop->prepares.release();
  loop->checks.release();
  loop->forks.release();
  loop->cleanups.release();
  loop->asyncs.release();
}

// ---------------------------------------------------------------------------
// The phases of one iteration (ev(3) ev_run; SEMANTICS.md §3)
// ---------------------------------------------------------------------------

// With EVFLAG_FORKCHECK: a changed pid means we are in a forked child.
inline void detect_fork(ev_loop *loop)
{
  if (EV_UNLIKELY(loop->curpid) && EV_UNLIKELY(getpid() != loop->curpid)) {
    loop->curpid = getpid();
    loop->postfork = 1;
    loop->extras |= kExtraPostfork;
  }
}

// After a fork: queue all fork watchers and invoke (before prepare).
inline void run_fork_watchers(ev_loop *loop)
{
  if (EV_UNLIKELY(loop->postfork) && loop->forks.count) {
    queue_events(loop, loop->forks.data, loop->forks.count, EV_FORK);
    invoke_pending(loop);
  }
}

// Queue all prepare watchers and invoke everything pending.
inline void run_prepare_watchers(ev_loop *loop)
{
  if (loop->prepares.count) {
    queue_events(loop, loop->prepares.data, loop->prepares.count, EV_PREPARE);
    invoke_pending(loop);
  }
}

// The time until the next timer, rounded up to the backend's resolution
// (0 if it is due); the common case of block_time.
inline ev_tstamp until_next_timer(ev_loop *loop, ev_tstamp waittime)
{
  if (loop->timers.count) {
    time_update(loop);
    ev_tstamp to = loop->timers.top().at - loop->mn_now;
    if (to < waittime)
      waittime = to;
  }
  ev_tstamp mintime = loop->backend_mintime;
  if (EV_UNLIKELY(waittime < mintime))
    waittime = waittime <= 0. ? 0. : mintime;
  return waittime;
}

// block_time with periodics or collect intervals.
[[gnu::noinline]] ev_tstamp block_time_extras(ev_loop *loop, ev_tstamp waittime)
{
  ev_tstamp prev_mn_now = loop->mn_now;
  if (loop->timers.count || loop->periodics.count || loop->io_blocktime > 0.)
    time_update(loop);

  if (loop->timers.count) {
    ev_tstamp to = loop->timers.top().at - loop->mn_now;
    if (to < waittime)
      waittime = to;
  }
  if (loop->periodics.count) {
    ev_tstamp to = loop->periodics.top().at - loop->ev_rt_now;
    if (to < waittime)
      waittime = to;
  }
  if (EV_UNLIKELY(waittime < loop->timeout_blocktime))
    waittime = loop->timeout_blocktime;

  ev_tstamp mintime = loop->backend->mintime;
  if (EV_UNLIKELY(waittime < mintime))
    waittime = waittime <= 0. ? 0. : mintime;

  if (EV_UNLIKELY(loop->io_blocktime > 0.)) {
    ev_tstamp sleeptime = loop->io_blocktime - (loop->mn_now - prev_mn_now);
    if (sleeptime > waittime - mintime)
      sleeptime = waittime - mintime;
    if (sleeptime > 0.) {
      ev_sleep(sleeptime);
      waittime -= sleeptime;
    }
  }
  return waittime;
}

// How long the backend may block: 0 when the caller said NOWAIT, when idle
// watchers want to run, or when nothing references the loop (and, decided by
// the caller, when a wake-up was already signalled); else until the next
// timer or periodic, raised to
// the timeout collect interval and to the backend's resolution.  With an io
// collect interval, part of the time is spent in ev_sleep here instead.
// (The clock is only read to compute a time until a timer or periodic.)
inline ev_tstamp block_time(ev_loop *loop, int flags)
{
  if ((flags & EVRUN_NOWAIT) || !loop->activecnt)
    return 0.;
  const unsigned extras = loop->extras;
  if (EV_UNLIKELY(extras & kExtraIdle))
    return 0.;

  ev_tstamp waittime = loop->max_block;
  if (EV_UNLIKELY(extras & (kExtraPeriodic | kExtraCollect)))
    return block_time_extras(loop, waittime);
  return until_next_timer(loop, waittime);
}

// Block in the backend and collect io events; then update the clock.
inline void poll_for_events(ev_loop *loop, int flags)
{
  ev_tstamp waittime = block_time(loop, flags);

  // Announce that we may block, so that senders of wake-ups write to the fd
  // from now on; a wake-up signalled without a write before this point
  // means: do not block (core/wakeup.h).  Announced as late as possible, so
  // that sends arriving while the loop is still busy cost no write().
  // (Only once the loop has the fd: ev_async/ev_signal create it.)
  const bool wakeups = loop->extras & kExtraWakeup;
  if (wakeups) {
    loop->pipe_write_wanted.store(1, std::memory_order_seq_cst);
    if (loop->pipe_write_skipped.load(std::memory_order_seq_cst))
      waittime = 0.;
  }

  ++loop->loop_count;
  loop->backend->poll(loop, waittime);

  if (wakeups) {
    loop->pipe_write_wanted.store(0, std::memory_order_seq_cst);
    wakeup_after_poll(loop);
  }
  time_update(loop);
}

// Queue what became due: timers, then periodics, then idles (idle rule),
// then all check watchers.  Invocation is LIFO within a priority, so at
// equal priority checks run first and io last.
[[gnu::noinline]] void queue_due_extras(ev_loop *loop)
{
  if (loop->periodics.count && loop->periodics.top().at < loop->ev_rt_now)
    periodics_reify(loop);
  if (loop->idleall)
    idle_reify(loop);
  if (loop->checks.count)
    queue_events(loop, loop->checks.data, loop->checks.count, EV_CHECK);
}

inline void queue_due_watchers(ev_loop *loop)
{
  if (loop->timers.count && loop->timers.top().at < loop->mn_now)
    timers_reify(loop);
  if (EV_UNLIKELY(loop->extras & (kExtraPeriodic | kExtraIdle | kExtraCheck)))
    queue_due_extras(loop);
}

// The backend found its kernel state unusable (epoll: a registration of an
// fd number that now denotes another open file keeps reporting events):
// rebuild it.  Unlike libev, fork watchers do not run: there was no fork.
void backend_rebuild(ev_loop *loop)
{
  loop->backend_rebuild = 0;
  loop->extras &= ~kExtraPostfork;
  loop->backend->fork(loop);
}

// Steps 1, 2 and 4 of an iteration when they have work (fork, prepare,
// rebuild); true when a prepare callback asked to break.
[[gnu::noinline]] bool before_poll_extras(ev_loop *loop)
{
  detect_fork(loop);
  run_fork_watchers(loop);
  run_prepare_watchers(loop);
  if (EV_UNLIKELY(loop->loop_done))
    return true;
  if (EV_UNLIKELY(loop->postfork))
    loop_fork_rebuild(loop);
  else if (EV_UNLIKELY(loop->backend_rebuild))
    backend_rebuild(loop);
  return false;
}

}  // namespace

namespace ev_detail {

// In the first iteration after a fork, before polling: every module whose
// kernel state the child shares with the parent rebuilds it.
void loop_fork_rebuild(ev_loop *loop)
{
  loop->backend_rebuild = 0;
  loop->extras &= ~kExtraPostfork;
  loop->backend->fork(loop);
  wakeup_fork(loop);
  signalfd_fork(loop);
  timerfd_fork(loop);
  stat_fork(loop);
  loop->postfork = 0;
}

}  // namespace ev_detail

extern "C" {

// ---------------------------------------------------------------------------
// GLOBAL FUNCTIONS
// ---------------------------------------------------------------------------

int ev_version_major(void) noexcept { return EV_VERSION_MAJOR; }
int ev_version_minor(void) noexcept { return EV_VERSION_MINOR; }

// ---------------------------------------------------------------------------
// Creating and destroying loops
// ---------------------------------------------------------------------------

struct ev_loop *ev_default_loop(unsigned int flags) noexcept
{
  if (!ev_default_loop_ptr) {
    ev_loop *loop = new (default_loop_storage) ev_loop();
    ev_default_loop_ptr = loop;
    if (loop_init(loop, flags))
      child_default_loop_init(loop);
    else {
      loop->~ev_loop();
      ev_default_loop_ptr = nullptr;  // a later call may try other flags
    }
  }
  return ev_default_loop_ptr;
}

// libev 4.33 allocates 1288 bytes for a loop; allocating (at least) as much
// keeps even its out-of-memory message ("cannot allocate 1288 bytes")
// identical.  Our loop object is smaller; the rest is unused.
constexpr std::size_t kLoopAllocation = sizeof(ev_loop) > 1288 ? sizeof(ev_loop) : 1288;

struct ev_loop *ev_loop_new(unsigned int flags) noexcept
{
  void *mem = ev_realloc(nullptr, kLoopAllocation);
  ev_loop *loop = new (mem) ev_loop();
  if (loop_init(loop, flags))
    return loop;
  loop->~ev_loop();
  ev_free(mem);
  return nullptr;
}

// ev(3): runs the cleanup watchers (in a normal invocation pass, so anything
// else pending runs too), then releases everything.  User watchers are not
// stopped.  May throw what a callback throws: nothing is released before.
void ev_loop_destroy(struct ev_loop *loop)
{
  if (!loop)
    return;

  if (loop->cleanups.count) {
    queue_events(loop, loop->cleanups.data, loop->cleanups.count, EV_CLEANUP);
    invoke_pending(loop);
  }

  if (loop == ev_default_loop_ptr)
    child_default_loop_destroy(loop);
  signals_loop_destroy(loop);
  stat_loop_destroy(loop);
  timerfd_destroy(loop);
  wakeup_destroy(loop);
  if (loop->backend)
    loop->backend->destroy(loop);
  loop_free_arrays(loop);

  bool is_default = loop == ev_default_loop_ptr;
  loop->~ev_loop();
  if (is_default)
    ev_default_loop_ptr = nullptr;
  else
    ev_free(loop);
}

// Only sets a flag: the next iteration runs the fork watchers and rebuilds
// kernel state (SEMANTICS.md §14).
void ev_loop_fork(struct ev_loop *loop) noexcept
{
  loop->postfork = 1;
  loop->extras |= kExtraPostfork;
}

unsigned int ev_backend(struct ev_loop *loop) noexcept { return loop->backend->flag; }

ev_tstamp ev_now(struct ev_loop *loop) noexcept { return loop->ev_rt_now; }

void ev_now_update(struct ev_loop *loop) noexcept { time_update(loop); }

// ---------------------------------------------------------------------------
// ev_run
// ---------------------------------------------------------------------------

int ev_run(struct ev_loop *loop, int flags)
{
  // Increment loop depth (not decremented if a callback throws: ev(3)).
  ++loop->loop_depth;
  if (EV_UNLIKELY(loop->in_release))
    usage_error("ev_run", "libev: ev_loop recursion during release detected");

  // Reset the break state; run whatever is already pending (left over from
  // an exception, or fed before the loop started).
  loop->loop_done = EVBREAK_CANCEL;
  invoke_pending(loop);

  do {
    // 1. If a fork was detected or announced: queue and invoke fork watchers.
    // 2. Queue and invoke all prepare watchers (and anything else pending).
    // 3. If ev_break was called, stop here: no poll, no iteration counted.
    // 4. After a fork, rebuild the kernel state (then step 5).
    // (One test of loop->extras skips 1, 2 and 4 when they have nothing to do.)
    if (EV_UNLIKELY(loop->extras & (kExtraForkcheck | kExtraPostfork | kExtraPrepare))) {
      if (before_poll_extras(loop))
        break;
    } else if (EV_UNLIKELY(loop->loop_done))
      break;

    // 5. Tell the kernel about the fds whose wanted events changed since
    //    the last iteration.
    if (loop->fds.changes.count)
      fd_reify(loop);

    // 6-8. Update the clock, compute the block time, block in the backend
    //      (queueing io events), update the clock again.
    poll_for_events(loop, flags);

    // 9. Queue expired timers, due periodics, idle watchers, check watchers.
    queue_due_watchers(loop);

    // 10. Invoke everything pending, highest priority first (the default
    //     invocation inline: this is the hot end of every iteration).
    if (EV_UNLIKELY(loop->extras & kExtraInvokeCb))
      loop->invoke_cb(loop);
    else if (loop->pending.mask)
      loop->pending.invoke_all([loop](W w, int revents) { w->cb(loop, w, revents); });

    // 11. Repeat while references remain and neither a break nor
    //     EVRUN_ONCE/EVRUN_NOWAIT says otherwise.
  } while (EV_LIKELY(!(flags & (EVRUN_ONCE | EVRUN_NOWAIT)) && loop->activecnt && !loop->loop_done));

  // EVBREAK_ONE ends this ev_run only; EVBREAK_ALL stays for the outer ones.
  if (loop->loop_done == EVBREAK_ONE)
    loop->loop_done = EVBREAK_CANCEL;

  --loop->loop_depth;
  return loop->activecnt;
}

void ev_break(struct ev_loop *loop, int how) noexcept { loop->loop_done = how; }

void ev_ref(struct ev_loop *loop) noexcept { ++loop->activecnt; }
void ev_unref(struct ev_loop *loop) noexcept { --loop->activecnt; }

unsigned int ev_iteration(struct ev_loop *loop) noexcept { return loop->loop_count; }
unsigned int ev_depth(struct ev_loop *loop) noexcept { return loop->loop_depth; }

void ev_set_io_collect_interval(struct ev_loop *loop, ev_tstamp interval) noexcept
{
  loop->io_blocktime = interval;
  extras_set(loop, kExtraCollect, loop->io_blocktime > 0. || loop->timeout_blocktime > 0.);
}

void ev_set_timeout_collect_interval(struct ev_loop *loop, ev_tstamp interval) noexcept
{
  loop->timeout_blocktime = interval;
  extras_set(loop, kExtraCollect, loop->io_blocktime > 0. || loop->timeout_blocktime > 0.);
}

void ev_set_userdata(struct ev_loop *loop, void *data) noexcept { loop->userdata = data; }
void *ev_userdata(struct ev_loop *loop) noexcept { return loop->userdata; }

// A null callback restores the default (libev would call through null).
void ev_set_invoke_pending_cb(struct ev_loop *loop, ev_loop_callback cb) noexcept
{
  loop->invoke_cb = cb ? cb : ev_invoke_pending;
  extras_set(loop, kExtraInvokeCb, loop->invoke_cb != ev_invoke_pending);
}

void ev_set_loop_release_cb(struct ev_loop *loop, void (*release)(struct ev_loop *) noexcept,
                            void (*acquire)(struct ev_loop *) noexcept) noexcept
{
  loop->release_cb = release;
  loop->acquire_cb = acquire;
  extras_set(loop, kExtraHooks, release || acquire);
}

// ---------------------------------------------------------------------------
// Pending watchers
// ---------------------------------------------------------------------------

// Invoke every pending watcher, highest priority first, LIFO within one.
// Each slot is taken off the queue before its callback runs, so a callback
// may throw or longjmp and leave the queue consistent.
void ev_invoke_pending(struct ev_loop *loop)
{
  loop->pending.invoke_all([loop](W w, int revents) { w->cb(loop, w, revents); });
}

unsigned int ev_pending_count(struct ev_loop *loop) noexcept { return loop->pending.count(); }

void ev_feed_event(struct ev_loop *loop, void *w, int revents) noexcept
{
  feed(loop, static_cast<W>(w), revents);
}

void ev_invoke(struct ev_loop *loop, void *w, int revents)
{
  W ww = static_cast<W>(w);
  ww->cb(loop, ww, revents);
}

int ev_clear_pending(struct ev_loop *loop, void *w) noexcept
{
  return clear_pending(loop, static_cast<W>(w));
}

// ---------------------------------------------------------------------------
// ev_suspend / ev_resume: time spent suspended does not count for timers
// ---------------------------------------------------------------------------

void ev_suspend(struct ev_loop *loop) noexcept
{
  ev_now_update(loop);
  loop->suspended_at = loop->mn_now;
}

void ev_resume(struct ev_loop *loop) noexcept
{
  ev_now_update(loop);
  timers_shift(loop, loop->mn_now - loop->suspended_at);
  periodics_reschedule(loop);
}

}  // extern "C"
