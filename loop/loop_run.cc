// SPDX-License-Identifier: BSD-2-Clause
// loop/loop_run.cc - THE ITERATION: ev(3)'s steps of ev_run in order (doc/semantics.md §4).
// The rare paths are the named calls above iterate, in the order iterate calls them.
#include "backends/policies.h"
#include "diag/debug.h"
#include "diag/metrics.h"
#include "diag/probes.h"
#include "fd/fd.h"
#include "fd/wakeup.h"
#include "loop/fork_guard.h"

#include <unistd.h>

namespace ev_detail {
namespace {

// The child of an unannounced fork gets its own kernel state, without fork watchers (fork_guard.h).
void look_at_fork_mark(ev_loop *loop)
{
  if (loop->repair & kRepairProbes)
    probes_iteration_begin(loop);
  // The mark stays until the repair: until then fd_reify, which an
  // embedding loop calls too, must leave the kernel state alone.
  if (fork_unannounced(loop))
    request_repair(loop, kRepairAll);
  else if (loop->repair & kRepairMaybeFork)
    repair_clear(loop, kRepairMaybeFork);
}

// Re-create the kernel state that must be, see "Repair" in loop/loop.h.  Unlike libev, a backend
// rebuild runs no fork watchers, since there was no fork.
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

// The steps before the block that have work (kStepsBeforeBlock); debug mode then checks every
// watcher the loop holds, before the loop walks them.  True when ev_break was called: the run ends
// without a block, and the iteration is not counted.
bool steps_before_block_with_work(ev_loop *loop)
{
  if (loop->curpid && getpid() != loop->curpid) {
    loop->curpid = getpid();
    request_repair(loop, kRepairForked);
  }
  if (EV_UNLIKELY(loop->repair & (kRepairMaybeFork | kRepairProbes)))
    look_at_fork_mark(loop);
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
  if (debug_on(loop))
    debug_check_all(loop);
  return false;
}

// The steps before the block, for a loop that may have work there.
[[gnu::always_inline]] inline bool steps_before_block(ev_loop *loop)
{
  return has_work<kStepsBeforeBlock>(loop) && steps_before_block_with_work(loop);
}

// The fd changes, applied where the backend's policy says.
template <class B>
inline void apply_fd_changes(ev_loop *loop)
{
  if (EV_UNLIKELY(loop->fds.changes.count))
    fd_reify_with<B>(loop);
}

// The block time's one clamp: a positive time shorter than the backend's resolution is raised to
// it, so that the wait is never early and never spins; a time due is 0.  Every max_block is
// longer than the coarsest resolution.
static_assert(kWakeupPollInterval >= 1e-3 && kMaxBlockTime >= 1e-3 && kMaxBlockTimeTimerfd >= 1e-3);
inline ev_tstamp to_resolution(const ev_loop *loop, ev_tstamp timeout)
{
  const ev_tstamp mintime = loop->backend_mintime;
  if (timeout < mintime)
    timeout = timeout <= 0. ? 0. : mintime;
  return timeout;
}

// The time until the next timer, at most max_block and raised to the backend's resolution, with
// `now` the time the deadline is compared with.
template <class Now>
inline ev_tstamp until_next_timer(const ev_loop *loop, Now now)
{
  if (!loop->timers.count)
    return loop->max_block;  // longer than the coarsest resolution
  const ev_tstamp to = loop->timers.top().at - now();
  ev_tstamp timeout = loop->max_block;  // read after the clock, so that no register holds it across the call
  if (to < timeout)
    timeout = to;
  return to_resolution(loop, timeout);
}

// The block time of a loop with rules of its own (kStepBlockTime), each behind its test: zero with
// idle watchers or after the loop queued an EV_ERROR itself (feed_error), a rule enforced here
// alone; the next periodic; a second at most for EVFLAG_NG_BOOTTIME's timers, since the kernel's
// wait does not count a suspend; the timeout collect interval; and with an io collect interval
// part of the time is slept here instead, unless the backend's wait collects for it
// (backend_ops::collect).  The loop time is updated first where a rule reads it,
// and with a release callback, which may call ev_now, before every block, as libev 4.33 does.
ev_tstamp block_time_by_rules(ev_loop *loop)
{
  if (loop->idleall || member_has_work(loop, kWorkError)) {
    work_set(loop, kWorkError, false);
    return 0.;
  }
  const ev_tstamp prev_mn_now = loop->mn_now;
  if (loop->timers.count || loop->periodics.count || loop->io_blocktime > 0. || loop->release_cb || loop->acquire_cb)
    time_update(loop);

  ev_tstamp timeout = until_next_timer(loop, [loop] { return loop->mn_now; });
  if (loop->periodics.count) {
    ev_tstamp to = loop->periodics.top().at - loop->ev_rt_now;
    if (to < timeout)
      timeout = to;
  }
  if (boottime_on(loop) && loop->timers.count && timeout > kMaxBlockTimeBoottime)
    timeout = kMaxBlockTimeBoottime;
  if (timeout < loop->timeout_blocktime)
    timeout = loop->timeout_blocktime;
  timeout = to_resolution(loop, timeout);

  if (loop->io_blocktime > 0.) {
    ev_tstamp sleeptime = loop->io_blocktime - (loop->mn_now - prev_mn_now);
    if (sleeptime > timeout - loop->backend_mintime)
      sleeptime = timeout - loop->backend_mintime;
    // a backend that collects: its wait, `timeout` in all, returns no earlier than sleeptime
    // unless much came
    const auto collect = loop->backend->collect;
    const bool collected = collect && collect(loop, sleeptime > 0. ? sleeptime : 0.);
    if (!collected && sleeptime > 0.) {
      ev_sleep(sleeptime);
      timeout -= sleeptime;
    }
  }
  return timeout;
}

// Step 9's block time: until the next timer, nothing to wait for with EVRUN_NOWAIT or without
// references, or what the rules say.  The clock is read here so that the time the callbacks took
// shortens the block; the loop's times are updated after the block, before anything can look at
// them.
inline ev_tstamp block_time(ev_loop *loop, int flags)
{
  if ((flags & EVRUN_NOWAIT) || loop->activecnt < 1)
    return 0.;
  if (EV_UNLIKELY(has_work<kStepBlockTime>(loop)))
    return block_time_by_rules(loop);
  return until_next_timer(loop, [] { return monotonic_now(); });
}

// The slow half of the clock's update after the block: the wall clock, then the closed-fd sweep,
// whose time time_gate_update folds into the clock's so that an iteration pays one comparison for
// both.  The sweep may feed EV_ERROR, which ev_now_update in a callback must not do, so it runs
// only here.  A block that reported nothing means an idle loop.
void time_update_after_block_slow(ev_loop *loop, ev_tstamp timeout)
{
  time_update_slow(loop);
  if (loop->mn_now >= loop->sweep.idle_at)
    fd_sweep_due(loop, timeout > 0. && !loop->pending.any());
}

// The clock read after the block; true when the slow half is due.
inline bool read_clock_after_block(ev_loop *loop)
{
  ev_tstamp mn = monotonic_now();
  loop->mn_now = mn;
  if (mn >= loop->slow_time_at)
    return true;
  set_rt_now(loop, loop->rt_offset + mn);
  return false;
}

inline void time_update_after_block(ev_loop *loop, ev_tstamp timeout)
{
  if (read_clock_after_block(loop))
    time_update_after_block_slow(loop, timeout);
}

// The probes' and the metrics' notes of a wait (kWorkProbes, kWorkMetrics): what it began with,
// the probes' in the loop's rare block.  A hook may switch them during the wait, so the end tests
// each again, and the probes' end only follows their begin.
void wait_measure_begin(ev_loop *loop, ev_tstamp timeout)
{
  if (loop->probing)
    rare_of(loop)->probe_poll = probes_poll_enter(loop, timeout);
  if (metrics_of(loop))
    metrics_poll_begin(loop, timeout);
}

void wait_measure_end(ev_loop *loop)
{
  if (metrics_of(loop))
    metrics_poll_end(loop);
  if (loop->probing) {
    probes_poll_mark &probe = rare_of(loop)->probe_poll;
    if (probe.firing)
      probes_poll_return(loop, probe);
    probe.firing = false;
  }
}

constexpr unsigned kWorkMeasured = 1u << kWorkMetrics | 1u << kWorkProbes;

// The work around the backend's wait (kStepBlock), each part behind its own test: the wake-up
// handshake (fd/wakeup.h), whose senders are told that the loop may block as late as possible, so
// that sends while the loop is busy cost no write, and the measures.  Returns the timeout, zero
// when a sender skipped its write.  Inline, since every loop with an ev_async takes them.
inline ev_tstamp wait_begin(ev_loop *loop, ev_tstamp timeout)
{
  if (member_has_work(loop, kWorkWakeup)) {
    store_before_loads(loop->pipe_write_wanted, 1);
    if (loop->pipe_write_skipped.load(std::memory_order_seq_cst))
      timeout = 0.;
  }
  if (EV_UNLIKELY(loop->work & kWorkMeasured))
    wait_measure_begin(loop, timeout);
  return timeout;
}

inline void wait_end(ev_loop *loop)
{
  if (EV_UNLIKELY(loop->work & kWorkMeasured))
    wait_measure_end(loop);
  if (member_has_work(loop, kWorkWakeup)) {
    loop->pipe_write_wanted.store(0, std::memory_order_seq_cst);
    wakeup_after_poll(loop);
  }
}

// Steps 11-13 of ev(3)'s ev_run, quoted in iterate: the backend's wait, with the work around it
// where the loop has some (kStepBlock), then the clock.  The test after the wait reads the bits
// again rather than keep them across the wait, which costs a register or a spill.
template <class B>
inline void block(ev_loop *loop, ev_tstamp timeout)
{
  const bool work = has_work<kStepBlock>(loop);
  if (EV_UNLIKELY(work))
    timeout = wait_begin(loop, timeout);
  B::wait(loop, timeout, work);
  if (EV_UNLIKELY(has_work<kStepBlock>(loop)))
    wait_end(loop);
  time_update_after_block(loop, timeout);
}

// The steps after the timers that have work (kStepsQueue, kStepInvoke): debug mode first takes
// the loop's own stops from the queue; then the periodics, idle and check watchers are queued, and
// the queue is invoked if the invocation has work.  False when the pass without checks is left
// to the caller, whose copy of it is inline.
bool steps_after_timers_with_work(ev_loop *loop)
{
  if (debug_on(loop))
    debug_reconcile(loop);
  if (loop->periodics.count && loop->periodics.top().at < loop->ev_rt_now)
    periodics_reify(loop);
  if (loop->idleall)
    idle_reify(loop);
  if (loop->checks.count)
    queue_events(loop, loop->checks.data, loop->checks.count, EV_CHECK);
  if (!has_work<kStepInvoke>(loop))
    return false;
  invoke_pending_with_work(loop);
  if (loop->probing)
    probes_iteration_end(loop);
  return true;
}

// Steps 14 (the periodics), 15 and 16 of ev(3)'s ev_run.  The pass without checks is inline in
// each iteration's copy: most iterations call a callback or two.
template <class B>
inline void steps_after_timers(ev_loop *loop)
{
  const bool invoked = has_work<kStepsAfterTimers>(loop) && steps_after_timers_with_work(loop);
  if (!invoked && loop->pending.any())
    invoke_pass<B>(loop, 0, nullptr);
}

// Step 17 of ev(3)'s ev_run: ev_run returns the reference count, as libev 4.33 does.
inline int finish(ev_loop *loop)
{
  if (loop->loop_done == EVBREAK_ONE)
    loop->loop_done = EVBREAK_CANCEL;
  --loop->loop_depth;
  return loop->activecnt;
}

// What is pending when ev_run is entered, called with work (kStepInvoke).  With metrics, the time
// since the loop last read the clock was the program's.
void invoke_entered_with_work(ev_loop *loop)
{
  if (metrics_of(loop)) {
    metrics_run_entered(loop);
    if (!loop->pending.any() && loop->invoke_cb == ev_invoke_pending && !member_has_work(loop, kWorkStreams))
      return;  // the common case: nothing left over, nothing to time, nothing to send
  }
  invoke_pending_with_work(loop);
}

inline void invoke_entered(ev_loop *loop)
{
  if (EV_UNLIKELY(has_work<kStepInvoke>(loop)))
    return invoke_entered_with_work(loop);
  if (loop->pending.any())
    ev_invoke_pending(EV_A);
}

// ev_run after step 1's increment, with backend B: the steps of ev(3)'s ev_run (man/ev.pod),
// each quoted where it is taken ("..." leaves words out; t/lint/iterate_steps.sh checks the
// quotes).  A run of one iteration takes the same code.
template <class B>
int iterate(ev_loop *loop, int flags)
{
  // 1. "Increment the depth counter (ev_depth) and clear any break request"
  loop->loop_done = EVBREAK_CANCEL;
  // 2. "Invoke all watchers that are already pending"
  invoke_entered(loop);
  // A callback called above may have called ev_break, which the steps before the block look at
  // only when they have work.
  if (EV_LIKELY(!loop->loop_done) || has_work<kStepsBeforeBlock>(loop))
    do {
      if constexpr (EV_VERIFY >= 2)  // ev(3) EV_VERIFY: once per iteration
        verify(loop);
      // 3. "With EVFLAG_FORKCHECK, compare the process id with the one seen before"
      // 4. "If a fork was noticed ... queue all ev_fork watchers and invoke all pending watchers."
      // 5. "If prepare watchers are active: queue all ev_prepare watchers and invoke all pending
      //    watchers"
      // 6. "If a break was requested, stop here and continue with step 17."
      // 7. "If a fork was noticed: recreate the kernel state that the child cannot share"
      const bool broken = steps_before_block(loop);
      if (broken)
        break;
      // 8. "Hand all changes of file descriptor interest made since the last iteration to the
      //    kernel."
      apply_fd_changes<B>(loop);
      // 9. "Update the loop time and compute how long to block"
      const ev_tstamp timeout = block_time(loop, flags);
      // 10. "Increment the iteration counter (ev_iteration)."
      ++loop->loop_count;
      // 11. "Call the release callback, block in the backend until an event arrives or the
      //     timeout expires, call the acquire callback"
      // 12. "Queue the I/O watchers whose descriptors became ready."
      // 13. "Update the loop time."
      block<B>(loop, timeout);
      // 14. "Queue the expired timers (earliest deadline first), then the due periodics."
      if (timer_due(loop))
        timers_reify(loop);
      // 15. "Queue the idle watchers, if the idle rule allows it ... then queue all ev_check
      //     watchers."
      // 16. "Invoke all pending watchers (or call the invoke-pending callback"
      steps_after_timers<B>(loop);
      // 16. "Then continue with step 3, unless a break was requested, EVRUN_ONCE or EVRUN_NOWAIT
      //     was given, or the reference count is zero."  A negative count (more ev_unref than
      //     references) ends the run too, where libev 4.33 runs forever.
    } while (!(flags & (EVRUN_ONCE | EVRUN_NOWAIT)) && !loop->loop_done && loop->activecnt >= 1);
  // 17. "If the break request was EVBREAK_ONE, clear it ... Decrement the depth counter and
  //     return the reference count."
  return finish(loop);
}

// The iterations: one for each backend with hot paths of its own (backends/backend.h), and one
// for the others, which calls the backend through its table.  A build for size has that one alone.
struct backend_runner {
  const backend_ops *ops;
  int (*iterate)(ev_loop *loop, int flags);
};

template <class P>
constexpr backend_runner runner_of()
{
  if constexpr (EV_NG_SMALL || !requires { &P::wait; })
    return {P::ops, iterate<backend_table_policy>};
  else
    return {P::ops, iterate<P>};
}
#define EV_NG_BACKEND_RUNNER(P) runner_of<P>(),
constexpr backend_runner kRunners[] = {EV_NG_BACKEND_POLICIES(EV_NG_BACKEND_RUNNER)};
#undef EV_NG_BACKEND_RUNNER

}  // namespace

bool backend_select(ev_loop *loop, unsigned int flags)
{
  for (const backend_runner &r : kRunners) {
    if (!(flags & r.ops->flag))
      continue;
    loop->backend = r.ops;
    loop->iterate = r.iterate;
    run_entry_update(loop);
    if (r.ops->init(loop))
      return true;
  }
  loop->backend = nullptr;
  loop->iterate = nullptr;
  run_entry_update(loop);
  return false;
}

}  // namespace ev_detail
