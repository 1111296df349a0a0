// SPDX-License-Identifier: BSD-2-Clause
// loop/loop_run.cc - THE ITERATION (ev(3) ev_run; doc/semantics.md §4): ev_run's
// steps in the manual's order, in one function compiled once per backend
// with the backend's hot paths inline (its policy: backends/backend.h), and
// the choice of the backend when a loop is created.
//
// The optional parts of an iteration are work before the wait (steps 1-8)
// or after it (steps 9-10) (loop/loop.h, phase_join).  The iteration tests one
// count for each; a loop without prepare, check or idle watchers,
// periodics, hooks, wake-ups, forks, metrics or debug mode (most loops)
// takes the fixed steps alone.
#include "backends/policies.h"
#include "diag/debug.h"
#include "diag/metrics.h"
#include "diag/probes.h"
#include "fd/fd.h"
#include "fd/wakeup.h"
#include "loop/fork_guard.h"

#include <unistd.h>
#include <climits>

namespace ev_detail {
namespace {

// ---------------------------------------------------------------------------
// Steps 1-4: before the poll
// ---------------------------------------------------------------------------

// With EVFLAG_FORKCHECK: a changed pid means we are in a forked child, as
// if ev_loop_fork had been called.  A child that nobody announced
// (loop/fork_guard.h) gets its own kernel state without fork watchers.
// (The probes' first probe of an iteration shares the test of the fork mark.)
void look_at_fork_mark(ev_loop *loop)
{
  if (loop->repair & kRepairProbes)
    probes_iteration_begin(loop);
  // (The mark stays until the repair: until then fd_reify, which an
  // embedding loop calls too, must leave the kernel state alone.)
  if (fork_unannounced(loop))
    request_repair(loop, kRepairAll);
  else if (loop->repair & kRepairMaybeFork)
    repair_clear(loop, kRepairMaybeFork);
}

inline void detect_fork(ev_loop *loop)
{
  if (loop->curpid && (getpid() != loop->curpid)) {
    loop->curpid = getpid();
    request_repair(loop, kRepairForked);
  }
  if (EV_UNLIKELY(loop->repair & (kRepairMaybeFork | kRepairProbes)))
    look_at_fork_mark(loop);
}

// Step 4: re-create the kernel state that must be (see "Repair" in
// loop/loop.h).  After a fork every kernel object the loop owns is replaced;
// otherwise only what a backend or fd_kill asked for.  Unlike libev, a
// backend rebuild runs no fork watchers: there was no fork.
void loop_repair(ev_loop *loop)
{
  const unsigned what = loop->repair & ~kRepairProbes;
  const bool announced_fork = what & kRepairForked;
  const bool replace_all = what & (kRepairForked | kRepairAll);
  repair_clear(loop, what);
  if (replace_all)
    EV_PROBE_RARE(fork, loop);
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

// (before_poll, wait_with_work, before_wait_with_work and
// after_wait_with_work are always_inline: as calls, every iteration of a
// loop with work paid their frames.)
//
// Steps 1-4, each part when it has work; true when step 3 ends the run (a
// fork or prepare callback called ev_break).
//  1. If a fork was detected or announced: queue and invoke fork watchers.
//  2. Queue and invoke all prepare watchers (and anything else pending).
//  3. If ev_break was called, stop here: no poll, no iteration counted.
//  4. After a fork, or when kernel state was found broken, re-create it.
// Debug mode then checks every watcher the loop holds, before the loop
// walks them (applying the fd changes, reporting events).
[[gnu::always_inline]] inline bool before_poll(ev_loop *loop)
{
  detect_fork(loop);
  if ((loop->repair & kRepairForked) && loop->forks.count) {
    queue_events(loop, loop->forks.data, loop->forks.count, EV_FORK);
    invoke_pending(loop);
  }
  if (loop->prepares.count) {
    queue_events(loop, loop->prepares.data, loop->prepares.count, EV_PREPARE);
    invoke_pending(loop);
  }
  if (loop->loop_done) {
    if (loop->probing)
      probes_iteration_end(loop);
    return true;
  }
  if (loop->repair & ~kRepairProbes)
    loop_repair(loop);
  if (loop->debug)
    debug_check_all(loop);
  return false;
}

// ---------------------------------------------------------------------------
// Steps 5-8: the fd changes, how long to block, the poll, the clock
// ---------------------------------------------------------------------------

// The time until the next timer, rounded up to the backend's resolution
// (0 if it is due): how long a loop without work in the wait phase blocks.
// The clock is read so that the time the callbacks took shortens the wait;
// the loop's times (ev_now, mn_now) are updated after the wait, before
// anything can look at them.  (Only a timer can make the wait shorter than
// the backend's resolution: every max_block is longer than the coarsest.)
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

// How long to block with a rule of the block time (kPhaseBlockTime): not at all with idle
// watchers or after the loop queued an EV_ERROR itself; else until the next
// timer or periodic, raised to the timeout collect interval and to the
// backend's resolution.  With an io collect interval, part of the time is
// spent in ev_sleep here instead.  A release callback may call ev_now: with
// one, the time is updated before every wait, as libev 4.33 does.
//
// The rule "never block after queueing an EV_ERROR" is enforced here and
// nowhere else: applying the fd changes may kill a bad fd (feed_error,
// loop/loop.h), and its callback must not wait for the next timer.
ev_tstamp block_time_with_work(ev_loop *loop)
{
  if (loop->idleall || loop->no_block) {
    block_time_phase_follow(loop, loop->no_block, false);
    loop->no_block = false;
    return 0.;
  }

  ev_tstamp waittime = loop->max_block;
  ev_tstamp prev_mn_now = loop->mn_now;
  if (loop->timers.count || loop->periodics.count || loop->io_blocktime > 0. || loop->release_cb || loop->acquire_cb)
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

// time_update after the backend's wait, which also looks whether the
// closed-fd sweep is due (fd/fd.h): time_gate_update folds the
// sweep's time into the clock's, so that an iteration pays one comparison
// for both.
// The clock read after the wait; true when the slow half is due.
inline bool read_clock_after_wait(ev_loop *loop)
{
  ev_tstamp mn = monotonic_now();
  loop->mn_now = mn;
  if (mn >= loop->slow_time_at)
    return true;
  set_rt_now(loop, loop->rt_offset + mn);
  return false;
}

inline void time_update_after_wait(ev_loop *loop, ev_tstamp waittime)
{
  if (read_clock_after_wait(loop))
    time_update_after_wait_slow(loop, waittime);
}

// A taken report (wakeup_taken) queued as the poll would have queued it,
// before anything else: the one place that puts a taken report back.
void wakeup_requeue(ev_loop *loop, ev_tstamp waittime, int revents, bool slow)
{
  feed(loop, as_w(&loop->wakeup.w), revents);
  if (slow)
    time_update_after_wait_slow(loop, waittime);
}

// The wake-up watcher's report, taken by the poll instead of queued
// (backend.h, poll_own), and the clock update after the wait.  Its callback
// runs now, which is where the invocation would run it first (the newest
// watcher at EV_MAXPRI), unless something is queued before the invocation:
// the sweep of the clock's slow half, an expired timer, the work after the
// wait, or the watcher itself (a send without a write).  Then it is queued.
// (always_inline: a call costs every wake-up a frame, more than its tests.)
[[gnu::always_inline]] inline void wakeup_taken(ev_loop *loop, ev_tstamp waittime, int revents)
{
  const bool slow = read_clock_after_wait(loop);
  if (EV_UNLIKELY(slow) || timer_due(loop) || phase_has_work(loop, kPhaseAfterWait) || loop->wakeup.w.pending)
    return wakeup_requeue(loop, waittime, revents, slow);
  wakeup_run(loop, revents);
}

// The poll with metrics or probes around it.
template <class B>
void poll_measured(ev_loop *loop, ev_tstamp waittime)
{
  const probes_poll_mark probe = loop->probing ? probes_poll_enter(loop, waittime) : probes_poll_mark{};
  if (loop->metrics)
    metrics_poll_begin(loop, waittime);
  B::template poll<true>(loop, waittime);
  if (loop->metrics)
    metrics_poll_end(loop);
  if (probe.firing)
    probes_poll_return(loop, probe);
}

// Steps 6-8 with the optional parts of the wait: the block time's rules,
// and around the poll the wake-up handshake, the hooks (in the backend's
// poll) and the metrics.
template <class B>
[[gnu::always_inline]] inline void wait_with_work(ev_loop *loop, long long refs_to_block)
{
  ev_tstamp waittime = loop->activecnt < refs_to_block         ? 0.
                       : phase_has_work(loop, kPhaseBlockTime) ? block_time_with_work(loop)
                                                               : until_next_timer(loop);

  // Announce that we may block, so that senders of wake-ups write to the fd
  // from now on; a wake-up signalled without a write before this point
  // means: do not block (fd/wakeup.h).  Announced as late as possible,
  // so that sends arriving while the loop is still busy cost no write().
  // (Only once the loop has the fd: ev_async/ev_signal create it.)
  const bool wakeups = loop->wakeup.fd != kLoopFdNone;
  if (wakeups) {
    loop->pipe_write_wanted.store(1, std::memory_order_seq_cst);
    if (loop->pipe_write_skipped.load(std::memory_order_seq_cst))
      waittime = 0.;
  }

  ++loop->loop_count;
  // (The wake-up report is taken only where the invocation is the default
  // one: metrics and debug mode, like an invoke-pending callback, invoke it
  // their way, and so have work in kPhaseInvoke.)
  int taken = 0;
  if (wakeups && !phase_has_work(loop, kPhaseInvoke))
    taken = B::poll_own(loop, waittime, &loop->wakeup.w);
  else if (EV_UNLIKELY(loop->metrics || loop->probing))
    poll_measured<B>(loop, waittime);
  else
    B::template poll<true>(loop, waittime);

  if (wakeups) {
    loop->pipe_write_wanted.store(0, std::memory_order_seq_cst);
    wakeup_after_poll(loop);
  }
  if (EV_UNLIKELY(taken))
    return wakeup_taken(loop, waittime, taken);
  time_update_after_wait(loop, waittime);
}

// Steps 1-8 of a loop with work before the wait: steps 1-4 when they have
// work (a loop whose only work before the wait is its wake-up fd, or a rule
// of the block time, skips them with one test); true when step 3 ends the
// run.
template <class B>
[[gnu::always_inline]] inline bool before_wait_with_work(ev_loop *loop, long long refs_to_block)
{
  if (phase_has_work(loop, kPhaseBeforePoll) && before_poll(loop))
    return true;
  if (loop->fds.changes.count)
    fd_reify_with<B>(loop);
  wait_with_work<B>(loop, refs_to_block);
  return false;
}

// Steps 5-8 of a loop without work before the wait: the wait is 0 when
// activecnt is below refs_to_block (1, or more than any count for
// EVRUN_NOWAIT: nothing references the loop, or more ev_unref than
// references), else until the next timer.  Applying the fd changes may
// queue an EV_ERROR for a bad fd (feed_error), whose callback must not wait:
// the wait then takes its rules.
template <class B>
[[gnu::always_inline]] inline void wait_plain(ev_loop *loop, long long refs_to_block)
{
  if (loop->fds.changes.count) {
    fd_reify_with<B>(loop);
    if (EV_UNLIKELY(phase_has_work(loop, kPhaseBeforeWait)))
      return wait_with_work<B>(loop, refs_to_block);
  }
  const ev_tstamp waittime = loop->activecnt < refs_to_block ? 0. : until_next_timer(loop);
  ++loop->loop_count;
  B::template poll<false>(loop, waittime);
  time_update_after_wait(loop, waittime);
}

// ---------------------------------------------------------------------------
// Steps 9-10 beyond the timers and the default invocation
// ---------------------------------------------------------------------------

// Queue what became due after the timers: periodics, then idles (idle
// rule), then all check watchers.  Invocation is LIFO within a priority, so
// at equal priority checks run first and io last.  Debug mode first takes
// the loop's own stops from the queue (the one-shot timers just expired).
// Then, with work of its own (a program's invoke-pending callback, metrics,
// debug mode), the invocation; true if so.
[[gnu::always_inline]] inline bool after_wait_with_work(ev_loop *loop)
{
  if (loop->debug)
    debug_reconcile(loop);
  if (loop->periodics.count && loop->periodics.top().at < loop->ev_rt_now)
    periodics_reify(loop);
  if (loop->idleall)
    idle_reify(loop);
  if (loop->checks.count)
    queue_events(loop, loop->checks.data, loop->checks.count, EV_CHECK);
  if (!phase_has_work(loop, kPhaseInvoke))
    return false;
  invoke_pending_with_work(loop);
  if (loop->probing)
    probes_iteration_end(loop);
  return true;
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

// The leftovers invoked when ev_run is entered (left over from an
// exception, or fed before the loop started).  With metrics, the time since
// the loop last took a clock reading was the program's.
void run_entered_with_work(ev_loop *loop)
{
  if (loop->metrics) {
    metrics_run_entered(loop);
    if (!loop->pending.any() && loop->invoke_cb == ev_invoke_pending)
      return;  // (the common case: nothing left over, nothing to time)
  }
  invoke_pending_with_work(loop);
}

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

// One iteration, ev(3)'s steps in order; true when step 3 ended the run.
// (kOnce: each kind of run gets its own copy of the invocation's lambda,
// which the compiler then keeps inline in each.)
template <class B, bool kOnce>
[[gnu::always_inline]] inline bool iterate(ev_loop *loop, long long refs_to_block)
{
  if constexpr (EV_VERIFY >= 2)  // (ev(3) EV_VERIFY: once per iteration)
    verify(loop);
  // 1. If a fork was detected or announced: queue and invoke fork watchers.
  // 2. Queue and invoke all prepare watchers (and anything else pending).
  // 3. If ev_break was called, stop here: no poll, no iteration counted.
  // 4. After a fork, or when kernel state was found broken, re-create it.
  // 5. Tell the kernel about the fds whose wanted events changed since the
  //    last iteration.
  // 6-8. Compute the block time, block in the backend (queueing io events),
  //      update the clock.
  // (Steps 1-4 have work only when the loop has work before the wait.)
  if (EV_UNLIKELY(phase_has_work(loop, kPhaseBeforeWait))) {
    if (before_wait_with_work<B>(loop, refs_to_block))
      return true;
  } else
    wait_plain<B>(loop, refs_to_block);

  // 9. Queue expired timers, due periodics, idle watchers, check watchers.
  if (timer_due(loop))
    timers_reify(loop);
  const bool invoked = EV_UNLIKELY(phase_has_work(loop, kPhaseAfterWait)) && after_wait_with_work(loop);

  // 10. Invoke everything pending, highest priority first (the default
  //     invocation inline: this is the hot end of every iteration).
  if (!invoked && loop->pending.any()) {
    loop->pass_levels = static_cast<unsigned char>(loop->pending.slots.mask);
    loop->pending.invoke_all([loop](W w, int revents) { invoke_callback(loop, w, revents); });
  }
  return false;
}

// ev_run after its entry checks, with backend B: a run of one iteration
// (EVRUN_ONCE, EVRUN_NOWAIT) or of many.
template <class B, bool kOnce>
[[gnu::noinline]] int run_with(ev_loop *loop, int flags)
{
  loop->loop_done = EVBREAK_CANCEL;
  if (phase_has_work(loop, kPhaseInvoke))
    run_entered_with_work(loop);
  else if (loop->pending.any()) {
    loop->pass_levels = static_cast<unsigned char>(loop->pending.slots.mask);
    invoke_pending_plain(loop);
  }
  // Step 3 before the first iteration, when steps 1 and 2 have nothing to
  // do: a callback invoked above may have called ev_break.
  if (EV_UNLIKELY(loop->loop_done) && !phase_has_work(loop, kPhaseBeforePoll))
    return end_run(loop);

  // (EVRUN_NOWAIT never blocks: no count of references reaches kNever.)
  constexpr long long kNever = LLONG_MAX;
  if constexpr (kOnce) {
    iterate<B, kOnce>(loop, (flags & EVRUN_NOWAIT) ? kNever : 1);
  } else if constexpr (EV_FEATURE_CODE) {
    // 11. Repeat while references remain and no break says otherwise.
    //     (The wait blocks while one reference remains: activecnt >= 1.)
    while (!iterate<B, kOnce>(loop, 1) && loop->activecnt >= 1 && !loop->loop_done) {
    }
  } else {
    // A build for size (without ev(3)'s "faster/larger code", EV_FEATURES
    // bit 1) has this one run for both kinds.
    const bool once = flags & (EVRUN_ONCE | EVRUN_NOWAIT);
    while (!iterate<B, kOnce>(loop, (flags & EVRUN_NOWAIT) ? kNever : 1) && !once && loop->activecnt >= 1 &&
           !loop->loop_done) {
    }
  }
  return end_run(loop);
}

// One function for each kind of run (noinline above): compiled as one, the
// run of one iteration paid for the registers and constants the compiler
// prepared for the run of many.
template <class B>
int run_iterations(ev_loop *loop, int flags)
{
  if (EV_FEATURE_CODE && (flags & (EVRUN_ONCE | EVRUN_NOWAIT)))
    return run_with<B, true>(loop, flags);
  return run_with<B, false>(loop, flags);
}

}  // namespace

// The iteration compiled for each backend, in two units: the backends
// compiled apart (backends/policies.h) in loop/loop_run_apart.cc, which is
// this file again, and the rest here (an embedding program's single unit,
// embed/ev_ng.cc: all of them).  The table of the first ends with a null
// entry.
struct backend_runner {
  const backend_ops *ops;
  int (*run)(ev_loop *loop, int flags);
};
extern const backend_runner kRunnersApart[];

#define EV_NG_BACKEND_RUNNER(P) backend_runner{P::ops, run_iterations<P>},
#if defined(EV_NG_LOOP_RUN_APART) || defined(EV_NG_EMBED)
const backend_runner kRunnersApart[] = {EV_NG_BACKEND_POLICIES_APART(EV_NG_BACKEND_RUNNER)
                                            backend_runner{nullptr, nullptr}};
#endif

#ifndef EV_NG_LOOP_RUN_APART
namespace {

constexpr backend_runner kRunners[] = {EV_NG_BACKEND_POLICIES_REST(EV_NG_BACKEND_RUNNER)};

bool backend_try(ev_loop *loop, unsigned int flags, const backend_runner &r)
{
  if (!(flags & r.ops->flag))
    return false;
  loop->backend = r.ops;
  loop->run = r.run;
  return r.ops->init(loop);
}

}  // namespace

// (in the order of EV_NG_BACKEND_POLICIES: those compiled apart first)
bool backend_select(ev_loop *loop, unsigned int flags)
{
  for (const backend_runner *r = kRunnersApart; r->ops; ++r)
    if (backend_try(loop, flags, *r))
      return true;
  for (const backend_runner &r : kRunners)
    if (backend_try(loop, flags, r))
      return true;
  loop->backend = nullptr;
  loop->run = nullptr;
  return false;
}
#endif
#undef EV_NG_BACKEND_RUNNER

}  // namespace ev_detail
