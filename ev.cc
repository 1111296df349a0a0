// SPDX-License-Identifier: BSD-2-Clause
// ev.cc - THE LOOP (ev(3) FUNCTIONS CONTROLLING EVENT LOOPS, GENERIC
// WATCHER FUNCTIONS): creation and destruction, ev_run written as the
// manual's iteration list (one named step per phase), ev_break, references,
// the invocation of pending watchers and the loop's simple accessors.
#include "backends/fork_guard.h"
#include "base/env.h"
#include "metrics.h"
#include "watchers/debug.h"
#include "watchers/io.h"
#include "watchers/wakeup.h"
#if EV_NG_HAVE_EPOLL  // interim: issue 30 removes this
#include "backends/epoll_inline.h"
#endif

#include <unistd.h>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>

using namespace ev_detail;

// The default loop lives in static storage and is never freed (ev(3)); raw
// storage keeps it free of any global constructor.
alignas(ev_loop) static unsigned char default_loop_storage[sizeof(ev_loop)];
// A default loop destroyed and made again goes on counting its iterations
// (ev_iteration), as libev 4.33's does (its default loop is static storage
// that is not cleared).
constinit static unsigned int default_loop_count = 0;

extern "C" {
// [read-only for users] exported data object; EV_DEFAULT_UC reads it inline.
struct ev_loop *ev_default_loop_ptr = nullptr;
}

namespace {

// The callback of the dummy watcher that stands in for cleared pending slots.
void pending_dummy_cb(ev_loop *, ev_watcher *, int) {}

// Decide which flags apply: LIBEV_FLAGS replaces them unless EVFLAG_NOENV
// or the process runs with elevated privileges (base/env.h).
unsigned int effective_flags(unsigned int flags)
{
  if (!(flags & EVFLAG_NOENV))
    if (const char *env = env_get("LIBEV_FLAGS"))
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
  for (loop_fd *lf : {&loop->wakeup, &loop->sigfd, &loop->timerfd, &loop->inotify}) {
    lf->fd = kLoopFdNone;
    ev_init(&lf->w, nullptr);  // initialised but stopped
  }
  loop->wakeup_write_fd.store(-1, std::memory_order_relaxed);
  loop->pending.slots.dummy.cb = pending_dummy_cb;
  loop->fork_token = fork_token();

  time_init(loop);
  fd_sweep_start(loop);
  time_gate_update(loop);

  // ev(3): EVFLAG_FORKCHECK is honoured from the caller's flags only.
  if (requested & EVFLAG_FORKCHECK) {
    loop->curpid = getpid();
    loop->extras |= kExtraForkcheck;
  }

  if (!(flags & EVBACKEND_MASK))
    flags |= ev_recommended_backends();
  if (!backend_select(loop, flags))
    return false;
  // EVFLAG_NG_PRECISE_TIMERS: every backend waits with (at least) microsecond
  // resolution then (epoll and poll switch to their nanosecond calls), so no
  // timeout needs raising to a millisecond.
  loop->backend_mintime = loop->backend->mintime;
  if (flags & EVFLAG_NG_NEVER_EARLY) {
    loop->extras |= kExtraNeverEarly;
    loop->timers.close_gate();  // every ev_timer_start takes its slow path
  }
  if (flags & EVFLAG_NG_PRECISE_TIMERS) {
    loop->extras |= kExtraPreciseWait;
    if (loop->backend_mintime > 1e-6)
      loop->backend_mintime = 1e-6;
  }
  if (flags & EVFLAG_NG_METRICS)
    metrics_switch(loop, true);
  max_block_update(loop);
  if (debug_requested(loop->flags)) {
    loop->flags |= EVFLAG_NG_DEBUG;
    debug_loop_init(loop);
  }
  loop_forks_add(loop);
  return true;
}

void loop_free_arrays(ev_loop *loop)
{
  loop->pending.release();
  loop->fds.release();
  loop->io_index.release();
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
// The phases of one iteration (ev(3) ev_run; doc/semantics.md §4)
// ---------------------------------------------------------------------------

// With EVFLAG_FORKCHECK: a changed pid means we are in a forked child, as
// if ev_loop_fork had been called.  A child that nobody announced
// (backends/fork_guard.h) gets its own kernel state without fork watchers.
inline void detect_fork(ev_loop *loop)
{
  if (loop->curpid && (getpid() != loop->curpid)) {
    loop->curpid = getpid();
    loop->postfork = 1;
    loop->extras |= kExtraRepair;
  }
  // (The mark stays until the repair: until then fd_reify, which an
  // embedding loop calls too, must leave the kernel state alone.)
  if (fork_unannounced(loop))
    request_repair(loop, kRepairAll);
  else
    loop->extras &= ~kExtraForked;
}

// After a fork: queue all fork watchers and invoke (before prepare).
inline void run_fork_watchers(ev_loop *loop)
{
  if (loop->postfork && loop->forks.count) {
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
// (Only a timer can make the wait shorter than the backend's resolution:
// every max_block is longer than the coarsest one, 1 ms.  Without a timer
// the comparison is skipped, pingpong 2 instructions less per message.)
// The clock is read so that the time the callbacks took shortens the wait;
// the loop's times (ev_now, mn_now) are updated after the wait, before
// anything can look at them.  (Only release/acquire hooks run in between:
// block_time gives those loops block_time_extras, which updates them here
// as libev does.  Not storing them saves pipes/N=100/A=1 7 instructions an
// event.)
static_assert(kWakeupPollInterval >= 1e-3 && kMaxBlockTime >= 1e-3 && kMaxBlockTimeTimerfd >= 1e-3);
inline ev_tstamp until_next_timer(ev_loop *loop)
{
  if (!loop->timers.count)
    return loop->max_block;
  ev_tstamp to = loop->timers.top().at - monotonic_now();
  ev_tstamp waittime = loop->max_block;  // (read after the clock: not kept across the call)
  if (to < waittime)
    waittime = to;
  ev_tstamp mintime = loop->backend_mintime;
  if (waittime < mintime)
    waittime = waittime <= 0. ? 0. : mintime;
  return waittime;
}

// block_time with idle watchers, an EV_ERROR queued by the loop, periodics,
// collect intervals or release/acquire hooks (which may call ev_now).
//
// The rule "never block after queueing an EV_ERROR" is enforced here and
// nowhere else: applying the fd changes may kill a bad fd (feed_error,
// loop.h), and its callback must not wait for the next timer.
ev_tstamp block_time_extras(ev_loop *loop)
{
  const unsigned extras = loop->extras;
  if (extras & (kExtraIdle | kExtraNoBlock)) {
    loop->extras = extras & ~kExtraNoBlock;
    return 0.;
  }

  ev_tstamp waittime = loop->max_block;
  ev_tstamp prev_mn_now = loop->mn_now;
  // (A release callback may call ev_now: with one, the time is updated
  // before every wait, as libev 4.33 does; else only when it is used here.)
  if (loop->timers.count || loop->periodics.count || loop->io_blocktime > 0. || (extras & kExtraHooks))
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
  if (waittime < loop->timeout_blocktime)
    waittime = loop->timeout_blocktime;

  ev_tstamp mintime = loop->backend_mintime;
  if (waittime < mintime)
    waittime = waittime <= 0. ? 0. : mintime;

  if (loop->io_blocktime > 0.) {
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

// How long the backend may block: 0 when activecnt is below refs_to_block
// (1, or more than any count for EVRUN_NOWAIT: nothing references the loop,
// no reference left or more ev_unref than references), when idle
// watchers want to run, or when
// something is pending already (and, decided by the caller, when a wake-up
// was already signalled); else until the next timer or periodic, raised to
// the timeout collect interval and to the backend's resolution.  With an io
// collect interval, part of the time is spent in ev_sleep here instead.
// (The clock is only read to compute a time until a timer or periodic.)
// (One test for the rare cases: two cost pingpong 2 instructions more per
// message.)  kPlain: none of the optional parts (see poll_for_events).
template <bool kPlain>
inline ev_tstamp block_time(ev_loop *loop, long long refs_to_block)
{
  if (loop->activecnt < refs_to_block)
    return 0.;
  if (!kPlain &&
      EV_UNLIKELY(loop->extras & (kExtraIdle | kExtraNoBlock | kExtraPeriodic | kExtraCollect | kExtraHooks)))
    return block_time_extras(loop);
  return until_next_timer(loop);
}

// The slow half of time_update_after_wait: the wall clock, then the sweep.
// Only after the wait: the sweep may feed EV_ERROR, which a time update
// inside a callback (ev_now_update) must not do.  A wait that reported
// nothing means an idle loop, which the sweep may look at sooner.
void time_update_after_wait_slow(ev_loop *loop, ev_tstamp waittime)
{
  time_update_slow(loop);
  if (loop->mn_now >= loop->sweep.look_at)
    fd_sweep_due(loop, waittime > 0. && !loop->pending.any());
}

// The wake-up watcher's report that the poll took instead of queueing it
// (`taken`, see poll_for_events) goes into the queue after all, where the
// poll would have put it: called before anything else is queued.
inline void queue_taken(ev_loop *loop, int &taken)
{
  if (taken) {
    feed(loop, as_w(&loop->wakeup.w), taken);
    taken = 0;
  }
}

// time_update after the backend's wait, which also looks whether the
// closed-fd sweep is due (watchers/io.h): time_gate_update folds the
// sweep's time into the clock's, so that an iteration pays one comparison
// for both.  (The sweep may queue EV_ERROR: a report taken goes first.)
inline void time_update_after_wait(ev_loop *loop, ev_tstamp waittime, int &taken)
{
  ev_tstamp mn = monotonic_now();
  loop->mn_now = mn;
  if (mn < loop->slow_time_at)
    loop->ev_rt_now = loop->rt_offset + mn;
  else {
    queue_taken(loop, taken);
    time_update_after_wait_slow(loop, waittime);
  }
}

// The three instantiations of an iteration's steps (run_iterations):
//  - kPlain: the loop has no extras (loop->extras == 0), so the tests for
//    every optional part are left out, and the backend is epoll's;
//  - kWakeupOnly: the same, but the loop has the wake-up fd (ev_async, or
//    ev_signal without a signalfd) and nothing else optional
//    (loop->extras == kExtraWakeup), so the iteration makes the may-block
//    handshake of watchers/wakeup.h and tests nothing else;
//  - kFull: any extras, each tested.
enum class iteration { kPlain, kWakeupOnly, kFull };

// Block in the backend and collect io events; then update the clock.
//
// kWakeupOnly: when the wait reports the wake-up fd alone, its internal
// watcher is not queued; its events are returned (`taken`) and the
// iteration calls the watcher's callback itself before the invocation pass
// (wakeup_run), which is where the pass would have called it as long as
// nothing else is queued before: the watcher's slot would be the newest at
// the highest priority, EV_MAXPRI.  Whatever would queue something first
// (the sweep's EV_ERROR, an expired timer) queues the taken report before
// it (queue_taken), and the pass invokes it as it would have.  The
// iteration and the report taken save a cross-thread wake-up the tests of
// the full iteration and the queueing and invocation of the watcher
// (bench/callgrind async/wakeup, the loop's thread counted alone with
// valgrind --separate-threads=yes: 478.9 -> 419.2 instructions a wake-up).
// (always_inline: the copies inlined, bench/callgrind idle/N=100/tick
// 302 instructions a tick instead of 313.)
template <iteration kKind>
[[gnu::always_inline]] inline int poll_for_events(ev_loop *loop, long long refs_to_block)
{
  constexpr bool kFull = kKind == iteration::kFull;
  ev_tstamp waittime = block_time<!kFull>(loop, refs_to_block);

  // Announce that we may block, so that senders of wake-ups write to the fd
  // from now on; a wake-up signalled without a write before this point
  // means: do not block (watchers/wakeup.h).  Announced as late as possible, so
  // that sends arriving while the loop is still busy cost no write().
  // (Only once the loop has the fd: ev_async/ev_signal create it.)
  const bool wakeups = kKind == iteration::kWakeupOnly || (kFull && (loop->extras & kExtraWakeup));
  if (wakeups) {
    loop->pipe_write_wanted.store(1, std::memory_order_seq_cst);
    if (loop->pipe_write_skipped.load(std::memory_order_seq_cst))
      waittime = 0.;
  }

  ++loop->loop_count;
  // (The commonest backend's poll inline: backends/epoll_inline.h.)
  int taken = 0;
#if EV_NG_HAVE_EPOLL  // interim: issue 30 removes this
  if constexpr (kKind == iteration::kWakeupOnly)
    taken = epoll_internal::epoll_poll_own(loop, waittime, &loop->wakeup.w);
  else if (!kFull || EV_LIKELY(!(loop->extras & kExtraVtable)))
    epoll_internal::epoll_poll<!kFull>(loop, waittime);
  else
#endif
    loop->backend->poll(loop, waittime);

  if (wakeups) {
    loop->pipe_write_wanted.store(0, std::memory_order_seq_cst);
    if (taken)
      taken = wakeup_after_poll_taken(loop, taken);
    else
      wakeup_after_poll(loop);
  }
  time_update_after_wait(loop, waittime, taken);
  return taken;
}

// What steps 1, 2 and 4 may have to do (before_poll_extras).
constexpr unsigned kBeforePoll = kExtraForkcheck | kExtraForked | kExtraRepair | kExtraPrepare | kExtraDebug;

// What steps 9 and 10 may have beyond timers and the default invocation.
constexpr unsigned kExtraQueueDue = kExtraPeriodic | kExtraIdle | kExtraCheck | kExtraDebug;
constexpr unsigned kAfterPoll = kExtraQueueDue | kExtraInvokeSlow;

// Queue what became due after the timers: periodics, then idles (idle
// rule), then all check watchers.  Invocation is LIFO within a priority, so
// at equal priority checks run first and io last.  Then, with metrics, debug
// mode or the program's invocation callback, the invocation; true if so.
// (Both in one place: one test in the iteration instead of two, 2
// instructions less per pingpong message.)
bool after_poll_extras(ev_loop *loop)
{
  if (loop->extras & kExtraQueueDue) {
    // (first: the timers just expired are in the pending queue now, and the
    // periodics below are stopped through ev_periodic_stop)
    if (loop->debug)
      debug_reconcile(loop);
    if (loop->periodics.count && loop->periodics.top().at < loop->ev_rt_now)
      periodics_reify(loop);
    if (loop->idleall)
      idle_reify(loop);
    if (loop->checks.count)
      queue_events(loop, loop->checks.data, loop->checks.count, EV_CHECK);
  }
  if (!(loop->extras & kExtraInvokeSlow))
    return false;
  invoke_pending_extras(loop);
  return true;
}

inline void queue_due_timers(ev_loop *loop)
{
  if (timer_due(loop))
    timers_reify(loop);
}

// Step 4: re-create the kernel state that must be (see "Repair" in
// loop.h).  After a fork every kernel object the loop owns is replaced;
// otherwise only what a backend or fd_kill asked for.  Unlike libev, a
// backend rebuild runs no fork watchers: there was no fork.
void loop_repair(ev_loop *loop)
{
  const bool announced_fork = loop->postfork;
  const bool replace_all = announced_fork || (loop->repair & kRepairAll);
  const unsigned what = loop->repair;
  loop->repair = 0;
  loop->postfork = 0;
  loop->extras &= ~(kExtraRepair | kExtraForked);
  loop->fork_token = fork_token();

  if (replace_all || (what & kRepairBackend))
    loop->backend->fork(loop);
  if (replace_all || (what & kRepairLoopFds)) {
    wakeup_repair(loop, replace_all);
    signalfd_repair(loop, replace_all);
    timerfd_repair(loop, replace_all);
    inotify_repair(loop, replace_all);
    child_pidfd_repair(loop);
  }
  if (announced_fork)
    periodics_fork(loop);
}

// Steps 5-9 of an iteration whose only extra is the wake-up fd (ev_async,
// ev_signal without a signalfd); false when applying the fd changes gave
// the loop other extras (an EV_ERROR queued: the iteration goes on at step
// 6 of the full path).  The wake-up watcher's report is taken rather than
// queued where that changes nothing (poll_for_events).
// (noinline: inlined into run_iterations, it changed GCC's register
// allocation there, and bench/callgrind loop/k=0/nowait and timers/
// idle-iter cost 3 instructions more an iteration.)
[[gnu::noinline]] bool wakeup_only_steps(ev_loop *loop, long long refs_to_block)
{
  if (loop->fds.changes.count) {
    fd_reify(loop);
    if (EV_UNLIKELY(loop->extras != kExtraWakeup))
      return false;
  }
  int taken = poll_for_events<iteration::kWakeupOnly>(loop, refs_to_block);
  if (timer_due(loop)) {
    queue_taken(loop, taken);
    timers_reify(loop);
  }
  if (taken)
    wakeup_run(loop, taken);  // (nothing was queued since the poll)
  return true;
}

// The leftovers invoked when ev_run is entered, the slow way: with metrics,
// the time since the loop last took a clock reading was the program's.
void run_entered_extras(ev_loop *loop)
{
  if (loop->metrics) {
    metrics_run_entered(loop);
    if (!loop->pending.any() && loop->invoke_cb == ev_invoke_pending)
      return;  // (the common case: nothing left over, nothing to time)
  }
  invoke_pending_extras(loop);
}

// Steps 1, 2 and 4 of an iteration when they have work (fork, prepare,
// repair, debug mode); true when a prepare callback asked to break.
bool before_poll_extras(ev_loop *loop)
{
  detect_fork(loop);
  run_fork_watchers(loop);
  run_prepare_watchers(loop);
  if (loop->loop_done)
    return true;
  if (loop->extras & kExtraRepair)
    loop_repair(loop);
  // Debug mode: every watcher the loop holds, before the loop walks them
  // (applying the fd changes, reporting events).
  if (loop->debug)
    debug_check_all(loop);
  return false;
}

}  // namespace

namespace ev_detail {

void max_block_update(ev_loop *loop)
{
  if (loop->wakeup.fd == kLoopFdRefused)
    loop->max_block = kWakeupPollInterval;  // the flags are looked at after every poll
  else if (loop->timerfd.fd >= 0)
    loop->max_block = kMaxBlockTimeTimerfd;  // wall-clock jumps are reported
  else
    loop->max_block = kMaxBlockTime;
}

// With metrics the pass is timed (metrics.cc, which also makes debug mode's
// check before each callback); else debug mode's pass, or the program's.
void invoke_pending_extras(ev_loop *loop)
{
  if (loop->extras & kExtraMetrics)
    metrics_invoke(loop);
  else if (loop->debug)
    invoke_pending_debug(loop);
  else
    loop->invoke_cb(loop);
}

// The report names the start the program made, known from the event the
// watcher got (a start of an ev_io: EV_READ, EV_WRITE or EV_ERROR; of a
// timer: EV_TIMER; ...); an event the program fed (EV_CUSTOM, or several
// kinds at once) leaves it unknown: then it names the invocation.
void started_without_callback(ev_loop *, ev_watcher *w, int revents)
{
  static constexpr struct {
    int event;
    const char *start;
  } kStarts[] = {
      {EV_READ, "ev_io_start"},         {EV_WRITE, "ev_io_start"},          {EV_ERROR, "ev_io_start"},
      {EV_TIMER, "ev_timer_start"},     {EV_PERIODIC, "ev_periodic_start"}, {EV_SIGNAL, "ev_signal_start"},
      {EV_CHILD, "ev_child_start"},     {EV_STAT, "ev_stat_start"},         {EV_IDLE, "ev_idle_start"},
      {EV_PREPARE, "ev_prepare_start"}, {EV_CHECK, "ev_check_start"},       {EV_EMBED, "ev_embed_start"},
      {EV_FORK, "ev_fork_start"},       {EV_CLEANUP, "ev_cleanup_start"},   {EV_ASYNC, "ev_async_start"},
  };
  const char *api = "ev_invoke_pending";
  for (const auto &s : kStarts)
    if (revents & s.event) {
      api = s.start;
      break;
    }
  if ((revents & EV_CUSTOM) || ((revents & ~(EV_READ | EV_WRITE | EV_ERROR)) && (revents & (EV_READ | EV_WRITE))))
    api = "ev_invoke_pending";
  char what[200];
  std::snprintf(what, sizeof what,
                "libev: watcher %p was started without a callback (ev_init with a null one) and got events %#x",
                static_cast<void *>(w), static_cast<unsigned>(revents));
  usage_error(api, "cb", 0LL, what);
}

void not_active_here(const char *api, const void *w, long long active)
{
  char what[256];
  std::snprintf(what, sizeof what,
                "libev: %s called with a watcher that is not active in this loop: %p is not a watcher, "
                "or was started in another loop",
                api, w);
  usage_error(api, "active", active, what);
}

void reinitialised_while_active(const char *api, const void *w, const char *arg, long long value)
{
  char what[256];
  std::snprintf(what, sizeof what,
                "libev: %s called with corrupted watcher: %p was re-initialised (ev_TYPE_init, "
                "ev_TYPE_set) or started again while active; stop it first",
                api, w);
  usage_error(api, arg, value, what);
}

}  // namespace ev_detail

extern "C" {

// ---------------------------------------------------------------------------
// GLOBAL FUNCTIONS
// ---------------------------------------------------------------------------

int ev_version_major(void) noexcept { return EV_VERSION_MAJOR; }
int ev_version_minor(void) noexcept { return EV_VERSION_MINOR; }
const char *ev_ng_version(void) noexcept { return EV_NG_VERSION; }

// ---------------------------------------------------------------------------
// Creating and destroying loops
// ---------------------------------------------------------------------------

struct ev_loop *ev_default_loop(unsigned int flags) noexcept
{
  if (!ev_default_loop_ptr) {
    ev_loop *loop = new (default_loop_storage) ev_loop();
    ev_default_loop_ptr = loop;
    loop->loop_count = default_loop_count;
    if (loop_init(loop, flags))
      child_default_loop_init(loop);
    else {
      loop->~ev_loop();
      ev_default_loop_ptr = nullptr;  // a later call may try other flags
    }
  }
  return ev_default_loop_ptr;
}

// libev 4.33 allocates 1288 bytes for a loop; allocating as much keeps even
// its out-of-memory message ("cannot allocate 1288 bytes") identical.  Our
// loop object must fit (what only some loops need is allocated when needed,
// e.g. the ev_async groups); the rest is unused.
constexpr std::size_t kLoopAllocation = 1288;
static_assert(sizeof(ev_loop) <= kLoopAllocation, "the loop object outgrew libev 4.33's loop allocation");

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
// stopped ("none of the active event watchers will be stopped in the normal
// sense"), and not even read: as with libev 4.33 they keep their active and
// pending values, and a program may free them before destroying the loop
// (the release steps below look only at the loop's own memory).  May throw
// what a callback throws: nothing is released before.
void ev_loop_destroy(struct ev_loop *loop)
{
  if (!loop)
    return;
  if (loop->debug)
    debug_check_call(loop, "ev_loop_destroy", nullptr);

  if (loop->cleanups.count) {
    queue_events(loop, loop->cleanups.data, loop->cleanups.count, EV_CLEANUP);
    metrics_run_entered(loop);  // the loop may not have run for a while: no mark to start from
    invoke_pending(loop);
  }

  onces_loop_destroy(loop);
  stat_loop_destroy(loop);
  if (loop == ev_default_loop_ptr)
    child_default_loop_destroy(loop);
  child_pidfd_loop_destroy(loop);
  signals_loop_destroy(loop);
  timerfd_destroy(loop);
  wakeup_destroy(loop);
  asyncs_loop_destroy(loop);
  metrics_switch(loop, false);
  if (loop->backend)
    loop->backend->destroy(loop);
  loop_free_arrays(loop);
  const bool kept = debug_loop_destroy(loop);  // (debug mode keeps it a while)
  loop_forks_remove(loop);

  bool is_default = loop == ev_default_loop_ptr;
  if (is_default)
    default_loop_count = loop->loop_count;
  loop->~ev_loop();
  if (is_default)
    ev_default_loop_ptr = nullptr;
  else if (!kept)
    ev_free(loop);
}

// Only sets a flag: the next iteration runs the fork watchers and re-creates
// the kernel state (ev(3) ev_loop_fork).
void ev_loop_fork(struct ev_loop *loop) noexcept
{
  loop->postfork = 1;
  loop->extras |= kExtraRepair;
}

unsigned int ev_backend(struct ev_loop *loop) noexcept { return loop->backend->flag; }

ev_tstamp ev_now(struct ev_loop *loop) noexcept { return loop->ev_rt_now; }
ev_tstamp ev_monotonic_now(struct ev_loop *loop) noexcept { return loop->mn_now; }

void ev_now_update(struct ev_loop *loop) noexcept { time_update(loop); }

// ---------------------------------------------------------------------------
// ev_run
// ---------------------------------------------------------------------------

}  // extern "C"

namespace {

// The end of ev_run: EVBREAK_ONE ends this ev_run only; EVBREAK_ALL stays
// for the outer ones.  (With more ev_unref than references the count is
// negative: ev_run returns it as libev 4.33 does, but does not run forever,
// as libev does.)
inline int end_run(ev_loop *loop)
{
  if (loop->loop_done == EVBREAK_ONE)
    loop->loop_done = EVBREAK_CANCEL;
  --loop->loop_depth;
  return loop->activecnt;
}

// ev_run after its entry checks, for ev_run (a tail call) and run_guarded,
// the entry of loops that need more checks.  One copy: inlined into both,
// it made GCC 12 stop inlining poll_for_events and the invocation into it
// (bench/callgrind pingpong: 365 instructions per message instead of 332);
// a second copy of the iteration for EVRUN_NOWAIT had GCC put the batch
// invocation and the extras out of line (loop/k=10/nowait +5.9%).
int run_iterations(ev_loop *loop, int flags)
{
  // Reset the break state; run whatever is already pending (left over from
  // an exception, or fed before the loop started).
  loop->loop_done = EVBREAK_CANCEL;
  if (loop->extras & kExtraInvokeSlow)
    run_entered_extras(loop);
  else if (loop->pending.any())
    ev_invoke_pending(loop);

  // Step 3, for the first iteration when 1 and 2 have nothing to do: a
  // callback invoked above may have called ev_break.  (Later iterations need
  // no such test: the loop condition has just looked at loop_done.)
  if (EV_UNLIKELY(loop->loop_done) && !(loop->extras & kBeforePoll))
    return end_run(loop);

  // EVRUN_NOWAIT as the least activecnt with which the loop may block
  // (step 6): one test in every iteration.  Step 11 tests the flags first:
  // a loop run once (the commonest use of EVRUN_ONCE is one ev_run an
  // event) then reads nothing else, and the stack keeps one value less
  // (bench/callgrind, against the flags as a least activecnt there too:
  // pipes/N=10000/A=1/process 452.3 instructions an event instead of 455.5,
  // loop/k=0/nowait 151.8 instead of 152.8, pingpong no worse).
  constexpr long long kNever = LLONG_MAX;
  const long long refs_to_block = (flags & EVRUN_NOWAIT) ? kNever : 1;
  const bool once = flags & (EVRUN_ONCE | EVRUN_NOWAIT);

  do {
    // Each iteration takes one of three paths, the same steps each way.  A
    // loop without extras (loop->extras == 0: no fork to handle, no
    // prepare, check or idle watchers, no periodics, asyncs or signals, no
    // hooks, collect intervals, metrics or debug mode, and the epoll
    // backend; most loops) takes the plain one, where the tests for all of
    // those are compiled away: one test instead of seven (bench/callgrind
    // pipes/N=100/A=1/process 355 -> 340 instructions an event, pingpong
    // 272 -> 262, idle/N=100/tick 328 -> 308).  A loop whose only extra is
    // the wake-up fd takes wakeup_only_steps; any other, the full path.
    // Applying the fd changes may give a plain or wake-up-only iteration
    // other extras (an EV_ERROR queued for a bad fd, whose callback must
    // not wait: kExtraNoBlock); it goes on at step 6 of the full path then.
    bool invoked = false;
    if (EV_UNLIKELY(loop->extras)) {
      if (loop->extras == kExtraWakeup) {
        if (wakeup_only_steps(loop, refs_to_block))
          goto invoke;
        goto poll_with_extras;
      }
      // 1. If a fork was detected or announced: queue and invoke fork watchers.
      // 2. Queue and invoke all prepare watchers (and anything else pending).
      // 3. If ev_break was called, stop here: no poll, no iteration counted.
      // 4. After a fork, or when kernel state was found broken, re-create it
      //    (then step 5).
      // (One test skips 1, 2 and 4 when they have nothing to do; debug mode
      // checks the loop's watchers there.)
      if ((loop->extras & kBeforePoll) && before_poll_extras(loop))
        break;

      // 5. Tell the kernel about the fds whose wanted events changed since
      //    the last iteration.
      if (loop->fds.changes.count)
        fd_reify(loop);

      // 6-8. Update the clock, compute the block time, block in the backend
      //      (queueing io events), update the clock again.
    poll_with_extras:
      poll_for_events<iteration::kFull>(loop, refs_to_block);

      // 9. Queue expired timers, due periodics, idle watchers, check watchers.
      queue_due_timers(loop);
      invoked = (loop->extras & kAfterPoll) && after_poll_extras(loop);
    } else {
      // 5-9 of a plain iteration: the fd changes, the poll, expired timers.
      if (loop->fds.changes.count) {
        fd_reify(loop);
        if (EV_UNLIKELY(loop->extras))
          goto poll_with_extras;
      }
      poll_for_events<iteration::kPlain>(loop, refs_to_block);
      queue_due_timers(loop);
    }

    // 10. Invoke everything pending, highest priority first (the default
    //     invocation inline: this is the hot end of every iteration).
  invoke:
    if (!invoked && loop->pending.any())
      loop->pending.invoke_all([loop](W w, int revents) { w->cb(loop, w, revents); });

    // 11. Repeat while references remain and neither a break nor
    //     EVRUN_ONCE/EVRUN_NOWAIT says otherwise.
  } while (!once && loop->activecnt >= 1 && !loop->loop_done);

  return end_run(loop);
}

// The entry of a loop with a run guard (loop.h): inside a release or
// acquire callback ev_run is forbidden; in debug mode it notes the thread
// that runs the loop.
// (noinline: inlined into ev_run, bench/callgrind timers/idle-iter costs
// 6.8% more, loop/k=0/nowait 6.2%.)
[[gnu::noinline]] int run_guarded(ev_loop *loop, int flags)
{
  ++loop->loop_depth;
  if (loop->run_guard & kRunGuardInRelease)
    usage_error("ev_run", "libev: ev_loop recursion during release detected");
  const bool counted = loop->debug && debug_run_enter(loop);
  int result = run_iterations(loop, flags);
  if (loop->debug)
    debug_run_exit(loop, counted);
  return result;
}

}  // namespace

extern "C" {

int ev_run(struct ev_loop *loop, int flags)
{
  if (loop->run_guard)
    return run_guarded(loop, flags);
  // Increment loop depth (not decremented if a callback throws: ev(3)).
  ++loop->loop_depth;
  return run_iterations(loop, flags);
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

// An infinite timeout collect interval would make the loop wait forever
// (libev 4.33 hangs, or its select backend aborts on the overflowing
// timeout): a usage error.  NaN and values <= 0 mean no interval, as in
// libev.  (An infinite io collect interval is bounded by the time to the
// next timer, as in libev.)
void ev_set_timeout_collect_interval(struct ev_loop *loop, ev_tstamp interval) noexcept
{
  if (interval == HUGE_VAL)
    usage_error("ev_set_timeout_collect_interval", "interval", interval,
                "libev: ev_set_timeout_collect_interval called with an infinite interval");
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
  if (loop->debug)
    return debug_set_release_cbs(loop, release, acquire);
  loop->release_cb = release;
  loop->acquire_cb = acquire;
  extras_set(loop, kExtraHooks, release || acquire);
}

// ---------------------------------------------------------------------------
// Pending watchers
// ---------------------------------------------------------------------------

// Invoke every pending watcher, highest priority first, LIFO within one.
// Each slot is taken off the queue before its callback runs, so a callback
// may throw or longjmp and leave the queue consistent.  (The loop's own
// passes call invoke_pending_plain directly: loop.h, invoke_pending.  The
// test of debug mode here costs nothing measurable: the call below is a
// tail call where the pass used to need a stack frame for its lambda.)
void ev_invoke_pending(struct ev_loop *loop)
{
  if (loop->extras & kExtraDebug)
    return debug_invoke_pending(loop);
  invoke_pending_plain(loop);
}

}  // extern "C"

void ev_detail::invoke_pending_plain(ev_loop *loop)
{
  loop->pending.invoke_all([loop](W w, int revents) { w->cb(loop, w, revents); });
}

extern "C" {

unsigned int ev_pending_count(struct ev_loop *loop) noexcept { return loop->pending.count(); }

// The slow half of ev_feed_event; debug mode closes the fast one
// (pending_queues::feed_gate) to check the calling thread here.
// (noinline: inlined, bench/callgrind loop/feed-invoke costs 8.6% more.)
[[gnu::noinline]] static void feed_event_slow(ev_loop *loop, W w, int revents)
{
  // (libev 4.33 queues it and calls address 0 when it invokes it)
  if (!w->cb)
    usage_error("ev_feed_event", "cb", 0LL, "libev: ev_feed_event called with a watcher without a callback");
  if (loop->debug)
    debug_check_call(loop, "ev_feed_event", w);
  loop->pending.feed_slow(w, revents, "ev_feed_event");
}

void ev_feed_event(struct ev_loop *loop, void *w, int revents) noexcept
{
  if (EV_LIKELY(static_cast<W>(w)->cb) && loop->pending.feed_fast(static_cast<W>(w), revents))
    return;
  feed_event_slow(loop, static_cast<W>(w), revents);
}

// (A null callback: libev 4.33 calls address 0.)
void ev_invoke(struct ev_loop *loop, void *w, int revents)
{
  W ww = static_cast<W>(w);
  if (EV_UNLIKELY(!ww->cb))
    usage_error("ev_invoke", "cb", 0LL, "libev: ev_invoke called with a watcher without a callback");
  ww->cb(loop, ww, revents);
}

int ev_clear_pending(struct ev_loop *loop, void *w) noexcept
{
  return clear_pending(loop, static_cast<W>(w), "ev_clear_pending");
}

// ---------------------------------------------------------------------------
// ev_suspend / ev_resume: time spent suspended does not count for timers
// ---------------------------------------------------------------------------

// The loop time is brought up to date here, so that ev_resume measures
// from the moment of suspension.
void ev_suspend(struct ev_loop *loop) noexcept { ev_now_update(loop); }

// Timers move by the time since the loop time was last updated: since
// ev_suspend if it was called, else since the last iteration (libev 4.33
// does the same; no state is kept between the two calls, so a resume
// without a suspend cannot shift timers by more).
void ev_resume(struct ev_loop *loop) noexcept
{
  ev_tstamp before = loop->mn_now;
  ev_now_update(loop);
  timers_shift(loop, loop->mn_now - before);
  periodics_reschedule(loop);
}

}  // extern "C"
